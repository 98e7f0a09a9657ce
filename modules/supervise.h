/* SPDX-License-Identifier: MIT */
/*
 * supervise: the service state machine. Each service is in exactly one
 * named state; every transition is logged once with its cause.
 *
 *   starting  waiting for the services named in "after"
 *   running   its process is alive
 *   backoff   exited; restarts when the back-off delay ends
 *   stopping  stop signal sent; SIGKILL to its cgroup when stop_timeout ends
 *   stopped   not running and not restarting (stop request, restart = no)
 *   failed    invalid config, crash loop, start error or a dependency failed
 *   done      a oneshot service that finished successfully
 *
 * Back-off: first restart after 100 ms, doubling to 30 s, reset after 10 s
 * of healthy running. More than restart_max restarts within
 * restart_window: failed, until "boxctl start" or a reload.
 * Stop order is the reverse of "after": a service is signalled once every
 * service that starts after it has stopped; unrelated ones in parallel.
 */
#ifndef BOXINIT_SUPERVISE_H
#define BOXINIT_SUPERVISE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "log.h"
#include "loop.h"

#define BACKOFF_MIN_MS      100u
#define BACKOFF_MAX_MS      30000u
#define BACKOFF_RESET_MS    10000u   /* healthy run that resets back-off */
#define SVC_LINE_MAX        1024u    /* service output line buffer (= LOG_LINE_MAX) */

enum svc_state {
	SVC_STOPPED, SVC_STARTING, SVC_RUNNING, SVC_STOPPING,
	SVC_BACKOFF, SVC_FAILED, SVC_DONE,
};

struct service {
	const struct svc_conf *conf;    /* borrowed from a config supervise owns */
	const struct svc_conf *next;    /* reload: restart with this one */
	const char *console;            /* run on this tty (emergency shell) */
	enum svc_state state;
	pid_t pid;                      /* > 0 while a process runs */
	int wstatus;                    /* last wait status */
	uint64_t started_ms;            /* monotonic time of the last start */
	uint64_t deadline_ms;           /* backoff: restart; stopping: SIGKILL */
	uint32_t backoff_ms;            /* delay before the next restart */
	uint32_t restarts;              /* restarts since boot */
	uint32_t window_count;          /* restarts in the current window */
	uint64_t window_start_ms;
	bool ready;                     /* started (simple) or done (oneshot) */
	bool stop_requested;            /* wanted down: no restart */
	bool restart_pending;           /* up again once the stop completes */
	bool stop_sent;                 /* stop signal sent */
	bool killed;                    /* SIGKILL sent */
	bool removed;                   /* gone from the config: free once down */
	bool cg_made;                   /* its cgroup exists */
	char reason[96];                /* why it is failed/stopped */
	struct loop_handler oom;        /* OOM notifications of its cgroup */
	uint64_t oom_seen;              /* the cgroup's oom_kill counter */
	uint32_t oom_kills;             /* OOM kills since boot */
	struct loop_handler out;        /* read end of the output pipe */
	struct loop_handler res;        /* the start's report: EOF at exec */
	struct log_file log;            /* NAME.log in the log directory */
	uint16_t linelen;
	char line[SVC_LINE_MAX];
};

/*
 * supervise_init - take ownership of @cfg (freed by supervise_free) and
 * make one service per entry; invalid entries start in state failed.
 * Plus @extra (may be NULL): a service run on the tty @extra_console.
 * Returns 0 or -ENOMEM.
 */
int supervise_init(struct config *cfg, const struct svc_conf *extra,
		   const char *extra_console);

/* supervise_config - the configuration in force. */
struct config *supervise_config(void);

/*
 * supervise_reload - switch to @cfg (ownership taken; it must have no
 * diagnostics): services gone from it are stopped and removed, new ones
 * started, changed ones restarted, unchanged ones keep running with their
 * pid; failed ones get a fresh start. Returns 0 or -ENOMEM (then nothing
 * changed and @cfg was freed).
 */
int supervise_reload(struct config *cfg);

/* supervise_free - release everything (all processes must be gone). */
void supervise_free(void);

/*
 * supervise_cleanup - at exit, once no service process runs: kill what is
 * left in each service's cgroup, remove the cgroups and boxinit's subtree.
 */
void supervise_cleanup(void);

/* supervise_start_all - move every stopped service to starting and start
 * those whose dependencies are met. Returns how many processes started. */
int supervise_start_all(void);

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
 * supervise_child_exited - a child @pid was reaped with @wstatus. Returns
 * true when it was a service's main process (the state machine moved),
 * false for any other child (an orphan re-parented to us).
 */
bool supervise_child_exited(pid_t pid, int wstatus);

/* supervise_next_deadline - earliest pending deadline (ms), 0 if none. */
uint64_t supervise_next_deadline(void);

/* supervise_on_timer - act on every deadline that has passed. */
void supervise_on_timer(void);

/* supervise_stop_all - stop every service (shutdown): nothing restarts. */
void supervise_stop_all(void);

/* supervise_running - number of services with a live process. */
size_t supervise_running(void);

/* supervise_longest_stop_ms - the largest stop_timeout of any service. */
uint32_t supervise_longest_stop_ms(void);

/* supervise_kill_all - SIGKILL every service's processes now. */
void supervise_kill_all(void);

/* svc_state_name - "running", "backoff"... */
const char *svc_state_name(enum svc_state st);

/* supervise_find - the service named @name, or NULL. */
const struct service *supervise_find(const char *name);

/* supervise_table - the services in start order; @n receives the count. */
struct service *const *supervise_table(size_t *n);

#endif
