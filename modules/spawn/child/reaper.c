/* SPDX-License-Identifier: MIT */
/* reaper: PID 1 of a container's PID namespace. See reaper.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "fds.h"
#include "reaper.h"
#include "util.h"

/* The reaper's release pipe, its read end above 0-2 (closed in the reaper:
 * the service dup2s its stdio there). Returns 0 or -1 with errno set. */
static int release_pipe(int rel[2])
{
	int fd;

	if (pipe2(rel, O_CLOEXEC) < 0)
		return -1;
	if (rel[0] > 2)
		return 0;
	fd = fcntl(rel[0], F_DUPFD_CLOEXEC, 3);
	close(rel[0]);
	rel[0] = fd;
	return fd < 0 ? -1 : 0;
}

#define REAPER_ARGV0 "boxinit-reaper"

/*
 * The reaper leaves boxinit's memory: a fork of PID 1 holds every
 * service's configuration (environments with their secrets) and logs,
 * which a service granted sys_ptrace could read through /proc/1/mem. So,
 * its privileges dropped and the service forked but not yet released, it
 * executes boxinit's own binary (@exe, /proc/self/exe opened before the
 * mounts) afresh, with an empty environment: reaper_main() there.
 * @errfd, @stfd and @relfd (the release pipe) stay open across exec.
 */
static void __attribute__((noreturn))
reexec(int exe, pid_t svc, int errfd, int stfd, int relfd)
{
	char comm[17] = "", a[4][16];
	char *argv[] = { REAPER_ARGV0, comm, a[0], a[1], a[2], a[3], NULL };
	char *envp[] = { NULL };
	int fds[] = { errfd, stfd, relfd };

	(void)prctl(PR_GET_NAME, comm, 0, 0, 0);     /* kept: ps shows the same */
	snprintf(a[0], sizeof(a[0]), "%d", (int)svc);
	for (int i = 0; i < 3; i++) {
		snprintf(a[i + 1], sizeof(a[i + 1]), "%d", fds[i]);
		if (fcntl(fds[i], F_SETFD, 0) < 0)
			child_fail(errfd, "reaper: exec");
	}
	syscall(SYS_execveat, exe, "", argv, envp, AT_EMPTY_PATH);
	child_fail(errfd, "reaper: exec");
}

/* A decimal argument of reaper_main(), or -1. */
static int arg_int(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	return errno || end == s || *end || v < 0 || v > INT_MAX ? -1 : (int)v;
}

bool reaper_invoked(int argc, char **argv)
{
	return argc == 6 && !strcmp(argv[0], REAPER_ARGV0) && getpid() == 1;
}

/*
 * The reaper's last steps, in the re-executed image (or, for a dynamically
 * linked boxinit, in the fork itself): name, not dumpable, parent death
 * signal, release the service and reap.
 */
static void __attribute__((noreturn))
reaper_run(const char *comm, pid_t svc, int errfd, int stfd, int relfd)
{
	(void)prctl(PR_SET_NAME, comm, 0, 0, 0);
	/* exec made us dumpable again (and a uid change cleared the death
	 * signal before it): both set before the service may run */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		child_fail(errfd, "reaper: dumpable");
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		child_fail(errfd, "reaper: parent death signal");
	if (write(relfd, "", 1) != 1)
		child_fail(errfd, "release the service");
	close(relfd);
	/* the service holds the error pipe until exec: boxinit sees EOF then */
	close(errfd);
	reaper_loop(svc, stfd);
}

int reaper_main(int argc, char **argv)
{
	int svc = arg_int(argv[2]), errfd = arg_int(argv[3]);
	int stfd = arg_int(argv[4]), relfd = arg_int(argv[5]);

	if (argc != 6 || svc <= 0 || errfd < 0 || stfd < 0 || relfd < 0)
		return 127;
	reaper_run(argv[1], svc, errfd, stfd, relfd);
}

bool reaper_reexec(void)
{
	/* AT_BASE: where the kernel loaded the ELF interpreter, 0 without one */
	return getauxval(AT_BASE) == 0;
}

/*
 * The reaper's first steps, still in boxinit's view: every signal blocked
 * (each one waits for reaper_loop(), none is lost: a namespace's init
 * drops the ones it does not handle, and a stop sent before the service
 * exists would vanish), the cgroups joined, the cgroup namespace, every fd
 * but ours closed, the bounding set down to the service's (it limits only
 * what an exec may gain: the mounts still have CAP_SYS_ADMIN; done here,
 * it is done ahead when the container is cloned during a back-off).
 */
