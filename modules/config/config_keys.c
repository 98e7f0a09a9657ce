// SPDX-License-Identifier: MIT
/*
 * config_keys: the table of every configuration key (see config_keys.h
 * for what a row holds), and applying one key = value through its row:
 * find the row, claim its duplicate slot, refuse an empty value (a list
 * takes it: empty clears the list), call the row's setter.
 *
 * A row's default is what `boxinit --help-config` and the README show; a
 * default that is a value (not "(prose)") must give exactly the built-in
 * value of config_init() / conf_svc_init() (test_config checks it).
 */
#include <errno.h>
#include <string.h>

#include "config.h"
#include "config_keys.h"
#include "config_priv.h"

#define SIZE_RULE     "a number with optional K, M or G suffix"
#define DUR_RULE      "a number with optional ms, s, m or h suffix, at most 24h"
#define BOOL_RULE     "yes, no, true, false, on, off, 1 or 0"
#define HOST_RULE     "1 to 64 of A-Z, a-z, 0-9, \".\" and \"-\""
#define IFNAME_RULE   "1 to 15 of A-Z, a-z, 0-9, \"_\", \".\" and \"-\""
#define TMPFS_RANGE   "from 4K to 16G such as 64M"

#define G(f)  CONF_FIELD(struct config, f)
#define S(f)  CONF_FIELD(struct svc_conf, f)

/* ---- choices ------------------------------------------------------------ */

static const struct conf_choice loglevels[] = {
	{ "err", 0 }, { "warn", 1 }, { "info", 2 }, { "debug", 3 },
	{ "0", 0 }, { "1", 1 }, { "2", 2 }, { "3", 3 }, { "", 0 },
};
static const struct conf_choice cgroups[] = {
	{ "auto", CGROUP_AUTO }, { "v2", CGROUP_V2 }, { "v1", CGROUP_V1 },
	{ "", 0 },
};
static const struct conf_choice restarts[] = {
	{ "always", RESTART_ALWAYS }, { "on-failure", RESTART_ON_FAILURE },
	{ "no", RESTART_NO }, { "", 0 },
};
static const struct conf_choice types[] = {
	{ "simple", SVC_SIMPLE }, { "oneshot", SVC_ONESHOT }, { "", 0 },
};
static const struct conf_choice nets[] = {
	{ "bridge", NET_BRIDGE }, { "none", NET_NONE }, { "host", NET_HOST },
	{ "", 0 },
};
static const struct conf_choice controls[] = {
	{ "no", CONTROL_NONE }, { "false", CONTROL_NONE },
	{ "off", CONTROL_NONE }, { "0", CONTROL_NONE },
	{ "status", CONTROL_STATUS },
	{ "yes", CONTROL_FULL }, { "true", CONTROL_FULL },
	{ "on", CONTROL_FULL }, { "1", CONTROL_FULL }, { "", 0 },
};
static const struct conf_choice failure_actions[] = {
	{ "none", FAILURE_NONE }, { "reboot", FAILURE_REBOOT },
	{ "poweroff", FAILURE_POWEROFF }, { "", 0 },
};
static const struct conf_choice seccomps[] = {
	{ "default", true }, { "off", false }, { "", 0 },
};

/* ---- global keys -------------------------------------------------------- */

