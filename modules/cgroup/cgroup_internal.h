/* SPDX-License-Identifier: MIT */
/*
 * cgroup_internal: what the interface (cgroup.c) shares with its two
 * backends, cgroup_v1.c and cgroup_v2.c, each one operations table
 * (struct cg_ops), and with the helpers of cgroup_fs.c and
 * cgroup_mount.c. Private to modules/cgroup/ and its unit test
 * (tests/unit/test_cgroup.c): nothing else includes this header.
 *
 * A hierarchy (struct cg_hier) is one mounted cgroup tree holding some of
 * the controllers boxinit uses; on a hybrid host there are several, v1 and
 * v2 side by side, and each controller is used in the one where the kernel
 * has it. Every operation on a service's cgroup goes to the backend of the
 * hierarchy that holds the controller concerned.
 *
 * Kernel documents: Documentation/admin-guide/cgroup-v2.rst,
 * Documentation/admin-guide/cgroup-v1/{cgroups,memory,pids,devices}.rst,
 * Documentation/scheduler/sched-bwc.rst; proc(5) for the mountinfo and
 * /proc/self/cgroup formats.
 */
#ifndef BOXINIT_CGROUP_INTERNAL_H
#define BOXINIT_CGROUP_INTERNAL_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "cgroup_devices.h"
#include "config.h"

#define CG_ROOT "/sys/fs/cgroup"

/* cg_open - open(2) as openat(AT_FDCWD): musl's open() follows each
 * O_CLOEXEC open with an fcntl(F_SETFD) (kernels before 2.6.23), and a
 * service's start opens several knobs. */
#define cg_open(path, flags) openat(AT_FDCWD, (path), (flags))
#define CG_PATH_MAX 320         /* a service cgroup's directory, or a file in it */

/* The controllers boxinit uses (bits of cg_hier.ctrls). */
enum { CG_CPU = 1, CG_CPUACCT = 2, CG_MEMORY = 4, CG_PIDS = 8, CG_DEVICES = 16 };
#define CG_NEEDED (CG_CPU | CG_MEMORY | CG_PIDS)

/* One warning per missing knob and boxinit run (cg_warn_once). */
enum { W_CPU = 1, W_MEM = 2, W_SWAP = 4, W_PIDS = 8, W_SWAPMEM = 16, W_DEVICES = 32 };

struct cg_ops;

struct cg_hier {
	const struct cg_ops *ops;       /* its backend: &cg_v1_ops or &cg_v2_ops */
	unsigned ctrls;                 /* CG_* boxinit uses in this hierarchy */
	bool cur_is_root;               /* cur is the hierarchy's root cgroup */
	char cur[200];                  /* the cgroup boxinit was started in */
	char base[240];                 /* cur + "/" + boxinit's subtree */
	/* v2 only */
	bool has_kill;                  /* cgroup.kill (Linux 5.14) */
	bool in_leaf;                   /* boxinit moved itself into base/init */
	char enabled_in_cur[40];        /* " -cpu -memory": what we enabled in cur */
};

/*
 * A backend: one function per operation on a cgroup of its version. @dir
 * is always the directory of one service's cgroup in this backend's
 * hierarchy. Errors are -errno; what is logged is said per member.
 */
struct cg_ops {
	int version;                    /* 1 or 2 */
	/* after @h->base exists (v2: boxinit into its leaf, controllers
	 * delegated); failures are logged */
	void (*setup)(struct cg_hier *h);
	/* before @h->base is removed (v2: boxinit back to @h->cur) */
	void (*teardown)(struct cg_hier *h);
	/* the limit writers, one per resource, called when the hierarchy holds
	 * the controller; each writes what @c asks (or "no limit"), and warns
	 * through cg_limit about a knob the kernel lacks */
	void (*cpu)(const struct svc_conf *c, const char *dir);
	void (*memory)(const struct svc_conf *c, const char *dir);
	void (*swap)(const struct svc_conf *c, const char *dir);
	void (*pids)(const struct svc_conf *c, const char *dir);
	/* the OOM watch: see cgroup_oom_open, cgroup_oom_ack, cgroup_oom_kills */
	int (*oom_open)(const char *dir, uint32_t *events);
	int (*oom_ack)(const char *dir, int fd, uint64_t *count);
	int (*oom_kills)(const char *dir, uint64_t *count);
	/* SIGKILL the whole cgroup at once: 0, or -EOPNOTSUPP (then the
	 * interface walks cgroup.procs) or another -errno */
	int (*kill)(const struct cg_hier *h, const char *dir);
	/* CPU time in µs, memory in bytes; UINT64_MAX when unreadable */
	uint64_t (*cpu_usage)(const char *dir);
	uint64_t (*mem_usage)(const char *dir);
	/* rmdir @dir, retrying a busy cgroup for @wait_ms; ENOENT is 0;
	 * a failure is warned about */
	int (*remove)(const char *dir, unsigned wait_ms);
	/* the device policy of service @name (rules @r, @n): 0 in place, 1
	 * when this kernel or boxinit's privileges cannot have one (@why,
	 * @len bytes, says why), or -errno */
	int (*devices)(const char *name, const char *dir, const struct cgdev_rule *r,
		       size_t n, char *why, size_t len);
};

