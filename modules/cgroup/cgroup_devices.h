/* SPDX-License-Identifier: MIT */
/*
 * cgroup_devices: the device policy of a service's cgroup. A service may
 * open, and mknod, only the devices its container's /dev holds (null 1:3,
 * zero 1:5, full 1:7, random 1:8, urandom 1:9, tty 5:0, ptmx 5:2, the
 * devpts slaves 136-143:*), plus each device node it is given with
 * `bind =` (read and write; read only with ":ro"; no mknod). Everything
 * else is denied, whatever its capabilities: mknod(2) or a bound
 * directory of device nodes opens no disk.
 *
 * cgroup v1: the devices controller (devices.deny "a", then one
 * devices.allow line per rule), Documentation/admin-guide/cgroup-v1/
 * devices.rst. cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program built
 * here (no libbpf) and attached with BPF_CGROUP_DEVICE, no flags, so it
 * replaces the one of the previous start and no sub-cgroup can override
 * it (bpf(2), include/uapi/linux/bpf.h struct bpf_cgroup_dev_ctx).
 */
#ifndef BOXINIT_CGROUP_DEVICES_H
#define BOXINIT_CGROUP_DEVICES_H

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define CGDEV_ANY UINT32_MAX    /* every minor */
#define CGDEV_FIXED 8           /* rules of the container's own /dev */
#define CGDEV_MAX_INSNS(n) (8 + 8 * (size_t)(n))    /* bound of the program */

/* One allowlist entry: devices of @type with a major in [@major_lo,
 * @major_hi] and minor @minor (or CGDEV_ANY), for @access. */
struct cgdev_rule {
	uint32_t type;          /* BPF_DEVCG_DEV_CHAR or BPF_DEVCG_DEV_BLOCK */
	uint32_t major_lo, major_hi;
	uint32_t minor;
	uint32_t access;        /* BPF_DEVCG_ACC_MKNOD | _READ | _WRITE */
	const char *src;        /* the bind source it comes from, or NULL */
};

/*
 * cgdev_rules - the allowlist of service @c: the CGDEV_FIXED rules of the
 * container's /dev, then one per bind source that is a character or block
 * device (stat(2) now: its st_rdev at this start). A source that cannot be
 * stat'ed is skipped (the mount reports it). *@out is malloc'ed, owned by
 * the caller. Returns the number of rules, or -ENOMEM.
 */
int cgdev_rules(const struct svc_conf *c, struct cgdev_rule **out);

/*
 * cgdev_program - write the eBPF program for @n rules @r into @insn (room
 * for CGDEV_MAX_INSNS(@n) instructions): it returns 1 (allow) when the
 * request matches a rule, 0 (deny) otherwise. Returns the instruction
 * count.
 */
size_t cgdev_program(const struct cgdev_rule *r, size_t n, struct bpf_insn *insn);

/*
 * cgdev_v1_apply - the v1 devices cgroup @dir: unless its devices.list
 * already says exactly that (then nothing is written: a restart with the
 * same rules), deny all ("a" to devices.deny), then allow each rule (one
 * devices.allow line per major, through one open file). A fixed rule
 * that boxinit's own cgroup does not allow (EPERM) is left out (the
 * parent denies it anyway); a bound device is warned about, naming service @name. Returns
 * 0, or -errno of the deny (-EPERM: no CAP_SYS_ADMIN in the initial user
 * namespace) or of an allow.
 */
int cgdev_v1_apply(const char *name, const char *dir, const struct cgdev_rule *r, size_t n);

/*
 * cgdev_bpf_attach - the program for @r/@n, loaded once (bpf(2)
 * BPF_PROG_LOAD) and kept for the next cgroup or start with the same
 * rules (up to 8 policies; the program fds are boxinit's, O_CLOEXEC),
 * attached to the v2 cgroup @dir (BPF_PROG_ATTACH, BPF_CGROUP_DEVICE, no
 * flags: it replaces a program attached before, the same one on a
 * restart). The attachment holds the program until the cgroup is
 * removed. Returns 0 or -errno (-ENOSYS, -EINVAL, -EPERM: the kernel
 * cannot or may not run it, CONFIG_CGROUP_BPF; -ENOMEM).
 */
int cgdev_bpf_attach(const char *dir, const struct cgdev_rule *r, size_t n);

/*
 * cgroup_service_devices - put service @c's device policy in place on its
 * cgroup (created before by cgroup_service_create), at each start before
 * anything runs in it: the v1 devices controller where the kernel has
 * one, else a device program on cgroup v2. Where neither can apply, one
 * warning (per boxinit run) names the service and the kernel options, and
 * 0 is returned: the service starts without a device policy. Returns 0 or
 * -errno for a failure the kernel should not have had (the start fails).
 */
int cgroup_service_devices(const struct svc_conf *c);

#endif
