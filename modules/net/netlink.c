/* SPDX-License-Identifier: MIT */
/* netlink: request/ack over mnl.h. See netlink.h. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>

#include "netlink.h"

int nl_open(struct nl *nl, int bus, struct err *e)
{
	struct timeval tv = { NL_TIMEOUT_MS / 1000, (NL_TIMEOUT_MS % 1000) * 1000 };
	int one = 1, r;

	memset(nl, 0, sizeof(*nl));
	nl->bus = bus;
	nl->sk = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (!nl->sk || mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		nl_close(nl);
		nl->bus = bus;
		return err_set(e, r, "socket(%s)", bus == NETLINK_ROUTE ?
			       "NETLINK_ROUTE" : "NETLINK_NETFILTER");
	}
	nl->portid = mnl_socket_get_portid(nl->sk);
	/* best effort: older kernels lack them, errors stay readable */
	mnl_socket_setsockopt(nl->sk, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sk, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(nl->sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return 0;
}

void nl_close(struct nl *nl)
{
	if (nl->sk)
		mnl_socket_close(nl->sk);
	nl->sk = NULL;
}

struct nlmsghdr *nl_msg(struct nl *nl, void *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);

	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	if (++nl->seq == 0)
		nl->seq = 1;
	h->nlmsg_seq = nl->seq;
	return h;
}

static const char *const rtm_names[] = {
	"RTM_NEWLINK", "RTM_DELLINK", "RTM_GETLINK", "RTM_SETLINK",
	"RTM_NEWADDR", "RTM_DELADDR", "RTM_GETADDR", "RTM_23",
	"RTM_NEWROUTE", "RTM_DELROUTE",
};
static const char *const nft_names[] = {
	"NFT_MSG_NEWTABLE", "NFT_MSG_GETTABLE", "NFT_MSG_DELTABLE",
	"NFT_MSG_NEWCHAIN", "NFT_MSG_GETCHAIN", "NFT_MSG_DELCHAIN",
	"NFT_MSG_NEWRULE", "NFT_MSG_GETRULE", "NFT_MSG_DELRULE",
};

const char *nl_type_name(int bus, uint16_t type)
{
	unsigned t = type;

	if (bus == NETLINK_ROUTE && t >= RTM_NEWLINK && t - RTM_NEWLINK < 10)
		return rtm_names[t - RTM_NEWLINK];
	if (bus == NETLINK_NETFILTER) {
		if (t == NFNL_MSG_BATCH_BEGIN)
			return "NFNL_MSG_BATCH_BEGIN";
		if (t == NFNL_MSG_BATCH_END)
			return "NFNL_MSG_BATCH_END";
		if (t >> 8 == NFNL_SUBSYS_NFTABLES && (t & 0xff) < 9)
			return nft_names[t & 0xff];
	}
	return "netlink request";
}

/* NLMSGERR_ATTR_MSG of an extended ack, NUL-terminated within its bytes */
static int ext_attr(const struct nlattr *a, void *data)
{
	struct nl *nl = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG) {
		size_t n = strnlen(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));

		if (n >= sizeof(nl->ext))
			n = sizeof(nl->ext) - 1;
		memcpy(nl->ext, mnl_attr_get_payload(a), n);
		nl->ext[n] = '\0';
	}
	return MNL_CB_OK;
}

static int kernel_error(struct nl *nl, const struct nlmsghdr *h)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
	size_t off = sizeof(*e);

	if (h->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return -EBADMSG;
	if (e->error == 0)
		return 0;
	nl->err_seq = h->nlmsg_seq;
	nl->err_type = e->msg.nlmsg_type;
	if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
		if (!(h->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len > sizeof(struct nlmsghdr) ?
			       e->msg.nlmsg_len - sizeof(struct nlmsghdr) : 0;
		if (off < mnl_nlmsg_get_payload_len(h))
			mnl_attr_parse(h, off, ext_attr, nl);
	}
	/* the kernel sends -errno; anything else is not a reply we trust */
	return e->error < 0 && e->error > -4096 ? e->error : -EBADMSG;
}

int nl_reply(struct nl *nl, const void *buf, size_t n, uint32_t first,
	     uint32_t last, unsigned *acks, nl_data_cb cb, void *data)
{
	const struct nlmsghdr *h = buf;
	int len = (int)n, r;

	if (n > NL_RECV_MAX * 16u)
		return -EBADMSG;
	for (; len > 0; h = mnl_nlmsg_next(h, &len)) {
		/* checked here, not by mnl_nlmsg_ok(): libmnl 1.0.4's compares
		 * signed, and lets an nlmsg_len >= 2^31 through. The kernel
		 * aligns every message, so the walk stays inside @n. */
		if ((size_t)len < sizeof(*h) || h->nlmsg_len < sizeof(*h) ||
		    h->nlmsg_len > (unsigned)len || h->nlmsg_len % MNL_ALIGNTO)
			return -EBADMSG;
		if (h->nlmsg_seq < first || h->nlmsg_seq > last)
			return -EPROTO;
		if (h->nlmsg_pid && h->nlmsg_pid != nl->portid)
			return -ESRCH;
		if (h->nlmsg_type == NLMSG_ERROR) {
			if ((r = kernel_error(nl, h)) < 0)
				return r;
			(*acks)++;
			continue;
		}
		errno = 0;
		r = mnl_cb_run(h, h->nlmsg_len, h->nlmsg_seq, nl->portid, cb, data);
		if (r == MNL_CB_ERROR)
			return errno ? -errno : -EIO;
	}
	return 0;
}

int nl_talk(struct nl *nl, const void *buf, size_t len, const char *what,
	    nl_data_cb cb, void *data, struct err *e)
{
	char rx[NL_RECV_MAX] __attribute__((aligned(8)));
	const struct nlmsghdr *h = buf;
	uint16_t type = h->nlmsg_type;
	uint32_t first = UINT32_MAX, last = 0;
	unsigned want = 0, acks = 0;
	int l = (int)len, r = 0;
	ssize_t n;

	nl->err_seq = 0;
	nl->err_type = 0;
	nl->ext[0] = '\0';
	for (; mnl_nlmsg_ok(h, l); h = mnl_nlmsg_next(h, &l)) {
		first = h->nlmsg_seq < first ? h->nlmsg_seq : first;
		last = h->nlmsg_seq > last ? h->nlmsg_seq : last;
		want += !!(h->nlmsg_flags & NLM_F_ACK);
	}
	if (!nl->sk)
		r = -EBADF;
	else if (mnl_socket_sendto(nl->sk, buf, len) < 0)
		r = -errno;
	while (!r && acks < want) {
		n = mnl_socket_recvfrom(nl->sk, rx, sizeof(rx));
		if (n < 0)
			r = errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
		else
			r = nl_reply(nl, rx, (size_t)n, first, last, &acks, cb, data);
	}
	if (r < 0)
		err_setx(e, r, "%s%s%s: %s%s%s%s",
			 nl_type_name(nl->bus, nl->err_seq ? nl->err_type : type),
			 what && *what ? " " : "", what ? what : "", strerror(-r),
			 nl->ext[0] ? " (" : "", nl->ext, nl->ext[0] ? ")" : "");
	return r;
}
