/* SPDX-License-Identifier: MIT */
/*
 * net_tables: boxinit's nftables tables from the configuration (nat.h,
 * antispoof.h), and keeping them when someone else changes them
 * (nftwatch.h). See net.h.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>

#include "antispoof.h"
#include "err.h"
#include "log.h"
#include "loop.h"
#include "nat.h"
#include "net.h"
#include "net_priv.h"
#include "nftwatch.h"
#include "relay.h"
#include "util.h"

static struct {
	unsigned tables;        /* NAT_T_* of ours that are present */
	bool said_no_bridge;    /* "bridge family missing" logged once */
	struct nl nft;          /* the commit socket (nat_commit opens it) */
	struct nftw watch;      /* nftables events */
	struct loop_handler h;  /* watch's fd in the event loop */
	struct loop_timer heal; /* armed: rebuild the tables then */
	uint64_t window_ms;     /* start of the current HEAL_WINDOW_MS */
	unsigned heals;         /* rebuilds within it */
	struct loop_timer retry;        /* armed: given up, try again then */
	net_config_fn current;  /* the configuration in force (net_watch) */
	bool want_watch;        /* net_watch() called: the loop is there */
	bool wanted;            /* the last apply() wanted tables */
	char localnet[IFNAMSIZ];        /* route_localnet set on it ("": none) */
	struct relay_fwd *relay;        /* [::1] ports to relay (relay.h) */
	size_t nrelay;
	bool said_no_watch;     /* "cannot watch" logged */
} t = { .h = { .fd = -1 } };

static int watch_open(void);

/* Masquerade and port forwards of @cfg into @s (*@fwd: allocated here). */
static int fill_nat(const struct config *cfg, struct nat_spec *s, struct nat_fwd **fwd)
{
	size_t nports = 0;
	int r;

	for (size_t i = 0; i < cfg->nsvcs; i++)
		nports += net_bridged(&cfg->svcs[i]) ? cfg->svcs[i].nports : 0;
	if (cfg->nat != NAT_OFF && !cfg->has_net_address)
		log_warn("nat: net.nat needs net.address (the bridge subnet): no masquerade");
	if (cfg->has_net_address) {    /* the subnet: hairpin and localhost too */
		s->net.s_addr = cfg->net_addr.s_addr & htonl(net_mask(cfg->net_prefix));
		s->prefix = cfg->net_prefix;
		s->bridge = cfg->net_bridge;
	}
	if (cfg->nat != NAT_OFF && cfg->has_net_address) {
		s->masq = true;
		s->oif_not = cfg->nat == NAT_ON;
		s->oif = s->oif_not ? cfg->net_bridge : cfg->nat_iface;
	}
	if (nports && !(*fwd = calloc(nports, sizeof(**fwd))))
		return -ENOMEM;
	for (size_t i = 0; i < cfg->nsvcs; i++) {
		const struct svc_conf *c = &cfg->svcs[i];
		struct in_addr to;

		if (!net_bridged(c) || !c->nports)
			continue;
		if ((r = net_service_address(cfg, c, &to)) < 0) {
			log_warn("%s: ports: no address (%s): not forwarded", c->name,
				 strerror(-r));
			continue;
		}
		for (size_t j = 0; j < c->nports; j++)
			(*fwd)[s->nfwd++] = (struct nat_fwd){ c->ports[j].proto,
				c->ports[j].host, to, c->ports[j].svc };
	}
	s->fwd = *fwd;
	return 0;
}

/* The IPv6 masquerade and port forwards of @cfg into @s (*@fwd: allocated here). */
static int fill_nat6(const struct config *cfg, struct nat_spec *s, struct nat_fwd6 **fwd)
{
	size_t nports = 0;

	if (!cfg->has_net_address6) {
		if (cfg->nat6 != NAT_OFF)
			log_warn("nat: net.nat6 needs net.address6 (the bridge's prefix): "
				 "no IPv6 masquerade");
		return 0;
	}
	for (unsigned bit = 0; bit < 128; bit++)    /* the prefix, masked */
		if (bit < cfg->net_prefix6)
			s->net6.s6_addr[bit / 8] |= cfg->net_addr6.s6_addr[bit / 8] &
						    (uint8_t)(0x80u >> (bit % 8));
	s->prefix6 = cfg->net_prefix6;
	s->bridge = cfg->net_bridge;
	if (cfg->nat6 != NAT_OFF) {
		s->masq6 = true;
		s->oif6_not = cfg->nat6 == NAT_ON;
		s->oif6 = s->oif6_not ? cfg->net_bridge : cfg->nat6_iface;
	}
	for (size_t i = 0; i < cfg->nsvcs; i++)
		nports += net_bridged(&cfg->svcs[i]) ? cfg->svcs[i].nports : 0;
	if (nports && !(*fwd = calloc(nports, sizeof(**fwd))))
		return -ENOMEM;
	for (size_t i = 0; i < cfg->nsvcs; i++) {
		const struct svc_conf *c = &cfg->svcs[i];
		struct in6_addr to;

		if (!net_bridged(c) || !c->nports || net_service_address6(cfg, c, &to) < 0)
			continue;
		for (size_t j = 0; j < c->nports; j++)
			(*fwd)[s->nfwd6++] = (struct nat_fwd6){ c->ports[j].proto,
				c->ports[j].host, to, c->ports[j].svc };
	}
	s->fwd6 = *fwd;
	return 0;
}

