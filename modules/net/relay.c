/* SPDX-License-Identifier: MIT */
/* relay: [::1]:PORT to a service, for TCP. See relay.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "log.h"
#include "loop.h"
#include "relay.h"
#include "util.h"

struct listener {
	struct loop_handler h;
	struct relay_fwd f;
	struct listener *next;
};

/* The bytes read from one side, waiting to be written to the other. */
struct half {
	size_t len, off;
	bool eof;               /* the reading side said EOF */
	bool shut;              /* and the writing side was shut down for it */
	char buf[RELAY_BUF];
};

struct conn {
	struct loop_handler a;  /* the client, accepted on [::1] */
	struct loop_handler b;  /* to the service */
	uint16_t port;          /* the listener's */
	struct half ab, ba;
	struct loop_timer t;    /* more to move now, or the half-close deadline */
	bool more;              /* @t is armed for now: pump again */
	struct conn *next;
};

static struct listener *listeners;
static struct conn *conns;
static size_t nconns;

size_t relay_count(void)
{
	return nconns;
}

static void conn_close(struct conn *c)
{
	struct conn **p = &conns;

	while (*p && *p != c)
		p = &(*p)->next;
	if (*p)
		*p = c->next;
	loop_del(&c->a);
	loop_del(&c->b);
	loop_timer_stop(&c->t);
	close(c->a.fd);
	close(c->b.fd);
	free(c);
	nconns--;
}

/* Move what @from has to @to through @h: 1 progress, 0 none, -1 failed. */
static int move(int from, int to, struct half *h)
{
	ssize_t n;
	int progress = 0;

	if (h->len == 0 && !h->eof) {
		n = read(from, h->buf, sizeof(h->buf));
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if (n >= 0) {
			h->len = (size_t)n;
			h->off = 0;
			h->eof = n == 0;
			progress = 1;
		}
	}
	if (h->len > h->off) {
		n = send(to, h->buf + h->off, h->len - h->off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			h->off += (size_t)n;
			if (h->off == h->len)
				h->len = h->off = 0;
			progress = 1;
		} else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			return -1;
		}
	}
	if (h->eof && h->len == 0 && !h->shut) {
		shutdown(to, SHUT_WR);  /* the other side sees the same EOF */
		h->shut = true;
		progress = 1;
	}
	return progress;
}

/* What can move now (edge-triggered: until nothing does), RELAY_ROUNDS
 * rounds at most: a peer that streams without pause must not keep PID 1
 * here; the rest moves from a timer due at once, after the loop's other
 * work. A half-closed connection idle for RELAY_HALF_MS is closed (a
 * client gone, a service that never answers: its slot is not lost). */
static void pump(struct conn *c)
{
	int r1, r2, rounds = 0;
	bool moved = false, was_more = c->more;

	do {
		r1 = move(c->a.fd, c->b.fd, &c->ab);
		r2 = move(c->b.fd, c->a.fd, &c->ba);
		moved |= r1 > 0 || r2 > 0;
	} while ((r1 > 0 || r2 > 0) && ++rounds < RELAY_ROUNDS);
	if (r1 < 0 || r2 < 0 || (c->ab.shut && c->ba.shut)) {
		conn_close(c);
		return;
	}
	c->more = r1 > 0 || r2 > 0;
	if (c->more)
		loop_timer_set(&c->t, now_ms());
	else if ((c->ab.shut || c->ba.shut) && (moved || was_more || !loop_timer_armed(&c->t)))
		loop_timer_set(&c->t, now_ms() + RELAY_HALF_MS);
	else if (!c->ab.shut && !c->ba.shut)
		loop_timer_stop(&c->t);
}

static void on_timer(struct loop_timer *t)
{
	struct conn *c = container_of(t, struct conn, t);

	if (c->more)
		pump(c);
	else if (c->ab.shut || c->ba.shut)
		conn_close(c);          /* half-closed, idle RELAY_HALF_MS */
}

