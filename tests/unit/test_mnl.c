// SPDX-License-Identifier: MIT
/*
 * Unit tests for the libmnl subset (modules/net/mnl.c) and the request/ack
 * layer (modules/net/netlink.c). Built twice: against the in-tree subset and
 * against Debian's libmnl (build/host-libmnl), so both must behave alike.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <cmocka.h>
#include <linux/rtnetlink.h>

#include "mnl.h"
#include "netlink.h"

/* ---- attributes ------------------------------------------------------ */

struct seen {
	int n;
	uint16_t type[16];
	const struct nlattr *attr[16];
};

static int collect(const struct nlattr *a, void *data)
{
	struct seen *s = data;

	if (s->n < 16) {
		s->type[s->n] = mnl_attr_get_type(a);
		s->attr[s->n] = a;
	}
	s->n++;
	return MNL_CB_OK;
}

static void test_attr_put_parse_nest(void **state)
{
	char buf[512] __attribute__((aligned(4)));
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	struct nlattr *nest;
	struct seen top = { 0 }, in = { 0 };

	h->nlmsg_type = RTM_NEWLINK;
	ifi->ifi_index = 7;
	mnl_attr_put_u8(h, 1, 0xab);
	mnl_attr_put_u16(h, 2, 0x1234);
	mnl_attr_put_u32(h, 3, 0xdeadbeef);
	mnl_attr_put_u64(h, 4, 0x0102030405060708ull);
	mnl_attr_put_strz(h, 5, "eth0");
	nest = mnl_attr_nest_start(h, 6);
	mnl_attr_put_str(h, 1, "veth");         /* no NUL: 4 bytes */
	mnl_attr_put_u32(h, 2, 42);
	mnl_attr_nest_end(h, nest);

	/* every attribute 4-byte aligned */
	assert_int_equal(h->nlmsg_len % 4, 0);
	assert_int_equal(h->nlmsg_len, 16 + 16 + 8 + 8 + 8 + 12 + 12 + (4 + 8 + 8));
#ifndef BOXINIT_LIBMNL_SYSTEM
	/* the subset zeroes padding (libmnl 1.0.4 leaves it as it was) */
	assert_int_equal(((unsigned char *)buf)[16 + 16 + 5], 0);
#endif

	assert_int_equal(mnl_attr_parse(h, sizeof(*ifi), collect, &top), MNL_CB_OK);
	assert_int_equal(top.n, 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(top.type[i], i + 1);
	assert_int_equal(mnl_attr_get_u8(top.attr[0]), 0xab);
	assert_int_equal(mnl_attr_get_u16(top.attr[1]), 0x1234);
	assert_int_equal(mnl_attr_get_u32(top.attr[2]), 0xdeadbeef);
	assert_true(mnl_attr_get_u64(top.attr[3]) == 0x0102030405060708ull);
	assert_string_equal(mnl_attr_get_str(top.attr[4]), "eth0");
	assert_int_equal(mnl_attr_get_payload_len(top.attr[4]), 5);
	/* libmnl marks nests NLA_F_NESTED; the type getter masks it */
	assert_true(top.attr[5]->nla_type & NLA_F_NESTED);
	assert_int_equal(mnl_attr_get_payload_len(top.attr[5]), 16);

	assert_int_equal(mnl_attr_parse_nested(top.attr[5], collect, &in), MNL_CB_OK);
	assert_int_equal(in.n, 2);
	assert_int_equal(mnl_attr_get_payload_len(in.attr[0]), 4);
	assert_memory_equal(mnl_attr_get_payload(in.attr[0]), "veth", 4);
	assert_int_equal(mnl_attr_get_u32(in.attr[1]), 42);

	/* a cancelled nest leaves nothing behind */
	uint32_t len = h->nlmsg_len;

	nest = mnl_attr_nest_start(h, 9);
	mnl_attr_put_u32(h, 1, 1);
	mnl_attr_nest_cancel(h, nest);
	assert_int_equal(h->nlmsg_len, len);
}

static int stop_at_two(const struct nlattr *a, void *data)
{
	(*(int *)data)++;
	return mnl_attr_get_type(a) == 2 ? MNL_CB_STOP : MNL_CB_OK;
}

static void test_attr_parse_malformed(void **state)
{
	char buf[256] __attribute__((aligned(4)));
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct seen s = { 0 };
	struct nlattr *bad;
	int calls = 0;

	mnl_attr_put_u32(h, 1, 1);
	mnl_attr_put_u32(h, 2, 2);
	mnl_attr_put_u32(h, 3, 3);
	assert_int_equal(mnl_attr_parse(h, 0, stop_at_two, &calls), MNL_CB_STOP);
	assert_int_equal(calls, 2);

	/* an attribute claiming more than the message holds ends the walk */
	bad = mnl_nlmsg_get_payload_tail(h);
	mnl_attr_put_u32(h, 4, 4);
	bad->nla_len = 200;
	assert_int_equal(mnl_attr_parse(h, 0, collect, &s), MNL_CB_OK);
	assert_int_equal(s.n, 3);
	/* and one shorter than its own header too */
	bad->nla_len = 2;
	s.n = 0;
	mnl_attr_parse(h, 0, collect, &s);
	assert_int_equal(s.n, 3);
}

/* -errno of mnl_attr_validate() of one attribute of @len payload bytes */
static int validate(const void *payload, uint16_t len, enum mnl_attr_data_type type)
{
	char buf[128] __attribute__((aligned(4)));
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct nlattr *a = mnl_nlmsg_get_payload_tail(h);

	mnl_attr_put(h, 1, len, payload);
	errno = 0;
	return mnl_attr_validate(a, type) < 0 ? -errno : 0;
}

/* the same answers from the subset and from Debian's libmnl */
static void test_attr_validate(void **state)
{
	static const char bytes[16] = "abc";

	assert_int_equal(validate(bytes, 4, MNL_TYPE_U32), 0);
	assert_int_equal(validate(bytes, 2, MNL_TYPE_U32), -ERANGE);
	assert_int_equal(validate(bytes, 1, MNL_TYPE_U8), 0);
	assert_int_equal(validate(bytes, 0, MNL_TYPE_U8), -ERANGE);
	assert_int_equal(validate(bytes, 2, MNL_TYPE_U16), 0);
	assert_int_equal(validate(bytes, 8, MNL_TYPE_U64), 0);
	assert_int_equal(validate(bytes, 4, MNL_TYPE_U64), -ERANGE);
	assert_int_equal(validate(bytes, 0, MNL_TYPE_FLAG), 0);
	assert_int_equal(validate(bytes, 1, MNL_TYPE_FLAG), -ERANGE);
	assert_int_equal(validate(bytes, 4, MNL_TYPE_NUL_STRING), 0);   /* "abc\0" */
	assert_int_equal(validate(bytes, 3, MNL_TYPE_NUL_STRING), -EINVAL);
	assert_int_equal(validate(bytes, 0, MNL_TYPE_NUL_STRING), -ERANGE);
	assert_int_equal(validate(bytes, 3, MNL_TYPE_STRING), 0);
	assert_int_equal(validate(bytes, 0, MNL_TYPE_STRING), -ERANGE);
	assert_int_equal(validate(bytes, 0, MNL_TYPE_NESTED), 0);
	assert_int_equal(validate(bytes, 2, MNL_TYPE_NESTED), -ERANGE);
	assert_int_equal(validate(bytes, 16, MNL_TYPE_BINARY), 0);
	assert_int_equal(validate(bytes, 3, MNL_TYPE_MAX), -EINVAL);
}

/* ---- messages and batches --------------------------------------------- */

static void test_nlmsg_ok_next(void **state)
{
	char buf[64] __attribute__((aligned(4))) = { 0 };
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	int len = 40;

	mnl_nlmsg_put_extra_header(h, 5);       /* aligned to 8 */
	assert_int_equal(h->nlmsg_len, 24);
	assert_true(mnl_nlmsg_ok(h, len));
	assert_false(mnl_nlmsg_ok(h, 23));      /* longer than what we have */
	assert_false(mnl_nlmsg_ok(h, 15));      /* not even a header */
	h = mnl_nlmsg_next(h, &len);
	assert_int_equal(len, 16);
	assert_false(mnl_nlmsg_ok(h, len));     /* zero nlmsg_len */
}

static void test_batch(void **state)
{
	char buf[256] __attribute__((aligned(4)));
	struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, 100);
	struct nlmsghdr *h;
	int i;

	assert_non_null(b);
	assert_true(mnl_nlmsg_batch_is_empty(b));
	assert_ptr_equal(mnl_nlmsg_batch_head(b), buf);
	for (i = 0; i < 10; i++) {
		h = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(b));
		h->nlmsg_seq = (uint32_t)i + 1;
		mnl_nlmsg_put_extra_header(h, 16);      /* 32 bytes each */
		if (!mnl_nlmsg_batch_next(b))
			break;
	}
	assert_int_equal(i, 3);                 /* 4 * 32 > 100 */
	assert_int_equal(mnl_nlmsg_batch_size(b), 96);
	assert_false(mnl_nlmsg_batch_is_empty(b));
	/* reset keeps the message that did not fit, at the head */
	mnl_nlmsg_batch_reset(b);
	assert_int_equal(mnl_nlmsg_batch_size(b), 32);
	assert_int_equal(((struct nlmsghdr *)buf)->nlmsg_seq, 4);
	assert_ptr_equal(mnl_nlmsg_batch_current(b), buf + 32);
	mnl_nlmsg_batch_reset(b);
	assert_true(mnl_nlmsg_batch_is_empty(b));
	mnl_nlmsg_batch_stop(b);
}

