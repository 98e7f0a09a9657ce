"""Each service in its own container: namespaces, its own rootfs, least privilege.

boxinit runs as PID 1 of a sandbox (see sandbox.py); the services below run
in containers whose root is a busybox rootfs under /srv/NAME of the sandbox,
and print what they see. The plain sandbox is a chroot whose root is not a
mount point, where pivot_root(2) fails with EINVAL as it does on an
initramfs: there boxinit uses MS_MOVE + chroot. The "mounted-root" and
"real-root" modes (sandbox.MODES) make the sandbox root a mount point, so
that pivot_root(2) itself is used; in "real-root" it is also the top of
boxinit's mount namespace.
"""
import os
import re
import signal
import subprocess
import time

import pytest

import sandbox as sb

MARKER = "host-marker-7c1d"
DEFAULT_CAPS = 0x20000420      # CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE
MINIMAL_DEV = {"null", "zero", "full", "random", "urandom", "tty", "pts", "shm",
               "ptmx", "fd", "stdin", "stdout", "stderr"}


def service_root(root, name):
    """A busybox rootfs at ROOT/srv/NAME: busybox hard-linked, applet links."""
    top = os.path.join(root, "srv", name)
    for d in ("bin", "etc", "dev", "proc", "sys", "tmp", "mnt"):
        os.makedirs(os.path.join(top, d), exist_ok=True)
    os.link(os.path.join(root, "bin/busybox"), os.path.join(top, "bin/busybox"))
    for a in os.listdir(os.path.join(root, "bin")):
        if a != "busybox" and os.path.islink(os.path.join(root, "bin", a)):
            os.symlink("busybox", os.path.join(top, "bin", a))
    with open(os.path.join(top, "etc/passwd"), "w") as f:
        f.write("root:x:0:0:root:/:/bin/sh\n")
    return top


@pytest.fixture
def containers(tmp_path):
    """containers(config, roots=(), mode="chroot") -> Boxinit; each name in
    roots gets a rootfs at /srv/NAME; the sandbox root holds MARKER. @mode:
    one of sandbox.MODES (pivot=True, of before, is "mounted-root"); @pre:
    shell commands run in the sandbox's mount namespace first ($0 is the
    root), gone with it."""
    started = []

    def start(config_text, roots=(), pivot=False, setup=None, pre="", mode=None):
        root = sb.make_rootfs(str(tmp_path / f"root{len(started)}"), config_text)
        with open(os.path.join(root, MARKER), "w") as f:
            f.write("host\n")
        for name in roots:
            service_root(root, name)
        if setup:
            setup(root)
        cg = sb.TestCgroups(sb.unique_tag("boxinit-test-c"))
        b = sb.Boxinit.sandbox(root, cgroups=cg, pre=pre,
                               mode=mode or ("mounted-root" if pivot else "chroot"))
        started.append(b)
        return b

    if os.geteuid() != 0:
        pytest.skip("the sandbox needs root (namespaces, chroot)")
    yield start
    for b in started:
        b.close()


def lines(b, prefix):
    return [t[len(prefix):] for _, t in b.out.matching(lambda t: t.startswith(prefix))]


def reaper_of(b, timeout=sb.PATIENCE):
    """Host pid of a container's reaper: a child of boxinit also named init."""
    top = b.boxinit_pid()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid, (_, ppid, comm) in b.descendants().items():
            if ppid == top and comm == "init":
                return pid
        time.sleep(0.05)
    raise AssertionError("no container reaper found")


def reaper_of_service(b, name, timeout=sb.PATIENCE):
    """Host pid of service NAME's reaper: the one in its cgroup."""
    top = b.boxinit_pid()

    def find():
        for pid, (_, ppid, comm) in b.descendants().items():
            try:
                with open(f"/proc/{pid}/cgroup") as f:
                    mine = f"/boxinit/{name}\n" in f.read()
            except OSError:
                continue
            if ppid == top and comm == "init" and mine:
                return pid
        return None
    return sb.wait_until(find, timeout, f"the reaper of {name}", interval=0.05)


# Reads mountinfo from the top of a process's mount namespace: setns(2) into
# it (root and cwd go to the namespace's top), then the host's /proc, opened
# before, for "self".
NS_READER = r"""
import ctypes, os, sys
proc = os.open("/proc", os.O_RDONLY | os.O_DIRECTORY)
ns = os.open("/proc/%s/ns/mnt" % sys.argv[1], os.O_RDONLY)
if ctypes.CDLL(None, use_errno=True).setns(ns, 0x00020000) != 0:
    sys.exit("setns: " + os.strerror(ctypes.get_errno()))
fd = os.open("self/mountinfo", os.O_RDONLY, dir_fd=proc)
data = b""
while True:
    chunk = os.read(fd, 65536)
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode())
"""


