"""boxctl and the service state machine, as an operator uses them."""
import ctypes
import json
import os
import pathlib
import shutil
import tempfile
import re
import signal
import socket
import subprocess
import time

import pytest

from sandbox import PATIENCE, host_boxinit, make_rootfs, wait_until


@pytest.fixture
def ctl(supervisor, tmp_path):
    """ctl(config) -> (boxinit, boxctl(*args) -> CompletedProcess)."""
    sock = str(tmp_path / "ctl.sock")
    logs = str(tmp_path / "log")

    def start(config_text, ready=True):
        """ready=False: do not wait for the boot's "ready:" (a service the
        test keeps from being ready), only for the socket."""
        b = supervisor(config_text, args=("--socket", sock, "--log-dir", logs))
        b.sock, b.logs = sock, logs
        if ready:
            b.out.wait_for("ready:")
        else:
            wait_until(lambda: os.path.exists(sock), what="the control socket")

        def boxctl(*args, user=None, timeout=PATIENCE):
            pre = None
            if user is not None:
                def pre():
                    os.setgid(user)
                    os.setuid(user)
            return subprocess.run([host_boxinit(), "ctl", "--socket", sock, *args],
                                  capture_output=True, text=True, timeout=timeout,
                                  preexec_fn=pre)
        return b, boxctl
    return start


def status(boxctl, name=None):
    r = boxctl("--json", "status", *([name] if name else []))
    return {s["name"]: s for s in json.loads(r.stdout)["services"]}


def wait_state(boxctl, name, state, timeout=PATIENCE):
    return wait_until(lambda: (lambda s: s if s["state"] == state else None)(
        status(boxctl)[name]), timeout, f"{name} {state}", interval=0.05)


def stamped(b, pred):
    """(seconds, text) of boxinit's own log lines (LOGDIR/boxinit.log) that
    match pred, as boxinit stamped them when it acted."""
    out = []
    with open(os.path.join(b.logs, "boxinit.log")) as f:
        for line in f:
            m = re.match(r"^\[\s*(\d+\.\d{3})\] (.*)$", line.rstrip("\n"))
            if m and pred(m.group(2)):
                out.append((float(m.group(1)), m.group(2)))
    return out


def test_status_table_and_json(ctl):
    b, boxctl = ctl("""
service.web.exec = /bin/sleep 1000
service.web.memory = 16M
service.job.exec = /bin/true
service.job.type = oneshot
""")
    wait_state(boxctl, "job", "done")
    r = boxctl("status")
    assert r.returncode == 0
    head, *rows = r.stdout.splitlines()
    assert head.split()[:10] == ["NAME", "STATE", "PID", "UPTIME", "RESTARTS", "OOM",
                                 "LOGDROP", "CPU", "MEMORY/LIMIT", "ADDRESS"]
    web = [row for row in rows if row.startswith("web ")][0].split()
    assert web[1] == "running" and web[2].isdigit() and web[8].endswith("/16M")
    assert web[6] == "0"                    # log lines dropped
    s = status(boxctl)
    assert s["web"]["state"] == "running" and s["web"]["pid"] > 0
    assert s["web"]["memory_limit"] == 16 << 20
    assert s["web"]["log_dropped"] == 0
    assert s["job"]["state"] == "done"
    # one service; exit 3 when it is not running or does not exist
    assert boxctl("status", "web").returncode == 0
    assert boxctl("status", "job").returncode == 3
    r = boxctl("status", "nope")
    assert r.returncode == 3 and "no such service" in r.stderr


def test_stop_start_restart(ctl):
    b, boxctl = ctl("service.web.exec = /bin/sleep 1000\n")
    pid = wait_state(boxctl, "web", "running")["pid"]
    r = boxctl("stop", "web")
    assert r.returncode == 0, r.stderr
    s = wait_state(boxctl, "web", "stopped")
    assert s["pid"] == 0
    b.out.wait_for("web: stopped (killed by signal 15")
    assert boxctl("start", "web").returncode == 0
    pid2 = wait_state(boxctl, "web", "running")["pid"]
    assert pid2 != pid
    assert boxctl("restart", "web").returncode == 0
    b.out.wait_for("web: started (pid", count=3)
    pid3 = wait_state(boxctl, "web", "running")["pid"]
    assert pid3 not in (pid, pid2)
    assert boxctl("stop", "nope").returncode == 3
    assert boxctl("frobnicate", "web").returncode == 1


def test_crash_loop_fails_then_start_recovers(ctl):
    b, boxctl = ctl("""
service.loop.exec = /bin/sh -c "exit 4"
service.loop.restart_max = 2
service.loop.restart_window = 60s
""")
    b.out.wait_for("loop: exited with status 4; crash loop: 2 restarts within 60 s: giving up")
    s = wait_state(boxctl, "loop", "failed")
    assert s["reason"] == "crash loop: 2 restarts within 60 s; last exited with status 4", s
    # failed for good: no timer left (tests/unit/test_fsm.c), no process
    assert s["pid"] == 0
    assert b.out.text().count("loop: started") == 3
    assert boxctl("start", "loop").returncode == 0
    b.out.wait_for("loop: started", count=4)


