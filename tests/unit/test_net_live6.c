// SPDX-License-Identifier: MIT
/*
 * IPv6 of net.c against the running kernel, in a private network
 * namespace this test unshares (root; skipped otherwise): a service's
 * eth0 has its addresses at once (no DAD, no address of the kernel's
 * own), its default route; the bridge table keeps its port to its own
 * IPv6 addresses: another service's address as the source is dropped,
 * and so is a neighbour advertisement that would move another service's
 * address to its MAC in the host's neighbour cache. Needs nsenter,
 * busybox and python3.
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
#include <netinet/in.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "config.h"
#include "link.h"
#include "log.h"
#include "net.h"

static bool usable;

static int setup(void **state)
{
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (geteuid() != 0 || access("/usr/bin/nsenter", X_OK) || access("/bin/busybox", X_OK) ||
	    access("/usr/bin/python3", X_OK) || unshare(CLONE_NEWNET) < 0)
		return 0;
	link_loopback_up(NULL);
	log_open(null);
	usable = true;
	return 0;
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
		prctl(PR_SET_PDEATHSIG, SIGKILL);
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

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *output(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *output(const char *fmt, ...)
{
	static char out[8192];
	char cmd[512];
	va_list ap;
	FILE *f;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	n = f ? fread(out, 1, sizeof(out) - 1, f) : 0;
	out[n] = '\0';
	if (f)
		pclose(f);
	return out;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static int ping6_from(pid_t pid, const char *src, const char *dst)
{
	return run("nsenter --net=/proc/%d/ns/net busybox ping -6 -c1 -W2 %s%s %s >/dev/null 2>&1",
		   (int)pid, src[0] ? "-I " : "", src, dst);
}

/* An unsolicited, overriding neighbour advertisement of @target with
 * @mac as its link-layer address, from @pid's eth0 to all nodes. */
#define SEND_NA \
	"import socket, struct, sys\n" \
	"s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)\n" \
	"s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)\n" \
	"t = socket.inet_pton(socket.AF_INET6, sys.argv[1])\n" \
	"m = bytes.fromhex(sys.argv[2].replace(':', ''))\n" \
	"na = struct.pack('!BBHI', 136, 0, 0, 0x20000000) + t + bytes([2, 1]) + m\n" \
	"for i in range(3):\n" \
	"    s.sendto(na, ('ff02::1', 0, 0, socket.if_nametoindex('eth0')))\n"

static const char *mac_of(struct config *cfg, const char *name)
{
	static char out[18];
	uint8_t m[6];

	assert_true(net_service_mac(cfg, config_find(cfg, name), m, NULL) >= 0);
	snprintf(out, sizeof(out), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
		 m[4], m[5]);
	return out;
}

