// SPDX-License-Identifier: MIT
/*
 * Unit tests for the network topology (modules/net.c) and the nftables
 * rules (modules/nat.c): veth names, automatic addresses, and the layout
 * of the nf_tables messages, checked attribute by attribute against
 * linux/netfilter/nf_tables.h (structure, not byte blobs).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>

#include "config.h"
#include "mnl.h"
#include "nat.h"
#include "net.h"
#include "netlink.h"
#include "util.h"

/* ---- veth names -------------------------------------------------------- */

static void test_veth_names(void **state)
{
	char a[IFNAMSIZ], b[IFNAMSIZ], c[IFNAMSIZ];

	net_veth_name("web", a);
	assert_string_equal(a, "bxweb");
	net_veth_name("abcdefghijkl", a);               /* 12: fits as is */
	assert_string_equal(a, "bxabcdefghijkl");
	net_veth_name("webserver-frontend-1", a);
	net_veth_name("webserver-frontend-2", b);
	assert_int_equal(strlen(a), IFNAMSIZ - 1);
	assert_int_equal(strlen(b), IFNAMSIZ - 1);
	assert_string_not_equal(a, b);
	assert_memory_equal(a, "bxwebserv-", 10);
	net_veth_name("webserver-frontend-1", c);       /* stable */
	assert_string_equal(a, c);
	/* 13 bytes: hashed, 15 long: never equal to a short one (<= 14) */
	net_veth_name("abcdefghijklm", a);
	assert_int_equal(strlen(a), 15);
	/* the longest service name */
	net_veth_name("abcdefghijklmnopqrstuvwxyz012345", a);
	assert_int_equal(strlen(a), 15);
	/* many names sharing a 30-byte prefix: all distinct */
	char names[64][IFNAMSIZ];

	for (int i = 0; i < 64; i++) {
		char svc[48];

		snprintf(svc, sizeof(svc), "frontend-worker-pool-replica-%02u", (unsigned)i % 100);
		net_veth_name(svc, names[i]);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(names[i], names[j]);
	}
}

/* ---- addresses ----------------------------------------------------------- */

static struct config *load(const char *text)
{
	struct config *cfg = malloc(sizeof(*cfg));

	config_init(cfg);
	config_parse_buffer(cfg, "test.conf", text, strlen(text));
	config_finish(cfg);
	for (size_t i = 0; i < cfg->ndiags; i++)
		print_message("diag: %s:%d: %s\n", cfg->diags[i].source,
			      cfg->diags[i].line, cfg->diags[i].msg);
	assert_int_equal(cfg->ndiags, 0);
	return cfg;
}

static void unload(struct config *cfg)
{
	config_free(cfg);
	free(cfg);
}

static uint32_t addr_of(struct config *cfg, const char *name)
{
	struct in_addr a;

	assert_int_equal(net_service_address(cfg, config_find(cfg, name), &a), 0);
	return ntohl(a.s_addr);
}

#define THREE \
	"net.address = 192.168.1.10/24\n" \
	"service.a.exec = /bin/true\nservice.a.net = bridge\nservice.a.ip = auto\n" \
	"service.b.exec = /bin/true\nservice.b.net = bridge\nservice.b.ip = auto\n" \
	"service.c.exec = /bin/true\nservice.c.net = bridge\nservice.c.ip = 192.168.1.20\n" \
	"service.d.exec = /bin/true\nservice.d.net = bridge\n"

