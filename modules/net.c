/* SPDX-License-Identifier: MIT */
/* net: bridge, veth per service, uplinks, sysctls, NAT. See net.h. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "link.h"
#include "log.h"
#include "nat.h"
#include "net.h"
#include "util.h"

static struct {
	char bridge[IFNAMSIZ];  /* the bridge boxinit created ("": none) */
	bool nat_table;         /* table ip boxinit is ours and present */
} g;

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

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
	h = fnv1a(svc);
	for (int i = 0; i < 5; i++)
		out[10 + i] = hex[(h >> (16 - 4 * i)) & 0xf];
	out[15] = '\0';
}

static uint32_t netmask(unsigned prefix)
{
	return prefix ? 0xffffffffu << (32 - prefix) : 0;
}

static bool bridged(const struct svc_conf *s)
{
	return !s->invalid && s->net == NET_BRIDGE;
}

/* Is @ip (host order) taken for service number @k: static ips, earlier autos? */
static bool taken(const struct config *cfg, size_t k, uint32_t ip, const uint32_t *got)
{
	for (size_t j = 0; j < cfg->nsvcs; j++) {
		const struct svc_conf *s = &cfg->svcs[j];

		if (j != k && bridged(s) && s->has_ip && ntohl(s->ip.s_addr) == ip)
			return true;
		if (j < k && got[j] == ip)
			return true;
	}
	return false;
}

int net_service_address(const struct config *cfg, const struct svc_conf *c,
			struct in_addr *out)
{
	uint32_t mask = netmask(cfg->net_prefix), br = ntohl(cfg->net_addr.s_addr);
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

