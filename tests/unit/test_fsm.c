// SPDX-License-Identifier: MIT
/*
 * Unit tests for the service state machine (modules/supervise/fsm.c) and
 * the registry that drives it (registry.c, reload.c), without processes
 * and without timing: the transition function gets the time as an
 * argument, and the registry runs against fake effects that record what
 * would have been done ("spawn a", "signal b", "kill c") on a fake clock.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "fsm.h"
#include "log.h"
#include "service.h"
#include "supervise.h"

#define EXITED(n) ((n) << 8)
#define KILLED(s) (s)

/* ---- the transition function alone ---------------------------------------- */

static struct svc_policy policy(enum restart_policy rp, bool oneshot)
{
	struct svc_policy p = {
		.oneshot = oneshot, .restart = rp, .restart_max = 3,
		.restart_window_ms = 60000, .stop_timeout_ms = 5000,
		.stop_signal = SIGTERM,
	};
	return p;
}

static struct fsm_out step(struct svc_fsm *m, const struct svc_policy *p,
			   enum svc_event type, int ws, uint64_t now)
{
	struct fsm_event ev = { .type = type, .wstatus = ws };
	struct fsm_out o;

	fsm_step(m, p, &ev, now, &o);
	return o;
}

/* Up and running at @now. */
static void run(struct svc_fsm *m, const struct svc_policy *p, uint64_t now)
{
	struct fsm_out o = step(m, p, EV_START, 0, now);

	assert_int_equal(o.result, 0);
	assert_int_equal(m->state, FSM_WAITING);
	o = step(m, p, EV_DEPS_MET, 0, now);
	assert_true(o.act & ACT_SPAWN);
	step(m, p, EV_SPAWNED, 0, now);
	assert_int_equal(m->state, FSM_RUNNING);
}

static void test_backoff_grows_and_resets(void **state)
{
	struct svc_policy p = policy(RESTART_ALWAYS, false);
	struct svc_fsm m;
	uint64_t now = 1000;
	const uint32_t want[] = { 100, 200, 400, 800, 1600 };

	p.restart_max = 100;
	fsm_init(&m, false);
	run(&m, &p, now);
	for (size_t i = 0; i < 5; i++) {
		struct fsm_out o = step(&m, &p, EV_EXIT, EXITED(1), now);

		assert_true(o.act & ACT_ENDED);
		assert_int_equal(m.state, FSM_BACKOFF);
		assert_int_equal(m.deadline_ms, now + want[i]);
		assert_non_null(strstr(o.line, "exited with status 1; restarting in"));
		/* an early timer does nothing; the deadline starts it again */
		step(&m, &p, EV_TIMEOUT, 0, now + want[i] - 1);
		assert_int_equal(m.state, FSM_BACKOFF);
		now += want[i];
		step(&m, &p, EV_TIMEOUT, 0, now);
		assert_int_equal(m.state, FSM_WAITING);
		assert_int_equal(m.restarts, i + 1);
		step(&m, &p, EV_DEPS_MET, 0, now);
		step(&m, &p, EV_SPAWNED, 0, now);
	}
	/* a long healthy run: back to the first delay */
	now += BACKOFF_RESET_MS;
	step(&m, &p, EV_EXIT, KILLED(SIGSEGV), now);
	assert_int_equal(m.deadline_ms, now + BACKOFF_MIN_MS);
	/* the ceiling */
	m.backoff_ms = BACKOFF_MAX_MS;
	step(&m, &p, EV_TIMEOUT, 0, now + BACKOFF_MIN_MS);
	step(&m, &p, EV_DEPS_MET, 0, now);
	step(&m, &p, EV_SPAWNED, 0, now);
	step(&m, &p, EV_EXIT, EXITED(1), now);
	assert_int_equal(m.deadline_ms, now + BACKOFF_MAX_MS);
	assert_int_equal(m.backoff_ms, BACKOFF_MAX_MS);
}

/* The back-off counts from the exit the reaper reported (exit_ms), not
 * from the later reap; a time outside the run (before its start, or
 * ahead of now: a wrong report) or more than BACKOFF_MIN_MS before the
 * reap is not taken. */
