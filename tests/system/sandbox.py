"""Run boxinit for the system tests, and watch what it prints.

Two ways, as a user would run it:
  * Sandbox: boxinit is PID 1 of fresh pid/mount/uts/ipc/net namespaces,
    in a temporary busybox rootfs, in one of three MODES (how a deployment
    hands boxinit its root):
      chroot        `unshare ... chroot ROOT /init`: the root is no mount
                    point (pivot_root(2) says EINVAL there, as on an
                    initramfs; a user's chroot image)
      mounted-root  ROOT bound onto itself, then chroot: a mount point, but
                    not the top of the mount namespace
      real-root     ROOT bound onto itself and pivot_root(2)ed into, the
                    old root detached: boxinit's "/" is the top of its
                    mount namespace, as on a disk root or after switch_root
  * Supervisor: boxinit is not PID 1 (`boxinit --config FILE`).

Everything a test starts is killed in close(), even when the test fails (through
a pidfd, so that a recycled pid is never hit); the namespaces and their mounts
disappear with their last process.

Waits: every wait here is for an event or a state, polled with a deadline
(PATIENCE by default), never a fixed sleep. The deadline only costs time when a
test fails, so it is generous: these tests run on a loaded 2-CPU machine.
"""
import itertools
import os
import select
import shutil
import signal
import subprocess
import threading
import time

BUSYBOX = "/bin/busybox"

# Default deadline (seconds) of every wait: generous, for a loaded machine.
PATIENCE = 60.0

_tags = itertools.count()


def unique_tag(prefix):
    """A cgroup (or other) name used by one test only: a test whose teardown
    the kernel is still finishing never hands its leftovers to the next."""
    return f"{prefix}-{os.getpid()}-{next(_tags)}"


