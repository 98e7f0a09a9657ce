/* SPDX-License-Identifier: MIT */
/* watchdog: opened at boot, petted by the event loop. See watchdog.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/watchdog.h>

#include "log.h"
#include "loop.h"
#include "util.h"
#include "watchdog.h"

#define WATCHDOG_TIMEOUT_MAX 3600u

static int sys_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int sys_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

static int sys_write(int fd, const char *buf, unsigned len)
{
	return write(fd, buf, len) == (ssize_t)len ? 0 : -errno;
}

static void sys_close(int fd)
{
	close(fd);
}

static const struct watchdog_ops sys_ops = {
	.open = sys_open, .ioctl = sys_ioctl, .write = sys_write, .close = sys_close,
};
const struct watchdog_ops *watchdog_ops = &sys_ops;

static struct {
	int fd;
	struct loop_timer pet;
	struct watchdog_status st;
} wd = { .fd = -1 };

/* WDIOC_KEEPALIVE, or a write where the driver lacks the ioctl. */
static void pet_now(void)
{
	int dummy = 0;

	if (watchdog_ops->ioctl(wd.fd, WDIOC_KEEPALIVE, &dummy) < 0 &&
	    watchdog_ops->write(wd.fd, "\0", 1) < 0) {
		log_err("watchdog: %s: cannot pet it: the board will reset", wd.st.device);
		return;
	}
	wd.st.last_pet_ms = now_ms();
	wd.st.pets++;
}

/* The loop's timer: it fires only while the loop runs. */
static void on_pet(struct loop_timer *t)
{
	pet_now();
	if (wd.st.petting)
		loop_timer_set(t, now_ms() + wd.st.timeout_s * 1000u / 3);
}

/* What a failed open means for the operator. */
static const char *open_why(int err)
{
	switch (err) {
	case -ENOENT:
	case -ENODEV:
	case -ENXIO:
		return "no such device (is its driver loaded? `modules = softdog` for a "
		       "software one)";
	case -EBUSY:
		return "busy: another process holds it (only one may)";
	default:
		return strerror(-err);
	}
}

/* Set @timeout_s; read back what the driver granted. */
static void set_timeout(unsigned timeout_s, bool at_boot)
{
	int t = (int)timeout_s, got = 0, r;

	if (!(r = watchdog_ops->ioctl(wd.fd, WDIOC_SETTIMEOUT, &t)) || at_boot) {
		if (watchdog_ops->ioctl(wd.fd, WDIOC_GETTIMEOUT, &got) == 0 && got > 0)
			wd.st.timeout_s = (unsigned)got;
		else if (!r)
			wd.st.timeout_s = (unsigned)t;
	}
	if (r < 0)
		log_warn("watchdog: %s: cannot set the timeout to %u s (%s): keeping %u s",
			 wd.st.device, timeout_s, strerror(-r), wd.st.timeout_s);
	else if (wd.st.timeout_s != timeout_s)
		log_info("watchdog: %s: asked for %u s, the driver granted %u s",
			 wd.st.device, timeout_s, wd.st.timeout_s);
}

int watchdog_start(const char *device, unsigned timeout_s)
{
	struct watchdog_info info;
	int boot = 0, fd;

	if (wd.fd >= 0)
		return -EALREADY;
	if (!timeout_s || timeout_s > WATCHDOG_TIMEOUT_MAX)
		return -EINVAL;
	fd = watchdog_ops->open(device);
	if (fd < 0) {
		log_err("watchdog: %s: %s: booting without a watchdog", device, open_why(fd));
		return fd;
	}
	wd.fd = fd;
	memset(&wd.st, 0, sizeof(wd.st));
	snprintf(wd.st.device, sizeof(wd.st.device), "%s", device);
	memset(&info, 0, sizeof(info));
	if (watchdog_ops->ioctl(fd, WDIOC_GETSUPPORT, &info) == 0)
		snprintf(wd.st.identity, sizeof(wd.st.identity), "%.32s", (char *)info.identity);
	wd.st.timeout_s = timeout_s;    /* what the driver says may replace it */
	set_timeout(timeout_s, true);
	if (watchdog_ops->ioctl(fd, WDIOC_GETBOOTSTATUS, &boot) == 0 && (boot & WDIOF_CARDRESET))
		log_warn("watchdog: the previous boot ended in a reset by the watchdog");
	wd.st.active = wd.st.petting = true;
	wd.pet.fn = on_pet;
	pet_now();
	loop_timer_set(&wd.pet, now_ms() + wd.st.timeout_s * 1000u / 3);
	log_info("watchdog: %s (%s): %u s, petted every %u ms", device,
		 wd.st.identity[0] ? wd.st.identity : "?", wd.st.timeout_s,
		 wd.st.timeout_s * 1000u / 3);
	return 0;
}

void watchdog_shutdown(unsigned timeout_s)
{
	if (wd.fd < 0 || !wd.st.petting)
		return;
	if (timeout_s && timeout_s != wd.st.timeout_s)
		set_timeout(timeout_s, false);
	pet_now();
	wd.st.petting = false;
	loop_timer_stop(&wd.pet);
	log_info("watchdog: shutting down: the board resets unless it reboots within %u s",
		 wd.st.timeout_s);
}

void watchdog_disarm(void)
{
	if (wd.fd < 0)
		return;
	loop_timer_stop(&wd.pet);
	if (watchdog_ops->write(wd.fd, "V", 1) < 0)
		log_warn("watchdog: %s: magic close failed: it stays armed", wd.st.device);
	watchdog_ops->close(wd.fd);
	wd.fd = -1;
	wd.st.active = wd.st.petting = false;
}

void watchdog_get_status(struct watchdog_status *st)
{
	*st = wd.st;
}
