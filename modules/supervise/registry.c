/* SPDX-License-Identifier: MIT */
/*
 * registry: the table of services and the configurations they borrow
 * from, the events from outside (boot, operator, shutdown), and the passes
 * that let a waiting service start once its dependencies are ready and a
 * service stop once the ones after it are down. See supervise.h, service.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "log.h"
#include "service.h"
#include "supervise.h"
#include "svc_output.h"
#include "timeline.h"
#include "util.h"

/* Services are allocated one by one: their loop objects must not move. */
struct service **svc_table;
size_t svc_count;
static bool stopping;           /* the one shutdown flag */
static void (*on_failure)(const struct svc_conf *c, const char *reason);
static void (*on_boot_ready)(unsigned ready, unsigned total, const char *not_ready);
static size_t boot_waiting;     /* boot services not settled yet */
static bool boot_told;          /* on_boot_ready was called */
static const struct svc_effects *fx = &svc_real_effects;

/* Configurations still referenced by a service; [0] is the one in force. */
#define MAX_CONFIGS 8
static struct config *cfgs[MAX_CONFIGS];
static size_t ncfgs;

uint64_t svc_now(void)
{
	return fx->now();
}

void svc_set_effects(const struct svc_effects *e)
{
	fx = e ? e : &svc_real_effects;
}

struct config *supervise_config(void)
{
	return ncfgs ? cfgs[0] : NULL;
}

struct service *svc_find(const char *name)
{
	for (size_t i = 0; i < svc_count; i++)
		if (!strcmp(svc_table[i]->conf->name, name))
			return svc_table[i];
	return NULL;
}

void supervise_on_boot_ready(void (*fn)(unsigned ready, unsigned total,
					const char *not_ready))
{
	on_boot_ready = fn;
}

void supervise_on_failure(void (*fn)(const struct svc_conf *c, const char *reason))
{
	on_failure = fn;
}

bool supervise_stopping(void)
{
	return stopping;
}

/* ---- configurations ------------------------------------------------------ */

static bool refers_to(const struct service *s, const struct config *c)
{
	const struct svc_conf *a = s->conf, *b = s->next;

	return (a >= c->svcs && a < c->svcs + c->nsvcs) ||
	       (b && b >= c->svcs && b < c->svcs + c->nsvcs);
}

void svc_configs_gc(void)
{
	for (size_t k = ncfgs; k-- > 1;) {
		bool used = false;

		for (size_t i = 0; i < svc_count && !used; i++)
			used = refers_to(svc_table[i], cfgs[k]);
		if (used)
			continue;
		config_free(cfgs[k]);
		free(cfgs[k]);
		memmove(&cfgs[k], &cfgs[k + 1], (ncfgs - k - 1) * sizeof(cfgs[0]));
		ncfgs--;
	}
}

int svc_config_push(struct config *cfg)
{
	if (ncfgs == MAX_CONFIGS)
		svc_configs_gc();
	if (ncfgs == MAX_CONFIGS)
		return -EBUSY;
	memmove(&cfgs[1], &cfgs[0], ncfgs * sizeof(cfgs[0]));
	cfgs[0] = cfg;
	ncfgs++;
	return 0;
}

void svc_take_next(struct service *s)
{
	if (!s->next)
		return;
	s->conf = s->next;
	s->next = NULL;
	fsm_policy(&s->policy, s->conf);
	s->cg_made = false;     /* rewrite the limits at the next start */
}

/* ---- services ------------------------------------------------------------ */

struct service *service_new(const struct svc_conf *c, const char *console)
{
	struct service *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->conf = c;
	s->console = console;
	s->out.fd = -1;
	s->oom.fd = -1;
	s->res.fd = -1;
	s->st.fd = -1;
	s->proc.result_fd = s->proc.status_fd = -1;
	s->prep = SPAWN_PREP_NONE;
	s->prep_out = -1;
	s->tl = -1;
	fsm_init(&s->fsm, c->invalid);
	fsm_policy(&s->policy, c);
	svc_run_init(s);
	lograte_init(&s->rate, c, fx->now());
	log_file_open(&s->log, c->name);
	return s;
}

