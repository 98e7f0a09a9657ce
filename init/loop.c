/* SPDX-License-Identifier: MIT */
/* loop: epoll + one timerfd. See loop.h. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "loop.h"
#include "log.h"

static int epfd = -1;
static int tfd = -1;
static uint64_t armed_ms;       /* deadline the timerfd holds, 0 = none */

/* The batch being dispatched: loop_del() forgets a handler's pending
 * events in it, so a handler freed by an earlier event is never called. */
static struct epoll_event *batch;
static int batch_n;

#define TIMER_TAG ((void *)1)   /* epoll data for the timerfd */

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

void loop_set_deadline(uint64_t ms)
{
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

int loop_wait_once(void (*on_timer)(void))
{
	struct epoll_event evs[16];
	int n;

	n = epoll_wait(epfd, evs, (int)(sizeof(evs) / sizeof(evs[0])), -1);
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
			on_timer();
		} else {
			struct loop_handler *h = evs[i].data.ptr;

			h->fn(h, evs[i].events);
		}
	}
	batch = NULL;
	batch_n = 0;
	return 0;
}
