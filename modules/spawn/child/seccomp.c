/* SPDX-License-Identifier: MIT */
/*
 * seccomp: the default filter, see seccomp.h. The program is the
 * concatenation of the fragments below, each fixed at compile time and
 * self-contained (its jumps stay inside it; a fragment that loads an
 * argument ends in a return), so that a group a service's capabilities
 * allow is simply left out. Follows seccomp(2) and
 * Documentation/userspace-api/seccomp_filter.rst: struct seccomp_data,
 * SECCOMP_RET_* actions; numbers from <sys/syscall.h>.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "seccomp.h"
#include "util.h"

#if defined(__x86_64__) && !defined(__ILP32__)
#define SC_ARCH AUDIT_ARCH_X86_64
#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif
#elif defined(__aarch64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SC_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef SC_ARCH

#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS 0x80000000u   /* 4.14; older: kill thread */
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080                /* unshare only: CSIGNAL in clone */
#endif

/* capability numbers (linux/capability.h; perfmon and bpf since 5.8) */
#define CAP(n) (1ull << (n))
#define C_DAC_READ_SEARCH CAP(2)
#define C_SYS_MODULE    CAP(16)
#define C_SYS_RAWIO     CAP(17)
#define C_SYS_PACCT     CAP(20)
#define C_SYS_ADMIN     CAP(21)
#define C_SYS_BOOT      CAP(22)
#define C_SYS_TIME      CAP(25)
#define C_SYSLOG        CAP(34)
#define C_PERFMON       CAP(38)
#define C_BPF           CAP(39)

#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
		  CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP)

/* the low 32 bits of argument 0 (flags), on a little-endian machine */
#define ARG0_LO offsetof(struct seccomp_data, args[0])

#define LOAD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(v)    BPF_STMT(BPF_RET | BPF_K, (v))
#define ERRNO(e)  RET(SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))
#define ALLOW     RET(SECCOMP_RET_ALLOW)
/* two instructions: this system call (in A) fails with EPERM */
#define DENY(name) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_##name, 0, 1), ERRNO(EPERM)

/* the architecture, then A = the system call number */
static const struct sock_filter head[] = {
	LOAD(offsetof(struct seccomp_data, arch)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SC_ARCH, 1, 0),
	RET(SECCOMP_RET_KILL_PROCESS),
	LOAD(offsetof(struct seccomp_data, nr)),
#ifdef __x86_64__
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, __X32_SYSCALL_BIT, 0, 1),
	ERRNO(EPERM),
#endif
};

static const struct sock_filter always[] = {
	DENY(keyctl), DENY(add_key), DENY(request_key), DENY(userfaultfd),
#ifdef __NR_io_uring_setup
	DENY(io_uring_setup), DENY(io_uring_enter), DENY(io_uring_register),
#endif
#ifdef __NR_uselib
	DENY(uselib),
#endif
#ifdef __NR_nfsservctl
	DENY(nfsservctl),
#endif
#ifdef __NR__sysctl
	DENY(_sysctl),
#endif
#ifdef __NR_lookup_dcookie
	DENY(lookup_dcookie),
#endif
};

/* socket(2) of two families, whatever the capabilities (as Docker's
 * profile): AF_ALG, the kernel's crypto API, a large attack surface
 * (CVE-2026-31431 wrote into the page cache of read-only files), and
 * AF_VSOCK, which no network namespace confines: it reaches the
 * hypervisor's host and the machine's own vsock listeners. The family is
 * an int: its low 32 bits are what the kernel reads. */
#define SC_AF_ALG   38
#define SC_AF_VSOCK 40
static const struct sock_filter sockets[] = {
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 5),
	LOAD(ARG0_LO),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SC_AF_ALG, 2, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SC_AF_VSOCK, 1, 0),
	ALLOW,
	ERRNO(EPERM),
};

static const struct sock_filter mounts[] = {
	DENY(mount), DENY(umount2), DENY(pivot_root), DENY(setns),
	DENY(swapon), DENY(swapoff), DENY(quotactl),
#ifdef __NR_umount
	DENY(umount),
#endif
#ifdef __NR_quotactl_fd
	DENY(quotactl_fd),
#endif
#ifdef __NR_open_tree
	DENY(open_tree), DENY(move_mount), DENY(fsopen), DENY(fsconfig),
	DENY(fsmount), DENY(fspick),
#endif
#ifdef __NR_mount_setattr
	DENY(mount_setattr),
#endif
};

