/* SPDX-License-Identifier: MIT */
/*
 * exec: the service's side of a spawn, in the child process, before and
 * up to execve(2): the cgroups joined, a clean signal mask, its own
 * session (setsid), stdio (/dev/null and boxinit's pipe, or a console as
 * controlling tty), working directory, privileges (a container's: caps,
 * user, seccomp, container.h; else only the user), then exec. A failure
 * goes back to boxinit through the error pipe (child_fail) and the child
 * exits 127: nothing here logs.
 */
#ifndef BOXINIT_EXEC_H
#define BOXINIT_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct svc_conf;

/* What the child needs of a spawn_req (process.h), which it is copied from. */
struct child_req {
	char *const *argv;      /* argv[0] searched in the service's PATH */
	char *const *env;       /* complete environment, NULL-terminated */
	const char *workdir;    /* NULL: "/" */
	bool has_user;          /* plain (no @conf): switch to uid/gid */
	uint32_t uid, gid;
	int out_fd;             /* stdout+stderr; -1 with @console */
	const char *console;    /* tty to use as controlling terminal, or NULL */
	const int *cgroup_fds;  /* cgroup.procs files joined first */
	int ncgroup_fds;
	int cgroup_skip;        /* the index of one it is in already (clone3
				   CLONE_INTO_CGROUP), or -1 */
	const struct svc_conf *conf;  /* a container's settings, or NULL */
	int ready_fd;           /* ready = fd:N: N (>= 3), the service's fd for
				   @ready_wfd, boxinit's pipe; 0: none */
	int ready_wfd;
	const char *notify;     /* ready = notify: boxinit's socket, bound... */
	const char *notify_at;  /* ...at this path of the container; NULL none */
};

/*
 * child_send - report the failure @e to boxinit through the error pipe
 * @fd: the whole struct err in one write(2) (atomic: below PIPE_BUF),
 * which process_result() reads; then _exit(127). A code >= 0 is sent as
 * -EIO: the report always means a failure.
 * child_fail - the same for the failing step "FMT" and errno:
 * "exec /bin/x: No such file or directory".
 */
void child_send(int fd, const struct err *e) __attribute__((noreturn));
void child_fail(int fd, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

/*
 * child_join_cgroups - write "0" into each of @r's cgroup.procs fds but
 * @r->cgroup_skip, so that nothing of the child runs outside its limits;
 * a failure is child_fail(@errfd, "cgroup").
 */
void child_join_cgroups(const struct child_req *r, int errfd);

/*
 * child_oom_default - write "0" to /proc/self/oom_score_adj: undo the
 * -1000 that a PID 1 of a pid namespace gives itself (process_oom_reset())
 * so that a service is an OOM-killer candidate like any process. Raising
 * the value needs no capability (proc(5)). Returns 0 or -errno; the
 * caller fails the start then: a service must not start unkillable.
 */
int child_oom_default(void);

/*
 * child_exec - become the service of @r and exec it: default signal
 * dispositions, empty mask, setsid, stdio, chdir, then privileges: for a
 * container container_drop_privs(), wait for the reaper's "release" byte
 * on @relfd (EOF: the reaper failed and said why, _exit(127) quietly),
 * the seccomp filter being the reaper's (inherited at the fork, see
 * reaper_start()); without one setgroups/setgid/setuid when
 * @r->has_user (@relfd -1). Last, for ready = fd:N, @r->ready_wfd
 * becomes fd N (whatever held N is moved or replaced: the error pipe
 * moves). execvp(2) with @r->env. Every failure goes
 * to @errfd (child_fail, child_send: "exec ARGV0: strerror", "setsid:
 * ...", the container's step); the error pipe is close-on-exec, so
 * boxinit reads EOF once the exec succeeded.
 */
void child_exec(const struct child_req *r, int errfd, int relfd)
	__attribute__((noreturn));

#endif
