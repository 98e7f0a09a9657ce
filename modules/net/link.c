/* SPDX-License-Identifier: MIT */
/* link: rtnetlink requests for links, addresses, routes. See link.h. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "link.h"

static bool bad_name(const char *name, struct err *e)
{
	if (name && *name && strlen(name) < IFNAMSIZ)
		return false;
	err_setx(e, -EINVAL, "interface name \"%s\": not 1 to %d bytes",
		 name ? name : "", IFNAMSIZ - 1);
	return true;
}

/* A request on a link: header + ifinfomsg (+ IFF_UP when @up). */
static struct nlmsghdr *ifmsg(struct nl *nl, void *buf, uint16_t type,
			      uint16_t flags, bool up)
{
	struct nlmsghdr *h = nl_msg(nl, buf, type, flags);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	if (up)
		ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	return h;
}

struct getlink {
	int index;
	char *kind;
};

static int kind_attr(const struct nlattr *a, void *data)
{
	struct getlink *g = data;

	if (mnl_attr_get_type(a) == IFLA_INFO_KIND && g->kind) {
		size_t n = strnlen(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));

		n = n < IFNAMSIZ ? n : IFNAMSIZ - 1;
		memcpy(g->kind, mnl_attr_get_payload(a), n);
		g->kind[n] = '\0';
	}
	return MNL_CB_OK;
}

static int link_attr(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == IFLA_LINKINFO)
		mnl_attr_parse_nested(a, kind_attr, data);
	return MNL_CB_OK;
}

static int getlink_reply(const struct nlmsghdr *h, void *data)
{
	struct getlink *g = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);

	if (h->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(h) < sizeof(*ifi)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	g->index = ifi->ifi_index;
	return mnl_attr_parse(h, sizeof(*ifi), link_attr, g);
}

int link_get(struct nl *nl, const char *name, char *kind, struct err *e)
{
	char buf[NL_MSG_MAX] __attribute__((aligned(4)));
	struct getlink g = { 0, kind };
	struct nlmsghdr *h;
	int r;

	if (bad_name(name, e))
		return -EINVAL;
	if (kind)
		kind[0] = '\0';
	h = ifmsg(nl, buf, RTM_GETLINK, 0, false);
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	mnl_attr_put_u32(h, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	r = nl_talk(nl, buf, h->nlmsg_len, name, getlink_reply, &g, e);
	if (r < 0)
		return r;
	if (g.index <= 0)
		return err_setx(e, -EBADMSG, "RTM_GETLINK %s: no reply", name);
	return g.index;
}

int link_bridge(struct nl *nl, const char *name, struct err *e)
{
	char buf[NL_MSG_MAX] __attribute__((aligned(4)));
	char kind[IFNAMSIZ];
	struct nlmsghdr *h;
	struct nlattr *info;
	int r;

	if (bad_name(name, e))
		return -EINVAL;
	h = ifmsg(nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, true);
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(h, info);
	r = nl_talk(nl, buf, h->nlmsg_len, name, NULL, NULL, e);
	if (r != -EEXIST)
		return r < 0 ? r : 1;
	if ((r = link_get(nl, name, kind, e)) < 0)
		return r;
	if (strcmp(kind, "bridge"))
		return err_setx(e, -EEXIST, "%s exists and is not a bridge (%s)",
				name, kind[0] ? kind : "a device");
	r = link_up(nl, name, e);
	return r < 0 ? r : 0;
}

int link_up(struct nl *nl, const char *name, struct err *e)
{
	char buf[NL_MSG_MAX] __attribute__((aligned(4)));
	struct nlmsghdr *h;

	if (bad_name(name, e))
		return -EINVAL;
	h = ifmsg(nl, buf, RTM_SETLINK, 0, true);
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	return nl_talk(nl, buf, h->nlmsg_len, name, NULL, NULL, e);
}

int link_loopback_up(struct err *e)
{
	struct nl nl;
	int r = nl_open(&nl, NETLINK_ROUTE, e);

	if (r < 0)
		return r;
	r = link_up(&nl, "lo", e);
	nl_close(&nl);
	return r;
}

int link_del(struct nl *nl, const char *name, struct err *e)
{
	char buf[NL_MSG_MAX] __attribute__((aligned(4)));
	struct nlmsghdr *h;

	if (bad_name(name, e))
		return -EINVAL;
	h = ifmsg(nl, buf, RTM_DELLINK, 0, false);
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	return nl_talk(nl, buf, h->nlmsg_len, name, NULL, NULL, e);
}

/* One tx and one rx queue, said at creation: a veth made with as many
 * as CPUs is cut down to one right after (veth_init_queues), and that
 * waits for an expedited RCU grace period under the rtnl lock, for each
 * end of each pair. */
static void one_queue(struct nlmsghdr *h)
{
	mnl_attr_put_u32(h, IFLA_NUM_TX_QUEUES, 1);
	mnl_attr_put_u32(h, IFLA_NUM_RX_QUEUES, 1);
}

int link_veth(struct nl *nl, const char *host, int master, const char *peer,
	      const uint8_t *peer_mac, int nsfd, struct err *e)
{
	char buf[NL_MSG_MAX] __attribute__((aligned(4)));
	struct nlattr *info, *data, *pn;
	struct ifinfomsg *ifi;
	struct nlmsghdr *h;

	if (bad_name(host, e) || bad_name(peer, e))
		return -EINVAL;
	h = ifmsg(nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, true);
	mnl_attr_put_strz(h, IFLA_IFNAME, host);
	if (master > 0)
		mnl_attr_put_u32(h, IFLA_MASTER, (uint32_t)master);
	one_queue(h);
	info = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
	pn = mnl_attr_nest_start(h, VETH_INFO_PEER);
	/* no IFF_UP here: the peer is configured before the pair is linked,
	 * and opening it then fails with ENOTCONN (veth_open) */
	ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, peer);
	if (peer_mac)
		mnl_attr_put(h, IFLA_ADDRESS, 6, peer_mac);
	mnl_attr_put_u32(h, IFLA_NET_NS_FD, (uint32_t)nsfd);
	one_queue(h);
	mnl_attr_nest_end(h, pn);
	mnl_attr_nest_end(h, data);
	mnl_attr_nest_end(h, info);
	return nl_talk(nl, buf, h->nlmsg_len, host, NULL, NULL, e);
}

