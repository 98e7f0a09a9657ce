// SPDX-License-Identifier: MIT
/*
 * config_global: the global keys (hostname, console, loglevel, emergency,
 * modules, cgroup, net.*, sysctl.*, iface.*). A bad value changes nothing:
 * the global keeps its default (or what an earlier source set).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_priv.h"

enum {
	G_HOSTNAME, G_CONSOLE, G_LOGLEVEL, G_EMERGENCY, G_MODULES, G_CGROUP,
	G_NET_BRIDGE, G_NET_ADDRESS, G_NET_NAT, G_COUNT
};

static const char *const global_names[G_COUNT] = {
	"hostname", "console", "loglevel", "emergency", "modules", "cgroup",
	"net.bridge", "net.address", "net.nat",
};

static int set_str(char **dst, const char *value)
{
	char *p = strdup(value);

	if (!p)
		return -ENOMEM;
	free(*dst);
	*dst = p;
	return 0;
}

static int oom(struct conf_ctx *ctx, int line, const char *key)
{
	return conf_diag(ctx, line, "%s: out of memory", key);
}

static int bad_global(struct conf_ctx *ctx, int line, const char *key,
		      const char *what, const char *value, const char *expected)
{
	char q[CONF_QBUF];

	conf_quote(q, sizeof(q), value);
	return conf_diag(ctx, line, "%s: invalid %s %s (expected %s)", key,
			 what, q, expected);
}

static bool valid_module(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (i >= 55 || !(isalnum((unsigned char)s[i]) ||
				 s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return false;
	return i > 0;
}

/* Host part of @a in @prefix is all zeros or all ones. */
static bool net_or_bcast(struct in_addr a, int prefix)
{
	uint32_t host = prefix >= 32 ? 0 : 0xffffffffu >> prefix;
	uint32_t h = ntohl(a.s_addr) & host;

	return host && (h == 0 || h == host);
}

static int apply_global(struct conf_ctx *ctx, int line, int g,
			const char *key, const char *v)
{
	struct config *cfg = ctx->cfg;
	struct in_addr a;
	uint8_t prefix;
	size_t n, i;
	char **list;
	bool b;

	switch (g) {
	case G_HOSTNAME:
		if (!conf_valid_hostname(v))
			return bad_global(ctx, line, key, "hostname", v,
					  "1 to 64 of A-Z, a-z, 0-9, \".\" and \"-\"");
		return set_str(&cfg->hostname, v) ? oom(ctx, line, key) : 0;
	case G_CONSOLE:
		if (!conf_valid_abs_path(v, true))
			return bad_global(ctx, line, key, "path", v,
					  "an absolute path such as /dev/ttyS0");
		return set_str(&cfg->console, v) ? oom(ctx, line, key) : 0;
	case G_LOGLEVEL: {
		static const char *const lv[] = { "err", "warn", "info", "debug" };

		for (i = 0; i < 4; i++) {
			if (!strcmp(v, lv[i]) ||
			    (v[0] == (char)('0' + i) && !v[1])) {
				cfg->loglevel = (int)i;
				return 0;
			}
		}
		return bad_global(ctx, line, key, "log level", v,
				  "err, warn, info, debug or 0-3");
	}
	case G_EMERGENCY:
		/* a command (split like service exec), absolute program path */
		list = split_command(v);
		b = list && list[0][0] == '/';
		free(list);
		if (!b)
			return bad_global(ctx, line, key, "command", v,
					  "an absolute path such as /bin/sh, with optional arguments");
		return set_str(&cfg->emergency, v) ? oom(ctx, line, key) : 0;
	case G_MODULES:
		list = conf_split_words(v, &n);
		if (!list)
			return oom(ctx, line, key);
		for (i = 0; i < n; i++) {
			if (!valid_module(list[i])) {
				bad_global(ctx, line, key, "module name",
					   list[i], "names of A-Z, a-z, 0-9, \"_\", \"-\" and \".\"");
				free(list);
				return -EINVAL;
			}
		}
		free(cfg->modules);
		cfg->modules = list;
		cfg->nmodules = n;
		return 0;
	case G_CGROUP:
		if (!strcmp(v, "auto"))
			cfg->cgroup = CGROUP_AUTO;
		else if (!strcmp(v, "v2"))
			cfg->cgroup = CGROUP_V2;
		else if (!strcmp(v, "v1"))
			cfg->cgroup = CGROUP_V1;
		else
			return bad_global(ctx, line, key, "value", v,
					  "auto, v2 or v1");
		return 0;
	case G_NET_BRIDGE:
		if (!conf_valid_ifname(v))
			return bad_global(ctx, line, key, "interface name", v,
					  "1 to 15 of A-Z, a-z, 0-9, \"_\", \".\" and \"-\"");
		return set_str(&cfg->net_bridge, v) ? oom(ctx, line, key) : 0;
	case G_NET_ADDRESS:
		if (parse_cidr(v, 1, 30, &a, &prefix) || net_or_bcast(a, prefix))
			return bad_global(ctx, line, key, "address", v,
					  "A.B.C.D/N, a host address with N from 1 to 30");
		cfg->has_net_address = true;
		cfg->net_addr = a;
		cfg->net_prefix = prefix;
		return 0;
	case G_NET_NAT:
		if (!parse_bool(v, &b)) {
			cfg->nat = b ? NAT_ON : NAT_OFF;
			free(cfg->nat_iface);
			cfg->nat_iface = NULL;
			return 0;
		}
		if (!conf_valid_ifname(v))
			return bad_global(ctx, line, key, "value", v,
					  "on, off or an interface name");
		if (set_str(&cfg->nat_iface, v))
			return oom(ctx, line, key);
		cfg->nat = NAT_IFACE;
		return 0;
	}
	return -EINVAL;
}

