/* SPDX-License-Identifier: MIT */
/* process: fork + exec with error reporting. See process.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

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
	char what[12];
};

/* In the child: report @what/errno through @fd and exit. */
static void __attribute__((noreturn)) child_fail(int fd, const char *what)
{
	struct child_err ce = { .err = errno };

	snprintf(ce.what, sizeof(ce.what), "%s", what);
	(void)!write(fd, &ce, sizeof(ce));
	_exit(127);
}

static void __attribute__((noreturn)) child(const struct spawn_req *r, int errfd)
{
	sigset_t none;
	int fd;

	/* join the cgroups first: nothing runs outside the limits */
	for (int i = 0; i < r->ncgroup_fds; i++)
		if (write(r->cgroup_fds[i], "0", 1) < 0)
			child_fail(errfd, "cgroup");
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		child_fail(errfd, "sigmask");
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
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
	if (r->has_user) {
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

pid_t process_spawn(const struct spawn_req *r, const char **what)
{
	static char failed_step[12];
	struct child_err ce;
	int p[2];
	pid_t pid;
	ssize_t n;

	*what = "pipe";
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		*what = "fork";
		return -e;
	}
	if (pid == 0) {
		close(p[0]);
		child(r, p[1]);
	}
	close(p[1]);
	do
		n = read(p[0], &ce, sizeof(ce));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == (ssize_t)sizeof(ce)) {
		/* The child failed before exec and exits 127: reaped later. */
		memcpy(failed_step, ce.what, sizeof(failed_step));
		failed_step[sizeof(failed_step) - 1] = '\0';
		*what = failed_step;
		return -ce.err;
	}
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
