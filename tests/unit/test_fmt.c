// SPDX-License-Identifier: MIT
/* Unit tests for modules/base/fmt.c: sizes at a glance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fmt.h"

static void test_sizes(void **state)
{
	static const struct { uint64_t v; const char *s; } t[] = {
		{ 0, "0" }, { 512, "512" }, { 1023, "1023" }, { 1024, "1K" },
		{ 12 << 10, "12K" }, { 1536, "1.5K" }, { 8 << 20, "8M" },
		{ (3 << 20) + (410 << 10), "3.4M" }, { 10ull << 30, "10G" },
		{ 5ull << 40, "5T" }, { 2048ull << 40, "2048T" }, { UINT64_MAX, "-" },
	};
	char buf[16];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_string_equal(fmt_size(t[i].v, buf, sizeof(buf)), t[i].s);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_sizes) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
