/* SPDX-License-Identifier: MIT */
/*
 * net_addr: what a service's network is named and numbered from its name
 * and the config: the host end's name, its IPv4 and IPv6 addresses, its
 * MAC and the link-local address made of it. Pure functions of the
 * config; see net.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "net.h"
#include "net_priv.h"
#include "util.h"

void net_veth_name(const char *svc, char out[IFNAMSIZ])
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(svc);
	uint32_t h;

	memcpy(out, "bx", 2);
	if (n <= IFNAMSIZ - 4) {
		memcpy(out + 2, svc, n + 1);
		return;
	}
	memcpy(out + 2, svc, 7);
	out[9] = '-';
	h = fnv1a(svc, strlen(svc));
	for (int i = 0; i < 5; i++)
		out[10 + i] = hex[(h >> (16 - 4 * i)) & 0xf];
	out[15] = '\0';
}

#define MAC_BITS 0xffffffffffull    /* 40 bits of a service's MAC are its own */

uint32_t net_mask(unsigned prefix)
{
	return prefix ? 0xffffffffu << (32 - prefix) : 0;
}

bool net_bridged(const struct svc_conf *s)
{
	return !s->invalid && s->net == NET_BRIDGE;
}

/* Is @ip (host order) taken for service number @k: static ips, earlier autos? */
static bool taken(const struct config *cfg, size_t k, uint32_t ip, const uint32_t *got)
{
	for (size_t j = 0; j < cfg->nsvcs; j++) {
		const struct svc_conf *s = &cfg->svcs[j];

		if (j != k && net_bridged(s) && s->has_ip && ntohl(s->ip.s_addr) == ip)
			return true;
		if (j < k && got[j] == ip)
			return true;
	}
	return false;
}

int net_service_address(const struct config *cfg, const struct svc_conf *c,
			struct in_addr *out)
{
	uint32_t mask = net_mask(cfg->net_prefix), br = ntohl(cfg->net_addr.s_addr);
	uint32_t hosts = ~mask - 1, net = br & mask;
	_cleanup_free_ uint32_t *got = NULL;
	size_t k;

	if (c->net != NET_BRIDGE)
		return -EINVAL;
	if (c->has_ip) {
		*out = c->ip;
		return 0;
	}
	if (!cfg->has_net_address)
		return -EDESTADDRREQ;
	if (cfg->net_prefix > 30)
		return -ENOSPC;
	got = calloc(cfg->nsvcs + 1, sizeof(*got));
	if (!got)
		return -ENOMEM;
	/* every auto service up to @c in file order; @c last if not in @cfg */
	for (k = 0; k <= cfg->nsvcs; k++) {
		const struct svc_conf *s = k < cfg->nsvcs ? &cfg->svcs[k] : c;
		bool me = k == cfg->nsvcs || !strcmp(s->name, c->name);
		uint32_t start, i;

		if (!me && (!net_bridged(s) || s->has_ip))
			continue;
		start = fnv1a(s->name, strlen(s->name)) % hosts;
		for (i = 0; i < hosts; i++) {
			uint32_t ip = net + 1 + (start + i) % hosts;

			if (ip != br && !taken(cfg, k, ip, got))
				break;
		}
		if (i == hosts)
			return -ENOSPC;
		got[k] = net + 1 + (start + i) % hosts;
		if (me) {
			out->s_addr = htonl(got[k]);
			return 0;
		}
	}
	return -ENOSPC;
}

/* 40 bits of @s: FNV-1a 64, then the murmur3 finalizer (spreads the last bytes) */
static uint64_t mac_hash(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 1099511628211ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h & MAC_BITS;
}

int net_service_mac(const struct config *cfg, const struct svc_conf *c, uint8_t mac[6],
		    const char **other)
{
	_cleanup_free_ uint64_t *got = calloc(cfg->nsvcs + 1, sizeof(*got));
	uint64_t v = 0;
	int moved = 0;

	if (!got)
		return -ENOMEM;
	/* every bridged service up to @c in file order; @c last if not in @cfg */
	for (size_t k = 0; k <= cfg->nsvcs; k++) {
		const struct svc_conf *s = k < cfg->nsvcs ? &cfg->svcs[k] : c;
		bool me = k == cfg->nsvcs || !strcmp(s->name, c->name);

		if (!me && !net_bridged(s))
			continue;
		v = mac_hash(s->name);
		for (size_t j = 0; j < k; j++) {
			if (got[j] != v + 1)    /* got[]: value + 1, 0 = none */
				continue;
			if (me && !moved++ && other)
				*other = cfg->svcs[j].name;
			v = (v + 1) & MAC_BITS;
			j = (size_t)-1;         /* from the start again */
		}
		got[k] = v + 1;
		if (me)
			break;
	}
	mac[0] = 0x02;                  /* locally administered, unicast */
	for (int i = 1; i < 6; i++)
		mac[i] = (uint8_t)(v >> (8 * (5 - i)));
	return moved > 0;
}


