/* SPDX-License-Identifier: MIT */
/* process: fork + exec, or clone into a container, with error reporting.
 * See process.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "exec.h"
#include "process.h"
#include "reaper.h"
#include "util.h"

/* process_oom_reset(): children write oom_score_adj 0 first */
static bool oom_reset;

static const char *const base_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/",
	"TERM=linux",
	NULL,
};

char **process_env(char *const *extra)
{
	size_t nb = ARRAY_SIZE(base_env) - 1, ne = 0, n = 0;
	char **env;

	while (extra && extra[ne])
		ne++;
	env = calloc(nb + ne + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < nb; i++) {
		size_t klen = strchr(base_env[i], '=') - base_env[i] + 1;
		bool overridden = false;

		for (size_t j = 0; j < ne; j++)
			if (!strncmp(extra[j], base_env[i], klen))
				overridden = true;
		if (!overridden)
			env[n++] = (char *)base_env[i];
	}
	for (size_t j = 0; j < ne; j++)
		env[n++] = extra[j];
	env[n] = NULL;
	return env;
}

int process_status(struct spawn_handle *h)
{
	ssize_t n;
	int ws;

	if (h->status_fd < 0)
		return -EBADF;
	do
		n = read(h->status_fd, &ws, sizeof(ws));    /* one atomic write */
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return -EAGAIN;
	close(h->status_fd);
	h->status_fd = -1;
	if (n != (ssize_t)sizeof(ws))
		return 0;
	h->wstatus = ws;
	h->has_status = true;
	return 1;
}

int process_reaped(struct spawn_handle *h, int wstatus)
{
	if (h->status_fd >= 0 && process_status(h) == -EAGAIN) {
		close(h->status_fd);    /* not possible once the reaper is gone */
		h->status_fd = -1;
	}
	if (h->has_status)
		wstatus = h->wstatus;
	h->has_status = false;
	return wstatus;
}

void process_release(struct spawn_handle *h)
{
	if (h->result_fd >= 0)
		close(h->result_fd);
	if (h->status_fd >= 0)
		close(h->status_fd);
	h->result_fd = h->status_fd = -1;
	h->has_status = false;
}

int process_result(int fd, struct err *e)
{
	struct err got;
	ssize_t n;

	do
		n = read(fd, &got, sizeof(got));    /* one atomic write: all or none */
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return -EAGAIN;
	if (n == 0)
		return 0;                           /* EOF: the exec happened */
	if (n < 0)
		return err_set(e, -errno, "the start's report");
	if (n != (ssize_t)sizeof(got))
		return err_setx(e, -EIO, "the start's report: %zd bytes", n);
	/* The child failed before exec and exits 127: reaped later. */
	if (err_received(&got) == 0)
		got.code = -EIO;
	if (e)
		*e = got;
	return got.code;
}

/* In the child of process_spawn(): the service (fork), or the container's
 * reaper (clone). The pipes: @ep error, @gp "go", @sp status; @skip: the
 * cgroup it was cloned into (index in @r->cgroup_fds), or -1. */
static void __attribute__((noreturn))
child(const struct spawn_req *r, const int ep[2], const int gp[2], const int sp[2],
      int skip)
{
	const struct child_req c = {
		.argv = r->argv, .env = r->env, .workdir = r->workdir,
		.has_user = r->has_user, .uid = r->uid, .gid = r->gid,
		.out_fd = r->out_fd, .console = r->console,
		.cgroup_fds = r->cgroup_fds, .ncgroup_fds = r->ncgroup_fds,
		.cgroup_skip = skip, .conf = r->conf,
		.ready_fd = r->conf ? r->ready_fd : 0,
		.ready_wfd = r->ready_wfd, .notify = r->conf ? r->notify : NULL,
		.notify_at = PROCESS_NOTIFY_SOCKET,
	};

	close(ep[0]);
	if (oom_reset && child_oom_default() < 0)
		child_fail(ep[1], "oom_score_adj");
	if (!r->conf) {
		child_join_cgroups(&c, ep[1]);
		child_exec(&c, ep[1], -1);
	}
	close(gp[1]);
	close(sp[0]);
	reaper_start(&c, ep[1], gp[0], sp[1]);
}

