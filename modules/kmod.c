/* SPDX-License-Identifier: MIT */
/* kmod: modprobe-like loading of kernel modules at boot. See kmod.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kmod.h"
#include "log.h"
#include "util.h"

#define KMOD_LINE_MAX  1024     /* streamed files: longer lines are skipped */
#define KMOD_SOFT_MAX  8        /* softdeps / alias targets used per module */
#define KMOD_MISSING   (-2)     /* internal: optional module not found */

enum { KS_BUSY = 1, KS_OK, KS_FAIL };

/* One line of modules.dep, split in place: "path\0deps\0". */
struct dep_line {
	const char *path;
	const char *deps;
	const char *name;       /* module name inside path, not terminated */
	size_t nlen;
};

/* A module (or alias) seen during this call, by normalized name. */
struct kent {
	char name[KMOD_NAME_MAX];
	unsigned char state;
};

struct kctx {
	int dirfd;
	const char *root;       /* for messages */
	char *dep;              /* modules.dep contents */
	struct dep_line *lines;
	size_t nlines;
	struct kent *ents;
	size_t nents, cap;
	int failed;
	int nloaded;
	size_t slen;
	char summary[400];      /* " veth llc stp ..." */
};

/* A few names collected from a streamed file before recursing. */
struct names {
	size_t n;
	char v[KMOD_SOFT_MAX][KMOD_NAME_MAX];
};

static int finit_syscall(int fd, const char *params, int flags)
{
	return syscall(SYS_finit_module, fd, params, flags) < 0 ? -errno : 0;
}

static int loaded_proc(const char *name);

int (*kmod_finit)(int fd, const char *params, int flags) = finit_syscall;
int (*kmod_loaded)(const char *name) = loaded_proc;

/* ---- names -------------------------------------------------------------- */

static inline bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Copy @len bytes of @s to @out with '-' turned to '_'; false if invalid. */
static bool name_norm(char *out, const char *s, size_t len)
{
	if (len == 0 || len >= KMOD_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] <= ' ' || s[i] == '/')
			return false;
		out[i] = s[i] == '-' ? '_' : s[i];
	}
	out[len] = '\0';
	return true;
}

/* Is @s (@len bytes, raw) the normalized name @n? */
static bool name_eq(const char *n, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++, n++) {
		char ch = s[i] == '-' ? '_' : s[i];

		if (*n != ch)
			return false;
	}
	return *n == '\0';
}

/* The module name in a path ("kernel/net/llc/llc.ko" -> "llc"): its length. */
static size_t path_modname(const char *path, size_t len, const char **name)
{
	const char *b = path, *e = path + len;

	for (const char *p = path; p < e; p++)
		if (*p == '/')
			b = p + 1;
	*name = b;
	for (const char *p = b; p < e; p++)
		if (*p == '.')
			return (size_t)(p - b);
	return (size_t)(e - b);
}

static void names_add(struct names *nm, const char *s)
{
	if (nm->n < KMOD_SOFT_MAX && name_norm(nm->v[nm->n], s, strlen(s)))
		nm->n++;
}

/* ---- files ---------------------------------------------------------------- */

/* Line reader with a fixed buffer, for the files only scanned for a match. */
struct lrd {
	int fd;
	char sep;
	bool eof, skip;
	size_t a, b;            /* unread bytes are buf[a..b) */
	char buf[KMOD_LINE_MAX];
};

static void lrd_open(struct lrd *r, int dirfd, const char *file, char sep)
{
	r->fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
	r->sep = sep;
	r->eof = r->fd < 0;
	r->skip = false;
	r->a = r->b = 0;
}

static void lrd_close(struct lrd *r)
{
	if (r->fd >= 0)
		close(r->fd);
}

/* The next NUL-terminated record, or NULL at the end (or on a read error). */
static char *lrd_next(struct lrd *r)
{
	for (;;) {
		char *s = memchr(r->buf + r->a, r->sep, r->b - r->a);
		char *line = r->buf + r->a;
		ssize_t n;

		if (s) {
			*s = '\0';
			r->a = (size_t)(s - r->buf) + 1;
			if (!r->skip)
				return line;
			r->skip = false;        /* end of an overlong line */
			continue;
		}
		if (r->eof) {
			if (r->a == r->b || r->skip)
				return NULL;
			r->buf[r->b] = '\0';    /* last line without separator */
			r->a = r->b;
			return line;
		}
		memmove(r->buf, line, r->b - r->a);
		r->b -= r->a;
		r->a = 0;
		if (r->b == sizeof(r->buf) - 1) {
			r->skip = true;         /* drop it up to the separator */
			r->b = 0;
		}
		n = read(r->fd, r->buf + r->b, sizeof(r->buf) - 1 - r->b);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			r->eof = true;
		else
			r->b += (size_t)n;
	}
}

