/* SPDX-License-Identifier: MIT */
/*
 * container_priv: helpers shared by container_mount.c (what is mounted in
 * a container) and container_root.c (which tree becomes its root, and how
 * it is entered). Internal to the container module.
 */
#ifndef BOXINIT_CONTAINER_PRIV_H
#define BOXINIT_CONTAINER_PRIV_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "container.h"

/* openat2(2), Linux 5.6 (linux/openat2.h): struct open_how, RESOLVE_* */
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#define CT_RESOLVE_NO_SYMLINKS 0x04
#define CT_RESOLVE_BENEATH     0x08
struct ct_open_how { uint64_t flags, mode, resolve; };

/* the mount API of Linux 5.2 and 5.12 (linux/mount.h): open_tree(2),
 * move_mount(2), mount_setattr(2) and struct mount_attr */
#ifndef SYS_open_tree
#define SYS_open_tree 428
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#define CT_MOUNT_ATTR_RDONLY        0x01
#define CT_OPEN_TREE_CLONE          0x01
#define CT_MOVE_MOUNT_F_EMPTY_PATH  0x04
#define CT_MOVE_MOUNT_T_EMPTY_PATH  0x40
#define CT_AT_RECURSIVE             0x8000
struct ct_mount_attr { uint64_t attr_set, attr_clr, propagation, userns_fd; };

enum { MUST_EXIST, MAKE_DIR, MAKE_FILE };

/* ct_open - open(2) as openat(AT_FDCWD): musl's open() follows each
 * O_CLOEXEC open with an fcntl(F_SETFD) (for kernels before 2.6.23),
 * openat() does not, and a container's start opens a lot. */
#define ct_open(path, flags) openat(AT_FDCWD, (path), (flags))

/*
 * How an fd is named to mount(2): "self/fd/N", relative to the current
 * directory, which container_setup_fs() keeps on boxinit's own /proc
 * while it mounts (the namespace's top, where it works from, may have no
 * /proc of its own). 24 bytes of the caller's stack.
 */
#define FDP(fd) ct_fd_path((fd), (char[24]){ 0 })
const char *ct_fd_path(int fd, char *buf);

/* @e = the failing step "@step @slash@rel" and errno @err; returns -@err. */
int ct_fail(struct err *e, const char *step, const char *slash,
	    const char *rel, int err);

/*
 * ct_open_in - open @rel below directory @dir as O_PATH without following
 * a symlink anywhere in it, so none leads out of @dir: one openat2(2)
 * (RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH, Linux 5.6), or where that is
 * missing (or something must be created) one component at a time with
 * O_NOFOLLOW; "." and ".." are refused (-EINVAL), a symlink is -ELOOP
 * (-ENOTDIR in the middle of a walk). With MAKE_DIR / MAKE_FILE, missing
 * components are created: directories, the last one a file with
 * MAKE_FILE (then the fd is that file's, opened for writing). Returns the
 * fd (the caller closes it) or -errno.
 */
int ct_open_in(int dir, const char *rel, int make);

/*
 * ct_open_nofollow - open the absolute @path as O_PATH without following
 * any symlink in it (openat2(2) RESOLVE_NO_SYMLINKS, Linux 5.6; else a
 * ct_open_in() walk from "/"). Returns the fd or -errno: -ELOOP when a
 * component is a symlink.
 */
int ct_open_nofollow(const char *path);

/*
 * ct_check_sources - in the reaper, once it opened its @root and its
 * @nsrcs bind sources @srcs: when boxinit noted what they must be before
 * the clone (container_expect_sources, a container cloned ahead), each
 * must be that file. -ESTALE with @e set otherwise: it changed between
 * boxinit's look and the reaper's open, and the start makes a fresh one.
 */
int ct_check_sources(int root, const int *srcs, size_t nsrcs, struct err *e);

/*
 * ct_ro_tree - make the mount whose root @fd is, and every mount below
 * it, read-only: mount_setattr(2) with AT_RECURSIVE and MOUNT_ATTR_RDONLY
 * (Linux 5.12); on ENOSYS each mount below it in /proc/self/mountinfo is
 * remounted read-only (MS_REMOUNT | MS_BIND | MS_RDONLY, its other flags
 * kept). Returns 0 or -errno.
 */
int ct_ro_tree(int fd);

/*
 * ct_enter_root - make the mount whose root @root is the caller's root:
 * pivot_root(2) with the old root detached (MNT_DETACH), or, where the
 * kernel refuses (EINVAL: the namespace's top is the initramfs' rootfs),
 * MS_MOVE over "/" (unless @stacked: it is mounted there already) +
 * chroot, leaving a warning in @e (code 0) when the service holds a
 * capability that breaks that. Leaves the current directory at "/".
 * Returns 0 or -errno with @e set.
 */
int ct_enter_root(const struct svc_conf *c, int root, bool stacked,
		  struct err *e);

/*
 * ct_hide_control - mask boxinit's control plane (container_set_control())
 * in the container whose root is @root, wherever the root (@c->root, or
 * "/") or a bind source makes one of its paths visible: directories under
 * an empty read-only tmpfs, files under @null (the host's /dev/null).
 * The socket stays visible to a service with control = status|yes; with
 * its own root it is bound in at its usual path. Returns 0 or -errno
 * with @e set.
 */
int ct_hide_control(const struct svc_conf *c, int root, int null, struct err *e);

/*
 * ct_plan_control - while the caller still sees boxinit's tree (before
 * ct_hide_control()): where boxinit's control paths appear in the
 * container, through its root (@c->root, or "/") and each bind source,
 * and the socket opened for a service with control and its own root.
 * Returns 0 or -errno with @e set.
 */
int ct_plan_control(const struct svc_conf *c, struct err *e);

/*
 * ct_control_mountpoints - create (in the root, before it is made
 * read-only) what ct_hide_control() will mount on. Returns 0 or -errno
 * with @e set.
 */
int ct_control_mountpoints(const struct svc_conf *c, int root, struct err *e);

/*
 * ct_bind_notify - bind the socket container_notify() opened onto its
 * path in the container whose root is @root (its /tmp mounted already);
 * nothing without one. Returns 0 or -errno with @e set.
 */
int ct_bind_notify(int root, struct err *e);

#endif
