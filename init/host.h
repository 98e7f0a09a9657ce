/* SPDX-License-Identifier: MIT */
/*
 * host: the machine's side of the boot. Its identity and loopback, the
 * kernel modules (loaded by a child, kmod_bg.h, while PID 1 goes on) and
 * what waits for them: the machine's network and a watchdog whose device
 * a module brings. Without modules the network is built at once.
 */
#ifndef BOXINIT_HOST_H
#define BOXINIT_HOST_H

#include <stdbool.h>

#include "config.h"

/*
 * host_boot - step 3: hostname and lo up (@pid1), then the machine's
 * network (net_host_setup()); with modules to load, the network waits for
 * them (host_modules()) and only the sysctl.* keys that exist already are
 * written now: no service runs before them.
 */
void host_boot(const struct config *cfg, bool pid1);

/*
 * host_loop_ready - the event loop exists (loop_init()): boxinit's tables
 * watched (net_watch()) and the watchdog @cfg names started, now, or once
 * the modules are in when they are still to load (the tables need
 * nf_tables; a missing watchdog device may be a module's).
 */
void host_loop_ready(const struct config *cfg);

/*
 * host_modules - step 4, after the cgroups are set up (a child left in
 * boxinit's first cgroup would keep cgroup v2 from enabling controllers
 * there) and before the services start: the modules of host_boot()'s
 * @cfg, if any, loaded by a child; meanwhile the services that need the
 * network or a bind are held (supervise_hold_host()). When the child has
 * exited: the watchdog if it waited, the network from the configuration
 * in force then, the tables watched, the held services released. With no
 * child (fork failed), all of that here and now.
 */
void host_modules(const struct config *cfg);

/* host_modules_pending - the boot's modules are still loading: a reload
 * leaves the network alone (host_modules() builds it at the end). */
bool host_modules_pending(void);

/*
 * host_watchdog_check - start the watchdog @cfg names (watchdog_start())
 * and warn when its shutdown timeout is shorter than the longest
 * stop_timeout and the shutdown's grace.
 */
void host_watchdog_check(const struct config *cfg);

#endif