static void test_backoff_counts_from_the_exit(void **state)
{
	struct svc_policy p = policy(RESTART_ALWAYS, false);
	struct fsm_event ev = { .type = EV_EXIT, .wstatus = EXITED(1) };
	struct fsm_out o;
	struct svc_fsm m;

	p.restart_max = 100;
	fsm_init(&m, false);
	run(&m, &p, 1000);
	ev.exit_ms = 1997;
	fsm_step(&m, &p, &ev, 2000, &o);
	assert_int_equal(m.state, FSM_BACKOFF);
	assert_int_equal(m.deadline_ms, 1997 + BACKOFF_MIN_MS);
	step(&m, &p, EV_TIMEOUT, 0, 1997 + BACKOFF_MIN_MS);
	assert_int_equal(m.state, FSM_WAITING);
	step(&m, &p, EV_DEPS_MET, 0, 2100);
	step(&m, &p, EV_SPAWNED, 0, 2100);
	ev.exit_ms = 2050;                      /* before this run began */
	fsm_step(&m, &p, &ev, 2200, &o);
	assert_int_equal(m.deadline_ms, 2200 + 2 * BACKOFF_MIN_MS);
	step(&m, &p, EV_TIMEOUT, 0, 2200 + 2 * BACKOFF_MIN_MS);
	step(&m, &p, EV_DEPS_MET, 0, 2500);
	step(&m, &p, EV_SPAWNED, 0, 2500);
	ev.exit_ms = 9000;                      /* ahead of now */
	fsm_step(&m, &p, &ev, 2600, &o);
	assert_int_equal(m.deadline_ms, 2600 + 4 * BACKOFF_MIN_MS);
	step(&m, &p, EV_TIMEOUT, 0, 2600 + 4 * BACKOFF_MIN_MS);
	step(&m, &p, EV_DEPS_MET, 0, 3000);
	step(&m, &p, EV_SPAWNED, 0, 3000);
	ev.exit_ms = 3100;              /* more than a minimal back-off ago */
	fsm_step(&m, &p, &ev, 3100 + BACKOFF_MIN_MS + 1, &o);
	assert_int_equal(m.deadline_ms, 3100 + BACKOFF_MIN_MS + 1 + 8 * BACKOFF_MIN_MS);
}

static void test_crash_loop_fails_until_started(void **state)
{
	struct svc_policy p = policy(RESTART_ALWAYS, false);
	struct svc_fsm m;
	struct fsm_out o;
	uint64_t now = 5000;

	fsm_init(&m, false);
	run(&m, &p, now);
	for (int i = 0; i < 3; i++) {
		step(&m, &p, EV_EXIT, EXITED(4), now);
		assert_int_equal(m.state, FSM_BACKOFF);
		now = m.deadline_ms;
		step(&m, &p, EV_TIMEOUT, 0, now);
		step(&m, &p, EV_DEPS_MET, 0, now);
		step(&m, &p, EV_SPAWNED, 0, now);
	}
	o = step(&m, &p, EV_EXIT, EXITED(4), now);
	assert_int_equal(m.state, FSM_FAILED);
	assert_int_equal(o.level, LOG_LV_ERR);
	assert_non_null(strstr(m.reason, "crash loop: 3 restarts within"));
	/* failed stays failed: no timer, no restart */
	step(&m, &p, EV_TIMEOUT, 0, now + 100000);
	assert_int_equal(m.state, FSM_FAILED);
	/* an operator's start clears it, with a fresh back-off */
	o = step(&m, &p, EV_START, 0, now);
	assert_int_equal(o.result, 0);
	assert_int_equal(m.state, FSM_WAITING);
	assert_int_equal(m.backoff_ms, BACKOFF_MIN_MS);
	assert_int_equal(m.reason[0], '\0');
	/* restarts in a new window count from zero */
	step(&m, &p, EV_DEPS_MET, 0, now);
	step(&m, &p, EV_SPAWNED, 0, now);
	step(&m, &p, EV_EXIT, EXITED(4), now + 61000);
	assert_int_equal(m.state, FSM_BACKOFF);
	assert_int_equal(m.window_count, 1);
}

