/* SPDX-License-Identifier: MIT */
/*
 * lograte: the log rate limit of one service's output, two token buckets
 * (lines and bytes) refilled continuously at log_rate / log_rate_bytes
 * per second and holding at most log_burst / log_burst_bytes. A line
 * (its bytes + the '\n') is relayed when both buckets hold enough for it;
 * otherwise it is dropped and counted. A rate of 0 means no limit.
 *
 * Pure arithmetic on a caller-supplied clock (ms), no system calls: the
 * supervisor decides what to do with the pipe (svc_output.c).
 * Tokens are kept in thousandths so that slow rates refill smoothly.
 */
#ifndef BOXINIT_LOGRATE_H
#define BOXINIT_LOGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define LOGRATE_PAUSE_MS   100u     /* shortest pause of an over-limit pipe */
#define LOGRATE_REPORT_MS  10000u   /* one drop report per interval at most */

struct lograte {
	uint64_t lines_m;       /* line tokens x 1000 */
	uint64_t bytes_m;       /* byte tokens x 1000 */
	uint64_t last_ms;       /* time of the last refill */
	uint64_t dropped;       /* lines dropped since boot */
	uint64_t unreported;    /* dropped since the last report */
	uint64_t reported_ms;   /* time of the last report (0: never) */
};

/* lograte_init - a full bucket for @c at time @now_ms. */
void lograte_init(struct lograte *r, const struct svc_conf *c, uint64_t now_ms);

/* lograte_refill - add what @c's rates earned since the last refill,
 * capped at the bursts. A clock that goes back earns nothing. */
void lograte_refill(struct lograte *r, const struct svc_conf *c, uint64_t now_ms);

/*
 * lograte_take - may a line of @bytes bytes (its '\n' included) be
 * relayed? true: the tokens are spent; false: it is counted as dropped.
 */
bool lograte_take(struct lograte *r, const struct svc_conf *c, size_t bytes);

/*
 * lograte_resume_ms - the time (>= @now_ms + LOGRATE_PAUSE_MS) at which
 * the buckets will hold one line and a full line's bytes again.
 */
uint64_t lograte_resume_ms(const struct lograte *r, const struct svc_conf *c,
			   uint64_t now_ms);

/* lograte_report_due - when the unreported drops should be reported, 0
 * when there are none (at most one report per LOGRATE_REPORT_MS). */
uint64_t lograte_report_due(const struct lograte *r);

/* lograte_report - at @now_ms: the drops to report now (0: none or not
 * yet due); they count as reported from then on. */
uint64_t lograte_report(struct lograte *r, uint64_t now_ms);

#endif
