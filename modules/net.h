/* SPDX-License-Identifier: MIT */
/*
 * net: what boxinit does with the network part of the configuration.
 *
 *   host        sysctl.* (written to /proc/sys), net.ipv4.ip_forward = 1
 *               when NAT or port forwards need it, the bridge net.bridge
 *               (created, or reused when it exists) with net.address, up;
 *               iface.NAME.address / .gateway (address, up, default route)
 *   services    net = bridge: a veth pair per service: the host end
 *               (net_veth_name()) is a port of the bridge, the peer is
 *               created directly in the service's network namespace as
 *               "eth0" with net_service_address()/N, lo and eth0 up,
 *               default route via the bridge's address.
 *               net = none: nothing here (container_enter() brings lo
 *               up in the new namespace). net = host: nothing.
 *   nat         table ip boxinit (nat.h): masquerade of the bridge subnet
 *               (net.nat), DNAT of the port forwards (service.*.ports).
 *
 * Everything goes through rtnetlink / nfnetlink (link.h, nat.h); every
 * failure is logged here, once, with what failed and on what.
 */
#ifndef BOXINIT_NET_H
#define BOXINIT_NET_H

#include <net/if.h>
#include <sys/types.h>
#include <netinet/in.h>

#include "config.h"

/*
 * net_host_setup - at boot, after the kernel modules: the sysctls, the
 * bridge and its address (only when net.address is set or a service uses
 * net = bridge), the iface.* uplinks, and the NAT table (only when net.nat
 * or a port forward asks for it). Continues past failures. Returns the
 * number of failures (0: all done); each one is logged.
 */
int net_host_setup(const struct config *cfg);

/*
 * net_service_attach - connect service @c, whose container's reaper is
 * @pid (already in its new network namespace, /proc/@pid/ns/net, not yet
 * running the service): for net = bridge, the veth pair with its peer
 * created inside that namespace (one RTM_NEWLINK), then, through a
 * netlink socket opened inside the namespace (setns(2) of the calling
 * thread there and straight back to boxinit's own namespace: nothing else
 * runs in between, boxinit is single-threaded), address, lo up and the
 * default route. A host end left by the previous instance (namespace
 * teardown is asynchronous) is deleted and the pair created again.
 * Without net.address the service gets the link only (no address).
 * net = none / host: nothing to do. Returns 0, or -errno after logging
 * "NAME: network: ..."; the service must not be started then.
 */
int net_service_attach(const struct config *cfg, const struct svc_conf *c, pid_t pid);

/*
 * net_nat_apply - (re)build table ip boxinit from @cfg in one atomic
 * batch, or remove it when neither net.nat nor any port forward needs it
 * (only if boxinit made it). Sets net.ipv4.ip_forward = 1 when needed
 * (unless a sysctl.net.ipv4.ip_forward key says otherwise). Called by
 * net_host_setup() and on reload. Returns 0 or -errno; a failure is
 * logged with what it means: services stay reachable on the bridge.
 */
int net_nat_apply(const struct config *cfg);

/*
 * net_teardown - at shutdown, after the services stopped: remove table
 * ip boxinit and delete the bridge if boxinit created it. Failures are
 * logged.
 */
void net_teardown(const struct config *cfg);

/*
 * net_service_address - the IPv4 address of service @c (net = bridge):
 * service.NAME.ip, or for "auto" (and when ip is not set) an address of
 * the net.address subnet chosen from a hash of the name, probing upwards
 * past the bridge's address, the network and broadcast addresses, every
 * static ip and the auto addresses of the services before @c in the
 * file: the same config always gives the same addresses. Returns 0,
 * -EINVAL (not net = bridge), -EDESTADDRREQ (no net.address), -ENOSPC
 * (subnet full) or -ENOMEM.
 */
int net_service_address(const struct config *cfg, const struct svc_conf *c,
			struct in_addr *out);

/*
 * net_veth_name - the host end's name for service @svc (at most 15 bytes
 * + NUL into @out): "bx" + the name when it fits in 14 bytes, else "bx" +
 * its first 7 bytes + "-" + 5 hex digits of a hash of the whole name
 * (exactly 15 bytes: the two forms never collide; two long names sharing
 * a prefix differ unless their 20-bit hashes do).
 */
void net_veth_name(const char *svc, char out[IFNAMSIZ]);

#endif
