/* SPDX-License-Identifier: MIT */
/* nat: table ip boxinit over nfnetlink. See nat.h. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>

#include "antispoof.h"
#include "nat.h"
#include "nft.h"
#include "util.h"

#define NFT_TYPE(msg) ((NFNL_SUBSYS_NFTABLES << 8) | (msg))

struct nlmsghdr *nat_put_masq(struct nl *nl, void *buf, const struct nat_spec *s)
{
	struct nlattr *exprs;
	struct nlmsghdr *h = nft_rule_begin(nl, buf, NFPROTO_IPV4, "postrouting", &exprs);

	nft_prefix(h, 12, &s->net, s->prefix, 4);               /* ip saddr NET/N */
	nft_ifname(h, NFT_META_OIFNAME, s->oif_not ? NFT_CMP_NEQ : NFT_CMP_EQ, s->oif);
	nft_expr_put(h, "masq", 0, NULL);
	mnl_attr_nest_end(h, exprs);
	return h;
}

struct nlmsghdr *nat_put_hairpin(struct nl *nl, void *buf, const struct nat_spec *s)
{
	struct nlattr *exprs;
	struct nlmsghdr *h = nft_rule_begin(nl, buf, NFPROTO_IPV4, "postrouting", &exprs);

	nft_prefix(h, 12, &s->net, s->prefix, 4);               /* ip saddr NET/N */
	nft_prefix(h, 16, &s->net, s->prefix, 4);               /* ip daddr NET/N */
	nft_expr_put(h, "masq", 0, NULL);
	mnl_attr_nest_end(h, exprs);
	return h;
}

struct nlmsghdr *nat_put_localhost(struct nl *nl, void *buf, const struct nat_spec *s)
{
	struct in_addr lo = { htonl(INADDR_LOOPBACK) };
	struct nlattr *exprs;
	struct nlmsghdr *h = nft_rule_begin(nl, buf, NFPROTO_IPV4, "postrouting", &exprs);

	nft_prefix(h, 12, &lo, 8, 4);                 /* ip saddr 127.0.0.0/8 */
	nft_ifname(h, NFT_META_OIFNAME, NFT_CMP_EQ, s->bridge);
	nft_expr_put(h, "masq", 0, NULL);
	mnl_attr_nest_end(h, exprs);
	return h;
}

struct nlmsghdr *nat_put_localnet_drop(struct nl *nl, void *buf, const struct nat_spec *s)
{
	struct in_addr lo = { htonl(INADDR_LOOPBACK) };
	struct nlattr *exprs;
	struct nlmsghdr *h = nft_rule_begin(nl, buf, NFPROTO_IPV4, NAT_LOCALNET, &exprs);

	nft_ifname(h, NFT_META_IIFNAME, NFT_CMP_EQ, s->bridge);
	nft_prefix(h, 16, &lo, 8, 4);                 /* ip daddr 127.0.0.0/8 */
	nft_verdict(h, NF_DROP);
	mnl_attr_nest_end(h, exprs);
	return h;
}

struct nlmsghdr *nat_put_dnat(struct nl *nl, void *buf, const char *chain,
			      const struct nat_fwd *f)
{
	const uint32_t fib[] = { NFTA_FIB_DREG, NFT_REG_1,
				 NFTA_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE,
				 NFTA_FIB_FLAGS, NFTA_FIB_F_DADDR };
	const uint32_t nat[] = { NFTA_NAT_TYPE, NFT_NAT_DNAT, NFTA_NAT_FAMILY, NFPROTO_IPV4,
				 NFTA_NAT_REG_ADDR_MIN, NFT_REG_1,
				 NFTA_NAT_REG_PROTO_MIN, NFT_REG_2 };
	uint32_t local = RTN_LOCAL;     /* the fib result: host byte order */
	uint16_t port = htons(f->port), to_port = htons(f->to_port);
	struct nlattr *exprs;
	struct nlmsghdr *h = nft_rule_begin(nl, buf, NFPROTO_IPV4, chain, &exprs);

	nft_expr_put(h, "fib", 3, fib);
	nft_cmp(h, NFT_CMP_EQ, &local, sizeof(local));
	nft_meta(h, NFT_META_L4PROTO);
	nft_cmp(h, NFT_CMP_EQ, &f->proto, 1);
	nft_payload(h, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);     /* th dport */
	nft_cmp(h, NFT_CMP_EQ, &port, 2);
	nft_immediate(h, NFT_REG_1, &f->to, 4);
	nft_immediate(h, NFT_REG_2, &to_port, 2);
	nft_expr_put(h, "nat", 4, nat);
	mnl_attr_nest_end(h, exprs);
	return h;
}

