/* SPDX-License-Identifier: MIT */
/*
 * seccomp: the default filter, see seccomp.h. The system calls the
 * filter handles are listed in groups below (a group a service's
 * capabilities allow is left out); the program checks the architecture,
 * then searches the listed numbers as a binary tree (a few instructions
 * for any number, where a list took a hundred: the kernel walks the
 * filter for every system call number when it installs it, to cache
 * those it always allows, and that walk was most of a start's cost of
 * the filter). Follows seccomp(2) and
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

/* socket(2) families refused whatever the capabilities */
#define SC_AF_ALG   38
#define SC_AF_VSOCK 40
/* What a listed system call gets: EPERM or ENOSYS, or a check of its
 * first argument (the code of each is in action()). */
enum sc_kind { K_EPERM, K_ENOSYS, K_SOCKET, K_CLONE, K_UNSHARE, K_PERSONALITY };

struct sc_rule {
	uint32_t nr;
	uint8_t kind;
};

#define R(name, kind) { __NR_##name, kind }
#define D(name) R(name, K_EPERM)

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

static const struct sc_rule always[] = {
	D(keyctl), D(add_key), D(request_key), D(userfaultfd),
#ifdef __NR_io_uring_setup
	D(io_uring_setup), D(io_uring_enter), D(io_uring_register),
#endif
#ifdef __NR_uselib
	D(uselib),
#endif
#ifdef __NR_nfsservctl
	D(nfsservctl),
#endif
#ifdef __NR__sysctl
	D(_sysctl),
#endif
#ifdef __NR_lookup_dcookie
	D(lookup_dcookie),
#endif
	/* socket(2) of two families, whatever the capabilities (as Docker's
	 * default profile): AF_ALG, AF_VSOCK */
	R(socket, K_SOCKET),
	/* personality(2) only with the usual personas */
	R(personality, K_PERSONALITY),
};

static const struct sc_rule mounts[] = {
	D(mount), D(umount2), D(pivot_root), D(setns),
	D(swapon), D(swapoff), D(quotactl),
#ifdef __NR_umount
	D(umount),
#endif
#ifdef __NR_quotactl_fd
	D(quotactl_fd),
#endif
#ifdef __NR_open_tree
	D(open_tree), D(move_mount), D(fsopen), D(fsconfig),
	D(fsmount), D(fspick),
#endif
#ifdef __NR_mount_setattr
	D(mount_setattr),
#endif
};

/* no new namespace, above all no user namespace: clone3's flags are in
 * memory the filter cannot read, so clone3 says ENOSYS (C libraries then
 * use clone) */
static const struct sc_rule namespaces[] = {
	R(clone, K_CLONE), R(unshare, K_UNSHARE),
#ifdef __NR_clone3
	R(clone3, K_ENOSYS),
#endif
};

static const struct sc_rule bpf_group[] = { D(bpf) };
static const struct sc_rule perf_group[] = { D(perf_event_open) };
static const struct sc_rule boot_group[] = {
	D(kexec_load), D(reboot),
#ifdef __NR_kexec_file_load
	D(kexec_file_load),
#endif
};
static const struct sc_rule module_group[] = {
	D(init_module), D(finit_module), D(delete_module),
};
#ifdef __NR_iopl
static const struct sc_rule rawio_group[] = { D(iopl), D(ioperm) };
#endif
static const struct sc_rule pacct_group[] = { D(acct) };
static const struct sc_rule time_group[] = {
	D(settimeofday), D(clock_settime), D(clock_adjtime),
#ifdef __NR_stime
	D(stime),
#endif
};
static const struct sc_rule syslog_group[] = { D(syslog) };
static const struct sc_rule handle_group[] = {
	D(open_by_handle_at), D(name_to_handle_at),
};

#define GROUP(a, unless) { a, ARRAY_SIZE(a), unless }

/* a group is left out when the caps hold one of @unless */
static const struct group {
	const struct sc_rule *rules;
	size_t n;
	uint64_t unless;
} groups[] = {
	GROUP(always, 0),
	GROUP(mounts, C_SYS_ADMIN), GROUP(namespaces, C_SYS_ADMIN),
	GROUP(bpf_group, C_SYS_ADMIN | C_BPF),
	GROUP(perf_group, C_SYS_ADMIN | C_PERFMON),
	GROUP(boot_group, C_SYS_BOOT), GROUP(module_group, C_SYS_MODULE),
#ifdef __NR_iopl
	GROUP(rawio_group, C_SYS_RAWIO),
#endif
	GROUP(pacct_group, C_SYS_PACCT),
	GROUP(time_group, C_SYS_TIME), GROUP(syslog_group, C_SYSLOG),
	GROUP(handle_group, C_DAC_READ_SEARCH),
};

