// SPDX-License-Identifier: MIT
/* Unit tests for the configuration language (modules/config*.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "config_priv.h"

#define SRC "test.conf"
#define CMDLINE "kernel command line"

static int parse(struct config *cfg, const char *text)
{
	config_init(cfg);
	return config_parse_buffer(cfg, SRC, text, strlen(text));
}

static void dump_diags(const struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->ndiags; i++)
		print_message("  diag %s:%d: %s\n", cfg->diags[i].source,
			      cfg->diags[i].line, cfg->diags[i].msg);
}

/* The diagnostic at @line from @source whose text contains @text. */
static const struct conf_diag *find_diag(const struct config *cfg,
					 const char *source, int line,
					 const char *text)
{
	size_t i;

	for (i = 0; i < cfg->ndiags; i++)
		if (cfg->diags[i].line == line &&
		    !strcmp(cfg->diags[i].source, source) &&
		    strstr(cfg->diags[i].msg, text))
			return &cfg->diags[i];
	print_message("no diag %s:%d containing '%s'; have:\n", source, line,
		      text);
	dump_diags(cfg);
	return NULL;
}

#define assert_diag(cfg, line, text) \
	assert_non_null(find_diag((cfg), SRC, (line), (text)))

static void assert_no_diags(const struct config *cfg)
{
	if (cfg->ndiags)
		dump_diags(cfg);
	assert_int_equal(cfg->ndiags, 0);
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* ---- table of bad inputs ------------------------------------------------ */

static const struct bad_case {
	const char *text;
	int line;
	const char *msg;
} bad_cases[] = {
	{ "foo = 1\n", 1, "unknown key \"foo\"" },
	{ "service.boxinit.exec = /bin/true\n", 1, "service name \"boxinit\" is reserved" },
	{ "\nservice.emergency.exec = /bin/sh\n", 2, "service name \"emergency\" is reserved" },
	{ "hostname = a\n\n\nhostname = b\n", 4,
	  "duplicate key \"hostname\" (first set on line 1)" },
	{ "# comment\nservice.web.memory = 10Q\n", 2,
	  "service.web.memory: invalid size \"10Q\" (expected a number with optional K, M or G suffix)" },
	{ "justtext\n", 1, "missing \"=\" (expected key = value)" },
	{ "key # = value\n", 1, "missing \"=\"" },
	{ "  = x\n", 1, "missing key before \"=\"" },
	{ "loglevel = loud\n", 1,
	  "loglevel: invalid log level \"loud\" (expected err, warn, info, debug or 0-3)" },
	{ "loglevel = 4\n", 1, "loglevel: invalid log level \"4\"" },
	{ "cgroup = v3\n", 1, "cgroup: invalid value \"v3\" (expected auto, v2 or v1)" },
	{ "hostname = \"abc\n", 1, "hostname: unterminated quote" },
	{ "hostname = \"abc\" def\n", 1, "hostname: text after the closing quote" },
	{ "hostname = bad_host\n", 1, "hostname: invalid hostname \"bad_host\"" },
	{ "hostname =\n", 1, "hostname: empty value" },
	{ "console = tty0\n", 1, "console: invalid path \"tty0\" (expected an absolute path" },
	{ "emergency = sh\n", 1, "emergency: invalid command \"sh\"" },
	{ "emergency = \"/bin/sh '-l\"\n", 1, "emergency: invalid command" },
	{ "modules = ok bad/name\n", 1, "modules: invalid module name \"bad/name\"" },
	{ "net.bridge = averyverylongname0\n", 1, "net.bridge: invalid interface name" },
	{ "net.address = 10.0.0.0/24\n", 1,
	  "net.address: invalid address \"10.0.0.0/24\" (expected A.B.C.D/N" },
	{ "net.address = 10.0.0.1\n", 1, "net.address: invalid address" },
	{ "net.nat = bad name!\n", 1, "net.nat: invalid value \"bad name!\" (expected on, off or an interface name)" },
	{ "sysctl.net..ipv4 = 1\n", 1, "invalid sysctl key \"sysctl.net..ipv4\"" },
	{ "sysctl.../etc/passwd = 1\n", 1, "invalid sysctl key" },
	{ "sysctl.Net.IPv4 = 1\n", 1, "invalid sysctl key" },
	{ "sysctl.vm.swappiness =\n", 1, "sysctl.vm.swappiness: invalid value \"\"" },
	{ "iface.eth0.mask = 1\n", 1, "unknown key \"iface.eth0.mask\"" },
	{ "iface.eth0.gateway = 1.2.3\n", 1, "iface.eth0.gateway: invalid address \"1.2.3\" (expected A.B.C.D)" },
	{ "iface.eth0.address = 1.2.3.4/33\n", 1, "iface.eth0.address: invalid address" },
	{ "service.UPPER.exec = /bin/true\n", 1, "invalid service name \"UPPER\" (expected 1 to 32 of a-z" },
	{ "service..exec = x\n", 1, "invalid service name \"\"" },
	{ "service.web = x\n", 1, "unknown key \"service.web\" (expected service.NAME.KEY)" },
	{ "service.web.bogus = 1\n", 1, "unknown key \"service.web.bogus\"" },
	{ "service.web.memory = 512K\n", 1, "service.web.memory: size \"512K\" below the minimum of 1M" },
	{ "service.web.memory = 99999999999G\n", 1, "service.web.memory: size \"99999999999G\" out of range" },
	{ "service.web.memory = 18446744073709551616\n", 1, "service.web.memory: size \"18446744073709551616\" out of range" },
	{ "service.web.swap = -1\n", 1, "service.web.swap: invalid size \"-1\"" },
	{ "service.web.pids = 0\n", 1, "service.web.pids: number \"0\" out of range (expected an integer from 1 to 4194304)" },
	{ "service.web.pids = 4194305\n", 1, "service.web.pids: number \"4194305\" out of range" },
	{ "service.web.restart_max = 1001\n", 1, "service.web.restart_max: number \"1001\" out of range (expected an integer from 1 to 1000)" },
	{ "service.web.restart_max = ten\n", 1, "service.web.restart_max: invalid number \"ten\"" },
	{ "service.web.user = www\n", 1, "service.web.user: invalid user \"www\" (expected UID[:GID] numbers)" },
	{ "service.web.user = 10:\n", 1, "service.web.user: invalid user \"10:\"" },
	{ "service.web.user = 4294967295\n", 1, "service.web.user: invalid user" },
	{ "service.web.restart = sometimes\n", 1, "service.web.restart: invalid value \"sometimes\" (expected always, on-failure or no)" },
	{ "service.web.type = forking\n", 1, "service.web.type: invalid value \"forking\" (expected simple or oneshot)" },
	{ "service.web.stop_signal = SIGFOO\n", 1, "service.web.stop_signal: invalid signal \"SIGFOO\"" },
	{ "service.web.stop_timeout = 10h\n", 1, "service.web.stop_timeout: invalid duration \"10h\"" },
	{ "service.web.stop_timeout = 25h\n", 1, "service.web.stop_timeout: invalid duration" },
	{ "service.web.stop_timeout = 86401\n", 1, "service.web.stop_timeout: duration \"86401\" out of range" },
	{ "service.web.restart_window = 0\n", 1, "service.web.restart_window: duration \"0\" out of range" },
	{ "service.web.cpu = 1.2345\n", 1, "service.web.cpu: invalid cpu \"1.2345\"" },
	{ "service.web.cpu = 0.001\n", 1, "service.web.cpu: cpu \"0.001\" out of range (expected from 0.01 to 1024)" },
	{ "service.web.workdir = relative/path\n", 1, "service.web.workdir: invalid path \"relative/path\" (expected an absolute path)" },
	{ "service.web.root = \n", 1, "service.web.root: empty value" },
	{ "service.web.env.1BAD = x\n", 1, "service.web.env: invalid variable name \"1BAD\"" },
	{ "service.web.env. = x\n", 1, "service.web.env: invalid variable name \"\"" },
	{ "service.web.bind = /a:b\n", 1, "service.web.bind: invalid bind \"/a:b\" (expected SRC:DST[:ro]" },
	{ "service.web.bind = /a:/b:rw\n", 1, "service.web.bind: invalid bind" },
	{ "service.web.bind = /a:/b/../../etc\n", 1, "service.web.bind: invalid bind" },
	{ "service.web.ports = 80:0\n", 1, "service.web.ports: invalid ports \"80:0\" (expected HOST:SVC[/tcp|/udp]" },
	{ "service.web.ports = 80:80/sctp\n", 1, "service.web.ports: invalid ports" },
	{ "service.web.ports = 65536:80\n", 1, "service.web.ports: invalid ports" },
	{ "service.web.ports = 80:80 80:81\n", 1, "service.web.ports: host port 80/tcp listed twice" },
	{ "service.web.caps = CAP_FOO\n", 1, "service.web.caps: invalid capability \"CAP_FOO\"" },
	{ "service.web.net = nat\n", 1, "service.web.net: invalid value \"nat\" (expected bridge, none or host)" },
	{ "service.web.ip = 10.0.0.300\n", 1, "service.web.ip: invalid address \"10.0.0.300\" (expected A.B.C.D or auto)" },
	{ "service.web.readonly = maybe\n", 1, "service.web.readonly: invalid value \"maybe\"" },
	{ "service.web.hostname = bad_name\n", 1, "service.web.hostname: invalid hostname \"bad_name\"" },
	{ "service.web.exec = sh -c 'oops\n", 1, "service.web.exec: invalid command \"sh -c 'oops\"" },
	{ "service.web.exec = \"\"\n", 1, "service.web.exec: empty value" },
	{ "service.web.exec = ''\n", 1, "service.web.exec: invalid command" },
	{ "service.web.after = Bad\n", 1, "service.web.after: invalid service name \"Bad\"" },
	{ "service.web.env.A = 1\nservice.web.env.A = 2\n", 2,
	  "duplicate key \"service.web.env.A\" (first set on line 1)" },
	{ "service.web.exec = /a\n#\nservice.web.exec = /b\n", 3,
	  "duplicate key \"service.web.exec\" (first set on line 1)" },
	{ "sysctl.vm.x = 1\nsysctl.vm.x = 2\n", 2, "duplicate key \"sysctl.vm.x\" (first set on line 1)" },
	{ "iface.eth0.gateway = 1.2.3.4\niface.eth0.gateway = 1.2.3.5\n", 2,
	  "duplicate key \"iface.eth0.gateway\" (first set on line 1)" },
	{ "\xff\xfe = 1\n", 1, "unknown key \"\\xff\\xfe\"" },
	{ "a\nb\nc\n", 3, "missing \"=\"" },
};

static void test_bad_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct config cfg;
		int n = parse(&cfg, c->text);

		if (!find_diag(&cfg, SRC, c->line, c->msg)) {
			print_message("case %zu: %s", i, c->text);
			fail();
		}
		assert_true(n >= 1);
		/* a bad service key marks the service invalid */
		if (!strncmp(c->text, "service.web.", 12)) {
			struct svc_conf *web = config_find(&cfg, "web");

			assert_non_null(web);
			assert_true(web->invalid);
		}
		config_free(&cfg);
	}
	assert_true(i >= 30);
}

