// SPDX-License-Identifier: MIT
/*
 * config_doc: the key reference, generated from the key table
 * (config_keys.c): `boxinit --help-config` (text for a terminal, 80
 * columns) and the README's tables (Markdown, `make readme-keys`). One
 * function per format behind config_print_keys(); a man page
 * (boxinit.conf(5)) is one more.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "config_keys.h"
#include "config_priv.h"

#define TEXT_WIDTH  79
#define TEXT_INDENT 6

static const char global_title[] = "Global keys: KEY = VALUE";
static const char svc_title[] =
	"Service keys: service.NAME.KEY = VALUE (NAME: " SVC_NAME_RULE
	"), or default.KEY = VALUE for every service that does not set KEY";
static const char md_rule[] =
	"A default in `code` is a value; in plain text, what happens without "
	"the key. An empty value is an error, except for a list: it clears the "
	"list.";
static const char empty_rule[] =
	"A default in parentheses is what happens without the key. An empty "
	"value is an error, except for a list: it clears the list.";

/* A default in parentheses is a description, not a value. */
static bool dflt_is_prose(const char *d)
{
	return d[0] == '(';
}

/* @s at column @indent, words wrapped at TEXT_WIDTH, @hang deeper below. */
static void text_wrapped(FILE *out, int indent, int hang, const char *s)
{
	int col = fprintf(out, "%*s", indent, "");
	bool first = true;

	while (*s) {
		size_t n = strcspn(s, " ");

		if (!first && col + 1 + (int)n > TEXT_WIDTH)
			col = fprintf(out, "\n%*s", indent + hang, "") - 1;
		else if (!first)
			col += fprintf(out, " ");
		col += fprintf(out, "%.*s", (int)n, s);
		first = false;
		s += n;
		s += strspn(s, " ");
	}
	fputc('\n', out);
}

/* "values: EXPECT", and "(RANGE)" when the row has one */
static void values_text(char *buf, size_t size, const struct conf_key *k)
{
	const char *range = conf_key_str(k, KS_RANGE);

	snprintf(buf, size, "values: %s%s%s%s", conf_key_str(k, KS_EXPECT),
		 *range ? " (" : "", range, *range ? ")" : "");
}

static void text_table(FILE *out, const char *title,
		       const struct conf_key *keys, size_t n)
{
	char values[CONF_LINE_MAX];

	text_wrapped(out, 0, 2, title);
	fputc('\n', out);
	for (size_t i = 0; i < n; i++) {
		const struct conf_key *k = &keys[i];

		fprintf(out, "  %-20s %-10s default %s\n",
			conf_key_str(k, KS_NAME), conf_key_str(k, KS_TYPE),
			conf_key_str(k, KS_DEFAULT));
		text_wrapped(out, TEXT_INDENT, 2, conf_key_str(k, KS_HELP));
		values_text(values, sizeof(values), k);
		text_wrapped(out, TEXT_INDENT, 2, values);
	}
}

static void print_text(FILE *out)
{
	text_table(out, global_title, conf_global_keys, conf_nglobal_keys);
	fputc('\n', out);
	text_table(out, svc_title, conf_svc_keys, conf_nsvc_keys);
	fputc('\n', out);
	text_wrapped(out, 0, 0, empty_rule);
}

/* @s in a Markdown table cell: what Markdown would read as markup escaped. */
static void md_cell(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (strchr("|\\*_[]<`", *s))
			fputc('\\', out);
		fputc(*s, out);
	}
}

