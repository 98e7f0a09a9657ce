/* SPDX-License-Identifier: MIT */
/*
 * svc_output: a service's stdout/stderr pipe, relayed line by line to the
 * log (console, /dev/kmsg, NAME.log) under the service's log rate limit
 * (lograte.h).
 *
 * Over the limit, boxinit stops reading the pipe (the fd leaves epoll)
 * until the buckets hold a line again, at least LOGRATE_PAUSE_MS: the
 * pipe fills and the service blocks in write(2), on its own CPU time.
 * Then boxinit reads what the pipe holds (at most OUT_CHUNK bytes a
 * round), relays what the buckets allow and drops the rest, counted: a
 * service cannot make PID 1 read more than about OUT_CHUNK bytes per
 * LOGRATE_PAUSE_MS. Drops are logged as "NAME: log rate limit: N lines
 * dropped" at most once per LOGRATE_REPORT_MS, and counted in
 * `boxctl status`.
 */
#ifndef BOXINIT_SVC_OUTPUT_H
#define BOXINIT_SVC_OUTPUT_H

#include <stdint.h>

#include "service.h"

/* svc_out_init - the loop objects of a new service's output (timer). */
void svc_out_init(struct service *s);

/* svc_out_open - watch @fd (owned from now on), the read end of @s's
 * output pipe. A failure to watch it is logged and the fd closed. */
void svc_out_open(struct service *s, int fd);

/* svc_out_close - relay what is left (a partial last line too, within
 * the limit), report pending drops, close the pipe. */
void svc_out_close(struct service *s);

#endif
