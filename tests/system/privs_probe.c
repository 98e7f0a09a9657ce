/* SPDX-License-Identifier: MIT */
/*
 * privs_probe: run inside a container by tests/system/test_security.py
 * (built static with musl-gcc into the service's root). Prints, one per
 * line, what a hostile service learns and gains:
 *   SELF <key> <value>      its own /proc/self/status (Cap*, NoNewPrivs, Seccomp, Uid)
 *   REAPER <key> <value>    the same of PID 1 of its namespace, the reaper
 *   REAPER_OWNER <uid>      owner of /proc/1/status (root when not dumpable;
 *                           the directory /proc/1 always shows the euid)
 *   SEIZE <errno>           PTRACE_SEIZE of PID 1 (0: attached)
 *   INJECT <ret>            once attached (x86_64 and aarch64):
 *                           unshare(CLONE_NEWNS) run by the reaper (needs
 *                           CAP_SYS_ADMIN: the first step to remounting
 *                           /proc/sys), 0 or -errno; -1000 and below: the
 *                           injection itself failed (see inject())
 *   INJECT_GETPID <ret>     the control, injected first: getpid(2) run by
 *                           the reaper, 1 (its pid in its namespace)
 *   SYSCALL <name> <errno>  keyctl, bpf, unshare(CLONE_NEWUSER), socket of
 *                           AF_VSOCK and AF_ALG, in a child
 *   DONE
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__aarch64__)
#include <sys/user.h>
#endif
#ifdef __aarch64__
#include <elf.h>                /* NT_PRSTATUS */
#include <sys/uio.h>
#endif

static void status(const char *tag, const char *path)
{
	static const char *keys[] = { "CapInh", "CapPrm", "CapEff", "CapBnd",
				      "CapAmb", "NoNewPrivs", "Seccomp", "Uid", "Gid" };
	char line[256];
	FILE *f = fopen(path, "r");

	if (!f) {
		printf("%s unreadable %d\n", tag, errno);
		return;
	}
	while (fgets(line, sizeof(line), f))
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t n = strlen(keys[i]);
			char *v = line + n + 1;

			if (strncmp(line, keys[i], n) || line[n] != ':')
				continue;
			v += strspn(v, " \t");
			v[strcspn(v, "\t\n")] = '\0';    /* Uid: the real uid */
			printf("%s %s %s\n", tag, keys[i], v);
		}
	fclose(f);
}

/*
 * Make the stopped tracee @t run one system call, @nr(@a0), with the
 * system call instruction it last executed: the reaper sleeps in
 * sigwaitinfo(2), which the interrupt ends with EINTR (not restarted), so
 * its pc follows that instruction. The registers are put back after the
 * single step; the reaper's libc retries the wait. Returns the call's
 * result (0 or -errno), or -1000 and below when the injection failed.
 */
#if defined(__x86_64__)
static long inject(pid_t t, long nr, long a0)
{
	struct user_regs_struct saved, r;
	long insn;
	int ws;

	if (ptrace(PTRACE_GETREGS, t, 0, &saved) < 0)
		return -1000 - errno;
	errno = 0;
	insn = ptrace(PTRACE_PEEKTEXT, t, (void *)(saved.rip - 2), 0);
	if (errno || (insn & 0xffff) != 0x050f)
		return -2000;                   /* not after a `syscall` */
	r = saved;
	r.rip -= 2;
	r.rax = nr;
	r.orig_rax = -1;
	r.rdi = a0;
	if (ptrace(PTRACE_SETREGS, t, 0, &r) < 0 ||
	    ptrace(PTRACE_SINGLESTEP, t, 0, 0) < 0 ||
	    waitpid(t, &ws, __WALL) != t || ptrace(PTRACE_GETREGS, t, 0, &r) < 0)
		return -3000 - errno;
	if (ptrace(PTRACE_SETREGS, t, 0, &saved) < 0)
		return -4000 - errno;
	return (long)r.rax;
}
#elif defined(__aarch64__)
/* arm64 has no PTRACE_GETREGS: the general registers are the NT_PRSTATUS
 * regset (struct user_regs_struct: x0..x30, sp, pc, pstate). The number
 * goes in x8, the argument and the result in x0. */
