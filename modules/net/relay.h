/* SPDX-License-Identifier: MIT */
/*
 * relay: [::1]:PORT of the host relayed to a service's IPv6 address, for
 * TCP. IPv4 reaches a published port on 127.0.0.1 by DNAT in the output
 * hook with route_localnet (nat.h); IPv6 has no route_localnet: the
 * kernel never accepts a packet for ::1 from another interface (RFC 4291
 * 2.5.3), so the answer to a DNATed ::1 connection would be dropped. A
 * listening socket on [::1]:PORT in boxinit's network namespace takes the
 * connection instead and a second one carries its bytes to [TO]:TO_PORT,
 * both ways, half-closes included, from the event loop (loop.h:
 * edge-triggered, non-blocking, RELAY_BUF bytes buffered each way).
 * At most RELAY_CONN_MAX connections at once over every port; more are
 * closed at once. UDP is not relayed.
 */
#ifndef BOXINIT_RELAY_H
#define BOXINIT_RELAY_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define RELAY_CONN_MAX 64       /* connections at once */
#define RELAY_BUF      16384u   /* bytes buffered in each direction */
#define RELAY_ROUNDS   4        /* RELAY_BUF moves each way per wake-up, then
				   the rest after the loop's other work */
#define RELAY_HALF_MS  30000u   /* a half-closed connection that moves
				   nothing this long is closed */
#define RELAY_BACKLOG  16

/* One relayed port: [::1]:@port -> [@to]:@to_port (host order). */
struct relay_fwd {
	uint16_t port;
	struct in6_addr to;
	uint16_t to_port;
};

/*
 * relay_set - listen on exactly the @n ports of @fwd (loop_init() done):
 * a listener whose port is gone is closed (its connections too), one
 * whose target changed is retargeted for new connections, new ones are
 * opened (IPV6_V6ONLY, SO_REUSEADDR). A port that cannot be bound (in use)
 * is logged and skipped. Returns the number of such failures.
 */
int relay_set(const struct relay_fwd *fwd, size_t n);

/* relay_count - connections being relayed now (for the tests). */
size_t relay_count(void);

#endif
