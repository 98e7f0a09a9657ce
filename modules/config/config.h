/* SPDX-License-Identifier: MIT */
/*
 * config: the boxinit configuration language and its in-memory form.
 *
 * One "key = value" per line, '#' comments, blank lines ignored, whitespace
 * around key and value trimmed, values optionally double-quoted with \" and \\
 * escapes. The kernel command line overrides the file: "boxinit.conf=PATH"
 * picks the file, "boxinit.KEY=VALUE" sets any key.
 *
 * Every problem is recorded as a diagnostic (source, line, message). A bad
 * service key marks that service invalid (it is not started); a bad global
 * key leaves the global at its default. Parsing never aborts.
 */
#ifndef BOXINIT_CONFIG_H
#define BOXINIT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>

#define CONF_DEFAULT_PATH   "/etc/boxinit.conf"
#define CONF_NAME_MAX       32          /* service name: 1..32 of [a-z0-9_-] */
#define CONF_LINE_MAX       4096        /* longer lines are an error */
#define CONF_FILE_MAX       (1u << 20)  /* larger files are an error */
#define CONF_CPU_PERIOD_US  100000u     /* CFS period used for "cpu" */
#define CONF_PIDS_DEFAULT   512u        /* "pids" of a service without one */
#define CONF_LOG_RATE_DEFAULT        1000u          /* lines/s */
#define CONF_LOG_BURST_DEFAULT       5000u          /* lines */
#define CONF_LOG_RATE_BYTES_DEFAULT  (256ull << 10) /* bytes/s */
#define CONF_LOG_BURST_BYTES_DEFAULT (1ull << 20)   /* bytes */

enum restart_policy { RESTART_ALWAYS, RESTART_ON_FAILURE, RESTART_NO };
enum svc_type       { SVC_SIMPLE, SVC_ONESHOT };
enum net_mode       { NET_NONE, NET_BRIDGE, NET_HOST };
enum cgroup_mode    { CGROUP_AUTO, CGROUP_V2, CGROUP_V1 };
enum nat_mode       { NAT_OFF, NAT_ON, NAT_IFACE };
/* how a service says it can serve (service.X.ready) */
enum ready_mode     { READY_EXEC, READY_FD, READY_NOTIFY };
/* what its failure means for the machine (service.X.failure_action) */
enum failure_action { FAILURE_NONE, FAILURE_REBOOT, FAILURE_POWEROFF };
/* what a service may do on boxinit's control socket (service.X.control) */
enum svc_control    { CONTROL_NONE, CONTROL_STATUS, CONTROL_FULL };

/*
 * "default.KEY = VALUE": KEY (a service key such as "memory" or
 * "env.LANG") for every service that does not set it itself. Applied by
 * config_finish(), whatever the order of the lines.
 */
struct conf_default {
	char *key;      /* without "default." */
	char *value;
	char *source;   /* file path, or "kernel command line" */
	int line;       /* 0 on the kernel command line */
	bool override;  /* set from the kernel command line */
};

/* One recorded problem. line is 0 for problems not tied to a line. */
struct conf_diag {
	char *source;   /* file path, or "kernel command line" */
	int line;
	char *msg;
};

/* A "name = value" pair kept in file order (sysctl.*, env.*). */
struct conf_kv {
	char *key;
	char *value;
	int line;
};

struct conf_bind {
	char *src;
	char *dst;
	bool ro;
};

struct conf_port {
	uint16_t host;      /* port on the host's addresses */
	uint16_t svc;       /* port inside the service */
	uint8_t proto;      /* IPPROTO_TCP or IPPROTO_UDP */
};

/* iface.<name>.address / .gateway / .address6 / .gateway6 */
struct conf_iface {
	char name[16];              /* IFNAMSIZ */
	bool has_addr;
	struct in_addr addr;
	uint8_t prefix;
	bool has_gw;
	struct in_addr gw;
	bool has_addr6;
	struct in6_addr addr6;
	uint8_t prefix6;
	bool has_gw6;
	struct in6_addr gw6;        /* may be link-local (fe80::/10) */
	int addr_line, gw_line;     /* internal: line each key was set (dups) */
	int addr6_line, gw6_line;
};