static int regs(pid_t t, int req, struct user_regs_struct *r)
{
	struct iovec io = { .iov_base = r, .iov_len = sizeof(*r) };

	return (int)ptrace(req, t, (void *)NT_PRSTATUS, &io);
}

static long inject(pid_t t, long nr, long a0)
{
	struct user_regs_struct saved, r;
	long insn;
	int ws;

	if (regs(t, PTRACE_GETREGSET, &saved) < 0)
		return -1000 - errno;
	errno = 0;
	insn = ptrace(PTRACE_PEEKTEXT, t, (void *)(saved.pc - 4), 0);
	if (errno || (insn & 0xffffffff) != 0xd4000001)
		return -2000;                   /* not after an `svc #0` */
	r = saved;
	r.pc -= 4;
	r.regs[8] = nr;
	r.regs[0] = a0;
	if (regs(t, PTRACE_SETREGSET, &r) < 0 ||
	    ptrace(PTRACE_SINGLESTEP, t, 0, 0) < 0 ||
	    waitpid(t, &ws, __WALL) != t || regs(t, PTRACE_GETREGSET, &r) < 0)
		return -3000 - errno;
	if (regs(t, PTRACE_SETREGSET, &saved) < 0)
		return -4000 - errno;
	return (long)r.regs[0];
}
#endif

static void attack(void)
{
	int ws;

	if (ptrace(PTRACE_SEIZE, 1, 0, 0) < 0) {
		printf("SEIZE %d\n", errno);
		return;
	}
	printf("SEIZE 0\n");
	if (ptrace(PTRACE_INTERRUPT, 1, 0, 0) < 0 || waitpid(1, &ws, __WALL) != 1) {
		printf("INTERRUPT %d\n", errno);
		return;
	}
#if defined(__x86_64__) || defined(__aarch64__)
	printf("INJECT_GETPID %ld\n", inject(1, SYS_getpid, 0));
	printf("INJECT %ld\n", inject(1, SYS_unshare, CLONE_NEWNS));
#endif
	ptrace(PTRACE_DETACH, 1, 0, 0);
}

/* @nr(a0, a1, a2) in a child (a new namespace stays there): its errno */
static void try_syscall(const char *name, long nr, long a0, long a1, long a2)
{
	pid_t pid = fork();
	int ws = 0;

	if (pid == 0)
		_exit(syscall(nr, a0, a1, a2) < 0 ? errno : 0);
	if (pid < 0 || waitpid(pid, &ws, 0) != pid)
		printf("SYSCALL %s fork %d\n", name, errno);
	else
		printf("SYSCALL %s %d\n", name, WEXITSTATUS(ws));
}

int main(void)
{
	struct stat st;

	setvbuf(stdout, NULL, _IOLBF, 0);
	status("SELF", "/proc/self/status");
	status("REAPER", "/proc/1/status");
	if (stat("/proc/1/status", &st) == 0)
		printf("REAPER_OWNER %u\n", (unsigned)st.st_uid);
	attack();
	try_syscall("keyctl", SYS_keyctl, 9999, 0, 0);   /* EOPNOTSUPP when allowed */
	try_syscall("bpf", SYS_bpf, 9999, 0, 0);
	try_syscall("userns", SYS_unshare, CLONE_NEWUSER, 0, 0);
	try_syscall("vsock", SYS_socket, 40, SOCK_STREAM, 0);  /* AF_VSOCK */
	try_syscall("alg", SYS_socket, 38, SOCK_SEQPACKET, 0); /* AF_ALG */
	printf("DONE\n");
	return 0;
}
