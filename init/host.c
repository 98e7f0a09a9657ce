/* SPDX-License-Identifier: MIT */
/* host: identity, loopback, modules, network, watchdog. See host.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "boot.h"
#include "err.h"
#include "host.h"
#include "kmod.h"
#include "kmod_bg.h"
#include "link.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "shutdown.h"
#include "supervise.h"
#include "timeline.h"
#include "watchdog.h"

static struct {
	bool pending;                   /* modules to load, the network after them */
	bool watchdog_later;            /* its device may come with a module */
	struct loop_child child;        /* the child loading them */
	int fd;                         /* ... its timeline entries */
	int tl;
	const struct config *cfg;       /* the boot's, for when supervise has none */
} m = { .fd = -1 };

/* The machine's network: sysctls, bridge, uplinks, NAT (as a supervisor
 * too: removed again at exit). */
static void network(const struct config *cfg)
{
	int tl = timeline_begin(TL_STEP, "network");

	timeline_end(tl, net_host_setup(cfg) == 0);
}

void host_boot(const struct config *cfg, bool pid1)
{
	struct err e;

	if (pid1) {
		boot_hostname(cfg->hostname);
		if (link_loopback_up(&e) < 0) {
			err_prefix(&e, "bring up lo");
			err_log(&e, LOG_LV_ERR);
		}
	}
	if (cfg->modules && cfg->modules[0]) {
		m.pending = true;
		net_host_sysctls_early(cfg);
		return;
	}
	network(cfg);
}

void host_watchdog_check(const struct config *cfg)
{
	uint64_t longest = 0;

	if (watchdog_start(cfg->watchdog, cfg->watchdog_timeout_ms / 1000) < 0)
		return;
	for (size_t i = 0; i < cfg->nsvcs; i++)
		if (cfg->svcs[i].stop_timeout_ms > longest)
			longest = cfg->svcs[i].stop_timeout_ms;
	if (cfg->watchdog_shutdown_timeout_ms < longest + 2 * SHUTDOWN_GRACE_MS)
		log_warn("watchdog_shutdown_timeout = %u s is shorter than the longest "
			 "stop_timeout (%llu ms) and the shutdown's grace: a slow stop "
			 "gets the board reset", cfg->watchdog_shutdown_timeout_ms / 1000,
			 (unsigned long long)longest);
}

void host_loop_ready(const struct config *cfg)
{
	if (!m.pending)
		net_watch(supervise_config);
	if (cfg->watchdog && m.pending && access(cfg->watchdog, F_OK) < 0)
		m.watchdog_later = true;
	else if (cfg->watchdog)
		host_watchdog_check(cfg);
}

bool host_modules_pending(void)
{
	return m.pending;
}

/* The boot's modules are in: the watchdog if it waited for them, the
 * machine's network, the tables watched. */
static void modules_in(const struct config *cfg)
{
	m.pending = false;
	if (m.watchdog_later && cfg->watchdog) {
		m.watchdog_later = false;
		host_watchdog_check(cfg);
	}
	if (supervise_stopping())
		return;
	network(cfg);
	net_watch(supervise_config);
}

/* The child loading the modules has exited: what modules_in() does, then
 * the services that waited for it. */
static void on_modules(struct loop_child *c, int wstatus)
{
	const struct config *cfg = supervise_config() ? supervise_config() : m.cfg;
	int r = kmod_bg_finish(m.fd, wstatus);

	c->pid = 0;
	m.fd = -1;
	timeline_end(m.tl, r == 0);
	modules_in(cfg);
	supervise_hold_host(false);
}

void host_modules(const struct config *cfg)
{
	pid_t pid;

	if (!m.pending)
		return;
	m.cfg = cfg;
	m.tl = timeline_begin(TL_STEP, "modules");
	pid = kmod_bg_start(cfg->modules, &m.fd);
	if (pid > 0) {
		m.child.pid = pid;
		m.child.fn = on_modules;
		loop_child_watch(&m.child);
		supervise_hold_host(true);
		return;
	}
	log_warn("modules: no loader process (%s): loading them first", strerror(-pid));
	timeline_end(m.tl, kmod_load_list(NULL, cfg->modules) == 0);
	modules_in(cfg);
}
