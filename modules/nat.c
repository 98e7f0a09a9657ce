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

#include "nat.h"
#include "util.h"

#define NFT_TYPE(msg) ((NFNL_SUBSYS_NFTABLES << 8) | (msg))

/* An nfnetlink message: header + nfgenmsg for @family. */
static struct nlmsghdr *nfmsg(struct nl *nl, void *buf, uint16_t type,
			      uint16_t flags, uint8_t family, uint16_t res_id)
{
	struct nlmsghdr *h = nl_msg(nl, buf, type, flags);
	struct nfgenmsg *g = mnl_nlmsg_put_extra_header(h, sizeof(*g));

	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(res_id);
	return h;
}

static void put_be32(struct nlmsghdr *h, uint16_t type, uint32_t v)
{
	mnl_attr_put_u32(h, type, htonl(v));
}

/* NFTA_DATA_VALUE wrapped in @type (cmp data, immediate data, masks) */
static void put_value(struct nlmsghdr *h, uint16_t type, const void *v, size_t len)
{
	struct nlattr *n = mnl_attr_nest_start(h, type);

	mnl_attr_put(h, NFTA_DATA_VALUE, len, v);
	mnl_attr_nest_end(h, n);
}

/*
 * One expression: NFTA_LIST_ELEM { NFTA_EXPR_NAME, NFTA_EXPR_DATA { the
 * @n (attribute, value) pairs as big-endian u32 } }. The caller may add
 * more to the data nest before expr_end().
 */
struct expr { struct nlattr *elem, *data; };

static struct expr expr_begin(struct nlmsghdr *h, const char *name, int n,
			      const uint32_t *kv)
{
	struct expr e;

	e.elem = mnl_attr_nest_start(h, NFTA_LIST_ELEM);
	mnl_attr_put_strz(h, NFTA_EXPR_NAME, name);
	e.data = mnl_attr_nest_start(h, NFTA_EXPR_DATA);
	for (int i = 0; i < n; i++)
		put_be32(h, (uint16_t)kv[2 * i], kv[2 * i + 1]);
	return e;
}

static void expr_end(struct nlmsghdr *h, struct expr e)
{
	mnl_attr_nest_end(h, e.data);
	mnl_attr_nest_end(h, e.elem);
}

static void expr(struct nlmsghdr *h, const char *name, int n, const uint32_t *kv)
{
	expr_end(h, expr_begin(h, name, n, kv));
}

/* cmp @op reg1, @v */
static void cmp(struct nlmsghdr *h, uint32_t op, const void *v, size_t len)
{
	const uint32_t kv[] = { NFTA_CMP_SREG, NFT_REG_1, NFTA_CMP_OP, op };
	struct expr e = expr_begin(h, "cmp", 2, kv);

	put_value(h, NFTA_CMP_DATA, v, len);
	expr_end(h, e);
}

/* payload load @len bytes at @base + @off into reg1 */
static void payload(struct nlmsghdr *h, uint32_t base, uint32_t off, uint32_t len)
{
	const uint32_t kv[] = { NFTA_PAYLOAD_DREG, NFT_REG_1, NFTA_PAYLOAD_BASE, base,
				NFTA_PAYLOAD_OFFSET, off, NFTA_PAYLOAD_LEN, len };

	expr(h, "payload", 4, kv);
}

static void meta(struct nlmsghdr *h, uint32_t key)
{
	const uint32_t kv[] = { NFTA_META_DREG, NFT_REG_1, NFTA_META_KEY, key };

	expr(h, "meta", 2, kv);
}

static void immediate(struct nlmsghdr *h, uint32_t reg, const void *v, size_t len)
{
	const uint32_t kv[] = { NFTA_IMMEDIATE_DREG, reg };
	struct expr e = expr_begin(h, "immediate", 1, kv);

	put_value(h, NFTA_IMMEDIATE_DATA, v, len);
	expr_end(h, e);
}

static struct nlmsghdr *rule_begin(struct nl *nl, void *buf, const char *chain,
				   struct nlattr **exprs)
{
	struct nlmsghdr *h = nfmsg(nl, buf, NFT_TYPE(NFT_MSG_NEWRULE),
				   NLM_F_CREATE | NLM_F_APPEND, NFPROTO_IPV4, 0);

	mnl_attr_put_strz(h, NFTA_RULE_TABLE, NAT_TABLE);
	mnl_attr_put_strz(h, NFTA_RULE_CHAIN, chain);
	*exprs = mnl_attr_nest_start(h, NFTA_RULE_EXPRESSIONS);
	return h;
}

