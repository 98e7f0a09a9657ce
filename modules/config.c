// SPDX-License-Identifier: MIT
/*
 * config: the configuration language (lifecycle, diagnostics, the file
 * lexer, loading). Global keys live in config_global.c, service keys in
 * config_svc.c, the kernel command line in config_cmdline.c, cross-key
 * checks in config_finish.c, value parsers in parse.c.
 *
 * Lexical rules (the contract of the file format):
 *  - lines are split on '\n'; a trailing '\r' is ignored; a line longer than
 *    CONF_LINE_MAX bytes or containing a NUL byte is reported and skipped;
 *  - a line whose first non-blank byte is '#' is a comment, and so is the
 *    rest of a line from a '#' that follows a blank (space or tab) and is
 *    not inside '...' or "..." (so "exec = sh -c 'echo #1'" keeps the '#',
 *    and so does "a#b"); a value that starts with '"' ends at its closing
 *    quote, after which only blanks and a '#' comment may follow;
 *  - "key = value": the key is everything before the first '=', both sides
 *    trimmed of blanks;
 *  - a value starting with '"' is a quoted value: its text is taken
 *    literally except \" and \\; an unquoted value is taken as written
 *    (quotes and backslashes included, which "exec" then splits like sh).
 *
 * Semantics of repeated keys: a second non-override setting of a key is a
 * duplicate (reported; a global keeps its first value, a service becomes
 * invalid). An override (kernel command line) replaces silently; a later
 * non-override setting of a key the command line already set is ignored.
 * A bad global value changes nothing (the global stays at its default, or
 * at what an earlier source set).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_priv.h"

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		abort();    /* config_init only: documented as fatal */
	return p;
}

void config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->hostname = xstrdup("boxinit");
	cfg->console = xstrdup("/dev/console");
	cfg->loglevel = 2;
	cfg->modules = calloc(1, sizeof(char *));
	if (!cfg->modules)
		abort();
	cfg->cgroup = CGROUP_AUTO;
	cfg->net_bridge = xstrdup("br0");
	cfg->nat = NAT_OFF;
}

void config_free(struct config *cfg)
{
	size_t i;

	free(cfg->hostname);
	free(cfg->console);
	free(cfg->emergency);
	free(cfg->modules);
	for (i = 0; i < cfg->nsysctl; i++) {
		free(cfg->sysctl[i].key);
		free(cfg->sysctl[i].value);
	}
	free(cfg->sysctl);
	free(cfg->net_bridge);
	free(cfg->nat_iface);
	free(cfg->ifaces);
	for (i = 0; i < cfg->nsvcs; i++)
		conf_svc_free(&cfg->svcs[i]);
	free(cfg->svcs);
	for (i = 0; i < cfg->ndiags; i++) {
		free(cfg->diags[i].source);
		free(cfg->diags[i].msg);
	}
	free(cfg->diags);
	memset(cfg, 0, sizeof(*cfg));
}

/*
 * conf_grow - make room for element @n of *@arrp, an array only ever grown
 * by this function (capacity: the next power of two). 0 or -ENOMEM.
 */
