/* SPDX-License-Identifier: MIT */
/*
 * container_mount: the mount namespace of a container. See container.h.
 *
 * Order (mount_namespaces(7), pivot_root(2), OCI config-linux defaults):
 *   1. "/" MS_REC|MS_PRIVATE: nothing we mount propagates to the host
 *   2. root = DIR bind-mounted onto itself (pivot_root needs a mount
 *      point); without "root" the host's root is used as it is
 *   3. /proc (fresh: new PID namespace), /dev tmpfs, /dev/pts (new devpts
 *      instance), /dev/shm, /tmp; /sys: sysfs read-only with a network
 *      namespace of its own, else the host's /sys bound read-only
 *   4. /dev/{null,zero,full,random,urandom,tty}: bind mounts of the host's
 *      nodes (no mknod: no CAP_MKNOD needed, as runc), plus the ptmx, fd,
 *      stdin, stdout, stderr symlinks
 *   5. bind = SRC:DST[:ro] (DST created in the root if missing)
 *   6. masked paths (/dev/null over files, an empty read-only tmpfs over
 *      directories) and read-only paths (bound onto themselves, remounted
 *      read-only); what the kernel does not have is skipped
 *   7. readonly = yes: the root remounted read-only
 *   8. pivot_root(".", ".") and the old root detached. Where the current
 *      root cannot be pivoted away (EINVAL: the initramfs' rootfs, or a
 *      chroot whose root is not a mount point), the new root is moved
 *      over "/" (MS_MOVE) and chroot(2)ed into, as switch_root and runc's
 *      no-pivot mode do. The old mounts then stay in the namespace, out of
 *      the root's reach: a service given CAP_SYS_CHROOT or CAP_SYS_ADMIN
 *      could climb back out, which pivot_root would have prevented.
 *
 * Paths inside the root are opened component by component relative to the
 * root's fd with O_NOFOLLOW (a symlink in a rootfs cannot send a mount
 * outside it), and named to mount(2) as /proc/self/fd/N.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container.h"
#include "util.h"

#define NOSUID MS_NOSUID
#define NODEV  MS_NODEV
#define NOEXEC MS_NOEXEC

enum { MUST_EXIST, MAKE_DIR, MAKE_FILE };

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

/* /proc/self/fd/N: how an fd is named to mount(2). */
#define FDP(fd) fd_path((fd), (char[24]){ 0 })
static const char *fd_path(int fd, char *buf)
{
	snprintf(buf, 24, "/proc/self/fd/%d", fd);
	return buf;
}

/* Record the failing step "@step /@rel" in @what; returns -@err. */
static int fail(char *what, const char *step, const char *slash,
		const char *rel, int err)
{
	snprintf(what, CT_WHAT_MAX, "%s %s%s", step, slash, rel);
	return -err;
}

/*
 * Open @rel below directory @dir as O_PATH, one component at a time with
 * O_NOFOLLOW, so a symlink never leads out of @dir; "." and ".." are
 * refused. With @make, missing components are created: directories, the
 * last one a file with MAKE_FILE. Returns the fd or -errno.
 */
static int open_in(int dir, const char *rel, int make)
{
	int cur = fcntl(dir, F_DUPFD_CLOEXEC, 3), fd, e;
	int dirflag = O_DIRECTORY;
	struct stat st;
	char name[256];
	size_t n;

	while (cur >= 0 && *(rel += strspn(rel, "/"))) {
		n = strcspn(rel, "/");
		if (!rel[n + strspn(rel + n, "/")])
			dirflag = 0;            /* the last component */
		e = n >= sizeof(name) ? ENAMETOOLONG : 0;
		if (!e) {
			memcpy(name, rel, n);
			name[n] = '\0';
			rel += n;
			if (!strcmp(name, ".") || !strcmp(name, ".."))
				e = EINVAL;
		}
		fd = e ? -1 : openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC | dirflag);
		if (fd < 0 && !e && errno == ENOENT && make != MUST_EXIST) {
			if (!dirflag && make == MAKE_FILE)
				fd = openat(cur, name, O_WRONLY | O_CREAT | O_EXCL |
					    O_NOFOLLOW | O_CLOEXEC, 0644);
			else
				fd = mkdirat(cur, name, 0755);
			if (fd > 0)
				close(fd);
			if (fd >= 0 || errno == EEXIST)
				fd = openat(cur, name, O_PATH | O_NOFOLLOW |
					    O_CLOEXEC | dirflag);
		}
		e = e ? e : errno;
		close(cur);
		if (fd < 0)
			return -e;
		cur = fd;
	}
	if (cur < 0)
		return -errno;
	/* the last component, opened O_NOFOLLOW, may be the link itself */
	if (fstat(cur, &st) < 0 || S_ISLNK(st.st_mode)) {
		close(cur);
		return -ELOOP;
	}
	return cur;
}