const struct conf_key conf_global_keys[] = {
	{ CONF_TEXT("hostname", "hostname", "boxinit", "hostname", HOST_RULE, "",
		    "the machine's hostname, set at boot and on reload"),
	  conf_set_string, .valid = conf_valid_hostname, .slot = GK_HOSTNAME, G(hostname) },
	{ CONF_TEXT("console", "path", "/dev/console", "path",
		    "an absolute path such as /dev/ttyS0", "",
		    "the terminal boxinit and the services' output write to"),
	  conf_set_string, .valid = conf_valid_path, .slot = GK_CONSOLE, G(console) },
	{ CONF_TEXT("console_timestamps", "bool", "no", "value", BOOL_RULE, "",
		    "console lines begin with the uptime (seconds), as dmesg shows them"),
	  conf_set_bool, .slot = GK_CONSOLE_TIMESTAMPS, G(console_timestamps) },
	{ CONF_TEXT("log_dir", "path", "(/run/boxinit as PID 1)", "path", "an absolute path", "",
		    "where NAME.log of each service goes (--log-dir wins)"),
	  conf_set_string, .valid = conf_valid_path, .slot = GK_LOG_DIR, G(log_dir) },
	{ CONF_TEXT("log_size", "size", "64K", "size", SIZE_RULE, "from 4K to 1G",
		    "a log file's size before it is rotated"),
	  conf_set_size, .slot = GK_LOG_SIZE, G(log_size),
	  .min = SIZE_KIB(4096), .max = SIZE_KIB(1 << 30) },
	{ CONF_TEXT("log_files", "integer", "2", "number", "an integer from 1 to 100", "",
		    "the files kept per service: NAME.log, NAME.log.1, ..."),
	  conf_set_u32, .slot = GK_LOG_FILES, G(log_files), .min = 1, .max = 100 },
	{ CONF_TEXT("log_remote", "address", "(none)", "address",
		    "A.B.C.D:PORT or [IPV6]:PORT", "",
		    "every line also sent there as RFC 5424 syslog over UDP"),
	  conf_set_string, .valid = conf_valid_syslog_target, .slot = GK_LOG_REMOTE,
	  G(log_remote) },
	{ CONF_TEXT("loglevel", "choice", "info", "log level",
		    "err, warn, info, debug or 0-3", "",
		    "the least important message boxinit logs"),
	  conf_set_choice, .choices = loglevels, .slot = GK_LOGLEVEL, G(loglevel) },
	{ CONF_TEXT("emergency", "command", "(none)", "command",
		    "an absolute path such as /bin/sh, with optional arguments", "",
		    "a shell started on the console when boot fails fatally"),
	  conf_set_emergency, .slot = GK_EMERGENCY, G(emergency) },
	{ CONF_TEXT("modules", "list", "(none)", "module name",
		    "names of A-Z, a-z, 0-9, \"_\", \"-\" and \".\", or NAME.KEY=VALUE for a parameter", "",
		    "kernel modules loaded at boot, with their dependencies"),
	  conf_set_words, .valid = conf_valid_module, .slot = GK_MODULES, G(modules),
	  .off2 = offsetof(struct config, nmodules), .flags = KF_LIST },
	{ CONF_TEXT("cgroup", "choice", "auto", "value", "auto, v2 or v1", "",
		    "the cgroup version: auto takes v2 when it has cpu, memory and pids"),
	  conf_set_choice, .choices = cgroups, .slot = GK_CGROUP, G(cgroup) },
	{ CONF_TEXT("net.bridge", "interface", "br0", "interface name",
		    IFNAME_RULE, "",
		    "the bridge of the services with net = bridge"),
	  conf_set_string, .valid = conf_valid_ifname, .slot = GK_NET_BRIDGE, G(net_bridge) },
	{ CONF_TEXT("net.address", "address", "(none)", "address",
		    "A.B.C.D/N, a host address with N from 1 to 30", "",
		    "the bridge's address and prefix: the services' subnet"),
	  conf_set_net_address, .slot = GK_NET_ADDRESS, .min = 1, .max = 30 },
	{ CONF_TEXT("net.nat", "choice", "off", "value",
		    "on, off or an interface name", "",
		    "masquerade the services' subnet: on through any uplink, NAME through NAME"),
	  conf_set_nat, .slot = GK_NET_NAT, G(nat),
	  .off2 = offsetof(struct config, nat_iface) },
	{ CONF_TEXT("net.address6", "address", "(none)", "address",
		    "ADDR/N, an IPv6 host address such as fd00:b0::1/64 with N from 1 to 127", "",
		    "the bridge's IPv6 address and prefix: the services' IPv6 subnet"),
	  conf_set_net_address6, .slot = GK_NET_ADDRESS6, .min = 1, .max = 127 },
	{ CONF_TEXT("net.nat6", "choice", "off", "value",
		    "on, off or an interface name", "",
		    "masquerade net.address6's prefix: on through any uplink, NAME through it"),
	  conf_set_nat, .slot = GK_NET_NAT6, G(nat6),
	  .off2 = offsetof(struct config, nat6_iface) },
	{ CONF_TEXT("sysctl.NAME", "string", "(none)", "value",
		    "a non-empty value", "",
		    "written to /proc/sys/NAME at boot (dots become slashes)"),
	  conf_set_sysctl, .slot = CONF_NO_SLOT },
	{ CONF_TEXT("iface.NAME.address", "address", "(none)", "address",
		    "A.B.C.D/N with N from 1 to 32", "",
		    "a static address of the uplink interface NAME"),
	  conf_set_iface, .slot = CONF_NO_SLOT, .min = 1, .max = 32 },
	{ CONF_TEXT("iface.NAME.gateway", "address", "(none)", "address",
		    "A.B.C.D", "",
		    "the default route, through the uplink interface NAME"),
	  conf_set_iface, .slot = CONF_NO_SLOT },
	{ CONF_TEXT("iface.NAME.address6", "address", "(none)", "address",
		    "ADDR/N, an IPv6 address with N from 1 to 128", "",
		    "a static IPv6 address of the uplink interface NAME"),
	  conf_set_iface, .slot = CONF_NO_SLOT, .min = 1, .max = 128 },
	{ CONF_TEXT("iface.NAME.gateway6", "address", "(none)", "address",
		    "an IPv6 address (link-local fe80:: too)", "",
		    "the default IPv6 route, through the uplink interface NAME"),
	  conf_set_iface, .slot = CONF_NO_SLOT },
	{ CONF_TEXT("watchdog", "path", "(none)", "path", "an absolute path", "",
		    "the watchdog device PID 1 pets from its event loop"),
	  conf_set_string, .valid = conf_valid_path, .slot = GK_WATCHDOG, G(watchdog) },
	{ CONF_TEXT("watchdog_timeout", "duration", "30s", "duration", DUR_RULE,
		    "a duration from 1s to 1h in whole seconds",
		    "the reset timeout; petted every third of it"),
	  conf_set_duration, .slot = GK_WATCHDOG_TIMEOUT, G(watchdog_timeout_ms),
	  .min = 1000, .max = 3600000 },
	{ CONF_TEXT("watchdog_shutdown_timeout", "duration", "60s", "duration",
		    DUR_RULE, "a duration from 1s to 1h in whole seconds",
		    "the time a reboot or poweroff has before the watchdog resets"),
	  conf_set_duration, .slot = GK_WATCHDOG_SHUTDOWN,
	  G(watchdog_shutdown_timeout_ms), .min = 1000, .max = 3600000 },
	{ CONF_TEXT("state_dir", "path", "(none)", "path", "an absolute path", "",
		    "persistent storage for the reboot guard of failure_action"),
	  conf_set_string, .valid = conf_valid_path, .slot = GK_STATE_DIR, G(state_dir) },
	{ CONF_TEXT("reboot_limit", "integer", "3", "number",
		    "an integer from 1 to 1000", "",
		    "failure_action acts at most this often within reboot_window"),
	  conf_set_u32, .slot = GK_REBOOT_LIMIT, G(reboot_limit), .min = 1, .max = 1000 },
	{ CONF_TEXT("reboot_window", "duration", "1h", "duration", DUR_RULE,
		    "a duration above 0", "the time reboot_limit counts in, across boots"),
	  conf_set_duration, .slot = GK_REBOOT_WINDOW, G(reboot_window_ms),
	  .min = 1, .max = UINT32_MAX },
};
const size_t conf_nglobal_keys = sizeof(conf_global_keys) / sizeof(conf_global_keys[0]);

