/* SPDX-License-Identifier: MIT */
/*
 * nat: boxinit's nftables table, over nfnetlink (netlink.h), with native
 * nf_tables expressions only (payload, bitwise, cmp, meta, fib, immediate,
 * masq, nat: no xtables), following linux/netfilter/nf_tables.h.
 *
 * boxinit owns exactly one table, "ip boxinit", and never reads or touches
 * any other. It is always written as a whole, in one nfnetlink batch
 * (NFNL_MSG_BATCH_BEGIN .. END: the kernel applies all of it or nothing):
 *
 *   NEWTABLE boxinit + DELTABLE boxinit    drop the old one (the NEWTABLE
 *                                          makes the DELTABLE succeed when
 *                                          there was none)
 *   NEWTABLE boxinit
 *   chain postrouting  nat hook postrouting priority 100 (srcnat):
 *       ip saddr NET/N oifname != BRIDGE masquerade      (net.nat = on)
 *       ip saddr NET/N oifname == IFACE masquerade       (net.nat = IFACE)
 *   chain prerouting   nat hook prerouting priority -100 (dstnat) and
 *   chain output       nat hook output priority -100, each:
 *       fib daddr type local meta l4proto P th dport HOST dnat to IP:PORT
 *
 * Removing is the same batch without the second NEWTABLE.
 */
#ifndef BOXINIT_NAT_H
#define BOXINIT_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "netlink.h"

#define NAT_TABLE    "boxinit"
#define NAT_MSG_MAX  1024u      /* bound of one message of the batch */

/* One port forward: HOST port/proto on the host's addresses -> TO:TO_PORT. */
struct nat_fwd {
	uint8_t proto;          /* IPPROTO_TCP / IPPROTO_UDP */
	uint16_t port;          /* host order */
	struct in_addr to;
	uint16_t to_port;       /* host order */
};

/* What the table should hold. */
struct nat_spec {
	bool masq;                  /* a masquerade rule */
	struct in_addr net;         /* the bridge subnet (masked) */
	unsigned prefix;
	const char *oif;            /* interface name compared */
	bool oif_not;               /* true: oifname != oif (the bridge) */
	const struct nat_fwd *fwd;  /* port forwards */
	size_t nfwd;
};

/*
 * nat_commit - replace table ip boxinit by what @spec describes, or remove
 * it (@spec NULL), atomically. Opens and closes its own NETLINK_NETFILTER
 * socket. Returns 0 or -errno with @err (@errlen bytes) saying what failed
 * and what it means for the services, e.g. "nf_tables is not available in
 * this kernel (CONFIG_NF_TABLES, module nf_tables)". -EOPNOTSUPP,
 * -EPROTONOSUPPORT and -EAFNOSUPPORT mean nf_tables is missing.
 */
int nat_commit(const struct nat_spec *spec, char *err, size_t errlen);

/*
 * nat_build - the whole batch for @spec (NULL: removal) into @buf of
 * @size bytes, sequence numbers from @nl. Returns the bytes used, or
 * -EMSGSIZE. nat_size() is a @size that always fits.
 */
int nat_build(struct nl *nl, const struct nat_spec *spec, void *buf, size_t size);
size_t nat_size(const struct nat_spec *spec);

/*
 * nat_put_masq / nat_put_dnat - one NFT_MSG_NEWRULE in @buf (NAT_MSG_MAX
 * bytes): the masquerade rule of @s in chain "postrouting", or the port
 * forward @f in @chain. Exposed for the unit tests.
 */
struct nlmsghdr *nat_put_masq(struct nl *nl, void *buf, const struct nat_spec *s);
struct nlmsghdr *nat_put_dnat(struct nl *nl, void *buf, const char *chain,
			      const struct nat_fwd *f);

#endif