extern const struct cg_ops cg_v1_ops;
extern const struct cg_ops cg_v2_ops;

/* ---- cgroup.c ------------------------------------------------------------ */

/*
 * cgroup_setup_from - cgroup_setup without the mounting: discover the
 * hierarchies from @mountinfo (a file in the format of
 * /proc/self/mountinfo, proc(5)) and boxinit's own cgroups from @self (the
 * format of /proc/self/cgroup), create the subtree @subtree (below 32
 * bytes) in each and let each backend set it up. cgroup_setup passes the
 * /proc files; THE UNIT TESTS pass those of a fake cgroupfs tree in a
 * temporary directory. Returns as cgroup_setup.
 */
int cgroup_setup_from(const char *mountinfo, const char *self, const char *subtree);

/* cg_devices_hier - the hierarchy of the device policy: the v1 devices
 * controller, else the v2 hierarchy; NULL without either. */
const struct cg_hier *cg_devices_hier(void);

/* ---- cgroup_mount.c ------------------------------------------------------- */

/*
 * cg_mount - as PID 1, mount under CG_ROOT what @mode asks for, unless
 * something is mounted there already (see cgroup_setup). Failures are
 * logged. Returns true when the kernel has no v1 memory controller but v2
 * has one (CONFIG_MEMCG_V1 unset, Linux 6.12+), which was warned about.
 */
bool cg_mount(enum cgroup_mode mode);

/* ---- cgroup_fs.c: cgroupfs files ------------------------------------------ */

/* cg_put - write @text to @dir/@file (no O_CREAT). Returns 0 or -errno. */
int cg_put(const char *dir, const char *file, const char *text);

/* cg_get - read @dir/@file into @buf (@len bytes, NUL-terminated).
 * Returns the bytes read or -errno. */
ssize_t cg_get(const char *dir, const char *file, char *buf, size_t len);

/* cg_exists - whether @dir/@file exists. */
bool cg_exists(const char *dir, const char *file);

/* cg_parse_u64 - the number after "@key " at the start of a line of @buf
 * (@key NULL: the number @buf starts with). Returns 0 or -ENOENT. */
int cg_parse_u64(const char *buf, const char *key, uint64_t *v);

/* cg_get_u64 - cg_parse_u64 on the first KiB of @dir/@file. Returns 0 or
 * -errno (-ENOENT: no such file, or no @key in it). */
int cg_get_u64(const char *dir, const char *file, const char *key, uint64_t *v);

/* cg_ctrl_mask - the CG_* bits of the controllers named in @list (space,
 * comma or newline separated; other names are ignored). */
unsigned cg_ctrl_mask(const char *list);

/* cg_ctrl_list - " +cpu +memory" for @sign '+' and the controllers in
 * @mask that v2 knows (cpuacct is part of cpu there), into @buf. */
void cg_ctrl_list(unsigned mask, char sign, char *buf, size_t len);

/* cg_ctrl_name - the name of controller bit @bit ("cpu"), or "?". */
const char *cg_ctrl_name(unsigned bit);

/* cg_warn_once - log_warn the message unless a W_* bit of @bit was
 * warned about since cg_warn_reset. */
void cg_warn_once(unsigned bit, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cg_warn_reset(void);

/*
 * cg_limit - write @value to @dir/@file for key @key of service @c. A
 * missing file is warned about once (bit @wbit) naming the key, the file
 * and @provides, the kernel option; another error is logged.
 */
void cg_limit(const struct svc_conf *c, const char *dir, const char *key,
	      const char *file, const char *value, unsigned wbit, const char *provides);

/* cg_fmt_u64 - @v in decimal, or @unlimited for UINT64_MAX. */
void cg_fmt_u64(char *buf, size_t len, uint64_t v, const char *unlimited);

/* cg_pids_max - the pids writer of both backends (pids.max, "max"). */
void cg_pids_max(const struct svc_conf *c, const char *dir);

/* cg_rmdir_wait - the remove operation of both backends. */
int cg_rmdir_wait(const char *dir, unsigned wait_ms);

/* cg_sleep_ms - sleep @ms milliseconds (EINTR resumed). */
void cg_sleep_ms(unsigned ms);

/* cg_count_procs - the processes listed in @dir/cgroup.procs, or -errno. */
int cg_count_procs(const char *dir);

/* cg_kill_procs - SIGKILL every pid of @dir/cgroup.procs until a pass
 * finds nobody new (at most 100 passes). Returns the number signalled,
 * or -errno when none could be. */
int cg_kill_procs(const char *dir);

#endif
