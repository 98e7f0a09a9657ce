/* SPDX-License-Identifier: MIT */
/* peer: where a control client lives. See peer.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "peer.h"
#include "supervise.h"
#include "util.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77                 /* Linux 6.5, include/uapi/asm-generic/socket.h */
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434              /* the same number on every architecture */
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

#define CG_TEXT_MAX 4096                /* /proc/PID/cgroup: a few short lines */
#define NS_DEPTH_MAX 32                 /* the kernel's pid namespace nesting limit */

/* ---- cgroup paths -------------------------------------------------------- */

/* The PATH of the line of @text whose "ID:CONTROLLERS" is @key (@klen
 * bytes), copied to @out; 0 or -ENOENT. */
static int cg_line(const char *text, const char *key, size_t klen, char *out, size_t len)
{
	for (const char *l = text; *l; ) {
		const char *end = strchr(l, '\n');
		size_t ll = end ? (size_t)(end - l) : strlen(l);

		if (ll > klen && !memcmp(l, key, klen) && l[klen] == ':' &&
		    ll - klen - 1 < len) {
			memcpy(out, l + klen + 1, ll - klen - 1);
			out[ll - klen - 1] = '\0';
			return 0;
		}
		l += ll + (end ? 1 : 0);
	}
	return -ENOENT;
}

