// SPDX-License-Identifier: MIT
/*
 * net.c against the running kernel, inside a private network namespace
 * this test unshares for itself (nothing on the host is touched): bridge,
 * veth per "service" (a holder process in its own netns stands in for a
 * container's reaper), addresses, routes, restart with the same name and
 * address, NAT table, teardown. Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN);
 * skipped otherwise. Uses nsenter + busybox ping and nft when present.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "boot.h"
#include "config.h"
#include "link.h"
#include "log.h"
#include "net.h"

static bool usable;
static int logpipe[2] = { -1, -1 };

static int setup(void **state)
{
	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0)
		return 0;
	boot_loopback();
	/* boxinit's log lines into a pipe the tests read */
	if (pipe2(logpipe, O_CLOEXEC) < 0)
		return -1;
	fcntl(logpipe[0], F_SETFL, O_NONBLOCK);
	log_open(logpipe[1]);
	log_set_level(LOG_LV_DEBUG);
	usable = true;
	return 0;
}

/* Everything logged since the last call (also echoed to stderr). */
static const char *logged(void)
{
	static char text[16384];
	ssize_t n;

	log_flush();
	n = read(logpipe[0], text, sizeof(text) - 1);
	text[n > 0 ? n : 0] = '\0';
	fputs(text, stderr);
	return text;
}

static struct config *load(const char *text)
{
	struct config *cfg = malloc(sizeof(*cfg));

	config_init(cfg);
	config_parse_buffer(cfg, "test.conf", text, strlen(text));
	config_finish(cfg);
	assert_int_equal(cfg->ndiags, 0);
	return cfg;
}

/* A process in a new network namespace, like a container's reaper. */
static pid_t holder(void)
{
	int p[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		/* never outlive the test, never hold its output open */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(null, 1);
		dup2(null, 2);
		if (getppid() == 1 || unshare(CLONE_NEWNET) < 0)
			_exit(1);
		(void)!write(p[1], "x", 1);
		for (;;)
			pause();
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

static void kill_holder(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Output of a command (at most 8 KiB). */
static const char *output(const char *cmd)
{
	static char out[8192];
	FILE *f = popen(cmd, "r");
	size_t n = f ? fread(out, 1, sizeof(out) - 1, f) : 0;

	out[n] = '\0';
	if (f)
		pclose(f);
	return out;
}

static bool have(const char *path)
{
	return access(path, X_OK) == 0;
}

#define CONF \
	"net.address = 192.168.77.1/24\n" \
	"net.nat = on\n" \
	"service.web.exec = /bin/true\n" \
	"service.web.net = bridge\n" \
	"service.web.ip = auto\n" \
	"service.web.ports = 8080:80/tcp 5353:53/udp\n" \
	"service.webserver-frontend-1.exec = /bin/true\n" \
	"service.webserver-frontend-1.net = bridge\n" \
	"service.webserver-frontend-1.ip = 192.168.77.50\n" \
	"service.quiet.exec = /bin/true\n" \
	"service.quiet.net = none\n"

static void test_topology(void **state)
{
	struct config *cfg;
	struct svc_conf *web, *fe, *quiet;
	struct in_addr a;
	char ip[INET_ADDRSTRLEN], veth[IFNAMSIZ], kind[IFNAMSIZ];
	struct nl nl;
	pid_t h1, h2;
	bool tools = have("/usr/bin/nsenter") && have("/bin/busybox");

	if (!usable)
		skip();
	cfg = load(CONF);
	web = config_find(cfg, "web");
	fe = config_find(cfg, "webserver-frontend-1");
	quiet = config_find(cfg, "quiet");
	assert_int_equal(net_service_address(cfg, web, &a), 0);
	inet_ntop(AF_INET, &a, ip, sizeof(ip));

	assert_int_equal(net_host_setup(cfg), 0);
	assert_non_null(strstr(logged(), "network: bridge br0 created, 192.168.77.1/24"));
	assert_int_equal(nl_open(&nl, NETLINK_ROUTE), 0);
	assert_true(link_get(&nl, "br0", kind) > 0);
	assert_string_equal(kind, "bridge");
	assert_string_equal(output("cat /proc/sys/net/ipv4/ip_forward"), "1\n");
	if (have("/usr/sbin/nft")) {
		const char *rs = output("nft list ruleset 2>&1");
		char want[64];

		assert_non_null(strstr(rs, "table ip boxinit {"));
		assert_null(strstr(strstr(rs, "table ip boxinit {") + 1, "table "));
		assert_non_null(strstr(rs, "ip saddr 192.168.77.0/24 oifname != \"br0\" masquerade"));
		snprintf(want, sizeof(want), "tcp dport 8080 dnat to %s:80", ip);
		assert_non_null(strstr(rs, want));
		snprintf(want, sizeof(want), "udp dport 5353 dnat to %s:53", ip);
		assert_non_null(strstr(rs, want));
		assert_non_null(strstr(rs, "fib daddr type local"));
	}

	/* a service on the bridge */
	h1 = holder();
	assert_int_equal(net_service_attach(cfg, web, h1), 0);
	net_veth_name("web", veth);
	assert_true(link_get(&nl, veth, kind) > 0);
	assert_string_equal(kind, "veth");
	if (tools) {
		assert_int_equal(run("nsenter --net=/proc/%d/ns/net busybox ping -c1 -W2 192.168.77.1 >/dev/null", (int)h1), 0);
		assert_non_null(strstr(output("ip -o link show master br0"), veth));
	}
	/* a second one, long name: they reach each other over the bridge */
	h2 = holder();
	assert_int_equal(net_service_attach(cfg, fe, h2), 0);
	net_veth_name("webserver-frontend-1", veth);
	assert_int_equal(strlen(veth), 15);
	assert_true(link_get(&nl, veth, NULL) > 0);
	if (tools) {
		assert_int_equal(run("nsenter --net=/proc/%d/ns/net busybox ping -c1 -W2 %s >/dev/null", (int)h2, ip), 0);
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "nsenter --net=/proc/%d/ns/net ip route", (int)h2);
		assert_non_null(strstr(output(cmd), "default via 192.168.77.1 dev eth0"));
	}
	/* restart at once: same name (the old pair may still exist), same address */
	kill_holder(h1);
	run("ip link show bxweb >/dev/null 2>&1 || ip link add bxweb type veth peer name bxstale");
	h1 = holder();
	assert_int_equal(net_service_attach(cfg, web, h1), 0);
	assert_non_null(strstr(logged(), "web: network: bxweb exists: deleting the stale pair"));
	if (tools) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "nsenter --net=/proc/%d/ns/net ip -4 -o addr show dev eth0", (int)h1);
		assert_non_null(strstr(output(cmd), ip));
		assert_int_equal(run("nsenter --net=/proc/%d/ns/net busybox ping -c1 -W2 192.168.77.50 >/dev/null", (int)h1), 0);
	}
	/* net = none: nothing to do here */
	assert_int_equal(net_service_attach(cfg, quiet, h2), 0);
	/* reload: the table is replaced, still one */
	assert_int_equal(net_nat_apply(cfg), 0);
	if (have("/usr/sbin/nft"))
		assert_int_equal(run("test $(nft list tables | wc -l) = 1"), 0);
	logged();

	kill_holder(h1);
	kill_holder(h2);
	net_teardown(cfg);
	assert_int_equal(link_get(&nl, "br0", NULL), -ENODEV);
	if (have("/usr/sbin/nft"))
		assert_int_not_equal(run("nft list table ip boxinit 2>/dev/null"), 0);
	nl_close(&nl);
	config_free(cfg);
	free(cfg);
}