static void test_auto_address(void **state)
{
	struct config *cfg = load(THREE), *again = load(THREE);
	uint32_t a = addr_of(cfg, "a"), b = addr_of(cfg, "b"), d = addr_of(cfg, "d");
	struct in_addr x;

	/* inside the subnet, not the bridge, network or broadcast */
	for (int i = 0; i < 3; i++) {
		uint32_t v = i == 0 ? a : i == 1 ? b : d;

		assert_int_equal(v >> 8, 0xc0a801);
		assert_int_not_equal(v & 0xff, 0);
		assert_int_not_equal(v & 0xff, 255);
		assert_int_not_equal(v & 0xff, 10);
		assert_int_not_equal(v & 0xff, 20);
	}
	assert_int_not_equal(a, b);
	assert_int_not_equal(a, d);
	assert_int_not_equal(b, d);
	/* static, deterministic */
	assert_int_equal(addr_of(cfg, "c"), 0xc0a80114);
	assert_int_equal(addr_of(again, "a"), a);
	assert_int_equal(addr_of(again, "b"), b);
	assert_int_equal(addr_of(cfg, "a"), a);
	/* not net = bridge */
	config_find(cfg, "a")->net = NET_NONE;
	assert_int_equal(net_service_address(cfg, config_find(cfg, "a"), &x), -EINVAL);
	unload(cfg);
	unload(again);
}

static void test_auto_address_probes(void **state)
{
	char text[512];
	struct config *cfg;
	uint32_t want, got;

	/* where "a" lands alone... */
	cfg = load("net.address = 10.1.0.1/16\n"
		   "service.a.exec = /bin/true\nservice.a.net = bridge\nservice.a.ip = auto\n");
	want = addr_of(cfg, "a");
	unload(cfg);
	/* ...is taken by a static address: "a" moves to the next one */
	snprintf(text, sizeof(text), "net.address = 10.1.0.1/16\n"
		 "service.a.exec = /bin/true\nservice.a.net = bridge\nservice.a.ip = auto\n"
		 "service.z.exec = /bin/true\nservice.z.net = bridge\nservice.z.ip = %u.%u.%u.%u\n",
		 want >> 24, (want >> 16) & 0xff, (want >> 8) & 0xff, want & 0xff);
	cfg = load(text);
	got = addr_of(cfg, "a");
	assert_int_equal(got, (want & 0xffff) == 0xfffe ? 0x0a010002 : want + 1);
	unload(cfg);
	/* ...or it is the bridge's own address */
	snprintf(text, sizeof(text), "net.address = %u.%u.%u.%u/16\n"
		 "service.a.exec = /bin/true\nservice.a.net = bridge\nservice.a.ip = auto\n",
		 want >> 24, (want >> 16) & 0xff, (want >> 8) & 0xff, want & 0xff);
	cfg = load(text);
	assert_int_not_equal(addr_of(cfg, "a"), want);
	unload(cfg);
}

static void test_auto_address_full(void **state)
{
	struct config *cfg = load(
		"net.address = 192.168.9.1/30\n"
		"service.a.exec = /bin/true\nservice.a.net = bridge\n"
		"service.b.exec = /bin/true\nservice.b.net = bridge\n");
	struct in_addr x;

	/* a /30 has two hosts: the bridge's and one more */
	assert_int_equal(addr_of(cfg, "a"), 0xc0a80902);
	assert_int_equal(net_service_address(cfg, config_find(cfg, "b"), &x), -ENOSPC);
	unload(cfg);
	cfg = load("service.a.exec = /bin/true\nservice.a.net = bridge\n");
	assert_int_equal(net_service_address(cfg, config_find(cfg, "a"), &x), -EDESTADDRREQ);
	unload(cfg);
}

/* ---- nf_tables messages ---------------------------------------------------- */

/* The attributes of a nest (or message payload), by type. */
struct attrs {
	const struct nlattr *a[NFTA_RULE_MAX + 16];
	int n;
	bool is_list;                   /* collect NFTA_LIST_ELEM in order */
	const struct nlattr *list[16];
};

static int take(const struct nlattr *a, void *data)
{
	struct attrs *t = data;
	uint16_t type = mnl_attr_get_type(a);

	if (t->is_list && type == NFTA_LIST_ELEM && t->n < 16)
		t->list[t->n++] = a;
	else if (type < NFTA_RULE_MAX + 16)
		t->a[type] = a;
	return MNL_CB_OK;
}

static struct attrs nested_as(const struct nlattr *nest, bool is_list)
{
	struct attrs t;

	memset(&t, 0, sizeof(t));
	t.is_list = is_list;
	assert_non_null(nest);
	assert_int_equal(mnl_attr_parse_nested(nest, take, &t), MNL_CB_OK);
	return t;
}

