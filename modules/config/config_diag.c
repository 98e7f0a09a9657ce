// SPDX-License-Identifier: MIT
/*
 * config_diag: what every part of the config module shares and that
 * depends on nothing else in it: recording diagnostics (with the texts of
 * a bad value, a value out of range, a duplicate), quoting a value for a
 * message, growing arrays, owned strings and word lists. The key handlers,
 * the lexer and the checks all call down into this file; it calls nothing
 * of theirs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_priv.h"

static int conf_vdiag(struct conf_ctx *ctx, int line, const char *fmt,
		      va_list ap)
{
	struct config *cfg = ctx->cfg;
	struct conf_diag *d;
	char msg[1024];

	ctx->problems++;
	if (cfg->ndiags >= CONF_DIAG_MAX)
		return -EINVAL;
	if (cfg->ndiags == CONF_DIAG_MAX - 1)
		snprintf(msg, sizeof(msg),
			 "too many problems (over %d), not reporting more",
			 CONF_DIAG_MAX - 1);
	else
		vsnprintf(msg, sizeof(msg), fmt, ap);
	if (conf_grow(&cfg->diags, cfg->ndiags, sizeof(*cfg->diags)))
		return -EINVAL;
	d = &cfg->diags[cfg->ndiags];
	d->source = strdup(ctx->source ? ctx->source : "(config)");
	d->msg = strdup(msg);
	d->line = line;
	if (!d->source || !d->msg) {
		free(d->source);
		free(d->msg);
		return -EINVAL;
	}
	cfg->ndiags++;
	return -EINVAL;
}

int conf_diag(struct conf_ctx *ctx, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_vdiag(ctx, line, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int conf_bad(struct conf_ctx *ctx, int line, const char *key,
	     const char *what, const char *value, const char *expect)
{
	char q[CONF_QBUF];

	conf_quote(q, sizeof(q), value);
	return conf_diag(ctx, line, "%s: invalid %s %s (expected %s)", key,
			 what, q, expect);
}

int conf_range(struct conf_ctx *ctx, int line, const char *key,
	       const char *what, const char *value, const char *expect)
{
	char q[CONF_QBUF];

	conf_quote(q, sizeof(q), value);
	return conf_diag(ctx, line, "%s: %s %s out of range (expected %s)",
			 key, what, q, expect);
}

int conf_reject(struct conf_ctx *ctx, int line, const char *key,
		const char *what, const char *value, int err,
		const char *expect)
{
	if (err == -ERANGE)
		return conf_range(ctx, line, key, what, value, expect);
	return conf_bad(ctx, line, key, what, value, expect);
}

int conf_no_memory(struct conf_ctx *ctx, int line, const char *key)
{
	return conf_diag(ctx, line, "%s: out of memory", key);
}

int conf_claim(struct conf_ctx *ctx, int *slot, int line, const char *key)
{
	if (ctx->override) {
		*slot = -1;
		return 1;
	}
	if (*slot > 0)
		return conf_diag(ctx, line,
				 "duplicate key \"%s\" (first set on line %d)",
				 key, *slot);
	if (*slot < 0)
		return 0;
	*slot = line;
	return 1;
}

void conf_quote(char *buf, size_t size, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	if (size < CONF_QBUF) {
		if (size)
			buf[0] = '\0';
		return;
	}
	buf[o++] = '"';
	for (i = 0; s[i] && i < CONF_QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o++] = '"';
	if (s[i]) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
}

const char *conf_key_label(char *buf, size_t size, const char *key)
{
	size_t i;

	for (i = 0; key[i]; i++)
		if (i >= CONF_QUOTE_MAX || (unsigned char)key[i] <= ' ' ||
		    (unsigned char)key[i] >= 0x7f || key[i] == '"')
			break;
	if (key[i] || !i) {
		conf_quote(buf, size, key);
		return buf;
	}
	return key;
}

int conf_grow(void *arrp, size_t n, size_t elem)
{
	void **arr = arrp;
	void *p;

	if (n && (n & (n - 1)))
		return 0;   /* capacity is the next power of two: room left */
	p = realloc(*arr, (n ? 2 * n : 1) * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}

int conf_set_str(struct conf_ctx *ctx, int line, const char *key,
		 char **dst, const char *value)
{
	char *p = strdup(value);

	if (!p)
		return conf_no_memory(ctx, line, key);
	free(*dst);
	*dst = p;
	return 0;
}

char **conf_split_words(const char *s, size_t *n)
{
	size_t len = strlen(s), words = 0, i;
	char **v, *str;

	for (i = 0; i < len; i++)
		if (!is_blank(s[i]) && (i == 0 || is_blank(s[i - 1])))
			words++;
	v = malloc((words + 1) * sizeof(char *) + len + 1);
	if (!v)
		return NULL;
	str = (char *)(v + words + 1);
	memcpy(str, s, len + 1);
	words = 0;
	for (i = 0; i < len; i++) {
		if (is_blank(str[i]))
			str[i] = '\0';
		else if (i == 0 || str[i - 1] == '\0')
			v[words++] = str + i;
	}
	v[words] = NULL;
	*n = words;
	return v;
}
