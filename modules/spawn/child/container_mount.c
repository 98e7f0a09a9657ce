/* SPDX-License-Identifier: MIT */
/*
 * container_mount: the mount namespace of a container. See container.h.
 *
 * Order (mount_namespaces(7), pivot_root(2), OCI config-linux defaults):
 *   1. what is needed is opened while paths are still boxinit's: /proc,
 *      /dev nodes, bind sources (no symlink followed: openat2(2)
 *      RESOLVE_NO_SYMLINKS), the root; boxinit's control paths are
 *      located in the root and the bind sources (container_root.c)
 *   2. setns(2) into the namespace itself: root and cwd at its top, above
 *      any chroot boxinit runs in; "/" MS_REC|MS_PRIVATE there
 *   3. root = DIR, or without it boxinit's "/", bound recursively onto
 *      itself: the container's root mount. Without "root", or with
 *      readonly = yes, that whole tree is made read-only (mount_setattr(2)
 *      AT_RECURSIVE), its mount points created first
 *   4. /proc (fresh: new PID namespace), /dev tmpfs, /dev/pts (new devpts
 *      instance), /dev/shm and /tmp (shm_size, tmp_size); /sys: sysfs
 *      read-only with a network namespace of its own, else the host's
 *      /sys bound read-only
 *   5. /dev/{null,zero,full,random,urandom,tty}: bind mounts of the host's
 *      nodes (no mknod: no CAP_MKNOD needed, as runc), plus the ptmx, fd,
 *      stdin, stdout, stderr symlinks
 *   6. bind = SRC:DST[:ro] (DST created in the root if missing; :ro is
 *      recursive)
 *   7. masked paths (/dev/null over files, an empty read-only tmpfs over
 *      directories) and read-only paths (bound onto themselves, made
 *      read-only); what the kernel does not have is skipped. Then
 *      boxinit's control plane masked the same way
 *   8. pivot_root(".", ".") and the old root detached: nothing of the old
 *      tree is left in the namespace. Where the kernel refuses (EINVAL:
 *      the namespace's top is the initramfs' rootfs), the new root is
 *      moved over "/" (MS_MOVE) and chroot(2)ed into, as switch_root and
 *      runc's no-pivot mode do; rootfs then stays below the new root.
 *
 * Paths inside the root are opened relative to the root's fd without
 * following any symlink (ct_open_in, container_root.c: a symlink in a
 * rootfs cannot send a mount outside it), and named to mount(2) as
 * self/fd/N below boxinit's /proc; read-only binds are made read-only
 * before they are attached (open_tree, mount_setattr, move_mount).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container_priv.h"
#include "util.h"

#define NOSUID MS_NOSUID
#define NODEV  MS_NODEV
#define NOEXEC MS_NOEXEC

/* A file system mounted in the root: target, type, flags, options. */
struct ct_fs {
	const char *rel, *type;
	unsigned long flags;
	const char *data;
};

static const struct ct_fs api_fs[] = {
	{ "proc",    "proc",   NOSUID | NODEV | NOEXEC, NULL },
	{ "dev",     "tmpfs",  NOSUID | NOEXEC | MS_STRICTATIME, "mode=755,size=64k" },
	{ "dev/pts", "devpts", NOSUID | NOEXEC, "newinstance,ptmxmode=0666,mode=0620" },
	{ "dev/shm", "tmpfs",  NOSUID | NODEV | NOEXEC, "mode=1777,size=65536k" },
	{ "tmp",     "tmpfs",  NOSUID | NODEV, "mode=1777" },
};

static const char *const dev_nodes[] = {
	"null", "zero", "full", "random", "urandom", "tty",
};

static const char *const dev_links[][2] = {
	{ "ptmx", "pts/ptmx" }, { "fd", "/proc/self/fd" },
	{ "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" },
};

static const char *const masked[] = {
	"proc/acpi", "proc/asound", "proc/kcore", "proc/keys",
	"proc/latency_stats", "proc/timer_list", "proc/timer_stats",
	"proc/sched_debug", "proc/scsi", "sys/firmware",
	"sys/devices/virtual/tpm",
};

static const char *const readonly[] = {
	"proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger",
};