		if (!me && (!bridged(s) || s->has_ip))
			continue;
		start = fnv1a(s->name) % hosts;
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

/* /proc/sys/KEY (dots become slashes unless KEY already uses slashes) */
static int sysctl_write(const char *key, const char *val)
{
	char path[256];
	_cleanup_fd_ int fd = -1;
	size_t n = strlen(key);
	bool slashes = strchr(key, '/') != NULL;
	int r;

	if (n + 11 > sizeof(path) || strstr(key, "..") || key[0] == '/' || key[0] == '.') {
		log_err("sysctl %s: invalid name", key);
		return -EINVAL;
	}
	memcpy(path, "/proc/sys/", 10);
	for (size_t i = 0; i <= n; i++)
		path[10 + i] = key[i] == '.' && !slashes ? '/' : key[i];
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	r = fd < 0 ? -errno : write_all(fd, val, strlen(val));
	if (r < 0)
		log_err("sysctl %s = %s: %s: %s", key, val, path, strerror(-r));
	else
		log_debug("sysctl %s = %s", key, val);
	return r;
}

static const struct conf_kv *user_sysctl(const struct config *cfg, const char *key)
{
	for (size_t i = 0; i < cfg->nsysctl; i++)
		if (!strcmp(cfg->sysctl[i].key, key))
			return &cfg->sysctl[i];
	return NULL;
}

static bool bridge_needed(const struct config *cfg)
{
	if (cfg->has_net_address)
		return true;
	for (size_t i = 0; i < cfg->nsvcs; i++)
		if (bridged(&cfg->svcs[i]))
			return true;
	return false;
}

/* A route socket inside network namespace @nsfd: setns there and back. */
static int nl_open_in(struct nl *nl, int nsfd)
{
	_cleanup_fd_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int r;

	if (self < 0 || setns(nsfd, CLONE_NEWNET) < 0) {
		r = -errno;
		snprintf(nl->err, sizeof(nl->err), "%s: %s", self < 0 ?
			 "open /proc/self/ns/net" : "setns", strerror(-r));
		return r;
	}
	r = nl_open(nl, NETLINK_ROUTE);
	if (setns(self, CLONE_NEWNET) < 0) {
		/* cannot fail with a valid fd and CAP_SYS_ADMIN; say so if it does */
		log_err("network: setns back into boxinit's network namespace: %s",
			strerror(errno));
	}
	return r;
}

static int setup_bridge(struct nl *nl, const struct config *cfg)
{
	char a[INET_ADDRSTRLEN + 8] = " (no net.address)";
	int created, r, idx;

	created = r = link_bridge(nl, cfg->net_bridge);
	if (r < 0)
		return r;
	if (created)            /* reused: keep what an earlier call recorded */
		memcpy(g.bridge, cfg->net_bridge, strlen(cfg->net_bridge) + 1);
	if (cfg->has_net_address) {
		if ((idx = link_get(nl, cfg->net_bridge, NULL)) < 0)
			return idx;
		if ((r = addr_add(nl, idx, cfg->net_bridge, cfg->net_addr, cfg->net_prefix)) < 0)
			return r;
		a[0] = ',';
		a[1] = ' ';
		inet_ntop(AF_INET, &cfg->net_addr, a + 2, INET_ADDRSTRLEN);
		snprintf(a + strlen(a), 5, "/%u", cfg->net_prefix);
	}
	log_info("network: bridge %s %s%s", cfg->net_bridge,
		 created ? "created" : "reused", a);
	return 0;
}

static int setup_iface(struct nl *nl, const struct conf_iface *f)
{
	int idx = link_get(nl, f->name, NULL), r;

	if (idx < 0)
		return idx;
	if ((r = link_up(nl, f->name)) < 0)
		return r;
	if (f->has_addr && (r = addr_add(nl, idx, f->name, f->addr, f->prefix)) < 0)
		return r;
	if (f->has_gw && (r = route_default(nl, idx, f->name, f->gw)) < 0)
		return r;
	log_info("network: %s up%s%s", f->name, f->has_addr ? ", address set" : "",
		 f->has_gw ? ", default route" : "");
	return 0;
}

int net_host_setup(const struct config *cfg)
{
	struct nl nl;
	int fail = 0;
	bool bridge = bridge_needed(cfg);

	for (size_t i = 0; i < cfg->nsysctl; i++)
		fail += sysctl_write(cfg->sysctl[i].key, cfg->sysctl[i].value) < 0;
	if (bridge || cfg->nifaces) {
		if (nl_open(&nl, NETLINK_ROUTE) < 0) {
			log_err("network: %s", nl.err);
			return fail + 1;
		}
		if (bridge && setup_bridge(&nl, cfg) < 0) {
			log_err("network: bridge %s: %s", cfg->net_bridge, nl.err);
			fail++;
		}
		for (size_t i = 0; i < cfg->nifaces; i++) {
			if (setup_iface(&nl, &cfg->ifaces[i]) < 0) {
				log_err("network: iface.%s: %s", cfg->ifaces[i].name, nl.err);
				fail++;
			}
		}
		nl_close(&nl);
	}
	return fail + (net_nat_apply(cfg) < 0);
}

int net_service_attach(const struct config *cfg, const struct svc_conf *c, pid_t pid)
{
	char host[IFNAMSIZ], path[32], err[NL_ERR_MAX];
	_cleanup_fd_ int nsfd = -1;
	struct in_addr ip = { 0 };
	struct nl nl;
	int r, master, idx;
	bool addr;

	if (c->net != NET_BRIDGE)
		return 0;
	net_veth_name(c->name, host);
	r = net_service_address(cfg, c, &ip);
	if (r < 0 && r != -EDESTADDRREQ) {
		log_err("%s: network: no address in net.address: %s", c->name, strerror(-r));
		return r;
	}
	addr = r == 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) {
		r = -errno;
		log_err("%s: network: %s: %s", c->name, path, strerror(-r));
		return r;
	}
	if ((r = nl_open(&nl, NETLINK_ROUTE)) < 0 ||
	    (r = master = link_get(&nl, cfg->net_bridge, NULL)) < 0)
		goto out;
	r = link_veth(&nl, host, master, "eth0", nsfd);
	if (r == -EEXIST) {
		/* the previous instance's pair, its namespace still being torn
		 * down: delete it (its peer goes with it) and try once more */
		memcpy(err, nl.err, sizeof(err));
		log_debug("%s: network: %s exists: deleting the stale pair", c->name, host);
		if (link_del(&nl, host) == 0)
			r = link_veth(&nl, host, master, "eth0", nsfd);
		else
			memcpy(nl.err, err, sizeof(err));
	}
	if (r < 0)
		goto out;
	nl_close(&nl);
	if ((r = nl_open_in(&nl, nsfd)) < 0 ||
	    (r = idx = link_get(&nl, "eth0", NULL)) < 0 ||
	    (addr && (r = addr_add(&nl, idx, "eth0", ip, cfg->net_prefix)) < 0) ||
	    (r = link_up(&nl, "eth0")) < 0 ||
	    (r = link_up(&nl, "lo")) < 0 ||
	    (addr && (r = route_default(&nl, idx, "eth0", cfg->net_addr)) < 0))
		goto out;
	log_debug("%s: network: %s <-> eth0 %s/%u", c->name, host,
		  inet_ntop(AF_INET, &ip, path, sizeof(path)), cfg->net_prefix);
out:
	if (r < 0)
		log_err("%s: network: %s", c->name, nl.err);
	nl_close(&nl);
	return r < 0 ? r : 0;
}

