"""Readiness (ready = fd:N, ready = notify) and health checks (health = CMD).

boxinit is PID 1 of a sandbox (sandbox.py); the services are containers.
tests/system/sdnotify.c, built static, is the sd_notify client (busybox
has no Unix datagram client). The tests drive the services through files
in the sandbox root, which a container without root = sees read-only
(and /data, bound in read-write where a service must write): every wait
is for a line or a state, never a fixed time.
"""
import json
import os
import shutil
import subprocess
import time

import pytest

import sandbox as sb
from sandbox import PATIENCE, wait_until
from test_container import MARKER, containers, service_root  # noqa: F401 (fixture)

SDNOTIFY_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sdnotify.c")


@pytest.fixture(scope="module")
def sdnotify(tmp_path_factory):
    if not shutil.which("musl-gcc"):
        pytest.skip("musl-gcc is needed to build the sd_notify client")
    out = str(tmp_path_factory.mktemp("sdnotify") / "sdnotify")
    subprocess.run(["musl-gcc", "-static", "-O2", "-Wall", "-Werror", "-o", out,
                    SDNOTIFY_SRC], check=True)
    return out


def boxctl(b, *args):
    """boxctl run inside boxinit's namespaces, as an operator."""
    return subprocess.run(["nsenter", "-t", str(b.boxinit_pid()), "-p", "-m", "-r", "-w",
                           "/bin/boxctl", *args], capture_output=True, text=True,
                          timeout=PATIENCE)


def status(b):
    r = boxctl(b, "--json", "status")
    assert r.returncode == 0, r.stderr
    return {s["name"]: s for s in json.loads(r.stdout)["services"]}


def table_row(b, name):
    """The columns of NAME's row in `boxctl status`, by the header's names
    (REASON: the rest of the line)."""
    r = boxctl(b, "status")
    head, *rows = r.stdout.splitlines()
    cols = head.split()
    row = [x for x in rows if x.startswith(name + " ")][0]
    at = head.index("REASON")
    values = row[:at].split()
    if "unhealthy" in values:               # "unhealthy 1/3" is one value
        i = values.index("unhealthy")
        values[i:i + 2] = [" ".join(values[i:i + 2])]
    return dict(zip(cols, values + [row[at:].strip()]))


def touch(b, rel, text=""):
    """Create ROOT/REL atomically (a service polls for it)."""
    path = os.path.join(b.root, rel.lstrip("/"))
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


def with_sdnotify(sdnotify):
    def setup(root):
        shutil.copy2(sdnotify, os.path.join(root, "bin/sdnotify"))
        os.makedirs(os.path.join(root, "data"), exist_ok=True)
    return setup


# ---- ready = fd:N -----------------------------------------------------------

def test_fd_ready_late_holds_back_dependents_and_the_boot(containers):
    b = containers("""
service.slow.exec = /bin/sh -c 'echo waiting; until [ -e /go ]; do sleep 0.05; done; echo ready >&3; exec sleep 1000'
service.slow.ready = fd:3
service.dep.exec = /bin/sleep 1000
service.dep.after = slow
""")
    b.out.wait_for("slow: waiting")
    # it exec'd long ago; dep waits for its line, and so does the boot
    assert status(b)["dep"]["state"] == "starting"
    assert status(b)["slow"]["state"] == "running"
    text = b.out.text()
    assert "dep: started" not in text and "boxinit: ready:" not in text, text
    touch(b, "go")
    b.out.wait_for("dep: started")
    b.out.wait_for("ready: 2 services started (boot ")


def test_fd_ready_at_any_number_the_line_may_come_in_pieces(containers):
    """fd:N whatever N collides with in the child (the error pipe, the
    output pipe, the reaper's binary); the "\\n" may come in a later write;
    EOF without a line is not ready."""
    conf = ""
    for n in (3, 4, 5, 6, 7, 8, 9, 1023):
        conf += f"""
service.n{n}.exec = /bin/sh -c 'printf rea > /proc/self/fd/{n}; printf "dy\\n" > /proc/self/fd/{n}; exec sleep 1000'
service.n{n}.ready = fd:{n}
"""
    conf += """
service.closed.exec = /bin/sh -c 'exec 3>&-; exec sleep 1000'
service.closed.ready = fd:3
service.closed.ready_timeout = 1s
service.closed.restart = no
"""
    b = containers(conf)
    b.out.wait_for("closed: not ready within 1 s: killing it")
    b.out.wait_for("ready: 8 services started (boot ")
    assert "not ready: closed" in b.out.text()


