/* SPDX-License-Identifier: MIT */
/* sock: passed files never close in boxinit. See sock.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fds.h"
#include "sock.h"

#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83        /* asm-generic/socket.h, Linux 6.16 */
#endif
#define SOCK_SCM_MAX_FD 253     /* SCM_MAX_FD, include/net/scm.h */
#define SOCK_DRAIN_MAX  4096    /* messages read by sock_close(), at most */
#define SOCK_GATE_SIG   SIGUSR2 /* "our copies are closed": to the child */

int sock_refuse_fds(int fd)
{
	int off = 0;

	return setsockopt(fd, SOL_SOCKET, SO_PASSRIGHTS, &off, sizeof(off)) < 0 ? -errno : 0;
}

int sock_drop_fds(const int *fds, int n)
{
	struct linger now = { .l_onoff = 1, .l_linger = 0 };
	sigset_t gate, was;
	int sig;
	pid_t pid;

	for (int i = 0; i < n; i++)     /* ENOTSOCK for the others */
		setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &now, sizeof(now));
	/* The last close runs the release, so the child's must come after
	 * ours: it waits for SOCK_GATE_SIG, sent once our copies are gone
	 * (blocked here first, so the child is born with it blocked and a
	 * signal sent early stays pending; no fd needed, so EMFILE cannot
	 * break it). */
	sigemptyset(&gate);
	sigaddset(&gate, SOCK_GATE_SIG);
	sigprocmask(SIG_BLOCK, &gate, &was);
	pid = fork();
	if (pid == 0) {
		/* only these: a copy of a listener or a bound socket kept
		 * through a long close would hold its address */
		int adj;

		fds_close_except(0, fds, n);
		/* not boxinit: no oom_score_adj -1000 for a child that may
		 * hang on for the linger time */
		adj = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		if (adj >= 0) {
			(void)!write(adj, "0", 1);      /* best effort */
			close(adj);
		}
		while (sigwait(&gate, &sig) != 0)
			;
		for (int i = 0; i < n; i++)
			close(fds[i]);
		_exit(0);
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	if (pid > 0)
		kill(pid, SOCK_GATE_SIG);
	sigprocmask(SIG_SETMASK, &was, NULL);
	return n;
}

/* The SCM_RIGHTS fds in @m's control data, to sock_drop_fds(). */
static void drop_passed(struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		int fds[SOCK_SCM_MAX_FD];
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (n > SOCK_SCM_MAX_FD)
			n = SOCK_SCM_MAX_FD;
		memcpy(fds, CMSG_DATA(c), n * sizeof(int));
		sock_drop_fds(fds, (int)n);
	}
}

ssize_t sock_recv(int fd, void *buf, size_t len, int flags)
{
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(SOCK_SCM_MAX_FD * sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
	};
	ssize_t n = recvmsg(fd, &m, flags | MSG_CMSG_CLOEXEC);
	int saved = errno;

	if (n >= 0 && m.msg_controllen > 0)
		drop_passed(&m);
	errno = saved;
	return n;
}

void sock_close(int fd)
{
	int type = 0;
	socklen_t tl = sizeof(type);
	bool drained = false;
	char b[64];

	if (fd < 0)
		return;
	if (shutdown(fd, SHUT_RDWR) < 0 && errno == ENOTSOCK) {
		close(fd);              /* a pipe: it carries no files */
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_DGRAM)
		for (int i = 0; i < SOCK_DRAIN_MAX; i++) {
			if (sock_recv(fd, b, sizeof(b), MSG_DONTWAIT) >= 0 || errno == EINTR)
				continue;
			drained = errno == EAGAIN;
			break;
		}
	if (drained)
		close(fd);              /* read to its end: nothing left to release */
	else
		sock_drop_fds(&fd, 1);  /* a connection: its end is not knowable */
}
