/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for modules/host/kmod.c: load order from a fake /lib/modules tree
 * (built in a temp dir), softdeps, aliases, built-ins, failures, hostile
 * files, compressed modules, /usr/lib/modules, modprobe.d options and
 * blacklist, `modules =` parameters, the plan (boxinit --modules), and the
 * real Debian metadata when the image builder made it.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "kmod.h"
#include "kmod_bg.h"
#include "log.h"
#include "timeline.h"

static char base[256];          /* the fake system root (modprobe.d) */
static char root[512];          /* the fake /lib/modules/<release> in it */
static char calls[4096];        /* " llc/0/ bridge/4/debug=1": name/flags/params */
static bool reject_compressed;  /* kmod_finit: a kernel without MODULE_DECOMPRESS */
static int rd = -1;             /* read end of the log pipe */
static char order[4096];        /* " llc stp bridge": finit calls in order */
static const char *fail_name;   /* kmod_finit fails this module... */
static int fail_errno;          /* ...with this errno */
static const char *fail_name2;
static int fail_errno2;
static const char *loaded_list; /* " a b ": what /proc/modules would say */
static int finit_calls;
static char logbuf[65536];

/* ---- fakes -------------------------------------------------------------- */

/* Record the module's file name (without ".ko") that @fd refers to. */
static int fake_finit(int fd, const char *params, int flags)
{
	char link[64], path[PATH_MAX], *file, *dot;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	assert_true(n > 0);
	path[n] = '\0';
	file = strrchr(path, '/') + 1;
	dot = strstr(file, ".ko");
	assert_non_null(dot);
	*dot = '\0';
	finit_calls++;
	strncat(order, " ", sizeof(order) - strlen(order) - 1);
	strncat(order, file, sizeof(order) - strlen(order) - 1);
	snprintf(calls + strlen(calls), sizeof(calls) - strlen(calls), " %s/%d/%s", file, flags, params);
	if (reject_compressed && flags)
		return -EINVAL;
	if (fail_name && !strcmp(file, fail_name))
		return -fail_errno;
	if (fail_name2 && !strcmp(file, fail_name2))
		return -fail_errno2;
	return 0;
}

static int fake_loaded(const char *name)
{
	char pat[80];

	if (!loaded_list)
		return 0;
	snprintf(pat, sizeof(pat), " %s ", name);
	return strstr(loaded_list, pat) != NULL;
}

/* ---- fixture helpers ------------------------------------------------------ */

