// SPDX-License-Identifier: MIT
/* Unit tests of the configuration's sources and rules across keys: the
 * kernel command line, loading, default.KEY, config_set(), the one blank
 * and the empty-list rule. */
#include "config_test.h"

/* ---- kernel command line ---------------------------------------------- */

static void test_cmdline_conf_path(void **state)
{
	char *p;

	p = cmdline_conf_path("console=ttyS0 boxinit.conf=/etc/x.conf quiet\n");
	assert_string_equal(p, "/etc/x.conf");
	free(p);
	p = cmdline_conf_path("boxinit.conf=\"/my dir/b.conf\" ro");
	assert_string_equal(p, "/my dir/b.conf");
	free(p);
	p = cmdline_conf_path("boxinit.conf=/a boxinit.conf=/b");
	assert_string_equal(p, "/b");
	free(p);
	assert_null(cmdline_conf_path("console=ttyS0 boxinit.config=/x"));
	assert_null(cmdline_conf_path("boxinit.conf="));
	assert_null(cmdline_conf_path(""));
	assert_null(cmdline_conf_path(NULL));
}

static void test_cmdline_override(void **state)
{
	struct config cfg;
	struct svc_conf *web;

	assert_int_equal(parse(&cfg,
		"hostname = filehost\n"
		"loglevel = warn\n"
		"service.web.exec = /bin/old\n"
		"service.web.memory = 64M\n"
		"service.web.env.A = file\n"), 0);
	assert_int_equal(config_apply_cmdline(&cfg,
		"BOOT_IMAGE=/vmlinuz console=ttyS0 boxinit.hostname=x "
		"boxinit.conf=/ignored "
		"boxinit.service.web.exec=\"httpd -f -p 80\" "
		"\"boxinit.service.web.env.A=two words\" "
		"boxinit.service.web.env.B=new "
		"boxinit.service.new.exec=/bin/new quiet\n"), 0);
	assert_no_diags(&cfg);
	assert_string_equal(cfg.hostname, "x");
	assert_int_equal(cfg.loglevel, 1);
	web = config_find(&cfg, "web");
	assert_false(web->invalid);
	assert_string_equal(web->exec, "httpd -f -p 80");
	assert_string_equal(web->argv[0], "httpd");
	assert_string_equal(web->argv[3], "80");
	assert_null(web->argv[4]);
	assert_true(web->memory == 64ull << 20);
	assert_int_equal(web->nenv, 2);
	assert_string_equal(web->env[0], "A=two words");
	assert_string_equal(web->env[1], "B=new");
	/* created by the command line: after the file's services */
	assert_int_equal(cfg.nsvcs, 2);
	assert_string_equal(cfg.svcs[1].name, "new");
	assert_string_equal(cfg.svcs[1].source, CMDLINE);
	assert_int_equal(cfg.svcs[1].line, 0);
	/* overriding twice is fine too */
	assert_int_equal(config_apply_cmdline(&cfg, "boxinit.hostname=y"), 0);
	assert_string_equal(cfg.hostname, "y");
	/* a file read after the command line does not undo it */
	assert_int_equal(config_parse_buffer(&cfg, SRC, "hostname = late\n", 16), 0);
	assert_string_equal(cfg.hostname, "y");
	assert_int_equal(config_finish(&cfg), 0);
	config_free(&cfg);
}

static void test_cmdline_errors(void **state)
{
	struct config cfg;
	const struct conf_diag *d;

	parse(&cfg, "service.web.exec = /bin/web\nservice.db.exec = /bin/db\n");
	assert_int_equal(config_apply_cmdline(&cfg,
		"boxinit.service.web.memory=bad boxinit.foo=1 boxinit.loglevel "
		"boxinit.loglevel=9 init=/sbin/boxinit"), 4);
	d = find_diag(&cfg, CMDLINE, 0, "service.web.memory: invalid size \"bad\"");
	assert_non_null(d);
	assert_non_null(find_diag(&cfg, CMDLINE, 0, "unknown key \"foo\""));
	assert_non_null(find_diag(&cfg, CMDLINE, 0,
				  "boxinit.loglevel: missing \"=\" (expected boxinit.KEY=VALUE)"));
	assert_non_null(find_diag(&cfg, CMDLINE, 0, "loglevel: invalid log level \"9\""));
	assert_int_equal(cfg.loglevel, 2);
	assert_true(config_find(&cfg, "web")->invalid);
	assert_false(config_find(&cfg, "db")->invalid);
	config_free(&cfg);
}