static struct attrs nested(const struct nlattr *nest)
{
	return nested_as(nest, false);
}

static uint32_t be32(const struct attrs *t, int type)
{
	assert_non_null(t->a[type]);
	assert_int_equal(mnl_attr_get_payload_len(t->a[type]), 4);
	return ntohl(mnl_attr_get_u32(t->a[type]));
}

/* NFTA_DATA_VALUE inside attribute @type of @t: @len bytes equal to @v */
static void assert_value(const struct attrs *t, int type, const void *v, size_t len)
{
	struct attrs d = nested(t->a[type]);

	assert_non_null(d.a[NFTA_DATA_VALUE]);
	assert_int_equal(mnl_attr_get_payload_len(d.a[NFTA_DATA_VALUE]), len);
	assert_memory_equal(mnl_attr_get_payload(d.a[NFTA_DATA_VALUE]), v, len);
}

/* Expression @i of the rule: its name checked, its data returned. */
static struct attrs expr(const struct attrs *exprs, int i, const char *name)
{
	struct attrs e = nested(exprs->list[i]);

	assert_non_null(e.a[NFTA_EXPR_NAME]);
	assert_string_equal(mnl_attr_get_str(e.a[NFTA_EXPR_NAME]), name);
	if (!e.a[NFTA_EXPR_DATA]) {
		memset(&e, 0, sizeof(e));
		return e;
	}
	return nested(e.a[NFTA_EXPR_DATA]);
}

/* The rule message: header, nfgenmsg, table, chain; its expressions. */
static struct attrs rule(const struct nlmsghdr *h, const char *chain)
{
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(h);
	struct attrs top;

	memset(&top, 0, sizeof(top));
	assert_int_equal(h->nlmsg_type, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE);
	assert_int_equal(h->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_APPEND);
	assert_int_equal(h->nlmsg_len % 4, 0);
	assert_true(h->nlmsg_len <= NAT_MSG_MAX);
	assert_int_equal(g->nfgen_family, NFPROTO_IPV4);
	assert_int_equal(g->version, NFNETLINK_V0);
	mnl_attr_parse(h, sizeof(*g), take, &top);
	assert_string_equal(mnl_attr_get_str(top.a[NFTA_RULE_TABLE]), "boxinit");
	assert_string_equal(mnl_attr_get_str(top.a[NFTA_RULE_CHAIN]), chain);
	return nested_as(top.a[NFTA_RULE_EXPRESSIONS], true);
}