def wait_until(pred, timeout=PATIENCE, what="condition", interval=0.02):
    """Poll pred() until it returns a true value (returned); fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        assert time.monotonic() < deadline, f"timed out ({timeout} s) waiting for {what}"
        time.sleep(interval)


def open_pidfds(pids):
    """{pid: pidfd} of the processes that still exist (pidfd_open(2)): a pidfd
    names one process, never a later one that got its pid."""
    out = {}
    for pid in pids:
        try:
            out[pid] = os.pidfd_open(pid)
        except (ProcessLookupError, OSError):
            pass
    return out


def kill_pidfds(fds):
    """SIGKILL every process of {pid: pidfd} still alive, then close the fds."""
    for fd in fds.values():
        try:
            signal.pidfd_send_signal(fd, signal.SIGKILL)
        except (ProcessLookupError, OSError):
            pass
        os.close(fd)


def exited(pidfd):
    """True once the process of pidfd has exited (a zombie counts)."""
    return bool(select.select([pidfd], [], [], 0)[0])


def static_boxinit():
    return os.environ.get("BOXINIT_STATIC", os.path.abspath("build/x86_64/boxinit"))


def host_boxinit():
    return os.environ.get("BOXINIT", os.path.abspath("build/host/boxinit"))


def sanitized():
    """True under `make check SANITIZE=1`: boxinit is the ASan+UBSan host build."""
    return os.environ.get("BOXINIT_SANITIZE") == "1"


# What a sanitizer prints when it finds something (with halt_on_error it also
# aborts); the fixtures fail a test whose boxinit printed one.
SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer")


def install_init(root):
    """/init of a rootfs: the static musl build; under SANITIZE=1 the sanitized
    host build (glibc, dynamic) with the libraries ldd names, since the static
    build cannot be sanitized."""
    if not sanitized():
        shutil.copy2(static_boxinit(), os.path.join(root, "init"))
        return
    binary = host_boxinit()
    shutil.copy2(binary, os.path.join(root, "init"))
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True)
    for line in ldd.stdout.splitlines():
        words = line.split()
        lib = words[2] if "=>" in words and len(words) > 2 else words[0]
        if lib.startswith("/"):
            dst = os.path.join(root, lib.lstrip("/"))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(os.path.realpath(lib), dst)


# make_rootfs(extra_files={path: FIFO}): a named pipe there, not a file
FIFO = object()


def make_rootfs(root, config_text, extra_files=None):
    """A minimal busybox rootfs with boxinit as /init and the given config;
    extra_files: {path: text, or FIFO for a named pipe}."""
    for d in ("bin", "sbin", "etc", "dev", "proc", "sys", "tmp", "run", "root"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    shutil.copy2(BUSYBOX, os.path.join(root, "bin/busybox"))
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    for a in applets:
        p = os.path.join(root, "bin", a)
        if not os.path.lexists(p) and a not in ("busybox", "init"):
            os.symlink("busybox", p)
    install_init(root)
    os.symlink("../init", os.path.join(root, "bin/boxctl"))
    with open(os.path.join(root, "etc/boxinit.conf"), "w") as f:
        f.write(config_text)
    for path, text in (extra_files or {}).items():
        full = os.path.join(root, path.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if text is FIFO:
            os.mkfifo(full, 0o600)
            continue
        with open(full, "w") as f:
            f.write(text)
        os.chmod(full, 0o755)
    return root


class Output:
    """Lines of a process's stdout+stderr, each with its arrival time."""

    def __init__(self, stream):
        self.lines = []          # (monotonic time, text)
        self.cond = threading.Condition()
        self.closed = False
        self._t = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._t.start()

    def _read(self, stream):
        for raw in iter(stream.readline, b""):
            text = raw.decode(errors="replace").rstrip("\r\n")
            with self.cond:
                self.lines.append((time.monotonic(), text))
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def wait_closed(self, timeout=PATIENCE):
        """Wait until the stream hit EOF (every writer closed it); True if so.
        A process that still holds the pipe keeps it open: then False at
        the deadline, and the caller's checks of the text say what is missing."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True

    def _report(self, count, about):
        """The failure text of wait_for (called with the lock held)."""
        texts = [t for _, t in self.lines]
        parts = [f"timed out waiting for {count} matching line(s)"]
        if about:
            own = [t for t in texts if t.startswith(about + ":") or f" {about}:" in t
                   or f"'{about}'" in t or f"service {about} " in t]
            parts.append(f"lines of {about!r} ({len(own)}, last 40):\n" + "\n".join(own[-40:]))
        if len(texts) > 80:
            parts.append("first 30 lines:\n" + "\n".join(texts[:30]))
        parts.append("last 50 lines:\n" + "\n".join(texts[-50:]))
        return "; ".join(parts[:1]) + "\n" + "\n".join(parts[1:])

    def text(self):
        with self.cond:
            return "\n".join(t for _, t in self.lines)

    def matching(self, pred):
        with self.cond:
            return [(ts, t) for ts, t in self.lines if pred(t)]

    def wait_for(self, pred, count=1, timeout=PATIENCE):
        """Wait until `count` lines satisfy pred; returns them. Fails on timeout,
        showing the first and last lines and, for a "name: text" needle, every
        line of that service (so a service gone quiet shows its last words)."""
        about = None
        if isinstance(pred, str):
            needle = pred
            pred = lambda t: needle in t  # noqa: E731
            if ": " in needle:
                about = needle.split(": ", 1)[0]
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                hits = [(ts, t) for ts, t in self.lines if pred(t)]
                if len(hits) >= count:
                    return hits
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    raise AssertionError(self._report(count, about))
                self.cond.wait(left)


def cgroup_hierarchies():
    """{name: our cgroup dir} for the v1 cpu, cpuacct, memory, pids, devices
    hierarchies and the cgroup2 one, from /proc/self/cgroup and /proc/self/mountinfo."""
    mounts = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            fields, rfields = left.split(), right.split()
            mounts.append((fields[3], fields[4], rfields[0], set(rfields[2].split(","))))
    out = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            hid, ctrls, path = line.rstrip("\n").split(":", 2)
            want = set(ctrls.split(",")) if ctrls else set()
            for root, mnt, fstype, opts in mounts:
                if (hid == "0" and fstype == "cgroup2") or \
                        (fstype == "cgroup" and want and want <= opts):
                    if path.startswith(root):
                        rel = path[len(root):] if root != "/" else path
                        name = "unified" if hid == "0" else ctrls
                        if name == "unified" or \
                                want & {"cpu", "cpuacct", "memory", "pids", "devices"}:
                            out[name] = mnt + rel.rstrip("/")
                    break
    return out


class TestCgroups:
    """A cgroup per test in each hierarchy, that the sandbox runs in (and,
    with a cgroup namespace, sees as its root). Removed in cleanup()."""

    def __init__(self, tag):
        self.dirs = {}
        for name, cur in cgroup_hierarchies().items():
            d = os.path.join(cur, tag)
            try:
                os.makedirs(d, exist_ok=True)
                self.dirs[name] = d
            except OSError:
                pass

    def join(self):
        """In the child, before exec: move into every test cgroup."""
        for d in self.dirs.values():
            with open(os.path.join(d, "cgroup.procs"), "w") as f:
                f.write("0")

    def path(self, ctrl, *parts):
        return os.path.join(self.dirs[ctrl], *parts)

    def leftovers(self):
        """Directories left below the test cgroups."""
        left = []
        for d in self.dirs.values():
            for top, subdirs, _ in os.walk(d):
                left += [os.path.join(top, s) for s in subdirs]
        return left

    def procs(self):
        """Pids in the test cgroups (and below), of every hierarchy."""
        pids = set()
        for d in self.dirs.values():
            for top, _, files in os.walk(d):
                if "cgroup.procs" in files:
                    try:
                        with open(os.path.join(top, "cgroup.procs")) as f:
                            pids |= {int(x) for x in f.read().split()}
                    except OSError:
                        pass            # removed meanwhile
        return pids

    def kill_all(self):
        """SIGKILL every process in the test cgroups (through pidfds opened
        while the pid is still listed there: never a recycled pid)."""
        fds = open_pidfds(self.procs())
        still = self.procs()
        kill_pidfds({p: fd for p, fd in fds.items() if p in still})
        for p, fd in fds.items():
            if p not in still:
                os.close(fd)

    def _rmdir_all(self):
        """rmdir the test cgroups bottom-up; True when all are gone. The
        kernel frees a cgroup asynchronously after its last process exits
        (rmdir gives EBUSY meanwhile): callers poll."""
        ok = True
        for d in self.dirs.values():
            if not os.path.isdir(d):
                continue            # cleaned up already (close() twice)
            try:
                for top, subdirs, _ in os.walk(d, topdown=False):
                    for s in subdirs:
                        os.rmdir(os.path.join(top, s))
                os.rmdir(d)
            except FileNotFoundError:
                pass
            except OSError:
                ok = False
        return ok

    def cleanup(self, timeout=PATIENCE):
        def gone():
            self.kill_all()
            return self._rmdir_all()
        try:
            wait_until(gone, timeout, "the test cgroups removed", interval=0.05)
        except AssertionError:
            # left for the machine's owner to see; never reused (unique tags)
            import warnings
            warnings.warn(f"test cgroups not removed after {timeout} s: {self.leftovers()}")


MODES = ("chroot", "mounted-root", "real-root")

# The real-root mode's last step, run in the sandbox's new mount namespace
# (argv[1] the root): ROOT bound onto itself becomes the namespace's top
# (pivot_root(".", "."), the old root stacked on it detached, as
# pivot_root(2) describes), then /init is exec'd as PID 1. Python, not
# shell tools: after the pivot only the busybox rootfs is left to run.
REAL_ROOT = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
def check(rc, what):
    if rc != 0:
        sys.exit(f"real-root: {what}: {os.strerror(ctypes.get_errno())}")
root = sys.argv[1].encode()
check(libc.mount(root, root, None, 0x1000 | 0x4000, None), "bind")   # MS_BIND|MS_REC
os.chdir(root)
check(libc.syscall(155 if os.uname().machine == "x86_64" else 41, b".", b"."),
      "pivot_root")
check(libc.umount2(b".", 2), "detach the old root")                  # MNT_DETACH
os.chdir("/")
os.execv("/init", ["/init"])
"""


