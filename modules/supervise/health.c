/* SPDX-License-Identifier: MIT */
/* health: a service's health checks, the parent's side. See health.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "enter.h"
#include "health.h"
#include "log.h"
#include "ready.h"
#include "service.h"
#include "util.h"

#define OUT_READS 16u           /* reads of 4 KiB per turn of the loop */
/* a timed-out check: SIGTERM (its process group killed), SIGKILL after */
#define HEALTH_KILL_MS 1000u

/* ---- the verdict, pure ----------------------------------------------------- */

bool health_count_add(struct health_count *c, bool ok, uint32_t retries)
{
	c->verdict = true;
	if (ok) {
		c->fails = 0;
		return false;
	}
	if (c->fails < UINT32_MAX)
		c->fails++;
	return c->fails >= retries;
}

const char *health_count_text(const struct health_count *c, uint32_t retries,
			      char *buf, size_t len)
{
	if (!c->verdict)
		snprintf(buf, len, "starting");
	else if (!c->fails)
		snprintf(buf, len, "healthy");
	else
		snprintf(buf, len, "unhealthy %u/%u", c->fails, retries);
	return buf;
}

void health_line_reset(struct health_line *l)
{
	l->curlen = 0;
	l->last[0] = '\0';
}

/* The line being read is complete: the last one, unless it is blank. */
static void line_end(struct health_line *l)
{
	while (l->curlen && strchr(" \t\r", l->cur[l->curlen - 1]))
		l->curlen--;
	if (l->curlen) {
		memcpy(l->last, l->cur, l->curlen);
		l->last[l->curlen] = '\0';
	}
	l->curlen = 0;
}

void health_line_feed(struct health_line *l, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n')
			line_end(l);
		else if (l->curlen < HEALTH_LINE_MAX - 1)
			l->cur[l->curlen++] = p[i];
	}
}

const char *health_line_last(struct health_line *l)
{
	line_end(l);
	return l->last;
}

/* ---- the checks -------------------------------------------------------------- */

static void out_close(struct svc_health *h)
{
	if (h->out.fd < 0)
		return;
	loop_del(&h->out);
	close(h->out.fd);
	h->out.fd = -1;
}

/* What the check wrote so far (at most OUT_READS reads: the loop comes
 * back for the rest); EOF closes the pipe. */
static void drain(struct svc_health *h)
{
	char buf[4096];
	ssize_t n;

	for (unsigned i = 0; i < OUT_READS && h->out.fd >= 0; i++) {
		n = read(h->out.fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			out_close(h);
			return;
		}
		health_line_feed(&h->line, buf, (size_t)n);
	}
}

static void on_output(struct loop_handler *hd, uint32_t events)
{
	drain(container_of(hd, struct svc_health, out));
}

/* The next check may run: the run is up, ready, and not being killed. */
static bool may_check(const struct service *s)
{
	return s->fsm.state == FSM_RUNNING && s->fsm.ready && !s->fsm.killed_why[0] &&
	       s->pid > 0;
}

/* A check ended (@ok: it passed; else @why): count it, and either the
 * next one after health_interval or, the last straw, EV_UNHEALTHY. */
static void conclude(struct service *s, bool ok, const char *why)
{
	struct svc_health *h = &s->health;
	const struct svc_conf *c = s->conf;
	bool news = !h->count.verdict || h->count.fails;

	if (health_count_add(&h->count, ok, c->health_retries)) {
		struct fsm_event ev = { .type = EV_UNHEALTHY, .why = why };

		log_warn("%s: health check failed (%u/%u): %s", svc_name(s),
			 h->count.fails, c->health_retries, why);
		h->on = false;
		svc_event(s, &ev, NULL);        /* killed: svc_health_stop() */
		svc_settle();
		return;
	}
	if (!ok)
		log_warn("%s: health check failed (%u/%u): %s", svc_name(s),
			 h->count.fails, c->health_retries, why);
	else if (news)
		log_info("%s: healthy", svc_name(s));
	if (h->on)
		loop_timer_set(&h->timer, now_ms() + c->health_interval_ms);
}

/* The check's intermediate ended with @ws: the verdict. */
static void on_check_exit(struct loop_child *ch, int ws)
{
	struct service *s = container_of(ch, struct service, health.child);
	struct svc_health *h = &s->health;
	char why[HEALTH_LINE_MAX + 40], d[24];
	const char *last;

	h->child.pid = 0;
	loop_timer_stop(&h->timer);
	if (h->out.fd >= 0) {
		drain(h);       /* what it wrote before it ended */
		out_close(h);   /* a leftover writer gets EPIPE */
	}
	last = health_line_last(&h->line);
	if (h->timed_out)
		snprintf(why, sizeof(why), "timed out after %s",
			 fsm_duration_text(s->conf->health_timeout_ms, d, sizeof(d)));
	else if (*last && !(WIFEXITED(ws) && WEXITSTATUS(ws) == 0))
		log_sanitize(why, sizeof(why), last, strlen(last));
	else
		process_exit_text(ws, why, sizeof(why));
	conclude(s, !h->timed_out && WIFEXITED(ws) && WEXITSTATUS(ws) == 0, why);
}

