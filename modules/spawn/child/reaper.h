/* SPDX-License-Identifier: MIT */
/*
 * reaper: PID 1 of a container's PID namespace, the child that
 * process_spawn() clones. It runs boxinit's code and never execs a
 * program of the service's:
 *
 *   reaper_start   joins the cgroups, unshares the cgroup namespace,
 *                  drops the bounding set to the service's, enters the
 *                  container (container_enter: mounts, root, hostname,
 *                  lo), installs the service's seccomp filter (the
 *                  service inherits both), waits for boxinit's "go"
 *                  byte, forks the service (child_exec,
 *                  exec.h), drops to no more than the service, then,
 *                  for a statically linked
 *                  boxinit, re-executes boxinit's binary (argv[0]
 *                  "boxinit-reaper") so that nothing of PID 1's memory
 *                  stays in the container
 *   reaper_main    that re-executed image: not dumpable, parent death
 *                  signal, releases the service, reaps
 *   reaper_loop    forwards signals to the service, reaps everything,
 *                  reports the service's wait status on the status pipe
 *
 * Follows pid_namespaces(7) (a namespace's init only gets the signals it
 * handles; it dies with SIGKILL from an ancestor), prctl(2) and
 * execveat(2). Failures before the service execs go back to boxinit
 * through the error pipe (child_fail); nothing here logs.
 */
#ifndef BOXINIT_REAPER_H
#define BOXINIT_REAPER_H

#include <stdbool.h>
#include <sys/types.h>

#include "exec.h"

/*
 * reaper_start - the cloned child of process_spawn() for a container
 * (@r->conf set): fds @errfd error pipe (write end), @gofd "go" pipe
 * (read end; EOF: boxinit gave up, _exit(127) quietly), @stfd status
 * pipe (write end). Never returns.
 */
void reaper_start(const struct child_req *r, int errfd, int gofd, int stfd)
	__attribute__((noreturn));

/*
 * reaper_invoked - whether boxinit was executed as a container's reaper
 * (argv[0] "boxinit-reaper", 6 arguments, PID 1 of its pid namespace).
 * reaper_main - then main(): argv = boxinit-reaper COMM SVC ERRFD
 * STATUSFD RELEASEFD. Sets the name COMM, not dumpable, the parent death
 * signal, releases the service (one byte on RELEASEFD) and reaps
 * (reaper_loop); does not return unless its arguments are wrong (127).
 */
bool reaper_invoked(int argc, char **argv);
int reaper_main(int argc, char **argv);

/*
 * reaper_reexec - whether reapers re-execute boxinit: only a statically
 * linked boxinit (no ELF interpreter, getauxval(AT_BASE) == 0) can, since
 * a container's root has no dynamic loader. A dynamically linked build
 * (the sanitizer build of the tests) keeps the reaper a fork of boxinit:
 * a service granted sys_ptrace could read a copy of PID 1's memory there.
 * The shipped musl build is static.
 */
bool reaper_reexec(void);

/*
 * reaper_loop - PID 1 of the container, parent of the service @svc.
 * Every signal but SIGCHLD must be blocked by the caller (they are
 * received with sigwaitinfo(2) and forwarded to @svc); every child is
 * reaped. When @svc ends, its wait status (an int, as from waitpid(2))
 * is written to @status_fd and the reaper exits with the service's exit
 * code, or 128 + signal: as PID 1 of a namespace it cannot die by the
 * service's signal itself (pid_namespaces(7): only SIGKILL or SIGSTOP
 * from an ancestor namespace), so the exact status travels through
 * @status_fd. The kernel then kills whatever is left in the namespace.
 */
void reaper_loop(pid_t svc, int status_fd) __attribute__((noreturn));

#endif
