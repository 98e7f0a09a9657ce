/* SPDX-License-Identifier: MIT */
/* err: one error value, code + message, no heap. See err.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "log.h"

_Static_assert(ERR_TAIL + 3 < ERR_MSG_MAX / 2, "a message keeps more head than tail");
_Static_assert(sizeof(struct err) <= 512, "a value crosses a pipe in one atomic write");

/* @e's message becomes the @n bytes at @s (not e->msg): as they are when
 * they fit, else head + "..." + the last ERR_TAIL bytes. */
static void store(struct err *e, const char *s, size_t n)
{
	const size_t head = ERR_MSG_MAX - 1 - 3 - ERR_TAIL;

	if (n < ERR_MSG_MAX) {
		memcpy(e->msg, s, n);
		e->msg[n] = '\0';
		return;
	}
	memcpy(e->msg, s, head);
	memcpy(e->msg + head, "...", 3);
	memcpy(e->msg + head + 3, s + n - ERR_TAIL, ERR_TAIL);
	e->msg[ERR_MSG_MAX - 1] = '\0';
}

/* vsnprintf into @buf (@size bytes): the length stored, never more. */
static size_t __attribute__((format(printf, 3, 0)))
vput(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, size, fmt, ap);

	if (n < 0) {
		buf[0] = '\0';
		return 0;
	}
	return (size_t)n < size ? (size_t)n : size - 1;
}

static int __attribute__((format(printf, 4, 0)))
vset(struct err *e, int code, bool why, const char *fmt, va_list ap)
{
	char tmp[2 * ERR_MSG_MAX];
	const char *reason = why && code < 0 ? strerror(-code) : NULL;
	size_t rl = reason ? strlen(reason) : 0, n;
	int saved = errno;

	if (rl > ERR_TAIL - 2)
		rl = ERR_TAIL - 2;
	/* the context is cut first: the reason always fits */
	n = vput(tmp, sizeof(tmp) - rl - 2, fmt, ap);
	if (reason && n) {
		memcpy(tmp + n, ": ", 2);
		n += 2;
	}
	if (reason) {
		memcpy(tmp + n, reason, rl);
		n += rl;
	}
	e->code = code;
	store(e, tmp, n);
	errno = saved;
	return code;
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	va_start(ap, fmt);
	vset(e, code, true, fmt, ap);
	va_end(ap);
	return code;
}

int err_setx(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	va_start(ap, fmt);
	vset(e, code, false, fmt, ap);
	va_end(ap);
	return code;
}

int err_prefix(struct err *e, const char *fmt, ...)
{
	char tmp[2 * ERR_MSG_MAX];
	size_t n, m;
	va_list ap;
	int saved = errno;

	if (!e)
		return 0;
	va_start(ap, fmt);
	n = vput(tmp, ERR_MSG_MAX, fmt, ap);
	va_end(ap);
	m = strnlen(e->msg, ERR_MSG_MAX - 1);
	if (n && m) {
		memcpy(tmp + n, ": ", 2);
		n += 2;
	}
	memcpy(tmp + n, e->msg, m);
	store(e, tmp, n + m);
	errno = saved;
	return e->code;
}

void err_clear(struct err *e)
{
	if (!e)
		return;
	e->code = 0;
	e->msg[0] = '\0';
}

int err_received(struct err *e)
{
	e->msg[ERR_MSG_MAX - 1] = '\0';
	if (e->code > 0 || e->code < -4095)
		e->code = -EIO;
	return e->code;
}

void err_log(const struct err *e, int level)
{
	if (!e)
		return;
	if (e->msg[0])
		log_msg(level, "%s", e->msg);
	else if (e->code < 0)
		log_msg(level, "%s", strerror(-e->code));
}