size_t nat_size(const struct nat_spec *spec)
{
	return (24 + (spec ? 1 + 2 * spec->nfwd + 2 * spec->nfwd6 + 5 * spec->nguard : 0)) *
	       NAT_MSG_MAX;
}

/* Append message @msg to batch b; ok turns false when it did not fit. */
#define NEXT(msg) do { (msg); ok = ok && mnl_nlmsg_batch_next(b); } while (0)

/* The messages of table ip boxinit after its NEWTABLE; false: no room. */
static bool build_ip(struct nl *nl, const struct nat_spec *spec, struct mnl_nlmsg_batch *b)
{
	static const char *const chains[] = { "prerouting", "output" };
	bool ok = true, loop = spec->nfwd && spec->bridge && spec->prefix;  /* hairpin, localhost */

	if (spec->masq || loop)
		NEXT(nft_chain_msg(nl, mnl_nlmsg_batch_current(b), NFPROTO_IPV4, "postrouting",
				   "nat", NF_INET_POST_ROUTING, 100));
	if (spec->masq)
		NEXT(nat_put_masq(nl, mnl_nlmsg_batch_current(b), spec));
	if (loop) {
		NEXT(nat_put_hairpin(nl, mnl_nlmsg_batch_current(b), spec));
		NEXT(nat_put_localhost(nl, mnl_nlmsg_batch_current(b), spec));
	}
	for (int c = 0; spec->nfwd && c < 2 && ok; c++) {
		NEXT(nft_chain_msg(nl, mnl_nlmsg_batch_current(b), NFPROTO_IPV4, chains[c],
				   "nat", c ? NF_INET_LOCAL_OUT : NF_INET_PRE_ROUTING, -100));
		for (size_t i = 0; i < spec->nfwd && ok; i++)
			NEXT(nat_put_dnat(nl, mnl_nlmsg_batch_current(b), chains[c],
					  &spec->fwd[i]));
	}
	if (loop) {
		NEXT(nft_chain_msg(nl, mnl_nlmsg_batch_current(b), NFPROTO_IPV4, NAT_LOCALNET,
				   "filter", NF_INET_PRE_ROUTING, -300));
		NEXT(nat_put_localnet_drop(nl, mnl_nlmsg_batch_current(b), spec));
	}
	return ok;
}

/* The messages of table ip6 boxinit after its NEWTABLE; false: no room. */
static bool build_ip6(struct nl *nl, const struct nat_spec *spec, struct mnl_nlmsg_batch *b)
{
	static const char *const chains[] = { "prerouting", "output" };
	bool ok = true, loop = spec->nfwd6 && spec->bridge && spec->prefix6;

	if (spec->masq6 || loop)
		NEXT(nft_chain_msg(nl, mnl_nlmsg_batch_current(b), NFPROTO_IPV6, "postrouting",
				   "nat", NF_INET_POST_ROUTING, 100));
	if (spec->masq6)
		NEXT(nat6_put_masq(nl, mnl_nlmsg_batch_current(b), spec));
	if (loop)
		NEXT(nat6_put_hairpin(nl, mnl_nlmsg_batch_current(b), spec));
	for (int c = 0; spec->nfwd6 && c < 2 && ok; c++) {
		NEXT(nft_chain_msg(nl, mnl_nlmsg_batch_current(b), NFPROTO_IPV6, chains[c],
				   "nat", c ? NF_INET_LOCAL_OUT : NF_INET_PRE_ROUTING, -100));
		for (size_t i = 0; i < spec->nfwd6 && ok; i++)
			NEXT(nat6_put_dnat(nl, mnl_nlmsg_batch_current(b), chains[c],
					   &spec->fwd6[i], c == 1));
	}
	return ok;
}

/* The messages of table bridge boxinit after its NEWTABLE; false: no room. */
static bool build_bridge(struct nl *nl, const struct nat_spec *spec,
			 struct mnl_nlmsg_batch *b)
{
	bool ok = true;

