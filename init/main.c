/* SPDX-License-Identifier: MIT */
/*
 * boxinit - a static PID 1 for appliance images.
 *
 * Read top to bottom, this file is the life of the machine:
 *   1. mount the API filesystems, open the console         (boot.c, mount.c)
 *   2. read the config: file + kernel command line          (config*.c)
 *   3. hostname, loopback, the machine's network            (host.c, link.c, net*.c)
 *   4. cgroups, control socket, the kernel modules (in a    (cgroup.c, control.c,
 *      child, while 5 goes on: the network after them),      host.c, kmod_bg.c,
 *      start the services                                     supervise.c)
 *   5. the event loop: signals, child exits, timers, I/O    (loop.c)
 *   6. shutdown: stop services, kill, sync, unmount, reboot (shutdown.c)
 *
 * Not PID 1, it is a foreground supervisor for development and tests:
 * child subreaper, no mounts, no reboot(2); SIGTERM/SIGINT stop it.
 * Called as "boxctl" (or "boxinit ctl"), it is the control client.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "boot.h"
#include "bootguard.h"
#include "cgroup.h"
#include "cli.h"
#include "config.h"
#include "container.h"
#include "control.h"
#include "err.h"
#include "host.h"
#include "log.h"
#include "loop.h"
#include "mount.h"
#include "net.h"
#include "process.h"
#include "reaper.h"
#include "shutdown.h"
#include "signals.h"
#include "supervise.h"
#include "syslog_remote.h"
#include "timeline.h"
#include "util.h"
#include "watchdog.h"

#define RUN_LOG_DIR       "/run/boxinit"

static struct {
	bool pid1;
	const char *config_path;        /* --config, or NULL */
	char *cmdline;                  /* kernel command line (PID 1) */
	struct svc_conf emergency;      /* the emergency shell, if started */
	struct loop_handler sig;
	struct loop_handler con;        /* console, watched while output waits */
	struct loop_timer shutdown;     /* the shutdown's grace, then SIGKILL */
	struct loop_timer failed;       /* a failure_action, taken from the loop */
	int failed_cmd;                 /* ... RB_AUTOBOOT or RB_POWER_OFF */
	char failed_why[CONF_NAME_MAX + 16];
	bool shutdown_killed;           /* SIGKILL sent to what was left */
	uint64_t t0_us;                 /* boxinit's first instruction (CLOCK_BOOTTIME) */
	int shutdown_cmd;               /* RB_* for PID 1 */
} g = { .sig = { .fd = -1 }, .con = { .fd = -1 } };

/* A configuration read the way boot reads it: file, then command line. */
static struct config *load_config(void)
{
	struct config *cfg = malloc(sizeof(*cfg));

	if (!cfg)
		return NULL;
	config_init(cfg);
	config_load(cfg, g.config_path, g.cmdline);
	return cfg;
}

/* ---- shutdown and reload ------------------------------------------------ */

static void on_shutdown_timer(struct loop_timer *t);
static void set_control_plane(const char *socket_path, const char *logdir,
			      const char *state_dir);

static void request_shutdown(int cmd, const char *why)
{
	if (supervise_stopping()) {
		log_info("%s: already shutting down", why);
		return;
	}
	g.shutdown_cmd = cmd;
	g.shutdown.fn = on_shutdown_timer;
	loop_timer_set(&g.shutdown, now_ms() + supervise_longest_stop_ms() +
		       SHUTDOWN_GRACE_MS);
	/* from now on the watchdog resets the board unless the orderly path
	 * reaches reboot(2) in time: a hang while stopping cannot keep it up */
	watchdog_shutdown(supervise_config() ?
			  supervise_config()->watchdog_shutdown_timeout_ms / 1000 : 0);
	if (g.pid1)
		log_info("%s: %s", why, shutdown_verb(cmd));
	else
		log_info("%s: exiting", why);
	log_info("stopping services");
	supervise_stop_all();
}

/* A reload's logging: all but the log directory (the services' log files
 * are open there: a new log_dir takes effect at the next boot). */
static void reload_logging(const struct config *cfg)
{
	int r;

	log_set_console_stamps(cfg->console_timestamps);
	log_set_files((uint32_t)cfg->log_size, cfg->log_files);
	if ((r = syslog_remote_open(cfg->log_remote)) < 0)
		log_warn("log_remote = %s: %s: lines stay on this machine", cfg->log_remote,
			 strerror(-r));
}