/* ---- a complete, valid configuration ---------------------------------- */

static const char full_conf[] =
	"# boxinit example\n"
	"hostname = appliance\n"
	"console = /dev/ttyS0\n"
	"loglevel = debug\n"
	"emergency = /bin/sh\n"
	"modules = overlay br_netfilter  nf_nat\n"
	"cgroup = v2\n"
	"sysctl.net.ipv4.ip_forward = 1\n"
	"sysctl.vm/overcommit_memory = \"2\"\n"
	"net.bridge = br1\n"
	"net.address = 10.88.0.1/16\n"
	"net.nat = eth0\n"
	"iface.eth0.address = 192.168.1.10/24\n"
	"iface.eth0.gateway = 192.168.1.1\n"
	"iface.eth1.100.address = 172.16.0.2/30\n"
	"\n"
	"service.db.exec = /usr/bin/db --data /var/db\n"
	"service.db.type = oneshot\n"
	"service.db.restart = no\n"
	"\n"
	"service.web.exec = /bin/sh -c \"echo #1; exec httpd -f\"  # comment\n"
	"service.web.env.PORT = 8080\n"
	"service.web.env.GREETING = \"hello \\\"world\\\" \\\\ \\n\"\n"
	"service.web.env.EMPTY =\n"
	"service.web.workdir = /srv/www\n"
	"service.web.user = 1000:100\n"
	"service.web.restart = on-failure\n"
	"service.web.type = simple\n"
	"service.web.after = db\n"
	"service.web.stop_signal = SIGINT\n"
	"service.web.stop_timeout = 1500ms\n"
	"service.web.restart_max = 5\n"
	"service.web.restart_window = 2m\n"
	"service.web.root = /srv/rootfs\n"
	"service.web.hostname = web.local\n"
	"service.web.readonly = yes\n"
	"service.web.bind = /data:/var/data /etc/ssl:/etc/ssl:ro\n"
	"service.web.caps = CAP_NET_BIND_SERVICE net_raw\n"
	"service.web.cpu = 0.5\n"
	"service.web.memory = 256M\n"
	"service.web.swap = 0\n"
	"service.web.pids = 64\n"
	"service.web.net = bridge\n"
	"service.web.ip = 10.88.0.10\n"
	"service.web.ports = 80:8080 5353:53/udp 443:8443/tcp\n"
	"\t# indented comment\r\n"
	"service.auto.exec = /bin/auto\r\n"
	"service.auto.net = bridge\n"
	"service.auto.ip = auto\n"
	"service.auto.user = 7\n"
	"service.auto.caps = none\n"
	"service.auto.memory = max\n";

