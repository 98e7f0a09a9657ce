/* SPDX-License-Identifier: MIT */
/* timeline: the steps of this boot. See timeline.h. */
#include <stdio.h>

#include "timeline.h"
#include "util.h"

static struct tl_entry steps[TIMELINE_MAX];
static size_t nsteps;
static unsigned dropped;
static uint64_t t0;

void timeline_start(uint64_t t0_us)
{
	t0 = t0_us;
}

uint64_t timeline_t0(void)
{
	return t0;
}

static struct tl_entry *entry(int id)
{
	return id >= 0 && (size_t)id < nsteps ? &steps[id] : NULL;
}

/* The next free entry, or NULL (full: counted as dropped). */
static struct tl_entry *next_slot(void)
{
	if (nsteps == TIMELINE_MAX) {
		dropped++;
		return NULL;
	}
	return &steps[nsteps];
}

int timeline_begin(enum tl_kind kind, const char *name)
{
	struct tl_entry *e = next_slot();

	if (!e)
		return -1;
	e->kind = kind;
	e->outcome = TL_PENDING;
	e->critical = false;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->start_us = clock_us(CLOCK_BOOTTIME);
	e->exec_us = e->end_us = 0;
	return (int)nsteps++;
}

int timeline_add(const struct tl_entry *e)
{
	struct tl_entry *slot = next_slot();

	if (!slot)
		return -1;
	*slot = *e;
	return (int)nsteps++;
}

void timeline_exec(int id)
{
	struct tl_entry *e = entry(id);

	if (e && !e->exec_us)
		e->exec_us = clock_us(CLOCK_BOOTTIME);
}

void timeline_end(int id, bool ok)
{
	struct tl_entry *e = entry(id);

	if (!e || e->outcome != TL_PENDING)
		return;
	e->end_us = clock_us(CLOCK_BOOTTIME);
	e->outcome = ok ? TL_OK : TL_FAILED;
}

void timeline_mark(int id)
{
	struct tl_entry *e = entry(id);

	if (e)
		e->critical = true;
}

size_t timeline_count(void)
{
	return nsteps;
}

const struct tl_entry *timeline_get(size_t i)
{
	return i < nsteps ? &steps[i] : NULL;
}

unsigned timeline_dropped(void)
{
	return dropped;
}