struct svc_conf {
	char name[CONF_NAME_MAX + 1];
	char *source;               /* file (or "kernel command line") of line */
	int line;                   /* line of the first key naming it */
	bool invalid;               /* had an error: must not be started */

	char *exec;                 /* as written */
	char **argv;                /* exec split like a shell (NULL-terminated) */
	char **env;                 /* "VAR=value", NULL-terminated, file order
				       (never NULL for a parsed service) */
	size_t nenv;
	int *env_line;              /* internal: line each env[i] was set */
	char *workdir;
	bool has_user;
	uint32_t uid, gid;          /* gid == uid when only UID was given */
	enum restart_policy restart;        /* default RESTART_ALWAYS */
	enum svc_type type;                 /* default SVC_SIMPLE */
	char **after;               /* service names, NULL-terminated (never
				       NULL for a parsed service) */
	size_t nafter;
	int stop_signal;            /* default SIGTERM */
	uint32_t stop_timeout_ms;   /* default 10000 */
	uint32_t restart_max;       /* default 10 */
	uint32_t restart_window_ms; /* default 60000 */

	/* containers */
	char *root;
	char *hostname;             /* NULL: the service's name */
	bool readonly;
	struct conf_bind *binds;
	size_t nbinds;
	bool has_caps;
	uint64_t caps;              /* bit n = capability n */
	enum svc_control control;   /* default CONTROL_NONE: socket masked */
	bool seccomp;               /* default true: the default filter */
	uint64_t tmp_size;          /* bytes of /tmp's tmpfs, default 64M */
	uint64_t shm_size;          /* bytes of /dev/shm's tmpfs, default 64M */

	/* cgroup limits (0 / UINT64_MAX: no limit) */
	uint32_t cpu_quota_us;      /* per CONF_CPU_PERIOD_US; 0 = unlimited */
	uint64_t memory;            /* bytes, UINT64_MAX = unlimited */
	bool has_swap;
	uint64_t swap;              /* bytes */
	uint32_t pids;              /* 0 = unlimited ("max"), default
				       CONF_PIDS_DEFAULT */

	/* log rate limit of the output boxinit relays (see lograte.h) */
	uint32_t log_rate;          /* lines per second, 0 = unlimited */
	uint32_t log_burst;         /* lines in a burst */
	uint64_t log_rate_bytes;    /* bytes per second, 0 = unlimited */
	uint64_t log_burst_bytes;   /* bytes in a burst */

	/* readiness, health, what its failure means */
	enum ready_mode ready;      /* default READY_EXEC: ready once it exec'd */
	int ready_fd;               /* READY_FD: the fd it writes its line to */
	uint32_t ready_timeout_ms;  /* default 30000; 0: no limit */
	char *health;               /* the check's command as written, or NULL */
	char **health_argv;         /* health split like exec */
	uint32_t health_interval_ms;    /* default 30000 */
	uint32_t health_timeout_ms;     /* default 5000 */
	uint32_t health_retries;        /* failures in a row that restart it, default 3 */
	enum failure_action failure_action;     /* default FAILURE_NONE */

	/* network */
	enum net_mode net;          /* default NET_NONE */
	bool ip_auto;
	bool has_ip;
	struct in_addr ip;
	bool ip6_auto;              /* ip6 = auto (also the default with net.address6) */
	bool has_ip6;               /* ip6 = ADDR */
	struct in6_addr ip6;
	struct conf_port *ports;
	size_t nports;

	int key_line[48];           /* internal: line each key was set (dups) */
};

