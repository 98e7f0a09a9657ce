"""Networking as a user sets it up: a bridge, a veth per service, the uplink,
masquerade and port forwards with nftables, all in namespaces the test makes
(see nethelp.py). Every test runs against the static build and the libmnl one.
"""
import os
import re
import shutil
import signal

import pytest

from nethelp import (FETCH, UPLINK6_ADDR, UPLINK_ADDR, WAN6_ADDR, WAN_ADDR, NetLab, fetch, in_netns,
                     libmnl_boxinit)
from sandbox import PATIENCE, static_boxinit, wait_until

TRIES = 240                     # x 0.25 s: at least a minute
WAIT = 4 * PATIENCE             # the client loop, nc timeouts included

# one GET with a short timeout: for what must fail
FETCH_ONCE = FETCH

BASE = f"""
net.address = 192.168.77.1/24
iface.up0.address = {UPLINK_ADDR}/24
iface.up0.gateway = {WAN_ADDR}
"""

# Fetch from a server, retrying while the network comes up; prints the body.
# Positive tests retry TRIES times (a minute at least: a loaded machine may
# be slow to bring the network up) and wait as long.
# (busybox nc: Debian's static busybox wget crashes in a bare chroot.)
CLIENT = """
service.client.exec = /bin/sh -c 'for i in $(seq 1 {tries}); do out=$(printf "GET / HTTP/1.0\\r\\n\\r\\n" | timeout 5 nc -w 2 {host} {port}) && [ -n "$out" ] && {{ echo "$out" | tail -n 1; echo FETCH-OK; exit 0; }}; sleep 0.25; done; echo FETCH-FAILED'
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


# boxinit's tables when NAT is on and services use the bridge
BOTH = ["table ip boxinit {", "table bridge boxinit {"]


def tables(ruleset):
    return [line for line in ruleset.splitlines() if line.startswith("table ")]


def test_masquerade_through_uplink(netlab):
    srv = netlab.wan_server(8000)
    b = netlab.start(BASE + "net.nat = on\n" +
                     CLIENT.format(tries=TRIES, host=WAN_ADDR, port=8000))
    b.out.wait_for("client: FETCH-OK", timeout=WAIT)
    # the server saw the uplink's address: masqueraded
    assert f"client: peer={UPLINK_ADDR}" in b.out.text()
    srv.out.wait_for(f"peer {UPLINK_ADDR}")
    ruleset = b.nsenter("nft", "list", "ruleset").stdout
    assert tables(ruleset) == BOTH, ruleset
    assert re.search(r"ip saddr 192\.168\.77\.0/24 .*masquerade", ruleset), ruleset
    assert b.nsenter("cat", "/proc/sys/net/ipv4/ip_forward").stdout.strip() == "1"


def test_nat_off_has_no_way_back(netlab):
    srv = netlab.wan_server(8000)
    # forwarding on, but no masquerade: the wan has no route to 192.168.77.0/24
    b = netlab.start(BASE + "net.nat = off\nsysctl.net.ipv4.ip_forward = 1\n" +
                     CLIENT.format(tries=4, host=WAN_ADDR, port=8000))
    b.out.wait_for("client: FETCH-FAILED", timeout=WAIT)
    assert "FETCH-OK" not in b.out.text()
    assert "peer " not in srv.out.text()
    ruleset = b.nsenter("nft", "list", "ruleset").stdout
    # no NAT table; anti-spoofing all the same
    assert tables(ruleset) == ["table bridge boxinit {"], ruleset


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
    assert tables(ruleset) == BOTH, ruleset
    assert "tcp dport 8080 dnat to 192.168.77." in ruleset
    assert "udp dport 5353 dnat to 192.168.77." in ruleset


def test_services_reach_each_other_over_the_bridge(netlab):
    b = netlab.start(BASE + """
