/* SPDX-License-Identifier: MIT */
/*
 * process: start one program the way boxinit starts every service: its own
 * session, stdin from /dev/null, stdout and stderr into a pipe boxinit reads
 * (or the console as controlling tty), working directory, user, a clean
 * signal mask, and the exec error reported back to the parent.
 *
 * A service with a configuration (@conf) runs in a container (container.h):
 *
 *   boxinit                     clone(2) with the namespace flags
 *   |                             -> @prepare(pid): configure from outside
 *   |                             -> "go" byte
 *   |                             <- error pipe: EOF at exec, or the step
 *   `- reaper: PID 1 of the new PID namespace (boxinit's code, no exec)
 *      |  join cgroups, unshare the cgroup namespace, wait for "go",
 *      |  mounts + root, hostname; forwards signals, reaps; at the end
 *      |  writes the service's wait status to the status pipe
 *      `- service, pid 2: setsid, stdio, chdir, privileges, exec
 *
 * The pid boxinit gets is the reaper's; signals sent to it reach the
 * service. Since a namespace's PID 1 cannot die of the service's signal,
 * the caller passes every reaped pid through process_reaped() to get the
 * service's own wait status ("killed by signal 9").
 */
#ifndef BOXINIT_PROCESS_H
#define BOXINIT_PROCESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct svc_conf;

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
	const struct svc_conf *conf;  /* the service (container settings), or NULL */
	/*
	 * Containers only, may be NULL: called in boxinit once the container
	 * exists (@pid: its reaper, in boxinit's PID namespace, e.g. for
	 * /proc/PID/ns/net) and before anything runs in it. Returns 0, or
	 * -errno with *@what set to abort the start.
	 */
	int (*prepare)(pid_t pid, void *arg, const char **what);
	void *prepare_arg;
	/*
	 * Non-NULL: process_spawn returns as soon as the child runs, without
	 * waiting for its exec, so that services start side by side; the
	 * report comes later on *@result_fd (the caller owns it; non-blocking,
	 * close-on-exec): see process_result().
	 */
	int *result_fd;
};

/*
 * process_spawn - start @r: fork + exec without @r->conf (the emergency
 * shell), else a container (clone(2), see above). Waits only until the
 * service has exec'd, or failed before: the failing step and errno come
 * back through a close-on-exec pipe. Returns the pid (the container's
 * reaper), or -errno with @what set to the failing step: "exec" (for the
 * program, argv[0]) or a step naming its object ("bind /data",
 * "mount /proc", "pivot_root", "setuid"...). Static storage.
 */
pid_t process_spawn(const struct spawn_req *r, const char **what);

/*
 * process_result - read a spawn's report from @fd (spawn_req.result_fd)
 * without blocking: 0 when the child exec'd (EOF), -EAGAIN when it has not
 * yet, or the -errno of its failure before exec with @what naming the
 * step (static storage). The failed child exits 127 on its own.
 */
int process_result(int fd, const char **what);

/*
 * process_reaped - the caller reaped @pid with @wstatus: for a container's
 * reaper, return the wait status of the service it ran (from its status
 * pipe, which is closed here), else @wstatus unchanged. A reaper that was
 * killed itself (SIGKILL at the stop timeout) keeps its own status.
 * Call it for every reaped pid.
 */
int process_reaped(pid_t pid, int wstatus);

/*
 * process_env - build the environment of a service: boxinit's base
 * (PATH, HOME, TERM) overridden by @extra ("VAR=value", NULL-terminated).
 * Returns a malloc'd NULL-terminated array whose strings are borrowed from
 * @extra or static; free() only the array. NULL on ENOMEM.
 */
char **process_env(char *const *extra);

/* process_exit_text - "exited with status 1" / "killed by signal 9 (KILL)". */
const char *process_exit_text(int wstatus, char *buf, size_t len);

#endif
