/* SPDX-License-Identifier: MIT */
/*
 * container_root: the root of a container and what must never be seen in
 * it. See container_priv.h and container.h.
 *
 *   - paths inside the root and bind sources opened without following
 *     symlinks (openat2(2), or a walk component by component)
 *   - read-only trees: mount_setattr(2) AT_RECURSIVE, or a walk of
 *     /proc/self/mountinfo on kernels before 5.12
 *   - boxinit's control plane (socket, log directory, config file) found
 *     in the root and the bind sources, and masked
 *   - pivot_root(2) from the top of the mount namespace, so that no mount
 *     of the old tree stays above the new root (pivot_root(2) attaches the
 *     new root where the old root mount was; ".." from a mount's root
 *     leads to its parent mount)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
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

#define CAP_BIT_SYS_CHROOT     18
#define CAP_BIT_SYS_ADMIN      21

/* boxinit's control plane, absolute and canonical (container_set_control) */
static char *ctl_path[4];      /* socket, log directory, config file, state_dir */

/* Masks planned by ct_plan_control(), relative to the container's root. */
static char **mask_rel;
static size_t nmasks;
static int sock_fd = -1;        /* the socket, bound in at sock_rel */
static const char *sock_rel;

const char *ct_fd_path(int fd, char *buf)
{
	snprintf(buf, 24, "self/fd/%d", fd);
	return buf;
}

int ct_fail(struct err *e, const char *step, const char *slash,
	    const char *rel, int err)
{
	return err_set(e, -err, "%s %s%s", step, slash, rel);
}

/* @p made absolute and canonical: realpath(3), or of its directory +
 * its name (a file not there yet). NULL when that fails. */
static char *canon(const char *p)
{
	char dir[PATH_MAX], *slash, *real, *out = NULL;

	if (!p || strlen(p) >= sizeof(dir) - 2)
		return NULL;
	real = realpath(p, NULL);
	if (real)
		return real;
	snprintf(dir, sizeof(dir), "%s%s", *p == '/' ? "" : "./", p);
	slash = strrchr(dir, '/');
	*slash = '\0';
	real = realpath(*dir ? dir : "/", NULL);
	if (real && asprintf(&out, "%s/%s", strcmp(real, "/") ? real : "",
			     slash + 1) < 0)
		out = NULL;
	free(real);
	return out;
}

void container_set_control(const struct ct_control *c)
{
	const char *p[4] = { c->socket, c->log_dir, c->config, c->state_dir };

	for (size_t i = 0; i < ARRAY_SIZE(ctl_path); i++) {
		free(ctl_path[i]);
		ctl_path[i] = canon(p[i]);
	}
}

/* Whether @rel has a "." or ".." component (ct_open_in refuses those). */
static bool has_dots(const char *rel)
{
	for (const char *p = rel; *p; p += strcspn(p, "/")) {
		size_t n;

		p += strspn(p, "/");
		n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return true;
	}
	return false;
}

/* The whole of @rel below @dir in one openat2(2) (Linux 5.6): no symlink
 * in any component, the last one included (-ELOOP), nothing outside
 * @dir. -ENOSYS: walk instead. */
static int open_beneath(int dir, const char *rel)
{
	struct ct_open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = CT_RESOLVE_NO_SYMLINKS | CT_RESOLVE_BENEATH,
	};
	int fd = (int)syscall(SYS_openat2, dir, rel, &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

/* The last component @name below @cur, created first per @make (the walk
 * runs because something is missing, most often this). */
static int open_last(int cur, const char *name, int make)
{
	int fd = -1;

	if (make == MAKE_FILE)
		/* any fd names a mount point (FDP): this one will do */
		fd = openat(cur, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			    O_CLOEXEC, 0644);
	else if (make == MAKE_DIR && mkdirat(cur, name, 0755) < 0 && errno != EEXIST)
		return -1;
	if (fd < 0 && (make == MUST_EXIST || make == MAKE_DIR || errno == EEXIST))
		fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

/* The component walk: each one opened O_NOFOLLOW below the last, missing
 * ones created per @make. Returns the fd or -errno. */
static int walk_in(int dir, const char *rel, int make)
{
	int cur = dir, fd, e;
	char name[256];
	size_t n;

	while (*(rel += strspn(rel, "/"))) {
		bool last;

		n = strcspn(rel, "/");
		last = !rel[n + strspn(rel + n, "/")];
		e = n >= sizeof(name) ? ENAMETOOLONG : 0;
		if (!e) {
			memcpy(name, rel, n);
			name[n] = '\0';
			rel += n;
			if (!strcmp(name, ".") || !strcmp(name, ".."))
				e = EINVAL;
		}
		if (e)
			fd = -1;
		else if (last)
			fd = open_last(cur, name, make);
		else if ((fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC |
				      O_DIRECTORY)) < 0 && errno == ENOENT &&
			 make != MUST_EXIST &&
			 (mkdirat(cur, name, 0755) == 0 || errno == EEXIST))
			fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC | O_DIRECTORY);
		e = e ? e : errno;
		if (cur != dir)
			close(cur);
		if (fd < 0)
			return -e;
		cur = fd;
	}
	if (cur == dir && (cur = fcntl(dir, F_DUPFD_CLOEXEC, 3)) < 0)
		return -errno;
	return cur;
}

