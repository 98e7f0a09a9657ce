/* SPDX-License-Identifier: MIT */
/* boot: what PID 1 does before it starts services. */
#ifndef BOXINIT_BOOT_H
#define BOXINIT_BOOT_H

#include <stdbool.h>

#include "config.h"

/*
 * boot_console - route boxinit's log: the tty in @path when it is not the
 * default, else our inherited stderr when it is open (sandbox, tests),
 * else /dev/console. Never fails: without any, lines are dropped.
 */
void boot_console(const char *path);

/*
 * boot_stdio - make sure fds 0, 1 and 2 are open (the kernel leaves them
 * closed when it found no /dev/console), on /dev/console or else
 * /dev/null, so that no later open() lands on them by accident.
 */
void boot_stdio(void);

/* boot_hostname - sethostname(2) to @name; logs failures. */
void boot_hostname(const char *name);

/*
 * boot_read_cmdline - the kernel command line (/proc/cmdline) as a
 * malloc'd string, or NULL when unreadable. At most 4 KiB.
 */
char *boot_read_cmdline(void);

/*
 * boot_console_tty - the device of the active console ("/dev/ttyS0"),
 * from /sys/class/tty/console/active, for a shell that needs a controlling
 * terminal; "/dev/console" when unknown. Static storage.
 */
const char *boot_console_tty(void);

/*
 * boot_is_machine_init - true in the machine's own (initial) pid namespace,
 * the real PID 1; false as PID 1 of any other pid namespace (a container,
 * the test sandbox), and false while /proc cannot tell (logged). Decided
 * by the inode of /proc/self/ns/pid, which the kernel fixes for the
 * initial namespace (PROC_PID_INIT_INO); the first answer is kept.
 */
bool boot_is_machine_init(void);

/*
 * boot_devkmsg_on - let userspace lines into the kernel log without the
 * default rate limit (/proc/sys/kernel/printk_devkmsg = on), as an init
 * that logs there must. Failures are logged.
 */
void boot_devkmsg_on(void);

/*
 * boot_oom_protect - oom_score_adj -1000 for boxinit itself: as PID 1 of
 * a pid namespace (not the machine's init, which the kernel never
 * OOM-kills) the OOM killer could otherwise pick it, and its death ends
 * the namespace and every service in it. Needs CAP_SYS_RESOURCE
 * (proc(5)); a failure is logged. Returns true when set: the caller then
 * has its children write 0 back (process_oom_reset()).
 */
bool boot_oom_protect(void);

/*
 * boot_emergency - the emergency shell (config key emergency, split like
 * a shell command) into @sh, a service of its own that restarts always,
 * after the boot met the fatal error @why (logged with it). @sh->argv is
 * allocated and owned by @sh from then on (it outlives @cfg across a
 * reload). Returns 0, -ENOENT (no emergency configured) or -EINVAL (not
 * a command); each is logged.
 */
int boot_emergency(const struct config *cfg, const char *why, struct svc_conf *sh);

#endif