def test_fd_ready_then_crash_must_be_ready_again(containers):
    b = containers("""
service.flap.exec = /bin/sh -c '[ -e /data/ran ] && exec sleep 1000; touch /data/ran; echo ready >&3; until [ -e /crash ]; do sleep 0.05; done; exit 1'
service.flap.ready = fd:3
service.flap.ready_timeout = 500ms
service.flap.bind = /data:/data
service.dep.exec = /bin/sleep 1000
service.dep.after = flap
""", setup=lambda root: os.makedirs(os.path.join(root, "data")))
    b.out.wait_for("dep: started")
    touch(b, "crash")
    b.out.wait_for("flap: exited with status 1; restarting in 100 ms")
    # the second run says nothing: not ready, however ready the first was
    b.out.wait_for("flap: not ready within 500 ms: killing it")
    b.out.wait_for("flap: not ready within 500 ms; restarting in")
    assert status(b)["dep"]["state"] == "running"      # a restart, not a stop


# ---- ready = notify -----------------------------------------------------------

NOTIFY_WEB = """#!/bin/sh
echo "socket $NOTIFY_SOCKET"
sdnotify "STATUS=warming up"
until [ -e /go ]; do sleep 0.05; done
sdnotify --size=5000
echo marker > /tmp/passed-fd
sdnotify "--fd=STATUS=with an fd" < /tmp/passed-fd
sdnotify "$(printf 'MAINPID=1\\nREADY=1\\nSTATUS=serving \\033[31mred\\033[0m')"
echo notified
exec sleep 1000
"""


@pytest.mark.parametrize("mode", sb.MODES)
@pytest.mark.parametrize("own_root", [False, True])
def test_notify_ready_and_status(containers, sdnotify, own_root, mode):
    svc = "/srv/web" if own_root else ""

    def setup(root):
        with_sdnotify(sdnotify)(root)
        top = os.path.join(root, svc.lstrip("/"))
        if own_root:
            service_root(root, "web")
            shutil.copy2(sdnotify, os.path.join(top, "bin/sdnotify"))
        with open(os.path.join(top, "bin/notify-web"), "w") as f:
            f.write(NOTIFY_WEB)
        os.chmod(os.path.join(top, "bin/notify-web"), 0o755)
    b = containers(f"""
service.web.exec = /bin/notify-web
service.web.ready = notify
service.web.user = 1000:1000
{"service.web.root = /srv/web" if own_root else ""}
service.dep.exec = /bin/sleep 1000
service.dep.after = web
""", setup=setup, mode=mode)
    b.out.wait_for("web: socket /tmp/.boxinit-notify")
    wait_until(lambda: status(b)["web"]["status_text"] == "warming up", what="STATUS=")
    assert status(b)["dep"]["state"] == "starting"
    assert table_row(b, "web")["REASON"] == "warming up"
    touch(b, svc + "/go")
    b.out.wait_for("dep: started")
    b.out.wait_for("web: notified")
    b.out.wait_for("web: notify: a datagram of 5000 bytes dropped (at most 4096)")
    s = status(b)["web"]
    assert s["status_text"] == "serving ?[31mred?[0m", s        # sanitized
    assert s["health"] is None
    # the fd that came along was never installed in boxinit
    top = b.boxinit_pid()
    links = []
    for fd in os.listdir(f"/proc/{top}/fd"):
        try:
            links.append(os.readlink(f"/proc/{top}/fd/{fd}"))
        except FileNotFoundError:
            pass                        # closed meanwhile (a boxctl client)
    assert not [x for x in links if "passed-fd" in x], links
    # the socket lives in boxinit's log directory, nowhere in the host tree
    assert not os.path.exists(os.path.join(b.root, "tmp/.boxinit-notify"))
    sock = f"/proc/{top}/root/run/boxinit/.notify/web"      # /run: boxinit's tmpfs
    assert os.path.exists(sock)
    assert os.stat(os.path.dirname(sock)).st_mode & 0o777 == 0o700
    boxctl(b, "stop", "web")
    b.out.wait_for("web: stopped")
    assert not os.path.exists(sock)


