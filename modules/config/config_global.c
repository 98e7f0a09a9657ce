// SPDX-License-Identifier: MIT
/*
 * config_global: the global keys whose value is more than one generic
 * type: emergency (a command with an absolute program), net.address and
 * net.address6 (the bridge's host address and prefix of each family),
 * net.nat and net.nat6 (on, off or an uplink), sysctl.NAME and
 * iface.NAME.address / .gateway / .address6 / .gateway6 (pattern keys,
 * one duplicate slot per NAME and kind), and the module words of
 * "modules". Their rows
 * are in config_keys.c. A bad value changes nothing: the global keeps its
 * default (or what an earlier source set).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_keys.h"
#include "config_priv.h"

/* A module name, or "NAME.KEY=VALUE": a parameter of module NAME. */
bool conf_valid_module(const char *s)
{
	const char *eq = strchr(s, '='), *dot = NULL;
	size_t i, end = strlen(s);

	if (eq) {
		dot = memchr(s, '.', (size_t)(eq - s));
		if (!dot || dot == s || dot + 1 == eq || strlen(eq) > 1000)
			return false;
		for (i = (size_t)(dot + 1 - s); s + i < eq; i++)
			if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-'))
				return false;
		for (i = 1; eq[i]; i++)
			if (!isgraph((unsigned char)eq[i]))
				return false;
		end = (size_t)(dot - s);
	}
	for (i = 0; i < end; i++)
		if (i >= 55 || !(isalnum((unsigned char)s[i]) ||
				 s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return false;
	return i > 0;
}

/* emergency: a command (split like a service's exec), absolute program */
int conf_set_emergency(const struct conf_arg *a)
{
	char **argv = split_command(a->v);
	bool ok = argv && argv[0][0] == '/';

	free(argv);
	if (!ok)
		return conf_arg_bad(a, a->v);
	return conf_set_str(a->ctx, a->line, a->key, conf_arg_field(a), a->v);
}

/* Host part of @a in @prefix is all zeros or all ones. */
static bool net_or_bcast(struct in_addr a, int prefix)
{
	uint32_t host = prefix >= 32 ? 0 : 0xffffffffu >> prefix;
	uint32_t h = ntohl(a.s_addr) & host;

	return host && (h == 0 || h == host);
}

int conf_set_net_address(const struct conf_arg *a)
{
	struct config *cfg = a->ctx->cfg;
	struct in_addr addr;
	uint8_t prefix;

	if (parse_cidr(a->v, (int)a->k->min, (int)a->k->max, &addr, &prefix) ||
	    net_or_bcast(addr, prefix))
		return conf_arg_bad(a, a->v);
	cfg->has_net_address = true;
	cfg->net_addr = addr;
	cfg->net_prefix = prefix;
	return 0;
}

/* The host part of @a in @prefix (IPv6) is all zeros: the subnet-router anycast. */
static bool host_part_zero(const struct in6_addr *a, unsigned prefix)
{
	for (unsigned bit = prefix; bit < 128; bit++)
		if (a->s6_addr[bit / 8] & (0x80u >> (bit % 8)))
			return false;
	return true;
}

int conf_set_net_address6(const struct conf_arg *a)
{
	struct config *cfg = a->ctx->cfg;
	struct in6_addr addr;
	uint8_t prefix;

	if (parse_cidr6(a->v, (int)a->k->min, (int)a->k->max, &addr, &prefix) ||
	    host_part_zero(&addr, prefix))
		return conf_arg_bad(a, a->v);
	cfg->has_net_address6 = true;
	cfg->net_addr6 = addr;
	cfg->net_prefix6 = prefix;
	return 0;
}

/* net.nat, net.nat6: the mode at the row's field, the uplink's name at off2 */
int conf_set_nat(const struct conf_arg *a)
{
	enum nat_mode *mode = conf_arg_field(a);
	char **iface = (char **)(void *)((char *)a->obj + a->k->off2);
	bool b;

	if (!parse_bool(a->v, &b)) {
		*mode = b ? NAT_ON : NAT_OFF;
		free(*iface);
		*iface = NULL;
		return 0;
	}
	if (!conf_valid_ifname(a->v))
		return conf_arg_bad(a, a->v);
	if (conf_set_str(a->ctx, a->line, a->key, iface, a->v))
		return -EINVAL;
	*mode = NAT_IFACE;
	return 0;
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

/* A new sysctl entry @name = @v (owned), created only with a good value. */
static int sysctl_add(const struct conf_arg *a, const char *name, char *v)
{
	struct config *cfg = a->ctx->cfg;
	struct conf_kv *kv;

	if (cfg->nsysctl >= CONF_SYSCTL_MAX) {
		free(v);
		return conf_diag(a->ctx, a->line, "%s: too many sysctl keys (over %d)",
				 a->key, CONF_SYSCTL_MAX);
	}
	if (conf_grow(&cfg->sysctl, cfg->nsysctl, sizeof(*kv))) {
		free(v);
		return conf_no_memory(a->ctx, a->line, a->key);
	}
	kv = &cfg->sysctl[cfg->nsysctl];
	kv->key = strdup(name);
	if (!kv->key) {
		free(v);
		return conf_no_memory(a->ctx, a->line, a->key);
	}
	kv->value = v;
	kv->line = a->ctx->override ? -1 : a->line;
	cfg->nsysctl++;
	return 0;
}

int conf_set_sysctl(const struct conf_arg *a)
{
	struct config *cfg = a->ctx->cfg;
	const char *name = a->key + 7;
	struct conf_kv *kv = NULL;
	char q[CONF_QBUF], *v;
	size_t i;
	int r;

	if (!valid_sysctl(name)) {
		conf_quote(q, sizeof(q), a->key);
		return conf_diag(a->ctx, a->line,
				 "invalid sysctl key %s (expected sysctl.NAME with NAME of a-z, 0-9, \"_\", \".\", \"-\" and \"/\")",
				 q);
	}
	for (i = 0; i < cfg->nsysctl; i++)
		if (!strcmp(cfg->sysctl[i].key, name))
			kv = &cfg->sysctl[i];
	if (kv) {
		r = conf_claim(a->ctx, &kv->line, a->line, a->key);
		if (r <= 0)
			return r;
	}
	if (!*a->v || strchr(a->v, '\n'))
		return conf_arg_bad(a, a->v);
	v = strdup(a->v);
	if (!v)
		return conf_no_memory(a->ctx, a->line, a->key);
	if (!kv)
		return sysctl_add(a, name, v);
	free(kv->value);
	kv->value = v;
	return 0;
}

/* The four kinds of iface.NAME.KIND. */
enum { IF_ADDR, IF_GW, IF_ADDR6, IF_GW6, IF_COUNT };

static const char *const iface_kinds[IF_COUNT] = {
	".address", ".gateway", ".address6", ".gateway6",
};

/* iface.NAME.KIND: the interface NAME (16 bytes) and the kind (IF_*). */
static int iface_key(const char *key, char *name, int *kind)
{
	const char *rest = key + 6, *dot = strrchr(rest, '.');
	int k;

	for (k = 0; dot && k < IF_COUNT && strcmp(dot, iface_kinds[k]); k++)
		;
	if (!dot || k == IF_COUNT || dot - rest > 15 || dot == rest)
		return -EINVAL;
	memcpy(name, rest, (size_t)(dot - rest));
	name[dot - rest] = '\0';
	*kind = k;
	return conf_valid_ifname(name) ? 0 : -EINVAL;
}

/* The duplicate slot of kind @k of @ifc. */
static int *iface_line(struct conf_iface *ifc, int k)
{
	return k == IF_ADDR ? &ifc->addr_line : k == IF_GW ? &ifc->gw_line :
	       k == IF_ADDR6 ? &ifc->addr6_line : &ifc->gw6_line;
}

/* The interface @name, created (with a good value only) when missing. */
static struct conf_iface *iface_get(const struct conf_arg *a,
				    const char *name, int kind)
{
	struct config *cfg = a->ctx->cfg;
	struct conf_iface *ifc;

	if (cfg->nifaces >= CONF_IFACE_MAX) {
		conf_diag(a->ctx, a->line, "%s: too many interfaces (over %d)",
			  a->key, CONF_IFACE_MAX);
		return NULL;
	}
	if (conf_grow(&cfg->ifaces, cfg->nifaces, sizeof(*ifc))) {
		conf_no_memory(a->ctx, a->line, a->key);
		return NULL;
	}
	ifc = &cfg->ifaces[cfg->nifaces++];
	memset(ifc, 0, sizeof(*ifc));
	memcpy(ifc->name, name, sizeof(ifc->name));
	*iface_line(ifc, kind) = a->ctx->override ? -1 : a->line;
	return ifc;
}

/* Parse the value of kind @k into @v (only the fields of that kind). The
 * row is the kind's own (conf_key_find), with its bounds and texts. */
static int iface_value(const struct conf_arg *a, int k, struct conf_iface *v)
{
	int lo = (int)a->k->min, hi = (int)a->k->max;

	switch (k) {
	case IF_ADDR:
		return parse_cidr(a->v, lo, hi, &v->addr, &v->prefix);
	case IF_GW:
		return parse_ipv4(a->v, &v->gw);
	case IF_ADDR6:
		return parse_cidr6(a->v, lo, hi, &v->addr6, &v->prefix6);
	default:
		return parse_ipv6(a->v, &v->gw6);
	}
}

/* Store kind @k of @v into @ifc. */
static void iface_store(struct conf_iface *ifc, int k, const struct conf_iface *v)
{
	switch (k) {
	case IF_ADDR:
		ifc->has_addr = true;
		ifc->addr = v->addr;
		ifc->prefix = v->prefix;
		break;
	case IF_GW:
		ifc->has_gw = true;
		ifc->gw = v->gw;
		break;
	case IF_ADDR6:
		ifc->has_addr6 = true;
		ifc->addr6 = v->addr6;
		ifc->prefix6 = v->prefix6;
		break;
	default:
		ifc->has_gw6 = true;
		ifc->gw6 = v->gw6;
	}
}

int conf_set_iface(const struct conf_arg *a)
{
	struct config *cfg = a->ctx->cfg;
	struct conf_iface *ifc = NULL, v;
	char name[16], q[CONF_QBUF];
	size_t i;
	int r, kind;

	if (iface_key(a->key, name, &kind)) {
		conf_quote(q, sizeof(q), a->key);
		return conf_diag(a->ctx, a->line,
				 "unknown key %s (expected iface.NAME.address, iface.NAME.gateway, iface.NAME.address6 or iface.NAME.gateway6, NAME of 1 to 15 of A-Z, a-z, 0-9, \"_\", \".\" and \"-\")",
				 q);
	}
	for (i = 0; i < cfg->nifaces; i++)
		if (!strcmp(cfg->ifaces[i].name, name))
			ifc = &cfg->ifaces[i];
	if (ifc) {
		r = conf_claim(a->ctx, iface_line(ifc, kind), a->line, a->key);
		if (r <= 0)
			return r;
	}
	memset(&v, 0, sizeof(v));
	if (iface_value(a, kind, &v))
		return conf_arg_bad(a, a->v);
	if (!ifc && !(ifc = iface_get(a, name, kind)))
		return -EINVAL;
	iface_store(ifc, kind, &v);
	return 0;
}
