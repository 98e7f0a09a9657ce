// SPDX-License-Identifier: MIT
/*
 * boxinit's IPv6 nftables rules (modules/net/nat6.c, antispoof.c) and the
 * table ip6 boxinit in the batch (nat.c), attribute by attribute; the
 * IPv6 addresses of services (net_addr.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>

#include "antispoof.h"
#include "config.h"
#include "mnl.h"
#include "nat.h"
#include "net.h"
#include "netlink.h"
#include "util.h"

#include "nft_attrs.h"

static struct in6_addr a6(const char *text)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, text, &a), 1);
	return a;
}

static void test_nat6_rules(void **state)
{
	char buf[NAT_MSG_MAX] __attribute__((aligned(4)));
	struct nl nl = { 0 };
	struct nat_spec s = { .masq6 = true, .net6 = a6("fd00:b0::"), .prefix6 = 64,
			      .oif6 = "br0", .oif6_not = true, .bridge = "br0" };
	struct nat_fwd6 f = { IPPROTO_TCP, 8080, a6("fd00:b0::10"), 80 };
	struct in6_addr mask = a6("ffff:ffff:ffff:ffff::");
	uint16_t port = htons(8080), to_port = htons(80);
	uint32_t local = RTN_LOCAL;
	struct attrs x, e;

	/* ip6 saddr fd00:b0::/64 oifname != "br0" masquerade */
	x = rule_of(nat6_put_masq(&nl, buf, &s), NFPROTO_IPV6, "postrouting");
	assert_int_equal(x.n, 6);
	assert_prefix(&x, 0, 8, &mask, &s.net6, 16);
	e = expr(&x, 4, "cmp");
	assert_int_equal(be32(&e, NFTA_CMP_OP), NFT_CMP_NEQ);
	expr(&x, 5, "masq");
	/* hairpin: saddr and daddr in the prefix */
	x = rule_of(nat6_put_hairpin(&nl, buf, &s), NFPROTO_IPV6, "postrouting");
	assert_int_equal(x.n, 7);
	assert_prefix(&x, 0, 8, &mask, &s.net6, 16);
	assert_prefix(&x, 3, 24, &mask, &s.net6, 16);
	/* prerouting: fib daddr type local, tcp dport 8080, dnat to [addr]:80 */
	x = rule_of(nat6_put_dnat(&nl, buf, "prerouting", &f, false), NFPROTO_IPV6,
		    "prerouting");
	assert_int_equal(x.n, 9);
	expr(&x, 0, "fib");
	e = expr(&x, 1, "cmp");
	assert_value(&e, NFTA_CMP_DATA, &local, 4);
	e = expr(&x, 5, "cmp");
	assert_value(&e, NFTA_CMP_DATA, &port, 2);
	e = expr(&x, 6, "immediate");
	assert_value(&e, NFTA_IMMEDIATE_DATA, &f.to, 16);
	e = expr(&x, 7, "immediate");
	assert_value(&e, NFTA_IMMEDIATE_DATA, &to_port, 2);
	e = expr(&x, 8, "nat");
	assert_int_equal(be32(&e, NFTA_NAT_FAMILY), NFPROTO_IPV6);
	assert_int_equal(be32(&e, NFTA_NAT_TYPE), NFT_NAT_DNAT);
	/* output: also ip6 daddr != ::1 (relayed instead) */
	x = rule_of(nat6_put_dnat(&nl, buf, "output", &f, true), NFPROTO_IPV6, "output");
	assert_int_equal(x.n, 11);
	e = expr(&x, 2, "payload");
	assert_int_equal(be32(&e, NFTA_PAYLOAD_OFFSET), 24);
	assert_int_equal(be32(&e, NFTA_PAYLOAD_LEN), 16);
	e = expr(&x, 3, "cmp");
	assert_int_equal(be32(&e, NFTA_CMP_OP), NFT_CMP_NEQ);
	assert_value(&e, NFTA_CMP_DATA, &in6addr_loopback, 16);
}

