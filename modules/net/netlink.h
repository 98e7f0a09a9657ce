/* SPDX-License-Identifier: MIT */
/*
 * netlink: one request/ack conversation with the kernel, over mnl.h.
 *
 * Every message boxinit sends asks for an acknowledgement (NLM_F_ACK),
 * carries its own sequence number, and is answered before the call
 * returns: replies must come from the kernel to our port id, with a
 * sequence number of this request, in well-formed, 4-byte aligned
 * messages that fill the datagram exactly; anything else is -EBADMSG /
 * -EPROTO / -ESRCH. Receiving uses a fixed NL_RECV_MAX buffer and a
 * NL_TIMEOUT_MS receive timeout, so PID 1 never blocks on the kernel.
 * Follows netlink(7), rtnetlink(7) and the nfnetlink batch protocol
 * (NFNL_MSG_BATCH_BEGIN ... END in one datagram, all or nothing).
 */
#ifndef BOXINIT_NETLINK_H
#define BOXINIT_NETLINK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "mnl.h"

#define NL_RECV_MAX    8192u    /* one received datagram, bytes */
#define NL_MSG_MAX     512u     /* one rtnetlink request we build, bytes */
#define NL_TIMEOUT_MS  2000     /* per receive */

struct nl {
	struct mnl_socket *sk;
	int bus;                /* NETLINK_ROUTE, NETLINK_NETFILTER */
	unsigned int portid;
	uint32_t seq;           /* last sequence number handed out */
	uint32_t err_seq;       /* the message that failed (0: none) */
	uint16_t err_type;      /* its nlmsg_type */
	char ext[96];           /* the kernel's extended ack text, or "" */
};

/* Data messages of a reply (GET requests): mnl_cb_t semantics. */
typedef int (*nl_data_cb)(const struct nlmsghdr *nlh, void *data);

/*
 * nl_open - a close-on-exec netlink socket on @bus in the caller's
 * current network namespace, bound (kernel-chosen port id), with extended
 * and capped acks (NETLINK_EXT_ACK, NETLINK_CAP_ACK: best effort) and the
 * receive timeout. Returns 0 or -errno (EPROTONOSUPPORT: no such bus in
 * this kernel) with @e (may be NULL) "socket(NETLINK_ROUTE): strerror".
 */
int nl_open(struct nl *nl, int bus, struct err *e);

/* nl_close - release @nl's socket (safe on a closed or zeroed @nl). */
void nl_close(struct nl *nl);

/*
 * nl_msg - start a request in @buf (NL_MSG_MAX bytes, or a batch slot):
 * header with @type, NLM_F_REQUEST | NLM_F_ACK | @flags and the next
 * sequence number of @nl. Returns the header to append to.
 */
struct nlmsghdr *nl_msg(struct nl *nl, void *buf, uint16_t type, uint16_t flags);

/*
 * nl_talk - send the @len bytes at @buf (one message, or several back to
 * back: a batch) in one datagram, then read replies until every message
 * flagged NLM_F_ACK is acknowledged, or the first error. Data messages go
 * to @cb (may be NULL). Returns 0 or the first -errno; on failure @e
 * (may be NULL) reads "TYPE OBJ: strerror" ("RTM_NEWLINK br0: File
 * exists"; @what: the object, NULL or "" to omit) plus " (kernel
 * message)" when the kernel gave one, and @nl->err_seq / err_type / ext
 * say which message failed and how.
 */
int nl_talk(struct nl *nl, const void *buf, size_t len, const char *what,
	    nl_data_cb cb, void *data, struct err *e);

/*
 * nl_reply - check and account one received datagram (@n bytes at @buf)
 * for a request whose messages have sequence numbers @first..@last.
 * Adds the acknowledgements found to *@acks. Returns 0 (continue), or
 * -errno: the kernel's error (with @nl->err_seq, err_type, ext set),
 * -EBADMSG for a malformed or truncated datagram, -EPROTO for a foreign
 * sequence number, -ESRCH for a foreign port id, or what @cb returned.
 * Never reads outside the @n bytes. Split from nl_talk for the tests.
 */
int nl_reply(struct nl *nl, const void *buf, size_t n, uint32_t first,
	     uint32_t last, unsigned *acks, nl_data_cb cb, void *data);

/* nl_type_name - "RTM_NEWLINK", "NFT_MSG_NEWRULE"... for @bus/@type. */
const char *nl_type_name(int bus, uint16_t type);

#endif
