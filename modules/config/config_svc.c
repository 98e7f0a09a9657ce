// SPDX-License-Identifier: MIT
/*
 * config_svc: the services of a configuration. A service is created by
 * the first "service.<name>.<key>" that names it (file order is start
 * order); its keys are applied through the table (config_keys.c), and any
 * bad key marks it invalid (it is reported and never started).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_priv.h"

/* Owned strings/arrays of a service; see config_free(). */
void conf_svc_free(struct svc_conf *svc)
{
	size_t i;

	free(svc->source);
	free(svc->exec);
	free(svc->argv);
	free(svc->health);
	free(svc->health_argv);
	for (i = 0; i < svc->nenv; i++)
		free(svc->env[i]);
	free(svc->env);
	free(svc->env_line);
	free(svc->workdir);
	free(svc->after);
	free(svc->root);
	free(svc->hostname);
	for (i = 0; i < svc->nbinds; i++) {
		free(svc->binds[i].src);
		free(svc->binds[i].dst);
	}
	free(svc->binds);
	free(svc->ports);
}

/*
 * conf_svc_init - the built-in value of every scalar key of @svc (zeroed
 * by the caller): what a service gets when neither it nor a "default."
 * line sets the key.
 */
void conf_svc_init(struct svc_conf *svc)
{
	svc->restart = RESTART_ALWAYS;
	svc->type = SVC_SIMPLE;
	svc->stop_signal = SIGTERM;
	svc->stop_timeout_ms = 10000;
	svc->restart_max = 10;
	svc->seccomp = true;
	svc->tmp_size = 64ull << 20;
	svc->shm_size = 64ull << 20;
	svc->restart_window_ms = 60000;
	svc->memory = UINT64_MAX;
	svc->pids = CONF_PIDS_DEFAULT;
	svc->log_rate = CONF_LOG_RATE_DEFAULT;
	svc->log_burst = CONF_LOG_BURST_DEFAULT;
	svc->log_rate_bytes = CONF_LOG_RATE_BYTES_DEFAULT;
	svc->log_burst_bytes = CONF_LOG_BURST_BYTES_DEFAULT;
	svc->net = NET_NONE;
	svc->ready = READY_EXEC;
	svc->ready_timeout_ms = 30000;
	svc->health_interval_ms = 30000;
	svc->health_timeout_ms = 5000;
	svc->health_retries = 3;
	svc->failure_action = FAILURE_NONE;
}

/* Find or create the service @name (@len bytes); NULL after a diag. */
static struct svc_conf *svc_get(struct conf_ctx *ctx, int line,
				const char *name, size_t len)
{
	struct config *cfg = ctx->cfg;
	struct svc_conf *svc;
	long i = conf_index_find(ctx->idx, cfg, name, len);

	if (i >= 0)
		return &cfg->svcs[i];
	if (cfg->nsvcs >= CONF_SVC_MAX) {
		conf_diag(ctx, line, "service.%.*s: too many services (over %d)",
			  (int)len, name, CONF_SVC_MAX);
		return NULL;
	}
	if (cfg->nsvcs == 0 || !(cfg->nsvcs & (cfg->nsvcs - 1))) {
		size_t cap = cfg->nsvcs ? cfg->nsvcs * 2 : 4;
		void *p = realloc(cfg->svcs, cap * sizeof(*svc));

		if (!p)
			goto oom;
		cfg->svcs = p;
	}
	svc = &cfg->svcs[cfg->nsvcs];
	memset(svc, 0, sizeof(*svc));
	memcpy(svc->name, name, len);
	svc->line = line;
	svc->source = strdup(ctx->source ? ctx->source : "(config)");
	svc->env = calloc(1, sizeof(char *));
	svc->after = calloc(1, sizeof(char *));
	if (!svc->source || !svc->env || !svc->after) {
		conf_svc_free(svc);
		goto oom;
	}
	conf_svc_init(svc);
	cfg->nsvcs++;
	if (ctx->idx)
		conf_index_add(ctx->idx, cfg, cfg->nsvcs - 1);
	return svc;
oom:
	conf_diag(ctx, line, "service.%.*s: out of memory", (int)len, name);
	return NULL;
}

/*
 * conf_set_service - apply "service.<name>.<sub>" = @value. Creates the
 * service if needed; any problem marks it invalid. 0 or -EINVAL.
 */
int conf_set_service(struct conf_ctx *ctx, int line, const char *key,
		     const char *value)
{
	const char *name = key + 8, *dot = strchr(name, '.'), *sub;
	struct svc_conf *svc;
	char q[CONF_QBUF];
	size_t len;
	int r;

	if (!dot) {
		conf_quote(q, sizeof(q), key);
		return conf_diag(ctx, line, "unknown key %s (expected service.NAME.KEY)", q);
	}
	len = (size_t)(dot - name);
	if (!conf_valid_svc_name(name, len)) {
		char n[CONF_QUOTE_MAX + 1];

		snprintf(n, sizeof(n), "%.*s", (int)(len < CONF_QUOTE_MAX ? len : CONF_QUOTE_MAX), name);
		conf_quote(q, sizeof(q), n);
		return conf_diag(ctx, line, "invalid service name %s%s (expected %s)",
				 q, len > CONF_QUOTE_MAX ? "..." : "", SVC_NAME_RULE);
	}
	/* boxinit's own log lines and the emergency shell use these names */
	if ((len == 7 && !memcmp(name, "boxinit", 7)) ||
	    (len == 9 && !memcmp(name, "emergency", 9)))
		return conf_diag(ctx, line, "service name \"%.*s\" is reserved", (int)len, name);
	svc = svc_get(ctx, line, name, len);
	if (!svc)
		return -EINVAL;
	sub = dot + 1;
	r = conf_svc_key(ctx, svc, line, key, sub, value);
	if (r < 0)
		svc->invalid = true;
	return r < 0 ? -EINVAL : 0;
}

/*
 * conf_svc_poison - a line that could not be parsed (too long, NUL byte,
 * bad quoting) but starts with "service.<name>." marks that service
 * invalid, so it never runs with a setting silently dropped. The caller
 * has already reported the line; @s is the raw line (@len bytes).
 */
void conf_svc_poison(struct conf_ctx *ctx, int line, const char *s,
		     size_t len)
{
	const char *end = s + len, *name, *dot;
	struct svc_conf *svc;

	while (s < end && is_blank(*s))
		s++;
	if ((size_t)(end - s) < 8 || memcmp(s, "service.", 8))
		return;
	name = s + 8;
	dot = memchr(name, '.', (size_t)(end - name));
	if (!dot || !conf_valid_svc_name(name, (size_t)(dot - name)))
		return;
	svc = svc_get(ctx, line, name, (size_t)(dot - name));
	if (svc)
		svc->invalid = true;
}
