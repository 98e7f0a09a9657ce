/* SPDX-License-Identifier: MIT */
/*
 * net_host: the host's side of the network: sysctls, the bridge and its
 * address, the iface.* uplinks, and a record of what boxinit made there
 * (the bridge if it created it, the addresses and default routes it
 * added), so that net_teardown() removes exactly that. See net.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "err.h"
#include "link.h"
#include "log.h"
#include "net.h"
#include "net_priv.h"

/* An address boxinit added, or a default route it set (gw). */
struct made {
	char ifname[IFNAMSIZ];
	int family;             /* AF_INET, AF_INET6 */
	uint8_t a[16];          /* the address, or the gateway of a default route */
	uint8_t prefix;         /* 0: a default route via @a */
};

static struct {
	char bridge[IFNAMSIZ];  /* the bridge boxinit created ("": none) */
	struct made *made;
	size_t nmade;
	char **keys;            /* the sysctl.* keys of the config applied last */
	size_t nkeys;
} made_here;

static bool bridge_needed(const struct config *cfg)
{
	if (cfg->has_net_address || cfg->has_net_address6)
		return true;
	for (size_t i = 0; i < cfg->nsvcs; i++)
		if (net_bridged(&cfg->svcs[i]))
			return true;
	return false;
}

static struct made mk(const char *ifname, int family, const void *a, uint8_t prefix)
{
	struct made m;

	memset(&m, 0, sizeof(m));
	snprintf(m.ifname, sizeof(m.ifname), "%s", ifname);
	m.family = family;
	memcpy(m.a, a, family == AF_INET ? 4 : 16);
	m.prefix = prefix;
	return m;
}

static struct made *find_made(const struct made *m)
{
	for (size_t i = 0; i < made_here.nmade; i++)
		if (!memcmp(&made_here.made[i], m, sizeof(*m)))
			return &made_here.made[i];
	return NULL;
}

/* Remember what boxinit made (a failure only means it is not removed). */
static void record(const struct made *m)
{
	struct made *grown;

	if (find_made(m))
		return;
	grown = realloc(made_here.made, (made_here.nmade + 1) * sizeof(*made_here.made));
	if (!grown) {
		log_warn("network: out of memory: %s will not be cleaned up", m->ifname);
		return;
	}
	made_here.made = grown;
	made_here.made[made_here.nmade++] = *m;
}

/* Add address @m on link @idx, recording it when it was not there before. */
static int add_address(struct nl *nl, int idx, const struct made *m, struct err *e)
{
	int r = m->family == AF_INET ?
		addr_add(nl, idx, m->ifname, *(const struct in_addr *)(const void *)m->a,
			 m->prefix, e) :
		addr6_add(nl, idx, m->ifname, (const struct in6_addr *)(const void *)m->a,
			  m->prefix, e);

	if (r > 0)
		record(m);
	return r < 0 ? r : 0;
}

/* Set default route @m on link @idx, and record it. */
static int add_route(struct nl *nl, int idx, const struct made *m, struct err *e)
{
	int r = m->family == AF_INET ?
		route_default(nl, idx, m->ifname, *(const struct in_addr *)(const void *)m->a,
			      e) :
		route6_default(nl, idx, m->ifname, (const struct in6_addr *)(const void *)m->a,
			       e);

	if (r == 0)
		record(m);
	return r;
}

/* ", A/N" of @m appended to @buf (@len bytes) */
static void say_addr(char *buf, size_t len, const struct made *m)
{
	char t[INET6_ADDRSTRLEN];
	size_t n = strlen(buf);

	inet_ntop(m->family, m->a, t, sizeof(t));
	snprintf(buf + n, len - n, ", %s/%u", t, m->prefix);
}

static int setup_bridge(struct nl *nl, const struct config *cfg, struct err *e)
{
	struct made m4 = mk(cfg->net_bridge, AF_INET, &cfg->net_addr, cfg->net_prefix);
	struct made m6 = mk(cfg->net_bridge, AF_INET6, &cfg->net_addr6, cfg->net_prefix6);
	bool ours = !strcmp(made_here.bridge, cfg->net_bridge);
	char a[2 * INET6_ADDRSTRLEN + 16] = "", fresh[sizeof(a)] = "";
	int created, r, idx;

	created = r = link_bridge(nl, cfg->net_bridge, e);
	if (r < 0)
		return r;
	if (created)            /* reused: keep what an earlier call recorded */
		memcpy(made_here.bridge, cfg->net_bridge, strlen(cfg->net_bridge) + 1);
	if ((idx = link_get(nl, cfg->net_bridge, NULL, e)) < 0)
		return idx;
	for (int f = 0; f < 2; f++) {
		const struct made *m = f ? &m6 : &m4;

		if (!(f ? cfg->has_net_address6 : cfg->has_net_address))
			continue;
		if (!find_made(m))
			say_addr(fresh, sizeof(fresh), m);
		if ((r = add_address(nl, idx, m, e)) < 0)
			return r;
		say_addr(a, sizeof(a), m);
	}
	if (created || !ours)
		log_info("network: bridge %s %s%s", cfg->net_bridge,
			 created ? "created" : "reused", a[0] ? a : " (no net.address)");
	else if (fresh[0])      /* ours already: a reload changed its address */
		log_info("network: bridge %s: address now %s", cfg->net_bridge, fresh + 2);
	return 0;
}