struct nlmsghdr *nat_put_masq(struct nl *nl, void *buf, const struct nat_spec *s)
{
	uint32_t mask = htonl(s->prefix ? 0xffffffffu << (32 - s->prefix) : 0);
	uint32_t net = s->net.s_addr & mask, zero = 0;
	const uint32_t bw[] = { NFTA_BITWISE_SREG, NFT_REG_1, NFTA_BITWISE_DREG, NFT_REG_1,
				NFTA_BITWISE_LEN, 4 };
	char ifname[IFNAMSIZ] = "";
	struct nlattr *exprs;
	struct nlmsghdr *h = rule_begin(nl, buf, "postrouting", &exprs);
	struct expr e;

	/* ip saddr & mask == net */
	payload(h, NFT_PAYLOAD_NETWORK_HEADER, 12, 4);
	e = expr_begin(h, "bitwise", 3, bw);
	put_value(h, NFTA_BITWISE_MASK, &mask, 4);
	put_value(h, NFTA_BITWISE_XOR, &zero, 4);
	expr_end(h, e);
	cmp(h, NFT_CMP_EQ, &net, 4);
	/* oifname (!)= oif: the whole IFNAMSIZ, NUL-padded, like nft */
	memcpy(ifname, s->oif, strnlen(s->oif, sizeof(ifname) - 1));
	meta(h, NFT_META_OIFNAME);
	cmp(h, s->oif_not ? NFT_CMP_NEQ : NFT_CMP_EQ, ifname, sizeof(ifname));
	expr(h, "masq", 0, NULL);
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
	struct nlmsghdr *h = rule_begin(nl, buf, chain, &exprs);

	expr(h, "fib", 3, fib);
	cmp(h, NFT_CMP_EQ, &local, sizeof(local));
	meta(h, NFT_META_L4PROTO);
	cmp(h, NFT_CMP_EQ, &f->proto, 1);
	payload(h, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);     /* th dport */
	cmp(h, NFT_CMP_EQ, &port, 2);
	immediate(h, NFT_REG_1, &f->to, 4);
	immediate(h, NFT_REG_2, &to_port, 2);
	expr(h, "nat", 4, nat);
	mnl_attr_nest_end(h, exprs);
	return h;
}

static struct nlmsghdr *table_msg(struct nl *nl, void *buf, uint16_t msg, uint16_t flags)
{
	struct nlmsghdr *h = nfmsg(nl, buf, NFT_TYPE(msg), flags, NFPROTO_IPV4, 0);

	mnl_attr_put_strz(h, NFTA_TABLE_NAME, NAT_TABLE);
	return h;
}

static struct nlmsghdr *chain_msg(struct nl *nl, void *buf, const char *name,
				  uint32_t hook, int32_t prio)
{
	struct nlmsghdr *h = nfmsg(nl, buf, NFT_TYPE(NFT_MSG_NEWCHAIN), NLM_F_CREATE,
				   NFPROTO_IPV4, 0);
	struct nlattr *n;

	mnl_attr_put_strz(h, NFTA_CHAIN_TABLE, NAT_TABLE);
	mnl_attr_put_strz(h, NFTA_CHAIN_NAME, name);
	n = mnl_attr_nest_start(h, NFTA_CHAIN_HOOK);
	put_be32(h, NFTA_HOOK_HOOKNUM, hook);
	put_be32(h, NFTA_HOOK_PRIORITY, (uint32_t)prio);
	mnl_attr_nest_end(h, n);
	put_be32(h, NFTA_CHAIN_POLICY, NF_ACCEPT);
	mnl_attr_put_strz(h, NFTA_CHAIN_TYPE, "nat");
	return h;
}

static struct nlmsghdr *batch_msg(struct nl *nl, void *buf, uint16_t type)
{
	struct nlmsghdr *h = nfmsg(nl, buf, type, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);

	h->nlmsg_flags &= (uint16_t)~NLM_F_ACK;     /* BEGIN/END are not acked */
	return h;
}

size_t nat_size(const struct nat_spec *spec)
{
	return (8 + (spec ? 1 + 2 * spec->nfwd : 0)) * NAT_MSG_MAX;
}

