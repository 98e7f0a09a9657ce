/* SPDX-License-Identifier: MIT */
/*
 * link: interfaces, addresses and routes over rtnetlink(7), one
 * acknowledged request each (netlink.h). Interface names are at most
 * IFNAMSIZ - 1 (15) bytes; a longer one is -EINVAL before anything is
 * sent. Every function works in the network namespace of @nl's socket,
 * returns 0 (or the documented positive value) or -errno with @e (may be
 * NULL) describing the failure ("RTM_NEWLINK br0: File exists", as
 * nl_talk), and logs nothing: the caller decides what the failure means.
 */
#ifndef BOXINIT_LINK_H
#define BOXINIT_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "netlink.h"

/*
 * link_get - RTM_GETLINK by @name: its ifindex (> 0), and in @kind (16
 * bytes, may be NULL) its IFLA_INFO_KIND ("bridge", "veth"; "" for a
 * physical device). -ENODEV when there is no such interface.
 */
int link_get(struct nl *nl, const char *name, char *kind, struct err *e);

/*
 * link_bridge - RTM_NEWLINK kind "bridge" named @name, created up
 * (NLM_F_CREATE | NLM_F_EXCL). An existing bridge of that name is brought
 * up and reused. Returns 1 when created, 0 when reused, -EEXIST (@e
 * "br0 exists and is not a bridge (veth)") when @name exists and is not
 * a bridge, or -errno.
 */
int link_bridge(struct nl *nl, const char *name, struct err *e);

/* link_up - RTM_SETLINK IFF_UP on @name. */
int link_up(struct nl *nl, const char *name, struct err *e);

/*
 * link_loopback_up - "lo" up (link_up) in the caller's own network
 * namespace, over a netlink socket opened and closed for it: PID 1's at
 * boot, a container's in its child (which logs nothing and reports the
 * error back). Returns 0 or -errno with @e set.
 */
int link_loopback_up(struct err *e);

/* link_del - RTM_DELLINK @name (a veth takes its peer along); -ENODEV if none. */
int link_del(struct nl *nl, const char *name, struct err *e);

/*
 * link_veth - one RTM_NEWLINK kind "veth": @host here, up, port of the
 * bridge with ifindex @master; its peer @peer created (down: bring it up
 * from inside) directly in the network namespace @nsfd (IFLA_NET_NS_FD in
 * the VETH_INFO_PEER attributes: about 20x cheaper than moving it
 * afterwards), with the Ethernet address @peer_mac (6 bytes, IFLA_ADDRESS;
 * NULL: a random one). -EEXIST when @host exists here or @peer there.
 */
int link_veth(struct nl *nl, const char *host, int master, const char *peer,
	      const uint8_t *peer_mac, int nsfd, struct err *e);

/*
 * link_hairpin - bridge port @name in hairpin mode (RTM_NEWLINK on the
 * existing link: IFLA_INFO_SLAVE_KIND "bridge", IFLA_BRPORT_MODE 1): the
 * bridge may send a frame back out of the port it came in by. Needed
 * where br_netfilter makes the bridge itself DNAT a service's packet to
 * the service (its own published port). -ENODEV if no such link.
 */
int link_hairpin(struct nl *nl, const char *name, struct err *e);

/*
 * addr_add - RTM_NEWADDR @a/@prefix (broadcast derived) on @ifindex: 1
 * when it was created, 0 when it was there already (then replaced,
 * NLM_F_REPLACE, and not boxinit's to remove). @ifname only names it in
 * errors.
 */
int addr_add(struct nl *nl, int ifindex, const char *ifname, struct in_addr a,
	     unsigned prefix, struct err *e);

/* addr_del - RTM_DELADDR @a/@prefix from @ifindex; -EADDRNOTAVAIL if absent. */
int addr_del(struct nl *nl, int ifindex, const char *ifname, struct in_addr a,
	     unsigned prefix, struct err *e);

/*
 * addr6_add / addr6_del - the same for the IPv6 address @a/@prefix; added
 * with IFA_F_NODAD: usable at once (no duplicate address detection: the
 * addresses boxinit hands out are unique by construction).
 */
int addr6_add(struct nl *nl, int ifindex, const char *ifname, const struct in6_addr *a,
	      unsigned prefix, struct err *e);
int addr6_del(struct nl *nl, int ifindex, const char *ifname, const struct in6_addr *a,
	      unsigned prefix, struct err *e);

/*
 * link_addr_gen_none - RTM_SETLINK IFLA_AF_SPEC / AF_INET6 /
 * IFLA_INET6_ADDR_GEN_MODE = IN6_ADDR_GEN_MODE_NONE on @name: the kernel
 * makes no link-local address of its own (and runs no DAD for one) when
 * the link comes up; the caller adds it. -EAFNOSUPPORT without IPv6.
 */
int link_addr_gen_none(struct nl *nl, const char *name, struct err *e);

/*
 * route_default - RTM_NEWROUTE 0.0.0.0/0 via @gw out of @ifindex in the
 * main table (NLM_F_REPLACE: replaces an existing default route).
 * route_del_default - RTM_DELROUTE of that route; -ESRCH if absent.
 */
int route_default(struct nl *nl, int ifindex, const char *ifname, struct in_addr gw,
		  struct err *e);
int route_del_default(struct nl *nl, int ifindex, const char *ifname, struct in_addr gw,
		      struct err *e);

/* route6_default / route6_del_default - the same for ::/0 via @gw (IPv6). */
int route6_default(struct nl *nl, int ifindex, const char *ifname, const struct in6_addr *gw,
		   struct err *e);
int route6_del_default(struct nl *nl, int ifindex, const char *ifname,
		       const struct in6_addr *gw, struct err *e);

#endif
