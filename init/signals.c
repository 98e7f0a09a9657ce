/* SPDX-License-Identifier: MIT */
/* signals: the blocked set and its signalfd. See signals.h. */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <sys/signalfd.h>

#include "signals.h"
#include "util.h"

int signals_block(void)
{
	static const int handled[] = {
		SIGCHLD, SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGHUP, SIGPWR,
	};
	sigset_t set;
	int fd;

	sigemptyset(&set);
	for (unsigned i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(&set, handled[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Nothing ignored but what we ignore (a supervisor started by
	 * nohup would drop SIGHUP, and its services inherit SIG_IGN): the
	 * children reset only BOXINIT_SIG_IGNORED. musl refuses its own
	 * internal signals (EINVAL): they stay as they are. */
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	/* A write to a closed pipe must be an error, not our death. */
	signal(BOXINIT_SIG_IGNORED, SIG_IGN);
	return fd;
}
