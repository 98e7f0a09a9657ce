// SPDX-License-Identifier: MIT
/* lograte: token buckets for a service's output. See lograte.h. */
#include "log.h"
#include "lograte.h"

#define MAX_ELAPSED_MS (3600u * 1000u)  /* enough to fill any bucket */

static uint64_t cap_m(uint64_t burst)
{
	return burst * 1000u;
}

void lograte_init(struct lograte *r, const struct svc_conf *c, uint64_t now_ms)
{
	r->lines_m = cap_m(c->log_burst);
	r->bytes_m = cap_m(c->log_burst_bytes);
	r->last_ms = now_ms;
}

/* @tokens += @rate per second over @ms, at most @burst (all x 1000) */
static void earn(uint64_t *tokens, uint64_t rate, uint64_t burst, uint64_t ms)
{
	uint64_t cap = cap_m(burst);

	*tokens += rate * ms;           /* rate/s * ms = thousandths */
	if (*tokens > cap)
		*tokens = cap;
}

void lograte_refill(struct lograte *r, const struct svc_conf *c, uint64_t now_ms)
{
	/* a clock that went back earns nothing; the caps apply always (a
	 * reload may have lowered the bursts) */
	uint64_t ms = now_ms > r->last_ms ? now_ms - r->last_ms : 0;

	if (ms > MAX_ELAPSED_MS)
		ms = MAX_ELAPSED_MS;
	r->last_ms = now_ms;
	earn(&r->lines_m, c->log_rate, c->log_burst, ms);
	earn(&r->bytes_m, c->log_rate_bytes, c->log_burst_bytes, ms);
}

bool lograte_take(struct lograte *r, const struct svc_conf *c, size_t bytes)
{
	bool lines_ok = !c->log_rate || r->lines_m >= 1000u;
	bool bytes_ok = !c->log_rate_bytes || r->bytes_m >= bytes * 1000u;

	if (!lines_ok || !bytes_ok) {
		r->dropped++;
		r->unreported++;
		return false;
	}
	if (c->log_rate)
		r->lines_m -= 1000u;
	if (c->log_rate_bytes)
		r->bytes_m -= bytes * 1000u;
	return true;
}

/* ms until @tokens reach @want at @rate per second (all tokens x 1000) */
static uint64_t wait_ms(uint64_t tokens, uint64_t want, uint64_t rate)
{
	if (!rate || tokens >= want)
		return 0;
	return (want - tokens + rate - 1) / rate;
}

uint64_t lograte_resume_ms(const struct lograte *r, const struct svc_conf *c,
			   uint64_t now_ms)
{
	uint64_t line = cap_m(LOG_LINE_MAX + 1u);
	uint64_t w = LOGRATE_PAUSE_MS, x;

	if (line > cap_m(c->log_burst_bytes))
		line = cap_m(c->log_burst_bytes);
	x = wait_ms(r->lines_m, 1000u, c->log_rate);
	if (x > w)
		w = x;
	x = wait_ms(r->bytes_m, line, c->log_rate_bytes);
	if (x > w)
		w = x;
	return now_ms + w;
}

uint64_t lograte_report_due(const struct lograte *r)
{
	if (!r->unreported)
		return 0;
	if (!r->reported_ms)
		return 1;       /* never reported: at once */
	return r->reported_ms + LOGRATE_REPORT_MS;
}

uint64_t lograte_report(struct lograte *r, uint64_t now_ms)
{
	uint64_t due = lograte_report_due(r), n;

	if (!due || due > now_ms)
		return 0;
	n = r->unreported;
	r->unreported = 0;
	r->reported_ms = now_ms ? now_ms : 1;
	return n;
}
