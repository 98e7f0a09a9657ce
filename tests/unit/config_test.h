/* SPDX-License-Identifier: MIT */
/*
 * config_test: what the unit tests of the configuration language share
 * (tests/unit/test_config*.c): parsing a text, finding a diagnostic.
 */
#ifndef BOXINIT_CONFIG_TEST_H
#define BOXINIT_CONFIG_TEST_H

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "config_priv.h"

#define SRC "test.conf"
#define CMDLINE "kernel command line"

static inline int parse(struct config *cfg, const char *text)
{
	config_init(cfg);
	return config_parse_buffer(cfg, SRC, text, strlen(text));
}

static inline void dump_diags(const struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->ndiags; i++)
		print_message("  diag %s:%d: %s\n", cfg->diags[i].source,
			      cfg->diags[i].line, cfg->diags[i].msg);
}

/* The diagnostic at @line from @source whose text contains @text. */
static inline const struct conf_diag *find_diag(const struct config *cfg,
					 const char *source, int line,
					 const char *text)
{
	size_t i;

	for (i = 0; i < cfg->ndiags; i++)
		if (cfg->diags[i].line == line &&
		    !strcmp(cfg->diags[i].source, source) &&
		    strstr(cfg->diags[i].msg, text))
			return &cfg->diags[i];
	print_message("no diag %s:%d containing '%s'; have:\n", source, line,
		      text);
	dump_diags(cfg);
	return NULL;
}

#define assert_diag(cfg, line, text) \
	assert_non_null(find_diag((cfg), SRC, (line), (text)))

static inline void assert_no_diags(const struct config *cfg)
{
	if (cfg->ndiags)
		dump_diags(cfg);
	assert_int_equal(cfg->ndiags, 0);
}

static inline uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

#endif
