/* SPDX-License-Identifier: MIT */
/* bootguard: failure_action reboots counted across boots. See bootguard.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bootguard.h"
#include "util.h"

#define GUARD_MAX 1000u         /* entries kept (reboot_limit's maximum) */

/* The entries of @path within the window ending at @now, into @t (room for
 * GUARD_MAX). A missing file is no entries. Returns the count or -errno. */
static int read_times(const char *path, long long now, long long window_s,
		      long long *t)
{
	char buf[GUARD_MAX * 21 + 1], *p, *end;
	_cleanup_fd_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int k = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	for (p = buf; *p && k < (int)GUARD_MAX; p = end) {
		long long v = strtoll(p, &end, 10);

		if (end == p) {         /* not a number: skip the line */
			end = strchr(p, '\n');
			if (!end)
				break;
			end++;
			continue;
		}
		/* the clock may have gone back (no RTC): then it counts */
		if (v > now - window_s)
			t[k++] = v;
	}
	return k;
}

/* Write @t[0..n) and @now to @path, atomically. Returns 0 or -errno. */
static int write_times(const char *dir, const char *path, const long long *t,
		       int n, long long now)
{
	char tmp[4096], line[24];
	int fd, r = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/%s.new", dir, BOOTGUARD_FILE) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	for (int i = 0; i <= n && r == 0; i++) {
		int len = snprintf(line, sizeof(line), "%lld\n", i < n ? t[i] : now);

		r = write_all(fd, line, (size_t)len);
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int bootguard_take(const char *dir, unsigned limit, uint32_t window_ms,
		   char *why, size_t len)
{
	static long long t[GUARD_MAX];
	char path[4096];
	long long now = (long long)time(NULL);
	int n, r;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, BOOTGUARD_FILE) >= sizeof(path))
		return -ENAMETOOLONG;
	n = read_times(path, now, window_ms / 1000, t);
	if (n < 0) {
		snprintf(why, len, "%s: %s", path, strerror(-n));
		return n;
	}
	if ((unsigned)n >= limit) {
		snprintf(why, len, "%d reboot%s already within %u s (%s)", n,
			 n == 1 ? "" : "s", window_ms / 1000, path);
		return 0;
	}
	/* keep the newest: the oldest entries fall out of the window anyway */
	if (n >= (int)GUARD_MAX)
		n = GUARD_MAX - 1;
	if ((r = write_times(dir, path, t, n, now)) < 0) {
		snprintf(why, len, "%s: %s", path, strerror(-r));
		return r;
	}
	snprintf(why, len, "reboot %d of %u within %u s (%s)", n + 1, limit,
		 window_ms / 1000, path);
	return 1;
}
