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
} lg = { .fd = -1, .level = LOG_LV_INFO, .kmsg = -1, .self = { .fd = -1 } };

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

uint64_t log_dropped(void)
{
	return lg.dropped;
}

bool log_pending(void)
{
	return lg.len > 0;
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

/* Append one stamped line; rotate NAME.log to NAME.log.1 past the cap. */
static void file_put(struct log_file *lf, const char *name, const char *line, size_t n)
{
	char path[256], old[256];

	if (lf->fd < 0)
		return;
	if (lf->size + n > LOG_FILE_MAX) {
		if (file_path(path, sizeof(path), name, "") == 0 &&
		    file_path(old, sizeof(old), name, ".1") == 0 &&
		    rename(path, old) == 0) {
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

/* Emit "prefix: text\n", splitting text into LOG_LINE_MAX pieces. */
static void emit(const char *prefix, struct log_file *lf, const char *text, size_t len)
{
	char buf[LOG_LINE_MAX + 64];
	size_t plen = strnlen(prefix, 40);

	do {
		size_t take = len > LOG_LINE_MAX ? LOG_LINE_MAX : len;
		size_t n = 0;

		memcpy(buf, prefix, plen);
		n = plen;
		buf[n++] = ':';
		buf[n++] = ' ';
		for (size_t i = 0; i < take; i++) {
			unsigned char c = (unsigned char)text[i];

			/* keep the console sane: no raw control characters */
			buf[n++] = (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c;
		}
		buf[n++] = '\n';
		queue_line(buf, n);
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
		emit("boxinit", &lg.self, text, (size_t)n);
	}
	errno = saved;
}

void log_line(const char *name, struct log_file *lf, const char *line, size_t len)
{
	emit(name, lf, line, len);
}

void log_drain(int timeout_ms)
{
	struct pollfd pfd = { .fd = lg.fd >= 0 ? lg.fd : 2, .events = POLLOUT };

	while (log_flush()) {
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return;
	}
}