	NEXT(spoof_put_chain(nl, mnl_nlmsg_batch_current(b)));
	for (size_t i = 0; i < spec->nguard && ok; i++) {
		const struct spoof_port *p = &spec->guard[i];

		NEXT(spoof_put_ipv4(nl, mnl_nlmsg_batch_current(b), p));
		NEXT(spoof_put_arp(nl, mnl_nlmsg_batch_current(b), p));
		if (!p->has_ip6)
			continue;
		NEXT(spoof_put_na_guard(nl, mnl_nlmsg_batch_current(b), p));
		NEXT(spoof_put_ipv6(nl, mnl_nlmsg_batch_current(b), p, false));
		NEXT(spoof_put_ipv6(nl, mnl_nlmsg_batch_current(b), p, true));
	}
	NEXT(spoof_put_drop(nl, mnl_nlmsg_batch_current(b)));
	return ok;
}

int nat_build(struct nl *nl, const struct nat_spec *spec, unsigned touch, void *buf,
	      size_t size)
{
	static const uint8_t fam[3] = { NFPROTO_IPV4, NFPROTO_BRIDGE, NFPROTO_IPV6 };
	struct mnl_nlmsg_batch *b;
	bool ok = true, want[3];
	int n;

	if (size < 2 * NAT_MSG_MAX)
		return -EMSGSIZE;
	want[0] = spec && (touch & NAT_T_IP) && (spec->masq || spec->nfwd);
	want[1] = spec && (touch & NAT_T_BRIDGE) && spec->nguard;
	want[2] = spec && (touch & NAT_T_IP6) && (spec->masq6 || spec->nfwd6);
	/* room after the limit for the message that overflows it */
	b = mnl_nlmsg_batch_start(buf, size - NAT_MSG_MAX);
	if (!b)
		return -ENOMEM;
	NEXT(nft_batch_msg(nl, mnl_nlmsg_batch_current(b), NFNL_MSG_BATCH_BEGIN));
	/* the old tables go (the NEWTABLE makes the DELTABLE succeed) */
	for (int t = 0; t < 3 && ok; t++) {
		if (!(touch & (1u << t)))
			continue;
		NEXT(nft_table_msg(nl, mnl_nlmsg_batch_current(b), fam[t],
				   NFT_MSG_NEWTABLE, NLM_F_CREATE));
		NEXT(nft_table_msg(nl, mnl_nlmsg_batch_current(b), fam[t],
				   NFT_MSG_DELTABLE, 0));
	}
	for (int t = 0; t < 3 && ok; t++) {
		if (!want[t])
			continue;
		NEXT(nft_table_msg(nl, mnl_nlmsg_batch_current(b), fam[t],
				   NFT_MSG_NEWTABLE, NLM_F_CREATE));
		ok = ok && (t == 2 ? build_ip6(nl, spec, b) : t ? build_bridge(nl, spec, b) :
			    build_ip(nl, spec, b));
	}
	if (ok)
		NEXT(nft_batch_msg(nl, mnl_nlmsg_batch_current(b), NFNL_MSG_BATCH_END));
#undef NEXT
	n = (int)mnl_nlmsg_batch_size(b);
	mnl_nlmsg_batch_stop(b);
	return ok ? n : -EMSGSIZE;
}

static const char *family_name(uint8_t family)
{
	return family == NFPROTO_BRIDGE ? "bridge" : family == NFPROTO_IPV6 ? "ip6" : "ip";
}

/* The batch's message @seq: its family, and its object for the error text. */
static uint8_t object_of(const void *buf, int len, uint32_t seq, char *out, size_t n)
{
	const struct nlmsghdr *h = buf;

	for (; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
		const struct nfgenmsg *g = mnl_nlmsg_get_payload(h);
		const struct nlattr *a;
		unsigned msg = h->nlmsg_type & 0xff;

		if (h->nlmsg_seq != seq)
			continue;
		snprintf(out, n, "table %s " NAT_TABLE, family_name(g->nfgen_family));
		if (msg != NFT_MSG_NEWCHAIN && msg != NFT_MSG_NEWRULE)
			return g->nfgen_family;
		/* NFTA_CHAIN_NAME / NFTA_RULE_CHAIN: the 2nd attribute */
		a = mnl_nlmsg_get_payload_offset(h, sizeof(struct nfgenmsg));
		a = mnl_attr_next(a);
		snprintf(out, n, "%s %s " NAT_TABLE " %s",
			 msg == NFT_MSG_NEWRULE ? "rule in chain" : "chain",
			 family_name(g->nfgen_family), (const char *)mnl_attr_get_payload(a));
		return g->nfgen_family;
	}
	snprintf(out, n, "the tables " NAT_TABLE);
	return NFPROTO_UNSPEC;
}