/* ---- service keys ------------------------------------------------------- */

const struct conf_key conf_svc_keys[] = {
	{ CONF_TEXT("exec", "command", "(required)", "command",
		    "a program and its arguments, quotes closed", "",
		    "the command, split like a shell would (quotes, backslashes; no expansion)"),
	  conf_set_command, .slot = SK_EXEC, S(exec),
	  .off2 = offsetof(struct svc_conf, argv) },
	{ CONF_TEXT("env.NAME", "string", "(none)", "variable name",
		    "any text, empty included", "",
		    "the environment variable NAME ([A-Za-z_][A-Za-z0-9_]*) of the service"),
	  conf_set_env, .slot = CONF_NO_SLOT },
	{ CONF_TEXT("workdir", "path", "(the root, /)", "path", "an absolute path", "",
		    "the working directory"),
	  conf_set_string, .valid = conf_valid_path, .slot = SK_WORKDIR, S(workdir) },
	{ CONF_TEXT("user", "user", "(0, root)", "user", "UID[:GID] numbers", "",
		    "the user and group it runs as, supplementary groups cleared"),
	  conf_set_user, .slot = SK_USER },
	{ CONF_TEXT("restart", "choice", "always", "value",
		    "always, on-failure or no", "",
		    "whether it is started again when it exits"),
	  conf_set_choice, .choices = restarts, .slot = SK_RESTART, S(restart) },
	{ CONF_TEXT("type", "choice", "simple", "value", "simple or oneshot", "",
		    "oneshot: runs to completion, and dependents start after it"),
	  conf_set_choice, .choices = types, .slot = SK_TYPE, S(type) },
	{ CONF_TEXT("after", "list", "(none)", "service name", SVC_NAME_RULE, "",
		    "the services it starts after and stops before"),
	  conf_set_words, .valid = conf_valid_svc_word, .slot = SK_AFTER, S(after),
	  .off2 = offsetof(struct svc_conf, nafter), .flags = KF_LIST },
	{ CONF_TEXT("stop_signal", "signal", "TERM", "signal",
		    "a signal name such as TERM or SIGINT, or a number", "",
		    "the signal that asks it to stop"),
	  conf_set_signal, .slot = SK_STOP_SIGNAL, S(stop_signal) },
	{ CONF_TEXT("stop_timeout", "duration", "10s", "duration", DUR_RULE, "",
		    "how long a stop waits for it to exit before SIGKILL"),
	  conf_set_duration, .slot = SK_STOP_TIMEOUT, S(stop_timeout_ms),
	  .max = UINT32_MAX },
	{ CONF_TEXT("restart_max", "integer", "10", "number",
		    "an integer from 1 to 1000", "",
		    "more restarts than this within restart_window: failed"),
	  conf_set_u32, .slot = SK_RESTART_MAX, S(restart_max),
	  .min = 1, .max = 1000 },
	{ CONF_TEXT("restart_window", "duration", "60s", "duration", DUR_RULE,
		    "a duration above 0", "the time restart_max counts restarts in"),
	  conf_set_duration, .slot = SK_RESTART_WINDOW, S(restart_window_ms),
	  .min = 1, .max = UINT32_MAX },
	{ CONF_TEXT("root", "path", "(the host's tree, read-only)", "path",
		    "an absolute path", "",
		    "the directory it sees as /, entered with pivot_root(2)"),
	  conf_set_string, .valid = conf_valid_path, .slot = SK_ROOT, S(root) },
	{ CONF_TEXT("hostname", "hostname", "(the service's name)", "hostname",
		    HOST_RULE, "", "its UTS hostname"),
	  conf_set_string, .valid = conf_valid_hostname, .slot = SK_HOSTNAME, S(hostname) },
	{ CONF_TEXT("readonly", "bool", "no", "value", BOOL_RULE, "",
		    "its root read-only, with every mount below it"),
	  conf_set_bool, .slot = SK_READONLY, S(readonly) },
	{ CONF_TEXT("bind", "list", "(none)", "bind",
		    "SRC:DST[:ro] with absolute paths, DST without \"..\"", "",
		    "host paths bind-mounted into it, :ro read-only"),
	  conf_set_bind, .slot = SK_BIND, .flags = KF_LIST },
	{ CONF_TEXT("caps", "list", "(audit_write kill net_bind_service)",
		    "capability",
		    "capability names such as CAP_NET_ADMIN, or none", "",
		    "the capabilities it keeps; none or an empty list: none at all"),
	  conf_set_caps, .slot = SK_CAPS, .flags = KF_LIST },
	{ CONF_TEXT("control", "choice", "no", "value", "no, status or yes", "",
		    "what it may ask on boxinit's control socket: nothing, status and log, all"),
	  conf_set_choice, .choices = controls, .slot = SK_CONTROL, S(control) },
	{ CONF_TEXT("seccomp", "choice", "default", "value", "default or off", "",
		    "boxinit's default seccomp filter, or none"),
	  conf_set_choice, .choices = seccomps, .slot = SK_SECCOMP, S(seccomp) },
	{ CONF_TEXT("tmp_size", "size", "64M", "size", SIZE_RULE, TMPFS_RANGE,
		    "the size of its /tmp (a tmpfs charged to its memory)"),
	  conf_set_size, .slot = SK_TMP_SIZE, S(tmp_size),
	  .min = SIZE_KIB(4096), .max = SIZE_KIB(16ull << 30) },
	{ CONF_TEXT("shm_size", "size", "64M", "size", SIZE_RULE, TMPFS_RANGE,
		    "the size of its /dev/shm (a tmpfs charged to its memory)"),
	  conf_set_size, .slot = SK_SHM_SIZE, S(shm_size),
	  .min = SIZE_KIB(4096), .max = SIZE_KIB(16ull << 30) },
	{ CONF_TEXT("cpu", "cpu", "(no limit)", "cpu",
		    "a number of CPUs such as 0.5, at most 3 decimals",
		    "from 0.01 to 1024",
		    "CPU limit in CPUs: a CFS quota per 100 ms (cgroup cpu.max)"),
	  conf_set_cpu, .slot = SK_CPU, S(cpu_quota_us) },
	{ CONF_TEXT("memory", "size", "max", "size", SIZE_RULE, "",
		    "memory limit, at least 1M (cgroup memory.max); max: none"),
	  conf_set_memory, .slot = SK_MEMORY, S(memory), .min = SIZE_KIB(1 << 20) },
	{ CONF_TEXT("swap", "size", "(no limit)", "size", SIZE_RULE, "",
		    "swap limit (cgroup memory.swap.max)"),
	  conf_set_size, .slot = SK_SWAP, S(swap),
	  .off2 = offsetof(struct svc_conf, has_swap), .max = SIZE_NO_MAX },
	{ CONF_TEXT("pids", "integer", "512", "number",
		    "an integer from 1 to 4194304, or max", "",
		    "how many tasks it may have (cgroup pids.max); max: no limit"),
	  conf_set_u32, .slot = SK_PIDS, S(pids), .flags = KF_MAX,
	  .min = 1, .max = 4194304 },
	{ CONF_TEXT("log_rate", "integer", "1000", "number",
		    "an integer from 1 to 1000000 lines per second, or off", "",
		    "output lines relayed per second; off: no limit"),
	  conf_set_u32, .slot = SK_LOG_RATE, S(log_rate), .flags = KF_OFF,
	  .min = 1, .max = 1000000 },
	{ CONF_TEXT("log_burst", "integer", "5000", "number",
		    "an integer from 1 to 10000000 lines", "",
		    "output lines relayed in a burst"),
	  conf_set_u32, .slot = SK_LOG_BURST, S(log_burst),
	  .min = 1, .max = 10000000 },
	{ CONF_TEXT("log_rate_bytes", "size", "256K", "size",
		    "a size from 1K to 1G (bytes per second) such as 256K, or off", "",
		    "output bytes relayed per second; off: no limit"),
	  conf_set_size, .slot = SK_LOG_RATE_BYTES, S(log_rate_bytes),
	  .flags = KF_OFF, .min = SIZE_KIB(1024), .max = SIZE_KIB(1 << 30) },
	{ CONF_TEXT("log_burst_bytes", "size", "1M", "size",
		    "a size from 4K to 1G such as 1M", "",
		    "output bytes relayed in a burst"),
	  conf_set_size, .slot = SK_LOG_BURST_BYTES, S(log_burst_bytes),
	  .min = SIZE_KIB(4096), .max = SIZE_KIB(1 << 30) },
	{ CONF_TEXT("net", "choice", "none", "value", "bridge, none or host", "",
		    "its network: on the bridge, only lo, or the host's"),
	  conf_set_choice, .choices = nets, .slot = SK_NET, S(net) },
	{ CONF_TEXT("ip", "address", "(auto, with net.address)", "address", "A.B.C.D or auto", "",
		    "its address on the bridge, in net.address; auto: a free one"),
	  conf_set_ip, .slot = SK_IP },
	{ CONF_TEXT("ip6", "address", "(auto, with net.address6)", "address",
		    "an IPv6 address such as fd00:b0::10, or auto", "",
		    "its IPv6 address on the bridge, in net.address6; auto: a stable one"),
	  conf_set_ip6, .slot = SK_IP6 },
	{ CONF_TEXT("ports", "list", "(none)", "ports",
		    "HOST:SVC[/tcp|/udp] with ports from 1 to 65535", "",
		    "host ports forwarded to its ports (nftables DNAT)"),
	  conf_set_ports, .slot = SK_PORTS, .flags = KF_LIST },
	{ CONF_TEXT("ready", "choice", "exec", "value",
		    "exec, notify or fd:N with N from 3 to 1023", "",
		    "when it can serve: exec'd, READY=1 on $NOTIFY_SOCKET, a line on fd N"),
	  conf_set_ready, .slot = SK_READY },
	{ CONF_TEXT("ready_timeout", "duration", "30s", "duration", DUR_RULE, "",
		    "not ready this long after its start: restarted; 0: no limit"),
	  conf_set_duration, .slot = SK_READY_TIMEOUT, S(ready_timeout_ms),
	  .max = UINT32_MAX },
	{ CONF_TEXT("health", "command", "(none)", "command",
		    "a program and its arguments, quotes closed", "",
		    "a check run in its container; exit status 0: healthy"),
	  conf_set_command, .slot = SK_HEALTH, S(health),
	  .off2 = offsetof(struct svc_conf, health_argv) },
	{ CONF_TEXT("health_interval", "duration", "30s", "duration", DUR_RULE,
		    "a duration from 100ms", "the time from one check to the next"),
	  conf_set_duration, .slot = SK_HEALTH_INTERVAL, S(health_interval_ms),
	  .min = 100, .max = UINT32_MAX },
	{ CONF_TEXT("health_timeout", "duration", "5s", "duration", DUR_RULE,
		    "a duration from 10ms", "a check still running this long is killed: a failure"),
	  conf_set_duration, .slot = SK_HEALTH_TIMEOUT, S(health_timeout_ms),
	  .min = 10, .max = UINT32_MAX },
	{ CONF_TEXT("health_retries", "integer", "3", "number",
		    "an integer from 1 to 100", "",
		    "failed checks in a row that restart it (unhealthy)"),
	  conf_set_u32, .slot = SK_HEALTH_RETRIES, S(health_retries), .min = 1, .max = 100 },
	{ CONF_TEXT("failure_action", "choice", "none", "value",
		    "none, reboot or poweroff", "",
		    "its failure (crash loop, never ready) reboots or powers off"),
	  conf_set_choice, .choices = failure_actions, .slot = SK_FAILURE_ACTION,
	  S(failure_action) },
};
const size_t conf_nsvc_keys = sizeof(conf_svc_keys) / sizeof(conf_svc_keys[0]);