service.server.exec = /bin/busybox httpd -f -p 80 -h /www
service.server.net = bridge
service.server.ip = 192.168.77.20
""" + CLIENT.format(tries=TRIES, host="192.168.77.20", port=80),
        files={"/www/index.html": "hello-from-server\n"})
    b.out.wait_for("client: FETCH-OK", timeout=WAIT)
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
                           count=2, timeout=3 * PATIENCE)
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
    b.out.wait_for("web: started")
    ruleset, links = netlab.box_netns_state()
    assert tables(ruleset) == BOTH, ruleset
    assert " br0:" in links
    b.signal(signal.SIGTERM)
    b.wait_exit()
    ruleset, links = netlab.box_netns_state()
    assert "boxinit" not in ruleset, ruleset
    assert " br0:" not in links, links
    assert "up0" in links           # not ours to delete


# A client that keeps connecting (a new connection each time: conntrack
# entries of old flows outlive a flush), printing LOOP-OK / LOOP-FAIL.
LOOP_CLIENT = """
service.client.exec = /bin/sh -c 'while true; do if out=$(printf "GET / HTTP/1.0\\r\\n\\r\\n" | timeout 5 nc -w 2 {host} {port}) && [ -n "$out" ]; then echo "LOOP-OK $(echo "$out" | tail -n 1)"; else echo LOOP-FAIL; fi; sleep 0.2; done'
service.client.net = bridge
service.client.ip = auto
"""

WEB = """
service.web.exec = /bin/busybox httpd -f -p 80 -h /www
service.web.net = bridge
service.web.ip = auto
service.web.ports = 8080:80/tcp
"""


def lines_with(b, needle):
    return len(b.out.matching(lambda t: needle in t))


def test_nat_heals_after_flush_ruleset_and_delete_table(netlab):
    srv = netlab.wan_server(8000)
    b = netlab.start(BASE + "net.nat = on\n" + WEB +
                     LOOP_CLIENT.format(host=WAN_ADDR, port=8000),
                     files={"/www/index.html": "hello-from-web\n"})
    assert netlab.fetch_from_wan(f"http://{UPLINK_ADDR}:8080/") == "hello-from-web\n"
    b.out.wait_for(f"client: LOOP-OK peer={UPLINK_ADDR}", timeout=WAIT)
    # someone else flushes everything (a firewall reload, `nft -f` of a script)
    assert b.nsenter("nft", "flush", "ruleset").returncode == 0
    b.out.wait_for("restoring boxinit's tables")
    assert "nat: tables ip and bridge boxinit deleted by nft (pid " in b.out.text()
    wait_until(lambda: tables(b.nsenter("nft", "list", "ruleset").stdout) == BOTH,
               what="both tables back")
    # traffic works again, without a reload: port forward and masquerade
    assert netlab.fetch_from_wan(f"http://{UPLINK_ADDR}:8080/") == "hello-from-web\n"
    seen = lines_with(srv, f"peer {UPLINK_ADDR}")
    srv.out.wait_for(f"peer {UPLINK_ADDR}", count=seen + 2, timeout=WAIT)
    # one table deleted
    assert b.nsenter("nft", "delete", "table", "ip", "boxinit").returncode == 0
    b.out.wait_for("restoring boxinit's tables", count=2)
    assert "nat: table ip boxinit deleted by nft (pid " in b.out.text()
    wait_until(lambda: tables(b.nsenter("nft", "list", "ruleset").stdout) == BOTH,
               what="both tables back")
    assert netlab.fetch_from_wan(f"http://{UPLINK_ADDR}:8080/") == "hello-from-web\n"
    seen = lines_with(srv, f"peer {UPLINK_ADDR}")
    srv.out.wait_for(f"peer {UPLINK_ADDR}", count=seen + 2, timeout=WAIT)
    assert "reload" not in b.out.text()


# What the README tells a user with a firewall of their own (fw4, firewalld)
# to add to its forward chain whose policy is drop.
FORWARD_ADDITION = [
    'iifname "br0" accept',
    'oifname "br0" ct state established,related accept',
    'oifname "br0" ct status dnat accept',
]


def test_foreign_forward_chain_with_drop_policy(netlab):
    def nft(*args):
        r = in_netns(netlab.box, "nft", *args)
        assert r.returncode == 0, r.stderr
    # someone else's firewall, there before boxinit: forward policy drop
    nft("add", "table", "inet", "fw")
    nft("add", "chain", "inet", "fw", "forward",
        "{ type filter hook forward priority 0; policy drop; }")
    netlab.wan_server(8000)
    b = netlab.start(BASE + "net.nat = on\n" + WEB +
                     LOOP_CLIENT.format(host=WAN_ADDR, port=8000),
                     files={"/www/index.html": "hello-from-web\n"})
    b.out.wait_for("web: started")
    # the service answers the host (no forwarding involved) ...
    web_ip = re.search(r"tcp dport 8080 dnat to (192\.168\.77\.\d+):80",
                       wait_until(lambda: b.nsenter("nft", "list", "ruleset").stdout,
                                  what="the ruleset")).group(1)
    assert fetch(b.nsenter, f"http://{web_ip}/") == "hello-from-web\n"
    # ... but the foreign drop policy drops what boxinit forwards: the
    # client never gets out, the wan never gets in
    b.out.wait_for("client: LOOP-FAIL", count=3, timeout=WAIT)
    assert "LOOP-OK" not in b.out.text()
    r = in_netns(netlab.wan, "/usr/bin/python3", "-c", FETCH_ONCE,
                 f"http://{UPLINK_ADDR}:8080/")
    assert r.returncode != 0
    # the documented addition to that chain fixes both
    for rule in FORWARD_ADDITION:
        nft("add", "rule", "inet", "fw", "forward", *rule.replace('"', "").split())
    b.out.wait_for(f"client: LOOP-OK peer={UPLINK_ADDR}", timeout=WAIT)
    assert netlab.fetch_from_wan(f"http://{UPLINK_ADDR}:8080/") == "hello-from-web\n"
    # the foreign table's changes are not boxinit's business
    assert "restoring" not in b.out.text()


def fetch_loop(name, host, port, tag, net="bridge", nc="nc"):
    """A service fetching http://host:port/ over and over, printing TAG-OK
    with the last line of the answer, or TAG-FAIL."""
    return f"""
