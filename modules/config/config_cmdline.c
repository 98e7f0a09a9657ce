// SPDX-License-Identifier: MIT
/*
 * config_cmdline: the kernel command line. "boxinit.conf=PATH" picks the
 * file, "boxinit.KEY=VALUE" overrides any key; words are split with the
 * kernel's own quoting rules (see next_arg()), since /proc/cmdline keeps
 * the quotes the kernel strips for its own parameters.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_priv.h"

/*
 * Split the next parameter off @args in place, exactly like the kernel's
 * lib/cmdline.c next_arg(): double quotes group blanks, a leading quote of
 * the word or of the value is dropped along with the word's final quote.
 * Returns where the next parameter starts.
 */
static char *next_arg(char *args, char **param, char **val)
{
	size_t i, equals = 0;
	bool in_quote = false, quoted = false, has_eq = false;

	if (*args == '"') {
		args++;
		in_quote = quoted = true;
	}
	for (i = 0; args[i]; i++) {
		if (is_blank(args[i]) && !in_quote)
			break;
		if (!has_eq && args[i] == '=') {
			has_eq = true;
			equals = i;
		}
		if (args[i] == '"')
			in_quote = !in_quote;
	}
	*param = args;
	*val = NULL;
	if (has_eq) {
		args[equals] = '\0';
		*val = args + equals + 1;
		if (**val == '"') {
			(*val)++;
			if (args[i - 1] == '"')
				args[i - 1] = '\0';
		}
	}
	if (quoted && i > 0 && args[i - 1] == '"')
		args[i - 1] = '\0';
	if (args[i]) {
		args[i] = '\0';
		args += i + 1;
	} else {
		args += i;
	}
	while (is_blank(*args))
		args++;
	return args;
}

char *cmdline_conf_path(const char *cmdline)
{
	char *copy, *p, *param, *val, *path = NULL;

	if (!cmdline)
		return NULL;
	copy = strdup(cmdline);
	if (!copy)
		return NULL;
	p = copy;
	while (is_blank(*p))
		p++;
	while (*p) {
		p = next_arg(p, &param, &val);
		if (!strcmp(param, "boxinit.conf") && val && *val) {
			free(path);
			path = strdup(val);     /* the last one wins */
		}
	}
	free(copy);
	return path;
}

int config_apply_cmdline(struct config *cfg, const char *cmdline)
{
	struct conf_ctx ctx = {
		.cfg = cfg, .source = CONF_CMDLINE_SOURCE, .override = true,
	};
	char *copy, *p, *param, *val, kb[CONF_QBUF];

	if (!cmdline)
		return 0;
	copy = strdup(cmdline);
	if (!copy)
		return conf_diag(&ctx, 0, "out of memory"), (int)ctx.problems;
	p = copy;
	while (is_blank(*p))
		p++;
	while (*p) {
		p = next_arg(p, &param, &val);
		if (strncmp(param, "boxinit.", 8) || !strcmp(param, "boxinit.conf"))
			continue;
		if (!val)
			conf_diag(&ctx, 0, "%s: missing \"=\" (expected boxinit.KEY=VALUE)",
				  conf_key_label(kb, sizeof(kb), param));
		else
			conf_set_key(&ctx, 0, param + 8, val);
	}
	free(copy);
	return (int)ctx.problems;
}