def test_stop_timeout_sends_sigkill(ctl):
    b, boxctl = ctl("""
service.stubborn.exec = /bin/sh -c "trap '' TERM; echo up; while :; do sleep 0.05; done"
service.stubborn.stop_timeout = 300ms
""")
    b.out.wait_for("stubborn: up")
    boxctl("stop", "stubborn")
    b.out.wait_for("stubborn: still running 300 ms after signal 15: sending SIGKILL")
    b.out.wait_for("stubborn: stopped (killed by signal 9")
    # when boxinit acted, by its own clock: SIGKILL 300 ms after SIGTERM,
    # never earlier, and far from the 10 s default (the slack is for a late
    # wake-up on a loaded machine)
    term = wait_until(lambda: stamped(b, lambda t: t == "boxinit: stubborn: stopping (signal 15)"),
                      what="the stop in boxinit.log")[0][0]
    kill = wait_until(lambda: stamped(b, lambda t: t.startswith("boxinit: stubborn: still running")),
                      what="the SIGKILL in boxinit.log")[0][0]
    assert 0.299 <= kill - term < 3, kill - term


def test_oneshot_failure_fails_its_dependents(ctl):
    b, boxctl = ctl("""
service.setup.exec = /bin/sh -c "exit 1"
service.setup.type = oneshot
service.setup.restart = no
service.app.exec = /bin/sleep 1000
service.app.after = setup
""")
    b.out.wait_for('app: not started: dependency "setup" failed')
    s = status(boxctl)
    assert s["setup"]["state"] == "failed"
    assert s["app"]["state"] == "failed" and "setup" in s["app"]["reason"]


def test_shutdown_stops_in_reverse_dependency_order(ctl):
    b, boxctl = ctl("""
service.db.exec = /bin/sh -c "trap 'sleep 0.3; exit 0' TERM; while :; do sleep 0.05; done"
service.app.exec = /bin/sh -c "trap 'sleep 0.3; exit 0' TERM; while :; do sleep 0.05; done"
service.app.after = db
service.web.exec = /bin/sh -c "trap 'sleep 0.3; exit 0' TERM; while :; do sleep 0.05; done"
service.web.after = app
service.other.exec = /bin/sleep 1000
""")
    wait_state(boxctl, "web", "running")
    starts = [t for t in b.out.text().splitlines() if ": started (pid" in t]
    # each after what it waits for (ready: exec'd); "other" may come anywhere
    assert [t.split()[1] for t in starts if "other" not in t][:3] == ["db:", "app:", "web:"]
    b.signal(signal.SIGTERM)
    assert b.wait_exit() == 0
    lines = b.out.text().splitlines()
    idx = {n: next(i for i, t in enumerate(lines) if t == f"boxinit: {n}: stopping (signal 15)")
           for n in ("db", "app", "web", "other")}
    stopped = {n: next(i for i, t in enumerate(lines) if t.startswith(f"boxinit: {n}: stopped"))
               for n in ("db", "app", "web")}
    assert stopped["web"] < idx["app"] and stopped["app"] < idx["db"]
    assert idx["other"] < stopped["web"]         # unrelated: in parallel


def test_log_capture_and_rotation(ctl):
    b, boxctl = ctl("""
service.talk.exec = /bin/sh -c 'i=0; while [ $i -lt 1500 ]; do echo "line $i of a chatty service padded to be long enough"; i=$((i+1)); done; printf partial; exec sleep 1000'
""")
    path = os.path.join(b.logs, "talk.log")
    r = wait_until(lambda: (lambda r: r if "line 1499" in r.stdout else None)(
        boxctl("log", "talk", "-n", "2")), what="line 1499 in the log", interval=0.1)
    assert r.returncode == 0
    out = r.stdout.splitlines()
    assert len(out) == 2 and out[-1].endswith("talk: line 1499 of a chatty service padded to be long enough")
    assert re.match(r"^\[\s*\d+\.\d{3}\] talk: line 1498", out[0])
    assert os.path.getsize(path) <= 65536
    assert os.path.getsize(path + ".1") > 60000          # rotated once at least
    assert oct(os.stat(path).st_mode & 0o777) == "0o640"
    # the partial last line is flushed when the service exits
    boxctl("stop", "talk")
    b.out.wait_for("talk: partial")
    assert boxctl("log", "nope").returncode == 3