/* ---- lookup and apply --------------------------------------------------- */

const struct conf_key *conf_key_find(const struct conf_key *table, size_t n,
				     const char *name)
{
	const struct conf_key *first = NULL;
	size_t len = strlen(name);

	for (size_t i = 0; i < n; i++) {
		const char *pat = table[i].text, *p = strstr(pat, "NAME");
		size_t plen, slen;

		if (!p) {
			if (!strcmp(pat, name))
				return &table[i];
			continue;
		}
		plen = (size_t)(p - pat);
		slen = strlen(p + 4);
		if (strncmp(name, pat, plen))
			continue;
		if (len >= plen + slen && !strcmp(name + len - slen, p + 4))
			return &table[i];
		if (!first)
			first = &table[i];    /* its setter names what is wrong */
	}
	return first;
}

/* Claim @k's slot in @slots, refuse an empty value, call the setter. */
static int apply(struct conf_arg *a, int *slots)
{
	int r;

	if (a->k->slot != CONF_NO_SLOT) {
		r = conf_claim(a->ctx, &slots[a->k->slot], a->line, a->key);
		if (r <= 0)
			return r;
		if (!*a->v && !(a->k->flags & KF_LIST))
			return conf_diag(a->ctx, a->line, "%s: empty value", a->key);
	}
	return a->k->set(a);
}

