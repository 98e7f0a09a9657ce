/* SPDX-License-Identifier: MIT */
/*
 * nft: building blocks of nf_tables messages over nfnetlink, shared by
 * boxinit's two tables (nat.h: "ip boxinit", antispoof.h: "bridge
 * boxinit"). Native expressions only (payload, bitwise, cmp, meta, fib,
 * immediate, masq, nat), laid out as linux/netfilter/nf_tables.h says.
 * Every function appends to a message being built in a buffer the caller
 * sized (NAT_MSG_MAX per message); none sends anything.
 */
#ifndef BOXINIT_NFT_H
#define BOXINIT_NFT_H

#include <stddef.h>
#include <stdint.h>

#include "netlink.h"

#define NFT_TABLE_NAME  "boxinit"   /* the name of both of boxinit's tables */

/* An expression being built: its NFTA_LIST_ELEM and NFTA_EXPR_DATA nests. */
struct nft_expr { struct nlattr *elem, *data; };

/*
 * nft_msg - start an nfnetlink message of nlmsg_type @type (NFNL_MSG_BATCH_*,
 * or (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_*) in @buf for @family
 * (NFPROTO_*), with @res_id (host order) in the nfgenmsg. Returns the header to append to.
 */
struct nlmsghdr *nft_msg(struct nl *nl, void *buf, uint16_t type, uint16_t flags,
			 uint8_t family, uint16_t res_id);

/* nft_put_be32 - attribute @type holding @v in network byte order. */
void nft_put_be32(struct nlmsghdr *h, uint16_t type, uint32_t v);

/* nft_put_value - NFTA_DATA_VALUE of @len bytes of @v nested in @type. */
void nft_put_value(struct nlmsghdr *h, uint16_t type, const void *v, size_t len);

/*
 * nft_expr_begin - NFTA_LIST_ELEM { NFTA_EXPR_NAME @name, NFTA_EXPR_DATA
 * { the @n (attribute, value) pairs of @kv as big-endian u32 } }, left
 * open: the caller may add to the data nest, then calls nft_expr_end().
 */
struct nft_expr nft_expr_begin(struct nlmsghdr *h, const char *name, int n,
			       const uint32_t *kv);
void nft_expr_end(struct nlmsghdr *h, struct nft_expr e);

/* nft_expr_put - a whole expression: nft_expr_begin() + nft_expr_end(). */
void nft_expr_put(struct nlmsghdr *h, const char *name, int n, const uint32_t *kv);

/* nft_cmp - cmp @op reg1 against the @len bytes of @v (1..16). */
void nft_cmp(struct nlmsghdr *h, uint32_t op, const void *v, size_t len);

/* nft_payload - load @len (1..16) bytes at @base (NFT_PAYLOAD_*) + @off into reg1. */
void nft_payload(struct nlmsghdr *h, uint32_t base, uint32_t off, uint32_t len);

/* nft_meta - load meta @key (NFT_META_*) into reg1. */
void nft_meta(struct nlmsghdr *h, uint32_t key);

/*
 * nft_prefix - "payload @len (4 or 16) bytes at network header + @off,
 * masked to its first @prefix bits, == @addr masked alike": an IPv4 or
 * IPv6 address (@off 12/16: saddr, 16/24: daddr) in a subnet. @addr is
 * @len bytes in network order.
 */
void nft_prefix(struct nlmsghdr *h, uint32_t off, const void *addr, unsigned prefix,
		size_t len);

/* nft_ifname - meta @key (NFT_META_IIFNAME / OIFNAME) @op (NFT_CMP_EQ / NEQ)
 * @name: the whole IFNAMSIZ, NUL-padded, as nft compares it. */
void nft_ifname(struct nlmsghdr *h, uint32_t key, uint32_t op, const char *name);

/* nft_immediate - load the @len bytes of @v into register @reg. */
void nft_immediate(struct nlmsghdr *h, uint32_t reg, const void *v, size_t len);

/* nft_verdict - immediate @code (NF_ACCEPT, NF_DROP) into the verdict register. */
void nft_verdict(struct nlmsghdr *h, uint32_t code);

/*
 * nft_rule_begin - NFT_MSG_NEWRULE (create, append) in table @family
 * boxinit, chain @chain; *@exprs is the open NFTA_RULE_EXPRESSIONS nest
 * (close it with mnl_attr_nest_end() after the expressions).
 */
struct nlmsghdr *nft_rule_begin(struct nl *nl, void *buf, uint8_t family,
				const char *chain, struct nlattr **exprs);

/* nft_table_msg - NFT_MSG_NEWTABLE / DELTABLE @msg of table @family boxinit. */
struct nlmsghdr *nft_table_msg(struct nl *nl, void *buf, uint8_t family, uint16_t msg,
			       uint16_t flags);

/*
 * nft_chain_msg - NFT_MSG_NEWCHAIN: base chain @name of table @family
 * boxinit, of @type ("nat", "filter") on @hook at priority @prio, policy
 * accept.
 */
struct nlmsghdr *nft_chain_msg(struct nl *nl, void *buf, uint8_t family, const char *name,
			       const char *type, uint32_t hook, int32_t prio);

/* nft_batch_msg - NFNL_MSG_BATCH_BEGIN / END (@type), not acknowledged. */
struct nlmsghdr *nft_batch_msg(struct nl *nl, void *buf, uint16_t type);

#endif
