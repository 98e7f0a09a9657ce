// SPDX-License-Identifier: MIT
/* Unit tests for modules/config/parse.c: value parsers of the config language. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/capability.h>

#include "config.h"
#include "config_priv.h"

/* ---- split_command ---- */

static void assert_argv(const char *cmd, const char *const *want)
{
	char **argv = split_command(cmd);
	size_t i;

	assert_non_null(argv);
	for (i = 0; want[i]; i++) {
		assert_non_null(argv[i]);
		assert_string_equal(argv[i], want[i]);
	}
	assert_null(argv[i]);
	free(argv);
}

static void test_split_simple(void **state)
{
	assert_argv("/bin/sh", (const char *[]){ "/bin/sh", NULL });
	assert_argv("  httpd  -f\t-p 80  ",
		    (const char *[]){ "httpd", "-f", "-p", "80", NULL });
	/* every blank of the config language separates words */
	assert_argv("a\vb\fc\rd\ne", (const char *[]){ "a", "b", "c", "d", "e", NULL });
}

static void test_split_quotes(void **state)
{
	assert_argv("/bin/sh -c \"echo #1\"",
		    (const char *[]){ "/bin/sh", "-c", "echo #1", NULL });
	assert_argv("sh -c 'echo \"$HOME\" \\n'",
		    (const char *[]){ "sh", "-c", "echo \"$HOME\" \\n", NULL });
	/* adjacent quoted parts join into one word */
	assert_argv("a'b c'\"d e\"f", (const char *[]){ "ab cd ef", NULL });
	/* empty quoted strings are words */
	assert_argv("prog '' \"\"", (const char *[]){ "prog", "", "", NULL });
}

static void test_split_escapes(void **state)
{
	/* in "...": \" \\ \$ \` are escapes, any other backslash is kept */
	assert_argv("x \"a\\\"b\\\\c\\$d\\`e\\nf\"",
		    (const char *[]){ "x", "a\"b\\c$d`e\\nf", NULL });
	/* outside quotes a backslash escapes the next byte */
	assert_argv("echo a\\ b \\'q\\' \\\\",
		    (const char *[]){ "echo", "a b", "'q'", "\\", NULL });
	/* trailing backslash is literal */
	assert_argv("echo x\\", (const char *[]){ "echo", "x\\", NULL });
	/* backslash-newline is a line continuation */
	assert_argv("echo a\\\nb", (const char *[]){ "echo", "ab", NULL });
}

static void test_split_errors(void **state)
{
	const char *bad[] = { "", "   ", "\t\n", "echo 'abc", "echo \"abc",
			      "echo \"a\\\"", "'" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_null(split_command(bad[i]));
		assert_int_equal(errno, EINVAL);
	}
	errno = 0;
	assert_null(split_command(NULL));
	assert_int_equal(errno, EINVAL);
}

static void test_split_many(void **state)
{
	char *cmd = malloc(3 * 5000 + 1), **argv;
	size_t i;

	assert_non_null(cmd);
	for (i = 0; i < 5000; i++)
		memcpy(cmd + 3 * i, "ab ", 3);
	cmd[3 * 5000] = '\0';
	argv = split_command(cmd);
	assert_non_null(argv);
	for (i = 0; i < 5000; i++)
		assert_string_equal(argv[i], "ab");
	assert_null(argv[5000]);
	free(argv);
	free(cmd);
}

/* ---- parse_size ---- */