/* ---- callbacks and acks ------------------------------------------------ */

/* A kernel reply: NLMSG_ERROR with @error for request @seq, port @pid. */
static size_t put_error(void *buf, uint32_t seq, uint32_t pid, int error,
			uint16_t req_type, const char *ext)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(h, sizeof(*e));

	h->nlmsg_type = NLMSG_ERROR;
	h->nlmsg_seq = seq;
	h->nlmsg_pid = pid;
	h->nlmsg_flags = NLM_F_CAPPED;
	e->error = error;
	e->msg.nlmsg_type = req_type;
	e->msg.nlmsg_seq = seq;
	e->msg.nlmsg_len = 100;
	if (ext) {
		h->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_strz(h, NLMSGERR_ATTR_MSG, ext);
	}
	return h->nlmsg_len;
}

static int count_data(const struct nlmsghdr *h, void *data)
{
	(*(int *)data)++;
	return MNL_CB_OK;
}

static void test_cb_run(void **state)
{
	char buf[256] __attribute__((aligned(4)));
	struct nlmsghdr *h;
	size_t n;
	int calls = 0;

	/* a data message then an ack */
	h = mnl_nlmsg_put_header(buf);
	h->nlmsg_type = RTM_NEWLINK;
	h->nlmsg_seq = 5;
	h->nlmsg_pid = 77;
	n = h->nlmsg_len;
	n += put_error(buf + n, 5, 77, 0, RTM_GETLINK, NULL);
	assert_int_equal(mnl_cb_run(buf, n, 5, 77, count_data, &calls), MNL_CB_STOP);
	assert_int_equal(calls, 1);

	/* an error: -1 and errno */
	n = put_error(buf, 5, 77, -EEXIST, RTM_NEWLINK, NULL);
	errno = 0;
	assert_int_equal(mnl_cb_run(buf, n, 5, 77, NULL, NULL), MNL_CB_ERROR);
	assert_int_equal(errno, EEXIST);
	/* wrong sequence, wrong port */
	assert_int_equal(mnl_cb_run(buf, n, 6, 77, NULL, NULL), MNL_CB_ERROR);
	assert_int_equal(errno, EPROTO);
	assert_int_equal(mnl_cb_run(buf, n, 5, 78, NULL, NULL), MNL_CB_ERROR);
	assert_int_equal(errno, ESRCH);
	/* 0 disables either check */
	assert_int_equal(mnl_cb_run(buf, n, 0, 0, NULL, NULL), MNL_CB_ERROR);
	assert_int_equal(errno, EEXIST);
	/* an error message too short for struct nlmsgerr */
	((struct nlmsghdr *)buf)->nlmsg_len = 20;
	assert_int_equal(mnl_cb_run(buf, 20, 5, 77, NULL, NULL), MNL_CB_ERROR);
	assert_int_equal(errno, EBADMSG);
}

