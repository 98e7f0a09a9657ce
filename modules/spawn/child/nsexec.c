/* SPDX-License-Identifier: MIT */
/* nsexec: a command inside a running container. See nsexec.h. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "fds.h"
#include "exec.h"
#include "nsexec.h"

extern char **environ;

const struct nsexec_ns nsexec_ns[NSEXEC_NS_MAX] = {
	{ "cgroup", CLONE_NEWCGROUP }, { "ipc", CLONE_NEWIPC },
	{ "uts", CLONE_NEWUTS }, { "net", CLONE_NEWNET },
	{ "pid", CLONE_NEWPID }, { "mnt", CLONE_NEWNS },
};

/* "STEP: strerror" on stderr (the command's output), exit 127. */
static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	char what[160];
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	(void)!dprintf(2, "%s: %s\n", what, strerror(err));
	_exit(127);
}

static void __attribute__((noreturn)) fail_err(const struct err *e)
{
	(void)!dprintf(2, "%s\n", e->msg);
	_exit(127);
}

/* In the intermediate, entered: become what the service is before any
 * process of the container can see us (the command, pid N of its pid
 * namespace, is forked only after): stdin, working directory, its user,
 * capabilities and no_new_privs, its seccomp filter. A fork of boxinit
 * with boxinit's capabilities is never visible inside the container. */
static void become_the_service(const struct nsexec_req *r)
{
	const char *dir = r->workdir ? r->workdir : "/";
	struct err e;
	int fd;

	fd = open("/dev/null", O_RDONLY);       /* fd 0 is free: it lands there */
	if (fd < 0)
		fail("open /dev/null");
	if (fd != 0 && (dup2(fd, 0) < 0 || close(fd) < 0))
		fail("dup2");
	if (chdir(dir) < 0)
		fail("chdir %s", dir);
	if (container_drop_privs(r->conf, &e) < 0)
		fail_err(&e);
	/* the uid change cleared the parent death signal and reset
	 * dumpable to fs.suid_dumpable: we are still boxinit's copy */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != r->parent ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		_exit(127);
	if (container_seccomp(r->conf, &e) < 0)
		fail_err(&e);
}

/* The command: pid N of the container's pid namespace, already the
 * service's user with its capabilities and filter. */
static void __attribute__((noreturn)) command(const struct nsexec_req *r)
{
	sigset_t none;

	if (setsid() < 0)
		fail("setsid");
	/* the intermediate lives outside our pid namespace (getppid() 0)
	 * until it dies and we are re-parented */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		fail("parent death signal");
	if (getppid() != 0)
		_exit(127);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		fail("sigmask");
	environ = (char **)r->env;
	execvp(r->argv[0], r->argv);
	fail("exec %s", r->argv[0]);
}

/* Into the service's namespaces and root. */
static void enter(const struct nsexec_req *r)
{
	for (int i = 0; i < NSEXEC_NS_MAX; i++) {
		if (r->ns_fd[i] < 0)
			continue;
		if (setns(r->ns_fd[i], nsexec_ns[i].type) < 0)
			fail("setns %s", nsexec_ns[i].name);
		close(r->ns_fd[i]);
	}
	if (fchdir(r->root_fd) < 0 || chroot(".") < 0)
		fail("chroot into the container's root");
	close(r->root_fd);
}

/* Wait for @pid (its own process group: it called setsid) and leave the
 * way it did. SIGTERM (boxinit: the check's timeout) kills the group; so
 * does the command's end: nothing it started outlives it. SIGTERM and
 * SIGCHLD are blocked since before the fork (sigwaitinfo takes them). */
static void __attribute__((noreturn)) relay(pid_t pid, const sigset_t *wait)
{
	siginfo_t si;
	sigset_t one;
	int ws;

	for (;;) {
		si.si_signo = 0;
		if (sigwaitinfo(wait, &si) < 0 && errno != EINTR)
			_exit(127);
		if (si.si_signo == SIGTERM) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
		}
		/* ended? left a zombie (WNOWAIT): its pid, the group's id,
		 * cannot be taken by another process meanwhile */
		si.si_pid = 0;
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
			if (errno == EINTR)
				continue;
			_exit(127);
		}
		if (si.si_pid == pid)
			break;
	}
	kill(-pid, SIGKILL);            /* what it left in its group */
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			_exit(127);
	if (WIFSIGNALED(ws)) {
		signal(WTERMSIG(ws), SIG_DFL);
		sigemptyset(&one);
		sigaddset(&one, WTERMSIG(ws));
		sigprocmask(SIG_UNBLOCK, &one, NULL);
		raise(WTERMSIG(ws));    /* not dumpable: no core of boxinit's copy */
	}
	_exit(WIFEXITED(ws) ? WEXITSTATUS(ws) : 127);
}

void child_nsexec(const struct nsexec_req *r)
{
	int keep[NSEXEC_NS_MAX + 1], n = 0;
	sigset_t wait;
	pid_t pid;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != r->parent)
		_exit(127);
	/* a copy of boxinit's memory: nobody may read it */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		_exit(127);
	if (r->out_fd < 3 || dup2(r->out_fd, 1) < 0 || dup2(r->out_fd, 2) < 0)
		_exit(127);
	close(0);
	if (r->oom_reset && child_oom_default() < 0)
		fail("oom_score_adj");
	for (int i = 0; i < r->ncgroup_fds; i++)
		if (write(r->cgroup_fds[i], "0", 1) < 0)
			fail("cgroup");
	for (int i = 0; i < NSEXEC_NS_MAX; i++)
		keep[n++] = r->ns_fd[i];
	keep[n++] = r->root_fd;
	fds_close_except(3, keep, n);          /* the cgroup files and boxinit's own */
	signal(SIGCHLD, SIG_DFL);
	enter(r);
	become_the_service(r);
	sigemptyset(&wait);
	sigaddset(&wait, SIGCHLD);
	sigaddset(&wait, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &wait, NULL) < 0)
		fail("sigmask");
	pid = fork();
	if (pid < 0)
		fail("fork");
	if (pid == 0)
		command(r);
	/* the command alone holds its output: EOF when it is done */
	close(1);
	close(2);
	relay(pid, &wait);
}
