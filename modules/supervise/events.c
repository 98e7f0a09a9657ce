/* SPDX-License-Identifier: MIT */
/* events: the ring of service state transitions. See events.h. */
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "util.h"

static struct svc_transition ring[EVENTS_MAX];
static uint64_t last;
static void (*listener)(void);

void events_record(const char *name, enum svc_state from, enum svc_state to,
		   const char *cause)
{
	struct svc_transition *e = &ring[last % EVENTS_MAX];

	e->seq = ++last;
	e->ms = clock_ms(CLOCK_BOOTTIME);
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->from = from;
	e->to = to;
	snprintf(e->cause, sizeof(e->cause), "%s", cause ? cause : "");
	if (listener)
		listener();
}

uint64_t events_last(void)
{
	return last;
}

const struct svc_transition *events_get(uint64_t seq)
{
	if (seq == 0 || seq > last || last - seq >= EVENTS_MAX)
		return NULL;
	return &ring[(seq - 1) % EVENTS_MAX];
}

void events_listen(void (*fn)(void))
{
	listener = fn;
}