static bool valid_sysctl(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > 255 || strchr("./", s[0]) ||
	    strchr("./", s[len - 1]) || strstr(s, "..") || strstr(s, "//") ||
	    strstr(s, "./") || strstr(s, "/."))
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("_.-/", s[i])))
			return false;
	return true;
}

static int set_sysctl(struct conf_ctx *ctx, int line, const char *key,
		      const char *value)
{
	struct config *cfg = ctx->cfg;
	const char *name = key + 7;
	struct conf_kv *kv = NULL;
	char q[CONF_QBUF], *v;
	size_t i;
	int r;

	if (!valid_sysctl(name)) {
		conf_quote(q, sizeof(q), key);
		return conf_diag(ctx, line,
				 "invalid sysctl key %s (expected sysctl.NAME with NAME of a-z, 0-9, \"_\", \".\", \"-\" and \"/\")",
				 q);
	}
	for (i = 0; i < cfg->nsysctl; i++)
		if (!strcmp(cfg->sysctl[i].key, name))
			kv = &cfg->sysctl[i];
	if (kv) {
		r = conf_claim(ctx, &kv->line, line, key);
		if (r <= 0)
			return r;
	}
	if (!*value || strchr(value, '\n'))
		return bad_global(ctx, line, key, "value", value,
				  "a non-empty value");
	v = strdup(value);
	if (!v)
		return oom(ctx, line, key);
	if (kv) {
		free(kv->value);
		kv->value = v;
		return 0;
	}
	/* a new entry only once its value is known good: never NULL */
	if (cfg->nsysctl >= CONF_SYSCTL_MAX) {
		free(v);
		return conf_diag(ctx, line, "%s: too many sysctl keys (over %d)",
				 key, CONF_SYSCTL_MAX);
	}
	if (conf_grow(&cfg->sysctl, cfg->nsysctl, sizeof(*kv))) {
		free(v);
		return oom(ctx, line, key);
	}
	kv = &cfg->sysctl[cfg->nsysctl];
	kv->key = strdup(name);
	if (!kv->key) {
		free(v);
		return oom(ctx, line, key);
	}
	kv->value = v;
	kv->line = ctx->override ? -1 : line;
	cfg->nsysctl++;
	return 0;
}

static int set_iface(struct conf_ctx *ctx, int line, const char *key,
		     const char *value)
{
	struct config *cfg = ctx->cfg;
	const char *rest = key + 6, *dot = strrchr(rest, '.');
	struct conf_iface *ifc = NULL;
	char name[16], q[CONF_QBUF];
	struct in_addr a;
	uint8_t prefix;
	bool gw;
	size_t i;
	int r;

	if (!dot || (strcmp(dot, ".address") && strcmp(dot, ".gateway")) ||
	    dot - rest > 15 || dot == rest)
		goto bad_key;
	memcpy(name, rest, (size_t)(dot - rest));
	name[dot - rest] = '\0';
	if (!conf_valid_ifname(name))
		goto bad_key;
	gw = !strcmp(dot, ".gateway");
	for (i = 0; i < cfg->nifaces; i++)
		if (!strcmp(cfg->ifaces[i].name, name))
			ifc = &cfg->ifaces[i];
	if (ifc) {
		r = conf_claim(ctx, gw ? &ifc->gw_line : &ifc->addr_line, line,
			       key);
		if (r <= 0)
			return r;
	}
	if (gw ? parse_ipv4(value, &a) : parse_cidr(value, 1, 32, &a, &prefix))
		return bad_global(ctx, line, key, "address", value,
				  gw ? "A.B.C.D" : "A.B.C.D/N with N from 1 to 32");
	if (!ifc) {
		/* created only with a good value: no empty entries */
		if (cfg->nifaces >= CONF_IFACE_MAX)
			return conf_diag(ctx, line, "%s: too many interfaces (over %d)",
					 key, CONF_IFACE_MAX);
		if (conf_grow(&cfg->ifaces, cfg->nifaces, sizeof(*ifc)))
			return oom(ctx, line, key);
		ifc = &cfg->ifaces[cfg->nifaces++];
		memset(ifc, 0, sizeof(*ifc));
		memcpy(ifc->name, name, sizeof(name));
		*(gw ? &ifc->gw_line : &ifc->addr_line) = ctx->override ? -1 : line;
	}
	if (gw) {
		ifc->has_gw = true;
		ifc->gw = a;
	} else {
		ifc->has_addr = true;
		ifc->addr = a;
		ifc->prefix = prefix;
	}
	return 0;
bad_key:
	conf_quote(q, sizeof(q), key);
	return conf_diag(ctx, line,
			 "unknown key %s (expected iface.NAME.address or iface.NAME.gateway, NAME of 1 to 15 of A-Z, a-z, 0-9, \"_\", \".\" and \"-\")",
			 q);
}


/*
 * conf_set_global - apply a global key. Returns 0, -EINVAL (reported) or
 * -ENOENT when @key is no global key (nothing reported).
 */
int conf_set_global(struct conf_ctx *ctx, int line, const char *key,
		    const char *value)
{
	int g, r;

	if (!strncmp(key, "sysctl.", 7))
		return set_sysctl(ctx, line, key, value);
	if (!strncmp(key, "iface.", 6))
		return set_iface(ctx, line, key, value);
	for (g = 0; g < G_COUNT; g++) {
		if (strcmp(key, global_names[g]))
			continue;
		r = conf_claim(ctx, &ctx->cfg->global_line[g], line, key);
		if (r <= 0)
			return r;
		if (!*value && g != G_MODULES)
			return conf_diag(ctx, line, "%s: empty value", key);
		return apply_global(ctx, line, g, key, value);
	}
	return -ENOENT;
}