void process_oom_reset(bool on)
{
	oom_reset = on;
}

bool process_oom_reset_on(void)
{
	return oom_reset;
}

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
	p[0] = p[1] = -1;
}

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#define SP_CLONE_INTO_CGROUP 0x200000000ull     /* linux/sched.h, 5.7 */

/* struct clone_args up to its cgroup field (CLONE_ARGS_SIZE_VER2) */
struct sp_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
		 stack_size, tls, set_tid, set_tid_size, cgroup;
};

/* clone(2) the container's reaper: into its cgroup v2 directory at once
 * where it has one and the kernel can, else plainly (the child joins). */
static pid_t clone_reaper(const struct spawn_req *r, const int ep[2], const int gp[2],
			  const int sp[2])
{
	unsigned long flags = container_clone_flags(r->conf);
	pid_t pid;

	if (r->cgroup_dir_of > 0) {
		struct sp_clone_args a = {
			.flags = flags | SP_CLONE_INTO_CGROUP, .exit_signal = SIGCHLD,
			.cgroup = (uint64_t)r->cgroup_dir,
		};

		pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
		if (pid == 0)
			child(r, ep, gp, sp, r->cgroup_dir_of - 1);
		if (pid > 0)
			return pid;
		/* ENOSYS, E2BIG (< 5.7), a cgroup it may not be cloned into */
	}
	pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		child(r, ep, gp, sp, -1);
	return pid;
}

int process_clone(const struct spawn_req *r, struct spawn_prep *p, struct err *e)
{
	int ep[2], gp[2] = { -1, -1 }, sp[2] = { -1, -1 };
	pid_t pid;

	err_clear(e);
	*p = SPAWN_PREP_NONE;
	container_caps_init();          /* once: every clone inherits it */
	/* noted before the clone: a change after it shows at "go" */
	if (r->ahead && (p->nids = container_note_sources(r->conf, &p->ids,
							   &p->mounts)) < 0) {
		int r_ = err_set(e, p->nids, "root or bind source");

		*p = SPAWN_PREP_NONE;
		return r_;
	}
	if (pipe2(ep, O_CLOEXEC) < 0) {
		int r_ = err_set(e, -errno, "pipe");

		process_discard(p);
		return r_;
	}
	if (pipe2(gp, O_CLOEXEC) < 0 || pipe2(sp, O_CLOEXEC) < 0) {
		int r_ = err_set(e, -errno, "pipe");

		close_pair(ep);
		close_pair(gp);
		process_discard(p);
		return r_;
	}
	container_expect_sources(p->ids);       /* the child's copy checks them */
	pid = clone_reaper(r, ep, gp, sp);
	container_expect_sources(NULL);
	if (pid < 0) {
		int r_ = err_set(e, -errno, "clone");

		close_pair(ep);
		close_pair(gp);
		close_pair(sp);
		process_discard(p);
		return r_;
	}
	close(ep[1]);
	close(gp[0]);
	close(sp[1]);
	p->pid = pid;
	p->err = ep[0];
	p->go = gp[1];
	p->status = sp[0];
	return 0;
}

void process_discard(struct spawn_prep *p)
{
	if (p->pid > 0)
		kill(p->pid, SIGKILL);  /* ours, not reaped yet: no other process */
	for (int *fd = &p->err; fd <= &p->status; fd++)
		if (*fd >= 0)
			close(*fd);
	free(p->ids);
	*p = SPAWN_PREP_NONE;
}

/* The child's report (a fork's or a released container's) on @ep: into
 * @h for an async spawn, else awaited. Returns 0 or -errno. */
static int report(const struct spawn_req *r, struct spawn_handle *h, int *ep,
		  struct err *e)
{
	int ret = 0;

