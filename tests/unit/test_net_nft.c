// SPDX-License-Identifier: MIT
/*
 * Unit tests for boxinit's nftables rules (modules/net/nat.c, antispoof.c,
 * nft.c): the layout of the nf_tables messages, checked attribute by
 * attribute against linux/netfilter/nf_tables.h (structure, not byte
 * blobs), and the batches that hold them.
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

#include "antispoof.h"
#include "config.h"
#include "mnl.h"
#include "nat.h"
#include "net.h"
#include "netlink.h"
#include "util.h"

#include "nft_attrs.h"

/* ---- nf_tables messages ---------------------------------------------------- */

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

/* Hairpin, localhost and the loopback guard of the port forwards. */
static void test_nft_hairpin_localhost(void **state)
{
	char buf[NAT_MSG_MAX] __attribute__((aligned(4)));
	struct nl nl = { 0 };
	struct nat_spec s = { .net = { htonl(0xc0a80100) }, .prefix = 24, .bridge = "br0" };
	uint32_t mask24 = htonl(0xffffff00), mask8 = htonl(0xff000000), lo = htonl(0x7f000000);
	char ifname[IFNAMSIZ] = "br0";
	struct attrs x, e;

	/* ip saddr 192.168.1.0/24 ip daddr 192.168.1.0/24 masquerade */
	x = rule(nat_put_hairpin(&nl, buf, &s), "postrouting");
	assert_int_equal(x.n, 7);
	assert_prefix(&x, 0, 12, &mask24, &s.net, 4);
	assert_prefix(&x, 3, 16, &mask24, &s.net, 4);
	expr(&x, 6, "masq");
	/* ip saddr 127.0.0.0/8 oifname "br0" masquerade */
	x = rule(nat_put_localhost(&nl, buf, &s), "postrouting");
	assert_int_equal(x.n, 6);
	assert_prefix(&x, 0, 12, &mask8, &lo, 4);
	e = expr(&x, 3, "meta");
	assert_int_equal(be32(&e, NFTA_META_KEY), NFT_META_OIFNAME);
	e = expr(&x, 4, "cmp");
	assert_int_equal(be32(&e, NFTA_CMP_OP), NFT_CMP_EQ);
	assert_value(&e, NFTA_CMP_DATA, ifname, IFNAMSIZ);
	expr(&x, 5, "masq");
	/* iifname "br0" ip daddr 127.0.0.0/8 drop, in chain localnet */
	x = rule(nat_put_localnet_drop(&nl, buf, &s), NAT_LOCALNET);
	assert_int_equal(x.n, 6);
	e = expr(&x, 0, "meta");
	assert_int_equal(be32(&e, NFTA_META_KEY), NFT_META_IIFNAME);
	e = expr(&x, 1, "cmp");
	assert_value(&e, NFTA_CMP_DATA, ifname, IFNAMSIZ);
	assert_prefix(&x, 2, 16, &mask8, &lo, 4);
	e = expr(&x, 5, "immediate");
	assert_int_equal(be32(&e, NFTA_IMMEDIATE_DREG), NFT_REG_VERDICT);
}