static int setup_iface(struct nl *nl, const struct conf_iface *f, struct err *e)
{
	struct made a4 = mk(f->name, AF_INET, &f->addr, f->prefix);
	struct made g4 = mk(f->name, AF_INET, &f->gw, 0);
	struct made a6 = mk(f->name, AF_INET6, &f->addr6, f->prefix6);
	struct made g6 = mk(f->name, AF_INET6, &f->gw6, 0);
	int idx = link_get(nl, f->name, NULL, e), r;

	if (idx < 0)
		return idx;
	if ((r = link_up(nl, f->name, e)) < 0 ||
	    (f->has_addr && (r = add_address(nl, idx, &a4, e)) < 0) ||
	    (f->has_addr6 && (r = add_address(nl, idx, &a6, e)) < 0) ||
	    (f->has_gw && (r = add_route(nl, idx, &g4, e)) < 0) ||
	    (f->has_gw6 && (r = add_route(nl, idx, &g6, e)) < 0))
		return r;
	log_info("network: %s up%s%s%s%s", f->name, f->has_addr ? ", address set" : "",
		 f->has_addr6 ? ", IPv6 address set" : "", f->has_gw ? ", default route" : "",
		 f->has_gw6 ? ", IPv6 default route" : "");
	return 0;
}

/* Is record @m what @cfg asks for (the bridge's addresses, an uplink's)? */
static bool wanted(const struct config *cfg, const struct made *m)
{
	struct made w;

	w = mk(cfg->net_bridge, AF_INET, &cfg->net_addr, cfg->net_prefix);
	if (cfg->has_net_address && !memcmp(&w, m, sizeof(w)))
		return true;
	w = mk(cfg->net_bridge, AF_INET6, &cfg->net_addr6, cfg->net_prefix6);
	if (cfg->has_net_address6 && !memcmp(&w, m, sizeof(w)))
		return true;
	for (size_t i = 0; i < cfg->nifaces; i++) {
		const struct conf_iface *f = &cfg->ifaces[i];
		const struct made want[4] = {
			mk(f->name, AF_INET, &f->addr, f->prefix), mk(f->name, AF_INET, &f->gw, 0),
			mk(f->name, AF_INET6, &f->addr6, f->prefix6), mk(f->name, AF_INET6, &f->gw6, 0),
		};
		const bool has[4] = { f->has_addr, f->has_gw, f->has_addr6, f->has_gw6 };

		for (int k = 0; k < 4; k++)
			if (has[k] && !memcmp(&want[k], m, sizeof(*m)))
				return true;
	}
	return false;
}

static void unmake(struct nl *nl, const struct made *m);

/* A reload: take back what @cfg no longer asks for, newest first. */
static void unmake_unwanted(struct nl *nl, const struct config *cfg)
{
	bool drop = made_here.bridge[0] && (strcmp(made_here.bridge, cfg->net_bridge) || !bridge_needed(cfg));

	for (size_t i = made_here.nmade; i-- > 0;) {
		bool on_old = drop && !strcmp(made_here.made[i].ifname, made_here.bridge);

		if (wanted(cfg, &made_here.made[i]) && !on_old)
			continue;
		if (!on_old)            /* the old bridge takes its address along */
			unmake(nl, &made_here.made[i]);
		memmove(&made_here.made[i], &made_here.made[i + 1], (made_here.nmade - i - 1) * sizeof(*made_here.made));
		made_here.nmade--;
	}
	if (drop) {
		struct err e;
		int r = link_del(nl, made_here.bridge, &e);

		if (r < 0 && r != -ENODEV) {
			err_prefix(&e, "network: deleting bridge %s", made_here.bridge);
			err_log(&e, LOG_LV_ERR);
		} else {
			log_info("network: bridge %s deleted", made_here.bridge);
		}
		made_here.bridge[0] = '\0';
	}
}

/* The sysctl.* keys: written; those gone since the last call get their old value. */
static int apply_sysctls(const struct config *cfg)
{
	char **keys = calloc(cfg->nsysctl + 1, sizeof(*keys));
	int fail = 0;

	for (size_t i = 0; i < made_here.nkeys; i++) {
		if (!net_user_sysctl(cfg, made_here.keys[i]))
			net_sysctl_restore(made_here.keys[i]);
		free(made_here.keys[i]);
	}
	free(made_here.keys);
	made_here.keys = keys;
	made_here.nkeys = 0;
	for (size_t i = 0; i < cfg->nsysctl; i++) {
		fail += net_sysctl_set(cfg->sysctl[i].key, cfg->sysctl[i].value) < 0;
		if (keys && (keys[made_here.nkeys] = strdup(cfg->sysctl[i].key)))
			made_here.nkeys++;
	}
	return fail;
}

