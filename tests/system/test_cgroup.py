"""Resource limits: a cgroup per service, on whatever hierarchy the host has.

This build machine is a hybrid host (v1 cpu, cpuacct, memory, pids and an
empty cgroup2); the QEMU boot tests cover cgroup v2.
"""
import os
import re
import signal
import time


def read(path):
    with open(path) as f:
        return f.read().strip()


def svc_dir(b, ctrl, svc):
    return b.cgroups.path(ctrl, "boxinit", svc)


def wait_file(path, timeout=10):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_limit_files_hold_the_configured_values(sandbox):
    b = sandbox("""
service.lim.exec = /bin/sleep 1000
service.lim.cpu = 0.5
service.lim.memory = 10M
service.lim.swap = 0
service.lim.pids = 16
""")
    b.out.wait_for("lim: started")
    assert read(os.path.join(svc_dir(b, "cpu", "lim"), "cpu.cfs_period_us")) == "100000"
    assert read(os.path.join(svc_dir(b, "cpu", "lim"), "cpu.cfs_quota_us")) == "50000"
    mem = svc_dir(b, "memory", "lim")
    assert read(os.path.join(mem, "memory.limit_in_bytes")) == str(10 << 20)
    if os.path.exists(os.path.join(mem, "memory.memsw.limit_in_bytes")):
        assert read(os.path.join(mem, "memory.memsw.limit_in_bytes")) == str(10 << 20)
    assert read(os.path.join(svc_dir(b, "pids", "lim"), "pids.max")) == "16"
    # the service runs inside it, from its first instruction: the
    # container's reaper (its PID 1) joins before anything else, then
    # forks the service ("started" is logged before that: wait for it)
    procs = os.path.join(svc_dir(b, "pids", "lim"), "cgroup.procs")
    deadline = time.monotonic() + 10
    while len(read(procs).split()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(read(procs).split()) == 2
    assert "lim: started" in b.out.text()


def test_unlimited_service_has_no_limits(sandbox):
    b = sandbox("service.free.exec = /bin/sleep 1000\n")
    b.out.wait_for("free: started")
    assert read(os.path.join(svc_dir(b, "cpu", "free"), "cpu.cfs_quota_us")) == "-1"
    assert read(os.path.join(svc_dir(b, "pids", "free"), "pids.max")) == "max"


def test_cpu_half_uses_half_a_cpu(sandbox):
    b = sandbox("""
service.spin.exec = /bin/sh -c "while :; do :; done"
service.spin.cpu = 0.5
""")
    b.out.wait_for("spin: started")
    usage = os.path.join(svc_dir(b, "cpuacct", "spin"), "cpuacct.usage")
    wait_file(usage)
    time.sleep(0.5)
    u0, t0 = int(read(usage)), time.monotonic()
    time.sleep(2.5)
    u1, t1 = int(read(usage)), time.monotonic()
    share = (u1 - u0) / 1e9 / (t1 - t0)
    assert 0.40 <= share <= 0.60, share


def test_memory_limit_oom_kill_is_reported_and_restarted(sandbox):
    b = sandbox("""
service.hog.exec = /bin/sh -c "echo hog-start; exec dd if=/dev/zero of=/dev/null bs=20M count=1"
service.hog.memory = 10M
service.hog.swap = 0
service.calm.exec = /bin/sleep 1000
""")
    b.out.wait_for("hog: killed by the OOM killer (memory limit 10M)", timeout=30)
    b.out.wait_for("hog: hog-start", count=2, timeout=30)     # restarted
    b.out.wait_for("hog: killed by signal 9")
    assert b.out.text().count("calm: started") == 1


def test_pids_limit_stops_a_fork_loop(sandbox):
    b = sandbox("""
service.forky.exec = /bin/sh -c 'i=0; while [ $i -lt 40 ]; do sleep 100 & i=$((i+1)); done; echo forked; exec sleep 1000'
service.forky.pids = 16
""")
    b.out.wait_for("forky: /bin/sh: can't fork: Resource temporarily unavailable", timeout=20)
    b.out.wait_for("forky: exited with status 2; restarting in")
    pids = svc_dir(b, "pids", "forky")
    assert read(os.path.join(pids, "pids.max")) == "16"
    # the kernel refused forks at the limit (pids.events counts them)
    assert int(read(os.path.join(pids, "pids.events")).split()[1]) > 0
    assert int(read(os.path.join(pids, "pids.current"))) <= 16
    assert "forky: forked" not in b.out.text()


def test_stop_and_shutdown_leave_no_cgroup(sandbox):
    b = sandbox("""
service.a.exec = /bin/sh -c "sleep 1000 & exec sleep 1000"
service.a.memory = 32M
service.b.exec = /bin/sleep 1000
""")
    b.out.wait_for("b: started")
    b.out.wait_for("a: started")
    assert os.path.isdir(svc_dir(b, "memory", "a"))
    b.signal(signal.SIGTERM)
    b.wait_exit(timeout=20)
    assert b.cgroups.leftovers() == []


def test_leftover_processes_die_with_the_main_process(sandbox):
    b = sandbox("""
service.left.exec = /bin/sh -c "sleep 1000 & echo bg-started; sleep 0.5; exit 1"
""")
    b.out.wait_for("left: bg-started")
    procs = os.path.join(svc_dir(b, "pids", "left"), "cgroup.procs")
    first = set(read(procs).split())
    assert len(first) >= 2                  # sh and the background sleep
    # the kernel ends the container's PID namespace with its reaper, before
    # boxinit reaps it: boxinit's cgroup sweep finds nothing left to kill
    b.out.wait_for("left: exited with status 1")
    b.out.wait_for("left: bg-started", count=2)
    assert not first & set(read(procs).split())


def test_supervisor_uses_its_own_subtree_and_removes_it(supervisor):
    b = supervisor("""
service.x.exec = /bin/sleep 1000
service.x.pids = 5
""")
    b.out.wait_for("x: started")
    pid = b.proc.pid
    d = b.cgroups.path("pids", f"boxinit-{pid}", "x")
    assert read(os.path.join(d, "pids.max")) == "5"
    b.signal(signal.SIGTERM)
    assert b.wait_exit() == 0
    assert b.cgroups.leftovers() == []
