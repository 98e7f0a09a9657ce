/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for modules/cgroup/ (cgroup.c, cgroup_v1.c, cgroup_v2.c):
 * both backends and the hybrid of them against a fake cgroupfs tree, a
 * temporary directory holding the files the kernel would have, described
 * by a fake mountinfo and /proc/self/cgroup (cgroup_setup_from, the test
 * hook of cgroup_internal.h). Checked: which hierarchy each controller is
 * used in, what each backend writes for each limit, that boxinit's v2
 * subtree is delegated and given back, the warning about a missing knob
 * (once, naming the key, the file and the kernel option), the OOM watch,
 * kill, usage figures, the v1 device policy, and removal.
 *
 * The trees and their helpers are in fake_cgroupfs.h.
 */
#include "fake_cgroupfs.h"

/* ---- which hierarchy holds what ---------------------------------------- */

/* Whether @fd is the file at @path. */
static bool same(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void test_v2_setup_delegates_and_teardown_gives_back(void **state)
{
	char want[600];
	int fd, at_v2 = -1;

	v2_tree(true);
	assert_int_equal(start(), 3);
	assert_string_equal(cgroup_version_text(), "v2");
	snprintf(want, sizeof(want), "cgroup: v2, subtree %s\n", at("v2/outer/bx"));
	assert_int_equal(count(logs(), want), 1);
	/* boxinit in its leaf, then the controllers delegated */
	assert_string_equal(take(at("v2/outer/bx/init/cgroup.procs")), "0");
	assert_string_equal(take(at("v2/outer/cgroup.subtree_control")), "+cpu +memory +pids");
	assert_string_equal(take(at("v2/outer/bx/cgroup.subtree_control")), "+cpu +memory +pids");
	/* the one hierarchy: a container is cloned into it (its only fd) */
	fd = cgroup_open_v2_dir("svc", &at_v2);
	assert_true(fd >= 0);
	assert_int_equal(at_v2, 0);
	assert_true(same(fd, at("v2/outer/bx/svc")));
	close(fd);
	cgroup_teardown();
	/* only what boxinit enabled (memory was delegated before it) */
	assert_string_equal(take(at("v2/outer/cgroup.subtree_control")), "-cpu -pids");
	assert_string_equal(take(at("v2/outer/cgroup.procs")), "0");
}

/* The machine's PID 1 in the real root cgroup: it delegates from there
 * (the root is exempt from "no internal processes") without a leaf. */
static void test_v2_root_delegates_without_a_leaf(void **state)
{
	struct stat st;

	v2_root_tree();
	assert_int_equal(start(), 3);
	assert_int_equal(stat(at("v2/bx/init"), &st), -1);
	assert_string_equal(take(at("v2/cgroup.procs")), "");
	assert_string_equal(take(at("v2/cgroup.subtree_control")), "+cpu +memory +pids");
	assert_string_equal(take(at("v2/bx/cgroup.subtree_control")), "+cpu +memory +pids");
	cgroup_teardown();
	/* nothing to move back, and the root's controllers stay (others use them) */
	assert_string_equal(take(at("v2/cgroup.procs")), "");
	assert_string_equal(take(at("v2/cgroup.subtree_control")), "");
}

static void test_v1_tree_and_the_empty_cgroup2(void **state)
{
	char dir[512], want[600];

	v1_tree();
	assert_int_equal(start(), 3);
	assert_string_equal(cgroup_version_text(), "v1");
	snprintf(want, sizeof(want), "cgroup: v1, subtree %s\n", at("v1/cpu,cpuacct/bx"));
	assert_int_equal(count(logs(), want), 1);
	/* cpu,cpuacct; memory; pids; devices: in mountinfo order */
	assert_int_equal(cgroup_path(0, "svc", dir, sizeof(dir)), 0);
	assert_string_equal(dir, at("v1/cpu,cpuacct/bx/svc"));
	assert_int_equal(cgroup_path(1, "svc", dir, sizeof(dir)), 0);
	assert_string_equal(dir, at("v1/memory/sys/bx/svc"));
	assert_int_equal(cgroup_path(3, "svc", dir, sizeof(dir)), 0);
	assert_string_equal(dir, at("v1/devices/bx/svc"));
	assert_int_equal(cgroup_path(4, "svc", dir, sizeof(dir)), -ENOENT);
	assert_int_equal(cgroup_devices_dir("svc", dir, sizeof(dir)), 1);
	assert_string_equal(dir, at("v1/devices/bx/svc"));
	assert_null(strstr(logs(), "no cpu controller"));
	/* no v2 hierarchy in use (the empty cgroup2): nothing to clone into */
	assert_int_equal(cgroup_open_v2_dir("svc", &(int){ 0 }), -ENOENT);
}

static void test_hybrid_uses_each_controller_where_the_kernel_has_it(void **state)
{
	struct svc_conf c = svc("svc", 50000, 10 << 20, true, 0, 16);
	int fds[CG_MAX_HIER];
	uint32_t ev = 0;
	uint64_t cpu, mem;
	int n, fd, at_v2 = -1;

	hybrid_tree();
	assert_int_equal(start(), 3);
	assert_string_equal(cgroup_version_text(), "hybrid");
	/* v2 delegates only memory; its root cgroup is not written back */
	assert_string_equal(take(at("unified/cgroup.subtree_control")), "+memory");
	assert_string_equal(take(at("unified/bx/cgroup.subtree_control")), "+memory");
	assert_int_equal(cgroup_service_create(&c), 0);
	assert_string_equal(take(at("v1/cpu,cpuacct/bx/svc/cpu.cfs_quota_us")), "50000");
	assert_string_equal(take(at("unified/bx/svc/memory.max")), "10485760");
	assert_string_equal(take(at("unified/bx/svc/memory.swap.max")), "0");
	assert_string_equal(take(at("v1/pids/bx/svc/pids.max")), "16");
	assert_string_equal(take(at("unified/bx/svc/cpu.max")), "");
	assert_string_equal(take(at("unified/bx/svc/pids.max")), "");
	/* the child joins all four; the v2 one it can be cloned into
	 * (CLONE_INTO_CGROUP), and which of the four that is */
	n = cgroup_open_procs("svc", fds);
	assert_int_equal(n, 4);
	fd = cgroup_open_v2_dir("svc", &at_v2);
	assert_true(fd >= 0);
	assert_true(same(fd, at("unified/bx/svc")));
	assert_true(at_v2 >= 0 && at_v2 < n);
	assert_true(same(fds[at_v2], at("unified/bx/svc/cgroup.procs")));
	close(fd);
	while (n > 0)
		close(fds[--n]);
	/* figures and the OOM watch from the hierarchy of each */
	put_file(at("v1/cpu,cpuacct/bx/svc/cpuacct.usage"), "7000000\n");
	put_file(at("unified/bx/svc/memory.current"), "4096\n");
	assert_int_equal(cgroup_usage("svc", &cpu, &mem), 0);
	assert_int_equal(cpu, 7000);
	assert_int_equal(mem, 4096);
	fd = cgroup_oom_open("svc", &ev);
	assert_true(fd >= 0);
	assert_int_equal(ev, EPOLLPRI);
	close(fd);
	cgroup_teardown();
	assert_string_equal(take(at("unified/cgroup.subtree_control")), "");
	/* the real root: boxinit never left it for a leaf */
	assert_string_equal(take(at("unified/cgroup.procs")), "");
	assert_string_equal(take(at("unified/bx/init/cgroup.procs")), "");
}

static void test_discovery_below_a_mount_root(void **state)
{
	char dir[512];

	/* a cgroup2 whose root is /outer (a bind of a subtree), boxinit in
	 * /outer/in; a v1 pids mount of another subtree is not ours */
	add_mount("cgroup2", "v2", "/outer", "rw");
	put_file(at("v2/cgroup.controllers"), "cpu memory\n");
	knobs(at("v2/in/bx/init"), "cgroup.procs");
	add_mount("cgroup", "pids", "/other", "rw,pids");
	strcat(self, "4:pids:/elsewhere\n0::/outer/in\n");
	assert_int_equal(start(), 2);
	assert_int_equal(cgroup_path(0, "svc", dir, sizeof(dir)), 0);
	assert_string_equal(dir, at("v2/in/bx/svc"));
	assert_int_equal(cgroup_path(1, "svc", dir, sizeof(dir)), -ENOENT);
	assert_int_equal(count(logs(), "cgroup: no pids controller: limits on it cannot apply"), 1);
}

static void test_no_cgroups_at_all(void **state)
{
	struct svc_conf c = svc("svc", 50000, UINT64_MAX, false, 0, 16);

	add_mount("proc", "proc", "/", "rw");
	assert_int_equal(start(), -ENOENT);
	assert_string_equal(cgroup_version_text(), "none");
	assert_int_equal(cgroup_service_create(&c), 0);
	assert_int_equal(cgroup_service_create(&c), 0);
	assert_int_equal(count(logs(), "service.svc: no cgroup support (CONFIG_CGROUPS): "
			       "starting without limits"), 1);
	assert_int_equal(cgroup_kill("svc"), 0);
	assert_int_equal(cgroup_nprocs("svc"), -ENOENT);
	assert_int_equal(cgroup_open_procs("svc", NULL), 0);
}

/* ---- the limit writers ------------------------------------------------- */

static void test_v2_writes_each_limit(void **state)
{
	struct svc_conf c = svc("svc", 50000, 10 << 20, true, 0, 16);
	struct svc_conf u = UNLIMITED("svc");
	char d[512];

	v2_tree(true);
	snprintf(d, sizeof(d), "%s", at("v2/outer/bx/svc"));
	assert_int_equal(start(), 3);
	assert_int_equal(cgroup_service_create(&c), 0);
	assert_string_equal(take(at("%s/cpu.max", d)), "50000 100000");
	assert_string_equal(take(at("%s/memory.max", d)), "10485760");
	assert_string_equal(take(at("%s/memory.swap.max", d)), "0");
	assert_string_equal(take(at("%s/pids.max", d)), "16");
	/* no limit is written as such: a reused cgroup forgets the last one */
	assert_int_equal(cgroup_service_create(&u), 0);
	assert_string_equal(take(at("%s/cpu.max", d)), "max 100000");
	assert_string_equal(take(at("%s/memory.max", d)), "max");
	assert_string_equal(take(at("%s/memory.swap.max", d)), "max");
	assert_string_equal(take(at("%s/pids.max", d)), "max");
	/* no swap accounting and no swap key: nothing to say */
	unlink(at("%s/memory.swap.max", d));
	assert_int_equal(cgroup_service_create(&u), 0);
	assert_null(strstr(logs(), "memory.swap.max"));
}

static void test_v1_writes_each_limit(void **state)
{
	struct svc_conf c = svc("svc", 50000, 10 << 20, true, 1 << 20, 16);
	struct svc_conf u = UNLIMITED("svc");
	char cpu[512], mem[512];
	int memsw;

	v1_tree();
	snprintf(cpu, sizeof(cpu), "%s", at("v1/cpu,cpuacct/bx/svc"));
	snprintf(mem, sizeof(mem), "%s", at("v1/memory/sys/bx/svc"));
	assert_int_equal(start(), 3);
	memsw = fifo(at("%s/memory.memsw.limit_in_bytes", mem));
	assert_int_equal(cgroup_service_create(&c), 0);
	assert_string_equal(take(at("%s/cpu.cfs_period_us", cpu)), "100000");
	assert_string_equal(take(at("%s/cpu.cfs_quota_us", cpu)), "50000");
	assert_string_equal(take(at("%s/memory.limit_in_bytes", mem)), "10485760");
	/* memsw opened up first, then memory + swap (memsw >= limit always) */
	assert_string_equal(drain(memsw), "-1" "11534336");
	assert_string_equal(take(at("v1/pids/bx/svc/pids.max")), "16");
	memsw = fifo(at("%s/memory.memsw.limit_in_bytes", mem));
	assert_int_equal(cgroup_service_create(&u), 0);
	assert_string_equal(take(at("%s/cpu.cfs_quota_us", cpu)), "-1");
	assert_string_equal(take(at("%s/memory.limit_in_bytes", mem)), "-1");
	assert_string_equal(drain(memsw), "-1");
	assert_string_equal(take(at("v1/pids/bx/svc/pids.max")), "max");
	/* the limits go nowhere else */
	assert_false(access(at("%s/memory.max", mem), F_OK) == 0);
	assert_false(access(at("%s/pids.max", cpu), F_OK) == 0);
}

static void test_v1_swap_needs_memory(void **state)
{
	struct svc_conf c = svc("svc", 0, UINT64_MAX, true, 1 << 20, 0);

	v1_tree();
	assert_int_equal(start(), 3);
	assert_int_equal(cgroup_service_create(&c), 0);
	assert_int_equal(cgroup_service_create(&c), 0);
	assert_int_equal(count(logs(), "service.svc.swap: on cgroup v1 swap is limited together "
			       "with memory: set memory too"), 1);
	assert_string_equal(take(at("v1/memory/sys/bx/svc/memory.memsw.limit_in_bytes")), "-1");
}

/* ---- a missing knob or controller ----------------------------------------- */

static void test_missing_knob_warned_once(void **state)
{
	struct svc_conf c = svc("svc", 50000, 10 << 20, true, 0, 16);
	struct svc_conf o = svc("other", 50000, 10 << 20, true, 0, 16);
	char want[600];

	v2_tree(true);
	knobs(at("v2/outer/bx/other"), "memory.max pids.max");
	unlink(at("v2/outer/bx/svc/memory.swap.max"));
	unlink(at("v2/outer/bx/svc/cpu.max"));
	assert_int_equal(start(), 3);
	assert_int_equal(cgroup_service_create(&c), 0);
	assert_int_equal(cgroup_service_create(&c), 0);
	assert_int_equal(cgroup_service_create(&o), 0);
	snprintf(want, sizeof(want), "service.svc.swap: %s does not exist (needs "
		 "CONFIG_MEMCG_SWAP, and swapaccount=1 on older kernels); starting without "
		 "this limit", at("v2/outer/bx/svc/memory.swap.max"));
	assert_int_equal(count(logs(), want), 1);
	snprintf(want, sizeof(want), "service.svc.cpu: %s does not exist (needs "
		 "CONFIG_CFS_BANDWIDTH); starting without this limit", at("v2/outer/bx/svc/cpu.max"));
	assert_int_equal(count(logs(), want), 1);
	assert_int_equal(count(logs(), "does not exist"), 2);
	/* the knobs that exist are written all the same */
	assert_string_equal(take(at("v2/outer/bx/svc/memory.max")), "10485760");
	assert_string_equal(take(at("v2/outer/bx/other/pids.max")), "16");
}

static void test_v1_missing_memsw_warned_once(void **state)
{
	struct svc_conf c = svc("svc", 0, 10 << 20, true, 0, 0);
	char want[600];

	v1_tree();
	unlink(at("v1/memory/sys/bx/svc/memory.memsw.limit_in_bytes"));
	assert_int_equal(start(), 3);
	assert_int_equal(cgroup_service_create(&c), 0);
	assert_int_equal(cgroup_service_create(&c), 0);
	snprintf(want, sizeof(want), "service.svc.swap: %s does not exist (needs "
		 "CONFIG_MEMCG_SWAP and the boot parameter swapaccount=1); starting without "
		 "this limit", at("v1/memory/sys/bx/svc/memory.memsw.limit_in_bytes"));
	assert_int_equal(count(logs(), want), 1);
	assert_string_equal(take(at("v1/memory/sys/bx/svc/memory.limit_in_bytes")), "10485760");
}

static void test_missing_controller_warned_once(void **state)
{
	struct svc_conf c = svc("svc", 50000, 10 << 20, false, 0, 16);

	v2_tree(true);
	put_file(at("v2/cgroup.controllers"), "cpu memory\n");
	assert_int_equal(start(), 2);
	assert_int_equal(count(logs(), "cgroup: no pids controller: limits on it cannot apply"), 1);
	assert_string_equal(take(at("v2/outer/bx/cgroup.subtree_control")), "+cpu +memory");
	assert_int_equal(cgroup_service_create(&c), 0);
	assert_int_equal(cgroup_service_create(&c), 0);
	assert_int_equal(count(logs(), "service.svc.pids: no pids controller "
			       "(CONFIG_CGROUP_PIDS): starting without this limit"), 1);
	assert_string_equal(take(at("v2/outer/bx/svc/pids.max")), "");
}

/* ---- OOM, kill, usage ------------------------------------------------------ */

static void test_v2_oom_watch(void **state)
{
	uint32_t events = 0;
	uint64_t n = 0;
	char ev[512];
	int fd;

	v2_tree(true);
	snprintf(ev, sizeof(ev), "%s", at("v2/outer/bx/svc/memory.events"));
	assert_int_equal(start(), 3);
	put_file(ev, "low 0\nhigh 0\nmax 3\noom 2\noom_kill 1\noom_group_kill 0\n");
	fd = cgroup_oom_open("svc", &events);
	assert_true(fd >= 0);
	assert_int_equal(events, EPOLLPRI);
	assert_int_equal(cgroup_oom_kills("svc", &n), 0);
	assert_int_equal(n, 1);
	put_file(ev, "low 0\nhigh 0\nmax 9\noom 4\noom_kill 3\noom_group_kill 0\n");
	assert_int_equal(cgroup_oom_ack("svc", fd, &n), 0);
	assert_int_equal(n, 3);
	/* each ack reads the file whole again, from its start */
	put_file(ev, "low 0\nhigh 0\nmax 9\noom 5\noom_kill 5\noom_group_kill 0\n");
	assert_int_equal(cgroup_oom_ack("svc", fd, &n), 0);
	assert_int_equal(n, 5);
	close(fd);
	assert_int_equal(cgroup_oom_open("nosuch", &events), -ENOENT);
}

static void test_v1_oom_watch(void **state)
{
	uint64_t n = 0, tick = 1;
	uint32_t events = 0;
	const char *ctl;
	char dir[512], want[32];
	int fd;

	v1_tree();
	snprintf(dir, sizeof(dir), "%s", at("v1/memory/sys/bx/svc"));
	assert_int_equal(start(), 3);
	put_file(at("%s/memory.oom_control", dir), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
	fd = cgroup_oom_open("svc", &events);
	assert_true(fd >= 0);
	assert_int_equal(events, EPOLLIN);
	/* the eventfd is registered with an fd of memory.oom_control */
	snprintf(want, sizeof(want), "%d ", fd);
	ctl = take(at("%s/cgroup.event_control", dir));
	assert_int_equal(strncmp(ctl, want, strlen(want)), 0);
	assert_true(atoi(ctl + strlen(want)) > 2);
	/* the kernel signals; the ack consumes it and reads the count */
	assert_int_equal(write(fd, &tick, sizeof(tick)), sizeof(tick));
	assert_int_equal(cgroup_oom_ack("svc", fd, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(read(fd, &tick, sizeof(tick)), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(cgroup_oom_ack("svc", fd, &n), 0);
	close(fd);
}

static void test_v2_kill_writes_cgroup_kill(void **state)
{
	v2_tree(true);
	assert_int_equal(start(), 3);
	assert_int_equal(cgroup_kill("svc"), 0);
	assert_string_equal(take(at("v2/outer/bx/svc/cgroup.kill")), "1");
}

/* Without cgroup.kill (v1, or v2 before Linux 5.14): every pid listed. */
static void kill_walk(const char *procs)
{
	char pids[64];
	int st;

	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		for (;;)
			pause();
	}
	snprintf(pids, sizeof(pids), "%d\n", (int)child);
	put_file(procs, pids);
	assert_int_equal(cgroup_nprocs("svc"), 1);
	assert_int_equal(cgroup_kill("svc"), 1);
	assert_int_equal(waitpid(child, &st, 0), child);
	child = -1;
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

static void test_v1_kill_walks_the_pids(void **state)
{
	v1_tree();
	assert_int_equal(start(), 3);
	kill_walk(at("v1/cpu,cpuacct/bx/svc/cgroup.procs"));
}

static void test_v2_kill_without_cgroup_kill(void **state)
{
	v2_tree(false);
	assert_int_equal(start(), 3);
	kill_walk(at("v2/outer/bx/svc/cgroup.procs"));
	assert_string_equal(take(at("v2/outer/bx/svc/cgroup.kill")), "");
}

static void test_usage_figures(void **state)
{
	uint64_t cpu = 0, mem = 0;

	v2_tree(true);
	assert_int_equal(start(), 3);
	put_file(at("v2/outer/bx/svc/cpu.stat"), "usage_usec 1500\nuser_usec 1000\n");
	put_file(at("v2/outer/bx/svc/memory.current"), "8192\n");
	assert_int_equal(cgroup_usage("svc", &cpu, &mem), 0);
	assert_int_equal(cpu, 1500);
	assert_int_equal(mem, 8192);
	assert_int_equal(cgroup_usage("nosuch", &cpu, &mem), 0);
	assert_true(cpu == UINT64_MAX && mem == UINT64_MAX);
	cgroup_teardown();
	mi[0] = self[0] = '\0';
	v1_tree();
	assert_int_equal(start(), 3);
	put_file(at("v1/cpu,cpuacct/bx/svc/cpuacct.usage"), "2500000\n");
	put_file(at("v1/memory/sys/bx/svc/memory.usage_in_bytes"), "12288\n");
	assert_int_equal(cgroup_usage("svc", &cpu, &mem), 0);
	assert_int_equal(cpu, 2500);
	assert_int_equal(mem, 12288);
}

/* ---- devices, removal ------------------------------------------------------ */

/* the fixed rules, as written to devices.allow (one write each) and as
 * devices.list shows them then (devices.rst) */
#define ALLOWED "c 1:3 rwm" "c 1:5 rwm" "c 1:7 rwm" "c 1:8 rwm" "c 1:9 rwm" \
	"c 5:0 rwm" "c 5:2 rwm" "c 136:* rwm" "c 137:* rwm" "c 138:* rwm" \
	"c 139:* rwm" "c 140:* rwm" "c 141:* rwm" "c 142:* rwm" "c 143:* rwm"
#define LIST "c 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\nc 1:8 rwm\nc 1:9 rwm\nc 5:0 rwm\n" \
	"c 5:2 rwm\nc 136:* rwm\nc 137:* rwm\nc 138:* rwm\nc 139:* rwm\n" \
	"c 140:* rwm\nc 141:* rwm\nc 142:* rwm\nc 143:* rwm\n"

static void test_v1_device_policy(void **state)
{
	struct svc_conf c = UNLIMITED("svc");
	int allow;

	v1_tree();
	assert_int_equal(start(), 3);
	allow = fifo(at("v1/devices/bx/svc/devices.allow"));
	assert_int_equal(cgroup_service_devices(&c), 0);
	assert_string_equal(take(at("v1/devices/bx/svc/devices.deny")), "a");
	assert_string_equal(drain(allow), ALLOWED);
	/* the next start, the kernel's list as that left it: nothing written */
	put_file(at("v1/devices/bx/svc/devices.list"), LIST);
	allow = fifo(at("v1/devices/bx/svc/devices.allow"));
	assert_int_equal(cgroup_service_devices(&c), 0);
	assert_string_equal(take(at("v1/devices/bx/svc/devices.deny")), "");
	assert_string_equal(drain(allow), "");
	/* a list that says anything else (one rule short, one more, a
	 * service's own change): written again, whole */
	for (int k = 0; k < 3; k++) {
		const char *other[] = { "c 1:3 rwm\n", LIST "c 8:0 rwm\n", "a *:* rwm\n" };

		put_file(at("v1/devices/bx/svc/devices.list"), other[k]);
		allow = fifo(at("v1/devices/bx/svc/devices.allow"));
		assert_int_equal(cgroup_service_devices(&c), 0);
		assert_string_equal(take(at("v1/devices/bx/svc/devices.deny")), "a");
		assert_string_equal(drain(allow), ALLOWED);
	}
	/* a kernel without the files: one warning, the start goes on */
	unlink(at("v1/devices/bx/svc/devices.deny"));
	assert_int_equal(cgroup_service_devices(&c), 0);
	assert_int_equal(cgroup_service_devices(&c), 0);
	assert_int_equal(count(logs(), "service.svc: no device policy (devices.deny in "), 1);
}

static void test_removal(void **state)
{
	struct svc_conf c = UNLIMITED("gone");
	char want[600];

	v1_tree();
	assert_int_equal(start(), 3);
	/* made by boxinit (empty here: the fake kernel makes no files) */
	assert_int_equal(cgroup_service_create(&c), 0);
	assert_int_equal(access(at("v1/pids/bx/gone"), F_OK), 0);
	assert_int_equal(cgroup_service_remove("gone", 0), 0);
	assert_int_equal(access(at("v1/cpu,cpuacct/bx/gone"), F_OK), -1);
	assert_int_equal(access(at("v1/memory/sys/bx/gone"), F_OK), -1);
	assert_int_equal(access(at("v1/pids/bx/gone"), F_OK), -1);
	assert_int_equal(access(at("v1/devices/bx/gone"), F_OK), -1);
	/* already gone is no error */
	assert_int_equal(cgroup_service_remove("gone", 0), 0);
	/* one that cannot go: the first error, the others removed anyway */
	assert_int_equal(cgroup_service_create(&c), 0);
	put_file(at("v1/memory/sys/bx/gone/stray"), "");
	assert_int_equal(cgroup_service_remove("gone", 10), -ENOTEMPTY);
	snprintf(want, sizeof(want), "cgroup: rmdir %s: %s", at("v1/memory/sys/bx/gone"),
		 strerror(ENOTEMPTY));
	assert_int_equal(count(logs(), want), 1);
	assert_int_equal(access(at("v1/pids/bx/gone"), F_OK), -1);
	assert_int_equal(access(at("v1/devices/bx/gone"), F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_v2_setup_delegates_and_teardown_gives_back),
		T(test_v2_root_delegates_without_a_leaf),
		T(test_v1_tree_and_the_empty_cgroup2),
		T(test_hybrid_uses_each_controller_where_the_kernel_has_it),
		T(test_discovery_below_a_mount_root),
		T(test_no_cgroups_at_all),
		T(test_v2_writes_each_limit),
		T(test_v1_writes_each_limit),
		T(test_v1_swap_needs_memory),
		T(test_missing_knob_warned_once),
		T(test_v1_missing_memsw_warned_once),
		T(test_missing_controller_warned_once),
		T(test_v2_oom_watch),
		T(test_v1_oom_watch),
		T(test_v2_kill_writes_cgroup_kill),
		T(test_v1_kill_walks_the_pids),
		T(test_v2_kill_without_cgroup_kill),
		T(test_usage_figures),
		T(test_v1_device_policy),
		T(test_removal),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
