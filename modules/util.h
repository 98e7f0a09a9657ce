/* SPDX-License-Identifier: MIT */
/* util: tiny helpers shared by every module (clocks, cleanup, sizes). */
#ifndef BOXINIT_UTIL_H
#define BOXINIT_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Scope cleanup: close an fd / free a pointer when it goes out of scope. */
static inline void cleanup_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
static inline void cleanup_free(void *p)
{
	free(*(void **)p);
}
#define _cleanup_fd_   __attribute__((cleanup(cleanup_fd)))
#define _cleanup_free_ __attribute__((cleanup(cleanup_free)))

/* clock_ms - milliseconds on @clk (CLOCK_MONOTONIC, CLOCK_BOOTTIME). */
static inline uint64_t clock_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* clock_us - microseconds on @clk. */
static inline uint64_t clock_us(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* now_ms - the monotonic clock all of boxinit's deadlines use, in ms. */
static inline uint64_t now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

/*
 * write_all - write @len bytes of @buf to blocking @fd, retrying on EINTR
 * and short writes. Returns 0 or -errno.
 */
static inline int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * split_fields - split @line in place at blanks (space, tab, newline) into
 * at most @max fields. Returns the number of fields stored in @f.
 */
static inline int split_fields(char *line, char **f, int max)
{
	int n = 0;

	while (*line && n < max) {
		while (*line == ' ' || *line == '\t' || *line == '\n')
			*line++ = '\0';
		if (!*line)
			break;
		f[n++] = line;
		while (*line && *line != ' ' && *line != '\t' && *line != '\n')
			line++;
		if (*line)
			*line++ = '\0';
	}
	return n;
}

#endif