/* nl_reply on a private heap copy of exactly @n bytes: ASan catches overreads */
static int reply(struct nl *nl, const void *src, size_t n, uint32_t first,
		 uint32_t last, unsigned *acks)
{
	void *p = malloc(n ? n : 1);
	int r;

	memcpy(p, src, n);
	r = nl_reply(nl, p, n, first, last, acks, NULL, NULL);
	free(p);
	return r;
}

static void test_reply_ack_error_text(void **state)
{
	char buf[256] __attribute__((aligned(4)));
	struct nl nl = { .bus = NETLINK_ROUTE, .portid = 77 };
	unsigned acks = 0;
	size_t n;

	n = put_error(buf, 10, 77, 0, RTM_NEWLINK, NULL);
	n += put_error(buf + n, 11, 77, 0, RTM_NEWADDR, NULL);
	assert_int_equal(reply(&nl, buf, n, 10, 11, &acks), 0);
	assert_int_equal(acks, 2);

	n = put_error(buf, 11, 77, -EEXIST, RTM_NEWLINK, "Interface exists");
	assert_int_equal(reply(&nl, buf, n, 10, 11, &acks), -EEXIST);
	assert_int_equal(nl.err_seq, 11);
	assert_string_equal(nl_type_name(nl.bus, nl.err_type), "RTM_NEWLINK");
	assert_string_equal(nl.ext, "Interface exists");

	/* an extended ack string without its NUL is cut at its end */
	n = put_error(buf, 10, 77, -EINVAL, RTM_NEWADDR, "abcdefg");
	buf[n - 1] = 'h';
	nl.ext[0] = '\0';
	assert_int_equal(reply(&nl, buf, n, 10, 10, &acks), -EINVAL);
	assert_string_equal(nl.ext, "abcdefgh");
}

