# SPDX-License-Identifier: MIT
"""Boot the board's kernel + initramfs under QEMU with a test configuration.

The base image (build/$BOARD/initramfs.cpio.gz, made by `make image`) is not
rebuilt per test: a second, tiny gzip'ed newc archive holding the test's
/etc/boxinit.conf (and any other files) is appended to it, and the kernel
unpacks concatenated archives in order, so the later files win.

The serial console goes to a log file, the QEMU monitor to a unix socket.
Every boot runs under `timeout` (hard limit HARD_TIMEOUT) and is killed by
its process group in close(). QEMU's exit status is 0 after a kernel panic
too, so tests judge from the log only (see assert_clean).
"""
import gzip
import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARCH = os.environ.get("ARCH", "x86_64")
BOARD = os.environ.get("BOARD", f"qemu-{ARCH}")
BOARD_DIR = ROOT / "board" / BOARD
# The board's own tree (kernel, rootfs, initramfs; as board/common/board.mk
# makes it), and the static boxinit's, shared by the boards of one ARCH.
BUILD = ROOT / "build" / BOARD
BASE_INITRD = BUILD / "initramfs.cpio.gz"
RUN_QEMU = ROOT / "board" / "common" / "run-qemu.sh"



def _board_conf():
    """The board's settings: board.conf is POSIX sh, so let sh read it."""
    keys = ("ARCH", "CONSOLE", "KEYBOARD_MODULES", "KERNEL_MODULES", "QEMU", "SUITE")
    script = '. "$1" && printf "%s\\0" ' + " ".join(f'"${{{k}:-}}"' for k in keys)
    out = subprocess.run(["sh", "-c", script, "sh", str(BOARD_DIR / "board.conf")],
                         check=True, capture_output=True, text=True).stdout
    return dict(zip(keys, out.split("\0")))


BOARD_CONF = _board_conf()
BIN_BUILD = ROOT / "build" / (BOARD_CONF["ARCH"] or ARCH)    # build/$ARCH/boxinit
CONSOLE = BOARD_CONF["CONSOLE"]                 # ttyS0, ttyAMA0
# Modules the board's QEMU keyboard needs (sendkey ctrl-alt-delete), or "".
KEYBOARD_MODULES = BOARD_CONF["KEYBOARD_MODULES"].split()


MODULE_SUFFIXES = (".ko", ".ko.xz", ".ko.zst", ".ko.gz")


def module_name(path):
    """The module name of a file name: crc32c-intel.ko.xz -> crc32c_intel."""
    return Path(path).name.split(".")[0].replace("-", "_")


def image_modules():
    """(directory, {module name: path}) of the modules in the image's rootfs:
    /lib/modules/$V, or /usr/lib/modules/$V (merged /usr, Debian 13)."""
    r = BUILD / "rootfs"
    dirs = (list((r / "lib" / "modules").glob("*/modules.dep"))
            + list((r / "usr" / "lib" / "modules").glob("*/modules.dep")))
    assert len(dirs) == 1, dirs
    mdir = dirs[0].parent
    mods = {module_name(p): p for p in mdir.rglob("*.ko*") if p.name.endswith(MODULE_SUFFIXES)}
    return mdir, mods


def kernel_config():
    """{CONFIG_X: value} of the board's kernel (boot/config-$V of the .deb);
    "n" for the options it lists as "is not set"."""
    v = (BUILD / "kernel" / "release").read_text().strip()
    conf = {}
    for line in (BUILD / "kernel" / v / "boot" / f"config-{v}").read_text().splitlines():
        if line.startswith("CONFIG_") and "=" in line:
            k, _, val = line.partition("=")
            conf[k] = val
        elif line.startswith("# CONFIG_") and line.endswith(" is not set"):
            conf[line.split()[1]] = "n"     # the option exists, unset
    return conf


def has_memcg_v1():
    """Does the board's kernel have the cgroup v1 memory controller? Always
    with CONFIG_MEMCG before 6.12 (no CONFIG_MEMCG_V1 option then); from
    6.12 only with CONFIG_MEMCG_V1=y (Debian 13 leaves it unset)."""
    conf = kernel_config()
    return conf.get("CONFIG_MEMCG") == "y" and conf.get("CONFIG_MEMCG_V1", "y") == "y"


def image_softdeps():
    """{module: {softdep name: [modules]}} of the image's modules.softdep, for
    the modules the image ships, each name resolved through its modules.alias
    to the shipped modules that provide it. Names no shipped module provides
    (built in: crc32c on the cloud-amd64 kernel) are left out."""
    mdir, mods = image_modules()
    alias = {}
    for line in (mdir / "modules.alias").read_text().splitlines():
        f = line.split()
        if len(f) == 3 and f[0] == "alias":
            alias.setdefault(f[1].replace("-", "_"), []).append(f[2])
    soft = {}
    for line in (mdir / "modules.softdep").read_text().splitlines():
        f = line.split()
        if len(f) < 3 or f[0] != "softdep" or f[1] not in mods:
            continue
        for t in f[2:]:
            t = t.replace("-", "_")
            if t in ("pre:", "post:"):
                continue
            provides = [m for m in [t] + alias.get(t, []) if m in mods]
            if provides:
                soft.setdefault(f[1], {})[t] = provides
    return soft


