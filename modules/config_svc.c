// SPDX-License-Identifier: MIT
/*
 * config_svc: the "service.<name>.<key>" keys. A service is created by the
 * first key that names it (file order is start order); any bad key marks
 * it invalid (it is reported and never started).
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
	svc->restart = RESTART_ALWAYS;
	svc->type = SVC_SIMPLE;
	svc->stop_signal = SIGTERM;
	svc->stop_timeout_ms = 10000;
	svc->restart_max = 10;
	svc->restart_window_ms = 60000;
	svc->memory = UINT64_MAX;
	svc->net = NET_NONE;
	cfg->nsvcs++;
	if (ctx->idx)
		conf_index_add(ctx->idx, cfg, cfg->nsvcs - 1);
	return svc;
oom:
	conf_diag(ctx, line, "service.%.*s: out of memory", (int)len, name);
	return NULL;
}

/* "KEY: invalid WHAT "VALUE" (expected EXPECTED)" */
static int bad(struct conf_ctx *ctx, int line, const char *key,
	       const char *what, const char *value, const char *expected)
{
	char q[CONF_QBUF];

	conf_quote(q, sizeof(q), value);
	return conf_diag(ctx, line, "%s: invalid %s %s (expected %s)", key,
			 what, q, expected);
}

static int range(struct conf_ctx *ctx, int line, const char *key,
		 const char *what, const char *value, const char *expected)
{
	char q[CONF_QBUF];

	conf_quote(q, sizeof(q), value);
	return conf_diag(ctx, line, "%s: %s %s out of range (expected %s)",
			 key, what, q, expected);
}

static int oom(struct conf_ctx *ctx, int line, const char *key)
{
	return conf_diag(ctx, line, "%s: out of memory", key);
}

static int set_str(struct conf_ctx *ctx, int line, const char *key,
		   char **dst, const char *value)
{
	char *p = strdup(value);

	if (!p)
		return oom(ctx, line, key);
	free(*dst);
	*dst = p;
	return 0;
}

#define SVC_NAME_RULE "1 to 32 of a-z, 0-9, \"_\" and \"-\""
#define SIZE_RULE "a number with optional K, M or G suffix"
#define DUR_RULE "a number with optional ms, s or m suffix, at most 24h"

static int set_env(struct conf_ctx *ctx, struct svc_conf *svc, int line,
		   const char *key, const char *var, const char *value)
{
	size_t vlen = strlen(var), i;
	char q[CONF_QBUF], *kv, **env;
	int *lines, r;

	if (!conf_valid_env_name(var)) {
		conf_quote(q, sizeof(q), var);
		return conf_diag(ctx, line,
				 "service.%s.env: invalid variable name %s (expected [A-Za-z_][A-Za-z0-9_]*)",
				 svc->name, q);
	}
	for (i = 0; i < svc->nenv; i++)
		if (!strncmp(svc->env[i], var, vlen) && svc->env[i][vlen] == '=')
			break;
	if (i == svc->nenv && svc->nenv >= CONF_ENV_MAX)
		return conf_diag(ctx, line, "%s: too many env entries (over %d)",
				 key, CONF_ENV_MAX);
	if (i < svc->nenv) {
		r = conf_claim(ctx, &svc->env_line[i], line, key);
		if (r <= 0)
			return r;
	}
	kv = malloc(vlen + strlen(value) + 2);
	if (!kv)
		return oom(ctx, line, key);
	sprintf(kv, "%s=%s", var, value);
	if (i < svc->nenv) {
		free(svc->env[i]);
		svc->env[i] = kv;
		return 0;
	}
	env = realloc(svc->env, (svc->nenv + 2) * sizeof(char *));
	if (env)
		svc->env = env;
	lines = realloc(svc->env_line, (svc->nenv + 1) * sizeof(int));
	if (lines)
		svc->env_line = lines;
	if (!env || !lines) {
		free(kv);
		return oom(ctx, line, key);
	}
	svc->env[svc->nenv] = kv;
	svc->env[svc->nenv + 1] = NULL;
	svc->env_line[svc->nenv] = ctx->override ? -1 : line;
	svc->nenv++;
	return 0;
}

static int set_user(struct conf_ctx *ctx, struct svc_conf *svc, int line,
		    const char *key, const char *v)
{
	char buf[24];
	const char *colon = strchr(v, ':');
	uint32_t uid, gid;
	size_t n = colon ? (size_t)(colon - v) : strlen(v);

	if (n >= sizeof(buf))
		goto bad;
	memcpy(buf, v, n);
	buf[n] = '\0';
	if (parse_u32(buf, 0, UINT32_MAX - 1, &uid))
		goto bad;
	gid = uid;
	if (colon && parse_u32(colon + 1, 0, UINT32_MAX - 1, &gid))
		goto bad;
	svc->has_user = true;
	svc->uid = uid;
	svc->gid = gid;
	return 0;
bad:
	return bad(ctx, line, key, "user", v, "UID[:GID] numbers");
}

