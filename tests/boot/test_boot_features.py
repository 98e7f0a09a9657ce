# SPDX-License-Identifier: MIT
"""QEMU boots of what needs a real kernel and a real PID 1: kernel modules
loaded by boxinit, cgroup v2 (and v1 by command line), boxctl in the image,
the emergency shell on the console."""
import re
import shutil
import subprocess

import pytest

from qemu import (ARCH, CONSOLE, ROOT, Guest, assert_clean, has_memcg_v1,
                  image_softdeps, kernel_config, service)

POWEROFF = "boxctl poweroff"


def test_modules_loaded_by_boxinit_and_boxctl_poweroff(tmp_path):
    script = ("grep -q '^veth ' /proc/modules && grep -q '^nft_masq ' /proc/modules && "
              "ip link show eth0 >/dev/null && echo MODULES-OK; "
              "echo SSE4.2=$(grep -c sse4_2 /proc/cpuinfo); "
              "boxctl status; " + POWEROFF)
    conf = ("modules = veth bridge nft_chain_nat nft_masq virtio_pci virtio_net\n"
            + service("web", "/bin/sleep 1000")
            + service("check", f"/bin/sh -c \"{script}\"", type="oneshot", after="web",
                      net="host", control="yes"))
    with Guest(tmp_path, conf) as g:
        g.wait_for(r"^boxinit: modules: loaded \d+ \(", timeout=60)
        g.wait_for(r"^check: MODULES-OK$", timeout=30)
        # Soft dependencies (modules.softdep, through modules.alias): where
        # crc32c is a module (arm64), crc32c_generic loads before libcrc32c,
        # or nft_masq's chain fails with "Unknown symbol crc32c". Where a
        # built-in module provides crc32c and a module too (x86 6.12:
        # crc32c_intel), the module loads as well, as modprobe does: every
        # shipped provider loads before its user.
        loaded = re.search(r"^boxinit: modules: loaded \d+ \((.*)\)$", g.log(), re.M)
        order = loaded.group(1).split()
        soft = image_softdeps()
        kconf = kernel_config()
        if kconf.get("CONFIG_CRYPTO_CRC32C") == "m":
            # this kernel must exercise the softdep path: not one to skip
            assert "crc32c_generic" in order[:order.index("libcrc32c")], order
            assert "crc32c" in soft.get("libcrc32c", {}), soft
        # ENODEV (crc32c_intel on a CPU without SSE4.2: qemu64) skips an
        # optional module with one info line; with SSE4.2 it must load.
        skipped = set(re.findall(r"^boxinit: modules: (\w+): not for this machine \(ENODEV\)",
                                 g.log(), re.M))
        if kconf.get("CONFIG_CRYPTO_CRC32C") == "y" and kconf.get("CONFIG_CRYPTO_CRC32C_INTEL") == "m":
            if g.wait_for(r"^check: SSE4\.2=(\d+)$")[0].group(1) != "0":
                assert "crc32c_intel" in order[:order.index("libcrc32c")], order
            else:
                assert skipped == {"crc32c_intel"}, skipped
        for mod, names in soft.items():
            if mod in order:
                for name, provides in names.items():
                    assert all(m in order[:order.index(mod)] or m in skipped for m in provides), \
                        (mod, name, provides, order)
        g.wait_for(r"^check: web +running +\d+", timeout=30)
        g.wait_for(r"^boxinit: boxctl: power off$", timeout=30)
        g.wait_exit(timeout=40)
        assert_clean(g.log(), reboot="Power down")


CHECK_V2 = ("cd /sys/fs/cgroup/boxinit; echo ROOT=$(cat /proc/1/cgroup); "
            "echo CPU=$(cat lim/cpu.max) MEM=$(cat lim/memory.max) "
            "SWAP=$(cat lim/memory.swap.max 2>/dev/null || echo none) PIDS=$(cat lim/pids.max); "
            # the machine's PID 1 delegates from the root cgroup: no leaf
            "if [ -d init ]; then echo LEAF=init; else echo LEAF=none; fi; "
            "echo CTRL=$(cat cgroup.subtree_control) TOP=$(cat ../cgroup.subtree_control)")


