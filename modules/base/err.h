/* SPDX-License-Identifier: MIT */
/*
 * err: boxinit's one error value. A failure is described where it
 * happens, by the code that knows the object ("bind /data", "RTM_NEWLINK
 * bxweb"), carried up by the callers, each of which may prefix its own
 * context ("network: "), and logged once, by the caller that decides what
 * happens next:
 *
 *     boxinit: web: network: RTM_NEWLINK bxweb: File exists
 *
 * A value is plain data, no pointers, no heap: it lives on the stack,
 * crosses a pipe as it is (a container's child writes it back to PID 1
 * in one write(2), atomic below PIPE_BUF) and is copied by assignment.
 * Code 0 with a message is a note, not a failure: what went right, or a
 * warning the caller may pass on (a container started with weaker
 * containment, the reply to a control request).
 *
 * Every helper accepts a NULL @e (a caller that does not want the text)
 * and returns the code it stored, so that a failure site reads
 * `return err_set(e, -errno, "open %s", path);`.
 *
 * The name shadows the BSD <err.h> of the C library, which boxinit does
 * not use.
 */
#ifndef BOXINIT_ERR_H
#define BOXINIT_ERR_H

#include <stddef.h>

#define ERR_MSG_MAX  320        /* bytes of a message, NUL included */
#define ERR_TAIL     96         /* bytes of a message's end always kept */

struct err {
	int code;                  /* 0, or -errno (-4095 .. -1) */
	char msg[ERR_MSG_MAX];     /* NUL-terminated: "bind /data: No such file..." */
};

/*
 * err_set - @e becomes @code (-errno) with the message "FMT: strerror"
 * ("bind /data: No such file or directory"); a @code >= 0 gets no errno
 * text. err_setx - the same without the errno text, for a message that
 * says why itself ("br0 exists and is not a bridge"). A message longer
 * than ERR_MSG_MAX - 1 bytes loses its middle, marked "...": its start
 * (what failed) and its last ERR_TAIL bytes (why) are kept. errno is
 * left as it was. Return @code.
 */
int err_set(struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int err_setx(struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * err_prefix - put the context "FMT: " before @e's message ("network: "
 * + "RTM_NEWLINK bxweb: File exists"); the code stays. Over-long results
 * lose their middle as with err_set. Returns @e's code (0 for NULL @e).
 */
int err_prefix(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* err_clear - code 0, message "". */
void err_clear(struct err *e);

/*
 * err_received - make a value read from outside (a pipe: the bytes of a
 * struct err, or fewer) safe to use: the message NUL-terminated, a code
 * outside -4095 .. 0 replaced by -EIO. Returns the code.
 */
int err_received(struct err *e);

/*
 * err_log - log @e's message once at @level (LOG_LV_* of log.h, which
 * this header does not include: the code of a container's child uses
 * err.h and never logs). An empty message of a failure is logged as its
 * strerror text.
 */
void err_log(const struct err *e, int level);

#endif
