# SPDX-License-Identifier: MIT
"""QEMU boots of what needs a real kernel and a real PID 1: kernel modules
loaded by boxinit, cgroup v2 (and v1 by command line), boxctl in the image,
the emergency shell on the console."""
import re

from qemu import CONSOLE, Guest, assert_clean, image_softdeps, kernel_config, service

POWEROFF = "boxctl poweroff"


def test_modules_loaded_by_boxinit_and_boxctl_poweroff(tmp_path):
    script = ("grep -q '^veth ' /proc/modules && grep -q '^nft_masq ' /proc/modules && "
              "ip link show eth0 >/dev/null && echo MODULES-OK; "
              "boxctl status; " + POWEROFF)
    conf = ("modules = veth bridge nft_chain_nat nft_masq virtio_pci virtio_net\n"
            + service("web", "/bin/sleep 1000")
            + service("check", f"/bin/sh -c \"{script}\"", type="oneshot", after="web",
                      net="host"))
    with Guest(tmp_path, conf) as g:
        g.wait_for(r"^boxinit: modules: loaded \d+ \(", timeout=60)
        g.wait_for(r"^check: MODULES-OK$", timeout=30)
        # Soft dependencies (modules.softdep, through modules.alias): where
        # crc32c is a module (arm64), crc32c_generic loads before libcrc32c,
        # or nft_masq's chain fails with "Unknown symbol crc32c".
        loaded = re.search(r"^boxinit: modules: loaded \d+ \((.*)\)$", g.log(), re.M)
        order = loaded.group(1).split()
        soft = image_softdeps()
        if kernel_config().get("CONFIG_CRYPTO_CRC32C") == "m":
            # this kernel must exercise the softdep path: not one to skip
            assert "crc32c_generic" in order[:order.index("libcrc32c")], order
            assert "crc32c" in soft.get("libcrc32c", {}), soft
        for mod, names in soft.items():
            if mod in order:
                for name, provides in names.items():
                    assert any(m in order[:order.index(mod)] for m in provides), \
                        (mod, name, provides, order)
        g.wait_for(r"^check: web +running +\d+", timeout=30)
        g.wait_for(r"^boxinit: boxctl: power off$", timeout=30)
        g.wait_exit(timeout=40)
        assert_clean(g.log(), reboot="Power down")


CHECK_V2 = ("cd /sys/fs/cgroup/boxinit; echo ROOT=$(cat /proc/1/cgroup); "
            "echo CPU=$(cat lim/cpu.max) MEM=$(cat lim/memory.max) "
            "SWAP=$(cat lim/memory.swap.max 2>/dev/null || echo none) PIDS=$(cat lim/pids.max); "
            "echo LEAF=$(cat init/cgroup.procs); echo CTRL=$(cat cgroup.subtree_control)")


def test_cgroup_v2_limits_and_oom(tmp_path):
    conf = (service("lim", "/bin/sleep 1000", cpu="0.5", memory="10M", swap="0", pids="16")
            + service("hog", '/bin/sh -c "exec dd if=/dev/zero of=/dev/null bs=20M count=1"',
                      memory="10M", swap="0")
            + service("check", f"/bin/sh -c '{CHECK_V2}; sleep 2; boxctl --json status; "
                      f"{POWEROFF}'", type="oneshot", after="lim",
                      bind="/sys/fs/cgroup:/sys/fs/cgroup:ro"))
    with Guest(tmp_path, conf) as g:
        g.wait_for(r"^boxinit: cgroup: v2, subtree /sys/fs/cgroup/boxinit$", timeout=60)
        m = g.wait_for(r"^check: CPU=(.*) MEM=(\S+) SWAP=(\S+) PIDS=(\S+)$", timeout=30)[0]
        assert m.group(1) == "50000 100000"
        assert m.group(2) == str(10 << 20)
        assert m.group(3) in ("0", "none")
        assert m.group(4) == "16"
        # boxinit alone in its leaf (its pid is 0 seen from the container)
        assert len(g.wait_for(r"^check: LEAF=(.*)$")[0].group(1).split()) == 1
        ctrl = g.wait_for(r"^check: CTRL=(.*)$")[0].group(1).split()
        assert {"cpu", "memory", "pids"} <= set(ctrl)
        g.wait_for(r"^boxinit: hog: killed by the OOM killer \(memory limit 10M\)$", timeout=30)
        g.wait_for(r"^boxinit: hog: killed by signal 9 .*restarting in", timeout=30)
        g.wait_for(r'^check: .*"name":"hog","state":"\w+","pid":\d+,"uptime_s":\d+,'
                   r'"restarts":\d+,"oom_kills":[1-9]', timeout=30)
        g.wait_exit(timeout=40)
        assert_clean(g.log(), reboot="Power down")