/* no new namespace, above all no user namespace: clone3's flags are in
 * memory the filter cannot read, so clone3 says ENOSYS (libcs use clone) */
static const struct sock_filter namespaces[] = {
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 4),
	LOAD(ARG0_LO),
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, NS_FLAGS, 0, 1),
	ERRNO(EPERM),
	ALLOW,
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_unshare, 0, 4),
	LOAD(ARG0_LO),
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, NS_FLAGS | CLONE_NEWTIME, 0, 1),
	ERRNO(EPERM),
	ALLOW,
#ifdef __NR_clone3
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1),
	ERRNO(ENOSYS),
#endif
};

static const struct sock_filter bpf_group[] = { DENY(bpf) };
static const struct sock_filter perf_group[] = { DENY(perf_event_open) };
static const struct sock_filter boot_group[] = {
	DENY(kexec_load), DENY(reboot),
#ifdef __NR_kexec_file_load
	DENY(kexec_file_load),
#endif
};
static const struct sock_filter module_group[] = {
	DENY(init_module), DENY(finit_module), DENY(delete_module),
};
static const struct sock_filter rawio_group[] = {
#ifdef __NR_iopl
	DENY(iopl), DENY(ioperm),
#endif
};
static const struct sock_filter pacct_group[] = { DENY(acct) };
static const struct sock_filter time_group[] = {
	DENY(settimeofday), DENY(clock_settime), DENY(clock_adjtime),
#ifdef __NR_stime
	DENY(stime),
#endif
};
static const struct sock_filter syslog_group[] = { DENY(syslog) };
static const struct sock_filter handle_group[] = {
	DENY(open_by_handle_at), DENY(name_to_handle_at),
};

/* last: personality(2) only with the usual personas, then allow */
static const struct sock_filter tail[] = {
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_personality, 0, 5),
	LOAD(ARG0_LO),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffff, 1, 0), /* the query */
	/* PER_LINUX (0), PER_LINUX32 (0x8), UNAME26 (0x20000), both */
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, ~0x20008u, 1, 0),
	ALLOW,
	ERRNO(EPERM),
	ALLOW,
};

#define FRAG(a, unless) { a, ARRAY_SIZE(a), unless }

/* in order; a fragment is left out when the caps hold one of @unless */
static const struct fragment {
	const struct sock_filter *code;
	size_t len;
	uint64_t unless;
} fragments[] = {
	FRAG(head, 0), FRAG(always, 0), FRAG(sockets, 0),
	FRAG(mounts, C_SYS_ADMIN), FRAG(namespaces, C_SYS_ADMIN),
	FRAG(bpf_group, C_SYS_ADMIN | C_BPF),
	FRAG(perf_group, C_SYS_ADMIN | C_PERFMON),
	FRAG(boot_group, C_SYS_BOOT), FRAG(module_group, C_SYS_MODULE),
	FRAG(rawio_group, C_SYS_RAWIO), FRAG(pacct_group, C_SYS_PACCT),
	FRAG(time_group, C_SYS_TIME), FRAG(syslog_group, C_SYSLOG),
	FRAG(handle_group, C_DAC_READ_SEARCH),
	FRAG(tail, 0),
};

size_t seccomp_build(uint64_t caps, struct sock_filter *buf)
{
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(fragments); i++) {
		const struct fragment *f = &fragments[i];

		if (f->unless & caps)
			continue;
		if (n + f->len > SECCOMP_MAX_INSNS)
			return 0;       /* cannot happen: the tables are fixed */
		memcpy(buf + n, f->code, f->len * sizeof(*buf));
		n += f->len;
	}
	return n;
}

#else /* !SC_ARCH */

size_t seccomp_build(uint64_t caps, struct sock_filter *buf)
{
	return 0;
}

#endif

int seccomp_install(uint64_t caps)
{
	struct sock_filter buf[SECCOMP_MAX_INSNS];
	struct sock_fprog prog = { .filter = buf };

	prog.len = (unsigned short)seccomp_build(caps, buf);
	if (!prog.len)
		return -ENOSYS;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return -errno;
	return 0;
}