int link_hairpin(struct nl *nl, const char *name, struct err *e)
{
	char buf[NL_MSG_MAX] __attribute__((aligned(4)));
	struct nlattr *info, *data;
	struct nlmsghdr *h;

	if (bad_name(name, e))
		return -EINVAL;
	h = ifmsg(nl, buf, RTM_NEWLINK, 0, false);
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_SLAVE_KIND, "bridge");
	data = mnl_attr_nest_start(h, IFLA_INFO_SLAVE_DATA);
	mnl_attr_put_u8(h, IFLA_BRPORT_MODE, 1);
	mnl_attr_nest_end(h, data);
	mnl_attr_nest_end(h, info);
	return nl_talk(nl, buf, h->nlmsg_len, name, NULL, NULL, e);
}

/* RTM_NEWADDR / RTM_DELADDR of @alen bytes @a/@prefix (@family) on @ifindex */
static int addr_msg(struct nl *nl, uint16_t type, uint16_t flags, int ifindex,
		    const char *ifname, int family, const void *a, unsigned prefix,
		    uint32_t ifa_flags, struct err *e)
{
	char buf[NL_MSG_MAX] __attribute__((aligned(4)));
	char what[IFNAMSIZ + INET6_ADDRSTRLEN + 8], txt[INET6_ADDRSTRLEN];
	size_t alen = family == AF_INET ? 4 : 16;
	struct ifaddrmsg *ifa;
	struct nlmsghdr *h;

	h = nl_msg(nl, buf, type, flags);
	ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_prefixlen = (uint8_t)prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	mnl_attr_put(h, IFA_LOCAL, alen, a);
	mnl_attr_put(h, IFA_ADDRESS, alen, a);
	if (family == AF_INET && prefix < 31 && type == RTM_NEWADDR) {
		uint32_t host = 0xffffffffu >> prefix;
		struct in_addr bcast;

		memcpy(&bcast, a, 4);
		bcast.s_addr |= htonl(host);
		mnl_attr_put(h, IFA_BROADCAST, sizeof(bcast), &bcast);
	}
	if (ifa_flags)
		mnl_attr_put_u32(h, IFA_FLAGS, ifa_flags);
	snprintf(what, sizeof(what), "%s %s/%u", ifname,
		 inet_ntop(family, a, txt, sizeof(txt)), prefix);
	return nl_talk(nl, buf, h->nlmsg_len, what, NULL, NULL, e);
}

