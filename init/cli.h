/* SPDX-License-Identifier: MIT */
/* cli: boxinit's command line, and the commands that are not a boot. */
#ifndef BOXINIT_CLI_H
#define BOXINIT_CLI_H

#include <stdbool.h>

#include "config.h"

/* What a run (PID 1 or a supervisor) takes from the command line. */
struct cli {
	const char *config_path;        /* --config, or NULL */
	const char *socket_path;        /* --socket, default CONTROL_DEFAULT_PATH */
	const char *log_dir;            /* --log-dir, or NULL */
};

/*
 * cli_parse - read boxinit's arguments @argc/@argv into @o. A command
 * that is not a run (boxctl, "ctl", --check, --modules, --help-config,
 * --version, --help, a usage error) is carried out and its exit code
 * returned; -1: boot or supervise with @o. As PID 1 (@pid1) arguments the
 * kernel passed on (the ones it did not understand) are ignored and only
 * a run is possible.
 */
int cli_parse(int argc, char **argv, bool pid1, struct cli *o);

/*
 * cli_print_diags - every diagnostic of @cfg as "SOURCE:LINE: message",
 * to the log (@to_log) or to stderr.
 */
void cli_print_diags(const struct config *cfg, bool to_log);

#endif