/* ct_open_in: see container_priv.h */
int ct_open_in(int dir, const char *rel, int make)
{
	struct stat st;
	int fd;

	rel += strspn(rel, "/");
	if (*rel && !has_dots(rel)) {
		fd = open_beneath(dir, rel);
		/* a symlink on the way: the walk names the error, as it
		 * always did; a missing part: the walk makes it */
		if (fd >= 0 || (fd != -ENOSYS && fd != -ELOOP &&
				(fd != -ENOENT || make == MUST_EXIST)))
			return fd;
	}
	fd = walk_in(dir, rel, make);
	if (fd < 0)
		return fd;
	/* the last component, opened O_NOFOLLOW, may be the link itself */
	if (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode)) {
		close(fd);
		return -ELOOP;
	}
	return fd;
}

int ct_open_nofollow(const char *path)
{
	struct ct_open_how how = {
		.flags = O_PATH | O_CLOEXEC, .resolve = CT_RESOLVE_NO_SYMLINKS,
	};
	_cleanup_fd_ int top = -1;
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));

	if (fd >= 0 || errno != ENOSYS)
		return fd >= 0 ? fd : -errno;
	top = ct_open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return top < 0 ? -errno : ct_open_in(top, path, MUST_EXIST);
}

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++, o++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] && s[3]) {
			*o = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 3;
		} else {
			*o = *s;
		}
	}
	*o = '\0';
}

/* Before mount_setattr(2): remount every mount at or below @fd's path. */
static int ro_walk(int fd)
{
	unsigned long keep = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
			     MS_NODIRATIME | MS_RELATIME;
	char top[PATH_MAX], line[4096], *fl[5], *mp;
	ssize_t n = readlink(FDP(fd), top, sizeof(top) - 1);
	struct statfs sf;
	size_t len;
	FILE *f;
	int r = 0;

	if (n < 0)
		return -errno;
	top[n] = '\0';
	len = strcmp(top, "/") ? (size_t)n : 0;
	f = fopen("self/mountinfo", "re");      /* boxinit's /proc: the cwd */
	if (!f)
		return -errno;
	while (r == 0 && fgets(line, sizeof(line), f)) {
		/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ..." (proc(5)) */
		if (split_fields(line, fl, 5) != 5)
			continue;
		mp = fl[4];
		unescape(mp);
		if (strncmp(mp, top, len) || (mp[len] && mp[len] != '/'))
			continue;
		if (statfs(mp, &sf) < 0 ||
		    mount(NULL, mp, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY |
			  ((unsigned long)sf.f_flags & keep), NULL) < 0)
			r = -errno;
	}
	fclose(f);
	return r;
}

int ct_ro_tree(int fd)
{
	struct ct_mount_attr a = { .attr_set = CT_MOUNT_ATTR_RDONLY };

	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | CT_AT_RECURSIVE,
		    &a, sizeof(a)) == 0)
		return 0;
	return errno == ENOSYS ? ro_walk(fd) : -errno;
}

/* @h is @s or below it: the rest of @h ("" or "/..."), else NULL. */
static const char *below(const char *h, const char *s)
{
	size_t n = strcmp(s, "/") ? strlen(s) : 0;

	if (strncmp(h, s, n) || (h[n] && h[n] != '/'))
		return NULL;
	return h + n;
}