static void test_oneshot_and_restart_policies(void **state)
{
	struct svc_policy one = policy(RESTART_ALWAYS, true);
	struct svc_policy no = policy(RESTART_NO, false);
	struct svc_policy onf = policy(RESTART_ON_FAILURE, false);
	struct svc_fsm m;
	struct fsm_out o;

	/* a oneshot that succeeds is done, and ready */
	fsm_init(&m, false);
	run(&m, &one, 0);
	assert_false(m.ready);
	o = step(&m, &one, EV_EXIT, EXITED(0), 10);
	assert_int_equal(m.state, FSM_DONE);
	assert_true(m.ready);
	assert_string_equal(o.line, "finished (exited with status 0)");
	/* one that fails is restarted like any service */
	fsm_init(&m, false);
	run(&m, &one, 0);
	step(&m, &one, EV_EXIT, EXITED(2), 10);
	assert_int_equal(m.state, FSM_BACKOFF);

	/* restart = no: wanted once; a failure is failed, success stopped */
	fsm_init(&m, false);
	run(&m, &no, 0);
	assert_int_equal(m.want, WANT_ONCE);
	o = step(&m, &no, EV_EXIT, EXITED(2), 10);
	assert_int_equal(m.state, FSM_FAILED);
	assert_string_equal(o.line, "exited with status 2; not restarted (restart = no)");
	fsm_init(&m, false);
	run(&m, &no, 0);
	step(&m, &no, EV_EXIT, EXITED(0), 10);
	assert_int_equal(m.state, FSM_STOPPED);

	/* on-failure: a clean exit stays down, a failure comes back */
	fsm_init(&m, false);
	run(&m, &onf, 0);
	o = step(&m, &onf, EV_EXIT, EXITED(0), 10);
	assert_int_equal(m.state, FSM_STOPPED);
	assert_string_equal(o.line, "exited with status 0; not restarted (restart = on-failure)");
	fsm_init(&m, false);
	run(&m, &onf, 0);
	step(&m, &onf, EV_EXIT, KILLED(SIGKILL), 10);
	assert_int_equal(m.state, FSM_BACKOFF);
}

static void test_failed_start_is_a_failed_run(void **state)
{
	struct svc_policy p = policy(RESTART_ALWAYS, false);
	struct svc_fsm m;
	struct fsm_out o;

	fsm_init(&m, false);
	step(&m, &p, EV_START, 0, 0);
	step(&m, &p, EV_DEPS_MET, 0, 0);
	/* spawn failed: fed back as an exit 127 while still waiting */
	o = step(&m, &p, EV_EXIT, EXITED(127), 0);
	assert_int_equal(m.state, FSM_BACKOFF);
	assert_string_equal(o.line, "exited with status 127; restarting in 100 ms");
	/* an invalid service cannot be started */
	fsm_init(&m, true);
	assert_int_equal(m.state, FSM_FAILED);
	assert_string_equal(m.reason, "invalid configuration");
	p.invalid = true;
	o = step(&m, &p, EV_START, 0, 0);
	assert_int_equal(o.result, -EINVAL);
	assert_int_equal(m.state, FSM_FAILED);
}

