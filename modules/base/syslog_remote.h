/* SPDX-License-Identifier: MIT */
/*
 * syslog_remote: every log line (boxinit's and the services') also sent to
 * a syslog collector as RFC 5424 messages over UDP (RFC 5426), without
 * blocking: a datagram the socket cannot take at once is dropped, counted,
 * and the count reported in the next message that goes out.
 *
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME - - - MSG
 *
 * PRI: facility daemon (3); severity from the line's level (boxinit's own
 * lines) or informational (a service's output). TIMESTAMP: the wall clock
 * in UTC with milliseconds, or "-" while it reads before 2000 (a board
 * without RTC before NTP). HOSTNAME: the current hostname. APP-NAME:
 * "boxinit" or the service's name.
 */
#ifndef BOXINIT_SYSLOG_REMOTE_H
#define BOXINIT_SYSLOG_REMOTE_H

#include <stddef.h>
#include <stdint.h>

#define SYSLOG_FACILITY_DAEMON 3

/*
 * syslog_remote_open - send to @target: "A.B.C.D:PORT" or "[IPV6]:PORT"
 * (numeric: PID 1 has no resolver); NULL or "" stops sending. Returns 0,
 * or -EINVAL (not such an address) / -errno of socket(2), then nothing is
 * sent.
 */
int syslog_remote_open(const char *target);

/*
 * syslog_remote_send - one message of @len bytes from @app (cut to 48
 * bytes) at @severity (0 emerg .. 7 debug). Never blocks, never fails:
 * what cannot be sent is counted.
 */
void syslog_remote_send(int severity, const char *app, const char *msg, size_t len);

/* syslog_remote_dropped - messages dropped so far. */
uint64_t syslog_remote_dropped(void);

/*
 * syslog_remote_parse - the address in @target, as syslog_remote_open()
 * takes it, into @sa (room for a struct sockaddr_in6) and *@salen.
 * Returns 0 or -EINVAL. For the config checks too.
 */
struct sockaddr;
int syslog_remote_parse(const char *target, struct sockaddr *sa, unsigned *salen);

#endif
