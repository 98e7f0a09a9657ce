/* SPDX-License-Identifier: MIT */
/*
 * nsexec: the child's side of process_enter() (spawn/enter.h): run a
 * command inside a service's running container, as that service would
 * run, e.g. its health check. Two processes:
 *
 *   intermediate  a fork of boxinit, its child: not dumpable, dies with
 *                 boxinit; stdout and stderr to the command's output,
 *                 every other fd closed; joins the service's cgroups,
 *                 setns(2) into each namespace of the container's reaper
 *                 (cgroup, ipc, uts, net, pid, mnt), chroot(2) to the
 *                 reaper's root (/proc/PID/root: the container's root
 *                 even where it was entered with MS_MOVE + chroot), then
 *                 becomes what the service is: stdin the container's
 *                 /dev/null, working directory, the service's user and
 *                 capabilities (container_drop_privs), the parent death
 *                 signal again (the uid change clears it), the service's
 *                 seccomp filter (container_seccomp). Only then it forks
 *                 the command (a new pid namespace is entered by the
 *                 children of the caller of setns(2) only), so nothing
 *                 the container can see ever holds more than the service
 *                 (a sys_ptrace service attaching to it gets no more);
 *                 waits for it and exits as it did: with its exit status,
 *                 or killed by its signal. Killing the intermediate kills
 *                 the command.
 *   command       pid N of the container's pid namespace: its own session,
 *                 the parent death signal SIGKILL (the intermediate is
 *                 outside the namespace, so getppid() is 0 while it
 *                 lives), default signals, execvp(2). Until the exec it
 *                 is a non-dumpable copy of boxinit's memory, which a
 *                 service granted sys_ptrace could still read.
 *
 * An orphaned command would be reaped by the container's reaper, not by
 * boxinit: hence the intermediate that waits. Follows setns(2),
 * pid_namespaces(7), prctl(2). Nothing here logs: a failure before exec
 * is one line "STEP: strerror" on the command's output and exit status
 * 127, which boxinit reads like the command's own words.
 */
#ifndef BOXINIT_NSEXEC_H
#define BOXINIT_NSEXEC_H

#include <stdbool.h>
#include <sys/types.h>

struct svc_conf;

#define NSEXEC_NS_MAX 6

/* The namespaces entered, in this order: cgroup, ipc, uts, net, pid, mnt
 * (the mount namespace last: /proc/REAPER/... are boxinit's paths). */
struct nsexec_ns {
	const char *name;       /* as in /proc/PID/ns/ */
	int type;               /* CLONE_NEW* */
};
extern const struct nsexec_ns nsexec_ns[NSEXEC_NS_MAX];

/* What the intermediate gets from process_enter(), all fds opened there. */
struct nsexec_req {
	char *const *argv;      /* argv[0] searched in PATH of @env */
	char *const *env;       /* complete environment, NULL-terminated */
	const char *workdir;    /* in the container; NULL: "/" */
	const struct svc_conf *conf;    /* user, capabilities, seccomp */
	pid_t parent;           /* boxinit: gone before the death signal, leave */
	int ns_fd[NSEXEC_NS_MAX];       /* /proc/REAPER/ns/NAME of nsexec_ns[i],
					   -1: a namespace the kernel lacks */
	int root_fd;            /* /proc/REAPER/root */
	const int *cgroup_fds;  /* the service's cgroup.procs files */
	int ncgroup_fds;
	int out_fd;             /* the command's stdout and stderr */
	bool oom_reset;         /* write oom_score_adj 0 (process_oom_reset) */
};

/*
 * child_nsexec - in the forked child of process_enter(): become the
 * intermediate, run @r's command and exit as it did (see above). Never
 * returns.
 */
void child_nsexec(const struct nsexec_req *r) __attribute__((noreturn));

#endif
