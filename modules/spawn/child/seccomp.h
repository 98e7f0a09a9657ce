/* SPDX-License-Identifier: MIT */
/*
 * seccomp: boxinit's default system call filter for a service (and its
 * reaper), `seccomp = default`. A classic BPF program (seccomp(2),
 * SECCOMP_MODE_FILTER) assembled from fragments fixed at compile time, for
 * x86_64 and aarch64, without libseccomp:
 *
 *   - the architecture is checked first: a system call made with another
 *     ABI (i386 `int 0x80` on x86_64, AArch32 on aarch64) kills the
 *     process; x32 system calls (nr >= __X32_SYSCALL_BIT) fail with EPERM;
 *   - always EPERM: keyrings (keyctl, add_key, request_key), userfaultfd,
 *     io_uring, uselib, nfsservctl, _sysctl, lookup_dcookie, and the
 *     `personality` values other than the usual ones (0, PER_LINUX32,
 *     UNAME26, both, and the query 0xffffffff);
 *   - EPERM unless the service keeps the capability that the group is
 *     for (as Docker's default profile does): mount API and namespaces
 *     (sys_admin: mount, umount2, pivot_root, move_mount, fsopen, fsconfig,
 *     fsmount, fspick, open_tree, mount_setattr, setns, unshare and clone
 *     with a CLONE_NEW* flag, swapon/off, quotactl), bpf (sys_admin | bpf),
 *     perf_event_open (sys_admin | perfmon), kexec and reboot (sys_boot),
 *     modules (sys_module), iopl/ioperm (sys_rawio), acct (sys_pacct),
 *     clock setting (sys_time), syslog (syslog), open_by_handle_at and
 *     name_to_handle_at (dac_read_search); clone3 fails with ENOSYS unless
 *     sys_admin is kept, so that C libraries fall back to clone, whose
 *     flags the filter can read.
 *
 * An unprivileged user namespace (unshare -U, clone(CLONE_NEWUSER)) is
 * thus refused to every service that does not keep sys_admin.
 */
#ifndef BOXINIT_SECCOMP_H
#define BOXINIT_SECCOMP_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#define SECCOMP_MAX_INSNS 256   /* the largest filter seccomp_build writes */

/*
 * seccomp_build - write the default filter for a process that keeps the
 * capabilities @caps (bit n = capability n) into @buf, which holds
 * SECCOMP_MAX_INSNS instructions. Returns the number of instructions, or
 * 0 when boxinit was built for an architecture the filter does not know.
 */
size_t seccomp_build(uint64_t caps, struct sock_filter *buf);

/*
 * seccomp_install - build the filter for @caps and install it on the
 * calling thread (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER)), which must
 * have set no_new_privs (or hold CAP_SYS_ADMIN). Inherited across fork
 * and execve(2), never removed. Returns 0, -ENOSYS for an unknown build
 * architecture, or the -errno of prctl(2) (-EINVAL: a kernel without
 * CONFIG_SECCOMP_FILTER; -EACCES: no no_new_privs).
 */
int seccomp_install(uint64_t caps);

#endif