int conf_svc_key(struct conf_ctx *ctx, struct svc_conf *svc, int line,
		 const char *key, const char *sub, const char *value)
{
	struct conf_arg a = {
		.ctx = ctx, .obj = svc, .key = key, .name = sub, .v = value,
		.line = line,
		.k = conf_key_find(conf_svc_keys, conf_nsvc_keys, sub),
	};
	char q[CONF_QBUF];

	if (!a.k) {
		conf_quote(q, sizeof(q), key);
		return conf_diag(ctx, line, "unknown key %s", q);
	}
	return apply(&a, svc->key_line) < 0 ? -EINVAL : 0;
}

int conf_svc_key_index(const char *sub)
{
	const struct conf_key *k = conf_key_find(conf_svc_keys, conf_nsvc_keys, sub);

	return k && k->slot != CONF_NO_SLOT ? k->slot : -1;
}

int conf_set_global(struct conf_ctx *ctx, int line, const char *key,
		    const char *value)
{
	struct conf_arg a = {
		.ctx = ctx, .obj = ctx->cfg, .key = key, .name = key, .v = value,
		.line = line,
		.k = conf_key_find(conf_global_keys, conf_nglobal_keys, key),
	};

	if (!a.k)
		return -ENOENT;
	return apply(&a, ctx->cfg->global_line);
}