#define SC_RULES_MAX 96
#define SC_LEAF      4          /* a linear run of at most this many */

/* The code for @kind at @p (A holds the number; each ends in a return).
 * Returns its length. */
static size_t action(uint8_t kind, struct sock_filter *p)
{
	size_t k = 0;

	switch (kind) {
	case K_ENOSYS:
		p[k++] = (struct sock_filter)ERRNO(ENOSYS);
		break;
	case K_SOCKET:
		p[k++] = (struct sock_filter)LOAD(ARG0_LO);
		p[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SC_AF_ALG, 2, 0);
		p[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SC_AF_VSOCK, 1, 0);
		p[k++] = (struct sock_filter)ALLOW;
		p[k++] = (struct sock_filter)ERRNO(EPERM);
		break;
	case K_CLONE:
	case K_UNSHARE:
		p[k++] = (struct sock_filter)LOAD(ARG0_LO);
		p[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, kind == K_CLONE ?
						      NS_FLAGS : NS_FLAGS | CLONE_NEWTIME, 0, 1);
		p[k++] = (struct sock_filter)ERRNO(EPERM);
		p[k++] = (struct sock_filter)ALLOW;
		break;
	case K_PERSONALITY:
		p[k++] = (struct sock_filter)LOAD(ARG0_LO);
		p[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffff, 1, 0);
		/* PER_LINUX (0), PER_LINUX32 (0x8), UNAME26 (0x20000), both */
		p[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, ~0x20008u, 1, 0);
		p[k++] = (struct sock_filter)ALLOW;
		p[k++] = (struct sock_filter)ERRNO(EPERM);
		break;
	default:
		p[k++] = (struct sock_filter)ERRNO(EPERM);
	}
	return k;
}

/* The rules @r[0..@n) (sorted by number) as a search tree at @p, @room
 * instructions there: a JGE splits a long run in halves, a short run is
 * one JEQ per rule, then allow. Every path ends in a return, every jump
 * is forward (their 8 bits are enough: a program is under 256). Returns
 * the length, or 0 when it does not fit. */
static size_t tree(const struct sc_rule *r, size_t n, struct sock_filter *p, size_t room)
{
	struct sock_filter act[8];
	size_t k = 0, m, left, right;

	if (n <= SC_LEAF) {
		for (size_t i = 0; i < n; i++) {
			size_t a = action(r[i].kind, act);

			if (k + 1 + a > room)
				return 0;
			p[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, r[i].nr,
							      0, (uint8_t)a);
			memcpy(p + k, act, a * sizeof(*act));
			k += a;
		}
		if (k + 1 > room)
			return 0;
		p[k++] = (struct sock_filter)ALLOW;
		return k;
	}
	m = n / 2;
	if (room < 1 || !(left = tree(r, m, p + 1, room - 1)) || left > 255 ||
	    !(right = tree(r + m, n - m, p + 1 + left, room - 1 - left)))
		return 0;
	p[0] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, r[m].nr, (uint8_t)left, 0);
	return 1 + left + right;
}

size_t seccomp_build(uint64_t caps, struct sock_filter *buf)
{
	struct sc_rule r[SC_RULES_MAX];
	size_t n = 0, t;

	for (size_t g = 0; g < ARRAY_SIZE(groups); g++) {
		if (groups[g].unless & caps)
			continue;
		for (size_t i = 0; i < groups[g].n; i++) {
			struct sc_rule x = groups[g].rules[i];
			size_t j = n;

			if (n == SC_RULES_MAX)
				return 0;       /* cannot happen: the tables are fixed */
			while (j > 0 && r[j - 1].nr > x.nr) {   /* insertion sort */
				r[j] = r[j - 1];
				j--;
			}
			r[j] = x;
			n++;
		}
	}
	memcpy(buf, head, sizeof(head));
	t = tree(r, n, buf + ARRAY_SIZE(head), SECCOMP_MAX_INSNS - ARRAY_SIZE(head));
	return t ? ARRAY_SIZE(head) + t : 0;
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