int net_nat_apply(const struct config *cfg)
{
	_cleanup_free_ struct nat_fwd *fwd = NULL;
	struct nat_spec s = { 0 };
	const struct conf_kv *kv;
	char err[NL_ERR_MAX + 128];
	size_t nports = 0;
	int r;

	for (size_t i = 0; i < cfg->nsvcs; i++)
		nports += bridged(&cfg->svcs[i]) ? cfg->svcs[i].nports : 0;
	if (cfg->nat != NAT_OFF && !cfg->has_net_address)
		log_warn("nat: net.nat needs net.address (the bridge subnet): no masquerade");
	if (cfg->nat != NAT_OFF && cfg->has_net_address) {
		s.masq = true;
		s.net.s_addr = cfg->net_addr.s_addr & htonl(netmask(cfg->net_prefix));
		s.prefix = cfg->net_prefix;
		s.oif_not = cfg->nat == NAT_ON;
		s.oif = s.oif_not ? cfg->net_bridge : cfg->nat_iface;
	}
	if (nports && !(fwd = calloc(nports, sizeof(*fwd))))
		return -ENOMEM;
	for (size_t i = 0; i < cfg->nsvcs; i++) {
		const struct svc_conf *c = &cfg->svcs[i];
		struct in_addr to;

		if (!bridged(c) || !c->nports)
			continue;
		if ((r = net_service_address(cfg, c, &to)) < 0) {
			log_warn("%s: ports: no address (%s): not forwarded", c->name,
				 strerror(-r));
			continue;
		}
		for (size_t j = 0; j < c->nports; j++)
			fwd[s.nfwd++] = (struct nat_fwd){ c->ports[j].proto, c->ports[j].host,
							  to, c->ports[j].svc };
	}
	s.fwd = fwd;
	if (!s.masq && !s.nfwd) {
		if (!g.nat_table)
			return 0;
		r = nat_commit(NULL, err, sizeof(err));
		if (r < 0)
			log_err("nat: removing table ip " NAT_TABLE ": %s", err);
		else
			log_info("nat: table ip " NAT_TABLE " removed");
		g.nat_table = r < 0;
		return r;
	}
	kv = user_sysctl(cfg, "net.ipv4.ip_forward");
	if (kv && strcmp(kv->value, "1"))
		log_warn("nat: sysctl.net.ipv4.ip_forward = %s: NAT and port forwards "
			 "need forwarding", kv->value);
	else if (!kv)
		sysctl_write("net.ipv4.ip_forward", "1");
	r = nat_commit(&s, err, sizeof(err));
	if (r < 0) {
		log_err("nat: %s: services stay reachable on the bridge, no NAT%s", err,
			s.nfwd ? " and no port forwards" : "");
		return r;
	}
	g.nat_table = true;
	log_info("nat: table ip " NAT_TABLE ": masquerade %s, %zu port forward%s",
		 !s.masq ? "off" : s.oif_not ? "on" : s.oif, s.nfwd, s.nfwd == 1 ? "" : "s");
	return 0;
}

void net_teardown(const struct config *cfg)
{
	char err[NL_ERR_MAX + 128];
	struct nl nl;

	if (g.nat_table) {
		if (nat_commit(NULL, err, sizeof(err)) < 0)
			log_err("nat: removing table ip " NAT_TABLE ": %s", err);
		g.nat_table = false;
	}
	if (!g.bridge[0])
		return;
	if (nl_open(&nl, NETLINK_ROUTE) < 0 || link_del(&nl, g.bridge) < 0)
		log_err("network: deleting bridge %s: %s", g.bridge, nl.err);
	nl_close(&nl);
	g.bridge[0] = '\0';
}
