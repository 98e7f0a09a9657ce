/* SPDX-License-Identifier: MIT */
/*
 * cgroup: per-service cgroups on v2, v1 or hybrid hosts (see cgroup.h).
 * The interface: which hierarchies there are and which controllers each
 * holds, boxinit's subtree in each, and the public functions, each handed
 * to the backend (cgroup_v1.c, cgroup_v2.c) of the hierarchy that holds
 * the controller concerned.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "log.h"
#include "util.h"

static struct cg_hier hs[CG_MAX_HIER];
static size_t nh;
static char subtree[32];
static bool no_memcg_v1;        /* v1 asked for, the kernel has memory on v2 only */

/* ---- discovery --------------------------------------------------------- */

/* Our cgroup path in the hierarchy whose controllers are @ctrls (v1), or
 * in the v2 hierarchy (@ctrls NULL), from @self (/proc/self/cgroup). */
static int self_path(const char *self, const char *ctrls, char *out, size_t len)
{
	char line[512];
	FILE *f = fopen(self, "re");
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			continue;
		/* "ID:CONTROLLERS:PATH" */
		*c1 = '\0';
		*c2 = '\0';
		c2[1 + strcspn(c2 + 1, "\n")] = '\0';
		if (ctrls ? !strcmp(c1 + 1, ctrls) : (!strcmp(line, "0") && c1[1] == '\0')) {
			snprintf(out, len, "%s", c2 + 1);
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

/* A hierarchy mounted at @mnt whose root is @root, in which boxinit is in
 * @path (both relative to the hierarchy's root). */
static void add_hier(const struct cg_ops *ops, unsigned ctrls, const char *mnt,
		     const char *root, const char *path)
{
	struct cg_hier h = { .ops = ops, .ctrls = ctrls };
	size_t rl = strlen(root);
	bool root_is_top = !strcmp(root, "/");
	const char *rel;

	if (nh == CG_MAX_HIER || !ctrls)
		return;
	/* our cgroup must be visible below this mount's root */
	if (!root_is_top && (strncmp(path, root, rl) || (path[rl] && path[rl] != '/')))
		return;
	rel = root_is_top ? (strcmp(path, "/") ? path : "") : path + rl;
	h.cur_is_root = rel[0] == '\0';
	if (snprintf(h.cur, sizeof(h.cur), "%s%s", mnt, rel) >= (int)sizeof(h.cur) ||
	    snprintf(h.base, sizeof(h.base), "%s/%s", h.cur, subtree) >= (int)sizeof(h.base))
		return;
	hs[nh++] = h;
}

/* The v1 controller list of mount options @opts, as /proc/self/cgroup
 * spells it ("cpu,cpuacct", "name=systemd"), into @out. */
static void v1_ctrl_list(char *opts, char *out, size_t len)
{
	static const char *const other[] = {
		"cpuset", "blkio", "devices", "freezer", "net_cls", "net_prio",
		"perf_event", "hugetlb", "rdma", "misc",
	};
	char *save = NULL;
	size_t n = 0;

	out[0] = '\0';
	for (char *t = strtok_r(opts, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		bool ctrl = cg_ctrl_mask(t) || !strncmp(t, "name=", 5);

		for (size_t i = 0; i < ARRAY_SIZE(other) && !ctrl; i++)
			ctrl = !strcmp(t, other[i]);
		if (ctrl && n < len)
			n += (size_t)snprintf(out + n, len - n, "%s%s", n ? "," : "", t);
	}
}

/* One line of @mountinfo; *@found: the controllers placed so far (the
 * first hierarchy that has one wins). */
static void mount_line(char *line, const char *self, unsigned *found)
{
	char path[256], buf[256];
	char *sep = strstr(line, " - ");
	char *fl[5], *fr[3];
	unsigned m;

	/* id parent maj:min root mountpoint opts... - fstype source superopts */
	if (!sep)
		return;
	*sep = '\0';
	if (split_fields(line, fl, 5) != 5 || split_fields(sep + 3, fr, 3) != 3)
		return;
	if (!strcmp(fr[0], "cgroup")) {
		v1_ctrl_list(fr[2], buf, sizeof(buf));
		m = cg_ctrl_mask(buf) & ~*found;
		if (m && self_path(self, buf, path, sizeof(path)) == 0) {
			add_hier(&cg_v1_ops, m, fl[4], fl[3], path);
			*found |= m;
		}
	} else if (!strcmp(fr[0], "cgroup2")) {
		m = cg_get(fl[4], "cgroup.controllers", buf, sizeof(buf)) > 0 ? cg_ctrl_mask(buf) : 0;
		/* cpuacct's figures are part of v2's cpu.stat */
		if (m & CG_CPU)
			m |= CG_CPUACCT;
		m &= ~*found;
		if (m && self_path(self, NULL, path, sizeof(path)) == 0) {
			add_hier(&cg_v2_ops, m, fl[4], fl[3], path);
			*found |= m;
		}
	}
}

/* Find where each controller lives, from @mountinfo. */
static void discover(const char *mountinfo, const char *self)
{
	char line[1024];
	unsigned found = 0;
	FILE *f = fopen(mountinfo, "re");

	if (!f) {
		log_err("cgroup: %s: %s", mountinfo, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f))
		mount_line(line, self, &found);
	fclose(f);
}

const char *cgroup_version_text(void)
{
	bool v1 = false, v2 = false;

	for (size_t i = 0; i < nh; i++) {
		v1 |= hs[i].ops->version == 1;
		v2 |= hs[i].ops->version == 2;
	}
	return v1 && v2 ? "hybrid" : v2 ? "v2" : v1 ? "v1" : "none";
}

/* ---- setup ------------------------------------------------------------- */

int cgroup_setup_from(const char *mountinfo, const char *self, const char *name)
{
	unsigned have = 0;

	nh = 0;
	cg_warn_reset();
	snprintf(subtree, sizeof(subtree), "%s", name);
	discover(mountinfo, self);
	for (size_t i = 0; i < nh; i++) {
		struct cg_hier *h = &hs[i];

		if (mkdir(h->base, 0755) < 0 && errno != EEXIST) {
			log_err("cgroup: mkdir %s: %s", h->base, strerror(errno));
			memmove(h, h + 1, (nh - i - 1) * sizeof(*h));
			nh--;
			i--;
			continue;
		}
		h->ops->setup(h);
		have |= h->ctrls;
	}
	for (unsigned bit = 1; bit <= CG_NEEDED; bit <<= 1)
		if (!(have & bit) && (bit & CG_NEEDED) && !(no_memcg_v1 && bit == CG_MEMORY))
			log_warn("cgroup: no %s controller: limits on it cannot apply",
				 cg_ctrl_name(bit));
	if (!nh)
		return -ENOENT;
	log_info("cgroup: %s, subtree %s", cgroup_version_text(), hs[0].base);
	return __builtin_popcount(have & CG_NEEDED);
}

int cgroup_setup(enum cgroup_mode mode, bool pid1)
{
	char name[32];

	if (pid1)
		snprintf(name, sizeof(name), "boxinit");
	else
		snprintf(name, sizeof(name), "boxinit-%d", (int)getpid());
	no_memcg_v1 = pid1 && cg_mount(mode);
	return cgroup_setup_from("/proc/self/mountinfo", "/proc/self/cgroup", name);
}

/* ---- per service ------------------------------------------------------- */

int cgroup_path(size_t i, const char *name, char *buf, size_t len)
{
	if (i >= nh)
		return -ENOENT;
	if (snprintf(buf, len, "%s/%s", hs[i].base, name) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* The first hierarchy holding controller @bit, or NULL. */
static const struct cg_hier *hier_of(unsigned bit)
{
	for (size_t i = 0; i < nh; i++)
		if (hs[i].ctrls & bit)
			return &hs[i];
	return NULL;
}

/* The hierarchy of controller @bit and @name's directory in it, into @dir
 * (CG_PATH_MAX bytes). Returns it, or NULL (no such controller). */
static const struct cg_hier *service_dir(unsigned bit, const char *name, char *dir)
{
	const struct cg_hier *h = hier_of(bit);

	if (!h || snprintf(dir, CG_PATH_MAX, "%s/%s", h->base, name) >= CG_PATH_MAX)
		return NULL;
	return h;
}

const struct cg_hier *cg_devices_hier(void)
{
	const struct cg_hier *h = hier_of(CG_DEVICES);

	for (size_t i = 0; i < nh && !h; i++)
		if (hs[i].ops->version == 2)
			h = &hs[i];
	return h;
}

int cgroup_devices_dir(const char *name, char *buf, size_t len)
{
	const struct cg_hier *h = cg_devices_hier();

	if (!h)
		return -ENOENT;
	if (snprintf(buf, len, "%s/%s", h->base, name) >= (int)len)
		return -ENAMETOOLONG;
	return h->ops->version;
}

/* A limit @c sets on a controller no hierarchy has: one warning each. */
static void warn_missing(const struct svc_conf *c)
{
	if (c->cpu_quota_us && !hier_of(CG_CPU))
		cg_warn_once(W_CPU, "service.%s.cpu: no cpu controller (CONFIG_CGROUP_SCHED, "
			     "CONFIG_CFS_BANDWIDTH): starting without this limit", c->name);
	if ((c->memory != UINT64_MAX || c->has_swap) && !hier_of(CG_MEMORY) && !no_memcg_v1)
		cg_warn_once(W_MEM, "service.%s.memory: no memory controller (CONFIG_MEMCG): "
			     "starting without this limit", c->name);
	if (c->pids && !hier_of(CG_PIDS))
		cg_warn_once(W_PIDS, "service.%s.pids: no pids controller (CONFIG_CGROUP_PIDS): "
			     "starting without this limit", c->name);
}

/* The writers of @h's backend for the controllers @h holds. */
static void set_limits(const struct svc_conf *c, const struct cg_hier *h, const char *dir)
{
	if (h->ctrls & CG_CPU)
		h->ops->cpu(c, dir);
	if (h->ctrls & CG_MEMORY) {
		h->ops->memory(c, dir);
		h->ops->swap(c, dir);
	}
	if (h->ctrls & CG_PIDS)
		h->ops->pids(c, dir);
}

int cgroup_service_create(const struct svc_conf *c)
{
	char dir[CG_PATH_MAX];
	int made = 0, err = 0;

	if (!nh) {
		if (c->cpu_quota_us || c->memory != UINT64_MAX || c->has_swap || c->pids)
			cg_warn_once(W_CPU | W_MEM | W_SWAP | W_PIDS,
				     "service.%s: no cgroup support (CONFIG_CGROUPS): "
				     "starting without limits", c->name);
		return 0;
	}
	warn_missing(c);
	for (size_t i = 0; i < nh; i++) {
		if (cgroup_path(i, c->name, dir, sizeof(dir)) < 0)
			continue;
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			err = -errno;
			log_err("service.%s: mkdir %s: %s", c->name, dir, strerror(errno));
			continue;
		}
		made++;
		set_limits(c, &hs[i], dir);
	}
	return made ? 0 : err;
}

int cgroup_open_procs(const char *name, int *fds)
{
	char dir[CG_PATH_MAX];
	int n = 0;

	for (size_t i = 0; i < nh; i++) {
		int fd;

		if (cgroup_path(i, name, dir, sizeof(dir)) < 0)
			continue;
		strncat(dir, "/cgroup.procs", sizeof(dir) - strlen(dir) - 1);
		fd = cg_open(dir, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			int e = errno;

			while (n > 0)
				close(fds[--n]);
			return -e;
		}
		fds[n++] = fd;
	}
	return n;
}

int cgroup_open_v2_dir(const char *name, int *index)
{
	char dir[CG_PATH_MAX];
	int n = 0, fd;

	for (size_t i = 0; i < nh; i++) {
		if (cgroup_path(i, name, dir, sizeof(dir)) < 0)
			continue;       /* as cgroup_open_procs: no fd for it */
		if (hs[i].ops->version == 2) {
			fd = cg_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd < 0)
				return -errno;
			*index = n;
			return fd;
		}
		n++;
	}
	return -ENOENT;
}

int cgroup_oom_open(const char *name, uint32_t *events)
{
	char dir[CG_PATH_MAX];
	const struct cg_hier *h = service_dir(CG_MEMORY, name, dir);

	return h ? h->ops->oom_open(dir, events) : -ENOENT;
}

int cgroup_oom_kills(const char *name, uint64_t *count)
{
	char dir[CG_PATH_MAX];
	const struct cg_hier *h = service_dir(CG_MEMORY, name, dir);

	return h ? h->ops->oom_kills(dir, count) : -ENOENT;
}

int cgroup_oom_ack(const char *name, int fd, uint64_t *count)
{
	char dir[CG_PATH_MAX];
	const struct cg_hier *h = service_dir(CG_MEMORY, name, dir);

	return h ? h->ops->oom_ack(dir, fd, count) : -ENOENT;
}

int cgroup_kill(const char *name)
{
	char dir[CG_PATH_MAX];

	/* at once where a backend can (v2 cgroup.kill) */
	for (size_t i = 0; i < nh; i++)
		if (cgroup_path(i, name, dir, sizeof(dir)) == 0 && hs[i].ops->kill(&hs[i], dir) == 0)
			return 0;
	if (cgroup_path(0, name, dir, sizeof(dir)) < 0)
		return 0;
	return cg_kill_procs(dir);
}

int cgroup_nprocs(const char *name)
{
	char dir[CG_PATH_MAX];

	if (cgroup_path(0, name, dir, sizeof(dir)) < 0)
		return -ENOENT;
	return cg_count_procs(dir);
}

int cgroup_usage(const char *name, uint64_t *cpu_us, uint64_t *mem_bytes)
{
	char dir[CG_PATH_MAX];
	const struct cg_hier *h;

	*cpu_us = *mem_bytes = UINT64_MAX;
	if ((h = service_dir(CG_CPUACCT, name, dir)))
		*cpu_us = h->ops->cpu_usage(dir);
	if ((h = service_dir(CG_MEMORY, name, dir)))
		*mem_bytes = h->ops->mem_usage(dir);
	return 0;
}

int cgroup_service_remove(const char *name, unsigned wait_ms)
{
	char dir[CG_PATH_MAX];
	int first = 0;

	for (size_t i = 0; i < nh; i++) {
		int r;

		if (cgroup_path(i, name, dir, sizeof(dir)) < 0)
			continue;
		r = hs[i].ops->remove(dir, wait_ms);
		if (r < 0 && !first)
			first = r;
	}
	return first;
}

/* ---- teardown ---------------------------------------------------------- */

/* rmdir every service cgroup left below @base (not boxinit's leaf). */
static void remove_children(const char *base)
{
	char path[CG_PATH_MAX];
	DIR *d = opendir(base);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.' || !strcmp(e->d_name, "init"))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", base, e->d_name) >= (int)sizeof(path))
			continue;
		for (int tries = 0; rmdir(path) < 0 && errno == EBUSY && tries < 100; tries++)
			cg_sleep_ms(5);
	}
	closedir(d);
}

void cgroup_teardown(void)
{
	for (size_t i = 0; i < nh; i++) {
		struct cg_hier *h = &hs[i];

		/* service cgroups a removal could not finish (still busy then) */
		remove_children(h->base);
		h->ops->teardown(h);
		if (rmdir(h->base) < 0 && errno != ENOENT)
			log_warn("cgroup: rmdir %s: %s", h->base, strerror(errno));
	}
	nh = 0;
}
