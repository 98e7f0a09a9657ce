"""Run boxinit for the system tests, and watch what it prints.

Two ways, as a user would run it:
  * Sandbox: boxinit is PID 1 of fresh pid/mount/uts/ipc/net namespaces,
    chrooted into a temporary busybox rootfs (`unshare ... chroot ROOT /init`).
  * Supervisor: boxinit is not PID 1 (`boxinit --config FILE`).

Everything a test starts is killed by pid in close(), even when the test fails;
the namespaces and their mounts disappear with their last process.
"""
import os
import shutil
import signal
import subprocess
import threading
import time

BUSYBOX = "/bin/busybox"


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


def make_rootfs(root, config_text, extra_files=None):
    """A minimal busybox rootfs with boxinit as /init and the given config."""
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

    def text(self):
        with self.cond:
            return "\n".join(t for _, t in self.lines)

    def matching(self, pred):
        with self.cond:
            return [(ts, t) for ts, t in self.lines if pred(t)]

    def wait_for(self, pred, count=1, timeout=20.0):
        """Wait until `count` lines satisfy pred; returns them. Fails on timeout."""
        if isinstance(pred, str):
            needle = pred
            pred = lambda t: needle in t  # noqa: E731
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                hits = [(ts, t) for ts, t in self.lines if pred(t)]
                if len(hits) >= count:
                    return hits
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    raise AssertionError(
                        f"timed out waiting for {count} matching line(s); output:\n"
                        + "\n".join(t for _, t in self.lines[-80:]))
                self.cond.wait(left)


def cgroup_hierarchies():
    """{name: our cgroup dir} for the v1 cpu, cpuacct, memory, pids hierarchies
    and the cgroup2 one, from /proc/self/cgroup and /proc/self/mountinfo."""
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
                        if name == "unified" or want & {"cpu", "cpuacct", "memory", "pids"}:
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

    def cleanup(self):
        for d in self.dirs.values():
            if not os.path.isdir(d):
                continue            # cleaned up already (close() twice)
            for _ in range(50):
                pids = []
                for top, _, files in os.walk(d):
                    if "cgroup.procs" in files:
                        with open(os.path.join(top, "cgroup.procs")) as f:
                            pids += [int(x) for x in f.read().split()]
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                try:
                    for top, subdirs, _ in os.walk(d, topdown=False):
                        for s in subdirs:
                            os.rmdir(os.path.join(top, s))
                    os.rmdir(d)
                    break
                except OSError:
                    time.sleep(0.05)


class Boxinit:
    """A running boxinit (sandboxed PID 1 or foreground supervisor)."""

    def __init__(self, argv, cwd=None, cgroups=None):
        self.cgroups = cgroups
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=cwd, preexec_fn=cgroups.join if cgroups else None)
        self.out = Output(self.proc.stdout)

    @classmethod
    def sandbox(cls, root, cgroups=None):
        argv = ["unshare", "--pid", "--fork", "--mount", "--uts", "--ipc", "--net",
                "--cgroup", "--propagation", "private", "chroot", root, "/init"]
        return cls(argv, cgroups=cgroups)

    @classmethod
    def supervisor(cls, config_path, binary=None, cgroups=None, args=()):
        return cls([binary or host_boxinit(), "--config", config_path, *args],
                   cgroups=cgroups)

    def wrapped(self):
        """True when boxinit runs under unshare (or nsenter + unshare)."""
        return self.proc.args[0] in ("unshare", "nsenter")

    def boxinit_pid(self, timeout=5.0):
        """Host pid of boxinit itself (the unshare child, or the process)."""
        if not self.wrapped():
            return self.proc.pid
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                    kids = f.read().split()
                if kids:
                    return int(kids[0])
            except FileNotFoundError:
                pass
            time.sleep(0.02)
        raise AssertionError("boxinit did not start under unshare")

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

    def wait_exit(self, timeout=20.0):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("boxinit did not exit; output:\n" + self.out.text())

    def close(self):
        if self.proc.poll() is None:
            if not self.wrapped():
                # a supervisor's services would outlive it: kill them by pid
                kids = list(self.descendants())
                self.proc.kill()
                for pid in kids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            try:
                # SIGKILL of a namespace's init ends every process in it
                os.kill(self.boxinit_pid(timeout=0.5), signal.SIGKILL)
            except (AssertionError, ProcessLookupError):
                pass
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)
        if self.cgroups:
            self.cgroups.cleanup()
