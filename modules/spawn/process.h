/* SPDX-License-Identifier: MIT */
/*
 * process: start one program the way boxinit starts every service: its own
 * session, stdin from /dev/null, stdout and stderr into a pipe boxinit reads
 * (or the console as controlling tty), working directory, user, a clean
 * signal mask, and the exec error reported back to the parent.
 *
 * This is the parent's side (process.c): the pipes, fork or clone(2), the
 * sync point, the report of a failed start, the reapers' status pipes. What
 * runs in the child is in spawn/child/: exec.c (the service up to exec),
 * reaper.c (a container's PID 1), container*.c (namespaces, mounts, caps).
 * A service with a configuration (@conf) runs in a container:
 *
 *   boxinit (process.c)         clone(2) with the namespace flags
 *   |                             -> @prepare(pid): configure from outside
 *   |                             -> "go" byte
 *   |                             <- error pipe: EOF at exec, or the
 *   |                                error value (err.h) of the failure
 *   `- reaper (child/reaper.c): PID 1 of the new PID namespace (boxinit's
 *      |  code, no exec of the service's): join cgroups, unshare the
 *      |  cgroup namespace, the service's bounding set, mounts + root,
 *      |  hostname (child/container*.c), the service's seccomp filter;
 *      |  wait for "go" (for one cloned ahead, boxinit first checks that
 *      |  what those mounts came from is unchanged), fork; drops to the
 *      |  service's user and no more than its capabilities, then
 *      |  "release" byte;
 *      |  forwards signals, reaps; at the end writes the service's wait
 *      |  status to the status pipe
 *      `- service, pid 2 (child/exec.c): setsid, stdio, chdir, privileges,
 *         waits for "release", exec (under the inherited filter)
 *
 * Without @conf (the emergency shell) the forked child is the service
 * itself (child/exec.c), with no reaper.
 *
 * The pid boxinit gets is the reaper's; signals sent to it reach the
 * service. Since a namespace's PID 1 cannot die of the service's signal,
 * the caller passes the handle of each reaped child to process_reaped() to get the
 * service's own wait status ("killed by signal 9").
 */
#ifndef BOXINIT_PROCESS_H
#define BOXINIT_PROCESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

struct svc_conf;
struct ct_src_id;

struct spawn_req {
	char *const *argv;      /* argv[0] searched in the service's PATH */
	char *const *env;       /* complete environment, NULL-terminated */
	const char *workdir;    /* NULL: "/" */
	bool has_user;
	uint32_t uid, gid;
	int out_fd;             /* stdout+stderr; -1 with @console */
	const char *console;    /* tty to use as controlling terminal, or NULL */
	const int *cgroup_fds;  /* cgroup.procs files the child joins before exec */
	int ncgroup_fds;
	/*
	 * A container's cgroup v2 directory (O_RDONLY | O_DIRECTORY) to clone
	 * the reaper straight into (clone3(2) CLONE_INTO_CGROUP, Linux 5.7: no
	 * migration, so no RCU grace period for the kernel's
	 * cgroup_threadgroup_rwsem) when @cgroup_dir_of is 1 + the index of
	 * that cgroup's cgroup.procs in @cgroup_fds, which the child then does
	 * not write; 0: none. Where the kernel refuses, the plain clone and
	 * the write it is.
	 */
	int cgroup_dir;
	int cgroup_dir_of;
	const struct svc_conf *conf;  /* the service (container settings), or NULL */
	/*
	 * A container cloned ahead of its start (during a back-off): its
	 * reaper makes its mounts long before "go", so process_clone() notes
	 * what they come from and process_go() checks it is unchanged
	 * (container_note_sources; else -ESTALE). A start now needs neither:
	 * its mounts are made side by side with @prepare.
	 */
	bool ahead;
	/*
	 * Containers only, may be NULL: called in boxinit once the container
	 * exists (@pid: its reaper, in boxinit's PID namespace, e.g. for
	 * /proc/PID/ns/net) and before anything runs in it. Returns 0, or
	 * -errno with @e set (logging nothing) to abort the start.
	 */
	int (*prepare)(pid_t pid, void *arg, struct err *e);
	void *prepare_arg;
	/*
	 * true: process_spawn returns as soon as the child runs, without
	 * waiting for its exec, so that services start side by side; the
	 * report comes later on the handle's result_fd: see process_result().
	 */
	bool async;
	/*
	 * Readiness (containers only): ready = fd:N gives the service the
	 * write end @ready_wfd of the caller's pipe as fd N (@ready_fd >= 3;
	 * 0: none), held by the service alone; ready = notify binds the
	 * caller's socket @notify (a path, NULL: none) into the container's
	 * /tmp at PROCESS_NOTIFY_SOCKET. The caller keeps and closes both.
	 */
	int ready_fd;
	int ready_wfd;
	const char *notify;
};

/* Where a service with ready = notify finds its socket ($NOTIFY_SOCKET),
 * in its own /tmp. */
#define PROCESS_NOTIFY_SOCKET "/tmp/.boxinit-notify"

/*
 * A started process, owned by the caller (a service keeps one per run):
 * its pid, the pipe of its start's report (async spawns) and a container
 * reaper's status pipe. Both fds are non-blocking and close-on-exec, -1
 * when absent; process_reaped() and process_release() close them.
 */
struct spawn_handle {
	pid_t pid;
	int result_fd;          /* EOF at exec, or the error value */
	int status_fd;          /* the service's own wait status, at its end */
	bool has_status;        /* process_status() read it: in wstatus */
	int wstatus;
};

