/* SPDX-License-Identifier: MIT */
/* shutdown: kill, reap, sync, unmount, reboot(2). See shutdown.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot.h"
#include "log.h"
#include "mount.h"
#include "shutdown.h"
#include "util.h"

const char *shutdown_verb(int cmd)
{
	switch (cmd) {
	case RB_POWER_OFF:   return "power off";
	case RB_HALT_SYSTEM: return "halt";
	default:             return "reboot";
	}
}

/* Reap every child; wait for SIGCHLD on @sigfd up to @ms in total. */
static void reap_all(int sigfd, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	for (;;) {
		struct signalfd_siginfo si;
		struct pollfd pfd = { .fd = sigfd, .events = POLLIN };
		uint64_t now;
		int st;
		pid_t pid;

		while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
			;
		if (pid < 0 && errno == ECHILD)
			return;
		now = now_ms();
		if (now >= end)
			return;
		if (poll(&pfd, 1, (int)(end - now)) > 0)
			while (read(sigfd, &si, sizeof(si)) > 0)
				;
	}
}

void shutdown_final(int cmd, int sigfd)
{
	if (kill(-1, SIGKILL) < 0 && errno != ESRCH)
		log_warn("kill -1: %s", strerror(errno));
	reap_all(sigfd, 1000);
	sync();
	unmount_all(boot_is_machine_init());
	sync();
	log_info("%s", cmd == RB_POWER_OFF ? "powering off" :
		       cmd == (int)RB_HALT_SYSTEM ? "halting" : "rebooting");
	log_drain(1000);
	reboot(cmd);
	log_err("reboot(2): %s", strerror(errno));
	log_drain(1000);
	for (;;)
		pause();
}
