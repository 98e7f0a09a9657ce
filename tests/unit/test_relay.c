// SPDX-License-Identifier: MIT
/*
 * The [::1] relay (modules/net/relay.c) through the real event loop, on
 * the loopback of this process's network namespace: bytes both ways, more
 * than its buffers hold, half-closes passed on, the connection gone after
 * both ends closed, listeners closed and retargeted by relay_set().
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "loop.h"
#include "relay.h"
#include "util.h"

#define BIG (256u * 1024u)      /* far more than RELAY_BUF */

static bool usable;

static int setup(void **state)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	/* a kernel without IPv6 (or no ::1 here): nothing to test */
	usable = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return usable && loop_init() < 0 ? -1 : 0;
}

static void tick(struct loop_timer *t)
{
}

/* One turn of the loop: the relay's fds, or our tick 10 ms from now. */
static void turn(void)
{
	struct loop_timer t = { .fn = tick };

	loop_timer_set(&t, now_ms() + 10);
	assert_int_equal(loop_wait_once(), 0);
	loop_timer_stop(&t);
}

/* A listening socket on [::1] (port 0: the kernel's choice); its port into *@port. */
static int listener(uint16_t *port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin6_port);
	return fd;
}

/* A port nobody listens on now. */
static uint16_t free_port(void)
{
	uint16_t p;

	close(listener(&p));
	return p;
}