static void test_stop_signal_kill_stuck(void **state)
{
	struct svc_policy p = policy(RESTART_ALWAYS, false);
	struct svc_fsm m;
	struct fsm_out o;

	fsm_init(&m, false);
	run(&m, &p, 0);
	o = step(&m, &p, EV_STOP, 0, 100);
	assert_int_equal(o.result, 0);
	assert_int_equal(m.state, FSM_STOP_WAIT);
	assert_string_equal(fsm_state_name(m.state), "running");
	assert_int_equal(step(&m, &p, EV_STOP, 0, 100).result, -EALREADY);
	o = step(&m, &p, EV_MAY_STOP, 0, 100);
	assert_true(o.act & ACT_SIGNAL);
	assert_int_equal(m.state, FSM_STOPPING);
	assert_int_equal(m.deadline_ms, 5100);
	o = step(&m, &p, EV_TIMEOUT, 0, 5100);
	assert_true(o.act & ACT_KILL);
	assert_int_equal(m.state, FSM_KILLING);
	assert_string_equal(fsm_state_name(m.state), "stopping");
	assert_string_equal(o.line, "still running 5000 ms after signal 15: sending SIGKILL");
	/* still there another stop_timeout later: reported stuck, once */
	o = step(&m, &p, EV_TIMEOUT, 0, 10100);
	assert_true(m.stuck);
	assert_int_equal(o.level, LOG_LV_ERR);
	assert_non_null(strstr(m.reason, "stuck"));
	assert_int_equal(m.deadline_ms, 0);
	o = step(&m, &p, EV_EXIT, KILLED(SIGKILL), 20000);
	assert_int_equal(m.state, FSM_STOPPED);
	assert_false(m.stuck);
	assert_string_equal(o.line, "stopped (killed by signal 9 (Killed))");
}

static void test_restart_and_stop_during_start(void **state)
{
	struct svc_policy p = policy(RESTART_ALWAYS, false);
	struct svc_fsm m;
	struct fsm_out o;

	/* a restart: stopped, then straight back to waiting, no back-off */
	fsm_init(&m, false);
	run(&m, &p, 0);
	step(&m, &p, EV_RESTART, 0, 0);
	assert_int_equal(m.state, FSM_STOP_WAIT);
	step(&m, &p, EV_MAY_STOP, 0, 0);
	o = step(&m, &p, EV_EXIT, KILLED(SIGTERM), 50);
	assert_int_equal(m.state, FSM_WAITING);
	assert_int_equal(m.restarts, 0);
	/* a stop while it waits for its dependencies: stopped at once */
	o = step(&m, &p, EV_STOP, 0, 60);
	assert_int_equal(o.result, 0);
	assert_int_equal(m.state, FSM_STOPPED);
	assert_string_equal(m.reason, "stop requested");
	assert_int_equal(step(&m, &p, EV_DEPS_MET, 0, 70).act, 0);
	/* a stop during a restart keeps it down; a start during a stop
	 * brings it back */
	run(&m, &p, 100);
	step(&m, &p, EV_RESTART, 0, 100);
	step(&m, &p, EV_MAY_STOP, 0, 100);
	assert_int_equal(step(&m, &p, EV_STOP, 0, 110).result, 0);
	step(&m, &p, EV_EXIT, KILLED(SIGTERM), 120);
	assert_int_equal(m.state, FSM_STOPPED);
	run(&m, &p, 200);
	step(&m, &p, EV_STOP, 0, 200);
	step(&m, &p, EV_MAY_STOP, 0, 200);
	assert_int_equal(step(&m, &p, EV_START, 0, 210).result, 0);
	step(&m, &p, EV_EXIT, KILLED(SIGTERM), 220);
	assert_int_equal(m.state, FSM_WAITING);
	/* a start before the stop signal went out cancels the stop */
	step(&m, &p, EV_DEPS_MET, 0, 300);
	step(&m, &p, EV_SPAWNED, 0, 300);
	step(&m, &p, EV_STOP, 0, 310);
	step(&m, &p, EV_START, 0, 320);
	assert_int_equal(m.state, FSM_RUNNING);
	assert_int_equal(m.want, WANT_UP);
}

