// SPDX-License-Identifier: MIT
/*
 * fuzz_config: the configuration file parser (modules/config*.c, parse.c)
 * on arbitrary bytes: config_parse_buffer() then config_finish(), as boot
 * and --check do. Oracles beyond the sanitizers: parsing is deterministic
 * (the same bytes give the same services: svc_conf_equal() on two parses),
 * every diagnostic has a source and a message, and a parsed service keeps
 * the documented invariants (NULL-terminated env/after, a valid name).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static void check_invariants(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->ndiags; i++)
		if (!cfg->diags[i].source || !cfg->diags[i].msg || !cfg->diags[i].msg[0])
			abort();
	if (!cfg->modules || cfg->modules[cfg->nmodules])
		abort();
	for (size_t i = 0; i < cfg->nsvcs; i++) {
		const struct svc_conf *s = &cfg->svcs[i];
		size_t n = strlen(s->name);

		if (n < 1 || n > CONF_NAME_MAX)
			abort();
		if (!s->env || s->env[s->nenv] || !s->after || s->after[s->nafter])
			abort();
		if (!s->invalid && s->exec && (!s->argv || !s->argv[0]))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config a, b;

	config_init(&a);
	config_parse_buffer(&a, "fuzz.conf", (const char *)data, size);
	config_finish(&a);
	check_invariants(&a);

	config_init(&b);
	config_parse_buffer(&b, "fuzz.conf", (const char *)data, size);
	config_finish(&b);
	if (a.nsvcs != b.nsvcs || a.ndiags != b.ndiags)
		abort();
	for (size_t i = 0; i < a.nsvcs; i++)
		if (!svc_conf_equal(&a.svcs[i], &b.svcs[i]))
			abort();
	config_free(&a);
	config_free(&b);
	return 0;
}