/* The message types of a batch, in order; checks sequence and flags. */
static uint8_t families[64];

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
		if (n < 64)
			families[n] = g->nfgen_family;
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
	struct spoof_port g[2] = {
		{ .ifname = "bxweb", .mac = { 2, 1, 2, 3, 4, 5 }, .has_ip = true,
		  .ip = { htonl(0xc0a80105) } },
		{ .ifname = "bxdns", .mac = { 2, 1, 2, 3, 4, 6 }, .has_ip = true,
		  .ip = { htonl(0xc0a80106) } },
	};
	struct nat_spec s = { .masq = true, .net = { htonl(0xc0a80100) }, .prefix = 24,
			      .oif = "br0", .oif_not = true, .fwd = f, .nfwd = 2,
			      .guard = g, .nguard = 2 };
	enum { B = NFNL_MSG_BATCH_BEGIN, E = NFNL_MSG_BATCH_END,
	       T = NFT_MSG_NEWTABLE, D = NFT_MSG_DELTABLE, C = NFT_MSG_NEWCHAIN,
	       R = NFT_MSG_NEWRULE };
	enum { I = NFPROTO_IPV4, X = NFPROTO_BRIDGE, U = NFPROTO_UNSPEC };
	const uint16_t full[] = { B, T, D, T, D, T, C, R, C, R, R, C, R, R,
				  T, C, R, R, R, R, R, E };
	const uint8_t full_fam[] = { U, I, I, X, X, I, I, I, I, I, I, I, I, I,
				     X, X, X, X, X, X, X, U };
	const uint16_t removal[] = { B, T, D, T, D, E };
	const uint16_t ip_only[] = { B, T, D, T, C, R, C, R, R, C, R, R, E };
	const uint16_t ip_loop[] = { B, T, D, T, C, R, R, R, C, R, R, C, R, R, C, R, E };
	const uint16_t bridge_only[] = { B, T, D, T, D, T, C, R, R, R, R, R, E };
	size_t size = nat_size(&s);
	void *buf = malloc(size);
	uint16_t types[32];
	struct nl nl = { 0 };
	int n;

	/* both tables, each dropped first, in one batch */
	n = nat_build(&nl, &s, NAT_T_IP | NAT_T_BRIDGE, buf, size);
	assert_true(n > 0);
	assert_int_equal(batch_types(buf, n, types, 32), (int)ARRAY_SIZE(full));
	assert_memory_equal(types, full, sizeof(full));
	assert_memory_equal(families, full_fam, sizeof(full_fam));
	n = nat_build(&nl, NULL, NAT_T_IP | NAT_T_BRIDGE, buf, nat_size(NULL));
	assert_int_equal(batch_types(buf, n, types, 32), (int)ARRAY_SIZE(removal));
	assert_memory_equal(types, removal, sizeof(removal));
	/* the kernel has no bridge family: the ip table alone */
	n = nat_build(&nl, &s, NAT_T_IP, buf, size);
	assert_int_equal(batch_types(buf, n, types, 32), (int)ARRAY_SIZE(ip_only));
	assert_memory_equal(types, ip_only, sizeof(ip_only));
	/* no NAT at all (net.nat = off, no ports): anti-spoofing all the same */
	s.masq = false;
	s.nfwd = 0;
	n = nat_build(&nl, &s, NAT_T_IP | NAT_T_BRIDGE, buf, size);
	assert_int_equal(batch_types(buf, n, types, 32), (int)ARRAY_SIZE(bridge_only));
	assert_memory_equal(types, bridge_only, sizeof(bridge_only));
	assert_int_equal(families[5], NFPROTO_BRIDGE);
	/* no port forwards: no prerouting/output chains; no service ports:
	 * no bridge table (its old one is still dropped) */
	s.masq = true;
	s.nguard = 0;
	n = nat_build(&nl, &s, NAT_T_IP | NAT_T_BRIDGE, buf, size);
	assert_int_equal(batch_types(buf, n, types, 32), 9);
	/* a buffer too small is refused, never overrun */
	s.nfwd = 2;
	s.nguard = 2;
	assert_int_equal(nat_build(&nl, &s, NAT_T_IP | NAT_T_BRIDGE, buf, 3 * NAT_MSG_MAX),
			 -EMSGSIZE);
	assert_int_equal(nat_build(&nl, &s, NAT_T_IP, buf, NAT_MSG_MAX), -EMSGSIZE);
	/* with the bridge known: hairpin and localhost after the masquerade,
	 * the loopback guard last */
	s.bridge = "br0";
	n = nat_build(&nl, &s, NAT_T_IP, buf, size);
	assert_int_equal(batch_types(buf, n, types, 32), (int)ARRAY_SIZE(ip_loop));
	assert_memory_equal(types, ip_loop, sizeof(ip_loop));
	/* port forwards without net.nat: the same, without the masquerade */
	s.masq = false;
	n = nat_build(&nl, &s, NAT_T_IP, buf, size);
	assert_int_equal(batch_types(buf, n, types, 32), (int)ARRAY_SIZE(ip_loop) - 1);
	free(buf);
}

