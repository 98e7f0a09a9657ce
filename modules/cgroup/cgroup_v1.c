/* SPDX-License-Identifier: MIT */
/*
 * cgroup_v1: the backend of a cgroup v1 hierarchy (one per controller, or
 * cpu and cpuacct together). Documentation/admin-guide/cgroup-v1/
 * cgroups.rst, memory.rst, pids.rst, devices.rst and
 * Documentation/scheduler/sched-bwc.rst (cpu.cfs_*).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "util.h"

/* sched-bwc.rst: period, then quota (-1: none) */
static void v1_cpu(const struct svc_conf *c, const char *dir)
{
	char v[24];

	snprintf(v, sizeof(v), "%u", CONF_CPU_PERIOD_US);
	cg_limit(c, dir, "cpu", "cpu.cfs_period_us", v, W_CPU, "CONFIG_CFS_BANDWIDTH");
	if (c->cpu_quota_us)
		snprintf(v, sizeof(v), "%u", c->cpu_quota_us);
	else
		snprintf(v, sizeof(v), "-1");
	cg_limit(c, dir, "cpu", "cpu.cfs_quota_us", v, W_CPU, "CONFIG_CFS_BANDWIDTH");
}

/* memory.rst: memory.limit_in_bytes, -1 for none. The kernel keeps
 * memsw >= limit at every step: memsw is opened up first (the swap writer
 * sets it after). */
static void v1_memory(const struct svc_conf *c, const char *dir)
{
	char v[24];

	if (cg_exists(dir, "memory.memsw.limit_in_bytes"))
		cg_put(dir, "memory.memsw.limit_in_bytes", "-1");
	cg_fmt_u64(v, sizeof(v), c->memory, "-1");
	cg_limit(c, dir, "memory", "memory.limit_in_bytes", v, W_MEM, "CONFIG_MEMCG");
}

/* memory.rst: swap is limited with memory, memsw = memory + swap. */
static void v1_swap(const struct svc_conf *c, const char *dir)
{
	char v[24];

	if (!c->has_swap)
		return;
	if (c->memory == UINT64_MAX) {
		cg_warn_once(W_SWAPMEM, "service.%s.swap: on cgroup v1 swap is "
			     "limited together with memory: set memory too", c->name);
		return;
	}
	cg_fmt_u64(v, sizeof(v), c->memory + c->swap, "-1");
	cg_limit(c, dir, "swap", "memory.memsw.limit_in_bytes", v, W_SWAP,
		 "CONFIG_MEMCG_SWAP and the boot parameter swapaccount=1");
}

/* memory.rst "OOM Control": an eventfd registered on memory.oom_control
 * through cgroup.event_control becomes readable at each OOM. */
static int v1_oom_open(const char *dir, uint32_t *events)
{
	char path[CG_PATH_MAX], ctl[32];
	_cleanup_fd_ int cfd = -1;
	int efd, r;

	if (snprintf(path, sizeof(path), "%s/memory.oom_control", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return -errno;
	cfd = cg_open(path, O_RDONLY | O_CLOEXEC);
	if (cfd < 0) {
		r = -errno;
		close(efd);
		return r;
	}
	snprintf(ctl, sizeof(ctl), "%d %d", efd, cfd);
	r = cg_put(dir, "cgroup.event_control", ctl);
	if (r < 0) {
		close(efd);
		return r;
	}
	*events = EPOLLIN;
	return efd;
}

/* memory.oom_control's oom_kill line (Linux 4.13) */
static int v1_oom_kills(const char *dir, uint64_t *count)
{
	return cg_get_u64(dir, "memory.oom_control", "oom_kill", count);
}

static int v1_oom_ack(const char *dir, int fd, uint64_t *count)
{
	uint64_t ticks;

	if (read(fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return -errno;
	return v1_oom_kills(dir, count);
}

/* v1 has no cgroup.kill: the interface walks cgroup.procs */
static int v1_kill(const struct cg_hier *h, const char *dir)
{
	return -EOPNOTSUPP;
}

/* cpuacct.usage: nanoseconds */
static uint64_t v1_cpu_usage(const char *dir)
{
	uint64_t ns;

	return cg_get_u64(dir, "cpuacct.usage", NULL, &ns) == 0 ? ns / 1000 : UINT64_MAX;
}

static uint64_t v1_mem_usage(const char *dir)
{
	uint64_t b;

	return cg_get_u64(dir, "memory.usage_in_bytes", NULL, &b) == 0 ? b : UINT64_MAX;
}

/* devices.rst: deny all, then allow each rule */
static int v1_devices(const char *name, const char *dir, const struct cgdev_rule *r,
		      size_t n, char *why, size_t len)
{
	int e = cgdev_v1_apply(name, dir, r, n);

	if (e == -ENOSYS || e == -EPERM || e == -EACCES || e == -EOPNOTSUPP || e == -ENOENT) {
		snprintf(why, len, "devices.deny in %s: %s", dir, strerror(-e));
		return 1;
	}
	return e;
}

/* v1 needs no setup of boxinit's subtree: tasks may live anywhere */
static void v1_nothing(struct cg_hier *h)
{
}

const struct cg_ops cg_v1_ops = {
	.version = 1,
	.setup = v1_nothing,
	.teardown = v1_nothing,
	.cpu = v1_cpu,
	.memory = v1_memory,
	.swap = v1_swap,
	.pids = cg_pids_max,
	.oom_open = v1_oom_open,
	.oom_ack = v1_oom_ack,
	.oom_kills = v1_oom_kills,
	.kill = v1_kill,
	.cpu_usage = v1_cpu_usage,
	.mem_usage = v1_mem_usage,
	.remove = cg_rmdir_wait,
	.devices = v1_devices,
};