static void md_table(FILE *out, const struct conf_key *keys, size_t n)
{
	char values[CONF_LINE_MAX];

	fputs("| key | type | default | values | description |\n"
	      "|---|---|---|---|---|\n", out);
	for (size_t i = 0; i < n; i++) {
		const struct conf_key *k = &keys[i];
		const char *d = conf_key_str(k, KS_DEFAULT);

		fprintf(out, "| `%s` | %s | ", conf_key_str(k, KS_NAME),
			conf_key_str(k, KS_TYPE));
		if (dflt_is_prose(d)) {
			snprintf(values, sizeof(values), "%.*s",
				 (int)strlen(d) - 2, d + 1);
			md_cell(out, values);
		} else {
			fputc('`', out);
			md_cell(out, d);
			fputc('`', out);
		}
		fputs(" | ", out);
		values_text(values, sizeof(values), k);
		md_cell(out, values + 8);       /* without "values: " */
		fputs(" | ", out);
		md_cell(out, conf_key_str(k, KS_HELP));
		fputs(" |\n", out);
	}
}

static void print_markdown(FILE *out)
{
	fputs("<!-- generated from modules/config/config_keys.c by "
	      "`make readme-keys`: edit the table there -->\n", out);
	fputs("\nGlobal keys, `KEY = VALUE`:\n\n", out);
	md_table(out, conf_global_keys, conf_nglobal_keys);
	fputs("\nService keys, `service.NAME.KEY = VALUE`, or `default.KEY = "
	      "VALUE` for every service that does not set KEY:\n\n", out);
	md_table(out, conf_svc_keys, conf_nsvc_keys);
	fprintf(out, "\n%s\n", md_rule);
}

/* @s as mdoc text: a line that would start with "." or "'" is escaped,
 * backslashes doubled. */
static void man_text(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else
			fputc(*s, out);
	}
}

static void man_list(FILE *out, const struct conf_key *keys, size_t n)
{
	char values[CONF_LINE_MAX];

	fputs(".Bl -tag -width Ds\n", out);
	for (size_t i = 0; i < n; i++) {
		const struct conf_key *k = &keys[i];

		fprintf(out, ".It Cm %s Ar %s\n", conf_key_str(k, KS_NAME),
			conf_key_str(k, KS_TYPE));
		man_text(out, conf_key_str(k, KS_HELP));
		fputs(".\nDefault: ", out);
		man_text(out, conf_key_str(k, KS_DEFAULT));
		fputs(".\n", out);
		values_text(values, sizeof(values), k);
		fputs("Values: ", out);
		man_text(out, values + 8);
		fputs(".\n", out);
	}
	fputs(".El\n", out);
}

/* The key sections of boxinit.conf(5) (mdoc), for doc/boxinit.conf.5.in. */
static void print_man(FILE *out)
{
	fputs(".\\\" generated from modules/config/config_keys.c\n"
	      ".Ss Global keys\n"
	      "Written as\n.Ql KEY = VALUE .\n", out);
	man_list(out, conf_global_keys, conf_nglobal_keys);
	fputs(".Ss Service keys\n"
	      "Written as\n.Ql service.NAME.KEY = VALUE ,\n"
	      "or\n.Ql default.KEY = VALUE\nfor every service that does not set KEY.\n", out);
	man_list(out, conf_svc_keys, conf_nsvc_keys);
	fputs(".Pp\n", out);
	/* one sentence a line, as mdoc wants */
	for (const char *p = empty_rule; *p;) {
		const char *dot = strstr(p, ". ");
		size_t n = dot ? (size_t)(dot - p) + 1 : strlen(p);
		char line[160];

		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		man_text(out, line);
		fputc('\n', out);
		p += n;
		p += strspn(p, " ");
	}
}

int config_doc_format(const char *name)
{
	if (!name || !strcmp(name, "text"))
		return CONF_DOC_TEXT;
	if (!strcmp(name, "markdown"))
		return CONF_DOC_MARKDOWN;
	if (!strcmp(name, "man"))
		return CONF_DOC_MAN;
	return -EINVAL;
}

int config_print_keys(FILE *out, enum conf_doc_format fmt)
{
	switch (fmt) {
	case CONF_DOC_TEXT:
		print_text(out);
		break;
	case CONF_DOC_MARKDOWN:
		print_markdown(out);
		break;
	case CONF_DOC_MAN:
		print_man(out);
		break;
	default:
		return -EINVAL;
	}
	if (fflush(out) || ferror(out))
		return -EIO;
	return 0;
}
