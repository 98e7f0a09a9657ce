/* SPDX-License-Identifier: MIT */
/* enter: a command inside a running container. See enter.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "enter.h"
#include "nsexec.h"
#include "process.h"

static void close_all(struct nsexec_req *c)
{
	for (int i = 0; i < NSEXEC_NS_MAX; i++)
		if (c->ns_fd[i] >= 0)
			close(c->ns_fd[i]);
	if (c->root_fd >= 0)
		close(c->root_fd);
}

/* /proc/@pid/ns/... and /proc/@pid/root into @c. Returns 0 or -errno. */
static int open_container(pid_t pid, struct nsexec_req *c, struct err *e)
{
	char p[64];

	for (int i = 0; i < NSEXEC_NS_MAX; i++) {
		snprintf(p, sizeof(p), "/proc/%d/ns/%s", (int)pid, nsexec_ns[i].name);
		c->ns_fd[i] = open(p, O_RDONLY | O_CLOEXEC);
		/* a kernel without cgroup namespaces (before 4.6) */
		if (c->ns_fd[i] < 0 && errno == ENOENT && i == 0 &&
		    access("/proc/self/ns/cgroup", F_OK) < 0)
			continue;
		if (c->ns_fd[i] < 0)
			return err_set(e, -errno, "open %s", p);
	}
	snprintf(p, sizeof(p), "/proc/%d/root", (int)pid);
	c->root_fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return c->root_fd < 0 ? err_set(e, -errno, "open %s", p) : 0;
}

pid_t process_enter(const struct enter_req *r, struct err *e)
{
	struct nsexec_req c = {
		.argv = r->argv, .env = r->env, .workdir = r->workdir,
		.conf = r->conf, .parent = getpid(), .root_fd = -1,
		.cgroup_fds = r->cgroup_fds, .ncgroup_fds = r->ncgroup_fds,
		.out_fd = r->out_fd, .oom_reset = process_oom_reset_on(),
	};
	pid_t pid = -1;
	int ret;

	err_clear(e);
	for (int i = 0; i < NSEXEC_NS_MAX; i++)
		c.ns_fd[i] = -1;
	if (r->reaper <= 0 || r->out_fd < 3 || !r->conf)
		ret = err_setx(e, -EINVAL, "no container to enter");
	else
		ret = open_container(r->reaper, &c, e);
	if (ret == 0 && (pid = fork()) < 0)
		ret = err_set(e, -errno, "fork");
	if (pid == 0)
		child_nsexec(&c);
	close_all(&c);
	return ret < 0 ? ret : pid;
}
