/* SPDX-License-Identifier: MIT */
/*
 * mnl: the netlink library boxinit's network code is written against.
 *
 * With -DBOXINIT_LIBMNL_SYSTEM (`make LIBMNL=system`) this is Debian's
 * libmnl (<libmnl/libmnl.h>, pkg-config libmnl). Otherwise it is the
 * in-tree subset in mnl.c: the same names, types and semantics as libmnl
 * 1.0.x for every function declared below (see libmnl's doxygen and
 * netlink(7)), because Debian ships no static libmnl for the musl build.
 * Like libmnl, the subset trusts lengths only after mnl_nlmsg_ok() /
 * mnl_attr_ok() checked them against the bytes received; the callers in
 * netlink.c add the strict checks (framing, alignment, sequence range).
 *
 * Only what boxinit uses is here; add a function by copying libmnl's
 * documented contract, never its code.
 */
#ifndef BOXINIT_MNL_H
#define BOXINIT_MNL_H

#ifdef BOXINIT_LIBMNL_SYSTEM
#include <libmnl/libmnl.h>
#else

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <linux/netlink.h>

#define MNL_SOCKET_AUTOPID      0
#define MNL_SOCKET_BUFFER_SIZE  8192L   /* libmnl: min(page size, 8192) */

#define MNL_ALIGNTO             4
#define MNL_ALIGN(len)          (((len) + MNL_ALIGNTO - 1) & ~(MNL_ALIGNTO - 1))
#define MNL_NLMSG_HDRLEN        MNL_ALIGN(sizeof(struct nlmsghdr))
#define MNL_ATTR_HDRLEN         MNL_ALIGN(sizeof(struct nlattr))

/* callback results (mnl_cb_t, mnl_attr_cb_t) */
#define MNL_CB_ERROR            -1
#define MNL_CB_STOP              0
#define MNL_CB_OK                1

typedef int (*mnl_cb_t)(const struct nlmsghdr *nlh, void *data);
typedef int (*mnl_attr_cb_t)(const struct nlattr *attr, void *data);

/* ---- sockets ---- */
struct mnl_socket;

/* socket(AF_NETLINK, SOCK_RAW | @flags, @bus); malloc'd, NULL + errno */
struct mnl_socket *mnl_socket_open(int bus);
struct mnl_socket *mnl_socket_open2(int bus, int flags);
/* bind to @groups / @pid (MNL_SOCKET_AUTOPID: kernel picks); 0 or -1 + errno */
int mnl_socket_bind(struct mnl_socket *nl, unsigned int groups, pid_t pid);
int mnl_socket_close(struct mnl_socket *nl);
int mnl_socket_get_fd(const struct mnl_socket *nl);
unsigned int mnl_socket_get_portid(const struct mnl_socket *nl);
/* one datagram to the kernel; bytes sent or -1 + errno */
ssize_t mnl_socket_sendto(const struct mnl_socket *nl, const void *req, size_t siz);
/* one datagram from the kernel (port 0); a truncated one is -1/ENOSPC */
ssize_t mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf, size_t siz);
/* setsockopt(SOL_NETLINK, @type) */
int mnl_socket_setsockopt(const struct mnl_socket *nl, int type, void *buf, socklen_t len);

/* ---- messages ---- */
size_t mnl_nlmsg_size(size_t len);
size_t mnl_nlmsg_get_payload_len(const struct nlmsghdr *nlh);
struct nlmsghdr *mnl_nlmsg_put_header(void *buf);
void *mnl_nlmsg_put_extra_header(struct nlmsghdr *nlh, size_t size);
void *mnl_nlmsg_get_payload(const struct nlmsghdr *nlh);
void *mnl_nlmsg_get_payload_offset(const struct nlmsghdr *nlh, size_t offset);
void *mnl_nlmsg_get_payload_tail(const struct nlmsghdr *nlh);
bool mnl_nlmsg_ok(const struct nlmsghdr *nlh, int len);
struct nlmsghdr *mnl_nlmsg_next(const struct nlmsghdr *nlh, int *len);

/* ---- batches: several messages in one datagram ---- */
struct mnl_nlmsg_batch;

/*
 * @buf of @bufsiz bytes; a batch is "full" once it exceeds @bufsiz: keep
 * room for one more message after @bufsiz (libmnl's rule). malloc'd.
 */
struct mnl_nlmsg_batch *mnl_nlmsg_batch_start(void *buf, size_t bufsiz);
/* the current message is complete: false when it did not fit */
bool mnl_nlmsg_batch_next(struct mnl_nlmsg_batch *b);
void mnl_nlmsg_batch_stop(struct mnl_nlmsg_batch *b);
size_t mnl_nlmsg_batch_size(struct mnl_nlmsg_batch *b);
void mnl_nlmsg_batch_reset(struct mnl_nlmsg_batch *b);
void *mnl_nlmsg_batch_head(struct mnl_nlmsg_batch *b);
void *mnl_nlmsg_batch_current(struct mnl_nlmsg_batch *b);
bool mnl_nlmsg_batch_is_empty(struct mnl_nlmsg_batch *b);