def test_non_root_is_refused(supervisor, tmp_path):
    # a directory others may enter, so that only the socket itself decides
    d = tempfile.mkdtemp(prefix="boxinit-ctl-", dir="/tmp")
    try:
        os.chmod(d, 0o711)
        sock = os.path.join(d, "ctl.sock")
        b = supervisor("service.web.exec = /bin/sleep 1000\n", args=("--socket", sock))
        b.out.wait_for("web: started")

        def boxctl(*args, user=None):
            def drop():
                os.setgid(user)
                os.setuid(user)
            return subprocess.run([host_boxinit(), "ctl", "--socket", sock, *args],
                                  capture_output=True, text=True, timeout=PATIENCE,
                                  preexec_fn=drop if user is not None else None)

        assert oct(os.stat(sock).st_mode & 0o777) == "0o600"
        r = boxctl("stop", "web", user=65534)
        assert r.returncode == 1 and "Permission denied" in r.stderr
        # past the file mode too: the server itself checks SO_PEERCRED
        os.chmod(sock, 0o666)
        r = boxctl("stop", "web", user=65534)
        assert r.returncode == 1 and r.stderr.strip() == "boxctl: permission denied"
        r = boxctl("status", user=65534)
        assert r.returncode == 1 and r.stdout == ""        # learns nothing
        assert "running" in boxctl("status", "web").stdout
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_silent_flood_and_garbage_clients(ctl):
    b, boxctl = ctl("service.web.exec = /bin/sleep 1000\n")
    silent = []
    for _ in range(20):                       # connect and say nothing
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.connect(b.sock)
        silent.append(s)
    assert boxctl("status").returncode == 0   # answered despite them

    for payload in [b"", b"\x00\x01\x02", b"status " + b"x" * 5000, b"\xff" * 100,
                    b"status web extra words here", b"json", b"stop", b"logpath ../../etc"]:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.settimeout(5)
        s.connect(b.sock)
        s.send(payload) if payload else s.shutdown(socket.SHUT_WR)
        try:
            reply = s.recv(4096)
            assert not reply or reply.split(b"\t")[0] in (b"1", b"3")
        except socket.timeout:
            raise AssertionError(f"no answer to {payload[:20]!r}")
        s.close()
    for s in silent:
        s.close()
    # ... answered at once: boxinit makes room (the oldest waiting client
    # gives way), it does not wait for silent clients to time out (1 s idle,
    # CONTROL_IDLE_MS). A round slowed past that second by a loaded machine
    # proves nothing and is tried again; a boxinit that waits never passes.

    def answered_before_the_idle_timeout():
        held = []
        try:
            for _ in range(20):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                s.connect(b.sock)
                held.append(s)
            t0 = time.monotonic()
            with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as q:
                q.connect(b.sock)
                q.settimeout(PATIENCE)
                q.send(b"status web")
                assert q.recv(4096).split(b"\t")[0] == b"0"
            return time.monotonic() - t0 < 1.0
        finally:
            for s in held:
                s.close()
    wait_until(answered_before_the_idle_timeout, what="an answer while clients stay silent")
    for i in range(1000):                     # a flood of connections
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.connect(b.sock)
        if i % 2:
            s.send(b"status")
        s.close()
    assert boxctl("status", "web").returncode == 0
    assert b.proc.poll() is None


def test_reload_added_removed_changed_unchanged(ctl):
    b, boxctl = ctl("""
service.keep.exec = /bin/sleep 1000
service.change.exec = /bin/sleep 1000
service.gone.exec = /bin/sleep 1000
""")
    before = status(boxctl)
    with open(b.config_path, "w") as f:
        f.write("""
service.keep.exec = /bin/sleep 1000
service.change.exec = /bin/sleep 2000
service.new.exec = /bin/sleep 1000
""")
    r = boxctl("reload")
    assert r.returncode == 0, r.stderr
    b.out.wait_for("reload: 1 added, 1 changed, 1 removed, 1 unchanged")
    wait_state(boxctl, "new", "running")
    after = wait_state(boxctl, "change", "running")
    b.out.wait_for("gone: removed")         # once it has stopped
    s = status(boxctl)
    assert s["keep"]["pid"] == before["keep"]["pid"]
    assert after["pid"] != before["change"]["pid"]
    assert "gone" not in s
    # SIGHUP does the same
    with open(b.config_path, "a") as f:
        f.write("service.late.exec = /bin/sleep 1000\n")
    b.signal(signal.SIGHUP)
    wait_state(boxctl, "late", "running")
    assert status(boxctl)["keep"]["pid"] == before["keep"]["pid"]


def test_reload_with_errors_changes_nothing(ctl):
    b, boxctl = ctl("service.keep.exec = /bin/sleep 1000\n")
    pid = status(boxctl)["keep"]["pid"]
    with open(b.config_path, "w") as f:
        f.write("service.keep.exec = /bin/sleep 1000\nservice.keep.memory = lots\n")
    r = boxctl("reload")
    assert r.returncode == 1 and "nothing changed" in r.stderr
    b.out.wait_for(f"{b.config_path}:2: ")
    assert status(boxctl)["keep"]["pid"] == pid