static void test_full_config(void **state)
{
	struct config cfg;
	struct svc_conf *web, *db, *au;

	assert_int_equal(parse(&cfg, full_conf), 0);
	assert_int_equal(config_finish(&cfg), 0);
	assert_no_diags(&cfg);

	assert_string_equal(cfg.hostname, "appliance");
	assert_string_equal(cfg.console, "/dev/ttyS0");
	assert_int_equal(cfg.loglevel, 3);
	assert_string_equal(cfg.emergency, "/bin/sh");
	assert_int_equal(cfg.nmodules, 3);
	assert_string_equal(cfg.modules[0], "overlay");
	assert_string_equal(cfg.modules[1], "br_netfilter");
	assert_string_equal(cfg.modules[2], "nf_nat");
	assert_null(cfg.modules[3]);
	assert_int_equal(cfg.cgroup, CGROUP_V2);
	assert_int_equal(cfg.nsysctl, 2);
	assert_string_equal(cfg.sysctl[0].key, "net.ipv4.ip_forward");
	assert_string_equal(cfg.sysctl[0].value, "1");
	assert_int_equal(cfg.sysctl[0].line, 8);
	assert_string_equal(cfg.sysctl[1].key, "vm/overcommit_memory");
	assert_string_equal(cfg.sysctl[1].value, "2");
	assert_string_equal(cfg.net_bridge, "br1");
	assert_true(cfg.has_net_address);
	assert_int_equal(cfg.net_addr.s_addr, ip4("10.88.0.1"));
	assert_int_equal(cfg.net_prefix, 16);
	assert_int_equal(cfg.nat, NAT_IFACE);
	assert_string_equal(cfg.nat_iface, "eth0");
	assert_int_equal(cfg.nifaces, 2);
	assert_string_equal(cfg.ifaces[0].name, "eth0");
	assert_true(cfg.ifaces[0].has_addr);
	assert_int_equal(cfg.ifaces[0].addr.s_addr, ip4("192.168.1.10"));
	assert_int_equal(cfg.ifaces[0].prefix, 24);
	assert_true(cfg.ifaces[0].has_gw);
	assert_int_equal(cfg.ifaces[0].gw.s_addr, ip4("192.168.1.1"));
	assert_string_equal(cfg.ifaces[1].name, "eth1.100");
	assert_int_equal(cfg.ifaces[1].prefix, 30);
	assert_false(cfg.ifaces[1].has_gw);

	/* file order */
	assert_int_equal(cfg.nsvcs, 3);
	assert_string_equal(cfg.svcs[0].name, "db");
	assert_string_equal(cfg.svcs[1].name, "web");
	assert_string_equal(cfg.svcs[2].name, "auto");

	db = config_find(&cfg, "db");
	assert_ptr_equal(db, &cfg.svcs[0]);
	assert_false(db->invalid);
	assert_int_equal(db->line, 17);
	assert_string_equal(db->source, SRC);
	assert_string_equal(db->argv[0], "/usr/bin/db");
	assert_string_equal(db->argv[2], "/var/db");
	assert_null(db->argv[3]);
	assert_int_equal(db->type, SVC_ONESHOT);
	assert_int_equal(db->restart, RESTART_NO);
	/* defaults */
	assert_int_equal(db->stop_signal, SIGTERM);
	assert_int_equal(db->stop_timeout_ms, 10000);
	assert_int_equal(db->restart_max, 10);
	assert_int_equal(db->restart_window_ms, 60000);
	assert_true(db->memory == UINT64_MAX);
	assert_int_equal(db->net, NET_NONE);
	assert_int_equal(db->cpu_quota_us, 0);
	assert_int_equal(db->pids, 0);
	assert_false(db->has_user);
	assert_false(db->has_caps);
	assert_false(db->has_swap);
	assert_null(db->hostname);
	assert_non_null(db->env);
	assert_null(db->env[0]);
	assert_non_null(db->after);
	assert_null(db->after[0]);

	web = config_find(&cfg, "web");
	assert_non_null(web);
	assert_false(web->invalid);
	assert_string_equal(web->exec, "/bin/sh -c \"echo #1; exec httpd -f\"");
	assert_string_equal(web->argv[0], "/bin/sh");
	assert_string_equal(web->argv[1], "-c");
	assert_string_equal(web->argv[2], "echo #1; exec httpd -f");
	assert_null(web->argv[3]);
	assert_int_equal(web->nenv, 3);
	assert_string_equal(web->env[0], "PORT=8080");
	assert_string_equal(web->env[1], "GREETING=hello \"world\" \\ \\n");
	assert_string_equal(web->env[2], "EMPTY=");
	assert_null(web->env[3]);
	assert_string_equal(web->workdir, "/srv/www");
	assert_true(web->has_user);
	assert_int_equal(web->uid, 1000);
	assert_int_equal(web->gid, 100);
	assert_int_equal(web->restart, RESTART_ON_FAILURE);
	assert_int_equal(web->type, SVC_SIMPLE);
	assert_int_equal(web->nafter, 1);
	assert_string_equal(web->after[0], "db");
	assert_null(web->after[1]);
	assert_int_equal(web->stop_signal, SIGINT);
	assert_int_equal(web->stop_timeout_ms, 1500);
	assert_int_equal(web->restart_max, 5);
	assert_int_equal(web->restart_window_ms, 120000);
	assert_string_equal(web->root, "/srv/rootfs");
	assert_string_equal(web->hostname, "web.local");
	assert_true(web->readonly);
	assert_int_equal(web->nbinds, 2);
	assert_string_equal(web->binds[0].src, "/data");
	assert_string_equal(web->binds[0].dst, "/var/data");
	assert_false(web->binds[0].ro);
	assert_string_equal(web->binds[1].src, "/etc/ssl");
	assert_string_equal(web->binds[1].dst, "/etc/ssl");
	assert_true(web->binds[1].ro);
	assert_true(web->has_caps);
	assert_true(web->caps == ((1ull << 10) | (1ull << 13)));
	assert_int_equal(web->cpu_quota_us, 50000);
	assert_true(web->memory == 256ull << 20);
	assert_true(web->has_swap);
	assert_true(web->swap == 0);
	assert_int_equal(web->pids, 64);
	assert_int_equal(web->net, NET_BRIDGE);
	assert_true(web->has_ip);
	assert_false(web->ip_auto);
	assert_int_equal(web->ip.s_addr, ip4("10.88.0.10"));
	assert_int_equal(web->nports, 3);
	assert_int_equal(web->ports[0].host, 80);
	assert_int_equal(web->ports[0].svc, 8080);
	assert_int_equal(web->ports[0].proto, IPPROTO_TCP);
	assert_int_equal(web->ports[1].host, 5353);
	assert_int_equal(web->ports[1].svc, 53);
	assert_int_equal(web->ports[1].proto, IPPROTO_UDP);
	assert_int_equal(web->ports[2].proto, IPPROTO_TCP);

	au = config_find(&cfg, "auto");
	assert_non_null(au);
	assert_false(au->invalid);
	assert_int_equal(au->line, 47);
	assert_string_equal(au->argv[0], "/bin/auto");
	assert_true(au->ip_auto);
	assert_false(au->has_ip);
	assert_int_equal(au->uid, 7);
	assert_int_equal(au->gid, 7);
	assert_true(au->has_caps);
	assert_true(au->caps == 0);
	assert_true(au->memory == UINT64_MAX);

	assert_null(config_find(&cfg, "nope"));
	config_free(&cfg);
}

