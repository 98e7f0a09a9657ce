/* SPDX-License-Identifier: MIT */
/* process: fork + exec, or clone into a container, with error reporting.
 * See process.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "process.h"
#include "util.h"

extern char **environ;

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

struct child_err {
	int err;
	char what[CT_WHAT_MAX];
};

/* In the child: report @what/errno through @fd and exit. */
static void __attribute__((noreturn)) child_fail(int fd, const char *what)
{
	struct child_err ce = { .err = errno };

	snprintf(ce.what, sizeof(ce.what), "%s", what);
	(void)!write(fd, &ce, sizeof(ce));
	_exit(127);
}

/* join the cgroups first: nothing runs outside the limits */
static void join_cgroups(const struct spawn_req *r, int errfd)
{
	for (int i = 0; i < r->ncgroup_fds; i++)
		if (write(r->cgroup_fds[i], "0", 1) < 0)
			child_fail(errfd, "cgroup");
}

/* The service itself, in the child (plain) or the reaper's child. */
static void __attribute__((noreturn)) service(const struct spawn_req *r, int errfd)
{
	char what[CT_WHAT_MAX];
	sigset_t none;
	int fd;

	sigemptyset(&none);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		child_fail(errfd, "sigmask");
	if (setsid() < 0)
		child_fail(errfd, "setsid");
	if (r->console) {
		fd = open(r->console, O_RDWR | O_NOCTTY);
		if (fd < 0)
			child_fail(errfd, "console");
		if (ioctl(fd, TIOCSCTTY, 1) < 0)
			child_fail(errfd, "TIOCSCTTY");
		if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			child_fail(errfd, "dup2");
	} else {
		fd = open("/dev/null", O_RDONLY);
		if (fd < 0)
			child_fail(errfd, "/dev/null");
		if (dup2(fd, 0) < 0 || dup2(r->out_fd, 1) < 0 ||
		    dup2(r->out_fd, 2) < 0)
			child_fail(errfd, "dup2");
	}
	if (fd > 2)
		close(fd);
	if (chdir(r->workdir ? r->workdir : "/") < 0)
		child_fail(errfd, "chdir");
	if (r->conf) {
		int e = container_drop_privs(r->conf, what);

		errno = -e;
		if (e < 0)
			child_fail(errfd, what);
	} else if (r->has_user) {
		if (setgroups(0, NULL) < 0)
			child_fail(errfd, "setgroups");
		if (setgid(r->gid) < 0)
			child_fail(errfd, "setgid");
		if (setuid(r->uid) < 0)
			child_fail(errfd, "setuid");
	}
	environ = (char **)r->env;
	execvp(r->argv[0], r->argv);
	child_fail(errfd, "exec");
}

/* Close every fd but the @n in @keep (close_range(2), 5.9; else a loop). */
static void close_except(const int *keep, int n)
{
	unsigned lo = 0;

	for (;;) {
		unsigned next = ~0u;

		for (int i = 0; i < n; i++)
			if (keep[i] >= 0 && (unsigned)keep[i] >= lo &&
			    (unsigned)keep[i] < next)
				next = (unsigned)keep[i];
		if (next > lo && syscall(SYS_close_range, lo, next - 1, 0) < 0)
			for (unsigned fd = lo; fd < next && fd < 4096; fd++)
				close((int)fd);
		if (next == ~0u)
			return;
		lo = next + 1;
	}
}

/*
 * The container's reaper: PID 1 of its namespaces, in boxinit's code.
 * fds: @errfd error pipe, @gofd "go" pipe, @stfd status pipe.
 */
static void __attribute__((noreturn))
reaper(const struct spawn_req *r, int errfd, int gofd, int stfd)
{
	int keep[] = { errfd, gofd, stfd, r->out_fd };
	char what[CT_WHAT_MAX];
	sigset_t all;
	pid_t svc;
	char go;
	int e;

	/* every signal waits for container_reap(), none is lost: blocked from
	 * the start, since a namespace's init drops the ones it does not
	 * handle (a stop sent before the service exists would vanish) */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	join_cgroups(r, errfd);
	/* boxinit gone (a supervisor killed): the container goes too */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* after joining: the service's cgroup is the namespace's root */
	if (unshare(CLONE_NEWCGROUP) < 0 && errno != EINVAL)
		child_fail(errfd, "cgroup namespace");
	/* nothing of boxinit's (console, other services' pipes) stays open */
	close_except(keep, ARRAY_SIZE(keep));
	/*
	 * Sync point: boxinit configures the container from outside (the
	 * network namespace: veth, addresses) in spawn_req.prepare, then
	 * sends one byte. EOF: it gave up, leave quietly.
	 */
	while ((e = read(gofd, &go, 1)) < 0 && errno == EINTR)
		;
	if (e != 1)
		_exit(127);
	close(gofd);
	if (setsid() < 0)       /* out of boxinit's session and console */
		child_fail(errfd, "setsid");
	e = container_enter(r->conf, what);
	errno = -e;
	if (e < 0)
		child_fail(errfd, what);
	signal(SIGCHLD, SIG_DFL);
	svc = fork();
	if (svc < 0)
		child_fail(errfd, "fork");
	if (svc == 0) {
		close(stfd);
		service(r, errfd);
	}
	/* the service holds the error pipe until exec: boxinit sees EOF then */
	close(errfd);
	close(r->out_fd);
	container_reap(svc, stfd);
}

