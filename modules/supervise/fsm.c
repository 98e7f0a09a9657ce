/* SPDX-License-Identifier: MIT */
/* fsm: one service's transition function. See fsm.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "fsm.h"
#include "log.h"
#include "process.h"
#include "util.h"

static const char *const shown[FSM_STATE_COUNT] = {
	[FSM_STOPPED] = "stopped",   [FSM_WAITING] = "starting",
	[FSM_RUNNING] = "running",   [FSM_STOP_WAIT] = "running",
	[FSM_STOPPING] = "stopping", [FSM_KILLING] = "stopping",
	[FSM_BACKOFF] = "backoff",   [FSM_FAILED] = "failed",
	[FSM_DONE] = "done",
};

static const char *const labels[FSM_STATE_COUNT] = {
	[FSM_STOPPED] = "stopped",   [FSM_WAITING] = "waiting",
	[FSM_RUNNING] = "running",   [FSM_STOP_WAIT] = "stop-wait",
	[FSM_STOPPING] = "stopping", [FSM_KILLING] = "killing",
	[FSM_BACKOFF] = "backoff",   [FSM_FAILED] = "failed",
	[FSM_DONE] = "done",
};

const char *fsm_state_label(enum svc_state st)
{
	return (unsigned)st < FSM_STATE_COUNT ? labels[st] : "?";
}

const char *fsm_state_name(enum svc_state st)
{
	return (unsigned)st < FSM_STATE_COUNT ? shown[st] : "?";
}

bool fsm_going_down(enum svc_state st)
{
	return st == FSM_STOP_WAIT || st == FSM_STOPPING || st == FSM_KILLING;
}

bool fsm_alive(enum svc_state st)
{
	return st == FSM_RUNNING || fsm_going_down(st);
}

void fsm_init(struct svc_fsm *m, bool invalid)
{
	memset(m, 0, sizeof(*m));
	m->backoff_ms = BACKOFF_MIN_MS;
	if (invalid) {
		m->state = FSM_FAILED;
		snprintf(m->reason, sizeof(m->reason), "invalid configuration");
	}
}

void fsm_policy(struct svc_policy *p, const struct svc_conf *c)
{
	p->oneshot = c->type == SVC_ONESHOT;
	p->invalid = c->invalid;
	p->restart = c->restart;
	p->restart_max = c->restart_max;
	p->restart_window_ms = c->restart_window_ms;
	p->stop_timeout_ms = c->stop_timeout_ms;
	p->stop_signal = c->stop_signal;
	p->ready_timeout_ms = c->ready_timeout_ms;
}

static void say(struct fsm_out *o, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(struct fsm_out *o, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(o->line, sizeof(o->line), fmt, ap);
	va_end(ap);
	o->level = level;
}

static void reason(struct svc_fsm *m, const char *why)
{
	snprintf(m->reason, sizeof(m->reason), "%s", why);
}

static enum svc_want want_of(const struct svc_policy *p)
{
	return p->restart == RESTART_NO ? WANT_ONCE : WANT_UP;
}

/* Wanted up from scratch: no back-off, no crash count, waiting. */
static void fresh_start(struct svc_fsm *m, const struct svc_policy *p)
{
	m->want = want_of(p);
	m->deadline_ms = 0;
	m->backoff_ms = BACKOFF_MIN_MS;
	m->window_count = 0;
	m->reason[0] = '\0';
	m->state = FSM_WAITING;
}

/* EV_START, and EV_RESTART on a service without a process. */
static void on_start(struct svc_fsm *m, const struct svc_policy *p,
		     struct fsm_out *o)
{
	switch (m->state) {
	case FSM_WAITING:
	case FSM_RUNNING:
		o->result = -EALREADY;
		break;
	case FSM_STOP_WAIT:
	case FSM_STOPPING:
	case FSM_KILLING:
		if (m->want != WANT_DOWN) {
			o->result = -EALREADY;
			break;
		}
		m->want = want_of(p);   /* up again once it is down */
		if (m->state == FSM_STOP_WAIT)
			m->state = FSM_RUNNING;         /* not signalled yet */
		break;
	case FSM_FAILED:
		if (p->invalid) {
			o->result = -EINVAL;
			break;
		}
		/* fall through */
	default:
		fresh_start(m, p);
	}
}

