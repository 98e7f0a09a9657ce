/* SPDX-License-Identifier: MIT */
/* protocol: one control request in, one reply out. See control.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>

#include "control_priv.h"
#include "events.h"
#include "log.h"
#include "supervise.h"
#include "util.h"

static const struct control_ops *ops;

void control_set_ops(const struct control_ops *o)
{
	ops = o;
}

bool control_read_only(const char *verb)
{
	static const char *const verbs[] = { "status", "logpath", "events", "follow",
					     "boot", "top" };

	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		if (!strcmp(verb, verbs[i]))
			return true;
	return false;
}

size_t control_event_line(const struct svc_transition *e, bool json, char *buf,
			  size_t len)
{
	struct buf b = { buf, len, 0 };

	buf[0] = '\0';
	if (!json) {
		bprintf(&b, "%llu [%5llu.%03llu] %s: %s -> %s (%s)\n",
			(unsigned long long)e->seq, (unsigned long long)(e->ms / 1000),
			(unsigned long long)(e->ms % 1000), e->name,
			fsm_state_label(e->from), fsm_state_label(e->to), e->cause);
		return b.used;
	}
	bprintf(&b, "{\"seq\":%llu,\"ms\":%llu,\"service\":\"%s\",\"from\":\"%s\","
		"\"to\":\"%s\",\"shown\":\"%s\",\"cause\":\"", (unsigned long long)e->seq,
		(unsigned long long)e->ms, e->name, fsm_state_label(e->from),
		fsm_state_label(e->to), fsm_state_name(e->to));
	for (const char *p = e->cause; *p; p++) {
		if (*p == '"' || *p == '\\')
			bprintf(&b, "\\%c", *p);
		else if ((unsigned char)*p >= 0x20)
			bprintf(&b, "%c", *p);
	}
	bprintf(&b, "\"}\n");
	return b.used;
}

/* "events [SEQ]": the events after SEQ (default: all in the ring). */
static int do_events(const char *arg, bool json, struct buf *b, struct err *msg)
{
	unsigned long long after = 0;
	char *end, line[EVENT_CAUSE_MAX + 160];
	uint64_t last = events_last();

	if (arg) {
		after = strtoull(arg, &end, 10);
		if (*end || end == arg) {
			err_setx(msg, -EINVAL, "events %s: expected the number of the last event seen", arg);
			return CTL_ERROR;
		}
	}
	if (last > EVENTS_MAX && after < last - EVENTS_MAX)
		after = last - EVENTS_MAX;
	for (uint64_t seq = after + 1; seq <= last; seq++) {
		const struct svc_transition *e = events_get(seq);

		if (e) {
			control_event_line(e, json, line, sizeof(line));
			bprintf(b, "%s", line);
		}
	}
	if (b->used + 1 >= b->len) {
		err_setx(msg, -EMSGSIZE, "events cut at %zu bytes: ask for the ones after a number", b->len);
		return CTL_ERROR;
	}
	return CTL_OK;
}

static int act(int (*fn)(const char *), const char *verb, const char *name,
	       struct err *msg)
{
	int r;

	if (!name) {
		err_setx(msg, -EINVAL, "%s: which service?", verb);
		return CTL_ERROR;
	}
	r = fn(name);
	switch (r) {
	case 0:
		err_setx(msg, 0, "%s: %s requested", name, verb);
		return CTL_OK;
	case -ENOENT:
		err_setx(msg, -ENOENT, "%s: no such service", name);
		return CTL_NOT_FOUND;
	case -EALREADY:
		err_setx(msg, 0, "%s: already %s", name,
			 !strcmp(verb, "start") ? "started" : "stopped");
		return CTL_OK;
	case -EINVAL:
		err_setx(msg, -EINVAL, "%s: invalid configuration: see boxinit --check", name);
		return CTL_ERROR;
	case -ESHUTDOWN:
		err_setx(msg, -ESHUTDOWN, "shutting down");
		return CTL_ERROR;
	default:
		err_set(msg, r, "%s: %s", name, verb);
		return CTL_ERROR;
	}
}

int control_handle(const char *req, char *out, size_t len, struct err *msg)
{
	char copy[CONTROL_REQ_MAX + 1];
	char *w[4];
	struct buf b = { out, len, 0 };
	bool json = false;
	int n, k = 0;

	out[0] = '\0';
	err_clear(msg);
	snprintf(copy, sizeof(copy), "%s", req);
	n = split_fields(copy, w, 4);
	if (n > 0 && !strcmp(w[0], "json")) {
		json = true;
		k = 1;
	}
	if (n <= k) {
		err_setx(msg, -EINVAL, "empty request");
		return CTL_ERROR;
	}
	for (const char *p = req; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != ' ' && *p != '\t' && *p != '\n') {
			err_setx(msg, -EINVAL, "malformed request");
			return CTL_ERROR;
		}
	if (n - k > 2) {
		err_setx(msg, -E2BIG, "%s: too many arguments", w[k]);
		return CTL_ERROR;
	}
	const char *verb = w[k], *arg = n - k == 2 ? w[k + 1] : NULL;

	if (!strcmp(verb, "status"))
		return control_status(arg, json, &b, msg);
	if (!strcmp(verb, "top") && !arg)
		return control_top(&b, msg);
	if (!strcmp(verb, "boot") && !arg)
		return control_boot(json, &b, msg);
	if (!strcmp(verb, "events"))
		return do_events(arg, json, &b, msg);
	if (!strcmp(verb, "start"))
		return act(supervise_start, verb, arg, msg);
	if (!strcmp(verb, "stop"))
		return act(supervise_stop, verb, arg, msg);
	if (!strcmp(verb, "restart"))
		return act(supervise_restart, verb, arg, msg);
	if (!strcmp(verb, "logpath")) {
		if (!arg || !supervise_conf_of(arg)) {
			err_setx(msg, -ENOENT, "%s: no such service", arg ? arg : "?");
			return CTL_NOT_FOUND;
		}
		if (!log_dir()) {
			err_setx(msg, -ENOENT, "no log directory (boxinit --log-dir)");
			return CTL_ERROR;
		}
		bprintf(&b, "%s/%s.log", log_dir(), arg);
		return CTL_OK;
	}
	if (arg) {
		err_setx(msg, -EINVAL, "%s: takes no argument", verb);
		return CTL_ERROR;
	}
	if (!strcmp(verb, "reload"))
		return ops && ops->reload(msg) == 0 ? CTL_OK : CTL_ERROR;
	if (!strcmp(verb, "reboot") || !strcmp(verb, "poweroff") || !strcmp(verb, "halt")) {
		int cmd = verb[0] == 'r' ? (int)RB_AUTOBOOT :
			  verb[0] == 'p' ? (int)RB_POWER_OFF : (int)RB_HALT_SYSTEM;

		if (!ops) {
			err_setx(msg, -ENOSYS, "not available");
			return CTL_ERROR;
		}
		err_setx(msg, 0, "%s requested", verb);
		ops->shutdown(cmd, "boxctl");
		return CTL_OK;
	}
	err_setx(msg, -EINVAL, "%s: unknown request", verb);
	return CTL_ERROR;
}

