/* SPDX-License-Identifier: MIT */
/* Unit tests for modules/base/err.c: set, prefix, truncation, logging. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "err.h"
#include "log.h"

static void test_set(void **state)
{
	struct err e;

	assert_int_equal(err_set(&e, -ENOENT, "bind %s", "/data"), -ENOENT);
	assert_int_equal(e.code, -ENOENT);
	assert_string_equal(e.msg, "bind /data: No such file or directory");

	assert_int_equal(err_setx(&e, -EEXIST, "%s exists and is not a bridge", "br0"), -EEXIST);
	assert_int_equal(e.code, -EEXIST);
	assert_string_equal(e.msg, "br0 exists and is not a bridge");

	/* no context: the reason alone, without a leading ": " */
	err_set(&e, -EPERM, "%s", "");
	assert_string_equal(e.msg, "Operation not permitted");

	/* a note: code 0, no errno text */
	assert_int_equal(err_set(&e, 0, "warning: %s", "weaker"), 0);
	assert_int_equal(e.code, 0);
	assert_string_equal(e.msg, "warning: weaker");

	err_clear(&e);
	assert_int_equal(e.code, 0);
	assert_string_equal(e.msg, "");
}

static void test_errno_kept(void **state)
{
	struct err e;

	errno = EAGAIN;
	err_set(&e, -ENOSPC, "write %s", "x");
	assert_int_equal(errno, EAGAIN);
	err_prefix(&e, "ctx");
	assert_int_equal(errno, EAGAIN);
}

static void test_null(void **state)
{
	/* a caller that wants no text passes NULL: codes still come back */
	assert_int_equal(err_set(NULL, -EIO, "x"), -EIO);
	assert_int_equal(err_setx(NULL, -EINVAL, "x"), -EINVAL);
	assert_int_equal(err_prefix(NULL, "x"), 0);
	err_clear(NULL);
	err_log(NULL, LOG_LV_ERR);
}

static void test_prefix_chain(void **state)
{
	struct err e;

	err_set(&e, -EEXIST, "RTM_NEWLINK %s", "bxweb");
	assert_int_equal(err_prefix(&e, "network"), -EEXIST);
	assert_string_equal(e.msg, "network: RTM_NEWLINK bxweb: File exists");
	assert_int_equal(err_prefix(&e, "%s: start", "web"), -EEXIST);
	assert_string_equal(e.msg, "web: start: network: RTM_NEWLINK bxweb: File exists");
	assert_int_equal(e.code, -EEXIST);

	/* an empty context or an empty message adds no separator */
	err_prefix(&e, "%s", "");
	assert_string_equal(e.msg, "web: start: network: RTM_NEWLINK bxweb: File exists");
	err_clear(&e);
	err_prefix(&e, "alone");
	assert_string_equal(e.msg, "alone");
}

/* A string of @n bytes: 'a'... for the context. */
static char *filler(size_t n, char c)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_truncation(void **state)
{
	const char *why = ": No such file or directory";
	char *path = filler(4000, 'a');
	struct err e;
	size_t n;

	err_set(&e, -ENOENT, "bind /%s", path);
	n = strlen(e.msg);
	assert_int_equal(n, ERR_MSG_MAX - 1);
	assert_int_equal(e.code, -ENOENT);
	/* the start says what failed, the end why; the cut is marked */
	assert_memory_equal(e.msg, "bind /aaa", 9);
	assert_string_equal(e.msg + n - strlen(why), why);
	assert_non_null(strstr(e.msg, "..."));

	/* a prefix on a full message: the prefix and the reason stay */
	err_prefix(&e, "web");
	n = strlen(e.msg);
	assert_int_equal(n, ERR_MSG_MAX - 1);
	assert_memory_equal(e.msg, "web: bind /aaa", 14);
	assert_string_equal(e.msg + n - strlen(why), why);
	assert_int_equal(e.code, -ENOENT);

	/* exactly ERR_MSG_MAX - 1 bytes fit unchanged */
	free(path);
	path = filler(ERR_MSG_MAX - 1, 'b');
	err_setx(&e, -EINVAL, "%s", path);
	assert_string_equal(e.msg, path);
	/* one more is cut */
	free(path);
	path = filler(ERR_MSG_MAX, 'c');
	err_setx(&e, -EINVAL, "%s", path);
	assert_int_equal(strlen(e.msg), ERR_MSG_MAX - 1);
	assert_non_null(strstr(e.msg, "c...c"));
	free(path);

	/* a long prefix chain keeps its outermost context and its reason */
	err_set(&e, -EEXIST, "RTM_NEWLINK bxweb");
	for (int i = 0; i < 40; i++)
		err_prefix(&e, "level%02d", i);
	assert_memory_equal(e.msg, "level39: level38: ", 18);
	assert_string_equal(e.msg + strlen(e.msg) - 13, ": File exists");
	assert_int_equal(e.code, -EEXIST);
}

static void test_received(void **state)
{
	struct err e;

	memset(&e, 'x', sizeof(e));
	e.code = -EPERM;
	assert_int_equal(err_received(&e), -EPERM);
	assert_int_equal(strlen(e.msg), ERR_MSG_MAX - 1);
	e.code = 5;
	assert_int_equal(err_received(&e), -EIO);
	e.code = -100000;
	assert_int_equal(err_received(&e), -EIO);
	e.code = 0;
	assert_int_equal(err_received(&e), 0);
}

/* err_log writes the message once, at the level asked for. */
static void test_log(void **state)
{
	char buf[2048];
	struct err e;
	int p[2];
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	log_open(p[1]);
	log_set_level(LOG_LV_WARN);
	err_set(&e, -EEXIST, "RTM_NEWLINK bxweb");
	err_prefix(&e, "web: network");
	err_log(&e, LOG_LV_ERR);
	err_log(&e, LOG_LV_DEBUG);      /* below the level: not shown */
	err_clear(&e);
	e.code = -ENOMEM;
	err_log(&e, LOG_LV_WARN);       /* no message: its errno text */
	log_flush();
	n = read(p[0], buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "boxinit: web: network: RTM_NEWLINK bxweb: File exists\n"
			    "boxinit: Cannot allocate memory\n");
	log_open(-1);
	close(p[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_errno_kept),
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_prefix_chain),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_received),
		cmocka_unit_test(test_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
