// SPDX-License-Identifier: MIT
/*
 * The IPv6 keys of the configuration (modules/config/): net.address6,
 * net.nat6, service.NAME.ip6, iface.NAME.address6 / .gateway6: values,
 * the checks across keys (prefix, the bridge's own address, duplicates),
 * reload equality.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"

static struct config *load(const char *text)
{
	struct config *cfg = malloc(sizeof(*cfg));

	config_init(cfg);
	config_parse_buffer(cfg, "test.conf", text, strlen(text));
	config_finish(cfg);
	return cfg;
}

static void unload(struct config *cfg)
{
	config_free(cfg);
	free(cfg);
}

/* a diagnostic at @line containing @text */
static bool has_diag(const struct config *cfg, int line, const char *text)
{
	for (size_t i = 0; i < cfg->ndiags; i++)
		if (cfg->diags[i].line == line && strstr(cfg->diags[i].msg, text))
			return true;
	for (size_t i = 0; i < cfg->ndiags; i++)
		print_message("diag %d: %s\n", cfg->diags[i].line, cfg->diags[i].msg);
	return false;
}

static void assert_addr6(const struct in6_addr *a, const char *text)
{
	char got[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, a, got, sizeof(got));
	assert_string_equal(got, text);
}

static void test_global_keys(void **state)
{
	struct config *cfg = load("net.address6 = fd00:b0::1/64\n"
				  "net.nat6 = on\n"
				  "iface.eth0.address6 = 2001:db8:1::2/64\n"
				  "iface.eth0.gateway6 = fe80::1\n"
				  "iface.eth0.address = 10.0.2.15/24\n");

	assert_int_equal(cfg->ndiags, 0);
	assert_true(cfg->has_net_address6);
	assert_addr6(&cfg->net_addr6, "fd00:b0::1");
	assert_int_equal(cfg->net_prefix6, 64);
	assert_int_equal(cfg->nat6, NAT_ON);
	assert_int_equal(cfg->nifaces, 1);
	assert_true(cfg->ifaces[0].has_addr6 && cfg->ifaces[0].has_gw6 &&
		    cfg->ifaces[0].has_addr && !cfg->ifaces[0].has_gw);
	assert_addr6(&cfg->ifaces[0].addr6, "2001:db8:1::2");
	assert_int_equal(cfg->ifaces[0].prefix6, 64);
	assert_addr6(&cfg->ifaces[0].gw6, "fe80::1");
	unload(cfg);

	cfg = load("net.nat6 = wan0\n");
	assert_int_equal(cfg->nat6, NAT_IFACE);
	assert_string_equal(cfg->nat6_iface, "wan0");
	assert_int_equal(cfg->nat, NAT_OFF);            /* the IPv4 one untouched */
	unload(cfg);
}

static void test_bad_values(void **state)
{
	struct config *cfg = load("net.address6 = fd00:b0::/64\n"      /* the prefix */
				  "net.address6 = fd00:b0::1\n"         /* duplicate */
				  "net.nat6 = maybe?\n"
				  "iface.eth0.address6 = 10.0.0.1/24\n"
				  "iface.eth0.gateway6 = [fe80::1]\n"
				  "iface.eth0.address7 = ::1/128\n"
				  "service.a.exec = /bin/true\n"
				  "service.a.ip6 = fd00:b0::zz\n");

	assert_true(has_diag(cfg, 1, "net.address6: invalid address \"fd00:b0::/64\""));
	assert_true(has_diag(cfg, 3, "net.nat6: invalid value"));
	assert_true(has_diag(cfg, 4, "iface.eth0.address6: invalid address"));
	assert_true(has_diag(cfg, 5, "iface.eth0.gateway6: invalid address"));
	assert_true(has_diag(cfg, 6, "unknown key"));
	assert_true(has_diag(cfg, 8, "service.a.ip6: invalid address"));
	assert_false(cfg->has_net_address6);
	assert_true(config_find(cfg, "a")->invalid);
	unload(cfg);
}

static void test_service_ip6(void **state)
{
	struct config *cfg = load("net.address6 = fd00:b0::1/64\n"
				  "service.a.exec = /bin/true\nservice.a.net = bridge\n"
				  "service.a.ip6 = fd00:b0::10\n"
				  "service.b.exec = /bin/true\nservice.b.net = bridge\n"
				  "service.b.ip6 = auto\n"
				  "service.c.exec = /bin/true\nservice.c.net = bridge\n"
				  "service.c.ip6 = fd00:b1::10\n"           /* line 10 */
				  "service.d.exec = /bin/true\nservice.d.net = bridge\n"
				  "service.d.ip6 = fd00:b0::1\n"            /* line 13 */
				  "service.e.exec = /bin/true\nservice.e.net = bridge\n"
				  "service.e.ip6 = fd00:b0::10\n"           /* line 16 */
				  "service.f.exec = /bin/true\nservice.f.net = bridge\n"
				  "service.f.ip6 = fd00:b0::\n"             /* line 19 */
				  "service.g.exec = /bin/true\nservice.g.net = none\n"
				  "service.g.ip6 = auto\n");                /* line 22 */

	assert_false(config_find(cfg, "a")->invalid);
	assert_true(config_find(cfg, "a")->has_ip6);
	assert_true(config_find(cfg, "b")->ip6_auto);
	assert_false(config_find(cfg, "b")->invalid);
	assert_true(has_diag(cfg, 10, "service.c.ip6: fd00:b1::10 is outside net.address6"));
	assert_true(has_diag(cfg, 13, "is the bridge's own address (net.address6)"));
	assert_true(has_diag(cfg, 16, "fd00:b0::10 is already used by service \"a\""));
	assert_true(has_diag(cfg, 19, "is the prefix itself"));
	assert_true(has_diag(cfg, 22, "service.g.ip6: ignored because service.g.net is not"));
	assert_true(config_find(cfg, "c")->invalid && config_find(cfg, "d")->invalid &&
		    config_find(cfg, "e")->invalid && config_find(cfg, "f")->invalid);
	unload(cfg);

	/* a fixed ip6 needs the prefix */
	cfg = load("service.a.exec = /bin/true\nservice.a.net = bridge\n"
		   "service.a.ip6 = fd00:b0::10\n");
	assert_true(has_diag(cfg, 3, "needs net.address6"));
	unload(cfg);
}

static void test_equal(void **state)
{
	const char *base = "net.address6 = fd00:b0::1/64\n"
			   "service.a.exec = /bin/true\nservice.a.net = bridge\n";
	char text[512];
	struct config *x, *y;

	snprintf(text, sizeof(text), "%sservice.a.ip6 = fd00:b0::10\n", base);
	x = load(text);
	y = load(text);
	assert_true(svc_conf_equal(config_find(x, "a"), config_find(y, "a")));
	unload(y);
	snprintf(text, sizeof(text), "%sservice.a.ip6 = fd00:b0::11\n", base);
	y = load(text);
	assert_false(svc_conf_equal(config_find(x, "a"), config_find(y, "a")));
	unload(y);
	snprintf(text, sizeof(text), "%sservice.a.ip6 = auto\n", base);
	y = load(text);
	assert_false(svc_conf_equal(config_find(x, "a"), config_find(y, "a")));
	unload(y);
	unload(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_global_keys),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_service_ip6),
		cmocka_unit_test(test_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