def test_cgroup_v1_from_the_kernel_command_line(tmp_path):
    check = ("echo QUOTA=$(cat /sys/fs/cgroup/cpu,cpuacct/boxinit/lim/cpu.cfs_quota_us) "
             "MEM=$(cat /sys/fs/cgroup/memory/boxinit/lim/memory.limit_in_bytes) "
             "PIDS=$(cat /sys/fs/cgroup/pids/boxinit/lim/pids.max)")
    conf = (service("lim", "/bin/sleep 1000", cpu="0.25", memory="12M", pids="20")
            + service("check", f"/bin/sh -c '{check}; {POWEROFF}'", type="oneshot",
                      after="lim", bind="/sys/fs/cgroup:/sys/fs/cgroup:ro"))
    with Guest(tmp_path, conf, append="boxinit.cgroup=v1") as g:
        g.wait_for(r"^boxinit: cgroup: v1, ", timeout=60)
        m = g.wait_for(r"^check: QUOTA=(\S+) MEM=(\S+) PIDS=(\S+)$", timeout=30)[0]
        assert m.groups() == ("25000", str(12 << 20), "20")
        g.wait_exit(timeout=40)
        text = g.log()
        assert_clean(text, reboot="Power down")


def test_emergency_shell_on_the_console(tmp_path):
    conf = "emergency = /bin/sh\n"          # and no service at all
    with Guest(tmp_path, conf, serial_input=True) as g:
        g.wait_for(r"^boxinit: fatal: no services configured; starting emergency shell /bin/sh",
                   timeout=60)
        g.wait_for(r"^boxinit: emergency: started \(pid \d+\)", timeout=10)
        g.type("echo EMERG-$((6*7)); tty; sleep 30 &\n")
        g.wait_for(r"EMERG-42", timeout=20)
        g.wait_for(rf"^/dev/{CONSOLE}", timeout=10)     # the board's console tty
        g.type("jobs\n")
        g.wait_for(r"\[1\]\+ +Running +sleep 30", timeout=10)   # job control works
        g.type(POWEROFF + "\n")
        g.wait_exit(timeout=40)
        text = g.log()
        assert "can't access tty" not in text
        assert_clean(text, reboot="Power down")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_network_bridge_veth_nat_and_port_forward(tmp_path):
    """eth0 from iface.eth0.*, a service on the bridge behind NAT, and its
    port 80 published as the guest's 8080: fetched from the host's loopback
    through QEMU's user network (restrict=on: nothing leaves the host)."""
    import urllib.request
    port = free_port()
    conf = ("modules = veth bridge nft_chain_nat nft_masq nft_nat nft_fib_ipv4 "
            "virtio_pci virtio_net\n"
            "net.bridge = br0\nnet.address = 192.168.50.1/24\nnet.nat = eth0\n"
            "iface.eth0.address = 10.0.2.15/24\niface.eth0.gateway = 10.0.2.2\n"
            + service("web", "/bin/httpd -f -p 80 -h /www", net="bridge", ip="auto",
                      ports="8080:80/tcp")
            + service("peer", "/bin/sh -c 'sleep 1; ip -4 addr show eth0; "
                      "ip route; exec sleep 1000'", net="bridge", ip="192.168.50.20"))
    files = {"www/index.html": "hello through the port forward\n"}
    with Guest(tmp_path, conf, files=files, hostfwd=f"tcp:127.0.0.1:{port}-:8080") as g:
        g.wait_for(r"^boxinit: ready:", timeout=60)
        g.wait_for(r"^peer: +inet 192\.168\.50\.20/24", timeout=30)
        g.wait_for(r"^peer: default via 192\.168\.50\.1 dev eth0", timeout=30)
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    body = r.read().decode()
                    break
            except OSError:
                import time
                time.sleep(0.2)
        assert body == "hello through the port forward\n", g.tail()


def test_container_with_its_own_root_on_an_initramfs(tmp_path):
    """root = DIR when boxinit itself runs from the initramfs, where
    pivot_root(2) is refused: the service sees only its own tree."""
    check = ("echo PID=$$; ls /srv /sbin/boxinit /init 2>&1 | head -3; "
             "touch /x 2>/dev/null && echo ROOT-WRITABLE || echo ROOT-READONLY; "
             "echo data > /data/f && echo DATA-WRITABLE; hostname; "
             "grep -c . /proc/mounts; exec sleep 1000")
    conf = (service("jail", f"/bin/sh -c '{check}'", root="/srv/rootfs",
                    readonly="yes", bind="/tmp:/data", hostname="jailed"))
    with Guest(tmp_path, conf) as g:
        g.wait_for(r"^boxinit: jail: started", timeout=60)
        g.wait_for(r"^jail: PID=2$", timeout=30)
        g.wait_for(r"^jail: ROOT-READONLY$", timeout=10)
        g.wait_for(r"^jail: DATA-WRITABLE$", timeout=10)
        g.wait_for(r"^jail: jailed$", timeout=10)
        text = g.log()
        assert "jail: /init" not in text and "jail: /sbin/boxinit\n" not in text
        assert "ls: /init: No such file or directory" in text.replace("jail: ", "")
