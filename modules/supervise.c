/* SPDX-License-Identifier: MIT */
/* supervise: service state machine, restarts with back-off. See supervise.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "log.h"
#include "net.h"
#include "process.h"
#include "supervise.h"
#include "util.h"

/* Services are allocated one by one: their loop handlers must not move. */
static struct service **svcs;
static size_t nsvcs;
static bool shutting_down;

/* Configurations still referenced by a service; [0] is the one in force. */
#define MAX_CONFIGS 8
static struct config *cfgs[MAX_CONFIGS];
static size_t ncfgs;

static const char *const state_names[] = {
	[SVC_STOPPED] = "stopped",   [SVC_STARTING] = "starting",
	[SVC_RUNNING] = "running",   [SVC_STOPPING] = "stopping",
	[SVC_BACKOFF] = "backoff",   [SVC_FAILED] = "failed",
	[SVC_DONE] = "done",
};

const char *svc_state_name(enum svc_state st)
{
	return (unsigned)st < ARRAY_SIZE(state_names) ? state_names[st] : "?";
}

struct service *const *supervise_table(size_t *n)
{
	*n = nsvcs;
	return svcs;
}

struct config *supervise_config(void)
{
	return ncfgs ? cfgs[0] : NULL;
}

static const char *name_of(const struct service *s)
{
	return s->conf->name;
}

static struct service *find(const char *name)
{
	for (size_t i = 0; i < nsvcs; i++)
		if (!strcmp(svcs[i]->conf->name, name))
			return svcs[i];
	return NULL;
}

const struct service *supervise_find(const char *name)
{
	return find(name);
}

/* Move @s to @st; the caller logs the cause. */
static void set_state(struct service *s, enum svc_state st)
{
	log_debug("%s: %s -> %s", name_of(s), svc_state_name(s->state),
		  svc_state_name(st));
	s->state = st;
}

static void fail(struct service *s, const char *why)
{
	snprintf(s->reason, sizeof(s->reason), "%s", why);
	set_state(s, SVC_FAILED);
}

/* ---- output pipe --------------------------------------------------------- */

static void out_emit(struct service *s)
{
	log_line(name_of(s), &s->log, s->line, s->linelen);
	s->linelen = 0;
}

/*
 * Read what the pipe holds, at most OUT_READS_MAX reads (epoll is level-
 * triggered: the rest comes next round, so a service flooding its output
 * cannot keep PID 1 here); split into lines; @final flushes a partial line.
 */
#define OUT_READS_MAX 16

static void out_drain(struct service *s, bool final)
{
	char buf[1024];
	ssize_t n;

	for (int reads = 0; s->out.fd >= 0 && reads < OUT_READS_MAX; reads++) {
		n = read(s->out.fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				out_emit(s);
				continue;
			}
			s->line[s->linelen++] = buf[i];
			if (s->linelen == SVC_LINE_MAX)
				out_emit(s);    /* long line: split */
		}
	}
	if (final && s->linelen)
		out_emit(s);
}

static void out_close(struct service *s)
{
	if (s->out.fd < 0)
		return;
	out_drain(s, true);
	loop_del(&s->out);
	close(s->out.fd);
	s->out.fd = -1;
}

static void out_ready(struct loop_handler *h, uint32_t events)
{
	struct service *s = (struct service *)((char *)h - offsetof(struct service, out));

	out_drain(s, false);
	if (events & (EPOLLHUP | EPOLLERR))
		out_close(s);
}

/* ---- cgroup: creation and OOM notifications ------------------------------ */