static void test_config_load(void **state)
{
	char path[] = "/tmp/boxinit-test-XXXXXX";
	char cmdline[256];
	struct config cfg;
	int fd = mkstemp(path);
	const char text[] = "hostname = fromfile\nservice.a.exec = /bin/a\n";

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), sizeof(text) - 1);
	close(fd);

	snprintf(cmdline, sizeof(cmdline),
		 "quiet boxinit.conf=%s boxinit.loglevel=debug", path);
	config_init(&cfg);
	assert_int_equal(config_load(&cfg, NULL, cmdline), 0);
	assert_string_equal(cfg.hostname, "fromfile");
	assert_int_equal(cfg.loglevel, 3);
	assert_int_equal(cfg.nsvcs, 1);
	assert_string_equal(cfg.svcs[0].source, path);
	config_free(&cfg);

	/* explicit path wins over boxinit.conf= */
	config_init(&cfg);
	assert_int_equal(config_load(&cfg, path, "boxinit.conf=/nonexistent"), 0);
	assert_string_equal(cfg.hostname, "fromfile");
	config_free(&cfg);

	config_init(&cfg);
	assert_int_equal(config_parse_file(&cfg, path), 0);
	config_free(&cfg);
	unlink(path);

	/* missing file: one diagnostic, -ENOENT */
	config_init(&cfg);
	assert_int_equal(config_parse_file(&cfg, path), -ENOENT);
	assert_int_equal(cfg.ndiags, 1);
	assert_non_null(find_diag(&cfg, path, 0, "cannot open"));
	config_free(&cfg);
	config_init(&cfg);
	assert_int_equal(config_load(&cfg, path, NULL), 1);
	config_free(&cfg);
	/* a directory is not a config file */
	config_init(&cfg);
	assert_true(config_parse_file(&cfg, "/tmp") < 0);
	assert_int_equal(cfg.ndiags, 1);
	config_free(&cfg);
}

/* ---- pids, log rate limits and default.KEY ----------------------------- */

static void test_limit_keys(void **state)
{
	struct config cfg;
	struct svc_conf *a, *b;

	assert_int_equal(parse(&cfg,
		"service.a.exec = /a\n"
		"service.a.pids = max\n"
		"service.a.log_rate = off\n"
		"service.a.log_rate_bytes = off\n"
		"service.b.exec = /b\n"
		"service.b.pids = 4194304\n"
		"service.b.log_rate = 20\n"
		"service.b.log_burst = 40\n"
		"service.b.log_rate_bytes = 1K\n"
		"service.b.log_burst_bytes = 4K\n"), 0);
	a = config_find(&cfg, "a");
	b = config_find(&cfg, "b");
	assert_int_equal(a->pids, 0);           /* max: no limit */
	assert_int_equal(a->log_rate, 0);
	assert_true(a->log_rate_bytes == 0);
	assert_int_equal(a->log_burst, CONF_LOG_BURST_DEFAULT);
	assert_int_equal(b->pids, 4194304);
	assert_int_equal(b->log_rate, 20);
	assert_int_equal(b->log_burst, 40);
	assert_true(b->log_rate_bytes == 1024);
	assert_true(b->log_burst_bytes == 4096);
	config_free(&cfg);
}

static void test_default_keys(void **state)
{
	struct config cfg;
	struct svc_conf *a, *b;

	/* defaults before and after the services' lines both apply */
	assert_int_equal(parse(&cfg,
		"default.memory = 64M\n"
		"default.env.LANG = C\n"
		"default.bind = /d:/d\n"
		"service.a.exec = /a\n"
		"service.a.memory = 16M\n"
		"service.a.env.LANG = de\n"
		"service.a.bind = /x:/x /y:/y:ro\n"
		"service.b.exec = /b\n"
		"default.restart = on-failure\n"
		"default.pids = 128\n"
		"default.seccomp = off\n"
		"default.tmp_size = 16M\n"
		"default.log_rate = 10\n"), 0);
	assert_int_equal(config_finish(&cfg), 0);
	assert_no_diags(&cfg);
	a = config_find(&cfg, "a");
	b = config_find(&cfg, "b");
	assert_true(a->memory == 16ull << 20);  /* its own value wins */
	assert_true(b->memory == 64ull << 20);
	assert_int_equal(a->nenv, 1);
	assert_string_equal(a->env[0], "LANG=de");
	assert_int_equal(b->nenv, 1);
	assert_string_equal(b->env[0], "LANG=C");
	assert_int_equal(a->nbinds, 2);         /* replaced, not merged */
	assert_string_equal(a->binds[0].src, "/x");
	assert_int_equal(b->nbinds, 1);
	assert_string_equal(b->binds[0].src, "/d");
	assert_int_equal(a->restart, RESTART_ON_FAILURE);
	assert_int_equal(b->pids, 128);
	assert_false(b->seccomp);
	assert_true(b->tmp_size == 16ull << 20);
	assert_int_equal(b->log_rate, 10);
	/* the line a default gave a key is the default's */
	assert_int_equal(b->key_line[SK_PIDS], 10);
	assert_int_equal(cfg.ndefaults, 8);
	/* a second finish (config_load does one) applies nothing twice */
	assert_int_equal(config_finish(&cfg), 0);
	assert_int_equal(b->nenv, 1);
	config_free(&cfg);
}