static void on_stop(struct svc_fsm *m, const char *why, struct fsm_out *o)
{
	switch (m->state) {
	case FSM_RUNNING:
		m->want = WANT_DOWN;
		m->state = FSM_STOP_WAIT;
		break;
	case FSM_STOP_WAIT:
	case FSM_STOPPING:
	case FSM_KILLING:
		if (m->want == WANT_DOWN)
			o->result = -EALREADY;
		m->want = WANT_DOWN;    /* a restart under way: stays down */
		break;
	case FSM_WAITING:
	case FSM_BACKOFF:
		m->want = WANT_DOWN;
		m->deadline_ms = 0;
		reason(m, why ? why : "stop requested");
		m->state = FSM_STOPPED;
		break;
	default:
		o->result = -EALREADY;
	}
}

static void on_restart(struct svc_fsm *m, const struct svc_policy *p,
		       struct fsm_out *o)
{
	if (m->state == FSM_RUNNING) {
		m->state = FSM_STOP_WAIT;       /* want stays: up again */
	} else if (fsm_going_down(m->state)) {
		m->want = want_of(p);
	} else {
		on_start(m, p, o);
		if (o->result == -EALREADY)
			o->result = 0;
	}
}

const char *fsm_duration_text(uint32_t ms, char *buf, size_t len)
{
	if (ms && ms % 1000 == 0)
		snprintf(buf, len, "%u s", ms / 1000);
	else
		snprintf(buf, len, "%u ms", ms);
	return buf;
}

/* The run that began at m->started_ms ended unasked with @ws (@text). */
static void run_ended(struct svc_fsm *m, const struct svc_policy *p, int ws,
		      const char *text, uint64_t now, struct fsm_out *o)
{
	bool failure = !(WIFEXITED(ws) && WEXITSTATUS(ws) == 0) || m->killed_why[0];

	if (m->killed_why[0])
		text = m->killed_why;   /* why we killed it, not the SIGKILL */

	if (p->oneshot && !failure) {
		m->ready = true;
		m->state = FSM_DONE;
		say(o, LOG_LV_INFO, "finished (%s)", text);
		return;
	}
	if (m->want == WANT_ONCE || p->restart == RESTART_NO ||
	    (p->restart == RESTART_ON_FAILURE && !failure)) {
		if (failure)
			reason(m, text);
		m->state = failure ? FSM_FAILED : FSM_STOPPED;
		say(o, LOG_LV_INFO, "%s; not restarted (restart = %s)", text,
		    p->restart == RESTART_ON_FAILURE ? "on-failure" : "no");
		return;
	}
	if (now - m->started_ms >= BACKOFF_RESET_MS)
		m->backoff_ms = BACKOFF_MIN_MS;
	if (!m->window_start_ms || now - m->window_start_ms > p->restart_window_ms) {
		m->window_start_ms = now;
		m->window_count = 0;
	}
	if (++m->window_count > p->restart_max) {
		char win[24];

		fsm_duration_text(p->restart_window_ms, win, sizeof(win));
		snprintf(m->reason, sizeof(m->reason), "crash loop: %u restarts within %s; "
			 "last %.80s", p->restart_max, win, text);
		m->state = FSM_FAILED;
		say(o, LOG_LV_ERR, "%s; crash loop: %u restarts within %s: giving up (failed)",
		    text, p->restart_max, win);
		return;
	}
	m->deadline_ms = now + m->backoff_ms;
	m->state = FSM_BACKOFF;
	say(o, LOG_LV_INFO, "%s; restarting in %u ms", text, m->backoff_ms);
	m->backoff_ms = m->backoff_ms >= BACKOFF_MAX_MS / 2 ? BACKOFF_MAX_MS
							    : m->backoff_ms * 2;
}