/* Mount @src (type @type) on @rel below @root, creating it per @make. */
static int mount_in(const char *src, int root, const char *rel, int make,
		    const char *type, unsigned long flags, const char *data)
{
	_cleanup_fd_ int fd = ct_open_in(root, rel, make);

	if (fd < 0)
		return fd;
	return mount(src, FDP(fd), type, flags, data) < 0 ? -errno : 0;
}

/* How bind_in() binds: the mounts below the source too (MS_REC), read-only. */
enum { BIND_REC = 1, BIND_RO = 2 };

/* A read-only bind in one piece (Linux 5.12): a clone of @src's mount
 * (@how BIND_REC: with those below it), made read-only while still
 * detached, attached on @dst. -ENOSYS: the kernel lacks one of them. */
static int bind_ro_detached(int src, int dst, unsigned how)
{
	unsigned rec = how & BIND_REC ? CT_AT_RECURSIVE : 0;
	struct ct_mount_attr a = { .attr_set = CT_MOUNT_ATTR_RDONLY };
	_cleanup_fd_ int tree = (int)syscall(SYS_open_tree, src, "", CT_OPEN_TREE_CLONE |
					     O_CLOEXEC | rec | AT_EMPTY_PATH);

	if (tree < 0)
		return -errno;
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | CT_AT_RECURSIVE,
		    &a, sizeof(a)) < 0 ||
	    syscall(SYS_move_mount, tree, "", dst, "", CT_MOVE_MOUNT_F_EMPTY_PATH |
		    CT_MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

/* Bind the mount of fd @src onto the mount point @dst, an fd of @rel
 * below @root, as @how says; read-only is for every mount of the bind
 * (ct_ro_tree()). @src may be @dst: a path bound onto itself. */
static int bind_onto(int src, int dst, int root, const char *rel, unsigned how)
{
	unsigned long rec = how & BIND_REC ? MS_REC : 0;
	int fd, r;

	if ((how & BIND_RO) && (r = bind_ro_detached(src, dst, how)) != -ENOSYS)
		return r;
	if (mount(FDP(src), FDP(dst), NULL, MS_BIND | rec, NULL) < 0)
		return -errno;
	if (!(how & BIND_RO))
		return 0;
	fd = ct_open_in(root, rel, MUST_EXIST);         /* the bind's root */
	if (fd < 0)
		return fd;
	r = ct_ro_tree(fd);
	close(fd);
	return r;
}

/* bind_onto() @rel below @root, created per @make. */
static int bind_in(int src, int root, const char *rel, int make, unsigned how)
{
	_cleanup_fd_ int fd = ct_open_in(root, rel, make);

	return fd < 0 ? fd : bind_onto(src, fd, root, rel, how);
}

/* /dev: nodes bound from the host's @host fds (opened before any mount). */
static int setup_dev(int root, const int *host, struct err *e)
{
	_cleanup_fd_ int dev = ct_open_in(root, "dev", MUST_EXIST);
	int r;

	if (dev < 0)
		return ct_fail(e, "open", "/", "dev", -dev);
	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
		r = bind_in(host[i], dev, dev_nodes[i], MAKE_FILE, BIND_REC);
		if (r < 0)
			return ct_fail(e, "bind", "/dev/", dev_nodes[i], -r);
	}
	for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++)
		if (symlinkat(dev_links[i][1], dev, dev_links[i][0]) < 0)
			return ct_fail(e, "symlink", "/dev/", dev_links[i][0], errno);
	return 0;
}

