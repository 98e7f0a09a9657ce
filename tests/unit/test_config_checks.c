// SPDX-License-Identifier: MIT
/* Unit tests of the checks across keys (config_finish) and of hostile
 * input to the configuration parser. */
#include "config_test.h"

/* ---- config_finish ---------------------------------------------------- */

static void test_finish_missing_exec(void **state)
{
	struct config cfg;

	parse(&cfg, "service.x.memory = 10M\nservice.y.exec = /bin/y\n");
	assert_int_equal(config_finish(&cfg), 1);
	assert_diag(&cfg, 1, "service \"x\" has no exec");
	assert_true(config_find(&cfg, "x")->invalid);
	assert_false(config_find(&cfg, "y")->invalid);
	config_free(&cfg);
}

static void test_finish_unknown_after(void **state)
{
	struct config cfg;

	parse(&cfg,
	      "service.web.exec = /bin/web\n"
	      "service.web.after = db cache\n"
	      "service.cache.exec = /bin/cache\n");
	assert_int_equal(config_finish(&cfg), 1);
	assert_diag(&cfg, 2, "service.web.after: unknown service \"db\"");
	assert_true(config_find(&cfg, "web")->invalid);
	assert_false(config_find(&cfg, "cache")->invalid);
	config_free(&cfg);
}

static void test_finish_after_invalid_ok(void **state)
{
	struct config cfg;

	/* after naming an invalid service is the supervisor's business */
	parse(&cfg,
	      "service.db.exec = /bin/db\n"
	      "service.db.memory = bad\n"
	      "service.web.exec = /bin/web\n"
	      "service.web.after = db\n");
	assert_int_equal(config_finish(&cfg), 0);
	assert_false(config_find(&cfg, "web")->invalid);
	config_free(&cfg);
}

static void test_finish_cycle(void **state)
{
	struct config cfg;

	parse(&cfg,
	      "service.a.exec = /a\n"
	      "service.a.after = b\n"
	      "service.b.exec = /b\n"
	      "service.b.after = a\n"
	      "service.c.exec = /c\n"
	      "service.c.after = a\n"
	      "service.d.exec = /d\n"
	      "service.d.after = d\n"
	      "service.e.exec = /e\n"
	      "service.e.after = f\n"
	      "service.f.exec = /f\n"
	      "service.f.after = g\n"
	      "service.g.exec = /g\n"
	      "service.g.after = e f\n"
	      "service.h.exec = /h\n");
	assert_int_equal(config_finish(&cfg), 3);
	assert_diag(&cfg, 2, "service.a.after: dependency cycle: a -> b -> a");
	assert_diag(&cfg, 8, "service.d.after: dependency cycle: d -> d");
	assert_diag(&cfg, 10, "service.e.after: dependency cycle: e -> f -> g -> e");
	assert_true(config_find(&cfg, "a")->invalid);
	assert_true(config_find(&cfg, "b")->invalid);
	assert_false(config_find(&cfg, "c")->invalid);  /* depends, not in it */
	assert_true(config_find(&cfg, "d")->invalid);
	assert_true(config_find(&cfg, "e")->invalid);
	assert_true(config_find(&cfg, "f")->invalid);
	assert_true(config_find(&cfg, "g")->invalid);
	assert_false(config_find(&cfg, "h")->invalid);
	config_free(&cfg);
}

static void test_finish_cycle_others(void **state)
{
	struct config cfg;

	/* c is in the component but not on the shortest cycle through a */
	parse(&cfg,
	      "service.a.exec = /a\nservice.a.after = b c\n"
	      "service.b.exec = /b\nservice.b.after = a\n"
	      "service.c.exec = /c\nservice.c.after = b\n");
	assert_int_equal(config_finish(&cfg), 1);
	assert_diag(&cfg, 2, "dependency cycle: a -> b -> a (also involved: c)");
	assert_true(config_find(&cfg, "c")->invalid);
	config_free(&cfg);
}

