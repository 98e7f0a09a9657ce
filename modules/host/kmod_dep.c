/* SPDX-License-Identifier: MIT */
/*
 * kmod_dep: the files depmod(8) writes (modules.dep, .softdep, .alias,
 * .builtin, .builtin.modinfo), read for kmod.c. See kmod_priv.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kmod_priv.h"
#include "log.h"
#include "util.h"

static void names_add(struct names *nm, const char *s)
{
	if (nm->n < KMOD_SOFT_MAX && kmod_name_norm(nm->v[nm->n], s, strlen(s)))
		nm->n++;
}

/*
 * Is @n built in: listed in modules.builtin, or (@alias) an alias of a
 * built-in module in modules.builtin.modinfo ("mod.alias=NAME\0")?
 */
bool kmod_builtin_has(struct kctx *c, const char *n, bool alias)
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
			len = kmod_path_name(line, strcspn(line, " \t\r"), &name);
			found = kmod_name_eq(n, name, len);
		} else if ((p = strchr(line, '.')) && !strncmp(p, ".alias=", 7)) {
			found = kmod_name_eq(n, p + 7, strlen(p + 7));
		}
	}
	lrd_close(&r);
	return found;
}

/*
 * Collect into @nm the modules alias @n names in modules.alias
 * (COLLECT_ALIAS), or the "pre:" / "post:" modules of @n in modules.softdep.
 */
void kmod_collect(struct kctx *c, const char *n, int what, struct names *nm)
{
	bool softdep = what != COLLECT_ALIAS;
	struct lrd r;
	char *line, *f[48];

	nm->n = 0;
	lrd_open(&r, c->dirfd, softdep ? "modules.softdep" : "modules.alias", '\n');
	while ((line = lrd_next(&r))) {
		int nf = split_fields(line, f, (int)ARRAY_SIZE(f)), mode = 0;

		if (nf < 3 || strcmp(f[0], softdep ? "softdep" : "alias") ||
		    !kmod_name_eq(n, f[1], strlen(f[1])))
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
int kmod_dep_load(struct kctx *c)
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
			dl->nlen = kmod_path_name(p, (size_t)(colon - p), &dl->name);
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

const struct dep_line *kmod_dep_find(struct kctx *c, const char *n)
{
	for (size_t i = 0; i < c->nlines; i++)
		if (kmod_name_eq(n, c->lines[i].name, c->lines[i].nlen))
			return &c->lines[i];
	return NULL;
}
