# SPDX-License-Identifier: MIT
"""QEMU boot tests of the board image (run by `make boot`).

One guest per module-level fixture, shared by the tests that observe it, so
the whole file costs a few boots of ~2-4 s each (TCG). Tests run one QEMU at a
time (no xdist): the CI machine has 2 cores.
"""
import os
import platform
import re
import subprocess

import pytest

from qemu import (BASE_INITRD, BIN_BUILD, BOARD_CONF, BUILD, KEYBOARD_MODULES, Guest,
                  assert_clean, image_modules, image_softdeps, kernel_config, service)

READY = r"^boxinit: ready: (\d+) services started \(boot (\d+\.\d+) ms\)"
RESTART = r"^boxinit: crash: exited with status 1; restarting in (\d+) ms"

CONFIG = (
    "# boot test\n"
    # a board whose keyboard is a module (virtio on -M virt) for Ctrl-Alt-Del
    + (f"modules = {' '.join(KEYBOARD_MODULES)}\n" if KEYBOARD_MODULES else "")
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
    mdir, shipped = image_modules()
    dep = (mdir / "modules.dep").read_text()
    builtin_list = (mdir / "modules.builtin").read_text()
    for m in ("veth", "bridge", "nft_masq", "nft_chain_nat", "virtio_net", "virtio_pci"):
        # virtio_pci is built in on Debian 13's cloud-amd64 kernel
        assert (re.search(rf"/{m}\.ko(\.\w+)?:", dep)
                or re.search(rf"/{m}\.ko$", builtin_list, re.M)), m
    # Every dependency named in modules.dep is shipped.
    for line in dep.splitlines():
        for p in line.replace(":", " ").split():
            assert (mdir / p).is_file(), p
    # Modules are shipped as the kernel package has them: .ko.xz where the
    # kernel compresses them (Debian 13: CONFIG_MODULE_COMPRESS_XZ=y), under
    # /usr/lib/modules on a merged-/usr package (no /lib/modules then).
    conf = kernel_config()
    suffix = ".ko.xz" if conf.get("CONFIG_MODULE_COMPRESS_XZ") == "y" else ".ko"
    assert shipped and all(p.name.endswith(suffix) for p in shipped.values()), shipped
    v = (BUILD / "kernel" / "release").read_text().strip()
    merged = (BUILD / "kernel" / v / "lib").is_symlink()
    assert mdir.parent.parent == (r / "usr/lib" if merged else r / "lib"), mdir
    # boxinit's loader reads the soft dependencies and aliases too.
    for f in ("modules.softdep", "modules.alias", "modules.builtin", "modules.builtin.modinfo"):
        assert (mdir / f).is_file(), f
    # Every soft dependency of a shipped module is shipped or built in
    # (libcrc32c "pre: crc32c" -> crc32c_generic.ko where CRYPTO_CRC32C=m),
    # and every module of its alias is shipped (crc32c_intel on x86, next to
    # the built-in crc32c_generic), since boxinit loads them as modprobe does.
    builtin = (mdir / "modules.builtin.modinfo").read_bytes().decode("utf-8", "replace")
    alias = dict(l.split()[1:3] for l in (mdir / "modules.alias").read_text().splitlines()
                 if l.startswith("alias ") and len(l.split()) == 3)
    kalias = {}         # the whole kernel's modules.alias
    for l in (BUILD / "kernel" / v / "lib/modules" / v / "modules.alias").read_text().splitlines():
        if l.startswith("alias ") and len(l.split()) == 3:
            kalias.setdefault(l.split()[1], []).append(l.split()[2])
    for line in (mdir / "modules.softdep").read_text().splitlines():
        f = line.split()
        if len(f) < 3 or f[0] != "softdep" or f[1] not in shipped:
            continue
        for t in (t for t in f[2:] if t not in ("pre:", "post:")):
            name = alias.get(t, t).replace("-", "_")
            assert name in shipped or f".alias={t}\0" in builtin or f"\0{name}." in builtin, \
                f"softdep {f[1]} -> {t}: not in the image, not built in"
            for m in kalias.get(t, []):
                assert m.replace("-", "_") in shipped, f"softdep {f[1]} -> {t}: {m} not shipped"
    listing = subprocess.run(f"zcat {BASE_INITRD} | cpio -t -v --quiet",
                             shell=True, check=True, capture_output=True,
                             text=True).stdout
    assert all(" root " in l for l in listing.splitlines()), "cpio not owned by root"


def test_board_config_valid():
    """The board's demo config passes boxinit --check (the static binary
    runs on the build host too; a foreign one does not: the host build
    checks it then)."""
    from qemu import BOARD_DIR
    binary = str(BIN_BUILD / "boxinit")
    if BOARD_CONF["ARCH"] != platform.machine():
        binary = os.environ.get("BOXINIT_HOST", str(BIN_BUILD.parent / "host" / "boxinit"))
        if not os.path.exists(binary):
            pytest.skip(f"{BOARD_CONF['ARCH']} binary cannot run here and no host build "
                        f"({binary}): make host")
    r = subprocess.run([binary, "--check", "--config",
                        str(BOARD_DIR / "boxinit.conf")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_board_modules_plan():
    """boxinit --modules lists the board's `modules =` against the image's
    tree: every module found, in load order, dependencies first."""
    from qemu import BOARD_DIR
    binary = str(BIN_BUILD / "boxinit")
    if BOARD_CONF["ARCH"] != platform.machine():
        binary = os.environ.get("BOXINIT_HOST", str(BIN_BUILD.parent / "host" / "boxinit"))
        if not os.path.exists(binary):
            pytest.skip(f"no host build ({binary}): make host")
    mdir, shipped = image_modules()
    r = subprocess.run([binary, f"--modules={mdir}", "--config", str(BOARD_DIR / "boxinit.conf")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[-1].endswith(" modules to load, 0 problems"), r.stdout
    insmod = [l.split()[1] for l in lines if l.startswith("insmod ")]
    assert insmod and all(p.startswith(str(mdir) + "/") for p in insmod), insmod
    names = [l.split("# ")[1].split(":")[0] for l in lines if l.startswith("insmod ")]
    assert names.index("llc") < names.index("stp") < names.index("bridge"), names
    assert set(names) <= set(shipped), set(names) - set(shipped)


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


def test_kernel_command_line_overrides_and_poweroff(tmp_path):
    """boxinit.KEY=VALUE on the kernel command line overrides the config;
    `boxctl poweroff` from a service powers off in order, and QEMU exits.
    (busybox `poweroff` inside a container only signals the container's own
    PID 1: the sandbox tests cover SIGUSR2 to boxinit.)"""
    conf = service("off", '/bin/sh -c "hostname; boxctl poweroff"', restart="no",
                   control="yes")
    with Guest(tmp_path, conf, append="boxinit.service.off.hostname=from-cmdline") as g:
        g.wait_for(r"^off: from-cmdline$", timeout=60)
        g.wait_for(r"^boxinit: powering off", timeout=30)
        g.wait_exit(timeout=40)
        text = g.log()
        assert_clean(text, reboot="Power down")
        assert text.find("boxinit: stopping services") < text.find("boxinit: powering off")