static void test_finish_network(void **state)
{
	struct config cfg;

	parse(&cfg,
	      "net.address = 10.0.0.1/24\n"
	      "service.out.exec = /x\nservice.out.net = bridge\n"
	      "service.out.ip = 10.0.1.5\n"                              /* 4 */
	      "service.br.exec = /x\nservice.br.net = bridge\n"
	      "service.br.ip = 10.0.0.1\n"                               /* 7 */
	      "service.one.exec = /x\nservice.one.net = bridge\n"
	      "service.one.ip = 10.0.0.5\n"                              /* 10 */
	      "service.two.exec = /x\nservice.two.net = bridge\n"
	      "service.two.ip = 10.0.0.5\n"                              /* 13 */
	      "service.bc.exec = /x\nservice.bc.net = bridge\n"
	      "service.bc.ip = 10.0.0.255\n"                             /* 16 */
	      "service.host.exec = /x\nservice.host.net = host\n"
	      "service.host.ip = 10.0.0.9\n"                             /* 19 */
	      "service.ok.exec = /x\nservice.ok.net = bridge\n"
	      "service.ok.ip = 10.0.0.6\n");
	assert_int_equal(config_finish(&cfg), 5);
	assert_diag(&cfg, 4, "service.out.ip: 10.0.1.5 is outside net.address 10.0.0.1/24");
	assert_diag(&cfg, 7, "service.br.ip: 10.0.0.1 is the bridge's own address");
	assert_diag(&cfg, 13, "service.two.ip: 10.0.0.5 is already used by service \"one\"");
	assert_diag(&cfg, 16, "service.bc.ip: 10.0.0.255 is the network or broadcast address");
	assert_diag(&cfg, 19, "service.host.ip: ignored because service.host.net is not \"bridge\"");
	assert_true(config_find(&cfg, "out")->invalid);
	assert_true(config_find(&cfg, "br")->invalid);
	assert_false(config_find(&cfg, "one")->invalid);
	assert_true(config_find(&cfg, "two")->invalid);
	assert_true(config_find(&cfg, "bc")->invalid);
	assert_false(config_find(&cfg, "host")->invalid);
	assert_false(config_find(&cfg, "ok")->invalid);
	config_free(&cfg);

	parse(&cfg, "service.a.exec = /a\nservice.a.net = bridge\nservice.a.ip = 10.0.0.2\n");
	assert_int_equal(config_finish(&cfg), 1);
	assert_diag(&cfg, 3, "service.a.ip: 10.0.0.2 needs net.address");
	assert_true(cfg.svcs[0].invalid);
	config_free(&cfg);
}

static void test_finish_ports(void **state)
{
	struct config cfg;

	parse(&cfg,
	      "service.a.exec = /a\nservice.a.net = bridge\n"
	      "service.a.ports = 8080:80 53:53/udp\n"
	      "service.b.exec = /b\nservice.b.net = bridge\n"
	      "service.b.ports = 53:53 9090:90 8080:8080\n"             /* 6 */
	      "service.c.exec = /c\nservice.c.net = bridge\n"
	      "service.c.ports = 9090:90\n");
	assert_int_equal(config_finish(&cfg), 1);
	assert_diag(&cfg, 6, "service.b.ports: host port 8080/tcp is already used by service \"a\"");
	assert_false(config_find(&cfg, "a")->invalid);
	assert_true(config_find(&cfg, "b")->invalid);
	/* b is not started, so its 9090 does not conflict with c */
	assert_false(config_find(&cfg, "c")->invalid);
	config_free(&cfg);
}

static void test_finish_cmdline_source(void **state)
{
	struct config cfg;

	parse(&cfg, "service.a.exec = /a\n");
	config_apply_cmdline(&cfg, "boxinit.service.a.after=zz");
	assert_int_equal(config_finish(&cfg), 1);
	assert_non_null(find_diag(&cfg, CMDLINE, 0,
				  "service.a.after: unknown service \"zz\""));
	config_free(&cfg);
}

/* ---- hostile input ---------------------------------------------------- */

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void test_hostile_garbage(void **state)
{
	static const char *const frag[] = {
		"service.", "a", "web", ".", "exec", "after", "ports", "bind",
		"ip", "env.", "X", " = ", "=", "\"", "'", "\\", "#", " ", "\n",
		"10.0.0.", "1", ":", "/", "80", "M", "net", "bridge", "sysctl.",
		"iface.", "address", "hostname", "..", "\xff", "caps", "none",
		"memory", "cpu", "0.5", "auto", "net.address", "10.0.0.1/24",
		"\t", "\r", "\0",
	};
	size_t cap = 1 << 16, it, i;
	char *buf = malloc(cap);

	assert_non_null(buf);
	for (it = 0; it < 300; it++) {
		struct config cfg;
		size_t len = rnd() % cap;

		if (it % 2) {
			for (i = 0; i < len; i++)
				buf[i] = (char)rnd();
		} else {
			for (i = 0; i < len; ) {
				const char *f = frag[rnd() % (sizeof(frag) / sizeof(frag[0]))];
				size_t fl = *f ? strlen(f) : 1;

				if (i + fl > len)
					break;
				memcpy(buf + i, f, fl);
				i += fl;
			}
			len = i;
		}
		config_init(&cfg);
		config_parse_buffer(&cfg, SRC, buf, len);
		buf[len ? len - 1 : 0] = '\0';
		config_apply_cmdline(&cfg, buf);
		config_finish(&cfg);
		assert_true(cfg.ndiags <= CONF_DIAG_MAX + 64);
		config_free(&cfg);
	}
	free(buf);
}

