/* SPDX-License-Identifier: MIT */
/*
 * control_priv: shared by the pieces of the control module:
 *   protocol.c  one request in, one reply out (control_handle)
 *   status.c    the status table and its JSON form
 *   server.c    the socket, its clients, who they are (peer.c)
 *   boxctl.c    the client
 */
#ifndef BOXINIT_CONTROL_PRIV_H
#define BOXINIT_CONTROL_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "control.h"

/* A reply body being written: @p of @len bytes, @used so far (the text
 * stays NUL-terminated; what does not fit is cut). */
struct buf {
	char *p;
	size_t len, used;
};

/* bprintf - append to @b like printf, cutting what does not fit. */
void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * control_status - the body of "status [NAME]" (@name NULL: every
 * service) into @b, as a table or (@json) one JSON document. Returns the
 * CTL_* code with @msg saying why when it is not CTL_OK (a -errno, or
 * code 0 for "NAME: stopped"):
 * no such service, NAME not running, or the body cut short (a JSON body
 * is then empty: never half a document).
 */
int control_status(const char *name, bool json, struct buf *b, struct err *msg);

struct svc_transition;

/*
 * control_event_line - one event as a line (with its '\n') into @buf (@len
 * bytes): "SEQ [SECONDS] NAME: FROM -> TO (CAUSE)", or with @json one JSON
 * object (JSON Lines). Returns the length (cut to @len - 1).
 */
size_t control_event_line(const struct svc_transition *e, bool json, char *buf,
			  size_t len);

/*
 * control_read_only - whether request verb @verb changes nothing (what a
 * service with control = status may ask).
 */
bool control_read_only(const char *verb);

/*
 * control_boot - the body of "boot": this boot's timeline (timeline.h),
 * times in µs since boxinit's first instruction. Text: a line "t0 T0_US
 * DROPPED", then one line per step "KIND OUTCOME CRITICAL START EXEC END
 * NAME" (tab-separated; EXEC and END 0 while not reached), or one JSON
 * document. Returns the CTL_* code, @msg saying why it is not CTL_OK.
 */
int control_boot(bool json, struct buf *b, struct err *msg);

/*
 * boxctl_ask - the client's one request: send @req to the socket @path,
 * the reply's body into @body (@blen bytes; NULL: to stdout, flushed per
 * packet with @stream, which also waits without a time limit), its message
 * into @msg. Returns the reply's CTL_* code, or -errno.
 */
int boxctl_ask(const char *path, const char *req, char *body, size_t blen,
	       char *msg, size_t mlen, bool stream);

/*
 * boxctl_boot - "boxctl boot": the timeline as a table (the critical path
 * marked), or with @json the server's JSON, or with @svg a Gantt chart
 * written to the file @svg. Returns the exit code.
 */
int boxctl_boot(const char *path, bool json, const char *svg);

/*
 * control_top - the body of "top": one tab-separated line per service,
 * "NAME STATE PID CPU_US MEMORY LIMIT PROCS RESTARTS OOM_KILLS HEALTH" (-1
 * for a figure that cannot be read, a limit that is not set; HEALTH as
 * status shows it, "-" without checks). Returns the CTL_*
 * code.
 */
int control_top(struct buf *b, struct err *msg);

/*
 * boxctl_top - "boxctl top": a live view of the services, refreshed every
 * second until 'q' or Ctrl-C, sorted by CPU; @once: one frame (two
 * samples a second apart) without terminal control. Returns the exit code.
 */
int boxctl_top(const char *path, bool once);

/* control_set_ops - the core's operations for reload and shutdown
 * requests (control_open); NULL: those requests are refused. */
void control_set_ops(const struct control_ops *ops);

#endif
