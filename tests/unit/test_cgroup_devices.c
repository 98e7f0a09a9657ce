/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for modules/cgroup/cgroup_devices.c: the allowlist of a service
 * (its /dev, bound device nodes, ":ro"), the eBPF program run by a small
 * interpreter of the instructions it uses, and, as root where the kernel
 * has cgroup v2 and CONFIG_CGROUP_BPF, the program loaded and attached
 * to a cgroup made for the test: a child in it can open /dev/null but
 * not /dev/kmsg, and cannot mknod /dev/mem's device.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup_devices.h"

enum { RD = BPF_DEVCG_ACC_READ, WR = BPF_DEVCG_ACC_WRITE, MK = BPF_DEVCG_ACC_MKNOD };
enum { CHR = BPF_DEVCG_DEV_CHAR, BLK = BPF_DEVCG_DEV_BLOCK };

/* Run @p (@n instructions) on one request, as the kernel would. Only the
 * opcodes cgdev_program emits are known; anything else fails the test. */
static int run(const struct bpf_insn *p, size_t n, uint32_t type, uint32_t acc,
	       uint32_t maj, uint32_t min)
{
	struct bpf_cgroup_dev_ctx ctx = { acc << 16 | type, maj, min };
	uint64_t r[11] = { 0 };

	for (size_t pc = 0; pc < n; pc++) {
		const struct bpf_insn *i = &p[pc];
		uint64_t k = (uint64_t)(int64_t)i->imm, *d = &r[i->dst_reg];
		bool jump = false;

		switch (i->code) {
		case BPF_LDX | BPF_MEM | BPF_W:
			assert_int_equal(i->src_reg, 1);
			assert_true(i->off >= 0 && i->off + 4 <= (int)sizeof(ctx));
			*d = *(uint32_t *)((char *)&ctx + i->off);
			break;
		case BPF_ALU64 | BPF_MOV | BPF_X: *d = r[i->src_reg]; break;
		case BPF_ALU64 | BPF_MOV | BPF_K: *d = k; break;
		case BPF_ALU64 | BPF_AND | BPF_K: *d &= k; break;
		case BPF_ALU64 | BPF_RSH | BPF_K: *d >>= k; break;
		case BPF_JMP | BPF_JNE | BPF_K: jump = *d != k; break;
		case BPF_JMP | BPF_JLT | BPF_K: jump = *d < k; break;
		case BPF_JMP | BPF_JGT | BPF_K: jump = *d > k; break;
		case BPF_JMP | BPF_JSET | BPF_K: jump = (*d & k) != 0; break;
		case BPF_JMP | BPF_EXIT: return (int)r[0];
		default: fail_msg("opcode 0x%x at %zu", i->code, pc);
		}
		if (jump) {
			assert_true(i->off > 0);        /* forward only: no loop */
			pc += (size_t)i->off;
		}
	}
	fail_msg("ran off the end");
	return -1;
}

static struct conf_bind binds[4];
static struct svc_conf conf = { .name = "t", .binds = binds };

static void test_rules_fixed_and_bound_devices(void **state)
{
	struct cgdev_rule *r = NULL;
	struct stat st;
	int n;

	binds[0] = (struct conf_bind){ (char *)"/dev/full", (char *)"/dev/other", false };
	binds[1] = (struct conf_bind){ (char *)"/dev/zero", (char *)"/z", true };
	binds[2] = (struct conf_bind){ (char *)"/etc", (char *)"/etc", true };   /* a dir */
	binds[3] = (struct conf_bind){ (char *)"/nonexistent-x", (char *)"/x", false };
	conf.nbinds = 4;
	n = cgdev_rules(&conf, &r);
	assert_int_equal(n, CGDEV_FIXED + 2);
	assert_int_equal(stat("/dev/full", &st), 0);
	assert_int_equal(r[CGDEV_FIXED].type, CHR);
	assert_int_equal(r[CGDEV_FIXED].major_lo, major(st.st_rdev));
	assert_int_equal(r[CGDEV_FIXED].minor, minor(st.st_rdev));
	assert_int_equal(r[CGDEV_FIXED].access, RD | WR);          /* no mknod */
	assert_string_equal(r[CGDEV_FIXED].src, "/dev/full");
	assert_int_equal(r[CGDEV_FIXED + 1].access, RD);           /* ":ro" */
	assert_null(r[0].src);
	free(r);
	conf.nbinds = 0;
}

