/* SPDX-License-Identifier: MIT */
/*
 * config_priv: internals shared by the files of modules/config/ (and its
 * unit tests). Not part of the public contract (see config.h); the key
 * table has its own header, config_keys.h.
 *
 * The files call each other in one direction only, top to bottom:
 *   config.c (lexer, loading) -> config_cmdline.c -> config_set.c (routing)
 *   -> config_svc.c, config_default.c -> config_keys.c (the table, applying
 *   a key) -> config_values.c, config_svc_keys.c, config_global.c (setters)
 *   -> config_diag.c (diagnostics, helpers), config_index.c, parse.c;
 *   config_finish.c (checks) and config_doc.c (the reference) beside them.
 */
#ifndef BOXINIT_CONFIG_PRIV_H
#define BOXINIT_CONFIG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "config.h"
#include "util.h"

#define CONF_CMDLINE_SOURCE "kernel command line"
#define CONF_SVC_MAX        4096    /* services per configuration */
#define CONF_ENV_MAX        256     /* env.* entries per service */
#define CONF_SYSCTL_MAX     512     /* sysctl.* entries */
#define CONF_IFACE_MAX      64      /* iface.<name> entries */
#define CONF_DIAG_MAX       1000    /* recorded diagnostics (more are counted) */
#define CONF_QUOTE_MAX      64      /* bytes of a value echoed in a message */
#define CONF_QBUF           (CONF_QUOTE_MAX * 4 + 8)

/* Service name -> index hash, used to keep lookups O(1) on big inputs. */
struct conf_index {
	uint32_t *slot;     /* index + 1; 0 = empty */
	size_t cap;         /* power of two */
};

/* Where a key/value comes from, and the running count of problems. */
struct conf_ctx {
	struct config *cfg;
	const char *source;
	bool override;
	unsigned problems;          /* diagnostics, recorded or suppressed */
	struct conf_index *idx;     /* NULL: linear lookups */
};

/* Service key slots in svc_conf.key_line[]. */
enum {
	SK_EXEC, SK_WORKDIR, SK_USER, SK_RESTART, SK_TYPE, SK_AFTER,
	SK_STOP_SIGNAL, SK_STOP_TIMEOUT, SK_RESTART_MAX, SK_RESTART_WINDOW,
	SK_ROOT, SK_HOSTNAME, SK_READONLY, SK_BIND, SK_CAPS, SK_CPU,
	SK_MEMORY, SK_SWAP, SK_PIDS, SK_NET, SK_IP, SK_IP6, SK_PORTS, SK_CONTROL,
	SK_SECCOMP, SK_TMP_SIZE, SK_SHM_SIZE,
	SK_LOG_RATE, SK_LOG_BURST, SK_LOG_RATE_BYTES, SK_LOG_BURST_BYTES,
	SK_READY, SK_READY_TIMEOUT, SK_HEALTH, SK_HEALTH_INTERVAL,
	SK_HEALTH_TIMEOUT, SK_HEALTH_RETRIES, SK_FAILURE_ACTION,
	SK_COUNT
};
_Static_assert(SK_COUNT <= sizeof(((struct svc_conf *)0)->key_line) /
	       sizeof(int), "svc_conf.key_line[] too small for the keys");

/* Global key slots in config.global_line[]. */
enum {
	GK_HOSTNAME, GK_CONSOLE, GK_LOGLEVEL, GK_EMERGENCY, GK_MODULES,
	GK_CGROUP, GK_NET_BRIDGE, GK_NET_ADDRESS, GK_NET_NAT,
	GK_WATCHDOG, GK_WATCHDOG_TIMEOUT, GK_WATCHDOG_SHUTDOWN, GK_STATE_DIR,
	GK_REBOOT_LIMIT, GK_REBOOT_WINDOW, GK_CONSOLE_TIMESTAMPS,
	GK_LOG_DIR, GK_LOG_SIZE, GK_LOG_FILES, GK_LOG_REMOTE,
	GK_NET_ADDRESS6, GK_NET_NAT6,
	GK_COUNT
};
_Static_assert(GK_COUNT <= sizeof(((struct config *)0)->global_line) /
	       sizeof(int), "config.global_line[] too small for the keys");

#define SVC_NAME_RULE "1 to 32 of a-z, 0-9, \"_\" and \"-\""

/*
 * The blank of the config language is is_blank() (util.h): around keys
 * and values, between list words, between the words of a command
 * (split_command) and of the kernel command line, before a '#' comment.
 * ('\n' never reaches the lexer: it ends the line.)
 */

/* ---- config_diag.c: diagnostics and helpers (call nothing above) ------- */

