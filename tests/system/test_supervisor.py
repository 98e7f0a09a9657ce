"""boxinit when it is not PID 1: a foreground supervisor (development, tests)."""
import signal
import time


def test_supervisor_runs_services_and_stops_on_sigterm(supervisor):
    b = supervisor("""
service.one.exec = /bin/sh -c "echo one-up; exec sleep 1000"
service.two.exec = /bin/sh -c "echo two-up; exec sleep 1000"
""")
    b.out.wait_for("one: one-up")
    b.out.wait_for("two: two-up")
    assert "starting as supervisor" in b.out.text()
    # "echo" comes before "exec sleep": give the exec a moment
    deadline = time.monotonic() + 5
    while True:
        kids = b.descendants()
        sleeps = [p for p, (_, _, c) in kids.items() if c == "sleep"]
        if len(sleeps) == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(sleeps) == 2, kids
    b.signal(signal.SIGTERM)
    assert b.wait_exit() == 0
    text = b.out.text()
    assert "SIGTERM: exiting" in text
    assert "all services stopped" in text
    for pid in kids:            # nothing left behind
        try:
            with open(f"/proc/{pid}/stat") as f:
                assert f.read().split()[2] == "Z"
        except FileNotFoundError:
            pass


def test_orphans_stay_below_the_supervisor_and_are_reaped(supervisor):
    b = supervisor("""
service.p.exec = /bin/sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do (sleep 1 &); done; echo spawned; exec sleep 1000'
""")
    b.out.wait_for("p: spawned")
    # re-parented inside boxinit's tree (the container's reaper, or boxinit
    # itself as child subreaper), never to the system's init
    kids = b.descendants()
    assert len([p for p, (_, _, c) in kids.items() if c == "sleep"]) >= 2
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        kids = b.descendants()
        if not [p for p, (st, _, _) in kids.items() if st == "Z"] and \
                len([p for p, (_, _, c) in kids.items() if c == "sleep"]) == 1:
            break
        time.sleep(0.1)
    assert not [p for p, (st, _, _) in kids.items() if st == "Z"]
    b.signal(signal.SIGINT)
    assert b.wait_exit() == 0


def test_oneshot_and_after_order(supervisor):
    b = supervisor("""
service.late.exec = /bin/sh -c "echo late-up; exec sleep 1000"
service.late.after = setup
service.setup.exec = /bin/sh -c "sleep 0.3; echo setup-done"
service.setup.type = oneshot
""")
    late = b.out.wait_for("late: late-up")[0][0]
    setup = b.out.wait_for("setup: setup-done")[0][0]
    assert setup <= late
    b.out.wait_for("setup: finished (exited with status 0)")


def test_restart_no_and_on_failure(supervisor):
    b = supervisor("""
service.once.exec = /bin/sh -c "exit 0"
service.once.restart = on-failure
service.never.exec = /bin/sh -c "exit 2"
service.never.restart = no
""")
    b.out.wait_for("once: exited with status 0; not restarted (restart = on-failure)")
    b.out.wait_for("never: exited with status 2; not restarted (restart = no)")
    time.sleep(0.5)
    text = b.out.text()
    assert text.count("once: started") == 1
    assert text.count("never: started") == 1
