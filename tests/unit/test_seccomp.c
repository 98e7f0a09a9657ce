/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for modules/spawn/child/seccomp.c: the default filter installed in a
 * forked child, which makes the system call and exits with its errno (0 on
 * success), on the host's architecture. Calls whose arguments the kernel
 * refuses anyway (EINVAL) show that the filter let them through without
 * doing anything.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include "seccomp.h"

#define SYS_ADMIN  (1ull << 21)
#define SYS_TIME   (1ull << 25)
#define DFLT_CAPS  ((1ull << 29) | (1ull << 5) | (1ull << 10))
#define ALL_CAPS   ((1ull << 41) - 1)
#define NO_FILTER  (~0ull)       /* run the call without a filter */

enum call { GETPID, KEYCTL, BPF, UNSHARE_USER, UNSHARE_FILES, CLONE_USER,
	    CLONE3, FORK, UMOUNT_BADFLAGS, PERSONA_QUERY, PERSONA_ODD,
	    PERSONA_32, SETTIME, X32, I386, SOCK_ALG, SOCK_VSOCK, SOCK_UNIX,
	    SOCK_BADFAMILY };

static long call(enum call c)
{
	struct timespec ts = { 0, 0 };
	pid_t pid;

	switch (c) {
	case GETPID: return syscall(SYS_getpid);
	case KEYCTL: return syscall(SYS_keyctl, 9999, 0, 0, 0, 0);
	case BPF: return syscall(SYS_bpf, 9999, NULL, 0);
	/* CLONE_IO is invalid for unshare: EINVAL unless filtered */
	case UNSHARE_USER: return syscall(SYS_unshare, CLONE_NEWUSER | CLONE_IO);
	case UNSHARE_FILES: return syscall(SYS_unshare, CLONE_FILES);
	/* CLONE_NEWUSER | CLONE_FS is refused by clone: EINVAL unless filtered */
	case CLONE_USER:
		return syscall(SYS_clone, CLONE_NEWUSER | CLONE_FS | SIGCHLD, 0, 0, 0, 0);
#ifdef SYS_clone3
	case CLONE3: return syscall(SYS_clone3, NULL, 0);
#endif
	case FORK:
		pid = fork();
		if (pid == 0)
			_exit(0);
		return pid < 0 ? -1 : waitpid(pid, NULL, 0);
	case UMOUNT_BADFLAGS: return syscall(SYS_umount2, "/", 0x80000000);
	case PERSONA_QUERY: return syscall(SYS_personality, 0xffffffff);
	case PERSONA_ODD: return syscall(SYS_personality, 0x0040000); /* ADDR_NO_RANDOMIZE */
	case PERSONA_32: return syscall(SYS_personality, 0x0008);     /* PER_LINUX32 */
	/* clock_settime of a clock that cannot be set: EINVAL unless filtered */
	case SETTIME: return syscall(SYS_clock_settime, CLOCK_MONOTONIC, &ts);
	/* type -1 is refused by every family: EINVAL (or EAFNOSUPPORT where
	 * the kernel lacks the family) unless filtered */
	case SOCK_ALG: return syscall(SYS_socket, 38, -1, 0);      /* AF_ALG */
	case SOCK_VSOCK: return syscall(SYS_socket, 40, -1, 0);    /* AF_VSOCK */
	case SOCK_UNIX: return syscall(SYS_socket, 1, -1, 0);      /* AF_UNIX */
	/* the family is an int: high bits of the register do not hide it */
	case SOCK_BADFAMILY: return syscall(SYS_socket, 0x100000000l | 40, -1, 0);
#ifdef __x86_64__
	case X32: return syscall(0x40000000 | 39);       /* x32 getpid */
	case I386: {
		long r = 20;    /* i386 getpid through int 0x80 */

		__asm__ volatile ("int $0x80" : "+a"(r) : : "memory");
		return r;
	}
#endif
	default: errno = ENOSYS; return -1;
	}
}

/* fork; in the child, filter for @caps (unless NO_FILTER) and make @c;
 * returns its errno (0: success), or 1000 + signal when it was killed */
static int run(uint64_t caps, enum call c)
{
	int ws;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		/* cmocka's handlers would carry on with the tests in here */
		for (int s = 1; s < 32; s++)
			signal(s, SIG_DFL);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(200);
		if (caps != NO_FILTER && seccomp_install(caps) < 0)
			_exit(201);
		_exit(call(c) < 0 ? errno : 0);
	}
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	if (WIFSIGNALED(ws))
		return 1000 + WTERMSIG(ws);
	return WEXITSTATUS(ws);
}

