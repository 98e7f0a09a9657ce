/* SPDX-License-Identifier: MIT */
/* log: console output through a non-blocking ring buffer. See log.h. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "syslog_remote.h"

static char ring[LOG_RING_SIZE];      /* in .bss: costs no file size */

static struct {
	int fd;
	int level;
	size_t head;            /* next byte to write out */
	size_t len;             /* bytes queued */
	uint64_t dropped;       /* lines dropped since start */
	uint64_t reported;      /* dropped lines already reported */
	int kmsg;               /* /dev/kmsg, or -1 */
	uint64_t file_errors;
	char dir[200];          /* per-service log files, "" = none */
	struct log_file self;   /* boxinit.log */
	bool console_stamps;    /* console lines begin with the uptime */
	uint32_t file_max;      /* bytes of a log file before it is rotated */
	unsigned files;         /* NAME.log and the rotated ones, in all */
} lg = { .fd = -1, .level = LOG_LV_INFO, .kmsg = -1, .self = { .fd = -1 },
	 .file_max = LOG_FILE_MAX, .files = 2 };

void log_open(int fd)
{
	int fl;

	if (lg.fd >= 0 && lg.fd != fd)
		close(lg.fd);
	lg.fd = fd;
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int log_fd(void)
{
	return lg.fd;
}

void log_set_level(int level)
{
	lg.level = level;
}

void log_set_files(uint32_t max_bytes, unsigned files)
{
	lg.file_max = max_bytes ? max_bytes : LOG_FILE_MAX;
	lg.files = files ? files : 2;
}

void log_set_console_stamps(bool on)
{
	lg.console_stamps = on;
}

uint64_t log_dropped(void)
{
	return lg.dropped;
}

bool log_pending(void)
{
	return lg.len > 0;
}

void log_forget(void)
{
	lg.head = lg.len = 0;
}

/* Append to the ring; the caller checked that it fits. */
static void ring_put(const char *p, size_t n)
{
	size_t tail = (lg.head + lg.len) % LOG_RING_SIZE;
	size_t first = LOG_RING_SIZE - tail;

	if (first > n)
		first = n;
	memcpy(ring + tail, p, first);
	memcpy(ring, p + first, n - first);
	lg.len += n;
}

bool log_flush(void)
{
	int fd = lg.fd >= 0 ? lg.fd : 2;

	while (lg.len > 0) {
		size_t chunk = LOG_RING_SIZE - lg.head;
		ssize_t n;

		if (chunk > lg.len)
			chunk = lg.len;
		n = write(fd, ring + lg.head, chunk);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return true;
			/* Console gone (EIO, EBADF...): discard, keep running. */
			lg.head = 0;
			lg.len = 0;
			return false;
		}
		lg.head = (lg.head + (size_t)n) % LOG_RING_SIZE;
		lg.len -= (size_t)n;
	}
	lg.head = 0;
	return false;
}

/* Queue one complete line (with its '\n'); drop it whole when full. */
static void queue_line(const char *p, size_t n)
{
	if (lg.dropped > lg.reported && LOG_RING_SIZE - lg.len >= n + 64) {
		char note[64];
		int m = snprintf(note, sizeof(note),
				 "boxinit: console too slow: %llu lines dropped\n",
				 (unsigned long long)(lg.dropped - lg.reported));

		if (m > 0 && (size_t)m < sizeof(note)) {
			ring_put(note, (size_t)m);
			lg.reported = lg.dropped;
		}
	}
	if (LOG_RING_SIZE - lg.len < n) {
		lg.dropped++;
		return;
	}
	ring_put(p, n);
	log_flush();
}

/* ---- log files and /dev/kmsg ------------------------------------------- */

int log_set_dir(const char *dir)
{
	log_file_close(&lg.self);
	lg.dir[0] = '\0';
	if (!dir)
		return 0;
	if (strlen(dir) >= sizeof(lg.dir) - 40)
		return -ENAMETOOLONG;
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return -errno;
	strcpy(lg.dir, dir);
	log_file_open(&lg.self, "boxinit");
	return 0;
}

