/* SPDX-License-Identifier: MIT */
/* shutdown: the last steps of PID 1, after every service has stopped. */
#ifndef BOXINIT_SHUTDOWN_H
#define BOXINIT_SHUTDOWN_H

/* the shutdown's grace: SIGKILL this long after the largest stop_timeout */
#define SHUTDOWN_GRACE_MS 1000u

/*
 * shutdown_final - SIGKILL whatever is left, reap it (bounded by 1 s),
 * sync, unmount, and reboot(2) with @cmd (RB_AUTOBOOT, RB_POWER_OFF,
 * RB_HALT_SYSTEM). @sigfd is the signalfd used to wait for SIGCHLD.
 * Never returns: if reboot(2) fails, it logs and waits forever.
 */
void shutdown_final(int cmd, int sigfd) __attribute__((noreturn));

/* shutdown_verb - "reboot", "power off" or "halt" for @cmd. */
const char *shutdown_verb(int cmd);

#endif