def ns_mounts(pid):
    """(mount point, type) of every mount in PID's mount namespace, seen
    from the namespace's top (not the process's root), covered ones
    included."""
    r = subprocess.run(["/usr/bin/python3", "-c", NS_READER, str(pid)],
                       capture_output=True, text=True, check=True)
    out = []
    for line in r.stdout.splitlines():
        left, right = line.split(" - ", 1)
        out.append((left.split()[4], right.split()[0]))
    return out


# ---- PID namespace and the reaper --------------------------------------------

def test_service_is_pid_2_under_a_reaper_and_sees_only_its_container(containers):
    b = containers("""
service.web.root = /srv/web
service.web.exec = /bin/sh -c 'echo "SELF $$ PARENT $PPID"; for p in /proc/[0-9]*; do read s < $p/stat; echo "PROC $s"; done; echo done; exec sleep 1000'
service.other.exec = /bin/sh -c "exec sleep 1000"
""", roots=["web"])
    b.out.wait_for("web: done")
    assert lines(b, "web: SELF ") == ["2 PARENT 1"]
    procs = {int(s.split()[0]): s.split()[1] for s in lines(b, "web: PROC ")}
    assert procs[1] == "(init)" and procs[2] == "(sh)", procs
    # the only other process is the one that read its own stat (sh's fork)
    assert set(procs) <= {1, 2} | {p for p in procs if p > 2 and procs[p] == "(sh)"}
    assert "(sleep)" not in procs.values()          # "other" is not visible


def test_orphans_are_reaped_inside_the_container(containers):
    b = containers("""
service.web.root = /srv/web
service.web.exec = /bin/sh -c 'i=0; while [ $i -lt 50 ]; do (sleep 0.2 &); i=$((i+1)); done; echo spawned; t=0; while :; do n=0; z=0; for p in /proc/[0-9]*; do read s < $p/stat 2>/dev/null; case "$s" in *") Z "*) z=$((z+1));; *"(sleep) "*) n=$((n+1));; esac; done; [ $n = 0 ] && [ $z = 0 ] && break; t=$((t+1)); [ $t -ge 1200 ] && break; sleep 0.05; done; echo "ZOMBIES $z SLEEPING $n"; exec sleep 1000'
""", roots=["web"])
    # the service polls its own /proc until the 50 orphans are gone (or
    # 1200 rounds: a minute at least), then reports what is left
    b.out.wait_for("web: ZOMBIES", timeout=180)
    assert lines(b, "web: ZOMBIES ") == ["0 SLEEPING 0"]
    zombies = [p for p, (st, _, _) in b.descendants().items() if st == "Z"]
    assert not zombies
    assert b.out.text().count("web: started") == 1


# ---- mounts -------------------------------------------------------------------

def test_only_the_containers_mounts_and_no_old_root(containers):
    b = containers("""
service.web.root = /srv/web
service.web.exec = /bin/sh -c 'while read dev mp type opts rest; do echo "MNT $mp $type $opts"; done < /proc/mounts; test -e /%s && echo MARKER-VISIBLE; ls /dev | while read d; do echo "DEV $d"; done; echo done; exec sleep 1000'
""" % MARKER, roots=["web"])
    b.out.wait_for("web: done")
    mounts = {m.split()[0]: m.split()[1:] for m in lines(b, "web: MNT ")}
    assert mounts["/"][0] != "tmpfs"
    for mp, fstype in [("/proc", "proc"), ("/sys", "sysfs"), ("/dev", "tmpfs"),
                       ("/dev/pts", "devpts"), ("/dev/shm", "tmpfs"), ("/tmp", "tmpfs"),
                       ("/dev/null", "devtmpfs")]:
        assert mounts[mp][0] == fstype, (mp, mounts)
    assert mounts["/sys"][1].startswith("ro,")
    assert mounts["/proc/sys"][1].startswith("ro,")
    allowed = re.compile(r"^/$|^/(proc|sys|dev|tmp)(/|$)")
    assert all(allowed.match(mp) for mp in mounts), sorted(mounts)
    assert "web: MARKER-VISIBLE" not in b.out.text()
    # a minimal /dev: none of the host's other devices
    assert set(lines(b, "web: DEV ")) == MINIMAL_DEV
    for d in ("vda", "sda", "loop0", "kmsg", "mem"):
        assert d not in lines(b, "web: DEV ")