def test_idle_boxinit_makes_no_system_calls(ctl):
    b, boxctl = ctl("""
service.a.exec = /bin/sleep 1000
service.b.exec = /bin/sleep 1000
""")
    wait_state(boxctl, "b", "running")

    def switches():
        with open(f"/proc/{b.proc.pid}/status") as f:
            return [l for l in f if "ctxt_switches" in l]

    # settled: blocked (state S) with no switch for a whole second, rather
    # than after a fixed time (the boot's last writes may come late)
    def settled():
        first = switches()
        time.sleep(1)                  # a quiet window, not a wait
        with open(f"/proc/{b.proc.pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return first if state == "S" and switches() == first else None
    first = wait_until(settled, what="boxinit idle", interval=0)
    time.sleep(10)                     # the measurement window
    assert switches() == first


def test_output_flood_does_not_stall_boxinit(ctl):
    b, boxctl = ctl("service.flood.exec = /bin/yes flooding\n")
    b.out.wait_for("flood: flooding", count=1000)
    for _ in range(5):
        # not stalled: answered while the flood goes on. The bound is
        # generous for a loaded machine (latency is make bench's)
        t0 = time.monotonic()
        assert boxctl("status", "flood").returncode == 0
        assert time.monotonic() - t0 < 10
    b.signal(signal.SIGTERM)
    assert b.wait_exit() == 0


def test_restart_of_a_stopped_service_starts_it_once(ctl):
    b, boxctl = ctl("service.x.exec = /bin/sleep 1000\n")
    wait_state(boxctl, "x", "running")
    boxctl("stop", "x")
    wait_state(boxctl, "x", "stopped")
    r = boxctl("restart", "x")
    assert r.returncode == 0 and "already" not in r.stdout + r.stderr
    wait_state(boxctl, "x", "running")
    time.sleep(0.3)
    assert b.out.text().count("x: started") == 2


STUBBORN = "/bin/sh -c \"trap 'sleep 0.5; exit 0' TERM; while :; do sleep 0.05; done\""


def test_stop_during_a_restart_keeps_it_down(ctl, tmp_path):
    # x leaves on SIGTERM only once the test opens the gate: the stop comes
    # while the restart is still under way, however loaded the machine
    gate = tmp_path / "gate"
    gate.mkdir()
    svc = ("/bin/sh -c \"trap 'until [ -e /mnt/go ]; do sleep 0.05; done; exit 0' TERM; "
           "while :; do sleep 0.05; done\"")
    b, boxctl = ctl(f"service.x.exec = {svc}\nservice.x.bind = {gate}:/mnt:ro\n")
    wait_state(boxctl, "x", "running")
    assert boxctl("restart", "x").returncode == 0
    b.out.wait_for("x: stopping (signal 15)")
    assert boxctl("stop", "x").returncode == 0
    (gate / "go").write_text("")
    b.out.wait_for("x: stopped")
    # the exit decides at once (no timer in between): stopped, not started
    assert status(boxctl)["x"]["state"] == "stopped"
    assert b.out.text().count("x: started") == 1


def test_service_removed_then_readded_while_stopping_comes_back(ctl):
    b, boxctl = ctl(f"service.keep.exec = /bin/sleep 1000\nservice.x.exec = {STUBBORN}\n")
    wait_state(boxctl, "x", "running")
    with open(b.config_path, "w") as f:
        f.write("service.keep.exec = /bin/sleep 1000\n")
    assert boxctl("reload").returncode == 0
    with open(b.config_path, "w") as f:
        f.write(f"service.keep.exec = /bin/sleep 1000\nservice.x.exec = {STUBBORN}\n")
    assert boxctl("reload").returncode == 0
    b.out.wait_for("x: started", count=2)
    assert wait_state(boxctl, "x", "running")["pid"] > 0


def test_reload_reverted_before_it_applied_keeps_the_original(ctl):
    svc = "/bin/sh -c \"trap 'sleep 0.5; exit 0' TERM; echo V=$V; while :; do sleep 0.05; done\""
    b, boxctl = ctl(f"service.x.exec = {svc}\nservice.x.env.V = A\n")
    b.out.wait_for("x: V=A")
    with open(b.config_path, "w") as f:
        f.write(f"service.x.exec = {svc}\nservice.x.env.V = B\n")
    boxctl("reload")
    with open(b.config_path, "w") as f:
        f.write(f"service.x.exec = {svc}\nservice.x.env.V = A\n")
    boxctl("reload")
    b.out.wait_for("x: V=A", count=2)
    assert "x: V=B" not in b.out.text()


def test_stop_right_after_start_is_not_lost(ctl):
    # the stop may reach the container before its service exists: the
    # reaper must keep it for the service, not drop it (stop_timeout 20 s
    # would then be the only way down)
    b, boxctl = ctl("service.x.exec = /bin/sleep 1000\nservice.x.stop_timeout = 20s\n")
    wait_state(boxctl, "x", "running")
    for round_ in range(5):
        boxctl("stop", "x")
        wait_state(boxctl, "x", "stopped", timeout=15)
        t0 = time.monotonic()
        boxctl("start", "x")
        boxctl("stop", "x")
        wait_state(boxctl, "x", "stopped", timeout=15)
        assert time.monotonic() - t0 < 15           # well before stop_timeout
        boxctl("start", "x")
        wait_state(boxctl, "x", "running")
    # no stop was lost: none needed the SIGKILL at stop_timeout
    assert "x: still running" not in b.out.text()


def follow_events(b, *args):
    """A running `boxctl events -f` (args: --json ...): its stdout lines come
    through a queue; the caller stops it (by pid) with .stop()."""
    import queue
    import threading
    p = subprocess.Popen([host_boxinit(), "ctl", "--socket", b.sock, *args, "events", "-f"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = queue.Queue()

    def pump():
        for line in p.stdout:
            lines.put(line.rstrip("\n"))
    threading.Thread(target=pump, daemon=True).start()

    def until(pred, what):
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if pred(line):
                return line
        raise AssertionError(f"no event: {what}")

    def stop():
        p.kill()
        p.wait(timeout=PATIENCE)
    p.until, p.stop = until, stop
    return p


def test_events_list_and_follow(ctl):
    b, boxctl = ctl("""
service.web.exec = /bin/sleep 1000
service.job.exec = /bin/sh -c "exit 4"
service.job.restart = no
""")
    wait_state(boxctl, "job", "failed")
    r = boxctl("events")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    # numbered in order, each with its time, service, transition and cause
    seqs = [int(t.split()[0]) for t in lines]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), lines
    assert any(re.match(r"^\d+ \[\s*\d+\.\d{3}\] web: waiting -> running \(started \(pid \d+\)\)$", t)
               for t in lines), lines
    assert any(t.endswith("job: running -> failed (exited with status 4; not restarted "
                          "(restart = no))") for t in lines), lines
    # only the ones after a number
    r = boxctl("events", str(seqs[-2]))
    assert [int(t.split()[0]) for t in r.stdout.splitlines()] == [seqs[-1]]
    assert boxctl("events", "x").returncode == 1
    # JSON Lines
    evs = [json.loads(t) for t in boxctl("--json", "events").stdout.splitlines()]
    assert {"seq", "ms", "service", "from", "to", "shown", "cause"} <= set(evs[0])
    assert [e for e in evs if e["service"] == "job" and e["to"] == "failed"]
    # -f: the ring first, then each transition as it happens
    f = follow_events(b)
    g = follow_events(b, "--json")
    try:
        f.until(lambda t: "job: running -> failed" in t, "the past")
        assert boxctl("stop", "web").returncode == 0
        f.until(lambda t: "web: stop-wait -> stopping (stopping (signal 15))" in t, "stopping")
        f.until(lambda t: "web: stopping -> stopped (stopped (killed by signal 15" in t,
                "stopped")
        e = json.loads(g.until(lambda t: '"to":"stopped"' in t and '"web"' in t, "json"))
        assert e["from"] == "stopping" and e["shown"] == "stopped"
    finally:
        f.stop()
        g.stop()
    # the followers' slots are free again: four more can follow
    more = [follow_events(b) for _ in range(4)]
    try:
        for m in more:
            m.until(lambda t: "web: stopping -> stopped" in t, "a slot")
        r = boxctl("events", "-f")
        assert r.returncode == 1 and "too many followers" in r.stderr, r
    finally:
        for m in more:
            m.stop()


def test_boot_timeline_table_json_svg(ctl, tmp_path):
    import xml.etree.ElementTree as ET
    gate = tmp_path / "gate"
    gate.mkdir()
    b, boxctl = ctl(f"""
service.web.exec = /bin/sleep 1000
service.job.exec = /bin/sh -c "until [ -e /mnt/go ]; do sleep 0.05; done"
service.job.type = oneshot
service.job.bind = {gate}:/mnt:ro
service.dep.exec = /bin/sleep 1000
service.dep.after = job
service.bad.exec = /nonexistent
service.bad.restart = no
""", ready=False)

    def boot():
        r = boxctl("--json", "boot")
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def entry(d, name):
        """The step @name (a service that has not started yet: {})."""
        return ([s for s in d["steps"] if s["name"] == name] or [{}])[0]

    # web exec'd (ready) and bad failed before job may finish: dep is last
    wait_until(lambda: entry(boot(), "web").get("outcome") == "ok" and
               entry(boot(), "bad").get("outcome") == "failed", what="web ready, bad failed")
    assert entry(boot(), "job")["outcome"] == "pending"
    # the boot waits for job (and dep after it) to be ready
    assert "boxinit: ready:" not in b.out.text()
    (gate / "go").write_text("")
    wait_until(lambda: entry(boot(), "dep").get("outcome") == "ok", what="dep ready")
    b.out.wait_for("ready: 3 services started (boot ")
    assert re.search(r"ready: 3 services started \(boot [\d.]+ ms\); not ready: bad$",
                     b.out.text(), re.M), b.out.text()
    d = boot()
    steps = {s["name"]: s for s in d["steps"]}
    assert {"configuration", "cgroups", "start services", "web", "job", "dep", "bad"} \
        <= set(steps), steps
    for s in d["steps"]:
        assert s["end_us"] >= s["start_us"] >= 0, s
    assert steps["configuration"]["kind"] == "step" and steps["web"]["kind"] == "service"
    assert steps["web"]["exec_us"] >= steps["web"]["start_us"] > 0
    # the critical path: the steps, then dep and what it waited for
    assert steps["dep"]["critical"] and steps["job"]["critical"]
    assert steps["configuration"]["critical"]
    assert not steps["web"]["critical"] and not steps["bad"]["critical"]
    assert steps["dep"]["start_us"] >= steps["job"]["end_us"]
    # the table: sorted by start, critical ones starred
    r = boxctl("boot")
    assert r.returncode == 0, r.stderr
    rows = [t for t in r.stdout.splitlines()[2:]]
    names = [t[1:].split()[4] for t in rows]
    starts = [float(t[1:].split()[0]) for t in rows]
    assert starts == sorted(starts), r.stdout
    assert {"web", "job", "dep", "bad"} <= set(names)
    row = {t[1:].split()[4]: t for t in rows}
    assert row["dep"].startswith("*") and row["job"].startswith("*")
    assert row["web"].startswith(" ") and row["bad"].rstrip().endswith("failed")
    # the SVG: well-formed, one bar per step
    svg = tmp_path / "boot.svg"
    r = boxctl("boot", "--svg", str(svg))
    assert r.returncode == 0, r.stderr
    root = ET.parse(svg).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    bars = [e for e in root.iter(f"{ns}rect") if "bar" in e.get("class", "").split()]
    assert len(bars) == len(d["steps"]), len(bars)
    assert len([e for e in bars if "failed" in e.get("class").split()]) == 1
    assert all(int(e.get("width")) >= 1 for e in bars)
    chromium = shutil.which("chromium")
    if not chromium:
        pytest.skip("no chromium: the SVG was parsed, not rendered")
    png = tmp_path / "boot.png"
    profile = tmp_path / "chromium"
    r = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-quic", "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={profile}", f"--screenshot={png}",
                        "--window-size=1100,400", svg.as_uri()],
                       capture_output=True, text=True, timeout=PATIENCE)
    assert r.returncode == 0 and png.stat().st_size > 1000, r.stderr
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_top_once_and_live_in_tmux(ctl, tmp_path):
    b, boxctl = ctl("""
service.spin.exec = /bin/sh -c "while :; do :; done"
service.spin.cpu = 0.5
service.idle.exec = /bin/sleep 1000
service.idle.memory = 8M
service.idle.health = /bin/true
""")
    wait_state(boxctl, "spin", "running")
    wait_state(boxctl, "idle", "running")
    wait_until(lambda: status(boxctl)["idle"].get("health") == "healthy", what="idle healthy")
    r = boxctl("top", "--once")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "\033" not in r.stdout                  # no terminal control once
    assert lines[1].split() == ["NAME", "STATE", "HEALTH", "PID", "CPU%", "MEM", "LIMIT",
                                "PROCS", "RESTART", "OOM"]
    rows = {t.split()[0]: t.split() for t in lines[2:]}
    assert [t.split()[0] for t in lines[2:]][0] == "spin", r.stdout   # sorted by CPU
    assert float(rows["spin"][4]) > float(rows["idle"][4]) == 0.0, r.stdout
    assert rows["idle"][6] == "8M" and rows["idle"][1] == "running"
    assert rows["idle"][2] == "ok" and rows["spin"][2] == "-", r.stdout     # health
    assert all(len(t) <= 80 for t in lines), lines
    tmux = shutil.which("tmux")
    if not tmux:
        pytest.skip("no tmux: the live view was not driven")
    sock, session = str(tmp_path / "tmux.sock"), "boxctl-top"
    cmd = f"{host_boxinit()} ctl --socket {b.sock} top"

    def t(*args):
        return subprocess.run([tmux, "-S", sock, *args], capture_output=True, text=True,
                              timeout=PATIENCE)
    assert t("new-session", "-d", "-s", session, "-x", "80", "-y", "24", cmd).returncode == 0
    try:
        def screen():
            out = t("capture-pane", "-p", "-t", session).stdout
            return out if "spin" in out and "PROCS" in out else None
        out = wait_until(screen, what="the live view")
        assert all(len(line) <= 80 for line in out.splitlines()), out
        assert out.splitlines()[0].startswith("boxctl top: 2 services")
        t("send-keys", "-t", session, "q")
        wait_until(lambda: t("has-session", "-t", session).returncode != 0,
                   what="top to quit on q")
    finally:
        t("kill-server")


