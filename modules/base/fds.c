/* SPDX-License-Identifier: MIT */
/* fds: see fds.h. */
#include <sys/syscall.h>
#include <unistd.h>

#include "fds.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

void fds_close_except(unsigned from, const int *keep, int n)
{
	unsigned lo = from;

	for (;;) {
		unsigned next = ~0u;

		for (int i = 0; i < n; i++)
			if (keep[i] >= 0 && (unsigned)keep[i] >= lo && (unsigned)keep[i] < next)
				next = (unsigned)keep[i];
		if (next > lo && syscall(SYS_close_range, lo, next - 1, 0) < 0)
			for (unsigned fd = lo; fd < next && fd < 4096; fd++)
				close((int)fd);
		if (next == ~0u)
			return;
		lo = next + 1;
	}
}
