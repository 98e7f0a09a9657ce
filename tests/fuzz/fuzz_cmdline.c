// SPDX-License-Identifier: MIT
/*
 * fuzz_cmdline: the kernel command-line parser (modules/config/config_cmdline.c).
 * The input is /proc/cmdline as the kernel would hand it (NUL-terminated
 * here; embedded NULs end it, as in a C string): cmdline_conf_path(),
 * then config_apply_cmdline() over a small valid file and config_finish(),
 * the boot sequence of config_load() without the file system.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static const char base[] =
	"hostname = box\n"
	"service.web.exec = /bin/httpd -f\n"
	"service.web.memory = 16M\n"
	"service.job.exec = /bin/true\n"
	"service.job.type = oneshot\n"
	"service.web.after = job\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char *cmdline = malloc(size + 1), *path;

	if (!cmdline)
		return 0;
	memcpy(cmdline, data, size);
	cmdline[size] = '\0';

	path = cmdline_conf_path(cmdline);
	if (path && !*path)
		abort();        /* "boxinit.conf=" with no value must not pick "" */
	free(path);

	config_init(&cfg);
	config_parse_buffer(&cfg, "base.conf", base, sizeof(base) - 1);
	config_apply_cmdline(&cfg, cmdline);
	config_finish(&cfg);
	for (size_t i = 0; i < cfg.ndiags; i++)
		if (!cfg.diags[i].source || !cfg.diags[i].msg)
			abort();
	config_free(&cfg);
	free(cmdline);
	return 0;
}