void service_free(struct service *s)
{
	svc_run_release(s);
	log_file_close(&s->log);
	free(s->line);
	free(s);
}

static void boot_tell(void);

/* Take @s out of the table and free it (it was removed from the config). */
static void remove_service(struct service *s)
{
	size_t i;

	for (i = 0; i < svc_count && svc_table[i] != s; i++)
		;
	if (i == svc_count)
		return;
	log_info("%s: removed", svc_name(s));
	if (s->boot_pending) {
		s->boot_pending = false;
		boot_waiting--;
	}
	fx->release(s);
	service_free(s);
	memmove(&svc_table[i], &svc_table[i + 1], (svc_count - i - 1) * sizeof(svc_table[0]));
	svc_count--;
	svc_configs_gc();
	boot_tell();
}

/* ---- events ---------------------------------------------------------------- */

/* Why a transition happened, when the step logged no line of its own. */
static const char *cause_of(const struct service *s, const struct fsm_event *ev,
			    char *buf, size_t len)
{
	static const char *const causes[EV_COUNT] = {
		[EV_START] = "start", [EV_STOP] = "stop requested",
		[EV_RESTART] = "restart requested", [EV_DEPS_MET] = "dependencies ready",
		[EV_TIMEOUT] = "timer", [EV_MAY_STOP] = "dependents down",
		[EV_SHUTDOWN] = "shutdown", [EV_RELOAD] = "reload",
		[EV_REMOVED] = "removed from the configuration",
	};

	if (ev->type == EV_SPAWNED)
		snprintf(buf, len, "started (pid %d)", (int)s->pid);
	else if (ev->why)
		snprintf(buf, len, "%s", ev->why);
	else
		snprintf(buf, len, "%s", causes[ev->type] ? causes[ev->type] : "");
	return buf;
}

static bool is_ready(const struct service *s)
{
	return s->policy.oneshot ? s->fsm.state == FSM_DONE : s->fsm.ready;
}

/* The boot is ready once each of its services is ready or will not be
 * soon (failed, stopped, or in back-off after its first run). */
static void boot_tell(void)
{
	char names[200] = "";
	unsigned ready = 0, total = 0;
	size_t len = 0;

	if (boot_waiting || boot_told || !on_boot_ready)
		return;
	boot_told = true;
	for (size_t i = 0; i < svc_count; i++) {
		const struct service *x = svc_table[i];

		total++;
		if (x->boot_ready) {    /* once, at boot: a later crash counts not */
			ready++;
		} else if (len + strlen(svc_name(x)) + 2 < sizeof(names)) {
			len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
						len ? " " : "", svc_name(x));
		}
	}
	on_boot_ready(ready, total, names);
}

static void boot_settle(struct service *s)
{
	if (!s->boot_pending || !(is_ready(s) || s->fsm.state == FSM_FAILED ||
				  s->fsm.state == FSM_STOPPED || s->fsm.state == FSM_BACKOFF))
		return;
	s->boot_pending = false;
	s->boot_ready = is_ready(s);
	boot_waiting--;
	boot_tell();
}

