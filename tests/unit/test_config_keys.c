// SPDX-License-Identifier: MIT
/*
 * Unit tests for the key table (modules/config/config_keys.c) and what is
 * generated from it (config_doc.c): every row is complete, its slot is
 * its own, its bounds and choices are what its "expected" text says, its
 * default is the built-in value, the one empty-value rule holds for every
 * key, and the reference fits a terminal and a Markdown table.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "config_keys.h"
#include "config_priv.h"

#define NG conf_nglobal_keys
#define NS conf_nsvc_keys

static bool is_pattern(const struct conf_key *k)
{
	return strstr(conf_key_str(k, KS_NAME), "NAME") != NULL;
}

/* The one diagnostic of setting @key = @value on a fresh config, or NULL. */
static char *set_one(struct config *cfg, const char *key, const char *value)
{
	config_init(cfg);
	if (strcmp(key, "service.a.exec"))
		config_set(cfg, "t", 1, "service.a.exec", "/a", false);
	config_set(cfg, "t", 2, key, value, false);
	if (cfg->ndiags > 1)
		fail_msg("%s = %s: %zu diagnostics", key, value, cfg->ndiags);
	return cfg->ndiags ? cfg->diags[0].msg : NULL;
}

static void expect_ok(const char *key, const char *value)
{
	struct config cfg;
	char *msg = set_one(&cfg, key, value);

	if (msg)
		fail_msg("%s = \"%s\": %s", key, value, msg);
	config_free(&cfg);
}

static void expect_diag(const char *key, const char *value, const char *text)
{
	struct config cfg;
	char *msg = set_one(&cfg, key, value);

	if (!msg || !strstr(msg, text))
		fail_msg("%s = \"%s\": expected a diagnostic with \"%s\", got %s",
			 key, value, text, msg ? msg : "none");
	config_free(&cfg);
}

static void test_rows_complete(void **state)
{
	static const enum conf_key_str strs[] = {
		KS_NAME, KS_TYPE, KS_DEFAULT, KS_WHAT, KS_EXPECT, KS_HELP,
	};
	int sk[SK_COUNT] = { 0 }, gk[GK_COUNT] = { 0 };

	for (size_t t = 0; t < 2; t++) {
		const struct conf_key *keys = t ? conf_svc_keys : conf_global_keys;

		for (size_t i = 0; i < (t ? NS : NG); i++) {
			const struct conf_key *k = &keys[i];

			for (size_t j = 0; j < sizeof(strs) / sizeof(strs[0]); j++)
				assert_true(conf_key_str(k, strs[j])[0]);
			/* one line under the key in --help-config */
			assert_true(strlen(conf_key_str(k, KS_HELP)) <= 73);
			assert_non_null(k->set);
			assert_ptr_equal(conf_key_find(keys, t ? NS : NG,
						       conf_key_str(k, KS_NAME)), k);
			if (is_pattern(k)) {
				assert_int_equal(k->slot, CONF_NO_SLOT);
				continue;
			}
			assert_true(k->slot < (t ? SK_COUNT : GK_COUNT));
			(t ? sk : gk)[k->slot]++;
		}
	}
	for (int i = 0; i < SK_COUNT; i++)
		assert_int_equal(sk[i], 1);
	for (int i = 0; i < GK_COUNT; i++)
		assert_int_equal(gk[i], 1);
}

static void test_find_patterns(void **state)
{
	const struct conf_key *k;

	k = conf_key_find(conf_svc_keys, NS, "env.LANG");
	assert_string_equal(conf_key_str(k, KS_NAME), "env.NAME");
	assert_null(conf_key_find(conf_svc_keys, NS, "env"));
	assert_null(conf_key_find(conf_svc_keys, NS, "memoryx"));
	k = conf_key_find(conf_global_keys, NG, "iface.eth0.100.gateway");
	assert_string_equal(conf_key_str(k, KS_NAME), "iface.NAME.gateway");
	k = conf_key_find(conf_global_keys, NG, "iface.eth0.address");
	assert_string_equal(conf_key_str(k, KS_NAME), "iface.NAME.address");
	k = conf_key_find(conf_global_keys, NG, "iface.eth0.address6");
	assert_string_equal(conf_key_str(k, KS_NAME), "iface.NAME.address6");
	k = conf_key_find(conf_global_keys, NG, "iface.eth0.gateway6");
	assert_string_equal(conf_key_str(k, KS_NAME), "iface.NAME.gateway6");
	/* a wrong kind still reaches the setter, which names what is wrong */
	k = conf_key_find(conf_global_keys, NG, "iface.eth0.mask");
	assert_non_null(k);
	assert_ptr_equal(k->set, conf_set_iface);
	assert_null(conf_key_find(conf_global_keys, NG, "iface"));
	assert_non_null(conf_key_find(conf_global_keys, NG, "sysctl.vm.x"));
}

