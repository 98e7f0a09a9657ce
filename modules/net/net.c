/* SPDX-License-Identifier: MIT */
/* net: bridge, veth per service, uplinks, sysctls, NAT. See net.h. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>

#include "antispoof.h"
#include "err.h"
#include "link.h"
#include "log.h"
#include "nat.h"
#include "net.h"
#include "net_priv.h"
#include "util.h"

/* A route socket inside network namespace @nsfd: setns there and back. */
static int nl_open_in(struct nl *nl, int nsfd, struct err *e)
{
	_cleanup_fd_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int r;

	if (self < 0)
		return err_set(e, -errno, "open /proc/self/ns/net");
	if (setns(nsfd, CLONE_NEWNET) < 0)
		return err_set(e, -errno, "setns");
	r = nl_open(nl, NETLINK_ROUTE, e);
	if (setns(self, CLONE_NEWNET) < 0) {
		/* cannot fail with a valid fd and CAP_SYS_ADMIN; say so if it does */
		log_err("network: setns back into boxinit's network namespace: %s",
			strerror(errno));
	}
	return r;
}

/* What a bridged service's eth0 gets, all derived from the config. */
struct svc_net {
	char bridge[IFNAMSIZ];
	uint8_t mac[6];
	bool has_ip;            /* no net.address: the link only */
	struct in_addr ip, gw;
	uint8_t prefix;
	bool has_ip6;           /* net.address6: IPv6 too */
	struct in6_addr ip6, gw6, ll6;
	uint8_t prefix6;
};

/* The network of the running instances, by name, as attached. */
static struct attached {
	char name[CONF_NAME_MAX + 1];
	struct svc_net net;
} *attached;
static size_t nattached;

/* The network @cfg gives service @c (memset first: compared bytewise);
 * a failure in @e (may be NULL). */
static int service_net(const struct config *cfg, const struct svc_conf *c,
		       struct svc_net *n, struct err *e)
{
	int r;

	memset(n, 0, sizeof(*n));
	snprintf(n->bridge, sizeof(n->bridge), "%s", cfg->net_bridge);
	r = net_service_address(cfg, c, &n->ip);
	if (r < 0 && r != -EDESTADDRREQ)
		return err_set(e, r, "no address in net.address");
	if (r == 0) {
		n->has_ip = true;
		n->gw = cfg->net_addr;
		n->prefix = cfg->net_prefix;
	}
	if ((r = net_service_mac(cfg, c, n->mac, NULL)) < 0)
		return err_set(e, r, "MAC address");
	r = net_service_address6(cfg, c, &n->ip6);
	if (r < 0 && r != -EDESTADDRREQ)
		return err_set(e, r, "no address in net.address6");
	if (r == 0) {
		n->has_ip6 = true;
		n->gw6 = cfg->net_addr6;
		n->prefix6 = cfg->net_prefix6;
		net_link_local(n->mac, &n->ll6);
	}
	return 0;
}

static struct attached *attached_of(const char *name)
{
	for (size_t i = 0; i < nattached; i++)
		if (!strcmp(attached[i].name, name))
			return &attached[i];
	return NULL;
}

/* Remember what service @name got (a failure: it is restarted at a reload). */
static void remember(const char *name, const struct svc_net *n)
{
	struct attached *a = attached_of(name), *grown;

	if (!a && (grown = realloc(attached, (nattached + 1) * sizeof(*attached)))) {
		attached = grown;
		a = &attached[nattached++];
		snprintf(a->name, sizeof(a->name), "%s", name);
	}
	if (a)
		a->net = *n;
}

bool net_service_current(const struct config *cfg, const struct svc_conf *c)
{
	struct attached *a = attached_of(c->name);
	struct svc_net now;

	if (!a || !net_bridged(c))
		return true;
	return service_net(cfg, c, &now, NULL) == 0 && !memcmp(&now, &a->net, sizeof(now));
}

int net_service_address_of(const struct config *cfg, const struct svc_conf *c,
			   struct in_addr *out)
{
	struct attached *a = net_bridged(c) ? attached_of(c->name) : NULL;

	if (a && a->net.has_ip) {       /* what it got: no search through cfg */
		*out = a->net.ip;
		return 0;
	}
	return net_service_address(cfg, c, out);
}

int net_service_address6_of(const struct config *cfg, const struct svc_conf *c,
			    struct in6_addr *out)
{
	struct attached *a = net_bridged(c) ? attached_of(c->name) : NULL;

