/* SPDX-License-Identifier: MIT */
/*
 * cgroup_v2: the backend of the cgroup v2 hierarchy (the unified one, or
 * /sys/fs/cgroup/unified on a hybrid host with the controllers the kernel
 * keeps there). Documentation/admin-guide/cgroup-v2.rst.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "log.h"
#include "util.h"

/*
 * "no internal processes": a cgroup that delegates controllers to its
 * children holds no process (the root cgroup excepted), so boxinit moves
 * itself into the leaf base/init first. Returns 0 or -errno (logged).
 */
static int v2_enter_leaf(struct cg_hier *h)
{
	char leaf[CG_PATH_MAX];
	int r;

	snprintf(leaf, sizeof(leaf), "%s/init", h->base);
	if (mkdir(leaf, 0755) < 0 && errno != EEXIST) {
		r = -errno;
		log_err("cgroup: mkdir %s: %s", leaf, strerror(-r));
		return r;
	}
	r = cg_put(leaf, "cgroup.procs", "0");
	if (r < 0) {
		log_err("cgroup: move boxinit into %s: %s", leaf, strerror(-r));
		return r;
	}
	h->in_leaf = true;
	return 0;
}

/* "Enabling and Disabling": the controllers in the parent first (it may
 * delegate some already; teardown gives back only what we add), then in
 * boxinit's subtree. */
static void v2_setup(struct cg_hier *h)
{
	char ctl[64], had[256] = "";
	unsigned before;
	int r;

	h->has_kill = cg_exists(h->cur, "cgroup.kill");
	/* the real root cgroup (the only one without cgroup.type; a cgroup
	 * namespace's "/" has it) is exempt from "no internal processes":
	 * the machine's PID 1 stays there, which spares a cgroup and a
	 * migration (the first of a burst waits for an RCU grace period:
	 * tens of ms under emulation) */
	if (!(h->cur_is_root && !cg_exists(h->cur, "cgroup.type")) && v2_enter_leaf(h) < 0)
		return;
	cg_ctrl_list(h->ctrls, '+', ctl, sizeof(ctl));
	before = cg_get(h->cur, "cgroup.subtree_control", had, sizeof(had)) > 0
		 ? cg_ctrl_mask(had) : 0;
	cg_ctrl_list(h->ctrls & ~before, '-', h->enabled_in_cur, sizeof(h->enabled_in_cur));
	r = cg_put(h->cur, "cgroup.subtree_control", ctl + 1);
	if (r < 0) {
		log_warn("cgroup: enable \"%s\" in %s: %s", ctl + 1, h->cur, strerror(-r));
		h->enabled_in_cur[0] = '\0';
	}
	r = cg_put(h->base, "cgroup.subtree_control", ctl + 1);
	if (r < 0)
		log_err("cgroup: enable \"%s\" in %s: %s; services run without those limits",
			ctl + 1, h->base, strerror(-r));
}

/* boxinit back where it was, the leaf removed (boxinit's subtree itself is
 * removed by the interface). */
static void v2_teardown(struct cg_hier *h)
{
	char leaf[CG_PATH_MAX];
	int r;

	if (!h->in_leaf)
		return;
	/* a cgroup with controllers enabled for children takes no process
	 * (the root cgroup excepted): give back what we enabled, then move */
	if (h->enabled_in_cur[0] && !h->cur_is_root)
		cg_put(h->cur, "cgroup.subtree_control", h->enabled_in_cur + 1);
	r = cg_put(h->cur, "cgroup.procs", "0");
	if (r < 0)
		log_warn("cgroup: move boxinit back to %s: %s", h->cur, strerror(-r));
	snprintf(leaf, sizeof(leaf), "%s/init", h->base);
	rmdir(leaf);
	h->in_leaf = false;
}

