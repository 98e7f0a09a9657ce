/* SPDX-License-Identifier: MIT */
/*
 * cgroup: one cgroup per service with CPU, memory, swap and pids limits,
 * on cgroup v2, on the v1 controllers, or on a hybrid of both (each
 * controller is used in the hierarchy where the kernel actually has it).
 *
 * Layout: <current cgroup>/boxinit/<service> in every hierarchy that holds
 * a controller boxinit uses (cpu, cpuacct, memory, pids; v1 devices for
 * the device policy of cgroup_devices.h). On v2 boxinit
 * moves itself into the leaf boxinit/init before enabling controllers
 * ("no internal processes"). Not PID 1, the subtree is boxinit-<pid> so
 * that two supervisors never share one.
 *
 * Follows Documentation/admin-guide/cgroup-v2.rst and
 * Documentation/admin-guide/cgroup-v1/{cgroups,memory,pids}.rst.
 *
 * cgroup.c is the interface: it finds the hierarchies and hands each call
 * to the backend of the hierarchy holding the controller concerned,
 * cgroup_v1.c or cgroup_v2.c, one operations table each (struct cg_ops,
 * cgroup_internal.h, private to this folder).
 */
#ifndef BOXINIT_CGROUP_H
#define BOXINIT_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define CG_MAX_HIER 6           /* hierarchies a service can be in */

/*
 * cgroup_setup - find (and as PID 1, mount when missing) the cgroup
 * hierarchies for @mode, and create boxinit's subtree. Problems are
 * logged; services then run with the limits that can apply. Returns the
 * number of controllers available (cpu, memory, pids), or -errno when no
 * cgroup support is usable at all.
 */
int cgroup_setup(enum cgroup_mode mode, bool pid1);

/* cgroup_version_text - "v2", "v1", "hybrid" or "none", for the log. */
const char *cgroup_version_text(void);

/*
 * cgroup_service_create - create the cgroup of @c in every hierarchy (an
 * existing one is reused) and write its limits. A missing controller or
 * knob is warned about once, naming the key, the file and the kernel
 * option that provides it. Returns 0, or -errno when no cgroup could be
 * created at all (the service must not start unlimited).
 */
int cgroup_service_create(const struct svc_conf *c);

/*
 * cgroup_open_procs - open the cgroup.procs file of service @name in each
 * hierarchy, write-only and close-on-exec, into @fds (room for
 * CG_MAX_HIER). The child writes "0" to each before exec, so it never
 * runs outside its cgroup. Returns the count (0 without cgroups), or -errno.
 */
int cgroup_open_procs(const char *name, int *fds);

/*
 * cgroup_open_v2_dir - the directory of service @name's cgroup in the v2
 * hierarchy, O_RDONLY | O_DIRECTORY | O_CLOEXEC, for clone3(2)
 * CLONE_INTO_CGROUP (cgroup-v2.rst); *@index receives the position of
 * that hierarchy's cgroup.procs among cgroup_open_procs()'s fds. Returns
 * the fd (the caller closes it) or -errno (-ENOENT: no v2 hierarchy).
 */
int cgroup_open_v2_dir(const char *name, int *index);

/*
 * cgroup_oom_open - an fd that becomes readable (v1: eventfd on
 * memory.oom_control, EPOLLIN) or signals EPOLLPRI (v2: memory.events)
 * when the kernel's OOM killer acts in @name's cgroup. *@events receives
 * the epoll mask to wait for. Returns the fd (caller owns it) or -errno
 * (-ENOENT: no memory controller).
 */
int cgroup_oom_open(const char *name, uint32_t *events);

/*
 * cgroup_oom_ack - after @fd (from cgroup_oom_open) fired: consume the
 * event through @fd itself (so it does not fire again) and store the OOM
 * kill count of @name's cgroup in @count. Returns 0 or -errno.
 */
int cgroup_oom_ack(const char *name, int fd, uint64_t *count);

/*
 * cgroup_oom_kills - the number of OOM kills so far in @name's cgroup
 * (v2 memory.events oom_kill; v1 memory.oom_control oom_kill). Returns 0
 * or -errno.
 */
int cgroup_oom_kills(const char *name, uint64_t *count);

/*
 * cgroup_kill - SIGKILL every process in @name's cgroup: v2 cgroup.kill
 * where the kernel has it, else every pid of cgroup.procs, repeated until
 * empty (at most 100 passes). Returns the number of processes signalled
 * by the pid walk (0 with cgroup.kill), or -errno.
 */
int cgroup_kill(const char *name);

/*
 * cgroup_nprocs - processes in @name's cgroup (first hierarchy), or -errno.
 */
int cgroup_nprocs(const char *name);

/*
 * cgroup_usage - CPU time used (µs; v2 cpu.stat usage_usec, v1
 * cpuacct.usage) and memory in use (bytes; memory.current /
 * memory.usage_in_bytes) by @name's cgroup. A figure that cannot be read
 * is UINT64_MAX. Returns 0.
 */
int cgroup_usage(const char *name, uint64_t *cpu_us, uint64_t *mem_bytes);

/*
 * cgroup_service_remove - remove @name's cgroup from every hierarchy.
 * A cgroup still busy (its last task exiting) is retried for up to
 * @wait_ms. Returns 0 or the first -errno.
 */
int cgroup_service_remove(const char *name, unsigned wait_ms);

/*
 * cgroup_teardown - at exit: move boxinit back to where it was (v2) and
 * remove its subtree. Every service cgroup must be gone or empty.
 */
void cgroup_teardown(void);

/*
 * cgroup_path - write the directory of @name's cgroup in hierarchy @i to
 * @buf (@len bytes). Returns 0, -ENOENT past the last hierarchy, or
 * -ENAMETOOLONG.
 */
int cgroup_path(size_t i, const char *name, char *buf, size_t len);

/*
 * cgroup_devices_dir - write to @buf (@len bytes) the directory of @name's
 * cgroup where its device policy goes: the v1 devices hierarchy, else the
 * v2 one. Returns 1 or 2 (the version), -ENOENT without either, or
 * -ENAMETOOLONG.
 */
int cgroup_devices_dir(const char *name, char *buf, size_t len);

#endif
