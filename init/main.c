/* SPDX-License-Identifier: MIT */
/*
 * boxinit - a static PID 1 for appliance images.
 *
 * Read top to bottom, this file is the life of the machine:
 *   1. mount the API filesystems, open the console         (boot.c, mount.c)
 *   2. read the config: file + kernel command line          (config*.c)
 *   3. hostname, loopback, kernel modules                   (boot.c, kmod.c)
 *   4. cgroups, control socket, start the services          (cgroup.c, control.c,
 *                                                             supervise.c)
 *   5. the event loop: signals, child exits, timers, I/O    (loop.c)
 *   6. shutdown: stop services, kill, sync, unmount, reboot (shutdown.c)
 *
 * Not PID 1, it is a foreground supervisor for development and tests:
 * child subreaper, no mounts, no reboot(2); SIGTERM/SIGINT stop it.
 * Called as "boxctl" (or "boxinit ctl"), it is the control client.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "boot.h"
#include "cgroup.h"
#include "config.h"
#include "control.h"
#include "kmod.h"
#include "log.h"
#include "loop.h"
#include "mount.h"
#include "net.h"
#include "shutdown.h"
#include "signals.h"
#include "supervise.h"
#include "util.h"

#define SHUTDOWN_GRACE_MS 1000u  /* on top of the largest stop_timeout */
#define RUN_LOG_DIR       "/run/boxinit"

static struct {
	bool pid1;
	const char *config_path;        /* --config, or NULL */
	char *cmdline;                  /* kernel command line (PID 1) */
	struct svc_conf emergency;      /* the emergency shell, if started */
	struct loop_handler sig;
	struct loop_handler con;        /* console, watched while output waits */
	bool stopping;
	bool shutdown_killed;           /* SIGKILL sent to what was left */
	int shutdown_cmd;               /* RB_* for PID 1 */
	uint64_t shutdown_deadline_ms;
} g = { .sig = { .fd = -1 }, .con = { .fd = -1 } };

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: boxinit [--config FILE] [--socket PATH] [--log-dir DIR]\n"
		"                                    run (PID 1, or a foreground supervisor)\n"
		"       boxinit --check [--config FILE]  validate a config; exit 0 valid, 1 not\n"
		"       boxinit ctl VERB ...  (or boxctl VERB ...)  control a running boxinit\n"
		"       boxinit --version | --help\n"
		"\n"
		"As PID 1 the config is " CONF_DEFAULT_PATH ", or boxinit.conf=PATH on the\n"
		"kernel command line; boxinit.KEY=VALUE there overrides any key.\n"
		"Signals: TERM/INT reboot, USR1 halt, USR2 power off, HUP reload.\n");
}

/* Print every diagnostic as "SOURCE:LINE: message". */
static void print_diags(const struct config *cfg, bool to_log)
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
	print_diags(&cfg, false);
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

static void request_shutdown(int cmd, const char *why)
{
	if (g.stopping) {
		log_info("%s: already shutting down", why);
		return;
	}
	g.stopping = true;
	g.shutdown_cmd = cmd;
	g.shutdown_deadline_ms = now_ms() + supervise_longest_stop_ms() + SHUTDOWN_GRACE_MS;
	if (g.pid1)
		log_info("%s: %s", why, shutdown_verb(cmd));
	else
		log_info("%s: exiting", why);
	log_info("stopping services");
	supervise_stop_all();
}

/* Re-read the config; with any error, report it and change nothing. */
static int reload(char *msg, size_t len)
{
	struct config *cfg;

	if (g.stopping) {
		snprintf(msg, len, "shutting down");
		return -ESHUTDOWN;
	}
	cfg = load_config();
	if (!cfg) {
		snprintf(msg, len, "out of memory");
		return -ENOMEM;
	}
	if (cfg->ndiags) {
		print_diags(cfg, true);
		snprintf(msg, len, "%zu error%s in the configuration: nothing changed",
			 cfg->ndiags, cfg->ndiags == 1 ? "" : "s");
		log_err("reload: %s", msg);
		config_free(cfg);
		free(cfg);
		return -EINVAL;
	}
	int loglevel = cfg->loglevel;
	int r = supervise_reload(cfg);          /* owns (or freed) cfg now */

	if (r < 0) {
		snprintf(msg, len, "reload failed (%s): nothing changed", strerror(-r));
		return r;
	}
	log_set_level(loglevel);
	if (g.pid1) {
		boot_hostname(supervise_config()->hostname);
		net_nat_apply(supervise_config());      /* port forwards follow */
	}
	snprintf(msg, len, "configuration reloaded");
	return 0;
}

