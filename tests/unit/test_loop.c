// SPDX-License-Identifier: MIT
/*
 * Unit tests for the event loop (modules/base/loop.c): timers fire in
 * time order and in arming order for equal times, a timer re-armed by its
 * own callback waits for the next turn, a stopped timer never fires, a
 * watched child reaches its owner with its wait status and an unwatched
 * one is reaped as an orphan. Timers are armed for times already past, so
 * nothing here waits for a clock.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "loop.h"
#include "util.h"

struct tick {
	struct loop_timer t;
	char name;
	int rearm;              /* re-arm itself this many times */
};

static char fired[64];

static void on_tick(struct loop_timer *t)
{
	struct tick *k = container_of(t, struct tick, t);
	size_t n = strlen(fired);

	fired[n] = k->name;
	fired[n + 1] = '\0';
	if (k->rearm-- > 0)
		loop_timer_set(t, 1);   /* long past: due at once */
}

static int setup(void **state)
{
	return loop_init();
}

static void test_timers_in_order(void **state)
{
	struct tick a = { .t.fn = on_tick, .name = 'a' };
	struct tick b = { .t.fn = on_tick, .name = 'b' };
	struct tick c = { .t.fn = on_tick, .name = 'c' };
	struct tick d = { .t.fn = on_tick, .name = 'd' };

	fired[0] = '\0';
	loop_timer_set(&c.t, 30);
	loop_timer_set(&a.t, 10);
	loop_timer_set(&b.t, 20);
	loop_timer_set(&d.t, 20);       /* same time as b, armed later */
	assert_true(loop_timer_armed(&a.t));
	loop_timer_set(&a.t, 25);       /* moved */
	assert_int_equal(loop_wait_once(), 0);
	assert_string_equal(fired, "bdac");
	assert_false(loop_timer_armed(&a.t));
}

static void test_stop_and_rearm(void **state)
{
	struct tick a = { .t.fn = on_tick, .name = 'a', .rearm = 2 };
	struct tick b = { .t.fn = on_tick, .name = 'b' };
	struct tick far = { .t.fn = on_tick, .name = 'f' };

	fired[0] = '\0';
	loop_timer_set(&a.t, 5);
	loop_timer_set(&b.t, 6);
	loop_timer_set(&far.t, now_ms() + 3600000);
	loop_timer_stop(&b.t);
	loop_timer_stop(&b.t);          /* twice is fine */
	/* a re-arms itself for a past time: once per turn, never a spin */
	assert_int_equal(loop_wait_once(), 0);
	assert_string_equal(fired, "a");
	assert_int_equal(loop_wait_once(), 0);
	assert_int_equal(loop_wait_once(), 0);
	assert_string_equal(fired, "aaa");
	assert_false(loop_timer_armed(&a.t));
	assert_true(loop_timer_armed(&far.t));
	loop_timer_stop(&far.t);
	assert_false(loop_timer_armed(&far.t));
}

struct kid {
	struct loop_child c;
	int status;
	int calls;
};

static void on_exit_of(struct loop_child *c, int ws)
{
	struct kid *k = container_of(c, struct kid, c);

	k->status = ws;
	k->calls++;
}

static pid_t child(int code)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(code);
	return pid;
}

/* Wait until @pid has exited, leaving it for loop_reap to reap. */
static void exited(pid_t pid)
{
	siginfo_t si;

	assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
}

static void test_children_reach_their_owner(void **state)
{
	struct kid k3 = { .c.fn = on_exit_of }, k5 = { .c.fn = on_exit_of };
	pid_t stray;

	k3.c.pid = child(3);
	k5.c.pid = child(5);
	stray = child(7);
	loop_child_watch(&k3.c);
	loop_child_watch(&k5.c);
	exited(k3.c.pid);
	exited(k5.c.pid);
	exited(stray);
	/* one reap: both owners called once, the stray one nobody's */
	assert_int_equal(loop_reap(), 1);
	assert_int_equal(k3.calls, 1);
	assert_int_equal(k5.calls, 1);
	assert_true(WIFEXITED(k3.status) && WEXITSTATUS(k3.status) == 3);
	assert_true(WIFEXITED(k5.status) && WEXITSTATUS(k5.status) == 5);
	assert_int_equal(loop_reap(), 0);
	/* a forgotten child is reaped without a call */
	k3.c.pid = child(0);
	loop_child_watch(&k3.c);
	loop_child_forget(&k3.c);
	exited(k3.c.pid);
	assert_int_equal(loop_reap(), 1);
	assert_int_equal(k3.calls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_in_order),
		cmocka_unit_test(test_stop_and_rearm),
		cmocka_unit_test(test_children_reach_their_owner),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