int nat_build(struct nl *nl, const struct nat_spec *spec, void *buf, size_t size)
{
	static const char *const chains[] = { "prerouting", "output" };
	struct mnl_nlmsg_batch *b;
	bool ok = true;
	int n;

	if (size < 2 * NAT_MSG_MAX)
		return -EMSGSIZE;
	/* room after the limit for the message that overflows it */
	b = mnl_nlmsg_batch_start(buf, size - NAT_MSG_MAX);
	if (!b)
		return -ENOMEM;
#define NEXT(msg) do { (msg); ok = ok && mnl_nlmsg_batch_next(b); } while (0)
	NEXT(batch_msg(nl, mnl_nlmsg_batch_current(b), NFNL_MSG_BATCH_BEGIN));
	NEXT(table_msg(nl, mnl_nlmsg_batch_current(b), NFT_MSG_NEWTABLE, NLM_F_CREATE));
	NEXT(table_msg(nl, mnl_nlmsg_batch_current(b), NFT_MSG_DELTABLE, 0));
	if (spec && ok) {
		NEXT(table_msg(nl, mnl_nlmsg_batch_current(b), NFT_MSG_NEWTABLE, NLM_F_CREATE));
		if (spec->masq) {
			NEXT(chain_msg(nl, mnl_nlmsg_batch_current(b), "postrouting",
				       NF_INET_POST_ROUTING, 100));
			NEXT(nat_put_masq(nl, mnl_nlmsg_batch_current(b), spec));
		}
		for (int c = 0; spec->nfwd && c < 2; c++) {
			NEXT(chain_msg(nl, mnl_nlmsg_batch_current(b), chains[c],
				       c ? NF_INET_LOCAL_OUT : NF_INET_PRE_ROUTING, -100));
			for (size_t i = 0; i < spec->nfwd && ok; i++)
				NEXT(nat_put_dnat(nl, mnl_nlmsg_batch_current(b),
						  chains[c], &spec->fwd[i]));
		}
	}
	if (ok)
		NEXT(batch_msg(nl, mnl_nlmsg_batch_current(b), NFNL_MSG_BATCH_END));
#undef NEXT
	n = (int)mnl_nlmsg_batch_size(b);
	mnl_nlmsg_batch_stop(b);
	return ok ? n : -EMSGSIZE;
}

/* The object of the batch's message @seq, for the error text. */
static const char *object_of(const void *buf, int len, uint32_t seq, char *out, size_t n)
{
	const struct nlmsghdr *h = buf;

	for (; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
		const struct nlattr *a;
		unsigned msg = h->nlmsg_type & 0xff;

		if (h->nlmsg_seq != seq)
			continue;
		if (msg != NFT_MSG_NEWCHAIN && msg != NFT_MSG_NEWRULE)
			break;
		/* NFTA_CHAIN_NAME / NFTA_RULE_CHAIN: the 2nd attribute */
		a = mnl_nlmsg_get_payload_offset(h, sizeof(struct nfgenmsg));
		a = mnl_attr_next(a);
		snprintf(out, n, "%s ip " NAT_TABLE " %s",
			 msg == NFT_MSG_NEWRULE ? "rule in chain" : "chain",
			 (const char *)mnl_attr_get_payload(a));
		return out;
	}
	return "table ip " NAT_TABLE;
}

int nat_commit(const struct nat_spec *spec, char *err, size_t errlen)
{
	size_t size = nat_size(spec);
	_cleanup_free_ void *buf = malloc(size);
	char obj[64];
	struct nl nl;
	int r, n;

	err[0] = '\0';
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = nl_open(&nl, NETLINK_NETFILTER);
	if (r == 0) {
		n = nat_build(&nl, spec, buf, size);
		r = n < 0 ? n : nl_talk(&nl, buf, (size_t)n, NULL, NULL, NULL);
		if (r < 0 && n > 0 && nl.err_seq) {
			/* name the object of the failing message */
			object_of(buf, n, nl.err_seq, obj, sizeof(obj));
			snprintf(nl.err, sizeof(nl.err), "netlink: %s %s: %s%s%s%s",
				 nl_type_name(NETLINK_NETFILTER, nl.err_type), obj,
				 strerror(-r), nl.ext[0] ? " (" : "", nl.ext,
				 nl.ext[0] ? ")" : "");
		}
	}
	if (r == -EOPNOTSUPP || r == -EPROTONOSUPPORT || r == -EAFNOSUPPORT)
		snprintf(err, errlen, "nf_tables is not available in this kernel "
			 "(CONFIG_NF_TABLES, module nf_tables)");
	else if (r == -ENOENT && nl.err_seq)
		snprintf(err, errlen, "%s: a kernel module is missing? (nft_chain_nat "
			 "for nat chains, nft_masq, nft_nat, nft_fib_ipv4)", nl.err);
	else if (r == -EMSGSIZE)
		snprintf(err, errlen, "the table does not fit in %zu bytes", size);
	else if (r < 0)
		snprintf(err, errlen, "%s", nl.err);
	nl_close(&nl);
	return r;
}