def test_bash_completion(ctl, tmp_path):
    b, boxctl = ctl("""
service.web.exec = /bin/sleep 1000
service.worker.exec = /bin/sleep 1000
service.db.exec = /bin/sleep 1000
""")
    wait_state(boxctl, "db", "running")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    os.symlink(host_boxinit(), bindir / "boxctl")
    script = os.path.join(os.path.dirname(__file__), "..", "..", "doc", "boxctl.bash")

    def complete(*words):
        """COMPREPLY for the command line `boxctl WORDS` (the last: the word
        being completed)."""
        line = " ".join(["boxctl", *words])
        cmd = (f"source {script}; COMP_WORDS=({line}); COMP_CWORD={len(words)}; "
               '_boxctl; printf "%s\\n" "${COMPREPLY[@]}"')
        r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True,
                           timeout=PATIENCE, env={**os.environ, "PATH": f"{bindir}:/usr/bin:/bin"})
        assert r.returncode == 0, r.stderr
        return sorted(t for t in r.stdout.splitlines() if t)
    assert complete("st") == ["start", "status", "stop"]
    assert complete("--socket", b.sock, "re") == ["reboot", "reload", "restart"]
    assert complete("--socket", b.sock, "stop", "w") == ["web", "worker"]
    assert complete("--socket", b.sock, "status", "") == ["db", "web", "worker"]
    assert complete("--socket", b.sock, "top", "--") == ["--once"]
    assert complete("events", "-") == ["--json", "-f"]