/* Default kmod_loaded: is @name the first field of a /proc/modules line? */
static int loaded_proc(const char *name)
{
	struct lrd r;
	char *line;
	int found = 0;

	lrd_open(&r, AT_FDCWD, "/proc/modules", '\n');
	while (!found && (line = lrd_next(&r)))
		found = name_eq(name, line, strcspn(line, " "));
	lrd_close(&r);
	return found;
}

/*
 * Is @n built in: listed in modules.builtin, or (@alias) an alias of a
 * built-in module in modules.builtin.modinfo ("mod.alias=NAME\0")?
 */
static __attribute__((noinline)) bool builtin_has(struct kctx *c, const char *n,
						  bool alias)
{
	struct lrd r;
	char *line;
	bool found = false;

	lrd_open(&r, c->dirfd, alias ? "modules.builtin.modinfo" : "modules.builtin",
		 alias ? '\0' : '\n');
	while (!found && (line = lrd_next(&r))) {
		const char *name, *p;
		size_t len;

		if (!alias) {
			len = path_modname(line, strcspn(line, " \t\r"), &name);
			found = name_eq(n, name, len);
		} else if ((p = strchr(line, '.')) && !strncmp(p, ".alias=", 7)) {
			found = name_eq(n, p + 7, strlen(p + 7));
		}
	}
	lrd_close(&r);
	return found;
}

enum { COLLECT_ALIAS, COLLECT_PRE, COLLECT_POST };

/*
 * Collect into @nm the modules alias @n names in modules.alias
 * (COLLECT_ALIAS), or the "pre:" / "post:" modules of @n in modules.softdep.
 */
static __attribute__((noinline)) void collect(struct kctx *c, const char *n,
					      int what, struct names *nm)
{
	bool softdep = what != COLLECT_ALIAS;
	struct lrd r;
	char *line, *f[48];

	nm->n = 0;
	lrd_open(&r, c->dirfd, softdep ? "modules.softdep" : "modules.alias", '\n');
	while ((line = lrd_next(&r))) {
		int nf = split_fields(line, f, (int)ARRAY_SIZE(f)), mode = 0;

		if (nf < 3 || strcmp(f[0], softdep ? "softdep" : "alias") ||
		    !name_eq(n, f[1], strlen(f[1])))
			continue;
		if (!softdep) {
			names_add(nm, f[2]);
			continue;
		}
		for (int i = 2; i < nf; i++) {
			if (!strcmp(f[i], "pre:"))
				mode = COLLECT_PRE;
			else if (!strcmp(f[i], "post:"))
				mode = COLLECT_POST;
			else if (mode == what)
				names_add(nm, f[i]);
		}
	}
	lrd_close(&r);
}