static void test_reload_during_backoff(void **state)
{
	struct svc_policy p = policy(RESTART_ALWAYS, false);
	struct fsm_event ev = { .type = EV_RELOAD, .changed = true };
	struct svc_fsm m;
	struct fsm_out o;

	fsm_init(&m, false);
	run(&m, &p, 0);
	for (int i = 0; i < 3; i++) {
		step(&m, &p, EV_EXIT, EXITED(1), 0);
		step(&m, &p, EV_TIMEOUT, 0, m.deadline_ms);
		step(&m, &p, EV_DEPS_MET, 0, 0);
		step(&m, &p, EV_SPAWNED, 0, 0);
	}
	step(&m, &p, EV_EXIT, EXITED(1), 0);
	assert_int_equal(m.state, FSM_BACKOFF);
	assert_int_equal(m.backoff_ms, 1600);
	/* a new configuration: taken at once, started afresh */
	fsm_step(&m, &p, &ev, 10, &o);
	assert_true(o.act & ACT_TAKE);
	assert_int_equal(m.state, FSM_WAITING);
	assert_int_equal(m.deadline_ms, 0);
	assert_int_equal(m.backoff_ms, BACKOFF_MIN_MS);
	assert_int_equal(m.window_count, 0);
	/* the same configuration again leaves a running service alone */
	step(&m, &p, EV_DEPS_MET, 0, 20);
	step(&m, &p, EV_SPAWNED, 0, 20);
	ev.changed = false;
	fsm_step(&m, &p, &ev, 30, &o);
	assert_int_equal(o.act, 0);
	assert_int_equal(m.state, FSM_RUNNING);
	/* a changed one restarts it and takes the configuration at the exit */
	ev.changed = true;
	fsm_step(&m, &p, &ev, 40, &o);
	assert_int_equal(m.state, FSM_STOP_WAIT);
	assert_true(m.has_next);
	step(&m, &p, EV_MAY_STOP, 0, 40);
	o = step(&m, &p, EV_EXIT, KILLED(SIGTERM), 50);
	assert_true(o.act & ACT_TAKE);
	assert_int_equal(m.state, FSM_WAITING);
}

static void test_shutdown_during_restart(void **state)
{
	struct svc_policy p = policy(RESTART_ALWAYS, false);
	struct svc_fsm a, b, c;
	struct fsm_out o;

	/* a in the middle of a restart, b in back-off, c running */
	fsm_init(&a, false);
	fsm_init(&b, false);
	fsm_init(&c, false);
	run(&a, &p, 0);
	run(&b, &p, 0);
	run(&c, &p, 0);
	step(&a, &p, EV_RESTART, 0, 0);
	step(&a, &p, EV_MAY_STOP, 0, 0);
	step(&b, &p, EV_EXIT, EXITED(1), 0);
	step(&a, &p, EV_SHUTDOWN, 0, 1);
	step(&b, &p, EV_SHUTDOWN, 0, 1);
	step(&c, &p, EV_SHUTDOWN, 0, 1);
	assert_int_equal(b.state, FSM_STOPPED);
	assert_string_equal(b.reason, "shutdown");
	assert_int_equal(c.state, FSM_STOP_WAIT);
	/* the restart does not come back up */
	o = step(&a, &p, EV_EXIT, KILLED(SIGTERM), 2);
	assert_int_equal(a.state, FSM_STOPPED);
	assert_false(o.act & ACT_SPAWN);
	step(&b, &p, EV_TIMEOUT, 0, 100000);
	assert_int_equal(b.state, FSM_STOPPED);
}

