/* SPDX-License-Identifier: MIT */
/*
 * config_priv: internals shared by config.c, config_global.c,
 * config_svc.c, config_cmdline.c, config_finish.c and parse.c. Not part of
 * the public contract (see config.h).
 */
#ifndef BOXINIT_CONFIG_PRIV_H
#define BOXINIT_CONFIG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "config.h"

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

/* Service key slots in svc_conf.key_line[] (must stay < 32). */
enum {
	SK_EXEC, SK_WORKDIR, SK_USER, SK_RESTART, SK_TYPE, SK_AFTER,
	SK_STOP_SIGNAL, SK_STOP_TIMEOUT, SK_RESTART_MAX, SK_RESTART_WINDOW,
	SK_ROOT, SK_HOSTNAME, SK_READONLY, SK_BIND, SK_CAPS, SK_CPU,
	SK_MEMORY, SK_SWAP, SK_PIDS, SK_NET, SK_IP, SK_PORTS, SK_COUNT
};

/* config.c */
int conf_grow(void *arrp, size_t n, size_t elem);
int conf_set_key(struct conf_ctx *ctx, int line, const char *key,
		 const char *value);
const char *conf_key_label(char *buf, size_t size, const char *key);
int conf_diag(struct conf_ctx *ctx, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int conf_claim(struct conf_ctx *ctx, int *slot, int line, const char *key);
void conf_quote(char *buf, size_t size, const char *s);
void conf_free_strv(char **v);
char **conf_split_words(const char *s, size_t *n);
int conf_index_add(struct conf_index *idx, const struct config *cfg,
		   size_t i);
long conf_index_find(const struct conf_index *idx, const struct config *cfg,
		     const char *name, size_t len);
void conf_index_free(struct conf_index *idx);

/* config_global.c */
int conf_set_global(struct conf_ctx *ctx, int line, const char *key,
		    const char *value);

/* config_svc.c */
int conf_set_service(struct conf_ctx *ctx, int line, const char *key,
		     const char *value);
void conf_svc_free(struct svc_conf *svc);
void conf_svc_poison(struct conf_ctx *ctx, int line, const char *s,
		     size_t len);

/* parse.c: helpers returning 0, -EINVAL (malformed) or -ERANGE */
int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
int parse_bool(const char *s, bool *out);
int parse_ipv4(const char *s, struct in_addr *out);
int parse_cidr(const char *s, int min_prefix, int max_prefix,
	       struct in_addr *addr, uint8_t *prefix);
bool conf_valid_svc_name(const char *s, size_t len);
bool conf_valid_ifname(const char *s);
bool conf_valid_env_name(const char *s);
bool conf_valid_abs_path(const char *s, bool allow_dotdot);
bool conf_valid_hostname(const char *s);

#endif
