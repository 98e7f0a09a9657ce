/* SPDX-License-Identifier: MIT */
/*
 * fake_cgroupfs: the fake cgroupfs trees of tests/unit/test_cgroup.c and
 * their helpers (included by that file only). A tree is a temporary
 * directory holding the files the kernel would have, a mountinfo and a
 * /proc/self/cgroup describing it; start() hands them to
 * cgroup_setup_from (cgroup_internal.h). A knob whose sequence of writes
 * matters is a FIFO: the test holds its read end and sees every write, in
 * order, without separators.
 */
#ifndef BOXINIT_TEST_FAKE_CGROUPFS_H
#define BOXINIT_TEST_FAKE_CGROUPFS_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup_internal.h"
#include "log.h"

static char base[64];           /* the fake tree */
static char mi[4096];           /* its mountinfo */
static char self[1024];         /* its /proc/self/cgroup */
static int mount_id;
static int rd = -1;             /* read end of the log pipe */
static char logbuf[65536];
static size_t loglen;
static pid_t child = -1;        /* a process the kill test made */

/* BASE/@fmt... (an absolute result as it is), in one of 16 rotating
 * buffers: copy what must outlive the next calls. */
static const char *at(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *at(const char *fmt, ...)
{
	static char bufs[16][512];
	static unsigned next;
	char *b = bufs[next++ % 16], rel[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	if (rel[0] == '/')
		snprintf(b, 512, "%s", rel);
	else
		snprintf(b, 512, "%s/%s", base, rel);
	return b;
}

static void mkdir_p(const char *path)
{
	char tmp[512];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
	mkdir(tmp, 0755);
}

/* @path (its directory made) holding @text. */
static void put_file(const char *path, const char *text)
{
	char dir[512];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdir_p(dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Empty knobs @files (space separated) in @dir, as the kernel makes them. */
static void knobs(const char *dir, const char *files)
{
	char list[512], path[600];

	snprintf(list, sizeof(list), "%s", files);
	for (char *t = strtok(list, " "); t; t = strtok(NULL, " ")) {
		snprintf(path, sizeof(path), "%s/%s", dir, t);
		put_file(path, "");
	}
}

/* What @path holds; the file is emptied, so the next write shows alone. */
static const char *take(const char *path)
{
	static char buf[4096];
	int fd = open(path, O_RDWR);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_int_equal(ftruncate(fd, 0), 0);
	close(fd);
	return buf;
}

/* @path made a FIFO; returns its read end (the writes never block). */
static int fifo(const char *path)
{
	int fd;

	unlink(path);
	assert_int_equal(mkfifo(path, 0644), 0);
	fd = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(fd >= 0);
	return fd;
}

static const char *drain(int fd)
{
	static char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

/* A mount of @fstype at BASE/@dir (made) with @root and super options @opts. */
static void add_mount(const char *fstype, const char *dir, const char *root, const char *opts)
{
	size_t n = strlen(mi);

	mkdir_p(at("%s", dir));
	snprintf(mi + n, sizeof(mi) - n, "%d 1 0:%d %s %s/%s rw,nosuid,nodev,noexec,relatime"
		 " shared:%d - %s %s %s\n", mount_id, mount_id, root, base, dir, mount_id,
		 fstype, fstype, opts);
	mount_id++;
}

/* cgroup_setup on the fake tree, boxinit's subtree "bx". */
static int start(void)
{
	put_file(at("mountinfo"), mi);
	put_file(at("self"), self);
	return cgroup_setup_from(at("mountinfo"), at("self"), "bx");
}

/* Everything boxinit logged so far in this test. */
static const char *logs(void)
{
	ssize_t n;

	log_flush();
	while ((n = read(rd, logbuf + loglen, sizeof(logbuf) - 1 - loglen)) > 0)
		loglen += (size_t)n;
	logbuf[loglen] = '\0';
	return logbuf;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static struct svc_conf svc(const char *name, uint32_t cpu_us, uint64_t mem, bool has_swap,
			   uint64_t swap, uint32_t pids)
{
	struct svc_conf c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	c.cpu_quota_us = cpu_us;
	c.memory = mem;
	c.has_swap = has_swap;
	c.swap = swap;
	c.pids = pids;
	return c;
}

#define UNLIMITED(name) svc(name, 0, UINT64_MAX, false, 0, 0)
#define V2_KNOBS "cpu.max memory.max memory.swap.max pids.max cgroup.procs cgroup.kill " \
		 "memory.events cpu.stat memory.current"

/*
 * cgroup v2 alone, boxinit started in /outer whose parent delegates memory
 * already; @kill: the kernel has cgroup.kill.
 */
static void v2_tree(bool kill)
{
	add_mount("cgroup2", "v2", "/", "rw,nsdelegate");
	put_file(at("v2/cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n");
	knobs(at("v2/outer"), kill ? "cgroup.procs cgroup.type cgroup.kill" :
	      "cgroup.procs cgroup.type");
	put_file(at("v2/outer/cgroup.subtree_control"), "memory\n");
	knobs(at("v2/outer/bx"), "cgroup.subtree_control");
	knobs(at("v2/outer/bx/init"), "cgroup.procs");
	knobs(at("v2/outer/bx/svc"), V2_KNOBS);
	strcat(self, "0::/outer\n");
}

/* cgroup v2 alone, boxinit in the real root cgroup (no cgroup.type): the
 * machine's PID 1. */
static void v2_root_tree(void)
{
	add_mount("cgroup2", "v2", "/", "rw,nsdelegate");
	put_file(at("v2/cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n");
	knobs(at("v2"), "cgroup.procs cgroup.subtree_control");
	knobs(at("v2/bx"), "cgroup.subtree_control cgroup.type");
	knobs(at("v2/bx/svc"), V2_KNOBS);
	strcat(self, "0::/\n");
}

/*
 * The v1 controllers, one hierarchy each (cpu and cpuacct together, mounted
 * twice: the first mount is used), next to ones boxinit does not use and an empty cgroup2, as on a hybrid host
 * whose v2 holds no controller. boxinit's memory cgroup is /sys.
 */
static void v1_tree(void)
{
	add_mount("cgroup", "v1/cpu,cpuacct", "/", "rw,cpu,cpuacct");
	add_mount("cgroup", "v1/cpu", "/", "rw,cpu,cpuacct");   /* the same, again */
	add_mount("cgroup", "v1/cpuset", "/", "rw,cpuset");
	add_mount("cgroup", "v1/memory", "/", "rw,memory");
	add_mount("cgroup", "v1/pids", "/", "rw,pids");
	add_mount("cgroup", "v1/devices", "/", "rw,devices");
	add_mount("cgroup", "v1/systemd", "/", "rw,xattr,name=systemd");
	add_mount("cgroup2", "unified", "/", "rw");
	put_file(at("unified/cgroup.controllers"), "");
	knobs(at("v1/cpu,cpuacct/bx/svc"), "cpu.cfs_period_us cpu.cfs_quota_us cpuacct.usage "
	      "cgroup.procs");
	knobs(at("v1/memory/sys/bx/svc"), "memory.limit_in_bytes memory.memsw.limit_in_bytes "
	      "memory.oom_control cgroup.event_control memory.usage_in_bytes cgroup.procs");
	knobs(at("v1/pids/bx/svc"), "pids.max cgroup.procs");
	knobs(at("v1/devices/bx/svc"), "devices.deny devices.allow cgroup.procs");
	strcat(self, "12:pids:/\n11:memory:/sys\n10:devices:/\n3:cpuset:/\n"
	       "2:cpu,cpuacct:/\n1:name=systemd:/\n0::/\n");
}

/* Hybrid: cpu, cpuacct, pids, devices on v1; memory on v2 (a kernel
 * without CONFIG_MEMCG_V1), boxinit in the root cgroup of each. */
static void hybrid_tree(void)
{
	add_mount("cgroup", "v1/cpu,cpuacct", "/", "rw,cpu,cpuacct");
	add_mount("cgroup", "v1/pids", "/", "rw,pids");
	add_mount("cgroup", "v1/devices", "/", "rw,devices");
	add_mount("cgroup2", "unified", "/", "rw");
	put_file(at("unified/cgroup.controllers"), "memory\n");
	knobs(at("unified"), "cgroup.procs cgroup.subtree_control");
	knobs(at("unified/bx"), "cgroup.subtree_control");
	knobs(at("unified/bx/init"), "cgroup.procs");
	knobs(at("unified/bx/svc"), V2_KNOBS);
	knobs(at("v1/cpu,cpuacct/bx/svc"), "cpu.cfs_period_us cpu.cfs_quota_us cpuacct.usage "
	      "cgroup.procs");
	knobs(at("v1/pids/bx/svc"), "pids.max cgroup.procs");
	knobs(at("v1/devices/bx/svc"), "devices.deny devices.allow cgroup.procs");
	strcat(self, "3:pids:/\n2:devices:/\n1:cpu,cpuacct:/\n0::/\n");
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

static int setup(void **state)
{
	int p[2];

	snprintf(base, sizeof(base), "/tmp/cgtest.XXXXXX");
	if (!mkdtemp(base) || pipe(p) < 0)
		return -1;
	rd = p[0];
	fcntl(rd, F_SETFL, O_NONBLOCK);
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	log_open(p[1]);
	log_set_level(LOG_LV_INFO);
	mi[0] = self[0] = '\0';
	mount_id = 20;
	loglen = 0;
	return 0;
}

static int teardown(void **state)
{
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = -1;
	}
	cgroup_teardown();
	logs();
	close(rd);
	return nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
