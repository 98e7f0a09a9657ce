// SPDX-License-Identifier: MIT
/*
 * config_default: "default.KEY = VALUE", a service key for every service
 * that does not set KEY itself.
 *
 *  - KEY is any service key ("memory", "restart", "env.LANG", "bind"...);
 *    the value is checked when the line is read, as if a service had it,
 *    so a mistake is reported with its own file, line and key;
 *  - the defaults are applied by config_finish(), once every source has
 *    been read: a default written after a service's lines, or given on
 *    the kernel command line ("boxinit.default.pids=128"), applies too;
 *  - a service's own setting always wins, also over a command-line
 *    default; list-valued keys (bind, ports, after) are replaced whole,
 *    never merged; env.NAME is one key per variable;
 *  - a second "default.KEY" in the file is a duplicate (reported); the
 *    kernel command line replaces the file's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_priv.h"

void conf_defaults_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->ndefaults; i++) {
		free(cfg->defaults[i].key);
		free(cfg->defaults[i].value);
		free(cfg->defaults[i].source);
	}
	free(cfg->defaults);
	cfg->defaults = NULL;
	cfg->ndefaults = 0;
}

/* Check that a service could take @sub = @value (reports as @key). */
static int validate(struct conf_ctx *ctx, int line, const char *key,
		    const char *sub, const char *value)
{
	struct svc_conf tmp;
	int r;

	memset(&tmp, 0, sizeof(tmp));
	conf_svc_init(&tmp);
	r = conf_svc_key(ctx, &tmp, line, key, sub, value);
	conf_svc_free(&tmp);
	return r;
}

/* Replace @d's value and origin; 0 or -ENOMEM (@d unchanged). */
static int store(struct conf_ctx *ctx, struct conf_default *d, int line,
		 const char *value)
{
	char *v = strdup(value);
	char *src = strdup(ctx->source ? ctx->source : "(config)");

	if (!v || !src) {
		free(v);
		free(src);
		return -ENOMEM;
	}
	free(d->value);
	free(d->source);
	d->value = v;
	d->source = src;
	d->line = ctx->override ? 0 : line;
	d->override = ctx->override;
	return 0;
}

/*
 * conf_set_default - record "default.<sub>" = @value (@key is the whole
 * key, for messages). 0 or -EINVAL (reported).
 */
int conf_set_default(struct conf_ctx *ctx, int line, const char *key,
		     const char *value)
{
	struct config *cfg = ctx->cfg;
	const char *sub = key + 8;
	struct conf_default *d;
	size_t i;

	if (validate(ctx, line, key, sub, value) < 0)
		return -EINVAL;
	for (i = 0; i < cfg->ndefaults; i++)
		if (!strcmp(cfg->defaults[i].key, sub))
			break;
	if (i < cfg->ndefaults) {
		/* a duplicate, or ignored after the command line set it */
		int slot = cfg->defaults[i].override ? -1 : cfg->defaults[i].line;
		int r = conf_claim(ctx, &slot, line, key);

		if (r <= 0)
			return r;
		d = &cfg->defaults[i];
	} else {
		if (conf_grow(&cfg->defaults, cfg->ndefaults, sizeof(*d)))
			return conf_no_memory(ctx, line, key);
		d = &cfg->defaults[cfg->ndefaults];
		memset(d, 0, sizeof(*d));
		d->key = strdup(sub);
		if (!d->key)
			return conf_no_memory(ctx, line, key);
		cfg->ndefaults++;
	}
	if (store(ctx, d, line, value) < 0)
		return conf_no_memory(ctx, line, key);
	return 0;
}

/* Does @svc set the key @sub itself? */
static bool svc_sets(const struct svc_conf *svc, const char *sub)
{
	int k;

	if (!strncmp(sub, "env.", 4)) {
		size_t n = strlen(sub + 4);

		for (size_t i = 0; i < svc->nenv; i++)
			if (!strncmp(svc->env[i], sub + 4, n) && svc->env[i][n] == '=')
				return true;
		return false;
	}
	k = conf_svc_key_index(sub);
	return k < 0 || svc->key_line[k] != 0;
}

/*
 * conf_apply_defaults - give every service each default it does not set
 * itself (once per configuration). The key's line becomes the default's.
 */
void conf_apply_defaults(struct conf_ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	const char *source = ctx->source;
	char key[CONF_LINE_MAX + 16];

	if (cfg->defaults_applied)
		return;
	cfg->defaults_applied = true;
	for (size_t i = 0; i < cfg->nsvcs; i++) {
		struct svc_conf *svc = &cfg->svcs[i];

		for (size_t j = 0; j < cfg->ndefaults; j++) {
			const struct conf_default *d = &cfg->defaults[j];

			if (svc_sets(svc, d->key))
				continue;
			snprintf(key, sizeof(key), "default.%s", d->key);
			ctx->source = d->source;
			ctx->override = d->override;
			if (conf_svc_key(ctx, svc, d->line, key, d->key, d->value) < 0)
				svc->invalid = true;
		}
	}
	ctx->source = source;
	ctx->override = false;
}

void config_print_defaults(const struct config *cfg, FILE *out)
{
	char q[CONF_QBUF];

	for (size_t i = 0; i < cfg->ndefaults; i++) {
		const struct conf_default *d = &cfg->defaults[i];

		conf_quote(q, sizeof(q), d->value);
		if (d->line > 0)
			fprintf(out, "default.%s = %s (%s:%d)\n", d->key, q,
				d->source, d->line);
		else
			fprintf(out, "default.%s = %s (%s)\n", d->key, q, d->source);
	}
}
