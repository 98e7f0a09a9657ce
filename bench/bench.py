#!/usr/bin/python3
"""boxinit benchmarks: boxinit against what its users would otherwise use,
on the same machine in the same run (`make bench`, `make bench-smoke`).

Benchmarks are not tests: nothing here fails. A comparison that cannot run
becomes a "not available: why" row. Everything created (processes, cgroups,
network namespaces, veths) is removed by pid / by name, even on failure.

  bench.py [--smoke] [--out FILE] [--only SECTION,...]

Sections: footprint restart start scale idle boot. Times are CLOCK_MONOTONIC
(Python's time.monotonic_ns() and bench/stamp.c read the same clock).
"""
import argparse
import json
import os
import platform
import random
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import traceback

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "build", "bench")
STAMP = os.path.join(OUT, "stamp")
LOWER = os.path.join(OUT, "lowerbound")
BOXINIT = os.path.join(REPO, "build", "x86_64", "boxinit")
BUSYBOX = "/bin/busybox"
ROOTFS = os.path.join(OUT, "rootfs")        # the containers' busybox rootfs
SANDBOX = os.path.join(OUT, "sandbox")      # boxinit's own root (PID 1 sandbox)
TAG = "boxinit-bench"

ROWS = []       # (section, figure, value, spread, n, goal, met, command)
NOTES = {}      # section -> [text]
CLEANUP = []    # callables, run in reverse at exit


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def row(section, figure, value="", spread="", n="", goal="", met="", command=""):
    ROWS.append((section, figure, value, spread, str(n), goal, met, command))


def note(section, text):
    NOTES.setdefault(section, []).append(text)


def na(section, figure, why, command=""):
    row(section, figure, f"not available: {why}", command=command)


def run(cmd, check=True, **kw):
    return subprocess.run(cmd, shell=isinstance(cmd, str), capture_output=True,
                          text=True, check=check, **kw)