bool svc_event(struct service *s, const struct fsm_event *ev, int *result)
{
	enum svc_state before = s->fsm.state;
	bool was_ready = s->fsm.ready;
	char cause[FSM_LINE_MAX];
	struct fsm_out o;

	fsm_step(&s->fsm, &s->policy, ev, fx->now(), &o);
	if (result)
		*result = o.result;
	if (s->fsm.state != before) {
		log_debug("%s: %s -> %s", svc_name(s), fsm_state_label(before),
			  fsm_state_label(s->fsm.state));
		events_record(svc_name(s), before, s->fsm.state,
			      o.line[0] ? o.line : cause_of(s, ev, cause, sizeof(cause)));
		if (s->fsm.state == FSM_DONE || s->fsm.state == FSM_FAILED)
			timeline_end(s->tl, s->fsm.state == FSM_DONE);
		if (s->fsm.state == FSM_FAILED && on_failure && !s->conf->invalid &&
		    s->conf->failure_action != FAILURE_NONE)
			on_failure(s->conf, s->fsm.reason);
	}
	if (s->fsm.ready && !was_ready)
		timeline_end(s->tl, true);
	boot_settle(s);
	if (o.act & ACT_ENDED)          /* its last lines before the verdict */
		fx->ended(s);
	if (o.level >= 0)
		log_msg(o.level, "%s: %s", svc_name(s), o.line);
	if (o.act & ACT_SIGNAL)
		fx->signal(s);
	if (o.act & ACT_KILL)
		fx->kill(s);
	if (o.act & ACT_TAKE)
		svc_take_next(s);
	fx->timer(s);
	if (fx->ahead)
		fx->ahead(s);
	if (o.act & ACT_REMOVE) {
		remove_service(s);
		return true;
	}
	if (o.act & ACT_SPAWN) {
		/* one level deeper at most: neither event asks for a spawn */
		struct fsm_event fe = { .type = EV_SPAWNED };

		if (fx->spawn(s) < 0) {
			fe.type = EV_EXIT;
			fe.wstatus = 127 << 8;  /* a failed start is a failed run */
		} else {
			log_info("%s: started (pid %d)", svc_name(s), (int)s->pid);
		}
		if (svc_event(s, &fe, NULL))
			return true;
		if (fe.type == EV_SPAWNED && s->res.fd < 0 && s->conf->ready == READY_EXEC) {
			/* no report of its exec to wait for (the console's shell) */
			fe.type = EV_READY;
			svc_event(s, &fe, NULL);
		}
		return false;
	}
	return false;
}

static bool host_held;          /* supervise_hold_host() */

void supervise_hold_host(bool held)
{
	host_held = held;
	if (!held)
		svc_settle();
}

/* What waits for supervise_hold_host(false): a network, or a bind. */
static bool needs_host(const struct svc_conf *c)
{
	return c->net != NET_NONE || c->nbinds > 0;
}

/* Dependencies of @s: 1 all met, 0 pending, -1 one failed (@why set). */
static int deps_met(const struct service *s, char *why, size_t len)
{
	const struct svc_conf *c = s->conf;

	if (host_held && needs_host(c))
		return 0;
	for (size_t i = 0; i < c->nafter; i++) {
		const struct service *d = svc_find(c->after[i]);

		if (!d || d->fsm.removed) {
			snprintf(why, len, "dependency \"%s\" does not exist", c->after[i]);
			return -1;
		}
		if (d->fsm.state == FSM_FAILED) {
			snprintf(why, len, "dependency \"%s\" failed", c->after[i]);
			return -1;
		}
		if (d->policy.oneshot ? d->fsm.state != FSM_DONE : !d->fsm.ready)
			return 0;
	}
	return 1;
}

/* True while a service that lists @s in "after" is alive and going down
 * too: it stops first ("after" orders; a stop of @s does not take its
 * dependents down). */
static bool dependent_going_down(const struct service *s)
{
	for (size_t i = 0; i < svc_count; i++) {
		const struct service *d = svc_table[i];

		if (!fsm_going_down(d->fsm.state))
			continue;
		for (size_t k = 0; k < d->conf->nafter; k++)
			if (!strcmp(d->conf->after[k], svc_name(s)))
				return true;
	}
	return false;
}

/* Start every waiting service whose dependencies are met (or fail it). */
static bool pass_start(void)
{
	bool moved = false;
	char why[72];

	for (size_t i = 0; i < svc_count && !stopping; i++) {
		struct service *s = svc_table[i];
		struct fsm_event ev = { .type = EV_DEPS_MET };
		int r;

		if (s->fsm.state != FSM_WAITING)
			continue;
		r = deps_met(s, why, sizeof(why));
		if (r == 0)
			continue;
		if (r < 0) {
			ev.type = EV_DEP_FAILED;
			ev.why = why;
		}
		svc_event(s, &ev, NULL);
		moved = true;
	}
	return moved;
}

/* Signal every service waiting to stop whose dependents are down, the
 * last in start order first. */
static bool pass_stop(void)
{
	bool moved = false;

	for (size_t i = svc_count; i-- > 0;) {
		struct service *s = svc_table[i];
		struct fsm_event ev = { .type = EV_MAY_STOP };

		if (s->fsm.state != FSM_STOP_WAIT || dependent_going_down(s))
			continue;
		svc_event(s, &ev, NULL);
		moved = true;
	}
	return moved;
}