def test_cgroup_v2_limits_and_oom(tmp_path):
    conf = (service("lim", "/bin/sleep 1000", cpu="0.5", memory="10M", swap="0", pids="16")
            + service("hog", '/bin/sh -c "exec dd if=/dev/zero of=/dev/null bs=20M count=1"',
                      memory="10M", swap="0")
            + service("check", f"/bin/sh -c '{CHECK_V2}; i=0; until boxctl --json status hog | "
                      f"grep -q \"oom_kills\\\":[1-9]\" || [ $i -ge 600 ]; do "
                      f"sleep 0.2; i=$((i+1)); done; boxctl --json status; "
                      f"{POWEROFF}'", type="oneshot", after="lim", control="yes",
                      bind="/sys/fs/cgroup:/sys/fs/cgroup:ro"))
    with Guest(tmp_path, conf) as g:
        g.wait_for(r"^boxinit: cgroup: v2, subtree /sys/fs/cgroup/boxinit$", timeout=60)
        m = g.wait_for(r"^check: CPU=(.*) MEM=(\S+) SWAP=(\S+) PIDS=(\S+)$", timeout=30)[0]
        assert m.group(1) == "50000 100000"
        assert m.group(2) == str(10 << 20)
        assert m.group(3) in ("0", "none")
        assert m.group(4) == "16"
        # PID 1 stays in the root cgroup ("no internal processes" exempts
        # it) and delegates from there: no boxinit/init leaf
        assert g.wait_for(r"^check: LEAF=(.*)$")[0].group(1) == "none"
        m = g.wait_for(r"^check: CTRL=(.*) TOP=(.*)$")[0]
        assert {"cpu", "memory", "pids"} <= set(m.group(1).split())
        assert {"cpu", "memory", "pids"} <= set(m.group(2).split())
        g.wait_for(r"^boxinit: hog: killed by the OOM killer \(memory limit 10M\)$", timeout=30)
        g.wait_for(r"^boxinit: hog: killed by signal 9 .*restarting in", timeout=30)
        g.wait_for(r'^check: .*"name":"hog","state":"\w+","pid":\d+,"uptime_s":\d+,'
                   r'"restarts":\d+,"oom_kills":[1-9]', timeout=30)
        g.wait_exit(timeout=40)
        assert_clean(g.log(), reboot="Power down")


