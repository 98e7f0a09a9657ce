/* SPDX-License-Identifier: MIT */
/*
 * control: the control socket boxctl talks to.
 *
 * AF_UNIX, SOCK_SEQPACKET, mode 0600, at /run/boxinit.sock by default.
 * Who may use it is decided by where the peer lives (peer.h), not by its
 * uid alone: an operator (uid 0, in boxinit's pid namespace, outside the
 * service cgroups) may ask everything; a service (its cgroup or its pid
 * namespace) what its `control` key grants: nothing (no, the default),
 * the requests that change nothing (status: "status", "logpath"), or
 * everything (yes), and only as uid 0; anyone else, and a peer boxinit
 * cannot see or check, nothing. A refusal is "permission denied".
 * One request per connection: one packet of at most CONTROL_REQ_MAX bytes,
 * words separated by blanks ("status web", "json status", "stop web",
 * "reload", "logpath web", "events", "events 41", "poweroff"). The reply is a packet
 * "CODE<TAB>message" (CODE: 0 ok, 1 error, 3 not found / not running)
 * followed by the body in packets of at most CONTROL_PKT_MAX bytes, then
 * the server closes. A client that connects and says nothing is dropped
 * after CONTROL_IDLE_MS; at most CONTROL_PENDING wait at once.
 * "[json] follow [SEQ]" is the one request that keeps its connection: the
 * reply "0<TAB>following", then one packet per service event after SEQ
 * (events.h; 0: all the ring holds) as it happens, until the client
 * closes; at most CONTROL_FOLLOWERS at once.
 */
#ifndef BOXINIT_CONTROL_H
#define BOXINIT_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define CONTROL_DEFAULT_PATH "/run/boxinit.sock"
#define CONTROL_REQ_MAX      256
#define CONTROL_PKT_MAX      4096
#define CONTROL_IDLE_MS      1000u
#define CONTROL_PENDING      8
#define CONTROL_FOLLOWERS    4      /* clients of "follow" at once */

enum { CTL_OK = 0, CTL_ERROR = 1, CTL_NOT_FOUND = 3 };

/* What the server asks of boxinit's core for requests beyond services. */
struct control_ops {
	/* re-read the configuration; 0 or -errno, @e says what happened
	 * (code 0 and a message on success too: the reply's text) */
	int (*reload)(struct err *e);
	/* start an orderly shutdown: RB_AUTOBOOT, RB_POWER_OFF, RB_HALT_SYSTEM */
	void (*shutdown)(int cmd, const char *why);
};

/*
 * control_open - listen on @path (a stale socket file is replaced; a live
 * one, answered by another boxinit, is left alone: -EADDRINUSE) and serve
 * requests from the event loop with @ops. Returns 0 or -errno.
 */
int control_open(const char *path, const struct control_ops *ops);

/* control_close - stop listening, drop clients, remove the socket file. */
void control_close(void);

/*
 * control_handle - answer one request @req (NUL-terminated) into @out
 * (@len bytes; the body, NUL-terminated) and its reply message into @msg:
 * a failure's error value ("web: no such service", -ENOENT), or code 0
 * and what happened ("web: stop requested"). Returns the CTL_* code.
 * Exposed for the fuzz and unit tests.
 */
int control_handle(const char *req, char *out, size_t len, struct err *msg);

/*
 * boxctl_main - the client: "boxctl VERB [ARGS]" (also "boxinit ctl ...").
 * Returns the process exit code (0 ok, 1 error, 3 not found/not running).
 */
int boxctl_main(int argc, char **argv);

#endif