/* One port filter per bridged service of @cfg into @s (*@ports: allocated here). */
static int fill_guard(const struct config *cfg, struct nat_spec *s,
		      struct spoof_port **ports)
{
	const char *other = NULL;
	char txt[18];
	int r;

	if (!(*ports = calloc(cfg->nsvcs + 1, sizeof(**ports))))
		return -ENOMEM;
	for (size_t i = 0; i < cfg->nsvcs; i++) {
		const struct svc_conf *c = &cfg->svcs[i];
		struct spoof_port *p = &(*ports)[s->nguard];

		if (!net_bridged(c))
			continue;
		net_veth_name(c->name, p->ifname);
		if ((r = net_service_mac(cfg, c, p->mac, &other)) < 0)
			return r;
		if (r > 0) {
			snprintf(txt, sizeof(txt), "%02x:%02x:%02x:%02x:%02x:%02x", p->mac[0],
				 p->mac[1], p->mac[2], p->mac[3], p->mac[4], p->mac[5]);
			log_warn("%s: network: the MAC derived from its name is %s's: "
				 "using %s", c->name, other, txt);
		}
		p->has_ip = net_service_address(cfg, c, &p->ip) == 0;
		p->has_ip6 = net_service_address6(cfg, c, &p->ip6) == 0;
		net_link_local(p->mac, &p->ll6);
		s->nguard++;
	}
	s->guard = *ports;
	return 0;
}

/* Why the tables of @part could not be written (@e), and what it means:
 * one line per table. */
static void say_failed(unsigned part, const struct nat_spec *s, const struct err *e)
{
	int r = e->code;

	if (part & NAT_T_IP)
		log_err("nat: %s: services stay reachable on the bridge, no NAT%s", e->msg,
			s && s->nfwd ? " and no port forwards" : "");
	if (part & NAT_T_IP6)
		log_err("nat: %s: services stay reachable on the bridge, no IPv6 NAT%s",
			e->msg, s && s->nfwd6 ? " and no IPv6 port forwards" : "");
	if ((part & NAT_T_BRIDGE) && s && !t.said_no_bridge) {
		log_err("antispoof: %s: services on the bridge are not kept to their own "
			"MAC and IPv4 address (with net_admin a service can take "
			"another's)", e->msg);
		/* the kernel lacks something: it will not change, say it once */
		t.said_no_bridge = r == -ENOENT || r == -EAFNOSUPPORT || r == -EOPNOTSUPP;
	} else if (part & NAT_T_BRIDGE) {
		log_debug("antispoof: %s", e->msg);
	}
}

/* "ip", "ip and bridge", "ip, ip6 and bridge": the tables of @bits */
static const char *names_of(unsigned bits, char *buf, size_t len)
{
	static const char *const name[3] = { "ip", "ip6", "bridge" };
	static const unsigned bit[3] = { NAT_T_IP, NAT_T_IP6, NAT_T_BRIDGE };
	size_t n = 0, left = 0;

	buf[0] = '\0';
	for (int i = 0; i < 3; i++)
		left += !!(bits & bit[i]);
	for (int i = 0; i < 3 && n < len; i++) {
		if (!(bits & bit[i]))
			continue;
		left--;
		n += (size_t)snprintf(buf + n, len - n, "%s%s", name[i],
				      left > 1 ? ", " : left == 1 ? " and " : "");
	}
	return buf;
}

/* one table or several: "" or "s" */
static const char *plural(unsigned bits)
{
	return (bits & (bits - 1)) ? "s" : "";
}