/* Plan masks for @h seen through the view @src (canonical) -> @dst. */
static int plan_one(const char *h, const char *src, const char *dst)
{
	const char *rest = src ? below(h, src) : NULL;
	char **n, *rel;

	if (!rest)
		return 0;
	if (asprintf(&rel, "%s%s", dst, rest) < 0)
		return -ENOMEM;
	n = realloc(mask_rel, (nmasks + 1) * sizeof(*n));
	if (!n) {
		free(rel);
		return -ENOMEM;
	}
	mask_rel = n;
	mask_rel[nmasks++] = rel;
	return 0;
}

int ct_plan_control(const struct svc_conf *c, struct err *e)
{
	bool ctl = c->control != CONTROL_NONE;
	_cleanup_free_ char *root = realpath(c->root ? c->root : "/", NULL);
	int r = 0;

	for (size_t i = ctl ? 1 : 0; i < ARRAY_SIZE(ctl_path) && !r; i++) {
		if (!ctl_path[i])
			continue;
		r = plan_one(ctl_path[i], root, "");
		for (size_t j = 0; j < c->nbinds && !r; j++) {
			_cleanup_free_ char *s = realpath(c->binds[j].src, NULL);

			r = plan_one(ctl_path[i], s, c->binds[j].dst);
		}
	}
	if (r < 0)
		return ct_fail(e, "control plane", "", "", -r);
	if (ctl && c->root && ctl_path[0]) {
		sock_fd = ct_open(ctl_path[0], O_PATH | O_CLOEXEC);
		if (sock_fd < 0)
			return ct_fail(e, "control socket", "", ctl_path[0], errno);
		sock_rel = ctl_path[0];
	}
	return 0;
}

int ct_control_mountpoints(const struct svc_conf *c, int root, struct err *e)
{
	int fd;

	(void)c;
	if (sock_fd < 0)
		return 0;
	fd = ct_open_in(root, sock_rel, MAKE_FILE);
	if (fd < 0)
		return ct_fail(e, "control socket", "", sock_rel, -fd);
	close(fd);
	return 0;
}

int ct_hide_control(const struct svc_conf *c, int root, int null, struct err *e)
{
	struct stat st;
	int r;

	(void)c;
	for (size_t i = 0; i < nmasks; i++) {
		_cleanup_fd_ int fd = ct_open_in(root, mask_rel[i], MUST_EXIST);

		if (fd == -ENOENT)
			continue;
		if (fd < 0 || fstat(fd, &st) < 0)
			return ct_fail(e, "mask", "/", mask_rel[i], fd < 0 ? -fd : errno);
		if (S_ISDIR(st.st_mode))
			r = mount("tmpfs", FDP(fd), "tmpfs", MS_RDONLY | MS_NOSUID |
				  MS_NODEV | MS_NOEXEC, "size=0,mode=555");
		else
			r = mount(FDP(null), FDP(fd), NULL, MS_BIND, NULL);
		if (r < 0)
			return ct_fail(e, "mask", "/", mask_rel[i], errno);
	}
	if (sock_fd >= 0) {
		_cleanup_fd_ int fd = ct_open_in(root, sock_rel, MAKE_FILE);

		if (fd < 0 || mount(FDP(sock_fd), FDP(fd), NULL, MS_BIND, NULL) < 0)
			return ct_fail(e, "control socket", "", sock_rel,
				       fd < 0 ? -fd : errno);
	}
	return 0;
}

int ct_enter_root(const struct svc_conf *c, int root, bool stacked,
		  struct err *e)
{
	uint64_t caps = c->has_caps ? c->caps : CT_DEFAULT_CAPS;
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
		/* the top of the namespace is the initramfs' rootfs */
		step = "move root";
		if (!stacked && mount(".", "/", NULL, MS_MOVE, NULL) < 0)
			goto fail;
		step = "chroot";
		if (chroot(".") < 0)
			goto fail;
		if (caps & ((1ull << CAP_BIT_SYS_CHROOT) | (1ull << CAP_BIT_SYS_ADMIN)))
			err_setx(e, 0, "warning: pivot_root refused, "
				 "MS_MOVE + chroot used: caps sys_chroot or "
				 "sys_admin may reach the old root");
	}
	step = "chdir";
	if (chdir("/") == 0)
		return 0;
fail:
	return err_set(e, -errno, "%s", step);
}

/* ---- what a container cloned ahead mounts (container_note_sources) ----- */

/* /proc/self/mountinfo, held by boxinit to count its mount changes;
 * -1: not open (yet). */
static int mounts_fd = -1;
static uint64_t mounts_changed;

