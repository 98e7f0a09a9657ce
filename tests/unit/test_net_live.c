// SPDX-License-Identifier: MIT
/*
 * net.c against the running kernel, inside a private network namespace
 * this test unshares for itself (nothing on the host is touched): bridge,
 * veth per "service" (a holder process in its own netns stands in for a
 * container's reaper), addresses, routes, restart with the same name and
 * address and MAC, NAT and anti-spoofing tables, a spoofing attempt,
 * teardown. Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN);
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
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include "config.h"
#include "link.h"
#include "log.h"
#include "nat.h"
#include "net.h"
#include "nft.h"

static bool usable;
static int logpipe[2] = { -1, -1 };

static int setup(void **state)
{
	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0)
		return 0;
	link_loopback_up(NULL);
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

/* Poll until the link NAME is gone (60 s deadline): true when it is. */
static bool wait_link_gone(struct nl *nl, const char *name)
{
	struct timespec step = { 0, 10 * 1000 * 1000 };

	for (int i = 0; i < 6000; i++) {
		if (link_get(nl, name, NULL, NULL) == -ENODEV)
			return true;
		nanosleep(&step, NULL);
	}
	return false;
}

/* net_service_mac() of @c as text (a static buffer, like ip link shows it). */
static const char *mac_text(struct config *cfg, struct svc_conf *c)
{
	static char out[18];
	uint8_t m[6];

	assert_true(net_service_mac(cfg, c, m, NULL) >= 0);
	snprintf(out, sizeof(out), "%02x:%02x:%02x:%02x:%02x:%02x",
		 m[0], m[1], m[2], m[3], m[4], m[5]);
	return out;
}

/* Ping @dst from service holder @pid, from @src ("": its own address). */
static int ping_from(pid_t pid, const char *src, const char *dst)
{
	return run("nsenter --net=/proc/%d/ns/net busybox ping -c1 -W1 %s%s %s >/dev/null",
		   (int)pid, src[0] ? "-I " : "", src, dst);
}

/*
 * The anti-spoofing rules, from service holder @h1 (web, @ip) against the
 * address 192.168.77.50 and MAC of @h2's service: with net_admin in its
 * netns (these tests have it), it takes them on its eth0; what it sends
 * with them is dropped, its own traffic still passes.
 */
