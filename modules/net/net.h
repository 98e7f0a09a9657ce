/* SPDX-License-Identifier: MIT */
/*
 * net: what boxinit does with the network part of the configuration.
 *
 *   host        sysctl.* (written to /proc/sys), net.ipv4.ip_forward = 1
 *               (net.ipv6.conf.all.forwarding = 1) when NAT or port
 *               forwards need it, the bridge net.bridge (created, or
 *               reused when it exists) with net.address and net.address6,
 *               up; iface.NAME.address / .gateway / .address6 / .gateway6
 *               (addresses, up, default routes)
 *   services    net = bridge: a veth pair per service: the host end
 *               (net_veth_name()) is a port of the bridge, the peer is
 *               created directly in the service's network namespace as
 *               "eth0" with the MAC net_service_mac(),
 *               net_service_address()/N and net_service_address6()/N
 *               with its link-local address, lo and eth0 up, default
 *               routes via the bridge's addresses.
 *               net = none: nothing here (container_enter() brings lo
 *               up in the new namespace). net = host: nothing.
 *   tables      table ip boxinit (nat.h): masquerade of the bridge subnet
 *               (net.nat), DNAT of the port forwards (service.*.ports),
 *               hairpin and localhost; table ip6 boxinit the same for
 *               IPv6 (net.nat6), [::1]:HOST relayed (relay.h); table
 *               bridge boxinit (antispoof.h): each service port sends
 *               from its service's MAC and addresses only. Kept when
 *               someone else changes them (net_watch).
 *
 * Everything goes through rtnetlink / nfnetlink (link.h, nat.h), whose
 * error values (err.h) say what failed and on what. The failures of the
 * host's network and of the tables are logged here, once, with what they
 * mean; a service's (net_service_attach) go back to its caller.
 */
#ifndef BOXINIT_NET_H
#define BOXINIT_NET_H

#include <net/if.h>
#include <stdint.h>
#include <sys/types.h>
#include <stdbool.h>
#include <netinet/in.h>

#include "config.h"
#include "err.h"

/*
 * net_host_setup - at boot (PID 1, or a supervisor: boxinit --config),
 * after the kernel modules: the sysctls, the
 * bridge and its address (only when net.address is set or a service uses
 * net = bridge), the iface.* uplinks, and the NAT table (only when net.nat
 * or a port forward asks for it). Continues past failures. Returns the
 * number of failures (0: all done); each one is logged.
 */
int net_host_setup(const struct config *cfg);

/*
 * net_host_sysctls_early - at boot, while the modules still load (before
 * net_host_setup() and before any service runs): the sysctl.* keys of
 * @cfg whose /proc/sys file exists already are written (remembered, as
 * net_host_setup() does, to be given back at exit); the others (a
 * module's, net.bridge.*) wait for net_host_setup(), which writes them
 * all. Returns the number of failures; each one is logged.
 */
int net_host_sysctls_early(const struct config *cfg);

/*
 * net_host_apply - at a reload, before the services follow @cfg: what
 * net_host_setup() does, as changes against what is in place: a sysctl.*
 * key gone from the config gets back the value it had before boxinit
 * wrote it; addresses and default routes boxinit added that @cfg no
 * longer asks for (the bridge's old address, an uplink's) are removed; a
 * bridge boxinit created that is renamed or no longer needed is deleted;
 * the new ones are set up; then the tables (net_nat_apply). Returns the
 * number of failures; each one is logged.
 */
int net_host_apply(const struct config *cfg);

/*
 * net_service_current - true when the running instance of service @c
 * (as net_service_attach() connected it) has the network @cfg would give
 * it: the same bridge, address, prefix, gateway and MAC; or when it is
 * not on the bridge or was never attached. A reload restarts a service
 * for which this is false even when its own settings did not change.
 */
bool net_service_current(const struct config *cfg, const struct svc_conf *c);

/*
 * net_service_attach - connect service @c, whose container's reaper is
 * @pid (already in its new network namespace, /proc/@pid/ns/net, not yet
 * running the service): for net = bridge, the veth pair with its peer
 * created inside that namespace (one RTM_NEWLINK), then, through a
 * netlink socket opened inside the namespace (setns(2) of the calling
 * thread there and straight back to boxinit's own namespace: nothing else
 * runs in between, boxinit is single-threaded), addresses (IPv6 ones
 * without DAD, its link-local one made by boxinit: usable at once), lo
 * up and the default routes. A service with published ports gets its
 * host end in hairpin mode. A host end left by the previous instance
 * (namespace teardown is asynchronous) is deleted and the pair created
 * again. What it got is remembered (net_service_current,
 * net_service_address_of). Without net.address the service gets the
 * link only (no address).
 * net = none / host: nothing to do. Returns 0, or -errno with @e (may
 * be NULL) saying what failed, e.g. "network: RTM_NEWLINK bxweb: File
 * exists"; nothing is logged (the caller adds the service's name and logs
 * it once); the service must not be started then.
 */
int net_service_attach(const struct config *cfg, const struct svc_conf *c, pid_t pid,
		       struct err *e);