@pytest.mark.parametrize("mode", sb.MODES)
def test_pivot_root_leaves_nothing_of_the_old_tree(containers, mode):
    # boxinit in a chroot (plain sandbox: its root is no mount point), on
    # a root that is a mount point, or on the namespace's top itself:
    # either way the container pivots from the namespace's top, and the
    # old tree is detached
    b = containers("""
service.web.root = /srv/web
service.web.exec = /bin/sh -c 'test -e /%s || echo hidden; exec sleep 1000'
service.plain.exec = /bin/sh -c 'test -e /%s && echo visible; exec sleep 1000'
""" % (MARKER, MARKER), roots=["web"], mode=mode)
    b.out.wait_for("web: hidden")
    mounts = ns_mounts(reaper_of_service(b, "web"))
    assert ("/dev", "tmpfs") in mounts                 # the container's
    assert ("/", "rootfs") not in mounts
    allowed = re.compile(r"^/$|^/(proc|sys|dev|tmp)(/|$)")
    assert all(allowed.match(mp) for mp, _ in mounts), mounts
    assert not [m for m in mounts if m[1] == "devtmpfs" and m[0] == "/dev"], mounts
    # without root =, boxinit's "/" bound on itself is the container's root
    # (in real-root, the namespace's top itself: the bind stacked on it);
    # the old root is detached there too: one mount at "/", the first
    b.out.wait_for("plain: visible")
    plain = ns_mounts(reaper_of_service(b, "plain"))
    assert [mp for mp, _ in plain].count("/") == 1, plain
    assert plain[0][0] == "/", plain
    assert "warning" not in b.out.text()


def test_masked_and_read_only_paths(containers):
    masked = ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/acpi",
              "/sys/firmware"]
    b = containers("""
service.web.root = /srv/web
service.web.exec = /bin/sh -c 'for p in %s; do if [ -c $p ]; then echo "MASK $p null"; elif [ -d $p ]; then echo "MASK $p dir $(ls -A $p | wc -l)"; elif [ -e $p ]; then echo "MASK $p visible"; fi; done; echo h > /proc/sysrq-trigger || echo sysrq-ro; echo x > /proc/sys/kernel/domainname || echo procsys-ro; echo done; exec sleep 1000'
""" % " ".join(masked), roots=["web"])
    b.out.wait_for("web: done")
    seen = {l.split()[0]: l.split()[1:] for l in lines(b, "web: MASK ")}
    present = [p for p in masked if os.path.exists(p)]
    assert present, "the host has none of the masked paths"
    for p in present:
        assert seen.get(p) in (["null"], ["dir", "0"]), (p, seen)
    text = b.out.text()
    assert "web: sysrq-ro" in text
    assert "web: procsys-ro" in text


def test_tmpfs_mount_refused_readonly_root_and_hostname(containers):
    b = containers("""
service.web.root = /srv/web
service.web.readonly = yes
service.web.exec = /bin/sh -c 'mount -t tmpfs x /mnt || echo mount-refused; touch /new || echo root-ro; touch /tmp/x && echo tmp-rw; echo "HOST $(hostname)"; exec sleep 1000'
service.named.root = /srv/named
service.named.hostname = box-two
service.named.exec = /bin/sh -c 'echo "HOST $(hostname)"; exec sleep 1000'
""", roots=["web", "named"])
    b.out.wait_for("web: HOST")
    b.out.wait_for("named: HOST")
    text = b.out.text()
    assert "web: mount-refused" in text
    assert "web: root-ro" in text
    assert "web: tmp-rw" in text
    assert lines(b, "web: HOST ") == ["web"]
    assert lines(b, "named: HOST ") == ["box-two"]


def test_binds_created_read_only_and_not_through_symlinks(containers):
    def setup(root):
        os.makedirs(os.path.join(root, "srv/data"))
        with open(os.path.join(root, "srv/data/hello"), "w") as f:
            f.write("bound\n")
        os.symlink("/etc", os.path.join(root, "srv/evil/escape"))
    b = containers("""
service.web.root = /srv/web
service.web.bind = /srv/data:/data /srv/data:/deep/ro:ro
service.web.exec = /bin/sh -c 'cat /data/hello; echo w > /data/w && echo data-rw; echo w > /deep/ro/w2 || echo bind-ro; exec sleep 1000'
service.evil.root = /srv/evil
service.evil.bind = /srv/data:/escape/x
service.evil.restart = no
service.evil.exec = /bin/sh -c "echo evil-ran"
""", roots=["web", "evil"], setup=setup)
    b.out.wait_for("web: bind-ro")
    text = b.out.text()
    assert "web: bound" in text and "web: data-rw" in text
    assert os.path.exists(os.path.join(b.root, "srv/data/w"))
    b.out.wait_for("evil: exited with status 127; not restarted")
    text = b.out.text()
    assert re.search(r"evil: bind /escape/x: (Not a directory|Too many levels)", text)
    assert "evil: evil-ran" not in text
    assert "evil: killed the processes" not in text     # the failed child was reaped
    assert not os.path.exists(os.path.join(b.root, "etc/x"))


