// SPDX-License-Identifier: MIT
/*
 * parse: value parsers of the configuration language (sizes, durations,
 * CPU fractions, shell-like command splitting, signals, capabilities,
 * addresses). Pure functions: no allocation except split_command().
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <strings.h>

#include "config.h"
#include "config_priv.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Read the decimal digits at @s into @out. Sets *end past them and
 * *overflow when the value does not fit. Returns false when no digit.
 */
static bool read_digits(const char *s, uint64_t *out, const char **end,
			bool *overflow)
{
	uint64_t v = 0;
	const char *p = s;

	*overflow = false;
	while (is_digit(*p)) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			*overflow = true;
		else
			v = v * 10 + d;
		p++;
	}
	*out = v;
	*end = p;
	return p != s;
}

int parse_size(const char *s, uint64_t *out)
{
	const char *p;
	uint64_t v;
	bool ovf;
	unsigned shift = 0;

	if (!s)
		return -EINVAL;
	if (!strcmp(s, "max") || !strcmp(s, "unlimited")) {
		*out = UINT64_MAX;
		return 0;
	}
	if (!read_digits(s, &v, &p, &ovf))
		return -EINVAL;
	switch (*p) {
	case '\0':
		break;
	case 'K': case 'k':
		shift = 10;
		p++;
		break;
	case 'M': case 'm':
		shift = 20;
		p++;
		break;
	case 'G': case 'g':
		shift = 30;
		p++;
		break;
	default:
		return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	if (ovf || (shift && v > (UINT64_MAX >> shift)))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

int parse_duration_ms(const char *s, uint32_t *out_ms)
{
	const uint64_t max_ms = 24ull * 3600 * 1000;
	const char *p;
	uint64_t v, mult;
	bool ovf;

	if (!s || !read_digits(s, &v, &p, &ovf))
		return -EINVAL;
	if (!strcmp(p, "ms"))
		mult = 1;
	else if (!strcmp(p, "s") || !*p)
		mult = 1000;
	else if (!strcmp(p, "m"))
		mult = 60000;
	else if (!strcmp(p, "h"))
		mult = 3600000;
	else
		return -EINVAL;
	if (ovf || v > max_ms / mult)
		return -ERANGE;
	*out_ms = (uint32_t)(v * mult);
	return 0;
}

int parse_cpu(const char *s, uint32_t *out_quota_us)
{
	const char *p;
	uint64_t whole, frac = 0, q;
	bool ovf;
	int ndec = 0;

	if (!s || !read_digits(s, &whole, &p, &ovf))
		return -EINVAL;
	if (*p == '.') {
		p++;
		if (!is_digit(*p))
			return -EINVAL;
		while (is_digit(*p)) {
			if (++ndec > 3)
				return -EINVAL;
			frac = frac * 10 + (uint64_t)(*p - '0');
			p++;
		}
	}
	if (*p)
		return -EINVAL;
	while (ndec++ < 3)
		frac *= 10;
	if (ovf || whole > 1024)
		return -ERANGE;
	/* thousandths of a CPU -> µs per CONF_CPU_PERIOD_US */
	q = (whole * 1000 + frac) * (CONF_CPU_PERIOD_US / 1000);
	if (q < CONF_CPU_PERIOD_US / 100 || q > 1024ull * CONF_CPU_PERIOD_US)
		return -ERANGE;
	*out_quota_us = (uint32_t)q;
	return 0;
}

/*
 * One pass of split_command: count (argv == NULL) or fill. Returns the
 * number of words, or -1 on an unterminated quote. *bytes gets the size
 * of the string area (each word plus its NUL).
 */
static long split_pass(const char *p, char **argv, char *out, size_t *bytes)
{
	size_t o = 0;
	long n = 0;

#define EMIT(c) do { char c_ = (c); if (out) out[o] = c_; o++; } while (0)
	for (;;) {
		while (is_blank(*p))
			p++;
		if (!*p)
			break;
		if (argv)
			argv[n] = out + o;
		while (*p && !is_blank(*p)) {
			if (*p == '\'') {
				p++;
				while (*p && *p != '\'')
					EMIT(*p++);
				if (!*p)
					return -1;
				p++;
			} else if (*p == '"') {
				p++;
				while (*p && *p != '"') {
					if (*p == '\\' && p[1] == '\n') {
						p += 2;
						continue;
					}
					if (*p == '\\' && p[1] &&
					    strchr("\"\\$`", p[1]))
						p++;
					EMIT(*p++);
				}
				if (!*p)
					return -1;
				p++;
			} else if (*p == '\\') {
				p++;
				if (!*p) {
					EMIT('\\');   /* trailing: literal */
				} else if (*p == '\n') {
					p++;          /* line continuation */
				} else {
					EMIT(*p++);
				}
			} else {
				EMIT(*p++);
			}
		}
		EMIT('\0');
		n++;
	}
#undef EMIT
	*bytes = o;
	return n;
}

char **split_command(const char *cmd)
{
	size_t bytes, ptrs;
	long n;
	char **argv;

	if (!cmd) {
		errno = EINVAL;
		return NULL;
	}
	n = split_pass(cmd, NULL, NULL, &bytes);
	if (n <= 0) {
		errno = EINVAL;
		return NULL;
	}
	ptrs = ((size_t)n + 1) * sizeof(char *);
	argv = malloc(ptrs + bytes);
	if (!argv) {
		errno = ENOMEM;
		return NULL;
	}
	split_pass(cmd, argv, (char *)argv + ptrs, &bytes);
	argv[n] = NULL;
	return argv;
}

/* Names without "SIG", in place (no pointer per name: the table stays small). */
static const struct {
	char name[7];
	uint8_t num;
} signals[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
	{ "ILL", SIGILL }, { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },
	{ "IOT", SIGABRT }, { "BUS", SIGBUS }, { "FPE", SIGFPE },
	{ "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },
	{ "TERM", SIGTERM }, { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },
	{ "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "TSTP", SIGTSTP },
	{ "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG },
	{ "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM },
	{ "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO },
	{ "POLL", SIGIO }, { "PWR", SIGPWR }, { "SYS", SIGSYS },
};

int parse_signal(const char *s)
{
	uint32_t n;
	size_t i;

	if (!s || !*s)
		return -EINVAL;
	if (is_digit(*s))
		return parse_u32(s, 1, _NSIG - 1, &n) ? -EINVAL : (int)n;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (!strcasecmp(s, signals[i].name))
			return signals[i].num;
	return -EINVAL;
}

/*
 * The capability names in the order of their numbers (linux/capability.h,
 * up to CAP_LAST_CAP 40), one NUL-separated string: the n-th name is
 * capability n.
 */
static const char caps[] =
	"chown\0dac_override\0dac_read_search\0fowner\0fsetid\0"
	"kill\0setgid\0setuid\0setpcap\0linux_immutable\0"
	"net_bind_service\0net_broadcast\0net_admin\0net_raw\0"
	"ipc_lock\0ipc_owner\0sys_module\0sys_rawio\0sys_chroot\0"
	"sys_ptrace\0sys_pacct\0sys_admin\0sys_boot\0sys_nice\0"
	"sys_resource\0sys_time\0sys_tty_config\0mknod\0lease\0"
	"audit_write\0audit_control\0setfcap\0mac_override\0"
	"mac_admin\0syslog\0wake_alarm\0block_suspend\0audit_read\0"
	"perfmon\0bpf\0checkpoint_restore\0";

int parse_cap(const char *s)
{
	const char *c;
	int n = 0;

	if (!s)
		return -EINVAL;
	if (!strncasecmp(s, "CAP_", 4))
		s += 4;
	for (c = caps; *c; c += strlen(c) + 1, n++)
		if (!strcasecmp(s, c))
			return n;
	return -EINVAL;
}

/* parse_u32 - decimal @s within [@min, @max]. */
int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	const char *p;
	uint64_t v;
	bool ovf;

	if (!s || !read_digits(s, &v, &p, &ovf) || *p)
		return -EINVAL;
	if (ovf || v < min || v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

/* parse_bool - yes/no, true/false, on/off, 1/0. */
int parse_bool(const char *s, bool *out)
{
	static const char *const t[] = { "yes", "true", "on", "1" };
	static const char *const f[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; s && i < 4; i++) {
		if (!strcmp(s, t[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(s, f[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* Parse "A.B.C.D" at @s (strict: no leading zeros); set *end after it. */
static int ipv4_prefix(const char *s, struct in_addr *out, const char **end)
{
	uint32_t a = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned v = 0;
		int nd = 0;

		if (i && *s++ != '.')
			return -EINVAL;
		while (is_digit(*s) && nd < 4) {
			v = v * 10 + (unsigned)(*s++ - '0');
			nd++;
		}
		if (nd == 0 || nd > 3 || v > 255 || (nd > 1 && s[-nd] == '0'))
			return -EINVAL;
		a = (a << 8) | v;
	}
	out->s_addr = htonl(a);
	*end = s;
	return 0;
}

/* parse_ipv4 - strict dotted quad. */
int parse_ipv4(const char *s, struct in_addr *out)
{
	const char *end;

	if (!s || ipv4_prefix(s, out, &end) || *end)
		return -EINVAL;
	return 0;
}

/* parse_cidr - "A.B.C.D/N" with N in [@min_prefix, @max_prefix]. */
int parse_cidr(const char *s, int min_prefix, int max_prefix,
	       struct in_addr *addr, uint8_t *prefix)
{
	const char *end;
	uint32_t n;
	int r;

	if (!s || ipv4_prefix(s, addr, &end) || *end != '/')
		return -EINVAL;
	r = parse_u32(end + 1, (uint32_t)min_prefix, (uint32_t)max_prefix, &n);
	if (r)
		return r;
	*prefix = (uint8_t)n;
	return 0;
}

/* parse_ipv6 - an IPv6 address as inet_pton(3) reads it (no brackets, no %zone). */
int parse_ipv6(const char *s, struct in6_addr *out)
{
	if (!s || strlen(s) >= INET6_ADDRSTRLEN || inet_pton(AF_INET6, s, out) != 1)
		return -EINVAL;
	return 0;
}

/* parse_cidr6 - "ADDR/N" (IPv6) with N in [@min_prefix, @max_prefix]. */
int parse_cidr6(const char *s, int min_prefix, int max_prefix,
		struct in6_addr *addr, uint8_t *prefix)
{
	char a[INET6_ADDRSTRLEN];
	const char *slash = s ? strchr(s, '/') : NULL;
	uint32_t n;
	int r;

	if (!slash || (size_t)(slash - s) >= sizeof(a))
		return -EINVAL;
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = '\0';
	if (parse_ipv6(a, addr))
		return -EINVAL;
	r = parse_u32(slash + 1, (uint32_t)min_prefix, (uint32_t)max_prefix, &n);
	if (r)
		return r;
	*prefix = (uint8_t)n;
	return 0;
}

/* conf_valid_svc_name - 1..CONF_NAME_MAX of [a-z0-9_-] (@len bytes). */
bool conf_valid_svc_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > CONF_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

/* conf_valid_ifname - 1..15 of [A-Za-z0-9_.-], not "." or "..". */
bool conf_valid_ifname(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > 15 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      is_digit(c) || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* conf_valid_env_name - [A-Za-z_][A-Za-z0-9_]*, at most 255 bytes. */
bool conf_valid_env_name(const char *s)
{
	size_t i;

	if (is_digit(*s))
		return false;
	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (i >= 255 || !((c >= 'a' && c <= 'z') ||
				  (c >= 'A' && c <= 'Z') || is_digit(c) ||
				  c == '_'))
			return false;
	}
	return i > 0;
}

/*
 * conf_valid_abs_path - starts with '/', no control bytes, at most 4095
 * bytes; with !@allow_dotdot no ".." component.
 */
bool conf_valid_abs_path(const char *s, bool allow_dotdot)
{
	size_t i;

	if (s[0] != '/')
		return false;
	for (i = 0; s[i]; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || i >= 4095)
			return false;
		if (!allow_dotdot && s[i] == '/' && s[i + 1] == '.' &&
		    s[i + 2] == '.' && (s[i + 3] == '/' || !s[i + 3]))
			return false;
	}
	return true;
}

/* conf_valid_hostname - 1..64 of [A-Za-z0-9.-]. */
bool conf_valid_hostname(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (i >= 64 || !((c >= 'a' && c <= 'z') ||
				 (c >= 'A' && c <= 'Z') || is_digit(c) ||
				 c == '.' || c == '-'))
			return false;
	}
	return i > 0;
}
