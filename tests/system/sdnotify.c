/* SPDX-License-Identifier: MIT */
/*
 * sdnotify: the sd_notify(3) client of tests/system/test_ready.py (built
 * static with musl-gcc into the sandbox's /bin: busybox has no Unix
 * datagram client). Each argument is one datagram to $NOTIFY_SOCKET:
 *
 *   TEXT         sent as it is ("READY=1", "STATUS=warming up\nREADY=1")
 *   --size=N     N bytes of "X" (an oversized datagram)
 *   --fd=TEXT    TEXT with fd 0 attached (SCM_RIGHTS), as FDSTORE=1 does
 *   --linger=TEXT  TEXT with a TCP socket attached whose close blocks: it
 *                is connected to a listener here that never accepts, its
 *                send queue is full and SO_LINGER is an hour. The receiver
 *                that closes it last waits that hour (signals blocked);
 *                the listener is kept: after the last datagram, sdnotify
 *                says "lingering" and waits to be killed.
 *   --to=PATH    the following datagrams go to PATH over a SOCK_SEQPACKET
 *                connection (boxinit's control socket) instead
 *
 * --linger prints "sent" or "refused: ..." (EPERM: SO_PASSRIGHTS, no
 * failure) and "lingering", then closes its copy, which blocks here when
 * it is the last one (refused; a receiver that was quicker). Exit status 0, or 1
 * with the failing step on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int send_one(int fd, const struct sockaddr_un *a, const char *text,
		    size_t len, int pass_fd)
{
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } c;
	struct iovec iov = { (void *)text, len };
	struct msghdr m = {
		.msg_name = (void *)a, .msg_namelen = sizeof(*a),
		.msg_iov = &iov, .msg_iovlen = 1,
	};

	if (pass_fd >= 0) {
		memset(&c, 0, sizeof(c));
		m.msg_control = c.buf;
		m.msg_controllen = sizeof(c.buf);
		c.h.cmsg_level = SOL_SOCKET;
		c.h.cmsg_type = SCM_RIGHTS;
		c.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&c.h), &pass_fd, sizeof(int));
	}
	if (a->sun_path[0] == '\0') {          /* connected (--to) */
		m.msg_name = NULL;
		m.msg_namelen = 0;
	}
	return sendmsg(fd, &m, 0) < 0 ? -1 : 0;
}

/* A TCP socket whose last close blocks for an hour; *@lfd its listener. */
static int lingering(int *lfd)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t al = sizeof(a);
	struct linger l = { 1, 3600 };
	int small = 4096, c;
	char buf[4096] = { 0 };

	*lfd = socket(AF_INET, SOCK_STREAM, 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (*lfd < 0 || c < 0 || setsockopt(*lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) < 0 ||
	    bind(*lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(*lfd, 1) < 0 ||
	    getsockname(*lfd, (struct sockaddr *)&a, &al) < 0 ||
	    setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)) < 0 ||
	    connect(c, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    fcntl(c, F_SETFL, O_NONBLOCK) < 0) {
		perror("sdnotify: lingering socket");
		exit(1);
	}
	while (write(c, buf, sizeof(buf)) > 0)
		;
	if (errno != EAGAIN || setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) < 0) {
		perror("sdnotify: lingering socket");
		exit(1);
	}
	return c;
}

/*
 * Send TEXT with a Unix socket whose queue holds the lingering TCP socket
 * (its only reference), closing every copy here right after the send: the
 * receiver's drop of the passed socket is then the last close of both
 * unless it was done within those few instructions. Returns 0 or -1.
 */
static int send_linger(int fd, const struct sockaddr_un *a, const char *text, int *lfd)
{
	struct sockaddr_un none = { .sun_family = AF_UNIX };
	int c = lingering(lfd), p[2], r;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, p) < 0 ||
	    send_one(p[0], &none, "", 0, c) < 0) {
		perror("sdnotify: socketpair");
		exit(1);
	}
	close(c);
	close(p[0]);
	r = send_one(fd, a, text, strlen(text), p[1]);
	if (r < 0)
		printf("%s: %s\n", errno == EPERM ? "refused" : "not sent", strerror(errno));
	else
		printf("sent\n");
	printf("lingering\n");         /* said before a close that may block */
	fflush(stdout);
	close(p[1]);    /* blocks here, not in the receiver, if this is the last */
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd, lfd = -1;

	if (argc > 1 && !strncmp(argv[1], "--to=", 5))
		path = "";              /* not needed */
	if (!path || strlen(path) >= sizeof(a.sun_path)) {
		fprintf(stderr, "sdnotify: no usable NOTIFY_SOCKET\n");
		return 1;
	}
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("sdnotify: socket");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		const char *t = argv[i];
		char *big = NULL;
		int r;

		if (!strncmp(t, "--size=", 7)) {
			size_t n = strtoul(t + 7, NULL, 10);

			big = malloc(n + 1);
			if (!big)
				return 1;
			memset(big, 'X', n);
			r = send_one(fd, &a, big, n, -1);
		} else if (!strncmp(t, "--fd=", 5)) {
			r = send_one(fd, &a, t + 5, strlen(t + 5), 0);
		} else if (!strncmp(t, "--linger=", 9)) {
			r = send_linger(fd, &a, t + 9, &lfd);
		} else if (!strncmp(t, "--to=", 5)) {
			struct sockaddr_un to = { .sun_family = AF_UNIX };

			close(fd);
			snprintf(to.sun_path, sizeof(to.sun_path), "%s", t + 5);
			fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
			if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
				fprintf(stderr, "sdnotify: connect %s: %s\n", t + 5, strerror(errno));
				return 1;
			}
			a.sun_path[0] = '\0';
			continue;
		} else {
			r = send_one(fd, &a, t, strlen(t), -1);
		}
		free(big);
		if (r < 0) {
			fprintf(stderr, "sdnotify: send to %s: %s\n", path, strerror(errno));
			return 1;
		}
	}
	if (lfd >= 0) {
		printf("lingering\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	return 0;
}