def test_cgroup_v1_from_the_kernel_command_line(tmp_path):
    """boxinit.cgroup=v1: cpu, memory and pids limits on the v1 hierarchies.
    On a kernel without the v1 memory controller (6.12+, CONFIG_MEMCG_V1
    unset: Debian 13) one clear warning says so, and cpu and pids work."""
    memcg_v1 = has_memcg_v1()
    check = ("echo QUOTA=$(cat /sys/fs/cgroup/cpu,cpuacct/boxinit/lim/cpu.cfs_quota_us) "
             "MEM=$(cat /sys/fs/cgroup/memory/boxinit/lim/memory.limit_in_bytes 2>/dev/null"
             " || echo none) "
             "PIDS=$(cat /sys/fs/cgroup/pids/boxinit/lim/pids.max)")
    conf = (service("lim", "/bin/sleep 1000", cpu="0.25", memory="12M", pids="20")
            + service("check", f"/bin/sh -c '{check}; {POWEROFF}'", type="oneshot",
                      after="lim", bind="/sys/fs/cgroup:/sys/fs/cgroup:ro", control="yes"))
    with Guest(tmp_path, conf, append="boxinit.cgroup=v1") as g:
        g.wait_for(r"^boxinit: cgroup: v1, ", timeout=60)
        m = g.wait_for(r"^check: QUOTA=(\S+) MEM=(\S+) PIDS=(\S+)$", timeout=30)[0]
        assert m.groups() == ("25000", str(12 << 20) if memcg_v1 else "none", "20")
        g.wait_exit(timeout=40)
        text = g.log()
        assert_clean(text, reboot="Power down")
        warning = ("boxinit: cgroup v1: this kernel has no v1 memory controller "
                   "(CONFIG_MEMCG_V1 is not set")
        if memcg_v1:
            assert warning not in text
        else:
            # one line says it all: no generic mount error, no per-service one
            assert text.count(warning) == 1, text
            assert "mount cgroup memory" not in text
            assert "no memory controller" not in text


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
    through QEMU's user network (restrict=on: nothing leaves the host).

    Outbound, masqueraded: a service on the bridge (192.168.50.30) fetches
    a file from the TFTP server QEMU's user network itself runs at its
    gateway, 10.0.2.2 (tftp=DIR: a listener of QEMU's, on the host side of
    its user network; restrict=on lets it through and nothing else). The
    guest's connection tracking (/proc/net/nf_conntrack, read by a net =
    host service) shows the rewrite: the reply is due to 10.0.2.15, eth0's
    address, not to the service's."""
    import secrets
    import urllib.request
    port = free_port()
    token = f"masq-{secrets.token_hex(8)}"
    tftp = tmp_path / "tftp"
    tftp.mkdir()
    (tftp / "token").write_text(token + "\n")
    fetch = ("ip -4 addr show eth0 | grep -o \"inet [0-9.]*\"; i=0; "
             "until tftp -g -r token -l /tmp/token 10.0.2.2 2>/dev/null; do "
             "i=$((i+1)); [ $i -ge 20 ] && { echo TFTP-FAILED; exec sleep 1000; }; "
             "sleep 0.5; done; echo GOT $(cat /tmp/token); exec sleep 1000")
    conntrack = ("i=0; until grep -q \"dport=69 \" /proc/net/nf_conntrack 2>/dev/null || "
                 "[ $i -ge 300 ]; do sleep 0.2; i=$((i+1)); done; "
                 "grep \"dport=69 \" /proc/net/nf_conntrack || echo NO-ENTRY; exec sleep 1000")
    conf = ("modules = veth bridge nf_tables nft_meta_bridge nft_chain_nat nft_masq nft_nat nft_fib_ipv4 "
            "virtio_pci virtio_net\n"
            "net.bridge = br0\nnet.address = 192.168.50.1/24\nnet.nat = eth0\n"
            "iface.eth0.address = 10.0.2.15/24\niface.eth0.gateway = 10.0.2.2\n"
            + service("web", "/bin/httpd -f -p 80 -h /www", net="bridge", ip="auto",
                      ports="8080:80/tcp")
            + service("peer", "/bin/sh -c 'sleep 1; ip -4 addr show eth0; "
                      "ip route; exec sleep 1000'", net="bridge", ip="192.168.50.20")
            + service("out", f"/bin/sh -c '{fetch}'", net="bridge", ip="192.168.50.30")
            + service("ct", f"/bin/sh -c '{conntrack}'", net="host"))
    files = {"www/index.html": "hello through the port forward\n"}
    with Guest(tmp_path, conf, files=files, hostfwd=f"tcp:127.0.0.1:{port}-:8080",
               tftp=tftp) as g:
        g.wait_for(r"^boxinit: ready:", timeout=60)
        # the Debian kernel took the bridge rules (nft_meta_bridge is listed)
        g.wait_for(r"^boxinit: antispoof: table bridge boxinit: 3 service ports",
                   timeout=10)
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
        g.wait_for(r"^out: inet 192\.168\.50\.30$", timeout=30)
        m = g.wait_for(r"^out: (GOT \S+|TFTP-FAILED)$", timeout=60)[0]
        assert m.group(1) == f"GOT {token}", g.tail()
        # original 192.168.50.30 -> 10.0.2.2:69, reply 10.0.2.2:69 -> 10.0.2.15
        m = g.wait_for(r"^ct: (.*dport=69 .*|NO-ENTRY)$", timeout=60)[0]
        assert re.search(r"src=192\.168\.50\.30 dst=10\.0\.2\.2 sport=\d+ dport=69 .*"
                         r"src=10\.0\.2\.2 dst=10\.0\.2\.15 sport=69 ", m.group(1)), m.group(0)


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