service.{name}.exec = /bin/sh -c 'while true; do if out=$(printf "GET / HTTP/1.0\\r\\n\\r\\n" | timeout 5 {nc} -w 2 {host} {port}) && [ -n "$out" ]; then echo "{tag}-OK $(echo "$out" | tail -n 1)"; else echo {tag}-FAIL; fi; sleep 0.2; done'
service.{name}.net = {net}
"""


def test_hairpin_and_localhost(netlab):
    bridge = "192.168.77.1"
    # web fetches its own published port through the bridge's address
    own = ('while true; do if out=$(printf "GET / HTTP/1.0\\r\\n\\r\\n" | timeout 5 nc -w 2 '
           f'{bridge} 8080) && [ -n "$out" ]; then echo "SELF-OK $(echo "$out" | tail -n 1)"; '
           'else echo SELF-FAIL; fi; sleep 0.2; done')
    b = netlab.start(BASE + "net.nat = on\n" + f"""
service.web.exec = /bin/sh -c '/bin/busybox httpd -p 80 -h /www && {own}'
service.web.net = bridge
service.web.ip = auto
service.web.ports = 8080:80/tcp
""" + fetch_loop("sib", bridge, 8080, "HAIRPIN") +
                     fetch_loop("sibup", UPLINK_ADDR, 8080, "UPLINK") +
                     fetch_loop("hostsvc", "127.0.0.1", 8080, "HOSTLO", net="host"),
                     files={"/www/index.html": "hello-from-web\n"})
    # a sibling, through the host's published port (bridge and uplink address)
    b.out.wait_for("sib: HAIRPIN-OK hello-from-web", timeout=WAIT)
    b.out.wait_for("sibup: UPLINK-OK hello-from-web", timeout=WAIT)
    # the service itself, through its own published port
    b.out.wait_for("web: SELF-OK hello-from-web", timeout=WAIT)
    # the host, and a net = host service, on 127.0.0.1
    assert fetch(b.nsenter, "http://127.0.0.1:8080/") == "hello-from-web\n"
    b.out.wait_for("hostsvc: HOSTLO-OK hello-from-web", timeout=WAIT)
    ruleset = b.nsenter("nft", "list", "ruleset").stdout
    assert "ip saddr 192.168.77.0/24 ip daddr 192.168.77.0/24 masquerade" in ruleset, ruleset
    assert 'ip saddr 127.0.0.0/8 oifname "br0" masquerade' in ruleset, ruleset
    assert 'iifname "br0" ip daddr 127.0.0.0/8 drop' in ruleset, ruleset
    localnet = "/proc/sys/net/ipv4/conf/br0/route_localnet"
    assert b.nsenter("cat", localnet).stdout.strip() == "1"
    # given back at shutdown, while the bridge still exists
    b.signal(signal.SIGTERM)
    b.wait_exit()
    assert "route_localnet" not in b.out.text(), b.out.text()


def counters(b, table):
    """The packet counts of the counter rules of @table, in order."""
    out = b.nsenter("nft", "list", "table", "ip", table).stdout
    return [int(n) for n in re.findall(r"counter packets (\d+)", out)]


def test_localnet_guard_drops_loopback_from_the_bridge(netlab):
    # route_localnet on the bridge (for 127.0.0.1:HOST) must not open the
    # host's loopback to the services: a service with net_admin that routes
    # 127.0.0.0/8 to the bridge gets nothing in; its pings of the bridge's
    # own address, sent after each of those on the same path, do
    probe = ["add table ip probe",
             "add chain ip probe input { type filter hook input priority 0; }",
             'add rule ip probe input iifname "br0" ip daddr 127.0.0.0/8 counter',
             'add rule ip probe input iifname "br0" ip daddr 192.168.77.1 '
             'icmp type echo-request counter']
    for cmd in probe:
        r = in_netns(netlab.box, "nft", *cmd.replace("{", "{ ").split())
        assert r.returncode == 0, (cmd, r.stderr)
    b = netlab.start(BASE + """
