/* SPDX-License-Identifier: MIT */
/* signals: the blocked set and its signalfd. See signals.h. */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <sys/signalfd.h>

#include "signals.h"

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
	/* A write to a closed pipe must be an error, not our death. */
	signal(SIGPIPE, SIG_IGN);
	return fd;
}