/* Masked and read-only paths (OCI defaults); @null: the host's /dev/null. */
static int protect(int root, int null, struct err *e)
{
	struct stat st;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(masked); i++) {
		_cleanup_fd_ int fd = ct_open_in(root, masked[i], MUST_EXIST);

		if (fd == -ENOENT)
			continue;
		if (fd < 0 || fstat(fd, &st) < 0)
			return ct_fail(e, "mask", "/", masked[i], fd < 0 ? -fd : errno);
		if (S_ISDIR(st.st_mode))
			r = mount("tmpfs", FDP(fd), "tmpfs", MS_RDONLY | NOSUID |
				  NODEV | NOEXEC, "size=0,mode=555");
		else
			r = mount(FDP(null), FDP(fd), NULL, MS_BIND, NULL);
		if (r < 0)
			return ct_fail(e, "mask", "/", masked[i], errno);
	}
	for (size_t i = 0; i < ARRAY_SIZE(readonly); i++) {
		_cleanup_fd_ int fd = ct_open_in(root, readonly[i], MUST_EXIST);

		if (fd == -ENOENT)
			continue;
		r = fd < 0 ? fd : bind_onto(fd, fd, root, readonly[i],
					    BIND_REC | BIND_RO);
		if (r < 0)
			return ct_fail(e, "read-only", "/", readonly[i], -r);
	}
	return 0;
}


/* What a container needs from boxinit's view of the tree, opened before
 * the caller leaves it for the namespace's top. -1: not open. */
struct ct_fds {
	int proc;               /* boxinit's /proc: the cwd while mounting */
	int ns;                 /* the caller's mount namespace */
	int dir;                /* @c->root, or boxinit's "/" */
	int top;                /* the namespace's top, once there */
	int sys;                /* boxinit's /sys (net = host) */
	int host[ARRAY_SIZE(dev_nodes)];
	int *srcs;              /* bind sources, @c->nbinds of them */
};

static void close_fds(struct ct_fds *f, size_t nsrcs)
{
	int *one[] = { &f->proc, &f->ns, &f->dir, &f->sys, &f->top };

	for (size_t i = 0; i < ARRAY_SIZE(one); i++)
		if (*one[i] >= 0)
			close(*one[i]);
	for (size_t i = 0; i < ARRAY_SIZE(f->host); i++)
		if (f->host[i] >= 0)
			close(f->host[i]);
	for (size_t i = 0; f->srcs && i < nsrcs; i++)
		if (f->srcs[i] >= 0)
			close(f->srcs[i]);
	free(f->srcs);
}

/* Bind source @i of @c, opened without following symlinks. */
static int open_src(const struct svc_conf *c, size_t i, struct err *e)
{
	const char *src = c->binds[i].src;
	int fd = ct_open_nofollow(src);

	if (fd == -ELOOP)
		err_set(e, fd, "bind = %s:%s: refused, a symlink in the source "
			"path", src, c->binds[i].dst);
	else if (fd < 0)
		ct_fail(e, "bind", "", src, -fd);
	return fd;
}

/* The root: boxinit's "/", or @c->root opened without following
 * symlinks, like a bind source (a service that may write the directory
 * above its root could leave a link to "/" for its next start). */
static int open_root(const struct svc_conf *c, struct err *e)
{
	struct stat st;
	int fd;

	fd = c->root ? ct_open_nofollow(c->root) :
		       ct_open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 && !c->root)
		fd = -errno;
	if (fd == -ELOOP) {
		return err_set(e, fd, "root = %s: refused, a symlink in the path",
			       c->root);
	}
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))) {
		close(fd);
		fd = -ENOTDIR;
	}
	return fd < 0 ? ct_fail(e, "root", "", c->root ? c->root : "/", -fd) : fd;
}

/* Everything opened before any mount can hide it (/sys/fs/cgroup under
 * the container's own /sys, say) and while paths are boxinit's. */