/* Start a check of @s, or conclude at once that it could not start. */
static void run_check(struct service *s)
{
	const struct svc_conf *c = s->conf;
	struct svc_health *h = &s->health;
	struct enter_req req = {
		.reaper = s->pid, .argv = c->health_argv, .workdir = c->workdir,
		.conf = c,
	};
	int cg[CG_MAX_HIER], ncg, p[2] = { -1, -1 };
	struct err e = { 0 };
	char why[ERR_MSG_MAX + 16];
	char **env = NULL;
	pid_t pid = -1;

	if ((ncg = cgroup_open_procs(svc_name(s), cg)) < 0)
		err_set(&e, ncg, "cgroup");
	else if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0 || fcntl(p[1], F_SETFL, 0) < 0)
		err_set(&e, -errno, "pipe");
	else if (!(env = svc_env(c)))
		err_setx(&e, -ENOMEM, "environment: out of memory");
	req.env = env;
	req.cgroup_fds = cg;
	req.ncgroup_fds = ncg > 0 ? ncg : 0;
	req.out_fd = p[1];
	if (!e.code)
		pid = process_enter(&req, &e);
	free(env);
	while (ncg > 0)
		close(cg[--ncg]);
	if (p[1] >= 0)
		close(p[1]);
	if (pid < 0) {
		if (p[0] >= 0)
			close(p[0]);
		snprintf(why, sizeof(why), "cannot run it: %s", e.msg);
		conclude(s, false, why);
		return;
	}
	health_line_reset(&h->line);
	h->timed_out = false;
	h->child.pid = pid;
	loop_child_watch(&h->child);
	h->out.fd = p[0];
	if (loop_add(&h->out, EPOLLIN) < 0)
		out_close(h);           /* its verdict is its exit status alone */
	loop_timer_set(&h->timer, now_ms() + c->health_timeout_ms);
}

static void on_timer(struct loop_timer *t)
{
	struct service *s = container_of(t, struct service, health.timer);
	struct svc_health *h = &s->health;

	if (h->child.pid > 0) {
		/* its timeout: SIGTERM has the intermediate kill the check's
		 * process group (all it started); SIGKILL, HEALTH_KILL_MS later,
		 * takes the check along (parent death signal). The
		 * intermediate's exit gives the verdict. */
		int sig = h->timed_out ? SIGKILL : SIGTERM;

		if (!h->timed_out)
			loop_timer_set(t, now_ms() + HEALTH_KILL_MS);
		h->timed_out = true;
		if (kill(h->child.pid, sig) < 0)
			log_warn("%s: health check: kill %d: %s", svc_name(s),
				 (int)h->child.pid, strerror(errno));
		return;
	}
	if (!h->on)
		return;
	if (!may_check(s)) {
		/* stop-wait: it may be wanted up again; its exit stops this */
		loop_timer_set(t, now_ms() + s->conf->health_interval_ms);
		return;
	}
	run_check(s);
}

void svc_health_init(struct service *s)
{
	s->health.timer.fn = on_timer;
	s->health.child.fn = on_check_exit;
	s->health.out.fd = -1;
	s->health.out.fn = on_output;
}

void svc_health_reset(struct service *s)
{
	svc_health_stop(s);
	memset(&s->health.count, 0, sizeof(s->health.count));
}

void svc_health_start(struct service *s)
{
	struct svc_health *h = &s->health;

	if (!s->conf->health_argv || h->on || !may_check(s))
		return;
	h->on = true;
	loop_timer_set(&h->timer, now_ms());
}

void svc_health_stop(struct service *s)
{
	struct svc_health *h = &s->health;

	h->on = false;
	loop_timer_stop(&h->timer);
	if (h->child.pid > 0) {
		/* reaped as an orphan: nothing waits for its verdict */
		kill(h->child.pid, SIGKILL);
		loop_child_forget(&h->child);
		h->child.pid = 0;
	}
	out_close(h);
}

const char *svc_health_text(const struct service *s, char *buf, size_t len)
{
	if (!s->conf->health_argv || s->pid <= 0)
		return NULL;
	return health_count_text(&s->health.count, s->conf->health_retries, buf, len);
}
