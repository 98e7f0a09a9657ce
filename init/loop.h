/* SPDX-License-Identifier: MIT */
/*
 * loop: the one event loop of boxinit. epoll(7) over registered fds plus a
 * single timerfd armed for the earliest pending deadline (CLOCK_MONOTONIC
 * ms). Nothing polls and nothing sleeps: with no fd ready and no deadline,
 * epoll_wait blocks forever.
 */
#ifndef BOXINIT_LOOP_H
#define BOXINIT_LOOP_H

#include <stdint.h>

struct loop_handler;
typedef void (*loop_fn)(struct loop_handler *h, uint32_t events);

/* Embed this in the owner's struct; @fd and @fn set by the owner. */
struct loop_handler {
	int fd;
	loop_fn fn;
	uint32_t events;        /* currently registered EPOLL* mask */
};

/* loop_init - create the epoll fd and the timerfd. Returns 0 or -errno. */
int loop_init(void);

/*
 * loop_add / loop_mod / loop_del - register, change or remove @h for
 * @events (EPOLLIN, EPOLLOUT...). Return 0 or -errno (EPERM: @h->fd is a
 * regular file or otherwise not pollable). After loop_del, @h may be
 * freed at once: events already fetched for it are dropped.
 */
int loop_add(struct loop_handler *h, uint32_t events);
int loop_mod(struct loop_handler *h, uint32_t events);
int loop_del(struct loop_handler *h);

/*
 * loop_set_deadline - arm the timer for absolute monotonic time @ms, or
 * disarm it with 0. Re-arming to the same value costs no system call.
 */
void loop_set_deadline(uint64_t ms);

/*
 * loop_wait_once - block until something is ready and dispatch it. Timer
 * expiry calls @on_timer. Returns 0 or -errno from epoll_wait (not EINTR).
 */
int loop_wait_once(void (*on_timer)(void));

#endif
