// SPDX-License-Identifier: MIT
/* svc_output: a service's output pipe under its log rate limit. See
 * svc_output.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log.h"
#include "lograte.h"
#include "svc_output.h"
#include "util.h"

#define OUT_BUF   4096u                 /* one read(2) */
#define OUT_READS 16u                   /* reads per round */
#define OUT_CHUNK (OUT_BUF * OUT_READS) /* bytes per round at most */

static void out_rearm(struct service *s);

static struct service *of_out(struct loop_handler *h)
{
	return container_of(h, struct service, out);
}

/* A complete line, @n bytes at @p: relay it or drop it (counted). */
static void emit(struct service *s, const char *p, size_t n)
{
	if (lograte_take(&s->rate, s->conf, n + 1u))
		log_line(s->conf->name, &s->log, p, n);
}

/* Split @n bytes at @p into lines; a line longer than SVC_LINE_MAX is
 * split at that length. A line whole in @p is relayed from there; only
 * the start of one still to come is kept, in s->line (allocated the
 * first time: most services write whole lines, and keep no buffer). */
static void feed(struct service *s, const char *p, size_t n)
{
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t seg = nl ? (size_t)(nl - p) : n;
		size_t room = SVC_LINE_MAX - s->linelen;
		size_t take = seg < room ? seg : room;

		if (!nl && seg < room) {        /* the line goes on later */
			if (!s->line && !(s->line = malloc(SVC_LINE_MAX))) {
				emit(s, p, seg);        /* no room: a line of its own */
				return;
			}
			memcpy(s->line + s->linelen, p, seg);
			s->linelen += (uint16_t)seg;
			return;
		}
		if (s->linelen) {
			memcpy(s->line + s->linelen, p, take);
			emit(s, s->line, s->linelen + take);
			s->linelen = 0;
		} else {
			emit(s, p, take);
		}
		/* the newline too, unless the line was cut at SVC_LINE_MAX */
		take += seg < room;
		p += take;
		n -= take;
	}
}

static void report(struct service *s, uint64_t now)
{
	const struct svc_conf *c = s->conf;
	uint64_t n = lograte_report(&s->rate, now);
	char lines[32], bytes[40];

	if (!n)
		return;
	if (c->log_rate)
		snprintf(lines, sizeof(lines), "%u lines/s", c->log_rate);
	else
		snprintf(lines, sizeof(lines), "lines: off");
	if (c->log_rate_bytes)
		snprintf(bytes, sizeof(bytes), "%llu bytes/s",
			 (unsigned long long)c->log_rate_bytes);
	else
		snprintf(bytes, sizeof(bytes), "bytes: off");
	log_warn("%s: log rate limit: %llu line%s dropped (limit %s, %s)", c->name,
		 (unsigned long long)n, n == 1 ? "" : "s", lines, bytes);
}

/*
 * Read at most OUT_CHUNK bytes of what the pipe holds (epoll is level-
 * triggered: the rest comes next round) and relay it. Returns true when a
 * line was dropped: the pipe should rest.
 */
static bool drain(struct service *s, bool final)
{
	uint64_t dropped = s->rate.dropped;
	char buf[OUT_BUF];
	ssize_t n;

	lograte_refill(&s->rate, s->conf, now_ms());
	for (unsigned reads = 0; s->out.fd >= 0 && reads < OUT_READS; reads++) {
		n = read(s->out.fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		feed(s, buf, (size_t)n);
	}
	if (final && s->linelen) {
		emit(s, s->line, s->linelen);
		s->linelen = 0;
	}
	return s->rate.dropped != dropped;
}

static void pause_reading(struct service *s)
{
	int r = loop_del(&s->out);

	if (r < 0) {
		log_warn("%s: cannot pause reading its output: %s", s->conf->name,
			 strerror(-r));
		return;
	}
	s->out_paused = true;
	s->out_resume_ms = lograte_resume_ms(&s->rate, s->conf, now_ms());
}

static void out_ready(struct loop_handler *h, uint32_t events)
{
	struct service *s = of_out(h);
	bool over = drain(s, false);

	if (events & (EPOLLHUP | EPOLLERR))
		svc_out_close(s);
	else if (over)
		pause_reading(s);
	out_rearm(s);
}

void svc_out_open(struct service *s, int fd)
{
	int r;

	s->out.fd = fd;
	s->out.fn = out_ready;
	s->out_paused = false;
	s->linelen = 0;
	if (fd < 0)
		return;
	r = loop_add(&s->out, EPOLLIN);
	if (r < 0) {
		log_warn("%s: cannot watch output: %s", s->conf->name, strerror(-r));
		close(fd);
		s->out.fd = -1;
	}
}

void svc_out_close(struct service *s)
{
	if (s->out.fd < 0)
		return;
	drain(s, true);
	if (!s->out_paused)
		loop_del(&s->out);
	s->out_paused = false;
	close(s->out.fd);
	s->out.fd = -1;
	report(s, now_ms());
	out_rearm(s);
}

/* When the output timer must run for @s (0: never): a paused pipe to
 * read again, drops to report. */
static uint64_t out_deadline(const struct service *s)
{
	uint64_t due = lograte_report_due(&s->rate);

	if (s->out.fd >= 0 && s->out_paused && (!due || s->out_resume_ms < due))
		due = s->out_resume_ms;
	return due;
}

static void out_rearm(struct service *s)
{
	uint64_t due = out_deadline(s);

	if (s->out_timer.when != due)
		loop_timer_set(&s->out_timer, due);
}

static void out_timer(struct loop_timer *t)
{
	struct service *s = container_of(t, struct service, out_timer);
	uint64_t now = now_ms();
	int r;

	if (s->out.fd >= 0 && s->out_paused && s->out_resume_ms <= now) {
		r = loop_add(&s->out, EPOLLIN);
		if (r < 0) {
			log_warn("%s: cannot watch output: %s", s->conf->name,
				 strerror(-r));
			s->out_resume_ms = now + LOGRATE_PAUSE_MS;
		} else {
			s->out_paused = false;
		}
	}
	report(s, now);
	out_rearm(s);
}

void svc_out_init(struct service *s)
{
	s->out_timer.fn = out_timer;
}