struct config {
	char *hostname;             /* default "boxinit" */
	char *console;              /* default "/dev/console" */
	bool console_timestamps;    /* console lines begin with the uptime */
	char *log_dir;              /* per-service log files, or NULL: the default */
	uint64_t log_size;          /* bytes of a log file before rotation, default 64K */
	uint32_t log_files;         /* files per service in all, default 2 */
	char *log_remote;           /* "A.B.C.D:PORT" / "[IPV6]:PORT" syslog, or NULL */
	int loglevel;               /* 0 err .. 3 debug, default 2 (info) */
	char *emergency;            /* shell for a fatal boot error, or NULL */
	char **modules;             /* NULL-terminated; never NULL after
				       config_init() */
	size_t nmodules;
	enum cgroup_mode cgroup;
	struct conf_kv *sysctl;     /* key without "sysctl." */
	size_t nsysctl;
	char *net_bridge;           /* default "br0" */
	bool has_net_address;
	struct in_addr net_addr;
	uint8_t net_prefix;
	enum nat_mode nat;
	char *nat_iface;            /* for NAT_IFACE */
	bool has_net_address6;      /* net.address6 = ADDR/N on the bridge */
	struct in6_addr net_addr6;
	uint8_t net_prefix6;
	enum nat_mode nat6;         /* net.nat6 */
	char *nat6_iface;           /* for NAT_IFACE */
	struct conf_iface *ifaces;
	size_t nifaces;

	char *watchdog;             /* the watchdog device, or NULL: none */
	uint32_t watchdog_timeout_ms;           /* default 30000 */
	uint32_t watchdog_shutdown_timeout_ms;  /* default 60000 */
	char *state_dir;            /* persistent state (the reboot guard), or NULL */
	uint32_t reboot_limit;      /* failure_action reboots per window, default 3 */
	uint32_t reboot_window_ms;  /* default 1 h */

	struct svc_conf *svcs;
	size_t nsvcs;

	struct conf_default *defaults;  /* default.KEY, in first-set order */
	size_t ndefaults;
	bool defaults_applied;      /* internal: config_finish applied them */

	struct conf_diag *diags;
	size_t ndiags;

	int global_line[32];        /* internal: line each global was set */
};

/*
 * config_init - fill @cfg with the defaults. Never fails (allocation
 * failure of the default strings is fatal: boxinit calls it once, early).
 */
void config_init(struct config *cfg);

/*
 * config_free - release everything @cfg owns; @cfg may be reused after
 * config_init().
 */
void config_free(struct config *cfg);

/*
 * config_parse_buffer - parse @len bytes of @buf as a configuration file
 * named @source (used in diagnostics). Keys already set by an earlier call
 * with override=false are duplicates (reported); with @override true (the
 * kernel command line) later values replace earlier ones silently.
 * Returns the number of new diagnostics (0 = clean).
 */
int config_parse_buffer(struct config *cfg, const char *source,
			const char *buf, size_t len);

/*
 * config_parse_file - read @path (at most CONF_FILE_MAX bytes) and parse it.
 * A missing or unreadable file is one diagnostic. Returns the number of new
 * diagnostics, or -errno when the file could not be read.
 */
int config_parse_file(struct config *cfg, const char *path);

/*
 * config_set - apply one key/value from @source at @line. With @override,
 * the value replaces an earlier one without a duplicate error.
 * Returns 0, or -EINVAL after recording a diagnostic.
 */
int config_set(struct config *cfg, const char *source, int line,
	       const char *key, const char *value, bool override);

/*
 * cmdline_conf_path - find "boxinit.conf=PATH" in the kernel command line
 * @cmdline (NUL-terminated, as read from /proc/cmdline). Returns a malloc'd
 * path the caller frees, or NULL when absent.
 */
char *cmdline_conf_path(const char *cmdline);

/*
 * config_apply_cmdline - apply every "boxinit.KEY=VALUE" word of @cmdline
 * (kernel quoting rules: double quotes group words) as an override.
 * "boxinit.conf" is skipped. Returns the number of new diagnostics.
 */
