/* SPDX-License-Identifier: MIT */
/*
 * nat: boxinit's nftables tables, over nfnetlink (netlink.h), with native
 * nf_tables expressions only (nft.h: no xtables), following
 * linux/netfilter/nf_tables.h.
 *
 * boxinit owns exactly three tables, "ip boxinit" and "ip6 boxinit" (NAT)
 * and "bridge boxinit" (anti-spoofing, antispoof.h), and never reads or
 * touches any other. They are always written as a whole, in one nfnetlink batch
 * (NFNL_MSG_BATCH_BEGIN .. END: the kernel applies all of it or nothing):
 *
 *   NEWTABLE + DELTABLE ip boxinit         drop the old ones (the NEWTABLE
 *   NEWTABLE + DELTABLE bridge boxinit     makes the DELTABLE succeed when
 *                                          there was none)
 *   NEWTABLE ip boxinit
 *   chain postrouting  nat hook postrouting priority 100 (srcnat):
 *       ip saddr NET/N oifname != BRIDGE masquerade      (net.nat = on)
 *       ip saddr NET/N oifname == IFACE masquerade       (net.nat = IFACE)
 *     with port forwards, whatever net.nat says:
 *       ip saddr NET/N ip daddr NET/N masquerade         hairpin: a service
 *                      through a published port to a sibling (or itself)
 *       ip saddr 127.0.0.0/8 oifname == BRIDGE masquerade   the host's
 *                      127.0.0.1:HOST forwarded (route_localnet on BRIDGE)
 *   chain prerouting   nat hook prerouting priority -100 (dstnat) and
 *   chain output       nat hook output priority -100, each:
 *       fib daddr type local meta l4proto P th dport HOST dnat to IP:PORT
 *   chain localnet     filter hook prerouting priority -300 (raw), with
 *                      port forwards: route_localnet must not let the
 *                      services reach the host's loopback:
 *       iifname == BRIDGE ip daddr 127.0.0.0/8 drop
 *   NEWTABLE ip6 boxinit (IPv6, with net.address6): the same for the prefix
 *   chain postrouting  ip6 saddr NET6/N oifname != BRIDGE masquerade (net.nat6)
 *                      ip6 saddr NET6/N ip6 daddr NET6/N masquerade (hairpin)
 *   chain prerouting   fib daddr type local meta l4proto P th dport HOST
 *                          dnat to [IP6]:PORT
 *   chain output       the same with ip6 daddr != ::1: the answer to ::1
 *                      would come back on the bridge, and IPv6 never routes
 *                      ::1 from outside (no route_localnet): [::1]:HOST is
 *                      relayed by a socket instead (relay.h)
 *   NEWTABLE bridge boxinit
 *   chain ports        see antispoof.h
 *
 * Which tables a batch replaces (or removes) is its @touch mask: a table
 * of a family the kernel lacks is left out, so that the other one still
 * works. A table is only created when it has something in it. Removing
 * is the same batch with nothing after the DELTABLEs.
 */
#ifndef BOXINIT_NAT_H
#define BOXINIT_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "antispoof.h"
#include "netlink.h"

#define NAT_TABLE    "boxinit"
#define NAT_LOCALNET "localnet"   /* chain: packets from the bridge to 127/8 */
#define NAT_MSG_MAX  1024u      /* bound of one message of the batch */
#define NAT_T_IP     1u         /* table ip boxinit */
#define NAT_T_BRIDGE 2u         /* table bridge boxinit */
#define NAT_T_IP6    4u         /* table ip6 boxinit */
#define NAT_T_ALL    7u

/* One port forward: HOST port/proto on the host's addresses -> TO:TO_PORT. */
struct nat_fwd {
	uint8_t proto;          /* IPPROTO_TCP / IPPROTO_UDP */
	uint16_t port;          /* host order */
	struct in_addr to;
	uint16_t to_port;       /* host order */
};

/* One IPv6 port forward: HOST port/proto on the host's addresses -> [TO]:TO_PORT. */
struct nat_fwd6 {
	uint8_t proto;
	uint16_t port;
	struct in6_addr to;
	uint16_t to_port;
};

