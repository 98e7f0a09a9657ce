/* SPDX-License-Identifier: MIT */
/* boot: the "boot" request, this boot's timeline with its critical path.
 * See control_priv.h. */
#include <errno.h>
#include <stdio.h>

#include "control_priv.h"
#include "supervise.h"
#include "timeline.h"

static const char *const kinds[] = { "step", "module", "service" };
static const char *const outcomes[] = { "pending", "ok", "failed" };

/* Steps and module loads run one after the other in PID 1: all of them
 * are on the path; of the services, the chain supervise names. */
static bool critical(size_t i, const int *chain, size_t nchain)
{
	if (timeline_get(i)->kind != TL_SERVICE)
		return true;
	for (size_t k = 0; k < nchain; k++)
		if (chain[k] == (int)i)
			return true;
	return false;
}

/* µs since boxinit's first instruction, 0 stays 0 (not yet) */
static unsigned long long rel(uint64_t us)
{
	return us ? (unsigned long long)(us - timeline_t0()) : 0;
}

int control_boot(bool json, struct buf *b, struct err *msg)
{
	int chain[64];
	size_t nchain = supervise_boot_chain(chain, 64), n = timeline_count();

	if (json)
		bprintf(b, "{\"t0_us\":%llu,\"dropped\":%u,\"steps\":[",
			(unsigned long long)timeline_t0(), timeline_dropped());
	else
		bprintf(b, "t0\t%llu\t%u\n", (unsigned long long)timeline_t0(),
			timeline_dropped());
	for (size_t i = 0; i < n; i++) {
		const struct tl_entry *e = timeline_get(i);
		bool crit = critical(i, chain, nchain);

		if (json)
			bprintf(b, "%s{\"kind\":\"%s\",\"name\":\"%s\",\"start_us\":%llu,"
				"\"exec_us\":%llu,\"end_us\":%llu,\"outcome\":\"%s\","
				"\"critical\":%s}", i ? "," : "", kinds[e->kind], e->name,
				rel(e->start_us), rel(e->exec_us), rel(e->end_us),
				outcomes[e->outcome], crit ? "true" : "false");
		else
			bprintf(b, "%s\t%s\t%d\t%llu\t%llu\t%llu\t%s\n", kinds[e->kind],
				outcomes[e->outcome], crit, rel(e->start_us),
				rel(e->exec_us), rel(e->end_us), e->name);
	}
	if (json)
		bprintf(b, "]}\n");
	if (b->used + 1 >= b->len) {
		err_setx(msg, -EMSGSIZE, "boot timeline cut at %zu bytes", b->len);
		if (json)
			b->p[0] = '\0';
		return CTL_ERROR;
	}
	return CTL_OK;
}
