// SPDX-License-Identifier: MIT
/*
 * fuzz_control: the control-socket request parser, control_handle()
 * (modules/control/control.c), on any request a root client could send: at most
 * CONTROL_REQ_MAX bytes, NUL-terminated (client_serve() refuses embedded
 * NULs before calling it; longer inputs are cut like the socket would).
 *
 * It runs against the real supervisor (modules/supervise/supervise.c, linked as is)
 * holding a table of services whose configs are invalid: every verb is
 * parsed and dispatched, but no request can fork a process (start and
 * restart answer "invalid configuration", stop "already stopped"). No
 * control_open(): reload/reboot answer "not available", nothing listens.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "log.h"
#include "supervise.h"

static const char table[] =
	"service.web.exec = /bin/httpd -f\n"
	"service.web.memory = 16M\n"
	"service.web.bogus = 1\n"
	"service.job.exec = /bin/true\n"
	"service.job.type = oneshot\n"
	"service.job.bogus = 1\n"
	"service.a-b_c.bogus = 1\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct config *cfg = malloc(sizeof(*cfg));
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (fd >= 0)
		log_open(fd);           /* no "start requested" lines on stderr */
	if (!cfg)
		abort();
	config_init(cfg);
	config_parse_buffer(cfg, "fuzz.conf", table, sizeof(table) - 1);
	config_finish(cfg);
	if (cfg->nsvcs != 3)
		abort();
	for (size_t i = 0; i < cfg->nsvcs; i++)
		if (!cfg->svcs[i].invalid)
			abort();        /* a valid one could be started: fork */
	if (supervise_init(cfg, NULL, NULL) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char req[CONTROL_REQ_MAX + 1], *out;
	struct err msg;
	size_t n = size < CONTROL_REQ_MAX ? size : CONTROL_REQ_MAX;
	size_t outlen = 64u * 1024u;
	int code;

	if (memchr(data, '\0', n))
		return 0;               /* refused by client_serve() */
	memcpy(req, data, n);
	req[n] = '\0';
	out = malloc(outlen);
	if (!out)
		return 0;
	code = control_handle(req, out, outlen, &msg);
	if (code != CTL_OK && code != CTL_ERROR && code != CTL_NOT_FOUND)
		abort();
	if (strnlen(out, outlen) >= outlen || strnlen(msg.msg, sizeof(msg.msg)) >= sizeof(msg.msg))
		abort();
	/* a refusal carries a -errno, a success none */
	if ((code == CTL_ERROR && msg.msg[0] && msg.code >= 0) || (code == CTL_OK && msg.code))
		abort();
	/* every refusal says why; "reload" without control_open()'s ops is
	 * the one silent CTL_ERROR (boxinit's reload always writes @msg) */
	if (code != CTL_OK && !msg.msg[0] && !strstr(req, "reload"))
		abort();
	/* the same request with a tiny body buffer must truncate, not overflow */
	code = control_handle(req, out, 8, &msg);
	if (strnlen(out, 8) >= 8)
		abort();
	free(out);
	return 0;
}
