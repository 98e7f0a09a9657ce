# SPDX-License-Identifier: MIT
"""QEMU boots of what needs a real kernel and a real PID 1: kernel modules
loaded by boxinit, cgroup v2 (and v1 by command line), boxctl in the image,
the emergency shell on the console."""
from qemu import Guest, assert_clean, service

POWEROFF = "boxctl poweroff"


def test_modules_loaded_by_boxinit_and_boxctl_poweroff(tmp_path):
    script = ("grep -q '^veth ' /proc/modules && grep -q '^nft_masq ' /proc/modules && "
              "ip link show eth0 >/dev/null && echo MODULES-OK; "
              "boxctl status; " + POWEROFF)
    conf = ("modules = veth bridge nft_chain_nat nft_masq virtio_pci virtio_net\n"
            + service("web", "/bin/sleep 1000")
            + service("check", f"/bin/sh -c \"{script}\"", type="oneshot", after="web"))
    with Guest(tmp_path, conf) as g:
        g.wait_for(r"^boxinit: modules: loaded \d+ \(", timeout=60)
        g.wait_for(r"^check: MODULES-OK$", timeout=30)
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
                      f"{POWEROFF}'", type="oneshot", after="lim"))
    with Guest(tmp_path, conf) as g:
        g.wait_for(r"^boxinit: cgroup: v2, subtree /sys/fs/cgroup/boxinit$", timeout=60)
        m = g.wait_for(r"^check: CPU=(.*) MEM=(\S+) SWAP=(\S+) PIDS=(\S+)$", timeout=30)[0]
        assert m.group(1) == "50000 100000"
        assert m.group(2) == str(10 << 20)
        assert m.group(3) in ("0", "none")
        assert m.group(4) == "16"
        assert g.wait_for(r"^check: LEAF=(.*)$")[0].group(1).split() == ["1"]
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
                      after="lim"))
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
        g.wait_for(r"^/dev/ttyS0", timeout=10)
        g.type("jobs\n")
        g.wait_for(r"\[1\]\+ +Running +sleep 30", timeout=10)   # job control works
        g.type(POWEROFF + "\n")
        g.wait_exit(timeout=40)
        text = g.log()
        assert "can't access tty" not in text
        assert_clean(text, reboot="Power down")