	if (a && a->net.has_ip6) {
		*out = a->net.ip6;
		return 0;
	}
	return net_service_address6(cfg, c, out);
}

/*
 * The veth pair of service @c over @nl: @host here, a port of the bridge,
 * and eth0 created in the namespace @nsfd. A host end left by the
 * previous instance, its namespace still being torn down, is deleted (its
 * peer goes with it) and the pair created once more.
 */
static int make_pair(struct nl *nl, const struct svc_conf *c, const struct svc_net *n,
		     const char *host, int nsfd, struct err *e)
{
	struct err exists;
	int r, master;

	if ((r = master = link_get(nl, n->bridge, NULL, e)) < 0)
		return r;
	r = link_veth(nl, host, master, "eth0", n->mac, nsfd, e);
	if (r == -EEXIST) {
		if (e)
			exists = *e;
		log_debug("%s: network: %s exists: deleting the stale pair", c->name, host);
		r = link_del(nl, host, NULL);
		if (r == 0 || r == -ENODEV) {   /* or the kernel was just faster */
			r = link_veth(nl, host, master, "eth0", n->mac, nsfd, e);
		} else {
			if (e)
				*e = exists;    /* why it failed: the pair exists */
			r = -EEXIST;
		}
	}
	/* its own published ports: the bridge may have to send it back */
	if (r == 0 && c->nports)
		r = link_hairpin(nl, host, e);
	return r;
}

/*
 * Inside the service's namespace: addresses, eth0 up, default routes. Its
 * IPv6 addresses (link-local from its MAC, and ip6) come without DAD and
 * the kernel makes none of its own: eth0 is usable at once.
 */
static int configure_eth0(struct nl *nl, const struct svc_net *n, struct err *e)
{
	int r, idx;

	if ((r = idx = link_get(nl, "eth0", NULL, e)) < 0 ||
	    (n->has_ip && (r = addr_add(nl, idx, "eth0", n->ip, n->prefix, e)) < 0))
		return r;
	if (n->has_ip6 && ((r = link_addr_gen_none(nl, "eth0", e)) < 0 ||
			   (r = addr6_add(nl, idx, "eth0", &n->ll6, 64, e)) < 0 ||
			   (r = addr6_add(nl, idx, "eth0", &n->ip6, n->prefix6, e)) < 0))
		return r;
	if ((r = link_up(nl, "eth0", e)) < 0 ||
	    (n->has_ip && (r = route_default(nl, idx, "eth0", n->gw, e)) < 0) ||
	    (n->has_ip6 && (r = route6_default(nl, idx, "eth0", &n->gw6, e)) < 0))
		return r;
	return 0;
}

/* Inside the namespace @nsfd: configure_eth0() over a socket opened there. */
static int configure_inside(const struct svc_net *n, int nsfd, struct err *e)
{
	struct nl nl;
	int r;

	if ((r = nl_open_in(&nl, nsfd, e)) < 0)
		return r;
	r = configure_eth0(&nl, n, e);
	nl_close(&nl);
	return r;
}

int net_service_attach(const struct config *cfg, const struct svc_conf *c, pid_t pid,
		       struct err *e)
{
	char host[IFNAMSIZ], path[32];
	_cleanup_fd_ int nsfd = -1;
	struct svc_net n;
	struct nl nl;
	int r;

	if (c->net != NET_BRIDGE)
		return 0;
	net_veth_name(c->name, host);
	if ((r = service_net(cfg, c, &n, e)) < 0) {
		err_prefix(e, "network");
		return r;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return err_set(e, -errno, "network: %s", path);
	if ((r = nl_open(&nl, NETLINK_ROUTE, e)) == 0) {
		r = make_pair(&nl, c, &n, host, nsfd, e);
		nl_close(&nl);
	}
	if (r == 0)
		r = configure_inside(&n, nsfd, e);
	if (r < 0) {
		err_prefix(e, "network");
		return r;
	}
	remember(c->name, &n);
	log_debug("%s: network: %s <-> eth0 %s/%u%s", c->name, host,
		  inet_ntop(AF_INET, &n.ip, path, sizeof(path)), n.prefix,
		  n.has_ip6 ? " and IPv6" : "");
	return 0;
}

void net_forget(const struct config *cfg)
{
	for (size_t i = nattached; i-- > 0;)
		if (!cfg || !config_find((struct config *)cfg, attached[i].name))
			attached[i] = attached[--nattached];
	if (!nattached) {
		free(attached);
		attached = NULL;
	}
}
