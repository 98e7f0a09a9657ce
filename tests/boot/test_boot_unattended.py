# SPDX-License-Identifier: MIT
"""QEMU boots of what a device nobody can reach needs (issue 14): a watchdog
(softdog, and QEMU's i6300esb where the kernel has its driver) that boxinit's
event loop keeps from resetting the board, a reset when the shutdown hangs,
a critical service whose failure reboots the guest, and back-off delays that
a stepped wall clock does not change."""
import re

import pytest

from qemu import ARCH, Guest, assert_clean, image_modules, service

WATCHDOG = "modules = {module}\nwatchdog = /dev/watchdog\nwatchdog_timeout = {t}s\n"


def have_module(name):
    return name in image_modules()[1]


def petted_past_twice_its_timeout(tmp_path, module, qemu_args=()):
    """The watchdog of @module (timeout 3 s) stays quiet for 8 s (more than
    twice its timeout) because boxinit pets it; boxctl shows it; the guest
    then powers off in order (a reset would end QEMU without it)."""
    check = "/bin/sh -c 'sleep 8; boxctl status; boxctl poweroff'"
    conf = (WATCHDOG.format(module=module, t=3)
            + service("check", check, type="oneshot", control="yes"))
    with Guest(tmp_path, conf, qemu_args=qemu_args) as g:
        m = g.wait_for(r"^boxinit: watchdog: /dev/watchdog \((.*)\): 3 s, petted every 1000 ms$",
                       timeout=60)[0]
        g.wait_for(r"^check: watchdog: /dev/watchdog \(.*\), timeout 3 s, "
                   r"last pet [01]\.\d{3} s ago$", timeout=60)
        g.wait_for(r"^boxinit: watchdog: shutting down: the board resets unless it "
                   r"reboots within 60 s$", timeout=30)
        g.wait_exit(timeout=60)
        assert_clean(g.log(), reboot="Power down")
        return m.group(1)


def test_softdog_petted_past_twice_its_timeout(tmp_path):
    identity = petted_past_twice_its_timeout(tmp_path, "softdog")
    assert identity == "Software Watchdog", identity


def test_i6300esb_petted_past_twice_its_timeout(tmp_path):
    if not have_module("i6300esb"):
        pytest.skip("this board's kernel has no i6300esb driver")
    identity = petted_past_twice_its_timeout(
        tmp_path, "i6300esb", qemu_args=("-device", "i6300esb", "-action", "watchdog=reset"))
    assert "6300ESB" in identity, identity


def test_a_hung_shutdown_is_reset_by_the_watchdog(tmp_path):
    """watchdog_shutdown_timeout bounds the orderly path: a service that
    ignores SIGTERM (stop_timeout 60 s) keeps the shutdown from finishing,
    and the watchdog resets the board 3 s in."""
    stuck = "/bin/sh -c \"trap '' TERM; echo stuck-up; while :; do sleep 1; done\""
    conf = (WATCHDOG.format(module="softdog", t=10) + "watchdog_shutdown_timeout = 3s\n"
            + service("stuck", stuck, stop_timeout="60s")
            + service("check", "/bin/sh -c 'boxctl poweroff'", type="oneshot",
                      control="yes", after="stuck"))
    with Guest(tmp_path, conf) as g:
        g.wait_for(r"^boxinit: watchdog_shutdown_timeout = 3 s is shorter than the longest "
                   r"stop_timeout \(60000 ms\)", timeout=60)
        g.wait_for(r"^boxinit: watchdog: shutting down: the board resets unless it "
                   r"reboots within 3 s$", timeout=60)
        # a reset: QEMU ends (-no-reboot) with no orderly "reboot:" line of
        # the kernel's, long before stuck's stop_timeout
        g.wait_exit(timeout=60)
        log = g.log()
        assert "all services stopped" not in log
        assert "reboot: Power down" not in log and "Kernel panic" not in log


def test_critical_service_that_fails_reboots_the_guest(tmp_path):
    conf = (service("crit", "/bin/sh -c 'exit 1'", restart_max="1",
                    failure_action="reboot")
            + service("calm", "/bin/sleep 1000"))
    with Guest(tmp_path, conf, reboot=True) as g:
        g.wait_for(r"^boxinit: crit: failed \(crash loop: 1 restarts within 60 s; last exited "
                   r"with status 1\): failure_action = reboot$", timeout=60)
        g.wait_for(r"^boxinit: crit failed: reboot$", timeout=30)
        g.wait_for(r"^boxinit: calm: stopped", timeout=30)
        # the guest comes back: a second boot on the same console
        g.wait_for(r"^boxinit: boxinit \S+ starting as pid 1$", count=2, timeout=120)


def test_stepped_wall_clock_changes_no_back_off(tmp_path):
    """Every delay runs on the monotonic clock: the wall clock stepped a day
    forward, then two back, during a crashing service's back-off changes
    none of its delays (measured on boxinit's console stamps, CLOCK_BOOTTIME).
    The steps come after a second, in the 800 and 1600 ms delays: a delay
    that may begin up to BACKOFF_MIN_MS before its "restarting" line (see
    below) shows an early end only when it is longer than that."""
    step = ("/bin/sh -c 'sleep 1; t=$(date +%s); date -s @$((t + 86400)) >/dev/null; "
            "echo FWD $(( $(date +%s) - t )); sleep 0.5; "
            "date -s @$(( $(date +%s) - 172800 )) >/dev/null; echo BACK $(( $(date +%s) - t )); "
            "exec sleep 1000'")
    conf = ("console_timestamps = yes\n"
            + service("crash", "/bin/sh -c 'exit 3'", restart_max="100")
            + service("clock", step, caps="sys_time"))
    with Guest(tmp_path, conf) as g:
        # the clock did move: a day ahead, then a day behind
        fwd = int(g.wait_for(r"clock: FWD (-?\d+)$", timeout=60)[0].group(1))
        back = int(g.wait_for(r"clock: BACK (-?\d+)$", timeout=60)[0].group(1))
        assert 86390 <= fwd <= 86410 and -86410 <= back <= -86390, (fwd, back)
        g.wait_for(r"crash: exited with status 3; restarting in 1600 ms$", timeout=60)
        g.wait_for(r"boxinit: crash: started", count=6, timeout=60)
        # the raw log: g.log() drops what looks like the kernel's stamps
        raw = g.log_path.read_bytes().decode("utf-8", "replace").replace("\r", "")
        stamped = [(int(a) * 1000 + int(b), t) for a, b, t in
                   re.findall(r"^\[\s*(\d+)\.(\d{3})\] (boxinit: crash: .*)$", raw, re.M)]
        pairs, wait = [], None
        for ts, t in stamped:
            m = re.search(r"restarting in (\d+) ms", t)
            if m:
                wait = (ts, int(m.group(1)))
            elif "started (pid" in t and wait:
                pairs.append((ts - wait[0], wait[1]))
                wait = None
        assert [d for _, d in pairs[:5]] == [100, 200, 400, 800, 1600], pairs
        for gap, delay in pairs[:5]:
            # a day's step would show as 86400000 ms, or as no wait at all.
            # The delay runs from the service's exit (its status report),
            # and the "restarting in" line comes with the reap, after the
            # container's teardown: under TCG tens of ms later. The state
            # machine takes the report's time only when it is at most
            # BACKOFF_MIN_MS (100) before the reap, so a delay ends no
            # earlier than 100 ms (and a stamp's ms) short of the line's
            assert delay - 100 - 5 <= gap <= delay + 2000, pairs