service.web.exec = /bin/busybox httpd -f -p 80 -h /www
service.web.net = bridge
service.web.ports = 8080:80/tcp
service.evil.exec = /bin/sh -c 'ip route del local 127.0.0.0/8 dev lo table local; ip route add 127.0.0.0/8 via 192.168.77.1 dev eth0; ip route; while true; do ping -c 1 -W 1 127.0.0.1 >/dev/null; ping -c 1 -W 1 192.168.77.1 >/dev/null; done'
service.evil.net = bridge
service.evil.caps = net_admin net_raw
""", files={"/www/index.html": "hello-from-web\n"})
    b.out.wait_for("evil: 127.0.0.0/8 via 192.168.77.1 dev eth0", timeout=WAIT)
    assert b.nsenter("cat", "/proc/sys/net/ipv4/conf/br0/route_localnet").stdout.strip() == "1"
    wait_until(lambda: counters(b, "probe")[1] >= 3, what="the evil service's pings of br0")
    assert counters(b, "probe")[0] == 0


def test_supervisor_builds_the_network_and_removes_it(netlab):
    # boxinit --config FILE, not PID 1, in a network namespace of the
    # test's: the same bridge, veths and NAT; all of it gone at exit
    www = netlab.tmp / "www"
    www.mkdir()
    (www / "index.html").write_text("hello-from-web\n")
    srv = netlab.wan_server(8000)
    forwarding = in_netns(netlab.box, "cat", "/proc/sys/net/ipv4/ip_forward").stdout
    b = netlab.supervisor(BASE + "net.nat = on\n" + f"""
