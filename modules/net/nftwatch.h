/* SPDX-License-Identifier: MIT */
/*
 * nftwatch: who changes boxinit's nftables tables, from the kernel's
 * nftables events (nfnetlink multicast group NFNLGRP_NFTABLES).
 *
 * Every committed change of the ruleset is announced to the group: one
 * message per table, chain, rule, set, set element, object or flowtable
 * added or deleted (NFT_MSG_NEW* / NFT_MSG_DEL*, the family in the
 * nfgenmsg, the table's name as attribute 1 of each of them), then an
 * NFT_MSG_NEWGEN with the new generation and the committing process
 * (NFTA_GEN_PROC_PID, NFTA_GEN_PROC_NAME). Each message carries in
 * nlmsg_pid the port id of the socket that committed the change: boxinit's
 * own changes carry the port id of its commit socket (@own), everything
 * else is someone else's (an `nft flush ruleset`, a firewall reloading).
 * Follows linux/netfilter/nf_tables.h and nf_tables_api.c's notifications.
 *
 * This file only watches and accounts; what to do about a change is
 * net_tables.c's business.
 */
#ifndef BOXINIT_NFTWATCH_H
#define BOXINIT_NFTWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mnl.h"

#define NFTW_RCVBUF  (1u << 20)     /* receive buffer asked for, bytes */
#define NFTW_COMM    16             /* a process name (TASK_COMM_LEN) */

struct nftw {
	struct mnl_socket *sk;
	unsigned own;           /* port id of boxinit's commit socket (0: none) */
	unsigned watch;         /* NAT_T_* tables looked after */
	/* foreign changes to watched tables since nftw_clear() */
	unsigned changed;       /* NAT_T_* of tables changed (deleted included) */
	unsigned deleted;       /* NAT_T_* of tables deleted */
	bool lost;              /* the kernel dropped events (ENOBUFS) */
	unsigned port;          /* port id of the last foreign change */
	uint32_t pid;           /* its process, from NFT_MSG_NEWGEN (0: unknown) */
	char comm[NFTW_COMM];   /* and its name ("" unknown) */
};

/*
 * nftw_open - a non-blocking, close-on-exec NETLINK_NETFILTER socket in
 * the caller's network namespace, subscribed to NFNLGRP_NFTABLES, with a
 * receive buffer of NFTW_RCVBUF (SO_RCVBUFFORCE, else what SO_RCVBUF
 * allows). @w is cleared first. Returns 0 or -errno.
 */
int nftw_open(struct nftw *w);

/* nftw_close - release the socket (safe on a closed or zeroed @w). */
void nftw_close(struct nftw *w);

/* nftw_fd - the socket's fd for epoll, or -1. */
int nftw_fd(const struct nftw *w);

/*
 * nftw_read - read every datagram waiting (until EAGAIN) and account each
 * with nftw_datagram(). ENOBUFS (events lost) sets @w->lost and reading
 * goes on. Returns the number of datagrams read, or -errno of a failure
 * other than EAGAIN / ENOBUFS.
 */
int nftw_read(struct nftw *w);

/*
 * nftw_datagram - account the @n bytes at @buf (one received datagram):
 * each nftables object message of a watched table (@w->watch, by family:
 * nat_table_of()) named "boxinit" whose nlmsg_pid is not @w->own marks
 * the table changed (and deleted for NFT_MSG_DELTABLE) and records the
 * port; an NFT_MSG_NEWGEN from that port records the process. Anything
 * else, and malformed messages or attributes, are skipped; never reads
 * outside the @n bytes. Returns the number of foreign changes found.
 */
int nftw_datagram(struct nftw *w, const void *buf, size_t n);

/* nftw_clear - forget the changes seen (after acting on them). */
void nftw_clear(struct nftw *w);

#endif