/* What the tables should hold. */
struct nat_spec {
	bool masq;                  /* a masquerade rule */
	struct in_addr net;         /* the bridge subnet (masked) */
	unsigned prefix;
	const char *bridge;         /* the bridge (NULL: no subnet, no hairpin) */
	const char *oif;            /* interface name compared */
	bool oif_not;               /* true: oifname != oif (the bridge) */
	const struct nat_fwd *fwd;  /* port forwards */
	size_t nfwd;
	const struct spoof_port *guard;  /* the service ports (bridge table) */
	size_t nguard;
	/* table ip6 boxinit */
	bool masq6;                 /* a masquerade rule (net.nat6) */
	struct in6_addr net6;       /* the bridge prefix (masked; 0: no net.address6) */
	unsigned prefix6;
	const char *oif6;           /* interface name compared */
	bool oif6_not;              /* true: oifname != oif6 (the bridge) */
	const struct nat_fwd6 *fwd6;    /* port forwards to IPv6 addresses */
	size_t nfwd6;
};

/*
 * nat_commit - replace the tables of @touch (NAT_T_* bits) by what @spec
 * describes, or remove them (@spec NULL), atomically: table ip boxinit
 * holds rules when @spec has masq or port forwards, table bridge boxinit
 * when it has service ports. Sent over @nl, boxinit's NETLINK_NETFILTER
 * commit socket, opened here (nl_open()) when it is closed and left open:
 * its port id marks the changes as boxinit's in the nftables events
 * (nftwatch.h). Returns 0 or -errno with @e (may be NULL) saying what
 * failed and what it likely means, e.g. "NFT_MSG_NEWRULE rule in chain
 * ip boxinit postrouting: No such file or directory: a kernel module is
 * missing? (...)" or "nf_tables is not available in this kernel
 * (CONFIG_NF_TABLES, module nf_tables)", and *@family the family of the
 * message the kernel refused (NFPROTO_IPV4, NFPROTO_BRIDGE, NFPROTO_IPV6;
 * NFPROTO_UNSPEC when not known): the caller may try again without that
 * table. After a failure @nl is closed (the kernel still has replies to
 * the rest of the batch in it): the next call opens a fresh one.
 */
int nat_commit(struct nl *nl, const struct nat_spec *spec, unsigned touch, struct err *e,
	       uint8_t *family);

/* nat_table_of - the NAT_T_* bit of boxinit's table of @family (NFPROTO_*), or 0. */
unsigned nat_table_of(uint8_t family);

/*
 * nat_build - the whole batch for @spec (NULL: removal) and @touch into
 * @buf of @size bytes, sequence numbers from @nl. Returns the bytes used,
 * or -EMSGSIZE. nat_size() is a @size that always fits.
 */
int nat_build(struct nl *nl, const struct nat_spec *spec, unsigned touch, void *buf,
	      size_t size);
size_t nat_size(const struct nat_spec *spec);

/*
 * nat_put_masq / nat_put_hairpin / nat_put_localhost / nat_put_localnet_drop
 * / nat_put_dnat - one NFT_MSG_NEWRULE in @buf (NAT_MSG_MAX bytes): the
 * masquerade, hairpin and localhost rules of @s in chain "postrouting",
 * the loopback guard in chain NAT_LOCALNET, or the port forward @f in
 * @chain (see above). Exposed for the unit tests.
 */
struct nlmsghdr *nat_put_masq(struct nl *nl, void *buf, const struct nat_spec *s);
struct nlmsghdr *nat_put_hairpin(struct nl *nl, void *buf, const struct nat_spec *s);
struct nlmsghdr *nat_put_localhost(struct nl *nl, void *buf, const struct nat_spec *s);
struct nlmsghdr *nat_put_localnet_drop(struct nl *nl, void *buf, const struct nat_spec *s);
struct nlmsghdr *nat_put_dnat(struct nl *nl, void *buf, const char *chain,
			      const struct nat_fwd *f);

/*
 * nat6_put_masq / nat6_put_hairpin / nat6_put_dnat - the same rules in
 * table ip6 boxinit; @not_loopback adds ip6 daddr != ::1 (chain output).
 */
struct nlmsghdr *nat6_put_masq(struct nl *nl, void *buf, const struct nat_spec *s);
struct nlmsghdr *nat6_put_hairpin(struct nl *nl, void *buf, const struct nat_spec *s);
struct nlmsghdr *nat6_put_dnat(struct nl *nl, void *buf, const char *chain,
			       const struct nat_fwd6 *f, bool not_loopback);

#endif