/* Take the configuration a reload left: a fresh back-off with it. */
static void take(struct svc_fsm *m, struct fsm_out *o)
{
	o->act |= ACT_TAKE;
	m->has_next = false;
	m->backoff_ms = BACKOFF_MIN_MS;
	m->window_count = 0;
}

static void on_ended(struct svc_fsm *m, const struct svc_policy *p, int ws,
		    uint64_t now, struct fsm_out *o)
{
	char text[80];

	if (!fsm_alive(m->state) && m->state != FSM_WAITING)
		return;         /* not a run of ours */
	process_exit_text(ws, text, sizeof(text));
	m->wstatus = ws;
	m->deadline_ms = 0;
	m->stuck = false;
	m->ready = false;
	o->act |= ACT_ENDED;
	if (!fsm_going_down(m->state)) {
		run_ended(m, p, ws, text, now, o);
		m->killed_why[0] = '\0';
		return;
	}
	m->killed_why[0] = '\0';
	reason(m, text);
	say(o, LOG_LV_INFO, "stopped (%s)", text);
	m->state = FSM_STOPPED;
	if (m->removed) {
		o->act |= ACT_REMOVE;
		return;
	}
	if (m->has_next) {
		take(m, o);
		if (m->next_invalid) {
			reason(m, "invalid configuration");
			m->state = FSM_FAILED;
			return;
		}
	}
	if (m->want != WANT_DOWN)
		m->state = FSM_WAITING;         /* a restart: no back-off */
}

static void on_timeout(struct svc_fsm *m, const struct svc_policy *p,
		       uint64_t now, struct fsm_out *o)
{
	char d[24];

	if (!m->deadline_ms || m->deadline_ms > now)
		return;
	m->deadline_ms = 0;
	switch (m->state) {
	case FSM_BACKOFF:
		m->restarts++;
		m->state = FSM_WAITING;
		break;
	case FSM_RUNNING:
		if (m->ready)
			break;
		fsm_duration_text(p->ready_timeout_ms, d, sizeof(d));
		snprintf(m->killed_why, sizeof(m->killed_why), "not ready within %s", d);
		say(o, LOG_LV_ERR, "%s: killing it", m->killed_why);
		o->act |= ACT_KILL;
		break;
	case FSM_STOPPING:
		say(o, LOG_LV_WARN, "still running %u ms after signal %d: sending SIGKILL",
		    p->stop_timeout_ms, p->stop_signal);
		o->act |= ACT_KILL;
		m->deadline_ms = now + p->stop_timeout_ms;
		m->state = FSM_KILLING;
		break;
	case FSM_KILLING:
		m->stuck = true;
		reason(m, "stuck: still there after SIGKILL");
		say(o, LOG_LV_ERR, "still running %u ms after SIGKILL: stuck "
		    "(uninterruptible sleep?)", p->stop_timeout_ms);
		break;
	default:
		break;
	}
}

static void on_reload(struct svc_fsm *m, const struct svc_policy *p,
		      const struct fsm_event *ev, struct fsm_out *o)
{
	if (m->removed) {
		/* back before it was gone: up again once it is down */
		m->removed = false;
		m->has_next = true;
		m->next_invalid = ev->invalid;
		m->want = WANT_UP;
		return;
	}
	if (!ev->changed) {
		m->has_next = false;    /* a change undone before it applied */
		if (m->state == FSM_FAILED && !p->invalid)
			fresh_start(m, p);
		return;
	}
	m->has_next = true;
	m->next_invalid = ev->invalid;
	if (m->state == FSM_RUNNING) {
		say(o, LOG_LV_INFO, "configuration changed: restarting");
		m->state = FSM_STOP_WAIT;
		return;
	}
	if (fsm_alive(m->state))
		return;         /* taken at the exit, up again or not as wanted */
	take(m, o);
	m->reason[0] = '\0';
	if (ev->invalid) {
		reason(m, "invalid configuration");
		m->state = FSM_FAILED;
	} else if (m->state != FSM_STOPPED) {
		fresh_start(m, p);
	}
}

