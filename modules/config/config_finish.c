// SPDX-License-Identifier: MIT
/*
 * config_finish: checks across keys once every source has been read
 * (exec present, "after" names exist and have no cycle, addresses fit the
 * bridge subnet and IPv6 prefix, no ip, ip6 or host port used twice). Offending services are
 * marked invalid; the rest still run.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_priv.h"

/* Record a diagnostic at the line of @svc's key @slot (-1: the service). */
__attribute__((format(printf, 4, 5)))
static void svc_diag(struct conf_ctx *ctx, const struct svc_conf *svc,
		     int slot, const char *fmt, ...)
{
	int line = slot >= 0 ? svc->key_line[slot] : svc->line;
	char msg[1024];
	va_list ap;

	if (slot >= 0 && line == 0)
		line = svc->line;
	ctx->source = svc->source;
	if (line < 0) {
		ctx->source = CONF_CMDLINE_SOURCE;
		line = 0;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_diag(ctx, line, "%s", msg);
}

/* Dependency graph in CSR form: edges of i are edges[start[i]..start[i+1]). */
struct graph {
	size_t *start, *edges;
};

#define UNSEEN ((size_t)-1)
#define ONPATH ((size_t)-2)

/* Tarjan scratch space, one allocation. */
struct tarjan {
	size_t *idx, *low, *comp, *stack, *fv, *fe, *parent, *queue, *path;
	unsigned char *onstack;
};

static void report_cycle(struct conf_ctx *ctx, const struct graph *g,
			 struct tarjan *t, size_t *members, size_t nm,
			 size_t compid)
{
	struct config *cfg = ctx->cfg;
	size_t start = members[0], i, e, qh = 0, qt = 0, x = UNSEEN, np = 0;
	char msg[900];
	size_t len;

	for (i = 1; i < nm; i++)
		if (members[i] < start)
			start = members[i];
	for (i = 0; i < nm; i++) {
		t->parent[members[i]] = UNSEEN;
		cfg->svcs[members[i]].invalid = true;
	}
	/* BFS inside the component for the shortest way back to start */
	t->queue[qt++] = start;
	while (qh < qt && x == UNSEEN) {
		size_t v = t->queue[qh++];

		for (e = g->start[v]; e < g->start[v + 1]; e++) {
			size_t w = g->edges[e];

			if (t->comp[w] != compid)
				continue;
			if (w == start) {
				x = v;
				break;
			}
			if (t->parent[w] == UNSEEN) {
				t->parent[w] = v;
				t->queue[qt++] = w;
			}
		}
	}
	for (; x != UNSEEN && x != start; x = t->parent[x])
		t->path[np++] = x;
	for (i = 0; i < np; i++)
		t->parent[t->path[i]] = ONPATH;
	len = (size_t)snprintf(msg, sizeof(msg), "dependency cycle: %s",
			       cfg->svcs[start].name);
	for (i = np; i-- && len < sizeof(msg); )
		len += (size_t)snprintf(msg + len, sizeof(msg) - len, " -> %s",
					cfg->svcs[t->path[i]].name);
	if (len < sizeof(msg))
		len += (size_t)snprintf(msg + len, sizeof(msg) - len, " -> %s",
					cfg->svcs[start].name);
	/* members not on that path are in the cycle too: name them */
	for (i = 0, np = 0; i < nm && len < sizeof(msg); i++) {
		size_t m = members[i];

		if (m == start || t->parent[m] == ONPATH)
			continue;
		len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s%s",
					np++ ? ", " : " (also involved: ",
					cfg->svcs[m].name);
	}
	if (np && len < sizeof(msg))
		len += (size_t)snprintf(msg + len, sizeof(msg) - len, ")");
	if (len >= sizeof(msg))
		memcpy(msg + sizeof(msg) - 4, "...", 4);
	svc_diag(ctx, &cfg->svcs[start], SK_AFTER, "service.%s.after: %s",
		 cfg->svcs[start].name, msg);
}

/*
 * Tarjan's strongly connected components, iterative (no recursion depth
 * limit). Every component with more than one service, or a service after
 * itself, is a cycle: all its members become invalid, one diagnostic names
 * a shortest cycle through the first member and lists the others.
 */