/*
 * Write @s (NULL: remove) into the tables of @want | what we have, atomically;
 * a table the kernel refuses is left out and the others tried once more.
 * Returns 0, or the first -errno (also when the others then went in).
 */
static int tables_commit(const struct nat_spec *s, unsigned want)
{
	unsigned touch = (want | t.tables | NAT_T_IP) & (s ? ~0u : t.tables);
	struct err e;
	uint8_t fam;
	int r, first = 0;

	while (touch) {
		unsigned part;

		r = nat_commit(&t.nft, s, touch, &e, &fam);
		/* what the events of this commit carry; what is ours to watch */
		t.watch.own = t.nft.sk ? t.nft.portid : 0;
		if (r == 0) {
			t.tables = (t.tables & ~touch) | (want & touch);
			t.watch.watch = t.tables;
			return first;
		}
		first = first ? first : r;
		part = nat_table_of(fam) ? nat_table_of(fam) : touch;
		if (s && (part & want))
			say_failed(part & want, s, &e);
		if (part & ~want & t.tables) {  /* ours, to be removed */
			char names[32];

			log_err("nat: removing table %s " NAT_TABLE ": %s",
				names_of(part & ~want & t.tables, names, sizeof(names)), e.msg);
		}
		touch &= ~part;         /* that table stays as it was */
	}
	return first;
}

/*
 * route_localnet on the bridge while its port forwards hold a localhost
 * rule (127.0.0.1:HOST from the host): routing a packet from 127.0.0.1
 * out of it, and its reply back in, are "martian" otherwise. Given back
 * when no longer needed (unless the config sets that sysctl itself).
 */
static void localnet(const struct config *cfg, const char *bridge)
{
	char key[64];

	if (t.localnet[0] && (!bridge || strcmp(bridge, t.localnet))) {
		snprintf(key, sizeof(key), "net/ipv4/conf/%s/route_localnet", t.localnet);
		net_sysctl_restore(key);
		t.localnet[0] = '\0';
	}
	if (!bridge || t.localnet[0])
		return;
	snprintf(key, sizeof(key), "net.ipv4.conf.%s.route_localnet", bridge);
	if (cfg && net_user_sysctl(cfg, key))
		return;                 /* the config decides */
	snprintf(key, sizeof(key), "net/ipv4/conf/%s/route_localnet", bridge);
	if (net_sysctl_set(key, "1") == 0)
		snprintf(t.localnet, sizeof(t.localnet), "%s", bridge);
}

/*
 * Forwarding (@key: net.ipv4.ip_forward, net.ipv6.conf.all.forwarding)
 * on while @needed, unless the config says otherwise; given back when no
 * longer needed.
 */
static void forwarding(const struct config *cfg, const char *key, bool needed)
{
	const struct conf_kv *kv = net_user_sysctl(cfg, key);

	if (needed && kv && strcmp(kv->value, "1"))
		log_warn("nat: sysctl.%s = %s: NAT and port forwards need forwarding",
			 key, kv->value);
	else if (needed && !kv)
		net_sysctl_set(key, "1");
	else if (!needed && !kv && net_sysctl_is_set(key))
		net_sysctl_restore(key);
}

/* One log line per table: what it holds now, or that it is gone. */
static void say_tables(const struct nat_spec *s, unsigned want, unsigned had)
{
	if (t.tables & want & NAT_T_IP)
		log_info("nat: table ip " NAT_TABLE ": masquerade %s, %zu port forward%s",
			 !s->masq ? "off" : s->oif_not ? "on" : s->oif, s->nfwd,
			 s->nfwd == 1 ? "" : "s");
	else if (had & ~t.tables & NAT_T_IP)
		log_info("nat: table ip " NAT_TABLE " removed");
	if (t.tables & want & NAT_T_IP6)
		log_info("nat: table ip6 " NAT_TABLE ": masquerade %s, %zu port forward%s",
			 !s->masq6 ? "off" : s->oif6_not ? "on" : s->oif6, s->nfwd6,
			 s->nfwd6 == 1 ? "" : "s");
	else if (had & ~t.tables & NAT_T_IP6)
		log_info("nat: table ip6 " NAT_TABLE " removed");
	if (t.tables & want & NAT_T_BRIDGE)
		log_info("antispoof: table bridge " NAT_TABLE ": %zu service port%s kept "
			 "to their MAC and IPv4%s address", s->nguard, s->nguard == 1 ? "" : "s",
			 s->prefix6 ? " and IPv6" : "");
	else if (had & ~t.tables & NAT_T_BRIDGE)
		log_info("antispoof: table bridge " NAT_TABLE " removed");
}