/* Mount @src (type @type) on @rel below @root, creating it per @make. */
static int mount_in(const char *src, int root, const char *rel, int make,
		    const char *type, unsigned long flags, const char *data)
{
	_cleanup_fd_ int fd = open_in(root, rel, make);

	if (fd < 0)
		return fd;
	return mount(src, FDP(fd), type, flags, data) < 0 ? -errno : 0;
}

/* Remount the mount on @rel below @root read-only, keeping its flags. */
static int remount_ro(int root, const char *rel)
{
	_cleanup_fd_ int fd = open_in(root, rel, MUST_EXIST);
	struct statfs sf;
	unsigned long keep = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
			     MS_NODIRATIME | MS_RELATIME;

	if (fd < 0)
		return fd;
	if (fstatfs(fd, &sf) < 0)
		return -errno;
	if (mount(NULL, FDP(fd), NULL, MS_REMOUNT | MS_BIND | MS_RDONLY |
		  ((unsigned long)sf.f_flags & keep), NULL) < 0)
		return -errno;
	return 0;
}

/* Bind @src (a path, or FDP of an fd) onto @rel below @root. */
static int bind_in(const char *src, int root, const char *rel, int make, bool ro)
{
	int r = mount_in(src, root, rel, make, NULL, MS_BIND | MS_REC, NULL);

	return r < 0 || !ro ? r : remount_ro(root, rel);
}

/* /dev: nodes bound from the host's @host fds (opened before any mount). */
static int setup_dev(int root, const int *host, char *what)
{
	_cleanup_fd_ int dev = open_in(root, "dev", MUST_EXIST);
	int r;

	if (dev < 0)
		return fail(what, "open", "/", "dev", -dev);
	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
		r = bind_in(FDP(host[i]), dev, dev_nodes[i], MAKE_FILE, false);
		if (r < 0)
			return fail(what, "bind", "/dev/", dev_nodes[i], -r);
	}
	for (size_t i = 0; i < ARRAY_SIZE(dev_links); i++)
		if (symlinkat(dev_links[i][1], dev, dev_links[i][0]) < 0)
			return fail(what, "symlink", "/dev/", dev_links[i][0], errno);
	return 0;
}

/* Masked and read-only paths (OCI defaults); @null: the host's /dev/null. */
static int protect(int root, int null, char *what)
{
	struct stat st;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(masked); i++) {
		_cleanup_fd_ int fd = open_in(root, masked[i], MUST_EXIST);

		if (fd == -ENOENT)
			continue;
		if (fd < 0 || fstat(fd, &st) < 0)
			return fail(what, "mask", "/", masked[i], fd < 0 ? -fd : errno);
		if (S_ISDIR(st.st_mode))
			r = mount("tmpfs", FDP(fd), "tmpfs", MS_RDONLY | NOSUID |
				  NODEV | NOEXEC, "size=0,mode=555");
		else
			r = mount(FDP(null), FDP(fd), NULL, MS_BIND, NULL);
		if (r < 0)
			return fail(what, "mask", "/", masked[i], errno);
	}
	for (size_t i = 0; i < ARRAY_SIZE(readonly); i++) {
		_cleanup_fd_ int fd = open_in(root, readonly[i], MUST_EXIST);

		if (fd == -ENOENT)
			continue;
		r = fd < 0 ? fd : bind_in(FDP(fd), root, readonly[i], MUST_EXIST, true);
		if (r < 0)
			return fail(what, "read-only", "/", readonly[i], -r);
	}
	return 0;
}

