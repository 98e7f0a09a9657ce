/* SPDX-License-Identifier: MIT */
/* status: what `boxctl status` shows, from supervise's snapshots and the
 * cgroups' usage. See control_priv.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "cgroup.h"
#include "control_priv.h"
#include "fmt.h"
#include "net.h"
#include "supervise.h"
#include "util.h"
#include "watchdog.h"

void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->used >= b->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->used, b->len - b->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->used += (size_t)n < b->len - b->used ? (size_t)n : b->len - b->used - 1;
}

/* "45s", "12m03s", "3h07m", "2d04h" */
static const char *duration(uint64_t s, char *out, size_t len)
{
	if (s < 60)
		snprintf(out, len, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(out, len, "%llum%02llus", (unsigned long long)s / 60,
			 (unsigned long long)s % 60);
	else if (s < 86400)
		snprintf(out, len, "%lluh%02llum", (unsigned long long)s / 3600,
			 (unsigned long long)s % 3600 / 60);
	else
		snprintf(out, len, "%llud%02lluh", (unsigned long long)s / 86400,
			 (unsigned long long)s % 86400 / 3600);
	return out;
}

struct row {
	struct svc_status st;
	uint64_t uptime_s, cpu_us, mem;
	char addr[20];                  /* IPv4, or "-" */
	char addr6[INET6_ADDRSTRLEN];   /* IPv6, or "" */
	char both[20 + INET6_ADDRSTRLEN];       /* the ADDRESS column */
};

static void row_of(size_t i, struct row *r)
{
	const struct svc_conf *c;
	struct in6_addr a6;
	struct in_addr a;

	supervise_status(i, &r->st);
	c = r->st.conf;
	r->uptime_s = r->st.uptime_ms / 1000;
	r->cpu_us = r->mem = UINT64_MAX;
	if (r->st.has_cgroup)
		cgroup_usage(c->name, &r->cpu_us, &r->mem);
	/* a fixed ip, or the one ip = auto gives it (known from the config) */
	if (net_service_address_of(supervise_config(), c, &a) == 0)
		inet_ntop(AF_INET, &a, r->addr, sizeof(r->addr));
	else
		snprintf(r->addr, sizeof(r->addr), "-");
	if (net_service_address6_of(supervise_config(), c, &a6) == 0)
		inet_ntop(AF_INET6, &a6, r->addr6, sizeof(r->addr6));
	snprintf(r->both, sizeof(r->both), "%s%s%s", r->addr[0] != '-' || !r->addr6[0] ?
		 r->addr : "", r->addr[0] != '-' && r->addr6[0] ? "," : "", r->addr6);
}

/* A JSON number, or null for an unknown figure (UINT64_MAX). */
static void json_u64(struct buf *b, const char *key, uint64_t v)
{
	if (v == UINT64_MAX)
		bprintf(b, "\"%s\":null,", key);
	else
		bprintf(b, "\"%s\":%llu,", key, (unsigned long long)v);
}

/* "KEY":"TEXT", or null for NULL. The texts are boxinit's own or
 * sanitized (valid UTF-8): escape what JSON needs anyway. */
static void json_text(struct buf *b, const char *key, const char *text)
{
	if (!text) {
		bprintf(b, "\"%s\":null", key);
		return;
	}
	bprintf(b, "\"%s\":\"", key);
	for (const char *p = text; *p; p++) {
		if (*p == '"' || *p == '\\')
			bprintf(b, "\\%c", *p);
		else if ((unsigned char)*p >= 0x20)
			bprintf(b, "%c", *p);
	}
	bprintf(b, "\"");
}

static void status_json(struct buf *b, const struct row *r, size_t n)
{
	bprintf(b, "{\"services\":[");
	for (size_t i = 0; i < n; i++) {
		const struct svc_status *s = &r[i].st;
		bool addr = r[i].addr[0] != '-';

		bprintf(b, "%s{\"name\":\"%s\",\"state\":\"%s\",\"pid\":%d,"
			"\"uptime_s\":%llu,\"restarts\":%u,\"oom_kills\":%u,"
			"\"log_dropped\":%llu,",
			i ? "," : "", s->conf->name, s->state, (int)s->pid,
			(unsigned long long)r[i].uptime_s, s->restarts, s->oom_kills,
			(unsigned long long)s->log_dropped);
		json_u64(b, "cpu_us", r[i].cpu_us);
		json_u64(b, "memory", r[i].mem);
		json_u64(b, "memory_limit", s->conf->memory);
		bprintf(b, "\"address\":%s%s%s,\"address6\":%s%s%s,",
			addr ? "\"" : "", addr ? r[i].addr : "null", addr ? "\"" : "",
			r[i].addr6[0] ? "\"" : "", r[i].addr6[0] ? r[i].addr6 : "null",
			r[i].addr6[0] ? "\"" : "");
		json_text(b, "reason", s->reason);
		bprintf(b, ",");
		json_text(b, "health", s->health);
		bprintf(b, ",");
		json_text(b, "status_text", s->status_text[0] ? s->status_text : NULL);
		bprintf(b, "}");
	}
	bprintf(b, "]");
}

/* The watchdog, as a JSON member or a line after the table (only when
 * one is armed). */
static void status_watchdog(struct buf *b, bool json)
{
	struct watchdog_status w;
	uint64_t ago;

	watchdog_get_status(&w);
	if (!w.active) {
		if (json)
			bprintf(b, ",\"watchdog\":null");
		return;
	}
	ago = w.last_pet_ms ? now_ms() - w.last_pet_ms : 0;
	if (json)
		bprintf(b, ",\"watchdog\":{\"device\":\"%s\",\"identity\":\"%s\","
			"\"timeout_s\":%u,\"last_pet_ms_ago\":%llu,\"pets\":%llu,"
			"\"petting\":%s}", w.device, w.identity, w.timeout_s,
			(unsigned long long)ago, (unsigned long long)w.pets,
			w.petting ? "true" : "false");
	else
		bprintf(b, "watchdog: %s (%s), timeout %u s, last pet %llu.%03llu s ago%s\n",
			w.device, w.identity[0] ? w.identity : "?", w.timeout_s,
			(unsigned long long)(ago / 1000), (unsigned long long)(ago % 1000),
			w.petting ? "" : ", no more pets: shutting down");
}

static void status_table(struct buf *b, const struct row *r, size_t n)
{
	bprintf(b, "%-16s %-9s %7s %7s %8s %4s %7s %9s %13s %-15s %-13s %s\n", "NAME",
		"STATE", "PID", "UPTIME", "RESTARTS", "OOM", "LOGDROP", "CPU",
		"MEMORY/LIMIT", "ADDRESS", "HEALTH", "REASON");
	for (size_t i = 0; i < n; i++) {
		const struct svc_status *s = &r[i].st;
		char up[48], cpu[48], mem[24], lim[24], ml[50], pid[12];

		snprintf(pid, sizeof(pid), s->pid > 0 ? "%d" : "-", (int)s->pid);
		if (r[i].cpu_us == UINT64_MAX)
			snprintf(cpu, sizeof(cpu), "-");
		else
			snprintf(cpu, sizeof(cpu), "%llu.%02llus",
				 (unsigned long long)(r[i].cpu_us / 1000000),
				 (unsigned long long)(r[i].cpu_us % 1000000 / 10000));
		snprintf(ml, sizeof(ml), "%s/%s", fmt_size(r[i].mem, mem, sizeof(mem)),
			 s->conf->memory == UINT64_MAX ? "-" : fmt_size(s->conf->memory, lim, sizeof(lim)));
		/* REASON: why it is down, or what a running one says (STATUS=) */
		bprintf(b, "%-16s %-9s %7s %7s %8u %4u %7llu %9s %13s %-15s %-13s %s\n",
			s->conf->name, s->state, pid,
			s->pid > 0 ? duration(r[i].uptime_s, up, sizeof(up)) : "-",
			s->restarts, s->oom_kills, (unsigned long long)s->log_dropped,
			cpu, ml, r[i].both, s->health ? s->health : "-",
			s->reason[0] ? s->reason : s->status_text);
	}
}

int control_status(const char *name, bool json, struct buf *b, struct err *msg)
{
	size_t n = supervise_count(), k = 0;
	struct row *rows = calloc(n ? n : 1, sizeof(*rows));
	int code = CTL_OK;

	if (!rows) {
		err_setx(msg, -ENOMEM, "out of memory");
		return CTL_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		struct svc_status st;

		if (supervise_status(i, &st) == 0 && (!name || !strcmp(st.conf->name, name)))
			row_of(i, &rows[k++]);
	}
	if (name && !k) {
		err_setx(msg, -ENOENT, "%s: no such service", name);
		code = CTL_NOT_FOUND;
	} else {
		if (json)
			status_json(b, rows, k);
		else
			status_table(b, rows, k);
		if (!name)
			status_watchdog(b, json);
		if (json)
			bprintf(b, "}\n");
		if (b->used + 1 >= b->len) {
			/* cut short: say so, and never hand out half a JSON document */
			err_setx(msg, -EMSGSIZE, "status of %zu services cut at %zu bytes: ask for one (status NAME)",
				 k, b->len);
			if (json)
				b->p[0] = '\0';
			code = CTL_ERROR;
		} else if (name && !rows[0].st.running) {
			err_setx(msg, 0, "%s: %s", name, rows[0].st.state);
			code = CTL_NOT_FOUND;
		}
	}
	free(rows);
	return code;
}

int control_top(struct buf *b, struct err *msg)
{
	size_t n = supervise_count();

	for (size_t i = 0; i < n; i++) {
		struct svc_status st;
		uint64_t cpu = UINT64_MAX, mem = UINT64_MAX;
		int procs = -1;

		if (supervise_status(i, &st) < 0)
			continue;
		if (st.has_cgroup) {
			cgroup_usage(st.conf->name, &cpu, &mem);
			procs = cgroup_nprocs(st.conf->name);
			if (procs > 0 && st.ahead)
				procs--;        /* not the service's: a reaper waiting */
		}
		bprintf(b, "%s\t%s\t%d\t%lld\t%lld\t%lld\t%d\t%u\t%u\t%s\n", st.conf->name,
			st.state, (int)st.pid, cpu == UINT64_MAX ? -1LL : (long long)cpu,
			mem == UINT64_MAX ? -1LL : (long long)mem,
			st.conf->memory == UINT64_MAX ? -1LL : (long long)st.conf->memory,
			procs, st.restarts, st.oom_kills, st.health ? st.health : "-");
	}
	if (b->used + 1 >= b->len) {
		err_setx(msg, -EMSGSIZE, "top of %zu services cut at %zu bytes", n, b->len);
		return CTL_ERROR;
	}
	return CTL_OK;
}