static int find_cycles(struct conf_ctx *ctx, const struct graph *g)
{
	size_t n = ctx->cfg->nsvcs, counter = 0, sp = 0, fp = 0, ncomp = 0;
	struct tarjan t;
	size_t *mem, s, i;

	mem = malloc(n * (9 * sizeof(size_t) + 1));
	if (!mem)
		return -1;
	t.idx = mem;
	t.low = mem + n;
	t.comp = mem + 2 * n;
	t.stack = mem + 3 * n;
	t.fv = mem + 4 * n;
	t.fe = mem + 5 * n;
	t.parent = mem + 6 * n;
	t.queue = mem + 7 * n;
	t.path = mem + 8 * n;
	t.onstack = (unsigned char *)(mem + 9 * n);
	for (i = 0; i < n; i++) {
		t.idx[i] = UNSEEN;
		t.comp[i] = UNSEEN;
		t.onstack[i] = 0;
	}
#define VISIT(v) do { t.idx[v] = t.low[v] = counter++; \
		t.stack[sp++] = (v); t.onstack[v] = 1; \
		t.fv[fp] = (v); t.fe[fp++] = g->start[v]; } while (0)
	for (s = 0; s < n; s++) {
		if (t.idx[s] != UNSEEN)
			continue;
		VISIT(s);
		while (fp) {
			size_t v = t.fv[fp - 1];

			if (t.fe[fp - 1] < g->start[v + 1]) {
				size_t w = g->edges[t.fe[fp - 1]++];

				if (t.idx[w] == UNSEEN)
					VISIT(w);
				else if (t.onstack[w] && t.idx[w] < t.low[v])
					t.low[v] = t.idx[w];
				continue;
			}
			if (t.low[v] == t.idx[v]) {
				size_t k = sp, e;
				bool self = false;

				do {
					k--;
					t.onstack[t.stack[k]] = 0;
					t.comp[t.stack[k]] = ncomp;
				} while (t.stack[k] != v);
				for (e = g->start[v]; e < g->start[v + 1]; e++)
					self |= g->edges[e] == v;
				if (sp - k > 1 || self)
					report_cycle(ctx, g, &t, t.stack + k,
						     sp - k, ncomp);
				sp = k;
				ncomp++;
			}
			fp--;
			if (fp && t.low[v] < t.low[t.fv[fp - 1]])
				t.low[t.fv[fp - 1]] = t.low[v];
		}
	}
#undef VISIT
	free(mem);
	return 0;
}

/* "after" names: resolve (unknown ones are errors) and look for cycles. */
static void check_after(struct conf_ctx *ctx, struct conf_index *idx)
{
	struct config *cfg = ctx->cfg;
	size_t n = cfg->nsvcs, ne = 0, i, j;
	struct graph g;

	for (i = 0; i < n; i++)
		ne += cfg->svcs[i].nafter;
	g.start = malloc((n + 1) * sizeof(size_t));
	g.edges = malloc((ne ? ne : 1) * sizeof(size_t));
	if (!g.start || !g.edges)
		goto oom;
	for (i = 0, ne = 0; i < n; i++) {
		struct svc_conf *svc = &cfg->svcs[i];

		g.start[i] = ne;
		for (j = 0; j < svc->nafter; j++) {
			const char *a = svc->after[j];
			long k = conf_index_find(idx, cfg, a, strlen(a));

			if (k >= 0) {
				g.edges[ne++] = (size_t)k;
				continue;
			}
			svc->invalid = true;
			svc_diag(ctx, svc, SK_AFTER,
				 "service.%s.after: unknown service \"%s\"",
				 svc->name, a);
		}
	}
	g.start[n] = ne;
	if (find_cycles(ctx, &g))
		goto oom;
	free(g.start);
	free(g.edges);
	return;
oom:
	free(g.start);
	free(g.edges);
	ctx->source = "(config)";
	conf_diag(ctx, 0, "out of memory checking service dependencies");
}