int conf_grow(void *arrp, size_t n, size_t elem)
{
	void **arr = arrp;
	void *p;

	if (n && (n & (n - 1)))
		return 0;   /* capacity is the next power of two: room left */
	p = realloc(*arr, (n ? 2 * n : 1) * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}

static int conf_vdiag(struct conf_ctx *ctx, int line, const char *fmt,
		      va_list ap)
{
	struct config *cfg = ctx->cfg;
	struct conf_diag *d;
	char msg[1024];

	ctx->problems++;
	if (cfg->ndiags >= CONF_DIAG_MAX)
		return -EINVAL;
	if (cfg->ndiags == CONF_DIAG_MAX - 1)
		snprintf(msg, sizeof(msg),
			 "too many problems (over %d), not reporting more",
			 CONF_DIAG_MAX - 1);
	else
		vsnprintf(msg, sizeof(msg), fmt, ap);
	if (conf_grow(&cfg->diags, cfg->ndiags, sizeof(*cfg->diags)))
		return -EINVAL;
	d = &cfg->diags[cfg->ndiags];
	d->source = strdup(ctx->source ? ctx->source : "(config)");
	d->msg = strdup(msg);
	d->line = line;
	if (!d->source || !d->msg) {
		free(d->source);
		free(d->msg);
		return -EINVAL;
	}
	cfg->ndiags++;
	return -EINVAL;
}

/* conf_diag - record a diagnostic; always returns -EINVAL. */
int conf_diag(struct conf_ctx *ctx, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_vdiag(ctx, line, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * conf_claim - note that @key is being set at @line through the slot
 * @slot (0 unset, >0 line, -1 set by an override). Returns 1 to apply,
 * 0 to ignore silently, -EINVAL for a duplicate (reported).
 */
int conf_claim(struct conf_ctx *ctx, int *slot, int line, const char *key)
{
	if (ctx->override) {
		*slot = -1;
		return 1;
	}
	if (*slot > 0)
		return conf_diag(ctx, line,
				 "duplicate key \"%s\" (first set on line %d)",
				 key, *slot);
	if (*slot < 0)
		return 0;
	*slot = line;
	return 1;
}

/*
 * conf_quote - write @s into @buf (at least CONF_QBUF bytes) as a quoted,
 * printable string: at most CONF_QUOTE_MAX bytes, control and non-ASCII
 * bytes as \xHH, '"' and '\' escaped, "..." when truncated.
 */
void conf_quote(char *buf, size_t size, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	if (size < CONF_QBUF) {
		if (size)
			buf[0] = '\0';
		return;
	}
	buf[o++] = '"';
	for (i = 0; s[i] && i < CONF_QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o++] = '"';
	if (s[i]) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * conf_split_words - split @s on blanks into one allocation (array then
 * strings; free() once). *n gets the count; the array is NULL-terminated.
 */
char **conf_split_words(const char *s, size_t *n)
{
	size_t len = strlen(s), words = 0, i;
	char **v, *str;

	for (i = 0; i < len; i++)
		if (!is_ws(s[i]) && (i == 0 || is_ws(s[i - 1])))
			words++;
	v = malloc((words + 1) * sizeof(char *) + len + 1);
	if (!v)
		return NULL;
	str = (char *)(v + words + 1);
	memcpy(str, s, len + 1);
	words = 0;
	for (i = 0; i < len; i++) {
		if (is_ws(str[i]))
			str[i] = '\0';
		else if (i == 0 || str[i - 1] == '\0')
			v[words++] = str + i;
	}
	v[words] = NULL;
	*n = words;
	return v;
}

/* ---- service name index ------------------------------------------------ */

static uint32_t name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	while (len--)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static void index_put(struct conf_index *idx, const struct config *cfg,
		      size_t i)
{
	const char *name = cfg->svcs[i].name;
	size_t k = name_hash(name, strlen(name)) & (idx->cap - 1);

	while (idx->slot[k])
		k = (k + 1) & (idx->cap - 1);
	idx->slot[k] = (uint32_t)i + 1;
}

/*
 * conf_index_add - index cfg->svcs[@i] (services are added in order, so
 * @i + 1 services exist). On allocation failure the index is dropped and
 * lookups fall back to a linear scan.
 */
int conf_index_add(struct conf_index *idx, const struct config *cfg,
		   size_t i)
{
	if ((i + 1) * 2 > idx->cap) {
		size_t cap = idx->cap ? idx->cap * 2 : 64, j;

		while ((i + 1) * 2 > cap)
			cap *= 2;
		free(idx->slot);
		idx->slot = calloc(cap, sizeof(*idx->slot));
		if (!idx->slot) {
			idx->cap = 0;
			return -ENOMEM;
		}
		idx->cap = cap;
		for (j = 0; j < i; j++)
			index_put(idx, cfg, j);
	}
	if (idx->slot)
		index_put(idx, cfg, i);
	return 0;
}

/* conf_index_find - index of the service named @name (@len bytes) or -1. */
long conf_index_find(const struct conf_index *idx, const struct config *cfg,
		     const char *name, size_t len)
{
	size_t k, i;

	if (!idx || !idx->slot) {
		for (i = 0; i < cfg->nsvcs; i++)
			if (strlen(cfg->svcs[i].name) == len &&
			    !memcmp(cfg->svcs[i].name, name, len))
				return (long)i;
		return -1;
	}
	k = name_hash(name, len) & (idx->cap - 1);
	while (idx->slot[k]) {
		i = idx->slot[k] - 1;
		if (i < cfg->nsvcs && strlen(cfg->svcs[i].name) == len &&
		    !memcmp(cfg->svcs[i].name, name, len))
			return (long)i;
		k = (k + 1) & (idx->cap - 1);
	}
	return -1;
}

void conf_index_free(struct conf_index *idx)
{
	free(idx->slot);
	idx->slot = NULL;
	idx->cap = 0;
}

struct svc_conf *config_find(struct config *cfg, const char *name)
{
	long i;

	if (!name)
		return NULL;
	i = conf_index_find(NULL, cfg, name, strlen(name));
	return i < 0 ? NULL : &cfg->svcs[i];
}

/*
 * conf_set_key - apply @key = @value from ctx->source at @line (any key).
 * 0, or -EINVAL after recording a diagnostic.
 */
int conf_set_key(struct conf_ctx *ctx, int line, const char *key,
		 const char *value)
{
	char q[CONF_QBUF];
	int r;

	if (!key || !*key)
		return conf_diag(ctx, line, "missing key before \"=\" (expected key = value)");
	if (!value)
		value = "";
	if (strlen(key) > CONF_LINE_MAX || strlen(value) > CONF_LINE_MAX)
		return conf_diag(ctx, line, "line too long (over %d bytes)",
				 CONF_LINE_MAX);
	if (!strncmp(key, "service.", 8))
		return conf_set_service(ctx, line, key, value);
	r = conf_set_global(ctx, line, key, value);
	if (r != -ENOENT)
		return r;
	conf_quote(q, sizeof(q), key);
	return conf_diag(ctx, line, "unknown key %s", q);
}

int config_set(struct config *cfg, const char *source, int line,
	       const char *key, const char *value, bool override)
{
	struct conf_ctx ctx = {
		.cfg = cfg, .source = source, .override = override,
	};

	return conf_set_key(&ctx, line, key, value) < 0 ? -EINVAL : 0;
}

/* ---- file lexer ------------------------------------------------------ */

/*
 * conf_key_label - @key for a message: as is when printable and short,
 * else quoted into @buf (CONF_QBUF bytes).
 */
const char *conf_key_label(char *buf, size_t size, const char *key)
{
	size_t i;

	for (i = 0; key[i]; i++)
		if (i >= CONF_QUOTE_MAX || (unsigned char)key[i] <= ' ' ||
		    (unsigned char)key[i] >= 0x7f || key[i] == '"')
			break;
	if (key[i] || !i) {
		conf_quote(buf, size, key);
		return buf;
	}
	return key;
}

static void parse_line(struct conf_ctx *ctx, int lineno, char *s)
{
	char *eq, *key, *v, *p, *o, *end, kb[CONF_QBUF];
	char quote = 0;

	while (is_ws(*s))
		s++;
	if (!*s || *s == '#')
		return;
	eq = strchr(s, '=');
	for (p = s + 1; *p && (!eq || p < eq); p++) {
		if (*p == '#' && is_ws(p[-1])) {
			*p = '\0';
			eq = NULL;
			break;
		}
	}
	if (!eq) {
		conf_diag(ctx, lineno, "missing \"=\" (expected key = value)");
		return;
	}
	*eq = '\0';
	key = s;
	for (end = eq; end > key && is_ws(end[-1]); end--)
		;
	*end = '\0';
	v = eq + 1;
	while (is_ws(*v))
		v++;
	if (*v == '"') {
		/* quoted value: literal except \" and \\ */
		for (p = v + 1, o = v; *p && *p != '"'; ) {
			if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
				p++;
			*o++ = *p++;
		}
		if (!*p) {
			conf_diag(ctx, lineno, "%s: unterminated quote (expected a closing \")",
				  conf_key_label(kb, sizeof(kb), key));
			conf_svc_poison(ctx, lineno, key, strlen(key));
			return;
		}
		for (p++; is_ws(*p); p++)
			;
		if (*p && *p != '#') {
			conf_diag(ctx, lineno,
				  "%s: text after the closing quote (expected the whole value inside the quotes)",
				  conf_key_label(kb, sizeof(kb), key));
			conf_svc_poison(ctx, lineno, key, strlen(key));
			return;
		}
		*o = '\0';
	} else {
		/* unquoted: cut at a '#' after a blank outside quotes */
		for (p = v; *p; p++) {
			if (quote == '\'') {
				if (*p == '\'')
					quote = 0;
			} else if (quote == '"') {
				if (*p == '\\' && p[1])
					p++;
				else if (*p == '"')
					quote = 0;
			} else if (*p == '\\' && p[1]) {
				p++;
			} else if (*p == '\'' || *p == '"') {
				quote = *p;
			} else if (*p == '#' && is_ws(p[-1])) {
				break;
			}
		}
		while (p > v && is_ws(p[-1]))
			p--;
		*p = '\0';
	}
	conf_set_key(ctx, lineno, key, v);
}

int config_parse_buffer(struct config *cfg, const char *source,
			const char *buf, size_t len)
{
	struct conf_index idx = { 0 };
	struct conf_ctx ctx = {
		.cfg = cfg, .source = source, .idx = &idx,
	};
	size_t pos = 0, i;
	int lineno = 0;
	char *line;

	if (len > CONF_FILE_MAX) {
		conf_diag(&ctx, 0, "file too large (over 1 MiB)");
		return (int)ctx.problems;
	}
	line = malloc(CONF_LINE_MAX + 1);
	if (!line) {
		conf_diag(&ctx, 0, "out of memory");
		return (int)ctx.problems;
	}
	for (i = 0; i < cfg->nsvcs; i++)
		conf_index_add(&idx, cfg, i);
	while (pos < len) {
		const char *start = buf + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - start) : len - pos;

		pos += llen + (nl ? 1 : 0);
		lineno++;
		if (llen && start[llen - 1] == '\r')
			llen--;
		if (llen > CONF_LINE_MAX) {
			conf_diag(&ctx, lineno, "line too long (over %d bytes)",
				  CONF_LINE_MAX);
			conf_svc_poison(&ctx, lineno, start, llen);
			continue;
		}
		if (memchr(start, '\0', llen)) {
			conf_diag(&ctx, lineno, "NUL byte in line");
			conf_svc_poison(&ctx, lineno, start, llen);
			continue;
		}
		memcpy(line, start, llen);
		line[llen] = '\0';
		parse_line(&ctx, lineno, line);
	}
	free(line);
	conf_index_free(&idx);
	return (int)ctx.problems;
}

int config_parse_file(struct config *cfg, const char *path)
{
	struct conf_ctx ctx = { .cfg = cfg, .source = path };
	size_t len = 0;
	struct stat st;
	char *buf;
	int fd, r, e;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		conf_diag(&ctx, 0, "cannot open: %s", strerror(e));
		return -e;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		e = EINVAL;
		close(fd);
		conf_diag(&ctx, 0, "cannot read: not a regular file");
		return -e;
	}
	if (st.st_size > (off_t)CONF_FILE_MAX) {
		close(fd);
		conf_diag(&ctx, 0, "file too large (over 1 MiB)");
		return (int)ctx.problems;
	}
	buf = malloc(CONF_FILE_MAX + 1);
	if (!buf) {
		close(fd);
		conf_diag(&ctx, 0, "cannot read: out of memory");
		return -ENOMEM;
	}
	while (len <= CONF_FILE_MAX) {
		ssize_t n = read(fd, buf + len, CONF_FILE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			free(buf);
			close(fd);
			conf_diag(&ctx, 0, "cannot read: %s", strerror(e));
			return -e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	r = config_parse_buffer(cfg, path, buf, len);
	free(buf);
	return r;
}

int config_load(struct config *cfg, const char *path, const char *cmdline)
{
	char *cpath = NULL;
	int n, r;

	if (!path && cmdline)
		path = cpath = cmdline_conf_path(cmdline);
	r = config_parse_file(cfg, path ? path : CONF_DEFAULT_PATH);
	n = r < 0 ? 1 : r;
	free(cpath);
	n += config_apply_cmdline(cfg, cmdline);
	n += config_finish(cfg);
	return n;
}
