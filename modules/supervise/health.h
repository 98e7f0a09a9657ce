/* SPDX-License-Identifier: MIT */
/*
 * health: a service's health checks, the parent's side (health = CMD).
 *
 * Once a run of the service is ready, its check runs inside its container
 * (process_enter(), spawn/enter.h: its namespaces, root, cgroup, user,
 * capabilities, seccomp filter and environment): the first at once, each
 * next health_interval after the previous one ended, never two at once.
 * Exit status 0 is a pass and resets the count of failures; anything else
 * is a failure, and so is a check still running at health_timeout, which
 * is killed ("timed out after 5 s"). health_retries failures in a row:
 * EV_UNHEALTHY with the verdict (the last line of the check's output, or
 * its exit status), and the state machine kills and restarts the service
 * ("unhealthy: ..."). The state, for boxctl status: "starting" (no
 * verdict yet in this run), "healthy", "unhealthy N/RETRIES".
 *
 * The counting and the last line are pure (health_count_*, health_line_*,
 * tested in tests/unit/test_health.c); svc_health_* drive the loop
 * objects of struct svc_health, which is embedded in struct service.
 */
#ifndef BOXINIT_HEALTH_H
#define BOXINIT_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

#define HEALTH_LINE_MAX 120u    /* the verdict from a check's output: its
				   last line, cut (NUL included) */

/* Failures in a row of one run's checks. */
struct health_count {
	uint32_t fails;
	bool verdict;           /* a check has ended in this run */
};

/* The last non-empty line of a check's output. */
struct health_line {
	char cur[HEALTH_LINE_MAX];      /* the line being read, cut */
	char last[HEALTH_LINE_MAX];     /* the last complete one */
	uint16_t curlen;
};

struct svc_health {
	struct loop_timer timer;        /* the next check, or the running one's timeout */
	struct loop_child child;        /* the running check (pid 0: none) */
	struct loop_handler out;        /* its output */
	bool on;                        /* checks scheduled in this run */
	bool timed_out;                 /* the running check was killed at its timeout */
	struct health_count count;
	struct health_line line;
};

/*
 * health_count_add - a check ended, a pass (@ok) or a failure. Returns
 * true when that makes @retries failures in a row: unhealthy. A pass
 * resets the count.
 */
bool health_count_add(struct health_count *c, bool ok, uint32_t retries);

/* health_count_text - "starting", "healthy" or "unhealthy N/@retries"
 * into @buf (@len bytes). Returns @buf. */
const char *health_count_text(const struct health_count *c, uint32_t retries,
			      char *buf, size_t len);

/* health_line_reset - no output yet. */
void health_line_reset(struct health_line *l);

/* health_line_feed - @n bytes of output (any split); lines longer than
 * HEALTH_LINE_MAX - 1 bytes are cut, trailing blanks and '\r' dropped. */
void health_line_feed(struct health_line *l, const char *p, size_t n);

/* health_line_last - the last non-empty line, an unfinished last one
 * included; "" when there was none. Raw bytes (sanitize to show them). */
const char *health_line_last(struct health_line *l);

struct service;

/* svc_health_init - the loop objects of a new @s. */
void svc_health_init(struct service *s);

/* svc_health_reset - a new run of @s: no verdict yet, no checks. */
void svc_health_reset(struct service *s);

/* svc_health_start - @s is ready: with health = CMD, its first check at
 * the next turn of the loop, and so on (nothing when already started). */
void svc_health_start(struct service *s);

/* svc_health_stop - @s's run ends (or it is killed, or freed): no more
 * checks, a running one killed (SIGKILL; the loop reaps it). The verdict
 * stays as it was until svc_health_reset(). */
void svc_health_stop(struct service *s);

/* svc_health_text - @s's health state as health_count_text() into @buf,
 * or NULL for a service without health or without a process. */
const char *svc_health_text(const struct service *s, char *buf, size_t len);

#endif