/* ---- attributes ---- */
uint16_t mnl_attr_get_type(const struct nlattr *attr);
uint16_t mnl_attr_get_len(const struct nlattr *attr);
uint16_t mnl_attr_get_payload_len(const struct nlattr *attr);
void *mnl_attr_get_payload(const struct nlattr *attr);
bool mnl_attr_ok(const struct nlattr *attr, int len);
struct nlattr *mnl_attr_next(const struct nlattr *attr);
uint8_t mnl_attr_get_u8(const struct nlattr *attr);
uint16_t mnl_attr_get_u16(const struct nlattr *attr);
uint32_t mnl_attr_get_u32(const struct nlattr *attr);
uint64_t mnl_attr_get_u64(const struct nlattr *attr);
const char *mnl_attr_get_str(const struct nlattr *attr);

/* what an attribute's payload must look like (mnl_attr_validate) */
enum mnl_attr_data_type {
	MNL_TYPE_UNSPEC,
	MNL_TYPE_U8,
	MNL_TYPE_U16,
	MNL_TYPE_U32,
	MNL_TYPE_U64,
	MNL_TYPE_STRING,
	MNL_TYPE_FLAG,
	MNL_TYPE_MSECS,
	MNL_TYPE_NESTED,
	MNL_TYPE_NESTED_COMPAT,
	MNL_TYPE_NUL_STRING,
	MNL_TYPE_BINARY,
	MNL_TYPE_MAX,
};

/*
 * mnl_attr_validate - check @attr's payload against @type before reading
 * it: integers exactly their size (MNL_TYPE_MSECS: a u64), a FLAG empty,
 * a STRING not empty, a NUL_STRING not empty and ending in NUL, a NESTED
 * empty or holding at least one attribute header. 0, or -1 with errno
 * ERANGE (length) / EINVAL (no final NUL, @type unknown).
 */
int mnl_attr_validate(const struct nlattr *attr, enum mnl_attr_data_type type);

/* append to @nlh (no bounds check, like libmnl: size the buffer) */
void mnl_attr_put(struct nlmsghdr *nlh, uint16_t type, size_t len, const void *data);
void mnl_attr_put_u8(struct nlmsghdr *nlh, uint16_t type, uint8_t data);
void mnl_attr_put_u16(struct nlmsghdr *nlh, uint16_t type, uint16_t data);
void mnl_attr_put_u32(struct nlmsghdr *nlh, uint16_t type, uint32_t data);
void mnl_attr_put_u64(struct nlmsghdr *nlh, uint16_t type, uint64_t data);
void mnl_attr_put_str(struct nlmsghdr *nlh, uint16_t type, const char *data);
void mnl_attr_put_strz(struct nlmsghdr *nlh, uint16_t type, const char *data);
struct nlattr *mnl_attr_nest_start(struct nlmsghdr *nlh, uint16_t type);
void mnl_attr_nest_end(struct nlmsghdr *nlh, struct nlattr *start);
void mnl_attr_nest_cancel(struct nlmsghdr *nlh, struct nlattr *start);

/*
 * Call @cb for each attribute of @nlh's payload after @offset bytes (of
 * @nest's payload); stops at the first malformed one, or when @cb returns
 * <= MNL_CB_STOP; returns the last callback result (MNL_CB_OK if none).
 */
int mnl_attr_parse(const struct nlmsghdr *nlh, unsigned int offset,
		   mnl_attr_cb_t cb, void *data);
int mnl_attr_parse_nested(const struct nlattr *nest, mnl_attr_cb_t cb, void *data);

#define mnl_attr_for_each_nested(attr, nest) \
	for ((attr) = mnl_attr_get_payload(nest); \
	     mnl_attr_ok((attr), (char *)mnl_attr_get_payload(nest) + \
			 mnl_attr_get_payload_len(nest) - (char *)(attr)); \
	     (attr) = mnl_attr_next(attr))

/*
 * mnl_cb_run - walk the @numbytes of replies at @buf: a message from
 * another port than @portid is -1/ESRCH, another sequence than @seq
 * -1/EPROTO (0 means "do not check"), an interrupted dump -1/EINTR;
 * data messages go to @cb_data; NLMSG_ERROR with an error is -1 with
 * errno = the error, an ack (error 0) or NLMSG_DONE is MNL_CB_STOP.
 * Returns MNL_CB_OK when the buffer ended without any of these.
 */
int mnl_cb_run(const void *buf, size_t numbytes, unsigned int seq,
	       unsigned int portid, mnl_cb_t cb_data, void *data);

#endif /* BOXINIT_LIBMNL_SYSTEM */
#endif