/* What failure @r (@e: the kernel's answer) of a message of @family
 * (NFPROTO_UNSPEC: unknown) likely means, added to @e. */
static void explain(int r, uint8_t family, const struct nl *nl, size_t size,
		    struct err *e)
{
	bool br = family == NFPROTO_BRIDGE;

	if (br && r == -ENOENT && (nl->err_type & 0xff) == NFT_MSG_NEWRULE)
		/* the generic meta asks for it when CONFIG_NFT_BRIDGE_META=m */
		err_setx(e, r, "%s: kernel module nft_meta_bridge missing? "
			 "(CONFIG_NFT_BRIDGE_META)", e->msg);
	else if (br && (r == -EOPNOTSUPP || r == -EAFNOSUPPORT || r == -ENOENT))
		err_setx(e, r, "%s: the nftables bridge family is not available in "
			 "this kernel (CONFIG_NF_TABLES_BRIDGE)", e->msg);
	else if (r == -EOPNOTSUPP || r == -EPROTONOSUPPORT || r == -EAFNOSUPPORT)
		err_setx(e, r, "nf_tables is not available in this kernel "
			 "(CONFIG_NF_TABLES, module nf_tables)");
	else if (r == -ENOENT && nl->err_seq)
		err_setx(e, r, "%s: a kernel module is missing? (nft_chain_nat "
			 "for nat chains, nft_masq, nft_nat, nft_fib_ipv4%s)", e->msg,
			 family == NFPROTO_IPV6 ? ", nft_fib_ipv6" : "");
	else if (r == -EMSGSIZE)
		err_setx(e, r, "the tables do not fit in %zu bytes", size);
}

unsigned nat_table_of(uint8_t family)
{
	return family == NFPROTO_IPV4 ? NAT_T_IP : family == NFPROTO_BRIDGE ? NAT_T_BRIDGE :
	       family == NFPROTO_IPV6 ? NAT_T_IP6 : 0;
}

int nat_commit(struct nl *nl, const struct nat_spec *spec, unsigned touch, struct err *e,
	       uint8_t *family)
{
	size_t size = nat_size(spec);
	_cleanup_free_ void *buf = malloc(size);
	struct err mine;
	char obj[64];
	int r, n = 0;

	*family = NFPROTO_UNSPEC;
	e = e ? e : &mine;      /* explain() reads back what nl_talk said */
	err_clear(e);
	if (!buf)
		return err_set(e, -ENOMEM, "the tables " NAT_TABLE);
	r = nl->sk ? 0 : nl_open(nl, NETLINK_NETFILTER, e);
	if (r == 0) {
		n = nat_build(nl, spec, touch, buf, size);
		r = n < 0 ? n : nl_talk(nl, buf, (size_t)n, NULL, NULL, NULL, e);
	}
	if (r < 0 && n > 0 && nl->err_seq) {
		/* name the object of the failing message */
		*family = object_of(buf, n, nl->err_seq, obj, sizeof(obj));
		err_setx(e, r, "%s %s: %s%s%s%s",
			 nl_type_name(NETLINK_NETFILTER, nl->err_type), obj,
			 strerror(-r), nl->ext[0] ? " (" : "", nl->ext, nl->ext[0] ? ")" : "");
	}
	if (r < 0 && !e->code)  /* nat_build's own failure */
		err_set(e, r, "the tables " NAT_TABLE);
	if (r < 0)
		explain(r, *family, nl, size, e);
	/* the kernel answers every message of a refused batch, and nl_talk
	 * stopped at the first error (or a timeout left a late reply behind):
	 * what is left must not be read as the next request's reply */
	if (r < 0)
		nl_close(nl);
	return r;
}
