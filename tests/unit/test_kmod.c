/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for modules/kmod.c: load order from a fake /lib/modules tree
 * (built in a temp dir), softdeps, aliases, built-ins, failures, hostile
 * files, and the real Debian metadata when the image builder made it.
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
#include <unistd.h>
#include <cmocka.h>

#include "kmod.h"
#include "log.h"

static char root[256];     /* the fake /lib/modules/<release> */
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
	char link[64], path[PATH_MAX], *base, *dot;
	ssize_t n;

	assert_string_equal(params, "");
	assert_int_equal(flags, 0);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	assert_true(n > 0);
	path[n] = '\0';
	base = strrchr(path, '/') + 1;
	dot = strstr(base, ".ko");
	assert_non_null(dot);
	*dot = '\0';
	finit_calls++;
	strncat(order, " ", sizeof(order) - strlen(order) - 1);
	strncat(order, base, sizeof(order) - strlen(order) - 1);
	if (fail_name && !strcmp(base, fail_name))
		return -fail_errno;
	if (fail_name2 && !strcmp(base, fail_name2))
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
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
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
	"kernel/cyc/cyc_top.ko: kernel/cyc/cyc_a.ko\n";

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
	"kernel/cyc/cyc_top.ko",
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

	snprintf(root, sizeof(root), "/tmp/kmodtest.XXXXXX");
	if (!mkdtemp(root) || pipe(p) < 0)
		return -1;
	strncat(root, "/6.1.0-test", sizeof(root) - strlen(root) - 1);
	mkdir(root, 0755);
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
	*strrchr(root, '/') = '\0';
	rm_tree(root);
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
	fail_errno = ENODEV;
	assert_int_equal(run("libcrc32c"), 1);  /* the softdep's own error */
	assert_string_equal(order, " crc32c_generic libcrc32c");
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

static void test_real_debian_tree(void **state)
{
	static const char *const bridge[] = { "llc", "stp", "bridge", NULL };
	static const char *const nat1[] = { "libcrc32c", "nf_conntrack", "nf_nat", "nft_masq", NULL };
	static const char *const nat2[] = { "nf_defrag_ipv4", "nf_conntrack", NULL };
	static const char *const nat3[] = { "nf_defrag_ipv6", "nf_conntrack", NULL };
	static const char *const nat4[] = { "nfnetlink", "nf_tables", "nft_masq", NULL };
	static const char *const vio1[] = { "virtio_ring", "virtio", "virtio_net", NULL };
	static const char *const vio2[] = { "failover", "net_failover", "virtio_net", NULL };
	static const char *const crc[] = { "crc32c_generic", "libcrc32c", NULL };
	char dir[PATH_MAX], want[1024];
	glob_t g;
	bool crc_mod, vio_mod;

	/* the x86_64 cloud kernel: its figures are what this test asserts */
	if (glob("build/x86_64/rootfs/lib/modules/*/modules.dep", 0, NULL, &g) != 0 &&
	    glob("../../build/x86_64/rootfs/lib/modules/*/modules.dep", 0, NULL, &g) != 0)
		skip();
	snprintf(dir, sizeof(dir), "%s", g.gl_pathv[0]);
	globfree(&g);
	*strrchr(dir, '/') = '\0';
	reset_fakes();

	assert_int_equal(run_in(dir, "veth bridge nft_masq virtio_net"), 0);
	strncat(order, " ", sizeof(order) - strlen(order) - 1);
	/* crc32c_generic is a module on generic amd64 / arm64, built in on cloud */
	crc_mod = pos("crc32c_generic") >= 0;
	/* VIRTIO is =m on the amd64 kernels, built in (=y) on arm64 */
	vio_mod = pos("virtio_ring") >= 0;
	snprintf(want, sizeof(want),
		 " veth llc stp bridge nf_defrag_ipv4 nf_defrag_ipv6 %slibcrc32c nf_conntrack"
		 " nfnetlink nf_tables nf_nat nft_masq %sfailover net_failover"
		 " virtio_net ", crc_mod ? "crc32c_generic " : "",
		 vio_mod ? "virtio_ring virtio " : "");
	assert_string_equal(order, want);
	/* the true dependencies of qemu-boot.md's order hold */
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
	/* not dependencies in modules.dep: they must be listed in the config */
	assert_true(pos("nft_chain_nat") < 0);
	assert_true(pos("virtio_pci") < 0);
	assert_null(strstr(logbuf, "not found"));

	/* the notes' full set, as a config would list it */
	assert_int_equal(run_in(dir, "veth bridge nft_chain_nat nft_masq virtio_pci virtio_net"), 0);
	strncat(order, " ", sizeof(order) - strlen(order) - 1);
	assert_before((const char *const[]){ "nf_tables", "nft_chain_nat", "nft_masq", NULL });
	assert_before((const char *const[]){ "virtio_ring", "virtio", "virtio_pci",
					     "virtio_net", NULL });
	assert_true(pos("virtio_pci_legacy_dev") >= 0 && pos("virtio_pci_legacy_dev") < pos("virtio_pci"));
	assert_true(pos("virtio_pci_modern_dev") >= 0 && pos("virtio_pci_modern_dev") < pos("virtio_pci"));
	assert_int_equal(finit_calls, crc_mod ? 22 : 21);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
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
		cmocka_unit_test(test_real_debian_tree),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