static void check_spoofing(struct config *cfg, pid_t h1, const char *ip)
{
	char cmd[160];

	assert_int_equal(ping_from(h1, "", "192.168.77.1"), 0);
	/* another service's address as the source */
	assert_int_equal(run("nsenter --net=/proc/%d/ns/net ip addr add 192.168.77.50/32 "
			     "dev eth0", (int)h1), 0);
	assert_int_not_equal(ping_from(h1, "192.168.77.50", "192.168.77.1"), 0);
	assert_int_equal(ping_from(h1, ip, "192.168.77.1"), 0);
	assert_int_equal(run("nsenter --net=/proc/%d/ns/net ip addr del 192.168.77.50/32 "
			     "dev eth0", (int)h1), 0);
	/* another service's MAC, its own address */
	snprintf(cmd, sizeof(cmd), "nsenter --net=/proc/%d/ns/net ip link set eth0 address ",
		 (int)h1);
	assert_int_equal(run("%s%s", cmd, mac_text(cfg, config_find(cfg,
				"webserver-frontend-1"))), 0);
	assert_int_not_equal(ping_from(h1, "", "192.168.77.1"), 0);
	assert_int_equal(run("%s%s", cmd, mac_text(cfg, config_find(cfg, "web"))), 0);
	assert_int_equal(ping_from(h1, "", "192.168.77.1"), 0);
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

/* The ruleset of CONF: table ip boxinit then bridge boxinit, nothing else;
 * web's filters with its MAC and address @ip, the masquerade, its DNATs. */
static void check_ruleset(struct config *cfg, struct svc_conf *web, const char *ip)
{
	const char *rs = output("nft list ruleset 2>&1");
	char want[160];

	assert_non_null(strstr(rs, "table ip boxinit {"));
	/* then the bridge table, and nothing else */
	assert_non_null(strstr(strstr(rs, "table ip boxinit {"), "table bridge boxinit {"));
	assert_null(strstr(strstr(rs, "table bridge boxinit {") + 1, "table "));
	assert_non_null(strstr(rs, "hook prerouting priority filter; policy accept;"));
	snprintf(want, sizeof(want), "iifname \"bxweb\" ether saddr %s ip saddr %s accept",
		 mac_text(cfg, web), ip);
	assert_non_null(strstr(rs, want));
	snprintf(want, sizeof(want), "arp saddr ether %s arp saddr ip %s accept",
		 mac_text(cfg, web), ip);
	assert_non_null(strstr(rs, want));
	assert_non_null(strstr(rs, "iifname \"bx*\" drop"));
	assert_non_null(strstr(rs, "ip saddr 192.168.77.0/24 oifname != \"br0\" masquerade"));
	snprintf(want, sizeof(want), "tcp dport 8080 dnat to %s:80", ip);
	assert_non_null(strstr(rs, want));
	snprintf(want, sizeof(want), "udp dport 5353 dnat to %s:53", ip);
	assert_non_null(strstr(rs, want));
	assert_non_null(strstr(rs, "fib daddr type local"));
}

/*
 * Service web (holder @h1, address @ip) restarted at once: the same name
 * (its old pair may still exist), the same address and MAC. Returns the
 * new holder.
 */
static pid_t restart_web(struct config *cfg, struct svc_conf *web, struct nl *nl, pid_t h1,
			 const char *ip, bool tools)
{
	char cmd[128];

	kill_holder(h1);
	/* The kernel removes the old pair asynchronously, when h1's netns is
	 * cleaned up: wait for that state (not for a time), then plant a
	 * stale pair of our own under the same name, so the step below always
	 * meets the same thing. */
	assert_true(wait_link_gone(nl, "bxweb"));
	assert_int_equal(run("ip link add bxweb type veth peer name bxstale"), 0);
	h1 = holder();
	assert_int_equal(net_service_attach(cfg, web, h1, NULL), 0);
	assert_non_null(strstr(logged(), "web: network: bxweb exists: deleting the stale pair"));
	if (!tools)
		return h1;
	snprintf(cmd, sizeof(cmd), "nsenter --net=/proc/%d/ns/net ip -4 -o addr show dev eth0", (int)h1);
	assert_non_null(strstr(output(cmd), ip));
	assert_int_equal(run("nsenter --net=/proc/%d/ns/net busybox ping -c1 -W2 192.168.77.50 >/dev/null", (int)h1), 0);
	/* the same MAC as before the restart: the one the rules name */
	snprintf(cmd, sizeof(cmd), "nsenter --net=/proc/%d/ns/net ip -o link show dev eth0", (int)h1);
	assert_non_null(strstr(output(cmd), mac_text(cfg, web)));
	check_spoofing(cfg, h1, ip);
	return h1;
}

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
	assert_int_equal(nl_open(&nl, NETLINK_ROUTE, NULL), 0);
	assert_true(link_get(&nl, "br0", kind, NULL) > 0);
	assert_string_equal(kind, "bridge");
	assert_string_equal(output("cat /proc/sys/net/ipv4/ip_forward"), "1\n");
	if (have("/usr/sbin/nft"))
		check_ruleset(cfg, web, ip);

	/* a service on the bridge */
	h1 = holder();
	assert_int_equal(net_service_attach(cfg, web, h1, NULL), 0);
	net_veth_name("web", veth);
	assert_true(link_get(&nl, veth, kind, NULL) > 0);
	assert_string_equal(kind, "veth");
	if (tools) {
		char cmd[128];

		assert_int_equal(run("nsenter --net=/proc/%d/ns/net busybox ping -c1 -W2 192.168.77.1 >/dev/null", (int)h1), 0);
		assert_non_null(strstr(output("ip -o link show master br0"), veth));
		/* made with one queue each way, both ends (no cut afterwards) */
		snprintf(cmd, sizeof(cmd), "ip -d link show %s", veth);
		assert_non_null(strstr(output(cmd), "numtxqueues 1 numrxqueues 1 "));
		snprintf(cmd, sizeof(cmd), "nsenter --net=/proc/%d/ns/net ip -d link show eth0", (int)h1);
		assert_non_null(strstr(output(cmd), "numtxqueues 1 numrxqueues 1 "));
	}
	/* a second one, long name: they reach each other over the bridge */
	h2 = holder();
	assert_int_equal(net_service_attach(cfg, fe, h2, NULL), 0);
	net_veth_name("webserver-frontend-1", veth);
	assert_int_equal(strlen(veth), 15);
	assert_true(link_get(&nl, veth, NULL, NULL) > 0);
	if (tools) {
		assert_int_equal(run("nsenter --net=/proc/%d/ns/net busybox ping -c1 -W2 %s >/dev/null", (int)h2, ip), 0);
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "nsenter --net=/proc/%d/ns/net ip route", (int)h2);
		assert_non_null(strstr(output(cmd), "default via 192.168.77.1 dev eth0"));
	}
	/* restart at once: same name (the old pair may still exist), same address */
	h1 = restart_web(cfg, web, &nl, h1, ip, tools);
	/* net = none: nothing to do here */
	assert_int_equal(net_service_attach(cfg, quiet, h2, NULL), 0);
	/* reload: the table is replaced, still one */
	assert_int_equal(net_nat_apply(cfg), 0);
	if (have("/usr/sbin/nft"))
		assert_int_equal(run("test $(nft list tables | wc -l) = 2"), 0);
	logged();

	kill_holder(h1);
	kill_holder(h2);
	net_teardown(cfg);
	assert_int_equal(link_get(&nl, "br0", NULL, NULL), -ENODEV);
	if (have("/usr/sbin/nft")) {
		assert_int_not_equal(run("nft list table ip boxinit 2>/dev/null"), 0);
		assert_int_not_equal(run("nft list table bridge boxinit 2>/dev/null"), 0);
	}
	nl_close(&nl);
	config_free(cfg);
	free(cfg);
}