static void on_removed(struct svc_fsm *m, struct fsm_out *o)
{
	m->removed = true;
	m->has_next = false;
	m->want = WANT_DOWN;
	if (m->state == FSM_RUNNING)
		m->state = FSM_STOP_WAIT;
	else if (!fsm_alive(m->state))
		o->act |= ACT_REMOVE;
}

static void on_shutdown(struct svc_fsm *m)
{
	m->want = WANT_DOWN;
	if (m->state == FSM_RUNNING) {
		m->state = FSM_STOP_WAIT;
	} else if (m->state == FSM_WAITING || m->state == FSM_BACKOFF) {
		m->deadline_ms = 0;
		reason(m, "shutdown");
		m->state = FSM_STOPPED;
	}
}

void fsm_step(struct svc_fsm *m, const struct svc_policy *p,
	      const struct fsm_event *ev, uint64_t now, struct fsm_out *o)
{
	o->act = 0;
	o->result = 0;
	o->level = -1;
	o->line[0] = '\0';
	switch (ev->type) {
	case EV_START:
		on_start(m, p, o);
		break;
	case EV_STOP:
		on_stop(m, ev->why, o);
		break;
	case EV_RESTART:
		on_restart(m, p, o);
		break;
	case EV_DEPS_MET:
		if (m->state == FSM_WAITING) {
			m->started_ms = now;
			m->reason[0] = '\0';
			o->act |= ACT_SPAWN;
		}
		break;
	case EV_DEP_FAILED:
		if (m->state == FSM_WAITING) {
			reason(m, ev->why ? ev->why : "a dependency failed");
			m->state = FSM_FAILED;
			say(o, LOG_LV_ERR, "not started: %s", m->reason);
		}
		break;
	case EV_SPAWNED:
		if (m->state == FSM_WAITING) {
			m->state = FSM_RUNNING;
			m->ready = false;
			m->killed_why[0] = '\0';
			if (!p->oneshot && p->ready_timeout_ms)
				m->deadline_ms = now + p->ready_timeout_ms;
		}
		break;
	case EV_READY:
		if (m->state == FSM_RUNNING && !p->oneshot && !m->ready &&
		    !m->killed_why[0]) {
			m->ready = true;
			m->deadline_ms = 0;
		}
		break;
	case EV_UNHEALTHY:
		if (fsm_alive(m->state) && !m->killed_why[0] && m->state == FSM_RUNNING) {
			snprintf(m->killed_why, sizeof(m->killed_why), "unhealthy: %s",
				 ev->why ? ev->why : "?");
			say(o, LOG_LV_ERR, "%s: killing it", m->killed_why);
			o->act |= ACT_KILL;
		}
		break;
	case EV_EXIT:
		/* at most one minimal back-off early: the report comes from
		 * inside the container, whose service may have a hand on it */
		if (ev->exit_ms && ev->exit_ms >= m->started_ms && ev->exit_ms < now &&
		    now - ev->exit_ms <= BACKOFF_MIN_MS)
			now = ev->exit_ms;
		on_ended(m, p, ev->wstatus, now, o);
		break;
	case EV_TIMEOUT:
		on_timeout(m, p, now, o);
		break;
	case EV_MAY_STOP:
		if (m->state == FSM_STOP_WAIT) {
			m->deadline_ms = now + p->stop_timeout_ms;
			m->state = FSM_STOPPING;
			o->act |= ACT_SIGNAL;
			say(o, LOG_LV_INFO, "stopping (signal %d)", p->stop_signal);
		}
		break;
	case EV_SHUTDOWN:
		on_shutdown(m);
		break;
	case EV_RELOAD:
		on_reload(m, p, ev, o);
		break;
	case EV_REMOVED:
		on_removed(m, o);
		break;
	default:
		break;
	}
}
