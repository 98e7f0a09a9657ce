// SPDX-License-Identifier: MIT
/* Unit tests for the configuration language (modules/config/): the lexer,
 * the keys and their values, duplicates, invalid services and globals. */
#include "config_test.h"

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
	{ "service.web.pids = 0\n", 1, "service.web.pids: number \"0\" out of range (expected an integer from 1 to 4194304, or max)" },
	{ "service.web.pids = unlimited\n", 1, "service.web.pids: invalid number \"unlimited\"" },
	{ "service.web.log_rate = 0\n", 1, "service.web.log_rate: number \"0\" out of range (expected an integer from 1 to 1000000 lines per second, or off)" },
	{ "service.web.log_rate = fast\n", 1, "service.web.log_rate: invalid number \"fast\"" },
	{ "service.web.log_burst = 0\n", 1, "service.web.log_burst: number \"0\" out of range" },
	{ "service.web.log_burst = off\n", 1, "service.web.log_burst: invalid number \"off\"" },
	{ "service.web.log_rate_bytes = 100\n", 1, "service.web.log_rate_bytes: size \"100\" out of range (expected a size from 1K to 1G" },
	{ "service.web.log_rate_bytes = 2G\n", 1, "service.web.log_rate_bytes: size \"2G\" out of range" },
	{ "service.web.log_burst_bytes = 1K\n", 1, "service.web.log_burst_bytes: size \"1K\" out of range (expected a size from 4K to 1G" },
	{ "service.web.log_burst_bytes = off\n", 1, "service.web.log_burst_bytes: invalid size \"off\"" },
	{ "default.memry = 64M\n", 1, "unknown key \"default.memry\"" },
	{ "default. = 1\n", 1, "unknown key \"default.\"" },
	{ "default.pids = 0\n", 1, "default.pids: number \"0\" out of range" },
	{ "default.restart = sometimes\n", 1, "default.restart: invalid value \"sometimes\"" },
	{ "default.env.1X = a\n", 1, "default.env: invalid variable name \"1X\"" },
	{ "default.pids = 64\n#\ndefault.pids = 65\n", 3, "duplicate key \"default.pids\" (first set on line 1)" },
	{ "service.web.pids = 4194305\n", 1, "service.web.pids: number \"4194305\" out of range" },
	{ "service.web.restart_max = 1001\n", 1, "service.web.restart_max: number \"1001\" out of range (expected an integer from 1 to 1000)" },
	{ "service.web.restart_max = ten\n", 1, "service.web.restart_max: invalid number \"ten\"" },
	{ "service.web.user = www\n", 1, "service.web.user: invalid user \"www\" (expected UID[:GID] numbers)" },
	{ "service.web.user = 10:\n", 1, "service.web.user: invalid user \"10:\"" },
	{ "service.web.user = 4294967295\n", 1, "service.web.user: invalid user" },
	{ "service.web.restart = sometimes\n", 1, "service.web.restart: invalid value \"sometimes\" (expected always, on-failure or no)" },
	{ "service.web.type = forking\n", 1, "service.web.type: invalid value \"forking\" (expected simple or oneshot)" },
	{ "service.web.stop_signal = SIGFOO\n", 1, "service.web.stop_signal: invalid signal \"SIGFOO\"" },
	{ "service.web.stop_timeout = 10d\n", 1, "service.web.stop_timeout: invalid duration \"10d\"" },
	{ "service.web.stop_timeout = 25h\n", 1, "service.web.stop_timeout: duration \"25h\" out of range" },
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
	config_free(&cfg);
}

/* the services of full_conf: theirs, and the built-in values */
static void test_full_config_services(void **state)
{
	struct config cfg;
	struct svc_conf *db;

	assert_int_equal(parse(&cfg, full_conf), 0);
	assert_int_equal(config_finish(&cfg), 0);
	assert_no_diags(&cfg);
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
	assert_int_equal(db->pids, CONF_PIDS_DEFAULT);
	assert_int_equal(db->pids, 512);
	assert_int_equal(db->log_rate, 1000);
	assert_int_equal(db->log_burst, 5000);
	assert_true(db->log_rate_bytes == 256 << 10);
	assert_true(db->log_burst_bytes == 1 << 20);
	assert_false(db->has_user);
	assert_false(db->has_caps);
	assert_false(db->has_swap);
	assert_null(db->hostname);
	assert_non_null(db->env);
	assert_null(db->env[0]);
	assert_non_null(db->after);
	assert_null(db->after[0]);
	config_free(&cfg);
}

/* web and auto of full_conf: every service key, as written */
static void test_full_config_web(void **state)
{
	struct config cfg;
	struct svc_conf *web, *au;

	assert_int_equal(parse(&cfg, full_conf), 0);
	assert_int_equal(config_finish(&cfg), 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_table),
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_full_config_services),
		cmocka_unit_test(test_full_config_web),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_comments_quotes),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_bad_service_skipped),
		cmocka_unit_test(test_bad_global_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
