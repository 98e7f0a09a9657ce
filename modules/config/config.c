// SPDX-License-Identifier: MIT
/*
 * config: the configuration language: lifecycle, the file lexer, loading.
 * Each line's key = value goes to conf_set_key() (config_set.c), which
 * routes it to the global keys (config_global.c), the service keys
 * (config_svc.c) or default.* (config_default.c); the kernel command line
 * is config_cmdline.c, cross-key checks config_finish.c, value parsers
 * parse.c, diagnostics and shared helpers config_diag.c.
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
	cfg->log_size = 64u << 10;
	cfg->log_files = 2;
	cfg->watchdog_timeout_ms = 30000;
	cfg->watchdog_shutdown_timeout_ms = 60000;
	cfg->reboot_limit = 3;
	cfg->reboot_window_ms = 3600000;
}

void config_free(struct config *cfg)
{
	size_t i;

	free(cfg->hostname);
	free(cfg->console);
	free(cfg->emergency);
	free(cfg->watchdog);
	free(cfg->log_dir);
	free(cfg->log_remote);
	free(cfg->state_dir);
	free(cfg->modules);
	for (i = 0; i < cfg->nsysctl; i++) {
		free(cfg->sysctl[i].key);
		free(cfg->sysctl[i].value);
	}
	free(cfg->sysctl);
	free(cfg->net_bridge);
	free(cfg->nat_iface);
	free(cfg->nat6_iface);
	free(cfg->ifaces);
	for (i = 0; i < cfg->nsvcs; i++)
		conf_svc_free(&cfg->svcs[i]);
	free(cfg->svcs);
	conf_defaults_free(cfg);
	for (i = 0; i < cfg->ndiags; i++) {
		free(cfg->diags[i].source);
		free(cfg->diags[i].msg);
	}
	free(cfg->diags);
	memset(cfg, 0, sizeof(*cfg));
}

/* ---- file lexer ------------------------------------------------------ */

static void parse_line(struct conf_ctx *ctx, int lineno, char *s)
{
	char *eq, *key, *v, *p, *o, *end, kb[CONF_QBUF];
	char quote = 0;

	while (is_blank(*s))
		s++;
	if (!*s || *s == '#')
		return;
	eq = strchr(s, '=');
	for (p = s + 1; *p && (!eq || p < eq); p++) {
		if (*p == '#' && is_blank(p[-1])) {
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
	for (end = eq; end > key && is_blank(end[-1]); end--)
		;
	*end = '\0';
	v = eq + 1;
	while (is_blank(*v))
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
		for (p++; is_blank(*p); p++)
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
			} else if (*p == '#' && is_blank(p[-1])) {
				break;
			}
		}
		while (p > v && is_blank(p[-1]))
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