int net_host_sysctls_early(const struct config *cfg)
{
	int fail = 0;

	for (size_t i = 0; i < cfg->nsysctl; i++)
		if (net_sysctl_exists(cfg->sysctl[i].key))
			fail += net_sysctl_set(cfg->sysctl[i].key, cfg->sysctl[i].value) < 0;
	return fail;
}

int net_host_apply(const struct config *cfg)
{
	struct err e;
	struct nl nl;
	int fail = apply_sysctls(cfg);
	bool bridge = bridge_needed(cfg);

	if (bridge || cfg->nifaces || made_here.nmade || made_here.bridge[0]) {
		if (nl_open(&nl, NETLINK_ROUTE, &e) < 0) {
			err_prefix(&e, "network");
			err_log(&e, LOG_LV_ERR);
			return fail + 1;
		}
		unmake_unwanted(&nl, cfg);
		if (bridge && setup_bridge(&nl, cfg, &e) < 0) {
			err_prefix(&e, "network: bridge %s", cfg->net_bridge);
			err_log(&e, LOG_LV_ERR);
			fail++;
		}
		for (size_t i = 0; i < cfg->nifaces; i++) {
			if (setup_iface(&nl, &cfg->ifaces[i], &e) < 0) {
				err_prefix(&e, "network: iface.%s", cfg->ifaces[i].name);
				err_log(&e, LOG_LV_ERR);
				fail++;
			}
		}
		nl_close(&nl);
	}
	net_forget(cfg);
	return fail + (net_nat_apply(cfg) < 0);
}

int net_host_setup(const struct config *cfg)
{
	return net_host_apply(cfg);
}

/* Take back what @m records; gone already (the link, the address) is fine. */
static void unmake(struct nl *nl, const struct made *m)
{
	const struct in_addr *a4 = (const void *)m->a;
	const struct in6_addr *a6 = (const void *)m->a;
	char txt[INET6_ADDRSTRLEN];
	struct err e;
	int idx = link_get(nl, m->ifname, NULL, &e), r;

	if (idx == -ENODEV)
		return;
	if (idx < 0)
		r = idx;
	else if (m->family == AF_INET)
		r = m->prefix ? addr_del(nl, idx, m->ifname, *a4, m->prefix, &e) :
		    route_del_default(nl, idx, m->ifname, *a4, &e);
	else
		r = m->prefix ? addr6_del(nl, idx, m->ifname, a6, m->prefix, &e) :
		    route6_del_default(nl, idx, m->ifname, a6, &e);
	if (r < 0 && r != -EADDRNOTAVAIL && r != -ESRCH && r != -ENODEV) {
		err_prefix(&e, "network: removing %s %s from %s", m->prefix ? "address" :
			   "default route via", inet_ntop(m->family, m->a, txt, sizeof(txt)),
			   m->ifname);
		err_log(&e, LOG_LV_ERR);
	}
}

void net_teardown(const struct config *cfg)
{
	struct err e;
	struct nl nl;
	bool open;

	net_tables_remove();
	net_tables_close();
	open = nl_open(&nl, NETLINK_ROUTE, &e) == 0;
	if (!open && (made_here.nmade || made_here.bridge[0]))
		log_err("network: %s: what boxinit made stays", e.msg);
	/* newest first: routes before the addresses they may need */
	for (size_t i = made_here.nmade; open && i-- > 0;)
		if (strcmp(made_here.made[i].ifname, made_here.bridge))   /* goes with the bridge */
			unmake(&nl, &made_here.made[i]);
	free(made_here.made);
	made_here.made = NULL;
	made_here.nmade = 0;
	/* the services' host ends: they would go with their namespaces, some
	 * time after the services exited; a supervisor leaves nothing behind */
	for (size_t i = 0; open && cfg && i < cfg->nsvcs; i++) {
		char host[IFNAMSIZ];
		int r;

		if (!net_bridged(&cfg->svcs[i]))
			continue;
		net_veth_name(cfg->svcs[i].name, host);
		if ((r = link_del(&nl, host, &e)) < 0 && r != -ENODEV)
			log_debug("network: deleting %s: %s", host, e.msg);
	}
	if (open && made_here.bridge[0] && link_del(&nl, made_here.bridge, &e) < 0) {
		err_prefix(&e, "network: deleting bridge %s", made_here.bridge);
		err_log(&e, LOG_LV_ERR);
	}
	made_here.bridge[0] = '\0';
	if (open)
		nl_close(&nl);
	net_sysctl_restore_all();
	for (size_t i = 0; i < made_here.nkeys; i++)
		free(made_here.keys[i]);
	free(made_here.keys);
	made_here.keys = NULL;
	made_here.nkeys = 0;
	net_forget(NULL);
}