static const struct control_ops ctl_ops = {
	.reload = reload,
	.shutdown = request_shutdown,
};

/* ---- the event loop's handlers ------------------------------------------- */

static void reap(void)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (!supervise_child_exited(pid, st))
			log_debug("reaped orphan %d", (int)pid);
	}
}

static void on_signal(struct loop_handler *h, uint32_t events)
{
	struct signalfd_siginfo si;
	char msg[128];

	while (read(h->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap();
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
			reload(msg, sizeof(msg));
			break;
		}
	}
}

static void finish(void) __attribute__((noreturn));

static void on_console(struct loop_handler *h, uint32_t events)
{
	log_flush();
}

static void on_timer(void)
{
	supervise_on_timer();
	control_on_timer();
	if (g.stopping && g.shutdown_deadline_ms && now_ms() >= g.shutdown_deadline_ms) {
		if (!g.shutdown_killed) {
			log_warn("shutdown: %zu services still running after %u ms grace: killing",
				 supervise_running(), SHUTDOWN_GRACE_MS);
			supervise_kill_all();
			g.shutdown_killed = true;
			g.shutdown_deadline_ms = now_ms() + SHUTDOWN_GRACE_MS;
		} else {
			/* unkillable (D state): shut down regardless */
			log_err("shutdown: %zu services survived SIGKILL: going on without them",
				supervise_running());
			finish();
		}
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
	if (g.pid1)
		net_teardown(supervise_config());
	supervise_cleanup();
	if (g.pid1)
		shutdown_final(g.shutdown_cmd, g.sig.fd);
	reap();
	log_drain(1000);
	supervise_free();
	free(g.emergency.argv);
	free(g.cmdline);
	exit(0);
}

static uint64_t earliest(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

static void __attribute__((noreturn)) run_loop(void)
{
	unsigned failures = 0;

	for (;;) {
		uint64_t d;

		if (g.stopping && supervise_running() == 0)
			finish();
		d = earliest(supervise_next_deadline(), control_next_deadline());
		if (g.stopping)
			d = earliest(d, g.shutdown_deadline_ms);
		loop_set_deadline(d);
		watch_console();
		if (loop_wait_once(on_timer) < 0) {
			/* should never happen: never spin on it either */
			struct timespec ts = { .tv_sec = 1 };

			if (failures++ < 10)
				log_err("epoll_wait: %s", strerror(errno));
			nanosleep(&ts, NULL);
			reap();
		} else {
			failures = 0;
		}
	}
}

/* ---- boot ------------------------------------------------------------- */

/* Start the configured emergency shell on the console tty. */
static void prepare_emergency(const struct config *cfg, const char *why)
{
	char **argv;

	if (!cfg->emergency) {
		log_err("fatal: %s; no emergency shell configured (emergency = /bin/sh): "
			"continuing with what can run", why);
		return;
	}
	argv = split_command(cfg->emergency);
	if (!argv) {
		log_err("fatal: %s; emergency = \"%s\" is not a command", why,
			cfg->emergency);
		return;
	}
	log_err("fatal: %s; starting emergency shell %s", why, argv[0]);
	snprintf(g.emergency.name, sizeof(g.emergency.name), "emergency");
	g.emergency.exec = argv[0];     /* cfg may be freed by a reload */
	g.emergency.argv = argv;
	g.emergency.restart = RESTART_ALWAYS;
	g.emergency.stop_signal = SIGKILL;
	g.emergency.stop_timeout_ms = 1000;
	g.emergency.restart_max = 1000;
	g.emergency.restart_window_ms = 60000;
	g.emergency.memory = UINT64_MAX;
}

static const char *basename_of(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config",  required_argument, NULL, 'c' },
		{ "socket",  required_argument, NULL, 's' },
		{ "log-dir", required_argument, NULL, 'l' },
		{ "check",   no_argument,       NULL, 'n' },
		{ "version", no_argument,       NULL, 'V' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t t0 = clock_us(CLOCK_BOOTTIME);
	const char *socket_path = CONTROL_DEFAULT_PATH;
	const char *logdir = NULL;
	const char *fatal = NULL;
	struct config *cfg;
	bool check = false;
	int opt, r, started;

	g.pid1 = getpid() == 1;
	if (!g.pid1 && !strcmp(basename_of(argv[0]), "boxctl"))
		return boxctl_main(argc, argv);
	if (!g.pid1 && argc > 1 && !strcmp(argv[1], "ctl"))
		return boxctl_main(argc - 1, argv + 1);
	/* As PID 1, the kernel hands us arguments it did not understand:
	 * never stop on them. */
	opterr = !g.pid1;
	while ((opt = getopt_long(argc, argv, "c:nVh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': g.config_path = optarg; break;
		case 's': socket_path = optarg; break;
		case 'l': logdir = optarg; break;
		case 'n': check = true; break;
		case 'V': printf("boxinit %s\n", BOXINIT_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default:
			if (!g.pid1) {
				usage(stderr);
				return 1;
			}
		}
	}
	if (check)
		return run_check(g.config_path);

	/* 1. API filesystems and console (first: nothing may take fds 0-2) */
	if (g.pid1) {
		boot_stdio();
		if (mount_api_filesystems())
			fatal = "API filesystems could not be mounted";
		boot_stdio();
		boot_console(NULL);
		if (!logdir)
			logdir = RUN_LOG_DIR;
	}
	r = signals_block();
	if (r < 0) {
		log_err("signalfd: %s", strerror(-r));
		if (!g.pid1)
			return 1;
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
	if (logdir && (r = log_set_dir(logdir)) < 0)
		log_warn("log directory %s: %s: no per-service log files",
			 logdir, strerror(-r));
	if (g.pid1 && boot_machine_init()) {
		/* the machine's own PID 1: mirror lines into the kernel log */
		boot_devkmsg_on();
		if ((r = log_set_kmsg(true)) < 0)
			log_warn("/dev/kmsg: %s", strerror(-r));
	}

	/* 2. configuration: file, then the kernel command line */
	if (g.pid1) {
		if (reboot(RB_DISABLE_CAD) < 0)
			log_debug("reboot(RB_DISABLE_CAD): %s", strerror(errno));
		g.cmdline = boot_read_cmdline();
	}
	cfg = load_config();
	if (!cfg) {
		log_err("fatal: out of memory reading the configuration");
		for (;;)
			pause();
	}
	log_set_level(cfg->loglevel);
	print_diags(cfg, true);
	if (cfg->ndiags)
		log_warn("configuration: %zu error%s; valid services still start",
			 cfg->ndiags, cfg->ndiags == 1 ? "" : "s");
	if (cfg->nsvcs == 0)
		fatal = fatal ? fatal : "no services configured";
	if (g.pid1)
		boot_console(cfg->console);

	/* 3. identity, loopback, kernel modules */
	if (g.pid1) {
		boot_hostname(cfg->hostname);
		r = boot_loopback();
		if (r < 0)
			log_err("bring up lo: %s", strerror(-r));
	}
	if (cfg->modules && cfg->modules[0])
		kmod_load_list(NULL, cfg->modules);
	/* the machine's network: sysctls, bridge, uplinks, NAT */
	if (g.pid1)
		net_host_setup(cfg);

	/* 4. cgroups, control socket, services */
	r = cgroup_setup(cfg->cgroup, g.pid1);
	if (r < 0)
		log_warn("cgroup: none usable (%s): services run without limits",
			 strerror(-r));
	while ((r = loop_init()) < 0) {
		/* without it nothing can be supervised: as PID 1, keep trying */
		struct timespec ts = { .tv_sec = 1 };

		log_err("event loop: %s%s", strerror(-r), g.pid1 ? "; retrying" : "");
		if (!g.pid1)
			return 1;
		nanosleep(&ts, NULL);
	}
	if (g.sig.fd >= 0 && loop_add(&g.sig, EPOLLIN) < 0)
		log_err("watch signalfd: %s", strerror(errno));
	r = control_open(socket_path, &ctl_ops);
	if (r < 0)
		log_err("control socket %s: %s: boxctl will not work", socket_path,
			strerror(-r));
	if (fatal)
		prepare_emergency(cfg, fatal);
	if (supervise_init(cfg, g.emergency.argv ? &g.emergency : NULL,
			   cfg->console && strcmp(cfg->console, "/dev/console") ?
			   cfg->console : boot_console_tty()) < 0)
		log_err("supervise: out of memory");
	started = supervise_start_all();
	t0 = clock_us(CLOCK_BOOTTIME) - t0;
	log_info("ready: %d services started (boot %llu.%03llu ms)", started,
		 (unsigned long long)(t0 / 1000), (unsigned long long)(t0 % 1000));

	/* 5. forever */
	run_loop();
}