service.web.exec = /bin/busybox httpd -f -p 80 -h /www
service.web.bind = {www}:/www
service.web.net = bridge
service.web.ip = auto
service.web.ports = 8080:80/tcp
""" + fetch_loop("client", WAN_ADDR, 8000, "LOOP", nc="/bin/busybox nc"))
    b.out.wait_for("starting as supervisor")
    b.out.wait_for("network: bridge br0 created, 192.168.77.1/24")
    assert netlab.fetch_from_wan(f"http://{UPLINK_ADDR}:8080/") == "hello-from-web\n"
    assert fetch(b.nsenter, "http://127.0.0.1:8080/") == "hello-from-web\n"
    b.out.wait_for(f"client: LOOP-OK peer={UPLINK_ADDR}", timeout=WAIT)
    srv.out.wait_for(f"peer {UPLINK_ADDR}")
    ruleset, links = netlab.box_netns_state()
    assert tables(ruleset) == BOTH, ruleset
    assert re.search(r"bxweb@if\d+: .* master br0", links), links
    b.signal(signal.SIGTERM)
    assert b.wait_exit() == 0
    ruleset, links = netlab.box_netns_state()
    assert "boxinit" not in ruleset, ruleset
    assert " br0:" not in links and "bxweb" not in links, links
    assert in_netns(netlab.box, "cat", "/proc/sys/net/ipv4/ip_forward").stdout == forwarding
    up0 = in_netns(netlab.box, "ip", "-o", "addr", "show", "dev", "up0").stdout
    assert UPLINK_ADDR not in up0, up0
    assert "default" not in in_netns(netlab.box, "ip", "route").stdout
    assert "up0" in links           # not ours to delete


RELOAD_SERVICES = """
service.web.exec = /bin/busybox httpd -f -p 80 -h /www
service.web.bind = {www}:/www
service.web.net = bridge
service.web.ip = auto
service.web.ports = 8080:80/tcp
service.quiet.exec = /bin/sleep 1000
service.quiet.net = none
service.hostsvc.exec = /bin/sleep 1000
service.hostsvc.net = host
"""


def running_pids(b, names):
    s = b.status()
    return {n: s[n]["pid"] for n in names if s[n]["state"] == "running"}


def test_reload_changes_the_host_network(netlab):
    www = netlab.tmp / "www"
    www.mkdir()
    (www / "index.html").write_text("hello-from-web\n")
    svcs = RELOAD_SERVICES.format(www=www)
    b = netlab.supervisor(BASE + "net.nat = on\nsysctl.net.ipv4.conf.all.log_martians = 1\n"
                          + svcs)
    b.out.wait_for("ready:")
    assert netlab.fetch_from_wan(f"http://{UPLINK_ADDR}:8080/") == "hello-from-web\n"
    names = ("web", "quiet", "hostsvc")
    pids = wait_until(lambda: (lambda p: p if len(p) == 3 else None)(running_pids(b, names)),
                      what="three services running")
    # nothing changed: nobody restarts
    r = b.boxctl("reload")
    assert r.returncode == 0, r.stderr
    assert running_pids(b, names) == pids
    # a new bridge address (subnet), a new uplink address, a sysctl gone
    b.config_path.write_text(BASE.replace("192.168.77.1/24", "192.168.78.1/24")
                             .replace(f"{UPLINK_ADDR}/24", "10.77.0.3/24")
                             + "net.nat = on\n" + svcs)
    r = b.boxctl("reload")
    assert r.returncode == 0, r.stderr
    b.out.wait_for("network: bridge br0: address now 192.168.78.1/24")
    # web's network changed (its address follows the subnet): restarted;
    # the others keep their pid
    now = wait_until(lambda: (lambda p: p if len(p) == 3 and p["web"] != pids["web"] else None)
                     (running_pids(b, names)), what="web restarted")
    assert now["quiet"] == pids["quiet"] and now["hostsvc"] == pids["hostsvc"], (pids, now)
    br = b.nsenter("ip", "-4", "-o", "addr", "show", "dev", "br0").stdout
    assert "192.168.78.1/24" in br and "192.168.77.1" not in br, br
    up0 = b.nsenter("ip", "-4", "-o", "addr", "show", "dev", "up0").stdout
    assert "10.77.0.3/24" in up0 and f"{UPLINK_ADDR}/" not in up0, up0
    assert b.nsenter("cat", "/proc/sys/net/ipv4/conf/all/log_martians").stdout.strip() == "0"
    ruleset = b.nsenter("nft", "list", "ruleset").stdout
    assert "ip saddr 192.168.78.0/24" in ruleset and "dnat to 192.168.78." in ruleset, ruleset
    assert "192.168.77." not in ruleset, ruleset
    # the wan reaches it on the new uplink address, through the new subnet
    assert netlab.fetch_from_wan("http://10.77.0.3:8080/") == "hello-from-web\n"
    b.signal(signal.SIGTERM)
    assert b.wait_exit() == 0
    ruleset, links = netlab.box_netns_state()
    assert " br0:" not in links and "boxinit" not in ruleset


def test_status_shows_the_address_of_ip_auto_services(netlab):
    show = "/bin/sh -c '/bin/busybox ip -4 -o addr show dev eth0; exec /bin/sleep 1000'"
    b = netlab.supervisor(BASE + f"""