DEVICE_CHECK = (
    # mknod is granted, yet a memory device node is refused (cgroup v2 BPF
    # device program), and the host's console (5:1), found in the host's
    # /dev bound in, does not open (without the policy it would: root needs
    # no capability for it)
    "mknod /dev/m c 1 1 2>/dev/null && echo MKNOD=made || echo MKNOD=refused; "
    "echo CONSOLE=$( (exec 3> /hostdev/console && echo opened) 2>&1); "
    # what the container's /dev holds still works, mknod of it included
    "mknod /dev/null2 c 1 3 && echo x > /dev/null2 && "
    "head -c 1 /dev/urandom > /dev/null && echo OWN=ok")


def test_device_policy_on_cgroup_v2(tmp_path):
    """Issue 12 finding 9 on a real PID 1 with cgroup v2: caps = mknod
    makes no device node but those of the container's /dev, and a node of
    the host's opens nothing."""
    conf = (service("dev", f"/bin/sh -c '{DEVICE_CHECK}'", type="oneshot",
                    root="/srv/rootfs", caps="mknod", bind="/dev:/hostdev:ro")
            + service("off", POWEROFF, type="oneshot", after="dev", control="yes"))
    with Guest(tmp_path, conf) as g:
        g.wait_for(r"^boxinit: cgroup: v2, ", timeout=60)
        g.wait_for(r"^dev: MKNOD=refused$", timeout=30)
        g.wait_for(r"^dev: CONSOLE=.*can't create /hostdev/console: "
                   r"Operation not permitted$", timeout=30)
        g.wait_for(r"^dev: OWN=ok$", timeout=30)
        g.wait_exit(timeout=40)
        text = g.log()
        assert "no device policy" not in text
        assert_clean(text, reboot="Power down")

def test_machine_init_copies_service_lines_into_the_kernel_log(tmp_path):
    """The machine's own PID 1 (the initial pid namespace) still copies
    service lines into the kernel log at KERN_DEBUG; with ignore_loglevel
    the kernel prints that copy on the console too, so the line shows
    twice: boxinit's console write and the kernel's. (The sandbox test
    test_sandbox_leaves_the_host_kernel_log_alone covers the other side.)"""
    conf = service("say", "/bin/sh -c 'echo kmsg-copy-7f3e; exec sleep 1000'")
    with Guest(tmp_path, conf, append="ignore_loglevel") as g:
        g.wait_for(r"^(\[[ \d.]+\] )?say: kmsg-copy-7f3e$", count=2, timeout=90)
        assert "not the machine's init" not in g.log()

def build_probe(tmp_path):
    """tests/system/privs_probe.c, static, for the board's ARCH."""
    cc = {"x86_64": "musl-gcc", "aarch64": "aarch64-linux-musl-gcc"}.get(ARCH)
    if not cc or not shutil.which(cc):
        pytest.skip(f"no static C compiler for {ARCH}")
    out = tmp_path / "privs_probe"
    subprocess.run([cc, "-static", "-O2", "-Wall", "-Werror", "-o", str(out),
                    str(ROOT / "tests/system/privs_probe.c")], check=True)
    return out.read_bytes()


def probe_lines(text, name):
    seen = {}
    for m in re.finditer(rf"^{name}: (.*)$", text, re.M):
        words = m.group(1).split()
        if len(words) == 3 and words[0] in ("SELF", "REAPER", "SYSCALL"):
            seen[(words[0], words[1])] = words[2]
        elif len(words) == 2:
            seen[words[0]] = words[1]
    return seen