int config_apply_cmdline(struct config *cfg, const char *cmdline);

/*
 * config_finish - once all sources are read: give each service the
 * "default." keys it does not set (first call only), then check across
 * keys: "after" names exist and have no cycle, services have "exec", net
 * addresses fit the bridge subnet, no duplicate ip/host port. Marks
 * offending services invalid. Returns the number of new diagnostics.
 */
int config_finish(struct config *cfg);

/*
 * config_print_defaults - write the "default.KEY = VALUE" settings of
 * @cfg to @out, one a line with where each was set ("--check").
 */
void config_print_defaults(const struct config *cfg, FILE *out);

/* Output formats of config_print_keys(). */
enum conf_doc_format { CONF_DOC_TEXT, CONF_DOC_MARKDOWN, CONF_DOC_MAN };

/*
 * config_doc_format - the format named @name: "text" (also NULL) or
 * "markdown"; -EINVAL for any other.
 */
int config_doc_format(const char *name);

/*
 * config_print_keys - write the reference of every key to @out, generated
 * from the key table: name, type, default, accepted values, description.
 * CONF_DOC_TEXT is for a terminal (80 columns, `boxinit --help-config`),
 * CONF_DOC_MARKDOWN the README's tables. Returns 0, -EINVAL (unknown
 * @fmt) or -EIO (@out could not be written).
 */
int config_print_keys(FILE *out, enum conf_doc_format fmt);

/* config_find - the service named @name, or NULL. */
struct svc_conf *config_find(struct config *cfg, const char *name);

/*
 * config_load - the whole sequence used at boot and by --check: pick the
 * path (@path if not NULL, else boxinit.conf= from @cmdline, else
 * CONF_DEFAULT_PATH), parse it, apply @cmdline overrides (may be NULL),
 * finish. Returns the number of diagnostics.
 */
int config_load(struct config *cfg, const char *path, const char *cmdline);

/*
 * svc_conf_equal - true when @a and @b describe the same service (every
 * setting equal; the line numbers do not count). Used by reload: an
 * unchanged service keeps running.
 */
bool svc_conf_equal(const struct svc_conf *a, const struct svc_conf *b);

/* Value parsers, exposed for the unit tests and other modules. */

/*
 * parse_size - "10M" -> 10485760. Suffixes K, M, G (powers of 1024), no
 * suffix = bytes; "max" / "unlimited" -> UINT64_MAX. Returns 0 or -EINVAL /
 * -ERANGE.
 */
int parse_size(const char *s, uint64_t *out);

/*
 * parse_duration_ms - "100ms", "2s", "1m", "1h"; a bare number is seconds.
 * Result at most 24 h. Returns 0 or -EINVAL / -ERANGE.
 */
int parse_duration_ms(const char *s, uint32_t *out_ms);

/*
 * parse_cpu - "0.5" -> 50000 (µs of quota per CONF_CPU_PERIOD_US), up to 3
 * decimals, 0.01 ..1024. Returns 0 or -EINVAL / -ERANGE.
 */
int parse_cpu(const char *s, uint32_t *out_quota_us);

/*
 * split_command - split @cmd like a POSIX shell would split words: blanks
 * (space, \t, \n, \v, \f, \r: the config language's one blank) separate
 * words, '...' keeps everything literally, "..." honours \" \\ \$ \`
 * escapes, a backslash outside quotes escapes the next character. No
 * expansion of any kind. Returns a malloc'd NULL-terminated argv (one
 * allocation; free() it once) or NULL with errno EINVAL (unterminated
 * quote, empty command) or ENOMEM.
 */
char **split_command(const char *cmd);

/* parse_signal - "TERM", "SIGTERM" or "15" -> 15; -EINVAL if unknown. */
int parse_signal(const char *s);

/* parse_cap - "CAP_NET_ADMIN" / "net_admin" -> 12; -EINVAL if unknown. */
int parse_cap(const char *s);

#endif
