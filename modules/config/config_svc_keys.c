// SPDX-License-Identifier: MIT
/*
 * config_svc_keys: the service keys whose value is more than one generic
 * type: exec (a command and its argv), env.NAME (one variable of a list,
 * each with its own duplicate slot), user (UID[:GID]), bind, caps and
 * ports (lists of structured words), ip (an address or "auto"), memory (a
 * size with its own minimum message). Their rows are in config_keys.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_keys.h"
#include "config_priv.h"

int conf_set_command(const struct conf_arg *a)
{
	char ***dst = (char ***)((char *)a->obj + a->k->off2);
	char **argv = split_command(a->v);

	if (!argv && errno == ENOMEM)
		return conf_no_memory(a->ctx, a->line, a->key);
	if (!argv || !argv[0][0]) {
		free(argv);
		return conf_arg_bad(a, a->v);
	}
	if (conf_set_str(a->ctx, a->line, a->key, conf_arg_field(a), a->v)) {
		free(argv);
		return -EINVAL;
	}
	free(*dst);
	*dst = argv;
	return 0;
}

int conf_set_ready(const struct conf_arg *a)
{
	struct svc_conf *svc = a->obj;
	uint32_t fd;

	if (!strcmp(a->v, "exec") || !strcmp(a->v, "notify")) {
		svc->ready = a->v[0] == 'e' ? READY_EXEC : READY_NOTIFY;
		return 0;
	}
	if (strncmp(a->v, "fd:", 3))
		return conf_arg_bad(a, a->v);
	switch (parse_u32(a->v + 3, 3, 1023, &fd)) {
	case 0:
		svc->ready = READY_FD;
		svc->ready_fd = (int)fd;
		return 0;
	case -ERANGE:
		return conf_arg_range(a, a->v);
	default:
		return conf_arg_bad(a, a->v);
	}
}

/* Append "VAR=value" (a new variable) to @svc's environment. */
static int env_append(const struct conf_arg *a, struct svc_conf *svc,
		      char *kv)
{
	char **env = realloc(svc->env, (svc->nenv + 2) * sizeof(char *));
	int *lines;

	if (env)
		svc->env = env;
	lines = realloc(svc->env_line, (svc->nenv + 1) * sizeof(int));
	if (lines)
		svc->env_line = lines;
	if (!env || !lines) {
		free(kv);
		return conf_no_memory(a->ctx, a->line, a->key);
	}
	svc->env[svc->nenv] = kv;
	svc->env[svc->nenv + 1] = NULL;
	svc->env_line[svc->nenv] = a->ctx->override ? -1 : a->line;
	svc->nenv++;
	return 0;
}

/* env.NAME: one variable; each has its own duplicate slot (env_line). */
int conf_set_env(const struct conf_arg *a)
{
	struct svc_conf *svc = a->obj;
	const char *var = a->name + 4;
	size_t vlen = strlen(var), i;
	char q[CONF_QBUF], *kv;
	int r;

	if (!conf_valid_env_name(var)) {
		conf_quote(q, sizeof(q), var);
		return conf_diag(a->ctx, a->line,
				 "%.*s: invalid %s %s (expected [A-Za-z_][A-Za-z0-9_]*)",
				 (int)(strlen(a->key) - vlen - 1), a->key,
				 conf_key_str(a->k, KS_WHAT), q);
	}
	for (i = 0; i < svc->nenv; i++)
		if (!strncmp(svc->env[i], var, vlen) && svc->env[i][vlen] == '=')
			break;
	if (i == svc->nenv && svc->nenv >= CONF_ENV_MAX)
		return conf_diag(a->ctx, a->line, "%s: too many env entries (over %d)",
				 a->key, CONF_ENV_MAX);
	if (i < svc->nenv) {
		r = conf_claim(a->ctx, &svc->env_line[i], a->line, a->key);
		if (r <= 0)
			return r;
	}
	kv = malloc(vlen + strlen(a->v) + 2);
	if (!kv)
		return conf_no_memory(a->ctx, a->line, a->key);
	sprintf(kv, "%s=%s", var, a->v);
	if (i == svc->nenv)
		return env_append(a, svc, kv);
	free(svc->env[i]);
	svc->env[i] = kv;
	return 0;
}

int conf_set_user(const struct conf_arg *a)
{
	struct svc_conf *svc = a->obj;
	const char *colon = strchr(a->v, ':');
	size_t n = colon ? (size_t)(colon - a->v) : strlen(a->v);
	uint32_t uid, gid;
	char buf[24];

	if (n >= sizeof(buf))
		return conf_arg_bad(a, a->v);
	memcpy(buf, a->v, n);
	buf[n] = '\0';
	if (parse_u32(buf, 0, UINT32_MAX - 1, &uid))
		return conf_arg_bad(a, a->v);
	gid = uid;
	if (colon && parse_u32(colon + 1, 0, UINT32_MAX - 1, &gid))
		return conf_arg_bad(a, a->v);
	svc->has_user = true;
	svc->uid = uid;
	svc->gid = gid;
	return 0;
}

static void binds_free(struct conf_bind *b, size_t n)
{
	while (n--) {
		free(b[n].src);
		free(b[n].dst);
	}
	free(b);
}

/* One "SRC:DST[:ro]" word into @b (cut in place). 0 or -EINVAL. */
static int parse_bind(char *w, struct conf_bind *b)
{
	char *dst = strchr(w, ':'), *opt;

	if (!dst)
		return -EINVAL;
	*dst++ = '\0';
	opt = strchr(dst, ':');
	if (opt) {
		*opt++ = '\0';
		if (strcmp(opt, "ro"))
			return -EINVAL;
	}
	if (!conf_valid_abs_path(w, true) || !conf_valid_abs_path(dst, false))
		return -EINVAL;
	b->src = strdup(w);
	b->dst = strdup(dst);
	b->ro = opt != NULL;
	return b->src && b->dst ? 0 : -ENOMEM;
}