/* Re-read the config; with any error, report it and change nothing. */
static int reload(struct err *e)
{
	struct config *cfg;

	if (supervise_stopping())
		return err_setx(e, -ESHUTDOWN, "shutting down");
	cfg = load_config();
	if (!cfg)
		return err_setx(e, -ENOMEM, "out of memory");
	if (cfg->ndiags) {
		cli_print_diags(cfg, true);
		err_setx(e, -EINVAL, "%zu error%s in the configuration: nothing changed",
			 cfg->ndiags, cfg->ndiags == 1 ? "" : "s");
		log_err("reload: %s", e->msg);
		config_free(cfg);
		free(cfg);
		return -EINVAL;
	}
	int loglevel = cfg->loglevel;
	int r;

	/* the host's network first: services (re)started by the reload
	 * attach to the new bridge address; port forwards follow. While
	 * the boot's modules load it waits for them (modules_in() builds
	 * it from the configuration in force then) */
	if (!host_modules_pending())
		net_host_apply(cfg);
	r = supervise_reload(cfg);              /* owns (or freed) cfg now */
	if (r < 0) {
		if (!host_modules_pending())
			net_host_apply(supervise_config());     /* back to the one in force */
		return err_setx(e, r, "reload failed (%s): nothing changed", strerror(-r));
	}
	log_set_level(loglevel);
	reload_logging(supervise_config());
	/* a new state_dir is masked for the services started from now on */
	set_control_plane(NULL, NULL, supervise_config()->state_dir);
	if (g.pid1)
		boot_hostname(supervise_config()->hostname);
	return err_setx(e, 0, "configuration reloaded");
}

static const struct control_ops ctl_ops = {
	.reload = reload,
	.shutdown = request_shutdown,
};

/* ---- the event loop's handlers ------------------------------------------- */

static void on_signal(struct loop_handler *h, uint32_t events)
{
	struct signalfd_siginfo si;
	struct err e;

	while (read(h->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			loop_reap();
			break;
		case SIGTERM:
			request_shutdown(RB_AUTOBOOT, "SIGTERM");
			break;
		case SIGINT:
			request_shutdown(RB_AUTOBOOT, "SIGINT");
			break;
		case SIGUSR1:
			request_shutdown(RB_HALT_SYSTEM, "SIGUSR1");
			break;
		case SIGUSR2:
		case SIGPWR:
			request_shutdown(RB_POWER_OFF, si.ssi_signo == SIGPWR ?
					 "SIGPWR" : "SIGUSR2");
			break;
		case SIGHUP:
			log_info("SIGHUP: reloading the configuration");
			reload(&e);
			break;
		}
	}
}

static void finish(void) __attribute__((noreturn));

static void on_console(struct loop_handler *h, uint32_t events)
{
	log_flush();
}

/* The shutdown's deadlines: the grace after the longest stop_timeout,
 * then one more after SIGKILL. */
static void on_shutdown_timer(struct loop_timer *t)
{
	if (!g.shutdown_killed) {
		log_warn("shutdown: %zu services still running after %u ms grace: killing",
			 supervise_running(), SHUTDOWN_GRACE_MS);
		supervise_kill_all();
		g.shutdown_killed = true;
		loop_timer_set(t, now_ms() + SHUTDOWN_GRACE_MS);
	} else {
		/* unkillable (D state): shut down regardless */
		log_err("shutdown: %zu services survived SIGKILL: going on without them",
			supervise_running());
		finish();
	}
}

/* Watch the console for EPOLLOUT only while output is queued. */
static void watch_console(void)
{
	bool want = log_pending();

	if (want && g.con.fd < 0) {
		g.con.fd = log_fd();
		g.con.fn = on_console;
		if (g.con.fd < 0 || loop_add(&g.con, EPOLLOUT) < 0)
			g.con.fd = -1;
	} else if (!want && g.con.fd >= 0) {
		loop_del(&g.con);
		g.con.fd = -1;
	}
}

static void __attribute__((noreturn)) finish(void)
{
	log_info("all services stopped");
	control_close();
	net_teardown(supervise_config());
	supervise_cleanup();
	if (g.pid1)
		shutdown_final(g.shutdown_cmd, g.sig.fd);
	loop_reap();
	watchdog_disarm();              /* a supervisor's exit (PID 1 never comes here) */
	log_drain(1000);
	supervise_free();
	free(g.emergency.argv);
	free(g.cmdline);
	exit(0);
}

static void __attribute__((noreturn)) run_loop(void)
{
	unsigned failures = 0;

	for (;;) {
		if (supervise_stopping() && supervise_running() == 0)
			finish();
		watch_console();
		if (loop_wait_once() < 0) {
			/* should never happen: never spin on it either */
			struct timespec ts = { .tv_sec = 1 };

			if (failures++ < 10)
				log_err("epoll_wait: %s", strerror(errno));
			nanosleep(&ts, NULL);
			loop_reap();
		} else {
			failures = 0;
		}
	}
}

/* ---- critical services ------------------------------------------------- */

static void on_failed(struct loop_timer *t)
{
	request_shutdown(g.failed_cmd, g.failed_why);
}

