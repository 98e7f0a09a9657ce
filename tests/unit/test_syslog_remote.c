// SPDX-License-Identifier: MIT
/*
 * Unit tests for the remote syslog sender (modules/base/syslog_remote.c):
 * the address forms, the RFC 5424 header, drops counted when nobody
 * listens and reported in the next message that goes out. Loopback only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "syslog_remote.h"

static void test_targets(void **state)
{
	struct sockaddr_in6 sa;
	unsigned len;

	assert_int_equal(syslog_remote_parse("127.0.0.1:514", (struct sockaddr *)&sa, &len), 0);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(syslog_remote_parse("[::1]:6514", (struct sockaddr *)&sa, &len), 0);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	assert_int_equal(ntohs(sa.sin6_port), 6514);
	static const char *const bad[] = {
		"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
		"localhost:514", "::1:514", "[::1]514", "[::1]:x", "1.2.3:514", ":514",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(syslog_remote_parse(bad[i], (struct sockaddr *)&sa, &len), -EINVAL);
	assert_int_equal(syslog_remote_open("nonsense"), -EINVAL);
	assert_int_equal(syslog_remote_open(NULL), 0);
}

/* A UDP socket on a free loopback port; its port into *@port. */
static int listener(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { .tv_sec = 30 };

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	*port = ntohs(a.sin_port);
	return fd;
}

static void test_message_and_drops(void **state)
{
	char target[32], buf[2048];
	uint16_t port;
	int fd = listener(&port);
	regex_t re;
	ssize_t n;
	struct timespec now;

	snprintf(target, sizeof(target), "127.0.0.1:%u", port);
	assert_int_equal(syslog_remote_open(target), 0);
	syslog_remote_send(6, "web", "hello \"there\"", 13);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	/* <daemon.info>1 TIMESTAMP HOSTNAME APP - - - MSG */
	assert_int_equal(regcomp(&re, "^<30>1 (-|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
				 "[0-9]{2}\\.[0-9]{3}Z) [^ ]+ web - - - hello \"there\"$",
				 REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(regexec(&re, buf, 0, NULL, 0), 0);
	regfree(&re);
	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec > 946684800)
		assert_null(strstr(buf, "<30>1 - "));
	syslog_remote_send(3, "boxinit", "x", 1);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	assert_int_equal(strncmp(buf, "<27>1 ", 6), 0);         /* daemon.err */
	/* nobody listens: the port's ICMP error makes sends fail: counted */
	close(fd);
	for (int i = 0; i < 1000 && syslog_remote_dropped() == 0; i++)
		syslog_remote_send(6, "web", "lost", 4);
	assert_true(syslog_remote_dropped() > 0);
	/* the collector is back: the next message says how many it missed */
	{
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		struct timeval tv = { .tv_sec = 30 };

		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		for (int i = 0; i < 100; i++) {
			syslog_remote_send(6, "web", "back", 4);
			n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
			if (n > 0)
				break;
		}
		if (n <= 0)
			n = recv(fd, buf, sizeof(buf) - 1, 0);
		assert_true(n > 0);
		buf[n] = '\0';
		assert_non_null(strstr(buf, "messages dropped before this one) back"));
		close(fd);
	}
	syslog_remote_open(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_message_and_drops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
