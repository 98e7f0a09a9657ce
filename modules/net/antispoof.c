/* SPDX-License-Identifier: MIT */
/* antispoof: table bridge boxinit, one filter per service port. See antispoof.h. */
#include <string.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "antispoof.h"
#include "nft.h"

/* the bridge family's hook and "filter" priority (linux/netfilter_bridge.h) */
#define BR_PRE_ROUTING     0
#define BR_PRI_FILTER    (-200)

/* iifname == @name: the whole IFNAMSIZ, NUL-padded, or its first @len bytes */
static void iifname(struct nlmsghdr *h, const char *name, size_t len)
{
	char ifname[IFNAMSIZ] = "";

	memcpy(ifname, name, strnlen(name, sizeof(ifname) - 1));
	nft_meta(h, NFT_META_IIFNAME);
	nft_cmp(h, NFT_CMP_EQ, ifname, len ? len : sizeof(ifname));
}

/* ether saddr MAC ether type @type: 8 bytes at link header + 6 */
static void ether_from(struct nlmsghdr *h, const uint8_t mac[6], uint16_t type)
{
	uint8_t v[8];
	uint16_t be = htons(type);

	memcpy(v, mac, 6);
	memcpy(v + 6, &be, 2);
	nft_payload(h, NFT_PAYLOAD_LL_HEADER, 6, sizeof(v));
	nft_cmp(h, NFT_CMP_EQ, v, sizeof(v));
}

static struct nlmsghdr *finish(struct nlmsghdr *h, struct nlattr *exprs, uint32_t verdict)
{
	nft_verdict(h, verdict);
	mnl_attr_nest_end(h, exprs);
	return h;
}

struct nlmsghdr *spoof_put_ipv4(struct nl *nl, void *buf, const struct spoof_port *p)
{
	struct nlattr *exprs;
	struct nlmsghdr *h = nft_rule_begin(nl, buf, NFPROTO_BRIDGE, SPOOF_CHAIN, &exprs);

	iifname(h, p->ifname, 0);
	ether_from(h, p->mac, ETH_P_IP);
	if (p->has_ip) {        /* ip saddr: network header + 12 */
		nft_payload(h, NFT_PAYLOAD_NETWORK_HEADER, 12, 4);
		nft_cmp(h, NFT_CMP_EQ, &p->ip, 4);
	}
	return finish(h, exprs, NF_ACCEPT);
}

struct nlmsghdr *spoof_put_arp(struct nl *nl, void *buf, const struct spoof_port *p)
{
	/* htype 1 (Ethernet), ptype 0x0800 (IPv4), hlen 6, plen 4 */
	static const uint8_t eth_ipv4[6] = { 0, 1, 8, 0, 6, 4 };
	uint8_t sender[10];     /* sha (6) and spa (4), at network header + 8 */
	struct nlattr *exprs;
	struct nlmsghdr *h = nft_rule_begin(nl, buf, NFPROTO_BRIDGE, SPOOF_CHAIN, &exprs);

	iifname(h, p->ifname, 0);
	ether_from(h, p->mac, ETH_P_ARP);
	nft_payload(h, NFT_PAYLOAD_NETWORK_HEADER, 0, sizeof(eth_ipv4));
	nft_cmp(h, NFT_CMP_EQ, eth_ipv4, sizeof(eth_ipv4));
	memcpy(sender, p->mac, 6);
	memcpy(sender + 6, &p->ip, 4);
	nft_payload(h, NFT_PAYLOAD_NETWORK_HEADER, 8, p->has_ip ? 10 : 6);
	nft_cmp(h, NFT_CMP_EQ, sender, p->has_ip ? 10 : 6);
	return finish(h, exprs, NF_ACCEPT);
}

struct nlmsghdr *spoof_put_na_guard(struct nl *nl, void *buf, const struct spoof_port *p)
{
	static const uint8_t icmpv6 = IPPROTO_ICMPV6, na = 136;   /* ND_NEIGHBOR_ADVERT */
	uint16_t ip6 = htons(ETH_P_IPV6);
	struct nlattr *exprs;
	struct nlmsghdr *h = nft_rule_begin(nl, buf, NFPROTO_BRIDGE, SPOOF_CHAIN, &exprs);

	iifname(h, p->ifname, 0);
	nft_payload(h, NFT_PAYLOAD_LL_HEADER, 12, 2);          /* ether type */
	nft_cmp(h, NFT_CMP_EQ, &ip6, 2);
	nft_meta(h, NFT_META_L4PROTO);
	nft_cmp(h, NFT_CMP_EQ, &icmpv6, 1);
	nft_payload(h, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);     /* icmpv6 type */
	nft_cmp(h, NFT_CMP_EQ, &na, 1);
	nft_payload(h, NFT_PAYLOAD_TRANSPORT_HEADER, 8, 16);    /* nd target */
	nft_cmp(h, NFT_CMP_NEQ, &p->ip6, 16);
	nft_cmp(h, NFT_CMP_NEQ, &p->ll6, 16);
	return finish(h, exprs, NF_DROP);
}

struct nlmsghdr *spoof_put_ipv6(struct nl *nl, void *buf, const struct spoof_port *p,
				bool ll)
{
	struct nlattr *exprs;
	struct nlmsghdr *h = nft_rule_begin(nl, buf, NFPROTO_BRIDGE, SPOOF_CHAIN, &exprs);

	iifname(h, p->ifname, 0);
	ether_from(h, p->mac, ETH_P_IPV6);
	nft_payload(h, NFT_PAYLOAD_NETWORK_HEADER, 8, 16);      /* ip6 saddr */
	nft_cmp(h, NFT_CMP_EQ, ll ? &p->ll6 : &p->ip6, 16);
	return finish(h, exprs, NF_ACCEPT);
}

struct nlmsghdr *spoof_put_drop(struct nl *nl, void *buf)
{
	struct nlattr *exprs;
	struct nlmsghdr *h = nft_rule_begin(nl, buf, NFPROTO_BRIDGE, SPOOF_CHAIN, &exprs);

	iifname(h, SPOOF_PREFIX, strlen(SPOOF_PREFIX));
	return finish(h, exprs, NF_DROP);
}

struct nlmsghdr *spoof_put_chain(struct nl *nl, void *buf)
{
	return nft_chain_msg(nl, buf, NFPROTO_BRIDGE, SPOOF_CHAIN, "filter",
			     BR_PRE_ROUTING, BR_PRI_FILTER);
}