/* A count that grows when boxinit's mount table changed since the last
 * call (POLLPRI once per poll after any number of changes). */
static uint64_t mount_changes(void)
{
	struct pollfd p = { .events = POLLPRI };

	if (mounts_fd < 0)
		mounts_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (mounts_fd < 0)
		return 0;
	p.fd = mounts_fd;
	if (poll(&p, 1, 0) == 1 && (p.revents & POLLPRI))
		mounts_changed++;
	return mounts_changed;
}

/* The @i-th path a container of @c is made from: its root, its bind
 * sources, the control plane's paths (may be NULL). */
static const char *source(const struct svc_conf *c, size_t i)
{
	if (i == 0)
		return c->root;
	if (i <= c->nbinds)
		return c->binds[i - 1].src;
	return ctl_path[i - 1 - c->nbinds];
}

/* @path as the reaper opens it (no symlink anywhere: -ELOOP), or "/". */
static int open_source(const char *path)
{
	int fd;

	if (path)
		return ct_open_nofollow(path);
	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The identity of the file @fd refers to: device and inode and, where
 * the file system has them, its file handle (name_to_handle_at(2): for
 * ext4 and the like it holds the inode's generation, so a number
 * reused for another file differs). */
static void src_id(int fd, struct ct_src_id *id)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[CT_HANDLE_MAX];
	} h;
	struct stat st;
	int mnt;

	memset(id, 0, sizeof(*id));
	id->type = CT_SRC_ABSENT;
	if (fd < 0 || fstat(fd, &st) < 0)
		return;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->type = CT_SRC_NO_HANDLE;
	h.fh.handle_bytes = CT_HANDLE_MAX;
	if (name_to_handle_at(fd, "", &h.fh, &mnt, AT_EMPTY_PATH) == 0 &&
	    h.fh.handle_bytes <= CT_HANDLE_MAX) {
		id->type = h.fh.handle_type;
		id->len = h.fh.handle_bytes;
		memcpy(id->handle, h.fh.f_handle, id->len);
	}
}

static bool same_id(const struct ct_src_id *a, const struct ct_src_id *b)
{
	return a->type == b->type && a->dev == b->dev && a->ino == b->ino &&
	       a->len == b->len && !memcmp(a->handle, b->handle, a->len);
}

/* The identity of the @i-th source of @c as it opens now; -errno when a
 * root or bind source does not open, or a control path fails otherwise
 * than by not being there. */
static int id_now(const struct svc_conf *c, size_t i, struct ct_src_id *id)
{
	const char *path = source(c, i);
	bool ctl = i > c->nbinds;
	_cleanup_fd_ int fd = ctl && !path ? -ENOENT : open_source(path);

	if (fd < 0 && !(ctl && fd == -ENOENT))
		return fd;
	src_id(fd, id);
	return 0;
}

int container_note_sources(const struct svc_conf *c, struct ct_src_id **ids,
			   uint64_t *mounts)
{
	size_t n = 1 + c->nbinds + ARRAY_SIZE(ctl_path);
	struct ct_src_id *id = calloc(n, sizeof(*id));
	int r;

	*ids = NULL;
	if (!id)
		return -ENOMEM;
	*mounts = mount_changes();
	for (size_t i = 0; i < n; i++)
		if ((r = id_now(c, i, &id[i])) < 0) {
			free(id);
			return r;
		}
	*ids = id;
	return (int)n;
}

bool container_sources_changed(const struct svc_conf *c, const struct ct_src_id *ids,
			       int n, uint64_t mounts)
{
	struct ct_src_id now;

	if (mount_changes() != mounts)
		return true;
	for (int i = 0; i < n; i++)
		if (id_now(c, (size_t)i, &now) < 0 || !same_id(&now, &ids[i]))
			return true;
	return false;
}

/* What the next clone must find (container_expect_sources): a copy in
 * every child, read by ct_check_sources() in the reaper. */
static const struct ct_src_id *expected;

void container_expect_sources(const struct ct_src_id *ids)
{
	expected = ids;
}

int ct_check_sources(int root, const int *srcs, size_t nsrcs, struct err *e)
{
	struct ct_src_id id;

	for (size_t i = 0; expected && i <= nsrcs; i++) {
		src_id(i ? srcs[i - 1] : root, &id);
		if (!same_id(&id, &expected[i]))
			return err_setx(e, -ESTALE, "%s changed since boxinit looked",
				       i ? "a bind source" : "the root");
	}
	return 0;
}