static void test_spoof6_rules(void **state)
{
	char buf[NAT_MSG_MAX] __attribute__((aligned(4)));
	struct nl nl = { 0 };
	struct spoof_port p = { .ifname = "bxweb", .mac = { 2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee },
				.has_ip6 = true, .ip6 = a6("fd00:b0::10"),
				.ll6 = a6("fe80::aa:bbff:fecc:ddee") };
	const uint8_t mac_ip6[8] = { 2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x86, 0xdd };
	const uint8_t ip6type[2] = { 0x86, 0xdd }, icmpv6 = 58, na = 136;
	struct attrs x, e;

	/* neighbour advertisements for someone else's address: dropped */
	x = rule_of(spoof_put_na_guard(&nl, buf, &p), NFPROTO_BRIDGE, "ports");
	assert_int_equal(x.n, 12);
	assert_iifname(&x, 0, "bxweb", IFNAMSIZ);
	assert_match(&x, 2, NFT_PAYLOAD_LL_HEADER, 12, ip6type, 2);
	e = expr(&x, 4, "meta");
	assert_int_equal(be32(&e, NFTA_META_KEY), NFT_META_L4PROTO);
	e = expr(&x, 5, "cmp");
	assert_value(&e, NFTA_CMP_DATA, &icmpv6, 1);
	assert_match(&x, 6, NFT_PAYLOAD_TRANSPORT_HEADER, 0, &na, 1);
	e = expr(&x, 8, "payload");
	assert_int_equal(be32(&e, NFTA_PAYLOAD_OFFSET), 8);
	assert_int_equal(be32(&e, NFTA_PAYLOAD_LEN), 16);
	e = expr(&x, 9, "cmp");
	assert_int_equal(be32(&e, NFTA_CMP_OP), NFT_CMP_NEQ);
	assert_value(&e, NFTA_CMP_DATA, &p.ip6, 16);
	e = expr(&x, 10, "cmp");
	assert_int_equal(be32(&e, NFTA_CMP_OP), NFT_CMP_NEQ);
	assert_value(&e, NFTA_CMP_DATA, &p.ll6, 16);
	assert_verdict(&x, 11, NF_DROP);
	/* from its MAC and its address, or its link-local address: accepted */
	for (int ll = 0; ll < 2; ll++) {
		x = rule_of(spoof_put_ipv6(&nl, buf, &p, ll), NFPROTO_BRIDGE, "ports");
		assert_int_equal(x.n, 7);
		assert_iifname(&x, 0, "bxweb", IFNAMSIZ);
		assert_match(&x, 2, NFT_PAYLOAD_LL_HEADER, 6, mac_ip6, 8);
		assert_match(&x, 4, NFT_PAYLOAD_NETWORK_HEADER, 8, ll ? &p.ll6 : &p.ip6, 16);
		assert_verdict(&x, 6, NF_ACCEPT);
	}
}

/* The message types of a batch, in order. */
static int types_of(const void *buf, int len, uint16_t *types, uint8_t *fam, int max)
{
	const struct nlmsghdr *h = buf;
	int n = 0;

	for (; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len), n++) {
		if (n < max) {
			types[n] = h->nlmsg_type & 0xff;
			fam[n] = ((const struct nfgenmsg *)mnl_nlmsg_get_payload(h))->nfgen_family;
		}
	}
	assert_int_equal(len, 0);
	return n;
}

