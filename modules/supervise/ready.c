/* SPDX-License-Identifier: MIT */
/* ready: fd:N and notify readiness, the parent's side. See ready.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "health.h"
#include "log.h"
#include "ready.h"
#include "service.h"
#include "sock.h"

#define READ_ROUNDS 16u         /* reads (or datagrams) per turn of the loop */

static char notify_env[] = "NOTIFY_SOCKET=" PROCESS_NOTIFY_SOCKET;

unsigned notify_parse(const char *msg, size_t len, char *status, size_t slen)
{
	unsigned what = 0;

	while (len) {
		const char *nl = memchr(msg, '\n', len);
		size_t n = nl ? (size_t)(nl - msg) : len;

		if (n == 7 && !memcmp(msg, "READY=1", 7)) {
			what |= NOTIFY_READY;
		} else if (n >= 7 && !memcmp(msg, "STATUS=", 7)) {
			what |= NOTIFY_STATUS;
			if (status && slen)
				log_sanitize(status, slen, msg + 7, n - 7);
		}
		n += nl != NULL;
		msg += n;
		len -= n;
	}
	return what;
}

char **svc_env(const struct svc_conf *c)
{
	char **env = process_env(c->env), **n;
	size_t k;

	if (!env || c->ready != READY_NOTIFY)
		return env;
	for (k = 0; env[k]; k++) {
		if (!strncmp(env[k], "NOTIFY_SOCKET=", 14)) {
			env[k] = notify_env;
			return env;
		}
	}
	n = realloc(env, (k + 2) * sizeof(*n));
	if (!n) {
		free(env);
		return NULL;
	}
	n[k] = notify_env;
	n[k + 1] = NULL;
	return n;
}

/* LOG_DIR/.notify/NAME into @buf (a sockaddr_un's path), the directory
 * made 0700 when @make. Returns 0 or -errno with @e set. */
static int notify_path(const struct service *s, char *buf, size_t len, bool make,
		       struct err *e)
{
	const char *dir = log_dir();
	struct stat st;
	int n;

	if (!dir)
		return err_setx(e, -ENOENT, "ready = notify: no log directory "
				"(log_dir, --log-dir) to keep its socket in");
	n = snprintf(buf, len, "%s/%s", dir, NOTIFY_DIR);
	if (n < 0 || (size_t)n >= len)
		return err_setx(e, -ENAMETOOLONG, "ready = notify: %s: path too long", dir);
	if (make && mkdir(buf, 0700) < 0 && errno != EEXIST)
		return err_set(e, -errno, "ready = notify: mkdir %s", buf);
	if (make && (lstat(buf, &st) < 0 || !S_ISDIR(st.st_mode) ||
		     st.st_uid != geteuid() || chmod(buf, 0700) < 0))
		return err_setx(e, -EEXIST, "ready = notify: %s is not boxinit's "
				"directory", buf);
	n = snprintf(buf, len, "%s/%s/%s", dir, NOTIFY_DIR, svc_name(s));
	if (n < 0 || (size_t)n >= len)
		return err_setx(e, -ENAMETOOLONG, "ready = notify: socket path of "
				"%s too long (%d bytes, at most %zu)", dir, n, len - 1);
	return 0;
}

/* @s's socket, bound at @a's path, writable by any uid of its container. */
static int notify_open(struct service *s, struct sockaddr_un *a, struct err *e)
{
	int fd, r;

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if ((r = notify_path(s, a->sun_path, sizeof(a->sun_path), true, e)) < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_set(e, -errno, "ready = notify: socket");
	if ((unlink(a->sun_path) < 0 && errno != ENOENT) ||
	    bind(fd, (struct sockaddr *)a, sizeof(*a)) < 0 ||
	    chmod(a->sun_path, 0666) < 0) {
		r = err_set(e, -errno, "ready = notify: socket %s", a->sun_path);
		close(fd);
		return r;
	}
	/* SO_PASSRIGHTS (6.16): a sender's files refused; else sock.h */
	if ((r = sock_refuse_fds(fd)) < 0 && r != -ENOPROTOOPT)
		log_debug("%s: notify: SO_PASSRIGHTS: %s", svc_name(s), strerror(-r));
	s->rdy.fd = fd;
	s->rdy_bound = true;
	return 0;
}

int ready_prepare(struct service *s, struct spawn_req *req, struct err *e)
{
	static struct sockaddr_un a;    /* its path, until the spawn returns */
	const struct svc_conf *c = s->conf;
	int p[2];

	s->status_text[0] = '\0';
	s->rdy_count = 0;
	if (s->console)
		return 0;
	if (c->ready == READY_NOTIFY) {
		if (notify_open(s, &a, e) < 0)
			return e->code;
		req->notify = a.sun_path;
	} else if (c->ready == READY_FD) {
		if (pipe2(p, O_CLOEXEC) < 0 || fcntl(p[0], F_SETFL, O_NONBLOCK) < 0)
			return err_set(e, -errno, "ready = fd:%d: pipe", c->ready_fd);
		s->rdy.fd = p[0];
		s->rdy_wfd = p[1];
		req->ready_fd = c->ready_fd;
		req->ready_wfd = p[1];
	}
	return 0;
}

static void rdy_stop(struct service *s)
{
	if (s->rdy.fd < 0)
		return;
	loop_del(&s->rdy);
	sock_close(s->rdy.fd);  /* the notify socket: passed files die elsewhere */
	s->rdy.fd = -1;
}

void ready_close(struct service *s)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];

	if (s->rdy_wfd >= 0)
		close(s->rdy_wfd);
	s->rdy_wfd = -1;
	rdy_stop(s);
	if (s->rdy_bound && notify_path(s, path, sizeof(path), false, NULL) == 0 &&
	    unlink(path) < 0 && errno != ENOENT)
		log_warn("%s: unlink %s: %s", svc_name(s), path, strerror(errno));
	s->rdy_bound = false;
}

