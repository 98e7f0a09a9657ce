/* SPDX-License-Identifier: MIT */
/* util: tiny helpers shared by every module (clocks, cleanup, sizes). */
#ifndef BOXINIT_UTIL_H
#define BOXINIT_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * BOXINIT_SIG_IGNORED - the one signal whose disposition boxinit sets
 * (SIG_IGN: a write to a closed pipe is an error, not its death); every
 * other one is SIG_DFL (signals_block() resets what boxinit inherited)
 * and boxinit installs no handler. execve(2) resets handlers but keeps
 * SIG_IGN: this is all a child must reset before it execs a program.
 */
#define BOXINIT_SIG_IGNORED SIGPIPE

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
 * sort_small - sort the @n elements of @size bytes at @base by @cmp, as
 * qsort(3) would (and stable): insertion, O(n²) compares and swaps, for
 * the lists of services and modprobe.d files boxinit sorts; no memory
 * taken. (musl's qsort, a smoothsort, is 2 KB of the static binary.)
 */
static inline void sort_small(void *base, size_t n, size_t size,
			      int (*cmp)(const void *, const void *))
{
	char *a = base;

	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && cmp(a + (j - 1) * size, a + j * size) > 0; j--)
			for (size_t k = 0; k < size; k++) {
				char t = a[(j - 1) * size + k];

				a[(j - 1) * size + k] = a[j * size + k];
				a[j * size + k] = t;
			}
}

/*
 * fnv1a - the 32-bit FNV-1a hash of the @len bytes at @s: service names
 * into the config's index, into stable addresses and MACs.
 */
static inline uint32_t fnv1a(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	while (len--)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/*
 * is_blank - the one blank of boxinit's text formats: isspace() of the C
 * locale (space, \t, \n, \v, \f, \r), whatever the locale.
 */
static inline bool is_blank(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * split_fields - split @line in place at blanks (is_blank) into at most
 * @max fields. Returns the number of fields stored in @f.
 */
static inline int split_fields(char *line, char **f, int max)
{
	int n = 0;

	while (*line && n < max) {
		while (is_blank(*line))
			*line++ = '\0';
		if (!*line)
			break;
		f[n++] = line;
		while (*line && !is_blank(*line))
			line++;
		if (*line)
			*line++ = '\0';
	}
	return n;
}

#endif
