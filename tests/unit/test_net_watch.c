// SPDX-License-Identifier: MIT
/*
 * Keeping boxinit's nftables tables (modules/net/nftwatch.c,
 * modules/net/net_tables.c): the event parser on messages built here
 * (own changes, foreign ones, other tables, the committing process,
 * malformed input), then against the running kernel inside a private
 * network namespace this test unshares (root; skipped otherwise): the
 * events of our own commit are not counted and someone else's are, and
 * net_watch() rebuilds deleted tables through the event loop and gives up
 * on a fight. Built against the in-tree mnl subset and Debian's libmnl.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include "config.h"
#include "link.h"
#include "log.h"
#include "loop.h"
#include "mnl.h"
#include "nat.h"
#include "net.h"
#include "nftwatch.h"
#include "util.h"

#define NFT(msg) ((NFNL_SUBSYS_NFTABLES << 8) | (msg))

/* Append one event to @buf at *@off: @msg of @family from @port, attribute
 * 1 = @table (NULL: none; @nul false: without its NUL). */
static struct nlmsghdr *event(char *buf, size_t *off, uint16_t msg, uint8_t family,
			      uint32_t port, const char *table, bool nul)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf + *off);
	struct nfgenmsg *g = mnl_nlmsg_put_extra_header(h, sizeof(*g));

	h->nlmsg_type = NFT(msg);
	h->nlmsg_pid = port;
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	if (table && nul)
		mnl_attr_put_strz(h, 1, table);
	else if (table)
		mnl_attr_put_str(h, 1, table);
	*off += MNL_ALIGN(h->nlmsg_len);
	return h;
}

static void gen(char *buf, size_t *off, uint32_t port, uint32_t pid, const char *comm)
{
	struct nlmsghdr *h = event(buf, off, NFT_MSG_NEWGEN, AF_UNSPEC, port, NULL, false);

	*off -= MNL_ALIGN(h->nlmsg_len);
	mnl_attr_put_u32(h, NFTA_GEN_ID, htonl(7));
	mnl_attr_put_u32(h, NFTA_GEN_PROC_PID, htonl(pid));
	mnl_attr_put_strz(h, NFTA_GEN_PROC_NAME, comm);
	*off += MNL_ALIGN(h->nlmsg_len);
}

static void test_parse_events(void **state)
{
	char buf[2048] __attribute__((aligned(4)));
	struct nftw w = { .own = 100, .watch = NAT_T_IP | NAT_T_BRIDGE };
	size_t n = 0;

	/* our own commit: both tables replaced; not counted */
	event(buf, &n, NFT_MSG_DELRULE, NFPROTO_IPV4, 100, "boxinit", true);
	event(buf, &n, NFT_MSG_DELTABLE, NFPROTO_IPV4, 100, "boxinit", true);
	event(buf, &n, NFT_MSG_NEWTABLE, NFPROTO_BRIDGE, 100, "boxinit", true);
	gen(buf, &n, 100, 1, "boxinit");
	assert_int_equal(nftw_datagram(&w, buf, n), 0);
	assert_int_equal(w.changed, 0);
	/* someone else's tables, families and messages: not ours */
	n = 0;
	event(buf, &n, NFT_MSG_DELTABLE, NFPROTO_IPV4, 200, "fw4", true);
	event(buf, &n, NFT_MSG_DELTABLE, NFPROTO_INET, 200, "boxinit", true);
	event(buf, &n, NFT_MSG_DELTABLE, NFPROTO_IPV4, 200, "boxinit2", true);
	event(buf, &n, NFT_MSG_GETTABLE, NFPROTO_IPV4, 200, "boxinit", true);
	event(buf, &n, NFT_MSG_DELTABLE, NFPROTO_IPV4, 200, "boxinit", false); /* no NUL */
	event(buf, &n, NFT_MSG_DELTABLE, NFPROTO_IPV4, 200, NULL, false);
	assert_int_equal(nftw_datagram(&w, buf, n), 0);
	assert_int_equal(w.changed, 0);
	assert_int_equal(w.port, 0);
	/* a foreign flush: rule, chain, table; then its generation */
	n = 0;
	event(buf, &n, NFT_MSG_DELRULE, NFPROTO_BRIDGE, 200, "boxinit", true);
	event(buf, &n, NFT_MSG_DELCHAIN, NFPROTO_BRIDGE, 200, "boxinit", true);
	event(buf, &n, NFT_MSG_DELTABLE, NFPROTO_IPV4, 200, "boxinit", true);
	gen(buf, &n, 300, 9, "other");          /* another commit's: not recorded */
	gen(buf, &n, 200, 4242, "nft");
	assert_int_equal(nftw_datagram(&w, buf, n), 3);
	assert_int_equal(w.changed, NAT_T_IP | NAT_T_BRIDGE);
	assert_int_equal(w.deleted, NAT_T_IP);
	assert_int_equal(w.port, 200);
	assert_int_equal(w.pid, 4242);
	assert_string_equal(w.comm, "nft");
	/* a table we do not have is not watched */
	nftw_clear(&w);
	assert_int_equal(w.changed | w.deleted | w.port | w.pid, 0);
	w.watch = NAT_T_IP;
	n = 0;
	event(buf, &n, NFT_MSG_NEWRULE, NFPROTO_BRIDGE, 200, "boxinit", true);
	assert_int_equal(nftw_datagram(&w, buf, n), 0);
	event(buf, &n, NFT_MSG_NEWRULE, NFPROTO_IPV4, 200, "boxinit", true);
	assert_int_equal(nftw_datagram(&w, buf, n), 1);
	assert_int_equal(w.changed, NAT_T_IP);
	assert_int_equal(w.deleted, 0);
}