void ready_feed(struct service *s)
{
	struct fsm_event ev = { .type = EV_READY };

	svc_event(s, &ev, NULL);
	if (s->fsm.ready)
		svc_health_start(s);
	svc_settle();
}

/* fd:N: ready at the first "\n"; EOF without one leaves it to the timeout. */
static void on_line(struct loop_handler *h, uint32_t events)
{
	struct service *s = container_of(h, struct service, rdy);
	char buf[512];
	ssize_t n = 1;

	for (unsigned i = 0; i < READ_ROUNDS; i++) {
		n = read(h->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0)
			log_warn("%s: ready = fd:%d: read: %s", svc_name(s),
				 s->conf->ready_fd, strerror(errno));
		if (n <= 0)
			break;
		if (memchr(buf, '\n', (size_t)n)) {
			rdy_stop(s);
			ready_feed(s);
			return;
		}
		s->rdy_count += (uint32_t)n;
		if (s->rdy_count > READY_LINE_MAX) {
			log_warn("%s: ready = fd:%d: %u bytes without a newline: not "
				 "a readiness line, no longer read", svc_name(s),
				 s->conf->ready_fd, s->rdy_count);
			break;
		}
	}
	if (n <= 0 || s->rdy_count > READY_LINE_MAX)
		rdy_stop(s);
}

/* One datagram of @n bytes (@len read) on @s's socket. */
static void datagram(struct service *s, const char *buf, size_t n)
{
	char status[SVC_STATUS_MAX];
	unsigned what;

	if (n > NOTIFY_MSG_MAX) {
		if (s->rdy_count++ == 0)
			log_warn("%s: notify: a datagram of %zu bytes dropped (at most %u)",
				 svc_name(s), n, NOTIFY_MSG_MAX);
		return;
	}
	what = notify_parse(buf, n, status, sizeof(status));
	if (what & NOTIFY_STATUS)
		memcpy(s->status_text, status, sizeof(status));
	if ((what & NOTIFY_READY) && !s->fsm.ready)
		ready_feed(s);
}

static void on_datagram(struct loop_handler *h, uint32_t events)
{
	struct service *s = container_of(h, struct service, rdy);
	char buf[NOTIFY_MSG_MAX];
	ssize_t n;

	for (unsigned i = 0; i < READ_ROUNDS && s->rdy.fd >= 0; i++) {
		/* MSG_TRUNC: the datagram's real length (Linux 3.4) */
		n = sock_recv(h->fd, buf, sizeof(buf), MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			log_warn("%s: notify: recv: %s: no longer listening",
				 svc_name(s), strerror(errno));
			rdy_stop(s);
			return;
		}
		datagram(s, buf, (size_t)n);
	}
}

void ready_started(struct service *s, bool ok)
{
	int r;

	if (s->rdy_wfd >= 0)
		close(s->rdy_wfd);
	s->rdy_wfd = -1;
	if (!ok) {
		ready_close(s);
		return;
	}
	if (s->rdy.fd < 0)
		return;
	s->rdy.fn = s->conf->ready == READY_FD ? on_line : on_datagram;
	if ((r = loop_add(&s->rdy, EPOLLIN)) < 0) {
		log_warn("%s: cannot watch for its readiness: %s", svc_name(s),
			 strerror(-r));
		rdy_stop(s);
	}
}