static void put_len(const char *rel, const char *data, size_t len)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (char *p = path + strlen(base) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void put(const char *rel, const char *text)
{
	put_len(rel, text, strlen(text));
}

/* A file under the fake system root (@rel: "etc/modprobe.d/a.conf"). */
static void put_sys(const char *rel, const char *text)
{
	char r[PATH_MAX];

	snprintf(r, sizeof(r), "%s/%s", base, rel);
	for (char *p = r + strlen(base) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(r, 0755);
		*p = '/';
	}
	{
		FILE *f = fopen(r, "w");

		assert_non_null(f);
		fputs(text, f);
		fclose(f);
	}
}

static void rm_sys(const char *rel)
{
	char r[PATH_MAX + 16];

	snprintf(r, sizeof(r), "rm -rf '%s/%s'", base, rel);
	assert_int_equal(system(r), 0);
}

#define NFDEPS "kernel/net/netfilter/nf_nat.ko kernel/net/netfilter/nf_tables.ko " \
	"kernel/net/netfilter/nfnetlink.ko kernel/net/netfilter/nf_conntrack.ko " \
	"kernel/lib/libcrc32c.ko kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko " \
	"kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko"

static const char fake_dep[] =
	"kernel/drivers/net/veth.ko:\n"
	"kernel/net/llc/llc.ko:\n"
	"kernel/net/802/stp.ko: kernel/net/llc/llc.ko\n"
	"kernel/net/bridge/bridge.ko: kernel/net/802/stp.ko kernel/net/llc/llc.ko\n"
	"kernel/crypto/crc32c_generic.ko:\n"
	"kernel/arch/x86/crypto/crc32c-intel.ko:\n"
	"kernel/lib/libcrc32c.ko:\n"
	"kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko:\n"
	"kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko:\n"
	"kernel/net/netfilter/nf_conntrack.ko: kernel/lib/libcrc32c.ko "
	"kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko\n"
	"kernel/net/netfilter/nfnetlink.ko:\n"
	"kernel/net/netfilter/nf_nat.ko: kernel/net/netfilter/nf_conntrack.ko kernel/lib/libcrc32c.ko "
	"kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko\n"
	"kernel/net/netfilter/nf_tables.ko: kernel/net/netfilter/nfnetlink.ko kernel/lib/libcrc32c.ko\n"
	"kernel/net/netfilter/nft_masq.ko: " NFDEPS "\n"
	"kernel/net/netfilter/nft_chain_nat.ko: " NFDEPS "\n"
	"kernel/net/netfilter/nft_ghost.ko: kernel/net/netfilter/nf_missing.ko kernel/net/netfilter/nfnetlink.ko\n"
	"kernel/net/sched/sch_gone.ko:\n"
	"kernel/net/sched/sch_user.ko: kernel/net/sched/sch_gone.ko\n"
	"kernel/misc/softy.ko:\n"
	"kernel/misc/soft_pre.ko:\n"
	"kernel/misc/soft_post.ko:\n"
	"kernel/cyc/cyc_a.ko: kernel/cyc/cyc_b.ko\n"
	"kernel/cyc/cyc_b.ko: kernel/cyc/cyc_a.ko\n"
	"kernel/cyc/cyc_self.ko: kernel/cyc/cyc_self.ko\n"
	"kernel/cyc/cyc_top.ko: kernel/cyc/cyc_a.ko\n"
	"kernel/z/zx.ko.xz: kernel/z/zz.ko.zst kernel/z/zg.ko.gz\n"
	"kernel/z/zz.ko.zst: kernel/z/zg.ko.gz\n"
	"kernel/z/zg.ko.gz:\n"
	"kernel/z/z_plain.ko: kernel/z/zg.ko.gz\n";

/* Every module of fake_dep except nf_missing (not listed) and sch_gone. */
static const char *const fake_kos[] = {
	"kernel/drivers/net/veth.ko", "kernel/net/llc/llc.ko", "kernel/net/802/stp.ko",
	"kernel/net/bridge/bridge.ko", "kernel/crypto/crc32c_generic.ko",
	"kernel/arch/x86/crypto/crc32c-intel.ko", "kernel/lib/libcrc32c.ko",
	"kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko",
	"kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko",
	"kernel/net/netfilter/nf_conntrack.ko", "kernel/net/netfilter/nfnetlink.ko",
	"kernel/net/netfilter/nf_nat.ko", "kernel/net/netfilter/nf_tables.ko",
	"kernel/net/netfilter/nft_masq.ko", "kernel/net/netfilter/nft_chain_nat.ko",
	"kernel/net/netfilter/nft_ghost.ko", "kernel/net/sched/sch_user.ko",
	"kernel/misc/softy.ko", "kernel/misc/soft_pre.ko", "kernel/misc/soft_post.ko",
	"kernel/cyc/cyc_a.ko", "kernel/cyc/cyc_b.ko", "kernel/cyc/cyc_self.ko",
	"kernel/cyc/cyc_top.ko", "kernel/z/zx.ko.xz", "kernel/z/zz.ko.zst",
	"kernel/z/zg.ko.gz", "kernel/z/z_plain.ko",
};

static const char modinfo[] =
	"sha256_generic.license=GPL\0sha256_generic.alias=sha256\0"
	"sha256_generic.alias=crypto-sha256\0";

static void make_tree(void)
{
	put("modules.dep", fake_dep);
	put("modules.softdep",
	    "# Soft dependencies extracted from modules themselves.\n"
	    "softdep libcrc32c pre: crc32c\n"
	    "softdep softy pre: soft_pre missing_soft post: soft-post\n");
	put("modules.alias",
	    "# Aliases extracted from modules themselves.\n"
	    "alias crc32c crc32c_generic\n"
	    "alias rtnl-link-bridge bridge\n"
	    "alias ghost-alias nonexistent_mod\n"
	    "alias selfish selfish\n");
	put("modules.builtin", "kernel/fs/ext4/ext4.ko\nkernel/crypto/sha256_generic.ko\n");
	put_len("modules.builtin.modinfo", modinfo, sizeof(modinfo) - 1);
	for (size_t i = 0; i < sizeof(fake_kos) / sizeof(fake_kos[0]); i++)
		put(fake_kos[i], "\177ELF fake module");
}

static void rm_tree(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	int p[2];

	snprintf(base, sizeof(base), "/tmp/kmodtest.XXXXXX");
	if (!mkdtemp(base) || pipe(p) < 0)
		return -1;
	snprintf(root, sizeof(root), "%s/lib/modules/6.1.0-test", base);
	rd = p[0];
	fcntl(rd, F_SETFL, O_NONBLOCK);
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	log_open(p[1]);
	log_set_level(LOG_LV_INFO);
	kmod_finit = fake_finit;
	kmod_loaded = fake_loaded;
	make_tree();
	return 0;
}

static int teardown(void **state)
{
	rm_tree(base);
	close(rd);
	return 0;
}

/* Run kmod_load_list on a space-separated list; collect order and log. */
static int run_in(const char *dir, const char *list)
{
	char copy[1024], *names[64];
	int n = 0, r;
	size_t len = 0;
	ssize_t got;

	order[0] = '\0';
	calls[0] = '\0';
	finit_calls = 0;
	snprintf(copy, sizeof(copy), "%s", list);
	for (char *tok = strtok(copy, " "); tok && n < 63; tok = strtok(NULL, " "))
		names[n++] = tok;
	names[n] = NULL;
	r = kmod_load_list(dir, names);
	log_flush();
	while ((got = read(rd, logbuf + len, sizeof(logbuf) - 1 - len)) > 0)
		len += (size_t)got;
	logbuf[len] = '\0';
	return r;
}

static int run(const char *list)
{
	return run_in(root, list);
}

static void reset_fakes(void)
{
	fail_name = fail_name2 = NULL;
	loaded_list = NULL;
	reject_compressed = false;
}

static void assert_log_has(const char *fmt, ...)
{
	char want[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	if (!strstr(logbuf, want))
		fail_msg("log lacks \"%s\"; log was:\n%s", want, logbuf);
}

static int count_lines(const char *needle)
{
	int n = 0;

	for (const char *p = logbuf; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* ---- load order ----------------------------------------------------------- */

static void test_bridge_order(void **state)
{
	reset_fakes();
	assert_int_equal(run("bridge"), 0);
	assert_string_equal(order, " llc stp bridge");
	assert_string_equal(logbuf, "boxinit: modules: loaded 3 (llc stp bridge)\n");
}

static void test_nft_masq_softdep_alias_order(void **state)
{
	reset_fakes();
	assert_int_equal(run("nft_masq"), 0);
	assert_string_equal(order, " nf_defrag_ipv4 nf_defrag_ipv6 crc32c_generic libcrc32c"
			    " nf_conntrack nfnetlink nf_tables nf_nat nft_masq");
}

static void test_each_module_once(void **state)
{
	reset_fakes();
	assert_int_equal(run("veth bridge stp nft_masq nft_chain_nat llc nf-nat veth"), 0);
	assert_string_equal(order, " veth llc stp bridge nf_defrag_ipv4 nf_defrag_ipv6"
			    " crc32c_generic libcrc32c nf_conntrack nfnetlink nf_tables"
			    " nf_nat nft_masq nft_chain_nat");
	assert_log_has("boxinit: modules: loaded 14 (veth llc stp bridge nf_defrag_ipv4");
	assert_int_equal(count_lines("boxinit:"), 1);
}

static void test_repeated_calls_share_nothing(void **state)
{
	reset_fakes();
	for (int i = 0; i < 3; i++) {
		assert_int_equal(run("bridge"), 0);
		assert_string_equal(order, " llc stp bridge");
	}
}

static void test_dash_underscore_and_alias_names(void **state)
{
	reset_fakes();
	assert_int_equal(run("crc32c_intel nft-masq"), 0);
	assert_string_equal(order, " crc32c-intel nf_defrag_ipv4 nf_defrag_ipv6 crc32c_generic"
			    " libcrc32c nf_conntrack nfnetlink nf_tables nf_nat nft_masq");
	assert_int_equal(run("rtnl-link-bridge"), 0);
	assert_string_equal(order, " llc stp bridge");
	assert_int_equal(run("crc32c"), 0);
	assert_string_equal(order, " crc32c_generic");
}

static void test_softdep_pre_and_post(void **state)
{
	reset_fakes();
	assert_int_equal(run("softy"), 0);
	assert_string_equal(order, " soft_pre softy soft_post");
	assert_null(strstr(logbuf, "missing_soft"));    /* optional: silent */
	/* asked for directly, the same module is an error */
	assert_int_equal(run("softy missing-soft"), 1);
	assert_log_has("boxinit: modules: missing_soft: not found in %s (modules.dep)\n", root);
}

/* ---- already there -------------------------------------------------------- */

static void test_eexist_is_success(void **state)
{
	reset_fakes();
	fail_name = "llc";
	fail_errno = EEXIST;
	assert_int_equal(run("bridge"), 0);
	assert_string_equal(order, " llc stp bridge");
	assert_string_equal(logbuf, "boxinit: modules: loaded 2 (stp bridge)\n");
}

static void test_builtin_is_success(void **state)
{
	reset_fakes();
	assert_int_equal(run("ext4 sha256 crypto-sha256 sha256_generic"), 0);
	assert_int_equal(finit_calls, 0);
	assert_string_equal(logbuf, "");        /* debug only */
}

static void test_already_loaded_is_skipped(void **state)
{
	reset_fakes();
	loaded_list = " llc stp veth ";
	assert_int_equal(run("veth bridge"), 0);
	assert_string_equal(order, " bridge");
	loaded_list = " bridge ";
	assert_int_equal(run("veth bridge"), 0);
	assert_string_equal(order, " veth");    /* bridge's deps not touched */
}

/* ---- failures ------------------------------------------------------------- */

static void test_missing_module_and_dependents(void **state)
{
	reset_fakes();
	assert_int_equal(run("nft_ghost veth"), 2);
	/* nfnetlink comes first in reverse .dep order, before nf_missing */
	assert_string_equal(order, " nfnetlink veth");
	assert_log_has("boxinit: modules: nf_missing: not found in %s (modules.dep)\n", root);
	assert_log_has("boxinit: modules: nft_ghost: needs nf_missing, which failed to load: "
		       "not loading it\n");
	assert_log_has("boxinit: modules: loaded 2 (nfnetlink veth)\n");
	assert_int_equal(count_lines("boxinit:"), 3);
}

static void test_unknown_names(void **state)
{
	reset_fakes();
	assert_int_equal(run("no_such_thing ghost-alias selfish"), 3);
	assert_int_equal(finit_calls, 0);
	assert_log_has("boxinit: modules: no_such_thing: not found in %s (modules.dep)\n", root);
	assert_log_has("boxinit: modules: nonexistent_mod: not found in %s", root);
	assert_log_has("boxinit: modules: selfish: not found in %s", root);
	assert_int_equal(run("a/b"), 1);
	assert_log_has("invalid module name");
	assert_int_equal(run("0123456789012345678901234567890123456789012345678901234567890123"), 1);
}

static void test_failing_dependency_stops_dependents(void **state)
{
	reset_fakes();
	fail_name = "nf_conntrack";
	fail_errno = ENOENT;
	assert_int_equal(run("nft_masq veth nf_nat"), 3);
	assert_string_equal(order, " nf_defrag_ipv4 nf_defrag_ipv6 crc32c_generic libcrc32c"
			    " nf_conntrack veth");
	assert_log_has("boxinit: modules: nf_conntrack: finit_module: Unknown symbol in module"
		       " (ENOENT; see dmesg)\n");
	assert_log_has("boxinit: modules: nft_masq: needs nf_conntrack, which failed to load: "
		       "not loading it\n");
	assert_log_has("boxinit: modules: nf_nat: needs nf_conntrack, which failed to load: "
		       "not loading it\n");
	assert_int_equal(count_lines("nf_conntrack: finit_module"), 1);
}

static void test_errno_text(void **state)
{
	reset_fakes();
	fail_name = "veth";
	fail_errno = ENOEXEC;
	fail_name2 = "llc";
	fail_errno2 = ENOMEM;
	assert_int_equal(run("veth bridge"), 3);
	assert_log_has("modules: veth: finit_module: Invalid module format (ENOEXEC)\n");
	assert_log_has("modules: llc: finit_module: %s\n", strerror(ENOMEM));
	assert_log_has("modules: bridge: needs llc, which failed to load");
}

static void test_listed_but_file_missing(void **state)
{
	reset_fakes();
	assert_int_equal(run("sch_user"), 2);
	assert_int_equal(finit_calls, 0);
	assert_log_has("modules: sch_gone: open %s/kernel/net/sched/sch_gone.ko: %s\n",
		       root, strerror(ENOENT));
	assert_log_has("modules: sch_user: needs sch_gone, which failed to load");
}

static void test_softdep_failure_is_not_fatal(void **state)
{
	reset_fakes();
	fail_name = "crc32c_generic";
	fail_errno = ENOEXEC;
	assert_int_equal(run("libcrc32c"), 1);  /* the softdep's own error */
	assert_string_equal(order, " crc32c_generic libcrc32c");
	assert_log_has("modules: crc32c_generic: finit_module: Invalid module format (ENOEXEC)\n");
	/* ENODEV: not for this machine (crc32c_intel without SSE4.2): optional */
	fail_errno = ENODEV;
	assert_int_equal(run("libcrc32c"), 0);
	assert_string_equal(order, " crc32c_generic libcrc32c");
	assert_log_has("boxinit: modules: crc32c_generic: not for this machine (ENODEV), skipped:"
		       " it is optional (alias crc32c, soft dependency (pre) of libcrc32c)\n");
	/* named in the list, ENODEV is an error */
	assert_int_equal(run("crc32c_generic"), 1);
	assert_log_has("modules: crc32c_generic: finit_module: No such device (ENODEV)\n");
}

static void test_cycles_terminate(void **state)
{
	reset_fakes();
	assert_int_equal(run("cyc_top veth cyc_a cyc_b"), 3);
	assert_string_equal(order, " veth");
	assert_log_has("dependency cycle");
	assert_int_equal(run("cyc_self"), 1);
	assert_int_equal(finit_calls, 0);
	assert_log_has("modules: cyc_self: dependency cycle through cyc_self in modules.dep");
}

static void test_softdep_cycle_terminates(void **state)
{
	reset_fakes();
	put("modules.softdep", "softdep veth pre: llc\nsoftdep llc pre: veth post: veth\n");
	assert_int_equal(run("veth"), 0);
	assert_string_equal(order, " llc veth");
	make_tree();
}

static void test_deep_chain_is_bounded(void **state)
{
	size_t cap = 400 * 64, len = 0;
	char *dep = malloc(cap);

	reset_fakes();
	assert_non_null(dep);
	for (int i = 0; i < 400; i++)
		len += (size_t)snprintf(dep + len, cap - len, "kernel/m%d.ko: kernel/m%d.ko\n",
					i, i + 1);
	put("modules.dep", dep);
	free(dep);
	assert_true(run("m0") > 0);
	assert_int_equal(finit_calls, 0);
	assert_log_has("dependencies nested deeper than %d", KMOD_DEPTH_MAX);
	make_tree();
}

/* ---- hostile and absent files -------------------------------------------- */

static void test_big_dep_limits(void **state)
{
	size_t cap = (size_t)KMOD_DEP_MAX + 100, len = 0;
	char *dep = malloc(cap);

	reset_fakes();
	assert_non_null(dep);
	for (unsigned i = 0; i < KMOD_DEP_LINES + 10; i++)
		len += (size_t)snprintf(dep + len, cap - len, "kernel/llc/m%u.ko:\n", i);
	put_len("modules.dep", dep, len);
	put("kernel/llc/m5.ko", "fake");
	/* entries past the limit are ignored, with one warning */
	assert_int_equal(run("m5 m65540"), 1);
	assert_log_has("modules: %s/modules.dep: more than %u entries", root, KMOD_DEP_LINES);
	assert_log_has("modules: m65540: not found");
	assert_string_equal(order, " m5");

	/* a long summary line is cut with "..." but counts every module */
	{
		char list[1024] = "", ko[64];

		for (int i = 10000; i < 10060; i++) {
			snprintf(ko, sizeof(ko), "kernel/llc/m%d.ko", i);
			put(ko, "fake");
			snprintf(ko, sizeof(ko), " m%d", i);
			strcat(list, ko);
		}
		assert_int_equal(run(list), 0);
		assert_int_equal(finit_calls, 60);
		assert_log_has("boxinit: modules: loaded 60 (m10000 m10001 ");
		assert_log_has(" ...)\n");
		assert_true(strlen(strstr(logbuf, "boxinit: modules: loaded")) < 450);
	}

	memset(dep, '\n', cap);
	put_len("modules.dep", dep, cap);
	assert_int_equal(run("veth"), 1);
	assert_log_has("modules: %s/modules.dep: larger than %u bytes", root, KMOD_DEP_MAX);
	free(dep);
	make_tree();
}

static void test_garbage_files(void **state)
{
	size_t big = 300000;
	char *junk = malloc(big);

	reset_fakes();
	assert_non_null(junk);
	/* a 300 KB line, binary junk with NULs, lines without colons, blanks */
	memset(junk, 'x', big);
	junk[1000] = ':';
	junk[big - 1] = '\n';
	for (size_t i = 2000; i < 2600; i++)
		junk[i] = (char)(i * 7);
	put_len("modules.dep", junk, big);
	{
		char path[PATH_MAX];
		FILE *f;

		snprintf(path, sizeof(path), "%s/modules.dep", root);
		f = fopen(path, "a");
		assert_non_null(f);
		fputs("no colon here\n\n:\n: : :\n::::\n   \t\nkernel/.ko:\n"
		      "kernel/net/llc/llc.ko:\n"
		      "kernel/net/802/stp.ko: kernel/net/llc/llc.ko      \t\n"
		      "kernel/net/bridge/bridge.ko:kernel/net/802/stp.ko  kernel/net/llc/llc.ko", f);
		fclose(f);
	}
	put_len("modules.softdep", junk, big);
	put_len("modules.alias", junk, big);
	put_len("modules.builtin", junk, big);
	put_len("modules.builtin.modinfo", junk, big);
	assert_int_equal(run("bridge"), 0);
	assert_string_equal(order, " llc stp bridge");
	assert_int_equal(run("xxxx"), 1);

	/* the same junk without any newline at all, and NUL bytes */
	memset(junk, 0, 5000);
	put_len("modules.dep", junk, big - 1);
	put_len("modules.alias", junk, big - 1);
	assert_int_equal(run("bridge"), 1);

	put("modules.dep", "");
	put("modules.alias", "alias\nalias x\nalias  \n");
	put("modules.softdep", "softdep\nsoftdep veth\nsoftdep veth pre:\npre: post:\n");
	put("modules.builtin", "\n\n/\n.ko\n");
	assert_int_equal(run("veth x"), 2);
	assert_log_has("modules: veth: not found in %s (modules.dep)", root);
	free(junk);
	make_tree();
}

static void test_missing_files_and_root(void **state)
{
	char path[PATH_MAX];

	reset_fakes();
	snprintf(path, sizeof(path), "%s/modules.dep", root);
	unlink(path);
	assert_int_equal(run("veth ext4"), 1);  /* ext4 is still known as built in */
	assert_log_has("modules: %s/modules.dep: %s (run depmod)\n", root, strerror(ENOENT));

	assert_int_equal(run_in("/nonexistent/lib/modules/9.9", "veth bridge"), 2);
	assert_log_has("modules: /nonexistent/lib/modules/9.9: %s\n", strerror(ENOENT));
	assert_log_has("modules: bridge: not found in /nonexistent/lib/modules/9.9 (modules.dep)");

	loaded_list = " veth ";
	assert_int_equal(run_in("/nonexistent", "veth"), 0);
	make_tree();
}

static void test_empty_lists(void **state)
{
	char *none[] = { NULL };

	reset_fakes();
	assert_int_equal(kmod_load_list(root, NULL), 0);
	assert_int_equal(kmod_load_list(root, none), 0);
	assert_int_equal(kmod_load_list(NULL, none), 0);
}


/* ---- Debian 13: compressed modules, /usr/lib/modules ------------------------ */

static void test_compressed_modules(void **state)
{
	reset_fakes();
	/* names end at the first '.'; the kernel decompresses (flag 4) */
	assert_int_equal(run("zx z-plain"), 0);
	assert_string_equal(order, " zg zz zx z_plain");
	assert_string_equal(calls, " zg/4/ zz/4/ zx/4/ z_plain/0/");
	assert_string_equal(logbuf, "boxinit: modules: loaded 4 (zg zz zx z_plain)\n");
}

static void test_compressed_on_a_kernel_that_cannot(void **state)
{
	reset_fakes();
	reject_compressed = true;       /* < 5.17, or no CONFIG_MODULE_DECOMPRESS */
	assert_int_equal(run("zx"), 2);
	assert_string_equal(order, " zg");      /* zx needs zz and zg; zg first */
	assert_log_has("boxinit: modules: zg: finit_module: %s: this kernel cannot load the "
		       "compressed kernel/z/zg.ko.gz (it needs CONFIG_MODULE_DECOMPRESS=y for "
		       "this compression; or ship the module uncompressed)\n", strerror(EINVAL));
	assert_log_has("modules: zx: needs zg, which failed to load");
	assert_int_equal(count_lines("CONFIG_MODULE_DECOMPRESS"), 1);
	assert_int_equal(run("veth"), 0);       /* plain .ko: no flag, loads */
}

static void test_usr_lib_modules_by_default(void **state)
{
	char dir[PATH_MAX], rel[PATH_MAX], *none[] = { "veth", NULL };
	struct utsname u;

	reset_fakes();
	assert_int_equal(uname(&u), 0);
	/* merged /usr: only $sysroot/usr/lib/modules/$(uname -r) exists */
	snprintf(rel, sizeof(rel), "sys/usr/lib/modules/%s/modules.dep", u.release);
	put_sys(rel, "kernel/drivers/net/veth.ko.xz:\n");
	snprintf(rel, sizeof(rel), "sys/usr/lib/modules/%s/kernel/drivers/net/veth.ko.xz", u.release);
	put_sys(rel, "fake");
	snprintf(dir, sizeof(dir), "%s/sys", base);
	kmod_sysroot = dir;
	assert_int_equal(run_in(NULL, "veth"), 0);
	assert_string_equal(calls, " veth/4/");
	/* /lib/modules/$(uname -r) first, when it exists */
	snprintf(rel, sizeof(rel), "sys/lib/modules/%s/modules.dep", u.release);
	put_sys(rel, "kernel/veth.ko:\n");
	snprintf(rel, sizeof(rel), "sys/lib/modules/%s/kernel/veth.ko", u.release);
	put_sys(rel, "fake");
	assert_int_equal(run_in(NULL, "veth"), 0);
	assert_string_equal(calls, " veth/0/");
	/* neither: one message naming both */
	rm_sys("sys");
	assert_int_equal(kmod_load_list(NULL, none), 1);
	log_flush();
	{
		ssize_t got = read(rd, logbuf, sizeof(logbuf) - 1);

		logbuf[got > 0 ? got : 0] = '\0';
	}
	assert_log_has("boxinit: modules: %s/lib/modules/%s, %s/usr/lib/modules/%s: %s\n",
		       dir, u.release, dir, u.release, strerror(ENOENT));
	kmod_sysroot = "";
}

/* ---- modprobe.d and `modules =` parameters ---------------------------------- */

static void test_modprobe_d_options(void **state)
{
	reset_fakes();
	put_sys("etc/modprobe.d/a.conf", "# comment\noptions bridge debug=1\n"
		"options  llc   x=2 y=\"a b\"  \n\noptions stp\nbogus line here\nblacklist\n");
	put_sys("lib/modprobe.d/b.conf", "options bridge more=1\n");
	put_sys("usr/lib/modprobe.d/a.conf", "options bridge hidden=1\n");    /* hidden */
	put_sys("etc/modprobe.d/notconf.txt", "options bridge nope=1\n");    /* not *.conf */
	assert_int_equal(run("bridge"), 0);
	assert_string_equal(calls, " llc/0/x=2 y=\"a b\" stp/0/ bridge/0/debug=1 more=1");
	assert_log_has("modules: %s/etc/modprobe.d/a.conf:7: expected \"options NAME KEY=VALUE...\""
		       " or \"blacklist NAME\": ignored\n", base);
	/* `modules =` parameters come after, so they win; they load NAME too */
	assert_int_equal(run("veth bridge.debug=0 bridge.x=1,2 stp"), 0);
	assert_string_equal(calls, " veth/0/ llc/0/x=2 y=\"a b\" stp/0/ bridge/0/debug=1 more=1 debug=0 x=1,2");
	/* options apply to dependencies too, and to aliases' modules */
	assert_int_equal(run("rtnl-link-bridge"), 0);
	assert_string_equal(calls, " llc/0/x=2 y=\"a b\" stp/0/ bridge/0/debug=1 more=1");
	rm_sys("etc");
	rm_sys("lib/modprobe.d");
	rm_sys("usr");
}

static void test_module_parameter_syntax(void **state)
{
	reset_fakes();
	assert_int_equal(run("=1 .x=1 veth.=1 veth"), 3);
	assert_int_equal(count_lines("invalid parameter (expected NAME.KEY=VALUE)"), 3);
	assert_string_equal(calls, " veth/0/");
}

static void test_modules_key_in_the_config(void **state)
{
	char path[PATH_MAX];
	struct config cfg;
	FILE *f;

	snprintf(path, sizeof(path), "%s/boxinit.conf", base);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("modules = veth dummy.numdummies=2 nft-masq bridge.x=\"a\",1\n"
	      "service.a.exec = /bin/true\n", f);
	fclose(f);
	config_init(&cfg);
	assert_int_equal(config_load(&cfg, path, NULL), 0);
	assert_int_equal(cfg.nmodules, 4);
	assert_string_equal(cfg.modules[1], "dummy.numdummies=2");
	config_free(&cfg);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("modules = veth .x=1\nservice.a.exec = /bin/true\n", f);
	fclose(f);
	config_init(&cfg);
	assert_int_equal(config_load(&cfg, path, NULL), 1);
	assert_non_null(strstr(cfg.diags[0].msg, "NAME.KEY=VALUE"));
	config_free(&cfg);
}

static void test_blacklist_applies_to_aliases_only(void **state)
{
	reset_fakes();
	put_sys("etc/modprobe.d/bl.conf", "blacklist crc32c_generic\nblacklist llc\n");
	/* the softdep "crc32c" is an alias: its blacklisted module is skipped */
	assert_int_equal(run("libcrc32c"), 0);
	assert_string_equal(order, " libcrc32c");
	/* asked for by alias: nothing, one info line */
	assert_int_equal(run("crc32c"), 0);
	assert_int_equal(finit_calls, 0);
	assert_log_has("modules: crc32c: every module of this alias is blacklisted (modprobe.d):"
		       " nothing loaded\n");
	/* named, or a dependency: loaded (modprobe without -b) */
	assert_int_equal(run("crc32c_generic bridge"), 0);
	assert_string_equal(order, " crc32c_generic llc stp bridge");
	rm_sys("etc");
}

static void test_softdep_with_builtin_and_module(void **state)
{
	static const char bi[] = "crc32c_generic.alias=crc32c\0crc32c_generic.alias=crc32c-generic\0";

	reset_fakes();
	/* x86 6.12: crc32c built in (crc32c_generic) and a module (crc32c_intel) */
	put("modules.dep", "kernel/arch/x86/crypto/crc32c-intel.ko.xz:\nkernel/lib/libcrc32c.ko.xz:\n");
	put("kernel/arch/x86/crypto/crc32c-intel.ko.xz", "fake");
	put("kernel/lib/libcrc32c.ko.xz", "fake");
	put("modules.softdep", "softdep libcrc32c pre: crc32c\n");
	put("modules.alias", "alias crypto-crc32c crc32c_intel\nalias crc32c crc32c_intel\n");
	put("modules.builtin", "kernel/crypto/crc32c_generic.ko\n");
	put_len("modules.builtin.modinfo", bi, sizeof(bi) - 1);
	assert_int_equal(run("libcrc32c"), 0);
	assert_string_equal(calls, " crc32c-intel/4/ libcrc32c/4/");
	/* only the built-in one: met, nothing to load */
	put("modules.alias", "");
	assert_int_equal(run("libcrc32c"), 0);
	assert_string_equal(calls, " libcrc32c/4/");
	make_tree();
}

static void test_plan(void **state)
{
	char *names[] = { "bridge", "libcrc32c", "ext4", "veth.n=1", "nope", NULL }, *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	char want[4096];

	reset_fakes();
	loaded_list = " llc ";          /* not consulted: a fresh boot's plan */
	finit_calls = 0;
	put_sys("etc/modprobe.d/o.conf", "options stp prio=3\n");
	assert_non_null(f);
	assert_int_equal(kmod_plan(root, names, f), 1);
	fclose(f);
	assert_int_equal(finit_calls, 0);
	log_flush();
	{
		ssize_t got = read(rd, logbuf, sizeof(logbuf) - 1);

		logbuf[got > 0 ? got : 0] = '\0';
	}
	assert_log_has("boxinit: modules: nope: not found in %s (modules.dep)\n", root);
	snprintf(want, sizeof(want),
		 "insmod %1$s/kernel/net/llc/llc.ko\t# llc: dependency of bridge\n"
		 "insmod %1$s/kernel/net/802/stp.ko prio=3\t# stp: dependency of bridge\n"
		 "insmod %1$s/kernel/net/bridge/bridge.ko\t# bridge: listed in modules\n"
		 "insmod %1$s/kernel/crypto/crc32c_generic.ko\t# crc32c_generic: alias crc32c,"
		 " soft dependency (pre) of libcrc32c\n"
		 "insmod %1$s/kernel/lib/libcrc32c.ko\t# libcrc32c: listed in modules\n"
		 "builtin ext4\t# ext4: listed in modules\n"
		 "insmod %1$s/kernel/drivers/net/veth.ko n=1\t# veth: listed in modules\n"
		 "# 6 modules to load, 1 problem\n", root);
	assert_string_equal(text, want);
	free(text);
	rm_sys("etc");
	{
		char *none[] = { NULL };

		text = NULL;
		f = open_memstream(&text, &len);
		assert_int_equal(kmod_plan(root, none, f), 0);
		fclose(f);
		assert_string_equal(text, "# no modules to load\n");
		free(text);
	}
}

/* ---- the real Debian metadata, when the image builder made it ------------- */

static int pos(const char *name)
{
	char pat[80];
	const char *p;

	snprintf(pat, sizeof(pat), " %s ", name);
	p = strstr(order, pat);
	return p ? (int)(p - order) : -1;
}

/* @names in this order in the load log (a dependency before its user). */
static void assert_before(const char *const *names)
{
	for (int i = 0; names[i + 1]; i++) {
		if (pos(names[i]) < 0 || pos(names[i + 1]) < 0 ||
		    pos(names[i]) > pos(names[i + 1]))
			fail_msg("want %s before %s in \"%s\"", names[i], names[i + 1], order);
	}
}

/* The image's modules directory matching @pattern (under build/ from the
 * repository or from build/host/tests), into @dir; false if not made. */
static bool image_tree(const char *pattern, char *dir, size_t size)
{
	char pat[PATH_MAX];
	glob_t g;
	bool ok = false;

	for (int up = 0; up < 2 && !ok; up++) {
		snprintf(pat, sizeof(pat), "%s%s", up ? "../../" : "", pattern);
		if (glob(pat, 0, NULL, &g) == 0) {
			snprintf(dir, size, "%s", g.gl_pathv[0]);
			*strrchr(dir, '/') = '\0';
			ok = true;
		}
		globfree(&g);
	}
	return ok;
}

/* The true dependencies of qemu-boot.md's order hold in a real tree. */
static void real_tree_checks(const char *dir, bool intel_mod, bool vio_mod, bool crc_mod)
{
	static const char *const bridge[] = { "llc", "stp", "bridge", NULL };
	static const char *const nat1[] = { "libcrc32c", "nf_conntrack", "nf_nat", "nft_masq", NULL };
	static const char *const nat2[] = { "nf_defrag_ipv4", "nf_conntrack", NULL };
	static const char *const nat3[] = { "nf_defrag_ipv6", "nf_conntrack", NULL };
	static const char *const nat4[] = { "nfnetlink", "nf_tables", "nft_masq", NULL };
	static const char *const vio1[] = { "virtio_ring", "virtio", "virtio_net", NULL };
	static const char *const vio2[] = { "failover", "net_failover", "virtio_net", NULL };
	static const char *const crc[] = { "crc32c_generic", "libcrc32c", NULL };
	static const char *const intel[] = { "crc32c-intel", "libcrc32c", NULL };

	assert_before(bridge);
	assert_before(nat1);
	assert_before(nat2);
	assert_before(nat3);
	assert_before(nat4);
	if (vio_mod)
		assert_before(vio1);
	assert_before(vio2);
	if (crc_mod)
		assert_before(crc);
	if (intel_mod)
		assert_before(intel);
	/* not dependencies in modules.dep: they must be listed in the config */
	assert_true(pos("nft_chain_nat") < 0);
	assert_true(pos("virtio_pci") < 0);
	assert_null(strstr(logbuf, "not found"));
	(void)dir;
}

static void test_real_debian_tree(void **state)
{
	char dir[PATH_MAX], want[1024];
	bool crc_mod, vio_mod, intel_mod;

	/* the x86_64 cloud kernel (6.1): its figures are what this test asserts */
	if (!image_tree("build/qemu-x86_64/rootfs/lib/modules/*/modules.dep", dir, sizeof(dir)))
		skip();
	reset_fakes();

	assert_int_equal(run_in(dir, "veth bridge nft_masq virtio_net"), 0);
	strncat(order, " ", sizeof(order) - strlen(order) - 1);
	/* crc32c_generic is a module on generic amd64 / arm64, built in on cloud */
	crc_mod = pos("crc32c_generic") >= 0;
	/* crc32c is built in on cloud and crc32c_intel a module: it loads too */
	intel_mod = pos("crc32c-intel") >= 0;
	/* VIRTIO is =m on the amd64 kernels, built in (=y) on arm64 */
	vio_mod = pos("virtio_ring") >= 0;
	snprintf(want, sizeof(want),
		 " veth llc stp bridge nf_defrag_ipv4 nf_defrag_ipv6 %s%slibcrc32c nf_conntrack"
		 " nfnetlink nf_tables nf_nat nft_masq %sfailover net_failover"
		 " virtio_net ", crc_mod ? "crc32c_generic " : "", intel_mod ? "crc32c-intel " : "",
		 vio_mod ? "virtio_ring virtio " : "");
	assert_string_equal(order, want);
	real_tree_checks(dir, intel_mod, vio_mod, crc_mod);

	/* the notes' full set, as a config would list it */
	assert_int_equal(run_in(dir, "veth bridge nft_chain_nat nft_masq virtio_pci virtio_net"), 0);
	strncat(order, " ", sizeof(order) - strlen(order) - 1);
	assert_before((const char *const[]){ "nf_tables", "nft_chain_nat", "nft_masq", NULL });
	assert_before((const char *const[]){ "virtio_ring", "virtio", "virtio_pci",
					     "virtio_net", NULL });
	assert_true(pos("virtio_pci_legacy_dev") >= 0 && pos("virtio_pci_legacy_dev") < pos("virtio_pci"));
	assert_true(pos("virtio_pci_modern_dev") >= 0 && pos("virtio_pci_modern_dev") < pos("virtio_pci"));
	assert_int_equal(finit_calls, 21 + crc_mod + intel_mod);
}

/* Debian 13's cloud kernel (6.12): .ko.xz under /usr/lib/modules, crc32c
 * built in and crc32c_intel a module, virtio built in. */
static void test_real_debian13_tree(void **state)
{
	char dir[PATH_MAX];

	if (!image_tree("build/qemu-x86_64-trixie/rootfs/usr/lib/modules/*/modules.dep",
			dir, sizeof(dir)))
		skip();
	reset_fakes();
	assert_int_equal(run_in(dir, "veth bridge nft_masq virtio_net"), 0);
	strncat(order, " ", sizeof(order) - strlen(order) - 1);
	/* every module from a .ko.xz the kernel decompresses */
	assert_true(finit_calls > 10);
	assert_null(strstr(calls, "/0/"));
	/* the softdep's module next to the built-in provider, as modprobe */
	assert_true(pos("crc32c-intel") >= 0);
	real_tree_checks(dir, true, pos("virtio_ring") >= 0, pos("crc32c_generic") >= 0);
}

/* ---- loading in a child (kmod_bg) ------------------------------------------ */

/* kmod_bg_start() in the child, then kmod_bg_finish() here: the child's
 * log lines and each module's timeline entry come back; a failure in the
 * child is -EIO. The fake tree stands for /lib/modules/$(uname -r). */
static void test_background_load(void **state)
{
	char link[PATH_MAX], *names[] = { "bridge", NULL };
	struct utsname u;
	size_t n0 = timeline_count(), len = 0;
	ssize_t got;
	int fd, ws;
	pid_t pid;

	reset_fakes();
	assert_int_equal(uname(&u), 0);
	snprintf(link, sizeof(link), "%s/lib/modules/%s", base, u.release);
	assert_int_equal(symlink("6.1.0-test", link), 0);
	kmod_sysroot = base;
	pid = kmod_bg_start(names, &fd);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_int_equal(kmod_bg_finish(fd, ws), 0);
	assert_int_equal(timeline_count() - n0, 3);
	for (size_t i = 0; i < 3; i++) {
		const struct tl_entry *e = timeline_get(n0 + i);

		assert_int_equal(e->kind, TL_MODULE);
		assert_int_equal(e->outcome, TL_OK);
		assert_true(e->end_us >= e->start_us && e->start_us > 0);
		assert_string_equal(e->name, i == 0 ? "llc" : i == 1 ? "stp" : "bridge");
	}
	/* one that fails: its dependents are not loaded, the child says so */
	fail_name = "stp";
	fail_errno = ENOEXEC;
	pid = kmod_bg_start(names, &fd);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_int_equal(kmod_bg_finish(fd, ws), -EIO);
	assert_int_equal(timeline_get(timeline_count() - 1)->outcome, TL_FAILED);
	assert_string_equal(timeline_get(timeline_count() - 1)->name, "stp");
	while ((got = read(rd, logbuf + len, sizeof(logbuf) - 1 - len)) > 0)
		len += (size_t)got;
	logbuf[len] = '\0';
	assert_log_has("boxinit: modules: loaded 3 (llc stp bridge)\n");
	assert_log_has("boxinit: modules: stp: finit_module");
	kmod_sysroot = "";
	assert_int_equal(unlink(link), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* first: every load adds timeline entries, and the timeline
		 * (TIMELINE_MAX) is full after the others */
		cmocka_unit_test(test_background_load),
		cmocka_unit_test(test_bridge_order),
		cmocka_unit_test(test_nft_masq_softdep_alias_order),
		cmocka_unit_test(test_each_module_once),
		cmocka_unit_test(test_repeated_calls_share_nothing),
		cmocka_unit_test(test_dash_underscore_and_alias_names),
		cmocka_unit_test(test_softdep_pre_and_post),
		cmocka_unit_test(test_eexist_is_success),
		cmocka_unit_test(test_builtin_is_success),
		cmocka_unit_test(test_already_loaded_is_skipped),
		cmocka_unit_test(test_missing_module_and_dependents),
		cmocka_unit_test(test_unknown_names),
		cmocka_unit_test(test_failing_dependency_stops_dependents),
		cmocka_unit_test(test_errno_text),
		cmocka_unit_test(test_listed_but_file_missing),
		cmocka_unit_test(test_softdep_failure_is_not_fatal),
		cmocka_unit_test(test_cycles_terminate),
		cmocka_unit_test(test_softdep_cycle_terminates),
		cmocka_unit_test(test_deep_chain_is_bounded),
		cmocka_unit_test(test_big_dep_limits),
		cmocka_unit_test(test_garbage_files),
		cmocka_unit_test(test_missing_files_and_root),
		cmocka_unit_test(test_empty_lists),
		cmocka_unit_test(test_compressed_modules),
		cmocka_unit_test(test_compressed_on_a_kernel_that_cannot),
		cmocka_unit_test(test_usr_lib_modules_by_default),
		cmocka_unit_test(test_modprobe_d_options),
		cmocka_unit_test(test_module_parameter_syntax),
		cmocka_unit_test(test_modules_key_in_the_config),
		cmocka_unit_test(test_blacklist_applies_to_aliases_only),
		cmocka_unit_test(test_softdep_with_builtin_and_module),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_real_debian_tree),
		cmocka_unit_test(test_real_debian13_tree),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