static void test_build_sizes(void **state)
{
	struct sock_filter buf[SECCOMP_MAX_INSNS];
	size_t strict = seccomp_build(DFLT_CAPS, buf);
	size_t admin = seccomp_build(SYS_ADMIN, buf);
	size_t all = seccomp_build(ALL_CAPS, buf);

	assert_true(strict > 0 && strict <= SECCOMP_MAX_INSNS);
	assert_true(admin > 0 && admin < strict);
	assert_true(all > 0 && all < admin);
}

static void test_allowed(void **state)
{
	assert_int_equal(run(DFLT_CAPS, GETPID), 0);
	assert_int_equal(run(DFLT_CAPS, FORK), 0);
	assert_int_equal(run(DFLT_CAPS, UNSHARE_FILES), 0);
	assert_int_equal(run(DFLT_CAPS, PERSONA_QUERY), 0);
	assert_int_equal(run(DFLT_CAPS, PERSONA_32), 0);
}

static void test_always_denied(void **state)
{
	assert_int_equal(run(NO_FILTER, KEYCTL) == EPERM, 0);
	assert_int_equal(run(ALL_CAPS, KEYCTL), EPERM);
	assert_int_equal(run(DFLT_CAPS, KEYCTL), EPERM);
	assert_int_equal(run(DFLT_CAPS, PERSONA_ODD), EPERM);
	assert_int_equal(run(NO_FILTER, PERSONA_ODD), 0);
}

static void test_capability_groups(void **state)
{
	assert_int_equal(run(DFLT_CAPS, BPF), EPERM);
	assert_int_equal(run(NO_FILTER, SETTIME), EINVAL);
	assert_int_equal(run(DFLT_CAPS, SETTIME), EPERM);
	assert_int_equal(run(SYS_TIME, SETTIME), EINVAL);
	assert_int_equal(run(NO_FILTER, UMOUNT_BADFLAGS), EINVAL);
	assert_int_equal(run(DFLT_CAPS, UMOUNT_BADFLAGS), EPERM);
	assert_int_equal(run(SYS_ADMIN, UMOUNT_BADFLAGS), EINVAL);
}

static void test_no_user_namespace(void **state)
{
	assert_int_equal(run(NO_FILTER, UNSHARE_USER), EINVAL);
	assert_int_equal(run(DFLT_CAPS, UNSHARE_USER), EPERM);
	assert_int_equal(run(0, UNSHARE_USER), EPERM);
	assert_int_equal(run(SYS_ADMIN, UNSHARE_USER), EINVAL);
	assert_int_equal(run(NO_FILTER, CLONE_USER), EINVAL);
	assert_int_equal(run(DFLT_CAPS, CLONE_USER), EPERM);
	assert_int_equal(run(SYS_ADMIN, CLONE_USER), EINVAL);
#ifdef SYS_clone3
	assert_int_equal(run(DFLT_CAPS, CLONE3), ENOSYS);
	assert_int_not_equal(run(SYS_ADMIN, CLONE3), ENOSYS);
#endif
}

/* AF_ALG (the kernel's crypto API: CVE-2026-31431 wrote to the page
 * cache, read-only mounts included) and AF_VSOCK (a path to the
 * hypervisor's host and to vsock listeners of the machine, whatever the
 * network namespace): refused, like Docker's default profile does */
static void test_socket_families(void **state)
{
	int alg = run(NO_FILTER, SOCK_ALG), vsock = run(NO_FILTER, SOCK_VSOCK);

	assert_true(alg == EINVAL || alg == EAFNOSUPPORT);
	assert_true(vsock == EINVAL || vsock == EAFNOSUPPORT);
	assert_int_equal(run(DFLT_CAPS, SOCK_ALG), EPERM);
	assert_int_equal(run(DFLT_CAPS, SOCK_VSOCK), EPERM);
	assert_int_equal(run(ALL_CAPS, SOCK_ALG), EPERM);
	assert_int_equal(run(ALL_CAPS, SOCK_VSOCK), EPERM);
	assert_int_equal(run(DFLT_CAPS, SOCK_BADFAMILY), EPERM);
	assert_int_equal(run(DFLT_CAPS, SOCK_UNIX), EINVAL);
}

