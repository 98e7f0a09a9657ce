/* SPDX-License-Identifier: MIT */
/* exec: the service's side of a spawn, up to execve(2). See exec.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "container.h"
#include "exec.h"
#include "util.h"

extern char **environ;

void child_send(int fd, const struct err *e)
{
	struct err out = *e;

	if (out.code >= 0)
		out.code = -EIO;
	(void)!write(fd, &out, sizeof(out));
	_exit(127);
}

void child_fail(int fd, const char *fmt, ...)
{
	char what[ERR_MSG_MAX];
	int code = errno ? -errno : -EIO;
	struct err e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	err_set(&e, code, "%s", what);
	child_send(fd, &e);
}

void child_join_cgroups(const struct child_req *r, int errfd)
{
	for (int i = 0; i < r->ncgroup_fds; i++)
		if (i != r->cgroup_skip && write(r->cgroup_fds[i], "0", 1) < 0)
			child_fail(errfd, "cgroup");
}

int child_oom_default(void)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "0", 1) != 1)
		r = -errno;
	close(fd);
	return r;
}

/*
 * In a container's service: wait until the reaper has dropped its own
 * privileges (one byte on @relfd), so that the service's code never runs
 * beside a reaper holding more than it; EOF: the reaper failed and has
 * reported why, leave quietly.
 */
static void wait_for_reaper(int relfd)
{
	ssize_t n;
	char b;

	while ((n = read(relfd, &b, 1)) < 0 && errno == EINTR)
		;
	if (n != 1)
		_exit(127);
	close(relfd);
}

/* stdin, stdout, stderr: the console as controlling tty, or /dev/null and
 * boxinit's pipe */
static void stdio(const struct child_req *r, int errfd)
{
	int fd;

	if (r->console) {
		fd = open(r->console, O_RDWR | O_NOCTTY);
		if (fd < 0)
			child_fail(errfd, "console %s", r->console);
		if (ioctl(fd, TIOCSCTTY, 1) < 0)
			child_fail(errfd, "console %s: TIOCSCTTY", r->console);
		if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			child_fail(errfd, "dup2");
	} else {
		fd = open("/dev/null", O_RDONLY);
		if (fd < 0)
			child_fail(errfd, "open /dev/null");
		if (dup2(fd, 0) < 0 || dup2(r->out_fd, 1) < 0 ||
		    dup2(r->out_fd, 2) < 0)
			child_fail(errfd, "dup2");
	}
	if (fd > 2)
		close(fd);
}

/*
 * ready = fd:N (the s6 protocol): the readiness pipe's write end becomes
 * fd N of the service, open across exec. What held N goes: the error
 * pipe, which must reach exec, moves first; anything else there (the
 * output pipe's original, the reaper's binary) is close-on-exec and
 * replaced. Returns the error pipe's fd.
 */
static int ready_fd(const struct child_req *r, int errfd)
{
	int n = r->ready_fd, moved;

	if (n < 3)
		return errfd;
	if (errfd == n) {
		moved = fcntl(errfd, F_DUPFD_CLOEXEC, 3);
		if (moved < 0)
			child_fail(errfd, "ready = fd:%d", n);
		errfd = moved;          /* fd N itself is replaced below */
	}
	if (r->ready_wfd == n ? fcntl(n, F_SETFD, 0) < 0 : dup2(r->ready_wfd, n) < 0)
		child_fail(errfd, "ready = fd:%d", n);
	return errfd;
}

void child_exec(const struct child_req *r, int errfd, int relfd)
{
	struct err e;
	sigset_t none;

	sigemptyset(&none);
	/* boxinit's one disposition that is not SIG_DFL (it installs no
	 * handler): SIG_IGN would survive the exec */
	signal(BOXINIT_SIG_IGNORED, SIG_DFL);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		child_fail(errfd, "sigmask");
	if (setsid() < 0)
		child_fail(errfd, "setsid");
	stdio(r, errfd);
	if (chdir(r->workdir ? r->workdir : "/") < 0)
		child_fail(errfd, "chdir %s", r->workdir ? r->workdir : "/");
	if (r->conf) {
		/* the seccomp filter is the reaper's, inherited at the fork */
		if (container_drop_privs(r->conf, &e) < 0)
			child_send(errfd, &e);
		wait_for_reaper(relfd);
	} else if (r->has_user) {
		if (setgroups(0, NULL) < 0)
			child_fail(errfd, "setgroups");
		if (setgid(r->gid) < 0)
			child_fail(errfd, "setgid");
		if (setuid(r->uid) < 0)
			child_fail(errfd, "setuid");
	}
	errfd = ready_fd(r, errfd);
	environ = (char **)r->env;
	execvp(r->argv[0], r->argv);
	child_fail(errfd, "exec %s", r->argv[0]);
}