/* [::1]:HOST of every IPv6 TCP forward of @s; set once the loop is there. */
static void relay_apply(const struct nat_spec *s)
{
	size_t n = 0;

	free(t.relay);
	t.relay = calloc(s->nfwd6 + 1, sizeof(*t.relay));
	for (size_t i = 0; t.relay && i < s->nfwd6; i++)
		if (s->fwd6[i].proto == IPPROTO_TCP)
			t.relay[n++] = (struct relay_fwd){ s->fwd6[i].port, s->fwd6[i].to,
							   s->fwd6[i].to_port };
	t.nrelay = n;
	if (t.want_watch)
		relay_set(t.relay, t.nrelay);
}

/* The tables of @cfg (see net_nat_apply). */
static int apply(const struct config *cfg)
{
	_cleanup_free_ struct nat_fwd *fwd = NULL;
	_cleanup_free_ struct nat_fwd6 *fwd6 = NULL;
	_cleanup_free_ struct spoof_port *ports = NULL;
	struct nat_spec s = { 0 };
	unsigned want, had = t.tables;
	int r;

	if ((r = fill_nat(cfg, &s, &fwd)) < 0 || (r = fill_nat6(cfg, &s, &fwd6)) < 0 ||
	    (r = fill_guard(cfg, &s, &ports)) < 0) {
		log_err("nat: %s: the tables " NAT_TABLE " are left as they were",
			strerror(-r));
		return r;
	}
	want = (s.masq || s.nfwd ? NAT_T_IP : 0) | (s.masq6 || s.nfwd6 ? NAT_T_IP6 : 0) |
	       (s.nguard ? NAT_T_BRIDGE : 0);
	forwarding(cfg, "net.ipv4.ip_forward", want & NAT_T_IP);
	forwarding(cfg, "net.ipv6.conf.all.forwarding", want & NAT_T_IP6);
	r = want || had ? tables_commit(want ? &s : NULL, want) : 0;
	localnet(cfg, (t.tables & NAT_T_IP) && s.nfwd ? s.bridge : NULL);
	relay_apply(&s);
	t.wanted = want != 0;
	if (want)
		watch_open();           /* tables to keep now, if not yet watched */
	say_tables(&s, want, had);
	return r;
}

int net_nat_apply(const struct config *cfg)
{
	/* the configuration is in force again: a fight given up starts over */
	loop_timer_stop(&t.heal);
	loop_timer_stop(&t.retry);
	t.heals = 0;
	nftw_clear(&t.watch);
	return apply(cfg);
}

/* ---- keeping the tables ------------------------------------------------- */

