/* SPDX-License-Identifier: MIT */
/* server: the control socket and its clients. See control.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control_priv.h"
#include "events.h"
#include "log.h"
#include "loop.h"
#include "peer.h"
#include "sock.h"
#include "util.h"

struct client {
	struct loop_handler h;
	struct loop_timer idle;         /* dropped when it stays silent */
	enum svc_control access; /* what the peer may ask: see control.h */
	pid_t pid;              /* the peer, in our pid namespace (0: unknown) */
	bool operator_peer;     /* trusted: closed plainly, not by sock_close() */
	char who[80];           /* "service NAME", for the log */
};

/* A client of "follow": the events after @seq, as they come. */
struct follower {
	struct loop_handler h;
	uint64_t seq;           /* the last event sent */
	bool json;
	bool operator_peer;     /* as struct client's */
};

static struct {
	struct loop_handler listen;
	struct follower followers[CONTROL_FOLLOWERS];
	struct loop_timer resume;       /* accept failed for lack of fds: retry then */
	struct client clients[CONTROL_PENDING];
	uint64_t refusal_logged; /* when a refusal was last logged (at most 1/s) */
	char path[108];
} ctl = { .listen = { .fd = -1 } };

static void client_drop(struct client *c)
{
	if (c->h.fd < 0)
		return;
	loop_del(&c->h);
	if (c->operator_peer)
		close(c->h.fd);
	else
		sock_close(c->h.fd);    /* files it passed die elsewhere */
	c->h.fd = -1;
	loop_timer_stop(&c->idle);
}