static void test_reply_malformed(void **state)
{
	char buf[256] __attribute__((aligned(4)));
	struct nl nl = { .bus = NETLINK_ROUTE, .portid = 77 };
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	unsigned acks = 0;
	size_t n;

	n = put_error(buf, 10, 77, 0, RTM_NEWLINK, NULL);
	/* truncated: the datagram is shorter than the message says */
	assert_int_equal(reply(&nl, buf, n - 4, 10, 10, &acks), -EBADMSG);
	assert_int_equal(reply(&nl, buf, 10, 10, 10, &acks), -EBADMSG);
	/* trailing bytes that are not a message */
	memset(buf + n, 0, 8);
	assert_int_equal(reply(&nl, buf, n + 8, 10, 10, &acks), -EBADMSG);
	/* length below a header, length not aligned */
	h->nlmsg_len = 8;
	assert_int_equal(reply(&nl, buf, n, 10, 10, &acks), -EBADMSG);
	h->nlmsg_len = (uint32_t)n - 2;
	assert_int_equal(reply(&nl, buf, n, 10, 10, &acks), -EBADMSG);
	/* an NLMSG_ERROR too short for struct nlmsgerr */
	h->nlmsg_len = 20;
	assert_int_equal(reply(&nl, buf, 20, 10, 10, &acks), -EBADMSG);
	/* foreign sequence number, foreign port */
	n = put_error(buf, 9, 77, 0, RTM_NEWLINK, NULL);
	assert_int_equal(reply(&nl, buf, n, 10, 12, &acks), -EPROTO);
	n = put_error(buf, 10, 78, 0, RTM_NEWLINK, NULL);
	assert_int_equal(reply(&nl, buf, n, 10, 12, &acks), -ESRCH);
	/* nlmsg_len >= 2^31 (negative as an int): rejected, no 2 GiB jump */
	n = put_error(buf, 10, 77, 0, RTM_NEWLINK, NULL);
	h->nlmsg_len = 0x80000024u;
	assert_int_equal(reply(&nl, buf, n, 10, 10, &acks), -EBADMSG);
#ifndef BOXINIT_LIBMNL_SYSTEM
	assert_false(mnl_nlmsg_ok(h, (int)n));  /* libmnl 1.0.4 says true */
#endif
	/* error = INT_MIN (no -errno of it) or positive: not a kernel error */
	n = put_error(buf, 10, 77, INT32_MIN, RTM_NEWLINK, NULL);
	assert_int_equal(reply(&nl, buf, n, 10, 10, &acks), -EBADMSG);
#ifndef BOXINIT_LIBMNL_SYSTEM
	assert_int_equal(mnl_cb_run(buf, n, 0, 0, NULL, NULL), MNL_CB_ERROR);
	assert_int_equal(errno, EBADMSG);
#endif
	n = put_error(buf, 10, 77, 5, RTM_NEWLINK, NULL);
	assert_int_equal(reply(&nl, buf, n, 10, 10, &acks), -EBADMSG);
	/* extended ack attribute longer than the message: ignored */
	acks = 0;
	n = put_error(buf, 10, 77, -EPERM, RTM_NEWLINK, "x");
	((struct nlattr *)(buf + n - 8))->nla_len = 200;
	nl.ext[0] = '\0';
	assert_int_equal(reply(&nl, buf, n, 10, 10, &acks), -EPERM);
	assert_string_equal(nl.ext, "");
	assert_int_equal(acks, 0);
}

