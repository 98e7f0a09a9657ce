/* SPDX-License-Identifier: MIT */
/*
 * antispoof: table bridge boxinit, which keeps every service's bridge port
 * to its own addresses. Built by nat_build() in the same nfnetlink batch
 * as table ip boxinit (nat.h), so both change together, atomically:
 *
 *   chain ports  filter hook prerouting priority -200 (bridge filter),
 *                policy accept; per service port (its host end bxNAME):
 *       iifname bxNAME ether saddr MAC ether type ip ip saddr IP accept
 *       iifname bxNAME ether saddr MAC ether type arp
 *                arp htype 1 ptype ip hlen 6 plen 4
 *                arp saddr ether MAC arp saddr ip IP accept
 *   with net.address6, before those (ICMPv6 type 136 at transport
 *   header 0, its target at 8):
 *       iifname bxNAME ether type ip6 meta l4proto icmpv6
 *                icmpv6 type nd-neighbor-advert
 *                nd target != IP6 nd target != LL6 drop
 *       iifname bxNAME ether saddr MAC ether type ip6 ip6 saddr IP6 accept
 *       iifname bxNAME ether saddr MAC ether type ip6 ip6 saddr LL6 accept
 *   and last, for every port whose name starts with "bx":
 *       iifname "bx*" drop
 *
 * so a port sends IPv4 and ARP (and IPv6, neighbour discovery included,
 * from its global and link-local address, advertising no one else's)
 * from its service's MAC and address only, and nothing else (no VLAN
 * tags, no other ether type; no IPv6 at all without net.address6). A port
 * that has no rules (a service added by a reload before the table
 * follows, one removed but still stopping) sends nothing. Without an
 * address (no net.address) only the MAC is checked. The prerouting hook
 * runs before the bridge learns the source MAC: a dropped frame does not
 * move the service's MAC in the forwarding database. Frames from other
 * ports (the host's own, uplinks) are not looked at.
 *
 * Follows linux/netfilter/nf_tables.h (generic meta, payload, cmp,
 * immediate; nothing from nft_meta_bridge) and needs the bridge family
 * (CONFIG_NF_TABLES_BRIDGE; inside nf_tables.ko on Debian's 6.1 kernels).
 */
#ifndef BOXINIT_ANTISPOOF_H
#define BOXINIT_ANTISPOOF_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "netlink.h"

#define SPOOF_CHAIN   "ports"
#define SPOOF_PREFIX  "bx"      /* every service port's name starts so (net.h) */

/* One service port: what may leave it. */
struct spoof_port {
	char ifname[IFNAMSIZ];  /* the host end, net_veth_name() */
	uint8_t mac[6];         /* the service's eth0 (net_service_mac()) */
	bool has_ip;
	struct in_addr ip;      /* the service's address, when has_ip */
	bool has_ip6;           /* IPv6 from it at all (net.address6) */
	struct in6_addr ip6;    /* its address (net_service_address6()) */
	struct in6_addr ll6;    /* its link-local address (net_link_local()) */
};

/*
 * spoof_put_ipv4 / spoof_put_arp - one NFT_MSG_NEWRULE in @buf
 * (NAT_MSG_MAX bytes) of chain SPOOF_CHAIN, table bridge boxinit: accept
 * IPv4 (ARP) from port @p with its MAC (sender MAC) and address (sender
 * address). spoof_put_drop - the last rule: drop from every SPOOF_PREFIX
 * port. Sequence numbers from @nl. Exposed for the unit tests.
 */
struct nlmsghdr *spoof_put_ipv4(struct nl *nl, void *buf, const struct spoof_port *p);
struct nlmsghdr *spoof_put_arp(struct nl *nl, void *buf, const struct spoof_port *p);
struct nlmsghdr *spoof_put_drop(struct nl *nl, void *buf);

/*
 * spoof_put_na_guard / spoof_put_ipv6 - the IPv6 rules of port @p (see
 * above): drop its neighbour advertisements for an address not its own;
 * accept IPv6 from its MAC and @ll (false: ip6, true: ll6) as source.
 */
struct nlmsghdr *spoof_put_na_guard(struct nl *nl, void *buf, const struct spoof_port *p);
struct nlmsghdr *spoof_put_ipv6(struct nl *nl, void *buf, const struct spoof_port *p,
				bool ll);

/* spoof_put_chain - the NFT_MSG_NEWCHAIN of SPOOF_CHAIN (see above). */
struct nlmsghdr *spoof_put_chain(struct nl *nl, void *buf);

#endif
