/* SPDX-License-Identifier: MIT */
/*
 * process: start one program the way boxinit starts every service: its own
 * session, stdin from /dev/null, stdout and stderr into a pipe boxinit reads
 * (or the console as controlling tty), working directory, user, a clean
 * signal mask, and the exec error reported back to the parent.
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
};

/*
 * process_spawn - fork and exec @r. Waits only until the child has exec'd
 * (or failed before exec: the failing step and errno come back through a
 * close-on-exec pipe). Returns the pid, or -errno with @what set to the
 * failing step ("exec", "chdir", "setuid"...).
 */
pid_t process_spawn(const struct spawn_req *r, const char **what);

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