static void test_size_ok(void **state)
{
	static const struct { const char *s; uint64_t v; } t[] = {
		{ "0", 0 }, { "1", 1 }, { "512", 512 }, { "1K", 1024 },
		{ "1k", 1024 }, { "10M", 10485760 }, { "2G", 2147483648ull },
		{ "max", UINT64_MAX }, { "unlimited", UINT64_MAX },
		{ "18446744073709551615", UINT64_MAX },
		{ "17179869183G", 17179869183ull << 30 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t v = 42;

		assert_int_equal(parse_size(t[i].s, &v), 0);
		assert_true(v == t[i].v);
	}
}

static void test_size_bad(void **state)
{
	static const char *const inval[] = {
		"", "-1", "+1", "10Q", "1.5G", "1e3", "G", "10 M", " 10M",
		"10MB", "0x10", "Max", "10M ",
	};
	static const char *const range[] = {
		"18446744073709551616", "99999999999G", "17179869184G",
		"99999999999999999999999999999",
	};
	uint64_t v = 7;
	size_t i;

	for (i = 0; i < sizeof(inval) / sizeof(inval[0]); i++)
		assert_int_equal(parse_size(inval[i], &v), -EINVAL);
	for (i = 0; i < sizeof(range) / sizeof(range[0]); i++)
		assert_int_equal(parse_size(range[i], &v), -ERANGE);
	assert_true(v == 7);   /* untouched on error */
	assert_int_equal(parse_size(NULL, &v), -EINVAL);
}

/* ---- parse_duration_ms ---- */

static void test_duration(void **state)
{
	static const struct { const char *s; uint32_t ms; } ok[] = {
		{ "0", 0 }, { "100ms", 100 }, { "2s", 2000 }, { "2", 2000 },
		{ "1m", 60000 }, { "86400", 86400000 }, { "1440m", 86400000 },
		{ "86400000ms", 86400000 }, { "1h", 3600000 }, { "24h", 86400000 },
	};
	static const char *const inval[] = {
		"", "-1", "1d", "1.5s", "s", "1 s", "1S", "1e3", "ms", "10sec", "1H",
	};
	static const char *const range[] = {
		"86401", "1441m", "86400001ms", "25h", "18446744073709551616",
		"4294967296ms", "99999999999999999999m",
	};
	uint32_t v = 5;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(parse_duration_ms(ok[i].s, &v), 0);
		assert_int_equal(v, ok[i].ms);
	}
	v = 5;
	for (i = 0; i < sizeof(inval) / sizeof(inval[0]); i++)
		assert_int_equal(parse_duration_ms(inval[i], &v), -EINVAL);
	for (i = 0; i < sizeof(range) / sizeof(range[0]); i++)
		assert_int_equal(parse_duration_ms(range[i], &v), -ERANGE);
	assert_int_equal(v, 5);
}

/* ---- parse_cpu ---- */

static void test_cpu(void **state)
{
	static const struct { const char *s; uint32_t q; } ok[] = {
		{ "0.5", 50000 }, { "1", 100000 }, { "0.01", 1000 },
		{ "0.010", 1000 }, { "2.25", 225000 }, { "1.234", 123400 },
		{ "1024", 102400000 }, { "1024.000", 102400000 },
		{ "0.125", 12500 },
	};
	static const char *const inval[] = {
		"", "-1", "0.0001", "1.2345", "1e3", ".5", "1.", "0,5",
		"abc", "1 ", "+1", "0.5.1",
	};
	static const char *const range[] = {
		"0", "0.0", "0.009", "0.001", "1024.001", "1025",
		"18446744073709551616", "99999999999",
	};
	uint32_t v = 9;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(parse_cpu(ok[i].s, &v), 0);
		assert_int_equal(v, ok[i].q);
	}
	v = 9;
	for (i = 0; i < sizeof(inval) / sizeof(inval[0]); i++)
		assert_int_equal(parse_cpu(inval[i], &v), -EINVAL);
	for (i = 0; i < sizeof(range) / sizeof(range[0]); i++)
		assert_int_equal(parse_cpu(range[i], &v), -ERANGE);
	assert_int_equal(v, 9);
}

/* ---- signals and capabilities ---- */

