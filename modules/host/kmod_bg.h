/* SPDX-License-Identifier: MIT */
/*
 * kmod_bg: the boot's module list loaded by a child process, so that PID 1
 * goes on meanwhile with what does not need the modules (its event loop,
 * the watchdog, the services that use no network and bind nothing). The
 * child loads with kmod_load_list() and its log lines go where PID 1's do;
 * its timeline entries (one per module) come back on a pipe and join PID
 * 1's timeline once the child has exited.
 */
#ifndef BOXINIT_KMOD_BG_H
#define BOXINIT_KMOD_BG_H

#include <sys/types.h>

/*
 * kmod_bg_start - fork(2) a child that loads the NULL-terminated @names
 * (kmod_load_list(NULL, @names)), writes the timeline entries it made to
 * a pipe, flushes its log and exits 0 (every module loaded) or 1. Returns
 * the child's pid with *@fd the pipe's read end (O_CLOEXEC; the caller's,
 * closed by kmod_bg_finish()), or -errno of pipe2(2) or fork(2): then
 * nothing was started and the caller loads the modules itself.
 */
pid_t kmod_bg_start(char *const *names, int *fd);

/*
 * kmod_bg_finish - the child of kmod_bg_start() has exited with @wstatus:
 * the timeline entries it wrote on @fd (closed here) are added to this
 * process's (timeline_add()). Returns 0 when every module loaded, -EIO
 * when one did not (the child logged which and why), -ECHILD when the
 * child ended otherwise (killed: logged here).
 */
int kmod_bg_finish(int fd, int wstatus);

#endif
