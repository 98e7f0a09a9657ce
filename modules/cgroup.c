/* SPDX-License-Identifier: MIT */
/* cgroup: per-service cgroups on v2, v1 or hybrid hosts. See cgroup.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "log.h"
#include "mount.h"
#include "util.h"

#define CG_ROOT "/sys/fs/cgroup"

enum { CT_CPU = 1, CT_CPUACCT = 2, CT_MEMORY = 4, CT_PIDS = 8 };
#define CT_NEEDED (CT_CPU | CT_MEMORY | CT_PIDS)

static const struct {
	unsigned bit;
	const char *name;
} ctrl_names[] = {
	{ CT_CPU, "cpu" }, { CT_CPUACCT, "cpuacct" },
	{ CT_MEMORY, "memory" }, { CT_PIDS, "pids" },
};

struct hier {
	int version;            /* 1 or 2 */
	unsigned ctrls;         /* CT_* boxinit uses in this hierarchy */
	bool has_kill;          /* v2 cgroup.kill */
	char cur[200];          /* the cgroup boxinit was started in */
	char base[240];         /* cur + "/" + subtree */
};

static struct hier hs[CG_MAX_HIER];
static size_t nh;
static char subtree[32];
static bool moved_to_leaf;      /* v2: boxinit lives in base/init */
static char enabled_in_cur[40]; /* v2: "+cpu +memory" we enabled above us */
static unsigned warned;         /* one warning per missing knob */

/* ---- small file helpers ---------------------------------------------- */

/* Write @text to @dir/@file. Returns 0 or -errno. */
static int put(const char *dir, const char *file, const char *text)
{
	char path[320];
	_cleanup_fd_ int fd = -1;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		return -errno;
	return 0;
}