static void test_batch_ip6(void **state)
{
	struct nat_fwd6 f = { IPPROTO_TCP, 8080, a6("fd00:b0::10"), 80 };
	struct spoof_port g = { .ifname = "bxweb", .mac = { 2, 1, 2, 3, 4, 5 }, .has_ip6 = true };
	struct nat_spec s = { .masq6 = true, .net6 = a6("fd00:b0::"), .prefix6 = 64,
			      .oif6 = "br0", .oif6_not = true, .bridge = "br0", .fwd6 = &f,
			      .nfwd6 = 1, .guard = &g, .nguard = 1 };
	enum { B = NFNL_MSG_BATCH_BEGIN, E = NFNL_MSG_BATCH_END, T = NFT_MSG_NEWTABLE,
	       D = NFT_MSG_DELTABLE, C = NFT_MSG_NEWCHAIN, R = NFT_MSG_NEWRULE };
	enum { I = NFPROTO_IPV4, X = NFPROTO_BRIDGE, S = NFPROTO_IPV6, U = NFPROTO_UNSPEC };
	/* no IPv4 NAT: ip boxinit only dropped; bridge with the IPv6 rules; ip6 */
	const uint16_t want[] = { B, T, D, T, D, T, D, T, C, R, R, R, R, R, R, T, C, R, R,
				  C, R, C, R, E };
	const uint8_t fams[] = { U, I, I, X, X, S, S, X, X, X, X, X, X, X, X, S, S, S, S,
				 S, S, S, S, U };
	size_t size = nat_size(&s);
	void *buf = malloc(size);
	uint16_t types[40];
	uint8_t fam[40];
	struct nl nl = { 0 };
	int n = nat_build(&nl, &s, NAT_T_ALL, buf, size);

	assert_true(n > 0);
	assert_int_equal(types_of(buf, n, types, fam, 40), (int)ARRAY_SIZE(want));
	assert_memory_equal(types, want, sizeof(want));
	assert_memory_equal(fam, fams, sizeof(fams));
	/* the removal drops all three */
	n = nat_build(&nl, NULL, NAT_T_ALL, buf, nat_size(NULL));
	assert_int_equal(types_of(buf, n, types, fam, 40), 8);
	assert_int_equal(fam[5], NFPROTO_IPV6);
	assert_int_equal(nat_table_of(NFPROTO_IPV6), NAT_T_IP6);
	free(buf);
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

static void test_address6(void **state)
{
	const char *text = "net.address6 = fd00:b0::1/64\n"
			   "service.a.exec = /bin/true\nservice.a.net = bridge\n"
			   "service.b.exec = /bin/true\nservice.b.net = bridge\nservice.b.ip6 = auto\n"
			   "service.c.exec = /bin/true\nservice.c.net = bridge\n"
			   "service.c.ip6 = fd00:b0::c\n"
			   "service.d.exec = /bin/true\nservice.d.net = none\n";
	struct config *cfg = load(text), *again = load(text);
	struct in6_addr x, y, net = a6("fd00:b0::");
	uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	char t[INET6_ADDRSTRLEN];

	/* auto: inside the prefix, not the bridge's, stable, distinct */
	assert_int_equal(net_service_address6(cfg, config_find(cfg, "a"), &x), 0);
	assert_memory_equal(&x, &net, 8);
	assert_memory_not_equal(&x, &cfg->net_addr6, 16);
	assert_int_equal(net_service_address6(again, config_find(again, "a"), &y), 0);
	assert_memory_equal(&x, &y, 16);
	assert_int_equal(net_service_address6(cfg, config_find(cfg, "b"), &y), 0);
	assert_memory_not_equal(&x, &y, 16);
	assert_int_equal(net_service_address6(cfg, config_find(cfg, "c"), &y), 0);
	assert_string_equal(inet_ntop(AF_INET6, &y, t, sizeof(t)), "fd00:b0::c");
	assert_int_equal(net_service_address6(cfg, config_find(cfg, "d"), &y), -EINVAL);
	config_free(cfg);
	free(cfg);
	config_free(again);
	free(again);
	/* a small prefix: probing past the bridge and each other, then full */
	cfg = load("net.address6 = fd00::1/126\n"
		   "service.a.exec = /bin/true\nservice.a.net = bridge\n"
		   "service.b.exec = /bin/true\nservice.b.net = bridge\n");
	assert_int_equal(net_service_address6(cfg, config_find(cfg, "a"), &x), 0);
	assert_int_equal(net_service_address6(cfg, config_find(cfg, "b"), &y), 0);
	assert_memory_not_equal(&x, &y, 16);
	assert_true(x.s6_addr[15] >= 1 && x.s6_addr[15] <= 3 && x.s6_addr[15] != 1);
	assert_true(y.s6_addr[15] >= 1 && y.s6_addr[15] <= 3 && y.s6_addr[15] != 1);
	config_free(cfg);
	free(cfg);
	cfg = load("service.a.exec = /bin/true\nservice.a.net = bridge\n");
	assert_int_equal(net_service_address6(cfg, config_find(cfg, "a"), &x), -EDESTADDRREQ);
	config_free(cfg);
	free(cfg);
	/* link-local: fe80:: and the modified EUI-64 of the MAC */
	net_link_local(mac, &x);
	assert_string_equal(inet_ntop(AF_INET6, &x, t, sizeof(t)), "fe80::11:22ff:fe33:4455");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nat6_rules),
		cmocka_unit_test(test_spoof6_rules),
		cmocka_unit_test(test_batch_ip6),
		cmocka_unit_test(test_address6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