static void test_hostile_long_line(void **state)
{
	struct config cfg;
	size_t n = CONF_FILE_MAX;
	char *buf = malloc(n);

	assert_non_null(buf);
	/* 1 MiB single line: one diag, nothing else */
	memset(buf, 'a', n);
	config_init(&cfg);
	assert_int_equal(config_parse_buffer(&cfg, SRC, buf, n), 1);
	assert_diag(&cfg, 1, "line too long (over 4096 bytes)");
	config_free(&cfg);

	/* the long line is skipped, parsing goes on */
	memcpy(buf, "loglevel = 0\n", 13);
	memset(buf + 13, 'x', 5000);
	memcpy(buf + 13 + 5000, "\nhostname = ok\n", 15);
	config_init(&cfg);
	assert_int_equal(config_parse_buffer(&cfg, SRC, buf, 13 + 5000 + 15), 1);
	assert_diag(&cfg, 2, "line too long (over 4096 bytes)");
	assert_int_equal(cfg.loglevel, 0);
	assert_string_equal(cfg.hostname, "ok");
	config_free(&cfg);

	/* exactly CONF_LINE_MAX bytes is still a line */
	memcpy(buf, "hostname = \"", 12);
	memset(buf + 12, 'h', CONF_LINE_MAX - 13);
	buf[CONF_LINE_MAX - 1] = '"';
	config_init(&cfg);
	assert_int_equal(config_parse_buffer(&cfg, SRC, buf, CONF_LINE_MAX), 1);
	assert_diag(&cfg, 1, "hostname: invalid hostname \"hhhh");
	config_free(&cfg);
	free(buf);
}

static void test_hostile_nul(void **state)
{
	struct config cfg;
	static const char text[] = "hostname = a\0b\nloglevel = debug\n\0\n";

	config_init(&cfg);
	assert_int_equal(config_parse_buffer(&cfg, SRC, text, sizeof(text) - 1), 2);
	assert_diag(&cfg, 1, "NUL byte in line");
	assert_diag(&cfg, 3, "NUL byte in line");
	assert_string_equal(cfg.hostname, "boxinit");
	assert_int_equal(cfg.loglevel, 3);
	config_free(&cfg);
}

/* a service line that cannot be read at all still stops that service */
static void test_unreadable_service_line(void **state)
{
	static char buf[3 * CONF_LINE_MAX];
	struct config cfg;
	size_t len;

	len = (size_t)snprintf(buf, sizeof(buf),
		"service.a.exec = /a\nservice.b.exec = /b\n"
		"service.c.exec = /c\nservice.d.exec = /d\n"
		"service.a.memory = \"64M\n"
		"service.b.memory = \"64M\" x\n"
		"  service.c.memory = 64M");
	buf[len++] = '\0';
	len += (size_t)snprintf(buf + len, sizeof(buf) - len,
				"\nservice.d.env.X = ");
	memset(buf + len, 'x', CONF_LINE_MAX);
	len += CONF_LINE_MAX;
	buf[len++] = '\n';
	config_init(&cfg);
	assert_int_equal(config_parse_buffer(&cfg, SRC, buf, len), 4);
	assert_diag(&cfg, 5, "service.a.memory: unterminated quote");
	assert_diag(&cfg, 6, "service.b.memory: text after the closing quote");
	assert_diag(&cfg, 7, "NUL byte in line");
	assert_diag(&cfg, 8, "line too long");
	assert_int_equal(cfg.nsvcs, 4);
	assert_true(cfg.svcs[0].invalid);
	assert_true(cfg.svcs[1].invalid);
	assert_true(cfg.svcs[2].invalid);
	assert_true(cfg.svcs[3].invalid);
	config_free(&cfg);
}

