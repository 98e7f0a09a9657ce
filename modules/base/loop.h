/* SPDX-License-Identifier: MIT */
/*
 * loop: the one event loop of boxinit. epoll(7) over registered fds, one
 * timerfd armed for the earliest timer, and the child processes it reaps.
 * Nothing polls and nothing sleeps: with no fd ready and no timer armed,
 * epoll_wait blocks forever.
 *
 * Every object the loop calls back is embedded in its owner's struct
 * (the owner gets back to itself with container_of): fd handlers
 * (struct loop_handler), timers (struct loop_timer, on CLOCK_MONOTONIC
 * milliseconds, so setting the wall clock changes no delay) and watched
 * children (struct loop_child, a pid mapped to its owner's callback). The
 * loop allocates nothing for them: registering cannot fail for lack of
 * memory, and an owner unregisters before it frees itself.
 */
#ifndef BOXINIT_LOOP_H
#define BOXINIT_LOOP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* container_of - the struct of @type whose @member @ptr points to */
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

struct loop_handler;
typedef void (*loop_fn)(struct loop_handler *h, uint32_t events);

/* Embed this in the owner's struct; @fd and @fn set by the owner. */
struct loop_handler {
	int fd;
	loop_fn fn;
	uint32_t events;        /* currently registered EPOLL* mask */
};

/* A timer; @fn set by the owner, the rest belongs to the loop. */
struct loop_timer {
	void (*fn)(struct loop_timer *t);
	uint64_t when;          /* armed for this monotonic ms, 0 = not armed */
	struct loop_timer *next, *prev;  /* the loop's list, earliest first */
};

/* A child process; @pid and @fn set by the owner. */
struct loop_child {
	pid_t pid;
	void (*fn)(struct loop_child *c, int wstatus);
	struct loop_child *next;         /* the loop's pid table */
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
 * loop_timer_set - arm @t for the absolute monotonic time @when_ms (a
 * time already past fires at the next turn of the loop); re-arming moves
 * it; 0 disarms it. O(number of armed timers). Timers due at the same
 * time fire in the order they were armed.
 */
void loop_timer_set(struct loop_timer *t, uint64_t when_ms);

/* loop_timer_stop - disarm @t if armed; it may be freed afterwards. */
void loop_timer_stop(struct loop_timer *t);

/* loop_timer_armed - whether @t is armed (its time is @t->when). */
static inline int loop_timer_armed(const struct loop_timer *t)
{
	return t->when != 0;
}

/*
 * loop_child_watch - call @c->fn with the wait status when the loop reaps
 * @c->pid (see loop_reap). A pid is watched by one owner at a time.
 * loop_child_forget - stop watching @c (no call follows; @c may be freed).
 * The pid is forgotten by the loop before @c->fn is called.
 */
void loop_child_watch(struct loop_child *c);
void loop_child_forget(struct loop_child *c);

/*
 * loop_reap - reap every child that has exited (waitpid(2) WNOHANG until
 * none) and call the owner of each watched pid. Children nobody watches
 * (orphans re-parented to PID 1, a subreaper's grandchildren) are reaped
 * and counted. Call it on SIGCHLD. Returns the number of unwatched
 * children reaped.
 */
unsigned loop_reap(void);

/*
 * loop_wait_once - block until an fd is ready or a timer is due, and
 * dispatch: fd handlers, then every timer that was due when the timers'
 * turn began (one armed by a callback for a time already past runs at the
 * next turn, so a callback that re-arms itself cannot starve the fds).
 * Returns 0, or -errno from epoll_wait (not EINTR).
 */
int loop_wait_once(void);

#endif
