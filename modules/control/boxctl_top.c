/* SPDX-License-Identifier: MIT */
/*
 * boxctl_top: "boxctl top", a live view of the services for a serial
 * console or an ssh session: CPU % (from each cgroup's usage between two
 * samples), memory and its limit, processes, restarts, OOM kills and
 * state, sorted by CPU, in 80 columns, with plain ANSI sequences (no
 * terminfo). 'q' or Ctrl-C quits; --once prints one frame. See
 * control_priv.h.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "config.h"
#include "control_priv.h"
#include "fmt.h"
#include "util.h"

#define TOP_MAX      256u                    /* services shown */
#define TOP_BODY_MAX (TOP_MAX * 128u)
#define TOP_EVERY_MS 1000

struct row {
	char name[CONF_NAME_MAX + 1], state[12], health[16];
	int pid, procs;
	long long cpu_us, mem, limit;           /* -1: unknown / none */
	unsigned restarts, ooms;
	double cpu_pct;                         /* -1: unknown */
};

struct sample {
	struct row r[TOP_MAX];
	size_t n;
	uint64_t at_ms;
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	stop = 1;
}

/* One "top" request into @s. Returns 0, or the exit code after a message. */
static int take(const char *path, struct sample *s, char *body)
{
	char msg[CONTROL_REQ_MAX], *line, *save = NULL;
	int code = boxctl_ask(path, "top", body, TOP_BODY_MAX, msg, sizeof(msg), false);

	if (code != CTL_OK) {
		fprintf(stderr, "boxctl: %s\n", code < 0 ? strerror(-code) : msg);
		return 1;
	}
	s->at_ms = now_ms();
	s->n = 0;
	for (line = strtok_r(body, "\n", &save); line && s->n < TOP_MAX;
	     line = strtok_r(NULL, "\n", &save)) {
		struct row *r = &s->r[s->n];
		char *f[10], *p = line;
		int k = 0;

		while (k < 10 && p)
			f[k++] = strsep(&p, "\t");
		if (k < 10)
			continue;
		snprintf(r->name, sizeof(r->name), "%s", f[0]);
		snprintf(r->state, sizeof(r->state), "%s", f[1]);
		r->pid = atoi(f[2]);
		r->cpu_us = atoll(f[3]);
		r->mem = atoll(f[4]);
		r->limit = atoll(f[5]);
		r->procs = atoi(f[6]);
		r->restarts = (unsigned)atoi(f[7]);
		r->ooms = (unsigned)atoi(f[8]);
		/* "healthy" -> "ok", "unhealthy 2/3" -> "bad 2/3": 7 columns */
		if (!strcmp(f[9], "healthy"))
			snprintf(r->health, sizeof(r->health), "ok");
		else if (!strncmp(f[9], "unhealthy ", 10))
			snprintf(r->health, sizeof(r->health), "bad %.5s", f[9] + 10);
		else
			snprintf(r->health, sizeof(r->health), "%.7s", f[9]);
		r->cpu_pct = -1;
		s->n++;
	}
	return 0;
}

/* CPU % of each row of @now against the same service in @then. */
static void rate(struct sample *now, const struct sample *then)
{
	double dt_us = (double)(now->at_ms - then->at_ms) * 1000.0;

	for (size_t i = 0; i < now->n; i++) {
		struct row *r = &now->r[i];

		for (size_t j = 0; j < then->n && dt_us > 0; j++) {
			const struct row *o = &then->r[j];

			if (strcmp(o->name, r->name) || r->cpu_us < 0 || o->cpu_us < 0)
				continue;
			r->cpu_pct = r->cpu_us >= o->cpu_us ?
				     (double)(r->cpu_us - o->cpu_us) * 100.0 / dt_us : 0;
		}
	}
}

static int by_cpu(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->cpu_pct != y->cpu_pct)
		return x->cpu_pct < y->cpu_pct ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* a figure of "top": -1 is unknown */
static uint64_t known(long long v)
{
	return v < 0 ? UINT64_MAX : (uint64_t)v;
}

static void frame(struct sample *s, bool ansi)
{
	sort_small(s->r, s->n, sizeof(s->r[0]), by_cpu);
	if (ansi)
		fputs("\033[H\033[2J", stdout);
	printf("boxctl top: %zu services, every %d s%s\n", s->n, TOP_EVERY_MS / 1000,
	       ansi ? "; q quits" : "");
	printf("%-14s %-8s %-7s %7s %6s %6s %6s %5s %7s %4s\n", "NAME", "STATE",
	       "HEALTH", "PID", "CPU%", "MEM", "LIMIT", "PROCS", "RESTART", "OOM");
	for (size_t i = 0; i < s->n; i++) {
		const struct row *r = &s->r[i];
		char cpu[24] = "-", mem[24], lim[24], pid[12] = "-", procs[12] = "-";

		if (r->cpu_pct >= 0)
			snprintf(cpu, sizeof(cpu), "%.1f", r->cpu_pct);
		if (r->pid > 0)
			snprintf(pid, sizeof(pid), "%d", r->pid);
		if (r->procs >= 0)
			snprintf(procs, sizeof(procs), "%d", r->procs);
		printf("%-14.14s %-8.8s %-7.7s %7s %6s %6s %6s %5s %7u %4u\n", r->name,
		       r->state, r->health, pid, cpu, fmt_size(known(r->mem), mem, sizeof(mem)),
		       fmt_size(known(r->limit), lim, sizeof(lim)), procs, r->restarts, r->ooms);
	}
	fflush(stdout);
}

/* Wait up to TOP_EVERY_MS for 'q' on a terminal; true: quit. */
static bool wait_key(bool tty)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	char c;

	if (poll(&p, tty ? 1 : 0, TOP_EVERY_MS) > 0 && read(0, &c, 1) == 1)
		return c == 'q' || c == 'Q';
	return stop != 0;
}

int boxctl_top(const char *path, bool once)
{
	static struct sample a, b;
	struct sample *now = &a, *then = &b, *t;
	struct sigaction sa = { .sa_handler = on_stop };
	struct termios old, raw;
	bool tty = !once && isatty(0) && tcgetattr(0, &old) == 0;
	char *body = malloc(TOP_BODY_MAX);
	int r = 0;

	if (!body) {
		fprintf(stderr, "boxctl: top: out of memory\n");
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (tty) {
		raw = old;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(0, TCSANOW, &raw);
	}
	if ((r = take(path, then, body)) != 0)
		goto out;
	while (!stop) {
		if (wait_key(tty) || (r = take(path, now, body)) != 0)
			break;
		rate(now, then);
		frame(now, !once);
		if (once)
			break;
		t = then;
		then = now;
		now = t;
	}
out:
	if (tty)
		tcsetattr(0, TCSANOW, &old);
	free(body);
	return r;
}