# ---- privileges -----------------------------------------------------------------

CAPS_SCRIPT = ("/bin/sh -c 'grep -E \"^(CapEff|CapBnd|CapPrm|NoNewPrivs)\" /proc/self/status"
               " | while read k v; do echo \"$k $v\"; done; echo \"ID $(id -u) $(id -G)\";"
               " exec sleep 1000'")


def status_of(b, name):
    b.out.wait_for(f"{name}: ID")
    return {k.rstrip(":"): v for k, v in (l.split(None, 1) for l in lines(b, f"{name}: "))}


def test_capabilities_and_no_new_privs(containers):
    b = containers(f"""
service.dflt.root = /srv/dflt
service.dflt.exec = {CAPS_SCRIPT}
service.adm.root = /srv/adm
service.adm.caps = net_admin
service.adm.exec = {CAPS_SCRIPT}
service.none.exec = {CAPS_SCRIPT}
service.none.caps = none
service.usr.root = /srv/usr
service.usr.user = 1000
service.usr.exec = {CAPS_SCRIPT}
""", roots=["dflt", "adm", "usr"])
    d = status_of(b, "dflt")
    assert int(d["CapEff"], 16) == DEFAULT_CAPS
    assert int(d["CapBnd"], 16) == DEFAULT_CAPS
    assert d["NoNewPrivs"] == "1"
    a = status_of(b, "adm")
    assert int(a["CapEff"], 16) == 1 << 12 and int(a["CapBnd"], 16) == 1 << 12
    n = status_of(b, "none")
    assert int(n["CapEff"], 16) == 0 and int(n["CapBnd"], 16) == 0
    u = status_of(b, "usr")
    assert u["ID"] == "1000 1000"                    # no supplementary groups
    assert int(u["CapEff"], 16) == DEFAULT_CAPS      # kept through setuid + exec
    assert u["NoNewPrivs"] == "1"


# ---- exit status and stop ---------------------------------------------------------

def test_exit_status_and_signal_of_the_service(containers):
    b = containers("""
service.seven.root = /srv/seven
service.seven.exec = /bin/sh -c "exit 7"
service.seven.restart = no
service.nine.root = /srv/nine
service.nine.exec = /bin/sh -c "kill -9 $$"
service.nine.restart = no
""", roots=["seven", "nine"])
    b.out.wait_for("seven: exited with status 7; not restarted")
    b.out.wait_for("nine: killed by signal 9 (Killed); not restarted")


def test_sigterm_to_boxinit_stops_containers(containers):
    b = containers("""
service.a.root = /srv/a
service.a.exec = /bin/sleep 1000
service.b.root = /srv/b
service.b.exec = /bin/sh -c "trap 'echo b-got-term; exit 0' TERM; echo b-up; while :; do sleep 0.05; done"
""", roots=["a", "b"])
    b.out.wait_for("b: b-up")
    b.out.wait_for("a: started")
    b.signal(signal.SIGTERM)
    b.wait_exit()
    text = b.out.text()
    assert "b: b-got-term" in text
    assert "b: stopped (exited with status 0)" in text
    assert "a: stopped (killed by signal 15" in text
    assert "SIGKILL" not in text


# ---- bad input ------------------------------------------------------------------

def test_bad_root_bind_and_user_leave_the_rest_running(containers):
    def setup(root):
        with open(os.path.join(root, "srv/afile"), "w") as f:
            f.write("x\n")
    b = containers("""
service.good.root = /srv/good
service.good.exec = /bin/sh -c "echo good-ran; exec sleep 1000"
service.noroot.root = /srv/nope
service.noroot.exec = /bin/true
service.noroot.restart = no
service.fileroot.root = /srv/afile
service.fileroot.exec = /bin/true
service.fileroot.restart = no
service.nobind.root = /srv/good
service.nobind.bind = /srv/missing:/data
service.nobind.exec = /bin/true
service.nobind.restart = no
service.baduser.exec = /bin/true
service.baduser.user = 99999999999
""", roots=["good"], setup=setup)
    b.out.wait_for("good: good-ran")
    for svc in ("noroot", "fileroot", "nobind"):
        b.out.wait_for(f"{svc}: exited with status 127; not restarted")
    text = b.out.text()
    assert "noroot: root /srv/nope: No such file or directory" in text
    assert "fileroot: root /srv/afile: Not a directory" in text
    assert "nobind: bind /srv/missing: No such file or directory" in text
    assert re.search(r"/etc/boxinit.conf:\d+: .*user", text), text
    assert "baduser: not started: invalid configuration" in text
    assert "baduser: started" not in text
    assert text.count("good: started") == 1