/* "KEY" of row @k in scope @svc: "service.a.KEY" or "KEY". */
static const char *full_key(char *buf, size_t size, const struct conf_key *k,
			    bool svc)
{
	snprintf(buf, size, "%s%s", svc ? "service.a." : "",
		 conf_key_str(k, KS_NAME));
	return buf;
}

/* One rule: an empty value clears a list and is an error for any other. */
static void test_empty_value_rule(void **state)
{
	char key[64], msg[96];

	for (size_t t = 0; t < 2; t++) {
		const struct conf_key *keys = t ? conf_svc_keys : conf_global_keys;

		for (size_t i = 0; i < (t ? NS : NG); i++) {
			const struct conf_key *k = &keys[i];

			if (is_pattern(k))
				continue;
			full_key(key, sizeof(key), k, t);
			if (k->flags & KF_LIST) {
				assert_string_equal(conf_key_str(k, KS_TYPE), "list");
				expect_ok(key, "");
			} else {
				snprintf(msg, sizeof(msg), "%s: empty value", key);
				expect_diag(key, "", msg);
			}
		}
	}
}

/* Bounds of integers and sizes are what the "expected" text says. */
static void test_bounds(void **state)
{
	char key[64], v[32], text[64];

	for (size_t i = 0; i < NS; i++) {
		const struct conf_key *k = &conf_svc_keys[i];
		unsigned long long lo = k->min, hi = k->max;

		full_key(key, sizeof(key), k, true);
		if (k->set == conf_set_u32) {
			snprintf(text, sizeof(text), "from %llu to %llu", lo, hi);
			assert_non_null(strstr(conf_key_str(k, KS_EXPECT), text));
		} else if (k->set == conf_set_size && k->max != SIZE_NO_MAX) {
			lo = conf_size_bound(k->min);
			hi = conf_size_bound(k->max);
		} else {
			continue;
		}
		snprintf(v, sizeof(v), "%llu", lo);
		expect_ok(key, v);
		snprintf(v, sizeof(v), "%llu", hi);
		expect_ok(key, v);
		snprintf(v, sizeof(v), "%llu", hi + 1);
		expect_diag(key, v, "out of range");
		if (lo) {
			snprintf(v, sizeof(v), "%llu", lo - 1);
			expect_diag(key, v, "out of range");
		}
	}
	expect_diag("service.a.memory", "1048575", "below the minimum of 1M");
	expect_ok("service.a.memory", "1M");
	expect_diag("service.a.restart_window", "0ms", "out of range (expected a duration above 0)");
	expect_ok("service.a.restart_window", "1ms");
	expect_diag("net.address", "10.0.0.1/31", "invalid address");
	expect_ok("net.address", "10.0.0.1/30");
	expect_ok("net.address", "10.0.0.1/1");
	expect_diag("net.address", "10.0.0.1/0", "invalid address");
}

/* Every word a choice's "expected" text names is accepted. */
static void test_choices_match_text(void **state)
{
	char key[64], words[256], *w, *save;

	for (size_t t = 0; t < 2; t++) {
		const struct conf_key *keys = t ? conf_svc_keys : conf_global_keys;

		for (size_t i = 0; i < (t ? NS : NG); i++) {
			const struct conf_key *k = &keys[i];

			if (k->set != conf_set_choice)
				continue;
			full_key(key, sizeof(key), k, t);
			snprintf(words, sizeof(words), "%s", conf_key_str(k, KS_EXPECT));
			for (w = strtok_r(words, ", ", &save); w;
			     w = strtok_r(NULL, ", ", &save))
				if (strcmp(w, "or") && strcmp(w, "0-3"))
					expect_ok(key, w);
			expect_diag(key, "nonsense", "invalid");
		}
	}
}

/*
 * A default that is a value gives exactly the built-in configuration;
 * one in parentheses describes what happens without the key.
 */
