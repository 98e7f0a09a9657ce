/* SPDX-License-Identifier: MIT */
/*
 * nft_attrs: reading nf_tables messages back in the unit tests
 * (test_net_nft.c, test_net_nft6.c): attributes by type, expressions in
 * order, and asserts on the usual matches. Include after cmocka.h.
 */
#ifndef BOXINIT_TEST_NFT_ATTRS_H
#define BOXINIT_TEST_NFT_ATTRS_H

/* The attributes of a nest (or message payload), by type. */
struct attrs {
	const struct nlattr *a[NFTA_RULE_MAX + 16];
	int n;
	bool is_list;                   /* collect NFTA_LIST_ELEM in order */
	const struct nlattr *list[16];
};

static inline int take(const struct nlattr *a, void *data)
{
	struct attrs *t = data;
	uint16_t type = mnl_attr_get_type(a);

	if (t->is_list && type == NFTA_LIST_ELEM && t->n < 16)
		t->list[t->n++] = a;
	else if (type < NFTA_RULE_MAX + 16)
		t->a[type] = a;
	return MNL_CB_OK;
}

static inline struct attrs nested_as(const struct nlattr *nest, bool is_list)
{
	struct attrs t;

	memset(&t, 0, sizeof(t));
	t.is_list = is_list;
	assert_non_null(nest);
	assert_int_equal(mnl_attr_parse_nested(nest, take, &t), MNL_CB_OK);
	return t;
}

static inline struct attrs nested(const struct nlattr *nest)
{
	return nested_as(nest, false);
}

static inline uint32_t be32(const struct attrs *t, int type)
{
	assert_non_null(t->a[type]);
	assert_int_equal(mnl_attr_get_payload_len(t->a[type]), 4);
	return ntohl(mnl_attr_get_u32(t->a[type]));
}

/* NFTA_DATA_VALUE inside attribute @type of @t: @len bytes equal to @v */
static inline void assert_value(const struct attrs *t, int type, const void *v, size_t len)
{
	struct attrs d = nested(t->a[type]);

	assert_non_null(d.a[NFTA_DATA_VALUE]);
	assert_int_equal(mnl_attr_get_payload_len(d.a[NFTA_DATA_VALUE]), len);
	assert_memory_equal(mnl_attr_get_payload(d.a[NFTA_DATA_VALUE]), v, len);
}

/* Expression @i of the rule: its name checked, its data returned. */
static inline struct attrs expr(const struct attrs *exprs, int i, const char *name)
{
	struct attrs e = nested(exprs->list[i]);

	assert_non_null(e.a[NFTA_EXPR_NAME]);
	assert_string_equal(mnl_attr_get_str(e.a[NFTA_EXPR_NAME]), name);
	if (!e.a[NFTA_EXPR_DATA]) {
		memset(&e, 0, sizeof(e));
		return e;
	}
	return nested(e.a[NFTA_EXPR_DATA]);
}

/* The rule message: header, nfgenmsg, table, chain; its expressions. */
static inline struct attrs rule_of(const struct nlmsghdr *h, uint8_t family, const char *chain)
{
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(h);
	struct attrs top;

	memset(&top, 0, sizeof(top));
	assert_int_equal(h->nlmsg_type, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE);
	assert_int_equal(h->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_APPEND);
	assert_int_equal(h->nlmsg_len % 4, 0);
	assert_true(h->nlmsg_len <= NAT_MSG_MAX);
	assert_int_equal(g->nfgen_family, family);
	assert_int_equal(g->version, NFNETLINK_V0);
	mnl_attr_parse(h, sizeof(*g), take, &top);
	assert_string_equal(mnl_attr_get_str(top.a[NFTA_RULE_TABLE]), "boxinit");
	assert_string_equal(mnl_attr_get_str(top.a[NFTA_RULE_CHAIN]), chain);
	return nested_as(top.a[NFTA_RULE_EXPRESSIONS], true);
}

static inline struct attrs rule(const struct nlmsghdr *h, const char *chain)
{
	return rule_of(h, NFPROTO_IPV4, chain);
}

/* Expressions @i..@i+2 of @x: @len bytes at network header + @off, masked
 * to @mask, compared equal to @net. */
static inline void assert_prefix(const struct attrs *x, int i, uint32_t off, const void *mask,
			  const void *net, size_t len)
{
	uint8_t zero[16] = { 0 };
	struct attrs e = expr(x, i, "payload");

	assert_int_equal(be32(&e, NFTA_PAYLOAD_BASE), NFT_PAYLOAD_NETWORK_HEADER);
	assert_int_equal(be32(&e, NFTA_PAYLOAD_OFFSET), off);
	assert_int_equal(be32(&e, NFTA_PAYLOAD_LEN), len);
	e = expr(x, i + 1, "bitwise");
	assert_int_equal(be32(&e, NFTA_BITWISE_LEN), len);
	assert_value(&e, NFTA_BITWISE_MASK, mask, len);
	assert_value(&e, NFTA_BITWISE_XOR, zero, len);
	e = expr(x, i + 2, "cmp");
	assert_int_equal(be32(&e, NFTA_CMP_OP), NFT_CMP_EQ);
	assert_value(&e, NFTA_CMP_DATA, net, len);
}

/* iifname == @name, the whole IFNAMSIZ or its first @len bytes: exprs @i, @i+1 */
static inline void assert_iifname(const struct attrs *x, int i, const char *name, size_t len)
{
	char ifname[IFNAMSIZ] = "";
	struct attrs e = expr(x, i, "meta");

	strncpy(ifname, name, sizeof(ifname) - 1);
	assert_int_equal(be32(&e, NFTA_META_KEY), NFT_META_IIFNAME);
	assert_int_equal(be32(&e, NFTA_META_DREG), NFT_REG_1);
	e = expr(x, i + 1, "cmp");
	assert_int_equal(be32(&e, NFTA_CMP_OP), NFT_CMP_EQ);
	assert_value(&e, NFTA_CMP_DATA, ifname, len);
}

/* payload @base + @off, @len bytes == @v: exprs @i, @i+1 */
static inline void assert_match(const struct attrs *x, int i, uint32_t base, uint32_t off,
			 const void *v, size_t len)
{
	struct attrs e = expr(x, i, "payload");

	assert_int_equal(be32(&e, NFTA_PAYLOAD_BASE), base);
	assert_int_equal(be32(&e, NFTA_PAYLOAD_OFFSET), off);
	assert_int_equal(be32(&e, NFTA_PAYLOAD_LEN), len);
	assert_int_equal(be32(&e, NFTA_PAYLOAD_DREG), NFT_REG_1);
	e = expr(x, i + 1, "cmp");
	assert_int_equal(be32(&e, NFTA_CMP_OP), NFT_CMP_EQ);
	assert_value(&e, NFTA_CMP_DATA, v, len);
}

static inline void assert_verdict(const struct attrs *x, int i, uint32_t code)
{
	struct attrs e = expr(x, i, "immediate"), d, v;

	assert_int_equal(be32(&e, NFTA_IMMEDIATE_DREG), NFT_REG_VERDICT);
	d = nested(e.a[NFTA_IMMEDIATE_DATA]);
	v = nested(d.a[NFTA_DATA_VERDICT]);
	assert_int_equal(be32(&v, NFTA_VERDICT_CODE), code);
}

#endif
