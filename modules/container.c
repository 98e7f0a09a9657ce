/* SPDX-License-Identifier: MIT */
/* container: namespaces, hostname, the reaper. See container.h. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot.h"
#include "container.h"

unsigned long container_clone_flags(const struct svc_conf *c)
{
	unsigned long f = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;

	if (c->net != NET_HOST)
		f |= CLONE_NEWNET;
	return f;
}

int container_enter(const struct svc_conf *c, char *what)
{
	const char *host = c->hostname ? c->hostname : c->name;
	int r = container_setup_fs(c, what);

	if (r < 0)
		return r;
	if (sethostname(host, strlen(host)) < 0) {
		strcpy(what, "hostname");
		return -errno;
	}
	if (c->net != NET_HOST && (r = boot_loopback()) < 0) {
		strcpy(what, "loopback");
		return r;
	}
	return 0;
}

void container_reap(pid_t svc, int status_fd)
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
