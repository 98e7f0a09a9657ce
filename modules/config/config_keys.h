/* SPDX-License-Identifier: MIT */
/*
 * config_keys: the configuration keys as data. One row per key says how
 * its value is parsed and checked (the setter, its bounds, its choices),
 * where it is stored (an offset into struct config or struct svc_conf),
 * what a wrong value is told (the noun and the "expected ..." text of the
 * diagnostic), and what a user reads about it (type, default, one line of
 * description). The parser (config_keys.c), `boxinit --help-config` and
 * the README's key reference (config_doc.c) all read these rows, so the
 * documentation cannot drift from what the parser does.
 *
 * Private to modules/config/ (and its tests), like config_priv.h.
 */
#ifndef BOXINIT_CONFIG_KEYS_H
#define BOXINIT_CONFIG_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "config_priv.h"

struct conf_key;

/* One key = value being applied: what a setter gets. */
struct conf_arg {
	struct conf_ctx *ctx;
	const struct conf_key *k;   /* the key's row */
	void *obj;                  /* struct config or struct svc_conf */
	const char *key;            /* as messages name it: "service.web.pids" */
	const char *name;           /* within its scope: "pids", "env.LANG" */
	const char *v;              /* the value */
	int line;                   /* 0 on the kernel command line */
};

/*
 * A setter parses a->v, checks it and stores it at a->obj + a->k->off.
 * Returns 0, or -EINVAL after recording one diagnostic (nothing stored).
 */
typedef int conf_setter(const struct conf_arg *a);

/* An accepted word of a choice key and the value it stores. */
struct conf_choice {
	char name[11];              /* "" ends a list */
	uint8_t value;
};

enum {
	KF_LIST = 1 << 0,           /* a list: an empty value clears it */
	KF_OFF  = 1 << 1,           /* "off", "max", "unlimited": 0 (no limit) */
	KF_MAX  = 1 << 2,           /* "max": 0 (no limit) */
};

#define CONF_NO_SLOT 0xff       /* a pattern key: its setter claims slots */

/* The strings of a row, in the order of conf_key.text (see CONF_TEXT). */
enum conf_key_str {
	KS_NAME,        /* "memory"; "NAME" in it is a pattern ("env.NAME") */
	KS_TYPE,        /* for users: "size", "duration", "choice" ... */
	KS_DEFAULT,     /* a value giving the built-in default, or "(prose)" */
	KS_WHAT,        /* the value's noun in messages: invalid SIZE "10Q" */
	KS_EXPECT,      /* (expected EXPECT) of a malformed value */
	KS_RANGE,       /* (expected RANGE) out of range; "" = EXPECT */
	KS_HELP,        /* one line for users */
};

/*
 * CONF_TEXT - the strings of a row as one NUL-separated literal (no
 * pointer per string: the table stays small). Read with conf_key_str().
 */
#define CONF_TEXT(name, type, dflt, what, expect, range, help) \
	name "\0" type "\0" dflt "\0" what "\0" expect "\0" range "\0" help

struct conf_key {
	const char *text;           /* CONF_TEXT(...) */
	conf_setter *set;
	union {                     /* the setter's argument, if it takes one */
		const struct conf_choice *choices;
		bool (*valid)(const char *s);
		struct {            /* bounds: a number, a duration in ms, a
				       prefix length; a size in KiB (SIZE_KIB) */
			uint32_t min, max;
		};
	};
	uint16_t off;               /* offsetof the destination field */
	uint16_t off2;              /* a list's count, a has_ flag; 0: none */
	uint8_t size;               /* sizeof the destination field */
	uint8_t flags;              /* KF_* */
	uint8_t slot;               /* key_line[]/global_line[] index */
};

/* Size bounds are stored in KiB: SIZE_KIB(bytes); SIZE_NO_MAX is none. */
#define SIZE_KIB(bytes) ((uint32_t)((bytes) >> 10))
#define SIZE_NO_MAX     UINT32_MAX

/* conf_size_bound - a size bound of a row in bytes (UINT64_MAX: none) */
static inline uint64_t conf_size_bound(uint32_t kib)
{
	return kib == SIZE_NO_MAX ? UINT64_MAX : (uint64_t)kib << 10;
}

/* CONF_FIELD - .off and .size of field @f of struct @T */
#define CONF_FIELD(T, f) .off = offsetof(T, f), .size = sizeof(((T *)0)->f)

/* The tables (config_keys.c): global keys, then service keys. */
extern const struct conf_key conf_global_keys[];
extern const size_t conf_nglobal_keys;
extern const struct conf_key conf_svc_keys[];
extern const size_t conf_nsvc_keys;


/*
 * conf_key_find - the row of @name in @table (@n rows): an exact name, or
 * a pattern row ("env.NAME") whose text before "NAME" begins @name.
 * NULL when none.
 */
const struct conf_key *conf_key_find(const struct conf_key *table, size_t n,
				     const char *name);

/* conf_arg_field - the destination of @a's row in @a->obj */
static inline void *conf_arg_field(const struct conf_arg *a)
{
	return (char *)a->obj + a->k->off;
}

/* ---- config_values.c: the generic setters, one per type of value ------- */

/* conf_key_str - string @which of row @k (never NULL). */
const char *conf_key_str(const struct conf_key *k, enum conf_key_str which);

conf_setter conf_set_string;    /* .valid (optional) */
conf_setter conf_set_bool;
conf_setter conf_set_choice;    /* .choices */
conf_setter conf_set_u32;       /* [min, max]; KF_OFF, KF_MAX */
conf_setter conf_set_size;      /* [min, max] KiB; KF_OFF; off2: has_ */
conf_setter conf_set_duration;  /* ms in [min, max] */
conf_setter conf_set_cpu;
conf_setter conf_set_signal;
conf_setter conf_set_words;     /* .valid for each word; off2: count */

/* The messages of a row: "invalid WHAT" (EXPECT), "out of range" (RANGE) */
int conf_arg_bad(const struct conf_arg *a, const char *value);
int conf_arg_range(const struct conf_arg *a, const char *value);
/* conf_arg_reject - conf_arg_range() for -ERANGE, else conf_arg_bad() */
int conf_arg_reject(const struct conf_arg *a, int err);
/* conf_arg_store - store @v in the row's field (1, 4 or 8 bytes wide) */
void conf_arg_store(const struct conf_arg *a, uint64_t v);

/* Validators for conf_set_string and conf_set_words */
bool conf_valid_path(const char *s);            /* absolute, ".." allowed */
bool conf_valid_svc_word(const char *s);        /* a service name */
bool conf_valid_syslog_target(const char *s);   /* syslog_remote_parse() */

/* ---- config_svc_keys.c: the service keys with their own setter --------- */

conf_setter conf_set_command, conf_set_ready, conf_set_env, conf_set_user, conf_set_bind,
	    conf_set_caps, conf_set_ports, conf_set_ip, conf_set_ip6, conf_set_memory;

/* ---- config_global.c: the global keys with their own setter ------------ */

conf_setter conf_set_emergency, conf_set_net_address, conf_set_net_address6,
	    conf_set_nat, conf_set_sysctl, conf_set_iface;
bool conf_valid_module(const char *s);

#endif