const char *log_dir(void)
{
	return lg.dir[0] ? lg.dir : NULL;
}

int log_set_kmsg(bool on)
{
	if (lg.kmsg >= 0)
		close(lg.kmsg);
	lg.kmsg = -1;
	if (!on)
		return 0;
	lg.kmsg = open("/dev/kmsg", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	return lg.kmsg < 0 ? -errno : 0;
}

uint64_t log_file_errors(void)
{
	return lg.file_errors;
}

static int file_path(char *buf, size_t len, const char *name, const char *suffix)
{
	return snprintf(buf, len, "%s/%s.log%s", lg.dir, name, suffix) >= (int)len
		       ? -ENAMETOOLONG : 0;
}

void log_file_open(struct log_file *lf, const char *name)
{
	char path[256];
	struct stat st;

	lf->fd = -1;
	lf->size = 0;
	if (!lg.dir[0] || file_path(path, sizeof(path), name, "") < 0)
		return;
	lf->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (lf->fd >= 0 && fstat(lf->fd, &st) == 0)
		lf->size = (uint32_t)st.st_size;
}

void log_file_close(struct log_file *lf)
{
	if (lf->fd >= 0)
		close(lf->fd);
	lf->fd = -1;
}

static void queue_line(const char *p, size_t n);

/* A log file write failed (disk full...): count it, say so on the console
 * at the first and every 1000th (never through the files again). */
static void file_error(void)
{
	char note[96];
	int m;

	if (++lg.file_errors != 1 && lg.file_errors % 1000)
		return;
	m = snprintf(note, sizeof(note), "boxinit: log files: %llu lines not written (%s)\n",
		     (unsigned long long)lg.file_errors, strerror(errno));
	if (m > 0 && (size_t)m < sizeof(note))
		queue_line(note, (size_t)m);
}

/* NAME.log.K-1 -> NAME.log.K, ..., NAME.log -> NAME.log.1 (the oldest
 * beyond lg.files goes); with one file, NAME.log starts again. */
static int rotate(const char *name)
{
	char from[256], to[256], sfx[16];

	if (lg.files <= 1)
		return file_path(from, sizeof(from), name, "") == 0 &&
		       truncate(from, 0) == 0 ? 0 : -1;
	for (unsigned k = lg.files - 1; k >= 1; k--) {
		sfx[0] = '\0';
		if (k > 1)
			snprintf(sfx, sizeof(sfx), ".%u", k - 1);
		if (file_path(from, sizeof(from), name, sfx) < 0)
			return -1;
		snprintf(sfx, sizeof(sfx), ".%u", k);
		if (file_path(to, sizeof(to), name, sfx) < 0)
			return -1;
		if (rename(from, to) < 0 && (k == 1 || errno != ENOENT))
			return -1;
	}
	return 0;
}

/* Append one stamped line; rotate past the size cap (log_set_files). */
static void file_put(struct log_file *lf, const char *name, const char *line, size_t n)
{
	if (lf->fd < 0)
		return;
	if (lf->size + n > lg.file_max) {
		if (rotate(name) == 0) {
			close(lf->fd);
			log_file_open(lf, name);
			if (lf->fd < 0) {
				file_error();
				return;
			}
		}
	}
	if (write(lf->fd, line, n) != (ssize_t)n) {
		file_error();
		return;
	}
	lf->size += (uint32_t)n;
}

/* "[    12.345] " from CLOCK_BOOTTIME, as dmesg stamps its lines. */
static size_t stamp(char *buf, size_t len)
{
	struct timespec ts;
	int n;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	n = snprintf(buf, len, "[%6lld.%03ld] ", (long long)ts.tv_sec, ts.tv_nsec / 1000000);
	return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

/*
 * Length of the valid UTF-8 sequence at @p (@n bytes left), or 0 when the
 * byte there starts none: no overlong forms, no surrogates, nothing past
 * U+10FFFF (RFC 3629, table 3-7 of the Unicode standard).
 */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/*
 * Copy at most @max bytes of @in (@len) to @out, each control character
 * replaced by one '?': C0 but tab, DEL, C1 (U+0080..U+009F, a CSI on a
 * Linux VT for U+009B) and every byte that is not valid UTF-8 (raw 0x9b
 * is a CSI on a terminal not in UTF-8 mode). A sequence is never split:
 * the piece ends before one that does not fit. Returns the bytes written
 * (<= consumed); *@used gets the bytes of @in consumed.
 */
static size_t sanitize(char *out, const char *in, size_t len, size_t max, size_t *used)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, n = 0;

	if (len < max)
		max = len;
	while (i < max) {
		size_t k = utf8_seq(p + i, len - i);

		if (i + k > max)
			break;                  /* next piece */
		if (k == 0 || (k == 1 && ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)) ||
		    (k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)) {
			out[n++] = '?';
			i += k ? k : 1;
			continue;
		}
		memcpy(out + n, p + i, k);
		n += k;
		i += k;
	}
	*used = i;
	return n;
}

