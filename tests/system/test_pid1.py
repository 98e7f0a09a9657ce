"""boxinit as PID 1 of fresh namespaces, chrooted into a busybox rootfs."""
import re
import signal
import time

BASIC = """
hostname = sandbox-host
service.hello.exec = /bin/sh -c "echo hello-from-service; exec sleep 1000"
service.hello.env.GREETING = hi there
"""


def test_services_start_and_output_is_prefixed(sandbox):
    b = sandbox(BASIC)
    b.out.wait_for("boxinit: ready: 1 services started")
    b.out.wait_for("hello: hello-from-service")
    assert "starting as pid 1" in b.out.text()


def test_environment_workdir_and_hostname(sandbox):
    b = sandbox("""
hostname = sandbox-host
service.env.exec = /bin/sh -c 'echo "G=$GREETING PWD=$(pwd) HOST=$(hostname) PATH=$PATH"; exec sleep 1000'
service.env.env.GREETING = "hi there"
service.env.workdir = /tmp
""")
    line = b.out.wait_for("env: G=")[0][1]
    assert "G=hi there" in line
    assert "PWD=/tmp" in line
    # each service has its own UTS namespace: hostname defaults to its name
    assert "HOST=env" in line
    assert "/bin" in line.split("PATH=")[1]


def test_api_filesystems_are_mounted(sandbox):
    b = sandbox("""
service.mounts.exec = /bin/sh -c "cat /proc/mounts | while read dev mp type rest; do echo MOUNT $mp $type; done; exec sleep 1000"
""")
    b.out.wait_for("mounts: MOUNT /tmp tmpfs")
    text = b.out.text()
    for mp, fstype in [("/proc", "proc"), ("/sys", "sysfs"), ("/dev", "devtmpfs"),
                       ("/dev/pts", "devpts"), ("/dev/shm", "tmpfs"), ("/run", "tmpfs"),
                       ("/tmp", "tmpfs")]:
        assert f"mounts: MOUNT {mp} {fstype}" in text, text


def test_loopback_is_up(sandbox):
    b = sandbox("""
service.lo.exec = /bin/sh -c "cat /sys/class/net/lo/operstate /sys/class/net/lo/flags; exec sleep 1000"
""")
    # flags: IFF_UP (0x1) set
    line = b.out.wait_for(lambda t: t.startswith("lo: 0x"))[0][1]
    assert int(line.split()[1], 16) & 0x1


def test_orphans_are_reaped_and_do_not_disturb_the_service(sandbox):
    # Each "(sleep 0.2 &)" leaves an orphan that is re-parented to PID 1.
    b = sandbox("""
service.parent.exec = /bin/sh -c 'i=0; while [ $i -lt 50 ]; do (sleep 0.2 &); i=$((i+1)); done; echo spawned; exec sleep 1000'
""")
    b.out.wait_for("parent: spawned")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        procs = b.descendants()
        zombies = [p for p, (st, _, _) in procs.items() if st == "Z"]
        sleepers = [p for p, (_, _, c) in procs.items() if c == "sleep"]
        if not zombies and len(sleepers) == 1:
            break
        time.sleep(0.1)
    assert not zombies, f"zombies left: {zombies}"
    assert len(sleepers) == 1, procs          # only the service's own sleep
    text = b.out.text()
    assert "parent: exited" not in text and "parent: killed" not in text
    assert len(re.findall(r"parent: started", text)) == 1


def test_crashing_service_restarts_with_growing_delays(sandbox):
    b = sandbox("""
service.crash.exec = /bin/sh -c "echo crash-run; exit 3"
service.steady.exec = /bin/sleep 1000
""")
    lines = b.out.wait_for("crash: exited with status 3; restarting in", count=4, timeout=30)
    delays = [int(re.search(r"restarting in (\d+) ms", t).group(1)) for _, t in lines]
    assert delays[:4] == [100, 200, 400, 800]
    starts = [ts for ts, _ in b.out.wait_for("crash: started (pid", count=5, timeout=30)]
    gaps = [b2 - a for a, b2 in zip(starts, starts[1:])]
    # within 20 % of the schedule (plus the run itself: a shell, a few ms)
    for gap, delay in zip(gaps, delays):
        assert delay / 1000.0 * 0.8 <= gap <= delay / 1000.0 * 1.2 + 0.05, (gaps, delays)
    assert gaps[3] > gaps[0] * 3, gaps
    # the healthy service was not disturbed
    assert b.out.text().count("steady: started") == 1


def test_sigterm_stops_every_service_and_leaves_the_namespace(sandbox):
    b = sandbox("""
service.a.exec = /bin/sleep 1000
service.b.exec = /bin/sh -c "trap 'echo b-got-term; exit 0' TERM; echo b-up; while :; do sleep 0.05; done"
""")
    b.out.wait_for("b: b-up")
    b.out.wait_for("ready:")
    b.signal(signal.SIGTERM)
    b.wait_exit(timeout=20)
    text = b.out.text()
    assert "SIGTERM: reboot" in text
    assert "stopping services" in text
    assert "b: b-got-term" in text
    assert "a: stopped (killed by signal 15" in text
    assert "all services stopped" in text
    assert "rebooting" in text


def test_sigusr2_powers_off(sandbox):
    b = sandbox("service.a.exec = /bin/sleep 1000\n")
    b.out.wait_for("a: started")
    b.signal(signal.SIGUSR2)
    b.wait_exit(timeout=20)
    text = b.out.text()
    assert "SIGUSR2: power off" in text
    assert "a: stopped" in text
    assert "powering off" in text


def test_bad_service_is_skipped_and_the_rest_runs(sandbox):
    b = sandbox("""
service.good.exec = /bin/sh -c "echo good-ran; exec sleep 1000"
service.bad.exec = /bin/sleep 1000
service.bad.memory = 10Q
""")
    b.out.wait_for("good: good-ran")
    text = b.out.text()
    assert re.search(r"/etc/boxinit.conf:4: .*memory", text), text
    assert "bad: not started: invalid configuration" in text
    assert "bad: started" not in text


def test_missing_program_is_reported_and_retried(sandbox):
    b = sandbox("service.nope.exec = /bin/does-not-exist --flag\n")
    b.out.wait_for("nope: exec /bin/does-not-exist: No such file or directory", count=2)
    b.out.wait_for("nope: exited with status 127; restarting in 200 ms")


def test_missing_config_keeps_running(sandbox):
    b = sandbox("")
    b.out.wait_for("fatal: no services configured")
    time.sleep(0.3)
    assert b.proc.poll() is None, "PID 1 exited"


def test_boxctl_poweroff_from_a_oneshot_service(sandbox):
    b = sandbox("""
service.web.exec = /bin/sleep 1000
service.off.exec = /bin/sh -c "boxctl status; boxctl poweroff"
service.off.type = oneshot
service.off.after = web
""")
    b.wait_exit(timeout=20)
    text = b.out.text()
    assert re.search(r"^off: web +running", text, re.M), text
    assert "boxctl: power off" in text
    assert "powering off" in text


def test_logs_go_to_run(sandbox):
    b = sandbox("""
service.chat.exec = /bin/sh -c "echo one; echo two; exec sleep 1000"
service.reader.exec = /bin/sh -c "sleep 0.5; cat /run/boxinit/chat.log; exec sleep 1000"
""")
    b.out.wait_for(lambda t: t.startswith("reader: [") and t.endswith("chat: two"))