/* "10M", "1536K", "12345" */
static const char *size_text(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMG";
	int u = -1;

	if (v == UINT64_MAX) {
		snprintf(buf, len, "none");
		return buf;
	}
	while (u < 2 && v && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (u >= 0)
		snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

static void oom_close(struct service *s)
{
	if (s->oom.fd < 0)
		return;
	loop_del(&s->oom);
	close(s->oom.fd);
	s->oom.fd = -1;
}

static void oom_ready(struct loop_handler *h, uint32_t events)
{
	struct service *s = (struct service *)((char *)h - offsetof(struct service, oom));
	uint64_t count;
	char lim[24];

	if (cgroup_oom_ack(name_of(s), h->fd, &count) < 0) {
		oom_close(s);   /* the cgroup went away (v1 signals removal too) */
		return;
	}
	if (count <= s->oom_seen)
		return;
	s->oom_kills += (uint32_t)(count - s->oom_seen);
	s->oom_seen = count;
	log_warn("%s: killed by the OOM killer (memory limit %s)", name_of(s),
		 size_text(s->conf->memory, lim, sizeof(lim)));
}

/* Create the service's cgroup on its first start, and watch it for OOM. */
static int cgroup_prepare(struct service *s)
{
	uint32_t events = 0;
	int r, fd;

	if (s->cg_made)
		return 0;
	r = cgroup_service_create(s->conf);
	if (r < 0)
		return r;
	s->cg_made = true;
	if (s->oom.fd >= 0)
		return 0;
	fd = cgroup_oom_open(name_of(s), &events);
	if (fd < 0) {
		if (fd != -ENOENT)
			log_warn("%s: cannot watch for OOM kills: %s", name_of(s),
				 strerror(-fd));
		return 0;
	}
	s->oom.fd = fd;
	s->oom.fn = oom_ready;
	if (loop_add(&s->oom, events) < 0) {
		log_warn("%s: cannot watch for OOM kills: %s", name_of(s), strerror(errno));
		close(fd);
		s->oom.fd = -1;
		return 0;
	}
	cgroup_oom_kills(name_of(s), &s->oom_seen);
	return 0;
}

/* ---- starting ------------------------------------------------------------ */

/* "web: exec /bin/httpd: No such file or directory", "web: bind /x: ..." */
static void log_start_error(const struct service *s, const char *what, int err)
{
	const struct svc_conf *c = s->conf;

	if (what && strcmp(what, "exec"))
		log_err("%s: %s: %s", name_of(s), what, strerror(-err));
	else
		log_err("%s: exec %s: %s", name_of(s),
			c->argv && c->argv[0] ? c->argv[0] : "?", strerror(-err));
}

/* Read the start's report if it came (@final: it must have); log a failure.
 * The failed child exits 127 by itself: exited() takes it from there. */
static void res_check(struct service *s, bool final)
{
	const char *what = NULL;
	int r;

	if (s->res.fd < 0)
		return;
	r = process_result(s->res.fd, &what);
	if (r == -EAGAIN && !final)
		return;
	if (r < 0 && r != -EAGAIN)
		log_start_error(s, what, r);
	loop_del(&s->res);
	close(s->res.fd);
	s->res.fd = -1;
}

static void res_ready(struct loop_handler *h, uint32_t events)
{
	res_check((struct service *)((char *)h - offsetof(struct service, res)), false);
}

/*
 * The container exists (its reaper is @pid) and nothing runs in it yet:
 * give it its network from outside (veth peer created in its netns).
 */
static int prepare_container(pid_t pid, void *arg, const char **what)
{
	const struct svc_conf *c = arg;
	int r = net_service_attach(supervise_config(), c, pid);

	if (r < 0)
		*what = "network";
	return r;
}

static void schedule(void);
static void exited(struct service *s, int wstatus);

static void start(struct service *s)
{
	const struct svc_conf *c = s->conf;
	struct spawn_req req = {
		.argv = c->argv, .workdir = c->workdir, .has_user = c->has_user,
		.uid = c->uid, .gid = c->gid, .out_fd = -1, .console = s->console,
		.conf = s->console ? NULL : c,
		.prepare = prepare_container, .prepare_arg = (void *)c,
	};
	const char *what = NULL;
	char **env = NULL;
	int p[2] = { -1, -1 };
	int cgfds[CG_MAX_HIER];
	int ncg = 0, rfd = -1;
	pid_t pid;

	out_close(s);
	s->started_ms = now_ms();
	s->killed = false;
	s->stop_sent = false;
	s->reason[0] = '\0';
	if (!s->console) {
		/* the emergency shell must run even when cgroups are broken */
		pid = cgroup_prepare(s);
		if (pid == 0)
			pid = ncg = cgroup_open_procs(name_of(s), cgfds);
		if (pid < 0) {
			ncg = 0;
			what = "cgroup";
			goto fail;
		}
		req.cgroup_fds = cgfds;
		req.ncgroup_fds = ncg;
		if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
			pid = -errno;
			what = "pipe";
			goto fail;
		}
		/* the child's end must block like any stdout */
		fcntl(p[1], F_SETFL, 0);
		req.out_fd = p[1];
	}
	env = process_env(c->env);
	if (!env) {
		pid = -ENOMEM;
		what = "environment";
		goto fail;
	}
	req.env = env;
	/* don't wait for the exec: the next service starts meanwhile */
	req.result_fd = s->console ? NULL : &rfd;
	pid = process_spawn(&req, &what);
	free(env);
	while (ncg > 0)
		close(cgfds[--ncg]);
	if (p[1] >= 0)
		close(p[1]);
	p[1] = -1;
	if (pid < 0)
		goto fail;

	s->pid = pid;
	s->out.fd = p[0];
	s->out.fn = out_ready;
	if (p[0] >= 0 && loop_add(&s->out, EPOLLIN) < 0) {
		log_warn("%s: cannot watch output: %s", name_of(s), strerror(errno));
		close(p[0]);
		s->out.fd = -1;
	}
	s->res.fd = rfd;
	s->res.fn = res_ready;
	if (rfd >= 0 && loop_add(&s->res, EPOLLIN) < 0)
		res_check(s, true);     /* unwatchable: read it at the exit */
	if (c->type == SVC_SIMPLE)
		s->ready = true;
	set_state(s, SVC_RUNNING);
	log_info("%s: started (pid %d)", name_of(s), (int)pid);
	return;
fail:
	while (ncg > 0)
		close(cgfds[--ncg]);
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	log_start_error(s, what, pid);
	/* A start that fails is a failed run: same restart rules. */
	set_state(s, SVC_RUNNING);
	exited(s, 127 << 8);
}

/* Dependencies of @s: 1 all met, 0 pending, -1 one failed (@why set). */
static int deps_met(const struct service *s, char *why, size_t len)
{
	const struct svc_conf *c = s->conf;

	for (size_t i = 0; i < c->nafter; i++) {
		const struct service *d = find(c->after[i]);

		if (!d || d->removed) {
			snprintf(why, len, "dependency \"%s\" does not exist",
				 c->after[i]);
			return -1;
		}
		if (d->state == SVC_FAILED) {
			snprintf(why, len, "dependency \"%s\" failed", c->after[i]);
			return -1;
		}
		if (d->conf->type == SVC_ONESHOT ? d->state != SVC_DONE : !d->ready)
			return 0;
	}
	return 1;
}

/* Start or fail every service waiting in "starting", until nothing moves. */
static void schedule(void)
{
	bool moved;
	char why[72];

	if (shutting_down)
		return;
	do {
		moved = false;
		for (size_t i = 0; i < nsvcs; i++) {
			struct service *s = svcs[i];
			int r;

			if (s->state != SVC_STARTING)
				continue;
			r = deps_met(s, why, sizeof(why));
			if (r < 0) {
				fail(s, why);
				log_err("%s: not started: %s", name_of(s), why);
				moved = true;
			} else if (r > 0) {
				start(s);
				moved = true;
			}
		}
	} while (moved);
}

static struct service *service_new(const struct svc_conf *c, const char *console)
{
	struct service *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->conf = c;
	s->console = console;
	s->out.fd = -1;
	s->oom.fd = -1;
	s->res.fd = -1;
	s->backoff_ms = BACKOFF_MIN_MS;
	if (c->invalid) {
		s->state = SVC_FAILED;
		snprintf(s->reason, sizeof(s->reason), "invalid configuration");
	}
	log_file_open(&s->log, c->name);
	return s;
}

static void service_free(struct service *s)
{
	res_check(s, true);
	out_close(s);
	oom_close(s);
	log_file_close(&s->log);
	free(s);
}

/* Free the configs no service refers to any more (never the current). */
static void configs_gc(void)
{
	for (size_t k = ncfgs; k-- > 1;) {
		struct config *c = cfgs[k];
		bool used = false;

		for (size_t i = 0; i < nsvcs && !used; i++) {
			const struct svc_conf *a = svcs[i]->conf, *b = svcs[i]->next;

			used = (a >= c->svcs && a < c->svcs + c->nsvcs) ||
			       (b && b >= c->svcs && b < c->svcs + c->nsvcs);
		}
		if (used)
			continue;
		config_free(c);
		free(c);
		memmove(&cfgs[k], &cfgs[k + 1], (ncfgs - k - 1) * sizeof(cfgs[0]));
		ncfgs--;
	}
}

int supervise_init(struct config *cfg, const struct svc_conf *extra,
		   const char *extra_console)
{
	size_t n = cfg->nsvcs;

	svcs = calloc(n + 1, sizeof(*svcs));
	if (!svcs)
		return -ENOMEM;
	cfgs[0] = cfg;
	ncfgs = 1;
	nsvcs = 0;
	shutting_down = false;
	for (size_t i = 0; i < n + 1; i++) {
		const struct svc_conf *c = i < n ? &cfg->svcs[i] : extra;
		struct service *s;

		if (!c)
			continue;
		s = service_new(c, i < n ? NULL : extra_console);
		if (!s)
			return -ENOMEM;
		svcs[nsvcs++] = s;
	}
	return 0;
}

void supervise_cleanup(void)
{
	for (size_t i = 0; i < nsvcs; i++) {
		struct service *s = svcs[i];

		oom_close(s);
		if (!s->cg_made)
			continue;
		cgroup_kill(name_of(s));
		cgroup_service_remove(name_of(s), 500);
		s->cg_made = false;
	}
	cgroup_teardown();
}

void supervise_free(void)
{
	for (size_t i = 0; i < nsvcs; i++)
		service_free(svcs[i]);
	free(svcs);
	svcs = NULL;
	nsvcs = 0;
	while (ncfgs > 0) {
		config_free(cfgs[--ncfgs]);
		free(cfgs[ncfgs]);
	}
}

int supervise_start_all(void)
{
	int started = 0;

	for (size_t i = 0; i < nsvcs; i++) {
		struct service *s = svcs[i];

		if (s->state == SVC_FAILED && s->conf->invalid)
			log_err("%s: not started: invalid configuration", name_of(s));
		if (s->state == SVC_STOPPED) {
			s->stop_requested = false;
			set_state(s, SVC_STARTING);
		}
	}
	schedule();
	for (size_t i = 0; i < nsvcs; i++)
		started += svcs[i]->pid > 0;
	return started;
}

/* ---- stopping ------------------------------------------------------------ */

static void kill_all_of(struct service *s)
{
	if (s->pid > 0 && kill(-s->pid, SIGKILL) < 0 && errno == ESRCH)
		kill(s->pid, SIGKILL);
	if (s->cg_made)
		cgroup_kill(name_of(s));
}

/*
 * True while a live service that is going down too lists @s in its
 * "after": it must stop first. ("after" orders; it does not make a stop
 * of @s take its dependents down.)
 */
static bool has_running_dependent(const struct service *s)
{
	for (size_t i = 0; i < nsvcs; i++) {
		const struct service *d = svcs[i];

		if (d->pid <= 0 || !d->stop_requested)
			continue;
		for (size_t k = 0; k < d->conf->nafter; k++)
			if (!strcmp(d->conf->after[k], name_of(s)))
				return true;
	}
	return false;
}

/* Signal every service that is wanted down and whose dependents are down. */
static void stop_ready(void)
{
	for (size_t i = nsvcs; i-- > 0;) {
		struct service *s = svcs[i];

		if (!s->stop_requested || s->stop_sent || s->pid <= 0 ||
		    has_running_dependent(s))
			continue;
		s->stop_sent = true;
		log_info("%s: stopping (signal %d)", name_of(s), s->conf->stop_signal);
		if (kill(s->pid, s->conf->stop_signal) < 0)
			log_warn("%s: kill %d: %s", name_of(s), (int)s->pid, strerror(errno));
		s->deadline_ms = now_ms() + s->conf->stop_timeout_ms;
		set_state(s, SVC_STOPPING);
	}
}

/* Want @s down: signal it now or once its dependents are down. */
static void stop(struct service *s, const char *why)
{
	s->stop_requested = true;
	switch (s->state) {
	case SVC_RUNNING:
		stop_ready();
		if (!s->stop_sent)
			log_info("%s: waiting for its dependents to stop", name_of(s));
		break;
	case SVC_BACKOFF:
	case SVC_STARTING:
		s->deadline_ms = 0;
		snprintf(s->reason, sizeof(s->reason), "%s", why);
		set_state(s, SVC_STOPPED);
		break;
	default:
		break;
	}
}

/* ---- exits and restarts -------------------------------------------------- */

static bool is_failure(int ws)
{
	return !(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
}

/* Take the configuration a reload left for @s; its cgroup limits follow. */
static void take_next(struct service *s)
{
	if (!s->next)
		return;
	s->conf = s->next;
	s->next = NULL;
	s->cg_made = false;     /* rewrite the limits at the next start */
	s->backoff_ms = BACKOFF_MIN_MS;
	s->window_count = 0;
}

static void remove_service(struct service *s)
{
	size_t i;

	for (i = 0; i < nsvcs && svcs[i] != s; i++)
		;
	if (i == nsvcs)
		return;
	log_info("%s: removed", name_of(s));
	if (s->cg_made) {
		cgroup_kill(name_of(s));
		cgroup_service_remove(name_of(s), 0);
	}
	service_free(s);
	memmove(&svcs[i], &svcs[i + 1], (nsvcs - i - 1) * sizeof(svcs[0]));
	nsvcs--;
	configs_gc();
}

static void exited(struct service *s, int wstatus)
{
	const struct svc_conf *c = s->conf;
	uint64_t now = now_ms();
	char text[80];
	bool failure = is_failure(wstatus);

	res_check(s, true);     /* why it failed, before that it exited */
	s->pid = 0;
	s->wstatus = wstatus;
	s->deadline_ms = 0;
	process_exit_text(wstatus, text, sizeof(text));
	/* what the main process left behind in its cgroup goes with it
	 * (first: a leftover still writing would keep the pipe busy) */
	if (s->cg_made && cgroup_kill(name_of(s)) > 0)
		log_info("%s: killed the processes it left behind", name_of(s));
	out_close(s);

	if (s->stop_requested || shutting_down) {
		snprintf(s->reason, sizeof(s->reason), "%s", text);
		set_state(s, SVC_STOPPED);
		log_info("%s: stopped (%s)", name_of(s), text);
		if (s->removed) {
			remove_service(s);
		} else {
			take_next(s);   /* a reload's configuration, if any */
			if (s->restart_pending && !shutting_down) {
				s->restart_pending = false;
				s->stop_requested = false;
				set_state(s, SVC_STARTING);
			}
		}
		stop_ready();
		schedule();
		return;
	}
	if (c->type == SVC_ONESHOT && !failure) {
		s->ready = true;
		set_state(s, SVC_DONE);
		log_info("%s: finished (%s)", name_of(s), text);
		schedule();
		return;
	}
	if (c->restart == RESTART_NO ||
	    (c->restart == RESTART_ON_FAILURE && !failure)) {
		if (failure)
			fail(s, text);
		else
			set_state(s, SVC_STOPPED);
		log_info("%s: %s; not restarted (restart = %s)", name_of(s), text,
			 c->restart == RESTART_NO ? "no" : "on-failure");
		schedule();
		return;
	}

	/* Restart: back-off, reset after a healthy run, crash-loop limit. */
	if (now - s->started_ms >= BACKOFF_RESET_MS)
		s->backoff_ms = BACKOFF_MIN_MS;
	if (!s->window_start_ms || now - s->window_start_ms > c->restart_window_ms) {
		s->window_start_ms = now;
		s->window_count = 0;
	}
	if (++s->window_count > c->restart_max) {
		char why[72];

		snprintf(why, sizeof(why), "crash loop: %u restarts within %u ms",
			 c->restart_max, c->restart_window_ms);
		fail(s, why);
		log_err("%s: %s; %s: giving up (failed)", name_of(s), text, why);
		schedule();
		return;
	}
	s->deadline_ms = now + s->backoff_ms;
	set_state(s, SVC_BACKOFF);
	log_info("%s: %s; restarting in %u ms", name_of(s), text, s->backoff_ms);
	s->backoff_ms = s->backoff_ms >= BACKOFF_MAX_MS / 2 ? BACKOFF_MAX_MS
							    : s->backoff_ms * 2;
}

bool supervise_child_exited(pid_t pid, int wstatus)
{
	wstatus = process_reaped(pid, wstatus);
	for (size_t i = 0; i < nsvcs; i++) {
		if (svcs[i]->pid == pid) {
			exited(svcs[i], wstatus);
			return true;
		}
	}
	return false;
}

uint64_t supervise_next_deadline(void)
{
	uint64_t next = 0;

	for (size_t i = 0; i < nsvcs; i++) {
		const struct service *s = svcs[i];

		if ((s->state == SVC_BACKOFF || s->state == SVC_STOPPING) &&
		    s->deadline_ms && (!next || s->deadline_ms < next))
			next = s->deadline_ms;
	}
	return next;
}

void supervise_on_timer(void)
{
	uint64_t now = now_ms();

	for (size_t i = 0; i < nsvcs; i++) {
		struct service *s = svcs[i];

		if (!s->deadline_ms || s->deadline_ms > now)
			continue;
		s->deadline_ms = 0;
		if (s->state == SVC_BACKOFF) {
			s->restarts++;
			start(s);
		} else if (s->state == SVC_STOPPING && !s->killed) {
			log_warn("%s: still running %u ms after signal %d: sending SIGKILL",
				 name_of(s), s->conf->stop_timeout_ms,
				 s->conf->stop_signal);
			s->killed = true;
			kill_all_of(s);
		}
	}
	schedule();
}

void supervise_stop_all(void)
{
	shutting_down = true;
	for (size_t i = nsvcs; i-- > 0;)
		stop(svcs[i], "shutdown");
	stop_ready();
}

size_t supervise_running(void)
{
	size_t n = 0;

	for (size_t i = 0; i < nsvcs; i++)
		n += svcs[i]->pid > 0;
	return n;
}

uint32_t supervise_longest_stop_ms(void)
{
	uint32_t m = 0;

	for (size_t i = 0; i < nsvcs; i++)
		if (svcs[i]->conf->stop_timeout_ms > m)
			m = svcs[i]->conf->stop_timeout_ms;
	return m;
}

void supervise_kill_all(void)
{
	for (size_t i = 0; i < nsvcs; i++)
		kill_all_of(svcs[i]);
}

/* ---- operator requests (boxctl) ------------------------------------------ */

/* The service an operator names: NULL with *@err -ENOENT / -ESHUTDOWN. */
static struct service *requested(const char *name, int *err)
{
	struct service *s = find(name);

	*err = !s || s->removed ? -ENOENT : shutting_down ? -ESHUTDOWN : 0;
	return *err ? NULL : s;
}

int supervise_start(const char *name)
{
	int err;
	struct service *s = requested(name, &err);

	if (!s)
		return err;
	if (s->conf->invalid)
		return -EINVAL;
	if (s->state == SVC_RUNNING || s->state == SVC_STARTING)
		return -EALREADY;
	if (s->state == SVC_STOPPING) {
		s->restart_pending = true;      /* up again once it is down */
		return 0;
	}
	log_info("%s: start requested", name_of(s));
	s->stop_requested = false;
	s->deadline_ms = 0;
	s->backoff_ms = BACKOFF_MIN_MS;
	s->window_count = 0;
	set_state(s, SVC_STARTING);
	schedule();
	return 0;
}

int supervise_stop(const char *name)
{
	int err;
	struct service *s = requested(name, &err);

	if (!s)
		return err;
	if (s->stop_requested && s->restart_pending) {
		s->restart_pending = false;     /* a restart under way: stay down */
		log_info("%s: stop requested", name_of(s));
		return 0;
	}
	if (s->stop_requested || s->state == SVC_STOPPED || s->state == SVC_FAILED ||
	    s->state == SVC_DONE)
		return -EALREADY;
	log_info("%s: stop requested", name_of(s));
	stop(s, "stop requested");
	return 0;
}

int supervise_restart(const char *name)
{
	int err;
	struct service *s = requested(name, &err);

	if (!s)
		return err;
	if (s->conf->invalid)
		return -EINVAL;
	if (s->pid <= 0) {
		int r = supervise_start(name);

		return r == -EALREADY ? 0 : r;
	}
	log_info("%s: restart requested", name_of(s));
	s->restart_pending = true;
	stop(s, "restart requested");
	return 0;
}

/* ---- reload ---------------------------------------------------------------- */

int supervise_reload(struct config *cfg)
{
	struct service **grown;
	size_t added = 0, changed = 0, removed = 0, kept = 0;

	if (ncfgs == MAX_CONFIGS) {
		configs_gc();
		if (ncfgs == MAX_CONFIGS) {
			log_err("reload: too many reloads still settling; try again");
			config_free(cfg);
			free(cfg);
			return -EBUSY;
		}
	}
	grown = realloc(svcs, (nsvcs + cfg->nsvcs + 1) * sizeof(*svcs));
	if (!grown) {
		config_free(cfg);
		free(cfg);
		return -ENOMEM;
	}
	svcs = grown;
	memmove(&cfgs[1], &cfgs[0], ncfgs * sizeof(cfgs[0]));
	cfgs[0] = cfg;
	ncfgs++;

	/* existing services: unchanged, changed or gone */
	for (size_t i = 0; i < nsvcs; i++) {
		struct service *s = svcs[i];
		const struct svc_conf *nc = s->console ? s->conf : config_find(cfg, name_of(s));

		if (s->console)
			continue;               /* the emergency shell stays */
		if (!nc) {
			removed += !s->removed;
			s->removed = true;
			s->restart_pending = false;
			if (s->pid > 0)
				stop(s, "removed from the configuration");
			continue;       /* the others go after this loop */
		}
		if (s->removed) {
			/* back before it was gone: up again once it is down */
			s->removed = false;
			s->next = nc;
			s->restart_pending = true;
			changed++;
			continue;
		}
		if (svc_conf_equal(s->conf, nc)) {
			s->conf = nc;           /* same settings: keeps its pid */
			s->next = NULL;         /* a change undone before it applied */
			kept++;
			if (s->state == SVC_FAILED) {
				s->reason[0] = '\0';
				s->backoff_ms = BACKOFF_MIN_MS;
				s->window_count = 0;
				set_state(s, nc->invalid ? SVC_FAILED : SVC_STARTING);
			}
			continue;
		}
		changed++;
		s->next = nc;
		if (s->pid > 0 && s->stop_requested && !s->restart_pending) {
			/* an operator is stopping it: it takes nc but stays down */
		} else if (s->pid > 0) {
			log_info("%s: configuration changed: restarting", name_of(s));
			s->restart_pending = true;
			stop(s, "configuration changed");
		} else {
			take_next(s);
			s->stop_requested = false;
			s->reason[0] = '\0';
			if (nc->invalid) {
				fail(s, "invalid configuration");
			} else if (s->state != SVC_STOPPED) {
				s->deadline_ms = 0;
				set_state(s, SVC_STARTING);
			}
		}
	}
	for (size_t i = nsvcs; i-- > 0;)
		if (svcs[i]->removed && svcs[i]->pid <= 0)
			remove_service(svcs[i]);
	/* new services */
	for (size_t k = 0; k < cfg->nsvcs; k++) {
		struct service *s;

		if (find(cfg->svcs[k].name))
			continue;
		s = service_new(&cfg->svcs[k], NULL);
		if (!s) {
			log_err("reload: %s: out of memory", cfg->svcs[k].name);
			continue;
		}
		if (!s->conf->invalid)
			set_state(s, SVC_STARTING);
		svcs[nsvcs++] = s;
		added++;
	}
	configs_gc();
	log_info("reload: %zu added, %zu changed, %zu removed, %zu unchanged",
		 added, changed, removed, kept);
	schedule();
	return 0;
}
