/* SPDX-License-Identifier: MIT */
/*
 * events: the last EVENTS_MAX state transitions of the services, in a
 * fixed ring (no allocation per event), each with its time and cause:
 * what `boxctl events` shows and what `boxctl events -f` follows, so that
 * scripts and tests wait for a state instead of polling for it.
 *
 * Times are CLOCK_BOOTTIME milliseconds, the clock of the log files'
 * stamps. Every event has a sequence number (1, 2, ...): a reader asks for
 * the ones after the last it saw; the oldest are overwritten.
 */
#ifndef BOXINIT_EVENTS_H
#define BOXINIT_EVENTS_H

#include <stdint.h>

#include "config.h"
#include "fsm.h"

#define EVENTS_MAX       256u
#define EVENT_CAUSE_MAX  FSM_LINE_MAX

struct svc_transition {
	uint64_t seq;                   /* 1, 2, ... */
	uint64_t ms;                    /* CLOCK_BOOTTIME */
	char name[CONF_NAME_MAX + 1];
	enum svc_state from, to;
	char cause[EVENT_CAUSE_MAX];
};

/*
 * events_record - append a transition of service @name from @from to @to
 * because of @cause (copied, cut to EVENT_CAUSE_MAX - 1 bytes), then call
 * the listener (events_listen), if any.
 */
void events_record(const char *name, enum svc_state from, enum svc_state to,
		   const char *cause);

/* events_last - the sequence number of the newest event, 0 before any. */
uint64_t events_last(void);

/*
 * events_get - the event numbered @seq, or NULL when it is not yet there
 * or was overwritten (then events_last() - EVENTS_MAX + 1 is the oldest).
 * The pointer stays valid until EVENTS_MAX more events are recorded.
 */
const struct svc_transition *events_get(uint64_t seq);

/* events_listen - call @fn (NULL: nobody) after each event is recorded. */
void events_listen(void (*fn)(void));

#endif