static void test_readiness_and_health(void **state)
{
	struct svc_policy p = policy(RESTART_ALWAYS, false);
	struct svc_fsm m;
	struct fsm_out o;
	struct fsm_event unhealthy = { .type = EV_UNHEALTHY, .why = "exited with status 1" };

	p.ready_timeout_ms = 30000;
	fsm_init(&m, false);
	run(&m, &p, 1000);
	/* running is not ready: its readiness has a deadline */
	assert_false(m.ready);
	assert_int_equal(m.deadline_ms, 31000);
	step(&m, &p, EV_READY, 0, 2000);
	assert_true(m.ready);
	assert_int_equal(m.deadline_ms, 0);
	/* a crash: the next run must say it again */
	step(&m, &p, EV_EXIT, EXITED(1), 3000);
	assert_false(m.ready);
	step(&m, &p, EV_TIMEOUT, 0, m.deadline_ms);
	step(&m, &p, EV_DEPS_MET, 0, 4000);
	step(&m, &p, EV_SPAWNED, 0, 4000);
	/* never ready: killed, and the exit reported as not ready */
	o = step(&m, &p, EV_TIMEOUT, 0, 34000);
	assert_true(o.act & ACT_KILL);
	assert_string_equal(o.line, "not ready within 30 s: killing it");
	assert_int_equal(step(&m, &p, EV_READY, 0, 34001).act, 0);
	assert_false(m.ready);                          /* too late */
	o = step(&m, &p, EV_EXIT, KILLED(SIGKILL), 34002);
	assert_int_equal(m.state, FSM_BACKOFF);
	assert_string_equal(o.line, "not ready within 30 s; restarting in 100 ms");
	/* unhealthy: killed, restarted like a crash, with the check's verdict */
	step(&m, &p, EV_TIMEOUT, 0, m.deadline_ms);
	step(&m, &p, EV_DEPS_MET, 0, 40000);
	step(&m, &p, EV_SPAWNED, 0, 40000);
	step(&m, &p, EV_READY, 0, 40000);
	fsm_step(&m, &p, &unhealthy, 50000, &o);
	assert_true(o.act & ACT_KILL);
	o = step(&m, &p, EV_EXIT, KILLED(SIGKILL), 50001);
	assert_string_equal(o.line, "unhealthy: exited with status 1; restarting in 100 ms");
	/* a oneshot is ready when done, a ready event changes nothing */
	p = policy(RESTART_ALWAYS, true);
	fsm_init(&m, false);
	run(&m, &p, 0);
	step(&m, &p, EV_READY, 0, 1);
	assert_false(m.ready);
}

/* ---- the registry, against fake effects ----------------------------------- */

static uint64_t clock_now;
static char trace[4096];
static pid_t next_pid;
static bool fail_spawn_of_b;

static void record(const char *what, const struct service *s)
{
	size_t n = strlen(trace);

	snprintf(trace + n, sizeof(trace) - n, "%s%s %s", n ? ", " : "", what,
		 svc_name(s));
}

static uint64_t fake_now(void)
{
	return clock_now;
}

static int fake_spawn(struct service *s)
{
	if (fail_spawn_of_b && !strcmp(svc_name(s), "b")) {
		record("spawn-fails", s);
		return -ENOENT;
	}
	record("spawn", s);
	s->pid = ++next_pid;
	return 0;
}

static void fake_signal(struct service *s) { record("signal", s); }
static void fake_kill(struct service *s) { if (s->pid > 0) record("kill", s); }
static void fake_ended(struct service *s) { s->pid = 0; }
static void fake_timer(struct service *s) { }
static void fake_release(struct service *s) { record("release", s); }

static const struct svc_effects fake = {
	.now = fake_now, .spawn = fake_spawn, .signal = fake_signal,
	.kill = fake_kill, .ended = fake_ended, .timer = fake_timer,
	.release = fake_release,
};

static struct config *parse(const char *text)
{
	struct config *cfg = malloc(sizeof(*cfg));

	assert_non_null(cfg);
	config_init(cfg);
	config_parse_buffer(cfg, "test.conf", text, strlen(text));
	config_finish(cfg);
	return cfg;
}

static void boot(const char *text)
{
	trace[0] = '\0';
	next_pid = 100;
	clock_now = 1000;
	fail_spawn_of_b = false;
	svc_set_effects(&fake);
	assert_int_equal(supervise_init(parse(text), NULL, NULL), 0);
}

static void done(void)
{
	supervise_free();
	svc_set_effects(NULL);
}

/* @name's process exits with @ws. */
static void exits(const char *name, int ws)
{
	struct fsm_event ev = { .type = EV_EXIT, .wstatus = ws };
	struct service *s = svc_find(name);

	assert_non_null(s);
	svc_event(s, &ev, NULL);
	svc_settle();
}

static const char *state_of(const char *name)
{
	return fsm_state_label(svc_find(name)->fsm.state);
}

static int quiet(void **state)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	log_open(fd);
	return 0;
}

