// SPDX-License-Identifier: MIT
/*
 * Unit tests for the watchdog (modules/host/watchdog.c) against a fake
 * driver (watchdog_ops): the timeout asked, the one granted, pets from the
 * event loop, a driver without WDIOC_SETTIMEOUT, a busy or missing device,
 * the shutdown timeout and the magic close. Never a real /dev/watchdog:
 * one left armed would reset the machine running the tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/watchdog.h>

#include "log.h"
#include "loop.h"
#include "util.h"
#include "watchdog.h"

static struct {
	int open_err;           /* what open returns: 0 = an fd */
	bool no_settimeout;     /* ENOTTY for WDIOC_SETTIMEOUT */
	int round_to;           /* the driver grants multiples of this */
	int timeout;            /* what the "hardware" holds */
	unsigned keepalives, writes_v, closes;
	int bootstatus;
} dev;

static int fake_open(const char *path)
{
	return dev.open_err ? dev.open_err : 42;
}

static int fake_ioctl(int fd, unsigned long req, void *arg)
{
	assert_int_equal(fd, 42);
	switch (req) {
	case WDIOC_GETSUPPORT: {
		struct watchdog_info *i = arg;

		i->options = WDIOF_KEEPALIVEPING | (dev.no_settimeout ? 0 : WDIOF_SETTIMEOUT);
		memcpy(i->identity, "Fake Watchdog", 14);
		return 0;
	}
	case WDIOC_SETTIMEOUT:
		if (dev.no_settimeout)
			return -ENOTTY;
		dev.timeout = *(int *)arg;
		if (dev.round_to)
			dev.timeout = (dev.timeout + dev.round_to - 1) / dev.round_to * dev.round_to;
		*(int *)arg = dev.timeout;
		return 0;
	case WDIOC_GETTIMEOUT:
		*(int *)arg = dev.timeout;
		return 0;
	case WDIOC_GETBOOTSTATUS:
		*(int *)arg = dev.bootstatus;
		return 0;
	case WDIOC_KEEPALIVE:
		dev.keepalives++;
		return 0;
	default:
		return -ENOTTY;
	}
}

static int fake_write(int fd, const char *buf, unsigned len)
{
	if (len == 1 && buf[0] == 'V')
		dev.writes_v++;
	return 0;
}

static void fake_close(int fd)
{
	dev.closes++;
}

static const struct watchdog_ops fake = {
	.open = fake_open, .ioctl = fake_ioctl, .write = fake_write, .close = fake_close,
};

static int logpipe[2];

static const char *logged(void)
{
	static char buf[8192];
	ssize_t n;

	log_flush();
	n = read(logpipe[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static int setup(void **state)
{
	if (pipe(logpipe) < 0 || loop_init() < 0)
		return -1;
	fcntl(logpipe[0], F_SETFL, O_NONBLOCK);
	log_open(logpipe[1]);
	watchdog_ops = &fake;
	return 0;
}

static int reset(void **state)
{
	watchdog_disarm();
	memset(&dev, 0, sizeof(dev));
	dev.timeout = 60;
	logged();
	return 0;
}

static void test_timeout_granted_and_pets_from_the_loop(void **state)
{
	struct watchdog_status st;

	dev.round_to = 2;       /* a driver that rounds up */
	dev.bootstatus = WDIOF_CARDRESET;
	assert_int_equal(watchdog_start("/dev/watchdog", 1), 0);
	watchdog_get_status(&st);
	assert_true(st.active && st.petting);
	assert_int_equal(st.timeout_s, 2);
	assert_string_equal(st.identity, "Fake Watchdog");
	assert_int_equal(dev.keepalives, 1);            /* petted at once */
	const char *l = logged();
	assert_non_null(strstr(l, "asked for 1 s, the driver granted 2 s"));
	assert_non_null(strstr(l, "previous boot ended in a reset by the watchdog"));
	assert_non_null(strstr(l, "petted every 666 ms"));
	/* the loop pets it: one turn of the loop is the next pet */
	assert_int_equal(loop_wait_once(), 0);
	assert_int_equal(dev.keepalives, 2);
	assert_int_equal(loop_wait_once(), 0);
	assert_int_equal(dev.keepalives, 3);
	watchdog_get_status(&st);
	assert_int_equal(st.pets, 3);
	assert_true(st.last_pet_ms > 0 && st.last_pet_ms <= now_ms());
	assert_int_equal(watchdog_start("/dev/watchdog", 1), -EALREADY);
}

static void test_shutdown_sets_its_timeout_and_stops(void **state)
{
	struct watchdog_status st;

	assert_int_equal(watchdog_start("/dev/watchdog", 30), 0);
	assert_int_equal(dev.timeout, 30);
	watchdog_shutdown(60);
	assert_int_equal(dev.timeout, 60);
	assert_int_equal(dev.keepalives, 2);
	watchdog_get_status(&st);
	assert_true(st.active);
	assert_false(st.petting);
	assert_non_null(strstr(logged(), "resets unless it reboots within 60 s"));
	watchdog_shutdown(60);                          /* once */
	assert_int_equal(dev.keepalives, 2);
	/* PID 1 never closes it; a supervisor disarms it */
	assert_int_equal(dev.writes_v, 0);
	watchdog_disarm();
	assert_int_equal(dev.writes_v, 1);
	assert_int_equal(dev.closes, 1);
}

static void test_driver_without_settimeout(void **state)
{
	struct watchdog_status st;

	dev.no_settimeout = true;
	dev.timeout = 16;
	assert_int_equal(watchdog_start("/dev/watchdog", 30), 0);
	watchdog_get_status(&st);
	assert_int_equal(st.timeout_s, 16);             /* its own, read back */
	assert_non_null(strstr(logged(), "cannot set the timeout to 30 s"));
}

static void test_busy_and_missing_devices(void **state)
{
	struct watchdog_status st;

	dev.open_err = -EBUSY;
	assert_int_equal(watchdog_start("/dev/watchdog", 30), -EBUSY);
	assert_non_null(strstr(logged(), "/dev/watchdog: busy: another process holds it"));
	dev.open_err = -ENOENT;
	assert_int_equal(watchdog_start("/dev/watchdog1", 30), -ENOENT);
	assert_non_null(strstr(logged(), "/dev/watchdog1: no such device"));
	watchdog_get_status(&st);
	assert_false(st.active);
	assert_int_equal(watchdog_start("/dev/watchdog", 0), -EINVAL);
	watchdog_shutdown(10);                          /* nothing to do */
	assert_int_equal(dev.keepalives, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_timeout_granted_and_pets_from_the_loop, reset),
		cmocka_unit_test_setup(test_shutdown_sets_its_timeout_and_stops, reset),
		cmocka_unit_test_setup(test_driver_without_settimeout, reset),
		cmocka_unit_test_setup(test_busy_and_missing_devices, reset),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