static void test_defaults(void **state)
{
	struct config cfg;

	config_init(&cfg);
	assert_string_equal(cfg.hostname, "boxinit");
	assert_string_equal(cfg.console, "/dev/console");
	assert_int_equal(cfg.loglevel, 2);
	assert_null(cfg.emergency);
	assert_int_equal(cfg.nmodules, 0);
	assert_string_equal(cfg.net_bridge, "br0");
	assert_false(cfg.has_net_address);
	assert_int_equal(cfg.nat, NAT_OFF);
	assert_int_equal(cfg.cgroup, CGROUP_AUTO);
	assert_int_equal(cfg.nsvcs, 0);
	config_free(&cfg);
	/* reusable after config_init */
	assert_int_equal(parse(&cfg, "net.nat = yes\n"), 0);
	assert_int_equal(cfg.nat, NAT_ON);
	config_free(&cfg);
}

/* ---- comments and quoting --------------------------------------------- */

static void test_comments_quotes(void **state)
{
	struct config cfg;
	struct svc_conf *s;

	assert_int_equal(parse(&cfg,
		"hostname = foo # trailing comment\n"
		"   # indented comment = not a key\n"
		"service.a.exec = echo a#b '#c' \"#d\" \\#e #gone\n"
		"service.b.exec = \"/bin/sh -c \\\"echo hi\\\"\"   # c\n"
		"service.c.exec = sh -c 'echo \"x # y\"'\n"
		"service.d.exec=\"x\"#c\n"
		"service.d.env.X=#notcomment\n"
		"service.d.env.Y = \"a\\tb\\\\\" \n"
		"emergency = /bin/sh -l # login shell\n"), 0);
	assert_no_diags(&cfg);
	assert_string_equal(cfg.hostname, "foo");
	s = config_find(&cfg, "a");
	assert_string_equal(s->exec, "echo a#b '#c' \"#d\" \\#e");
	assert_string_equal(s->argv[1], "a#b");
	assert_string_equal(s->argv[2], "#c");
	assert_string_equal(s->argv[3], "#d");
	assert_string_equal(s->argv[4], "#e");
	assert_null(s->argv[5]);
	s = config_find(&cfg, "b");
	assert_string_equal(s->exec, "/bin/sh -c \"echo hi\"");
	assert_string_equal(s->argv[2], "echo hi");
	s = config_find(&cfg, "c");
	assert_string_equal(s->argv[2], "echo \"x # y\"");
	s = config_find(&cfg, "d");
	assert_string_equal(s->argv[0], "x");
	assert_string_equal(s->env[0], "X=#notcomment");
	assert_string_equal(s->env[1], "Y=a\\tb\\");
	assert_string_equal(cfg.emergency, "/bin/sh -l");
	config_free(&cfg);
}