# ---- statistics -----------------------------------------------------------
def pct(xs, p):
    s = sorted(xs)
    k = (len(s) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary(xs, scale=1e6, unit="ms", digits=2):
    """(median, "p10–p90 (min–max)", n) of samples in ns, printed in unit."""
    if not xs:
        return ("no samples", "", 0)
    f = lambda v: f"{v / scale:.{digits}f}"  # noqa: E731
    return (f"{f(statistics.median(xs))} {unit}",
            f"p10–p90 {f(pct(xs, .1))}–{f(pct(xs, .9))}, min–max {f(min(xs))}–{f(max(xs))}",
            len(xs))


def ratio_summary(xs):
    if not xs:
        return ("no samples", "", 0)
    return (f"{statistics.median(xs):.2f}x",
            f"p10–p90 {pct(xs, .1):.2f}–{pct(xs, .9):.2f}", len(xs))


# ---- cgroups (v1 hierarchies + cgroup2: the system tests' own finder) -----
sys.path.insert(0, os.path.join(REPO, "tests", "system"))
from sandbox import TestCgroups, cgroup_hierarchies  # noqa: E402


class Cg(TestCgroups):
    """The system tests' per-run cgroups (one directory per hierarchy,
    named tag), registered for the harness's cleanup, which also removes
    what runs below them."""

    def __init__(self, tag):
        super().__init__(tag)
        CLEANUP.append(self.cleanup)

    def cleanup(self):
        for d in self.dirs.values():
            rm_cgroup_tree(d)


def cgroup_mounts():
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            if right.split()[0] in ("cgroup", "cgroup2"):
                out.append(left.split()[4])
    return out


def rm_cgroup_tree(d):
    # the kernel frees a cgroup asynchronously after its last process:
    # rmdir gives EBUSY meanwhile, for longer on a loaded machine (60 s)
    for _ in range(1200):
        if not os.path.isdir(d):
            return True
        for top, _, files in os.walk(d):
            if "cgroup.procs" in files:
                try:
                    with open(os.path.join(top, "cgroup.procs")) as f:
                        for pid in f.read().split():
                            try:
                                os.kill(int(pid), signal.SIGKILL)
                            except ProcessLookupError:
                                pass
                except OSError:
                    pass
        try:
            for top, subdirs, _ in os.walk(d, topdown=False):
                for s_ in subdirs:
                    os.rmdir(os.path.join(top, s_))
            os.rmdir(d)
            return True
        except OSError:
            time.sleep(0.05)
    return False


def sweep():
    """Remove every cgroup named boxinit-bench* directly below our own
    cgroup or a hierarchy's root, in every hierarchy (runc and crun create
    their cgroupsPath in all of them), e.g. what a killed run left."""
    own = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            own[line.split(":", 2)[1]] = line.rstrip("\n").split(":", 2)[2]
    left = []
    for mnt in cgroup_mounts():
        for base in {mnt} | {mnt + p for p in own.values() if p != "/"}:
            try:
                names = os.listdir(base)
            except OSError:
                continue
            for n in names:
                if n.startswith(TAG) and os.path.isdir(os.path.join(base, n)):
                    if not rm_cgroup_tree(os.path.join(base, n)):
                        left.append(os.path.join(base, n))
    return left


# ---- root file systems ------------------------------------------------------
def busybox_tree(root):
    for d in ("bin", "sbin", "etc", "dev", "proc", "sys", "tmp", "run", "root", "var/bench", "srv"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    shutil.copy2(BUSYBOX, os.path.join(root, "bin/busybox"))
    for a in run([BUSYBOX, "--list"]).stdout.split():
        p = os.path.join(root, "bin", a)
        if not os.path.lexists(p) and a not in ("busybox", "init"):
            os.symlink("busybox", p)
    shutil.copy2(STAMP, os.path.join(root, "stamp"))


def make_roots():
    for d in (ROOTFS, SANDBOX):
        if os.path.isdir(d):
            shutil.rmtree(d)
    busybox_tree(ROOTFS)
    busybox_tree(SANDBOX)
    busybox_tree(os.path.join(SANDBOX, "srv/c"))
    shutil.copy2(BOXINIT, os.path.join(SANDBOX, "init"))
    os.symlink("../init", os.path.join(SANDBOX, "bin/boxctl"))


# ---- boxinit as PID 1 of a sandbox ------------------------------------------
LINE = re.compile(r"^(\S+): STAMP (start|exit) (\d+)$")


class Output:
    """boxinit's console, read by a thread. @quiet: that thread runs
    SCHED_IDLE, so that reading a line never takes a CPU from the start
    it observes (the figures come from the services' own stamps, not
    from when a line was read); for light loads only: a starved reader
    would let boxinit's console pipe fill."""

    def __init__(self, stream, quiet=False):
        self.lines = []
        self.cond = threading.Condition()
        self.closed = False
        self.quiet = quiet
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        if self.quiet:
            try:
                os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            except OSError:
                pass
        for raw in iter(stream.readline, b""):
            text = raw.decode(errors="replace").rstrip("\r\n")
            with self.cond:
                self.lines.append((time.monotonic_ns(), text))
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def wait(self, pred, count=1, timeout=120.0):
        """The first @count lines matching @pred, once there are that many.
        Each line is tested once (a wake-up costs the new lines only)."""
        deadline = time.monotonic() + timeout
        hits, seen = [], 0
        with self.cond:
            while True:
                for ts, t in self.lines[seen:]:
                    if pred(t):
                        hits.append((ts, t))
                seen = len(self.lines)
                if len(hits) >= count:
                    return hits
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    raise RuntimeError(f"timed out waiting for {count} line(s); last:\n"
                                       + "\n".join(t for _, t in self.lines[-15:]))
                self.cond.wait(left)

    def stamps(self, name, kind):
        with self.cond:
            out = []
            for _, t in self.lines:
                m = LINE.match(t)
                if m and m.group(1) == name and m.group(2) == kind:
                    out.append(int(m.group(3)))
            return out


SANDBOX_ARGV = ["unshare", "--pid", "--fork", "--mount", "--uts", "--ipc", "--net",
                "--cgroup", "--propagation", "private", "chroot", SANDBOX, "/init",
                "--socket", "/sock"]


# Sandbox.request's helper: one request per stdin line, one JSON reply
# [t0 before connect, reply] per stdout line.
ASKER = """
import json, socket, sys, time
for line in sys.stdin:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        t0 = time.monotonic_ns()
        s.connect(sys.argv[1])
        s.send(line.rstrip("\\n").encode())
        reply = s.recv(512).decode(errors="replace")
    finally:
        s.close()
    print(json.dumps([t0, reply]), flush=True)
"""


class Sandbox:
    """boxinit (build/x86_64/boxinit, static) as PID 1 of fresh namespaces,
    chrooted into build/bench/sandbox, in its own cgroup per hierarchy."""

    def __init__(self, config, tag, flags=(), quiet=False):
        with open(os.path.join(SANDBOX, "etc/boxinit.conf"), "w") as f:
            f.write(config)
        for p in ("sock",):
            try:
                os.unlink(os.path.join(SANDBOX, p))
            except FileNotFoundError:
                pass
        for f in os.listdir(os.path.join(SANDBOX, "var/bench")):
            os.unlink(os.path.join(SANDBOX, "var/bench", f))
        for f in flags:
            open(os.path.join(SANDBOX, "var/bench", f), "w").close()
        self.cg = Cg(tag)
        self.t_spawn = time.monotonic_ns()
        self.proc = subprocess.Popen(SANDBOX_ARGV, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     preexec_fn=self.cg.join)
        self.out = Output(self.proc.stdout, quiet)
        self._pid = None
        self._asker = None
        CLEANUP.append(self.close)

    def pid(self):
        if self._pid:
            return self._pid
        for _ in range(1500):           # 30 s at least: a loaded machine
            try:
                with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                    kids = f.read().split()
                if kids:
                    self._pid = int(kids[0])
                    return self._pid
            except FileNotFoundError:
                pass
            time.sleep(0.02)
        raise RuntimeError("boxinit did not start under unshare")

    def status(self):
        out = {}
        with open(f"/proc/{self.pid()}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                out[k] = v.strip()
        return out

    def request(self, text):
        """One control request; returns (t0 before connect, reply). Asked by
        a helper inside boxinit's pid namespace, as an operator must (boxinit
        refuses a client it cannot see); CLOCK_MONOTONIC is the same there."""
        if self._asker is None:
            self._asker = subprocess.Popen(
                ["nsenter", "-t", str(self.pid()), "-p", "--", sys.executable, "-u", "-c",
                 ASKER, os.path.join(SANDBOX, "sock")],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._asker.stdin.write(text + "\n")
        self._asker.stdin.flush()
        line = self._asker.stdout.readline()
        if not line:
            raise RuntimeError("control request helper exited")
        t0, reply = json.loads(line)
        return t0, reply

    def close(self):
        if self._asker is not None:
            self._asker.kill()
            self._asker.wait()
            self._asker = None
        if self.proc.poll() is None:
            try:
                os.kill(self.pid(), signal.SIGKILL)   # ends the whole pid namespace
            except (RuntimeError, ProcessLookupError):
                pass
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
        self.cg.cleanup()
        if self.close in CLEANUP:
            CLEANUP.remove(self.close)
        if self.cg.cleanup in CLEANUP:
            CLEANUP.remove(self.cg.cleanup)


def svc(name, exec_, **keys):
    lines = [f'service.{name}.exec = "{exec_}"']
    lines += [f"service.{name}.{k} = {v}" for k, v in keys.items()]
    return "\n".join(lines) + "\n"


CONT = dict(root="/srv/c", cpu="0.5", memory="10M")

# ---- 1. footprint ----------------------------------------------------------
PKGS = [  # (package, path inside, label)
    ("tini", "usr/bin/tini-static", "tini-static"),
    ("busybox-static", "bin/busybox", "busybox (busybox-static, all applets)"),
    ("s6", "usr/bin/s6-svscan", "s6-svscan (s6; + libskarnet)"),
    ("finit", "sbin/finit", "finit (+ libite, libuev)"),
    ("crun", "usr/bin/crun", "crun"),
    ("runc", "usr/sbin/runc", "runc"),
]


def elf_kind(path):
    out = run(["file", "-b", path], check=False).stdout
    kind = "static" if "statically linked" in out or "static-pie" in out else "dynamic"
    stripped = "stripped" if ", stripped" in out else ("not stripped" if "not stripped" in out else "?")
    needed = ""
    if kind == "dynamic":
        d = run(["readelf", "-d", path], check=False).stdout
        needed = ", ".join(re.findall(r"Shared library: \[([^\]]+)\]", d))
    return kind, stripped, needed


def link_map_sizes(path):
    """{input file: bytes of .text/.rodata/.data it put into the binary}
    from a GNU ld map (-Wl,-Map): what --gc-sections kept of each."""
    out, sec = {}, None
    with open(path) as f:
        lines = f.read().split("\n")
    try:
        start = next(i for i, ln in enumerate(lines) if ln.startswith("Linker script and memory map"))
    except StopIteration:
        return out
    for ln in lines[start:]:
        m = re.match(r"^ (\.[\w.\-]+)\s*$", ln)
        if m:                   # a long section name: its numbers on the next line
            sec = m.group(1)
            continue
        m = re.match(r"^ (\.[\w.\-]+)?\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)$", ln)
        name, sec = (m.group(1) or sec) if m else None, None
        if m and name and name.split(".")[1] in ("text", "rodata", "data"):
            out[m.group(3)] = out.get(m.group(3), 0) + int(m.group(2), 16)
    return out


def module_sizes():
    """size(1) of each object of the static x86_64 build, per folder, and
    what of each the linker kept (build/x86_64/boxinit.map), musl's share
    by member: what each feature costs."""
    S = "1. Footprint — per module (x86_64)"
    obj = os.path.join(REPO, "build", "x86_64", "obj")
    objs = sorted(os.path.join(top, f) for top, _, fs in os.walk(obj) for f in fs if f.endswith(".o"))
    if not objs:
        na(S, "sizes per module", "build/x86_64/obj is empty")
        return
    sizes = {}
    for ln in run(["size", *objs]).stdout.splitlines()[1:]:
        f = ln.split()
        sizes[os.path.relpath(f[5], obj)] = tuple(int(x) for x in f[:3])
    mp = os.path.join(REPO, "build", "x86_64", "boxinit.map")
    kept = link_map_sizes(mp) if os.path.exists(mp) else {}
    ours = {os.path.relpath(k, os.path.join(REPO, "build", "x86_64", "obj")): v
            for k, v in kept.items() if k.startswith("build/") or k.startswith(obj)}
    ours = {k.replace("build/x86_64/obj/", ""): v for k, v in ours.items()}
    libc = sorted(((v, re.sub(r".*\((.*)\)$", r"\1", k)) for k, v in kept.items()
                   if "libc.a" in k), reverse=True)
    folders = {}
    for o, (t, d, b) in sizes.items():
        fo = os.path.dirname(o)
        acc = folders.setdefault(fo, [0, 0, 0, 0])
        acc[0] += t
        acc[1] += d
        acc[2] += b
        acc[3] += ours.get(o, 0)
    total_kept = sum(ours.values())
    row(S, "boxinit's own objects: text + data (size), kept by the linker", f"{total_kept:,} B",
        f"{sum(t + d for t, d, _ in sizes.values()):,} B before --gc-sections", len(sizes), "", "",
        "size build/x86_64/obj/**/*.o; build/x86_64/boxinit.map (-Wl,-Map)")
    if libc:
        row(S, "musl (libc.a members linked)", f"{sum(v for v, _ in libc):,} B", "", len(libc), "", "",
            "build/x86_64/boxinit.map")
    t = ["| folder / object | text | data | bss | in the binary |", "|---|---|---|---|---|"]
    for fo in sorted(folders):
        tt, dd, bb, kk = folders[fo]
        t.append(f"| **{fo}/** | **{tt:,}** | **{dd:,}** | **{bb:,}** | **{kk:,}** |")
        for o in sorted(x for x in sizes if os.path.dirname(x) == fo):
            st, sd, sb = sizes[o]
            t.append(f"| {os.path.basename(o)} | {st:,} | {sd:,} | {sb:,} | {ours.get(o, 0):,} |")
    note(S, "`size` of each object (text, data, bss; before linking) and the bytes of "
            "`.text`, `.rodata` and `.data` the linker kept of it (`--gc-sections`, from the "
            "link map; strings counted before the linker merges the same ones). bss takes "
            "no room in the file.\n\n" + "\n".join(t))
    if libc:
        lt = ["| musl member | in the binary |", "|---|---|"]
        lt += [f"| {n} | {v:,} |" for v, n in libc[:25]]
        lt.append(f"| {len(libc) - 25} more | {sum(v for v, _ in libc[25:]):,} |")
        note(S, "musl's largest members (printf's formatting, malloc, strerror's table, "
                "getopt_long for the command line, stdio for boxctl):\n\n" + "\n".join(lt))


def sec_footprint(a):
    S = "1. Footprint"
    for arch in ("x86_64", "aarch64"):
        p = os.path.join(REPO, "build", arch, "boxinit")
        if not os.path.exists(p):
            na(S, f"boxinit ({arch}) size", f"{p} not built")
            continue
        strip = "strip" if arch == "x86_64" else "aarch64-linux-gnu-strip"
        tmp = os.path.join(OUT, f"boxinit-{arch}.stripped")
        r = run([strip, "-o", tmp, p], check=False)
        size = os.path.getsize(tmp if r.returncode == 0 else p)
        kind, stripped, _ = elf_kind(p)
        limit = 100 if arch == "x86_64" else 110       # KiB, issue 16
        row(S, f"boxinit {arch} ({kind}, stripped)", f"{size:,} B", "", 1,
            f"≤ {limit * 1024:,} B", "yes" if size <= limit * 1024 else "no",
            f"{strip} -o X build/{arch}/boxinit; stat -c %s X")
    try:
        module_sizes()
    except Exception as e:
        na(S + " — per module (x86_64)", "sizes per module", f"harness error: {e}"[:300])
    pk = os.path.join(OUT, "pkgs")
    os.makedirs(pk, exist_ok=True)
    have = lambda pkg: [f for f in os.listdir(pk) if f.startswith(pkg + "_") and f.endswith(".deb")]  # noqa: E731
    missing = [p_[0] for p_ in PKGS if not have(p_[0])]
    dl_err = ""
    if missing:   # one apt-get call for all (never installed: only unpacked)
        r = run(f"cd {shlex.quote(pk)} && apt-get download {' '.join(missing)}", check=False)
        dl_err = r.stderr.strip()[-160:]
    for pkg, inside, label in PKGS:
        debs = have(pkg)
        if not debs:
            na(S, label, f"apt-get download {pkg} failed: {dl_err}")
            continue
        deb = sorted(debs)[-1]
        x = os.path.join(pk, pkg)
        if not os.path.isdir(x):
            run(["dpkg", "-x", os.path.join(pk, deb), x])
        path = os.path.join(x, inside)
        if not os.path.exists(path):
            alt = run(["find", x, "-name", os.path.basename(inside), "-type", "f"], check=False).stdout.split()
            if not alt:
                na(S, label, f"{inside} not in {deb}")
                continue
            path = alt[0]
        kind, stripped, needed = elf_kind(path)
        v = deb.split("_")[1].replace("%3a", ":")
        row(S, f"{label} {v} ({kind}, {stripped})", f"{os.path.getsize(path):,} B",
            f"needs {needed}" if needed else "", 1, "", "",
            f"apt-get download {pkg}; dpkg -x {deb} X; stat -c %s X/{os.path.relpath(path, x)}")
    note(S, "Sizes of the files as Debian ships them (stripped); dynamic ones also need "
            "the shared libraries listed (not counted). PID-1 RSS: see sections 4 and 6.")


# ---- 2. restart latency ----------------------------------------------------
def sec_restart(a):
    S = "2. Restart latency"
    n = a.n
    # n services, each paused at boot (its flag exists); sample k: rm flag k,
    # `boxctl restart rk`: rk starts, creates the flag, exits 1, and boxinit
    # restarts it for the first time (each service has its own back-off).
    cfg = "loglevel = info\n" + "".join(
        svc(f"r{k}", f"/stamp once /var/bench/r{k}.flag", restart="always", net="none",
            bind="/var/bench:/var/bench")
        for k in range(n))
    sb = Sandbox(cfg, f"{TAG}-restart", flags=[f"r{k}.flag" for k in range(n)])
    lat, backoffs, errs = [], [], []
    try:
        sb.out.wait(lambda t: LINE.match(t) is not None, n)
        for k in range(n):
            nm = f"r{k}"
            os.unlink(os.path.join(SANDBOX, f"var/bench/{nm}.flag"))
            sb.request(f"restart {nm}")
            sb.out.wait(lambda t: t.startswith(f"{nm}: STAMP start"), 3, timeout=60)
            exits = sb.out.stamps(nm, "exit")
            st = sb.out.stamps(nm, "start")
            lat.append(st[2] - exits[0])
            bo = sb.out.wait(lambda t: t.startswith(f"boxinit: {nm}: ") and "restarting in" in t)
            backoffs.append(int(re.search(r"restarting in (\d+) ms", bo[0][1]).group(1)))
    except Exception as e:
        errs.append(str(e))
    finally:
        sb.close()
    cmd = ("sandbox PID 1, n services `/stamp once FLAG`, restart = always, net = none (own "
           "namespaces, no root: the host tree read-only, bind = /var/bench:/var/bench for the "
           "flags); sample k: rm FLAG_k, `restart rk` over the socket; rk exits 1; "
           "figure = replacement's `STAMP start` − `STAMP exit`")
    if not lat:
        na(S, "boxinit first restart", (errs or ["?"])[0][:200], cmd)
        return
    m, sp, k = summary(lat)
    bo = statistics.median(backoffs) if backoffs else 100
    row(S, "boxinit: exit → replacement's first instruction (first restart)", m, sp, k,
        "", "", cmd)
    over = [x - b * 1_000_000 for x, b in zip(lat, backoffs)]
    m, sp, k = summary(over)
    med = statistics.median(over) / 1e6
    row(S, f"boxinit's own overhead (the above − the {bo:.0f} ms back-off it logged)", m, sp, k,
        "≤ 2 ms", "yes" if med <= 2 else "no", "same samples")
    note(S, "The overhead covers: reaping (SIGCHLD via signalfd), the back-off timer (timerfd), "
            "and the rest of the container's start: the clone and the cgroup join are done "
            "while the back-off runs (its container is cloned ahead), the device policy, the "
            "mounts, the reaper and the exec after it.")
    if errs:
        note(S, f"stopped early: {errs[0][:200]}")


# ---- 3. container start latency -------------------------------------------
class Worker:
    """bench.py --worker in other namespaces (unshare ARGS), driven over
    stdin/stdout with one JSON line per sample."""

    def __init__(self, unshare_args, setup):
        argv = ["unshare", *unshare_args, "--", sys.executable, os.path.abspath(__file__),
                "--worker", json.dumps(setup)]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        CLEANUP.append(self.close)
        ready = json.loads(self.proc.stdout.readline() or '{"ok": false, "err": "died"}')
        if not ready.get("ok"):
            raise RuntimeError(ready.get("err", "worker failed"))

    def sample(self, cmd, teardown):
        self.proc.stdin.write(json.dumps({"cmd": cmd, "teardown": teardown}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("worker died")
        return json.loads(line)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=60)
            except Exception:
                self.proc.kill()
                self.proc.wait()
        if self.close in CLEANUP:
            CLEANUP.remove(self.close)


def one_sample(cmd, teardown):
    """Run sh -c cmd; t0 just before the spawn; the stamp's first line."""
    t0 = time.monotonic_ns()
    p = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True)
    t1 = time.monotonic_ns()
    if teardown:
        subprocess.run(["sh", "-c", teardown], capture_output=True)
    m = re.search(r"STAMP start (\d+)", p.stdout)
    if not m:
        return {"err": f"rc {p.returncode}: {(p.stdout + p.stderr).strip()[-300:]}"}
    return {"lat": int(m.group(1)) - t0, "total": t1 - t0}


def worker_main(setup):
    setup = json.loads(setup)
    try:
        for c in setup.get("setup", []):
            r = subprocess.run(["sh", "-c", c], capture_output=True, text=True)
            if r.returncode:
                raise RuntimeError(f"{c}: {r.stderr.strip()}")
        print(json.dumps({"ok": True}), flush=True)
    except Exception as e:
        print(json.dumps({"ok": False, "err": str(e)}), flush=True)
        return
    for line in sys.stdin:
        req = json.loads(line)
        print(json.dumps(one_sample(req["cmd"], req["teardown"])), flush=True)
    for c in setup.get("teardown", []):
        subprocess.run(["sh", "-c", c], capture_output=True)


def oci_bundle(name, net):
    """An OCI bundle from `runc spec`: same rootfs (read-only), pid/ipc/uts/mount
    (+ network), cpu 0.5, memory 10M, terminal off, args /stamp."""
    b = os.path.join(OUT, "oci", name)
    if os.path.isdir(b):
        shutil.rmtree(b)
    os.makedirs(b)
    run(["runc", "spec", "--bundle", b])
    with open(os.path.join(b, "config.json")) as f:
        c = json.load(f)
    c["process"]["terminal"] = False
    c["process"]["args"] = ["/stamp"]
    c["root"] = {"path": ROOTFS, "readonly": True}
    ns = [{"type": t} for t in ("pid", "ipc", "uts", "mount")]
    if net:
        ns.append({"type": "network"})
    c["linux"]["namespaces"] = ns
    c["linux"]["resources"] = {"devices": c["linux"].get("resources", {}).get("devices", []),
                               "memory": {"limit": 10 * 1024 * 1024},
                               "cpu": {"quota": 50000, "period": 100000}}
    with open(os.path.join(b, "config.json"), "w") as f:
        json.dump(c, f, indent=1)
    return b


CG_C = "C: v1 cgroups cpu, cpuacct, memory create + limits + join (one process)"
FAIR = "C lower bound, boxinit's isolation (net = host)"
FAIRNET = "C lower bound, boxinit's isolation + netns + lo (net = none)"


def strace_one(pid, act, out):
    """strace -f -c of what process @pid and its new children do during
    act() (which returns once the start is over): {syscall: calls}."""
    p = subprocess.Popen(["strace", "-f", "-c", "-U", "name,calls", "-o", out, "-p", str(pid)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(500):                    # attached: TracerPid is strace
            with open(f"/proc/{pid}/status") as f:
                if f"TracerPid:\t{p.pid}\n" in f.read():
                    break
            time.sleep(0.02)
        else:
            raise RuntimeError("strace did not attach")
        act()
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(timeout=30)
    calls = {}
    for line in open(out):
        f = line.split()
        if len(f) == 2 and f[1].isdigit() and f[0] != "total":
            calls[f[0]] = int(f[1])
    return calls


def syscall_lists(sb, lb, done):
    """One start of boxinit's service h and one of the fair bound, each
    under strace -c -f (not timed): the system calls each side makes."""
    S = "3. Container start latency — system calls per start"
    if not shutil.which("strace"):
        na(S, "system call lists", "strace not installed")
        return
    got = {}

    def box():
        n = len([1 for _, t in sb.out.lines if done("h")(t)])
        _, reply = sb.request("start h")
        if not reply.startswith("0"):
            raise RuntimeError(reply)
        sb.out.wait(done("h"), n + 1, timeout=60)
    got["boxinit"] = strace_one(sb.pid(), box, os.path.join(OUT, "strace-boxinit.txt"))
    if lb and lb.poll() is None:
        def bound():
            lb.stdin.write("fair\n")
            lb.stdin.flush()
            while not (lb.stdout.readline() or "DONE").startswith("DONE"):
                pass
        got["bound"] = strace_one(lb.pid, bound, os.path.join(OUT, "strace-bound.txt"))
    b, f = got["boxinit"], got.get("bound", {})
    row(S, "boxinit (net = host): system calls for one `start h`, all processes", f"{sum(b.values())}",
        "", 1, "", "", "strace -f -c -p <boxinit> around one `start h` (the request, the spawn, "
        "the reaper, the service up to its exec)")
    if f:
        row(S, FAIR + ": system calls for one start", f"{sum(f.values())}", "", 1, "", "",
            "strace -f -c -p <lowerbound> around one `fair` line")
    names = sorted(set(b) | set(f), key=lambda k: (-b.get(k, 0), -f.get(k, 0), k))
    table = ["| system call | boxinit | fair bound |", "|---|---|---|"]
    table += [f"| {k} | {b.get(k, '')} | {f.get(k, '')} |" for k in names]
    table.append(f"| total | {sum(b.values())} | {sum(f.values()) if f else ''} |")
    note(S, "Per system call (the execve of /stamp and its own first calls are on both sides; "
            "boxinit's side also has its control request, its log lines and the reply):\n\n"
            + "\n".join(table))

CG_SH = "shell: cgcreate + 2×cgset + cgexec"


def sec_start(a):
    S = "3. Container start latency"
    n = a.n
    methods = {}      # name -> callable(i) -> dict(lat|err)
    errors = {}
    cmds = {}

    # boxinit: one sandbox PID 1, services that run /stamp once and stop
    cfg = ("loglevel = info\nnet.bridge = br0\nnet.address = 10.88.0.1/24\n"
           + svc("h", "/stamp", restart="no", net="host", **CONT)
           + svc("n", "/stamp", restart="no", net="none", **CONT)
           + svc("b", "/stamp", restart="no", net="bridge", **CONT))
    sb = Sandbox(cfg, f"{TAG}-start", quiet=True)
    done = lambda nm: (lambda t: t.startswith(f"boxinit: {nm}: ") and "not restarted" in t)  # noqa: E731
    count = {"h": 1, "n": 1, "b": 1}
    try:
        sb.out.wait(lambda t: t.startswith("boxinit: ready:"))
        for nm in count:
            sb.out.wait(done(nm))
    except Exception as e:
        errors["boxinit"] = str(e)

    def boxinit(nm):
        def f(i):
            t0, reply = sb.request(f"start {nm}")
            if not reply.startswith("0"):
                return {"err": reply}
            count[nm] += 1
            sb.out.wait(lambda t: t.startswith(f"{nm}: STAMP start"), count[nm], timeout=60)
            sb.out.wait(done(nm), count[nm], timeout=60)
            return {"lat": sb.out.stamps(nm, "start")[-1] - t0}
        return f
    if "boxinit" not in errors:
        methods["boxinit (net = host)"] = boxinit("h")
        methods["boxinit (net = none: netns + lo)"] = boxinit("n")
        methods["boxinit (net = bridge: netns + veth + address + route)"] = boxinit("b")
    cmds["boxinit (net = host)"] = ("sandbox PID 1 (`unshare -pfmuin --cgroup chroot SB /init`); "
                                    "service root = busybox rootfs, cpu 0.5, memory 10M, exec /stamp; "
                                    "t0 before connect() of the `start h` request")
    cmds["boxinit (net = none: netns + lo)"] = "same, service net = none"
    cmds["boxinit (net = bridge: netns + veth + address + route)"] = \
        "same, service net = bridge (net.bridge = br0, net.address = 10.88.0.1/24)"

    # the C lower bound
    lbcg = Cg(f"{TAG}-lb")
    lb = None
    if all(k in lbcg.dirs for k in ("cpu", "cpuacct", "memory")):
        # the fair bound joins the hierarchies boxinit uses here: pids and
        # devices too where they exist (v1)
        extra = [lbcg.dirs[k] for k in ("pids", "devices")] \
            if all(k in lbcg.dirs for k in ("pids", "devices")) else []
        # in boxinit's own mount namespace (nsenter -m: at its top, not in
        # the sandbox's chroot): clone(CLONE_NEWNS) copies every mount of
        # the parent's namespace and pivot_root detaches them all again,
        # so the bounds pay for the same tree boxinit's containers do
        ns = ["nsenter", "-t", str(sb.pid()), "-m", "--"] if "boxinit" not in errors else []
        lb = subprocess.Popen([*ns, LOWER, ROOTFS, lbcg.dirs["cpu"], lbcg.dirs["cpuacct"],
                               lbcg.dirs["memory"], *extra], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)

        def lower(word):
            def f(i):
                if lb.poll() is not None:
                    return {"err": f"lowerbound exited with status {lb.returncode}"}
                lb.stdin.write(word + "\n")
                lb.stdin.flush()
                t0 = st = None
                while True:
                    line = lb.stdout.readline()
                    if not line:
                        return {"err": f"lowerbound died ({word}): status {lb.wait()}"}
                    if line.startswith("T0 "):
                        t0 = int(line.split()[1])
                    elif line.startswith("STAMP start"):
                        st = int(line.split()[2])
                    elif line.startswith("CG "):
                        t0, st = 0, int(line.split()[1])
                    elif line.startswith("ERR"):
                        return {"err": line.strip()}
                    elif line.startswith("DONE"):
                        break
                return {"lat": st - t0} if t0 is not None and st else {"err": "no stamp"}
            return f
        methods[FAIR] = lower("fair")
        methods[FAIRNET] = lower("fairnet")
        methods["C lower bound (one long-lived process)"] = lower("go")
        methods["C lower bound + CLONE_NEWNET (no veth)"] = lower("net")
        methods[CG_C] = lower("cg")
    else:
        errors["C lower bound (one long-lived process)"] = "no v1 cpu/cpuacct/memory hierarchy"
    cmds["C lower bound (one long-lived process)"] = \
        ("bench/lowerbound, the bare bound: mkdir 3 v1 cgroups + limits, clone(NEWNS|NEWPID|NEWUTS|NEWIPC), "
         "join, chroot, exec /stamp; no mounts, capabilities, no_new_privs or seccomp")
    cmds[FAIR] = ("bench/lowerbound `fair`: boxinit's isolation of service h, straight-line: clone(NEWNS|NEWPID|"
                  "NEWUTS|NEWIPC); the reaper joins the service's cgroups (made once, with limits and "
                  "device policy), unshares the cgroup namespace, makes / private, binds the root, mounts "
                  "proc, dev, dev/pts, dev/shm, tmp, sys (bound, read-only), binds the 6 device nodes, 5 "
                  "symlinks, the OCI masked and read-only paths, pivot_root + detach, hostname, drops the "
                  "bounding set, forks the service; drops itself to kill, no_new_privs, not dumpable, "
                  "death signal, re-executes itself and releases the service; boxinit's seccomp filter once, "
                  "in the reaper before the fork; the service: setsid, stdin /dev/null, capset, "
                  "RLIMIT_NOFILE, no_new_privs, exec /stamp. Both bounds run in boxinit's mount namespace "
                  "(nsenter -m), whose mounts every CLONE_NEWNS copies")
    cmds[FAIRNET] = "same + CLONE_NEWNET, sysfs read-only instead of the bind, lo up"
    cmds["C lower bound + CLONE_NEWNET (no veth)"] = "same + CLONE_NEWNET"
    cmds[CG_C] = ("bench/lowerbound, input `cg`: mkdir cpu, cpuacct, memory cgroups, write "
                  "cfs_period/cfs_quota/limit_in_bytes, fork a child that writes cgroup.procs ×3 "
                  "and exits; until it is reaped")

    # the shell pipeline
    shcg = Cg(f"{TAG}-sh")
    del shcg
    have = {t: shutil.which(t) for t in ("cgcreate", "crun", "runc", "ip")}
    SH = (f"cgcreate -g cpu,cpuacct,memory:{TAG}-sh/s{{i}} && "
          f"cgset -r cpu.cfs_period_us=100000 -r cpu.cfs_quota_us=50000 {TAG}-sh/s{{i}} && "
          f"cgset -r memory.limit_in_bytes=10M {TAG}-sh/s{{i}} && "
          f"cgexec -g cpu,cpuacct,memory:{TAG}-sh/s{{i}} {{pre}}unshare -muipf chroot {ROOTFS} /stamp")
    # not cgdelete: with cpu and cpuacct mounted apart it removes only the
    # first controller's directory and exits 0 (baselines.md)
    SHDEL = (f"for k in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do rmdir "
             f"/sys/fs/cgroup/cpu/{TAG}-sh/s{{i}} /sys/fs/cgroup/cpuacct/{TAG}-sh/s{{i}} "
             f"/sys/fs/cgroup/memory/{TAG}-sh/s{{i}} 2>/dev/null; "
             f"[ -d /sys/fs/cgroup/memory/{TAG}-sh/s{{i}} ] || break; sleep 0.02; done")
    NET = ("ip netns add bn{i} && ip link add bh{i} type veth peer name bc{i} && "
           "ip link set bc{i} netns bn{i} && ip link set bh{i} master brb && ip link set bh{i} up && "
           "ip -n bn{i} addr add 10.89.{hi}.{lo}/16 dev bc{i} && ip -n bn{i} link set bc{i} up && "
           "ip -n bn{i} link set lo up && ip -n bn{i} route add default via 10.89.0.1 && ")
    sh_name, shn_name = "shell: cgcreate + 2×cgset + cgexec unshare -muipf chroot", \
        "shell + net: ip netns add, veth, ip link set netns, addr, up, route, ip netns exec"
    cmds[sh_name] = "sh -c '" + SH.format(i="I", pre="") + "'; t0 before spawning sh; then rmdir of the 3 cgroups (not timed)"
    cmds[shn_name] = ("in a throwaway netns (unshare --net) holding bridge brb 10.89.0.1/16: sh -c '"
                      + NET.format(i="I", hi="X", lo="Y") + SH.format(i="I", pre="ip netns exec bnI ")
                      + "'; then ip netns del, rmdir of the cgroups (not timed)")
    SHCG = (f"cgcreate -g cpu,cpuacct,memory:{TAG}-sh/c{{i}} && "
            f"cgset -r cpu.cfs_period_us=100000 -r cpu.cfs_quota_us=50000 {TAG}-sh/c{{i}} && "
            f"cgset -r memory.limit_in_bytes=10M {TAG}-sh/c{{i}} && "
            f"cgexec -g cpu,cpuacct,memory:{TAG}-sh/c{{i}} {STAMP}")
    cmds[CG_SH] = "sh -c '" + SHCG.format(i="I") + "' until the stamp's first instruction; then rmdir (not timed)"
    wn = None
    if have["cgcreate"]:
        methods[sh_name] = lambda i: one_sample(SH.format(i=i, pre=""), SHDEL.format(i=i))
        methods[CG_SH] = lambda i: one_sample(SHCG.format(i=i), SHDEL.format(i=i).replace("/s", "/c"))
        if have["ip"]:
            try:
                wn = Worker(["--net"], {"setup": ["ip link set lo up",
                                                  "ip link add brb type bridge",
                                                  "ip addr add 10.89.0.1/16 dev brb",
                                                  "ip link set brb up"],
                                        "teardown": ["ip link del brb"]})
                methods[shn_name] = lambda i: wn.sample(
                    NET.format(i=i, hi=i // 250, lo=i % 250 + 2)
                    + SH.format(i=f"n{i}", pre=f"ip netns exec bn{i} "),
                    f"ip netns del bn{i}; " + SHDEL.format(i=f"n{i}"))
            except Exception as e:
                errors[shn_name] = str(e)
        else:
            errors[shn_name] = "iproute2 (ip) not installed"
    else:
        errors[sh_name] = errors[shn_name] = "cgroup-tools not installed (apt-get install cgroup-tools failed?)"

    # crun and runc
    OCICG = f"/{TAG}-oci"
    Cg(f"{TAG}-oci")
    for rt in ("crun", "runc"):
        for net in (False, True):
            nm = f"{rt} run{' + netns (no veth)' if net else ''}"
            if not have[rt]:
                errors[nm] = f"{rt} not installed"
                continue
            b = oci_bundle(f"{rt}{'-net' if net else ''}", net)
            cgp = f"{OCICG}/{rt}{'n' if net else ''}{{i}}"
            with open(os.path.join(b, "config.json")) as f:
                conf = json.load(f)
            cmd = f"{rt} run --bundle {b} {TAG}-{rt}{'n' if net else ''}{{i}}"
            tear = f"{rt} delete -f {TAG}-{rt}{'n' if net else ''}{{i}} 2>/dev/null"
            cmds[nm] = (cmd.format(i="I") + f" (bundle from `runc spec`: rootfs ro, {'pid/ipc/uts/mount/network' if net else 'pid/ipc/uts/mount'}"
                        f" namespaces, cpu quota 50000/100000, memory 10M, cgroupsPath {OCICG}/…); t0 before spawning sh")

            def per_iter(i, b=b, conf=conf, cgp=cgp, cmd=cmd):
                conf["linux"]["cgroupsPath"] = cgp.format(i=i)
                with open(os.path.join(b, "config.json"), "w") as f:
                    json.dump(conf, f)
                return cmd.format(i=i)
            if rt == "crun":
                # crun 1.8.1 refuses the hybrid layout: a private mount
                # namespace without /sys/fs/cgroup/unified (baselines.md)
                if "crun" not in Worker.__dict__.get("_cache", {}):
                    try:
                        Worker._cache = {"crun": Worker(["--mount", "--propagation", "private"],
                                                        {"setup": ["umount /sys/fs/cgroup/unified || true"]})}
                    except Exception as e:
                        errors[nm] = str(e)
                        continue
                wc = Worker._cache["crun"]
                methods[nm] = (lambda i, p=per_iter, t=tear, w=wc: w.sample(p(i), t.format(i=i)))
                cmds[nm] += "; run in a private mount namespace with /sys/fs/cgroup/unified unmounted (crun refuses hybrid cgroups)"
            else:
                methods[nm] = (lambda i, p=per_iter, t=tear: one_sample(p(i), t.format(i=i)))

    # interleaved rounds, each in its own order (shuffled, seeded: the
    # same every run). Not rotated: a rotation keeps every method behind
    # the same one, and what that one leaves behind (a cgroup migration
    # shortly before makes the next one cheap: the kernel's
    # cgroup_threadgroup_rwsem then needs no RCU grace period, several ms
    # here) would favour some methods in every round
    names = list(methods)
    res = {k: [None] * n for k in names}
    first_err = {}
    rng = random.Random(16)
    log(f"start latency: {len(names)} methods x {n} rounds")
    for i in range(n):
        order = list(names)
        rng.shuffle(order)
        for k in order:
            try:
                r = methods[k](i)
            except Exception as e:
                r = {"err": str(e)}
            if "lat" in r:
                res[k][i] = r["lat"]
            else:
                first_err.setdefault(k, r.get("err", "?"))
    try:
        syscall_lists(sb, lb, done)
    except Exception as e:
        na(S + " — system calls per start", "system call lists", f"harness error: {e}"[:300])
    sb.close()
    if lb:
        try:
            lb.stdin.close()
        except BrokenPipeError:
            pass
        lb.wait(timeout=60)
    for w in list(getattr(Worker, "_cache", {}).values()):
        w.close()
    Worker._cache = {}
    if wn:
        wn.close()

    all_names = list(dict.fromkeys(names + list(errors)))
    for k in all_names:
        if k in (CG_C, CG_SH):
            continue
        xs = [x for x in res.get(k, []) if x is not None]
        if not xs:
            na(S, k, (errors.get(k) or first_err.get(k, "no samples"))[:300], cmds.get(k, ""))
            continue
        m, sp, c = summary(xs)
        extra = f"; {len(res[k]) - len(xs)} failed: {first_err.get(k, '')[:120]}" if len(xs) < len(res[k]) else ""
        row(S, k + " — decision → first instruction", m, sp + extra, c, "", "", cmds.get(k, ""))

    def ratio(num, den, goal, ok):
        a_, b_ = res.get(num), res.get(den)
        if not a_ or not b_:
            return
        rs = [x / y for x, y in zip(a_, b_) if x and y]
        if not rs:
            return
        m, sp, c = ratio_summary(rs)
        r = statistics.median(rs)
        row(S + " — ratios (per interleaved round)", f"{num} / {den}", m, sp, c, goal,
            ("yes" if ok(r) else "no") if goal.startswith(("≤", "≥")) else "", "same rounds")
    bh = "boxinit (net = host)"
    bn = "boxinit (net = none: netns + lo)"
    bb = "boxinit (net = bridge: netns + veth + address + route)"
    ratio(bh, FAIR, "≤ 1.25x", lambda r: r <= 1.25)
    ratio(bn, FAIRNET, "", lambda r: True)
    ratio(bh, "C lower bound (one long-lived process)", "(bare bound: no mounts, caps, seccomp)",
          lambda r: True)
    ratio(bb, "C lower bound + CLONE_NEWNET (no veth)", "(bare bound, no veth)", lambda r: True)
    ratio("crun run", bh, "≥ 6x", lambda r: r >= 6)
    ratio("runc run", bh, "", lambda r: True)
    ratio(sh_name, bh, "≥ 12x", lambda r: r >= 12)
    ratio(shn_name, bb, "≥ 25x", lambda r: r >= 25)
    ratio("crun run + netns (no veth)", bb, "", lambda r: True)
    S7 = "7. Per-service cgroup and network setup"
    for k in (CG_C, CG_SH):
        xs = [x for x in res.get(k, []) if x is not None]
        if not xs:
            na(S7, k, (errors.get(k) or first_err.get(k, "not run"))[:300], cmds.get(k, ""))
            continue
        m, sp, c = summary(xs)
        row(S7, k, m, sp, c, "", "", cmds.get(k, ""))
    ratio_in = S
    S = S7
    ratio(CG_SH, CG_C, "", lambda r: True)
    S = ratio_in

    def delta(a_, b_):
        xa, xb = res.get(a_), res.get(b_)
        if not xa or not xb:
            return []
        return [x - y for x, y in zip(xa, xb) if x and y]
    dn = delta(bb, "boxinit (net = none: netns + lo)")
    ds = delta(shn_name, sh_name)
    if dn:
        m, sp, c = summary(dn)
        row(S7, "boxinit netlink per service: (net = bridge) − (net = none), per round", m, sp, c,
            "", "", "from the rounds of section 3: veth created in the netns, bridge port, "
            "address, up, route")
    if ds:
        m, sp, c = summary(ds)
        row(S7, "`ip` commands per service: (shell + net) − (shell), per round", m, sp, c, "", "",
            "from the rounds of section 3: ip netns add, veth, ip link set netns, master, up, "
            "addr, up ×2, route, ip netns exec")
    if dn and ds:
        r = statistics.median(ds) / statistics.median(dn)
        row(S7, "ratio of the medians: ip commands / boxinit netlink", f"{r:.1f}x", "", "",
            "", "", "")
    note(S7, "The cgroup rows time the syscalls boxinit makes (from C, as boxinit does) "
             "against cgroup-tools; boxinit's own cgroup step is not separately "
             "observable from outside.")
    note(S, "boxinit's figure includes the control-socket round trip (connect + send of "
            "`start NAME`, boxinit's accept and parse) and starting the container's reaper; "
            "the others include spawning `sh -c` from Python (about 1 ms here), as a script "
            "would. crun/runc do not create veths (that is CNI's job): their network row has "
            "a bare network namespace. The fair lower bound does the isolation boxinit does (its system "
            "calls are listed below, next to boxinit's); the bare bound has no mounts, no capability "
            "drop, no no_new_privs and no seccomp; neither has a veth.")


# ---- 4. scale ---------------------------------------------------------------
def sec_scale(a):
    S = "4. Scale"
    ns = a.scale_n
    reps = a.scale_reps
    results = {}
    for variant in ("none", "bridge"):
        for N in ns:
            cfg = "loglevel = info\n"
            if variant == "bridge":
                cfg += "net.bridge = br0\nnet.address = 10.88.0.1/16\n"
            for k in range(N):
                cfg += svc(f"s{k}", "/stamp pause", net=variant, **CONT)
            alls, readys, rss, errs = [], [], [], []
            for r in range(reps):
                sb = Sandbox(cfg, f"{TAG}-scale")
                try:
                    hits = sb.out.wait(lambda t: LINE.match(t) is not None, N, timeout=60)
                    del hits
                    st = [int(LINE.match(t).group(3)) for _, t in sb.out.lines if LINE.match(t)]
                    alls.append(max(st) - sb.t_spawn)
                    time.sleep(0.05)
                    s = sb.status()
                    rss.append(int(s["VmRSS"].split()[0]))
                    rl = [t for _, t in sb.out.lines if "ready:" in t]
                    m = re.search(r"boot ([\d.]+) ms", rl[0]) if rl else None
                    if m:
                        readys.append(float(m.group(1)))
                except Exception as e:
                    errs.append(str(e))
                finally:
                    sb.close()
            results[(variant, N)] = (alls, readys, rss, errs)
            log(f"scale net={variant} N={N}: {len(alls)}/{reps} ok")
    cmd0 = ("sandbox PID 1 with N services `/stamp pause`, each root = busybox rootfs, cpu 0.5, "
            "memory 10M, net = {v}; t0 before spawning `unshare … chroot SB /init`; end = last "
            "service's first instruction; RSS = VmRSS of /proc/<boxinit pid>/status then")
    base = {}
    for (variant, N), (alls, readys, rss, errs) in results.items():
        tag = f"N = {N}, net = {variant}"
        if not alls:
            na(S, f"{tag}: all running", (errs[0] if errs else "?")[:300], cmd0.format(v=variant))
            continue
        m, sp, c = summary(alls)
        lim = {("none", 100): 1000, ("bridge", 100): 300, ("bridge", 200): 600}.get((variant, N))
        goal, met = ((f"≤ {lim} ms" if lim < 1000 else "< 1 s"),
                     "yes" if statistics.median(alls) <= lim * 1e6 else "no") if lim else ("", "")
        row(S, f"{tag}: spawn → all N services' first instruction", m, sp, c, goal, met,
            cmd0.format(v=variant))
        row(S, f"{tag}: per service", f"{statistics.median(alls) / N / 1e6:.2f} ms", "", c, "linear", "")
        if readys:
            m2, sp2, c2 = summary([x * 1e6 for x in readys])
            row(S, f"{tag}: boxinit's own 'ready … (boot X ms)'", m2, sp2, c2, "", "", "boxinit's log")
        if rss:
            med = statistics.median(rss)
            row(S, f"{tag}: PID-1 RSS", f"{med:.0f} KiB", f"min–max {min(rss)}–{max(rss)}", len(rss),
                "", "", "grep VmRSS /proc/<boxinit host pid>/status")
            base.setdefault(variant, {})[N] = med
        if errs:
            note(S, f"{tag}: {len(errs)} run(s) failed: {errs[0][:200]}")
    for variant in ("none", "bridge"):
        per = {N: statistics.median(v[0]) / N for (vv, N), v in results.items()
               if vv == variant and v[0]}
        if len(per) >= 2 and 10 in per and max(per) > 10:
            hi = max(per)
            row(S, f"net = {variant}: linearity, per-service time at N = {hi} / at N = 10",
                f"{per[hi] / per[10]:.2f}", "", "", "≈ 1 (linear)", "", "from the medians above")
    for variant, d in base.items():
        if len(d) >= 2:
            lo, hi = min(d), max(d)
            per = (d[hi] - d[lo]) * 1024 / (hi - lo)
            row(S, f"net = {variant}: PID-1 memory per service", f"{per:.0f} B",
                f"(RSS(N={hi}) − RSS(N={lo})) / {hi - lo}", "", "< 4 KiB",
                "yes" if per < 4096 else "no", "from the RSS medians above")
    note(S, "VmRSS has page granularity (4 KiB): the per-service figure is the slope between "
            "the smallest and largest N.")


# ---- 6. idle cost ------------------------------------------------------------
def idle_switches(a, cfg, tag):
    """PID 1's context switches (voluntary + not) per second over a.idle_s
    seconds of an idle sandbox running @cfg: (samples, elapsed s, status)."""
    sb = Sandbox(cfg, tag)
    try:
        sb.out.wait(lambda t: LINE.match(t) is not None, 10)
        time.sleep(1)
        s0 = sb.status()
        samples = []
        prev = int(s0["voluntary_ctxt_switches"]) + int(s0["nonvoluntary_ctxt_switches"])
        t0 = time.monotonic()
        for _ in range(a.idle_s):
            time.sleep(1)
            s = sb.status()
            cur = int(s["voluntary_ctxt_switches"]) + int(s["nonvoluntary_ctxt_switches"])
            samples.append(cur - prev)
            prev = cur
        return samples, time.monotonic() - t0, s
    finally:
        sb.close()


def sec_idle(a):
    S = "6. Idle cost"
    cfg = "loglevel = info\n" + "".join(svc(f"i{k}", "/stamp pause", net="none", **CONT)
                                        for k in range(10))
    how = "voluntary_ctxt_switches + nonvoluntary_ctxt_switches of /proc/<boxinit pid>/status, read every 1 s"
    try:
        samples, el, s = idle_switches(a, cfg, f"{TAG}-idle")
        tot = sum(samples)
        row(S, "PID 1 wake-ups (context switches) per minute, 10 services running, none failing",
            f"{tot * 60 / el:.1f}", f"{tot} in {el:.0f} s; per second p10–p90 {pct(samples, .1):.0f}–{pct(samples, .9):.0f}",
            len(samples), "0", "yes" if tot == 0 else "no", how)
        row(S, "PID-1 RSS with 10 services", s["VmRSS"], f"VmHWM {s['VmHWM']}", 1, "", "",
            "grep VmRSS /proc/<boxinit pid>/status")
    except Exception as e:
        na(S, "idle context switches", str(e)[:300])
    # the same with a watchdog: its pets are the only wake-ups (one every
    # third of the timeout). /dev/null stands for the device: never the
    # machine's own watchdog, which would reset it
    try:
        samples, el, s = idle_switches(a, cfg + "watchdog = /dev/null\nwatchdog_timeout = 3s\n",
                                       f"{TAG}-idlewd")
        tot = sum(samples)
        row(S, "PID 1 wake-ups per minute, the same with watchdog_timeout = 3s (a pet every 1 s)",
            f"{tot * 60 / el:.1f}", f"{tot} in {el:.0f} s", len(samples), "60 (the pets)",
            "yes" if tot * 60 / el <= 66 else "no", how + "; watchdog = /dev/null stands for the device")
    except Exception as e:
        na(S, "idle wake-ups with a watchdog", str(e)[:300])


# ---- 5. boot under QEMU -------------------------------------------------------
BB_INIT = """#!/bin/busybox sh
exec /bin/busybox init
"""
BB_INITTAB = """::sysinit:/etc/bench-rc
::respawn:/etc/bench-svc 0
::respawn:/etc/bench-svc 1
::respawn:/etc/bench-svc 2
"""
# the steps boxinit does for this config, with busybox tools
BB_RC = """#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm /run /tmp
mount -t devpts devpts /dev/pts; mount -t tmpfs shm /dev/shm
mount -t tmpfs run /run; mount -t tmpfs tmp /tmp
hostname bench; ip link set lo up
mount -t cgroup2 none /sys/fs/cgroup
echo "+cpu +memory +pids" > /sys/fs/cgroup/cgroup.subtree_control
for s in 0 1 2; do
	mkdir /sys/fs/cgroup/s$s
	echo "50000 100000" > /sys/fs/cgroup/s$s/cpu.max
	echo 10485760 > /sys/fs/cgroup/s$s/memory.max
done
"""
BB_SVC = """#!/bin/sh
echo $$ > /sys/fs/cgroup/s$1/cgroup.procs
exec unshare -m -u -i -n -p -f sh -c "ip link set lo up; echo BENCH-UP $1 \\$(cut -d' ' -f1 /proc/uptime); exec sleep 1000"
"""


def sec_boot(a):
    S = "5. Boot under QEMU (TCG)"
    initrd = os.path.join(REPO, "build", "qemu-x86_64", "initramfs.cpio.gz")
    if not os.path.exists(initrd):
        na(S, "x86_64 boot", "build/qemu-x86_64/initramfs.cpio.gz missing (make image)")
        return
    sys.path.insert(0, os.path.join(REPO, "tests", "boot"))
    try:
        import qemu  # tests/boot/qemu.py
    except Exception as e:
        na(S, "x86_64 boot", f"tests/boot/qemu.py: {e}")
        return
    cfg = ("loglevel = info\n"
           + "".join(svc(f"s{k}", "/bin/sh -c \\\"echo BENCH-UP " + str(k)
                         + " $(cut -d' ' -f1 /proc/uptime); exec sleep 1000\\\"",
                         cpu="0.5", memory="10M", net="none")
                     for k in range(3)))
    bbfiles = {"bbinit": (0o755, BB_INIT), "etc/inittab": (0o644, BB_INITTAB),
               "etc/bench-rc": (0o755, BB_RC), "etc/bench-svc": (0o755, BB_SVC)}
    res = {"boxinit": {"up": [], "kinit": [], "ready": [], "share": []},
           "busybox": {"up": [], "kinit": [], "ready": [], "share": []}}
    errs = {}
    wd = os.path.join(OUT, "qemu")
    os.makedirs(wd, exist_ok=True)
    for r in range(a.boots):
        for who in (("boxinit", "busybox") if r % 2 == 0 else ("busybox", "boxinit")):
            if who == "boxinit":
                # loglevel=7: the kernel's "Run /init as init process"
                # (KERN_INFO) dates init (qemu.py boots with loglevel=1).
                # Not ignore_loglevel: that also prints the KERN_DEBUG copy
                # of every line boxinit mirrors into /dev/kmsg, so each of
                # its lines would cross the emulated UART twice
                g = qemu.Guest(wd, cfg, append="loglevel=7")
            else:
                g = qemu.Guest(wd, "# unused\n", files=bbfiles,
                               append="rdinit=/bbinit loglevel=7")
            d = res[who]
            try:
                g.start()
                for k in (2, 1, 0):
                    g.wait_for(rf"BENCH-UP {k} ", timeout=90)
                raw = open(g.log_path, "rb").read().decode("utf-8", "replace").replace("\r", "")
                m = re.search(r"\[\s*(\d+\.\d+)\] Run /\S+ as init process", raw)
                u = [float(x) for x in re.findall(r"BENCH-UP \d ([\d.]+)", raw)][:3]
                d["up"].append(max(u))
                if m:
                    d["kinit"].append(float(m.group(1)))
                    d["share"].append(max(u) - float(m.group(1)))
                    d.setdefault("by_round", {})[r] = d["share"][-1]
                m = re.search(r"ready: \d+ services started \(boot ([\d.]+) ms\)", raw)
                if m:
                    d["ready"].append(float(m.group(1)))
            except Exception as e:
                errs.setdefault(who, str(e))
            finally:
                g.close()
    cmds = {"boxinit": ("tests/boot/qemu.py Guest (x86_64 board: -M pc -m 256, TCG, "
                        "loglevel=7 for the kernel's timestamps): "
                        "build/qemu-x86_64/initramfs.cpio.gz + /etc/boxinit.conf with 3 services "
                        "`sh -c \"echo BENCH-UP K $(cut -d' ' -f1 /proc/uptime); exec sleep 1000\"`, "
                        "cpu 0.5, memory 10M, net = none"),
            "busybox": ("same image and kernel, `rdinit=/bbinit` (exec busybox init); inittab: "
                        "sysinit /etc/bench-rc (mount proc sys devtmpfs devpts shm run tmp, hostname, "
                        "lo up, cgroup2 + 3 cgroups cpu.max 50000 100000, memory.max 10M) and 3 "
                        "respawn /etc/bench-svc K (join cgroup, `unshare -muinpf sh -c 'ip link set lo "
                        "up; echo BENCH-UP …'`); the scripts are in bench/bench.py")}
    for who in ("boxinit", "busybox"):
        d = res[who]
        label = "boxinit" if who == "boxinit" else "busybox init + rc script"
        if not d["up"]:
            na(S, f"{label}: boot", errs.get(who, "no boots")[:300], cmds[who])
            continue
        m, sp, c = summary([x * 1e9 for x in d["up"]], 1e9, "s", 3)
        row(S, f"{label}: kernel start → all 3 services running (uptime the last one printed)",
            m, sp, c, "", "", cmds[who])
        if d["kinit"]:
            m, sp, c = summary([x * 1e9 for x in d["kinit"]], 1e9, "s", 3)
            row(S, f"{label}: kernel start → init ('Run … as init process')", m, sp, c, "", "",
                "kernel timestamps of the serial log")
        if d["share"]:
            m, sp, c = summary([x * 1e9 for x in d["share"]])
            row(S, f"{label}: init's share = last service's uptime − 'Run init' timestamp",
                m, sp, c, "", "", "same boots")
        if d["ready"]:
            m, sp, c = summary([x * 1e6 for x in d["ready"]])
            med = statistics.median(d["ready"])
            row(S, "boxinit's own figure: 'ready: 3 services started (boot X ms)'", m, sp, c,
                "≤ 20 ms", "yes" if med <= 20 else "no", "boxinit's log line")
        if who in errs:
            note(S, f"{label}: some boots failed: {errs[who][:200]}")
    bx, bb = res["boxinit"].get("by_round", {}), res["busybox"].get("by_round", {})
    rs = [bx[r] / bb[r] for r in bx if r in bb and bb[r] > 0]
    if rs:
        m, sp, c = ratio_summary(rs)
        row(S, "init's share: boxinit / busybox init + rc, per interleaved pair of boots", m, sp, c,
            "≤ 0.5x", "yes" if statistics.median(rs) <= 0.5 else "no", "same boots")
    note(S, "Boots interleaved (boxinit, busybox, busybox, boxinit, …). TCG emulation: every "
            "figure here is many times what the same kernel and init take on hardware.")


# ---- output -------------------------------------------------------------------
def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    cg = "cgroup v1 + cgroup2 (hybrid)" if os.path.exists("/sys/fs/cgroup/unified") else \
        ("cgroup2" if os.path.exists("/sys/fs/cgroup/cgroup.controllers") else "cgroup v1")
    return (f"CPU: {cpu}, {os.cpu_count()} CPUs; kernel {platform.release()} "
            f"({platform.version()}); {cg}; load average at start "
            f"{open('/proc/loadavg').read().split()[0]}")


def versions():
    out = []
    for c in (["crun", "--version"], ["runc", "--version"], ["cgcreate", "-h"],
              ["busybox"], ["qemu-system-x86_64", "--version"]):
        if shutil.which(c[0]):
            r = run(c, check=False)
            first = (r.stdout or r.stderr).splitlines()
            out.append(f"{c[0]}: {first[0] if first else '?'}")
        else:
            out.append(f"{c[0]}: not installed")
    return out


def board_figures():
    p = "/work/shared/notes/board-figures.md"
    if not os.path.exists(p):
        return None
    return open(p).read().strip()


def write(path, a, t_start):
    md = ["# boxinit benchmarks", "",
          f"Generated by `{' '.join(['bench/bench.py'] + a.argv)}` (`make bench`"
          f"{'-smoke' if a.smoke else ''}) on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{time.monotonic() - t_start:.0f} s.", "",
          f"Machine: {machine()}; load average at the end "
          f"{open('/proc/loadavg').read().split()[0]} (other jobs share this machine: "
          f"a high load inflates every absolute figure).", ""]
    md += ["Tools: " + "; ".join(versions()) + ".", ""]
    if a.smoke:
        md += ["**Smoke run (tiny N): the figures are not meaningful.**", ""]
    md += ["Medians with p10–p90 and min–max over n runs. Absolute times on this nested VM drift "
           "10–25 % between runs: compare the ratios, which come from interleaved rounds.", ""]
    def order(name):
        m = re.match(r"(\d+)\.", name)
        return (int(m.group(1)) if m else 99, name)
    sections = sorted(dict.fromkeys(r[0] for r in ROWS), key=order)
    goals = [r for r in ROWS if r[5].startswith(("<", "≤", "≥", "0"))]
    if goals:
        md += ["## Goals", "", "| section | figure | value | goal | met? |", "|---|---|---|---|---|"]
        for r in goals:
            md.append("| " + " | ".join(str(x).replace("|", "\\|") for x in
                                        (r[0], r[1], r[2], r[5], r[6] or "?")) + " |")
        md.append("")
    for s in sections:
        md += [f"## {s}", "", "| figure | median / value | spread | n | goal | met? | command |",
               "|---|---|---|---|---|---|---|"]
        for r in ROWS:
            if r[0] == s:
                md.append("| " + " | ".join(str(x).replace("|", "\\|").replace("\n", " ")
                                            for x in r[1:]) + " |")
        md.append("")
        for t in NOTES.get(s, []):
            md += [t, ""]
    for s, ts in NOTES.items():
        if s not in sections:
            md += [f"## {s}", ""] + [t + "\n" for t in ts]
    bf = board_figures()
    md += ["## aarch64 and board figures (from /work/shared/notes/board-figures.md)", ""]
    if bf:
        bf = re.sub(r"^#+ ", "", bf, count=1)        # its title becomes a paragraph
        bf = bf.replace("\n### ", "\n#### ").replace("\n## ", "\n#### ")
    md += [bf or "not available: file missing", ""]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(md) + "\n")
    with open(os.path.join(OUT, "rows-smoke.json" if a.smoke else "rows.json"), "w") as f:
        json.dump({"rows": ROWS, "notes": NOTES}, f, indent=1)
    log(f"wrote {path}")


SECTIONS = {"footprint": sec_footprint, "restart": sec_restart, "start": sec_start,
            "scale": sec_scale, "idle": sec_idle, "boot": sec_boot}


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        return worker_main(sys.argv[2])
    p = argparse.ArgumentParser()
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--out", default=os.path.join(REPO, "bench", "RESULTS.md"))
    p.add_argument("--only", default=",".join(SECTIONS))
    a = p.parse_args()
    a.argv = sys.argv[1:]
    a.n = 3 if a.smoke else int(os.environ.get("BENCH_N", "30"))
    a.scale_n = [1, 10] if a.smoke else [1, 10, 50, 100, 200]
    a.scale_reps = 1 if a.smoke else int(os.environ.get("BENCH_SCALE_REPS", "20"))
    a.idle_s = 5 if a.smoke else 30
    a.boots = 1 if a.smoke else int(os.environ.get("BENCH_BOOTS", "20"))
    if os.geteuid() != 0:
        # not a failure (benchmarks never fail the build): say why, write that
        print("bench: needs root (namespaces, cgroups, chroot): nothing measured", file=sys.stderr)
        na("all", "every benchmark", "not root (namespaces, cgroups, chroot need it)")
        write(a.out, a, time.monotonic())
        return 0
    for f in (STAMP, LOWER, BOXINIT):
        if not os.path.exists(f):
            print(f"bench: {f} missing (make bench builds it)", file=sys.stderr)
            return 1
    t_start = time.monotonic()
    os.makedirs(OUT, exist_ok=True)
    make_roots()
    left = sweep()
    if left:
        log(f"cannot remove old cgroups: {left}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        for name in a.only.split(","):
            if name not in SECTIONS:
                na(name, f"section {name}", "harness error: unknown section")
                continue
            log(f"section {name}")
            t = time.monotonic()
            try:
                SECTIONS[name](a)
            except Exception as e:
                traceback.print_exc()
                na(name, f"section {name}", f"harness error: {e}"[:300])
            log(f"section {name}: {time.monotonic() - t:.1f} s")
    finally:
        for c in reversed(list(CLEANUP)):
            try:
                c()
            except Exception:
                traceback.print_exc()
        left = sweep()
        if left:
            log(f"cgroups left behind: {left}")
    write(a.out, a, t_start)
    broken = [r for r in ROWS if "harness error" in r[2]]
    if a.smoke and broken:
        # the smoke exists so that the harness cannot rot: a bug in it fails
        for r in broken:
            print(f"bench-smoke: {r[1]}: {r[2]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