static void test_other_abis(void **state)
{
#ifdef __x86_64__
	int ws;

	/* x32: EPERM, whether or not the kernel has x32 (else ENOSYS) */
	assert_int_equal(run(DFLT_CAPS, X32), EPERM);
	/* i386 (another audit arch): the process is killed */
	/* i386 (another audit arch): the process is killed; a kernel without
	 * IA32 emulation (or booted with ia32_emulation=0) faults first */
	ws = run(NO_FILTER, I386);
	if (ws == 0)
		assert_int_equal(run(DFLT_CAPS, I386), 1000 + SIGSYS);
	else
		assert_int_equal(ws, 1000 + SIGSEGV);
#else
	skip();
#endif
}

/* ---- the program itself, run by an interpreter, against the policy ---- */

#ifdef __x86_64__
/* The policy as seccomp.h states it, independently of seccomp.c's tables:
 * number, the capabilities that lift it, what the call gets. */
enum { EP, NOSYS, SOCK, CLON, UNSH, PERS };
#define ADMIN (1ull << 21)
static const struct { long nr; uint64_t unless; int kind; } policy[] = {
	{ SYS_keyctl, 0, EP }, { SYS_add_key, 0, EP }, { SYS_request_key, 0, EP },
	{ SYS_userfaultfd, 0, EP }, { SYS_io_uring_setup, 0, EP },
	{ SYS_io_uring_enter, 0, EP }, { SYS_io_uring_register, 0, EP },
	{ SYS_uselib, 0, EP }, { SYS_nfsservctl, 0, EP }, { SYS__sysctl, 0, EP },
	{ SYS_lookup_dcookie, 0, EP }, { SYS_socket, 0, SOCK }, { SYS_personality, 0, PERS },
	{ SYS_mount, ADMIN, EP }, { SYS_umount2, ADMIN, EP }, { SYS_pivot_root, ADMIN, EP },
	{ SYS_setns, ADMIN, EP }, { SYS_swapon, ADMIN, EP }, { SYS_swapoff, ADMIN, EP },
	{ SYS_quotactl, ADMIN, EP }, { SYS_quotactl_fd, ADMIN, EP },
	{ SYS_open_tree, ADMIN, EP }, { SYS_move_mount, ADMIN, EP }, { SYS_fsopen, ADMIN, EP },
	{ SYS_fsconfig, ADMIN, EP }, { SYS_fsmount, ADMIN, EP }, { SYS_fspick, ADMIN, EP },
	{ SYS_mount_setattr, ADMIN, EP },
	{ SYS_clone, ADMIN, CLON }, { SYS_unshare, ADMIN, UNSH }, { SYS_clone3, ADMIN, NOSYS },
	{ SYS_bpf, ADMIN | (1ull << 39), EP }, { SYS_perf_event_open, ADMIN | (1ull << 38), EP },
	{ SYS_kexec_load, 1ull << 22, EP }, { SYS_reboot, 1ull << 22, EP },
	{ SYS_kexec_file_load, 1ull << 22, EP },
	{ SYS_init_module, 1ull << 16, EP }, { SYS_finit_module, 1ull << 16, EP },
	{ SYS_delete_module, 1ull << 16, EP },
	{ SYS_iopl, 1ull << 17, EP }, { SYS_ioperm, 1ull << 17, EP },
	{ SYS_acct, 1ull << 20, EP },
	{ SYS_settimeofday, SYS_TIME, EP }, { SYS_clock_settime, SYS_TIME, EP },
	{ SYS_clock_adjtime, SYS_TIME, EP },
	{ SYS_syslog, 1ull << 34, EP },
	{ SYS_open_by_handle_at, 1ull << 2, EP }, { SYS_name_to_handle_at, 1ull << 2, EP },
};

#define NS_ALL (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
		CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP)
#define R_EPERM  (SECCOMP_RET_ERRNO | EPERM)
#define R_ENOSYS (SECCOMP_RET_ERRNO | ENOSYS)

