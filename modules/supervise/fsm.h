/* SPDX-License-Identifier: MIT */
/*
 * fsm: the life of one service as one transition function, state x event
 * -> new state + actions, in the manner of s6-supervise's table and
 * finit's sm.c. It makes no system call and reads no clock: the caller
 * passes the time, carries out the actions (registry.c, run.c) and feeds
 * back what happened as events. That makes every rule below testable
 * without processes and without timing (tests/unit/test_fsm.c).
 *
 * What a service should be doing (its "want") is kept apart from what it
 * is doing (its state):
 *
 *   want  up      keep it running, restarted after an exit as its
 *                 restart policy says
 *         once    run it, and leave it down after it exits (restart = no)
 *         down    keep it down
 *
 *   state         shown as   what it means
 *   stopped       stopped    down and not coming back by itself
 *   waiting       starting   wanted up, waiting for its "after" services
 *   running       running    its process runs
 *   stop-wait     running    to be stopped once the services that start
 *                            after it are down (stop order)
 *   stopping      stopping   stop signal sent; SIGKILL at stop_timeout
 *   killing       stopping   SIGKILL sent to its cgroup; reported stuck
 *                            when it is still there another stop_timeout
 *                            later (uninterruptible sleep)
 *   backoff       backoff    exited; starts again when the delay ends
 *   failed        failed     invalid config, crash loop, a failed
 *                            dependency, or an exit that is not restarted
 *   done          done       a oneshot that finished successfully
 *
 * A simple service is ready once it says so (ready = exec: when it
 * exec'd; fd:N, notify: its own word): its dependents start then. Not
 * ready within ready_timeout, or unhealthy (its health check failed
 * health_retries times in a row), it is killed and restarted like a
 * crash, the exit reported as "not ready within 30 s" / "unhealthy: ...".
 *
 * Leaving stop-wait, stopping or killing with want up is a restart (an
 * operator's, or a reload's new configuration): the service goes back to
 * waiting at once, without back-off. Back-off: the first restart after
 * BACKOFF_MIN_MS, doubling to BACKOFF_MAX_MS, back to the minimum after
 * BACKOFF_RESET_MS of running. More than restart_max restarts within
 * restart_window: failed, until an operator's start or a reload.
 */
#ifndef BOXINIT_FSM_H
#define BOXINIT_FSM_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

#define BACKOFF_MIN_MS      100u
#define BACKOFF_MAX_MS      30000u
#define BACKOFF_RESET_MS    10000u   /* a run this long resets the back-off */
#define FSM_REASON_MAX      160u     /* why a service is failed/stopped, NUL included */
#define FSM_LINE_MAX        192u     /* one log line of a step, NUL included */

enum svc_state {
	FSM_STOPPED, FSM_WAITING, FSM_RUNNING, FSM_STOP_WAIT, FSM_STOPPING,
	FSM_KILLING, FSM_BACKOFF, FSM_FAILED, FSM_DONE,
	FSM_STATE_COUNT
};

enum svc_want { WANT_DOWN, WANT_UP, WANT_ONCE };

enum svc_event {
	EV_START,       /* an operator, the boot or a reload wants it up */
	EV_STOP,        /* an operator wants it down (@why) */
	EV_RESTART,     /* an operator wants it stopped and up again */
	EV_DEPS_MET,    /* waiting: every service of "after" is ready */
	EV_DEP_FAILED,  /* waiting: one of them failed or is gone (@why) */
	EV_SPAWNED,     /* its process exists */
	EV_EXIT,        /* its process ended with @wstatus (a start that
			   failed is an exit too: status 127) */
	EV_TIMEOUT,     /* the deadline it asked for has come */
	EV_MAY_STOP,    /* stop-wait: no service after it is still going down */
	EV_SHUTDOWN,    /* the machine goes down: down, nothing restarts */
	EV_RELOAD,      /* a reload: @changed (a new configuration to take,
			   its @invalid), or the same one again */
	EV_REMOVED,     /* a reload removed it: down, then gone */
	EV_READY,       /* running: it can serve (ready.h: exec, fd:N, notify) */
	EV_UNHEALTHY,   /* running: its health check failed health_retries
			   times in a row (@why: the last check's verdict) */
	EV_COUNT
};

