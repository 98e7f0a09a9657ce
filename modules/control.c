/* SPDX-License-Identifier: MIT */
/* control: the control socket server. See control.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cgroup.h"
#include "control.h"
#include "log.h"
#include "loop.h"
#include "supervise.h"
#include "util.h"

struct client {
	struct loop_handler h;
	uint64_t deadline_ms;
	bool root;              /* SO_PEERCRED uid 0 */
};

static struct {
	struct loop_handler listen;
	struct client clients[CONTROL_PENDING];
	const struct control_ops *ops;
	uint64_t paused_until;  /* accept failed for lack of fds: retry then */
	char path[108];
} ctl = { .listen = { .fd = -1 } };

/* ---- formatting ---------------------------------------------------------- */

struct buf {
	char *p;
	size_t len, used;
};

static void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->used >= b->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->used, b->len - b->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->used += (size_t)n < b->len - b->used ? (size_t)n : b->len - b->used - 1;
}

/* "512", "12K", "3.4M", "1.2G": a size at a glance */
static const char *human(uint64_t v, char *out, size_t len)
{
	static const char units[] = "KMGT";
	unsigned long long whole = v, frac = 0;
	int u = -1;

	if (v == UINT64_MAX) {
		snprintf(out, len, "-");
		return out;
	}
	while (whole >= 1024 && u < 3) {
		frac = (whole % 1024) * 10 / 1024;
		whole /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(out, len, "%llu", whole);
	else if (whole < 10 && frac)
		snprintf(out, len, "%llu.%llu%c", whole, frac, units[u]);
	else
		snprintf(out, len, "%llu%c", whole, units[u]);
	return out;
}

/* "45s", "12m03s", "3h07m", "2d04h" */
static const char *duration(uint64_t s, char *out, size_t len)
{
	if (s < 60)
		snprintf(out, len, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(out, len, "%llum%02llus", (unsigned long long)s / 60,
			 (unsigned long long)s % 60);
	else if (s < 86400)
		snprintf(out, len, "%lluh%02llum", (unsigned long long)s / 3600,
			 (unsigned long long)s % 3600 / 60);
	else
		snprintf(out, len, "%llud%02lluh", (unsigned long long)s / 86400,
			 (unsigned long long)s % 86400 / 3600);
	return out;
}

struct row {
	const struct service *s;
	uint64_t uptime_s, cpu_us, mem;
	char addr[20];
};

static void row_of(const struct service *s, struct row *r)
{
	const struct svc_conf *c = s->conf;

	r->s = s;
	r->uptime_s = s->pid > 0 ? (now_ms() - s->started_ms) / 1000 : 0;
	r->cpu_us = r->mem = UINT64_MAX;
	if (s->cg_made)
		cgroup_usage(c->name, &r->cpu_us, &r->mem);
	if (c->has_ip) {
		const unsigned char *a = (const unsigned char *)&c->ip.s_addr;

		snprintf(r->addr, sizeof(r->addr), "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
	} else {
		snprintf(r->addr, sizeof(r->addr), "-");
	}
}

static void status_json(struct buf *b, const struct row *r, size_t n)
{
	bprintf(b, "{\"services\":[");
	for (size_t i = 0; i < n; i++) {
		const struct service *s = r[i].s;

		bprintf(b, "%s{\"name\":\"%s\",\"state\":\"%s\",\"pid\":%d,"
			"\"uptime_s\":%llu,\"restarts\":%u,\"oom_kills\":%u,",
			i ? "," : "", s->conf->name, svc_state_name(s->state),
			s->pid > 0 ? (int)s->pid : 0,
			(unsigned long long)r[i].uptime_s, s->restarts, s->oom_kills);
		if (r[i].cpu_us == UINT64_MAX)
			bprintf(b, "\"cpu_us\":null,");
		else
			bprintf(b, "\"cpu_us\":%llu,", (unsigned long long)r[i].cpu_us);
		if (r[i].mem == UINT64_MAX)
			bprintf(b, "\"memory\":null,");
		else
			bprintf(b, "\"memory\":%llu,", (unsigned long long)r[i].mem);
		if (s->conf->memory == UINT64_MAX)
			bprintf(b, "\"memory_limit\":null,");
		else
			bprintf(b, "\"memory_limit\":%llu,", (unsigned long long)s->conf->memory);
		bprintf(b, "\"address\":%s%s%s,\"reason\":\"",
			r[i].addr[0] == '-' ? "" : "\"",
			r[i].addr[0] == '-' ? "null" : r[i].addr,
			r[i].addr[0] == '-' ? "" : "\"");
		/* reasons are our own text: escape what JSON needs anyway */
		for (const char *p = s->reason; *p; p++) {
			if (*p == '"' || *p == '\\')
				bprintf(b, "\\%c", *p);
			else if ((unsigned char)*p >= 0x20)
				bprintf(b, "%c", *p);
		}
		bprintf(b, "\"}");
	}
	bprintf(b, "]}\n");
}

static void status_table(struct buf *b, const struct row *r, size_t n)
{
	bprintf(b, "%-16s %-9s %7s %7s %8s %4s %9s %13s %-15s %s\n", "NAME", "STATE",
		"PID", "UPTIME", "RESTARTS", "OOM", "CPU", "MEMORY/LIMIT", "ADDRESS", "REASON");
	for (size_t i = 0; i < n; i++) {
		const struct service *s = r[i].s;
		char up[48], cpu[48], mem[24], lim[24], ml[50], pid[12];

		snprintf(pid, sizeof(pid), s->pid > 0 ? "%d" : "-", (int)s->pid);
		if (r[i].cpu_us == UINT64_MAX)
			snprintf(cpu, sizeof(cpu), "-");
		else
			snprintf(cpu, sizeof(cpu), "%llu.%02llus",
				 (unsigned long long)(r[i].cpu_us / 1000000),
				 (unsigned long long)(r[i].cpu_us % 1000000 / 10000));
		snprintf(ml, sizeof(ml), "%s/%s", human(r[i].mem, mem, sizeof(mem)),
			 s->conf->memory == UINT64_MAX ? "-" : human(s->conf->memory, lim, sizeof(lim)));
		bprintf(b, "%-16s %-9s %7s %7s %8u %4u %9s %13s %-15s %s\n", s->conf->name,
			svc_state_name(s->state), pid,
			s->pid > 0 ? duration(r[i].uptime_s, up, sizeof(up)) : "-",
			s->restarts, s->oom_kills, cpu, ml, r[i].addr, s->reason);
	}
}

static int do_status(const char *name, bool json, struct buf *b, char *msg, size_t ml)
{
	size_t n;
	struct service *const *t = supervise_table(&n);
	struct row *rows = calloc(n ? n : 1, sizeof(*rows));
	size_t k = 0;
	int code = CTL_OK;

	if (!rows) {
		snprintf(msg, ml, "out of memory");
		return CTL_ERROR;
	}
	for (size_t i = 0; i < n; i++)
		if (!name || !strcmp(t[i]->conf->name, name))
			row_of(t[i], &rows[k++]);
	if (name && !k) {
		snprintf(msg, ml, "%s: no such service", name);
		code = CTL_NOT_FOUND;
	} else {
		if (json)
			status_json(b, rows, k);
		else
			status_table(b, rows, k);
		if (b->used + 1 >= b->len) {
			/* cut short: say so, and never hand out half a JSON document */
			snprintf(msg, ml, "status of %zu services cut at %zu bytes: ask for one (status NAME)",
				 k, b->len);
			if (json)
				b->p[0] = '\0';
			code = CTL_ERROR;
		} else if (name && rows[0].s->state != SVC_RUNNING) {
			snprintf(msg, ml, "%s: %s", name, svc_state_name(rows[0].s->state));
			code = CTL_NOT_FOUND;
		}
	}
	free(rows);
	return code;
}

/* ---- requests --------------------------------------------------------------- */

static int act(int (*fn)(const char *), const char *verb, const char *name,
	       char *msg, size_t ml)
{
	int r;

	if (!name) {
		snprintf(msg, ml, "%s: which service?", verb);
		return CTL_ERROR;
	}
	r = fn(name);
	switch (r) {
	case 0:
		snprintf(msg, ml, "%s: %s requested", name, verb);
		return CTL_OK;
	case -ENOENT:
		snprintf(msg, ml, "%s: no such service", name);
		return CTL_NOT_FOUND;
	case -EALREADY:
		snprintf(msg, ml, "%s: already %s", name,
			 !strcmp(verb, "start") ? "started" : "stopped");
		return CTL_OK;
	case -EINVAL:
		snprintf(msg, ml, "%s: invalid configuration: see boxinit --check", name);
		return CTL_ERROR;
	case -ESHUTDOWN:
		snprintf(msg, ml, "shutting down");
		return CTL_ERROR;
	default:
		snprintf(msg, ml, "%s: %s: %s", name, verb, strerror(-r));
		return CTL_ERROR;
	}
}

int control_handle(const char *req, char *out, size_t len, char *msg, size_t ml)
{
	char copy[CONTROL_REQ_MAX + 1];
	char *w[4];
	struct buf b = { out, len, 0 };
	bool json = false;
	int n, k = 0;

	out[0] = '\0';
	msg[0] = '\0';
	snprintf(copy, sizeof(copy), "%s", req);
	n = split_fields(copy, w, 4);
	if (n > 0 && !strcmp(w[0], "json")) {
		json = true;
		k = 1;
	}
	if (n <= k) {
		snprintf(msg, ml, "empty request");
		return CTL_ERROR;
	}
	for (const char *p = req; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != ' ' && *p != '\t' && *p != '\n') {
			snprintf(msg, ml, "malformed request");
			return CTL_ERROR;
		}
	if (n - k > 2) {
		snprintf(msg, ml, "%s: too many arguments", w[k]);
		return CTL_ERROR;
	}
	const char *verb = w[k], *arg = n - k == 2 ? w[k + 1] : NULL;

	if (!strcmp(verb, "status"))
		return do_status(arg, json, &b, msg, ml);
	if (!strcmp(verb, "start"))
		return act(supervise_start, verb, arg, msg, ml);
	if (!strcmp(verb, "stop"))
		return act(supervise_stop, verb, arg, msg, ml);
	if (!strcmp(verb, "restart"))
		return act(supervise_restart, verb, arg, msg, ml);
	if (!strcmp(verb, "logpath")) {
		if (!arg || !supervise_find(arg)) {
			snprintf(msg, ml, "%s: no such service", arg ? arg : "?");
			return CTL_NOT_FOUND;
		}
		if (!log_dir()) {
			snprintf(msg, ml, "no log directory (boxinit --log-dir)");
			return CTL_ERROR;
		}
		bprintf(&b, "%s/%s.log", log_dir(), arg);
		return CTL_OK;
	}
	if (arg) {
		snprintf(msg, ml, "%s: takes no argument", verb);
		return CTL_ERROR;
	}
	if (!strcmp(verb, "reload"))
		return ctl.ops && ctl.ops->reload(msg, ml) == 0 ? CTL_OK : CTL_ERROR;
	if (!strcmp(verb, "reboot") || !strcmp(verb, "poweroff") || !strcmp(verb, "halt")) {
		int cmd = verb[0] == 'r' ? (int)RB_AUTOBOOT :
			  verb[0] == 'p' ? (int)RB_POWER_OFF : (int)RB_HALT_SYSTEM;

		if (!ctl.ops) {
			snprintf(msg, ml, "not available");
			return CTL_ERROR;
		}
		snprintf(msg, ml, "%s requested", verb);
		ctl.ops->shutdown(cmd, "boxctl");
		return CTL_OK;
	}
	snprintf(msg, ml, "%s: unknown request", verb);
	return CTL_ERROR;
}

/* ---- the socket ------------------------------------------------------------- */

static void client_drop(struct client *c)
{
	if (c->h.fd < 0)
		return;
	loop_del(&c->h);
	close(c->h.fd);
	c->h.fd = -1;
	c->deadline_ms = 0;
}

static void reply(int fd, int code, const char *msg, const char *body)
{
	char head[CONTROL_REQ_MAX + 32];
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

#define BODY_MAX (64u * 1024u)

/* Read the request of @c if it came; answer it and drop the client. */
static void client_serve(struct client *c)
{
	char req[CONTROL_REQ_MAX + 1], msg[CONTROL_REQ_MAX];
	char *body;
	ssize_t n;
	int code;

	n = recv(c->h.fd, req, sizeof(req), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;                 /* not yet: wait for it (bounded) */
	if (n <= 0) {
		client_drop(c);
		return;
	}
	if ((size_t)n > CONTROL_REQ_MAX) {
		reply(c->h.fd, CTL_ERROR, c->root ? "request too long" : "permission denied", "");
		client_drop(c);
		return;
	}
	req[n] = '\0';
	/* refused only now, after reading: closing with the request unread
	 * would reset the connection before the client sees why */
	if (!c->root) {
		reply(c->h.fd, CTL_ERROR, "permission denied", "");
		client_drop(c);
		return;
	}
	if (memchr(req, '\0', (size_t)n)) {
		reply(c->h.fd, CTL_ERROR, "malformed request", "");
		client_drop(c);
		return;
	}
	body = malloc(BODY_MAX);
	if (!body) {
		reply(c->h.fd, CTL_ERROR, "out of memory", "");
		client_drop(c);
		return;
	}
	code = control_handle(req, body, BODY_MAX, msg, sizeof(msg));
	reply(c->h.fd, code, msg, body);
	free(body);
	client_drop(c);
}

static void on_client(struct loop_handler *h, uint32_t events)
{
	client_serve((struct client *)h);
}

static void on_accept(struct loop_handler *h, uint32_t events)
{
	for (int burst = 0; burst < 64; burst++) {
		struct ucred cred;
		socklen_t cl = sizeof(cred);
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
			ctl.paused_until = now_ms() + CONTROL_IDLE_MS;
			return;
		}
		if (fd < 0)
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0)
			cred.uid = (uid_t)-1;
		/* a free slot, else the client that waited longest gives way */
		for (int i = 0; i < CONTROL_PENDING; i++) {
			struct client *x = &ctl.clients[i];

			if (x->h.fd < 0) {
				c = x;
				break;
			}
			if (x->deadline_ms < oldest) {
				oldest = x->deadline_ms;
				c = x;
			}
		}
		client_drop(c);
		c->h.fd = fd;
		c->h.fn = on_client;
		c->root = cred.uid == 0;
		c->deadline_ms = now_ms() + CONTROL_IDLE_MS;
		if (loop_add(&c->h, EPOLLIN) < 0) {
			close(fd);
			c->h.fd = -1;
			continue;
		}
		client_serve(c);
	}
}

uint64_t control_next_deadline(void)
{
	uint64_t next = ctl.paused_until;

	for (int i = 0; i < CONTROL_PENDING; i++) {
		const struct client *c = &ctl.clients[i];

		if (c->h.fd >= 0 && (!next || c->deadline_ms < next))
			next = c->deadline_ms;
	}
	return next;
}

void control_on_timer(void)
{
	uint64_t now = now_ms();

	if (ctl.paused_until && ctl.paused_until <= now) {
		ctl.paused_until = 0;
		if (loop_add(&ctl.listen, EPOLLIN) < 0)
			log_err("control: watch the socket again: %s", strerror(errno));
	}

	for (int i = 0; i < CONTROL_PENDING; i++)
		if (ctl.clients[i].h.fd >= 0 && ctl.clients[i].deadline_ms <= now)
			client_drop(&ctl.clients[i]);
}

int control_open(const char *path, const struct control_ops *ops)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, r;

	for (int i = 0; i < CONTROL_PENDING; i++)
		ctl.clients[i].h.fd = -1;
	ctl.ops = ops;
	if (strlen(path) >= sizeof(sa.sun_path))
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
		unlink(path);
	}
	close(fd);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	old = umask(077);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || chmod(path, 0600) < 0 || listen(fd, 16) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
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
	if (ctl.listen.fd >= 0) {
		loop_del(&ctl.listen);
		close(ctl.listen.fd);
		ctl.listen.fd = -1;
		unlink(ctl.path);
	}
}
