/* SPDX-License-Identifier: MIT */
/*
 * boxctl_boot: "boxctl boot", the client's view of this boot's timeline:
 * a table sorted by start with the critical path marked, or a Gantt chart
 * as SVG (one bar per step, services coloured by outcome), the way
 * `systemd-analyze plot` draws one. See control_priv.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_priv.h"
#include "timeline.h"
#include "util.h"

#define BOOT_BODY_MAX (TIMELINE_MAX * 128u + 128u)

struct step {
	char kind[8], outcome[8], name[TIMELINE_NAME_MAX];
	int critical;
	unsigned long long start, exec, end;    /* µs since boxinit began */
};

/* Parse the body of "boot" (see control_boot) into @st; returns the count. */
static size_t parse(char *body, struct step *st, size_t max,
		    unsigned long long *t0)
{
	size_t n = 0;
	char *line = strtok(body, "\n");

	*t0 = 0;
	if (line && !strncmp(line, "t0\t", 3)) {
		*t0 = strtoull(line + 3, NULL, 10);
		line = strtok(NULL, "\n");
	}
	for (; line && n < max; line = strtok(NULL, "\n")) {
		struct step *s = &st[n];
		char *f[7], *p = line;
		int k = 0;

		while (k < 7 && p)
			f[k++] = strsep(&p, "\t");
		if (k < 7)
			continue;
		snprintf(s->kind, sizeof(s->kind), "%s", f[0]);
		snprintf(s->outcome, sizeof(s->outcome), "%s", f[1]);
		s->critical = f[2][0] == '1';
		s->start = strtoull(f[3], NULL, 10);
		s->exec = strtoull(f[4], NULL, 10);
		s->end = strtoull(f[5], NULL, 10);
		snprintf(s->name, sizeof(s->name), "%s", f[6]);
		n++;
	}
	return n;
}