def test_notify_socket_is_the_services_own(containers, sdnotify):
    """Each service reaches its own socket only: the others' are masked
    with the log directory."""
    b = containers("""
service.a.exec = /bin/sh -c 'ls -a /run/boxinit/ 2>&1 | tr "\\n" " "; echo; exec sleep 1000'
service.a.ready = notify
service.a.ready_timeout = 0
service.b.exec = /bin/sh -c 'sdnotify READY=1; exec sleep 1000'
service.b.ready = notify
service.after_a.exec = /bin/sleep 1000
service.after_a.after = a
service.after_b.exec = /bin/sleep 1000
service.after_b.after = b
""", setup=with_sdnotify(sdnotify))
    b.out.wait_for("after_b: started")
    line = b.out.wait_for(lambda t: t.startswith("a: ") and "." in t)[0][1]
    assert line == "a: . .. ", line             # the log directory is masked
    assert status(b)["after_a"]["state"] == "starting"


# ---- health = CMD --------------------------------------------------------------

# Each check waits for the test's verdict in /data/verdict (one at a time):
# a check's outcome, and what boxctl shows meanwhile, are the test's to set.
VERDICT_CHECK = ("/bin/sh -c 'until [ -e /data/verdict ]; do sleep 0.02; done; "
                 "v=$(cat /data/verdict); rm /data/verdict; echo checking; "
                 "echo \"verdict $v\"; [ \"$v\" = ok ]'")


def test_health_pass_fail_and_restart_with_the_reason(containers):
    b = containers(f"""
service.web.exec = /bin/sleep 1000
service.web.bind = /data:/data
service.web.health = {VERDICT_CHECK}
service.web.health_interval = 100ms
service.web.health_timeout = 60s
service.web.health_retries = 3
service.other.exec = /bin/sleep 1000
""", setup=lambda root: os.makedirs(os.path.join(root, "data")))
    b.out.wait_for("web: started")
    assert status(b)["web"]["health"] == "starting"
    assert status(b)["other"]["health"] is None
    assert table_row(b, "other")["HEALTH"] == "-"

    def verdict(v, line):
        touch(b, "data/verdict", v)
        b.out.wait_for(line)
        # the next check waits for its verdict: the state holds still
        wait_until(lambda: not os.path.exists(os.path.join(b.root, "data/verdict")),
                   what="the verdict taken")

    verdict("bad", "web: health check failed (1/3): verdict bad")
    assert status(b)["web"]["health"] == "unhealthy 1/3"
    assert table_row(b, "web")["HEALTH"] == "unhealthy 1/3"
    verdict("ok", "web: healthy")
    assert status(b)["web"]["health"] == "healthy"
    pid = status(b)["web"]["pid"]
    for n in (1, 2):
        verdict("bad", f"web: health check failed ({n}/3): verdict bad")
    touch(b, "data/verdict", "bad")
    b.out.wait_for("web: health check failed (3/3): verdict bad")
    b.out.wait_for("web: unhealthy: verdict bad: killing it")
    b.out.wait_for("web: unhealthy: verdict bad; restarting in 100 ms")
    # a new run, a new pid, no verdict yet
    wait_until(lambda: status(b)["web"]["pid"] not in (0, pid), what="web restarted")
    assert status(b)["web"]["health"] == "starting"
    assert status(b)["other"]["restarts"] == 0