def test_log_remote_size_and_files(ctl, tmp_path):
    """log_remote: every line also goes to a collector (here one on this
    machine's loopback) as RFC 5424 syslog; log_size and log_files rotate
    the service's log files (in --log-dir, which wins over log_dir)."""
    coll = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # syslog over UDP drops what the collector's queue cannot hold: the
    # burst below (400 lines, ~1 KiB of queue each) overflowed the default
    # ~208 KiB when this test was slow to read on a loaded machine (33:
    # SO_RCVBUFFORCE, asm-generic/socket.h; root may pass rmem_max)
    coll.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), 16 << 20)
    coll.bind(("127.0.0.1", 0))
    coll.settimeout(PATIENCE)
    port = coll.getsockname()[1]
    b, boxctl = ctl(f"""
log_remote = 127.0.0.1:{port}
log_dir = {tmp_path / "not-this-one"}
log_size = 4K
log_files = 3
service.talk.exec = /bin/sh -c "echo hello-remote; i=0; while [ $i -lt 400 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; exec sleep 1000"
""")
    got = []
    try:
        def heard(pred):
            """The first datagram so far, or to come, that pred accepts."""
            while True:
                for msg in got:
                    if pred(msg):
                        return msg
                got.append(coll.recv(4096).decode())
        m = heard(lambda t: t.endswith(" talk - - - hello-remote"))
        assert re.match(r"^<30>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "
                        + re.escape(socket.gethostname()) + " talk - - - hello-remote$", m), m
        heard(lambda t: " boxinit - - - talk: started (pid " in t)
        heard(lambda t: "line-399-" in t)
    finally:
        coll.close()
    # the files: NAME.log and two rotated ones, each within log_size
    logs = pathlib.Path(b.logs)
    wait_until(lambda: (logs / "talk.log.2").exists(), what="two rotations")
    assert not (logs / "talk.log.3").exists()
    for f in ("talk.log", "talk.log.1", "talk.log.2"):
        assert (logs / f).stat().st_size <= 4096, f
    assert (logs / "boxinit.log").exists()
    assert not (tmp_path / "not-this-one").exists()


