/* SPDX-License-Identifier: MIT */
/*
 * supervise: the services of the configuration in force, each driven by
 * its state machine (fsm.h: states, back-off, crash loop), started in the
 * order "after" asks and stopped in the reverse order: a service is
 * signalled once every service that starts after it and is going down
 * too has stopped; unrelated ones in parallel. Every transition is logged
 * once with its cause.
 *
 * The services themselves are private to supervise/: the control socket
 * and everyone else read a struct svc_status snapshot.
 */
#ifndef BOXINIT_SUPERVISE_H
#define BOXINIT_SUPERVISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "fsm.h"

/* What one service is doing, as boxctl shows it. */
struct svc_status {
	const struct svc_conf *conf;    /* borrowed: valid until the next reload */
	const char *state;              /* "running", "backoff"... (static) */
	bool running;                   /* shown as "running" */
	pid_t pid;                      /* 0 without a process */
	uint64_t uptime_ms;             /* since its start, 0 without a process */
	uint32_t restarts;              /* since boot */
	uint32_t oom_kills;             /* since boot */
	uint64_t log_dropped;           /* output lines dropped by the rate limit */
	bool has_cgroup;                /* its cgroup exists (usage readable) */
	bool ahead;                     /* its next start's reaper waits in it */
	const char *reason;             /* why failed/stopped, or "" (borrowed) */
	const char *status_text;        /* its sd_notify STATUS=, or "" (borrowed) */
	const char *health;             /* "starting", "healthy", "unhealthy 1/3"
					   (in @health_buf), or NULL: no checks */
	char health_buf[32];
};

/*
 * supervise_init - take ownership of @cfg (freed by supervise_free) and
 * make one service per entry; invalid entries start in state failed.
 * Plus @extra (may be NULL): a service run on the tty @extra_console.
 * Returns 0 or -ENOMEM.
 */
int supervise_init(struct config *cfg, const struct svc_conf *extra,
		   const char *extra_console);

/*
 * supervise_oom_text - the line logged when the OOM killer killed in
 * service @name's cgroup with memory limit @memory (bytes, UINT64_MAX:
 * none), written into @buf (@len bytes). Returns @buf.
 */
const char *supervise_oom_text(const char *name, uint64_t memory, char *buf,
			       size_t len);

/* supervise_config - the configuration in force. */
struct config *supervise_config(void);

/*
 * supervise_reload - switch to @cfg (ownership taken; it must have no
 * diagnostics): services gone from it are stopped and removed, new ones
 * started, changed ones restarted, unchanged ones keep running with their
 * pid; failed ones get a fresh start. Returns 0, -EBUSY (too many reloads
 * still settling) or -ENOMEM; then nothing changed and @cfg was freed.
 */
int supervise_reload(struct config *cfg);

/* supervise_free - release everything (all processes must be gone). */
void supervise_free(void);

/*
 * supervise_cleanup - at exit, once no service process runs: kill what is
 * left in each service's cgroup, remove the cgroups and boxinit's subtree.
 */
void supervise_cleanup(void);

/* supervise_start_all - start every stopped service whose dependencies
 * are met (the others wait for them). Returns how many processes run. */
int supervise_start_all(void);

/*
 * supervise_hold_host - @held: the machine's network and devices are not
 * ready yet (the boot's modules still loading, kmod_bg.h), so a service
 * that uses a network (net = host or bridge) or binds anything (a device
 * node a module makes, a disk) waits in state waiting; one with net = none
 * and no bind starts. Released (@held false): the waiting ones whose
 * dependencies are met start now. Not held by default.
 */
void supervise_hold_host(bool held);

/*
 * supervise_start / supervise_stop / supervise_restart - act on service
 * @name (boxctl). start also clears a failed state. Return 0, -ENOENT (no
 * such service), -EALREADY (already in that state), -ESHUTDOWN (shutting
 * down) or -EINVAL (invalid configuration).
 */
int supervise_start(const char *name);
int supervise_stop(const char *name);
int supervise_restart(const char *name);

/*
 * supervise_stop_all - the shutdown: stop every service in order; from
 * now on nothing starts or restarts and supervise_stopping() is true.
 */
void supervise_stop_all(void);

/*
 * supervise_on_failure - call @fn(@c, @reason) each time a service whose
 * failure_action is not "none" reaches failed (a crash loop, not ready in
 * time, a failed dependency, a failure that is not restarted), never for
 * an invalid configuration (a reboot cannot mend it). @fn NULL: nobody.
 */
void supervise_on_failure(void (*fn)(const struct svc_conf *c, const char *reason));

/*
 * supervise_on_boot_ready - call @fn once, when every service of the boot
 * has settled: ready (a oneshot: done), failed, stopped, or back-off after
 * its first run (not ready). @ready: how many are ready, of @total;
 * @not_ready: the names of the others, space-separated (cut at 200 bytes).
 */
void supervise_on_boot_ready(void (*fn)(unsigned ready, unsigned total,
					const char *not_ready));

/* supervise_stopping - whether supervise_stop_all() was called. */
bool supervise_stopping(void);

/* supervise_running - number of services with a live process. */
size_t supervise_running(void);

/* supervise_longest_stop_ms - the largest stop_timeout of any service. */
uint32_t supervise_longest_stop_ms(void);

/* supervise_kill_all - SIGKILL every service's processes now. */
void supervise_kill_all(void);

/*
 * supervise_boot_chain - the boot's critical path among the services: the
 * timeline ids (timeline.h) of the service that became ready (or failed)
 * last, then of the dependency of it that was ready last, and so on, into
 * @ids (room for @max). Returns how many.
 */
size_t supervise_boot_chain(int *ids, size_t max);

/* supervise_count - the number of services (status indexes 0..n-1). */
size_t supervise_count(void);

/*
 * supervise_status - fill @st for the @i-th service in start order.
 * Returns 0, or -ENOENT past the last.
 */
int supervise_status(size_t i, struct svc_status *st);

/*
 * supervise_conf_of - the configuration of the service named @name that
 * is in force, or NULL (no such service, or removed by a reload).
 */
const struct svc_conf *supervise_conf_of(const char *name);

#endif