/*
 * process_spawn - start @r (into @h, which the caller owns; may be NULL
 * for a synchronous spawn whose status nobody reads): fork + exec without @r->conf (the emergency
 * shell), else a container (clone(2), see above). Waits only until the
 * service has exec'd, or failed before (unless @r->async): the
 * child's error value (err.h) comes back whole through a close-on-exec
 * pipe. Returns the pid (the container's reaper), or -errno with @e (may
 * be NULL) saying what failed, on what, and why, as the child or
 * @r->prepare filled it: "exec /bin/x: No such file or directory",
 * "bind /data: ...", "pivot_root: ...", "network: RTM_NEWLINK bxweb: ...".
 * Logs nothing: the caller adds its context (the service's name) and
 * logs it once.
 */
pid_t process_spawn(const struct spawn_req *r, struct spawn_handle *h, struct err *e);

/*
 * A container cloned ahead of its start: its reaper has joined its
 * cgroups and waits for "go" (see above), nothing of the service runs.
 * For a restart after a back-off, the clone and the cgroup migration
 * (several ms on cgroup v1: an RCU grace period) happen while the
 * back-off runs.
 */
struct spawn_prep {
	pid_t pid;              /* the reaper; 0: none */
	int err, go, status;    /* pipes: error (read end), "go" (write end),
				   status (read end) */
	/* cloned ahead (spawn_req.ahead): what its mounts come from
	 * (container_note_sources), and the mount count then */
	struct ct_src_id *ids;
	int nids;
	uint64_t mounts;
};

/* No prepared container: no reaper, no pipes. */
#define SPAWN_PREP_NONE ((struct spawn_prep){ .pid = 0, .err = -1, .go = -1, .status = -1 })

/*
 * process_clone - the first half of process_spawn() for a container
 * (@r->conf set): the pipes and the clone, the reaper left waiting for
 * "go". @r's contents are the child's from now on (its copy of the
 * memory); @r->prepare and @r->async are used by process_go().
 * Returns 0 with @p filled, or -errno with @e set.
 * process_go - the second half, now or later: @r->prepare, "go",
 * the report as process_spawn() (@r->async), the status pipe into the
 * handle @h as process_spawn() fills it. @p is consumed (zeroed) either
 * way. Returns the reaper's pid or -errno with @e set; -EPIPE: the
 * prepared reaper is gone (killed meanwhile); -ESTALE (@r->ahead only):
 * what its mounts were made from changed since its clone
 * (container_sources_changed), so it is given up unstarted: for both,
 * clone a new one. The caller ignores SIGPIPE (boxinit does:
 * BOXINIT_SIG_IGNORED): a reaper that failed before "go" closed its end.
 * process_discard - give a prepared container up: its reaper reads EOF
 * instead of "go" and leaves (it is SIGKILLed too; the caller's loop reaps
 * it); @p zeroed. Nothing is logged by any of them.
 */
int process_clone(const struct spawn_req *r, struct spawn_prep *p, struct err *e);
pid_t process_go(const struct spawn_req *r, struct spawn_prep *p, struct spawn_handle *h,
		 struct err *e);
void process_discard(struct spawn_prep *p);

/*
 * process_result - read a spawn's report from @fd (spawn_req.result_fd)
 * without blocking: 0 when the child exec'd (EOF), -EAGAIN when it has not
 * yet, or the -errno of its failure before exec with @e (may be NULL) the
 * child's error value, as process_spawn(). The failed child exits 127 on
 * its own.
 */
int process_result(int fd, struct err *e);

/*
 * process_reaped - the caller reaped @h's pid with @wstatus: for a
 * container's reaper, return the wait status of the service it ran (from
 * its status pipe, closed here), else @wstatus unchanged. A reaper that
 * was killed itself (SIGKILL at the stop timeout) keeps its own status.
 */
int process_reaped(struct spawn_handle *h, int wstatus);

/*
 * process_status - read the service's wait status from @h's status pipe
 * once it is readable (the container's reaper writes it as the service
 * ends, before the namespaces are torn down and the reaper reaped), keep
 * it for process_reaped() and close the pipe. Returns 1 when the status
 * came, 0 at EOF without one (the reaper itself was killed), -EAGAIN when
 * nothing is there yet, -EBADF when @h has no status pipe (a fork, or
 * already read).
 */
int process_status(struct spawn_handle *h);

/* process_release - close what @h still holds (its pipes); idempotent. */
void process_release(struct spawn_handle *h);

/*
 * process_env - build the environment of a service: boxinit's base
 * (PATH, HOME, TERM) overridden by @extra ("VAR=value", NULL-terminated).
 * Returns a malloc'd NULL-terminated array whose strings are borrowed from
 * @extra or static; free() only the array. NULL on ENOMEM.
 */
char **process_env(char *const *extra);

/*
 * process_oom_reset - @on: boxinit lowered its own oom_score_adj (PID 1
 * of a pid namespace, see boot_oom_protect()), so every child it spawns
 * or enters writes 0 back first (child_oom_default()) and its services
 * stay OOM-killer candidates. process_oom_reset_on() reads the setting.
 * Off by default.
 */
void process_oom_reset(bool on);
bool process_oom_reset_on(void);

/* process_exit_text - "exited with status 1" / "killed by signal 9 (KILL)". */
const char *process_exit_text(int wstatus, char *buf, size_t len);

#endif