static int open_all(const struct svc_conf *c, struct ct_fds *f, struct err *e)
{
	char p[16];

	f->proc = ct_open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (f->proc < 0)
		return ct_fail(e, "open", "", "/proc", errno);
	f->ns = openat(f->proc, "self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (f->ns < 0)
		return ct_fail(e, "open", "", "/proc/self/ns/mnt", errno);
	f->sys = ct_open("/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (f->sys < 0 && c->net == NET_HOST)
		return ct_fail(e, "open", "", "/sys", errno);
	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
		snprintf(p, sizeof(p), "/dev/%s", dev_nodes[i]);
		f->host[i] = ct_open(p, O_PATH | O_CLOEXEC);
		if (f->host[i] < 0)
			return ct_fail(e, "open", "", p, errno);
	}
	f->srcs = malloc((c->nbinds + 1) * sizeof(*f->srcs));
	if (!f->srcs)
		return ct_fail(e, "bind", "", "", ENOMEM);
	for (size_t i = 0; i < c->nbinds; i++)
		f->srcs[i] = -1;
	for (size_t i = 0; i < c->nbinds; i++)
		if ((f->srcs[i] = open_src(c, i, e)) < 0)
			return f->srcs[i];
	if ((f->dir = open_root(c, e)) < 0)
		return f->dir;
	if (ct_check_sources(f->dir, f->srcs, c->nbinds, e) < 0)
		return e->code;
	return ct_plan_control(c, e);
}

/*
 * The top of the mount namespace: setns(2) into the caller's own mount
 * namespace sets root and cwd to its root mount, above any chroot boxinit
 * runs in; from there pivot_root(2) leaves nothing of the old tree. Then
 * private propagation and the cwd on boxinit's /proc (FDP).
 */
static int to_top(struct ct_fds *f, struct err *e)
{
	if (setns(f->ns, CLONE_NEWNS) < 0)
		return ct_fail(e, "setns", "", "mount namespace", errno);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return ct_fail(e, "make private", "", "/", errno);
	f->top = ct_open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (f->top < 0)
		return ct_fail(e, "open", "", "/", errno);
	if (fchdir(f->proc) < 0)
		return ct_fail(e, "chdir", "", "/proc", errno);
	return 0;
}

/*
 * @f->dir bound recursively onto itself: the container's root mount,
 * whose root fd is returned (or -errno with @e set), looked up by its
 * path from the top. When that is the namespace's top itself (boxinit's
 * "/" on a real root), a lookup of "/" does not see the bind stacked on
 * the caller's root: setns(2) again finds the new top, then the caller's
 * root goes back below it, where pivot_root(2) needs it.
 */
static int new_root(const struct ct_fds *f, const char *name, bool *stacked,
		    struct err *e)
{
	char path[PATH_MAX];
	ssize_t n = readlink(FDP(f->dir), path, sizeof(path) - 1);
	int fd, err;

	if (n < 0)
		return ct_fail(e, "root", "", name, errno);
	path[n] = '\0';         /* seen from the namespace's top */
	*stacked = !strcmp(path, "/");
	if (mount(FDP(f->dir), FDP(f->dir), NULL, MS_BIND | MS_REC, NULL) < 0)
		return ct_fail(e, "root", "", name, errno);
	if (!*stacked) {
		/* below the top: a lookup of the path crosses into the bind */
		fd = ct_open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		return fd < 0 ? ct_fail(e, "root", "", name, errno) : fd;
	}
	if (setns(f->ns, CLONE_NEWNS) < 0)
		return ct_fail(e, "setns", "", "mount namespace", errno);
	fd = ct_open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);      /* the bind */
	err = errno;
	if (fchdir(f->top) < 0 || chroot(".") < 0 || fchdir(f->proc) < 0) {
		err = errno;
		if (fd >= 0)
			close(fd);
		return ct_fail(e, "chroot", "", "namespace top", err);
	}
	return fd < 0 ? ct_fail(e, "root", "", name, err) : fd;
}

/* True when @rel lies below one of the API file systems mounted later. */
static bool under_api(const char *rel)
{
	static const char *const top[] = { "proc", "dev", "tmp", "sys" };
	size_t n;

	rel += strspn(rel, "/");
	n = strcspn(rel, "/");
	for (size_t i = 0; i < ARRAY_SIZE(top); i++)
		if (n == strlen(top[i]) && !strncmp(rel, top[i], n))
			return true;
	return false;
}

/* Mount points created before the root becomes read-only; a failure
 * here shows up (and is reported) when the mount itself is tried. */
static void mountpoints(const struct svc_conf *c, int root,
			const struct ct_fds *f)
{
	static const char *const api[] = { "proc", "dev", "tmp", "sys" };
	struct stat st;
	int fd;

	for (size_t i = 0; i < ARRAY_SIZE(api); i++)
		if ((fd = ct_open_in(root, api[i], MAKE_DIR)) >= 0)
			close(fd);
	for (size_t i = 0; i < c->nbinds; i++) {
		if (under_api(c->binds[i].dst) || fstat(f->srcs[i], &st) < 0)
			continue;
		fd = ct_open_in(root, c->binds[i].dst,
				S_ISDIR(st.st_mode) ? MAKE_DIR : MAKE_FILE);
		if (fd >= 0)
			close(fd);
	}
	(void)ct_control_mountpoints(c, root, NULL);
}