static void test_errors(void **state)
{
	struct err e;
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
	assert_non_null(strstr(log, "network: iface.nosuch0: RTM_GETLINK nosuch0: No such device"));
	/* the reaper is gone: the error goes back to the caller, unlogged */
	assert_int_equal(net_service_attach(cfg, config_find(cfg, "a"), 999999, &e), -ENOENT);
	assert_int_equal(e.code, -ENOENT);
	assert_string_equal(e.msg, "network: /proc/999999/ns/net: No such file or directory");
	assert_null(strstr(logged(), "/proc/999999"));
	config_free(cfg);
	free(cfg);

	/* the bridge exists already: reused, kept at teardown */
	assert_int_equal(nl_open(&nl, NETLINK_ROUTE, NULL), 0);
	assert_int_equal(link_bridge(&nl, "br9", NULL), 1);
	assert_int_equal(link_bridge(&nl, "br9", NULL), 0);
	cfg = load("net.bridge = br9\nnet.address = 10.9.0.1/24\n"
		   "service.a.exec = /bin/true\nservice.a.net = bridge\n");
	assert_int_equal(net_host_setup(cfg), 0);
	assert_non_null(strstr(logged(), "bridge br9 reused"));
	/* no NAT, a bridged service: the bridge table alone */
	if (have("/usr/sbin/nft")) {
		assert_int_equal(run("nft list table bridge boxinit >/dev/null"), 0);
		assert_int_not_equal(run("nft list table ip boxinit 2>/dev/null"), 0);
	}
	/* no bridge any more when the service starts */
	assert_int_equal(link_del(&nl, "br9", NULL), 0);
	pid_t h = holder();

	assert_int_equal(net_service_attach(cfg, config_find(cfg, "a"), h, &e), -ENODEV);
	assert_ptr_equal(strstr(e.msg, "network: RTM_GETLINK br9: No such device"), e.msg);
	assert_null(strstr(logged(), "RTM_GETLINK br9"));
	kill_holder(h);
	net_teardown(cfg);
	/* veth names and eth0 inside are checked before anything is sent */
	assert_int_equal(link_veth(&nl, "a-name-that-is-too-long", 1, "eth0", NULL, 0, &e),
			 -EINVAL);
	assert_string_equal(e.msg, "interface name \"a-name-that-is-too-long\": not 1 to 15 bytes");
	nl_close(&nl);
	config_free(cfg);
	free(cfg);
}

/*
 * Table bridge boxinit held by another socket (NFT_TABLE_F_OWNER: only it
 * may change the table) until @nl is closed. -errno when the kernel has
 * no owner flag (before 5.12).
 */