static void test_program_allows_exactly_the_list(void **state)
{
	struct cgdev_rule *r = NULL, *r2;
	struct bpf_insn p[CGDEV_MAX_INSNS(CGDEV_FIXED + 2)];
	size_t n;
	int nr = cgdev_rules(&conf, &r);

	assert_int_equal(nr, CGDEV_FIXED);
	r2 = realloc(r, (CGDEV_FIXED + 2) * sizeof(*r));
	assert_non_null(r2);
	r = r2;
	r[CGDEV_FIXED] = (struct cgdev_rule){ BLK, 8, 8, 16, RD, "/dev/sdb" };
	r[CGDEV_FIXED + 1] = (struct cgdev_rule){ CHR, 10, 10, 200, RD | WR, "/dev/net/tun" };
	n = cgdev_program(r, CGDEV_FIXED + 2, p);
	assert_true(n <= CGDEV_MAX_INSNS(CGDEV_FIXED + 2));
	/* the container's /dev, mknod included */
	for (uint32_t mi = 3; mi <= 9; mi += 2)
		assert_int_equal(run(p, n, CHR, RD | WR, 1, mi), 1);
	assert_int_equal(run(p, n, CHR, MK, 1, 3), 1);
	assert_int_equal(run(p, n, CHR, RD, 1, 8), 1);
	assert_int_equal(run(p, n, CHR, RD | WR, 5, 0), 1);
	assert_int_equal(run(p, n, CHR, RD | WR, 5, 2), 1);
	assert_int_equal(run(p, n, CHR, RD | WR, 136, 0), 1);
	assert_int_equal(run(p, n, CHR, RD | WR, 143, 77777), 1);
	/* what it does not hold: /dev/mem, kmsg, console, a disk, 144 */
	assert_int_equal(run(p, n, CHR, RD, 1, 1), 0);
	assert_int_equal(run(p, n, CHR, MK, 1, 1), 0);
	assert_int_equal(run(p, n, CHR, RD, 1, 11), 0);
	assert_int_equal(run(p, n, CHR, RD | WR, 5, 1), 0);
	assert_int_equal(run(p, n, CHR, RD, 144, 0), 0);
	assert_int_equal(run(p, n, CHR, RD, 135, 0), 0);
	assert_int_equal(run(p, n, BLK, RD, 8, 0), 0);
	assert_int_equal(run(p, n, BLK, RD, 1, 3), 0);       /* type matters */
	/* bound: read-only sdb, read-write tun, neither mknod */
	assert_int_equal(run(p, n, BLK, RD, 8, 16), 1);
	assert_int_equal(run(p, n, BLK, RD | WR, 8, 16), 0);
	assert_int_equal(run(p, n, BLK, MK, 8, 16), 0);
	assert_int_equal(run(p, n, CHR, RD | WR, 10, 200), 1);
	assert_int_equal(run(p, n, CHR, MK, 10, 200), 0);
	free(r);
}

static void test_empty_program_denies(void **state)
{
	struct bpf_insn p[CGDEV_MAX_INSNS(0)];
	size_t n = cgdev_program(NULL, 0, p);

	assert_int_equal(n, 8);
	assert_int_equal(run(p, n, CHR, RD, 1, 3), 0);
}

/* ---- the kernel: load, attach, enforce ----------------------------------- */

static char cg[600], cg2[620];  /* the test's cgroups, removed in teardown */

/* Our cgroup v2 directory from mountinfo and /proc/self/cgroup. */
static int v2_dir(char *out, size_t len)
{
	char line[1024], mnt[256] = "", self[256] = "";
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char root[256], m[256];
		const char *sep = strstr(line, " - ");

		if (sep && !strncmp(sep + 3, "cgroup2 ", 8) &&
		    sscanf(line, "%*s %*s %*s %255s %255s", root, m) == 2 && !strcmp(root, "/"))
			snprintf(mnt, sizeof(mnt), "%s", m);
	}
	fclose(f);
	f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3))
			sscanf(line + 3, "%255s", self);
	fclose(f);
	if (!*mnt || !*self)
		return -1;
	snprintf(out, len, "%s%s/boxinit-unit-%d", mnt, strcmp(self, "/") ? self : "",
		 (int)getpid());
	return 0;
}