/*
 * net_nat_apply - (re)build boxinit's tables from @cfg in one atomic
 * batch: table ip boxinit (NAT) when net.nat or a port forward needs it,
 * table ip6 boxinit when net.nat6 or an IPv6 port forward does, table
 * bridge boxinit (anti-spoofing) when a service uses net = bridge,
 * whether or not NAT is on; a table no longer needed is removed (only if
 * boxinit made it). When the kernel refuses one table (no bridge family:
 * one message, logged once), the others are written alone. Sets
 * net.ipv4.ip_forward = 1 (net.ipv6.conf.all.forwarding = 1) when NAT
 * needs it, unless a sysctl.* key for it says otherwise, and gives it
 * back when no longer needed. Called by
 * net_host_setup() and on reload; ends a fight net_watch() gave up.
 * Returns 0 or -errno; a failure is logged with what it means (services
 * stay reachable on the bridge).
 */
int net_nat_apply(const struct config *cfg);

/* Keeping the tables: rebuilt at most NET_HEAL_MAX times within
 * NET_HEAL_WINDOW_MS, NET_HEAL_DELAY_MS after the first foreign change of
 * a burst; after that, left alone for NET_HEAL_RETRY_MS. */
#define NET_HEAL_DELAY_MS   200u
#define NET_HEAL_MAX        5u
#define NET_HEAL_WINDOW_MS  60000u
#define NET_HEAL_RETRY_MS   300000u

/*
 * net_watch - subscribe to the kernel's nftables events (nftwatch.h) and
 * register the socket in the event loop (loop_init() done): from now on a
 * change or deletion of boxinit's tables by anyone else (an `nft flush
 * ruleset`, a firewall starting) is logged, with the process the kernel
 * names, and the tables are rebuilt from the configuration in force
 * (what @current returns then; NULL: nothing is rebuilt) by a loop timer
 * NET_HEAL_DELAY_MS later, so that a burst is rebuilt once. Changes boxinit made itself (its commit socket's port id) are
 * not counted. More than NET_HEAL_MAX rebuilds within NET_HEAL_WINDOW_MS:
 * one error says who keeps changing them, and boxinit leaves the tables
 * alone until NET_HEAL_RETRY_MS later (another loop timer) or the next
 * net_nat_apply() (a reload). The [::1] relays (relay.h) start here too.
 * While the configuration wants no tables nothing is subscribed (that
 * would load nf_tables): the first net_nat_apply() that wants some does
 * it. Once; returns 0 or -errno (logged: the tables are then not kept).
 */
typedef struct config *(*net_config_fn)(void);
int net_watch(net_config_fn current);

/*
 * net_heal_retry_at - when boxinit tries its tables again after giving up
 * a fight (monotonic ms; the timer net_watch() armed), 0 when it has not
 * given up.
 */
uint64_t net_heal_retry_at(void);

/*
 * net_teardown - at shutdown or a supervisor's exit, after the services
 * stopped: remove what boxinit made and nothing else: the tables ip and
 * bridge boxinit, the host ends of the services of @cfg (their pairs
 * would go with their namespaces, some time later), the addresses and
 * default routes it added to uplinks (not those that were there before),
 * the bridge if it created it (else its address, if it added it), and
 * the sysctls it wrote get back the values they had before. Failures are
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
 * net_service_address6 - the IPv6 address of service @c (net = bridge):
 * service.NAME.ip6, or for "auto" (and when ip6 is not set) an address of
 * the net.address6 prefix whose host part comes from a hash of the name,
 * probing upwards past the bridge's address, the prefix itself, every
 * static ip6 and the auto addresses of the services before @c: stable
 * across restarts and reloads. Returns 0, -EINVAL (not net = bridge),
 * -EDESTADDRREQ (no net.address6), -ENOSPC or -ENOMEM.
 */
int net_service_address6(const struct config *cfg, const struct svc_conf *c,
			 struct in6_addr *out);

/*
 * net_link_local - the IPv6 link-local address fe80::/64 made of @mac (6
 * bytes) by the modified EUI-64 of RFC 4291: what a service's eth0 gets
 * (boxinit sets it itself, without DAD) and what the bridge table lets
 * its port send from.
 */
void net_link_local(const uint8_t mac[6], struct in6_addr *out);

/*
 * net_service_address_of - the IPv4 address service @c has (what
 * net_service_attach() gave its last instance) or, never attached, would
 * get (net_service_address()); for boxctl status. Same returns.
 */
int net_service_address_of(const struct config *cfg, const struct svc_conf *c,
			   struct in_addr *out);

/* net_service_address6_of - the same for its IPv6 address (net_service_address6()). */
int net_service_address6_of(const struct config *cfg, const struct svc_conf *c,
			    struct in6_addr *out);

/*
 * net_service_mac - the Ethernet address (6 bytes into @mac) of the eth0
 * of service @c (net = bridge): 02 (locally administered, unicast) and
 * 40 bits of a hash of its name, so stable across restarts and reloads
 * and known before the service runs (the anti-spoofing rules use it).
 * Unique among the bridged services of @cfg: when an earlier one (file
 * order) has the value, the next free one is taken and 1 returned, with
 * *@other (may be NULL) naming that service; else 0. -ENOMEM.
 */
int net_service_mac(const struct config *cfg, const struct svc_conf *c, uint8_t mac[6],
		    const char **other);

/*
 * net_veth_name - the host end's name for service @svc (at most 15 bytes
 * + NUL into @out): "bx" + the name when it fits in 14 bytes, else "bx" +
 * its first 7 bytes + "-" + 5 hex digits of a hash of the whole name
 * (exactly 15 bytes: the two forms never collide; two long names sharing
 * a prefix differ unless their 20-bit hashes do).
 */
void net_veth_name(const char *svc, char out[IFNAMSIZ]);

#endif