service.auto.exec = {show}
service.auto.net = bridge
service.auto.ip = auto
service.fixed.exec = /bin/sleep 1000
service.fixed.net = bridge
service.fixed.ip = 192.168.77.20
service.quiet.exec = /bin/sleep 1000
service.quiet.net = none
""")
    line = b.out.wait_for(lambda t: t.startswith("auto:") and " inet " in t)[0][1]
    addr = re.search(r"inet (\d+\.\d+\.\d+\.\d+)/24", line).group(1)
    s = wait_until(lambda: (lambda s: s if all(s[n]["state"] == "running" for n in s)
                            else None)(b.status()), what="all running")
    assert s["auto"]["address"] == addr
    assert s["fixed"]["address"] == "192.168.77.20"
    assert s["quiet"]["address"] is None
    table = b.boxctl("status").stdout.splitlines()
    col = table[0].split().index("ADDRESS")
    rows = {r.split()[0]: r.split() for r in table[1:]}
    assert rows["auto"][col] == addr, table
    assert rows["fixed"][col] == "192.168.77.20", table
    assert rows["quiet"][col] == "-", table


DUAL = f"""
net.address = 192.168.77.1/24
net.address6 = fd00:b0::1/64
net.nat = on
net.nat6 = on
iface.up0.address = {UPLINK_ADDR}/24
iface.up0.gateway = {WAN_ADDR}
iface.up0.address6 = {UPLINK6_ADDR}/64
iface.up0.gateway6 = {WAN6_ADDR}
"""


def test_ipv6_dual_stack(netlab):
    srv4 = netlab.wan_server(8000)
    srv6 = netlab.wan_server(8006, family=6)
    # at once usable: the first thing the service does is reach the bridge
    first = ("/bin/sh -c 'ip -6 addr show dev eth0; ip -6 route; "
             "if ping -c 1 -W 5 fd00:b0::1 >/dev/null; then echo PING6-OK; "
             "else echo PING6-FAIL; fi; exec /bin/sleep 1000'")
    b = netlab.start(DUAL + f"""
service.web.exec = /bin/busybox httpd -f -p [::]:80 -h /www
service.web.net = bridge
service.web.ip6 = auto
service.web.ports = 8080:80/tcp
service.first.exec = {first}
service.first.net = bridge
service.first.ip6 = fd00:b0::42
service.first.caps = net_raw
""" + fetch_loop("out4", WAN_ADDR, 8000, "OUT4") +
                     fetch_loop("out6", WAN6_ADDR, 8006, "OUT6") +
                     fetch_loop("hair6", "fd00:b0::1", 8080, "HAIR6") +
                     fetch_loop("up6", UPLINK6_ADDR, 8080, "UP6") +
                     fetch_loop("lo6", "::1", 8080, "LO6", net="host"),
                     files={"/www/index.html": "hello-from-web\n"})
    b.out.wait_for("first: PING6-OK", timeout=WAIT)
    text = b.out.text()
    assert "first:     inet6 fd00:b0::42/64 scope global" in text, text
    assert "tentative" not in text
    assert "first: default via fd00:b0::1 dev eth0" in text, text
    # both families out, masqueraded: the wan sees the uplink's addresses
    b.out.wait_for(f"out4: OUT4-OK peer={UPLINK_ADDR}", timeout=WAIT)
    b.out.wait_for(f"out6: OUT6-OK peer={UPLINK6_ADDR}", timeout=WAIT)
    srv4.out.wait_for(f"peer {UPLINK_ADDR}")
    srv6.out.wait_for(f"peer {UPLINK6_ADDR}")
    # port forwards of both families: from outside, the host's loopbacks,
    # the host's own addresses and a sibling through the bridge and uplink
    assert netlab.fetch_from_wan(f"http://{UPLINK_ADDR}:8080/") == "hello-from-web\n"
    assert netlab.fetch_from_wan(f"http://[{UPLINK6_ADDR}]:8080/") == "hello-from-web\n"
    assert fetch(b.nsenter, "http://127.0.0.1:8080/") == "hello-from-web\n"
    assert fetch(b.nsenter, "http://[::1]:8080/") == "hello-from-web\n"
    assert fetch(b.nsenter, "http://[fd00:b0::1]:8080/") == "hello-from-web\n"
    b.out.wait_for("hair6: HAIR6-OK hello-from-web", timeout=WAIT)
    b.out.wait_for("up6: UP6-OK hello-from-web", timeout=WAIT)
    b.out.wait_for("lo6: LO6-OK hello-from-web", timeout=WAIT)
    ruleset = b.nsenter("nft", "list", "ruleset").stdout
    assert tables(ruleset) == ["table ip boxinit {", "table bridge boxinit {",
                               "table ip6 boxinit {"], ruleset
    assert 'ip6 saddr fd00:b0::/64 oifname != "br0" masquerade' in ruleset, ruleset
    assert "ip6 saddr fd00:b0::/64 ip6 daddr fd00:b0::/64 masquerade" in ruleset, ruleset
    assert "ip6 daddr != ::1 tcp dport 8080 dnat to [fd00:b0::" in ruleset, ruleset
    assert "ip6 saddr fd00:b0::42 accept" in ruleset, ruleset
    assert b.nsenter("cat", "/proc/sys/net/ipv6/conf/all/forwarding").stdout.strip() == "1"


def test_status_shows_both_addresses(netlab):
    show = ("/bin/sh -c '/bin/busybox ip -o addr show dev eth0 scope global; "
            "exec /bin/sleep 1000'")
    b = netlab.supervisor(BASE + f"""