/* ---- duplicates, invalid services, global fallback --------------------- */

static void test_duplicates(void **state)
{
	struct config cfg;

	assert_int_equal(parse(&cfg,
		"hostname = first\n"
		"service.web.exec = /bin/a\n"
		"hostname = second\n"
		"service.web.exec = /bin/b\n"), 2);
	assert_diag(&cfg, 3, "duplicate key \"hostname\" (first set on line 1)");
	assert_diag(&cfg, 4, "duplicate key \"service.web.exec\" (first set on line 2)");
	assert_string_equal(cfg.hostname, "first");     /* first value kept */
	assert_true(config_find(&cfg, "web")->invalid);
	/* a second file repeating a key is a duplicate too */
	assert_int_equal(config_parse_buffer(&cfg, "other.conf",
					     "console = /dev/tty1\nhostname = x\n", 30), 1);
	assert_non_null(find_diag(&cfg, "other.conf", 2,
				  "duplicate key \"hostname\" (first set on line 1)"));
	assert_string_equal(cfg.console, "/dev/tty1");
	config_free(&cfg);
}

static void test_bad_service_skipped(void **state)
{
	struct config cfg;

	parse(&cfg,
	      "service.web.exec = /bin/web\n"
	      "service.web.memory = lots\n"
	      "service.db.exec = /bin/db\n"
	      "service.UPPER.exec = /bin/x\n"
	      "service.cache.exec = /bin/cache\n"
	      "service.cache.after = db\n");
	config_finish(&cfg);
	assert_int_equal(cfg.ndiags, 2);
	assert_diag(&cfg, 2, "service.web.memory: invalid size \"lots\"");
	assert_diag(&cfg, 4, "invalid service name \"UPPER\"");
	assert_int_equal(cfg.nsvcs, 3);
	assert_string_equal(cfg.svcs[0].name, "web");
	assert_true(cfg.svcs[0].invalid);
	assert_string_equal(cfg.svcs[1].name, "db");
	assert_false(cfg.svcs[1].invalid);
	assert_string_equal(cfg.svcs[2].name, "cache");
	assert_false(cfg.svcs[2].invalid);
	config_free(&cfg);
}

