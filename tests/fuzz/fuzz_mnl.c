// SPDX-License-Identifier: MIT
/*
 * fuzz_mnl: the netlink reply/ack parser on any datagram the kernel (or
 * anything able to send to our port) could hand back: mnl_cb_run() of
 * modules/net/mnl.c with a data callback that walks every attribute and
 * nested attribute like the network code does, nl_reply() of
 * modules/net/netlink.c (framing, sequence range, acks, extended-ack TLVs),
 * and nftw_datagram() of modules/net/nftwatch.c (nftables events).
 * Inputs are copied into malloc'd (aligned) buffers: see below for their
 * sizes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mnl.h"
#include "nat.h"
#include "netlink.h"
#include "nftwatch.h"

static int attr_cb(const struct nlattr *attr, void *data)
{
	unsigned *depth = data;
	uint16_t plen = mnl_attr_get_payload_len(attr);
	volatile uint64_t sink = mnl_attr_get_type(attr);

	/* what callers do after checking the length, as libmnl's validate */
	if (plen >= 1)
		sink += mnl_attr_get_u8(attr);
	if (plen >= 2)
		sink += mnl_attr_get_u16(attr);
	if (plen >= 4)
		sink += mnl_attr_get_u32(attr);
	if (plen >= 8)
		sink += mnl_attr_get_u64(attr);
	if (plen >= 1 && memchr(mnl_attr_get_payload(attr), '\0', plen))
		sink += strlen(mnl_attr_get_str(attr));
	(void)sink;
	if ((attr->nla_type & NLA_F_NESTED) && *depth < 8) {
		(*depth)++;
		mnl_attr_parse_nested(attr, attr_cb, data);
		(*depth)--;
	}
	return MNL_CB_OK;
}

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	unsigned depth = 0;
	size_t plen = mnl_nlmsg_get_payload_len(nlh);

	/* an rtnetlink message: a family header (ifinfomsg, 16 bytes) first */
	if (plen >= 16)
		mnl_attr_parse(nlh, 16, attr_cb, &depth);
	if (plen >= 4)
		mnl_attr_parse(nlh, 4, attr_cb, &depth);  /* nfgenmsg */
	return MNL_CB_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nl nl;
	struct nftw w;
	unsigned acks = 0;
	uint32_t seq = 0, port = 0;
	char *exact, *padded;

	if (size > NL_RECV_MAX)
		return 0;
	/*
	 * mnl_cb_run() has libmnl's contract: it walks a message up to its
	 * aligned end (the kernel pads every message), so it gets the bytes
	 * padded to 4 as they sit in netlink.c's receive buffer. nl_reply()
	 * promises never to read outside the @n bytes: it gets exactly them.
	 */
	exact = malloc(size ? size : 1);
	padded = calloc(1, MNL_ALIGN(size) ? MNL_ALIGN(size) : 1);
	if (!exact || !padded) {
		free(exact);
		free(padded);
		return 0;
	}
	memcpy(exact, data, size);
	memcpy(padded, data, size);
	if (size >= 16) {
		memcpy(&seq, data + 8, 4);      /* nlmsg_seq */
		memcpy(&port, data + 12, 4);    /* nlmsg_pid */
	}

	errno = 0;
	mnl_cb_run(padded, size, seq, port, data_cb, NULL);
	mnl_cb_run(padded, size, 0, 0, data_cb, NULL);
	mnl_cb_run(padded, size, seq + 1, port + 1, NULL, NULL);

	memset(&nl, 0, sizeof(nl));
	nl.bus = 0;     /* NETLINK_ROUTE */
	nl.portid = port;
	nl_reply(&nl, exact, size, seq > 2 ? seq - 2 : 0, seq + 2, &acks, data_cb, NULL);
	if (strnlen(nl.ext, sizeof(nl.ext)) >= sizeof(nl.ext))
		abort();
	/* events: exact bytes too; every watched table, our port the first one's */
	memset(&w, 0, sizeof(w));
	w.own = port;
	w.watch = NAT_T_IP | NAT_T_BRIDGE;
	nftw_datagram(&w, exact, size);
	if ((w.deleted & ~w.changed) || strnlen(w.comm, sizeof(w.comm)) >= sizeof(w.comm))
		abort();
	free(exact);
	free(padded);
	return 0;
}