static void test_nft_dnat_rule(void **state)
{
	char buf[NAT_MSG_MAX] __attribute__((aligned(4)));
	struct nl nl = { .seq = 41 };
	struct nat_fwd f = { IPPROTO_TCP, 8080, { htonl(0xc0a80105) }, 80 };
	struct nlmsghdr *h = nat_put_dnat(&nl, buf, "prerouting", &f);
	struct attrs x = rule(h, "prerouting"), e;
	uint32_t local = RTN_LOCAL;
	uint16_t port = htons(8080), to_port = htons(80);
	uint8_t tcp = IPPROTO_TCP;

	assert_int_equal(h->nlmsg_seq, 42);
	assert_int_equal(x.n, 9);
	/* fib daddr type local */
	e = expr(&x, 0, "fib");
	assert_int_equal(be32(&e, NFTA_FIB_DREG), NFT_REG_1);
	assert_int_equal(be32(&e, NFTA_FIB_RESULT), NFT_FIB_RESULT_ADDRTYPE);
	assert_int_equal(be32(&e, NFTA_FIB_FLAGS), NFTA_FIB_F_DADDR);
	e = expr(&x, 1, "cmp");
	assert_int_equal(be32(&e, NFTA_CMP_SREG), NFT_REG_1);
	assert_int_equal(be32(&e, NFTA_CMP_OP), NFT_CMP_EQ);
	assert_value(&e, NFTA_CMP_DATA, &local, 4);
	/* meta l4proto tcp */
	e = expr(&x, 2, "meta");
	assert_int_equal(be32(&e, NFTA_META_KEY), NFT_META_L4PROTO);
	assert_int_equal(be32(&e, NFTA_META_DREG), NFT_REG_1);
	e = expr(&x, 3, "cmp");
	assert_value(&e, NFTA_CMP_DATA, &tcp, 1);
	/* th dport 8080 */
	e = expr(&x, 4, "payload");
	assert_int_equal(be32(&e, NFTA_PAYLOAD_BASE), NFT_PAYLOAD_TRANSPORT_HEADER);
	assert_int_equal(be32(&e, NFTA_PAYLOAD_OFFSET), 2);
	assert_int_equal(be32(&e, NFTA_PAYLOAD_LEN), 2);
	assert_int_equal(be32(&e, NFTA_PAYLOAD_DREG), NFT_REG_1);
	e = expr(&x, 5, "cmp");
	assert_int_equal(be32(&e, NFTA_CMP_OP), NFT_CMP_EQ);
	assert_value(&e, NFTA_CMP_DATA, &port, 2);
	/* dnat to 192.168.1.5:80 */
	e = expr(&x, 6, "immediate");
	assert_int_equal(be32(&e, NFTA_IMMEDIATE_DREG), NFT_REG_1);
	assert_value(&e, NFTA_IMMEDIATE_DATA, &f.to, 4);
	e = expr(&x, 7, "immediate");
	assert_int_equal(be32(&e, NFTA_IMMEDIATE_DREG), NFT_REG_2);
	assert_value(&e, NFTA_IMMEDIATE_DATA, &to_port, 2);
	e = expr(&x, 8, "nat");
	assert_int_equal(be32(&e, NFTA_NAT_TYPE), NFT_NAT_DNAT);
	assert_int_equal(be32(&e, NFTA_NAT_FAMILY), NFPROTO_IPV4);
	assert_int_equal(be32(&e, NFTA_NAT_REG_ADDR_MIN), NFT_REG_1);
	assert_int_equal(be32(&e, NFTA_NAT_REG_PROTO_MIN), NFT_REG_2);
}

static void test_nft_masq_rule(void **state)
{
	char buf[NAT_MSG_MAX] __attribute__((aligned(4)));
	struct nl nl = { 0 };
	struct nat_spec s = { .masq = true, .net = { htonl(0xc0a80100) }, .prefix = 24,
			      .oif = "br0", .oif_not = true };
	struct attrs x = rule(nat_put_masq(&nl, buf, &s), "postrouting"), e;
	uint32_t mask = htonl(0xffffff00), zero = 0;
	char ifname[IFNAMSIZ] = "br0";

	assert_int_equal(x.n, 6);
	/* ip saddr 192.168.1.0/24: load 4 bytes at 12, mask, compare */
	e = expr(&x, 0, "payload");
	assert_int_equal(be32(&e, NFTA_PAYLOAD_BASE), NFT_PAYLOAD_NETWORK_HEADER);
	assert_int_equal(be32(&e, NFTA_PAYLOAD_OFFSET), 12);
	assert_int_equal(be32(&e, NFTA_PAYLOAD_LEN), 4);
	e = expr(&x, 1, "bitwise");
	assert_int_equal(be32(&e, NFTA_BITWISE_SREG), NFT_REG_1);
	assert_int_equal(be32(&e, NFTA_BITWISE_DREG), NFT_REG_1);
	assert_int_equal(be32(&e, NFTA_BITWISE_LEN), 4);
	assert_value(&e, NFTA_BITWISE_MASK, &mask, 4);
	assert_value(&e, NFTA_BITWISE_XOR, &zero, 4);
	e = expr(&x, 2, "cmp");
	assert_int_equal(be32(&e, NFTA_CMP_OP), NFT_CMP_EQ);
	assert_value(&e, NFTA_CMP_DATA, &s.net, 4);
	/* oifname != "br0": the full IFNAMSIZ, NUL-padded */
	e = expr(&x, 3, "meta");
	assert_int_equal(be32(&e, NFTA_META_KEY), NFT_META_OIFNAME);
	e = expr(&x, 4, "cmp");
	assert_int_equal(be32(&e, NFTA_CMP_OP), NFT_CMP_NEQ);
	assert_value(&e, NFTA_CMP_DATA, ifname, IFNAMSIZ);
	expr(&x, 5, "masq");

	/* net.nat = eth0: oifname == "eth0" */
	s.oif = "eth0";
	s.oif_not = false;
	x = rule(nat_put_masq(&nl, buf, &s), "postrouting");
	e = expr(&x, 4, "cmp");
	assert_int_equal(be32(&e, NFTA_CMP_OP), NFT_CMP_EQ);
	strcpy(ifname, "eth0");
	assert_value(&e, NFTA_CMP_DATA, ifname, IFNAMSIZ);
}