static void test_ipv6_service(void **state)
{
	struct config *cfg;
	pid_t web, sib;
	char mine[64], cmd[160];
	struct in6_addr a;
	const char *addrs, *neigh;

	if (!usable)
		skip();
	cfg = load("net.address = 192.168.77.1/24\nnet.address6 = fd00:b0::1/64\n"
		   "service.web.exec = /bin/true\nservice.web.net = bridge\n"
		   "service.sib.exec = /bin/true\nservice.sib.net = bridge\n"
		   "service.sib.ip6 = fd00:b0::50\n");
	assert_int_equal(net_host_setup(cfg), 0);
	web = holder();
	sib = holder();
	assert_int_equal(net_service_attach(cfg, config_find(cfg, "web"), web, NULL), 0);
	assert_int_equal(net_service_attach(cfg, config_find(cfg, "sib"), sib, NULL), 0);
	assert_int_equal(net_service_address6(cfg, config_find(cfg, "web"), &a), 0);
	inet_ntop(AF_INET6, &a, mine, sizeof(mine));
	/* its addresses, at once: no DAD (nodad), no kernel-made link-local */
	addrs = output("nsenter --net=/proc/%d/ns/net ip -6 -o addr show dev eth0", (int)web);
	assert_non_null(strstr(addrs, mine));
	assert_non_null(strstr(addrs, "fe80::"));
	assert_null(strstr(addrs, "tentative"));
	assert_int_equal(count_lines(addrs), 2);
	assert_non_null(strstr(output("nsenter --net=/proc/%d/ns/net ip -6 route", (int)web),
			       "default via fd00:b0::1 dev eth0"));
	assert_int_equal(ping6_from(web, "", "fd00:b0::1"), 0);
	assert_int_equal(ping6_from(web, "", "fd00:b0::50"), 0);
	/* another service's address as its source: dropped; its own still works */
	assert_int_equal(run("nsenter --net=/proc/%d/ns/net ip addr add fd00:b0::50/128 "
			     "dev eth0 nodad", (int)web), 0);
	assert_int_not_equal(ping6_from(web, "fd00:b0::50", "fd00:b0::1"), 0);
	assert_int_equal(ping6_from(web, mine, "fd00:b0::1"), 0);
	/* advertising the sibling's address as its own: the host's entry stays */
	assert_int_equal(run("busybox ping -6 -c1 -W2 fd00:b0::50 >/dev/null 2>&1"), 0);
	neigh = output("ip -6 neigh show fd00:b0::50 dev br0");
	assert_non_null(strstr(neigh, mac_of(cfg, "sib")));
	snprintf(cmd, sizeof(cmd), "fd00:b0::50 %s", mac_of(cfg, "web"));
	assert_int_equal(run("nsenter --net=/proc/%d/ns/net /usr/bin/python3 -c \"$SEND_NA\" %s",
			     (int)web, cmd), 0);
	assert_int_equal(run("busybox ping -6 -c1 -W2 fd00:b0::50 >/dev/null 2>&1"), 0);
	neigh = output("ip -6 neigh show fd00:b0::50 dev br0");
	assert_non_null(strstr(neigh, mac_of(cfg, "sib")));
	/* the control: its own address advertised, with another link-layer
	 * address in it, passes the bridge and the host takes it */
	assert_int_equal(run("busybox ping -6 -c1 -W2 %s >/dev/null 2>&1", mine), 0);
	snprintf(cmd, sizeof(cmd), "%s 02:de:ad:be:ef:01", mine);
	assert_int_equal(run("nsenter --net=/proc/%d/ns/net /usr/bin/python3 -c \"$SEND_NA\" %s",
			     (int)web, cmd), 0);
	assert_non_null(strstr(output("ip -6 neigh show %s dev br0", mine), "02:de:ad:be:ef:01"));
	kill(web, SIGKILL);
	kill(sib, SIGKILL);
	waitpid(web, NULL, 0);
	waitpid(sib, NULL, 0);
	net_teardown(cfg);
	config_free(cfg);
	free(cfg);
}

/* A reload with a new IPv6 prefix: the bridge follows, the service must restart. */
static void test_ipv6_reload(void **state)
{
	struct config *a, *b;
	const char *br;
	pid_t h;

	if (!usable)
		skip();
	a = load("net.address6 = fd00:b0::1/64\nnet.nat6 = on\n"
		 "service.web.exec = /bin/true\nservice.web.net = bridge\n");
	b = load("net.address6 = fd00:b1::1/64\nnet.nat6 = on\n"
		 "service.web.exec = /bin/true\nservice.web.net = bridge\n");
	assert_int_equal(net_host_setup(a), 0);
	h = holder();
	assert_int_equal(net_service_attach(a, config_find(a, "web"), h, NULL), 0);
	assert_true(net_service_current(a, config_find(a, "web")));
	assert_false(net_service_current(b, config_find(b, "web")));
	assert_int_equal(net_host_apply(b), 0);
	br = output("ip -6 -o addr show dev br0 scope global");
	assert_non_null(strstr(br, "fd00:b1::1/64"));
	assert_null(strstr(br, "fd00:b0::1"));
	assert_non_null(strstr(output("nft list table ip6 boxinit"), "ip6 saddr fd00:b1::/64"));
	kill(h, SIGKILL);
	waitpid(h, NULL, 0);
	net_teardown(b);
	assert_int_not_equal(run("nft list table ip6 boxinit >/dev/null 2>&1"), 0);
	assert_string_equal(output("cat /proc/sys/net/ipv6/conf/all/forwarding"), "0\n");
	config_free(a);
	free(a);
	config_free(b);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv6_service),
		cmocka_unit_test(test_ipv6_reload),
	};

	setenv("SEND_NA", SEND_NA, 1);
	return cmocka_run_group_tests(tests, setup, NULL);
}