/* The whole round trip against the kernel, unprivileged: a GETLINK. */
static void test_talk_kernel(void **state)
{
	char buf[NL_MSG_MAX] __attribute__((aligned(4)));
	struct nl nl;
	struct nlmsghdr *h;
	struct ifinfomsg *ifi;
	struct err e;
	int r = nl_open(&nl, NETLINK_ROUTE, &e);

	if (r < 0)
		skip();
	h = nl_msg(&nl, buf, RTM_GETLINK, 0);
	assert_true(h->nlmsg_flags & NLM_F_ACK);
	ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, "nosuchif0");
	r = nl_talk(&nl, buf, h->nlmsg_len, "nosuchif0", NULL, NULL, &e);
	assert_int_equal(r, -ENODEV);
	assert_int_equal(e.code, -ENODEV);
	/* what, on what, why (+ the kernel's own text, if it gave one) */
	assert_ptr_equal(strstr(e.msg, "RTM_GETLINK nosuchif0: No such device"), e.msg);

	int calls = 0;

	h = nl_msg(&nl, buf, RTM_GETLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_index = 1;                     /* lo, in every namespace */
	r = nl_talk(&nl, buf, h->nlmsg_len, "lo", count_data, &calls, &e);
	assert_int_equal(r, 0);
	assert_int_equal(calls, 1);
	nl_close(&nl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attr_put_parse_nest),
		cmocka_unit_test(test_attr_parse_malformed),
		cmocka_unit_test(test_attr_validate),
		cmocka_unit_test(test_nlmsg_ok_next),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_cb_run),
		cmocka_unit_test(test_reply_ack_error_text),
		cmocka_unit_test(test_reply_malformed),
		cmocka_unit_test(test_talk_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