def in_cgroup_unless_dying(pid, line_end):
    """Whether process @pid's /proc/PID/cgroup has a line ending in
    @line_end. A process gone, or exiting (PF_EXITING, read after the
    cgroup: it is never cleared), counts as in it: on cgroup v1 the kernel
    shows a dying task in the root cgroup."""
    try:
        with open(f"/proc/{pid}/cgroup") as f:
            cg = f.read()
        with open(f"/proc/{pid}/stat") as f:
            st = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return True
    flags = int(st[st.rindex(")") + 2:].split()[6])
    return bool(flags & 0x4) or line_end in cg       # PF_EXITING


def test_health_check_that_hangs_is_killed_and_never_overlaps(containers):
    b = containers("""
service.web.exec = /bin/sleep 1000
service.web.health = /bin/sleep 1001
service.web.health_interval = 100ms
service.web.health_timeout = 300ms
service.web.health_retries = 3
service.web.restart = no
""")
    b.out.wait_for("web: started")

    def checks():
        found = []
        for p, (_, _, comm) in b.descendants().items():
            try:
                if comm == "sleep" and open(f"/proc/{p}/cmdline").read() == \
                        "/bin/sleep\0" "1001\0":
                    found.append(p)
            except OSError:
                pass                    # gone meanwhile
        return found
    # sample the processes until the verdict: never two checks at once
    most = 0
    deadline = time.monotonic() + PATIENCE
    while "web: unhealthy: timed out after 300 ms; not restarted" not in b.out.text():
        assert time.monotonic() < deadline, b.out.text()
        now = checks()
        assert len(now) <= 1, now
        most = max(most, len(now))
        for p in now:                   # in its service's cgroup
            assert in_cgroup_unless_dying(p, "/boxinit/web\n")
        time.sleep(0.01)
    for n in (1, 2, 3):
        assert f"web: health check failed ({n}/3): timed out after 300 ms" in b.out.text()
    assert most == 1
    # nothing of the checks is left
    wait_until(lambda: not [p for p, (_, _, c) in b.descendants().items() if c == "sleep"],
               what="every sleep gone")


def test_health_check_leaves_nothing_behind(containers):
    """What a check started goes with it: the background child of a check
    that timed out, and that of a check that ended on its own, are killed
    with the check's process group (the service itself runs on)."""
    b = containers("""
service.web.exec = /bin/sleep 1000
service.web.health = /bin/sh -c "/bin/sleep 1002 & /bin/sleep 1003 & exec /bin/sleep 1001"
service.web.health_interval = 1h
service.web.health_timeout = 300ms
service.web.health_retries = 100
service.late.exec = /bin/sleep 1000
service.late.health = /bin/sh -c "/bin/sleep 1004 & exit 0"
service.late.health_interval = 1h
""")
    b.out.wait_for("web: health check failed (1/100): timed out after 300 ms")

    def sleeping(arg):
        found = []
        for p, (_, _, comm) in b.descendants().items():
            try:
                if comm == "sleep" and open(f"/proc/{p}/cmdline").read() == \
                        f"/bin/sleep\0{arg}\0":
                    found.append(p)
            except OSError:
                pass                    # gone meanwhile
        return found
    wait_until(lambda: not sleeping("1002") and not sleeping("1003") and
               not sleeping("1001"), what="the timed-out check's processes gone")
    b.out.wait_for("late: healthy")
    wait_until(lambda: not sleeping("1004"), what="the ended check's child gone")
    assert len(sleeping("1000")) == 2, b.out.text()     # the services run on