HARD_TIMEOUT = 600          # seconds: no boot may live longer than this
# Every wait lasts at least this long (seconds), whatever a test asks: TCG on
# a loaded 2-CPU machine is several times slower than on an idle one, and a
# deadline only costs time when the test fails (a dead or panicked guest
# fails a wait at once, and HARD_TIMEOUT bounds the whole boot).
WAIT_FLOOR = 180
PANIC_MARKERS = ("Kernel panic", "Attempted to kill init")

# Services are written as "service.NAME.KEY = VALUE" (one place to change).
SERVICE_KEY = "service.{name}.{key}"

_ESC = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|[@-Z\\-_]|c)")
_KTIME = re.compile(r"^\[\s*\d+\.\d+\] ", re.M)


def clean(text):
    """Drop \\r, ESC sequences (SeaBIOS) and kernel timestamps."""
    text = _ESC.sub("", text.replace("\r", ""))
    return _KTIME.sub("", text)


def quote(value):
    """A config value in double quotes, with \\ and " escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def service(name, exec_, **keys):
    """Config lines for one service; keyword values are written as is."""
    lines = [f"{SERVICE_KEY.format(name=name, key='exec')} = {quote(exec_)}"]
    for key, value in keys.items():
        lines.append(f"{SERVICE_KEY.format(name=name, key=key)} = {value}")
    return "\n".join(lines) + "\n"


def newc(files):
    """A gzip'ed newc cpio archive, owned by root, of {path: (mode, bytes)}.

    Parent directories are added (mode 0755); they already exist in the base
    image, and the kernel keeps the existing ones.
    """
    entries = {}
    for path, (mode, data) in files.items():
        parts = path.strip("/").split("/")
        for i in range(1, len(parts)):
            entries.setdefault("/".join(parts[:i]), (0o040755, b""))
        entries["/".join(parts)] = (0o100000 | mode, data)
    out = bytearray()

    def add(name, mode, data, ino):
        nameb = name.encode() + b"\0"
        hdr = "070701" + "".join(f"{v:08X}" for v in (
            ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(nameb), 0))
        out.extend(hdr.encode() + nameb)
        out.extend(b"\0" * (-len(out) % 4))
        out.extend(data)
        out.extend(b"\0" * (-len(out) % 4))

    for ino, name in enumerate(sorted(entries), start=1):
        add(name, *entries[name], ino)
    add("TRAILER!!!", 0, b"", 0)
    out.extend(b"\0" * (-len(out) % 512))
    return gzip.compress(bytes(out), mtime=0)


class BootError(AssertionError):
    pass


class Guest:
    """One QEMU boot. Use as a context manager (always killed on exit)."""

    def __init__(self, workdir, config, files=None, append="", accel=None,
                 serial_input=False, hostfwd="", tftp="", qemu_args=(), reboot=False):
        """qemu_args: extra QEMU arguments (a device); reboot: the guest's
        reboot (its watchdog's reset) boots it again instead of ending QEMU."""
        self.dir = Path(workdir)
        self.qemu_args = list(qemu_args)
        self.reboot = reboot
        self.serial_input = serial_input
        self.hostfwd = hostfwd          # e.g. "tcp:127.0.0.1:18080-:8080"
        self.tftp = str(tftp)           # a host directory served at 10.0.2.2
        self.ser_path = self.dir / "serial.sock"
        self.log_path = self.dir / "serial.log"
        self.mon_path = self.dir / "monitor.sock"
        self.initrd = self.dir / "initrd.cpio.gz"
        self.config = config
        self.files = dict(files or {})
        # The kernel prints on the same serial line as boxinit, byte by
        # byte in the middle of boxinit's lines (an OOM report cut
        # "check: CTRL=cpu memory pids" in two). loglevel=1 keeps only
        # KERN_EMERG on the console: panics and "reboot: ..." still show.
        # A test that wants the kernel's messages passes ignore_loglevel.
        self.append = " ".join(w for w in ("loglevel=1", append) if w)
        self.accel = accel or os.environ.get("ACCEL", "tcg")
        self.proc = None
        self.started = None
        self.exited_at = None

    # -- life cycle -----------------------------------------------------
    def start(self):
        if not BASE_INITRD.exists():
            raise BootError(f"{BASE_INITRD} missing: run `make image kernel`")
        files = {"etc/boxinit.conf": (0o644, self.config.encode())}
        for path, value in self.files.items():
            mode, data = value if isinstance(value, tuple) else (0o644, value)
            files[path] = (mode, data.encode() if isinstance(data, str) else data)
        self.initrd.write_bytes(BASE_INITRD.read_bytes() + newc(files))
        self.log_path.write_bytes(b"")
        env = dict(os.environ, ACCEL=self.accel, APPEND=self.append,
                   INITRD=str(self.initrd), QEMU_IO="-display none",
                   HOSTFWD=self.hostfwd, TFTP=self.tftp,
                   QEMU_REBOOT="1" if self.reboot else "")
        cmd = ["timeout", "-k", "5", str(HARD_TIMEOUT), str(RUN_QEMU),
               str(BOARD_DIR), str(BUILD),
               *(["-chardev", f"socket,id=ser0,path={self.ser_path},server=on,"
                  f"wait=off,logfile={self.log_path}", "-serial", "chardev:ser0"]
                 if self.serial_input else ["-serial", f"file:{self.log_path}"]),
               "-monitor", f"unix:{self.mon_path},server,nowait", *self.qemu_args]
        self.started = time.monotonic()
        # Own session: close() kills timeout and qemu by this group id.
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env,
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(self.dir / "qemu.stderr", "wb"),
                                     start_new_session=True)
        return self

    def close(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=60)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # -- observing ------------------------------------------------------
    def log(self):
        """The console log so far, cleaned."""
        return clean(self.log_path.read_bytes().decode("utf-8", "replace"))

    def tail(self, n=40):
        return "\n".join(self.log().splitlines()[-n:])

    def running(self):
        if self.proc.poll() is None:
            return True
        if self.exited_at is None:
            self.exited_at = time.monotonic()
        return False

    def wait_for(self, pattern, timeout=30, count=1):
        """Wait until regex @pattern matched @count times in the log; return
        the matches. Fails early on a panic or when QEMU has exited."""
        rx = re.compile(pattern, re.M)
        timeout = max(timeout, WAIT_FLOOR)
        deadline = time.monotonic() + timeout
        while True:
            alive = self.running()      # read the log after the exit check
            text = self.log()
            found = list(rx.finditer(text))
            if len(found) >= count:
                return found
            for marker in PANIC_MARKERS:
                if marker in text:
                    raise BootError(f"{marker!r} while waiting for {pattern!r}:\n{self.tail()}")
            if not alive:
                raise BootError(f"QEMU exited (rc {self.proc.returncode}) before "
                                f"{count} x {pattern!r}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise BootError(f"timeout ({timeout} s) waiting for {count} x "
                                f"{pattern!r}:\n{self.tail()}")
            time.sleep(0.05)

    def wait_exit(self, timeout=30):
        """Wait for QEMU to exit (guest reboot/poweroff with -no-reboot)."""
        timeout = max(timeout, WAIT_FLOOR)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BootError(f"QEMU still running after {timeout} s:\n{self.tail()}")
        self.running()
        return rc

    def elapsed(self):
        end = self.exited_at or time.monotonic()
        return end - self.started

    # -- acting ---------------------------------------------------------
    def monitor(self, command, timeout=60):
        """Send one HMP command to the QEMU monitor; return its raw output."""
        deadline = time.monotonic() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(str(self.mon_path))
                break
            except (FileNotFoundError, ConnectionRefusedError):
                s.close()
                if time.monotonic() > deadline:
                    raise BootError(f"no QEMU monitor at {self.mon_path}")
                time.sleep(0.05)
        with s:
            s.settimeout(timeout)
            out = self._read_prompt(s, deadline)
            s.sendall(command.encode() + b"\n")
            out += self._read_prompt(s, deadline)
        return out

    @staticmethod
    def _read_prompt(s, deadline):
        buf = b""
        while not buf.endswith(b"(qemu) ") and time.monotonic() < deadline:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        return buf.decode("utf-8", "replace")

    def type(self, text):
        """Type @text on the serial console (Guest(serial_input=True))."""
        if getattr(self, "_ser", None) is None:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(str(self.ser_path))
            self._ser = s           # stays connected: closing would hang up
            # QEMU logs only what the socket takes: keep reading it
            threading.Thread(target=self._drain, daemon=True).start()
        self._ser.sendall(text.encode())

    def _drain(self):
        try:
            while self._ser.recv(4096):
                pass
        except OSError:
            pass

    def ctrl_alt_del(self):
        self.monitor("sendkey ctrl-alt-delete")


def assert_clean(text, reboot="Restarting system"):
    """No panic, and the kernel's "reboot: ..." line was reached."""
    for marker in PANIC_MARKERS:
        assert marker not in text, f"{marker!r} in console log"
    assert f"reboot: {reboot}" in text, f"no 'reboot: {reboot}' in console log"
