/* SPDX-License-Identifier: MIT */
/* nft: nf_tables message building blocks. See nft.h. */
#include <net/if.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include "nft.h"

#define NFT_TYPE(msg) ((NFNL_SUBSYS_NFTABLES << 8) | (msg))

struct nlmsghdr *nft_msg(struct nl *nl, void *buf, uint16_t type, uint16_t flags,
			 uint8_t family, uint16_t res_id)
{
	struct nlmsghdr *h = nl_msg(nl, buf, type, flags);
	struct nfgenmsg *g = mnl_nlmsg_put_extra_header(h, sizeof(*g));

	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(res_id);
	return h;
}

void nft_put_be32(struct nlmsghdr *h, uint16_t type, uint32_t v)
{
	mnl_attr_put_u32(h, type, htonl(v));
}

void nft_put_value(struct nlmsghdr *h, uint16_t type, const void *v, size_t len)
{
	struct nlattr *n = mnl_attr_nest_start(h, type);

	mnl_attr_put(h, NFTA_DATA_VALUE, len, v);
	mnl_attr_nest_end(h, n);
}

struct nft_expr nft_expr_begin(struct nlmsghdr *h, const char *name, int n,
			       const uint32_t *kv)
{
	struct nft_expr e;

	e.elem = mnl_attr_nest_start(h, NFTA_LIST_ELEM);
	mnl_attr_put_strz(h, NFTA_EXPR_NAME, name);
	e.data = mnl_attr_nest_start(h, NFTA_EXPR_DATA);
	for (int i = 0; i < n; i++)
		nft_put_be32(h, (uint16_t)kv[2 * i], kv[2 * i + 1]);
	return e;
}

void nft_expr_end(struct nlmsghdr *h, struct nft_expr e)
{
	mnl_attr_nest_end(h, e.data);
	mnl_attr_nest_end(h, e.elem);
}

void nft_expr_put(struct nlmsghdr *h, const char *name, int n, const uint32_t *kv)
{
	nft_expr_end(h, nft_expr_begin(h, name, n, kv));
}

void nft_cmp(struct nlmsghdr *h, uint32_t op, const void *v, size_t len)
{
	const uint32_t kv[] = { NFTA_CMP_SREG, NFT_REG_1, NFTA_CMP_OP, op };
	struct nft_expr e = nft_expr_begin(h, "cmp", 2, kv);

	nft_put_value(h, NFTA_CMP_DATA, v, len);
	nft_expr_end(h, e);
}

void nft_payload(struct nlmsghdr *h, uint32_t base, uint32_t off, uint32_t len)
{
	const uint32_t kv[] = { NFTA_PAYLOAD_DREG, NFT_REG_1, NFTA_PAYLOAD_BASE, base,
				NFTA_PAYLOAD_OFFSET, off, NFTA_PAYLOAD_LEN, len };

	nft_expr_put(h, "payload", 4, kv);
}

void nft_meta(struct nlmsghdr *h, uint32_t key)
{
	const uint32_t kv[] = { NFTA_META_DREG, NFT_REG_1, NFTA_META_KEY, key };

	nft_expr_put(h, "meta", 2, kv);
}

void nft_prefix(struct nlmsghdr *h, uint32_t off, const void *addr, unsigned prefix,
		size_t len)
{
	const uint32_t bw[] = { NFTA_BITWISE_SREG, NFT_REG_1, NFTA_BITWISE_DREG, NFT_REG_1,
				NFTA_BITWISE_LEN, (uint32_t)len };
	uint8_t mask[16] = { 0 }, net[16] = { 0 }, zero[16] = { 0 };
	const uint8_t *a = addr;
	struct nft_expr e;

	for (size_t i = 0; i < len && i < sizeof(mask); i++) {
		unsigned bits = prefix > 8 * i ? prefix - 8 * i : 0;

		mask[i] = bits >= 8 ? 0xff : (uint8_t)(0xff00u >> bits);
		net[i] = a[i] & mask[i];
	}
	nft_payload(h, NFT_PAYLOAD_NETWORK_HEADER, off, (uint32_t)len);
	e = nft_expr_begin(h, "bitwise", 3, bw);
	nft_put_value(h, NFTA_BITWISE_MASK, mask, len);
	nft_put_value(h, NFTA_BITWISE_XOR, zero, len);
	nft_expr_end(h, e);
	nft_cmp(h, NFT_CMP_EQ, net, len);
}

