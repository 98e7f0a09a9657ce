/* SPDX-License-Identifier: MIT */
/*
 * peer: who is at the other end of a control connection, by where the
 * process lives rather than by its uid alone.
 *
 * An operator is a process in boxinit's own pid namespace and outside
 * every service cgroup (a shell on the machine, `nsenter` into boxinit's
 * namespaces). A service is a process in a service's cgroup
 * (<boxinit's cgroup>/<subtree>/<service>, v1 and v2, see cgroup.h) or in
 * a pid namespace below boxinit's. Anything else (a peer whose pid is not
 * visible from boxinit's pid namespace, SO_PEERCRED pid 0; a process gone
 * before it could be looked at) is unknown, and refused by the caller.
 *
 * Pid reuse: the pid is pinned as the connecting process with
 * SO_PEERPIDFD (Linux 6.5) and checked alive after /proc/PID was opened;
 * reads go through that /proc/PID directory, which stays bound to the
 * process it was opened for. Without SO_PEERPIDFD, a peer that exits
 * between connect() and the check and whose pid is taken by a process
 * started no later than the check is not detected (the start time is
 * compared with the time of the check).
 */
#ifndef BOXINIT_PEER_H
#define BOXINIT_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

enum peer_kind { PEER_UNKNOWN, PEER_OPERATOR, PEER_SERVICE };

struct peer {
	enum peer_kind kind;
	pid_t pid;                      /* in boxinit's pid namespace; 0 if none */
	uid_t uid;
	char service[CONF_NAME_MAX + 1]; /* PEER_SERVICE: its name, "" if not known */
	char why[64];                   /* PEER_UNKNOWN: the reason, for the log */
};

/*
 * peer_identify - classify the peer of the connected AF_UNIX socket @fd
 * (SO_PEERCRED, SO_PEERPIDFD or pidfd_open(2), /proc/PID/ns/pid,
 * /proc/PID/cgroup, /proc/PID/stat). Never fails: what cannot be decided
 * is PEER_UNKNOWN with @p->why set.
 */
void peer_identify(int fd, struct peer *p);

/*
 * peer_access - what the peer of control connection @fd may ask: an
 * operator with uid 0 everything (CONTROL_FULL), a service with uid 0 what
 * its `control` key grants, anyone else nothing (CONTROL_NONE; a service
 * boxinit cannot name, a peer it cannot see). *@pid gets the peer's pid in
 * boxinit's pid namespace (0 if none), *@operator_peer whether it is an
 * operator with uid 0 (trusted: sock.h), @who (@len bytes) a description
 * for the log ("service web, control = no").
 */
enum svc_control peer_access(int fd, pid_t *pid, bool *operator_peer, char *who,
			     size_t len);

/*
 * peer_cgroup_service - the service whose cgroup holds a process, from
 * the text of its /proc/PID/cgroup (@peer) and boxinit's own
 * /proc/self/cgroup (@self), both as read by boxinit ("ID:CONTROLLERS:PATH"
 * lines), and boxinit's subtree name (@subtree, "boxinit" or
 * "boxinit-PID"). A hierarchy's service cgroups are <base>/NAME, where
 * base is boxinit's path minus "/init" when boxinit sits in its v2 leaf,
 * else boxinit's path + "/" + subtree. Writes NAME to @name (@len bytes)
 * and returns 1; 0 when no line puts the process in a service's cgroup.
 */
int peer_cgroup_service(const char *peer, const char *self, const char *subtree,
			char *name, size_t len);

#endif