static void test_signal(void **state)
{
	assert_int_equal(parse_signal("TERM"), SIGTERM);
	assert_int_equal(parse_signal("SIGTERM"), SIGTERM);
	assert_int_equal(parse_signal("15"), 15);
	assert_int_equal(parse_signal("sigint"), SIGINT);
	assert_int_equal(parse_signal("HUP"), SIGHUP);
	assert_int_equal(parse_signal("KILL"), SIGKILL);
	assert_int_equal(parse_signal("USR1"), SIGUSR1);
	assert_int_equal(parse_signal("SIGUSR2"), SIGUSR2);
	assert_int_equal(parse_signal("QUIT"), SIGQUIT);
	assert_int_equal(parse_signal("WINCH"), SIGWINCH);
	assert_int_equal(parse_signal("64"), 64);
	assert_int_equal(parse_signal("0"), -EINVAL);
	assert_int_equal(parse_signal("65"), -EINVAL);
	assert_int_equal(parse_signal("-15"), -EINVAL);
	assert_int_equal(parse_signal("SIG"), -EINVAL);
	assert_int_equal(parse_signal("TERMX"), -EINVAL);
	assert_int_equal(parse_signal(""), -EINVAL);
	assert_int_equal(parse_signal("15x"), -EINVAL);
	assert_int_equal(parse_signal("99999999999999999999"), -EINVAL);
	assert_int_equal(parse_signal(NULL), -EINVAL);
}

static void test_cap(void **state)
{
	assert_int_equal(parse_cap("CAP_NET_ADMIN"), 12);
	assert_int_equal(parse_cap("net_admin"), 12);
	assert_int_equal(parse_cap("cap_chown"), 0);
	assert_int_equal(parse_cap("CHOWN"), 0);
	assert_int_equal(parse_cap("CAP_NET_BIND_SERVICE"), 10);
	assert_int_equal(parse_cap("CAP_SYS_ADMIN"), 21);
	assert_int_equal(parse_cap("CAP_SYS_CHROOT"), 18);
	assert_int_equal(parse_cap("CAP_SETFCAP"), 31);
	assert_int_equal(parse_cap("CAP_CHECKPOINT_RESTORE"), 40);
	/* the kernel's numbers, every one a name away */
	assert_int_equal(parse_cap("CAP_LINUX_IMMUTABLE"), CAP_LINUX_IMMUTABLE);
	assert_int_equal(parse_cap("CAP_SYS_TTY_CONFIG"), CAP_SYS_TTY_CONFIG);
	assert_int_equal(parse_cap("CAP_MAC_ADMIN"), CAP_MAC_ADMIN);
	assert_int_equal(parse_cap("CAP_BLOCK_SUSPEND"), CAP_BLOCK_SUSPEND);
	assert_int_equal(parse_cap("CAP_PERFMON"), CAP_PERFMON);
	assert_int_equal(parse_cap("CAP_BPF"), CAP_BPF);
	assert_int_equal(parse_cap("checkpoint_restore"), CAP_LAST_CAP);
	assert_int_equal(parse_cap("CAP_NET_ADMINX"), -EINVAL);
	assert_int_equal(parse_cap("CAP_"), -EINVAL);
	assert_int_equal(parse_cap(""), -EINVAL);
	assert_int_equal(parse_cap("12"), -EINVAL);
	assert_int_equal(parse_cap(NULL), -EINVAL);
}

/* ---- internal helpers ---- */

