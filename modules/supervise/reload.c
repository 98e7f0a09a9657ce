/* SPDX-License-Identifier: MIT */
/* reload: switch the services to a new configuration. See supervise.h. */
#include <errno.h>
#include <stdlib.h>

#include "log.h"
#include "net.h"
#include "service.h"
#include "supervise.h"

/* The reload's event for the existing service @s, whose entry in the new
 * configuration @cfg is @nc (NULL: gone); counts what it is in @n[4]:
 * added (unused here), changed, removed, unchanged. A service whose
 * network @cfg changes (the bridge's address, its own: net.h) is changed
 * even when its settings are equal. */
static struct fsm_event event_for(const struct config *cfg, struct service *s,
				  const struct svc_conf *nc, size_t *n)
{
	struct fsm_event ev = { .type = EV_RELOAD };

	if (!nc) {
		n[2] += !s->fsm.removed;
		ev.type = EV_REMOVED;
	} else if (!s->fsm.removed && svc_conf_equal(s->conf, nc) &&
		   net_service_current(cfg, nc)) {
		s->conf = nc;           /* the same settings: keeps its pid */
		s->next = NULL;
		fsm_policy(&s->policy, nc);
		n[3]++;
	} else {
		s->next = nc;           /* taken now, or once it is down */
		ev.changed = true;
		ev.invalid = nc->invalid;
		n[1]++;
	}
	return ev;
}

int supervise_reload(struct config *cfg)
{
	struct service **grown;
	size_t n[4] = { 0, 0, 0, 0 };
	int r;

	grown = realloc(svc_table, (svc_count + cfg->nsvcs + 1) * sizeof(*svc_table));
	if (grown)
		svc_table = grown;
	r = grown ? svc_config_push(cfg) : -ENOMEM;
	if (r < 0) {
		if (r == -EBUSY)
			log_err("reload: too many reloads still settling; try again");
		config_free(cfg);
		free(cfg);
		return r;
	}
	/* existing services: unchanged, changed or gone (gone ones without a
	 * process are freed at once: the table shrinks under i) */
	for (size_t i = 0; i < svc_count;) {
		struct service *s = svc_table[i];
		struct fsm_event ev;

		if (s->console) {
			i++;            /* the emergency shell stays */
			continue;
		}
		ev = event_for(cfg, s, config_find(cfg, svc_name(s)), n);
		if (!svc_event(s, &ev, NULL))
			i++;
	}
	/* new services */
	for (size_t k = 0; k < cfg->nsvcs; k++) {
		struct fsm_event ev = { .type = EV_START };
		struct service *s;

		if (svc_find(cfg->svcs[k].name))
			continue;
		s = service_new(&cfg->svcs[k], NULL);
		if (!s) {
			log_err("reload: %s: out of memory", cfg->svcs[k].name);
			continue;
		}
		svc_table[svc_count++] = s;
		if (!s->conf->invalid)
			svc_event(s, &ev, NULL);
		n[0]++;
	}
	svc_configs_gc();
	log_info("reload: %zu added, %zu changed, %zu removed, %zu unchanged",
		 n[0], n[1], n[2], n[3]);
	svc_settle();
	return 0;
}