static void on_a(struct loop_handler *h, uint32_t events)
{
	pump((struct conn *)((char *)h - offsetof(struct conn, a)));
}

static void on_b(struct loop_handler *h, uint32_t events)
{
	pump((struct conn *)((char *)h - offsetof(struct conn, b)));
}

/* A connection to the service for the accepted @fd; -errno (fd closed). */
static int conn_open(struct listener *l, int fd)
{
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_port = htons(l->f.to_port),
				   .sin6_addr = l->f.to };
	struct conn *c = calloc(1, sizeof(*c));
	int s = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), r = 0;

	if (!c || s < 0)
		r = c ? -errno : -ENOMEM;
	else if (connect(s, (struct sockaddr *)&to, sizeof(to)) < 0 && errno != EINPROGRESS)
		r = -errno;
	if (r == 0) {
		c->a = (struct loop_handler){ .fd = fd, .fn = on_a };
		c->b = (struct loop_handler){ .fd = s, .fn = on_b };
		c->port = l->f.port;
		c->t.fn = on_timer;
		if ((r = loop_add(&c->a, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)) == 0 &&
		    (r = loop_add(&c->b, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)) < 0)
			loop_del(&c->a);
	}
	if (r < 0) {
		if (s >= 0)
			close(s);
		close(fd);
		free(c);
		return r;
	}
	c->next = conns;
	conns = c;
	nconns++;
	pump(c);
	return 0;
}

static void on_accept(struct loop_handler *h, uint32_t events)
{
	struct listener *l = (struct listener *)h;
	int fd, r;

	while ((fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (nconns >= RELAY_CONN_MAX) {
			log_debug("relay: [::1]:%u: %d connections already: refused",
				  l->f.port, RELAY_CONN_MAX);
			close(fd);
		} else if ((r = conn_open(l, fd)) < 0) {
			log_debug("relay: [::1]:%u: %s", l->f.port, strerror(-r));
		}
	}
}

static int listen_on(struct listener *l)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(l->f.port),
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int one = 1, fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, RELAY_BACKLOG) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	l->h = (struct loop_handler){ .fd = fd, .fn = on_accept };
	if ((r = loop_add(&l->h, EPOLLIN)) < 0)
		close(fd);
	return r;
}

static void listener_close(struct listener *l)
{
	for (struct conn *c = conns, *next; c; c = next) {
		next = c->next;
		if (c->port == l->f.port)
			conn_close(c);
	}
	loop_del(&l->h);
	close(l->h.fd);
	free(l);
}

static const struct relay_fwd *wanted(const struct relay_fwd *fwd, size_t n, uint16_t port)
{
	for (size_t i = 0; i < n; i++)
		if (fwd[i].port == port)
			return &fwd[i];
	return NULL;
}

int relay_set(const struct relay_fwd *fwd, size_t n)
{
	struct listener **p = &listeners, *l;
	char txt[INET6_ADDRSTRLEN];
	int fail = 0, r;

	while ((l = *p)) {
		const struct relay_fwd *w = wanted(fwd, n, l->f.port);

		if (!w) {
			*p = l->next;
			listener_close(l);
			continue;
		}
		l->f = *w;              /* new connections go to the new target */
		p = &l->next;
	}
	for (size_t i = 0; i < n; i++) {
		for (l = listeners; l && l->f.port != fwd[i].port; l = l->next)
			;
		if (l)
			continue;
		if (!(l = calloc(1, sizeof(*l)))) {
			fail++;
			continue;
		}
		l->f = fwd[i];
		if ((r = listen_on(l)) < 0) {
			log_warn("relay: [::1]:%u: %s: not relayed to the service", fwd[i].port,
				 strerror(-r));
			free(l);
			fail++;
			continue;
		}
		l->next = listeners;
		listeners = l;
		log_debug("relay: [::1]:%u -> [%s]:%u", fwd[i].port,
			  inet_ntop(AF_INET6, &fwd[i].to, txt, sizeof(txt)), fwd[i].to_port);
	}
	return fail;
}