static void test_dependencies_start_in_order_and_fail(void **state)
{
	boot("service.a.exec = /bin/a\n"
	     "service.a.type = oneshot\n"
	     "service.b.exec = /bin/b\n"
	     "service.b.after = a\n"
	     "service.c.exec = /bin/c\n"
	     "service.c.after = b\n"
	     "service.d.exec = /bin/d\n");
	assert_int_equal(supervise_start_all(), 2);
	/* b waits for the oneshot a to finish, c for b */
	assert_string_equal(trace, "spawn a, spawn d");
	assert_string_equal(state_of("b"), "waiting");
	exits("a", EXITED(0));
	assert_string_equal(trace, "spawn a, spawn d, spawn b, spawn c");
	done();

	/* a failed dependency fails its dependents, in a chain */
	boot("service.a.exec = /bin/a\n"
	     "service.a.type = oneshot\n"
	     "service.a.restart = no\n"
	     "service.b.exec = /bin/b\n"
	     "service.b.after = a\n"
	     "service.c.exec = /bin/c\n"
	     "service.c.after = b\n");
	supervise_start_all();
	exits("a", EXITED(3));
	assert_string_equal(state_of("a"), "failed");
	assert_string_equal(state_of("b"), "failed");
	assert_string_equal(svc_find("b")->fsm.reason, "dependency \"a\" failed");
	assert_string_equal(state_of("c"), "failed");
	assert_string_equal(trace, "spawn a");
	done();
}

static char told[256];
static unsigned told_n;

static void on_boot(unsigned ready, unsigned total, const char *not_ready)
{
	told_n++;
	snprintf(told, sizeof(told), "%u/%u [%s]", ready, total, not_ready);
}

static char failed_last[128];

static void on_fail(const struct svc_conf *c, const char *reason)
{
	snprintf(failed_last, sizeof(failed_last), "%s: %s", c->name, reason);
}

static void test_boot_ready_and_failure_action(void **state)
{
	boot("service.a.exec = /bin/a\n"
	     "service.a.type = oneshot\n"
	     "service.b.exec = /bin/b\n"
	     "service.b.after = a\n"
	     "service.c.exec = /bin/c\n"
	     "service.c.restart = no\n"
	     "service.c.ready = fd:3\n"        /* never says so: not ready */
	     "service.c.failure_action = reboot\n"
	     "service.d.exec = /bin/d\n"
	     "service.d.failure_action = poweroff\n");
	told_n = 0;
	failed_last[0] = '\0';
	supervise_on_boot_ready(on_boot);
	supervise_on_failure(on_fail);
	supervise_start_all();
	/* b waits for the oneshot a: the boot is not over */
	assert_int_equal(told_n, 0);
	exits("c", EXITED(1));                  /* a critical one fails */
	assert_string_equal(failed_last, "c: exited with status 1");
	assert_int_equal(told_n, 0);
	exits("a", EXITED(0));                  /* b starts, ready at once (fake) */
	assert_int_equal(told_n, 1);
	assert_string_equal(told, "3/4 [c]");
	/* told once; a crash of d is a restart, not a failure */
	exits("d", EXITED(1));
	assert_int_equal(told_n, 1);
	assert_string_equal(failed_last, "c: exited with status 1");
	supervise_on_boot_ready(NULL);
	supervise_on_failure(NULL);
	done();
}

static void test_failed_spawn_backs_off(void **state)
{
	boot("service.b.exec = /bin/b\n");
	fail_spawn_of_b = true;
	assert_int_equal(supervise_start_all(), 0);
	assert_string_equal(state_of("b"), "backoff");
	assert_int_equal(svc_find("b")->fsm.deadline_ms, 1100);
	done();
}

