/* SPDX-License-Identifier: MIT */
/* loop: epoll, one timerfd for a list of timers, the children it reaps.
 * See loop.h. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "util.h"

static int epfd = -1;
static int tfd = -1;
static uint64_t armed_ms;       /* what the timerfd holds, 0 = disarmed */

/* The batch being dispatched: loop_del() forgets a handler's pending
 * events in it, so a handler freed by an earlier event is never called. */
static struct epoll_event *batch;
static int batch_n;

#define TIMER_TAG ((void *)1)   /* epoll data for the timerfd */

/* Armed timers, earliest first; the ones being run in this turn. Both
 * circular with a sentinel, so a timer leaves either list the same way. */
static struct loop_timer armed = { .next = &armed, .prev = &armed };
static struct loop_timer due = { .next = &due, .prev = &due };

/* Watched children by pid. */
#define CHILD_BUCKETS 64u
static struct loop_child *children[CHILD_BUCKETS];

int loop_init(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = TIMER_TAG };
	int r;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return -errno;
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (tfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &ev) < 0) {
		r = -errno;
		if (tfd >= 0)
			close(tfd);
		close(epfd);
		epfd = tfd = -1;
		return r;
	}
	return 0;
}

static int ctl(int op, struct loop_handler *h, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	if (epoll_ctl(epfd, op, h->fd, &ev) < 0)
		return -errno;
	h->events = events;
	return 0;
}

int loop_add(struct loop_handler *h, uint32_t events)
{
	return ctl(EPOLL_CTL_ADD, h, events);
}

int loop_mod(struct loop_handler *h, uint32_t events)
{
	if (h->events == events)
		return 0;
	return ctl(EPOLL_CTL_MOD, h, events);
}

int loop_del(struct loop_handler *h)
{
	for (int i = 0; i < batch_n; i++)
		if (batch[i].data.ptr == h)
			batch[i].data.ptr = NULL;
	if (epoll_ctl(epfd, EPOLL_CTL_DEL, h->fd, NULL) < 0)
		return -errno;
	h->events = 0;
	return 0;
}

/* ---- timers ----------------------------------------------------------- */

static void unlink_timer(struct loop_timer *t)
{
	if (!t->next)
		return;
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->next = t->prev = NULL;
}

/* Insert @t before @at. */
static void link_before(struct loop_timer *t, struct loop_timer *at)
{
	t->next = at;
	t->prev = at->prev;
	at->prev->next = t;
	at->prev = t;
}

void loop_timer_stop(struct loop_timer *t)
{
	unlink_timer(t);
	t->when = 0;
}

void loop_timer_set(struct loop_timer *t, uint64_t when_ms)
{
	struct loop_timer *at;

	loop_timer_stop(t);
	if (!when_ms)
		return;
	t->when = when_ms;
	/* after every timer due no later: the same time keeps arming order */
	for (at = armed.next; at != &armed && at->when <= when_ms; at = at->next)
		;
	link_before(t, at);
}

/* Point the timerfd at the earliest armed timer (no call if unchanged). */
static void arm_timerfd(void)
{
	uint64_t ms = armed.next != &armed ? armed.next->when : 0;
	struct itimerspec its;

	if (ms == armed_ms)
		return;
	memset(&its, 0, sizeof(its));
	if (ms) {
		its.it_value.tv_sec = (time_t)(ms / 1000);
		its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	}
	if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
		log_err("timerfd_settime: %s", strerror(errno));
		return;
	}
	armed_ms = ms;
}

/* Run every timer due now; ones re-armed meanwhile wait for the next turn. */
static void run_timers(void)
{
	uint64_t now = now_ms();

	while (armed.next != &armed && armed.next->when <= now) {
		struct loop_timer *t = armed.next;

		unlink_timer(t);
		link_before(t, &due);
	}
	while (due.next != &due) {
		struct loop_timer *t = due.next;

		loop_timer_stop(t);
		t->fn(t);
	}
}

/* ---- children --------------------------------------------------------- */

static struct loop_child **bucket(pid_t pid)
{
	return &children[(unsigned)pid % CHILD_BUCKETS];
}

void loop_child_watch(struct loop_child *c)
{
	struct loop_child **b = bucket(c->pid);

	c->next = *b;
	*b = c;
}

void loop_child_forget(struct loop_child *c)
{
	for (struct loop_child **p = bucket(c->pid); *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			c->next = NULL;
			return;
		}
	}
}

unsigned loop_reap(void)
{
	unsigned orphans = 0;
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		struct loop_child *c = *bucket(pid);

		while (c && c->pid != pid)
			c = c->next;
		if (!c) {
			log_debug("reaped orphan %d", (int)pid);
			orphans++;
			continue;
		}
		loop_child_forget(c);
		c->fn(c, st);
	}
	return orphans;
}

/* ---- dispatch --------------------------------------------------------- */

int loop_wait_once(void)
{
	struct epoll_event evs[16];
	bool timer = false;
	int n;

	arm_timerfd();
	n = epoll_wait(epfd, evs, (int)ARRAY_SIZE(evs), -1);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	batch = evs;
	batch_n = n;
	for (int i = 0; i < n; i++) {
		if (!evs[i].data.ptr)
			continue;       /* its handler went away during this batch */
		if (evs[i].data.ptr == TIMER_TAG) {
			uint64_t ticks;

			if (read(tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
				log_err("timerfd read: %s", strerror(errno));
			armed_ms = 0;
			timer = true;
		} else {
			struct loop_handler *h = evs[i].data.ptr;

			h->fn(h, evs[i].events);
		}
	}
	batch = NULL;
	batch_n = 0;
	if (timer || (armed.next != &armed && armed.next->when <= now_ms()))
		run_timers();
	return 0;
}
