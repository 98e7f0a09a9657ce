/* SPDX-License-Identifier: MIT */
/* nftwatch: foreign changes of boxinit's tables, from nftables events. See nftwatch.h. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include "nat.h"
#include "nftwatch.h"

/* attribute 1 of every object message is the name of its table */
_Static_assert(NFTA_TABLE_NAME == 1 && NFTA_CHAIN_TABLE == 1 && NFTA_RULE_TABLE == 1 &&
	       NFTA_SET_TABLE == 1 && NFTA_SET_ELEM_LIST_TABLE == 1 &&
	       NFTA_OBJ_TABLE == 1 && NFTA_FLOWTABLE_TABLE == 1,
	       "nftables object messages name their table in attribute 1");

int nftw_open(struct nftw *w)
{
	int grp = NFNLGRP_NFTABLES, size = (int)NFTW_RCVBUF, r, fd;

	memset(w, 0, sizeof(*w));
	w->sk = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!w->sk)
		return -errno;
	if (mnl_socket_bind(w->sk, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(w->sk, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0) {
		r = -errno;
		nftw_close(w);
		return r;
	}
	/* a burst (a whole foreign ruleset loaded) must not overflow it */
	fd = mnl_socket_get_fd(w->sk);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	return 0;
}

void nftw_close(struct nftw *w)
{
	if (w->sk)
		mnl_socket_close(w->sk);
	w->sk = NULL;
}

int nftw_fd(const struct nftw *w)
{
	return w->sk ? mnl_socket_get_fd(w->sk) : -1;
}

void nftw_clear(struct nftw *w)
{
	w->changed = w->deleted = 0;
	w->lost = false;
	w->port = w->pid = 0;
	w->comm[0] = '\0';
}

static bool object_msg(unsigned msg)
{
	switch (msg) {
	case NFT_MSG_NEWTABLE: case NFT_MSG_DELTABLE:
	case NFT_MSG_NEWCHAIN: case NFT_MSG_DELCHAIN:
	case NFT_MSG_NEWRULE: case NFT_MSG_DELRULE:
	case NFT_MSG_NEWSET: case NFT_MSG_DELSET:
	case NFT_MSG_NEWSETELEM: case NFT_MSG_DELSETELEM:
	case NFT_MSG_NEWOBJ: case NFT_MSG_DELOBJ:
	case NFT_MSG_NEWFLOWTABLE: case NFT_MSG_DELFLOWTABLE:
		return true;
	}
	return false;
}

/* attribute 1 (the table's name) of an object message, NUL-terminated */
static int table_attr(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) != 1)
		return MNL_CB_OK;
	if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		*(const char **)data = mnl_attr_get_str(a);
	return MNL_CB_STOP;
}

struct gen { uint32_t pid; const char *comm; };

static int gen_attr(const struct nlattr *a, void *data)
{
	struct gen *g = data;

	if (mnl_attr_get_type(a) == NFTA_GEN_PROC_PID &&
	    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		g->pid = ntohl(mnl_attr_get_u32(a));
	else if (mnl_attr_get_type(a) == NFTA_GEN_PROC_NAME &&
		 mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		g->comm = mnl_attr_get_str(a);
	return MNL_CB_OK;
}

/* NFT_MSG_NEWGEN of the commit that made the last foreign change */
static void account_gen(struct nftw *w, const struct nlmsghdr *h)
{
	struct gen g = { 0, NULL };

	if (!w->port || h->nlmsg_pid != w->port)
		return;
	mnl_attr_parse(h, sizeof(struct nfgenmsg), gen_attr, &g);
	w->pid = g.pid;
	w->comm[0] = '\0';
	if (g.comm) {
		size_t n = strnlen(g.comm, sizeof(w->comm) - 1);

		memcpy(w->comm, g.comm, n);
		w->comm[n] = '\0';
	}
}

/* One message of the group: 1 when it is a foreign change of ours. */
static int account(struct nftw *w, const struct nlmsghdr *h)
{
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(h);
	const char *table = NULL;
	unsigned msg = h->nlmsg_type & 0xff, bit;

	if (h->nlmsg_type >> 8 != NFNL_SUBSYS_NFTABLES ||
	    mnl_nlmsg_get_payload_len(h) < sizeof(*g))
		return 0;
	if (msg == NFT_MSG_NEWGEN) {
		account_gen(w, h);
		return 0;
	}
	bit = nat_table_of(g->nfgen_family) & w->watch;
	if (!object_msg(msg) || !bit || (w->own && h->nlmsg_pid == w->own))
		return 0;
	mnl_attr_parse(h, sizeof(*g), table_attr, &table);
	if (!table || strcmp(table, NAT_TABLE))
		return 0;
	w->changed |= bit;
	if (msg == NFT_MSG_DELTABLE)
		w->deleted |= bit;
	if (h->nlmsg_pid != w->port) {
		w->port = h->nlmsg_pid;
		w->pid = 0;
		w->comm[0] = '\0';
	}
	return 1;
}

int nftw_datagram(struct nftw *w, const void *buf, size_t n)
{
	const struct nlmsghdr *h = buf;
	int len = n > (size_t)INT32_MAX ? INT32_MAX : (int)n, found = 0;

	/* checked here, as nl_reply() does: libmnl's mnl_nlmsg_ok compares
	 * signed, and an unaligned length would let the attribute walk read
	 * the padding past @n */
	for (; len > 0; h = mnl_nlmsg_next(h, &len)) {
		if ((size_t)len < sizeof(*h) || h->nlmsg_len < sizeof(*h) ||
		    h->nlmsg_len > (unsigned)len || h->nlmsg_len % MNL_ALIGNTO)
			break;
		found += account(w, h);
	}
	return found;
}

int nftw_read(struct nftw *w)
{
	char buf[8192] __attribute__((aligned(8)));
	int count = 0;

	if (!w->sk)
		return -EBADF;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(w->sk, buf, sizeof(buf));

		if (n >= 0) {
			nftw_datagram(w, buf, (size_t)n);
			count++;
		} else if (errno == ENOBUFS || errno == ENOSPC) {
			/* overrun, or a datagram larger than buf: events lost */
			w->lost = true;
			count++;
		} else if (errno == EINTR) {
			continue;
		} else {
			return errno == EAGAIN || errno == EWOULDBLOCK ? count : -errno;
		}
	}
}
