/* SPDX-License-Identifier: MIT */
/*
 * service: what supervise/ keeps of one service, internal to the folder
 * (everything outside reads a struct svc_status, see supervise.h).
 *
 *   registry.c   the table of services and configurations, the events of
 *                the operator, the boot and the shutdown, the passes that
 *                decide who may start (dependencies) and stop (stop order)
 *   fsm.c        one service's transition function (no system calls)
 *   run.c        the effects: spawning, signals, the cgroup and its OOM
 *                watch, exits, timers
 *   svc_output.c the output pipe under the log rate limit
 *   ready.c      readiness: ready = fd:N, notify
 *   health.c     health checks
 *   reload.c     switching to a new configuration
 *   query.c      what others read: status snapshots, counts, the boot's
 *                critical path
 *   events.c     the ring of transitions (boxctl events)
 */
#ifndef BOXINIT_SERVICE_H
#define BOXINIT_SERVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "fsm.h"
#include "health.h"
#include "log.h"
#include "lograte.h"
#include "loop.h"
#include "process.h"

#define SVC_LINE_MAX        1024u    /* service output line buffer (= LOG_LINE_MAX) */
#define SVC_STATUS_MAX      128u     /* its sd_notify STATUS= text, NUL included */

struct service {
	const struct svc_conf *conf;    /* borrowed from a config supervise owns */
	const struct svc_conf *next;    /* reload: restart with this one */
	const char *console;            /* run on this tty (emergency shell) */
	struct svc_fsm fsm;
	struct svc_policy policy;       /* of conf */
	int tl;                         /* its boot timeline entry; -1 none */
	bool tl_pending;                /* at boot: the first start is still to record */
	bool boot_pending;              /* at boot: not yet ready, failed or done */
	bool boot_ready;                /* ... settled by being ready (or done) */
	pid_t pid;                      /* > 0 while a process runs */
	struct spawn_handle proc;       /* its process: the reaper's status pipe */
	struct loop_child child;        /* its process, watched by the loop */
	struct loop_timer timer;        /* the state machine's deadline */
	bool cg_made;                   /* its cgroup exists */
	struct loop_handler oom;        /* OOM notifications of its cgroup */
	uint64_t oom_seen;              /* the cgroup's oom_kill counter */
	uint32_t oom_kills;             /* OOM kills since boot */
	struct loop_handler res;        /* the start's report: EOF at exec */
	struct loop_handler st;         /* the reaper's status pipe (proc.status_fd) */
	uint64_t exit_ms;               /* when that status came: the service ended */
	/* the next start's container, cloned ahead while a back-off runs
	 * (run.c): its reaper in the cgroups, waiting for "go" */
	struct spawn_prep prep;
	struct loop_child prep_child;   /* that reaper, watched while it waits */
	const struct svc_conf *prep_conf; /* the configuration it was cloned with */
	int prep_out;                   /* its output pipe (read end), or -1 */
	struct loop_handler out;        /* read end of the output pipe */
	struct loop_timer out_timer;    /* read a paused pipe, report drops */
	bool out_paused;                /* over its log rate: out left epoll */
	uint64_t out_resume_ms;         /* read the pipe again at this time */
	struct lograte rate;            /* log rate limit (svc_output.c) */
	struct log_file log;            /* NAME.log in the log directory */
	struct loop_handler rdy;        /* fd:N: its pipe's read end; notify: the socket */
	int rdy_wfd;                    /* fd:N: the pipe's write end, until spawned */
	uint32_t rdy_count;             /* fd:N: bytes without "\n"; notify: dropped */
	bool rdy_bound;                 /* its notify socket file exists */
	char status_text[SVC_STATUS_MAX];       /* its last STATUS= (notify) */
	struct svc_health health;       /* its health checks */
	uint16_t linelen;               /* bytes in @line: a line begun */
	char *line;                     /* SVC_LINE_MAX bytes once needed, or NULL */
};

/*
 * The effects of the state machine's actions, as a table so that the unit
 * tests can run the registry and the state machine without processes
 * (tests/unit/test_fsm.c). run.c has the real ones.
 */
struct svc_effects {
	uint64_t (*now)(void);                  /* monotonic ms */
	int (*spawn)(struct service *s);        /* 0 with s->pid set, or -errno (logged) */
	void (*signal)(struct service *s);      /* its stop signal to its process */
	void (*kill)(struct service *s);        /* SIGKILL to all of it */
	void (*ended)(struct service *s);       /* its process is gone: leftovers, output */
	void (*timer)(struct service *s);       /* arm s->timer for s->fsm.deadline_ms */
	void (*release)(struct service *s);     /* it is being freed: its cgroup, fds */
	/* after every step, may be NULL: in a back-off, clone the next
	 * start's container ahead; out of it, give that one up */
	void (*ahead)(struct service *s);
};

/* run.c */
extern const struct svc_effects svc_real_effects;

/* svc_run_init - the loop objects of a new @s (timers, child). */
void svc_run_init(struct service *s);

/* svc_run_release - before @s is freed: stop its timers, close its
 * pipes and OOM watch (its process must be gone). */
void svc_run_release(struct service *s);

/* svc_run_cleanup - at exit: kill what is left in @s's cgroup, remove it. */
void svc_run_cleanup(struct service *s);

/* svc_run_teardown - at exit, after every service's cleanup: boxinit's
 * cgroup subtree. */
void svc_run_teardown(void);

/* registry.c */

/*
 * svc_event - feed @ev to @s's state machine and carry out the actions
 * (the effects may feed EV_SPAWNED or EV_EXIT back, never deeper). @s may
 * be freed on return when the actions included ACT_REMOVE: the return
 * value says so (true: @s is gone). *@result (may be NULL) receives the
 * step's result for operator events.
 */
bool svc_event(struct service *s, const struct fsm_event *ev, int *result);

/* svc_settle - start what may start and stop what may stop, until
 * nothing moves (after every event from outside). */
void svc_settle(void);

/* svc_now - the effects' clock (monotonic ms). */
uint64_t svc_now(void);

/* svc_set_effects - use @fx (tests); NULL: the real ones. */
void svc_set_effects(const struct svc_effects *fx);

/* svc_name - the service's name. */
static inline const char *svc_name(const struct service *s)
{
	return s->conf->name;
}

/* The registry's table (registry.c), for reload.c. */
extern struct service **svc_table;
extern size_t svc_count;

/* service_new / service_free - allocate a stopped (or failed, when
 * invalid) service for @c (@console: the emergency shell's tty, or NULL);
 * free one (its process must be gone). */
struct service *service_new(const struct svc_conf *c, const char *console);
void service_free(struct service *s);

/* svc_find - the service named @name in the table, or NULL. */
struct service *svc_find(const char *name);

/* svc_config_push - make @cfg the configuration in force (reload).
 * Returns 0 or -EBUSY (too many still referenced). */
int svc_config_push(struct config *cfg);

/* svc_configs_gc - free configurations no service refers to. */
void svc_configs_gc(void);

/* svc_take_next - @s takes the configuration a reload left for it. */
void svc_take_next(struct service *s);

#endif