/*
 * A service with failure_action failed: an orderly reboot or poweroff,
 * unless the reboot guard (state_dir) says it happened too often. Taken
 * from a timer, not from inside the state machine's step.
 */
static void failure_action(const struct svc_conf *c, const char *reason)
{
	const struct config *cfg = supervise_config();
	const char *act = c->failure_action == FAILURE_REBOOT ? "reboot" : "poweroff";
	char why[200];
	int r = 2;      /* no guard */

	if (supervise_stopping())
		return;
	if (cfg->state_dir && c->failure_action == FAILURE_REBOOT)
		r = bootguard_take(cfg->state_dir, cfg->reboot_limit,
				   cfg->reboot_window_ms, why, sizeof(why));
	if (r <= 0) {
		log_err("%s: failed (%s): failure_action = %s not taken: %s; "
			"staying up", c->name, reason, act, why);
		return;
	}
	log_err("%s: failed (%s): failure_action = %s%s%s%s", c->name, reason, act,
		r == 2 ? "" : " (", r == 2 ? "" : why, r == 2 ? "" : ")");
	g.failed_cmd = c->failure_action == FAILURE_REBOOT ? RB_AUTOBOOT : RB_POWER_OFF;
	snprintf(g.failed_why, sizeof(g.failed_why), "%s failed", c->name);
	g.failed.fn = on_failed;
	loop_timer_set(&g.failed, now_ms());
}

/* ---- boot ------------------------------------------------------------- */

/* The paths no container may see: socket, log directory, config file,
 * the reboot guard's state_dir. */
static void set_control_plane(const char *socket_path, const char *logdir,
			      const char *state_dir)
{
	static char *socket_at, *logs_at;       /* copies, kept for a reload */

	if (socket_path) {
		free(socket_at);
		free(logs_at);
		socket_at = strdup(socket_path);
		logs_at = logdir ? strdup(logdir) : NULL;
	}
	socket_path = socket_at;
	logdir = logs_at;
	char *from_cmdline = g.config_path ? NULL : cmdline_conf_path(g.cmdline);
	struct ct_control ctl = {
		.socket = socket_path,
		.log_dir = logdir,
		.config = g.config_path ? g.config_path :
			  from_cmdline ? from_cmdline : CONF_DEFAULT_PATH,
		.state_dir = state_dir,
	};

	container_set_control(&ctl);
	free(from_cmdline);
}

/* 1. API filesystems and console (first: nothing may take fds 0-2), the
 * signals, and where the log goes. Returns false when it cannot go on. */
