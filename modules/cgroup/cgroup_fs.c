/* SPDX-License-Identifier: MIT */
/* cgroup_fs: the cgroupfs file helpers both backends share: reading and
 * writing knobs, the warning about a missing one, removal and the walk of
 * cgroup.procs. See cgroup_internal.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "log.h"
#include "util.h"

static const struct {
	unsigned bit;
	const char *name;
} ctrl_names[] = {
	{ CG_CPU, "cpu" }, { CG_CPUACCT, "cpuacct" },
	{ CG_MEMORY, "memory" }, { CG_PIDS, "pids" }, { CG_DEVICES, "devices" },
};

static unsigned warned;         /* W_* warned about since cg_warn_reset */

/* @dir/@file into @path. Returns 0 or -ENAMETOOLONG. */
static int join(char *path, size_t len, const char *dir, const char *file)
{
	return snprintf(path, len, "%s/%s", dir, file) >= (int)len ? -ENAMETOOLONG : 0;
}

int cg_put(const char *dir, const char *file, const char *text)
{
	char path[CG_PATH_MAX];
	_cleanup_fd_ int fd = -1;

	if (join(path, sizeof(path), dir, file) < 0)
		return -ENAMETOOLONG;
	fd = cg_open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		return -errno;
	return 0;
}

ssize_t cg_get(const char *dir, const char *file, char *buf, size_t len)
{
	char path[CG_PATH_MAX];
	_cleanup_fd_ int fd = -1;
	ssize_t n;

	if (join(path, sizeof(path), dir, file) < 0)
		return -ENAMETOOLONG;
	fd = cg_open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

bool cg_exists(const char *dir, const char *file)
{
	char path[CG_PATH_MAX];

	return join(path, sizeof(path), dir, file) == 0 && access(path, F_OK) == 0;
}

int cg_parse_u64(const char *buf, const char *key, uint64_t *v)
{
	size_t kl = key ? strlen(key) : 0;
	const char *p = buf;

	/* "key value" lines: cpu.stat, memory.events, memory.oom_control */
	while (key && p && (strncmp(p, key, kl) || p[kl] != ' ')) {
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	if (p && key)
		p += kl + 1;
	if (!p || *p < '0' || *p > '9')
		return -ENOENT;
	*v = strtoull(p, NULL, 10);
	return 0;
}

int cg_get_u64(const char *dir, const char *file, const char *key, uint64_t *v)
{
	char buf[1024];
	ssize_t n = cg_get(dir, file, buf, sizeof(buf));

	return n < 0 ? (int)n : cg_parse_u64(buf, key, v);
}

unsigned cg_ctrl_mask(const char *list)
{
	unsigned m = 0;
	char tmp[512];
	char *save = NULL;

	snprintf(tmp, sizeof(tmp), "%s", list);
	for (char *t = strtok_r(tmp, " ,\n", &save); t; t = strtok_r(NULL, " ,\n", &save))
		for (size_t i = 0; i < ARRAY_SIZE(ctrl_names); i++)
			if (!strcmp(t, ctrl_names[i].name))
				m |= ctrl_names[i].bit;
	return m;
}

void cg_ctrl_list(unsigned mask, char sign, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(ctrl_names); i++) {
		unsigned bit = ctrl_names[i].bit;

		if ((mask & bit) && bit != CG_CPUACCT && bit != CG_DEVICES && n < len)
			n += (size_t)snprintf(buf + n, len - n, " %c%s", sign, ctrl_names[i].name);
	}
}

const char *cg_ctrl_name(unsigned bit)
{
	for (size_t i = 0; i < ARRAY_SIZE(ctrl_names); i++)
		if (ctrl_names[i].bit == bit)
			return ctrl_names[i].name;
	return "?";
}

void cg_warn_reset(void)
{
	warned = 0;
}

void cg_warn_once(unsigned bit, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (warned & bit)
		return;
	warned |= bit;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("%s", msg);
}

void cg_limit(const struct svc_conf *c, const char *dir, const char *key,
	      const char *file, const char *value, unsigned wbit, const char *provides)
{
	int r = cg_put(dir, file, value);

	if (r == -ENOENT)
		cg_warn_once(wbit, "service.%s.%s: %s/%s does not exist (needs %s); "
			     "starting without this limit", c->name, key, dir, file, provides);
	else if (r < 0)
		log_err("service.%s.%s: write \"%s\" to %s/%s: %s", c->name, key,
			value, dir, file, strerror(-r));
}

void cg_fmt_u64(char *buf, size_t len, uint64_t v, const char *unlimited)
{
	if (v == UINT64_MAX)
		snprintf(buf, len, "%s", unlimited);
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

/* Documentation/admin-guide/cgroup-v2.rst "PID", cgroup-v1/pids.rst: the
 * same file and format on both. */
void cg_pids_max(const struct svc_conf *c, const char *dir)
{
	char v[24];

	if (c->pids)
		snprintf(v, sizeof(v), "%u", c->pids);
	else
		snprintf(v, sizeof(v), "max");
	cg_limit(c, dir, "pids", "pids.max", v, W_PIDS, "CONFIG_CGROUP_PIDS");
}

void cg_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int cg_rmdir_wait(const char *dir, unsigned wait_ms)
{
	unsigned waited = 0;

	while (rmdir(dir) < 0) {
		int e = errno;

		if (e == ENOENT)
			return 0;
		if (e != EBUSY || waited >= wait_ms) {
			log_warn("cgroup: rmdir %s: %s", dir, strerror(e));
			return -e;
		}
		/* its last task is still exiting */
		cg_sleep_ms(5);
		waited += 5;
	}
	return 0;
}

/*
 * Call @fn for every pid in @dir/cgroup.procs, read whole in chunks (a
 * number is used only once its end is seen). Returns the count, or -errno.
 */
static int for_each_proc(const char *dir, void (*fn)(pid_t, void *), void *arg)
{
	char path[CG_PATH_MAX], buf[4096];
	_cleanup_fd_ int fd = -1;
	long v = -1;
	int count = 0;
	ssize_t n;

	if (join(path, sizeof(path), dir, "cgroup.procs") < 0)
		return -ENAMETOOLONG;
	fd = cg_open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				v = (v < 0 ? 0 : v * 10) + (buf[i] - '0');
				if (v > 0x7fffffff)
					return -EINVAL;
			} else if (v >= 0) {
				fn((pid_t)v, arg);
				count++;
				v = -1;
			}
		}
	}
	if (n < 0)
		return -errno;
	if (v >= 0) {
		fn((pid_t)v, arg);
		count++;
	}
	return count;
}