def test_reaper_and_seccomp_contain_a_hostile_service(tmp_path):
    """Issue 12, findings 2 and 10, with boxinit as the real PID 1: a
    sys_ptrace service attaches to its reaper and gains nothing; the reaper
    holds no more than its service; the default seccomp filter refuses a
    user namespace to uid 1000, which the kernel grants without it. No
    root =: the service's root is the namespace's (a chroot forbids user
    namespaces whatever the filter)."""
    probe = build_probe(tmp_path)
    conf = (service("ptr", "/probe", caps="sys_ptrace", restart="no")
            + service("usr", "/probe", user="1000", restart="no")
            + service("off", "/probe", user="1000", seccomp="off", restart="no"))
    with Guest(tmp_path, conf, files={"probe": (0o755, probe)}) as g:
        for name in ("ptr", "usr", "off"):
            g.wait_for(rf"^{name}: DONE$", timeout=90)
            g.wait_for(rf"^boxinit: {name}: exited with status 0; not restarted", timeout=30)
        text = g.log()
        ptr, usr, off = (probe_lines(text, n) for n in ("ptr", "usr", "off"))
        for s in (ptr, usr, off):
            for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
                assert int(s[("REAPER", k)], 16) & ~int(s[("SELF", k)], 16) == 0, (k, s)
            assert s[("REAPER", "Uid")] == s[("SELF", "Uid")], s
            assert s[("REAPER", "NoNewPrivs")] == "1", s
            assert s["REAPER_OWNER"] == "0", s
        assert ptr["SEIZE"] == "0", ptr
        # the reaper made to run unshare(CLONE_NEWNS) (x86_64 and aarch64)
        assert ptr["INJECT_GETPID"] == "1", ptr    # the control: injection works
        assert ptr["INJECT"] == "-1", ptr          # -EPERM: no CAP_SYS_ADMIN
        assert usr["SEIZE"] == "1", usr
        assert usr[("SELF", "Seccomp")] == "2" and usr[("REAPER", "Seccomp")] == "2", usr
        assert usr[("SYSCALL", "userns")] == "1", usr   # EPERM
        assert usr[("SYSCALL", "keyctl")] == "1", usr
        assert off[("SELF", "Seccomp")] == "0", off
        assert off[("SYSCALL", "userns")] == "0", off   # finding 10 without the filter

# ---- issue 12: the container's mount namespace on a real PID 1 -----------------

def test_service_without_root_cannot_reach_the_control_plane(tmp_path):
    """A service without root = sees the image read-only, not boxinit's
    config file, socket or logs; one with control = yes drives boxctl."""
    tries = [("edit-config", "echo x >> /etc/boxinit.conf && grep -q x /etc/boxinit.conf"),
             ("read-config", "grep -q service /etc/boxinit.conf"),
             ("see-socket", "test -S /run/boxinit.sock"),
             ("boxctl", "boxctl status"),
             ("see-logs", "ls /run/boxinit | grep -q ."),
             ("write-root", "touch /sbin/evil"),
             ("tmp-write", "! touch /tmp/ok")]
    script = "; ".join(f"if ( {c} ) >/dev/null 2>&1; then echo ALLOWED {n}; "
                       f"else echo DENIED {n}; fi" for n, c in tries) + "; echo DONE"
    conf = (service("plain", "/bin/sh /try.sh", type="oneshot")
            + service("off", f"/bin/sh -c '{POWEROFF}'", type="oneshot", after="plain",
                      control="yes"))
    with Guest(tmp_path, conf, files={"try.sh": script + "\n"}) as g:
        g.wait_for(r"^plain: DONE$", timeout=60)
        g.wait_exit(timeout=40)
        text = g.log()
        assert "plain: ALLOWED" not in text, text
        assert text.count("plain: DENIED") == len(tries)
        assert_clean(text, reboot="Power down")


