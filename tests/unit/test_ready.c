// SPDX-License-Identifier: MIT
/*
 * Unit tests for what is pure in readiness and health checks
 * (modules/supervise/ready.c, health.c): the sd_notify datagram parser,
 * the environment of a notify service, the count of failed checks in a
 * row and the health state shown, the last line of a check's output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "health.h"
#include "process.h"
#include "ready.h"

static unsigned parse(const char *msg, char *status, size_t slen)
{
	return notify_parse(msg, strlen(msg), status, slen);
}

static void test_notify_parse(void **state)
{
	char st[32] = "untouched";

	assert_int_equal(parse("READY=1", st, sizeof(st)), NOTIFY_READY);
	assert_string_equal(st, "untouched");
	/* several assignments, the unknown ones ignored, the last STATUS wins */
	assert_int_equal(parse("MAINPID=42\nSTATUS=one\nREADY=1\nSTATUS=two\n"
			       "WATCHDOG=1\n", st, sizeof(st)),
			 NOTIFY_READY | NOTIFY_STATUS);
	assert_string_equal(st, "two");
	assert_int_equal(parse("STATUS=", st, sizeof(st)), NOTIFY_STATUS);
	assert_string_equal(st, "");
	/* READY must be exactly READY=1 */
	assert_int_equal(parse("READY=0\nREADY=10\nREADY\n READY=1\nready=1", st,
			       sizeof(st)), 0);
	assert_int_equal(parse("", st, sizeof(st)), 0);
	assert_int_equal(parse("\n\n", st, sizeof(st)), 0);
	/* control characters and broken UTF-8 never reach boxctl; cut to fit */
	assert_int_equal(parse("STATUS=a\033[2Jb\xff" "c\xc3\xa9", st, sizeof(st)),
			 NOTIFY_STATUS);
	assert_string_equal(st, "a?[2Jb?c\xc3\xa9");
	parse("STATUS=0123456789abcdefghijklmnopqrstuvwxyz", st, 8);
	assert_string_equal(st, "0123456");
	/* a NUL inside a datagram is text, not its end */
	assert_int_equal(notify_parse("STATUS=a\0b\nREADY=1", 18, st, sizeof(st)),
			 NOTIFY_READY | NOTIFY_STATUS);
	assert_string_equal(st, "a?b");
	/* no buffer: still parsed */
	assert_int_equal(parse("STATUS=x\nREADY=1", NULL, 0), NOTIFY_READY | NOTIFY_STATUS);
}

static size_t count_of(char **env, const char *prefix)
{
	size_t n = 0;

	for (size_t i = 0; env[i]; i++)
		n += !strncmp(env[i], prefix, strlen(prefix));
	return n;
}

static void test_notify_env(void **state)
{
	char *own[] = { "LANG=C", "NOTIFY_SOCKET=/elsewhere", NULL };
	char *none[] = { "LANG=C", NULL };
	struct svc_conf c = { .env = none, .ready = READY_EXEC };
	char **env = svc_env(&c);

	assert_non_null(env);
	assert_int_equal(count_of(env, "NOTIFY_SOCKET="), 0);
	free(env);
	c.ready = READY_NOTIFY;
	env = svc_env(&c);
	assert_int_equal(count_of(env, "NOTIFY_SOCKET=" PROCESS_NOTIFY_SOCKET), 1);
	assert_int_equal(count_of(env, "LANG=C"), 1);
	assert_int_equal(count_of(env, "PATH="), 1);
	free(env);
	/* the service's own NOTIFY_SOCKET gives way to the socket it has */
	c.env = own;
	env = svc_env(&c);
	assert_int_equal(count_of(env, "NOTIFY_SOCKET="), 1);
	assert_int_equal(count_of(env, "NOTIFY_SOCKET=" PROCESS_NOTIFY_SOCKET), 1);
	free(env);
}

static const char *text(const struct health_count *c, uint32_t retries)
{
	static char buf[32];

	return health_count_text(c, retries, buf, sizeof(buf));
}

static void test_health_count(void **state)
{
	struct health_count c = { 0 };

	assert_string_equal(text(&c, 3), "starting");
	assert_false(health_count_add(&c, false, 3));
	assert_string_equal(text(&c, 3), "unhealthy 1/3");
	assert_false(health_count_add(&c, false, 3));
	assert_string_equal(text(&c, 3), "unhealthy 2/3");
	/* a pass resets the count: failures must come in a row */
	assert_false(health_count_add(&c, true, 3));
	assert_string_equal(text(&c, 3), "healthy");
	assert_false(health_count_add(&c, false, 3));
	assert_false(health_count_add(&c, false, 3));
	assert_true(health_count_add(&c, false, 3));
	assert_string_equal(text(&c, 3), "unhealthy 3/3");
	/* retries = 1: the first failure decides */
	memset(&c, 0, sizeof(c));
	assert_true(health_count_add(&c, false, 1));
	memset(&c, 0, sizeof(c));
	assert_false(health_count_add(&c, true, 1));
	assert_string_equal(text(&c, 1), "healthy");
}

static const char *feed(struct health_line *l, const char *s)
{
	health_line_feed(l, s, strlen(s));
	return health_line_last(l);
}

static void test_health_last_line(void **state)
{
	struct health_line l;
	char big[400];

	health_line_reset(&l);
	assert_string_equal(health_line_last(&l), "");
	/* the last non-blank line, its trailing blanks and CR dropped */
	assert_string_equal(feed(&l, "checking\nport 80 closed \r\n\n  \n"), "port 80 closed");
	/* an unfinished last line counts, in any number of pieces */
	health_line_reset(&l);
	health_line_feed(&l, "first\nsec", 9);
	health_line_feed(&l, "ond", 3);
	assert_string_equal(health_line_last(&l), "second");
	/* asking does not lose what comes after */
	assert_string_equal(feed(&l, "third\n"), "third");
	/* a long line is cut at HEALTH_LINE_MAX - 1 bytes */
	health_line_reset(&l);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(strlen(feed(&l, big)), HEALTH_LINE_MAX - 1);
	assert_string_equal(feed(&l, "\nshort\n"), "short");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notify_parse),
		cmocka_unit_test(test_notify_env),
		cmocka_unit_test(test_health_count),
		cmocka_unit_test(test_health_last_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