static void test_default_cmdline(void **state)
{
	struct config cfg;
	struct svc_conf *a, *b;

	assert_int_equal(parse(&cfg,
		"service.a.exec = /a\n"
		"service.a.pids = 64\n"
		"service.b.exec = /b\n"
		"default.pids = 256\n"
		"default.memory = 32M\n"), 0);
	assert_int_equal(config_apply_cmdline(&cfg,
		"quiet boxinit.default.pids=128 boxinit.default.memory=bad\n"), 1);
	assert_non_null(find_diag(&cfg, CMDLINE, 0,
				  "default.memory: invalid size \"bad\""));
	config_finish(&cfg);
	a = config_find(&cfg, "a");
	b = config_find(&cfg, "b");
	assert_int_equal(a->pids, 64);          /* the service's own */
	assert_int_equal(b->pids, 128);         /* command line over file */
	assert_true(b->memory == 32ull << 20);  /* the bad override: ignored */
	assert_int_equal(b->key_line[SK_PIDS], -1);
	assert_false(b->invalid);
	config_free(&cfg);

	/* the command line first, then a file default: the command line's */
	config_init(&cfg);
	assert_int_equal(config_apply_cmdline(&cfg, "boxinit.default.pids=99"), 0);
	assert_int_equal(config_parse_buffer(&cfg, SRC,
		"default.pids = 7\nservice.c.exec = /c\n", 37), 0);
	config_finish(&cfg);
	assert_int_equal(config_find(&cfg, "c")->pids, 99);
	config_free(&cfg);
}

/* A default that cannot apply to a service is reported at its own line. */
static void test_default_conflicts(void **state)
{
	struct config cfg;

	assert_int_equal(parse(&cfg,
		"net.address = 10.0.0.1/24\n"
		"service.a.exec = /a\n"
		"service.a.net = bridge\n"
		"service.b.exec = /b\n"
		"service.b.net = bridge\n"
		"default.ports = 80:80\n"), 0);
	assert_int_equal(config_finish(&cfg), 1);
	assert_diag(&cfg, 6, "service.b.ports: host port 80/tcp is already used by service \"a\"");
	assert_false(config_find(&cfg, "a")->invalid);
	assert_true(config_find(&cfg, "b")->invalid);
	config_free(&cfg);
}

static void test_default_reload_equal(void **state)
{
	struct config x, y;

	assert_int_equal(parse(&x,
		"service.a.exec = /a\nservice.a.pids = 128\n"), 0);
	assert_int_equal(parse(&y,
		"default.pids = 128\nservice.a.exec = /a\n"), 0);
	config_finish(&x);
	config_finish(&y);
	assert_true(svc_conf_equal(&x.svcs[0], &y.svcs[0]));
	y.svcs[0].log_burst++;
	assert_false(svc_conf_equal(&x.svcs[0], &y.svcs[0]));
	config_free(&x);
	config_free(&y);
}

static void test_print_defaults(void **state)
{
	struct config cfg;
	char buf[512] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

	assert_non_null(f);
	assert_int_equal(parse(&cfg, "#\ndefault.memory = 64M\n"), 0);
	config_apply_cmdline(&cfg, "boxinit.default.pids=9");
	config_print_defaults(&cfg, f);
	fclose(f);
	assert_string_equal(buf,
		"default.memory = \"64M\" (test.conf:2)\n"
		"default.pids = \"9\" (kernel command line)\n");
	config_free(&cfg);
}

static void test_config_set_direct(void **state)
{
	struct config cfg;

	config_init(&cfg);
	assert_int_equal(config_set(&cfg, "api", 7, "hostname", "h1", false), 0);
	assert_int_equal(config_set(&cfg, "api", 8, "hostname", "h2", false), -EINVAL);
	assert_non_null(find_diag(&cfg, "api", 8, "first set on line 7"));
	assert_int_equal(config_set(&cfg, "api", 9, "hostname", "h3", true), 0);
	assert_string_equal(cfg.hostname, "h3");
	assert_int_equal(config_set(&cfg, "api", 1, NULL, "x", false), -EINVAL);
	assert_int_equal(config_set(&cfg, NULL, 1, "nope", NULL, false), -EINVAL);
	config_free(&cfg);
}

