/* SPDX-License-Identifier: MIT */
/*
 * link: interfaces, IPv4 addresses and routes over rtnetlink(7), one
 * acknowledged request each (netlink.h). Interface names are at most
 * IFNAMSIZ - 1 (15) bytes; a longer one is -EINVAL before anything is
 * sent. Every function works in the network namespace of @nl's socket,
 * returns 0 (or the documented positive value) or -errno with @nl->err
 * describing the failure ("netlink: RTM_NEWLINK br0: File exists"), and
 * logs nothing: the caller decides what the failure means.
 */
#ifndef BOXINIT_LINK_H
#define BOXINIT_LINK_H

#include <stdbool.h>
#include <netinet/in.h>

#include "netlink.h"

/*
 * link_get - RTM_GETLINK by @name: its ifindex (> 0), and in @kind (16
 * bytes, may be NULL) its IFLA_INFO_KIND ("bridge", "veth"; "" for a
 * physical device). -ENODEV when there is no such interface.
 */
int link_get(struct nl *nl, const char *name, char *kind);

/*
 * link_bridge - RTM_NEWLINK kind "bridge" named @name, created up
 * (NLM_F_CREATE | NLM_F_EXCL). An existing bridge of that name is brought
 * up and reused. Returns 1 when created, 0 when reused, -EEXIST (with
 * @nl->err) when @name exists and is not a bridge, or -errno.
 */
int link_bridge(struct nl *nl, const char *name);

/* link_up - RTM_SETLINK IFF_UP on @name. */
int link_up(struct nl *nl, const char *name);

/* link_del - RTM_DELLINK @name (a veth takes its peer along); -ENODEV if none. */
int link_del(struct nl *nl, const char *name);

/*
 * link_veth - one RTM_NEWLINK kind "veth": @host here, up, port of the
 * bridge with ifindex @master; its peer @peer created (down: bring it up
 * from inside) directly in the network namespace @nsfd (IFLA_NET_NS_FD in
 * the VETH_INFO_PEER attributes: about 20x cheaper than moving it
 * afterwards). -EEXIST when @host exists here or @peer there.
 */
int link_veth(struct nl *nl, const char *host, int master, const char *peer,
	      int nsfd);

/*
 * addr_add - RTM_NEWADDR @a/@prefix (broadcast derived) on @ifindex,
 * NLM_F_REPLACE: adding an address that is already there succeeds.
 * @ifname only names it in errors.
 */
int addr_add(struct nl *nl, int ifindex, const char *ifname, struct in_addr a,
	     unsigned prefix);

/*
 * route_default - RTM_NEWROUTE 0.0.0.0/0 via @gw out of @ifindex in the
 * main table (NLM_F_REPLACE: replaces an existing default route).
 */
int route_default(struct nl *nl, int ifindex, const char *ifname, struct in_addr gw);

#endif
