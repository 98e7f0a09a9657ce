// SPDX-License-Identifier: MIT
/*
 * Unit tests for the network topology (modules/net/net.c): veth names,
 * automatic addresses, MAC addresses. The nftables messages are in
 * test_net_nft.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>

#include "antispoof.h"
#include "config.h"
#include "mnl.h"
#include "nat.h"
#include "net.h"
#include "netlink.h"
#include "util.h"

/* ---- veth names -------------------------------------------------------- */

static void test_veth_names(void **state)
{
	char a[IFNAMSIZ], b[IFNAMSIZ], c[IFNAMSIZ];

	net_veth_name("web", a);
	assert_string_equal(a, "bxweb");
	net_veth_name("abcdefghijkl", a);               /* 12: fits as is */
	assert_string_equal(a, "bxabcdefghijkl");
	net_veth_name("webserver-frontend-1", a);
	net_veth_name("webserver-frontend-2", b);
	assert_int_equal(strlen(a), IFNAMSIZ - 1);
	assert_int_equal(strlen(b), IFNAMSIZ - 1);
	assert_string_not_equal(a, b);
	assert_memory_equal(a, "bxwebserv-", 10);
	net_veth_name("webserver-frontend-1", c);       /* stable */
	assert_string_equal(a, c);
	/* 13 bytes: hashed, 15 long: never equal to a short one (<= 14) */
	net_veth_name("abcdefghijklm", a);
	assert_int_equal(strlen(a), 15);
	/* the longest service name */
	net_veth_name("abcdefghijklmnopqrstuvwxyz012345", a);
	assert_int_equal(strlen(a), 15);
	/* many names sharing a 30-byte prefix: all distinct */
	char names[64][IFNAMSIZ];

	for (int i = 0; i < 64; i++) {
		char svc[48];

		snprintf(svc, sizeof(svc), "frontend-worker-pool-replica-%02u", (unsigned)i % 100);
		net_veth_name(svc, names[i]);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(names[i], names[j]);
	}
}

/* ---- addresses ----------------------------------------------------------- */

static struct config *load(const char *text)
{
	struct config *cfg = malloc(sizeof(*cfg));

	config_init(cfg);
	config_parse_buffer(cfg, "test.conf", text, strlen(text));
	config_finish(cfg);
	for (size_t i = 0; i < cfg->ndiags; i++)
		print_message("diag: %s:%d: %s\n", cfg->diags[i].source,
			      cfg->diags[i].line, cfg->diags[i].msg);
	assert_int_equal(cfg->ndiags, 0);
	return cfg;
}

static void unload(struct config *cfg)
{
	config_free(cfg);
	free(cfg);
}

static uint32_t addr_of(struct config *cfg, const char *name)
{
	struct in_addr a;

	assert_int_equal(net_service_address(cfg, config_find(cfg, name), &a), 0);
	return ntohl(a.s_addr);
}

#define THREE \
	"net.address = 192.168.1.10/24\n" \
	"service.a.exec = /bin/true\nservice.a.net = bridge\nservice.a.ip = auto\n" \
	"service.b.exec = /bin/true\nservice.b.net = bridge\nservice.b.ip = auto\n" \
	"service.c.exec = /bin/true\nservice.c.net = bridge\nservice.c.ip = 192.168.1.20\n" \
	"service.d.exec = /bin/true\nservice.d.net = bridge\n"

static void test_auto_address(void **state)
{
	struct config *cfg = load(THREE), *again = load(THREE);
	uint32_t a = addr_of(cfg, "a"), b = addr_of(cfg, "b"), d = addr_of(cfg, "d");
	struct in_addr x;

	/* inside the subnet, not the bridge, network or broadcast */
	for (int i = 0; i < 3; i++) {
		uint32_t v = i == 0 ? a : i == 1 ? b : d;

		assert_int_equal(v >> 8, 0xc0a801);
		assert_int_not_equal(v & 0xff, 0);
		assert_int_not_equal(v & 0xff, 255);
		assert_int_not_equal(v & 0xff, 10);
		assert_int_not_equal(v & 0xff, 20);
	}
	assert_int_not_equal(a, b);
	assert_int_not_equal(a, d);
	assert_int_not_equal(b, d);
	/* static, deterministic */
	assert_int_equal(addr_of(cfg, "c"), 0xc0a80114);
	assert_int_equal(addr_of(again, "a"), a);
	assert_int_equal(addr_of(again, "b"), b);
	assert_int_equal(addr_of(cfg, "a"), a);
	/* not net = bridge */
	config_find(cfg, "a")->net = NET_NONE;
	assert_int_equal(net_service_address(cfg, config_find(cfg, "a"), &x), -EINVAL);
	unload(cfg);
	unload(again);
}

