/* SPDX-License-Identifier: MIT */
/*
 * timeline: the steps of this boot, from boxinit's first instruction, for
 * `boxctl boot`: each step of main's sequence, each module load, and each
 * service's first start (spawn -> exec -> ready). A fixed array of
 * TIMELINE_MAX entries (no allocation per step); what does not fit is
 * counted, not recorded. Times are CLOCK_BOOTTIME microseconds.
 */
#ifndef BOXINIT_TIMELINE_H
#define BOXINIT_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIMELINE_MAX      160u
#define TIMELINE_NAME_MAX 40u

enum tl_kind { TL_STEP, TL_MODULE, TL_SERVICE };
enum tl_outcome { TL_PENDING, TL_OK, TL_FAILED };

struct tl_entry {
	enum tl_kind kind;
	enum tl_outcome outcome;
	bool critical;                  /* on the critical path (timeline_mark) */
	char name[TIMELINE_NAME_MAX];
	uint64_t start_us;
	uint64_t exec_us;               /* services: when it exec'd, 0 before */
	uint64_t end_us;                /* 0 while pending */
};

/* timeline_start - note boxinit's first instruction (@t0_us, boottime). */
void timeline_start(uint64_t t0_us);

/* timeline_t0 - what timeline_start() noted. */
uint64_t timeline_t0(void);

/*
 * timeline_begin - a step of @kind named @name (cut to TIMELINE_NAME_MAX
 * - 1 bytes) starts now. Returns its id, or -1 when the timeline is full
 * (then the other calls ignore it).
 */
int timeline_begin(enum tl_kind kind, const char *name);

/* timeline_exec - service @id exec'd now. */
void timeline_exec(int id);

/* timeline_end - step @id ended now, well (@ok) or not. Once only. */
void timeline_end(int id, bool ok);

/* timeline_mark - put step @id on the critical path. */
void timeline_mark(int id);

/* timeline_add - append a copy of @e, an entry made elsewhere (a child's,
 * kmod_bg.h), at its own times. Returns its id or -1 (full: counted as
 * dropped). */
int timeline_add(const struct tl_entry *e);

/* timeline_count / timeline_get - the entries, in the order they began;
 * timeline_dropped - how many did not fit. */
size_t timeline_count(void);
const struct tl_entry *timeline_get(size_t i);
unsigned timeline_dropped(void);

#endif
