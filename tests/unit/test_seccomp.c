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
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