/* conf_diag - record a diagnostic at @line (0: none); always -EINVAL. */
int conf_diag(struct conf_ctx *ctx, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* conf_bad - "KEY: invalid WHAT "VALUE" (expected EXPECT)"; -EINVAL. */
int conf_bad(struct conf_ctx *ctx, int line, const char *key,
	     const char *what, const char *value, const char *expect);
/* conf_range - "KEY: WHAT "VALUE" out of range (expected EXPECT)". */
int conf_range(struct conf_ctx *ctx, int line, const char *key,
	       const char *what, const char *value, const char *expect);
/* conf_reject - conf_range() when @err is -ERANGE, else conf_bad(). */
int conf_reject(struct conf_ctx *ctx, int line, const char *key,
		const char *what, const char *value, int err,
		const char *expect);
/* conf_no_memory - "KEY: out of memory"; -EINVAL. */
int conf_no_memory(struct conf_ctx *ctx, int line, const char *key);
/*
 * conf_claim - note that @key is being set at @line through the slot
 * @slot (0 unset, >0 line, -1 set by an override). Returns 1 to apply,
 * 0 to ignore silently, -EINVAL for a duplicate (reported).
 */
int conf_claim(struct conf_ctx *ctx, int *slot, int line, const char *key);
/*
 * conf_quote - write @s into @buf (at least CONF_QBUF bytes) as a quoted,
 * printable string: at most CONF_QUOTE_MAX bytes, control and non-ASCII
 * bytes as \xHH, '"' and '\' escaped, "..." when truncated.
 */
void conf_quote(char *buf, size_t size, const char *s);
/*
 * conf_key_label - @key for a message: as is when printable and short,
 * else quoted into @buf (CONF_QBUF bytes).
 */
const char *conf_key_label(char *buf, size_t size, const char *key);
/*
 * conf_grow - make room for element @n of *@arrp, an array only ever grown
 * by this function (capacity: the next power of two). 0 or -ENOMEM.
 */
int conf_grow(void *arrp, size_t n, size_t elem);
/* conf_set_str - replace *@dst by a copy of @value; 0 or -EINVAL (OOM,
 * reported as @key). */
int conf_set_str(struct conf_ctx *ctx, int line, const char *key,
		 char **dst, const char *value);
/*
 * conf_split_words - split @s at blanks (is_blank) into one allocation
 * (array then strings; free() once). *n gets the count; the array is
 * NULL-terminated. NULL when out of memory.
 */
char **conf_split_words(const char *s, size_t *n);

/* ---- config_index.c: service name -> index ------------------------------ */

/*
 * conf_index_add - index cfg->svcs[@i] (services are added in order, so
 * @i + 1 services exist). On allocation failure the index is dropped and
 * lookups fall back to a linear scan (-ENOMEM).
 */
int conf_index_add(struct conf_index *idx, const struct config *cfg,
		   size_t i);
/* conf_index_find - index of the service named @name (@len bytes) or -1;
 * @idx NULL: a linear scan. */
long conf_index_find(const struct conf_index *idx, const struct config *cfg,
		     const char *name, size_t len);
void conf_index_free(struct conf_index *idx);

/* ---- config_set.c: any key, routed to its handler ---------------------- */

/*
 * conf_set_key - apply @key = @value from ctx->source at @line (any key).
 * 0, or -EINVAL after recording a diagnostic.
 */
int conf_set_key(struct conf_ctx *ctx, int line, const char *key,
		 const char *value);

/* ---- config_keys.c: applying a key through its row -------------------- */

/*
 * conf_set_global - apply a global key. Returns 0, -EINVAL (reported) or
 * -ENOENT when @key is no global key (nothing reported).
 */
int conf_set_global(struct conf_ctx *ctx, int line, const char *key,
		    const char *value);
/*
 * conf_svc_key - apply the service key @sub ("memory", "env.LANG") of
 * @svc, named @key in messages ("service.web.memory", "default.memory").
 * 0 or -EINVAL (reported; the caller marks what becomes invalid).
 */
int conf_svc_key(struct conf_ctx *ctx, struct svc_conf *svc, int line,
		 const char *key, const char *sub, const char *value);
/* conf_svc_key_index - the slot of service key @sub ("memory"), or -1
 * (also for "env.*", which has no slot). */
int conf_svc_key_index(const char *sub);

/* ---- config_svc.c: the services ---------------------------------------- */

/*
 * conf_set_service - apply "service.<name>.<sub>" = @value. Creates the
 * service if needed; any problem marks it invalid. 0 or -EINVAL.
 */
int conf_set_service(struct conf_ctx *ctx, int line, const char *key,
		     const char *value);
/* conf_svc_free - what @svc owns (not @svc itself). */
void conf_svc_free(struct svc_conf *svc);
/*
 * conf_svc_poison - a line that could not be parsed (too long, NUL byte,
 * bad quoting) but starts with "service.<name>." marks that service
 * invalid. @s is the raw line (@len bytes).
 */
void conf_svc_poison(struct conf_ctx *ctx, int line, const char *s,
		     size_t len);
/* conf_svc_init - the built-in value of every scalar key of @svc (zeroed). */
void conf_svc_init(struct svc_conf *svc);

/* ---- config_default.c: default.KEY -------------------------------------- */

/* conf_set_default - record "default.<sub>" = @value (checked like a
 * service's key). 0 or -EINVAL (reported). */
int conf_set_default(struct conf_ctx *ctx, int line, const char *key,
		     const char *value);
/* conf_apply_defaults - give every service each default it does not set
 * itself (once per configuration). */
void conf_apply_defaults(struct conf_ctx *ctx);
void conf_defaults_free(struct config *cfg);

/* parse.c: helpers returning 0, -EINVAL (malformed) or -ERANGE */
int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
int parse_bool(const char *s, bool *out);
int parse_ipv4(const char *s, struct in_addr *out);
int parse_cidr(const char *s, int min_prefix, int max_prefix,
	       struct in_addr *addr, uint8_t *prefix);
int parse_ipv6(const char *s, struct in6_addr *out);
int parse_cidr6(const char *s, int min_prefix, int max_prefix,
		struct in6_addr *addr, uint8_t *prefix);
bool conf_valid_svc_name(const char *s, size_t len);
bool conf_valid_ifname(const char *s);
bool conf_valid_env_name(const char *s);
bool conf_valid_abs_path(const char *s, bool allow_dotdot);
bool conf_valid_hostname(const char *s);

#endif