static void test_bad_global_default(void **state)
{
	struct config cfg;

	assert_int_equal(parse(&cfg,
		"loglevel = loud\n"
		"hostname = no_underscores\n"
		"console = ttyS0\n"
		"net.bridge = \n"
		"net.nat = ???\n"
		"cgroup = v9\n"
		"modules = a b/c\n"
		"net.address = 300.1.1.1/24\n"
		"emergency = sh -l\n"), 9);
	assert_int_equal(cfg.loglevel, 2);
	assert_string_equal(cfg.hostname, "boxinit");
	assert_string_equal(cfg.console, "/dev/console");
	assert_string_equal(cfg.net_bridge, "br0");
	assert_int_equal(cfg.nat, NAT_OFF);
	assert_null(cfg.nat_iface);
	assert_int_equal(cfg.cgroup, CGROUP_AUTO);
	assert_int_equal(cfg.nmodules, 0);
	assert_null(cfg.modules[0]);
	assert_false(cfg.has_net_address);
	assert_null(cfg.emergency);
	assert_diag(&cfg, 4, "net.bridge: empty value");
	config_free(&cfg);

	/* a bad sysctl is not set at all (never a NULL value) */
	assert_int_equal(parse(&cfg, "sysctl.a =\nsysctl.b = 1\n"), 1);
	assert_int_equal(cfg.nsysctl, 1);
	assert_string_equal(cfg.sysctl[0].key, "b");
	assert_string_equal(cfg.sysctl[0].value, "1");
	config_free(&cfg);
}

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
		"service.s.hostname", "service.s.readonly", "service.s.caps",
		"service.s.cpu", "service.s.memory", "service.s.swap",
		"service.s.pids", "service.s.net", "service.s.ip",
	};
	static const char *const empty_ok[] = {
		"modules", "service.s.after", "service.s.bind",
		"service.s.ports", "service.s.env.V",
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_table),
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_comments_quotes),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_bad_service_skipped),
		cmocka_unit_test(test_bad_global_default),
		cmocka_unit_test(test_cmdline_conf_path),
		cmocka_unit_test(test_cmdline_override),
		cmocka_unit_test(test_cmdline_errors),
		cmocka_unit_test(test_config_load),
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
		cmocka_unit_test(test_config_set_direct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