/* pivot_root(2) into @root, or MS_MOVE + chroot where the kernel refuses. */
static int enter_root(int root, char *what)
{
	const char *step = "chdir";

	if (fchdir(root) < 0)
		goto fail;
	if (syscall(SYS_pivot_root, ".", ".") == 0) {
		/* the old root is now stacked on "/": detach it */
		step = "detach old root";
		if (umount2(".", MNT_DETACH) < 0)
			goto fail;
	} else {
		step = "pivot_root";
		if (errno != EINVAL)
			goto fail;
		/* initramfs (rootfs cannot be unmounted) or a chroot */
		step = "move root";
		if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
			goto fail;
		step = "chroot";
		if (chroot(".") < 0)
			goto fail;
	}
	step = "chdir";
	if (chdir("/") == 0)
		return 0;
fail:
	snprintf(what, CT_WHAT_MAX, "%s", step);
	return -errno;
}

int container_setup_fs(const struct svc_conf *c, char *what)
{
	const char *dir = c->root ? c->root : "/";
	int host[ARRAY_SIZE(dev_nodes)];
	_cleanup_fd_ int root = -1;
	_cleanup_free_ int *srcs = NULL;
	int r = 0;

	/* A chroot whose root is not a mount point (EINVAL) cannot change
	 * it: whoever made that chroot decided its propagation. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 && errno != EINVAL)
		return fail(what, "make private", "", "/", errno);
	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
		char p[16];

		snprintf(p, sizeof(p), "/dev/%s", dev_nodes[i]);
		host[i] = open(p, O_PATH | O_CLOEXEC);
		if (host[i] < 0)
			return fail(what, "open", "", p, errno);
	}
	/* bind sources too are opened before any mount can hide them
	 * (/sys/fs/cgroup under the container's own /sys, say) */
	srcs = calloc(c->nbinds + 1, sizeof(*srcs));
	if (!srcs)
		return fail(what, "bind", "", "", ENOMEM);
	for (size_t i = 0; i < c->nbinds; i++) {
		srcs[i] = open(c->binds[i].src, O_PATH | O_CLOEXEC);
		if (srcs[i] < 0) {
			r = fail(what, "bind", "", c->binds[i].src, errno);
			while (i-- > 0)
				close(srcs[i]);
			return r;
		}
	}
	root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		r = fail(what, "root", "", dir, errno);
		goto out;
	}
	if (c->root) {
		if (mount(dir, FDP(root), NULL, MS_BIND | MS_REC, NULL) < 0) {
			r = fail(what, "root", "", dir, errno);
			goto out;
		}
		close(root);
		root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);   /* the bind */
		if (root < 0) {
			r = fail(what, "root", "", dir, errno);
			goto out;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(api_fs); i++) {
		const struct ct_fs *m = &api_fs[i];

		r = mount_in(m->type, root, m->rel, MAKE_DIR, m->type, m->flags, m->data);
		if (r < 0) {
			r = fail(what, "mount", "/", m->rel, -r);
			goto out;
		}
	}
	if (c->net != NET_HOST)
		r = mount_in("sysfs", root, "sys", MAKE_DIR, "sysfs",
			     MS_RDONLY | NOSUID | NODEV | NOEXEC, NULL);
	else
		/* not recursive: the host's cgroup and other mounts stay out */
		r = mount_in("/sys", root, "sys", MAKE_DIR, NULL, MS_BIND, NULL) ?:
		    remount_ro(root, "sys");
	if (r < 0) {
		r = fail(what, "mount", "/", "sys", -r);
		goto out;
	}
	r = setup_dev(root, host, what);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < c->nbinds; i++) {
		const struct conf_bind *b = &c->binds[i];
		struct stat st;

		if (fstat(srcs[i], &st) < 0) {
			r = fail(what, "bind", "", b->src, errno);
			goto out;
		}
		r = bind_in(FDP(srcs[i]), root, b->dst, S_ISDIR(st.st_mode) ?
			    MAKE_DIR : MAKE_FILE, b->ro);
		if (r < 0) {
			r = fail(what, "bind", "", b->dst, -r);
			goto out;
		}
	}
	r = protect(root, host[0], what);
	if (r < 0)
		goto out;
	if (c->readonly && (r = remount_ro(root, "")) < 0) {
		fail(what, "read-only", "", "root", -r);
		goto out;
	}
	if (c->root)
		r = enter_root(root, what);
out:
	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++)
		close(host[i]);
	for (size_t i = 0; i < c->nbinds; i++)
		close(srcs[i]);
	return r;
}