static void test_nft_spoof_rules(void **state)
{
	char buf[NAT_MSG_MAX] __attribute__((aligned(4)));
	struct nl nl = { 0 };
	struct spoof_port p = { .ifname = "bxweb", .mac = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee },
				.has_ip = true, .ip = { htonl(0xc0a80105) } };
	const uint8_t mac_ip[8] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x08, 0x00 };
	const uint8_t mac_arp[8] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x08, 0x06 };
	const uint8_t arp_hdr[6] = { 0, 1, 8, 0, 6, 4 };
	const uint8_t sender[10] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 192, 168, 1, 5 };
	struct nlmsghdr *h;
	struct attrs x, top;

	/* iifname "bxweb" ether saddr MAC ether type ip ip saddr IP accept */
	x = rule_of(spoof_put_ipv4(&nl, buf, &p), NFPROTO_BRIDGE, "ports");
	assert_int_equal(x.n, 7);
	assert_iifname(&x, 0, "bxweb", IFNAMSIZ);
	assert_match(&x, 2, NFT_PAYLOAD_LL_HEADER, 6, mac_ip, 8);
	assert_match(&x, 4, NFT_PAYLOAD_NETWORK_HEADER, 12, &p.ip, 4);
	assert_verdict(&x, 6, NF_ACCEPT);
	/* ARP for Ethernet/IPv4, sender MAC and address: the service's */
	x = rule_of(spoof_put_arp(&nl, buf, &p), NFPROTO_BRIDGE, "ports");
	assert_int_equal(x.n, 9);
	assert_iifname(&x, 0, "bxweb", IFNAMSIZ);
	assert_match(&x, 2, NFT_PAYLOAD_LL_HEADER, 6, mac_arp, 8);
	assert_match(&x, 4, NFT_PAYLOAD_NETWORK_HEADER, 0, arp_hdr, 6);
	assert_match(&x, 6, NFT_PAYLOAD_NETWORK_HEADER, 8, sender, 10);
	assert_verdict(&x, 8, NF_ACCEPT);
	/* without an address: the MAC only */
	p.has_ip = false;
	x = rule_of(spoof_put_ipv4(&nl, buf, &p), NFPROTO_BRIDGE, "ports");
	assert_int_equal(x.n, 5);
	assert_verdict(&x, 4, NF_ACCEPT);
	x = rule_of(spoof_put_arp(&nl, buf, &p), NFPROTO_BRIDGE, "ports");
	assert_match(&x, 6, NFT_PAYLOAD_NETWORK_HEADER, 8, sender, 6);
	/* last: iifname "bx*" drop (a 2-byte prefix compare) */
	x = rule_of(spoof_put_drop(&nl, buf), NFPROTO_BRIDGE, "ports");
	assert_int_equal(x.n, 3);
	assert_iifname(&x, 0, "bx", 2);
	assert_verdict(&x, 2, NF_DROP);
	/* the chain: filter hook prerouting priority -200, policy accept */
	h = spoof_put_chain(&nl, buf);
	assert_int_equal(h->nlmsg_type, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWCHAIN);
	assert_int_equal(((struct nfgenmsg *)mnl_nlmsg_get_payload(h))->nfgen_family,
			 NFPROTO_BRIDGE);
	memset(&top, 0, sizeof(top));
	mnl_attr_parse(h, sizeof(struct nfgenmsg), take, &top);
	assert_string_equal(mnl_attr_get_str(top.a[NFTA_CHAIN_TABLE]), "boxinit");
	assert_string_equal(mnl_attr_get_str(top.a[NFTA_CHAIN_NAME]), "ports");
	assert_string_equal(mnl_attr_get_str(top.a[NFTA_CHAIN_TYPE]), "filter");
	assert_int_equal(be32(&top, NFTA_CHAIN_POLICY), NF_ACCEPT);
	x = nested(top.a[NFTA_CHAIN_HOOK]);
	assert_int_equal(be32(&x, NFTA_HOOK_HOOKNUM), 0);       /* NF_BR_PRE_ROUTING */
	assert_int_equal((int32_t)be32(&x, NFTA_HOOK_PRIORITY), -200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nft_dnat_rule),
		cmocka_unit_test(test_nft_masq_rule),
		cmocka_unit_test(test_nft_batch),
		cmocka_unit_test(test_nft_hairpin_localhost),
		cmocka_unit_test(test_nft_spoof_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