static int dial(uint16_t port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -errno;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* Turn the loop until @fd has something (or EOF), at most 60 s. */
static void turn_until_readable(int fd)
{
	for (int i = 0; i < 6000; i++) {
		struct pollfd p = { fd, POLLIN, 0 };

		if (poll(&p, 1, 0) > 0)
			return;
		turn();
	}
	fail_msg("nothing arrived");
}

/* Read from @fd (non-blocking) into @buf until EOF, turning the loop. */
static size_t read_all(int fd, char *buf, size_t cap)
{
	size_t got = 0;

	for (;;) {
		ssize_t n;

		turn_until_readable(fd);
		n = read(fd, buf + got, cap - got);
		if (n == 0)
			return got;
		if (n < 0 && errno == EAGAIN)
			continue;
		assert_true(n > 0);
		got += (size_t)n;
		assert_true(got < cap);
	}
}

/* A service listening on [::1], the relay forwarding a free port to it,
 * a client connected through it and the service's side accepted. */
struct path {
	struct relay_fwd f;
	int srv, cli, conn;
};

static void through_relay(struct path *p)
{
	uint16_t back, front;

	p->srv = listener(&back);
	front = free_port();
	p->f = (struct relay_fwd){ front, IN6ADDR_LOOPBACK_INIT, back };
	assert_int_equal(relay_set(&p->f, 1), 0);
	p->cli = dial(front);
	assert_true(p->cli >= 0);
	/* the relay accepts and connects to the service */
	turn_until_readable(p->srv);
	p->conn = accept(p->srv, NULL, NULL);
	assert_true(p->conn >= 0);
}

static void test_relay_both_ways(void **state)
{
	int srv, cli, conn;
	char *big = malloc(BIG), *got = malloc(BIG + 1);
	struct path p;

	if (!usable)
		skip();
	through_relay(&p);
	srv = p.srv, cli = p.cli, conn = p.conn;
	assert_int_equal(relay_count(), 1);
	/* client -> service, then the client's half-close */
	assert_int_equal(write(cli, "hello", 5), 5);
	assert_int_equal(shutdown(cli, SHUT_WR), 0);
	fcntl(conn, F_SETFL, O_NONBLOCK);
	assert_int_equal(read_all(conn, got, BIG), 5);
	assert_memory_equal(got, "hello", 5);
	/* service -> client, then the service's close */
	assert_int_equal(write(conn, "world", 5), 5);
	close(conn);
	assert_int_equal(read_all(cli, got, BIG), 5);
	assert_memory_equal(got, "world", 5);
	close(cli);
	for (int i = 0; i < 6000 && relay_count(); i++) {
		turn();
	}
	assert_int_equal(relay_count(), 0);
	close(srv);
	free(big);
	free(got);
	relay_set(NULL, 0);
}

static void test_relay_large_and_close(void **state)
{
	uint16_t back, front;
	int srv, cli, conn;
	char *big = malloc(BIG), *got = malloc(BIG + 1);
	struct relay_fwd f;
	pid_t writer;
	size_t n;
	int st;

	struct path p;

	if (!usable)
		skip();
	through_relay(&p);
	srv = p.srv, cli = p.cli, conn = p.conn, f = p.f, front = f.port;
	/* the service's answer, far more than the relay buffers, from a
	 * forked writer (blocking) while this process turns the loop */
	for (size_t i = 0; i < BIG; i++)
		big[i] = (char)(i * 13 + 1);
	if ((writer = fork()) == 0) {
		size_t off = 0;

		while (off < BIG) {
			ssize_t w = write(conn, big + off, BIG - off);

			if (w <= 0)
				_exit(1);
			off += (size_t)w;
		}
		_exit(0);
	}
	close(conn);            /* the child holds it until it wrote it all */
	n = read_all(cli, got, BIG + 1);
	assert_int_equal(n, BIG);
	assert_memory_equal(got, big, BIG);
	assert_int_equal(waitpid(writer, &st, 0), writer);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* both ends closed: the relay lets go of the connection */
	close(cli);
	for (int i = 0; i < 6000 && relay_count(); i++) {
		turn();
	}
	assert_int_equal(relay_count(), 0);
	/* retargeted: new connections go to the new service */
	close(srv);
	srv = listener(&back);
	f.to_port = back;
	assert_int_equal(relay_set(&f, 1), 0);
	cli = dial(front);
	turn_until_readable(srv);
	conn = accept(srv, NULL, NULL);
	assert_true(conn >= 0);
	close(conn);
	close(cli);
	/* closed: nobody listens there any more */
	relay_set(NULL, 0);
	assert_int_equal(relay_count(), 0);
	assert_int_equal(dial(front), -ECONNREFUSED);
	close(srv);
	free(big);
	free(got);
}

/* A service that streams without pause: one turn of the loop moves at
 * most RELAY_ROUNDS buffers each way per handler that ran (the client's,
 * the service's, the connection's timer), the rest in later turns. */
static void test_relay_bounded_per_turn(void **state)
{
	const size_t bound = 3u * RELAY_ROUNDS * RELAY_BUF;
	int srv, cli, conn, q = 0, big_buf = 4 << 20;
	char *buf = calloc(1, BIG);
	size_t wrote = 0;
	struct path p;
	ssize_t w;

	if (!usable)
		skip();
	through_relay(&p);
	srv = p.srv, cli = p.cli, conn = p.conn;
	setsockopt(cli, SOL_SOCKET, SO_RCVBUF, &big_buf, sizeof(big_buf));
	fcntl(conn, F_SETFL, O_NONBLOCK);
	setsockopt(conn, SOL_SOCKET, SO_SNDBUF, &big_buf, sizeof(big_buf));
	while (wrote < 4 * bound && (w = write(conn, buf, BIG)) > 0)
		wrote += (size_t)w;
	if (wrote <= bound)
		skip();                 /* socket buffers too small to tell */
	assert_int_equal(loop_wait_once(), 0);
	assert_int_equal(ioctl(cli, FIONREAD, &q), 0);
	assert_true(q > 0 && (size_t)q <= bound);
	/* and the rest follows, turn after turn */
	for (size_t got = 0; got < wrote;) {
		ssize_t n;

		turn_until_readable(cli);
		n = read(cli, buf, BIG);
		if (n < 0 && errno == EAGAIN)
			continue;
		assert_true(n > 0);
		got += (size_t)n;
	}
	close(conn);
	close(cli);
	for (int i = 0; i < 6000 && relay_count(); i++)
		turn();
	relay_set(NULL, 0);
	close(srv);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relay_both_ways),
		cmocka_unit_test(test_relay_large_and_close),
		cmocka_unit_test(test_relay_bounded_per_turn),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