static void test_parse_malformed(void **state)
{
	char buf[512] __attribute__((aligned(4)));
	struct nftw w = { .own = 1, .watch = NAT_T_IP };
	struct nlmsghdr *h;
	size_t n = 0;

	h = event(buf, &n, NFT_MSG_DELTABLE, NFPROTO_IPV4, 5, "boxinit", true);
	/* truncated datagrams: nothing read past @n, nothing counted */
	for (size_t cut = 0; cut < n; cut++)
		assert_int_equal(nftw_datagram(&w, buf, cut), 0);
	assert_int_equal(w.changed, 0);
	/* a length claiming more than the datagram, an unaligned one */
	h->nlmsg_len = 4000;
	assert_int_equal(nftw_datagram(&w, buf, n), 0);
	h->nlmsg_len = (uint32_t)n - 1;
	assert_int_equal(nftw_datagram(&w, buf, n), 0);
	/* too short for the nfgenmsg */
	h->nlmsg_len = sizeof(*h);
	assert_int_equal(nftw_datagram(&w, buf, sizeof(*h)), 0);
	/* an attribute longer than its message */
	h = event(buf, (n = 0, &n), NFT_MSG_DELTABLE, NFPROTO_IPV4, 5, "boxinit", true);
	((struct nlattr *)((char *)h + MNL_NLMSG_HDRLEN + sizeof(struct nfgenmsg)))->nla_len = 200;
	assert_int_equal(nftw_datagram(&w, buf, n), 0);
	assert_int_equal(w.changed, 0);
}

/* ---- against the kernel ------------------------------------------------ */

static bool usable;
static int logpipe[2] = { -1, -1 };

static int setup(void **state)
{
	if (geteuid() != 0 || access("/usr/sbin/nft", X_OK) || unshare(CLONE_NEWNET) < 0)
		return 0;
	link_loopback_up(NULL);
	if (pipe2(logpipe, O_CLOEXEC) < 0 || loop_init() < 0)
		return -1;
	fcntl(logpipe[0], F_SETFL, O_NONBLOCK);
	log_open(logpipe[1]);
	log_set_level(LOG_LV_DEBUG);
	usable = true;
	return 0;
}

