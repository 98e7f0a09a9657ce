/* SPDX-License-Identifier: MIT */
/* nat6: the rules of table ip6 boxinit. See nat.h. */
#include <string.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>

#include "nat.h"
#include "nft.h"

/* IPv6 header offsets of the source and destination address */
#define IP6_SADDR 8
#define IP6_DADDR 24

struct nlmsghdr *nat6_put_masq(struct nl *nl, void *buf, const struct nat_spec *s)
{
	struct nlattr *exprs;
	struct nlmsghdr *h = nft_rule_begin(nl, buf, NFPROTO_IPV6, "postrouting", &exprs);

	nft_prefix(h, IP6_SADDR, &s->net6, s->prefix6, 16);    /* ip6 saddr NET/N */
	nft_ifname(h, NFT_META_OIFNAME, s->oif6_not ? NFT_CMP_NEQ : NFT_CMP_EQ, s->oif6);
	nft_expr_put(h, "masq", 0, NULL);
	mnl_attr_nest_end(h, exprs);
	return h;
}

struct nlmsghdr *nat6_put_hairpin(struct nl *nl, void *buf, const struct nat_spec *s)
{
	struct nlattr *exprs;
	struct nlmsghdr *h = nft_rule_begin(nl, buf, NFPROTO_IPV6, "postrouting", &exprs);

	nft_prefix(h, IP6_SADDR, &s->net6, s->prefix6, 16);
	nft_prefix(h, IP6_DADDR, &s->net6, s->prefix6, 16);
	nft_expr_put(h, "masq", 0, NULL);
	mnl_attr_nest_end(h, exprs);
	return h;
}

struct nlmsghdr *nat6_put_dnat(struct nl *nl, void *buf, const char *chain,
			       const struct nat_fwd6 *f, bool not_loopback)
{
	const uint32_t fib[] = { NFTA_FIB_DREG, NFT_REG_1,
				 NFTA_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE,
				 NFTA_FIB_FLAGS, NFTA_FIB_F_DADDR };
	const uint32_t nat[] = { NFTA_NAT_TYPE, NFT_NAT_DNAT, NFTA_NAT_FAMILY, NFPROTO_IPV6,
				 NFTA_NAT_REG_ADDR_MIN, NFT_REG_1,
				 NFTA_NAT_REG_PROTO_MIN, NFT_REG_2 };
	uint32_t local = RTN_LOCAL;     /* the fib result: host byte order */
	uint16_t port = htons(f->port), to_port = htons(f->to_port);
	struct nlattr *exprs;
	struct nlmsghdr *h = nft_rule_begin(nl, buf, NFPROTO_IPV6, chain, &exprs);

	nft_expr_put(h, "fib", 3, fib);
	nft_cmp(h, NFT_CMP_EQ, &local, sizeof(local));
	if (not_loopback) {
		/* a reply to ::1 from the bridge cannot be routed: nat.h */
		nft_payload(h, NFT_PAYLOAD_NETWORK_HEADER, IP6_DADDR, 16);
		nft_cmp(h, NFT_CMP_NEQ, &in6addr_loopback, 16);
	}
	nft_meta(h, NFT_META_L4PROTO);
	nft_cmp(h, NFT_CMP_EQ, &f->proto, 1);
	nft_payload(h, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);     /* th dport */
	nft_cmp(h, NFT_CMP_EQ, &port, 2);
	nft_immediate(h, NFT_REG_1, &f->to, 16);
	nft_immediate(h, NFT_REG_2, &to_port, 2);
	nft_expr_put(h, "nat", 4, nat);
	mnl_attr_nest_end(h, exprs);
	return h;
}