def test_log_dir_from_the_config(supervisor, tmp_path):
    logs = tmp_path / "cfglogs"
    b = supervisor(f"log_dir = {logs}\nservice.talk.exec = /bin/sh -c \"echo hi; exec sleep 1000\"\n",
                   args=("--socket", str(tmp_path / "s.sock")))
    b.out.wait_for("talk: hi")
    wait_until(lambda: (logs / "talk.log").exists() and "talk: hi" in (logs / "talk.log").read_text(),
               what="talk.log in log_dir")


def exchange(a, b):
    """Swap two paths in one step: renameat2(2) RENAME_EXCHANGE."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.renameat2(-100, os.fsencode(a), -100, os.fsencode(b), 2) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), a)


def test_a_container_cloned_ahead_starts_on_the_tree_as_it_is_then(ctl, tmp_path):
    """The container cloned ahead during a back-off has made its mounts
    already (its root is the service's), yet its start sees the tree as it
    is then: the root and a bind source swapped for others, a mount made
    below a bind source, or boxinit's config file replaced (a rename
    uncovers the mask on it in every other mount namespace) since the
    clone. boxinit notes what the mounts came from and checks it before
    "go", and clones a fresh container if any of it changed."""
    for name, tag in (("flip", "ROOT-A"), ("flip.other", "ROOT-B")):
        make_rootfs(str(tmp_path / name), "")
        (tmp_path / name / "which").write_text(tag + "\n")
    for name, tag in (("data", "DATA-A"), ("data.other", "DATA-B")):
        (tmp_path / name / "sub").mkdir(parents=True)
        (tmp_path / name / "which").write_text(tag + "\n")
    sub = tmp_path / "data" / "sub"
    conf_name = "boxinit0.conf"         # the supervisor fixture's first config
    b, boxctl = ctl(f"""
service.flip.root = {tmp_path}/flip
service.flip.bind = {tmp_path}/data:/data {tmp_path}:/host:ro
service.flip.restart_max = 100
service.flip.exec = /bin/sh -c 'echo "seen $(cat /which) $(cat /data/which) $(cat /data/sub/which 2>/dev/null || echo none) $(cat /host/{conf_name} | wc -c)"; exit 3'
""")
    assert b.config_path == str(tmp_path / conf_name)
    procs = os.path.join(b.cgroups.path("pids", f"boxinit-{b.proc.pid}", "flip"),
                         "cgroup.procs")

    def seen():
        return [t[len("flip: seen "):] for _, t in
                b.out.matching(lambda t: t.startswith("flip: seen "))]

    def mounted_ahead():
        """(restarts,) of a back-off whose container, cloned ahead, has
        made its mounts (its root, seen through /proc, has /which), once
        every run so far has printed its line; else None."""
        st = status(boxctl)["flip"]
        if st["state"] != "backoff" or len(seen()) != st["restarts"] + 1:
            return None
        with open(procs) as f:
            pids = f.read().split()
        if len(pids) != 1 or not os.path.exists(f"/proc/{pids[0]}/root/which"):
            return None
        return (st["restarts"],)

    def in_one_backoff(toggle):
        """toggle() the tree while a container cloned ahead waits, until
        one toggle is seen to fall inside a back-off (the same restart
        count before and after: the next run starts after it). Returns
        that run's index in seen() and what toggle() said it must see."""
        for _ in range(10):
            restarts, = wait_until(mounted_ahead, what="flip's container ahead, mounted",
                                   interval=0.02)
            want = toggle()
            st = status(boxctl)["flip"]
            if st["state"] == "backoff" and st["restarts"] == restarts:
                return restarts + 1, want
        raise AssertionError("no toggle fell inside a back-off")

    state = {"swapped": False, "mounted": False}

    def swap():
        exchange(tmp_path / "flip", tmp_path / "flip.other")
        exchange(tmp_path / "data", tmp_path / "data.other")
        state["swapped"] = not state["swapped"]
        return "ROOT-B DATA-B none 0" if state["swapped"] else "ROOT-A DATA-A none 0"

    def mount_below():
        if state["mounted"]:
            subprocess.run(["umount", str(sub)], check=True)
        else:
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(sub)],
                           check=True)
            (sub / "which").write_text("SUB\n")
        state["mounted"] = not state["mounted"]
        return "ROOT-B DATA-B SUB 0" if state["mounted"] else "ROOT-B DATA-B none 0"

    def replace_config():
        """As an editor saves: a new file renamed over the old one."""
        new = tmp_path / (conf_name + ".new")
        new.write_text(pathlib.Path(b.config_path).read_text())
        os.rename(new, b.config_path)
        return "ROOT-B DATA-B SUB 0" if state["mounted"] else "ROOT-B DATA-B none 0"

    try:
        b.out.wait_for("flip: seen ROOT-A DATA-A none 0")
        for toggle in (swap, mount_below, replace_config):
            if toggle is not swap and not state["swapped"]:
                swap()          # a toggle outside a back-off: back to B
            at, want = in_one_backoff(toggle)
            wait_until(lambda: len(seen()) > at, what=f"flip's run {at + 1}")
            assert seen()[at] == want, (at, seen())
    finally:
        if os.path.ismount(sub):
            subprocess.run(["umount", "-l", str(sub)], check=False)


