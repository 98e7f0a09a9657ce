/* SPDX-License-Identifier: MIT */
/*
 * sdnotify: the sd_notify(3) client of tests/system/test_ready.py (built
 * static with musl-gcc into the sandbox's /bin: busybox has no Unix
 * datagram client). Each argument is one datagram to $NOTIFY_SOCKET:
 *
 *   TEXT         sent as it is ("READY=1", "STATUS=warming up\nREADY=1")
 *   --size=N     N bytes of "X" (an oversized datagram)
 *   --fd=TEXT    TEXT with fd 0 attached (SCM_RIGHTS), as FDSTORE=1 does
 *
 * Exit status 0, or 1 with the failing step on stderr.
 */
#include <errno.h>
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
	return sendmsg(fd, &m, 0) < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

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
		} else {
			r = send_one(fd, &a, t, strlen(t), -1);
		}
		free(big);
		if (r < 0) {
			fprintf(stderr, "sdnotify: send to %s: %s\n", path, strerror(errno));
			return 1;
		}
	}
	return 0;
}