static bool boot_start(struct cli *o, const char **fatal)
{
	int r, tl;

	if (g.pid1) {
		boot_stdio();
		tl = timeline_begin(TL_STEP, "api filesystems");
		if (mount_api_filesystems())
			*fatal = "API filesystems could not be mounted";
		timeline_end(tl, !*fatal);
		boot_stdio();
		boot_console(NULL);
		if (!o->log_dir)
			o->log_dir = RUN_LOG_DIR;
	}
	r = signals_block();
	if (r < 0) {
		log_err("signalfd: %s", strerror(-r));
		if (!g.pid1)
			return false;
	}
	g.sig.fd = r;
	g.sig.fn = on_signal;
	if (!g.pid1) {
		boot_console(NULL);
		if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
			log_warn("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	}
	log_info("boxinit %s starting as %s %d", BOXINIT_VERSION,
		 g.pid1 ? "pid" : "supervisor, pid", (int)getpid());
	if (o->log_dir && (r = log_set_dir(o->log_dir)) < 0)
		log_warn("log directory %s: %s: no per-service log files",
			 o->log_dir, strerror(-r));
	if (g.pid1 && boot_is_machine_init()) {
		/* the machine's own PID 1: mirror lines into the kernel log */
		boot_devkmsg_on();
		if ((r = log_set_kmsg(true)) < 0)
			log_warn("/dev/kmsg: %s", strerror(-r));
	} else if (g.pid1) {
		log_info("pid 1 of a pid namespace, not the machine's init: "
			 "kernel log and printk_devkmsg left alone");
		process_oom_reset(boot_oom_protect());
	}
	return true;
}

/* Where the lines go besides the console, as the configuration says:
 * the log files (log_dir unless --log-dir, log_size, log_files) and a
 * remote syslog collector. */
static void apply_logging(const struct config *cfg, struct cli *o, bool dir_from_flag)
{
	int r;

	reload_logging(cfg);
	if (cfg->log_dir && !dir_from_flag && (!o->log_dir || strcmp(o->log_dir, cfg->log_dir))) {
		if ((r = log_set_dir(cfg->log_dir)) < 0)
			log_warn("log_dir = %s: %s: no per-service log files", cfg->log_dir,
				 strerror(-r));
		o->log_dir = cfg->log_dir;
	}
}

/* 2. The configuration: the file, then the kernel command line. */
static struct config *boot_config(const char **fatal)
{
	struct config *cfg;
	int tl;

	if (g.pid1) {
		if (reboot(RB_DISABLE_CAD) < 0)
			log_debug("reboot(RB_DISABLE_CAD): %s", strerror(errno));
		g.cmdline = boot_read_cmdline();
	}
	tl = timeline_begin(TL_STEP, "configuration");
	cfg = load_config();
	timeline_end(tl, cfg && !cfg->ndiags);
	while (!cfg) {
		log_err("fatal: out of memory reading the configuration");
		pause();
	}
	log_set_level(cfg->loglevel);
	cli_print_diags(cfg, true);
	if (cfg->ndiags)
		log_warn("configuration: %zu error%s; valid services still start",
			 cfg->ndiags, cfg->ndiags == 1 ? "" : "s");
	if (cfg->nsvcs == 0 && !*fatal)
		*fatal = "no services configured";
	if (g.pid1)
		boot_console(cfg->console);
	return cfg;
}

/* 4a. The event loop, and what it watches from the start: signals, the
 * watchdog, the control socket. Returns false when it cannot go on. */
static bool boot_loop(const struct config *cfg, const struct cli *o)
{
	int r;

	while ((r = loop_init()) < 0) {
		/* without it nothing can be supervised: as PID 1, keep trying */
		struct timespec ts = { .tv_sec = 1 };

		log_err("event loop: %s%s", strerror(-r), g.pid1 ? "; retrying" : "");
		if (!g.pid1)
			return false;
		nanosleep(&ts, NULL);
	}
	if (g.sig.fd >= 0 && loop_add(&g.sig, EPOLLIN) < 0)
		log_err("watch signalfd: %s", strerror(errno));
	/* boxinit's tables, rebuilt from the configuration in force when
	 * others break them, and the watchdog: now, or once the modules
	 * are in */
	host_loop_ready(cfg);
	r = control_open(o->socket_path, &ctl_ops);
	if (r < 0)
		log_err("control socket %s: %s: boxctl will not work", o->socket_path,
			strerror(-r));
	set_control_plane(o->socket_path, o->log_dir, cfg->state_dir);
	return true;
}

/* The boot is over: every service is ready, or will not be soon. */
static void boot_ready(unsigned ready, unsigned total, const char *not_ready)
{
	uint64_t t = clock_us(CLOCK_BOOTTIME) - g.t0_us;

	log_info("ready: %u services started (boot %llu.%03llu ms)%s%s", ready,
		 (unsigned long long)(t / 1000), (unsigned long long)(t % 1000),
		 *not_ready ? "; not ready: " : "", not_ready);
}

/* 4b. Cgroups and the services. */
static void boot_services(struct config *cfg, const char *fatal)
{
	int r, tl;

	tl = timeline_begin(TL_STEP, "cgroups");
	r = cgroup_setup(cfg->cgroup, g.pid1);
	timeline_end(tl, r >= 0);
	if (r < 0)
		log_warn("cgroup: none usable (%s): services run without limits",
			 strerror(-r));
	if (fatal)
		boot_emergency(cfg, fatal, &g.emergency);
	if (supervise_init(cfg, g.emergency.argv ? &g.emergency : NULL,
			   cfg->console && strcmp(cfg->console, "/dev/console") ?
			   cfg->console : boot_console_tty()) < 0)
		log_err("supervise: out of memory");
	supervise_on_failure(failure_action);
	supervise_on_boot_ready(boot_ready);
	host_modules(cfg);
	tl = timeline_begin(TL_STEP, "start services");
	supervise_start_all();
	timeline_end(tl, true);
}

int main(int argc, char **argv)
{
	const char *fatal = NULL;
	struct config *cfg;
	struct cli o;
	bool dir_from_flag;
	int r;

	if (reaper_invoked(argc, argv))
		return reaper_main(argc, argv);
	g.t0_us = clock_us(CLOCK_BOOTTIME);
	timeline_start(g.t0_us);
	g.pid1 = getpid() == 1;
	if ((r = cli_parse(argc, argv, g.pid1, &o)) >= 0)
		return r;
	g.config_path = o.config_path;
	dir_from_flag = o.log_dir != NULL;
	if (!boot_start(&o, &fatal))                            /* 1 */
		return 1;
	cfg = boot_config(&fatal);                              /* 2 */
	apply_logging(cfg, &o, dir_from_flag);
	host_boot(cfg, g.pid1);                                 /* 3 */
	if (!boot_loop(cfg, &o))                                /* 4 */
		return 1;
	boot_services(cfg, fatal);      /* "ready: ..." once they are */
	run_loop();                                             /* 5 */
}