/* Everything logged so far (new text echoed to stderr). */
static const char *logged(void)
{
	static char text[65536];
	static size_t used;
	ssize_t n;

	log_flush();
	while (used < sizeof(text) - 1 &&
	       (n = read(logpipe[0], text + used, sizeof(text) - 1 - used)) > 0) {
		fwrite(text + used, 1, (size_t)n, stderr);
		used += (size_t)n;
	}
	text[used] = '\0';
	return text;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static int run(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_kernel_events(void **state)
{
	struct nat_spec s = { .masq = true, .net = { htonl(0x0a090000) }, .prefix = 24,
			      .oif = "br0", .oif_not = true };
	struct spoof_port p = { .ifname = "bxa", .mac = { 2, 0, 0, 0, 0, 1 } };
	struct nftw w;
	struct nl nl = { 0 };
	struct err e;
	uint8_t fam;

	if (!usable)
		skip();
	s.guard = &p;
	s.nguard = 1;
	assert_int_equal(nftw_open(&w), 0);
	w.watch = NAT_T_IP | NAT_T_BRIDGE;
	/* our commit (both tables), then someone else's, on ip boxinit only */
	assert_int_equal(nat_commit(&nl, &s, NAT_T_IP | NAT_T_BRIDGE, &e, &fam), 0);
	w.own = nl.portid;
	assert_int_equal(run("nft add table ip other && nft delete table ip boxinit"), 0);
	for (int i = 0; i < 600 && !(w.deleted & NAT_T_IP); i++) {
		struct pollfd pfd = { nftw_fd(&w), POLLIN, 0 };

		assert_true(poll(&pfd, 1, 100) >= 0);
		assert_true(nftw_read(&w) >= 0);
	}
	assert_int_equal(w.deleted, NAT_T_IP);
	assert_int_equal(w.changed, NAT_T_IP);  /* ours touched bridge too: not counted */
	assert_false(w.lost);
	assert_string_equal(w.comm, "nft");
	assert_true(w.pid > 0);
	assert_int_equal(nat_commit(&nl, NULL, NAT_T_IP | NAT_T_BRIDGE, &e, &fam), 0);
	run("nft delete table ip other");
	nl_close(&nl);
	nftw_close(&w);
}

/* the configuration in force, as net_watch() asks for it */
static struct config *timer_cfg;

static struct config *current(void)
{
	return timer_cfg;
}

static void tick(struct loop_timer *t)
{
}

/* Run the loop until @needle was logged @n times (a minute at most): the
 * net module's own timers and a tick of ours every 100 ms. */
static bool loop_until(const char *needle, int n)
{
	struct loop_timer t = { .fn = tick };
	bool found = false;

	for (int i = 0; i < 600 && !found; i++) {
		if ((found = count(logged(), needle) >= n))
			break;
		loop_timer_set(&t, now_ms() + 100);
		assert_int_equal(loop_wait_once(), 0);
	}
	loop_timer_stop(&t);
	return found;
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

static void test_heal_and_give_up(void **state)
{
	char cmd[64];

	if (!usable)
		skip();
	timer_cfg = load("net.address = 10.9.0.1/24\nnet.nat = on\n"
			 "service.a.exec = /bin/true\nservice.a.net = bridge\n"
			 "service.a.ports = 8080:80/tcp\n");
	assert_int_equal(net_watch(current), 0);
	assert_int_equal(net_nat_apply(timer_cfg), 0);
	/* a foreign flush: both tables back, one line saying who */
	assert_int_equal(run("nft flush ruleset"), 0);
	assert_true(loop_until("restoring boxinit's tables", 1));
	assert_non_null(strstr(logged(), "nat: tables ip and bridge boxinit deleted by nft (pid "));
	assert_int_equal(run("nft list table ip boxinit >/dev/null && "
			     "nft list table bridge boxinit >/dev/null"), 0);
	/* a foreign rule in our table: the table is rebuilt without it */
	assert_int_equal(run("nft add rule ip boxinit postrouting counter"), 0);
	assert_true(loop_until("restoring boxinit's tables", 2));
	assert_non_null(strstr(logged(), "nat: table ip boxinit changed by nft (pid "));
	assert_int_not_equal(run("nft list table ip boxinit | grep -q counter"), 0);
	/* someone who keeps deleting it: NET_HEAL_MAX rebuilds, then one error */
	for (unsigned i = 3; i <= NET_HEAL_MAX; i++) {
		assert_int_equal(run("nft delete table ip boxinit"), 0);
		assert_true(loop_until("restoring boxinit's tables", (int)i));
	}
	assert_int_equal(run("nft delete table ip boxinit"), 0);
	assert_true(loop_until("no longer restoring them", 1));
	snprintf(cmd, sizeof(cmd), "changed by someone else %u times", NET_HEAL_MAX + 1);
	assert_non_null(strstr(logged(), cmd));
	assert_int_equal(count(logged(), "restoring boxinit's tables"), (int)NET_HEAL_MAX);
	assert_int_not_equal(run("nft list table ip boxinit >/dev/null 2>&1"), 0);
	/* left alone now: a change is seen, said at debug level, not acted on */
	assert_int_equal(run("nft delete table bridge boxinit"), 0);
	assert_true(loop_until("not restored (given up until later)", 1));
	assert_int_equal(count(logged(), "restoring boxinit's tables"), (int)NET_HEAL_MAX);
	assert_true(net_heal_retry_at() > now_ms() + NET_HEAL_RETRY_MS / 2);
	/* a reload puts them back and starts over */
	assert_int_equal(net_nat_apply(timer_cfg), 0);
	assert_int_equal(net_heal_retry_at(), 0);
	assert_int_equal(run("nft list table ip boxinit >/dev/null"), 0);
	assert_int_equal(run("nft delete table ip boxinit"), 0);
	assert_true(loop_until("restoring boxinit's tables", (int)NET_HEAL_MAX + 1));
	net_teardown(timer_cfg);
	assert_int_equal(run("test -z \"$(nft list tables)\""), 0);
	config_free(timer_cfg);
	free(timer_cfg);
	logged();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_events),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_kernel_events),
		cmocka_unit_test(test_heal_and_give_up),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