/* What the events told, for the log: "table ip boxinit deleted by nft (pid 42)". */
static const char *what_happened(char *buf, size_t len)
{
	const struct nftw *w = &t.watch;
	unsigned del = w->deleted & t.tables, chg = w->changed & t.tables & ~del;
	char a[32], b[32], who[48];
	int n;

	if (w->comm[0])
		snprintf(who, sizeof(who), "%s (pid %u)", w->comm, (unsigned)w->pid);
	else if (w->port)
		snprintf(who, sizeof(who), "netlink port %u", w->port);
	else
		snprintf(who, sizeof(who), "someone else");
	if (!del && !chg) {
		snprintf(buf, len, "nftables events were lost (receive buffer overrun): "
			 "the tables may have changed");
		return buf;
	}
	n = snprintf(buf, len, "%s", "");
	if (del)
		n += snprintf(buf + n, len - (size_t)n, "table%s %s " NAT_TABLE " deleted",
			      plural(del), names_of(del, a, sizeof(a)));
	if (chg && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "%stable%s %s " NAT_TABLE " changed",
			      del ? ", " : "", plural(chg), names_of(chg, b, sizeof(b)));
	if ((size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " by %s", who);
	return buf;
}

/* Rebuild the tables after someone else changed them; give up on a fight. */
static void heal(const struct config *cfg, uint64_t now)
{
	char what[192];

	what_happened(what, sizeof(what));
	nftw_clear(&t.watch);
	if (!t.heals || now - t.window_ms >= NET_HEAL_WINDOW_MS) {
		t.window_ms = now;
		t.heals = 0;
	}
	if (t.heals >= NET_HEAL_MAX) {
		loop_timer_set(&t.retry, now + NET_HEAL_RETRY_MS);
		log_err("nat: boxinit's tables were changed by someone else %u times within "
			"%u s (last: %s): no longer restoring them; trying again in %u s or "
			"at the next reload", t.heals + 1, NET_HEAL_WINDOW_MS / 1000, what,
			NET_HEAL_RETRY_MS / 1000);
		return;
	}
	t.heals++;
	log_warn("nat: %s: restoring boxinit's tables", what);
	apply(cfg);
}

static void on_events(struct loop_handler *h, uint32_t events)
{
	int r = nftw_read(&t.watch);

	if (r < 0) {
		log_err("nat: reading nftables events: %s: boxinit's tables are no longer "
			"restored when someone else changes them", strerror(-r));
		loop_del(&t.h);
		t.h.fd = -1;
		nftw_close(&t.watch);
		return;
	}
	if (!(t.watch.changed & t.tables) && !(t.watch.lost && t.tables)) {
		nftw_clear(&t.watch);   /* someone else's tables, or ours gone anyway */
		return;
	}
	if (loop_timer_armed(&t.retry)) {
		char what[192];

		log_debug("nat: %s: not restored (given up until later)",
			  what_happened(what, sizeof(what)));
		nftw_clear(&t.watch);
	} else if (!loop_timer_armed(&t.heal)) {
		/* a whole script (flush, then its own tables) arrives as a burst */
		loop_timer_set(&t.heal, now_ms() + NET_HEAL_DELAY_MS);
	}
}

/* NET_HEAL_DELAY_MS after a foreign change: rebuild from the config in force. */
static void on_heal(struct loop_timer *tm)
{
	const struct config *cfg = t.current ? t.current() : NULL;

	if (cfg)
		heal(cfg, now_ms());
	else
		nftw_clear(&t.watch);
}

/* NET_HEAL_RETRY_MS after giving up: try once more, a fresh count. */
static void on_retry(struct loop_timer *tm)
{
	const struct config *cfg = t.current ? t.current() : NULL;

	t.heals = 0;
	nftw_clear(&t.watch);
	if (!cfg)
		return;
	log_info("nat: rebuilding boxinit's tables again, %u s after giving up",
		 NET_HEAL_RETRY_MS / 1000);
	apply(cfg);
}

/* Open and register the event socket; a failure is said once, when it matters. */
static int watch_open(void)
{
	int r;

	if (t.h.fd >= 0 || !t.want_watch)
		return 0;
	r = nftw_open(&t.watch);
	if (r == 0) {
		t.watch.own = t.nft.sk ? t.nft.portid : 0;
		t.watch.watch = t.tables;
		t.h.fd = nftw_fd(&t.watch);
		t.h.fn = on_events;
		if ((r = loop_add(&t.h, EPOLLIN)) < 0) {
			nftw_close(&t.watch);
			t.h.fd = -1;
		}
	}
	if (r < 0 && t.tables && !t.said_no_watch) {
		log_warn("nat: cannot watch nftables events (%s): boxinit's tables are not "
			 "restored when someone else changes them", strerror(-r));
		t.said_no_watch = true;
	} else if (r < 0) {
		log_debug("nat: nftables events: %s", strerror(-r));
	}
	return r;
}

int net_watch(net_config_fn current)
{
	t.current = current;
	t.heal.fn = on_heal;
	t.retry.fn = on_retry;
	t.want_watch = true;
	relay_set(t.relay, t.nrelay);   /* what the tables asked for before the loop */
	/* no tables, nothing to keep: joining the nftables group would make
	 * the kernel load nf_tables (nfnetlink's request_module) for nothing */
	return t.wanted ? watch_open() : 0;
}

uint64_t net_heal_retry_at(void)
{
	return loop_timer_armed(&t.retry) ? t.retry.when : 0;
}

void net_tables_remove(void)
{
	if (t.tables)
		tables_commit(NULL, 0);
	localnet(NULL, NULL);
	t.tables = t.watch.watch = 0;
	loop_timer_stop(&t.heal);
	loop_timer_stop(&t.retry);
}

void net_tables_close(void)
{
	relay_set(NULL, 0);
	free(t.relay);
	t.relay = NULL;
	t.nrelay = 0;
	if (t.h.fd >= 0)
		loop_del(&t.h);
	t.h.fd = -1;
	nftw_close(&t.watch);
	nl_close(&t.nft);
}
