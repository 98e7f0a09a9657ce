"""Helpers for the network system tests (test_net.py).

Every network a test needs lives in namespaces the test creates and deletes:

  wan netns "bxw<tag>"  wan0 10.77.0.1/24 ---- veth ---- up0 (no address) in
  box netns "bxb<tag>"  where boxinit runs as PID 1 (iface.up0.* configures it)

The box netns is made first (`ip netns add`), so that up0 exists before
boxinit boots; boxinit then runs in it with fresh pid/mount/uts/ipc/cgroup
namespaces (`nsenter --net=... unshare ... chroot ROOT /init`), like the
`sandbox` fixture. Named namespaces outlive boxinit, so a test can check what
it left behind (no table, no bridge); the fixture's finalizer deletes them,
which also deletes the veths in them, and kills, by pid, every process the
test started.

Both builds run: the static musl one, and the glibc one linked with the
system libmnl ($BOXINIT_LIBMNL, build/host-libmnl/boxinit), whose shared
libraries (its ldd closure) are copied into the rootfs.
"""
import itertools
import os
import re
import shutil
import signal
import subprocess
import time

from sandbox import Boxinit, Output, TestCgroups, make_rootfs

WAN_ADDR = "10.77.0.1"
UPLINK_ADDR = "10.77.0.2"

_counter = itertools.count()


def libmnl_boxinit():
    return os.environ.get("BOXINIT_LIBMNL", os.path.abspath("build/host-libmnl/boxinit"))


def sh(*argv, check=True, timeout=20):
    """Run a command; returns CompletedProcess (text)."""
    return subprocess.run(list(argv), capture_output=True, text=True, check=check,
                          timeout=timeout)


def in_netns(ns, *argv, check=False, timeout=20):
    return sh("ip", "netns", "exec", ns, *argv, check=check, timeout=timeout)


def copy_ldd_closure(binary, root):
    """Copy the shared libraries @binary needs (ldd) to the same paths in @root."""
    out = sh("ldd", binary).stdout
    for line in out.splitlines():
        m = re.search(r"(/\S+)\s+\(0x", line)
        if not m:
            continue
        lib = m.group(1)
        dst = os.path.join(root, lib.lstrip("/"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy(lib, dst)          # follows symlinks: the real file


# (python's urllib: Debian's static busybox wget 1.35 crashes here)
FETCH = ("import sys, urllib.request; "
         "sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())")


def fetch(run, url, tries=50):
    """GET @url with @run(*argv) (a host command in some netns), retrying."""
    r = None
    for _ in range(tries):
        r = run("/usr/bin/python3", "-c", FETCH, url)
        if r.returncode == 0:
            return r.stdout
        time.sleep(0.2)
    raise AssertionError(f"GET {url} failed: {r.stderr[-500:]}")


class NetBoxinit(Boxinit):
    """boxinit as PID 1 inside an existing, named network namespace."""

    @classmethod
    def in_netns(cls, ns, root, cgroups=None):
        argv = ["nsenter", f"--net=/run/netns/{ns}", "unshare", "--pid", "--fork",
                "--mount", "--uts", "--ipc", "--cgroup", "--propagation", "private",
                "chroot", root, "/init"]
        return cls(argv, cgroups=cgroups)

    def nsenter(self, *argv, check=False, timeout=20):
        """Run a host command in boxinit's network namespace."""
        return sh("nsenter", f"--net=/proc/{self.boxinit_pid()}/ns/net", *argv,
                  check=check, timeout=timeout)

    def close(self):
        if self.proc.poll() is None:
            try:
                os.kill(self.boxinit_pid(timeout=0.5), signal.SIGKILL)
            except (AssertionError, ProcessLookupError):
                pass
        super().close()


# A TCP server for the wan side: answers every request with the peer's
# address and prints it, one line per connection.
PEER_SERVER = r"""
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        peer = self.client_address[0]
        print("peer", peer, flush=True)
        body = ("peer=%s\n" % peer).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("0.0.0.0", int(sys.argv[1])), H).serve_forever()
"""


class NetLab:
    """The namespaces, veths and processes of one test; cleanup() undoes all."""

    def __init__(self, tmp_path, binary_kind):
        tag = f"{os.getpid() % 100000}x{next(_counter)}"
        self.tmp = tmp_path
        self.kind = binary_kind
        self.wan = f"bxw{tag}"
        self.box = f"bxb{tag}"
        self.procs = []
        self.boxes = []
        self.netns = []
        for ns in (self.wan, self.box):
            sh("ip", "netns", "add", ns)
            self.netns.append(ns)
        in_netns(self.wan, "ip", "link", "add", "wan0", "type", "veth", "peer", "name",
                 "up0", "netns", self.box, check=True)
        in_netns(self.wan, "ip", "addr", "add", f"{WAN_ADDR}/24", "dev", "wan0", check=True)
        in_netns(self.wan, "ip", "link", "set", "wan0", "up", check=True)
        in_netns(self.wan, "ip", "link", "set", "lo", "up", check=True)

    def start(self, config_text, files=None):
        """boxinit (static or libmnl build) as PID 1 in the box netns."""
        n = len(self.boxes)
        root = make_rootfs(str(self.tmp / f"netroot{n}"), config_text, files)
        if self.kind == "libmnl":
            shutil.copy2(libmnl_boxinit(), os.path.join(root, "init"))
            copy_ldd_closure(libmnl_boxinit(), root)
        cg = TestCgroups(f"boxinit-nettest-{os.getpid()}-{n}")
        b = NetBoxinit.in_netns(self.box, root, cgroups=cg)
        self.boxes.append(b)
        return b

    def wan_server(self, port=8000):
        """The peer-recording server in the wan netns; .out has its lines."""
        script = self.tmp / "peer_server.py"
        script.write_text(PEER_SERVER)
        p = subprocess.Popen(["ip", "netns", "exec", self.wan, "/usr/bin/python3", "-u",
                              str(script), str(port)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
        self.procs.append(p)
        p.out = Output(p.stdout)
        # wait until it listens
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if f":{port} " in in_netns(self.wan, "ss", "-ltnH").stdout:
                return p
            time.sleep(0.05)
        raise AssertionError("wan server did not start:\n" + p.out.text())

    def fetch_from_wan(self, url, tries=50):
        """HTTP GET from the wan netns, retried while the service starts."""
        return fetch(lambda *argv: in_netns(self.wan, *argv), url, tries)

    def box_netns_state(self):
        """(nft ruleset, ip -o link) of the box netns, boxinit alive or not."""
        return (in_netns(self.box, "nft", "list", "ruleset").stdout,
                in_netns(self.box, "ip", "-o", "link").stdout)

    def cleanup(self):
        for b in self.boxes:
            try:
                b.close()
            except Exception:       # noqa: BLE001 - keep cleaning
                pass
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        for ns in self.netns:       # takes its veths along
            sh("ip", "netns", "del", ns, check=False)
