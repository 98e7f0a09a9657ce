/* SPDX-License-Identifier: MIT */
/*
 * bootguard: how often a failed critical service may reboot the machine,
 * counted across boots in a file on persistent storage, so that a service
 * that fails at every boot cannot keep the machine in a reboot loop.
 *
 * DIR/reboots holds one line per reboot taken: its time in CLOCK_REALTIME
 * seconds. A board without a battery-backed clock boots near 1970 each
 * time: its entries all look recent, so the limit is reached sooner, never
 * later (the machine stays up).
 */
#ifndef BOXINIT_BOOTGUARD_H
#define BOXINIT_BOOTGUARD_H

#include <stddef.h>
#include <stdint.h>

#define BOOTGUARD_FILE "reboots"

/*
 * bootguard_take - may a failure_action reboot happen now? Yes when fewer
 * than @limit are recorded in @dir/reboots within the last @window_ms ms
 * (realtime): then now is recorded (written as reboots.new, fsync'd, renamed
 * over the file) and 1 is returned. 0: the limit is reached, nothing is
 * written. -errno: the file cannot be read or written: no reboot either
 * (a guard that cannot count cannot stop a loop). @why (@len bytes) says
 * what was found, for the log.
 */
int bootguard_take(const char *dir, unsigned limit, uint32_t window_ms,
		   char *why, size_t len);

#endif