static void first_steps(const struct child_req *r, int errfd, int gofd, int stfd)
{
	int keep[] = { errfd, gofd, stfd, r->out_fd,
		       r->ready_fd >= 3 ? r->ready_wfd : -1 };
	struct err e;
	sigset_t all;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	child_join_cgroups(r, errfd);
	/* boxinit gone (a supervisor killed): the container goes too */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* after joining: the service's cgroup is the namespace's root */
	if (unshare(CLONE_NEWCGROUP) < 0 && errno != EINVAL)
		child_fail(errfd, "cgroup namespace");
	/* nothing of boxinit's (console, other services' pipes) stays open */
	fds_close_except(0, keep, ARRAY_SIZE(keep));
	if (container_drop_bounding(r->conf, &e) < 0)
		child_send(errfd, &e);
}

/*
 * The sync point: boxinit configures the container from outside (the
 * network namespace: veth, addresses) in spawn_req.prepare and sends one
 * byte on @gofd. EOF: it gave up, leave quietly. Then out of boxinit's
 * session and console.
 */
static void wait_for_go(int errfd, int gofd)
{
	ssize_t n;
	char go;

	while ((n = read(gofd, &go, 1)) < 0 && errno == EINTR)
		;
	if (n != 1)
		_exit(127);
	close(gofd);
	if (setsid() < 0)
		child_fail(errfd, "setsid");
}

/* Into the container (container_enter); *@exe: boxinit's binary for the
 * re-exec, opened first (below, /proc is the container's). */
static void enter(const struct child_req *r, int errfd, int *exe)
{
	struct err e;

	if (reaper_reexec()) {
		/* openat: musl's open() adds an fcntl per O_CLOEXEC */
		*exe = openat(AT_FDCWD, "/proc/self/exe", O_PATH | O_CLOEXEC);
		if (*exe < 0)
			child_fail(errfd, "reaper: /proc/self/exe");
	}
	if (container_notify(r->notify, r->notify_at, &e) < 0 ||
	    container_enter(r->conf, &e) < 0)
		child_send(errfd, &e);
	if (e.msg[0] && r->out_fd >= 0)  /* a warning: into the service's log */
		(void)!dprintf(r->out_fd, "boxinit: %s\n", e.msg);
}

void reaper_start(const struct child_req *r, int errfd, int gofd, int stfd)
{
	struct err e;
	int rel[2], exe = -1;
	pid_t svc;

	first_steps(r, errfd, gofd, stfd);
	/* the mounts, before "go": side by side with boxinit building the
	 * network of a fresh start, during the back-off for one cloned
	 * ahead. Whether what they came from changed meanwhile is
	 * boxinit's to check before it sends "go" (container_note_sources). */
	enter(r, errfd, &exe);
	/* once, for both: the service inherits it, as it does the bounding
	 * set. The filter is the service's for both (installed with
	 * CAP_SYS_ADMIN still held: no no_new_privs needed yet); all the
	 * service's code up to its exec runs under it, and so does the
	 * reaper from here on: nothing after "go" needs what it denies. */
	if (container_seccomp(r->conf, &e) < 0)
		child_send(errfd, &e);
	wait_for_go(errfd, gofd);
	signal(SIGCHLD, SIG_DFL);
	if (release_pipe(rel) < 0)
		child_fail(errfd, "pipe");
	svc = fork();
	if (svc < 0)
		child_fail(errfd, "fork");
	if (svc == 0) {
		close(stfd);
		close(rel[1]);
		child_exec(r, errfd, rel[0]);
	}
	close(rel[0]);
	if (r->ready_fd >= 3)
		close(r->ready_wfd);    /* the service's alone: EOF when it closes */
	/* no more than the service, before it can exec (and ptrace us) */
	if (container_drop_reaper(r->conf, &e) < 0)
		child_send(errfd, &e);          /* the namespace dies with us */
	if (r->out_fd >= 0)
		close(r->out_fd);
	if (exe < 0) {
		char comm[17] = "";

		(void)prctl(PR_GET_NAME, comm, 0, 0, 0);
		reaper_run(comm, svc, errfd, stfd, rel[1]);
	}
	reexec(exe, svc, errfd, stfd, rel[1]);
}

void reaper_loop(pid_t svc, int status_fd)
{
	siginfo_t si;
	sigset_t all;
	pid_t pid;
	int ws;

	sigfillset(&all);
	for (;;) {
		if (sigwaitinfo(&all, &si) < 0)
			continue;
		if (si.si_signo != SIGCHLD) {
			/* stop signals (and any other) go to the service */
			kill(svc, si.si_signo);
			continue;
		}
		while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
			if (pid != svc)
				continue;       /* an orphan: reaped, nothing more */
			(void)!write(status_fd, &ws, sizeof(ws));
			_exit(WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws));
		}
	}
}
