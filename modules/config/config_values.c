// SPDX-License-Identifier: MIT
/*
 * config_values: the generic setters, one per type of value. Each reads
 * its row (config_keys.h) for the bounds, the choices or the validator,
 * reports a wrong value with the row's noun and "expected" text, and
 * stores a good one at the row's offset. Nothing is stored on an error.
 */
#include <errno.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <string.h>

#include "config.h"
#include "config_keys.h"
#include "config_priv.h"
#include "syslog_remote.h"

const char *conf_key_str(const struct conf_key *k, enum conf_key_str which)
{
	const char *s = k->text;

	for (int i = 0; i < (int)which; i++)
		s += strlen(s) + 1;
	return s;
}

int conf_arg_bad(const struct conf_arg *a, const char *value)
{
	return conf_bad(a->ctx, a->line, a->key, conf_key_str(a->k, KS_WHAT),
			value, conf_key_str(a->k, KS_EXPECT));
}

int conf_arg_range(const struct conf_arg *a, const char *value)
{
	const char *range = conf_key_str(a->k, KS_RANGE);

	return conf_range(a->ctx, a->line, a->key, conf_key_str(a->k, KS_WHAT),
			  value, *range ? range : conf_key_str(a->k, KS_EXPECT));
}

int conf_arg_reject(const struct conf_arg *a, int err)
{
	return err == -ERANGE ? conf_arg_range(a, a->v) : conf_arg_bad(a, a->v);
}

void conf_arg_store(const struct conf_arg *a, uint64_t v)
{
	void *p = conf_arg_field(a);

	switch (a->k->size) {
	case 1:
		*(uint8_t *)p = (uint8_t)v;
		break;
	case 4:
		*(uint32_t *)p = (uint32_t)v;
		break;
	case 8:
		*(uint64_t *)p = v;
		break;
	}
}

/* The row's has_ flag (off2), when it has one. */
static void set_has(const struct conf_arg *a)
{
	if (a->k->off2)
		*(bool *)((char *)a->obj + a->k->off2) = true;
}

bool conf_valid_path(const char *s)
{
	return conf_valid_abs_path(s, true);
}

bool conf_valid_svc_word(const char *s)
{
	return conf_valid_svc_name(s, strlen(s));
}

bool conf_valid_syslog_target(const char *s)
{
	struct sockaddr_in6 sa;
	unsigned len;

	return syslog_remote_parse(s, (struct sockaddr *)&sa, &len) == 0;
}

int conf_set_string(const struct conf_arg *a)
{
	if (a->k->valid && !a->k->valid(a->v))
		return conf_arg_bad(a, a->v);
	return conf_set_str(a->ctx, a->line, a->key, conf_arg_field(a), a->v);
}

int conf_set_bool(const struct conf_arg *a)
{
	bool b;

	if (parse_bool(a->v, &b))
		return conf_arg_bad(a, a->v);
	conf_arg_store(a, b);
	return 0;
}

int conf_set_choice(const struct conf_arg *a)
{
	const struct conf_choice *c;

	for (c = a->k->choices; c->name[0]; c++) {
		if (!strcmp(a->v, c->name)) {
			conf_arg_store(a, c->value);
			return 0;
		}
	}
	return conf_arg_bad(a, a->v);
}

/* KF_OFF / KF_MAX: the words that mean "no limit" (stored as 0) */
static bool no_limit(const struct conf_arg *a)
{
	const char *v = a->v;

	if (a->k->flags & KF_OFF)
		return !strcmp(v, "off") || !strcmp(v, "max") ||
		       !strcmp(v, "unlimited");
	return (a->k->flags & KF_MAX) && !strcmp(v, "max");
}

int conf_set_u32(const struct conf_arg *a)
{
	uint32_t u = 0;
	int r;

	if (!no_limit(a)) {
		r = parse_u32(a->v, a->k->min, a->k->max, &u);
		if (r)
			return conf_arg_reject(a, r);
	}
	conf_arg_store(a, u);
	return 0;
}

int conf_set_size(const struct conf_arg *a)
{
	uint64_t size = 0;
	int r;

	if (!no_limit(a)) {
		r = parse_size(a->v, &size);
		if (!r && (size < conf_size_bound(a->k->min) ||
			   size > conf_size_bound(a->k->max)))
			r = -ERANGE;
		if (r)
			return conf_arg_reject(a, r);
	}
	conf_arg_store(a, size);
	set_has(a);
	return 0;
}

/* The parser's own limit (24 h) is part of EXPECT; the row's bounds RANGE. */
int conf_set_duration(const struct conf_arg *a)
{
	uint32_t ms;
	int r = parse_duration_ms(a->v, &ms);

	if (r == -ERANGE)
		return conf_range(a->ctx, a->line, a->key,
				  conf_key_str(a->k, KS_WHAT), a->v,
				  conf_key_str(a->k, KS_EXPECT));
	if (r)
		return conf_arg_bad(a, a->v);
	if (ms < a->k->min || ms > a->k->max)
		return conf_arg_range(a, a->v);
	conf_arg_store(a, ms);
	return 0;
}

int conf_set_cpu(const struct conf_arg *a)
{
	uint32_t quota;
	int r = parse_cpu(a->v, &quota);

	if (r)
		return conf_arg_reject(a, r);
	conf_arg_store(a, quota);
	return 0;
}

int conf_set_signal(const struct conf_arg *a)
{
	int sig = parse_signal(a->v);

	if (sig < 0)
		return conf_arg_bad(a, a->v);
	conf_arg_store(a, (uint32_t)sig);
	return 0;
}

/* A list of words, each accepted by the row's validator: char ** + count. */
int conf_set_words(const struct conf_arg *a)
{
	char **list, ***dst = conf_arg_field(a);
	size_t n, i;

	list = conf_split_words(a->v, &n);
	if (!list)
		return conf_no_memory(a->ctx, a->line, a->key);
	for (i = 0; i < n; i++) {
		if (!a->k->valid(list[i])) {
			conf_arg_bad(a, list[i]);
			free(list);
			return -EINVAL;
		}
	}
	free(*dst);
	*dst = list;
	*(size_t *)((char *)a->obj + a->k->off2) = n;
	return 0;
}
