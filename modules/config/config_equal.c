/* SPDX-License-Identifier: MIT */
/* config_equal: are two service configurations the same? See config.h. */
#include <string.h>

#include "config.h"

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* NULL-terminated string lists */
static bool list_eq(char *const *a, char *const *b)
{
	if (!a || !b)
		return (!a || !*a) && (!b || !*b);
	for (; *a && *b; a++, b++)
		if (strcmp(*a, *b))
			return false;
	return !*a && !*b;
}

static bool binds_eq(const struct svc_conf *a, const struct svc_conf *b)
{
	if (a->nbinds != b->nbinds)
		return false;
	for (size_t i = 0; i < a->nbinds; i++)
		if (!str_eq(a->binds[i].src, b->binds[i].src) ||
		    !str_eq(a->binds[i].dst, b->binds[i].dst) ||
		    a->binds[i].ro != b->binds[i].ro)
			return false;
	return true;
}

static bool ports_eq(const struct svc_conf *a, const struct svc_conf *b)
{
	if (a->nports != b->nports)
		return false;
	for (size_t i = 0; i < a->nports; i++)
		if (a->ports[i].host != b->ports[i].host ||
		    a->ports[i].svc != b->ports[i].svc ||
		    a->ports[i].proto != b->ports[i].proto)
			return false;
	return true;
}

bool svc_conf_equal(const struct svc_conf *a, const struct svc_conf *b)
{
	return !strcmp(a->name, b->name) && a->invalid == b->invalid &&
	       str_eq(a->exec, b->exec) && list_eq(a->env, b->env) &&
	       str_eq(a->workdir, b->workdir) && a->has_user == b->has_user &&
	       a->uid == b->uid && a->gid == b->gid && a->restart == b->restart &&
	       a->type == b->type && list_eq(a->after, b->after) &&
	       a->stop_signal == b->stop_signal &&
	       a->stop_timeout_ms == b->stop_timeout_ms &&
	       a->restart_max == b->restart_max &&
	       a->restart_window_ms == b->restart_window_ms &&
	       str_eq(a->root, b->root) && str_eq(a->hostname, b->hostname) &&
	       a->readonly == b->readonly && binds_eq(a, b) &&
	       a->has_caps == b->has_caps && a->caps == b->caps &&
	       a->control == b->control && a->seccomp == b->seccomp &&
	       a->tmp_size == b->tmp_size && a->shm_size == b->shm_size &&
	       a->cpu_quota_us == b->cpu_quota_us && a->memory == b->memory &&
	       a->has_swap == b->has_swap && a->swap == b->swap &&
	       a->pids == b->pids && a->log_rate == b->log_rate &&
	       a->log_burst == b->log_burst &&
	       a->log_rate_bytes == b->log_rate_bytes &&
	       a->log_burst_bytes == b->log_burst_bytes && a->net == b->net && a->ip_auto == b->ip_auto &&
	       a->has_ip == b->has_ip && a->ip.s_addr == b->ip.s_addr &&
	       a->ip6_auto == b->ip6_auto && a->has_ip6 == b->has_ip6 &&
	       !memcmp(&a->ip6, &b->ip6, sizeof(a->ip6)) &&
	       ports_eq(a, b) && a->ready == b->ready && a->ready_fd == b->ready_fd &&
	       a->ready_timeout_ms == b->ready_timeout_ms && str_eq(a->health, b->health) &&
	       a->health_interval_ms == b->health_interval_ms &&
	       a->health_timeout_ms == b->health_timeout_ms &&
	       a->health_retries == b->health_retries &&
	       a->failure_action == b->failure_action;
}
