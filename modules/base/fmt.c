/* SPDX-License-Identifier: MIT */
/* fmt: figures written for people. See fmt.h. */
#include <stdio.h>

#include "fmt.h"

const char *fmt_size(uint64_t v, char *out, size_t len)
{
	static const char units[] = "KMGT";
	unsigned long long whole = v, frac = 0;
	int u = -1;

	if (v == UINT64_MAX) {
		snprintf(out, len, "-");
		return out;
	}
	while (whole >= 1024 && u < 3) {
		frac = (whole % 1024) * 10 / 1024;
		whole /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(out, len, "%llu", whole);
	else if (whole < 10 && frac)
		snprintf(out, len, "%llu.%llu%c", whole, frac, units[u]);
	else
		snprintf(out, len, "%llu%c", whole, units[u]);
	return out;
}