static void test_errors(void **state)
{
	struct config *cfg;
	struct nl nl;
	const char *log;

	if (!usable)
		skip();
	/* a bridge name taken by something else; an uplink that is missing */
	cfg = load("net.bridge = lo\nnet.address = 10.9.0.1/24\n"
		   "iface.nosuch0.address = 10.8.0.2/24\n"
		   "service.a.exec = /bin/true\nservice.a.net = bridge\n");
	assert_int_equal(net_host_setup(cfg), 2);
	log = logged();
	assert_non_null(strstr(log, "network: bridge lo: lo exists and is not a bridge"));
	assert_non_null(strstr(log, "network: iface.nosuch0: netlink: RTM_GETLINK nosuch0: No such device"));
	/* the reaper is gone */
	assert_int_equal(net_service_attach(cfg, config_find(cfg, "a"), 999999), -ENOENT);
	assert_non_null(strstr(logged(), "a: network: /proc/999999/ns/net:"));
	config_free(cfg);
	free(cfg);

	/* the bridge exists already: reused, kept at teardown */
	assert_int_equal(nl_open(&nl, NETLINK_ROUTE), 0);
	assert_int_equal(link_bridge(&nl, "br9"), 1);
	assert_int_equal(link_bridge(&nl, "br9"), 0);
	cfg = load("net.bridge = br9\nnet.address = 10.9.0.1/24\n"
		   "service.a.exec = /bin/true\nservice.a.net = bridge\n");
	assert_int_equal(net_host_setup(cfg), 0);
	assert_non_null(strstr(logged(), "bridge br9 reused"));
	/* no bridge any more when the service starts */
	assert_int_equal(link_del(&nl, "br9"), 0);
	pid_t h = holder();

	assert_int_equal(net_service_attach(cfg, config_find(cfg, "a"), h), -ENODEV);
	assert_non_null(strstr(logged(), "a: network: netlink: RTM_GETLINK br9: No such device"));
	kill_holder(h);
	net_teardown(cfg);
	/* veth names and eth0 inside are checked before anything is sent */
	assert_int_equal(link_veth(&nl, "a-name-that-is-too-long", 1, "eth0", 0), -EINVAL);
	nl_close(&nl);
	config_free(cfg);
	free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_topology),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