static void test_hostile_huge_file(void **state)
{
	struct config cfg;
	size_t n = CONF_FILE_MAX + 1;
	char *buf = malloc(n);

	assert_non_null(buf);
	memset(buf, '\n', n);
	memcpy(buf, "service.a.exec = /a\nhostname = x\n", 33);
	config_init(&cfg);
	assert_int_equal(config_parse_buffer(&cfg, SRC, buf, n), 1);
	assert_int_equal(cfg.ndiags, 1);
	assert_diag(&cfg, 0, "file too large (over 1 MiB)");
	assert_int_equal(cfg.nsvcs, 0);
	assert_string_equal(cfg.hostname, "boxinit");
	config_free(&cfg);
	free(buf);
}

static void test_hostile_empty_values(void **state)
{
	static const char *const keys[] = {
		"hostname", "console", "loglevel", "emergency", "cgroup",
		"net.bridge", "net.address", "net.nat", "sysctl.a",
		"iface.e.address", "iface.e.gateway", "service.s.exec",
		"service.s.workdir", "service.s.user", "service.s.restart",
		"service.s.type", "service.s.stop_signal",
		"service.s.stop_timeout", "service.s.restart_max",
		"service.s.restart_window", "service.s.root",
		"service.s.hostname", "service.s.readonly",
		"service.s.cpu", "service.s.memory", "service.s.swap",
		"service.s.pids", "service.s.net", "service.s.ip",
		"service.s.log_rate", "service.s.log_burst",
		"service.s.log_rate_bytes", "service.s.log_burst_bytes",
		"default.memory", "default.pids",
	};
	/* lists (an empty value clears them) and env.NAME (an empty variable) */
	static const char *const empty_ok[] = {
		"modules", "service.s.after", "service.s.bind",
		"service.s.ports", "service.s.env.V", "service.s.caps",
	};
	char line[128];
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct config cfg;

		snprintf(line, sizeof(line), "%s =\n", keys[i]);
		assert_int_equal(parse(&cfg, line), 1);
		assert_int_equal(cfg.ndiags, 1);
		assert_non_null(strstr(cfg.diags[0].msg, keys[i]));
		config_free(&cfg);
	}
	for (i = 0; i < sizeof(empty_ok) / sizeof(empty_ok[0]); i++) {
		struct config cfg;

		snprintf(line, sizeof(line), "%s = \"\"\n", empty_ok[i]);
		assert_int_equal(parse(&cfg, line), 0);
		config_free(&cfg);
	}
}

/* One blank everywhere: around keys and values, in lists, in commands and
 * between kernel command-line words (isspace() of the C locale). */
static void test_hostile_odd_keys(void **state)
{
	static const char *const keys[] = {
		".", "..", "...", "service.", "service..", "service...",
		"service..exec", "service.UPPER.exec", "service.a..exec",
		"service.a.env", "service.a.", "sysctl.", "sysctl..", "iface.",
		"iface..", "iface..address", "iface.x.", "net.", "net",
		"service.a.b.c.d", "Service.a.exec", "hostname.x",
	};
	char line[128];
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct config cfg;

		snprintf(line, sizeof(line), "%s = 1\n", keys[i]);
		assert_int_equal(parse(&cfg, line), 1);
		assert_int_equal(cfg.ndiags, 1);
		assert_int_equal(cfg.diags[0].line, 1);
		config_free(&cfg);
	}
}

static void test_hostile_long_names(void **state)
{
	struct config cfg;
	static char buf[CONF_LINE_MAX + 64];

	/* 1000-byte service name */
	memcpy(buf, "service.", 8);
	memset(buf + 8, 'a', 1000);
	strcpy(buf + 1008, ".exec = /x\n");
	assert_int_equal(parse(&cfg, buf), 1);
	assert_diag(&cfg, 1, "invalid service name \"aaaa");
	assert_int_equal(cfg.nsvcs, 0);
	assert_true(strlen(cfg.diags[0].msg) < 400);
	config_free(&cfg);

	/* 33 bytes: one over the limit; 32 is fine */
	assert_int_equal(parse(&cfg,
		"service.abcdefghijklmnopqrstuvwxyz0123456.exec = /x\n"
		"service.abcdefghijklmnopqrstuvwxyz012345.exec = /x\n"), 1);
	assert_int_equal(cfg.nsvcs, 1);
	config_free(&cfg);

	/* 4000-byte unknown key, 300-byte env name */
	memset(buf, 'k', 4000);
	strcpy(buf + 4000, " = 1\n");
	assert_int_equal(parse(&cfg, buf), 1);
	assert_diag(&cfg, 1, "unknown key \"kkkk");
	config_free(&cfg);
	memcpy(buf, "service.a.env.", 14);
	memset(buf + 14, 'V', 300);
	strcpy(buf + 314, " = 1\n");
	assert_int_equal(parse(&cfg, buf), 1);
	assert_diag(&cfg, 1, "invalid variable name");
	config_free(&cfg);
}