/* add, and tell whether it was there: 1 created, 0 existed (replaced) */
static int addr_put(struct nl *nl, int ifindex, const char *ifname, int family,
		    const void *a, unsigned prefix, uint32_t ifa_flags, struct err *e)
{
	int r = addr_msg(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, ifname,
			 family, a, prefix, ifa_flags, e);

	if (r != -EEXIST)
		return r < 0 ? r : 1;
	err_clear(e);            /* it exists: not a failure */
	r = addr_msg(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, ifindex, ifname,
		     family, a, prefix, ifa_flags, e);
	return r < 0 ? r : 0;
}

int addr_add(struct nl *nl, int ifindex, const char *ifname, struct in_addr a,
	     unsigned prefix, struct err *e)
{
	return addr_put(nl, ifindex, ifname, AF_INET, &a, prefix, 0, e);
}

int addr_del(struct nl *nl, int ifindex, const char *ifname, struct in_addr a,
	     unsigned prefix, struct err *e)
{
	return addr_msg(nl, RTM_DELADDR, 0, ifindex, ifname, AF_INET, &a, prefix, 0, e);
}

int addr6_add(struct nl *nl, int ifindex, const char *ifname, const struct in6_addr *a,
	      unsigned prefix, struct err *e)
{
	return addr_put(nl, ifindex, ifname, AF_INET6, a, prefix, IFA_F_NODAD, e);
}

int addr6_del(struct nl *nl, int ifindex, const char *ifname, const struct in6_addr *a,
	      unsigned prefix, struct err *e)
{
	return addr_msg(nl, RTM_DELADDR, 0, ifindex, ifname, AF_INET6, a, prefix, 0, e);
}

int link_addr_gen_none(struct nl *nl, const char *name, struct err *e)
{
	char buf[NL_MSG_MAX] __attribute__((aligned(4)));
	struct nlattr *spec, *in6;
	struct nlmsghdr *h;

	if (bad_name(name, e))
		return -EINVAL;
	h = ifmsg(nl, buf, RTM_SETLINK, 0, false);
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	spec = mnl_attr_nest_start(h, IFLA_AF_SPEC);
	in6 = mnl_attr_nest_start(h, AF_INET6);
	mnl_attr_put_u8(h, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(h, in6);
	mnl_attr_nest_end(h, spec);
	return nl_talk(nl, buf, h->nlmsg_len, name, NULL, NULL, e);
}

/* RTM_NEWROUTE / RTM_DELROUTE of the default route via @gw (@family) */
static int route_msg(struct nl *nl, uint16_t type, uint16_t flags, int ifindex,
		     const char *ifname, int family, const void *gw, struct err *e)
{
	char buf[NL_MSG_MAX] __attribute__((aligned(4)));
	char what[IFNAMSIZ + INET6_ADDRSTRLEN + 24], txt[INET6_ADDRSTRLEN];
	struct nlmsghdr *h;
	struct rtmsg *rt;

	h = nl_msg(nl, buf, type, flags);
	rt = mnl_nlmsg_put_extra_header(h, sizeof(*rt));
	rt->rtm_family = (uint8_t)family;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	mnl_attr_put(h, RTA_GATEWAY, family == AF_INET ? 4 : 16, gw);
	mnl_attr_put_u32(h, RTA_OIF, (uint32_t)ifindex);
	snprintf(what, sizeof(what), "default via %s dev %s",
		 inet_ntop(family, gw, txt, sizeof(txt)), ifname);
	return nl_talk(nl, buf, h->nlmsg_len, what, NULL, NULL, e);
}

int route_default(struct nl *nl, int ifindex, const char *ifname, struct in_addr gw,
		  struct err *e)
{
	return route_msg(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, ifindex, ifname,
			 AF_INET, &gw, e);
}

int route_del_default(struct nl *nl, int ifindex, const char *ifname, struct in_addr gw,
		      struct err *e)
{
	return route_msg(nl, RTM_DELROUTE, 0, ifindex, ifname, AF_INET, &gw, e);
}

int route6_default(struct nl *nl, int ifindex, const char *ifname, const struct in6_addr *gw,
		   struct err *e)
{
	return route_msg(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, ifindex, ifname,
			 AF_INET6, gw, e);
}

int route6_del_default(struct nl *nl, int ifindex, const char *ifname,
		       const struct in6_addr *gw, struct err *e)
{
	return route_msg(nl, RTM_DELROUTE, 0, ifindex, ifname, AF_INET6, gw, e);
}