def test_sys_chroot_cannot_climb_out_on_an_initramfs(tmp_path):
    """caps = sys_chroot and the classic `chroot x; cd ../..; chroot .`
    from root = /srv/rootfs, on an initramfs (MS_MOVE + chroot): the
    service reaches nothing of the image; it is warned about."""
    import os
    import subprocess
    here = os.path.join(os.path.dirname(__file__), "..", "system", "faults")
    binary = tmp_path / "escape"
    cc = {"x86_64": "musl-gcc", "aarch64": "aarch64-linux-musl-gcc"}.get(ARCH)
    if not cc or not shutil.which(cc):
        pytest.skip(f"no static C compiler for {ARCH}")
    subprocess.run([cc, "-static", "-O2", "-Wall", "-Werror", "-o", str(binary),
                    os.path.join(here, "chroot_escape.c")], check=True)
    conf = (service("esc", "/bin/escape /init /sbin/boxinit /etc/boxinit.conf /srv",
                    root="/srv/rootfs", caps="sys_chroot", restart="no")
            + service("off", f"/bin/sh -c 'sleep 1; {POWEROFF}'", type="oneshot",
                      after="esc", control="yes"))
    files = {"srv/rootfs/bin/escape": (0o755, binary.read_bytes())}
    with Guest(tmp_path, conf, files=files) as g:
        g.wait_for(r"^esc: CLIMBED$", timeout=60)
        g.wait_exit(timeout=40)
        text = g.log()
        assert "esc: SEES" not in text, text
        assert "esc: NOT /init" in text
        assert "esc: boxinit: warning: pivot_root refused" in text


def conntrack_flows(text, proto):
    """(original src, original dst, reply dst) of each @proto flow in the
    lines of /proc/net/nf_conntrack a service printed, addresses normalised."""
    import ipaddress
    flows = []
    for line in text.splitlines():
        if f" {proto} " not in f" {line} ":
            continue
        addrs = re.findall(r"\b(src|dst)=([0-9a-f:.]+)", line)
        if len(addrs) >= 4:
            a = [str(ipaddress.ip_address(v)) for _, v in addrs[:4]]
            flows.append((a[0], a[1], a[3]))
    return flows


def test_service_reaches_qemus_user_network_through_the_masquerade(tmp_path):
    """A service on the dual-stack bridge reaches QEMU's user network over
    both families: it pings the gateway QEMU itself answers (10.0.2.2 and
    fec0::2: restrict=on lets nothing else out, and nothing leaves the
    host), and the guest's connection tracking shows the masquerade: the
    answers are due to eth0's addresses (10.0.2.15, fec0::15), not to the
    service's."""
    conf = ("modules = veth bridge nf_tables nft_meta_bridge nft_chain_nat nft_masq nft_nat "
            "virtio_pci virtio_net\n"
            "iface.eth0.address = 10.0.2.15/24\niface.eth0.gateway = 10.0.2.2\n"
            "iface.eth0.address6 = fec0::15/64\niface.eth0.gateway6 = fec0::2\n"
            "net.bridge = br0\nnet.address = 192.168.50.1/24\nnet.nat = eth0\n"
            "net.address6 = fd00:50::1/64\nnet.nat6 = eth0\n"
            + service("out", "/bin/sh -c 'ping -c 2 -W 5 10.0.2.2 >/dev/null && echo PING4-OK; "
                      "ping -6 -c 2 -W 5 fec0::2 >/dev/null && echo PING6-OK; "
                      "ip -6 -o addr show dev eth0 scope global'",
                      net="bridge", ip="192.168.50.30", ip6="fd00:50::30", caps="net_raw",
                      type="oneshot", restart="no")
            + service("check", "/bin/sh -c 'cat /proc/net/nf_conntrack; echo CT-DONE'",
                      net="host", type="oneshot", after="out", restart="no"))
    with Guest(tmp_path, conf) as g:
        g.wait_for(r"^boxinit: ready:", timeout=120)
        g.wait_for(r"^boxinit: nat: table ip boxinit: masquerade eth0", timeout=30)
        g.wait_for(r"^boxinit: nat: table ip6 boxinit: masquerade eth0", timeout=30)
        g.wait_for(r"^out: PING4-OK$", timeout=120)
        # QEMU's user network offers IPv6 (fec0::/64) unless built without
        g.wait_for(r"^out: PING6-OK$", timeout=120)
        g.wait_for(r"^check: CT-DONE$", timeout=120)
        ct = "\n".join(l[len("check: "):] for l in g.log().splitlines()
                       if l.startswith("check: "))
        assert ("192.168.50.30", "10.0.2.2", "10.0.2.15") in conntrack_flows(ct, "icmp"), ct
        assert ("fd00:50::30", "fec0::2", "fec0::15") in conntrack_flows(ct, "icmpv6"), ct