static void test_stop_order_is_the_reverse_of_after(void **state)
{
	boot("service.db.exec = /bin/db\n"
	     "service.app.exec = /bin/app\n"
	     "service.app.after = db\n"
	     "service.web.exec = /bin/web\n"
	     "service.web.after = app\n"
	     "service.log.exec = /bin/log\n");
	supervise_start_all();
	trace[0] = '\0';
	supervise_stop_all();
	assert_true(supervise_stopping());
	/* web and log first; app once web is down; db once app is */
	assert_string_equal(trace, "signal log, signal web");
	assert_string_equal(state_of("db"), "stop-wait");
	exits("web", KILLED(SIGTERM));
	assert_string_equal(trace, "signal log, signal web, signal app");
	exits("log", KILLED(SIGTERM));
	exits("app", KILLED(SIGTERM));
	assert_string_equal(trace, "signal log, signal web, signal app, signal db");
	exits("db", EXITED(0));
	assert_int_equal(supervise_running(), 0);
	/* nothing starts or restarts during the shutdown */
	assert_int_equal(supervise_start("db"), -ESHUTDOWN);
	assert_string_equal(state_of("db"), "stopped");
	done();
}

static void test_stop_of_one_leaves_its_dependents_running(void **state)
{
	boot("service.db.exec = /bin/db\n"
	     "service.app.exec = /bin/app\n"
	     "service.app.after = db\n");
	supervise_start_all();
	trace[0] = '\0';
	assert_int_equal(supervise_stop("db"), 0);
	assert_string_equal(trace, "signal db");
	assert_string_equal(state_of("app"), "running");
	assert_int_equal(supervise_stop("db"), -EALREADY);
	assert_int_equal(supervise_stop("nope"), -ENOENT);
	exits("db", KILLED(SIGTERM));
	assert_string_equal(state_of("db"), "stopped");
	/* a stop of both: app first, db waits for it */
	assert_int_equal(supervise_start("db"), 0);
	trace[0] = '\0';
	supervise_stop("app");
	supervise_stop("db");
	assert_string_equal(trace, "signal app");
	exits("app", KILLED(SIGTERM));
	assert_string_equal(trace, "signal app, signal db");
	done();
}

static void test_reload_adds_changes_removes(void **state)
{
	struct svc_status st;

	boot("service.keep.exec = /bin/keep\n"
	     "service.change.exec = /bin/change\n"
	     "service.gone.exec = /bin/gone\n"
	     "service.idle.exec = /bin/idle\n"
	     "service.idle.restart = no\n");
	supervise_start_all();
	exits("idle", EXITED(0));
	trace[0] = '\0';
	assert_int_equal(supervise_reload(parse(
		"service.keep.exec = /bin/keep\n"
		"service.change.exec = /bin/change --new\n"
		"service.new.exec = /bin/new\n")), 0);
	/* idle (no process) is freed at once; gone and change are stopped
	 * (the later in start order first) */
	assert_string_equal(trace, "release idle, spawn new, signal gone, signal change");
	assert_null(svc_find("idle"));
	exits("gone", KILLED(SIGTERM));
	assert_null(svc_find("gone"));
	exits("change", KILLED(SIGTERM));
	assert_string_equal(svc_find("change")->conf->exec, "/bin/change --new");
	assert_string_equal(state_of("keep"), "running");
	assert_int_equal(svc_find("keep")->pid, 101);
	assert_int_equal(supervise_count(), 3);
	assert_int_equal(supervise_status(3, &st), -ENOENT);
	done();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_grows_and_resets),
		cmocka_unit_test(test_backoff_counts_from_the_exit),
		cmocka_unit_test(test_crash_loop_fails_until_started),
		cmocka_unit_test(test_oneshot_and_restart_policies),
		cmocka_unit_test(test_failed_start_is_a_failed_run),
		cmocka_unit_test(test_stop_signal_kill_stuck),
		cmocka_unit_test(test_restart_and_stop_during_start),
		cmocka_unit_test(test_reload_during_backoff),
		cmocka_unit_test(test_shutdown_during_restart),
		cmocka_unit_test(test_readiness_and_health),
		cmocka_unit_test(test_boot_ready_and_failure_action),
		cmocka_unit_test(test_dependencies_start_in_order_and_fail),
		cmocka_unit_test(test_failed_spawn_backs_off),
		cmocka_unit_test(test_stop_order_is_the_reverse_of_after),
		cmocka_unit_test(test_stop_of_one_leaves_its_dependents_running),
		cmocka_unit_test(test_reload_adds_changes_removes),
	};

	return cmocka_run_group_tests(tests, quiet, NULL);
}