static void test_defaults_are_builtin(void **state)
{
	struct config ref, cfg;
	char key[64];

	config_init(&ref);
	config_set(&ref, "t", 1, "service.a.exec", "/a", false);
	for (size_t i = 0; i < NS; i++) {
		const struct conf_key *k = &conf_svc_keys[i];
		const char *d = conf_key_str(k, KS_DEFAULT);

		if (d[0] == '(')
			continue;
		full_key(key, sizeof(key), k, true);
		assert_null(set_one(&cfg, key, d));
		if (!svc_conf_equal(&cfg.svcs[0], &ref.svcs[0]))
			fail_msg("%s: the default %s is not the built-in value", key, d);
		config_free(&cfg);
	}
	for (size_t i = 0; i < NG; i++) {
		const struct conf_key *k = &conf_global_keys[i];
		const char *d = conf_key_str(k, KS_DEFAULT);
		const char *name = conf_key_str(k, KS_NAME);
		const char *a = (const char *)&ref + k->off;

		if (d[0] == '(')
			continue;
		assert_null(set_one(&cfg, name, d));
		if (k->set == conf_set_string)
			assert_string_equal(*(char **)((char *)&cfg + k->off), *(char **)a);
		else if (k->size)
			assert_memory_equal((char *)&cfg + k->off, a, k->size);
		assert_int_equal(cfg.nat, ref.nat);
		assert_int_equal(cfg.nat6, ref.nat6);
		config_free(&cfg);
	}
	config_free(&ref);
}

static char *print_keys(enum conf_doc_format fmt, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	assert_int_equal(config_print_keys(f, fmt), 0);
	fclose(f);
	return buf;
}

static void test_help_text(void **state)
{
	size_t len;
	char *buf = print_keys(CONF_DOC_TEXT, &len), *line, *save, name[64];

	for (size_t t = 0; t < 2; t++) {
		const struct conf_key *keys = t ? conf_svc_keys : conf_global_keys;

		for (size_t i = 0; i < (t ? NS : NG); i++) {
			snprintf(name, sizeof(name), "\n  %s ",
				 conf_key_str(&keys[i], KS_NAME));
			assert_non_null(strstr(buf, name));
			assert_non_null(strstr(buf, conf_key_str(&keys[i], KS_HELP)));
		}
	}
	assert_non_null(strstr(buf, "it clears the list"));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strlen(line) > 79)
			fail_msg("longer than 79 columns: %s", line);
	free(buf);
	assert_int_equal(config_doc_format(NULL), CONF_DOC_TEXT);
	assert_int_equal(config_doc_format("text"), CONF_DOC_TEXT);
	assert_int_equal(config_doc_format("markdown"), CONF_DOC_MARKDOWN);
	assert_int_equal(config_doc_format("man"), CONF_DOC_MAN);
	assert_int_equal(config_doc_format("troff"), -EINVAL);
	assert_int_equal(config_print_keys(stdout, (enum conf_doc_format)7), -EINVAL);
}

/* boxinit.conf(5): one ".It Cm KEY" entry per key, its help after it; no
 * line starts with a character roff would read as a request. */
static void test_help_man(void **state)
{
	size_t len;
	char *buf = print_keys(CONF_DOC_MAN, &len), entry[96], *line, *save;

	for (size_t t = 0; t < 2; t++) {
		const struct conf_key *keys = t ? conf_svc_keys : conf_global_keys;

		for (size_t i = 0; i < (t ? NS : NG); i++) {
			snprintf(entry, sizeof(entry), "\n.It Cm %s Ar %s\n",
				 conf_key_str(&keys[i], KS_NAME), conf_key_str(&keys[i], KS_TYPE));
			assert_non_null(strstr(buf, entry));
			assert_non_null(strstr(buf, conf_key_str(&keys[i], KS_HELP)));
		}
	}
	static const char *const macros[] = { ".\\\"", ".Ss ", ".Bl ", ".El", ".It ", ".Pp", ".Ql " };

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		bool ok = line[0] != '\'' && line[0] != '.';

		for (size_t m = 0; m < sizeof(macros) / sizeof(macros[0]) && !ok; m++)
			ok = !strncmp(line, macros[m], strlen(macros[m]));
		if (!ok)
			fail_msg("not a macro of ours: %s", line);
	}
	free(buf);
}

/* One Markdown row per key, five cells each ("\|" is inside a cell). */
static void test_help_markdown(void **state)
{
	size_t len, rows = 0;
	char *buf = print_keys(CONF_DOC_MARKDOWN, &len), *line, *save;

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int bars = 0;

		if (strncmp(line, "| `", 3))
			continue;
		rows++;
		for (char *p = line; *p; p++)
			bars += *p == '|' && (p == line || p[-1] != '\\');
		assert_int_equal(bars, 6);
	}
	assert_int_equal(rows, NG + NS);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_complete),
		cmocka_unit_test(test_find_patterns),
		cmocka_unit_test(test_empty_value_rule),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_choices_match_text),
		cmocka_unit_test(test_defaults_are_builtin),
		cmocka_unit_test(test_help_text),
		cmocka_unit_test(test_help_markdown),
		cmocka_unit_test(test_help_man),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
