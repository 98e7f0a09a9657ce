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

NetLab.supervisor() runs boxinit as a supervisor (not PID 1) in the box
netns instead: its services run in the host's filesystem.

Both builds run: the static musl one, and the glibc one linked with the
system libmnl ($BOXINIT_LIBMNL, build/host-libmnl/boxinit), whose shared
libraries (its ldd closure) are copied into the rootfs.
"""
import itertools
import json
import os
import re
import shutil
import signal
import subprocess

from sandbox import (PATIENCE, Boxinit, Output, TestCgroups, host_boxinit, make_rootfs, sanitized,
                     static_boxinit, unique_tag, wait_until)

WAN_ADDR = "10.77.0.1"
UPLINK_ADDR = "10.77.0.2"
WAN6_ADDR = "fd00:77::1"
UPLINK6_ADDR = "fd00:77::2"

_counter = itertools.count()


def libmnl_boxinit():
    return os.environ.get("BOXINIT_LIBMNL", os.path.abspath("build/host-libmnl/boxinit"))


def sh(*argv, check=True, timeout=PATIENCE):
    """Run a command; returns CompletedProcess (text)."""
    return subprocess.run(list(argv), capture_output=True, text=True, check=check,
                          timeout=timeout)


def in_netns(ns, *argv, check=False, timeout=PATIENCE):
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


def fetch(run, url, timeout=PATIENCE):
    """GET @url with @run(*argv) (a host command in some netns), retrying
    while the service starts, until a deadline."""
    last = []

    def get():
        r = run("/usr/bin/python3", "-c", FETCH, url)
        last[:] = [r]
        return r.stdout if r.returncode == 0 else None
    try:
        return wait_until(get, timeout, f"GET {url}", interval=0.2)
    except AssertionError:
        raise AssertionError(f"GET {url} failed: {last[0].stderr[-500:] if last else ''}")


class NetSupervisor(Boxinit):
    """boxinit as a supervisor (not PID 1) in an existing, named network
    namespace: `nsenter --net` execs it, so its pid is the process's."""

    @classmethod
    def in_netns(cls, ns, binary, config_path, socket_path, cgroups=None):
        argv = ["nsenter", f"--net=/run/netns/{ns}", binary, "--config", config_path,
                "--socket", socket_path]
        return cls(argv, cgroups=cgroups)

    def wrapped(self):
        return False

    def nsenter(self, *argv, check=False, timeout=PATIENCE):
        """Run a host command in the supervisor's network namespace."""
        return sh("nsenter", f"--net=/proc/{self.proc.pid}/ns/net", *argv,
                  check=check, timeout=timeout)

    def boxctl(self, *args):
        """boxctl on its control socket (as an operator: root, outside it)."""
        return sh(host_boxinit(), "ctl", "--socket", self.sock, *args, check=False)

    def status(self):
        """{name: service} of `boxctl --json status`."""
        r = self.boxctl("--json", "status")
        assert r.returncode == 0, r.stderr
        return {s["name"]: s for s in json.loads(r.stdout)["services"]}


class NetBoxinit(Boxinit):
    """boxinit as PID 1 inside an existing, named network namespace."""

    @classmethod
    def in_netns(cls, ns, root, cgroups=None):
        argv = ["nsenter", f"--net=/run/netns/{ns}", "unshare", "--pid", "--fork",
                "--mount", "--uts", "--ipc", "--cgroup", "--propagation", "private",
                "chroot", root, "/init"]
        return cls(argv, cgroups=cgroups)

    def nsenter(self, *argv, check=False, timeout=PATIENCE):
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
# address and prints it, one line per connection. One thread per
# connection, each with a deadline: a client that stalls (a lost segment,
# a flow the NAT forgot) must not hold up every client after it.
PEER_SERVER = r"""
import http.server, socket, sys
class H(http.server.BaseHTTPRequestHandler):
    timeout = 5
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
class S4(http.server.ThreadingHTTPServer):
    daemon_threads = True
class S6(S4):
    address_family = socket.AF_INET6
    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()
if sys.argv[2] == "6":
    S6(("::", int(sys.argv[1])), H).serve_forever()
S4(("0.0.0.0", int(sys.argv[1])), H).serve_forever()
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
        in_netns(self.wan, "ip", "addr", "add", f"{WAN6_ADDR}/64", "dev", "wan0", "nodad",
                 check=True)
        in_netns(self.wan, "ip", "link", "set", "wan0", "up", check=True)
        in_netns(self.wan, "ip", "link", "set", "lo", "up", check=True)

    def start(self, config_text, files=None):
        """boxinit (static or libmnl build) as PID 1 in the box netns."""
        n = len(self.boxes)
        root = make_rootfs(str(self.tmp / f"netroot{n}"), config_text, files)
        if self.kind == "libmnl":
            shutil.copy2(libmnl_boxinit(), os.path.join(root, "init"))
            copy_ldd_closure(libmnl_boxinit(), root)
        cg = TestCgroups(unique_tag("boxinit-nettest"))
        b = NetBoxinit.in_netns(self.box, root, cgroups=cg)
        self.boxes.append(b)
        return b

    def supervisor(self, config_text):
        """boxinit (static or libmnl build) as a supervisor in the box netns;
        its services run in the host's filesystem."""
        n = len(self.boxes)
        in_netns(self.box, "ip", "link", "set", "lo", "up", check=True)  # a host's is
        conf = self.tmp / f"supervisor{n}.conf"
        conf.write_text(config_text)
        binary = libmnl_boxinit() if self.kind == "libmnl" else \
            (host_boxinit() if sanitized() else static_boxinit())
        cg = TestCgroups(unique_tag("boxinit-netsup"))
        b = NetSupervisor.in_netns(self.box, binary, str(conf),
                                   str(self.tmp / f"supervisor{n}.sock"), cgroups=cg)
        b.config_path = conf
        b.sock = str(self.tmp / f"supervisor{n}.sock")
        self.boxes.append(b)
        return b

    def wan_server(self, port=8000, family=4):
        """The peer-recording server in the wan netns (IPv4, or IPv6 with
        @family 6); .out has its lines."""
        script = self.tmp / "peer_server.py"
        script.write_text(PEER_SERVER)
        p = subprocess.Popen(["ip", "netns", "exec", self.wan, "/usr/bin/python3", "-u",
                              str(script), str(port), str(family)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
        self.procs.append(p)
        p.out = Output(p.stdout)
        # wait until it listens
        try:
            wait_until(lambda: f":{port} " in in_netns(self.wan, "ss", "-ltnH",
                                                         "-6" if family == 6 else "-4").stdout,
                       what="the wan server listening", interval=0.05)
        except AssertionError:
            raise AssertionError("wan server did not start:\n" + p.out.text())
        return p

    def fetch_from_wan(self, url):
        """HTTP GET from the wan netns, retried while the service starts."""
        return fetch(lambda *argv: in_netns(self.wan, *argv), url)

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
                p.wait(timeout=PATIENCE)
            except subprocess.TimeoutExpired:
                pass
        for ns in self.netns:       # takes its veths along
            sh("ip", "netns", "del", ns, check=False)
