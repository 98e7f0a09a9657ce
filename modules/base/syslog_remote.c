/* SPDX-License-Identifier: MIT */
/* syslog_remote: RFC 5424 over UDP, never blocking. See syslog_remote.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "syslog_remote.h"

#define SYSLOG_MSG_MAX 2048     /* RFC 5426: every receiver takes 480; most 2048 */

static struct {
	int fd;
	uint64_t dropped, reported;
} sr = { .fd = -1 };

int syslog_remote_parse(const char *target, struct sockaddr *sa, unsigned *salen)
{
	char host[64];
	const char *colon, *h = target;
	size_t hl;
	char *end;
	long port;

	if (!target || !*target)
		return -EINVAL;
	if (*target == '[') {
		const char *close = strchr(target, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		h = target + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(target, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - target);
	}
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 1 || port > 65535)
		return -EINVAL;
	if (*target != '[') {
		struct sockaddr_in *in = (struct sockaddr_in *)sa;

		memset(in, 0, sizeof(*in));
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*salen = sizeof(*in);
		return inet_pton(AF_INET, host, &in->sin_addr) == 1 ? 0 : -EINVAL;
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;

		memset(in6, 0, sizeof(*in6));
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*salen = sizeof(*in6);
		return inet_pton(AF_INET6, host, &in6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
}

int syslog_remote_open(const char *target)
{
	struct sockaddr_in6 sa;
	unsigned salen = 0;
	int fd, r;

	if (sr.fd >= 0)
		close(sr.fd);
	sr.fd = -1;
	if (!target || !*target)
		return 0;
	if ((r = syslog_remote_parse(target, (struct sockaddr *)&sa, &salen)) < 0)
		return r;
	fd = socket(((struct sockaddr *)&sa)->sa_family,
		    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* connected: send(2) needs no address, and ICMP errors come back */
	if (connect(fd, (struct sockaddr *)&sa, salen) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	sr.fd = fd;
	return 0;
}

/* "2026-12-02T06:00:00.123Z", or "-" before 2000. */
static void timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec < 946684800 || !gmtime_r(&ts.tv_sec, &tm)) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 ts.tv_nsec / 1000000);
}

void syslog_remote_send(int severity, const char *app, const char *msg, size_t len)
{
	char buf[SYSLOG_MSG_MAX], ts[64], host[65] = "-";
	int n;

	if (sr.fd < 0)
		return;
	if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
		snprintf(host, sizeof(host), "-");
	timestamp(ts, sizeof(ts));
	n = snprintf(buf, sizeof(buf), "<%d>1 %s %s %.48s - - - ",
		     SYSLOG_FACILITY_DAEMON * 8 + (severity & 7), ts, host, app);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	if (sr.dropped > sr.reported) {
		int m = snprintf(buf + n, sizeof(buf) - (size_t)n,
				 "(boxinit: %llu messages dropped before this one) ",
				 (unsigned long long)(sr.dropped - sr.reported));

		if (m > 0 && (size_t)m < sizeof(buf) - (size_t)n)
			n += m;
	}
	if (len > sizeof(buf) - (size_t)n)
		len = sizeof(buf) - (size_t)n;
	memcpy(buf + n, msg, len);
	if (send(sr.fd, buf, (size_t)n + len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		sr.dropped++;           /* full, or the collector is not there */
	else
		sr.reported = sr.dropped;
}

uint64_t syslog_remote_dropped(void)
{
	return sr.dropped;
}
