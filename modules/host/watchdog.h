/* SPDX-License-Identifier: MIT */
/*
 * watchdog: the hardware (or softdog) watchdog, kept from resetting the
 * board by PID 1's own event loop, so that a wedged PID 1 gets the machine
 * reset. Follows Documentation/watchdog/watchdog-api.rst.
 *
 * At boot watchdog_start() opens the device (a second opener gets EBUSY),
 * sets the timeout (WDIOC_SETTIMEOUT; the driver may round it: the
 * granted value is read back with WDIOC_GETTIMEOUT and logged) and pets it
 * (WDIOC_KEEPALIVE) from a loop timer every third of the timeout: the only
 * wake-ups of an idle boxinit. A reset by the watchdog at the previous
 * boot (WDIOC_GETBOOTSTATUS, WDIOF_CARDRESET) is logged. At shutdown
 * watchdog_shutdown() sets the shutdown timeout, pets once more and stops:
 * the orderly path must end with reboot(2) within it, or the watchdog
 * resets the board. The device is never closed by PID 1 (no magic close:
 * it stays armed until the reboot); a supervisor that is not PID 1 disarms
 * it at exit with the magic close ('V').
 */
#ifndef BOXINIT_WATCHDOG_H
#define BOXINIT_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>

struct watchdog_status {
	bool active;                    /* opened and armed */
	bool petting;                   /* pets from the loop (not after shutdown) */
	char device[64];
	char identity[33];              /* the driver's name (WDIOC_GETSUPPORT) */
	unsigned timeout_s;             /* granted by the driver */
	uint64_t last_pet_ms;           /* CLOCK_MONOTONIC; 0: none yet */
	uint64_t pets;                  /* since boot */
};

/* The system calls, as a table the unit tests replace. */
struct watchdog_ops {
	int (*open)(const char *path);                  /* fd or -errno */
	int (*ioctl)(int fd, unsigned long req, void *arg);  /* 0 or -errno */
	int (*write)(int fd, const char *buf, unsigned len); /* 0 or -errno */
	void (*close)(int fd);
};
extern const struct watchdog_ops *watchdog_ops;

/*
 * watchdog_start - open the watchdog @device, set its timeout to
 * @timeout_s seconds (1..3600), pet it and keep petting it from the event
 * loop (loop_init() first). A driver that cannot set a timeout keeps its
 * own, which is used; a missing or busy device (another process holds it)
 * is one clear message and no watchdog. Returns 0 or -errno.
 */
int watchdog_start(const char *device, unsigned timeout_s);

/*
 * watchdog_shutdown - the orderly shutdown begins: set the timeout to
 * @timeout_s (0: keep it), pet once, pet no more. Idempotent; without a
 * watchdog nothing happens.
 */
void watchdog_shutdown(unsigned timeout_s);

/* watchdog_disarm - a supervisor's exit: magic close, the device closed. */
void watchdog_disarm(void);

/* watchdog_get_status - what boxctl shows. */
void watchdog_get_status(struct watchdog_status *st);

#endif
