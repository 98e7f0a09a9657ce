/* SPDX-License-Identifier: MIT */
/*
 * query: what the rest of boxinit reads of the services: counts, the
 * longest stop, status snapshots (struct svc_status), a service's
 * configuration, the boot's critical path. No state of its own. See
 * supervise.h.
 */
#include <errno.h>
#include <string.h>

#include "service.h"
#include "supervise.h"
#include "timeline.h"

const struct svc_conf *supervise_conf_of(const char *name)
{
	const struct service *s = svc_find(name);

	return s && !s->fsm.removed ? s->conf : NULL;
}

size_t supervise_running(void)
{
	size_t n = 0;

	for (size_t i = 0; i < svc_count; i++)
		n += svc_table[i]->pid > 0;
	return n;
}

uint32_t supervise_longest_stop_ms(void)
{
	uint32_t m = 0;

	for (size_t i = 0; i < svc_count; i++)
		if (svc_table[i]->conf->stop_timeout_ms > m)
			m = svc_table[i]->conf->stop_timeout_ms;
	return m;
}

/* The service whose boot entry ended last among @names (NULL: all). */
static const struct service *last_ready(char *const *names, size_t n)
{
	const struct service *best = NULL;
	uint64_t end = 0;

	for (size_t i = 0; i < (names ? n : svc_count); i++) {
		const struct service *s = names ? svc_find(names[i]) : svc_table[i];
		const struct tl_entry *e = s ? timeline_get((size_t)s->tl) : NULL;

		if (s && s->tl >= 0 && e && e->end_us && e->end_us >= end) {
			end = e->end_us;
			best = s;
		}
	}
	return best;
}

size_t supervise_boot_chain(int *ids, size_t max)
{
	const struct service *s = last_ready(NULL, 0);
	size_t k = 0;

	while (s && k < max) {
		ids[k++] = s->tl;
		s = last_ready(s->conf->after, s->conf->nafter);
	}
	return k;
}

size_t supervise_count(void)
{
	return svc_count;
}

int supervise_status(size_t i, struct svc_status *st)
{
	const struct service *s;

	if (i >= svc_count)
		return -ENOENT;
	s = svc_table[i];
	st->conf = s->conf;
	st->state = fsm_state_name(s->fsm.state);
	st->running = s->fsm.state == FSM_RUNNING || s->fsm.state == FSM_STOP_WAIT;
	st->pid = s->pid;
	st->uptime_ms = s->pid > 0 ? svc_now() - s->fsm.started_ms : 0;
	st->restarts = s->fsm.restarts;
	st->oom_kills = s->oom_kills;
	st->log_dropped = s->rate.dropped;
	st->has_cgroup = s->cg_made;
	st->ahead = s->prep.pid > 0;
	st->reason = s->fsm.reason;
	st->status_text = s->pid > 0 ? s->status_text : "";
	st->health = svc_health_text(s, st->health_buf, sizeof(st->health_buf));
	return 0;
}