static int set_after(struct conf_ctx *ctx, struct svc_conf *svc, int line,
		     const char *key, const char *v)
{
	size_t n, i;
	char **list = conf_split_words(v, &n);

	if (!list)
		return oom(ctx, line, key);
	for (i = 0; i < n; i++) {
		if (!conf_valid_svc_name(list[i], strlen(list[i]))) {
			bad(ctx, line, key, "service name", list[i],
			    SVC_NAME_RULE);
			free(list);
			return -EINVAL;
		}
	}
	free(svc->after);
	svc->after = list;
	svc->nafter = n;
	return 0;
}

static int set_bind(struct conf_ctx *ctx, struct svc_conf *svc, int line,
		    const char *key, const char *v)
{
	size_t n, i, nb = 0;
	char **list = conf_split_words(v, &n);
	struct conf_bind *b;

	if (!list)
		return oom(ctx, line, key);
	b = calloc(n ? n : 1, sizeof(*b));
	if (!b) {
		free(list);
		return oom(ctx, line, key);
	}
	for (i = 0; i < n; i++) {
		char *w = list[i], *dst = strchr(w, ':'), *opt;

		if (!dst)
			goto bad;
		*dst++ = '\0';
		opt = strchr(dst, ':');
		if (opt) {
			*opt++ = '\0';
			if (strcmp(opt, "ro"))
				goto bad;
		}
		if (!conf_valid_abs_path(w, true) ||
		    !conf_valid_abs_path(dst, false))
			goto bad;
		b[nb].src = strdup(w);
		b[nb].dst = strdup(dst);
		b[nb].ro = opt != NULL;
		nb++;
		if (!b[nb - 1].src || !b[nb - 1].dst) {
			oom(ctx, line, key);
			goto fail;
		}
	}
	for (i = 0; i < svc->nbinds; i++) {
		free(svc->binds[i].src);
		free(svc->binds[i].dst);
	}
	free(svc->binds);
	svc->binds = b;
	svc->nbinds = nb;
	free(list);
	return 0;
bad:
	bad(ctx, line, key, "bind", v,
	    "SRC:DST[:ro] with absolute paths, DST without \"..\"");
fail:
	while (nb--) {
		free(b[nb].src);
		free(b[nb].dst);
	}
	free(b);
	free(list);
	return -EINVAL;
}

static int set_caps(struct conf_ctx *ctx, struct svc_conf *svc, int line,
		    const char *key, const char *v)
{
	size_t n, i;
	uint64_t caps = 0;
	char **list;

	if (!strcmp(v, "none")) {
		svc->has_caps = true;
		svc->caps = 0;
		return 0;
	}
	list = conf_split_words(v, &n);
	if (!list)
		return oom(ctx, line, key);
	for (i = 0; i < n; i++) {
		int c = parse_cap(list[i]);

		if (c < 0) {
			bad(ctx, line, key, "capability", list[i],
			    "capability names such as CAP_NET_ADMIN, or none");
			free(list);
			return -EINVAL;
		}
		caps |= 1ull << c;
	}
	free(list);
	if (!n)
		return bad(ctx, line, key, "capabilities", v,
			   "capability names such as CAP_NET_ADMIN, or none");
	svc->has_caps = true;
	svc->caps = caps;
	return 0;
}

