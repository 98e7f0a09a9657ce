"""Networking as a user sets it up: a bridge, a veth per service, the uplink,
masquerade and port forwards with nftables, all in namespaces the test makes
(see nethelp.py). Every test runs against the static build and the libmnl one.
"""
import os
import re
import shutil
import signal

import pytest

from nethelp import UPLINK_ADDR, WAN_ADDR, NetLab, fetch, libmnl_boxinit
from sandbox import static_boxinit

BASE = f"""
net.address = 192.168.77.1/24
iface.up0.address = {UPLINK_ADDR}/24
iface.up0.gateway = {WAN_ADDR}
"""

# Fetch from a server, retrying while the network comes up; prints the body.
# (busybox nc: Debian's static busybox wget crashes in a bare chroot.)
CLIENT = """
service.client.exec = /bin/sh -c 'for i in $(seq 1 {tries}); do out=$(printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 2 {host} {port}) && [ -n "$out" ] && {{ echo "$out" | tail -n 1; echo FETCH-OK; exit 0; }}; sleep 0.25; done; echo FETCH-FAILED'
service.client.net = bridge
service.client.ip = auto
service.client.restart = no
"""


@pytest.fixture(params=["static", "libmnl"])
def netlab(request, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    for tool in ("ip", "nft", "nsenter", "ss", "busybox"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed")
    if request.param == "libmnl" and not os.path.exists(libmnl_boxinit()):
        pytest.skip("no libmnl build: make host-libmnl")
    # the static build keeps only referenced code (--gc-sections); both
    # builds come from the same sources
    with open(static_boxinit(), "rb") as f:
        if b"table ip boxinit" not in f.read():
            pytest.skip("this boxinit does not call the network code yet "
                        "(net_host_setup/net_service_attach not wired)")
    lab = NetLab(tmp_path, request.param)
    try:
        yield lab
    finally:
        lab.cleanup()


def tables(ruleset):
    return [line for line in ruleset.splitlines() if line.startswith("table ")]


def test_masquerade_through_uplink(netlab):
    srv = netlab.wan_server(8000)
    b = netlab.start(BASE + "net.nat = on\n" +
                     CLIENT.format(tries=40, host=WAN_ADDR, port=8000))
    b.out.wait_for("client: FETCH-OK", timeout=40)
    # the server saw the uplink's address: masqueraded
    assert f"client: peer={UPLINK_ADDR}" in b.out.text()
    srv.out.wait_for(f"peer {UPLINK_ADDR}")
    ruleset = b.nsenter("nft", "list", "ruleset").stdout
    assert tables(ruleset) == ["table ip boxinit {"], ruleset
    assert re.search(r"ip saddr 192\.168\.77\.0/24 .*masquerade", ruleset), ruleset
    assert b.nsenter("cat", "/proc/sys/net/ipv4/ip_forward").stdout.strip() == "1"


def test_nat_off_has_no_way_back(netlab):
    srv = netlab.wan_server(8000)
    # forwarding on, but no masquerade: the wan has no route to 192.168.77.0/24
    b = netlab.start(BASE + "net.nat = off\nsysctl.net.ipv4.ip_forward = 1\n" +
                     CLIENT.format(tries=4, host=WAN_ADDR, port=8000))
    b.out.wait_for("client: FETCH-FAILED", timeout=40)
    assert "FETCH-OK" not in b.out.text()
    assert "peer " not in srv.out.text()
    ruleset = b.nsenter("nft", "list", "ruleset").stdout
    assert "boxinit" not in ruleset


def test_port_forward_from_wan_and_from_host(netlab):
    b = netlab.start(BASE + """
net.nat = on
service.web.exec = /bin/busybox httpd -f -p 80 -h /www
service.web.net = bridge
service.web.ip = auto
service.web.ports = 8080:80/tcp 5353:53/udp
""", files={"/www/index.html": "hello-from-web\n"})
    # prerouting: from outside, to the uplink's address
    assert netlab.fetch_from_wan(f"http://{UPLINK_ADDR}:8080/") == "hello-from-web\n"
    # output: from the host itself (fib daddr type local)
    assert fetch(b.nsenter, f"http://{UPLINK_ADDR}:8080/") == "hello-from-web\n"
    ruleset = b.nsenter("nft", "list", "ruleset").stdout
    assert tables(ruleset) == ["table ip boxinit {"], ruleset
    assert "tcp dport 8080 dnat to 192.168.77." in ruleset
    assert "udp dport 5353 dnat to 192.168.77." in ruleset


def test_services_reach_each_other_over_the_bridge(netlab):
    b = netlab.start(BASE + """
service.server.exec = /bin/busybox httpd -f -p 80 -h /www
service.server.net = bridge
service.server.ip = 192.168.77.20
""" + CLIENT.format(tries=40, host="192.168.77.20", port=80),
        files={"/www/index.html": "hello-from-server\n"})
    b.out.wait_for("client: FETCH-OK", timeout=40)
    assert "client: hello-from-server" in b.out.text()


def test_veth_names_and_same_address_after_restart(netlab):
    flap = "/bin/sh -c 'ip -4 -o addr show dev eth0; ip route; sleep 0.3; exit 1'"
    b = netlab.start(BASE + f"""
service.webserver-frontend-1.exec = {flap}
service.webserver-frontend-1.net = bridge
service.webserver-frontend-1.restart = on-failure
service.webserver-frontend-2.exec = /bin/sleep 1000
service.webserver-frontend-2.net = bridge
""")
    lines = b.out.wait_for(lambda t: t.startswith("webserver-frontend-1:") and " inet " in t,
                           count=2, timeout=40)
    addrs = [re.search(r"inet (\S+)", t).group(1) for _, t in lines]
    assert addrs[0] == addrs[1], addrs
    assert addrs[0].startswith("192.168.77.") and addrs[0].endswith("/24")
    assert "webserver-frontend-1: default via 192.168.77.1 dev eth0" in b.out.text()
    ports = b.nsenter("ip", "-o", "link", "show", "master", "br0").stdout
    names = re.findall(r"^\d+: (bx[^@:]+)", ports, re.M)
    assert "webserver-frontend-2" not in ports
    assert any(len(n) == 15 and n.startswith("bxwebserv-") for n in names), ports


def test_shutdown_removes_table_and_bridge(netlab):
    b = netlab.start(BASE + """
net.nat = on
service.web.exec = /bin/sleep 1000
service.web.net = bridge
service.web.ports = 8080:80/tcp
""")
    b.out.wait_for("web: started", timeout=20)
    ruleset, links = netlab.box_netns_state()
    assert "table ip boxinit" in ruleset
    assert " br0:" in links
    b.signal(signal.SIGTERM)
    b.wait_exit(timeout=30)
    ruleset, links = netlab.box_netns_state()
    assert "boxinit" not in ruleset, ruleset
    assert " br0:" not in links, links
    assert "up0" in links           # not ours to delete
