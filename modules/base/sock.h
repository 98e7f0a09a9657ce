/* SPDX-License-Identifier: MIT */
/*
 * sock: AF_UNIX sockets that services can write to (the notify socket,
 * the control socket), read and closed so that a service's passed files
 * never die in boxinit.
 *
 * A file descriptor passed with SCM_RIGHTS (unix(7)) that boxinit does
 * not take is released by the kernel in the receiving process: on recv(2)
 * without room for it, and when boxinit closes a socket whose queue still
 * holds it. Its last close then runs in PID 1, and some closes block: a
 * TCP socket with SO_LINGER and unsent data waits out the linger time, and
 * PID 1 blocks its signals, so nothing cuts the wait short: no reaping, no
 * watchdog pets. So boxinit refuses passed files where the kernel can
 * (SO_PASSRIGHTS, Linux 6.16), and elsewhere takes every passed file
 * (a control buffer for SCM_MAX_FD of them) and lets a throwaway child
 * close them: their last reference dies there, never in PID 1.
 */
#ifndef BOXINIT_SOCK_H
#define BOXINIT_SOCK_H

#include <stddef.h>
#include <sys/types.h>

/*
 * sock_refuse_fds - SO_PASSRIGHTS 0 on @fd (a bound datagram socket, a
 * listener or an accepted connection): a sender's SCM_RIGHTS then fails
 * with EPERM in the sender. Returns 0, or -errno: -ENOPROTOOPT before
 * Linux 6.16, where sock_recv() and sock_close() alone keep boxinit safe.
 */
int sock_refuse_fds(int fd);

/*
 * sock_recv - recv(2) of up to @len bytes into @buf with @flags (MSG_TRUNC,
 * MSG_DONTWAIT, ...), through recvmsg(2) with a control buffer: every
 * passed file is received and handed to sock_drop_fds(), none stays with
 * the caller. Returns what recv() returns (-1 with errno set).
 */
ssize_t sock_recv(int fd, void *buf, size_t len, int flags);

/*
 * sock_close - close @fd (a socket of the above kind; -1: nothing) without
 * the kernel releasing queued passed files here: shutdown(2) first (the
 * peer's sends fail from then on, EPIPE). A datagram socket's queue is
 * then read to its end with sock_recv() (EAGAIN) and @fd closed; a
 * connection (SOCK_SEQPACKET, SOCK_STREAM) reads 0 both at its end and at
 * a zero-length message, which may carry files, so it goes to
 * sock_drop_fds() (a fork): use it for connections from peers that are
 * not trusted, plain close(2) for the others. A non-socket (a pipe) is
 * just closed.
 */
void sock_close(int fd);

/*
 * sock_drop_fds - dispose of @n (<= 253, SCM_MAX_FD) passed file
 * descriptors @fds: sockets among them get SO_LINGER 0 (closed at once,
 * with a reset), then a forked child that keeps only them (every other
 * fd closed first, its oom_score_adj back to 0) holds them while this
 * process closes its copies; only then (SIGUSR2 to the child, blocked in
 * the caller for the duration) does the child close them and exit, so
 * the last close, the one that may block, is always the child's (the
 * caller's loop reaps it like any child; a close that blocks blocks it,
 * for the linger time at most). When fork(2) fails they are closed here.
 * Returns the number of fds (@n).
 */
int sock_drop_fds(const int *fds, int n);

#endif
