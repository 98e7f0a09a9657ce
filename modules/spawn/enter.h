/* SPDX-License-Identifier: MIT */
/*
 * enter: the parent's side of running a command inside a service's
 * running container, the way the service itself runs (its health
 * check): the container's namespaces (setns(2) into those of its reaper),
 * its root, its cgroups, its user, capabilities and seccomp filter, its
 * environment. What runs in the child is spawn/child/nsexec.c.
 */
#ifndef BOXINIT_ENTER_H
#define BOXINIT_ENTER_H

#include <sys/types.h>

#include "err.h"

struct svc_conf;

struct enter_req {
	pid_t reaper;           /* the container's reaper (process_spawn's pid) */
	char *const *argv;      /* argv[0] searched in PATH of @env */
	char *const *env;       /* complete environment, NULL-terminated */
	const char *workdir;    /* in the container; NULL: "/" */
	const struct svc_conf *conf;    /* the service: user, caps, seccomp */
	const int *cgroup_fds;  /* its cgroup.procs files (cgroup_open_procs) */
	int ncgroup_fds;
	int out_fd;             /* the command's stdout and stderr (>= 3) */
};

/*
 * process_enter - start @r's command in the container of @r->reaper: opens
 * /proc/REAPER/ns/{cgroup,ipc,uts,net,pid,mnt} and /proc/REAPER/root
 * here (a kernel without cgroup namespaces: that one is skipped) and
 * forks the intermediate of nsexec.h. Returns its pid, which exits as the
 * command did (its status, or killed by its signal; 127 when it could
 * not be started, the reason as the last line of its output); SIGKILL to
 * it kills the command. -errno with @e set when nothing was started
 * ("open /proc/42/ns/net: No such file or directory": the reaper is
 * gone). The caller keeps its fds (closes @out_fd after this).
 */
pid_t process_enter(const struct enter_req *r, struct err *e);

#endif