	if (r->async && h) {
		/* the report comes later, through the caller's event loop */
		fcntl(*ep, F_SETFL, O_NONBLOCK);
		h->result_fd = *ep;
		*ep = -1;
	} else {
		ret = process_result(*ep, e);
	}
	return ret;
}

/* A release that failed (@ret): the child may have failed first (before
 * the sync point, its mounts: the network then finds it gone) and said
 * why on @err. That is the error to report, else @ret. */
static int own_report(int err, int ret, struct err *e)
{
	struct err mine;
	int r;

	fcntl(err, F_SETFL, O_NONBLOCK);
	r = process_result(err, &mine);
	if (r < 0 && r != -EAGAIN) {
		if (e)
			*e = mine;
		return r;
	}
	return ret;
}

pid_t process_go(const struct spawn_req *r, struct spawn_prep *p, struct spawn_handle *h,
		 struct err *e)
{
	pid_t pid = p->pid;
	int ret;

	err_clear(e);
	if (h)
		*h = (struct spawn_handle){ .pid = pid, .result_fd = -1, .status_fd = -1 };
	if (p->nids && container_sources_changed(r->conf, p->ids, p->nids, p->mounts)) {
		process_discard(p);     /* killed unstarted: the loop reaps it */
		if (h)
			h->pid = 0;
		return err_set(e, -ESTALE, "container cloned ahead: its root, a bind "
			       "source or a mount changed since");
	}
	ret = r->prepare ? r->prepare(pid, r->prepare_arg, e) : 0;
	if (ret < 0 && e && !e->code)
		err_set(e, ret, "prepare the container");
	/* without the byte (a closed pipe: EOF), the child leaves */
	if (ret == 0 && write(p->go, "", 1) != 1)
		ret = err_set(e, -errno, "start the container");
	close(p->go);
	p->go = -1;
	if (ret < 0)
		ret = own_report(p->err, ret, e);
	if (ret == 0)
		ret = report(r, h, &p->err, e);
	if (ret < 0) {          /* the child exits 127 at once: leave nothing behind */
		waitpid(pid, NULL, 0);
		p->pid = 0;
		process_discard(p);
		if (h) {
			process_release(h);
			h->pid = 0;
		}
		return ret;
	}
	fcntl(p->status, F_SETFL, O_NONBLOCK);
	if (h) {
		h->status_fd = p->status;
		p->status = -1;
	}
	p->pid = 0;
	process_discard(p);
	return pid;
}

pid_t process_spawn(const struct spawn_req *r, struct spawn_handle *h, struct err *e)
{
	struct spawn_prep p;
	int ep[2], ret;
	pid_t pid;

	if (r->conf)
		return (ret = process_clone(r, &p, e)) < 0 ? ret : process_go(r, &p, h, e);
	err_clear(e);
	if (pipe2(ep, O_CLOEXEC) < 0)
		return err_set(e, -errno, "pipe");
	pid = fork();
	if (pid < 0) {
		ret = err_set(e, -errno, "fork");
		close_pair(ep);
		return ret;
	}
	if (pid == 0)
		child(r, ep, (int[2]){ -1, -1 }, (int[2]){ -1, -1 }, -1);
	close(ep[1]);
	ep[1] = -1;
	if (h)
		*h = (struct spawn_handle){ .pid = pid, .result_fd = -1, .status_fd = -1 };
	ret = report(r, h, &ep[0], e);
	if (ret < 0) {
		waitpid(pid, NULL, 0);
		if (h)
			h->pid = 0;
	}
	close_pair(ep);
	return ret < 0 ? ret : pid;
}

const char *process_exit_text(int ws, char *buf, size_t len)
{
	if (WIFEXITED(ws))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(ws));
	else if (WIFSIGNALED(ws))
		snprintf(buf, len, "killed by signal %d (%s)%s", WTERMSIG(ws),
			 strsignal(WTERMSIG(ws)),
			 WCOREDUMP(ws) ? ", core dumped" : "");
	else
		snprintf(buf, len, "ended with wait status 0x%x", ws);
	return buf;
}