static void test_hostile_many_lines(void **state)
{
	struct config cfg;
	size_t cap = 10000 * 40, len = 0, i;
	char *buf = malloc(cap);

	assert_non_null(buf);
	for (i = 0; i < 10000; i++)
		len += (size_t)snprintf(buf + len, cap - len,
					i % 2 ? "# comment %zu\n" : "sysctl.k%zu = 1\n", i % 400);
	config_init(&cfg);
	/* 5000 sysctl lines over 400 distinct names: 200 clean, rest dups */
	assert_int_equal(config_parse_buffer(&cfg, SRC, buf, len), 5000 - 200);
	assert_int_equal(cfg.nsysctl, 200);
	assert_int_equal(cfg.ndiags, CONF_DIAG_MAX);
	assert_diag(&cfg, 400 + 2 * (CONF_DIAG_MAX - 1) + 1, "too many problems");
	config_free(&cfg);
	free(buf);
}

static void test_many_services(void **state)
{
	struct config cfg;
	size_t cap = 1000 * 80, len = 0, i;
	char *buf = malloc(cap), name[16];

	assert_non_null(buf);
	for (i = 0; i < 1000; i++) {
		len += (size_t)snprintf(buf + len, cap - len,
					"service.s%zu.exec = /bin/s%zu\n", i, i);
		if (i)
			len += (size_t)snprintf(buf + len, cap - len,
						"service.s%zu.after = s%zu\n", i, i - 1);
	}
	assert_int_equal(parse(&cfg, buf), 0);
	assert_int_equal(config_finish(&cfg), 0);
	assert_int_equal(cfg.nsvcs, 1000);
	for (i = 0; i < 1000; i += 111) {
		snprintf(name, sizeof(name), "s%zu", i);
		assert_string_equal(cfg.svcs[i].name, name);
		assert_ptr_equal(config_find(&cfg, name), &cfg.svcs[i]);
		assert_false(cfg.svcs[i].invalid);
	}
	/* close the chain into one big cycle */
	config_apply_cmdline(&cfg, "boxinit.service.s0.after=s999");
	assert_int_equal(config_finish(&cfg), 1);
	for (i = 0; i < 1000; i++)
		assert_true(cfg.svcs[i].invalid);
	assert_non_null(find_diag(&cfg, CMDLINE, 0,
				  "dependency cycle: s0 -> s999 -> s998"));
	config_free(&cfg);
	free(buf);
}

static void test_too_many_services(void **state)
{
	struct config cfg;
	size_t cap = 5000 * 32, len = 0, i;
	char *buf = malloc(cap);

	assert_non_null(buf);
	for (i = 0; i < 5000; i++)
		len += (size_t)snprintf(buf + len, cap - len,
					"service.s%zu.exec = /x\n", i);
	config_init(&cfg);
	assert_int_equal(config_parse_buffer(&cfg, SRC, buf, len), 5000 - CONF_SVC_MAX);
	assert_int_equal(cfg.nsvcs, CONF_SVC_MAX);
	assert_diag(&cfg, CONF_SVC_MAX + 1, "too many services");
	config_free(&cfg);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finish_missing_exec),
		cmocka_unit_test(test_finish_unknown_after),
		cmocka_unit_test(test_finish_after_invalid_ok),
		cmocka_unit_test(test_finish_cycle),
		cmocka_unit_test(test_finish_cycle_others),
		cmocka_unit_test(test_finish_network),
		cmocka_unit_test(test_finish_ports),
		cmocka_unit_test(test_finish_cmdline_source),
		cmocka_unit_test(test_hostile_garbage),
		cmocka_unit_test(test_hostile_long_line),
		cmocka_unit_test(test_hostile_nul),
		cmocka_unit_test(test_unreadable_service_line),
		cmocka_unit_test(test_hostile_huge_file),
		cmocka_unit_test(test_hostile_empty_values),
		cmocka_unit_test(test_hostile_odd_keys),
		cmocka_unit_test(test_hostile_long_names),
		cmocka_unit_test(test_hostile_many_lines),
		cmocka_unit_test(test_many_services),
		cmocka_unit_test(test_too_many_services),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