static void count_one(pid_t pid, void *arg)
{
}

int cg_count_procs(const char *dir)
{
	return for_each_proc(dir, count_one, NULL);
}

/* The pids a kill walk has signalled (killed children of boxinit stay
 * listed as zombies until reaped: never signal one twice). */
struct kill_walk {
	pid_t *done;
	size_t n, cap;
	int fresh;              /* signalled in this pass */
	bool oom;
};

static void kill_one(pid_t pid, void *arg)
{
	struct kill_walk *w = arg;

	for (size_t i = 0; i < w->n; i++)
		if (w->done[i] == pid)
			return;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		pid_t *d = realloc(w->done, cap * sizeof(*d));

		if (!d) {
			w->oom = true;
			kill(pid, SIGKILL);     /* still kill; may repeat */
			return;
		}
		w->done = d;
		w->cap = cap;
	}
	w->done[w->n++] = pid;
	if (kill(pid, SIGKILL) == 0)
		w->fresh++;
}

int cg_kill_procs(const char *dir)
{
	struct kill_walk w = { 0 };
	int total = 0, r = 0;

	/* until a pass finds nobody new (a fork racing us shows up next pass) */
	for (int pass = 0; pass < 100; pass++) {
		w.fresh = 0;
		r = for_each_proc(dir, kill_one, &w);
		if (r <= 0 || (w.fresh == 0 && !w.oom))
			break;
		total += w.fresh;
	}
	free(w.done);
	return r < 0 && total == 0 ? r : total;
}
