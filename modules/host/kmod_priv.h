/* SPDX-License-Identifier: MIT */
/*
 * kmod_priv: what kmod.c and kmod_conf.c share (not a public interface):
 * module-name helpers, a streamed line reader for the depmod files, and the
 * modprobe.d configuration (options, blacklist) plus the parameters given
 * on the config's `modules =` line.
 */
#ifndef BOXINIT_KMOD_PRIV_H
#define BOXINIT_KMOD_PRIV_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "kmod.h"

#define KMOD_LINE_MAX   1024    /* streamed files: longer lines are skipped */
#define KMOD_CONF_FILES 64      /* modprobe.d files read at most */
#define KMOD_CONF_MAX   4096u   /* options + blacklist entries kept at most */
#define KMOD_PARAMS_MAX 1024u   /* parameter string of one module (bytes) */

/* kmod_name_norm - copy @len bytes of @s to @out (KMOD_NAME_MAX bytes) with
 * '-' read as '_'. False if empty, too long, or holding blanks or '/'. */
bool kmod_name_norm(char *out, const char *s, size_t len);

/* kmod_name_eq - is @s (@len raw bytes) the normalized name @n? */
bool kmod_name_eq(const char *n, const char *s, size_t len);

/* kmod_path_name - the module name inside a modules.dep path
 * ("kernel/net/llc/llc.ko.xz" -> "llc"): sets *@name, returns its length. */
size_t kmod_path_name(const char *path, size_t len, const char **name);

/* Line reader with a fixed buffer, for the files only scanned for a match. */
struct lrd {
	int fd;
	char sep;
	bool eof, skip;
	size_t a, b;            /* unread bytes are buf[a..b) */
	char buf[KMOD_LINE_MAX];
};

/* lrd_open - open @file relative to @dirfd (AT_FDCWD: the cwd) for records
 * ending in @sep. A file that cannot be opened reads as empty. */
void lrd_open(struct lrd *r, int dirfd, const char *file, char sep);

/* lrd_next - the next NUL-terminated record (lines longer than
 * KMOD_LINE_MAX are skipped), or NULL at the end or on a read error. */
char *lrd_next(struct lrd *r);

/* lrd_close - close the file, if it was opened. */
void lrd_close(struct lrd *r);

/* One modprobe.d "options" / "blacklist" line, or a parameter from the
 * `modules =` list ("NAME.KEY=VALUE"). */
struct kconf_ent {
	char name[KMOD_NAME_MAX];       /* normalized */
	char *params;                   /* owned; NULL for a blacklist entry */
};

struct kconf {
	struct kconf_ent *v;
	size_t n, cap;
};

/*
 * kconf_load - read the modprobe.d files under @sysroot ("" for /):
 * /etc/modprobe.d, /run/modprobe.d, /usr/local/lib/modprobe.d,
 * /lib/modprobe.d and /usr/lib/modprobe.d, *.conf only; a file name in an
 * earlier directory hides the same name in the later ones (modprobe's
 * precedence), and the files are read in the order of their names. Keeps
 * "options NAME PARAMS..." and "blacklist NAME"; other commands are
 * ignored (logged at debug). Problems are logged; never fails as a whole.
 */
void kconf_load(struct kconf *k, const char *sysroot);

/*
 * kconf_add - add an entry for module @name (@nlen bytes, raw): parameters
 * @params (copied), or a blacklist entry when @params is NULL.
 * Returns 0 or -errno (-EINVAL: bad name, -ENOMEM, -E2BIG: too many).
 */
int kconf_add(struct kconf *k, const char *name, size_t nlen, const char *params);

/*
 * kconf_params - the parameters for module @n (normalized) into @out
 * (@size bytes): every options line for it, in order, space-separated
 * ("" if none). False when they do not fit (@out then holds "").
 */
bool kconf_params(const struct kconf *k, const char *n, char *out, size_t size);

/* kconf_blacklisted - does a "blacklist @n" line exist? */
bool kconf_blacklisted(const struct kconf *k, const char *n);

/* kconf_free - free every entry; @k is empty (and reusable) after. */
void kconf_free(struct kconf *k);

/* ---- the resolver's state (kmod.c) and the depmod files (kmod_dep.c) ---- */

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

/* The state of one kmod_load_list / kmod_plan call. */
struct kctx {
	int dirfd;
	const char *root;       /* for messages */
	char rootbuf[PATH_MAX];
	FILE *plan;             /* kmod_plan: print, do not load */
	struct kconf conf;      /* modprobe.d + `modules =` parameters */
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

/* Why a module is loaded ("dependency of bridge"), for the plan and debug. */
#define KMOD_WHY_MAX 160

/* A few names collected from a streamed file before recursing. */
struct names {
	size_t n;
	char v[KMOD_SOFT_MAX][KMOD_NAME_MAX];
};

enum { COLLECT_ALIAS, COLLECT_PRE, COLLECT_POST };

/* kmod_builtin_has - is @n built in: listed in modules.builtin, or (@alias)
 * an alias of a built-in module in modules.builtin.modinfo? */
bool kmod_builtin_has(struct kctx *c, const char *n, bool alias);

/* kmod_collect - into @nm, the modules alias @n names in modules.alias
 * (COLLECT_ALIAS), or the "pre:" / "post:" modules of @n in modules.softdep
 * (at most KMOD_SOFT_MAX; absent files read as empty). */
void kmod_collect(struct kctx *c, const char *n, int what, struct names *nm);

/* kmod_dep_load - read modules.dep into @c and index its lines (at most
 * KMOD_DEP_LINES, KMOD_DEP_MAX bytes). Errors are logged; 0 or -errno. */
int kmod_dep_load(struct kctx *c);

/* kmod_dep_find - the modules.dep line of module @n (normalized), or NULL. */
const struct dep_line *kmod_dep_find(struct kctx *c, const char *n);

#endif
