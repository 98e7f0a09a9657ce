// SPDX-License-Identifier: MIT
/* Unit tests for the log rate limit (modules/supervise/lograte.c) and the OOM kill
 * message (supervise_oom_text). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "lograte.h"
#include "supervise.h"

static struct svc_conf conf(uint32_t rate, uint32_t burst, uint64_t brate,
			    uint64_t bburst)
{
	struct svc_conf c;

	memset(&c, 0, sizeof(c));
	c.log_rate = rate;
	c.log_burst = burst;
	c.log_rate_bytes = brate;
	c.log_burst_bytes = bburst;
	return c;
}

/* How many of @n lines of @len bytes pass at @now. */
static unsigned pass(struct lograte *r, const struct svc_conf *c, unsigned n,
		     size_t len, uint64_t now)
{
	unsigned ok = 0;

	lograte_refill(r, c, now);
	while (n--)
		ok += lograte_take(r, c, len);
	return ok;
}

static void test_burst_then_rate(void **state)
{
	struct svc_conf c = conf(100, 200, 0, 1 << 20);
	struct lograte r = { 0 };

	lograte_init(&r, &c, 1000);
	assert_int_equal(pass(&r, &c, 1000, 2, 1000), 200);    /* the burst */
	assert_int_equal(r.dropped, 800);
	assert_int_equal(pass(&r, &c, 1000, 2, 1500), 50);     /* 0.5 s x 100 */
	assert_int_equal(pass(&r, &c, 1000, 2, 1505), 0);      /* half a line */
	assert_int_equal(pass(&r, &c, 1000, 2, 1510), 1);
	/* a long rest refills the burst, never more */
	assert_int_equal(pass(&r, &c, 1000, 2, 1000000), 200);
	/* the clock going back earns nothing */
	assert_int_equal(pass(&r, &c, 10, 2, 5000), 0);
	assert_int_equal(pass(&r, &c, 10, 2, 5010), 1);
	/* a reload that lowers the burst: the bucket shrinks at once */
	assert_int_equal(pass(&r, &c, 0, 2, 1000000), 0);
	c.log_burst = 3;
	assert_int_equal(pass(&r, &c, 10, 2, 1000000), 3);
}

/* Over any span, what passes is at most burst + rate x span. */
static void test_bound_holds(void **state)
{
	struct svc_conf c = conf(37, 50, 0, 1 << 20);
	struct lograte r = { 0 };
	unsigned total = 0;
	uint64_t t;

	lograte_init(&r, &c, 0);
	for (t = 0; t <= 10000; t += 7)
		total += pass(&r, &c, 3, 10, t);
	assert_true(total <= 50 + 37 * 10000 / 1000 + 1);
	assert_true(total >= 37 * 10000 / 1000);
}

static void test_bytes_bucket(void **state)
{
	struct svc_conf c = conf(0, 1, 1024, 4096);   /* no line limit */
	struct lograte r = { 0 };

	lograte_init(&r, &c, 0);
	assert_int_equal(pass(&r, &c, 10, 1025, 0), 3);        /* 4096 / 1025 */
	assert_int_equal(pass(&r, &c, 20, 100, 0), 10);        /* 1021 left */
	assert_int_equal(pass(&r, &c, 10, 1025, 1000), 1);     /* +1024 */
	/* both limits: the tighter one wins */
	c = conf(1000, 1000, 1024, 4096);
	lograte_init(&r, &c, 0);
	assert_int_equal(pass(&r, &c, 100, 1025, 0), 3);
	c = conf(2, 2, 1024, 4096);
	lograte_init(&r, &c, 0);
	assert_int_equal(pass(&r, &c, 100, 10, 0), 2);
}

static void test_unlimited(void **state)
{
	struct svc_conf c = conf(0, 1, 0, 4096);
	struct lograte r = { 0 };

	lograte_init(&r, &c, 0);
	assert_int_equal(pass(&r, &c, 100000, 1025, 0), 100000);
	assert_int_equal(r.dropped, 0);
	assert_int_equal(lograte_report_due(&r), 0);
}

static void test_resume_time(void **state)
{
	struct svc_conf c = conf(1000, 5000, 0, 1 << 20);
	struct lograte r = { 0 };

	lograte_init(&r, &c, 0);
	pass(&r, &c, 10000, 2, 0);
	/* at least the pause, even at a fast rate */
	assert_int_equal(lograte_resume_ms(&r, &c, 0), LOGRATE_PAUSE_MS);
	/* a slow rate: until one line is earned */
	c = conf(2, 1, 0, 1 << 20);
	lograte_init(&r, &c, 0);
	pass(&r, &c, 5, 2, 0);
	assert_int_equal(lograte_resume_ms(&r, &c, 0), 500);
	/* a slow byte rate: until a full line's bytes are earned */
	c = conf(0, 1, 1024, 4096);
	lograte_init(&r, &c, 0);
	pass(&r, &c, 100, 1025, 0);
	r.bytes_m = 0;
	assert_true(lograte_resume_ms(&r, &c, 0) >= 900);
	assert_true(lograte_resume_ms(&r, &c, 0) <= 1001);
}

static void test_reports(void **state)
{
	struct svc_conf c = conf(10, 10, 0, 1 << 20);
	struct lograte r = { 0 };

	lograte_init(&r, &c, 50000);
	assert_int_equal(lograte_report(&r, 50000), 0);        /* nothing yet */
	pass(&r, &c, 25, 2, 50000);
	assert_true(lograte_report_due(&r) <= 50000);          /* first: at once */
	assert_int_equal(lograte_report(&r, 50000), 15);
	assert_int_equal(pass(&r, &c, 20, 2, 51000), 10);
	assert_int_equal(pass(&r, &c, 20, 2, 52000), 10);
	assert_int_equal(lograte_report_due(&r), 50000 + LOGRATE_REPORT_MS);
	assert_int_equal(lograte_report(&r, 55000), 0);        /* not yet */
	assert_int_equal(lograte_report(&r, 60000), 20);
	assert_int_equal(r.dropped, 35);                       /* the total */
	assert_int_equal(lograte_report_due(&r), 0);
}

static void test_oom_text(void **state)
{
	char buf[160];

	assert_string_equal(supervise_oom_text("hog", 10 << 20, buf, sizeof(buf)),
			    "hog: killed by the OOM killer (memory limit 10M)");
	assert_string_equal(supervise_oom_text("db", 1536 << 10, buf, sizeof(buf)),
			    "db: killed by the OOM killer (memory limit 1536K)");
	assert_string_equal(supervise_oom_text("web", UINT64_MAX, buf, sizeof(buf)),
			    "web: killed by the OOM killer: the system ran out of "
			    "memory (no memory limit set)");
	assert_null(strstr(buf, "none"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_bound_holds),
		cmocka_unit_test(test_bytes_bucket),
		cmocka_unit_test(test_unlimited),
		cmocka_unit_test(test_resume_time),
		cmocka_unit_test(test_reports),
		cmocka_unit_test(test_oom_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