static int set_ports(struct conf_ctx *ctx, struct svc_conf *svc, int line,
		     const char *key, const char *v)
{
	size_t n, i, j;
	char **list = conf_split_words(v, &n);
	struct conf_port *p;
	uint8_t *seen;

	if (!list)
		return oom(ctx, line, key);
	p = calloc(n ? n : 1, sizeof(*p));
	seen = calloc(2 * 65536 / 8, 1);     /* host port+proto bitmap */
	if (!p || !seen) {
		free(list);
		free(p);
		free(seen);
		return oom(ctx, line, key);
	}
	for (i = 0; i < n; i++) {
		char *w = list[i], *colon = strchr(w, ':'), *slash;
		uint32_t h, s;

		p[i].proto = IPPROTO_TCP;
		slash = strchr(w, '/');
		if (slash) {
			*slash++ = '\0';
			if (!strcmp(slash, "udp"))
				p[i].proto = IPPROTO_UDP;
			else if (strcmp(slash, "tcp"))
				goto bad;
		}
		if (!colon || (slash && colon > slash))
			goto bad;
		*colon = '\0';
		if (parse_u32(w, 1, 65535, &h) ||
		    parse_u32(colon + 1, 1, 65535, &s))
			goto bad;
		p[i].host = (uint16_t)h;
		p[i].svc = (uint16_t)s;
		j = (p[i].proto == IPPROTO_UDP) * 65536u + h;
		if (seen[j / 8] & (1u << (j % 8))) {
			conf_diag(ctx, line, "%s: host port %u/%s listed twice",
				  key, (unsigned)h,
				  p[i].proto == IPPROTO_UDP ? "udp" : "tcp");
			goto fail;
		}
		seen[j / 8] |= (uint8_t)(1u << (j % 8));
	}
	free(list);
	free(seen);
	free(svc->ports);
	svc->ports = p;
	svc->nports = n;
	return 0;
bad:
	bad(ctx, line, key, "ports", v,
	    "HOST:SVC[/tcp|/udp] with ports from 1 to 65535");
fail:
	free(list);
	free(p);
	free(seen);
	return -EINVAL;
}

/* Apply one service key (slot already claimed). 0 or -EINVAL (reported). */
static int apply(struct conf_ctx *ctx, struct svc_conf *svc, int line,
		 int k, const char *key, const char *v)
{
	char **argv;
	uint64_t size;
	uint32_t u;
	int r;
	bool b;

	if (!*v && k != SK_AFTER && k != SK_BIND && k != SK_PORTS)
		return conf_diag(ctx, line, "%s: empty value", key);
	switch (k) {
	case SK_EXEC:
		argv = split_command(v);
		if (!argv && errno == ENOMEM)
			return oom(ctx, line, key);
		if (!argv || !argv[0][0]) {
			free(argv);
			return bad(ctx, line, key, "command", v,
				   "a program and its arguments, quotes closed");
		}
		if (set_str(ctx, line, key, &svc->exec, v)) {
			free(argv);
			return -EINVAL;
		}
		free(svc->argv);
		svc->argv = argv;
		return 0;
	case SK_WORKDIR:
	case SK_ROOT:
		if (!conf_valid_abs_path(v, true))
			return bad(ctx, line, key, "path", v, "an absolute path");
		return set_str(ctx, line, key,
			       k == SK_ROOT ? &svc->root : &svc->workdir, v);
	case SK_USER:
		return set_user(ctx, svc, line, key, v);
	case SK_RESTART:
		if (!strcmp(v, "always"))
			svc->restart = RESTART_ALWAYS;
		else if (!strcmp(v, "on-failure"))
			svc->restart = RESTART_ON_FAILURE;
		else if (!strcmp(v, "no"))
			svc->restart = RESTART_NO;
		else
			return bad(ctx, line, key, "value", v,
				   "always, on-failure or no");
		return 0;
	case SK_TYPE:
		if (!strcmp(v, "simple"))
			svc->type = SVC_SIMPLE;
		else if (!strcmp(v, "oneshot"))
			svc->type = SVC_ONESHOT;
		else
			return bad(ctx, line, key, "value", v,
				   "simple or oneshot");
		return 0;
	case SK_AFTER:
		return set_after(ctx, svc, line, key, v);
	case SK_STOP_SIGNAL:
		r = parse_signal(v);
		if (r < 0)
			return bad(ctx, line, key, "signal", v,
				   "a signal name such as TERM or SIGINT, or a number");
		svc->stop_signal = r;
		return 0;
	case SK_STOP_TIMEOUT:
	case SK_RESTART_WINDOW:
		r = parse_duration_ms(v, &u);
		if (r == -ERANGE)
			return range(ctx, line, key, "duration", v, DUR_RULE);
		if (r)
			return bad(ctx, line, key, "duration", v, DUR_RULE);
		if (k == SK_RESTART_WINDOW && u == 0)
			return range(ctx, line, key, "duration", v,
				     "a duration above 0");
		*(k == SK_STOP_TIMEOUT ? &svc->stop_timeout_ms
				       : &svc->restart_window_ms) = u;
		return 0;
	case SK_RESTART_MAX:
		r = parse_u32(v, 1, 1000, &u);
		if (r == -ERANGE)
			return range(ctx, line, key, "number", v,
				     "an integer from 1 to 1000");
		if (r)
			return bad(ctx, line, key, "number", v,
				   "an integer from 1 to 1000");
		svc->restart_max = u;
		return 0;
	case SK_HOSTNAME:
		if (!conf_valid_hostname(v))
			return bad(ctx, line, key, "hostname", v,
				   "1 to 64 of A-Z, a-z, 0-9, \".\" and \"-\"");
		return set_str(ctx, line, key, &svc->hostname, v);
	case SK_READONLY:
		if (parse_bool(v, &b))
			return bad(ctx, line, key, "value", v,
				   "yes, no, true, false, on, off, 1 or 0");
		svc->readonly = b;
		return 0;
	case SK_BIND:
		return set_bind(ctx, svc, line, key, v);
	case SK_CAPS:
		return set_caps(ctx, svc, line, key, v);
	case SK_CPU:
		r = parse_cpu(v, &u);
		if (r == -ERANGE)
			return range(ctx, line, key, "cpu", v,
				     "from 0.01 to 1024");
		if (r)
			return bad(ctx, line, key, "cpu", v,
				   "a number of CPUs such as 0.5, at most 3 decimals");
		svc->cpu_quota_us = u;
		return 0;
	case SK_MEMORY:
	case SK_SWAP:
		r = parse_size(v, &size);
		if (r == -ERANGE)
			return range(ctx, line, key, "size", v, SIZE_RULE);
		if (r)
			return bad(ctx, line, key, "size", v, SIZE_RULE);
		if (k == SK_MEMORY) {
			if (size < (1u << 20)) {
				char q[CONF_QBUF];

				conf_quote(q, sizeof(q), v);
				return conf_diag(ctx, line,
						 "%s: size %s below the minimum of 1M",
						 key, q);
			}
			svc->memory = size;
		} else {
			svc->has_swap = true;
			svc->swap = size;
		}
		return 0;
	case SK_PIDS:
		r = parse_u32(v, 1, 4194304, &u);
		if (r == -ERANGE)
			return range(ctx, line, key, "number", v,
				     "an integer from 1 to 4194304");
		if (r)
			return bad(ctx, line, key, "number", v,
				   "an integer from 1 to 4194304");
		svc->pids = u;
		return 0;
	case SK_NET:
		if (!strcmp(v, "bridge"))
			svc->net = NET_BRIDGE;
		else if (!strcmp(v, "none"))
			svc->net = NET_NONE;
		else if (!strcmp(v, "host"))
			svc->net = NET_HOST;
		else
			return bad(ctx, line, key, "value", v,
				   "bridge, none or host");
		return 0;
	case SK_IP:
		if (!strcmp(v, "auto")) {
			svc->ip_auto = true;
			svc->has_ip = false;
			return 0;
		}
		if (parse_ipv4(v, &svc->ip))
			return bad(ctx, line, key, "address", v,
				   "A.B.C.D or auto");
		svc->has_ip = true;
		svc->ip_auto = false;
		return 0;
	case SK_PORTS:
		return set_ports(ctx, svc, line, key, v);
	}
	return -EINVAL;
}

