/* SPDX-License-Identifier: MIT */
/*
 * signals: every signal boxinit acts on is blocked and read from one
 * signalfd, so nothing runs in signal-handler context. The map follows
 * busybox init: SIGTERM reboot, SIGINT (Ctrl-Alt-Del) reboot, SIGUSR1
 * halt, SIGUSR2 power off, SIGHUP reload, SIGCHLD reap.
 */
#ifndef BOXINIT_SIGNALS_H
#define BOXINIT_SIGNALS_H

#include <signal.h>

/*
 * signals_block - block the handled signals and return a signalfd for them
 * (non-blocking, close-on-exec), or -errno; every disposition SIG_DFL but
 * BOXINIT_SIG_IGNORED's (SIG_IGN). Children get an empty mask and that
 * one disposition back before exec (spawn/child/exec.c).
 */
int signals_block(void);

#endif