void nft_ifname(struct nlmsghdr *h, uint32_t key, uint32_t op, const char *name)
{
	char ifname[IFNAMSIZ] = "";

	memcpy(ifname, name, strnlen(name, sizeof(ifname) - 1));
	nft_meta(h, key);
	nft_cmp(h, op, ifname, sizeof(ifname));
}

void nft_immediate(struct nlmsghdr *h, uint32_t reg, const void *v, size_t len)
{
	const uint32_t kv[] = { NFTA_IMMEDIATE_DREG, reg };
	struct nft_expr e = nft_expr_begin(h, "immediate", 1, kv);

	nft_put_value(h, NFTA_IMMEDIATE_DATA, v, len);
	nft_expr_end(h, e);
}

void nft_verdict(struct nlmsghdr *h, uint32_t code)
{
	const uint32_t kv[] = { NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT };
	struct nft_expr e = nft_expr_begin(h, "immediate", 1, kv);
	struct nlattr *data = mnl_attr_nest_start(h, NFTA_IMMEDIATE_DATA);
	struct nlattr *v = mnl_attr_nest_start(h, NFTA_DATA_VERDICT);

	nft_put_be32(h, NFTA_VERDICT_CODE, code);
	mnl_attr_nest_end(h, v);
	mnl_attr_nest_end(h, data);
	nft_expr_end(h, e);
}

struct nlmsghdr *nft_rule_begin(struct nl *nl, void *buf, uint8_t family,
				const char *chain, struct nlattr **exprs)
{
	struct nlmsghdr *h = nft_msg(nl, buf, NFT_TYPE(NFT_MSG_NEWRULE),
				     NLM_F_CREATE | NLM_F_APPEND, family, 0);

	mnl_attr_put_strz(h, NFTA_RULE_TABLE, NFT_TABLE_NAME);
	mnl_attr_put_strz(h, NFTA_RULE_CHAIN, chain);
	*exprs = mnl_attr_nest_start(h, NFTA_RULE_EXPRESSIONS);
	return h;
}

struct nlmsghdr *nft_table_msg(struct nl *nl, void *buf, uint8_t family, uint16_t msg,
			       uint16_t flags)
{
	struct nlmsghdr *h = nft_msg(nl, buf, NFT_TYPE(msg), flags, family, 0);

	mnl_attr_put_strz(h, NFTA_TABLE_NAME, NFT_TABLE_NAME);
	return h;
}

struct nlmsghdr *nft_chain_msg(struct nl *nl, void *buf, uint8_t family, const char *name,
			       const char *type, uint32_t hook, int32_t prio)
{
	struct nlmsghdr *h = nft_msg(nl, buf, NFT_TYPE(NFT_MSG_NEWCHAIN), NLM_F_CREATE,
				     family, 0);
	struct nlattr *n;

	mnl_attr_put_strz(h, NFTA_CHAIN_TABLE, NFT_TABLE_NAME);
	mnl_attr_put_strz(h, NFTA_CHAIN_NAME, name);
	n = mnl_attr_nest_start(h, NFTA_CHAIN_HOOK);
	nft_put_be32(h, NFTA_HOOK_HOOKNUM, hook);
	nft_put_be32(h, NFTA_HOOK_PRIORITY, (uint32_t)prio);
	mnl_attr_nest_end(h, n);
	nft_put_be32(h, NFTA_CHAIN_POLICY, NF_ACCEPT);
	mnl_attr_put_strz(h, NFTA_CHAIN_TYPE, type);
	return h;
}

struct nlmsghdr *nft_batch_msg(struct nl *nl, void *buf, uint16_t type)
{
	struct nlmsghdr *h = nft_msg(nl, buf, type, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);

	h->nlmsg_flags &= (uint16_t)~NLM_F_ACK;     /* BEGIN/END are not acked */
	return h;
}