def sandbox_argv(root, mode="chroot", pre=""):
    """The command that starts boxinit as PID 1 of new namespaces with ROOT
    as its root, in one of MODES; @pre: shell commands run first in the
    sandbox's mount namespace ($0 is the root), gone with it."""
    assert mode in MODES, mode
    unshare = ["unshare", "--pid", "--fork", "--mount", "--uts", "--ipc", "--net",
               "--cgroup", "--propagation", "private"]
    if mode == "chroot" and not pre:
        return unshare + ["chroot", root, "/init"]
    first = pre + " && " if pre else ""
    if mode == "real-root":
        return unshare + ["sh", "-c", first + 'exec "$1" -c "$2" "$0"', root,
                          "/usr/bin/python3", REAL_ROOT]
    bind = 'mount --bind "$0" "$0" && ' if mode == "mounted-root" else ""
    return unshare + ["sh", "-c", first + bind + 'exec chroot "$0" /init', root]


class Boxinit:
    """A running boxinit (sandboxed PID 1 or foreground supervisor)."""

    def __init__(self, argv, cwd=None, cgroups=None):
        self.cgroups = cgroups
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=cwd, preexec_fn=cgroups.join if cgroups else None)
        self.out = Output(self.proc.stdout)

    @classmethod
    def sandbox(cls, root, cgroups=None, mode="chroot", pre=""):
        """boxinit as PID 1 of new namespaces, its root ROOT given the way
        @mode says (MODES); see sandbox_argv() for @pre."""
        b = cls(sandbox_argv(root, mode, pre), cgroups=cgroups)
        b.root, b.mode = root, mode
        return b

    @classmethod
    def supervisor(cls, config_path, binary=None, cgroups=None, args=()):
        return cls([binary or host_boxinit(), "--config", config_path, *args],
                   cgroups=cgroups)

    def wrapped(self):
        """True when boxinit runs under unshare (or nsenter + unshare)."""
        return self.proc.args[0] in ("unshare", "nsenter")

    def boxinit_pid(self, timeout=30.0):
        """Host pid of boxinit itself (the unshare child, or the process).
        Found once and kept: boxinit outlives its wrapper if the wrapper
        dies (an OOM test's second kill may take it)."""
        if not self.wrapped():
            return self.proc.pid
        if getattr(self, "_boxinit_pid", None):
            return self._boxinit_pid
        def child():
            try:
                with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                    kids = f.read().split()
                return int(kids[0]) if kids else None
            except FileNotFoundError:
                return None
        pid = wait_until(child, timeout, "boxinit to start under unshare")
        try:
            self._boxinit_pidfd = os.pidfd_open(pid)    # close() kills it by this
        except ProcessLookupError:
            return pid
        self._boxinit_pid = pid
        return pid

    def signal(self, sig):
        os.kill(self.boxinit_pid(), sig)

    def descendants(self):
        """{pid: (state, ppid, comm)} of every process below boxinit."""
        top = self.boxinit_pid()
        procs = {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/stat") as f:
                    s = f.read()
            except OSError:
                continue
            comm = s[s.index("(") + 1:s.rindex(")")]
            rest = s[s.rindex(")") + 2:].split()
            procs[int(d)] = (rest[0], int(rest[1]), comm)
        out, todo = {}, [top]
        while todo:
            p = todo.pop()
            for pid, (st, pp, comm) in procs.items():
                if pp == p and pid not in out:
                    out[pid] = (st, pp, comm)
                    todo.append(pid)
        return out

    def wait_exit(self, timeout=PATIENCE):
        """Wait for boxinit to exit, then for its last lines: the process
        exits before the reader thread has read the pipe to its end (EOF),
        and a test reads out.text() next."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("boxinit did not exit; output:\n" + self.out.text())
        self.out.wait_closed(timeout)
        return rc

    def close(self):
        if self.proc.poll() is None:
            kids = {}
            if not self.wrapped():
                # a supervisor's services would outlive it: kill them too,
                # through pidfds taken while they are still below it
                kids = open_pidfds(self.descendants())
                still = self.descendants()
                for pid in [p for p in kids if p not in still]:
                    os.close(kids.pop(pid))
                self.proc.kill()
                kill_pidfds(kids)
            try:
                # SIGKILL of a namespace's init ends every process in it
                os.kill(self.boxinit_pid(timeout=0.5), signal.SIGKILL)
            except (AssertionError, ProcessLookupError):
                pass
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=PATIENCE)
        fd = getattr(self, "_boxinit_pidfd", None)
        if fd is not None:
            # its wrapper gone first (killed), boxinit may be left: end it
            try:
                signal.pidfd_send_signal(fd, signal.SIGKILL)
                select.select([fd], [], [], PATIENCE)  # readable: it has exited
            except ProcessLookupError:
                pass
            os.close(fd)
            self._boxinit_pidfd = None
        if self.cgroups:
            self.cgroups.cleanup()
