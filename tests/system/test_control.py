"""boxctl and the service state machine, as an operator uses them."""
import json
import os
import shutil
import tempfile
import re
import signal
import socket
import subprocess
import time

import pytest

from sandbox import host_boxinit


@pytest.fixture
def ctl(supervisor, tmp_path):
    """ctl(config) -> (boxinit, boxctl(*args) -> CompletedProcess)."""
    sock = str(tmp_path / "ctl.sock")
    logs = str(tmp_path / "log")

    def start(config_text):
        b = supervisor(config_text, args=("--socket", sock, "--log-dir", logs))
        b.sock, b.logs = sock, logs
        b.out.wait_for("ready:")

        def boxctl(*args, user=None, timeout=10):
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


def wait_state(boxctl, name, state, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        s = status(boxctl)[name]
        if s["state"] == state:
            return s
        assert time.monotonic() < deadline, s
        time.sleep(0.05)


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
    assert head.split()[:9] == ["NAME", "STATE", "PID", "UPTIME", "RESTARTS", "OOM",
                                "CPU", "MEMORY/LIMIT", "ADDRESS"]
    web = [row for row in rows if row.startswith("web ")][0].split()
    assert web[1] == "running" and web[2].isdigit() and web[7].endswith("/16M")
    s = status(boxctl)
    assert s["web"]["state"] == "running" and s["web"]["pid"] > 0
    assert s["web"]["memory_limit"] == 16 << 20
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
    b.out.wait_for("loop: exited with status 4; crash loop: 2 restarts within 60000 ms: giving up")
    s = wait_state(boxctl, "loop", "failed")
    assert "crash loop" in s["reason"]
    time.sleep(0.5)
    assert b.out.text().count("loop: started") == 3
    assert boxctl("start", "loop").returncode == 0
    b.out.wait_for("loop: started", count=4)


def test_stop_timeout_sends_sigkill(ctl):
    b, boxctl = ctl("""
service.stubborn.exec = /bin/sh -c "trap '' TERM; echo up; while :; do sleep 0.05; done"
service.stubborn.stop_timeout = 300ms
""")
    b.out.wait_for("stubborn: up")
    t0 = time.monotonic()
    boxctl("stop", "stubborn")
    b.out.wait_for("stubborn: still running 300 ms after signal 15: sending SIGKILL")
    b.out.wait_for("stubborn: stopped (killed by signal 9")
    assert time.monotonic() - t0 < 3


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
    assert [t.split()[1] for t in starts][:3] == ["db:", "app:", "web:"]
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
    deadline = time.monotonic() + 20
    path = os.path.join(b.logs, "talk.log")
    while time.monotonic() < deadline:
        r = boxctl("log", "talk", "-n", "2")
        if "line 1499" in r.stdout:
            break
        time.sleep(0.1)
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
                                  capture_output=True, text=True, timeout=10,
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
    t0 = time.monotonic()
    assert boxctl("status").returncode == 0   # answered despite them
    assert time.monotonic() - t0 < 2
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
    s = status(boxctl)
    assert s["keep"]["pid"] == before["keep"]["pid"]
    assert after["pid"] != before["change"]["pid"]
    assert "gone" not in s
    b.out.wait_for("gone: removed")
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
    time.sleep(0.5)

    def switches():
        with open(f"/proc/{b.proc.pid}/status") as f:
            return [l for l in f if "ctxt_switches" in l]
    first = switches()
    time.sleep(10)
    assert switches() == first


def test_output_flood_does_not_stall_boxinit(ctl):
    b, boxctl = ctl("service.flood.exec = /bin/yes flooding\n")
    b.out.wait_for("flood: flooding", count=1000)
    for _ in range(5):
        t0 = time.monotonic()
        assert boxctl("status", "flood", timeout=10).returncode == 0
        assert time.monotonic() - t0 < 2
    b.signal(signal.SIGTERM)
    assert b.wait_exit(timeout=15) == 0


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


def test_stop_during_a_restart_keeps_it_down(ctl):
    b, boxctl = ctl(f"service.x.exec = {STUBBORN}\n")
    wait_state(boxctl, "x", "running")
    boxctl("restart", "x")
    assert boxctl("stop", "x").returncode == 0
    b.out.wait_for("x: stopped")
    time.sleep(0.5)
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
    b.out.wait_for("x: V=A", count=2, timeout=10)
    assert "x: V=B" not in b.out.text()


def test_stop_right_after_start_is_not_lost(ctl):
    # the stop may reach the container before its service exists: the
    # reaper must keep it for the service, not drop it (stop_timeout 20 s
    # would then be the only way down)
    b, boxctl = ctl("service.x.exec = /bin/sleep 1000\nservice.x.stop_timeout = 20s\n")
    wait_state(boxctl, "x", "running")
    for round_ in range(5):
        boxctl("stop", "x")
        wait_state(boxctl, "x", "stopped", timeout=5)
        t0 = time.monotonic()
        boxctl("start", "x")
        boxctl("stop", "x")
        wait_state(boxctl, "x", "stopped", timeout=5)
        assert time.monotonic() - t0 < 5
        boxctl("start", "x")
        wait_state(boxctl, "x", "running")