/* /proc, /dev, /dev/pts, /dev/shm, /tmp (sized), /sys. */
static int api_mounts(const struct svc_conf *c, int root,
		      const struct ct_fds *f, struct err *e)
{
	unsigned long long tmp = c->tmp_size ? c->tmp_size : 64ull << 20;
	unsigned long long shm = c->shm_size ? c->shm_size : 64ull << 20;
	char tmp_opt[48], shm_opt[48];
	int r;

	snprintf(tmp_opt, sizeof(tmp_opt), "mode=1777,size=%llu", tmp);
	snprintf(shm_opt, sizeof(shm_opt), "mode=1777,size=%llu", shm);
	for (size_t i = 0; i < ARRAY_SIZE(api_fs); i++) {
		const struct ct_fs *m = &api_fs[i];
		const char *data = !strcmp(m->rel, "tmp") ? tmp_opt :
				   !strcmp(m->rel, "dev/shm") ? shm_opt : m->data;

		r = mount_in(m->type, root, m->rel, MAKE_DIR, m->type, m->flags, data);
		if (r < 0)
			return ct_fail(e, "mount", "/", m->rel, -r);
	}
	if (c->net != NET_HOST)
		r = mount_in("sysfs", root, "sys", MAKE_DIR, "sysfs",
			     MS_RDONLY | NOSUID | NODEV | NOEXEC, NULL);
	else    /* not recursive: the host's cgroup and other mounts stay out */
		r = bind_in(f->sys, root, "sys", MAKE_DIR, BIND_RO);
	return r < 0 ? ct_fail(e, "mount", "/", "sys", -r) : 0;
}

/* bind = SRC:DST[:ro], DST created in the root if missing. */
static int binds(const struct svc_conf *c, int root, const struct ct_fds *f,
		 struct err *e)
{
	struct stat st;
	int r;

	for (size_t i = 0; i < c->nbinds; i++) {
		const struct conf_bind *b = &c->binds[i];

		if (fstat(f->srcs[i], &st) < 0)
			return ct_fail(e, "bind", "", b->src, errno);
		r = bind_in(f->srcs[i], root, b->dst, S_ISDIR(st.st_mode) ?
			    MAKE_DIR : MAKE_FILE, BIND_REC | (b->ro ? BIND_RO : 0));
		if (r < 0)
			return ct_fail(e, "bind", "", b->dst, -r);
	}
	return 0;
}

int container_setup_fs(const struct svc_conf *c, struct err *e)
{
	struct ct_fds f = { .proc = -1, .ns = -1, .dir = -1, .sys = -1, .top = -1 };
	bool ro_root = !c->root || c->readonly;
	bool stacked = false;
	_cleanup_fd_ int root = -1;
	int r;

	err_clear(e);
	for (size_t i = 0; i < ARRAY_SIZE(f.host); i++)
		f.host[i] = -1;
	r = open_all(c, &f, e);
	if (!r)
		r = to_top(&f, e);
	if (!r && (root = new_root(&f, c->root ? c->root : "/", &stacked, e)) < 0)
		r = root;
	if (!r && ro_root) {
		mountpoints(c, root, &f);
		if ((r = ct_ro_tree(root)) < 0)
			ct_fail(e, "read-only", "", "root", -r);
	}
	if (!r)
		r = api_mounts(c, root, &f, e);
	if (!r)
		r = ct_bind_notify(root, e);    /* in its fresh /tmp */
	if (!r)
		r = setup_dev(root, f.host, e);
	if (!r)
		r = binds(c, root, &f, e);
	if (!r)
		r = protect(root, f.host[0], e);
	if (!r)
		r = ct_hide_control(c, root, f.host[0], e);
	if (!r)
		r = ct_enter_root(c, root, stacked, e);    /* 0: @e a warning or "" */
	close_fds(&f, c->nbinds);
	return r;
}
