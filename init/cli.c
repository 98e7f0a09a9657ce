/* SPDX-License-Identifier: MIT */
/* cli: boxinit's command line, and the commands that are not a boot.
 * See cli.h. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "control.h"
#include "kmod.h"
#include "log.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: boxinit [--config FILE] [--socket PATH] [--log-dir DIR]\n"
		"                                    run (PID 1, or a foreground supervisor)\n"
		"       boxinit --check [--config FILE]  validate a config; exit 0 valid, 1 not\n"
		"       boxinit --modules[=DIR] [--config FILE]  the modules `modules =` loads,\n"
		"                                    in order, and why (DIR: a lib/modules/REL tree)\n"
		"       boxinit --help-config[=text|markdown]  every config key: type, default,\n"
		"                                    accepted values, what it does\n"
		"       boxinit ctl VERB ...  (or boxctl VERB ...)  control a running boxinit\n"
		"       boxinit --version | --help\n"
		"\n"
		"As PID 1 the config is " CONF_DEFAULT_PATH ", or boxinit.conf=PATH on the\n"
		"kernel command line; boxinit.KEY=VALUE there overrides any key.\n"
		"Signals: TERM/INT reboot, USR1 halt, USR2 power off, HUP reload.\n");
}

/* Print every diagnostic as "SOURCE:LINE: message". */
void cli_print_diags(const struct config *cfg, bool to_log)
{
	for (size_t i = 0; i < cfg->ndiags; i++) {
		const struct conf_diag *d = &cfg->diags[i];

		if (to_log && d->line > 0)
			log_err("%s:%d: %s", d->source, d->line, d->msg);
		else if (to_log)
			log_err("%s: %s", d->source, d->msg);
		else if (d->line > 0)
			fprintf(stderr, "%s:%d: %s\n", d->source, d->line, d->msg);
		else
			fprintf(stderr, "%s: %s\n", d->source, d->msg);
	}
}

static int run_check(const char *path)
{
	struct config cfg;
	size_t valid = 0;
	int n;

	config_init(&cfg);
	n = config_load(&cfg, path ? path : CONF_DEFAULT_PATH, NULL);
	cli_print_diags(&cfg, false);
	config_print_defaults(&cfg, stdout);
	for (size_t i = 0; i < cfg.nsvcs; i++)
		valid += !cfg.svcs[i].invalid;
	if (n == 0)
		printf("%s: OK (%zu services)\n", path ? path : CONF_DEFAULT_PATH,
		       cfg.nsvcs);
	else
		printf("%s: %d error%s (%zu of %zu services valid)\n",
		       path ? path : CONF_DEFAULT_PATH, n, n == 1 ? "" : "s",
		       valid, cfg.nsvcs);
	config_free(&cfg);
	return n == 0 ? 0 : 1;
}

/* --help-config[=FORMAT]: the key reference, from the key table. */
static int run_help_config(const char *format)
{
	int fmt = config_doc_format(format);

	if (fmt < 0) {
		fprintf(stderr, "boxinit: --help-config=%s: unknown format "
			"(expected text or markdown)\n", format);
		return 1;
	}
	if (config_print_keys(stdout, (enum conf_doc_format)fmt) < 0) {
		fprintf(stderr, "boxinit: --help-config: cannot write: %s\n",
			strerror(errno));
		return 1;
	}
	return 0;
}

/* --modules[=DIR]: the plan of the config's `modules =`, on stdout. */
static int run_modules(const char *path, const char *dir)
{
	struct config cfg;
	int n, r;

	config_init(&cfg);
	n = config_load(&cfg, path ? path : CONF_DEFAULT_PATH, NULL);
	cli_print_diags(&cfg, false);
	r = kmod_plan(dir, cfg.modules, stdout);
	config_free(&cfg);
	return n == 0 && r == 0 ? 0 : 1;
}

static const char *basename_of(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

int cli_parse(int argc, char **argv, bool pid1, struct cli *o)
{
	static const struct option opts[] = {
		{ "config",  required_argument, NULL, 'c' },
		{ "socket",  required_argument, NULL, 's' },
		{ "log-dir", required_argument, NULL, 'l' },
		{ "check",   no_argument,       NULL, 'n' },
		{ "modules", optional_argument, NULL, 'm' },
		{ "help-config", optional_argument, NULL, 'K' },
		{ "version", no_argument,       NULL, 'V' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *modules_dir = NULL, *doc_format = NULL;
	bool check = false, modules = false, help_config = false;
	int opt;

	o->config_path = NULL;
	o->socket_path = CONTROL_DEFAULT_PATH;
	o->log_dir = NULL;
	if (!pid1 && !strcmp(basename_of(argv[0]), "boxctl"))
		return boxctl_main(argc, argv);
	if (!pid1 && argc > 1 && !strcmp(argv[1], "ctl"))
		return boxctl_main(argc - 1, argv + 1);
	/* As PID 1, the kernel hands us arguments it did not understand:
	 * never stop on them. */
	opterr = !pid1;
	while ((opt = getopt_long(argc, argv, "c:nVh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': o->config_path = optarg; break;
		case 's': o->socket_path = optarg; break;
		case 'l': o->log_dir = optarg; break;
		case 'n': check = true; break;
		case 'm': modules = true; modules_dir = optarg; break;
		case 'K': help_config = true; doc_format = optarg; break;
		case 'V':
			if (pid1)
				break;  /* PID 1 never exits */
			printf("boxinit %s\n", BOXINIT_VERSION);
			return 0;
		case 'h':
			if (pid1)
				break;
			usage(stdout);
			return 0;
		default:
			if (!pid1) {
				usage(stderr);
				return 1;
			}
		}
	}
	if (check && !pid1)
		return run_check(o->config_path);
	if (modules && !pid1)
		return run_modules(o->config_path, modules_dir);
	if (help_config && !pid1)
		return run_help_config(doc_format);
	return -1;
}
