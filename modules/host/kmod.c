/* SPDX-License-Identifier: MIT */
/* kmod: modprobe-like loading of kernel modules at boot. See kmod.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kmod_priv.h"
#include "log.h"
#include "timeline.h"
#include "util.h"

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4   /* linux/module.h, 5.17 */
#endif


static int finit_syscall(int fd, const char *params, int flags)
{
	return syscall(SYS_finit_module, fd, params, flags) < 0 ? -errno : 0;
}

static int loaded_proc(const char *name);

int (*kmod_finit)(int fd, const char *params, int flags) = finit_syscall;
int (*kmod_loaded)(const char *name) = loaded_proc;
const char *kmod_sysroot = "";


/* Default kmod_loaded: is @name the first field of a /proc/modules line? */
static int loaded_proc(const char *name)
{
	struct lrd r;
	char *line;
	int found = 0;

	lrd_open(&r, AT_FDCWD, "/proc/modules", '\n');
	while (!found && (line = lrd_next(&r)))
		found = kmod_name_eq(name, line, strcspn(line, " "));
	lrd_close(&r);
	return found;
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
	case EINVAL:
		return "Invalid argument (EINVAL; an invalid parameter value? see dmesg)";
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

/* A module file the kernel must decompress (.ko.xz, .ko.zst, .ko.gz)? */
static bool is_compressed(const char *path)
{
	static const char *const ext[] = { ".ko.xz", ".ko.zst", ".ko.gz" };
	size_t len = strlen(path);

	for (size_t i = 0; i < ARRAY_SIZE(ext); i++) {
		size_t el = strlen(ext[i]);

		if (len > el && !strcmp(path + len - el, ext[i]))
			return true;
	}
	return false;
}

/* One line of the plan: "insmod PATH [PARAMS]  # NAME: WHY" or the like. */
static void plan_line(struct kctx *c, const char *what, const char *path,
		      const char *params, const char *n, const char *why)
{
	bool rel = *path != '/' && !strcmp(what, "insmod");

	fprintf(c->plan, "%s %s%s%s%s%s\t# %s: %s\n", what, rel ? c->root : "",
		rel ? "/" : "", path, *params ? " " : "", params, n, why);
}

/*
 * Open @path (relative to the root) and hand it to the kernel. @soft: an
 * optional module, whose ENODEV (the machine lacks what it drives, e.g.
 * crc32c_intel on a CPU without SSE4.2) is not a failure.
 */
static int load_file(struct kctx *c, const char *n, const char *path, const char *why,
		     bool soft)
{
	_cleanup_fd_ int fd = openat(c->dirfd, path, O_RDONLY | O_CLOEXEC);
	char params[KMOD_PARAMS_MAX];
	bool comp = is_compressed(path);
	int r, tl;

	if (fd < 0) {
		log_err("modules: %s: open %s%s%s: %s", n, *path == '/' ? "" : c->root,
			*path == '/' ? "" : "/", path, strerror(errno));
		c->failed++;
		return -1;
	}
	if (!kconf_params(&c->conf, n, params, sizeof(params)))
		log_warn("modules: %s: parameters longer than %u bytes: loading it without them",
			 n, KMOD_PARAMS_MAX - 1);
	if (c->plan) {
		plan_line(c, "insmod", path, params, n, why);
		summary_add(c, n);
		return 0;
	}
	tl = timeline_begin(TL_MODULE, n);
	r = kmod_finit(fd, params, comp ? MODULE_INIT_COMPRESSED_FILE : 0);
	timeline_end(tl, r == 0 || r == -EEXIST);
	if (r == -EEXIST) {
		log_debug("modules: %s: already loaded", n);
		return 0;
	}
	if (r < 0 && comp && (r == -EINVAL || r == -EOPNOTSUPP)) {
		/* < 5.17: unknown flag; no CONFIG_MODULE_DECOMPRESS; other format */
		log_err("modules: %s: finit_module: %s: this kernel cannot load the compressed %s"
			" (it needs CONFIG_MODULE_DECOMPRESS=y for this compression; or ship"
			" the module uncompressed)%s%s", n, strerror(-r), path,
			*params ? "; or a parameter is invalid: " : "", params);
		c->failed++;
		return -1;
	}
	if (r == -ENODEV && soft) {
		log_info("modules: %s: not for this machine (ENODEV), skipped: it is optional (%s)",
			 n, why);
		return -1;
	}
	if (r < 0) {
		log_err("modules: %s: finit_module: %s", n, finit_strerror(-r));
		c->failed++;
		return -1;
	}
	log_debug("modules: %s: loaded (%s)", n, why);
	summary_add(c, n);
	return 0;
}

static int kload(struct kctx *c, const char *raw, size_t rawlen, int depth, bool soft,
		 const char *why);

static void load_soft(struct kctx *c, const char *n, int depth, int what)
{
	char why[KMOD_WHY_MAX];
	struct names nm;

	kmod_collect(c, n, what, &nm);
	snprintf(why, sizeof(why), "soft dependency (%s) of %s",
		 what == COLLECT_PRE ? "pre" : "post", n);
	for (size_t k = 0; k < nm.n; k++)
		kload(c, nm.v[k], strlen(nm.v[k]), depth + 1, true, why);
}

/* Load every module alias @n names, but the blacklisted ones: how many
 * loaded in *@ok, failed in *@tried, were blacklisted in *@black. */
static void load_alias(struct kctx *c, const char *n, int depth, bool soft,
		       const char *why, int *ok, int *tried, int *black)
{
	char awhy[KMOD_WHY_MAX];
	struct names nm;

	kmod_collect(c, n, COLLECT_ALIAS, &nm);
	snprintf(awhy, sizeof(awhy), "alias %s, %s", n, why);
	for (size_t k = 0; k < nm.n; k++) {
		int r;

		if (!strcmp(nm.v[k], n))
			continue;
		if (kconf_blacklisted(&c->conf, nm.v[k])) {
			/* modprobe.d(5): blacklist applies to aliases only */
			log_debug("modules: %s: blacklisted, not loaded for alias %s", nm.v[k], n);
			if (c->plan)
				fprintf(c->plan, "# %s: blacklisted (modprobe.d), not loaded for %s\n",
					nm.v[k], awhy);
			(*black)++;
			continue;
		}
		r = kload(c, nm.v[k], strlen(nm.v[k]), depth + 1, soft, awhy);
		*ok += r == 0;
		*tried += r != 0 && r != KMOD_MISSING;
	}
}

/*
 * @n is not in modules.dep: built in, an alias, or missing. Like modprobe,
 * an alias loads every module it names (crc32c -> crc32c_intel), even when
 * a built-in module provides it too (crc32c_generic).
 */
static int resolve_other(struct kctx *c, const char *n, int depth, bool soft, const char *why)
{
	int ok = 0, tried = 0, black = 0;
	bool builtin;

	if (kmod_builtin_has(c, n, false)) {
		log_debug("modules: %s: built in", n);
		if (c->plan)
			plan_line(c, "builtin", n, "", n, why);
		return 0;
	}
	load_alias(c, n, depth, soft, why, &ok, &tried, &black);
	builtin = kmod_builtin_has(c, n, true);
	if (builtin) {
		log_debug("modules: %s: built in (alias)", n);
		if (c->plan)
			plan_line(c, "builtin", n, "", n, why);
	}
	if (ok || builtin)
		return 0;
	if (tried)
		return -1;      /* the targets' failures were reported */
	if (black) {
		log_info("modules: %s: every module of this alias is blacklisted (modprobe.d):"
			 " nothing loaded", n);
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

/* Load the hard dependencies of @dl, from the end of its line to its start. */
static int load_deps(struct kctx *c, const char *n, const struct dep_line *dl, int depth)
{
	const char *s = dl->deps, *e = s + strlen(s);
	char why[KMOD_WHY_MAX];

	snprintf(why, sizeof(why), "dependency of %s", n);
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
		dlen = kmod_path_name(t, (size_t)(e - t), &dn);
		e = t;
		r = kload(c, dn, dlen, depth + 1, false, why);
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
	return 0;
}

/* Load @n after its soft and hard dependencies. 0, or -1 when reported. */
static int kload_one(struct kctx *c, const char *n, int depth, bool soft, const char *why)
{
	const struct dep_line *dl;

	if (!c->plan && kmod_loaded(n) > 0) {
		log_debug("modules: %s: already loaded", n);
		return 0;
	}
	dl = kmod_dep_find(c, n);
	if (!dl)
		return resolve_other(c, n, depth, soft, why);
	load_soft(c, n, depth, COLLECT_PRE);
	if (load_deps(c, n, dl, depth) < 0 || load_file(c, n, dl->path, why, soft) < 0)
		return -1;
	load_soft(c, n, depth, COLLECT_POST);
	return 0;
}

/*
 * Load module or alias @raw (@rawlen bytes) once per call, @why it is
 * wanted. @soft: an optional module (a softdep), skipped silently when
 * missing. Returns 0, -1 when it failed (already reported), -ELOOP when it
 * is being loaded further up the chain (a cycle).
 */
static int kload(struct kctx *c, const char *raw, size_t rawlen, int depth, bool soft,
		 const char *why)
{
	char n[KMOD_NAME_MAX];
	size_t i;
	int r;

	if (!kmod_name_norm(n, raw, rawlen)) {
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
		r = kload_one(c, n, depth, soft, why);
	}
	if (r == KMOD_MISSING) {
		c->nents--;     /* the last entry: a later hard request reports it */
		return KMOD_MISSING;
	}
	c->ents[i].state = r == 0 ? KS_OK : KS_FAIL;
	return r;
}

/* ---- entry points --------------------------------------------------------- */

/*
 * Open the modules directory: @root, or $sysroot/lib/modules/$(uname -r),
 * else $sysroot/usr/lib/modules/$(uname -r) (merged /usr, Debian 13).
 */
static void open_root(struct kctx *c, const char *root)
{
	static const char *const dirs[] = { "/lib/modules", "/usr/lib/modules" };
	struct utsname u;

	if (root) {
		c->root = root;
		c->dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (c->dirfd < 0)
			log_err("modules: %s: %s", root, strerror(errno));
		return;
	}
	if (uname(&u) < 0)
		u.release[0] = '\0';
	c->root = c->rootbuf;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(c->rootbuf, sizeof(c->rootbuf), "%s%s/%s", kmod_sysroot, dirs[i], u.release);
		c->dirfd = open(c->rootbuf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (c->dirfd >= 0 || errno != ENOENT)
			break;
	}
	if (c->dirfd < 0)
		log_err("modules: %s%s/%s, %s: %s", kmod_sysroot, dirs[0], u.release,
			c->rootbuf, strerror(errno));
}

/*
 * Where modprobe.d is read: the tree @root lives in when it is
 * ".../lib/modules/REL" or ".../usr/lib/modules/REL" (the prefix), else
 * kmod_sysroot. Written to @out (@size bytes).
 */
static void find_sysroot(const char *root, char *out, size_t size)
{
	const char *p = NULL, *s;
	size_t len;

	for (s = root; s && (s = strstr(s, "/lib/modules/")); s++)
		p = s;
	if (!root || !p || strchr(p + 13, '/') || !p[13]) {
		snprintf(out, size, "%s", kmod_sysroot);
		return;
	}
	len = (size_t)(p - root);
	if (len >= 4 && !strncmp(p - 4, "/usr", 4))
		len -= 4;
	snprintf(out, size, "%.*s", (int)len, root);
}

/* The module of a `modules =` entry: "NAME", or "NAME.KEY=VALUE" (a
 * parameter, added to @c's options when @add). Its length, or 0 when invalid
 * (reported when @add). */
static size_t entry_name(struct kctx *c, const char *e, bool add)
{
	const char *eq = strchr(e, '='), *dot;

	if (!eq)
		return strlen(e);
	dot = memchr(e, '.', (size_t)(eq - e));
	if (!dot || dot == e || dot + 1 == eq ||
	    (add && kconf_add(&c->conf, e, (size_t)(dot - e), dot + 1) < 0)) {
		if (add) {
			log_err("modules: \"%.80s\": invalid parameter (expected NAME.KEY=VALUE)", e);
			c->failed++;
		}
		return 0;
	}
	return (size_t)(dot - e);
}

/* kmod_load_list and kmod_plan: @plan NULL loads, else prints. */
static int run(const char *root, char *const *names, FILE *plan)
{
	struct kctx *c = calloc(1, sizeof(*c));
	char sysroot[PATH_MAX];
	int failed;

	if (!c) {
		log_err("modules: out of memory");
		return 1;
	}
	c->dirfd = -1;
	c->plan = plan;
	open_root(c, root);
	if (c->dirfd >= 0)
		kmod_dep_load(c);
	find_sysroot(root, sysroot, sizeof(sysroot));
	kconf_load(&c->conf, sysroot);
	/* every parameter first: "bridge.a=1 veth bridge.b=2" gives both */
	for (size_t i = 0; names[i]; i++)
		entry_name(c, names[i], true);
	for (size_t i = 0; names[i]; i++) {
		size_t len = entry_name(c, names[i], false);

		if (len)
			kload(c, names[i], len, 0, false, "listed in modules");
	}
	if (plan)
		fprintf(plan, "# %d module%s to load, %d problem%s\n", c->nloaded,
			c->nloaded == 1 ? "" : "s", c->failed, c->failed == 1 ? "" : "s");
	else if (c->nloaded)
		log_info("modules: loaded %d (%s)", c->nloaded, c->summary + 1);
	else
		log_debug("modules: nothing new to load");
	if (c->dirfd >= 0)
		close(c->dirfd);
	kconf_free(&c->conf);
	free(c->lines);
	free(c->dep);
	free(c->ents);
	failed = c->failed;
	free(c);
	return failed;
}

int kmod_load_list(const char *root, char *const *names)
{
	if (!names || !names[0])
		return 0;
	return run(root, names, NULL);
}

int kmod_plan(const char *root, char *const *names, FILE *out)
{
	if (!names || !names[0]) {
		fprintf(out, "# no modules to load\n");
		return 0;
	}
	return run(root, names, out);
}