size_t log_sanitize(char *out, size_t outlen, const char *in, size_t len)
{
	size_t used, n;

	if (!outlen)
		return 0;
	n = sanitize(out, in, len, outlen - 1, &used);
	out[n] = '\0';
	return n;
}

/* Emit "prefix: text\n", splitting text into LOG_LINE_MAX pieces. */
static void emit(const char *prefix, int severity, struct log_file *lf,
		 const char *text, size_t len)
{
	char buf[LOG_LINE_MAX + 64];
	size_t plen = strnlen(prefix, 40);

	do {
		size_t take, n = 0;

		memcpy(buf, prefix, plen);
		n = plen;
		buf[n++] = ':';
		buf[n++] = ' ';
		/* keep the console sane: no raw control characters */
		n += sanitize(buf + n, text, len, LOG_LINE_MAX, &take);
		syslog_remote_send(severity, prefix, buf + plen + 2, n - plen - 2);
		buf[n++] = '\n';
		if (lg.console_stamps) {
			char st[LOG_LINE_MAX + 96];
			size_t sl = stamp(st, sizeof(st));

			memcpy(st + sl, buf, n);
			queue_line(st, sl + n);
		} else {
			queue_line(buf, n);
		}
		if (lg.kmsg >= 0) {
			/* "<15>": facility user, level debug */
			char km[LOG_LINE_MAX + 72] = "<15>";

			memcpy(km + 4, buf, n);
			(void)!write(lg.kmsg, km, n + 4);
		}
		if (lf && lf->fd >= 0) {
			char st[LOG_LINE_MAX + 96];
			size_t sl = stamp(st, sizeof(st));

			memcpy(st + sl, buf, n);
			file_put(lf, prefix, st, sl + n);
		}
		text += take;
		len -= take;
	} while (len > 0);
}

void log_msg(int level, const char *fmt, ...)
{
	char text[LOG_LINE_MAX];
	int saved = errno;      /* callers log, then look at errno */
	va_list ap;
	int n;

	if (level > lg.level)
		return;
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n >= 0) {
		if ((size_t)n >= sizeof(text))
			n = sizeof(text) - 1;
		/* syslog severities: err 3, warning 4, info 6, debug 7 */
		emit("boxinit", level <= LOG_LV_WARN ? 3 + level : 4 + level, &lg.self,
		     text, (size_t)n);
	}
	errno = saved;
}

void log_line(const char *name, struct log_file *lf, const char *line, size_t len)
{
	emit(name, 6, lf, line, len);
}

void log_drain(int timeout_ms)
{
	struct pollfd pfd = { .fd = lg.fd >= 0 ? lg.fd : 2, .events = POLLOUT };

	while (log_flush()) {
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return;
	}
}