@pytest.mark.parametrize("mode", sb.MODES)
def test_health_check_runs_inside_the_container(containers, mode):
    """The check sees what its service sees: hostname, root, user, pid and
    cgroup namespaces, no network but lo, its capabilities, no_new_privs
    and seccomp, its environment and working directory; nothing of the
    host's. In every way the container's root may have been entered
    (pivot_root, or MS_MOVE + chroot where boxinit's root is no mount)."""
    # one line (the verdict keeps the last, cut at 119 bytes)
    facts = ("echo h=$(hostname) u=$(id -u):$(id -g) r=$(cat /whoami) "
             "m=$(ls /" + MARKER + " 2>/dev/null | wc -l) i=$(cat /proc/1/comm) "
             "cg=$(grep -c boxinit /proc/self/cgroup) if=$(tail -n +3 /proc/net/dev | wc -l) "
             "cap=$(sed -n 's/^CapEff:\\t//p' /proc/self/status) "
             "nnp=$(sed -n 's/^NoNewPrivs:\\t//p' /proc/self/status) "
             "sc=$(sed -n 's/^Seccomp:\\t//p' /proc/self/status) l=$LANG d=$(pwd)")

    def setup(root):
        service_root(root, "web")
        os.makedirs(os.path.join(root, "srv/web/work"))
        with open(os.path.join(root, "srv/web/whoami"), "w") as f:
            f.write("web-root\n")
        with open(os.path.join(root, "srv/web/bin/facts"), "w") as f:
            f.write("#!/bin/sh\n" + facts + "\nexit 1\n")
        os.chmod(os.path.join(root, "srv/web/bin/facts"), 0o755)
    b = containers("""
service.web.root = /srv/web
service.web.hostname = box-web
service.web.user = 1000:1001
service.web.workdir = /work
service.web.env.LANG = C.UTF-8
service.web.exec = /bin/sleep 1000
service.web.health = /bin/facts
service.web.health_retries = 1
service.web.restart = no
""", setup=setup, mode=mode)
    line = b.out.wait_for("web: health check failed (1/1): ")[0][1]
    got = dict(kv.split("=", 1) for kv in line.split("(1/1): ", 1)[1].split())
    assert got == {
        "h": "box-web", "u": "1000:1001", "r": "web-root", "m": "0", "i": "init",
        "cg": "0", "if": "1", "cap": "0000000020000420", "nnp": "1", "sc": "2",
        "l": "C.UTF-8", "d": "/work",
    }, line
    b.out.wait_for("web: unhealthy: h=box-web")


def test_health_check_that_cannot_start_is_a_failure(containers):
    b = containers("""
service.web.exec = /bin/sleep 1000
service.web.health = /bin/no-such-check
service.web.health_retries = 1
service.web.restart = no
""")
    b.out.wait_for("web: health check failed (1/1): exec /bin/no-such-check: "
                   "No such file or directory")
    b.out.wait_for("web: unhealthy: exec /bin/no-such-check: No such file or "
                   "directory; not restarted (restart = no)")


def proc_status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def find_pid(args):
    """The host pid of the process whose command line is ARGS, or None."""
    want = "\0".join(args) + "\0"
    for d in os.listdir("/proc"):
        try:
            with open(f"/proc/{d}/cmdline") as f:
                if d.isdigit() and f.read() == want:
                    return int(d)
        except OSError:
            pass
    return None


@pytest.mark.parametrize("user", ["1000:1000", None])
def test_health_check_holds_no_more_than_its_service(containers, user):
    """The health check's processes, the command in the container and the
    intermediate that entered it, hold the service's user, capabilities,
    no_new_privs and seccomp filter, never boxinit's: a service granted
    sys_ptrace could otherwise attach to one before it dropped them."""
    b = containers(f"""
service.web.exec = /bin/sleep 1000
service.web.caps = sys_ptrace
{"service.web.user = " + user if user else ""}
service.web.health = /bin/sleep 1001
service.web.health_interval = 100ms
service.web.health_timeout = 60s
""")
    svc = wait_until(lambda: find_pid(["/bin/sleep", "1000"]), what="the service")
    check = wait_until(lambda: find_pid(["/bin/sleep", "1001"]), what="the health check")
    inter = int(proc_status(check)["PPid"])
    assert inter != b.boxinit_pid()
    assert os.readlink(f"/proc/{check}/fd/0") == "/dev/null"     # its stdin
    want = proc_status(svc)
    for pid in (check, inter):
        got = proc_status(pid)
        for key in ("Uid", "Gid", "CapPrm", "CapEff", "CapBnd", "NoNewPrivs", "Seccomp"):
            assert got[key] == want[key], (pid, key, got[key], want[key])
