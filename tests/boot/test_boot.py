# SPDX-License-Identifier: MIT
"""QEMU boot tests of the board image (run by `make boot`).

One guest per module-level fixture, shared by the tests that observe it, so
the whole file costs a few boots of ~2-4 s each (TCG). Tests run one QEMU at a
time (no xdist): the CI machine has 2 cores.
"""
import re
import subprocess

import pytest

from qemu import BUILD, BASE_INITRD, Guest, assert_clean, service

READY = r"^boxinit: ready: (\d+) services started \(boot (\d+\.\d+) ms\)"
RESTART = r"^boxinit: crash: exited with status 1; restarting in (\d+) ms"

CONFIG = (
    "# boot test\n"
    + service("crash", '/bin/sh -c "echo crash-run; exit 1"')
    + service("hello", '/bin/sh -c "echo hello-from-service; exec sleep 1000"')
)


@pytest.fixture(scope="module")
def guest(tmp_path_factory):
    g = Guest(tmp_path_factory.mktemp("boot"), CONFIG)
    with g:
        g.wait_for(r"^boxinit: boxinit \S+ starting as pid 1$", timeout=60)
        yield g


def test_image_layout():
    """The rootfs the initramfs is made from has the contract's layout."""
    r = BUILD / "rootfs"
    for d in ("dev", "proc", "sys", "tmp", "run", "etc", "bin", "sbin"):
        assert (r / d).is_dir(), d
    assert (r / "init").is_file() and not (r / "init").is_symlink()
    assert (r / "sbin/boxinit").is_file()
    assert (r / "init").read_bytes() == (r / "sbin/boxinit").read_bytes()
    assert (r / "sbin/init").readlink().as_posix() == "boxinit"
    assert (r / "bin/boxctl").readlink().as_posix() == "../sbin/boxinit"
    assert (r / "bin/sh").readlink().as_posix() == "busybox"
    assert (r / "etc/boxinit.conf").is_file()
    mods = list((r / "lib/modules").glob("*/modules.dep"))
    assert len(mods) == 1
    dep = mods[0].read_text()
    for m in ("veth", "bridge", "nft_masq", "nft_chain_nat", "virtio_net", "virtio_pci"):
        assert re.search(rf"/{m}\.ko:", dep), m
    # Every dependency named in modules.dep is shipped.
    for line in dep.splitlines():
        for p in line.replace(":", " ").split():
            assert (mods[0].parent / p).is_file(), p
    listing = subprocess.run(f"zcat {BASE_INITRD} | cpio -t -v --quiet",
                             shell=True, check=True, capture_output=True,
                             text=True).stdout
    assert all(" root " in l for l in listing.splitlines()), "cpio not owned by root"


def test_board_config_valid():
    """The board's demo config passes boxinit --check (the static binary
    runs on the build host too)."""
    from qemu import BOARD_DIR
    r = subprocess.run([str(BUILD / "boxinit"), "--check", "--config",
                        str(BOARD_DIR / "boxinit.conf")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr


def test_ready(guest):
    m = guest.wait_for(READY, timeout=30)[0]
    assert int(m.group(1)) >= 2
    text = guest.log()
    assert "boxinit: boxinit " in text.split("boxinit: ready:")[0]


def test_service_output_prefixed(guest):
    guest.wait_for(r"^hello: hello-from-service$", timeout=20)
    guest.wait_for(r"^crash: crash-run$", timeout=20)


def test_crash_restarts_with_backoff(guest):
    # The first three: a capped back-off repeats its maximum later on.
    found = guest.wait_for(RESTART, timeout=30, count=3)[:3]
    delays = [int(m.group(1)) for m in found]
    assert len(delays) >= 3
    assert all(a < b for a, b in zip(delays, delays[1:])), delays
    # ...and the service really ran again after each restart.
    guest.wait_for(r"^crash: crash-run$", count=len(delays), timeout=20)


def test_ctrl_alt_del_reboots(guest):
    guest.wait_for(READY, timeout=30)
    guest.ctrl_alt_del()
    guest.wait_for(r"^boxinit: SIGINT: reboot", timeout=20)
    guest.wait_exit(timeout=40)
    text = guest.log()
    assert_clean(text, reboot="Restarting system")
    order = [text.find("boxinit: SIGINT: reboot"), text.find("boxinit: stopping services"),
             text.find("boxinit: rebooting"), text.find("reboot: Restarting system")]
    assert -1 not in order and order == sorted(order), order
    print(f"\nqemu start to exit: {guest.elapsed():.2f} s")


def test_shipped_modules_load(tmp_path):
    """The image's modules and modules.dep are usable (busybox modprobe);
    the virtio NIC appears once virtio_pci + virtio_net are in."""
    mods = "veth bridge nft_masq nft_nat nft_chain_nat nft_ct virtio_pci virtio_net"
    script = (f"modprobe -a {mods} && ip link show eth0 >/dev/null && "
              "echo MODULES-OK || echo MODULES-FAILED; kill -INT 1")
    conf = service("mods", f"/bin/sh -c '{script}'", restart="no")
    with Guest(tmp_path, conf) as g:
        m = g.wait_for(r"^mods: (MODULES-\w+)$", timeout=60)[0]
        g.wait_exit(timeout=40)
        text = g.log()
        assert m.group(1) == "MODULES-OK", g.tail()
        assert_clean(text)


def test_busybox_poweroff(tmp_path):
    """busybox `poweroff` (no -f) signals PID 1 with SIGUSR2: an orderly
    power-off, and QEMU exits."""
    conf = service("off", '/bin/sh -c "hostname; poweroff"', restart="no")
    # Also checks that extra kernel arguments reach the guest.
    with Guest(tmp_path, conf, append="boxinit.hostname=from-cmdline") as g:
        g.wait_for(r"^off: from-cmdline$", timeout=60)
        g.wait_for(r"^boxinit: powering off", timeout=30)
        g.wait_exit(timeout=40)
        text = g.log()
        assert_clean(text, reboot="Power down")
        assert text.find("boxinit: stopping services") < text.find("boxinit: powering off")