/* In the child, in the cgroup: one bit per result, so the parent checks. */
static int child(void)
{
	char node[64];
	int bits = 0, fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		bits |= 1, close(fd);
	/* kmsg (1:11): on every machine, and harmless to open */
	fd = open("/dev/kmsg", O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == EPERM)
		bits |= 2;
	else if (fd >= 0)
		close(fd);
	snprintf(node, sizeof(node), "/tmp/boxinit-unit-mem-%d", (int)getpid());
	if (mknod(node, S_IFCHR | 0600, makedev(1, 1)) < 0 && errno == EPERM)
		bits |= 4;
	else
		unlink(node);
	return bits;
}

/* The test's v2 cgroup made (skip() where it cannot be), the default
 * rules into *@r, their program attached to it (skip() without
 * CONFIG_CGROUP_BPF or the right to use it). Returns the rule count. */
static int attached_or_skip(struct cgdev_rule **r)
{
	int n, e;

	if (geteuid() != 0 || v2_dir(cg, sizeof(cg)) < 0 || mkdir(cg, 0755) < 0) {
		cg[0] = '\0';
		skip();
	}
	n = cgdev_rules(&conf, r);
	assert_int_equal(n, CGDEV_FIXED);
	e = cgdev_bpf_attach(cg, *r, (size_t)n);
	if (e == -ENOSYS || e == -EPERM || e == -EINVAL) {
		free(*r);
		*r = NULL;
		skip();         /* no CONFIG_CGROUP_BPF, or not allowed here */
	}
	assert_int_equal(e, 0);
	return n;
}

static void test_kernel_enforces_the_program(void **state)
{
	struct cgdev_rule *r = NULL;
	char procs[640];
	int n, e, ws, fd;
	pid_t pid;

	n = attached_or_skip(&r);
	e = cgdev_bpf_attach(cg, r, (size_t)n);     /* a restart replaces it */
	free(r);
	assert_int_equal(e, 0);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(procs, O_WRONLY);
		if (fd < 0 || write(fd, "0", 1) != 1)
			_exit(100);
		_exit(child());
	}
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	if (WEXITSTATUS(ws) == 100)
		skip();         /* cannot join a cgroup here */
	assert_int_equal(WEXITSTATUS(ws), 1 | 2 | 4);
}


/* The id of the device program attached to cgroup @dir, or 0. */
static uint32_t attached_id(const char *dir)
{
	uint32_t ids[4] = { 0 };
	union bpf_attr a;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.query.target_fd = (uint32_t)fd;
	a.query.attach_type = BPF_CGROUP_DEVICE;
	a.query.prog_ids = (uint64_t)(uintptr_t)ids;
	a.query.prog_cnt = 4;
	assert_int_equal(syscall(SYS_bpf, BPF_PROG_QUERY, &a, sizeof(a)), 0);
	close(fd);
	assert_int_equal(a.query.prog_cnt, 1);
	return ids[0];
}

/* One program per policy: a second cgroup with the same rules and a
 * restart attach the program loaded first; other rules, another one. */
static void test_program_loaded_once_per_policy(void **state)
{
	struct cgdev_rule *r = NULL;
	uint32_t first;
	int n = attached_or_skip(&r);

	snprintf(cg2, sizeof(cg2), "%s-b", cg);
	assert_int_equal(mkdir(cg2, 0755), 0);
	first = attached_id(cg);
	assert_int_equal(cgdev_bpf_attach(cg2, r, (size_t)n), 0);
	assert_int_equal(attached_id(cg2), first);
	assert_int_equal(cgdev_bpf_attach(cg, r, (size_t)n), 0);   /* a restart */
	assert_int_equal(attached_id(cg), first);
	assert_int_equal(cgdev_bpf_attach(cg2, r, (size_t)n - 1), 0);  /* no pty slaves */
	assert_int_not_equal(attached_id(cg2), first);
	assert_int_equal(attached_id(cg), first);
	free(r);
}

static int teardown(void **state)
{
	if (cg[0] && rmdir(cg) < 0 && errno != ENOENT)
		fprintf(stderr, "rmdir %s: %s\n", cg, strerror(errno));
	if (cg2[0] && rmdir(cg2) < 0 && errno != ENOENT)
		fprintf(stderr, "rmdir %s: %s\n", cg2, strerror(errno));
	cg[0] = cg2[0] = '\0';
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_fixed_and_bound_devices),
		cmocka_unit_test(test_program_allows_exactly_the_list),
		cmocka_unit_test(test_empty_program_denies),
		cmocka_unit_test_teardown(test_kernel_enforces_the_program, teardown),
		cmocka_unit_test_teardown(test_program_loaded_once_per_policy, teardown),
	};

	return cmocka_run_group_tests_name("cgroup_devices", tests, NULL, NULL);
}