/* ---- IPv6 --------------------------------------------------------------- */

/* The host part of @a under @prefix, its low 64 bits. */
static uint64_t host_of(const struct in6_addr *a, unsigned prefix)
{
	uint64_t h = 0;

	for (unsigned bit = prefix > 64 ? prefix : 64; bit < 128; bit++)
		if (a->s6_addr[bit / 8] & (0x80u >> (bit % 8)))
			h |= 1ull << (127 - bit);
	return h;
}

/* @net's first @prefix bits, then host part @h (in its low 64 bits) */
static void with_host(struct in6_addr *out, const struct in6_addr *net, unsigned prefix,
		      uint64_t h)
{
	for (unsigned bit = 0; bit < 128; bit++) {
		uint8_t m = (uint8_t)(0x80u >> (bit % 8));
		bool on = bit < prefix ? net->s6_addr[bit / 8] & m :
			  bit >= 64 && (h >> (127 - bit)) & 1;

		out->s6_addr[bit / 8] = (uint8_t)(on ? out->s6_addr[bit / 8] | m :
						  out->s6_addr[bit / 8] & ~m);
	}
}

/* Is host part @h taken for service number @k: statics, earlier autos? */
static bool taken6(const struct config *cfg, size_t k, uint64_t h, const uint64_t *got)
{
	unsigned p = cfg->net_prefix6;

	for (size_t j = 0; j < cfg->nsvcs; j++) {
		const struct svc_conf *s = &cfg->svcs[j];

		if (j != k && net_bridged(s) && s->has_ip6 && host_of(&s->ip6, p) == h)
			return true;
		if (j < k && got[j] == h)
			return true;
	}
	return h == host_of(&cfg->net_addr6, p);
}

/* The auto host part of service @k (@name) among those before it. */
static int auto_host6(const struct config *cfg, size_t k, const char *name, uint64_t *got)
{
	unsigned bits = 128u - cfg->net_prefix6;
	uint64_t space = bits >= 64 ? UINT64_MAX : (1ull << bits) - 1;  /* hosts 1..space */
	uint64_t start = mac_hash(name) | ((uint64_t)fnv1a(name, strlen(name)) << 40);
	uint64_t tries = space < cfg->nsvcs + 2 ? space : cfg->nsvcs + 2;

	start = space == UINT64_MAX ? start : start % space;
	for (uint64_t i = 0; i < tries; i++) {
		uint64_t h = space == UINT64_MAX ? start + i : 1 + (start + i) % space;

		if (h && !taken6(cfg, k, h, got)) {
			got[k] = h;
			return 0;
		}
	}
	return -ENOSPC;
}

int net_service_address6(const struct config *cfg, const struct svc_conf *c,
			 struct in6_addr *out)
{
	_cleanup_free_ uint64_t *got = NULL;

	if (c->net != NET_BRIDGE)
		return -EINVAL;
	if (c->has_ip6) {
		*out = c->ip6;
		return 0;
	}
	if (!cfg->has_net_address6)
		return -EDESTADDRREQ;
	if (cfg->net_prefix6 > 126)
		return -ENOSPC;
	got = calloc(cfg->nsvcs + 1, sizeof(*got));
	if (!got)
		return -ENOMEM;
	/* every auto service up to @c in file order; @c last if not in @cfg */
	for (size_t k = 0; k <= cfg->nsvcs; k++) {
		const struct svc_conf *s = k < cfg->nsvcs ? &cfg->svcs[k] : c;
		bool me = k == cfg->nsvcs || !strcmp(s->name, c->name);
		int r;

		if (!me && (!net_bridged(s) || s->has_ip6))
			continue;
		if ((r = auto_host6(cfg, k, s->name, got)) < 0)
			return r;
		if (me) {
			memset(out, 0, sizeof(*out));
			with_host(out, &cfg->net_addr6, cfg->net_prefix6, got[k]);
			return 0;
		}
	}
	return -ENOSPC;
}

void net_link_local(const uint8_t mac[6], struct in6_addr *out)
{
	/* fe80::/64 and the modified EUI-64 of the MAC (RFC 4291 appendix A) */
	memset(out, 0, sizeof(*out));
	out->s6_addr[0] = 0xfe;
	out->s6_addr[1] = 0x80;
	out->s6_addr[8] = mac[0] ^ 0x02;
	out->s6_addr[9] = mac[1];
	out->s6_addr[10] = mac[2];
	out->s6_addr[11] = 0xff;
	out->s6_addr[12] = 0xfe;
	out->s6_addr[13] = mac[3];
	out->s6_addr[14] = mac[4];
	out->s6_addr[15] = mac[5];
}