/* Service cgroups' parent in a hierarchy where boxinit's path is @self. */
static int cg_base(const char *self, const char *subtree, char *out, size_t len)
{
	size_t sl = strlen(self), tl = strlen(subtree);

	/* v2: boxinit moved itself into <base>/init */
	if (sl >= tl + 6 && !strcmp(self + sl - 5, "/init") &&
	    self[sl - 6 - tl] == '/' && !memcmp(self + sl - 5 - tl, subtree, tl)) {
		if (sl - 5 >= len)
			return -ENAMETOOLONG;
		memcpy(out, self, sl - 5);
		out[sl - 5] = '\0';
		return 0;
	}
	if (snprintf(out, len, "%s/%s", strcmp(self, "/") ? self : "", subtree) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* The service a peer path @path names below @base, if any. */
static int cg_match(const char *path, const char *self, const char *base,
		    char *name, size_t len)
{
	size_t bl = strlen(base), nl;

	if (!strcmp(path, self))
		return 0;               /* boxinit's own cgroup (its v2 leaf) */
	if (strncmp(path, base, bl) || path[bl] != '/' || !path[bl + 1])
		return 0;
	nl = strcspn(path + bl + 1, "/");
	if (nl >= len)
		return 0;               /* not a name boxinit gives */
	memcpy(name, path + bl + 1, nl);
	name[nl] = '\0';
	return 1;
}

/* Line @l (@ll bytes, "ID:CONTROLLERS:PATH") of a peer's /proc/PID/cgroup:
 * the service it names, matched against boxinit's own line in @self. */
static int cg_peer_line(const char *l, size_t ll, const char *self, const char *subtree,
			char *name, size_t len)
{
	const char *c1 = memchr(l, ':', ll);
	const char *c2 = c1 ? memchr(c1 + 1, ':', ll - (size_t)(c1 + 1 - l)) : NULL;
	char spath[512], ppath[512], base[600];
	size_t pl;

	if (!c2)
		return 0;
	pl = ll - (size_t)(c2 + 1 - l);
	if (pl >= sizeof(ppath))
		return 0;
	memcpy(ppath, c2 + 1, pl);
	ppath[pl] = '\0';
	if (cg_line(self, l, (size_t)(c2 - l), spath, sizeof(spath)) < 0 ||
	    cg_base(spath, subtree, base, sizeof(base)) < 0)
		return 0;
	return cg_match(ppath, spath, base, name, len);
}

int peer_cgroup_service(const char *peer, const char *self, const char *subtree,
			char *name, size_t len)
{
	for (const char *l = peer; *l; ) {
		const char *end = strchr(l, '\n');
		size_t ll = end ? (size_t)(end - l) : strlen(l);

		if (cg_peer_line(l, ll, self, subtree, name, len))
			return 1;
		l += ll + (end ? 1 : 0);
	}
	return 0;
}

/* ---- the process --------------------------------------------------------- */

/* Read @file below directory @dir into @buf (NUL-terminated). */
static ssize_t read_at(int dir, const char *file, char *buf, size_t len)
{
	_cleanup_fd_ int fd = openat(dir, file, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t r = 0;

	if (fd < 0)
		return -errno;
	while (n < len - 1 && (r = read(fd, buf + n, len - 1 - n)) > 0)
		n += (size_t)r;
	if (r < 0)
		return -errno;
	buf[n] = '\0';
	return (ssize_t)n;
}

/* A pidfd of the peer: *@exact when the kernel names the connecting
 * process itself (SO_PEERPIDFD), else opened by its pid; -ENOSYS without
 * pidfds, other -errno when the peer is gone. */
static int peer_pidfd(int sock, pid_t pid, bool *exact)
{
	int fd = -1;
	socklen_t len = sizeof(fd);

	*exact = false;
	if (getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &fd, &len) == 0) {
		*exact = true;
		return fd;
	}
	if (errno != ENOPROTOOPT && errno != EINVAL && errno != EOPNOTSUPP)
		return -errno;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	return fd >= 0 ? fd : -errno;
}

/* The process behind @pidfd still exists (no pidfd: assume so). */
static bool alive(int pidfd)
{
	if (pidfd < 0)
		return true;
	return syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0 || errno == EPERM;
}

/* The process of /proc/PID @dir started no later than now: one started
 * after the peer connected (its pid reused) would not. Field 22 of
 * /proc/PID/stat, clock ticks since boot (proc(5)). */
static bool started_by_now(int dir)
{
	char buf[1024], *end;
	const char *p;
	unsigned long long start;
	/* USER_HZ, the unit of /proc/PID/stat: what sysconf(_SC_CLK_TCK)
	 * reads, from the auxiliary vector (getauxval(3)) */
	long hz = (long)getauxval(AT_CLKTCK);
	struct timespec ts;

	if (hz <= 0 || read_at(dir, "stat", buf, sizeof(buf)) < 0 || !(p = strrchr(buf, ')')))
		return false;
	p++;
	for (int field = 3; field <= 22; field++) {     /* " S ppid ... starttime" */
		p = strchr(p, ' ');
		if (!p)
			return false;
		p++;
	}
	errno = 0;
	start = strtoull(p, &end, 10);
	if (errno || end == p || (*end != ' ' && *end != '\0') ||
	    clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
		return false;
	return start <= (unsigned long long)ts.tv_sec * (unsigned long long)hz +
			(unsigned long long)ts.tv_nsec / (1000000000ull / (unsigned long long)hz);
}

/* /proc shows boxinit's pid namespace: /proc/self is our pid. */
static bool proc_is_ours(void)
{
	char link[24], want[24];
	ssize_t n = readlink("/proc/self", link, sizeof(link) - 1);

	if (n <= 0)
		return false;
	link[n] = '\0';
	snprintf(want, sizeof(want), "%d", (int)getpid());
	return !strcmp(link, want);
}

/* boxinit's cgroup subtree name (the last component of its service
 * cgroups' parent); -ENOENT without cgroups. */
static int subtree_name(char *out, size_t len)
{
	char path[512], *slash;
	int r = cgroup_path(0, "", path, sizeof(path));

	if (r < 0)
		return r;
	if (strlen(path) && path[strlen(path) - 1] == '/')
		path[strlen(path) - 1] = '\0';
	slash = strrchr(path, '/');
	if (!slash || snprintf(out, len, "%s", slash + 1) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev;
}

/* The service whose container's pid namespace is @ns (an fd, consumed) or
 * one of its ancestors below boxinit's (@mine): NS_GET_PARENT, ioctl_ns(2). */
static bool ns_service(int ns, const struct stat *mine, char *name, size_t len)
{
	size_t n = supervise_count();

	for (int depth = 0; ns >= 0 && depth < NS_DEPTH_MAX; depth++) {
		struct stat st, ss;
		char path[40];
		int up;

		if (fstat(ns, &st) < 0 || same_file(&st, mine))
			break;
		for (size_t i = 0; i < n; i++) {
			struct svc_status svc;

			if (supervise_status(i, &svc) < 0 || svc.pid <= 0)
				continue;
			snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)svc.pid);
			if (stat(path, &ss) == 0 && same_file(&ss, &st)) {
				snprintf(name, len, "%s", svc.conf->name);
				close(ns);
				return true;
			}
		}
		up = ioctl(ns, NS_GET_PARENT);
		close(ns);
		ns = up;
	}
	if (ns >= 0)
		close(ns);
	return false;
}

/* Operator or service, for the process of /proc/PID @dir; NULL or why not. */
static const char *classify(struct peer *p, int dir)
{
	char pcg[CG_TEXT_MAX], scg[CG_TEXT_MAX], sub[64];
	_cleanup_fd_ int ns = openat(dir, "ns/pid", O_RDONLY | O_CLOEXEC);
	struct stat mine, theirs;

	if (ns < 0 || fstat(ns, &theirs) < 0 || stat("/proc/self/ns/pid", &mine) < 0)
		return "its pid namespace cannot be read";
	if (subtree_name(sub, sizeof(sub)) == 0) {
		if (read_at(dir, "cgroup", pcg, sizeof(pcg)) < 0 ||
		    read_at(AT_FDCWD, "/proc/self/cgroup", scg, sizeof(scg)) < 0)
			return "its cgroup cannot be read";
		if (peer_cgroup_service(pcg, scg, sub, p->service, sizeof(p->service))) {
			p->kind = PEER_SERVICE;
			return NULL;
		}
	}
	if (same_file(&theirs, &mine)) {
		p->kind = PEER_OPERATOR;
		return NULL;
	}
	p->kind = PEER_SERVICE;
	ns_service(dup(ns), &mine, p->service, sizeof(p->service));
	return NULL;
}

static const char *identify(int fd, struct peer *p)
{
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	_cleanup_fd_ int pidfd = -1;
	_cleanup_fd_ int dir = -1;
	char path[32];
	bool exact;
	const char *why;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0)
		return "no SO_PEERCRED";
	p->pid = cred.pid;
	p->uid = cred.uid;
	if (cred.pid <= 0)
		return "not in boxinit's pid namespace or below";
	pidfd = peer_pidfd(fd, cred.pid, &exact);
	if (pidfd < 0 && pidfd != -ENOSYS)
		return "gone before it could be checked";
	if (!proc_is_ours())
		return "/proc is not boxinit's";
	snprintf(path, sizeof(path), "/proc/%d", (int)cred.pid);
	dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* pidfd alive after the open: /proc/PID is the peer's (exact), or at
	 * least the same process as the pidfd's */
	if (dir < 0 || !alive(pidfd) || (!exact && !started_by_now(dir)))
		return "gone before it could be checked";
	why = classify(p, dir);
	if (!why && !alive(pidfd))
		why = "gone before it could be checked";
	return why;
}

void peer_identify(int fd, struct peer *p)
{
	const char *why;

	memset(p, 0, sizeof(*p));
	p->uid = (uid_t)-1;
	why = identify(fd, p);
	if (why) {
		p->kind = PEER_UNKNOWN;
		p->service[0] = '\0';
		snprintf(p->why, sizeof(p->why), "%s", why);
	}
}

enum svc_control peer_access(int fd, pid_t *pid, bool *operator_peer, char *who,
			     size_t len)
{
	struct peer p;
	const struct svc_conf *s;

	peer_identify(fd, &p);
	*pid = p.pid;
	*operator_peer = p.kind == PEER_OPERATOR && p.uid == 0;
	switch (p.kind) {
	case PEER_OPERATOR:
		snprintf(who, len, "uid %d", (int)p.uid);
		return p.uid == 0 ? CONTROL_FULL : CONTROL_NONE;
	case PEER_SERVICE:
		s = p.service[0] ? supervise_conf_of(p.service) : NULL;
		snprintf(who, len, "service %s, control = %s", p.service[0] ? p.service : "?",
			 !s || s->control == CONTROL_NONE ? "no" :
			 s->control == CONTROL_STATUS ? "status" : "yes");
		return s && p.uid == 0 ? s->control : CONTROL_NONE;
	default:
		snprintf(who, len, "%s", p.why);
		return CONTROL_NONE;
	}
}
