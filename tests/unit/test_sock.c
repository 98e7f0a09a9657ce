// SPDX-License-Identifier: MIT
/*
 * Unit tests for modules/base/sock.c: a passed file whose last close blocks
 * (a TCP socket with unsent data and SO_LINGER of an hour, held only by a
 * Unix socket in flight) never closes in the receiver, on any kernel:
 * SO_PASSRIGHTS is left on here, so the fallback is what runs. An alarm
 * fails the test where a close would block.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "sock.h"

#define GUARD_S 20      /* a close that blocks would take an hour */

static int count_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

/* A lingering TCP socket (its listener in *@lfd) put in flight inside a
 * Unix socket, which is sent over @to; no copy of either stays here. */
static void send_lingering(int to, int *lfd)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t al = sizeof(a);
	struct linger l = { 1, 3600 };
	int small = 4096, c, p[2];
	char buf[4096] = { 0 };
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } ctl;
	struct iovec iov = { buf, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };

	*lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(*lfd >= 0 && c >= 0);
	assert_int_equal(setsockopt(*lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	assert_int_equal(bind(*lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(*lfd, 1), 0);
	assert_int_equal(getsockname(*lfd, (struct sockaddr *)&a, &al), 0);
	assert_int_equal(setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(fcntl(c, F_SETFL, O_NONBLOCK), 0);
	while (write(c, buf, sizeof(buf)) > 0)
		;
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, p), 0);
	for (int hop = 0; hop < 2; hop++) {
		int fd = hop ? p[1] : c, via = hop ? to : p[0];

		memset(&ctl, 0, sizeof(ctl));
		ctl.h.cmsg_level = SOL_SOCKET;
		ctl.h.cmsg_type = SCM_RIGHTS;
		ctl.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&ctl.h), &fd, sizeof(int));
		assert_int_equal(sendmsg(via, &m, 0), 1);
	}
	close(c);
	close(p[0]);
	close(p[1]);
}

/* The child sock_drop_fds() forked is blocked in the close that would
 * have blocked here: killed (by its pid, our only child), then reaped. */
static void reap_dropper(int lfd)
{
	char path[64], kids[64] = "";
	pid_t pid;
	int ws, fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_true(read(fd, kids, sizeof(kids) - 1) > 0);
	close(fd);
	pid = (pid_t)atoi(kids);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &ws, WNOHANG), 0);        /* still closing */
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFSIGNALED(ws));
	close(lfd);
}

static void test_recv_hands_passed_files_off(void **state)
{
	int p[2], lfd, before;
	char b[8];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, p), 0);
	before = count_fds();
	send_lingering(p[1], &lfd);
	alarm(GUARD_S);
	assert_int_equal(sock_recv(p[0], b, sizeof(b), MSG_DONTWAIT), 1);
	assert_int_equal(count_fds(), before + 1);      /* only the listener */
	reap_dropper(lfd);
	alarm(0);
	close(p[0]);
	close(p[1]);
}

/*
 * fork(2) as sock_drop_fds() calls it (linked with -Wl,--wrap=fork): with
 * @hold_parent set, the parent's side waits until the child has exited
 * (a deadline of 1 s), as a loaded machine may schedule it: the child
 * runs first and closes first.
 */
static bool hold_parent;
pid_t __real_fork(void);
pid_t __wrap_fork(void);

pid_t __wrap_fork(void)
{
	pid_t pid = __real_fork();
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	for (int i = 0; pid > 0 && hold_parent && i < 100; i++) {
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == pid)
			break;          /* it has closed its copies and exited */
		nanosleep(&tick, NULL);
	}
	return pid;
}

/* The child closing before the parent: the parent's close must still not
 * be the last one (it would block here for the linger time). */
static void test_the_last_close_is_the_childs(void **state)
{
	int p[2], lfd;
	char b[8];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, p), 0);
	send_lingering(p[1], &lfd);
	hold_parent = true;
	alarm(GUARD_S);
	assert_int_equal(sock_recv(p[0], b, sizeof(b), MSG_DONTWAIT), 1);
	hold_parent = false;
	reap_dropper(lfd);
	alarm(0);
	close(p[0]);
	close(p[1]);
}

static void test_close_with_a_queued_file(void **state)
{
	int p[2], lfd;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, p), 0);
	send_lingering(p[1], &lfd);
	alarm(GUARD_S);
	sock_close(p[0]);               /* read to its end first */
	assert_int_equal(fcntl(p[0], F_GETFD), -1);
	reap_dropper(lfd);
	alarm(0);
	close(p[1]);
}

static void test_close_a_connection(void **state)
{
	int p[2], lfd;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p), 0);
	send_lingering(p[1], &lfd);
	alarm(GUARD_S);
	sock_close(p[0]);               /* to a child: its end is not knowable */
	assert_int_equal(fcntl(p[0], F_GETFD), -1);
	reap_dropper(lfd);
	alarm(0);
	close(p[1]);
}

static void test_close_a_pipe_and_nothing(void **state)
{
	int p[2], ws;

	(void)state;
	assert_int_equal(pipe(p), 0);
	sock_close(p[0]);
	assert_int_equal(fcntl(p[0], F_GETFD), -1);
	assert_int_equal(waitpid(-1, &ws, WNOHANG), -1);        /* no fork */
	assert_int_equal(errno, ECHILD);
	close(p[1]);
	sock_close(-1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recv_hands_passed_files_off),
		cmocka_unit_test(test_the_last_close_is_the_childs),
		cmocka_unit_test(test_close_with_a_queued_file),
		cmocka_unit_test(test_close_a_connection),
		cmocka_unit_test(test_close_a_pipe_and_nothing),
	};

	signal(SIGALRM, SIG_DFL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