static void test_u32_bool(void **state)
{
	uint32_t v = 0;
	bool b = false;

	assert_int_equal(parse_u32("1000", 1, 1000, &v), 0);
	assert_int_equal(v, 1000);
	assert_int_equal(parse_u32("1001", 1, 1000, &v), -ERANGE);
	assert_int_equal(parse_u32("0", 1, 1000, &v), -ERANGE);
	assert_int_equal(parse_u32("4294967296", 0, UINT32_MAX, &v), -ERANGE);
	assert_int_equal(parse_u32("4294967295", 0, UINT32_MAX, &v), 0);
	assert_true(v == UINT32_MAX);
	assert_int_equal(parse_u32("12a", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_u32("", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_bool("on", &b), 0);
	assert_true(b);
	assert_int_equal(parse_bool("false", &b), 0);
	assert_false(b);
	assert_int_equal(parse_bool("1", &b), 0);
	assert_true(b);
	assert_int_equal(parse_bool("No", &b), -EINVAL);
	assert_int_equal(parse_bool("", &b), -EINVAL);
}

static void test_ipv4(void **state)
{
	struct in_addr a;
	uint8_t p = 0;

	assert_int_equal(parse_ipv4("10.0.0.5", &a), 0);
	assert_int_equal(ntohl(a.s_addr), 0x0a000005);
	assert_int_equal(parse_ipv4("255.255.255.255", &a), 0);
	assert_int_equal(parse_ipv4("0.0.0.0", &a), 0);
	assert_int_equal(parse_ipv4("256.0.0.1", &a), -EINVAL);
	assert_int_equal(parse_ipv4("10.0.0", &a), -EINVAL);
	assert_int_equal(parse_ipv4("10.0.0.1.2", &a), -EINVAL);
	assert_int_equal(parse_ipv4("010.0.0.1", &a), -EINVAL);
	assert_int_equal(parse_ipv4("10..0.1", &a), -EINVAL);
	assert_int_equal(parse_ipv4("1000.0.0.1", &a), -EINVAL);
	assert_int_equal(parse_ipv4("10.0.0.1 ", &a), -EINVAL);
	assert_int_equal(parse_cidr("10.1.2.1/24", 1, 30, &a, &p), 0);
	assert_int_equal(ntohl(a.s_addr), 0x0a010201);
	assert_int_equal(p, 24);
	assert_int_equal(parse_cidr("10.1.2.1/31", 1, 30, &a, &p), -ERANGE);
	assert_int_equal(parse_cidr("10.1.2.1/", 1, 30, &a, &p), -EINVAL);
	assert_int_equal(parse_cidr("10.1.2.1", 1, 30, &a, &p), -EINVAL);
}

static void test_names(void **state)
{
	assert_true(conf_valid_svc_name("web-1_a", 7));
	assert_false(conf_valid_svc_name("Web", 3));
	assert_false(conf_valid_svc_name("", 0));
	assert_true(conf_valid_svc_name("abcdefghijklmnopqrstuvwxyz012345", 32));
	assert_false(conf_valid_svc_name("abcdefghijklmnopqrstuvwxyz0123456", 33));
	assert_true(conf_valid_ifname("eth0.100"));
	assert_false(conf_valid_ifname("abcdefghijklmnop"));
	assert_false(conf_valid_ifname(".."));
	assert_false(conf_valid_ifname("br 0"));
	assert_true(conf_valid_env_name("_A1"));
	assert_false(conf_valid_env_name("1A"));
	assert_false(conf_valid_env_name("A-B"));
	assert_false(conf_valid_env_name(""));
	assert_true(conf_valid_abs_path("/a/b..c/..d", false));
	assert_false(conf_valid_abs_path("/a/../b", false));
	assert_false(conf_valid_abs_path("/a/..", false));
	assert_true(conf_valid_abs_path("/a/../b", true));
	assert_false(conf_valid_abs_path("a/b", true));
	assert_false(conf_valid_abs_path("/a\tb", true));
	assert_true(conf_valid_hostname("web-1.example"));
	assert_false(conf_valid_hostname("web_1"));
	assert_false(conf_valid_hostname(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_simple),
		cmocka_unit_test(test_split_quotes),
		cmocka_unit_test(test_split_escapes),
		cmocka_unit_test(test_split_errors),
		cmocka_unit_test(test_split_many),
		cmocka_unit_test(test_size_ok),
		cmocka_unit_test(test_size_bad),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_cpu),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_u32_bool),
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