static void test_auto_address_probes(void **state)
{
	char text[512];
	struct config *cfg;
	uint32_t want, got;

	/* where "a" lands alone... */
	cfg = load("net.address = 10.1.0.1/16\n"
		   "service.a.exec = /bin/true\nservice.a.net = bridge\nservice.a.ip = auto\n");
	want = addr_of(cfg, "a");
	unload(cfg);
	/* ...is taken by a static address: "a" moves to the next one */
	snprintf(text, sizeof(text), "net.address = 10.1.0.1/16\n"
		 "service.a.exec = /bin/true\nservice.a.net = bridge\nservice.a.ip = auto\n"
		 "service.z.exec = /bin/true\nservice.z.net = bridge\nservice.z.ip = %u.%u.%u.%u\n",
		 want >> 24, (want >> 16) & 0xff, (want >> 8) & 0xff, want & 0xff);
	cfg = load(text);
	got = addr_of(cfg, "a");
	assert_int_equal(got, (want & 0xffff) == 0xfffe ? 0x0a010002 : want + 1);
	unload(cfg);
	/* ...or it is the bridge's own address */
	snprintf(text, sizeof(text), "net.address = %u.%u.%u.%u/16\n"
		 "service.a.exec = /bin/true\nservice.a.net = bridge\nservice.a.ip = auto\n",
		 want >> 24, (want >> 16) & 0xff, (want >> 8) & 0xff, want & 0xff);
	cfg = load(text);
	assert_int_not_equal(addr_of(cfg, "a"), want);
	unload(cfg);
}

static void test_auto_address_full(void **state)
{
	struct config *cfg = load(
		"net.address = 192.168.9.1/30\n"
		"service.a.exec = /bin/true\nservice.a.net = bridge\n"
		"service.b.exec = /bin/true\nservice.b.net = bridge\n");
	struct in_addr x;

	/* a /30 has two hosts: the bridge's and one more */
	assert_int_equal(addr_of(cfg, "a"), 0xc0a80902);
	assert_int_equal(net_service_address(cfg, config_find(cfg, "b"), &x), -ENOSPC);
	unload(cfg);
	cfg = load("service.a.exec = /bin/true\nservice.a.net = bridge\n");
	assert_int_equal(net_service_address(cfg, config_find(cfg, "a"), &x), -EDESTADDRREQ);
	unload(cfg);
}

/* ---- MAC addresses ----------------------------------------------------------- */

static void test_service_mac(void **state)
{
	/* two names whose 40-bit hashes are equal (found by search) */
	struct config *cfg = load(
		"service.svc-103031.exec = /bin/true\nservice.svc-103031.net = bridge\n"
		"service.web.exec = /bin/true\nservice.web.net = bridge\n"
		"service.host.exec = /bin/true\nservice.host.net = host\n"
		"service.svc-3782089.exec = /bin/true\nservice.svc-3782089.net = bridge\n");
	struct config *alone = load(
		"service.svc-3782089.exec = /bin/true\nservice.svc-3782089.net = bridge\n");
	uint8_t a[6], b[6], c[6], d[6];
	const char *other = NULL;

	assert_int_equal(net_service_mac(cfg, config_find(cfg, "web"), a, &other), 0);
	assert_null(other);
	assert_int_equal(a[0], 0x02);                   /* local, unicast */
	assert_int_equal(net_service_mac(cfg, config_find(cfg, "web"), b, NULL), 0);
	assert_memory_equal(a, b, 6);                   /* stable */
	/* alone, svc-3782089 gets its hash... */
	assert_int_equal(net_service_mac(alone, config_find(alone, "svc-3782089"), c, NULL), 0);
	/* ...which is svc-103031's: the later one in the file moves on */
	assert_int_equal(net_service_mac(cfg, config_find(cfg, "svc-103031"), b, NULL), 0);
	assert_memory_equal(b, c, 6);
	assert_int_equal(net_service_mac(cfg, config_find(cfg, "svc-3782089"), d, &other), 1);
	assert_non_null(other);
	assert_string_equal(other, "svc-103031");
	assert_memory_not_equal(d, c, 6);
	assert_memory_equal(d, c, 5);
	assert_int_equal(d[5], (uint8_t)(c[5] + 1));
	unload(cfg);
	unload(alone);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_veth_names),
		cmocka_unit_test(test_auto_address),
		cmocka_unit_test(test_auto_address_probes),
		cmocka_unit_test(test_auto_address_full),
		cmocka_unit_test(test_service_mac),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
