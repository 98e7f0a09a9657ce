/* SPDX-License-Identifier: MIT */
/* Unit tests for modules/base/log.c: prefixes, splitting, a console that blocks. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"

static int rd = -1;

/* Route the log into a fresh pipe; the test reads the other end. */
static int setup(void **state)
{
	int p[2];

	if (pipe(p) < 0)
		return -1;
	rd = p[0];
	fcntl(rd, F_SETFL, O_NONBLOCK);
	log_open(p[1]);
	log_set_level(LOG_LV_INFO);
	return 0;
}

static int teardown(void **state)
{
	char buf[65536];

	while (read(rd, buf, sizeof(buf)) > 0)
		;
	log_flush();
	close(rd);
	return 0;
}

static size_t slurp(char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;

	while (n < len - 1 && (r = read(rd, buf + n, len - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return n;
}

static void test_prefixes(void **state)
{
	char buf[4096];

	log_info("ready: %d services", 3);
	log_line("web", NULL, "GET / 200", 9);
	log_debug("not shown at info level");
	slurp(buf, sizeof(buf));
	assert_string_equal(buf, "boxinit: ready: 3 services\nweb: GET / 200\n");
}

static void test_control_characters_are_neutralised(void **state)
{
	char buf[256];

	log_line("svc", NULL, "a\x1b[2Jb\tc", 8);
	slurp(buf, sizeof(buf));
	assert_string_equal(buf, "svc: a?[2Jb\tc\n");
}

/* C1 controls (U+0080..U+009F; U+009B is a CSI on a Linux VT), as UTF-8
 * and as raw bytes, become '?' like C0; valid UTF-8 passes unchanged. */
static void test_c1_controls_are_neutralised(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "a\xc2\x9b" "2Jb", "a?2Jb" },          /* U+009B as UTF-8 */
		{ "a\xc2\x80\xc2\x9f", "a??" },         /* both ends of C1 */
		{ "a\x9b" "2J", "a?2J" },                 /* raw CSI byte */
		{ "\x85\x90\x9d\x9c", "????" },         /* raw NEL, DCS, OSC, ST */
		{ "\xc2", "?" },                          /* cut sequence */
		{ "\xc2" "A", "?A" },                     /* lead without continuation */
		{ "\xc0\x9b", "??" },                     /* overlong ESC-ish */
		{ "\xe0\x80\x9b", "???" },               /* overlong U+001B */
		{ "\xed\xa0\x80", "???" },               /* a surrogate */
		{ "\xf4\x90\x80\x80", "????" },         /* past U+10FFFF */
		{ "\xc2\xa0\xc2\xa9", "\xc2\xa0\xc2\xa9" }, /* NBSP, (c): not C1 */
		{ "caf\xc3\xa9 \xc3\xbc", "caf\xc3\xa9 \xc3\xbc" },  /* é ü */
		{ "\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac" },  /* CJK */
		{ "\xe2\x80\x9b", "\xe2\x80\x9b" },     /* U+201B: 0x9b as a continuation */
		{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },  /* emoji */
	};
	char buf[256], want[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		log_line("svc", NULL, cases[i].in, strlen(cases[i].in));
		slurp(buf, sizeof(buf));
		snprintf(want, sizeof(want), "svc: %s\n", cases[i].out);
		assert_string_equal(buf, want);
	}
}

/* A split never cuts a UTF-8 sequence: both pieces stay valid text. */
static void test_split_keeps_utf8_sequences_whole(void **state)
{
	char line[LOG_LINE_MAX + 8];
	char buf[LOG_LINE_MAX * 2 + 100];
	size_t n;

	memset(line, 'x', LOG_LINE_MAX - 1);
	memcpy(line + LOG_LINE_MAX - 1, "\xe2\x82\xac" "yy", 5);     /* the euro sign */
	log_line("svc", NULL, line, LOG_LINE_MAX + 4);
	n = slurp(buf, sizeof(buf));
	assert_int_equal(n, (LOG_LINE_MAX + 4) + 2 * (strlen("svc: ") + 1));
	assert_int_equal(buf[5 + LOG_LINE_MAX - 1], '\n');
	assert_memory_equal(buf + 5 + LOG_LINE_MAX, "svc: \xe2\x82\xac" "yy\n", 11);
}

static void test_long_lines_are_split(void **state)
{
	char line[LOG_LINE_MAX * 2 + 10];
	char buf[LOG_LINE_MAX * 3 + 100];
	size_t n;

	memset(line, 'x', sizeof(line));
	log_line("svc", NULL, line, sizeof(line));
	n = slurp(buf, sizeof(buf));
	/* three pieces, each with the prefix */
	assert_int_equal(n, sizeof(line) + 3 * (strlen("svc: ") + 1));
	assert_int_equal(buf[5 + LOG_LINE_MAX], '\n');
	assert_memory_equal(buf + 6 + LOG_LINE_MAX, "svc: ", 5);
}

static void test_blocked_console_drops_and_reports(void **state)
{
	char line[200];
	char *buf = malloc(1 << 20);
	size_t pipe_cap = (size_t)fcntl(rd, F_GETPIPE_SZ);
	int lines = (int)((pipe_cap + LOG_RING_SIZE) / 100) + 50;

	assert_non_null(buf);
	memset(line, 'y', 93);
	/* Nobody reads: the pipe fills, then the ring, then lines drop. */
	for (int i = 0; i < lines; i++)
		log_line("svc", NULL, line, 93);         /* 99 bytes with prefix */
	assert_true(log_pending());
	assert_true(log_dropped() > 0);
	/* the reader comes back: everything queued arrives, plus the note */
	slurp(buf, 1 << 20);
	while (log_flush())
		slurp(buf, 1 << 20);
	log_info("after");
	slurp(buf, 1 << 20);
	assert_non_null(strstr(buf, "boxinit: console too slow: "));
	assert_non_null(strstr(buf, "lines dropped\nboxinit: after\n"));
	free(buf);
}

static void test_console_gone_is_not_fatal(void **state)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	close(p[0]);
	log_open(p[1]);                 /* writes now fail with EPIPE */
	signal(SIGPIPE, SIG_IGN);
	log_info("into the void");
	assert_false(log_pending());
	setup(state);                   /* a working console again */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_prefixes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_characters_are_neutralised, setup, teardown),
		cmocka_unit_test_setup_teardown(test_c1_controls_are_neutralised, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_keeps_utf8_sequences_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_lines_are_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blocked_console_drops_and_reports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_console_gone_is_not_fatal, setup, teardown),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