static const char *const svc_keys[SK_COUNT] = {
	[SK_EXEC] = "exec", [SK_WORKDIR] = "workdir", [SK_USER] = "user",
	[SK_RESTART] = "restart", [SK_TYPE] = "type", [SK_AFTER] = "after",
	[SK_STOP_SIGNAL] = "stop_signal", [SK_STOP_TIMEOUT] = "stop_timeout",
	[SK_RESTART_MAX] = "restart_max",
	[SK_RESTART_WINDOW] = "restart_window", [SK_ROOT] = "root",
	[SK_HOSTNAME] = "hostname", [SK_READONLY] = "readonly",
	[SK_BIND] = "bind", [SK_CAPS] = "caps", [SK_CPU] = "cpu",
	[SK_MEMORY] = "memory", [SK_SWAP] = "swap", [SK_PIDS] = "pids",
	[SK_NET] = "net", [SK_IP] = "ip", [SK_PORTS] = "ports",
};

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
	int k, r;

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
	if (!strncmp(sub, "env.", 4)) {
		r = set_env(ctx, svc, line, key, sub + 4, value);
		goto out;
	}
	for (k = 0; k < SK_COUNT; k++) {
		if (strcmp(sub, svc_keys[k]))
			continue;
		r = conf_claim(ctx, &svc->key_line[k], line, key);
		if (r > 0)
			r = apply(ctx, svc, line, k, key, value);
		goto out;
	}
	conf_quote(q, sizeof(q), key);
	r = conf_diag(ctx, line, "unknown key %s", q);
out:
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

	while (s < end && (*s == ' ' || *s == '\t'))
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