/* Status pipes of running containers: pid of the reaper -> read end. */
static struct reaper_fd {
	pid_t pid;
	int fd;
} *reapers;
static size_t nreapers;

static void remember(pid_t pid, int fd)
{
	struct reaper_fd *n = realloc(reapers, (nreapers + 1) * sizeof(*n));

	if (!n) {
		close(fd);      /* the exit code (128 + signal) will do */
		return;
	}
	reapers = n;
	reapers[nreapers++] = (struct reaper_fd){ pid, fd };
}

int process_reaped(pid_t pid, int wstatus)
{
	int ws;

	for (size_t i = 0; i < nreapers; i++) {
		if (reapers[i].pid != pid)
			continue;
		if (read(reapers[i].fd, &ws, sizeof(ws)) == (ssize_t)sizeof(ws))
			wstatus = ws;
		close(reapers[i].fd);
		reapers[i] = reapers[--nreapers];
		break;
	}
	return wstatus;
}

int process_result(int fd, const char **what)
{
	static char failed_step[CT_WHAT_MAX];
	struct child_err ce;
	ssize_t n;

	do
		n = read(fd, &ce, sizeof(ce));      /* one atomic write: all or none */
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return -EAGAIN;
	if (n != (ssize_t)sizeof(ce))
		return 0;
	/* The child failed before exec and exits 127: reaped later. */
	memcpy(failed_step, ce.what, sizeof(failed_step));
	failed_step[sizeof(failed_step) - 1] = '\0';
	*what = failed_step;
	return -ce.err;
}

pid_t process_spawn(const struct spawn_req *r, const char **what)
{
	int ep[2], gp[2] = { -1, -1 }, sp[2] = { -1, -1 };
	bool ct = r->conf != NULL;
	pid_t pid = -1;
	int e;

	*what = "pipe";
	if (pipe2(ep, O_CLOEXEC) < 0)
		return -errno;
	if (ct && (pipe2(gp, O_CLOEXEC) < 0 || pipe2(sp, O_CLOEXEC) < 0)) {
		e = -errno;
		goto out;
	}
	*what = ct ? "clone" : "fork";
	pid = ct ? syscall(SYS_clone, container_clone_flags(r->conf) | SIGCHLD,
			   0, 0, 0, 0)
		 : fork();
	if (pid < 0) {
		e = -errno;
		goto out;
	}
	if (pid == 0) {
		close(ep[0]);
		if (!ct) {
			join_cgroups(r, ep[1]);
			service(r, ep[1]);
		}
		close(gp[1]);
		close(sp[0]);
		reaper(r, ep[1], gp[0], sp[1]);
	}
	close(ep[1]);
	ep[1] = -1;
	e = 0;
	if (ct) {
		close(gp[0]);
		close(sp[1]);
		gp[0] = sp[1] = -1;
		/* the sync point: the container exists, nothing runs in it yet */
		if (r->prepare)
			e = r->prepare(pid, r->prepare_arg, what);
		if (e == 0 && write(gp[1], "", 1) != 1) {
			e = -errno;
			*what = "start container";
		}
		close(gp[1]);           /* without the byte: the child leaves */
		gp[1] = -1;
	}
	if (e == 0 && r->result_fd) {
		/* the report comes later, through the caller's event loop */
		fcntl(ep[0], F_SETFL, O_NONBLOCK);
		*r->result_fd = ep[0];
		ep[0] = -1;
	} else if (e == 0) {
		e = process_result(ep[0], what);
	}
	if (e < 0)      /* the child exits 127 at once: leave nothing behind */
		waitpid(pid, NULL, 0);
	else if (ct) {
		fcntl(sp[0], F_SETFL, O_NONBLOCK);
		remember(pid, sp[0]);
		sp[0] = -1;
	}
out:
	for (int *fd = ep; fd < ep + 2; fd++)
		if (*fd >= 0)
			close(*fd);
	for (int i = 0; i < 2; i++) {
		if (gp[i] >= 0)
			close(gp[i]);
		if (sp[i] >= 0)
			close(sp[i]);
	}
	if (e < 0)
		return e;
	*what = NULL;
	return pid;
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