static void check_net(struct conf_ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	uint32_t mask = cfg->net_prefix ? 0xffffffffu << (32 - cfg->net_prefix)
					: 0;
	uint32_t br = ntohl(cfg->net_addr.s_addr);
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	size_t i, j;

	inet_ntop(AF_INET, &cfg->net_addr, b, sizeof(b));
	for (i = 0; i < cfg->nsvcs; i++) {
		struct svc_conf *svc = &cfg->svcs[i];
		uint32_t ip = ntohl(svc->ip.s_addr);

		if ((svc->has_ip || svc->ip_auto) && svc->net != NET_BRIDGE)
			svc_diag(ctx, svc, SK_IP,
				 "service.%s.ip: ignored because service.%s.net is not \"bridge\"",
				 svc->name, svc->name);
		if (svc->nports && svc->net != NET_BRIDGE)
			svc_diag(ctx, svc, SK_PORTS,
				 "service.%s.ports: ignored because service.%s.net is not \"bridge\"",
				 svc->name, svc->name);
		if (!svc->has_ip || svc->net != NET_BRIDGE)
			continue;
		inet_ntop(AF_INET, &svc->ip, a, sizeof(a));
		if (!cfg->has_net_address) {
			svc->invalid = true;
			svc_diag(ctx, svc, SK_IP,
				 "service.%s.ip: %s needs net.address (the bridge subnet) to be set",
				 svc->name, a);
		} else if ((ip & mask) != (br & mask)) {
			svc->invalid = true;
			svc_diag(ctx, svc, SK_IP,
				 "service.%s.ip: %s is outside net.address %s/%u",
				 svc->name, a, b, cfg->net_prefix);
		} else if (ip == br) {
			svc->invalid = true;
			svc_diag(ctx, svc, SK_IP,
				 "service.%s.ip: %s is the bridge's own address (net.address)",
				 svc->name, a);
		} else if ((ip & ~mask) == 0 || (ip & ~mask) == ~mask) {
			svc->invalid = true;
			svc_diag(ctx, svc, SK_IP,
				 "service.%s.ip: %s is the network or broadcast address of %s/%u",
				 svc->name, a, b, cfg->net_prefix);
		}
	}
	/* duplicate ip: the first valid service (file order) keeps it */
	for (i = 0; i < cfg->nsvcs; i++) {
		struct svc_conf *svc = &cfg->svcs[i];

		if (svc->invalid || !svc->has_ip || svc->net != NET_BRIDGE)
			continue;
		for (j = 0; j < i; j++) {
			struct svc_conf *o = &cfg->svcs[j];

			if (o->invalid || !o->has_ip || o->net != NET_BRIDGE ||
			    o->ip.s_addr != svc->ip.s_addr)
				continue;
			svc->invalid = true;
			inet_ntop(AF_INET, &svc->ip, a, sizeof(a));
			svc_diag(ctx, svc, SK_IP,
				 "service.%s.ip: %s is already used by service \"%s\"",
				 svc->name, a, o->name);
			break;
		}
	}
}

/* @a in the first @prefix bits of @net (IPv6) */
static bool in_prefix6(const struct in6_addr *a, const struct in6_addr *net, unsigned prefix)
{
	for (unsigned bit = 0; bit < prefix && bit < 128; bit++) {
		unsigned m = 0x80u >> (bit % 8);

		if ((a->s6_addr[bit / 8] & m) != (net->s6_addr[bit / 8] & m))
			return false;
	}
	return true;
}

/* The ip6 = ADDR of @svc against net.address6; a reason, or NULL if fine. */
static const char *bad_ip6(const struct config *cfg, const struct svc_conf *svc)
{
	bool host_zero = true;

	if (!cfg->has_net_address6)
		return "needs net.address6 (the bridge's IPv6 prefix) to be set";
	if (!in_prefix6(&svc->ip6, &cfg->net_addr6, cfg->net_prefix6))
		return "is outside net.address6";
	if (!memcmp(&svc->ip6, &cfg->net_addr6, sizeof(svc->ip6)))
		return "is the bridge's own address (net.address6)";
	for (unsigned bit = cfg->net_prefix6; bit < 128; bit++)
		if (svc->ip6.s6_addr[bit / 8] & (0x80u >> (bit % 8)))
			host_zero = false;
	if (host_zero)
		return "is the prefix itself (the subnet-router anycast address)";
	return NULL;
}