void svc_settle(void)
{
	bool moved;

	do {
		moved = pass_start();
		moved = pass_stop() || moved;
	} while (moved);
}

/* ---- the boot, the operator, the shutdown -------------------------------- */

int supervise_init(struct config *cfg, const struct svc_conf *extra,
		   const char *extra_console)
{
	size_t n = cfg->nsvcs;

	svc_table = calloc(n + 1, sizeof(*svc_table));
	if (!svc_table)
		return -ENOMEM;
	cfgs[0] = cfg;
	ncfgs = 1;
	svc_count = 0;
	boot_waiting = 0;
	boot_told = false;
	stopping = false;
	for (size_t i = 0; i < n + 1; i++) {
		const struct svc_conf *c = i < n ? &cfg->svcs[i] : extra;
		struct service *s;

		if (!c)
			continue;
		s = service_new(c, i < n ? NULL : extra_console);
		if (!s)
			return -ENOMEM;
		s->tl_pending = true;   /* its first start goes on the boot timeline */
		s->boot_pending = true;
		boot_waiting++;
		svc_table[svc_count++] = s;
	}
	return 0;
}

int supervise_start_all(void)
{
	int started = 0;

	for (size_t i = 0; i < svc_count; i++) {
		struct service *s = svc_table[i];
		struct fsm_event ev = { .type = EV_START };

		if (s->fsm.state == FSM_FAILED && s->conf->invalid)
			log_err("%s: not started: invalid configuration", svc_name(s));
		if (s->fsm.state == FSM_STOPPED)
			svc_event(s, &ev, NULL);
	}
	svc_settle();
	for (size_t i = 0; i < svc_count; i++) {
		started += svc_table[i]->pid > 0;
		boot_settle(svc_table[i]);      /* the invalid ones: failed from the start */
	}
	boot_tell();                    /* none at all */
	return started;
}

/* The service an operator names: NULL with *@err -ENOENT / -ESHUTDOWN. */
static struct service *requested(const char *name, int *err)
{
	struct service *s = svc_find(name);

	*err = !s || s->fsm.removed ? -ENOENT : stopping ? -ESHUTDOWN : 0;
	return *err ? NULL : s;
}

/* Operator request @type on @name, logged as "NAME: @verb requested". */
static int operator(const char *name, enum svc_event type, const char *verb)
{
	struct fsm_event ev = { .type = type,
				.why = type == EV_STOP ? "stop requested" : NULL };
	int r;
	struct service *s = requested(name, &r);

	if (!s)
		return r;
	if (type != EV_STOP && s->conf->invalid)
		return -EINVAL;
	svc_event(s, &ev, &r);
	if (r < 0)
		return r;
	log_info("%s: %s requested", name, verb);
	svc_settle();
	if (type == EV_STOP && s->fsm.state == FSM_STOP_WAIT)
		log_info("%s: waiting for its dependents to stop", name);
	return 0;
}

int supervise_start(const char *name)
{
	return operator(name, EV_START, "start");
}

int supervise_stop(const char *name)
{
	return operator(name, EV_STOP, "stop");
}

int supervise_restart(const char *name)
{
	return operator(name, EV_RESTART, "restart");
}

void supervise_stop_all(void)
{
	stopping = true;
	for (size_t i = svc_count; i-- > 0;) {
		struct fsm_event ev = { .type = EV_SHUTDOWN };

		svc_event(svc_table[i], &ev, NULL);
	}
	svc_settle();
}

void supervise_kill_all(void)
{
	for (size_t i = 0; i < svc_count; i++)
		fx->kill(svc_table[i]);
}

void supervise_cleanup(void)
{
	for (size_t i = 0; i < svc_count; i++)
		svc_run_cleanup(svc_table[i]);
	svc_run_teardown();
}

void supervise_free(void)
{
	for (size_t i = 0; i < svc_count; i++)
		service_free(svc_table[i]);
	free(svc_table);
	svc_table = NULL;
	svc_count = 0;
	while (ncfgs > 0) {
		config_free(cfgs[--ncfgs]);
		free(cfgs[ncfgs]);
	}
}
