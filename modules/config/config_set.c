// SPDX-License-Identifier: MIT
/*
 * config_set: one "key = value" from any source (a file's line, a word of
 * the kernel command line, config_set()), routed by its first component:
 * "service.NAME.KEY" to config_svc.c, "default.KEY" to config_default.c,
 * everything else to the global keys. The lexer (config.c) and the kernel
 * command line (config_cmdline.c) both call down into this file.
 */
#include <errno.h>
#include <string.h>

#include "config.h"
#include "config_priv.h"

int conf_set_key(struct conf_ctx *ctx, int line, const char *key,
		 const char *value)
{
	char q[CONF_QBUF];
	int r;

	if (!key || !*key)
		return conf_diag(ctx, line, "missing key before \"=\" (expected key = value)");
	if (!value)
		value = "";
	if (strlen(key) > CONF_LINE_MAX || strlen(value) > CONF_LINE_MAX)
		return conf_diag(ctx, line, "line too long (over %d bytes)",
				 CONF_LINE_MAX);
	if (!strncmp(key, "service.", 8))
		return conf_set_service(ctx, line, key, value);
	if (!strncmp(key, "default.", 8))
		return conf_set_default(ctx, line, key, value);
	r = conf_set_global(ctx, line, key, value);
	if (r != -ENOENT)
		return r;
	conf_quote(q, sizeof(q), key);
	return conf_diag(ctx, line, "unknown key %s", q);
}

int config_set(struct config *cfg, const char *source, int line,
	       const char *key, const char *value, bool override)
{
	struct conf_ctx ctx = {
		.cfg = cfg, .source = source, .override = override,
	};

	return conf_set_key(&ctx, line, key, value) < 0 ? -EINVAL : 0;
}