/* The message types of a batch, in order; checks sequence and flags. */
static int batch_types(const void *buf, int len, uint16_t *types, int max)
{
	const struct nlmsghdr *h = buf;
	uint32_t seq = 0;
	int n = 0;

	for (; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
		const struct nfgenmsg *g = mnl_nlmsg_get_payload(h);
		bool edge = h->nlmsg_type == NFNL_MSG_BATCH_BEGIN ||
			    h->nlmsg_type == NFNL_MSG_BATCH_END;

		assert_true(h->nlmsg_seq > seq);
		seq = h->nlmsg_seq;
		assert_int_equal(!!(h->nlmsg_flags & NLM_F_ACK), !edge);
		if (edge)
			assert_int_equal(ntohs(g->res_id), NFNL_SUBSYS_NFTABLES);
		if (n < max)
			types[n] = h->nlmsg_type & 0xff;
		n++;
	}
	assert_int_equal(len, 0);
	return n;
}

static void test_nft_batch(void **state)
{
	struct nat_fwd f[2] = {
		{ IPPROTO_TCP, 8080, { htonl(0xc0a80105) }, 80 },
		{ IPPROTO_UDP, 5353, { htonl(0xc0a80106) }, 53 },
	};
	struct nat_spec s = { .masq = true, .net = { htonl(0xc0a80100) }, .prefix = 24,
			      .oif = "br0", .oif_not = true, .fwd = f, .nfwd = 2 };
	enum { B = NFNL_MSG_BATCH_BEGIN, E = NFNL_MSG_BATCH_END,
	       T = NFT_MSG_NEWTABLE, D = NFT_MSG_DELTABLE, C = NFT_MSG_NEWCHAIN,
	       R = NFT_MSG_NEWRULE };
	const uint16_t full[] = { B, T, D, T, C, R, C, R, R, C, R, R, E };
	const uint16_t removal[] = { B, T, D, E };
	size_t size = nat_size(&s);
	void *buf = malloc(size);
	uint16_t types[32];
	struct nl nl = { 0 };
	int n;

	n = nat_build(&nl, &s, buf, size);
	assert_true(n > 0);
	assert_int_equal(batch_types(buf, n, types, 32), (int)ARRAY_SIZE(full));
	assert_memory_equal(types, full, sizeof(full));
	n = nat_build(&nl, NULL, buf, nat_size(NULL));
	assert_int_equal(batch_types(buf, n, types, 32), (int)ARRAY_SIZE(removal));
	assert_memory_equal(types, removal, sizeof(removal));
	/* no port forwards: no prerouting/output chains */
	s.nfwd = 0;
	n = nat_build(&nl, &s, buf, size);
	assert_int_equal(batch_types(buf, n, types, 32), 7);
	/* a buffer too small is refused, never overrun */
	s.nfwd = 2;
	assert_int_equal(nat_build(&nl, &s, buf, 3 * NAT_MSG_MAX), -EMSGSIZE);
	assert_int_equal(nat_build(&nl, &s, buf, NAT_MSG_MAX), -EMSGSIZE);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_veth_names),
		cmocka_unit_test(test_auto_address),
		cmocka_unit_test(test_auto_address_probes),
		cmocka_unit_test(test_auto_address_full),
		cmocka_unit_test(test_nft_dnat_rule),
		cmocka_unit_test(test_nft_masq_rule),
		cmocka_unit_test(test_nft_batch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