/* "CPU Interface Files": cpu.max "$MAX $PERIOD" */
static void v2_cpu(const struct svc_conf *c, const char *dir)
{
	char v[32];

	if (c->cpu_quota_us)
		snprintf(v, sizeof(v), "%u %u", c->cpu_quota_us, CONF_CPU_PERIOD_US);
	else
		snprintf(v, sizeof(v), "max %u", CONF_CPU_PERIOD_US);
	cg_limit(c, dir, "cpu", "cpu.max", v, W_CPU, "CONFIG_CFS_BANDWIDTH");
}

/* "Memory Interface Files": memory.max */
static void v2_memory(const struct svc_conf *c, const char *dir)
{
	char v[24];

	cg_fmt_u64(v, sizeof(v), c->memory, "max");
	cg_limit(c, dir, "memory", "memory.max", v, W_MEM, "CONFIG_MEMCG");
}

/* memory.swap.max, on its own; reset to "max" where the kernel has it
 * (a reused cgroup keeps the value of an earlier start) */
static void v2_swap(const struct svc_conf *c, const char *dir)
{
	char v[24];

	if (!c->has_swap && !cg_exists(dir, "memory.swap.max"))
		return;
	cg_fmt_u64(v, sizeof(v), c->has_swap ? c->swap : UINT64_MAX, "max");
	cg_limit(c, dir, "swap", "memory.swap.max", v, W_SWAP,
		 "CONFIG_MEMCG_SWAP, and swapaccount=1 on older kernels");
}

/* memory.events: kernfs signals EPOLLPRI when it changes */
static int v2_oom_open(const char *dir, uint32_t *events)
{
	char path[CG_PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/memory.events", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = cg_open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*events = EPOLLPRI;
	return fd;
}

static int v2_oom_kills(const char *dir, uint64_t *count)
{
	return cg_get_u64(dir, "memory.events", "oom_kill", count);
}

/* kernfs: reading the watched fd itself re-arms its EPOLLPRI */
static int v2_oom_ack(const char *dir, int fd, uint64_t *count)
{
	char buf[1024];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return cg_parse_u64(buf, "oom_kill", count);
}

/* "Core Interface Files": cgroup.kill (Linux 5.14) */
static int v2_kill(const struct cg_hier *h, const char *dir)
{
	return h->has_kill ? cg_put(dir, "cgroup.kill", "1") : -EOPNOTSUPP;
}

/* cpu.stat usage_usec: microseconds */
static uint64_t v2_cpu_usage(const char *dir)
{
	uint64_t us;

	return cg_get_u64(dir, "cpu.stat", "usage_usec", &us) == 0 ? us : UINT64_MAX;
}

static uint64_t v2_mem_usage(const char *dir)
{
	uint64_t b;

	return cg_get_u64(dir, "memory.current", NULL, &b) == 0 ? b : UINT64_MAX;
}

/* "Device controller": a BPF_PROG_TYPE_CGROUP_DEVICE program */
static int v2_devices(const char *name, const char *dir, const struct cgdev_rule *r,
		      size_t n, char *why, size_t len)
{
	int e = cgdev_bpf_attach(dir, r, n);

	if (e == -ENOSYS || e == -EPERM || e == -EACCES || e == -EOPNOTSUPP || e == -EINVAL) {
		snprintf(why, len, "cgroup device program on %s: %s; needs CONFIG_CGROUP_BPF",
			 dir, strerror(-e));
		return 1;
	}
	return e;
}

const struct cg_ops cg_v2_ops = {
	.version = 2,
	.setup = v2_setup,
	.teardown = v2_teardown,
	.cpu = v2_cpu,
	.memory = v2_memory,
	.swap = v2_swap,
	.pids = cg_pids_max,
	.oom_open = v2_oom_open,
	.oom_ack = v2_oom_ack,
	.oom_kills = v2_oom_kills,
	.kill = v2_kill,
	.cpu_usage = v2_cpu_usage,
	.mem_usage = v2_mem_usage,
	.remove = cg_rmdir_wait,
	.devices = v2_devices,
};
