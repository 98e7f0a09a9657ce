/* SPDX-License-Identifier: MIT */
/*
 * log: boxinit's own messages and its services' output, to the console.
 *
 * Every line is queued in a fixed ring buffer and written with non-blocking
 * writes, so a slow or stuck console never blocks PID 1: when the ring is
 * full, whole lines are dropped and counted, and the count is reported once
 * the console drains. boxinit's lines read "boxinit: message", a service's
 * "NAME: line".
 */
#ifndef BOXINIT_LOG_H
#define BOXINIT_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { LOG_LV_ERR = 0, LOG_LV_WARN = 1, LOG_LV_INFO = 2, LOG_LV_DEBUG = 3 };

#define LOG_RING_SIZE  16384u  /* bytes queued for a slow console */
#define LOG_LINE_MAX   1024u   /* longer lines are split */

/*
 * log_open - use @fd (owned from now on) as the console. It is switched to
 * non-blocking mode. Before log_open, or after a failure, lines go to fd 2.
 */
void log_open(int fd);

/* log_fd - the console fd, for the event loop (-1 if none). */
int log_fd(void);

/*
 * log_set_files - per-service (and boxinit's own) log files of at most
 * @max_bytes before they are rotated, @files of them in all (NAME.log,
 * NAME.log.1, ... NAME.log.<files - 1>; 1: NAME.log starts again). 0 keeps
 * the default: LOG_FILE_MAX bytes, 2 files.
 */
void log_set_files(uint32_t max_bytes, unsigned files);

/*
 * log_set_console_stamps - with @on, every console line begins with the
 * uptime, "[    12.345] " (CLOCK_BOOTTIME, as the log files and dmesg).
 */
void log_set_console_stamps(bool on);

/* log_set_level - show messages up to @level (LOG_LV_*). */
void log_set_level(int level);

/* log_msg - one line from boxinit at @level, printf-style. */
void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_LV_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LV_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LV_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LV_DEBUG, __VA_ARGS__)

#define LOG_FILE_MAX   65536u  /* per-service log file, then rotated to .1 */

/* A service's log file under the log directory: NAME.log (+ NAME.log.1). */
struct log_file {
	int fd;                 /* -1 when closed or unavailable */
	uint32_t size;          /* bytes in the current file */
};

/*
 * log_set_dir - keep per-service logs in @dir (created 0750; NULL: no
 * files). boxinit's own lines go to @dir/boxinit.log. Returns 0 or -errno.
 */
int log_set_dir(const char *dir);

/* log_dir - the directory set by log_set_dir, or NULL. */
const char *log_dir(void);

/*
 * log_set_kmsg - also write every line to /dev/kmsg (at KERN_DEBUG, so the
 * console does not show it twice; `dmesg` does). Only for the machine's
 * own PID 1. Returns 0 or -errno.
 */
int log_set_kmsg(bool on);

/* log_file_open / log_file_close - @lf for service @name (0640). */
void log_file_open(struct log_file *lf, const char *name);
void log_file_close(struct log_file *lf);

/*
 * log_line - one line of output from service @name (@len bytes, no '\n'):
 * to the console, to /dev/kmsg, and stamped with the uptime into @lf
 * (may be NULL). Control characters become '?' everywhere: C0 but tab,
 * DEL, C1 (U+0080..U+009F as UTF-8) and any byte that is not valid UTF-8
 * (so no raw 0x80..0x9f); valid UTF-8 passes unchanged, and a line split
 * at LOG_LINE_MAX never cuts a sequence.
 */
void log_line(const char *name, struct log_file *lf, const char *line, size_t len);

/*
 * log_sanitize - @in (@len bytes) as log_line() writes it, into @out
 * (@outlen bytes, NUL included): control characters and bytes that are
 * not valid UTF-8 replaced by '?', cut to fit (never inside a UTF-8
 * sequence). For text of a service's that boxinit shows elsewhere
 * (boxctl status). Returns the length written.
 */
size_t log_sanitize(char *out, size_t outlen, const char *in, size_t len);

/* log_file_errors - lines that could not be written to log files. */
uint64_t log_file_errors(void);

/*
 * log_flush - write what the ring holds, without blocking. Returns true
 * when bytes are still pending (the loop then waits for EPOLLOUT).
 */
bool log_flush(void);

/* log_pending - true while the ring holds unwritten bytes. */
bool log_pending(void);

/* log_forget - in a forked child: drop what the ring holds (the parent's
 * queued bytes, which the parent writes itself). */
void log_forget(void);

/*
 * log_drain - at shutdown: wait up to @timeout_ms for the console to take
 * everything queued (poll(2) on the fd).
 */
void log_drain(int timeout_ms);

/* log_dropped - lines dropped so far because the console was too slow. */
uint64_t log_dropped(void);

#endif