int conf_set_bind(const struct conf_arg *a)
{
	struct svc_conf *svc = a->obj;
	size_t n, i, nb = 0;
	char **list = conf_split_words(a->v, &n);
	struct conf_bind *b;
	int r = 0;

	if (!list)
		return conf_no_memory(a->ctx, a->line, a->key);
	b = calloc(n ? n : 1, sizeof(*b));
	if (!b) {
		free(list);
		return conf_no_memory(a->ctx, a->line, a->key);
	}
	for (i = 0; i < n && !r; i++) {
		r = parse_bind(list[i], &b[nb]);
		nb += r != -EINVAL;     /* an entry to free */
	}
	free(list);
	if (r) {
		binds_free(b, nb);
		return r == -ENOMEM ? conf_no_memory(a->ctx, a->line, a->key)
				    : conf_arg_bad(a, a->v);
	}
	binds_free(svc->binds, svc->nbinds);
	svc->binds = b;
	svc->nbinds = nb;
	return 0;
}

/* caps: names, or "none"; an empty list (like "none") keeps none at all */
int conf_set_caps(const struct conf_arg *a)
{
	struct svc_conf *svc = a->obj;
	uint64_t caps = 0;
	char **list;
	size_t n, i;

	if (strcmp(a->v, "none")) {
		list = conf_split_words(a->v, &n);
		if (!list)
			return conf_no_memory(a->ctx, a->line, a->key);
		for (i = 0; i < n; i++) {
			int c = parse_cap(list[i]);

			if (c < 0) {
				conf_arg_bad(a, list[i]);
				free(list);
				return -EINVAL;
			}
			caps |= 1ull << c;
		}
		free(list);
	}
	svc->has_caps = true;
	svc->caps = caps;
	return 0;
}

/* One "HOST:SVC[/tcp|/udp]" word into @p (cut in place). 0 or -EINVAL. */
static int parse_port(char *w, struct conf_port *p)
{
	char *colon = strchr(w, ':'), *slash = strchr(w, '/');
	uint32_t h, s;

	p->proto = IPPROTO_TCP;
	if (slash) {
		*slash++ = '\0';
		if (!strcmp(slash, "udp"))
			p->proto = IPPROTO_UDP;
		else if (strcmp(slash, "tcp"))
			return -EINVAL;
	}
	if (!colon || (slash && colon > slash))
		return -EINVAL;
	*colon = '\0';
	if (parse_u32(w, 1, 65535, &h) || parse_u32(colon + 1, 1, 65535, &s))
		return -EINVAL;
	p->host = (uint16_t)h;
	p->svc = (uint16_t)s;
	return 0;
}

/* A host port+proto listed twice in @p[0..n]? (reported) */
static int port_twice(const struct conf_arg *a, const struct conf_port *p,
		      size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].host == p[n].host && p[i].proto == p[n].proto)
			return conf_diag(a->ctx, a->line,
					 "%s: host port %u/%s listed twice", a->key,
					 (unsigned)p[n].host,
					 p[n].proto == IPPROTO_UDP ? "udp" : "tcp");
	return 0;
}

int conf_set_ports(const struct conf_arg *a)
{
	struct svc_conf *svc = a->obj;
	size_t n, i;
	char **list = conf_split_words(a->v, &n);
	struct conf_port *p;
	int r = 0;

	if (!list)
		return conf_no_memory(a->ctx, a->line, a->key);
	p = calloc(n ? n : 1, sizeof(*p));
	if (!p) {
		free(list);
		return conf_no_memory(a->ctx, a->line, a->key);
	}
	for (i = 0; i < n && !r; i++) {
		r = parse_port(list[i], &p[i]);
		if (r)
			conf_arg_bad(a, a->v);
		else
			r = port_twice(a, p, i);
	}
	free(list);
	if (r) {
		free(p);
		return -EINVAL;
	}
	free(svc->ports);
	svc->ports = p;
	svc->nports = n;
	return 0;
}

int conf_set_ip(const struct conf_arg *a)
{
	struct svc_conf *svc = a->obj;
	struct in_addr ip;

	if (!strcmp(a->v, "auto")) {
		svc->ip_auto = true;
		svc->has_ip = false;
		return 0;
	}
	if (parse_ipv4(a->v, &ip))
		return conf_arg_bad(a, a->v);
	svc->ip = ip;
	svc->has_ip = true;
	svc->ip_auto = false;
	return 0;
}

/* ip6: auto, or an IPv6 address (checked against net.address6 at the end) */
int conf_set_ip6(const struct conf_arg *a)
{
	struct svc_conf *svc = a->obj;
	struct in6_addr ip6;

	if (!strcmp(a->v, "auto")) {
		svc->ip6_auto = true;
		svc->has_ip6 = false;
		return 0;
	}
	if (parse_ipv6(a->v, &ip6))
		return conf_arg_bad(a, a->v);
	svc->ip6 = ip6;
	svc->has_ip6 = true;
	svc->ip6_auto = false;
	return 0;
}

/* memory: a size; below the row's minimum (whole MiB) its own message */
int conf_set_memory(const struct conf_arg *a)
{
	uint64_t size;
	char q[CONF_QBUF];
	int r = parse_size(a->v, &size);

	if (r)
		return conf_arg_reject(a, r);
	if (size < conf_size_bound(a->k->min)) {
		conf_quote(q, sizeof(q), a->v);
		return conf_diag(a->ctx, a->line, "%s: size %s below the minimum of %uM",
				 a->key, q, a->k->min >> 10);
	}
	conf_arg_store(a, size);
	return 0;
}
