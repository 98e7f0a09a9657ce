/* SPDX-License-Identifier: MIT */
/*
 * ready: how a simple service says it can serve (service.X.ready), the
 * parent's side:
 *
 *   exec     once it exec'd (the spawn's report, run.c)
 *   fd:N     the s6 protocol: a pipe per start, whose write end is fd N
 *            of the service (and of no other process); it writes a line
 *            ending in "\n" there (and closes it). EOF without a line:
 *            not ready, ready_timeout decides. A service that closes
 *            every fd above 2 at start loses the pipe (s6 #20).
 *   notify   the sd_notify protocol: an AF_UNIX SOCK_DGRAM socket per
 *            start, LOG_DIR/.notify/NAME (the directory 0700; the log
 *            directory is masked in every container), bound into the
 *            service's own /tmp at PROCESS_NOTIFY_SOCKET, which
 *            $NOTIFY_SOCKET names. Datagrams of newline-separated
 *            VAR=VALUE: READY=1 makes it ready, STATUS=TEXT is kept for
 *            boxctl status; the rest (MAINPID=, WATCHDOG=, ...) is
 *            ignored, a datagram over NOTIFY_MSG_MAX bytes dropped, file
 *            descriptors passed along never installed (no control
 *            buffer: the kernel discards them).
 *
 * sd_notify(3) and s6's notification-fd are the references; a process of
 * the service's container is the only one that can reach either.
 */
#ifndef BOXINIT_READY_H
#define BOXINIT_READY_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "process.h"

#define READY_LINE_MAX  4096u   /* fd:N: bytes before the "\n", at most */
#define NOTIFY_MSG_MAX  4096u   /* a bigger datagram is dropped */
#define NOTIFY_DIR      ".notify"       /* below the log directory */

#define NOTIFY_READY    1u      /* notify_parse: READY=1 */
#define NOTIFY_STATUS   2u      /* notify_parse: STATUS= */

struct service;
struct svc_conf;

/*
 * ready_prepare - before @s is spawned: for ready = fd:N its pipe, for
 * notify its socket (which needs a log directory), into @req's ready_fd,
 * ready_wfd and notify; nothing for ready = exec. Returns 0 or -errno
 * with @e set ("ready = notify: socket ...: ..."). Clears its STATUS text.
 */
int ready_prepare(struct service *s, struct spawn_req *req, struct err *e);

/* ready_started - after the spawn: close the pipe's write end, and watch
 * the read end or the socket (@ok), or close everything (@ok false). */
void ready_started(struct service *s, bool ok);

/* ready_close - @s's run ended: stop listening, remove its socket. */
void ready_close(struct service *s);

/*
 * ready_feed - @s said it can serve (its exec for ready = exec, its line,
 * READY=1): EV_READY to its state machine, its health checks begin, the
 * services after it may start.
 */
void ready_feed(struct service *s);

/*
 * svc_env - the environment of @c's processes (the service, its health
 * check): process_env(@c->env), with NOTIFY_SOCKET=PROCESS_NOTIFY_SOCKET
 * for ready = notify (over a NOTIFY_SOCKET of env.). A malloc'd array of
 * borrowed strings, as process_env(); NULL on ENOMEM.
 */
char **svc_env(const struct svc_conf *c);

/*
 * notify_parse - one sd_notify datagram @msg (@len bytes, not
 * NUL-terminated): its newline-separated assignments. Returns
 * NOTIFY_READY when it holds READY=1, | NOTIFY_STATUS when it holds
 * STATUS=, whose text (the last one's) goes to @status (@slen bytes, NUL
 * included) as log_sanitize() makes it. Other assignments are ignored.
 */
unsigned notify_parse(const char *msg, size_t len, char *status, size_t slen);

#endif