static int hold_bridge_table(struct nl *nl)
{
	char buf[3 * NAT_MSG_MAX] __attribute__((aligned(4)));
	struct nlmsghdr *h;
	size_t n = 0;

	if (nl_open(nl, NETLINK_NETFILTER, NULL) < 0)
		return -1;
	h = nft_batch_msg(nl, buf, NFNL_MSG_BATCH_BEGIN);
	n += h->nlmsg_len;
	h = nft_table_msg(nl, buf + n, NFPROTO_BRIDGE, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	mnl_attr_put_u32(h, NFTA_TABLE_FLAGS, htonl(NFT_TABLE_F_OWNER));
	n += h->nlmsg_len;
	h = nft_batch_msg(nl, buf + n, NFNL_MSG_BATCH_END);
	n += h->nlmsg_len;
	return nl_talk(nl, buf, n, "", NULL, NULL, NULL);
}

static void test_one_table_refused(void **state)
{
	struct config *cfg;
	struct nl owner;
	const char *log;

	if (!usable)
		skip();
	if (hold_bridge_table(&owner) < 0) {
		nl_close(&owner);
		skip();
	}
	/* the kernel refuses the bridge table: NAT still goes in, alone */
	cfg = load("net.address = 10.9.0.1/24\nnet.nat = on\n"
		   "service.a.exec = /bin/true\nservice.a.net = bridge\n");
	assert_true(net_nat_apply(cfg) < 0);
	log = logged();
	assert_non_null(strstr(log, "antispoof: NFT_MSG_NEWTABLE table bridge boxinit: Operation not permitted"));
	assert_non_null(strstr(log, "services on the bridge are not kept to their own MAC"));
	assert_non_null(strstr(log, "nat: table ip boxinit: masquerade on, 0 port forwards"));
	if (have("/usr/sbin/nft"))
		assert_int_equal(run("nft list table ip boxinit >/dev/null"), 0);
	/* once it is gone, both */
	nl_close(&owner);
	assert_int_equal(net_nat_apply(cfg), 0);
	log = logged();
	assert_non_null(strstr(log, "antispoof: table bridge boxinit: 1 service port kept"));
	net_teardown(cfg);
	if (have("/usr/sbin/nft"))
		assert_int_equal(run("test -z \"$(nft list tables)\""), 0);
	logged();
	config_free(cfg);
	free(cfg);
}

/* A reload: the host follows the config, services know whether theirs changed. */
static void test_reload_network(void **state)
{
	const char *a = "net.address = 10.7.0.1/24\nsysctl.net.ipv4.conf.all.log_martians = 1\n"
			"service.a.exec = /bin/true\nservice.a.net = bridge\n"
			"service.q.exec = /bin/true\nservice.q.net = none\n";
	const char *b = "net.address = 10.8.0.1/24\n"
			"service.a.exec = /bin/true\nservice.a.net = bridge\n"
			"service.q.exec = /bin/true\nservice.q.net = none\n";
	struct config *ca, *cb, *ca2;
	pid_t h;

	if (!usable)
		skip();
	ca = load(a);
	cb = load(b);
	ca2 = load(a);
	assert_int_equal(net_host_setup(ca), 0);
	h = holder();
	assert_int_equal(net_service_attach(ca, config_find(ca, "a"), h, NULL), 0);
	/* the same config again: nothing to restart */
	assert_true(net_service_current(ca2, config_find(ca2, "a")));
	assert_true(net_service_current(cb, config_find(cb, "q")));   /* not bridged */
	/* a new subnet: a's address and gateway move */
	assert_false(net_service_current(cb, config_find(cb, "a")));
	assert_int_equal(net_host_apply(cb), 0);
	assert_non_null(strstr(logged(), "network: bridge br0: address now 10.8.0.1/24"));
	assert_non_null(strstr(output("ip -4 -o addr show dev br0"), "10.8.0.1/24"));
	assert_null(strstr(output("ip -4 -o addr show dev br0"), "10.7.0.1"));
	assert_string_equal(output("cat /proc/sys/net/ipv4/conf/all/log_martians"), "0\n");
	kill_holder(h);
	net_teardown(cb);
	logged();
	config_free(ca);
	free(ca);
	config_free(cb);
	free(cb);
	config_free(ca2);
	free(ca2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_topology),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_one_table_refused),
		cmocka_unit_test(test_reload_network),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