static void test_blanks_everywhere(void **state)
{
	struct config cfg;
	struct svc_conf *s;

	assert_int_equal(parse(&cfg,
		"\v modules\f=\va\vb\fc\t\r\n"
		"service.s.exec =\f/bin/x\v-a\f-b\v\n"
		"service.s.after = \vt\fu\n"
		"service.t.exec = /t\nservice.u.exec = /u\n"), 0);
	assert_int_equal(cfg.nmodules, 3);
	assert_string_equal(cfg.modules[2], "c");
	s = config_find(&cfg, "s");
	assert_non_null(s);
	assert_string_equal(s->argv[0], "/bin/x");
	assert_string_equal(s->argv[1], "-a");
	assert_string_equal(s->argv[2], "-b");
	assert_null(s->argv[3]);
	assert_int_equal(s->nafter, 2);
	assert_int_equal(config_apply_cmdline(&cfg,
		"boxinit.hostname=h\vboxinit.loglevel=debug\fboxinit.cgroup=v1"), 0);
	assert_string_equal(cfg.hostname, "h");
	assert_int_equal(cfg.loglevel, 3);
	assert_int_equal(cfg.cgroup, CGROUP_V1);
	assert_int_equal(config_finish(&cfg), 0);
	config_free(&cfg);
}

/*
 * One rule for every list key: an empty value clears the list. From the
 * kernel command line that undoes the file's list ("boxinit.modules="
 * loads none); "caps =" keeps no capability at all, like "caps = none".
 */
static void test_empty_list_clears(void **state)
{
	static const char file[] =
		"modules = veth bridge\n"
		"service.a.exec = /a\n"
		"service.a.after = b\n"
		"service.a.bind = /x:/x /y:/y:ro\n"
		"service.a.ports = 80:80 53:53/udp\n"
		"service.a.caps = net_admin\n"
		"service.b.exec = /b\n"
		"service.c.exec = /c\n"
		"service.c.after =\n"
		"service.c.bind =\n"
		"service.c.ports = \"\"\n"
		"service.c.caps =\n";
	struct config cfg;
	struct svc_conf *a, *c;

	assert_int_equal(parse(&cfg, file), 0);
	assert_int_equal(cfg.nmodules, 2);
	a = config_find(&cfg, "a");
	c = config_find(&cfg, "c");
	assert_int_equal(a->nafter, 1);
	assert_int_equal(a->nbinds, 2);
	assert_int_equal(a->nports, 2);
	assert_true(a->has_caps && a->caps == 1ull << 12);
	/* an empty value in the file: the empty list, no capability */
	assert_int_equal(c->nafter, 0);
	assert_null(c->after[0]);
	assert_int_equal(c->nbinds, 0);
	assert_int_equal(c->nports, 0);
	assert_true(c->has_caps);
	assert_true(c->caps == 0);
	assert_false(c->invalid);
	/* the command line clears what the file listed */
	assert_int_equal(config_apply_cmdline(&cfg,
		"boxinit.modules= boxinit.service.a.after= boxinit.service.a.bind= "
		"boxinit.service.a.ports=\"\" boxinit.service.a.caps="), 0);
	assert_no_diags(&cfg);
	assert_int_equal(cfg.nmodules, 0);
	assert_null(cfg.modules[0]);
	a = config_find(&cfg, "a");
	assert_int_equal(a->nafter, 0);
	assert_null(a->after[0]);
	assert_int_equal(a->nbinds, 0);
	assert_int_equal(a->nports, 0);
	assert_true(a->has_caps);
	assert_true(a->caps == 0);
	assert_int_equal(config_finish(&cfg), 0);
	assert_false(a->invalid);
	config_free(&cfg);

	/* default.KEY = (empty) is a default like any other */
	assert_int_equal(parse(&cfg,
		"default.caps =\ndefault.bind =\n"
		"service.d.exec = /d\nservice.e.exec = /e\nservice.e.caps = kill\n"), 0);
	assert_int_equal(config_finish(&cfg), 0);
	assert_true(config_find(&cfg, "d")->has_caps);
	assert_true(config_find(&cfg, "d")->caps == 0);
	assert_true(config_find(&cfg, "e")->caps == 1ull << 5);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmdline_conf_path),
		cmocka_unit_test(test_cmdline_override),
		cmocka_unit_test(test_cmdline_errors),
		cmocka_unit_test(test_config_load),
		cmocka_unit_test(test_blanks_everywhere),
		cmocka_unit_test(test_empty_list_clears),
		cmocka_unit_test(test_config_set_direct),
		cmocka_unit_test(test_limit_keys),
		cmocka_unit_test(test_default_keys),
		cmocka_unit_test(test_default_cmdline),
		cmocka_unit_test(test_default_conflicts),
		cmocka_unit_test(test_default_reload_equal),
		cmocka_unit_test(test_print_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