static int by_start(const void *a, const void *b)
{
	const struct step *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The time the last step ended (the pending ones are drawn to it). */
static unsigned long long last_end(const struct step *st, size_t n)
{
	unsigned long long m = 1;

	for (size_t i = 0; i < n; i++) {
		if (st[i].end > m)
			m = st[i].end;
		if (st[i].start > m)
			m = st[i].start;
	}
	return m;
}

static void print_table(const struct step *st, size_t n, unsigned long long t0)
{
	printf("boxinit began at %llu.%03llu s of uptime; times in ms from then, "
	       "* on the critical path\n", t0 / 1000000, t0 / 1000 % 1000);
	printf("  %9s %9s %9s  %-7s %-24s %s\n", "START", "TIME", "EXEC", "KIND",
	       "NAME", "OUTCOME");
	for (size_t i = 0; i < n; i++) {
		const struct step *s = &st[i];
		char took[16] = "-", exec[16] = "-";

		if (s->end)
			snprintf(took, sizeof(took), "%.3f", (s->end - s->start) / 1000.0);
		if (s->exec)
			snprintf(exec, sizeof(exec), "+%.3f", (s->exec - s->start) / 1000.0);
		printf("%c %9.3f %9s %9s  %-7s %-24s %s\n", s->critical ? '*' : ' ',
		       s->start / 1000.0, took, exec, s->kind, s->name, s->outcome);
	}
}

/* @s with the characters XML gives a meaning escaped, into @out. */
static const char *xml(const char *s, char *out, size_t len)
{
	size_t k = 0;

	for (; *s && k + 7 < len; s++) {
		const char *e = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" :
				*s == '>' ? "&gt;" : *s == '"' ? "&quot;" : NULL;

		if (e) {
			memcpy(out + k, e, strlen(e));
			k += strlen(e);
		} else {
			out[k++] = *s;
		}
	}
	out[k] = '\0';
	return out;
}

static const char *fill_of(const struct step *s)
{
	if (!strcmp(s->outcome, "failed"))
		return "#c83232";
	if (!strcmp(s->outcome, "pending"))
		return "#d9a400";
	if (!strcmp(s->kind, "step"))
		return "#4a7ebb";
	if (!strcmp(s->kind, "module"))
		return "#8c8c8c";
	return "#3c9a3c";
}

#define SVG_LEFT  10
#define SVG_BAR_W 720           /* pixels for the whole boot */
#define SVG_ROW   18
#define SVG_TOP   40

static void write_svg(FILE *f, const struct step *st, size_t n)
{
	unsigned long long end = last_end(st, n);
	double px = (double)SVG_BAR_W / (double)end;    /* pixels per µs */
	unsigned long long tick = 1000;                 /* µs between grid lines */
	char name[TIMELINE_NAME_MAX * 6];
	int h = SVG_TOP + (int)n * SVG_ROW + 20;

	while (end / tick > 10)
		tick *= end / tick > 50 ? 10 : 2;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\">\n<style>text{font:11px monospace;fill:#222}"
		".grid{stroke:#ddd}.critical{stroke:#000;stroke-width:1.5}</style>\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n"
		"<text x=\"%d\" y=\"16\">boxinit boot: %zu steps, %.3f ms "
		"(black outline: critical path)</text>\n",
		SVG_LEFT * 2 + SVG_BAR_W + 260, h, SVG_LEFT * 2 + SVG_BAR_W + 260, h,
		SVG_LEFT, n, end / 1000.0);
	for (unsigned long long t = 0; t <= end; t += tick) {
		int x = SVG_LEFT + (int)(t * px);

		fprintf(f, "<line class=\"grid\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
			"<text x=\"%d\" y=\"%d\">%.0f ms</text>\n", x, SVG_TOP - 12, x,
			h - 20, x + 2, SVG_TOP - 14, t / 1000.0);
	}
	for (size_t i = 0; i < n; i++) {
		const struct step *s = &st[i];
		unsigned long long stop = s->end ? s->end : end;
		int x = SVG_LEFT + (int)(s->start * px), y = SVG_TOP + (int)i * SVG_ROW;
		int w = (int)((stop - s->start) * px);

		fprintf(f, "<rect class=\"bar %s %s%s\" x=\"%d\" y=\"%d\" width=\"%d\" "
			"height=\"%d\" fill=\"%s\"><title>%s %s: %.3f ms</title></rect>\n",
			s->kind, s->outcome, s->critical ? " critical" : "", x, y, w > 1 ? w : 1,
			SVG_ROW - 4, fill_of(s), s->kind, xml(s->name, name, sizeof(name)),
			(stop - s->start) / 1000.0);
		if (s->exec)    /* spawn -> exec, darker: the rest is exec -> ready */
			fprintf(f, "<rect class=\"exec\" x=\"%d\" y=\"%d\" width=\"%d\" "
				"height=\"%d\" fill=\"#000\" fill-opacity=\"0.25\"/>\n", x, y,
				(int)((s->exec - s->start) * px) + 1, SVG_ROW - 4);
		fprintf(f, "<text x=\"%d\" y=\"%d\">%s (%.3f ms)</text>\n", x + w + 4,
			y + SVG_ROW - 7, name, (stop - s->start) / 1000.0);
	}
	fprintf(f, "</svg>\n");
}

int boxctl_boot(const char *path, bool json, const char *svg)
{
	static struct step st[TIMELINE_MAX];
	char msg[CONTROL_REQ_MAX], *body = malloc(BOOT_BODY_MAX);
	unsigned long long t0;
	size_t n;
	int code;
	FILE *f;

	if (!body) {
		fprintf(stderr, "boxctl: boot: out of memory\n");
		return 1;
	}
	code = boxctl_ask(path, json && !svg ? "json boot" : "boot", json && !svg ? NULL : body,
			  BOOT_BODY_MAX, msg, sizeof(msg), false);
	if (code != CTL_OK) {
		free(body);
		if (code < 0)
			fprintf(stderr, "boxctl: %s: %s\n", path, strerror(-code));
		else
			fprintf(stderr, "boxctl: %s\n", msg);
		return 1;
	}
	if (json && !svg) {
		free(body);
		return 0;
	}
	n = parse(body, st, TIMELINE_MAX, &t0);
	free(body);
	sort_small(st, n, sizeof(st[0]), by_start);
	if (!svg) {
		print_table(st, n, t0);
		return 0;
	}
	f = fopen(svg, "w");
	if (!f) {
		fprintf(stderr, "boxctl: %s: %s\n", svg, strerror(errno));
		return 1;
	}
	write_svg(f, st, n);
	if (fclose(f) != 0) {
		fprintf(stderr, "boxctl: %s: %s\n", svg, strerror(errno));
		return 1;
	}
	return 0;
}