static void reply(int fd, int code, const char *msg, const char *body)
{
	char head[ERR_MSG_MAX + 16];
	size_t left = strlen(body);
	int n = snprintf(head, sizeof(head), "%d\t%s", code, msg);

	if (send(fd, head, (size_t)n < sizeof(head) ? (size_t)n : sizeof(head) - 1,
		 MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return;
	while (left > 0) {
		size_t chunk = left < CONTROL_PKT_MAX ? left : CONTROL_PKT_MAX;

		if (send(fd, body, chunk, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			return;         /* a client that does not read loses the rest */
		body += chunk;
		left -= chunk;
	}
}

#define BODY_MAX (128u * 1024u)   /* 256 events of 500 bytes fit */

/* Whether @c may make request @req: control = status allows only the
 * requests that change nothing (status, logpath); refusals are logged,
 * at most one a second (a service in a loop must not flood the log). */
static bool allowed(struct client *c, const char *req)
{
	char copy[CONTROL_REQ_MAX + 1];
	char *w[2];
	int n, k;

	snprintf(copy, sizeof(copy), "%s", req);
	n = split_fields(copy, w, 2);
	k = n > 0 && !strcmp(w[0], "json");
	if (c->access == CONTROL_FULL || (c->access == CONTROL_STATUS && n > k &&
	    control_read_only(w[k])))
		return true;
	if (now_ms() - ctl.refusal_logged >= 1000) {
		ctl.refusal_logged = now_ms();
		log_warn("control: refused \"%.32s\" from pid %d (%s)", n > k ? w[k] : "",
			 (int)c->pid, c->who);
	}
	return false;
}

/* ---- followers ------------------------------------------------------------- */

static void follower_drop(struct follower *f)
{
	if (f->h.fd < 0)
		return;
	loop_del(&f->h);
	if (f->operator_peer)
		close(f->h.fd);
	else
		sock_close(f->h.fd);
	f->h.fd = -1;
}

/* Send @f what it has not seen, one event a packet, until the socket is
 * full (then wait for EPOLLOUT: nothing is lost while the ring holds it). */
static void follower_push(struct follower *f)
{
	char line[EVENT_CAUSE_MAX + 160];
	uint64_t last = events_last();

	if (last > EVENTS_MAX && f->seq < last - EVENTS_MAX)
		f->seq = last - EVENTS_MAX;     /* too slow: the oldest are gone */
	while (f->h.fd >= 0 && f->seq < last) {
		const struct svc_transition *e = events_get(f->seq + 1);
		size_t len = e ? control_event_line(e, f->json, line, sizeof(line)) : 0;

		if (e && send(f->h.fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			if (errno == EAGAIN) {
				loop_mod(&f->h, EPOLLIN | EPOLLOUT);
				return;
			}
			follower_drop(f);
			return;
		}
		f->seq++;
	}
	if (f->h.fd >= 0)
		loop_mod(&f->h, EPOLLIN);
}

static void on_follower(struct loop_handler *h, uint32_t events)
{
	struct follower *f = container_of(h, struct follower, h);
	char b[16];

	if (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP) ||
	    ((events & EPOLLIN) && sock_recv(h->fd, b, sizeof(b), MSG_DONTWAIT) <= 0)) {
		follower_drop(f);   /* the client went away (it never sends more) */
		return;
	}
	if (events & EPOLLOUT)
		follower_push(f);
}

static void on_event(void)
{
	for (int i = 0; i < CONTROL_FOLLOWERS; i++)
		if (ctl.followers[i].h.fd >= 0)
			follower_push(&ctl.followers[i]);
}

/* A free follower slot for a new follower, NULL when none. Services
 * (control = status or yes) hold at most CONTROL_FOLLOWERS / 2 of them,
 * and an operator takes the slot of a service's follower when all are
 * taken: the operator's `boxctl events -f` always gets one. */
static struct follower *follower_slot(bool operator_peer)
{
	struct follower *free_slot = NULL, *service = NULL;
	int services = 0;

	for (int i = 0; i < CONTROL_FOLLOWERS; i++) {
		struct follower *x = &ctl.followers[i];
		char b;

		/* first reclaim the ones whose client has gone and whose
		 * hangup the loop has not seen yet */
		if (x->h.fd >= 0 && recv(x->h.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
			follower_drop(x);
		if (x->h.fd < 0) {
			free_slot = free_slot ? free_slot : x;
		} else if (!x->operator_peer) {
			services++;
			service = service ? service : x;
		}
	}
	if (!operator_peer)
		return services < CONTROL_FOLLOWERS / 2 ? free_slot : NULL;
	if (!free_slot && service) {
		follower_drop(service);
		free_slot = service;
	}
	return free_slot;
}

/* "[json] follow [SEQ]": @c's socket becomes a follower (the client slot
 * is freed), sent the events after SEQ (default 0: all the ring holds). */
static void follow(struct client *c, const char *req)
{
	char copy[CONTROL_REQ_MAX + 1], *w[4] = { "" }, *end = NULL;
	int n, k;
	struct follower *f = NULL;
	unsigned long long seq = 0;

	snprintf(copy, sizeof(copy), "%s", req);
	n = split_fields(copy, w, 4);
	k = !strcmp(w[0], "json");
	if (n - k == 2)
		seq = strtoull(w[k + 1], &end, 10);
	if (n - k > 2 || (end && (*end || end == w[k + 1]))) {
		reply(c->h.fd, CTL_ERROR, "follow [SEQ]: expected the number of the last event seen", "");
		client_drop(c);
		return;
	}
	f = follower_slot(c->operator_peer);
	if (!f) {
		reply(c->h.fd, CTL_ERROR, "too many followers", "");
		client_drop(c);
		return;
	}
	reply(c->h.fd, CTL_OK, "following", "");
	loop_del(&c->h);
	loop_timer_stop(&c->idle);
	f->h.fd = c->h.fd;
	c->h.fd = -1;
	f->h.fn = on_follower;
	f->seq = seq;
	f->json = k;
	f->operator_peer = c->operator_peer;
	if (loop_add(&f->h, EPOLLIN | EPOLLRDHUP) < 0) {
		if (f->operator_peer)
			close(f->h.fd);
		else
			sock_close(f->h.fd);
		f->h.fd = -1;
		return;
	}
	follower_push(f);
}

/* The verb of @req ("json" skipped), or "". */
static const char *verb_of(const char *req, char *copy, size_t len)
{
	char *w[2];
	int n;

	snprintf(copy, len, "%s", req);
	n = split_fields(copy, w, 2);
	return n == 0 ? "" : n == 2 && !strcmp(w[0], "json") ? w[1] : w[0];
}

/* Read the request of @c if it came; answer it and drop the client. */
static void client_serve(struct client *c)
{
	char req[CONTROL_REQ_MAX + 1], verb[CONTROL_REQ_MAX + 1];
	/* one request at a time, answered at once: one buffer, in bss (a
	 * malloc of this size was an mmap and munmap per request) */
	static char body[BODY_MAX];
	struct err msg;
	ssize_t n;
	int code;

	n = sock_recv(c->h.fd, req, sizeof(req), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;                 /* not yet: wait for it (bounded) */
	if (n <= 0) {
		client_drop(c);
		return;
	}
	if ((size_t)n > CONTROL_REQ_MAX) {
		reply(c->h.fd, CTL_ERROR, c->access != CONTROL_NONE ? "request too long" :
		      "permission denied", "");
		client_drop(c);
		return;
	}
	req[n] = '\0';
	/* refused only now, after reading: closing with the request unread
	 * would reset the connection before the client sees why */
	if (!allowed(c, req)) {
		reply(c->h.fd, CTL_ERROR, "permission denied", "");
		client_drop(c);
		return;
	}
	if (memchr(req, '\0', (size_t)n)) {
		reply(c->h.fd, CTL_ERROR, "malformed request", "");
		client_drop(c);
		return;
	}
	if (!strcmp(verb_of(req, verb, sizeof(verb)), "follow")) {
		follow(c, req);
		return;
	}
	code = control_handle(req, body, BODY_MAX, &msg);
	reply(c->h.fd, code, msg.msg, body);
	client_drop(c);
}

static void on_client(struct loop_handler *h, uint32_t events)
{
	client_serve((struct client *)h);
}

static void on_accept(struct loop_handler *h, uint32_t events)
{
	for (int burst = 0; burst < 64; burst++) {
		struct client *c = NULL;
		uint64_t oldest = UINT64_MAX;
		int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0 && errno == ECONNABORTED)
			continue;
		if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
			       errno == ENOBUFS)) {
			/* the pending connection keeps the socket readable: stop
			 * watching it for a moment rather than spin */
			log_warn("control: accept: %s: pausing for %u ms", strerror(errno),
				 CONTROL_IDLE_MS);
			loop_del(&ctl.listen);
			loop_timer_set(&ctl.resume, now_ms() + CONTROL_IDLE_MS);
			return;
		}
		if (fd < 0)
			return;
		/* a free slot, else the client that waited longest gives way */
		for (int i = 0; i < CONTROL_PENDING; i++) {
			struct client *x = &ctl.clients[i];

			if (x->h.fd < 0) {
				c = x;
				break;
			}
			if (x->idle.when < oldest) {
				oldest = x->idle.when;
				c = x;
			}
		}
		client_drop(c);
		sock_refuse_fds(fd);
		c->h.fd = fd;
		c->h.fn = on_client;
		c->access = peer_access(fd, &c->pid, &c->operator_peer, c->who, sizeof(c->who));
		loop_timer_set(&c->idle, now_ms() + CONTROL_IDLE_MS);
		if (loop_add(&c->h, EPOLLIN) < 0) {
			if (c->operator_peer)
				close(fd);
			else
				sock_close(fd);
			c->h.fd = -1;
			continue;
		}
		client_serve(c);
	}
}

static void on_idle(struct loop_timer *t)
{
	client_drop(container_of(t, struct client, idle));
}

static void on_resume(struct loop_timer *t)
{
	if (loop_add(&ctl.listen, EPOLLIN) < 0)
		log_err("control: watch the socket again: %s", strerror(errno));
}

int control_open(const char *path, const struct control_ops *ops)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, r;

	for (int i = 0; i < CONTROL_PENDING; i++) {
		ctl.clients[i].h.fd = -1;
		ctl.clients[i].idle.fn = on_idle;
	}
	for (int i = 0; i < CONTROL_FOLLOWERS; i++)
		ctl.followers[i].h.fd = -1;
	ctl.resume.fn = on_resume;
	control_set_ops(ops);
	events_listen(on_event);
	if (strlen(path) + 4 >= sizeof(sa.sun_path))      /* room for ".new" */
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A socket file nobody answers on (ECONNREFUSED) is stale: replace
	 * it. Anything else there (a live boxinit, a file that is not a
	 * socket) is not ours to take. */
	if (lstat(path, &st) == 0) {
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? errno : 0;
		if (!S_ISSOCK(st.st_mode) || r != ECONNREFUSED) {
			close(fd);
			return -EADDRINUSE;
		}
	}
	close(fd);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* bound and listening under a temporary name, then renamed over
	 * @path: whoever sees the socket file can connect at once */
	strcat(sa.sun_path, ".new");
	unlink(sa.sun_path);
	old = umask(077);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || chmod(sa.sun_path, 0600) < 0 || listen(fd, 16) < 0 ||
	    rename(sa.sun_path, path) < 0) {
		r = -errno;
		unlink(sa.sun_path);
		close(fd);
		return r;
	}
	sock_refuse_fds(fd);    /* SO_PASSRIGHTS (6.16); else sock.h's way */
	ctl.listen.fd = fd;
	ctl.listen.fn = on_accept;
	if (loop_add(&ctl.listen, EPOLLIN) < 0) {
		r = -errno;
		close(fd);
		ctl.listen.fd = -1;
		return r;
	}
	snprintf(ctl.path, sizeof(ctl.path), "%s", path);
	return 0;
}

void control_close(void)
{
	for (int i = 0; i < CONTROL_PENDING; i++)
		client_drop(&ctl.clients[i]);
	for (int i = 0; i < CONTROL_FOLLOWERS; i++)
		follower_drop(&ctl.followers[i]);
	events_listen(NULL);
	loop_timer_stop(&ctl.resume);
	if (ctl.listen.fd >= 0) {
		loop_del(&ctl.listen);
		/* connections not accepted yet may hold a service's files */
		sock_drop_fds(&ctl.listen.fd, 1);
		ctl.listen.fd = -1;
		unlink(ctl.path);
	}
}
