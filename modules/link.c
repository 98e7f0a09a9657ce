/* SPDX-License-Identifier: MIT */
/* link: rtnetlink requests for links, addresses, routes. See link.h. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "link.h"

static bool bad_name(struct nl *nl, const char *name)
{
	if (name && *name && strlen(name) < IFNAMSIZ)
		return false;
	snprintf(nl->err, sizeof(nl->err), "interface name \"%s\": not 1 to %d bytes",
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

int link_get(struct nl *nl, const char *name, char *kind)
{
	char buf[NL_MSG_MAX] __attribute__((aligned(4)));
	struct getlink g = { 0, kind };
	struct nlmsghdr *h;
	int r;

	if (bad_name(nl, name))
		return -EINVAL;
	if (kind)
		kind[0] = '\0';
	h = ifmsg(nl, buf, RTM_GETLINK, 0, false);
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	mnl_attr_put_u32(h, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	r = nl_talk(nl, buf, h->nlmsg_len, name, getlink_reply, &g);
	if (r < 0)
		return r;
	if (g.index <= 0) {
		snprintf(nl->err, sizeof(nl->err), "netlink: RTM_GETLINK %s: no reply", name);
		return -EBADMSG;
	}
	return g.index;
}

int link_bridge(struct nl *nl, const char *name)
{
	char buf[NL_MSG_MAX] __attribute__((aligned(4)));
	char kind[IFNAMSIZ];
	struct nlmsghdr *h;
	struct nlattr *info;
	int r;

	if (bad_name(nl, name))
		return -EINVAL;
	h = ifmsg(nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, true);
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(h, info);
	r = nl_talk(nl, buf, h->nlmsg_len, name, NULL, NULL);
	if (r != -EEXIST)
		return r < 0 ? r : 1;
	if ((r = link_get(nl, name, kind)) < 0)
		return r;
	if (strcmp(kind, "bridge")) {
		snprintf(nl->err, sizeof(nl->err), "%s exists and is not a bridge (%s)",
			 name, kind[0] ? kind : "a device");
		return -EEXIST;
	}
	r = link_up(nl, name);
	return r < 0 ? r : 0;
}

int link_up(struct nl *nl, const char *name)
{
	char buf[NL_MSG_MAX] __attribute__((aligned(4)));
	struct nlmsghdr *h;

	if (bad_name(nl, name))
		return -EINVAL;
	h = ifmsg(nl, buf, RTM_SETLINK, 0, true);
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	return nl_talk(nl, buf, h->nlmsg_len, name, NULL, NULL);
}

int link_del(struct nl *nl, const char *name)
{
	char buf[NL_MSG_MAX] __attribute__((aligned(4)));
	struct nlmsghdr *h;

	if (bad_name(nl, name))
		return -EINVAL;
	h = ifmsg(nl, buf, RTM_DELLINK, 0, false);
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	return nl_talk(nl, buf, h->nlmsg_len, name, NULL, NULL);
}

int link_veth(struct nl *nl, const char *host, int master, const char *peer,
	      int nsfd)
{
	char buf[NL_MSG_MAX] __attribute__((aligned(4)));
	struct nlattr *info, *data, *pn;
	struct ifinfomsg *ifi;
	struct nlmsghdr *h;

	if (bad_name(nl, host) || bad_name(nl, peer))
		return -EINVAL;
	h = ifmsg(nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, true);
	mnl_attr_put_strz(h, IFLA_IFNAME, host);
	if (master > 0)
		mnl_attr_put_u32(h, IFLA_MASTER, (uint32_t)master);
	info = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
	pn = mnl_attr_nest_start(h, VETH_INFO_PEER);
	/* no IFF_UP here: the peer is configured before the pair is linked,
	 * and opening it then fails with ENOTCONN (veth_open) */
	ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, peer);
	mnl_attr_put_u32(h, IFLA_NET_NS_FD, (uint32_t)nsfd);
	mnl_attr_nest_end(h, pn);
	mnl_attr_nest_end(h, data);
	mnl_attr_nest_end(h, info);
	return nl_talk(nl, buf, h->nlmsg_len, host, NULL, NULL);
}

int addr_add(struct nl *nl, int ifindex, const char *ifname, struct in_addr a,
	     unsigned prefix)
{
	char buf[NL_MSG_MAX] __attribute__((aligned(4)));
	char what[IFNAMSIZ + INET_ADDRSTRLEN + 8], txt[INET_ADDRSTRLEN];
	uint32_t host = prefix >= 32 ? 0 : 0xffffffffu >> prefix;
	struct in_addr bcast = { a.s_addr | htonl(host) };
	struct ifaddrmsg *ifa;
	struct nlmsghdr *h;

	h = nl_msg(nl, buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
	ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (uint8_t)prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	mnl_attr_put(h, IFA_LOCAL, sizeof(a), &a);
	mnl_attr_put(h, IFA_ADDRESS, sizeof(a), &a);
	if (prefix < 31)
		mnl_attr_put(h, IFA_BROADCAST, sizeof(bcast), &bcast);
	snprintf(what, sizeof(what), "%s %s/%u", ifname,
		 inet_ntop(AF_INET, &a, txt, sizeof(txt)), prefix);
	return nl_talk(nl, buf, h->nlmsg_len, what, NULL, NULL);
}

int route_default(struct nl *nl, int ifindex, const char *ifname, struct in_addr gw)
{
	char buf[NL_MSG_MAX] __attribute__((aligned(4)));
	char what[IFNAMSIZ + INET_ADDRSTRLEN + 24], txt[INET_ADDRSTRLEN];
	struct nlmsghdr *h;
	struct rtmsg *rt;

	h = nl_msg(nl, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
	rt = mnl_nlmsg_put_extra_header(h, sizeof(*rt));
	rt->rtm_family = AF_INET;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	mnl_attr_put(h, RTA_GATEWAY, sizeof(gw), &gw);
	mnl_attr_put_u32(h, RTA_OIF, (uint32_t)ifindex);
	snprintf(what, sizeof(what), "default via %s dev %s",
		 inet_ntop(AF_INET, &gw, txt, sizeof(txt)), ifname);
	return nl_talk(nl, buf, h->nlmsg_len, what, NULL, NULL);
}
