"""boxinit when it is not PID 1: a foreground supervisor (development, tests)."""
import os
import signal
import time

from sandbox import exited, kill_pidfds, open_pidfds, wait_until


def sleeps(kids, argv=None):
    """Pids of kids that run sleep (with that command line, if argv)."""
    return [p for p, (_, _, c) in kids.items()
            if c == "sleep" and (argv is None or cmdline(p) == argv)]


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def test_supervisor_runs_services_and_stops_on_sigterm(supervisor):
    b = supervisor("""
service.one.exec = /bin/sh -c "echo one-up; exec sleep 1000"
service.two.exec = /bin/sh -c "echo two-up; exec sleep 1000"
""")
    b.out.wait_for("one: one-up")
    b.out.wait_for("two: two-up")
    assert "starting as supervisor" in b.out.text()
    # "echo" comes before "exec sleep": wait for both execs
    kids = wait_until(lambda: (lambda k: k if len(sleeps(k)) == 2 else None)(b.descendants()),
                      what="both services' sleep")
    # pidfds name these very processes: a pid recycled by the time boxinit
    # has exited (pid_max is 32768 here) cannot fool the check below
    fds = open_pidfds(kids)
    try:
        still = b.descendants()
        assert len(sleeps({p: v for p, v in still.items() if p in fds})) == 2, (kids, still)
        b.signal(signal.SIGTERM)
        assert b.wait_exit() == 0
        text = b.out.text()
        assert "SIGTERM: exiting" in text
        assert "all services stopped" in text
        # nothing left behind: every process that was below boxinit has
        # exited (a zombie not yet reaped by the system counts as exited)
        alive = [p for p, fd in fds.items() if p in still and not exited(fd)]
        assert not alive, (alive, still)
    finally:
        for fd in fds.values():
            os.close(fd)


def test_orphans_stay_below_the_supervisor_and_are_reaped(supervisor):
    # ten orphans ("(sleep 999 &)": their parent subshell exits at once) that
    # live until the test kills them, so that the test sees each of them
    # below boxinit first, whatever the machine's load
    b = supervisor("""
service.p.exec = /bin/sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do (sleep 999 &); done; echo spawned; exec sleep 1000'
""")
    b.out.wait_for("p: spawned")
    # re-parented inside boxinit's tree (the container's reaper, or boxinit
    # itself as child subreaper), never to the system's init
    kids = wait_until(lambda: (lambda k: k if len(sleeps(k, "sleep 999")) == 10 and
                               len(sleeps(k, "sleep 1000")) == 1 else None)(b.descendants()),
                      what="10 orphans and the service below boxinit")
    orphans = open_pidfds(sleeps(kids, "sleep 999"))
    try:
        # still the same processes, still below boxinit
        assert set(orphans) <= set(b.descendants()), (orphans, kids)
        assert len(orphans) == 10
    finally:
        kill_pidfds(orphans)    # and closes them
    # they exit; whoever they were re-parented to reaps them

    def reaped():
        k = b.descendants()
        return k if not [p for p, (st, _, _) in k.items() if st == "Z"] and \
            sleeps(k) == sleeps(k, "sleep 1000") and len(sleeps(k)) == 1 else None
    kids = wait_until(reaped, what="the orphans reaped, only the service left")
    assert not [p for p, (st, _, _) in kids.items() if st == "Z"]
    assert b.out.text().count("p: started") == 1
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


def test_output_lines_in_pieces_long_and_unterminated(supervisor):
    """A service's output is relayed line by line however its writes fall:
    a line written in pieces comes whole, one longer than 1024 bytes comes
    as 1024 and the rest, and a last line without a newline comes when
    the output closes. Another service's whole lines are not mixed in."""
    b = supervisor("""
service.talk.restart = no
service.talk.exec = /bin/sh -c "printf part-; sleep 0.2; echo one; head -c 1500 /dev/zero | tr -c y x; echo; printf tail-unterminated"
service.calm.exec = /bin/sh -c "echo calm-line; exec sleep 1000"
""")
    b.out.wait_for("talk: tail-unterminated")
    talk = [t[len("talk: "):] for _, t in b.out.matching(lambda t: t.startswith("talk: "))]
    assert "part-one" in talk, talk
    assert "x" * 1024 in talk and "x" * 476 in talk, [len(t) for t in talk]
    assert talk.index("part-one") < talk.index("x" * 1024) < talk.index("x" * 476), talk
    b.out.wait_for("calm: calm-line")
