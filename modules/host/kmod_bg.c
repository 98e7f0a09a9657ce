/* SPDX-License-Identifier: MIT */
/* kmod_bg: the boot's modules loaded by a child. See kmod_bg.h. */
#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmod.h"
#include "kmod_bg.h"
#include "log.h"
#include "timeline.h"

#define KMOD_BG_FLUSH_MS 2000   /* the child's last log lines, at most */

/* In the child: load, report, exit. */
static void __attribute__((noreturn)) child(char *const *names, int fd)
{
	size_t first = timeline_count();
	int failed;

	log_forget();           /* PID 1's queued console bytes are PID 1's */
	failed = kmod_load_list(NULL, names);

	for (size_t i = first; i < timeline_count(); i++) {
		const struct tl_entry *e = timeline_get(i);

		/* a short write loses entries, not the modules: ignored */
		if (write(fd, e, sizeof(*e)) != (ssize_t)sizeof(*e))
			break;
	}
	close(fd);
	log_drain(KMOD_BG_FLUSH_MS);
	_exit(failed ? 1 : 0);
}

pid_t kmod_bg_start(char *const *names, int *fd)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (pid == 0) {
		close(p[0]);
		child(names, p[1]);
	}
	close(p[1]);
	*fd = p[0];
	return pid;
}

int kmod_bg_finish(int fd, int wstatus)
{
	struct tl_entry e;

	/* the child has exited: what it wrote is all there, then EOF */
	while (read(fd, &e, sizeof(e)) == (ssize_t)sizeof(e)) {
		e.name[sizeof(e.name) - 1] = '\0';
		timeline_add(&e);
	}
	close(fd);
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus) == 0 ? 0 : -EIO;
	log_err("modules: the loader (a child of boxinit) %s %d: the modules after it "
		"may be missing", WIFSIGNALED(wstatus) ? "was killed by signal" : "ended with status",
		WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : wstatus);
	return -ECHILD;
}