/* Read @dir/@file into @buf (NUL-terminated). Returns bytes or -errno. */
static ssize_t get(const char *dir, const char *file, char *buf, size_t len)
{
	char path[320];
	_cleanup_fd_ int fd = -1;
	ssize_t n;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

static bool exists(const char *dir, const char *file)
{
	char path[320];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

/* Controller bits named in a space/comma separated @list. */
static unsigned ctrl_mask(const char *list)
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

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- mounting (PID 1 only) ------------------------------------------- */

static bool have_fs(const char *fstype)
{
	char buf[4096];
	_cleanup_fd_ int fd = open("/proc/filesystems", O_RDONLY | O_CLOEXEC);
	ssize_t n;
	char needle[40];

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	snprintf(needle, sizeof(needle), "\t%s\n", fstype);
	return strstr(buf, needle) != NULL;
}

static int mount_v1(const char *opts)
{
	char dir[64];

	snprintf(dir, sizeof(dir), CG_ROOT "/%s", opts);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mount("cgroup", dir, "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0) {
		int e = errno;

		rmdir(dir);
		return -e;
	}
	return 0;
}

/* Mount what @mode asks for under /sys/fs/cgroup, unless already there. */
static void pid1_mount(enum cgroup_mode mode)
{
	const unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	char buf[256];
	int r;

	if (is_mountpoint(CG_ROOT))
		return;
	if (mode != CGROUP_V1 && have_fs("cgroup2")) {
		if (mount("cgroup2", CG_ROOT, "cgroup2", fl, NULL) == 0) {
			unsigned m = get(CG_ROOT, "cgroup.controllers", buf, sizeof(buf)) > 0
					     ? ctrl_mask(buf) : 0;

			if (mode == CGROUP_V2 || (m & CT_NEEDED) == CT_NEEDED)
				return;
			log_info("cgroup2 lacks controllers boxinit needs: using cgroup v1");
			if (umount2(CG_ROOT, 0) < 0)
				log_err("umount " CG_ROOT ": %s", strerror(errno));
		} else {
			log_err("mount cgroup2 on " CG_ROOT ": %s", strerror(errno));
		}
	} else if (mode == CGROUP_V2) {
		log_err("cgroup = v2, but the kernel has no cgroup2 filesystem: trying v1");
	}
	if (mount("tmpfs", CG_ROOT, "tmpfs", fl, "mode=0755") < 0) {
		log_err("mount tmpfs on " CG_ROOT ": %s", strerror(errno));
		return;
	}
	/* cpu and cpuacct together, as a classic hierarchy; separately where
	 * they are already bound apart (EBUSY, or EPERM in a cgroup namespace) */
	r = mount_v1("cpu,cpuacct");
	if (r < 0) {
		int r2 = mount_v1("cpu");

		if (r2 < 0)
			log_warn("mount cgroup cpu: %s", strerror(-r2));
		if ((r2 = mount_v1("cpuacct")) < 0)
			log_warn("mount cgroup cpuacct: %s", strerror(-r2));
	}
	if ((r = mount_v1("memory")) < 0)
		log_warn("mount cgroup memory: %s", strerror(-r));
	if ((r = mount_v1("pids")) < 0)
		log_warn("mount cgroup pids: %s", strerror(-r));
	/* hybrid: controllers the kernel keeps on v2 */
	if (mode == CGROUP_AUTO && have_fs("cgroup2") &&
	    mkdir(CG_ROOT "/unified", 0755) == 0 &&
	    mount("cgroup2", CG_ROOT "/unified", "cgroup2", fl, NULL) < 0)
		rmdir(CG_ROOT "/unified");
}

/* ---- discovery --------------------------------------------------------- */

/* Our cgroup path in the hierarchy whose controllers are @ctrls (v1), or
 * in the v2 hierarchy (@ctrls NULL), from /proc/self/cgroup. */
static int self_path(const char *ctrls, char *out, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/self/cgroup", "re");
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

static void add_hier(int version, unsigned ctrls, const char *mnt,
		     const char *root, const char *path)
{
	struct hier *h;
	size_t rl = strlen(root);

	if (nh == CG_MAX_HIER || !ctrls)
		return;
	/* our cgroup must be visible below this mount's root */
	if (strcmp(root, "/") && (strncmp(path, root, rl) || (path[rl] && path[rl] != '/')))
		return;
	h = &hs[nh];
	memset(h, 0, sizeof(*h));
	h->version = version;
	h->ctrls = ctrls;
	if (snprintf(h->cur, sizeof(h->cur), "%s%s", mnt,
		     strcmp(root, "/") ? path + rl : (strcmp(path, "/") ? path : ""))
	    >= (int)sizeof(h->cur))
		return;
	{
		char base[sizeof(h->base)];

		if (snprintf(base, sizeof(base), "%s/%s", h->cur, subtree) >= (int)sizeof(base))
			return;
		memcpy(h->base, base, sizeof(base));
	}
	h->has_kill = version == 2 && exists(h->cur, "cgroup.kill");
	nh++;
}

/* Find where each controller lives, from /proc/self/mountinfo. */
static void discover(void)
{
	char line[1024];
	unsigned found = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f) {
		log_err("cgroup: /proc/self/mountinfo: %s", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char path[256], buf[256];
		char *sep = strstr(line, " - ");
		char *fl[5], *fr[3], *root, *mnt, *fstype, *opts;
		unsigned m;

		/* id parent maj:min root mountpoint opts... - fstype source superopts */
		if (!sep)
			continue;
		*sep = '\0';
		if (split_fields(line, fl, 5) != 5 || split_fields(sep + 3, fr, 3) != 3)
			continue;
		root = fl[3];
		mnt = fl[4];
		fstype = fr[0];
		opts = fr[2];
		if (!strcmp(fstype, "cgroup")) {
			char ctrls[256] = "";
			char *save = NULL;

			/* the controller list as /proc/self/cgroup spells it */
			for (char *t = strtok_r(opts, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				if (!ctrl_mask(t) && strcmp(t, "cpuset") && strcmp(t, "blkio") &&
				    strcmp(t, "devices") && strcmp(t, "freezer") &&
				    strcmp(t, "net_cls") && strcmp(t, "net_prio") &&
				    strcmp(t, "perf_event") && strcmp(t, "hugetlb") &&
				    strcmp(t, "rdma") && strcmp(t, "misc") && strncmp(t, "name=", 5))
					continue;
				if (*ctrls)
					strncat(ctrls, ",", sizeof(ctrls) - strlen(ctrls) - 1);
				strncat(ctrls, t, sizeof(ctrls) - strlen(ctrls) - 1);
			}
			m = ctrl_mask(ctrls) & ~found;
			if (m && self_path(ctrls, path, sizeof(path)) == 0) {
				add_hier(1, m, mnt, root, path);
				found |= m;
			}
		} else if (!strcmp(fstype, "cgroup2")) {
			m = get(mnt, "cgroup.controllers", buf, sizeof(buf)) > 0 ? ctrl_mask(buf) : 0;
			/* cpuacct's figures are part of v2's cpu.stat */
			if (m & CT_CPU)
				m |= CT_CPUACCT;
			m &= ~found;
			if (m && self_path(NULL, path, sizeof(path)) == 0) {
				add_hier(2, m, mnt, root, path);
				found |= m;
			}
		}
	}
	fclose(f);
}

const char *cgroup_version_text(void)
{
	bool v1 = false, v2 = false;

	for (size_t i = 0; i < nh; i++) {
		v1 |= hs[i].version == 1;
		v2 |= hs[i].version == 2;
	}
	return v1 && v2 ? "hybrid" : v2 ? "v2" : v1 ? "v1" : "none";
}

/* v2: boxinit moves into base/init, then delegates controllers. */
static void setup_v2(struct hier *h)
{
	char leaf[260], ctl[64] = "";
	int r;

	snprintf(leaf, sizeof(leaf), "%s/init", h->base);
	if (mkdir(leaf, 0755) < 0 && errno != EEXIST) {
		log_err("cgroup: mkdir %s: %s", leaf, strerror(errno));
		return;
	}
	r = put(leaf, "cgroup.procs", "0");
	if (r < 0) {
		log_err("cgroup: move boxinit into %s: %s", leaf, strerror(-r));
		return;
	}
	moved_to_leaf = true;
	for (size_t i = 0; i < ARRAY_SIZE(ctrl_names); i++)
		if ((h->ctrls & ctrl_names[i].bit) && ctrl_names[i].bit != CT_CPUACCT) {
			strcat(ctl, " +");
			strcat(ctl, ctrl_names[i].name);
		}
	/* the parent first (it may already delegate them; we undo only what
	 * we add, at teardown), then our subtree */
	{
		char had[256] = "";
		unsigned before = get(h->cur, "cgroup.subtree_control", had, sizeof(had)) > 0
					  ? ctrl_mask(had) : 0;

		enabled_in_cur[0] = '\0';
		for (size_t i = 0; i < ARRAY_SIZE(ctrl_names); i++) {
			unsigned bit = ctrl_names[i].bit;

			if ((h->ctrls & bit) && bit != CT_CPUACCT && !(before & bit)) {
				strcat(enabled_in_cur, " -");
				strcat(enabled_in_cur, ctrl_names[i].name);
			}
		}
	}
	r = put(h->cur, "cgroup.subtree_control", ctl + 1);
	if (r < 0) {
		log_warn("cgroup: enable \"%s\" in %s: %s", ctl + 1, h->cur, strerror(-r));
		enabled_in_cur[0] = '\0';
	}
	r = put(h->base, "cgroup.subtree_control", ctl + 1);
	if (r < 0)
		log_err("cgroup: enable \"%s\" in %s: %s; services run without those limits",
			ctl + 1, h->base, strerror(-r));
}

int cgroup_setup(enum cgroup_mode mode, bool pid1)
{
	unsigned have = 0;

	nh = 0;
	moved_to_leaf = false;
	warned = 0;
	if (pid1)
		snprintf(subtree, sizeof(subtree), "boxinit");
	else
		snprintf(subtree, sizeof(subtree), "boxinit-%d", (int)getpid());
	if (pid1)
		pid1_mount(mode);
	discover();
	for (size_t i = 0; i < nh; i++) {
		struct hier *h = &hs[i];

		if (mkdir(h->base, 0755) < 0 && errno != EEXIST) {
			log_err("cgroup: mkdir %s: %s", h->base, strerror(errno));
			memmove(h, h + 1, (nh - i - 1) * sizeof(*h));
			nh--;
			i--;
			continue;
		}
		if (h->version == 2)
			setup_v2(h);
		have |= h->ctrls;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ctrl_names); i++)
		if (!(have & ctrl_names[i].bit) && ctrl_names[i].bit != CT_CPUACCT)
			log_warn("cgroup: no %s controller: limits on it cannot apply",
				 ctrl_names[i].name);
	if (!nh)
		return -ENOENT;
	log_info("cgroup: %s, subtree %s", cgroup_version_text(), hs[0].base);
	return __builtin_popcount(have & CT_NEEDED);
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
static const struct hier *hier_of(unsigned bit)
{
	for (size_t i = 0; i < nh; i++)
		if (hs[i].ctrls & bit)
			return &hs[i];
	return NULL;
}

enum { W_CPU = 1, W_MEM = 2, W_SWAP = 4, W_PIDS = 8, W_SWAPMEM = 16 };

static void warn_once(unsigned bit, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warn_once(unsigned bit, const char *fmt, ...)
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

/* Write one limit; a missing knob is warned once with what provides it. */
static void limit(const struct svc_conf *c, const char *dir, const char *key,
		  const char *file, const char *value, unsigned wbit, const char *provides)
{
	int r = put(dir, file, value);

	if (r == -ENOENT)
		warn_once(wbit, "service.%s.%s: %s/%s does not exist (needs %s); "
			  "starting without this limit", c->name, key, dir, file, provides);
	else if (r < 0)
		log_err("service.%s.%s: write \"%s\" to %s/%s: %s", c->name, key,
			value, dir, file, strerror(-r));
}

static void fmt_u64(char *buf, size_t len, uint64_t v, const char *unlimited)
{
	if (v == UINT64_MAX)
		snprintf(buf, len, "%s", unlimited);
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

static void set_limits(const struct svc_conf *c, const struct hier *h, const char *dir)
{
	char v[64];

	if (h->ctrls & CT_CPU) {
		if (h->version == 2) {
			if (c->cpu_quota_us)
				snprintf(v, sizeof(v), "%u %u", c->cpu_quota_us, CONF_CPU_PERIOD_US);
			else
				snprintf(v, sizeof(v), "max %u", CONF_CPU_PERIOD_US);
			limit(c, dir, "cpu", "cpu.max", v, W_CPU, "CONFIG_CFS_BANDWIDTH");
		} else {
			snprintf(v, sizeof(v), "%u", CONF_CPU_PERIOD_US);
			limit(c, dir, "cpu", "cpu.cfs_period_us", v, W_CPU, "CONFIG_CFS_BANDWIDTH");
			if (c->cpu_quota_us)
				snprintf(v, sizeof(v), "%u", c->cpu_quota_us);
			else
				snprintf(v, sizeof(v), "-1");
			limit(c, dir, "cpu", "cpu.cfs_quota_us", v, W_CPU, "CONFIG_CFS_BANDWIDTH");
		}
	}
	if (h->ctrls & CT_MEMORY) {
		if (h->version == 2) {
			fmt_u64(v, sizeof(v), c->memory, "max");
			limit(c, dir, "memory", "memory.max", v, W_MEM, "CONFIG_MEMCG");
			fmt_u64(v, sizeof(v), c->has_swap ? c->swap : UINT64_MAX, "max");
			if (c->has_swap || exists(dir, "memory.swap.max"))
				limit(c, dir, "swap", "memory.swap.max", v, W_SWAP,
				      "CONFIG_MEMCG_SWAP, and swapaccount=1 on older kernels");
		} else {
			bool memsw = exists(dir, "memory.memsw.limit_in_bytes");

			/* memsw >= limit at every step: open memsw up first */
			if (memsw)
				put(dir, "memory.memsw.limit_in_bytes", "-1");
			fmt_u64(v, sizeof(v), c->memory, "-1");
			limit(c, dir, "memory", "memory.limit_in_bytes", v, W_MEM, "CONFIG_MEMCG");
			if (c->has_swap && c->memory == UINT64_MAX) {
				warn_once(W_SWAPMEM, "service.%s.swap: on cgroup v1 swap is "
					  "limited together with memory: set memory too", c->name);
			} else if (c->has_swap) {
				fmt_u64(v, sizeof(v), c->memory + c->swap, "-1");
				limit(c, dir, "swap", "memory.memsw.limit_in_bytes", v, W_SWAP,
				      "CONFIG_MEMCG_SWAP and the boot parameter swapaccount=1");
			}
		}
	}
	if (h->ctrls & CT_PIDS) {
		if (c->pids)
			snprintf(v, sizeof(v), "%u", c->pids);
		else
			snprintf(v, sizeof(v), "max");
		limit(c, dir, "pids", "pids.max", v, W_PIDS, "CONFIG_CGROUP_PIDS");
	}
}

int cgroup_service_create(const struct svc_conf *c)
{
	char dir[320];
	int made = 0, err = 0;

	if (!nh) {
		if (c->cpu_quota_us || c->memory != UINT64_MAX || c->has_swap || c->pids)
			warn_once(W_CPU | W_MEM | W_SWAP | W_PIDS,
				  "service.%s: no cgroup support (CONFIG_CGROUPS): "
				  "starting without limits", c->name);
		return 0;
	}
	if (c->cpu_quota_us && !hier_of(CT_CPU))
		warn_once(W_CPU, "service.%s.cpu: no cpu controller (CONFIG_CGROUP_SCHED, "
			  "CONFIG_CFS_BANDWIDTH): starting without this limit", c->name);
	if ((c->memory != UINT64_MAX || c->has_swap) && !hier_of(CT_MEMORY))
		warn_once(W_MEM, "service.%s.memory: no memory controller (CONFIG_MEMCG): "
			  "starting without this limit", c->name);
	if (c->pids && !hier_of(CT_PIDS))
		warn_once(W_PIDS, "service.%s.pids: no pids controller (CONFIG_CGROUP_PIDS): "
			  "starting without this limit", c->name);
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
	char dir[320];
	int n = 0;

	for (size_t i = 0; i < nh; i++) {
		int fd;

		if (cgroup_path(i, name, dir, sizeof(dir)) < 0)
			continue;
		strncat(dir, "/cgroup.procs", sizeof(dir) - strlen(dir) - 1);
		fd = open(dir, O_WRONLY | O_CLOEXEC);
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

int cgroup_oom_open(const char *name, uint32_t *events)
{
	const struct hier *h = hier_of(CT_MEMORY);
	char dir[320], ctl[360];
	int efd, cfd, r;

	if (!h)
		return -ENOENT;
	snprintf(dir, sizeof(dir), "%s/%s", h->base, name);
	if (h->version == 2) {
		char path[340];

		snprintf(path, sizeof(path), "%s/memory.events", dir);
		r = open(path, O_RDONLY | O_CLOEXEC);
		if (r < 0)
			return -errno;
		*events = EPOLLPRI;
		return r;
	}
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return -errno;
	snprintf(ctl, sizeof(ctl), "%s/memory.oom_control", dir);
	cfd = open(ctl, O_RDONLY | O_CLOEXEC);
	if (cfd < 0) {
		r = -errno;
		close(efd);
		return r;
	}
	snprintf(ctl, sizeof(ctl), "%d %d", efd, cfd);
	r = put(dir, "cgroup.event_control", ctl);
	close(cfd);
	if (r < 0) {
		close(efd);
		return r;
	}
	*events = EPOLLIN;
	return efd;
}

int cgroup_oom_kills(const char *name, uint64_t *count)
{
	const struct hier *h = hier_of(CT_MEMORY);
	char dir[320], buf[1024];
	const char *p;
	ssize_t n;

	if (!h)
		return -ENOENT;
	snprintf(dir, sizeof(dir), "%s/%s", h->base, name);
	n = get(dir, h->version == 2 ? "memory.events" : "memory.oom_control", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	p = strstr(buf, "oom_kill ");
	if (!p)
		return -ENOENT;
	*count = strtoull(p + 9, NULL, 10);
	return 0;
}

int cgroup_oom_ack(const char *name, int fd, uint64_t *count)
{
	const struct hier *h = hier_of(CT_MEMORY);
	char buf[1024];
	const char *p;
	ssize_t n;

	if (!h)
		return -ENOENT;
	if (h->version == 1) {
		uint64_t ticks;

		if (read(fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
			return -errno;
		return cgroup_oom_kills(name, count);
	}
	/* kernfs: reading the watched fd re-arms its EPOLLPRI */
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	p = strstr(buf, "oom_kill ");
	if (!p)
		return -ENOENT;
	*count = strtoull(p + 9, NULL, 10);
	return 0;
}

/*
 * Call @fn for every pid in @dir/cgroup.procs, read whole in chunks (a
 * number is used only once its end is seen). Returns the count, or -errno.
 */
static int for_each_proc(const char *dir, void (*fn)(pid_t, void *), void *arg)
{
	char path[320], buf[4096];
	_cleanup_fd_ int fd = -1;
	long v = -1;
	int count = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
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

int cgroup_nprocs(const char *name)
{
	char dir[320];

	if (cgroup_path(0, name, dir, sizeof(dir)) < 0)
		return -ENOENT;
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

int cgroup_kill(const char *name)
{
	struct kill_walk w = { 0 };
	char dir[320];
	int total = 0, r = 0;

	for (size_t i = 0; i < nh; i++) {
		if (!hs[i].has_kill)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", hs[i].base, name);
		if (put(dir, "cgroup.kill", "1") == 0)
			return 0;
	}
	if (cgroup_path(0, name, dir, sizeof(dir)) < 0)
		return 0;
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

int cgroup_usage(const char *name, uint64_t *cpu_us, uint64_t *mem_bytes)
{
	const struct hier *h;
	char dir[320], buf[512];
	const char *p;

	*cpu_us = *mem_bytes = UINT64_MAX;
	if ((h = hier_of(CT_CPUACCT))) {
		snprintf(dir, sizeof(dir), "%s/%s", h->base, name);
		if (h->version == 2) {
			if (get(dir, "cpu.stat", buf, sizeof(buf)) > 0 &&
			    (p = strstr(buf, "usage_usec ")))
				*cpu_us = strtoull(p + 11, NULL, 10);
		} else if (get(dir, "cpuacct.usage", buf, sizeof(buf)) > 0) {
			*cpu_us = strtoull(buf, NULL, 10) / 1000;
		}
	}
	if ((h = hier_of(CT_MEMORY))) {
		snprintf(dir, sizeof(dir), "%s/%s", h->base, name);
		if (get(dir, h->version == 2 ? "memory.current" : "memory.usage_in_bytes",
			buf, sizeof(buf)) > 0)
			*mem_bytes = strtoull(buf, NULL, 10);
	}
	return 0;
}

int cgroup_service_remove(const char *name, unsigned wait_ms)
{
	char dir[320];
	int first = 0;

	for (size_t i = 0; i < nh; i++) {
		unsigned waited = 0;

		if (cgroup_path(i, name, dir, sizeof(dir)) < 0)
			continue;
		while (rmdir(dir) < 0) {
			if (errno == ENOENT)
				break;
			if (errno != EBUSY || waited >= wait_ms) {
				if (!first)
					first = -errno;
				log_warn("cgroup: rmdir %s: %s", dir, strerror(errno));
				break;
			}
			sleep_ms(5);
			waited += 5;
		}
	}
	return first;
}

/* rmdir every service cgroup left below @base (not boxinit's leaf). */
static void remove_children(const char *base)
{
	char path[320];
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
			sleep_ms(5);
	}
	closedir(d);
}

void cgroup_teardown(void)
{
	char leaf[260];

	for (size_t i = 0; i < nh; i++) {
		struct hier *h = &hs[i];

		/* service cgroups a removal could not finish (still busy then) */
		remove_children(h->base);
		if (h->version == 2 && moved_to_leaf) {
			int r;

			/* a cgroup with controllers enabled for children takes no
			 * process: give back what we enabled, then move back */
			if (enabled_in_cur[0] && h->cur[strlen(CG_ROOT)] != '\0')
				put(h->cur, "cgroup.subtree_control", enabled_in_cur + 1);
			r = put(h->cur, "cgroup.procs", "0");

			if (r < 0)
				log_warn("cgroup: move boxinit back to %s: %s", h->cur, strerror(-r));
			snprintf(leaf, sizeof(leaf), "%s/init", h->base);
			rmdir(leaf);
		}
		if (rmdir(h->base) < 0 && errno != ENOENT)
			log_warn("cgroup: rmdir %s: %s", h->base, strerror(errno));
	}
	nh = 0;
}