/* Read modules.dep and index its lines. Errors are logged; 0 or -errno. */
static int dep_load(struct kctx *c)
{
	_cleanup_fd_ int fd = openat(c->dirfd, "modules.dep", O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t len = 0, nl = 1;
	char *p, *end;
	int err;

	if (fd < 0 || fstat(fd, &st) < 0) {
		err = errno;
		log_err("modules: %s/modules.dep: %s (run depmod)", c->root, strerror(err));
		return -err;
	}
	if ((uint64_t)st.st_size > KMOD_DEP_MAX) {
		log_err("modules: %s/modules.dep: larger than %u bytes", c->root, KMOD_DEP_MAX);
		return -EFBIG;
	}
	c->dep = malloc((size_t)st.st_size + 1);
	if (!c->dep)
		goto nomem;
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, c->dep + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			log_err("modules: %s/modules.dep: %s", c->root, strerror(err));
			return -err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	c->dep[len] = '\0';
	end = c->dep + len;
	for (p = c->dep; p < end; p++)
		nl += *p == '\n';
	if (nl > KMOD_DEP_LINES)
		nl = KMOD_DEP_LINES;
	c->lines = calloc(nl, sizeof(*c->lines));
	if (!c->lines)
		goto nomem;
	for (p = c->dep; p < end; p++) {
		char *e = memchr(p, '\n', (size_t)(end - p));
		char *colon;
		struct dep_line *dl = &c->lines[c->nlines];

		if (!e)
			e = end;
		*e = '\0';
		if (c->nlines == nl) {
			log_warn("modules: %s/modules.dep: more than %u entries, the rest is ignored",
				 c->root, KMOD_DEP_LINES);
			break;
		}
		colon = strchr(p, ':');
		if (colon && *p != '#') {
			*colon = '\0';
			dl->path = p;
			dl->deps = colon + 1;
			dl->nlen = path_modname(p, (size_t)(colon - p), &dl->name);
			if (dl->nlen > 0 && dl->nlen < KMOD_NAME_MAX)
				c->nlines++;
		}
		p = e;
	}
	return 0;
nomem:
	log_err("modules: %s/modules.dep: out of memory", c->root);
	return -ENOMEM;
}

static const struct dep_line *dep_find(struct kctx *c, const char *n)
{
	for (size_t i = 0; i < c->nlines; i++)
		if (name_eq(n, c->lines[i].name, c->lines[i].nlen))
			return &c->lines[i];
	return NULL;
}

/* ---- loading -------------------------------------------------------------- */

/* What an errno from finit_module(2) means for a module. */
static const char *finit_strerror(int e)
{
	switch (e) {
	case ENOENT:
		return "Unknown symbol in module (ENOENT; see dmesg)";
	case ENOEXEC:
		return "Invalid module format (ENOEXEC)";
	case EKEYREJECTED:
		return "Module signature rejected (EKEYREJECTED)";
	case EPERM:
		return "Operation not permitted (EPERM; module loading disabled?)";
	case ENODEV:
		return "No such device (ENODEV)";
	default:
		return strerror(e);
	}
}

static void summary_add(struct kctx *c, const char *n)
{
	size_t len = strlen(n), room = sizeof(c->summary) - c->slen;

	c->nloaded++;
	if (len + 6 < room) {
		c->slen += (size_t)snprintf(c->summary + c->slen, room, " %s", n);
	} else if (room >= 5) {
		memcpy(c->summary + c->slen, " ...", 5);
		c->slen = sizeof(c->summary);
	}
}

/* Open @path (relative to the root) and hand it to the kernel. */
static int load_file(struct kctx *c, const char *n, const char *path)
{
	_cleanup_fd_ int fd = openat(c->dirfd, path, O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0) {
		log_err("modules: %s: open %s%s%s: %s", n, *path == '/' ? "" : c->root,
			*path == '/' ? "" : "/", path, strerror(errno));
		c->failed++;
		return -1;
	}
	r = kmod_finit(fd, "", 0);
	if (r == -EEXIST) {
		log_debug("modules: %s: already loaded", n);
		return 0;
	}
	if (r < 0) {
		log_err("modules: %s: finit_module: %s", n, finit_strerror(-r));
		c->failed++;
		return -1;
	}
	log_debug("modules: %s: loaded", n);
	summary_add(c, n);
	return 0;
}

static int kload(struct kctx *c, const char *raw, size_t rawlen, int depth, bool soft);

static void load_soft(struct kctx *c, const char *n, int depth, int what)
{
	struct names nm;

	collect(c, n, what, &nm);
	for (size_t k = 0; k < nm.n; k++)
		kload(c, nm.v[k], strlen(nm.v[k]), depth + 1, true);
}

/* @n is not in modules.dep: built in, an alias, or missing. */
static int resolve_other(struct kctx *c, const char *n, int depth, bool soft)
{
	struct names nm;
	bool tried = false;

	if (builtin_has(c, n, false)) {
		log_debug("modules: %s: built in", n);
		return 0;
	}
	collect(c, n, COLLECT_ALIAS, &nm);
	for (size_t k = 0; k < nm.n; k++) {
		int r;

		if (!strcmp(nm.v[k], n))
			continue;
		r = kload(c, nm.v[k], strlen(nm.v[k]), depth + 1, soft);
		if (r == 0) {
			log_debug("modules: %s: alias of %s", n, nm.v[k]);
			return 0;
		}
		tried |= r != KMOD_MISSING;
	}
	if (tried)
		return -1;      /* the targets' failures were reported */
	if (builtin_has(c, n, true)) {
		log_debug("modules: %s: built in (alias)", n);
		return 0;
	}
	if (soft) {
		log_debug("modules: %s: optional module not found, skipped", n);
		return KMOD_MISSING;
	}
	log_err("modules: %s: not found in %s (modules.dep)", n, c->root);
	c->failed++;
	return -1;
}

/* Load @n after its soft and hard dependencies. 0, or -1 when reported. */
static int kload_one(struct kctx *c, const char *n, int depth, bool soft)
{
	const struct dep_line *dl;
	const char *s, *e;

	if (kmod_loaded(n) > 0) {
		log_debug("modules: %s: already loaded", n);
		return 0;
	}
	dl = dep_find(c, n);
	if (!dl)
		return resolve_other(c, n, depth, soft);

	load_soft(c, n, depth, COLLECT_PRE);
	/* Hard dependencies: from the end of the line to its start. */
	s = dl->deps;
	e = s + strlen(s);
	while (e > s) {
		const char *t, *dn;
		size_t dlen;
		int r;

		while (e > s && is_blank(e[-1]))
			e--;
		for (t = e; t > s && !is_blank(t[-1]); t--)
			;
		if (t == e)
			break;
		dlen = path_modname(t, (size_t)(e - t), &dn);
		e = t;
		r = kload(c, dn, dlen, depth + 1, false);
		if (r == -ELOOP) {
			log_err("modules: %s: dependency cycle through %.*s in modules.dep: not loading it",
				n, (int)dlen, dn);
		} else if (r < 0) {
			log_err("modules: %s: needs %.*s, which failed to load: not loading it",
				n, (int)dlen, dn);
		}
		if (r < 0) {
			c->failed++;
			return -1;
		}
	}
	if (load_file(c, n, dl->path) < 0)
		return -1;
	load_soft(c, n, depth, COLLECT_POST);
	return 0;
}

/*
 * Load module or alias @raw (@rawlen bytes) once per call. @soft: an
 * optional module (a softdep), skipped silently when missing. Returns 0,
 * -1 when it failed (already reported), -ELOOP when it is being loaded
 * further up the chain (a cycle).
 */
static int kload(struct kctx *c, const char *raw, size_t rawlen, int depth, bool soft)
{
	char n[KMOD_NAME_MAX];
	size_t i;
	int r;

	if (!name_norm(n, raw, rawlen)) {
		log_err("modules: \"%.*s\": invalid module name", (int)(rawlen > 80 ? 80 : rawlen), raw);
		c->failed++;
		return -1;
	}
	for (i = 0; i < c->nents; i++) {
		if (strcmp(c->ents[i].name, n))
			continue;
		if (c->ents[i].state == KS_BUSY)
			return soft ? 0 : -ELOOP;
		return c->ents[i].state == KS_OK ? 0 : -1;
	}
	if (c->nents == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		struct kent *ents = realloc(c->ents, cap * sizeof(*ents));

		if (!ents) {
			log_err("modules: %s: out of memory", n);
			c->failed++;
			return -1;
		}
		c->ents = ents;
		c->cap = cap;
	}
	i = c->nents++;
	memcpy(c->ents[i].name, n, sizeof(n));
	c->ents[i].state = KS_BUSY;

	if (depth > KMOD_DEPTH_MAX) {
		log_err("modules: %s: dependencies nested deeper than %d: not loading it",
			n, KMOD_DEPTH_MAX);
		c->failed++;
		r = -1;
	} else {
		r = kload_one(c, n, depth, soft);
	}
	if (r == KMOD_MISSING) {
		c->nents--;     /* the last entry: a later hard request reports it */
		return KMOD_MISSING;
	}
	c->ents[i].state = r == 0 ? KS_OK : KS_FAIL;
	return r;
}

int kmod_load_list(const char *root, char *const *names)
{
	struct kctx c = { .dirfd = -1 };
	char rootbuf[sizeof(((struct utsname *)0)->release) + 16];
	struct utsname u;

	if (!names || !names[0])
		return 0;
	if (!root) {
		if (uname(&u) < 0)
			u.release[0] = '\0';
		snprintf(rootbuf, sizeof(rootbuf), "/lib/modules/%s", u.release);
		root = rootbuf;
	}
	c.root = root;
	c.dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.dirfd < 0)
		log_err("modules: %s: %s", root, strerror(errno));
	else
		dep_load(&c);

	for (size_t i = 0; names[i]; i++)
		kload(&c, names[i], strlen(names[i]), 0, false);

	if (c.nloaded)
		log_info("modules: loaded %d (%s)", c.nloaded, c.summary + 1);
	else
		log_debug("modules: nothing new to load");
	if (c.dirfd >= 0)
		close(c.dirfd);
	free(c.lines);
	free(c.dep);
	free(c.ents);
	return c.failed;
}