/* What the transition function needs of a service's configuration. */
struct svc_policy {
	bool oneshot;
	bool invalid;
	enum restart_policy restart;
	uint32_t restart_max;
	uint32_t restart_window_ms;
	uint32_t stop_timeout_ms;
	int stop_signal;
	uint32_t ready_timeout_ms;  /* 0: no limit */
};

/* The state of one service; owned by its struct service. */
struct svc_fsm {
	enum svc_state state;
	enum svc_want want;
	bool ready;                 /* this run can serve (simple), or done (oneshot) */
	bool removed;               /* gone from the config: freed once down */
	bool has_next;              /* a reload left a configuration to take */
	bool next_invalid;          /* ... and it is invalid */
	bool stuck;                 /* survived SIGKILL for stop_timeout */
	char killed_why[FSM_REASON_MAX];    /* killed for this (not ready, unhealthy):
					       its exit is reported so */
	int wstatus;                /* of the last exit */
	uint64_t started_ms;        /* when the last start began */
	uint64_t deadline_ms;       /* backoff: start; stopping/killing: act */
	uint32_t backoff_ms;        /* the next back-off delay */
	uint32_t restarts;          /* restarts since boot */
	uint32_t window_count;      /* restarts in the current window */
	uint64_t window_start_ms;
	char reason[FSM_REASON_MAX];
};

struct fsm_event {
	enum svc_event type;
	int wstatus;                /* EV_EXIT */
	uint64_t exit_ms;           /* EV_EXIT: when it ended, if known before
				       the event (0: at the event's time) */
	const char *why;            /* EV_STOP, EV_DEP_FAILED: a reason */
	bool changed;               /* EV_RELOAD */
	bool invalid;               /* EV_RELOAD with @changed */
};

/* Actions for the caller, in this order. */
enum {
	ACT_ENDED  = 1u << 0,   /* its process is gone: kill what it left in its
				   cgroup, close its output */
	ACT_SIGNAL = 1u << 1,   /* send its stop signal */
	ACT_KILL   = 1u << 2,   /* SIGKILL everything in it */
	ACT_TAKE   = 1u << 3,   /* take the configuration the reload left */
	ACT_SPAWN  = 1u << 4,   /* start its process; feed back EV_SPAWNED or
				   EV_EXIT (status 127) */
	ACT_REMOVE = 1u << 5,   /* free it: it is gone from the config */
};

struct fsm_out {
	unsigned act;               /* ACT_* */
	int result;                 /* operator events: 0, -EALREADY, -EINVAL */
	int level;                  /* LOG_LV_* of @line, or -1: nothing to log */
	char line[FSM_LINE_MAX];    /* without the "NAME: " prefix */
};

/* fsm_init - a new service: stopped, or failed "invalid configuration". */
void fsm_init(struct svc_fsm *m, bool invalid);

/* fsm_policy - the fields of @c that the transition function reads. */
void fsm_policy(struct svc_policy *p, const struct svc_conf *c);

/*
 * fsm_step - apply event @ev at monotonic time @now_ms to @m, a service
 * with policy @p: @m moves to its new state (and deadline), @out receives
 * the actions to carry out and the line to log. An EV_EXIT counts from
 * its exit_ms when that lies between the run's start and @now_ms, at
 * most BACKOFF_MIN_MS before @now_ms (the back-off begins when the
 * service ended, not when its container was torn down). An event that does not
 * apply to the state changes nothing (out->act 0, level -1; operator
 * events then say -EALREADY in out->result). Never fails.
 */
void fsm_step(struct svc_fsm *m, const struct svc_policy *p,
	      const struct fsm_event *ev, uint64_t now_ms, struct fsm_out *out);

/* fsm_state_name - the state as boxctl shows it ("starting" for waiting). */
const char *fsm_state_name(enum svc_state st);

/* fsm_state_label - the state's own name ("waiting", "stop-wait"), for
 * the debug log of transitions. */
const char *fsm_state_label(enum svc_state st);

/* fsm_duration_text - @ms as the messages write it: "60 s", "1500 ms"
 * (into @buf, @len bytes). Returns @buf. */
const char *fsm_duration_text(uint32_t ms, char *buf, size_t len);

/* fsm_alive - whether a process of the service can exist in state @st. */
bool fsm_alive(enum svc_state st);

/* fsm_going_down - stop-wait, stopping or killing: on its way down. */
bool fsm_going_down(enum svc_state st);

#endif