net.address6 = fd00:b0::1/64
service.dual.exec = {show}
service.dual.net = bridge
service.quiet.exec = /bin/sleep 1000
service.quiet.net = none
""")
    lines = b.out.wait_for(lambda t: t.startswith("dual:") and " inet" in t, count=2)
    v4 = next(re.search(r"inet (\S+)/24", t).group(1) for _, t in lines if " inet " in t)
    v6 = next(re.search(r"inet6 (\S+)/64", t).group(1) for _, t in lines if " inet6 " in t)
    s = wait_until(lambda: (lambda s: s if s["dual"]["state"] == "running" else None)
                   (b.status()), what="dual running")
    assert (s["dual"]["address"], s["dual"]["address6"]) == (v4, v6)
    assert (s["quiet"]["address"], s["quiet"]["address6"]) == (None, None)
    table = b.boxctl("status").stdout.splitlines()
    col = table[0].split().index("ADDRESS")
    rows = {r.split()[0]: r.split() for r in table[1:]}
    assert rows["dual"][col] == f"{v4},{v6}", table


def test_service_network_failure_is_one_line(netlab):
    """A service whose network cannot be made: one line says what failed,
    on what and why (the request and its object), not a second one that
    says less."""
    # net.bridge names the uplink, a veth: the host says so, and each
    # service's veth cannot become a port of it
    b = netlab.start("""
net.bridge = up0
service.web.exec = /bin/sleep 1000
service.web.net = bridge
service.web.restart = no
""")
    b.out.wait_for("network: bridge up0: up0 exists and is not a bridge (veth)")
    b.out.wait_for(lambda t: t.startswith("boxinit: web: exited with status 127"))
    said = [t for _, t in b.out.matching(lambda t: t.startswith("boxinit: web: network"))]
    assert len(said) == 1, said
    assert said[0].startswith("boxinit: web: network: RTM_NEWLINK bxweb: "), said
    assert "bxweb" not in b.nsenter("ip", "-o", "link").stdout     # nothing left behind


def test_a_mount_that_fails_beside_the_network_is_the_error_named(netlab):
    """A bridged service builds its mounts while boxinit builds its veth:
    when a mount fails first, the start's error is that mount (what
    failed, on what, why), not the network finding the container gone."""
    b = netlab.start(BASE + """
service.nobind.exec = /bin/sleep 1000
service.nobind.net = bridge
service.nobind.bind = /srv/missing:/data
service.nobind.restart = no
""")
    b.out.wait_for(lambda t: t.startswith("boxinit: nobind: exited with status 127"))
    said = [t for _, t in b.out.matching(lambda t: t.startswith("boxinit: nobind: ")
                                         and "exited" not in t and "started" not in t)]
    assert said == ["boxinit: nobind: bind /srv/missing: No such file or directory"], said


def netfilter_groups(pid):
    """The multicast groups of each NETLINK_NETFILTER socket process @pid
    holds (/proc/PID/net/netlink: sk Eth Pid Groups ... Inode)."""
    mine = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:
            continue
        if link.startswith("socket:["):
            mine.add(link[8:-1])
    with open(f"/proc/{pid}/net/netlink") as f:
        rows = [line.split() for line in f.readlines()[1:]]
    return [int(r[3], 16) for r in rows if r[1] == "12" and r[9] in mine]


def test_no_nftables_subscription_without_tables(netlab):
    """Joining the nftables event group makes the kernel load nf_tables
    (nfnetlink's request_module): boxinit does it only when it has tables
    to keep, so a board without NAT neither loads the module nor pays for it."""
    b = netlab.start("service.a.exec = /bin/sleep 1000\nservice.a.net = none\n")
    b.out.wait_for("a: started")
    b.out.wait_for("ready: ")
    assert netfilter_groups(b.boxinit_pid()) == []
    assert "nftables" not in b.out.text()
    b.close()
    # with tables, the watch is there: subscribed to NFNLGRP_NFTABLES (7)
    b = netlab.start(BASE + "net.nat = on\n" + WEB, files={"/www/index.html": "x\n"})
    b.out.wait_for("nat: table ip boxinit")
    b.out.wait_for("ready: ")
    assert 1 << (7 - 1) in netfilter_groups(b.boxinit_pid())