static void check_net6(struct conf_ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	char a[INET6_ADDRSTRLEN];
	const char *why;

	for (size_t i = 0; i < cfg->nsvcs; i++) {
		struct svc_conf *svc = &cfg->svcs[i];

		if ((svc->has_ip6 || svc->ip6_auto) && svc->net != NET_BRIDGE)
			svc_diag(ctx, svc, SK_IP6,
				 "service.%s.ip6: ignored because service.%s.net is not \"bridge\"",
				 svc->name, svc->name);
		if (!svc->has_ip6 || svc->net != NET_BRIDGE || svc->invalid)
			continue;
		inet_ntop(AF_INET6, &svc->ip6, a, sizeof(a));
		if ((why = bad_ip6(cfg, svc))) {
			svc->invalid = true;
			svc_diag(ctx, svc, SK_IP6, "service.%s.ip6: %s %s", svc->name, a, why);
			continue;
		}
		/* the first valid service (file order) keeps an address */
		for (size_t j = 0; j < i; j++) {
			const struct svc_conf *o = &cfg->svcs[j];

			if (o->invalid || !o->has_ip6 || o->net != NET_BRIDGE ||
			    memcmp(&o->ip6, &svc->ip6, sizeof(o->ip6)))
				continue;
			svc->invalid = true;
			svc_diag(ctx, svc, SK_IP6,
				 "service.%s.ip6: %s is already used by service \"%s\"",
				 svc->name, a, o->name);
			break;
		}
	}
}

/* Duplicate host port/proto: the first valid service (file order) wins. */
static void check_ports(struct conf_ctx *ctx)
{
	struct config *cfg = ctx->cfg;
	uint16_t *owner = calloc(2 * 65536, sizeof(uint16_t));
	size_t i, j;

	if (!owner) {
		ctx->source = "(config)";
		conf_diag(ctx, 0, "out of memory checking service ports");
		return;
	}
	for (i = 0; i < cfg->nsvcs; i++) {
		struct svc_conf *svc = &cfg->svcs[i];

		if (svc->invalid)
			continue;
		for (j = 0; j < svc->nports; j++) {
			const struct conf_port *p = &svc->ports[j];
			size_t slot = (p->proto == IPPROTO_UDP) * 65536u + p->host;

			if (!owner[slot])
				continue;
			svc->invalid = true;
			svc_diag(ctx, svc, SK_PORTS,
				 "service.%s.ports: host port %u/%s is already used by service \"%s\"",
				 svc->name, (unsigned)p->host,
				 p->proto == IPPROTO_UDP ? "udp" : "tcp",
				 cfg->svcs[owner[slot] - 1].name);
			break;
		}
		if (svc->invalid)
			continue;
		for (j = 0; j < svc->nports; j++) {
			const struct conf_port *p = &svc->ports[j];

			owner[(p->proto == IPPROTO_UDP) * 65536u + p->host] =
				(uint16_t)(i + 1);
		}
	}
	free(owner);
}

int config_finish(struct config *cfg)
{
	struct conf_index idx = { 0 };
	struct conf_ctx ctx = { .cfg = cfg, .source = "(config)", .idx = &idx };
	size_t i;

	conf_apply_defaults(&ctx);
	for (i = 0; i < cfg->nsvcs; i++) {
		struct svc_conf *svc = &cfg->svcs[i];

		conf_index_add(&idx, cfg, i);
		if (!svc->argv && !svc->key_line[SK_EXEC]) {
			svc->invalid = true;
			svc_diag(&ctx, svc, -1, "service \"%s\" has no exec",
				 svc->name);
		}
	}
	check_after(&ctx, &idx);
	check_net(&ctx);
	check_net6(&ctx);
	check_ports(&ctx);
	conf_index_free(&idx);
	return (int)ctx.problems;
}
