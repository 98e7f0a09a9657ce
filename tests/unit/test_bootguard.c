// SPDX-License-Identifier: MIT
/*
 * Unit tests for the reboot guard (modules/host/bootguard.c): reboots of
 * failure_action counted across "boots" in a state directory, the limit,
 * the window, entries from a clock that went back, a state directory that
 * cannot be written.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "bootguard.h"

static char dir[64];

static int mkdir_tmp(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/boxinit-guard-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int rm_tmp(void **state)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/reboots", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/reboots.new", dir);
	unlink(p);
	return rmdir(dir);
}

static void write_file(const char *text)
{
	char p[128];
	FILE *f;

	snprintf(p, sizeof(p), "%s/reboots", dir);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int lines(void)
{
	char p[128], buf[256];
	int n = 0;
	FILE *f;

	snprintf(p, sizeof(p), "%s/reboots", dir);
	f = fopen(p, "r");
	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f))
		n++;
	fclose(f);
	return n;
}

static void test_limit_within_the_window(void **state)
{
	char why[256];

	assert_int_equal(bootguard_take(dir, 3, 3600000, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "reboot 1 of 3 within 3600 s"));
	assert_int_equal(bootguard_take(dir, 3, 3600000, why, sizeof(why)), 1);
	assert_int_equal(bootguard_take(dir, 3, 3600000, why, sizeof(why)), 1);
	assert_int_equal(lines(), 3);
	/* the fourth within the hour: refused, nothing written */
	assert_int_equal(bootguard_take(dir, 3, 3600000, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "3 reboots already within 3600 s"));
	assert_int_equal(lines(), 3);
}

static void test_old_entries_fall_out(void **state)
{
	char text[128], why[256];
	long long now = (long long)time(NULL);

	/* two from two hours ago, garbage, one a minute ago */
	snprintf(text, sizeof(text), "%lld\n%lld\nnot a number\n%lld\n", now - 7200,
		 now - 7100, now - 60);
	write_file(text);
	assert_int_equal(bootguard_take(dir, 2, 3600000, why, sizeof(why)), 1);
	assert_int_equal(lines(), 2);           /* the old ones dropped */
	assert_int_equal(bootguard_take(dir, 2, 3600000, why, sizeof(why)), 0);
	/* a clock that went back (no RTC): those entries still count */
	snprintf(text, sizeof(text), "%lld\n", now + 86400);
	write_file(text);
	assert_int_equal(bootguard_take(dir, 1, 3600000, why, sizeof(why)), 0);
}

static void test_unwritable_state_dir_refuses(void **state)
{
	char why[256];

	assert_int_equal(bootguard_take("/nonexistent/state", 3, 3600000, why, sizeof(why)),
			 -ENOENT);
	assert_non_null(strstr(why, "/nonexistent/state/reboots"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_limit_within_the_window, mkdir_tmp, rm_tmp),
		cmocka_unit_test_setup_teardown(test_old_entries_fall_out, mkdir_tmp, rm_tmp),
		cmocka_unit_test(test_unwritable_state_dir_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
