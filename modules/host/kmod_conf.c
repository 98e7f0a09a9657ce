/* SPDX-License-Identifier: MIT */
/*
 * kmod_conf: module names, the line reader of the depmod files and the
 * modprobe.d configuration (modprobe.d(5): "options", "blacklist"), for
 * kmod.c. See kmod_priv.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmod_priv.h"
#include "log.h"
#include "util.h"

/* ---- names ---------------------------------------------------------------- */

bool kmod_name_norm(char *out, const char *s, size_t len)
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

bool kmod_name_eq(const char *n, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++, n++) {
		char ch = s[i] == '-' ? '_' : s[i];

		if (*n != ch)
			return false;
	}
	return *n == '\0';
}

/* The name ends at the first '.', so .ko, .ko.xz, .ko.zst, .ko.gz alike. */
size_t kmod_path_name(const char *path, size_t len, const char **name)
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

/* ---- line reader ------------------------------------------------------------ */

void lrd_open(struct lrd *r, int dirfd, const char *file, char sep)
{
	r->fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
	r->sep = sep;
	r->eof = r->fd < 0;
	r->skip = false;
	r->a = r->b = 0;
}

void lrd_close(struct lrd *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

char *lrd_next(struct lrd *r)
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

/* ---- modprobe.d ------------------------------------------------------------- */

int kconf_add(struct kconf *k, const char *name, size_t nlen, const char *params)
{
	struct kconf_ent *e;

	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 16;

		if (k->n >= KMOD_CONF_MAX)
			return -E2BIG;
		e = realloc(k->v, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		k->v = e;
		k->cap = cap;
	}
	e = &k->v[k->n];
	if (!kmod_name_norm(e->name, name, nlen))
		return -EINVAL;
	e->params = NULL;
	if (params && !(e->params = strdup(params)))
		return -ENOMEM;
	k->n++;
	return 0;
}

bool kconf_params(const struct kconf *k, const char *n, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < k->n; i++) {
		const struct kconf_ent *e = &k->v[i];
		int w;

		if (!e->params || !*e->params || strcmp(e->name, n))
			continue;
		w = snprintf(out + len, size - len, "%s%s", len ? " " : "", e->params);
		if (w < 0 || (size_t)w >= size - len) {
			out[0] = '\0';
			return false;
		}
		len += (size_t)w;
	}
	return true;
}

bool kconf_blacklisted(const struct kconf *k, const char *n)
{
	for (size_t i = 0; i < k->n; i++)
		if (!k->v[i].params && !strcmp(k->v[i].name, n))
			return true;
	return false;
}

void kconf_free(struct kconf *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->v[i].params);
	free(k->v);
	k->v = NULL;
	k->n = k->cap = 0;
}

/* The next word of @*p (blanks skipped): its start, length in *@len. */
static const char *word(const char **p, size_t *len)
{
	const char *s = *p + strspn(*p, " \t\r");

	*len = strcspn(s, " \t\r");
	*p = s + *len;
	return s;
}

/* One line of file @file: "options NAME P..." or "blacklist NAME". */
static void conf_line(struct kconf *k, const char *file, int lineno, const char *line)
{
	const char *p = line, *cmd, *name, *rest;
	size_t clen, nlen, rlen;
	int r;

	cmd = word(&p, &clen);
	if (clen == 0 || *cmd == '#')
		return;
	name = word(&p, &nlen);
	rest = p + strspn(p, " \t\r");
	rlen = strlen(rest);
	while (rlen && is_blank(rest[rlen - 1]))
		rlen--;
	if (clen == 7 && !strncmp(cmd, "options", 7) && nlen) {
		char params[KMOD_PARAMS_MAX];

		if (rlen == 0)
			return;
		if (rlen >= sizeof(params)) {
			log_warn("modules: %s:%d: options for %.*s longer than %u bytes: ignored",
				 file, lineno, (int)nlen, name, KMOD_PARAMS_MAX - 1);
			return;
		}
		memcpy(params, rest, rlen);
		params[rlen] = '\0';
		r = kconf_add(k, name, nlen, params);
	} else if (clen == 9 && !strncmp(cmd, "blacklist", 9) && nlen && !rlen) {
		r = kconf_add(k, name, nlen, NULL);
	} else if (clen == 7 && !strncmp(cmd, "options", 7)) {
		r = -EINVAL;
	} else if (clen == 9 && !strncmp(cmd, "blacklist", 9)) {
		r = -EINVAL;
	} else {
		log_debug("modules: %s:%d: \"%.*s\" not supported: ignored", file, lineno,
			  (int)(clen > 32 ? 32 : clen), cmd);
		return;
	}
	if (r == -EINVAL)
		log_warn("modules: %s:%d: expected \"options NAME KEY=VALUE...\" or \"blacklist NAME\": ignored",
			 file, lineno);
	else if (r < 0)
		log_warn("modules: %s:%d: %s: ignored", file, lineno,
			 r == -E2BIG ? "too many modprobe.d entries" : strerror(-r));
}

static void conf_file(struct kconf *k, const char *path)
{
	struct lrd r;
	char *line;
	int lineno = 0;

	lrd_open(&r, AT_FDCWD, path, '\n');
	if (r.fd < 0) {
		log_warn("modules: %s: %s", path, strerror(errno));
		return;
	}
	while ((line = lrd_next(&r)))
		conf_line(k, path, ++lineno, line);
	lrd_close(&r);
}

static const char *const conf_dirs[] = {
	"/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d",
	"/lib/modprobe.d", "/usr/lib/modprobe.d",
};

struct conf_name {
	char name[NAME_MAX + 1];
	unsigned char dir;      /* index in conf_dirs */
};

static int conf_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct conf_name *)a)->name, ((const struct conf_name *)b)->name);
}

/* Add the *.conf names of directory @d not seen yet to @v (@n of them). */
static void conf_scan(const char *sysroot, unsigned d, struct conf_name *v, size_t *n)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	snprintf(path, sizeof(path), "%s%s", sysroot, conf_dirs[d]);
	dir = opendir(path);
	if (!dir)
		return;         /* an absent directory is the usual case */
	while ((de = readdir(dir))) {
		size_t len = strlen(de->d_name), i;

		if (len < 6 || strcmp(de->d_name + len - 5, ".conf"))
			continue;
		for (i = 0; i < *n && strcmp(v[i].name, de->d_name); i++)
			;
		if (i < *n)
			continue;       /* hidden by an earlier directory */
		if (*n == KMOD_CONF_FILES) {
			log_warn("modules: more than %d modprobe.d files: %s%s ignored",
				 KMOD_CONF_FILES, path, de->d_name);
			continue;
		}
		memcpy(v[*n].name, de->d_name, len + 1);
		v[(*n)++].dir = (unsigned char)d;
	}
	closedir(dir);
}

void kconf_load(struct kconf *k, const char *sysroot)
{
	struct conf_name *v = calloc(KMOD_CONF_FILES, sizeof(*v));
	size_t n = 0;

	if (!v) {
		log_err("modules: modprobe.d: out of memory");
		return;
	}
	for (unsigned d = 0; d < ARRAY_SIZE(conf_dirs); d++)
		conf_scan(sysroot, d, v, &n);
	sort_small(v, n, sizeof(*v), conf_name_cmp);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s%s/%s", sysroot, conf_dirs[v[i].dir], v[i].name);
		conf_file(k, path);
	}
	free(v);
}