def test_a_container_cloned_ahead_keeps_no_disk_from_being_unmounted(ctl, tmp_path):
    """While a container cloned ahead waits out a back-off, the disk one of
    its binds comes from can still be unmounted in boxinit's namespace:
    boxinit notes what the mounts come from, it holds nothing open."""
    make_rootfs(str(tmp_path / "root"), "")
    (tmp_path / "root" / "photos").mkdir()
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)], check=True)
    try:
        (disk / "photos").mkdir()
        b, boxctl = ctl(f"""
service.shots.root = {tmp_path}/root
service.shots.bind = {disk}/photos:/photos
service.shots.restart_max = 100
service.shots.exec = /bin/sh -c 'echo shot; sleep 0.2; exit 3'
""")
        procs = os.path.join(b.cgroups.path("pids", f"boxinit-{b.proc.pid}", "shots"),
                             "cgroup.procs")

        def mounted_ahead():
            st = status(boxctl)["shots"]
            if st["state"] != "backoff":
                return None
            with open(procs) as f:
                pids = f.read().split()
            return len(pids) == 1 and os.path.exists(f"/proc/{pids[0]}/root/photos") \
                and os.path.ismount(f"/proc/{pids[0]}/root/photos") or None

        b.out.wait_for("shots: shot")
        wait_until(mounted_ahead, what="shots' container ahead, with its bind", interval=0.02)
        r = subprocess.run(["umount", str(disk)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert not os.path.ismount(disk)
    finally:
        if os.path.ismount(disk):
            subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_backoff_clones_the_next_container_ahead_and_runs_nothing_early(ctl):
    """While a service backs off, its next start's container is cloned and
    waits in the service's cgroups (the clone and the cgroup migration are
    then done when the back-off ends: make bench, restart latency): one
    process, boxinit's own code, never the service's before its time. A
    stop gives it up (the cgroup empties); a reload that changes the
    service starts the new configuration, not the one cloned ahead."""
    b, boxctl = ctl('service.flap.exec = /bin/sh -c "echo flap-run; exit 3"\n')
    procs = os.path.join(b.cgroups.path("pids", f"boxinit-{b.proc.pid}", "flap"),
                         "cgroup.procs")

    def pids():
        with open(procs) as f:
            return f.read().split()

    def in_backoff():
        """The cgroup's pids, read within one back-off (same restart count
        before and after) once the container cloned ahead has joined it,
        or None. The clone's reaper joins the v1 cgroups itself, after the
        state turned "backoff" (each join may wait for an RCU grace
        period): an empty read is that window, not yet the answer."""
        before = status(boxctl)["flap"]
        if before["state"] != "backoff":
            return None
        seen = pids()
        after = status(boxctl)["flap"]
        same = after["state"] == "backoff" and after["restarts"] == before["restarts"]
        return (seen,) if same and seen else None
    seen, = wait_until(in_backoff, what="flap in a back-off", interval=0.02)
    assert len(seen) == 1, seen
    # boxinit's binary (the clone waiting for "go"), not /bin/sh
    assert os.readlink(f"/proc/{seen[0]}/exe") == os.readlink(f"/proc/{b.proc.pid}/exe")
    r = boxctl("stop", "flap")
    assert r.returncode == 0, r.stderr
    wait_state(boxctl, "flap", "stopped")
    wait_until(lambda: pids() == [], what="flap's cgroup empty after the stop")
    # a changed configuration during a back-off: the new one starts
    r = boxctl("start", "flap")
    assert r.returncode == 0, r.stderr
    wait_until(in_backoff, what="flap in a back-off again", interval=0.02)
    with open(b.config_path, "w") as f:
        f.write('service.flap.exec = /bin/sh -c "echo flap-new; exec sleep 1000"\n')
    r = boxctl("reload")
    assert r.returncode == 0, r.stderr
    b.out.wait_for("flap: flap-new")
    wait_state(boxctl, "flap", "running")
    wait_until(lambda: len(pids()) == 2, what="flap's reaper and service")