static uint32_t expected(uint64_t caps, const struct seccomp_data *d)
{
	uint32_t a0 = (uint32_t)d->args[0];

	if (d->arch != AUDIT_ARCH_X86_64)
		return SECCOMP_RET_KILL_PROCESS;
	if (d->nr >= 0x40000000)
		return R_EPERM;
	for (size_t i = 0; i < sizeof(policy) / sizeof(policy[0]); i++) {
		if (policy[i].nr != d->nr || (policy[i].unless & caps))
			continue;
		switch (policy[i].kind) {
		case EP: return R_EPERM;
		case NOSYS: return R_ENOSYS;
		case SOCK: return a0 == 38 || a0 == 40 ? R_EPERM : SECCOMP_RET_ALLOW;
		case CLON: return a0 & NS_ALL ? R_EPERM : SECCOMP_RET_ALLOW;
		case UNSH: return a0 & (NS_ALL | 0x80) ? R_EPERM : SECCOMP_RET_ALLOW;
		case PERS: return a0 == 0xffffffff || !(a0 & ~0x20008u) ? SECCOMP_RET_ALLOW : R_EPERM;
		}
	}
	return SECCOMP_RET_ALLOW;
}

/* Classic BPF as seccomp runs it (the subset the filter uses); *@steps
 * counts the instructions run. Fails the test on anything else. */
static uint32_t interpret(const struct sock_filter *f, size_t n, const struct seccomp_data *d,
			  unsigned *steps)
{
	uint32_t a = 0;

	for (size_t pc = 0; ; pc++) {
		const struct sock_filter *i;
		bool t = false;

		assert_true(pc < n);
		i = &f[pc];
		++*steps;
		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			assert_true(i->k + 4 <= sizeof(*d) && i->k % 4 == 0);
			memcpy(&a, (const char *)d + i->k, 4);
			continue;
		case BPF_RET | BPF_K:
			return i->k;
		case BPF_JMP | BPF_JA:
			pc += i->k;
			continue;
		case BPF_JMP | BPF_JEQ | BPF_K: t = a == i->k; break;
		case BPF_JMP | BPF_JGE | BPF_K: t = a >= i->k; break;
		case BPF_JMP | BPF_JSET | BPF_K: t = (a & i->k) != 0; break;
		default:
			fail_msg("instruction %zu: code 0x%x", pc, i->code);
		}
		pc += t ? i->jt : i->jf;
	}
}

/* Every number (and the x32 and foreign-ABI ones) with arguments on both
 * sides of each check, for no capability, the default set, all, and each
 * one alone: the program says what the policy says. And it says it in a
 * few steps: the kernel runs it for every number when it is installed
 * (to cache the ones always allowed), which a list made the dear part of
 * a start. */
static void test_program_is_the_policy(void **state)
{
	static const uint64_t args[] = {
		0, 38, 40, 1, 0x100000026ull, 0x0008, 0x20000, 0x20008, 0x40000, 0xffffffff,
		CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET, CLONE_NEWCGROUP, CLONE_NEWPID,
		CLONE_NEWIPC, CLONE_NEWUTS, 0x80, CLONE_FILES | SIGCHLD,
	};
	struct sock_filter f[SECCOMP_MAX_INSNS];
	unsigned most = 0;

	for (int c = -3; c <= 40; c++) {
		uint64_t caps = c == -3 ? 0 : c == -2 ? DFLT_CAPS : c == -1 ? ALL_CAPS : 1ull << c;
		size_t n = seccomp_build(caps, f);

		assert_true(n > 0 && n <= SECCOMP_MAX_INSNS);
		for (uint32_t nr = 0; nr < 1100; nr++) {
			for (size_t k = 0; k < sizeof(args) / sizeof(args[0]); k++) {
				struct seccomp_data d = { .nr = (int)nr, .arch = AUDIT_ARCH_X86_64 };
				unsigned steps = 0;

				d.args[0] = args[k];
				if (nr >= 1000)
					d.nr = (int)(0x40000000u + nr - 1000);      /* x32 */
				assert_int_equal(interpret(f, n, &d, &steps), expected(caps, &d));
				if (steps > most)
					most = steps;
				d.arch = AUDIT_ARCH_I386;
				steps = 0;
				assert_int_equal(interpret(f, n, &d, &steps), SECCOMP_RET_KILL_PROCESS);
			}
		}
	}
	assert_true(most <= 24);
}
#else
static void test_program_is_the_policy(void **state)
{
	skip();         /* the policy table above is x86_64's */
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_sizes),
		cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_always_denied),
		cmocka_unit_test(test_capability_groups),
		cmocka_unit_test(test_no_user_namespace),
		cmocka_unit_test(test_socket_families),
		cmocka_unit_test(test_other_abis),
		cmocka_unit_test(test_program_is_the_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
