/* SPDX-License-Identifier: MIT */
/*
 * run: what the state machine's actions do to the system: start a
 * service (its cgroup, device policy, output pipe, environment, the
 * spawn), signal and kill it, clean up after its exit, watch its cgroup
 * for OOM kills, and the loop objects (timer, child) that feed events
 * back. See service.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_devices.h"
#include "err.h"
#include "log.h"
#include "net.h"
#include "process.h"
#include "ready.h"
#include "service.h"
#include "supervise.h"
#include "svc_output.h"
#include "timeline.h"
#include "util.h"

/* ---- OOM kills ----------------------------------------------------------- */

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

/*
 * supervise_oom_text - what to log when the OOM killer killed in service
 * @name's cgroup, whose memory limit is @memory bytes (UINT64_MAX: none).
 * Without a limit the kernel acted because the whole system (or a cgroup
 * above boxinit's) ran out of memory: say so, not "limit none".
 */
const char *supervise_oom_text(const char *name, uint64_t memory, char *buf,
			       size_t len)
{
	char lim[24];

	if (memory == UINT64_MAX)
		snprintf(buf, len, "%s: killed by the OOM killer: the system ran out "
			 "of memory (no memory limit set)", name);
	else
		snprintf(buf, len, "%s: killed by the OOM killer (memory limit %s)",
			 name, size_text(memory, lim, sizeof(lim)));
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
	struct service *s = container_of(h, struct service, oom);
	uint64_t count;
	char text[160];
	int r = cgroup_oom_ack(svc_name(s), h->fd, &count);

	if (r < 0) {
		/* v1 signals the cgroup's removal too: only then is it no news */
		if (s->cg_made)
			log_warn("%s: cannot read its OOM events (%s): no longer "
				 "watching for OOM kills", svc_name(s), strerror(-r));
		oom_close(s);
		return;
	}
	if (count <= s->oom_seen)
		return;
	s->oom_kills += (uint32_t)(count - s->oom_seen);
	s->oom_seen = count;
	log_warn("%s", supervise_oom_text(svc_name(s), s->conf->memory, text,
					  sizeof(text)));
}

static void oom_watch(struct service *s)
{
	uint32_t events = 0;
	int fd, r;

	if (s->oom.fd >= 0)
		return;
	fd = cgroup_oom_open(svc_name(s), &events);
	if (fd < 0) {
		if (fd != -ENOENT)
			log_warn("%s: cannot watch for OOM kills: %s", svc_name(s),
				 strerror(-fd));
		return;
	}
	s->oom.fd = fd;
	s->oom.fn = oom_ready;
	if ((r = loop_add(&s->oom, events)) < 0) {
		log_warn("%s: cannot watch for OOM kills: %s", svc_name(s), strerror(-r));
		close(fd);
		s->oom.fd = -1;
		return;
	}
	cgroup_oom_kills(svc_name(s), &s->oom_seen);
}

/* ---- starting ------------------------------------------------------------ */

/* "web: exec /bin/httpd: No such file or directory", "web: bind /x: ..." */
static void log_start_error(const struct service *s, struct err *e)
{
	err_prefix(e, "%s", svc_name(s));
	err_log(e, LOG_LV_ERR);
}

/* Read the start's report if it came (@final: it must have); log a failure.
 * The failed child exits 127 by itself: its exit takes it from there. */
static int res_check(struct service *s, bool final)
{
	struct err e;
	int r;

	if (s->res.fd < 0)
		return -EBADF;
	r = process_result(s->res.fd, &e);
	if (r == -EAGAIN && !final)
		return r;
	if (r < 0 && r != -EAGAIN) {
		log_start_error(s, &e);
		timeline_end(s->tl, false);
	} else if (r == 0) {
		timeline_exec(s->tl);
	}
	loop_del(&s->res);
	close(s->res.fd);
	s->res.fd = -1;
	return r;
}

/* Watch the reaper's status pipe; unwatchable, it is read at the reap. */
static void st_ready(struct loop_handler *h, uint32_t events);
static void st_watch(struct service *s)
{
	s->exit_ms = 0;
	if (s->proc.status_fd < 0)
		return;
	s->st.fd = s->proc.status_fd;
	s->st.fn = st_ready;
	if (loop_add(&s->st, EPOLLIN) < 0)
		s->st.fd = -1;
}

/* Stop watching the reaper's status pipe (it stays with s->proc). */
static void st_unwatch(struct service *s)
{
	if (s->st.fd < 0)
		return;
	loop_del(&s->st);
	s->st.fd = -1;
}

/* The reaper wrote the service's wait status (or died without): note the
 * time, the end of the run; the reaper's own exit, after its namespaces
 * are torn down, is the event (on_child). */
static void st_ready(struct loop_handler *h, uint32_t events)
{
	struct service *s = container_of(h, struct service, st);
	int r;

	st_unwatch(s);
	r = process_status(&s->proc);
	if (r == 1)
		s->exit_ms = svc_now();
	else if (r == -EAGAIN)
		st_watch(s);
}

/* It exec'd: ready, when ready = exec says so. */
static void exec_reached(struct service *s)
{
	if (s->conf->ready == READY_EXEC)
		ready_feed(s);
}

static void res_ready(struct loop_handler *h, uint32_t events)
{
	struct service *s = container_of(h, struct service, res);

	if (res_check(s, false) == 0)
		exec_reached(s);
}

/*
 * The container exists (its reaper is @pid) and nothing runs in it yet:
 * give it its network from outside (veth peer created in its netns).
 */
static int prepare_container(pid_t pid, void *arg, struct err *e)
{
	return net_service_attach(supervise_config(), arg, pid, e);
}

/* Its cgroup (made on the first start, limits written) and its
 * cgroup.procs files into @fds; its v2 directory for clone3 into @req.
 * Returns their count or -errno with @e set. */
static int cgroup_ready(struct service *s, int *fds, struct spawn_req *req,
			struct err *e)
{
	int r, at = -1;

	if (!s->cg_made) {
		if ((r = cgroup_service_create(s->conf)) < 0)
			return err_set(e, r, "cgroup");
		s->cg_made = true;
		oom_watch(s);
	}
	r = cgroup_open_procs(svc_name(s), fds);
	if (r < 0)
		return err_set(e, r, "cgroup");
	req->cgroup_dir = cgroup_open_v2_dir(svc_name(s), &at);
	req->cgroup_dir_of = req->cgroup_dir >= 0 ? at + 1 : 0;
	return r;
}

static void close_fds(int *fds, int n)
{
	while (n > 0)
		close(fds[--n]);
}

/*
 * Clone @s's container (process_clone): its cgroups, its output pipe
 * (the read end into *@out), its environment; the reaper builds its
 * mounts and waits for "go". @now: for the start now, not ahead of it.
 * Returns 0 or -errno with @e set.
 */
static int clone_container(struct service *s, struct spawn_prep *p, int *out,
			   bool now, struct err *e)
{
	const struct svc_conf *c = s->conf;
	struct spawn_req req = {
		.argv = c->argv, .workdir = c->workdir, .has_user = c->has_user,
		.uid = c->uid, .gid = c->gid, .conf = c, .cgroup_dir = -1,
		.ahead = !now,          /* its sources held and checked at "go" */
	};
	int pipefd[2] = { -1, -1 }, cgfds[CG_MAX_HIER], ncg, r = 0;

	*out = -1;
	if ((ncg = cgroup_ready(s, cgfds, &req, e)) < 0)
		return ncg;
	if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0)
		r = err_set(e, -errno, "pipe");
	else
		fcntl(pipefd[1], F_SETFL, 0);   /* the child's end blocks like any stdout */
	/* its ready pipe or socket belongs to the run starting now (never
	 * to one cloned ahead: fx_ahead() leaves those services alone) */
	if (r >= 0 && now)
		r = ready_prepare(s, &req, e);
	if (r >= 0 && !(req.env = svc_env(c)))
		r = err_set(e, -ENOMEM, "environment");
	req.out_fd = pipefd[1];
	req.cgroup_fds = cgfds;
	req.ncgroup_fds = ncg;
	if (r >= 0)
		r = process_clone(&req, p, e);
	free((void *)req.env);
	close_fds(cgfds, ncg);
	if (req.cgroup_dir >= 0)
		close(req.cgroup_dir);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (r < 0 && pipefd[0] >= 0)
		close(pipefd[0]);
	else
		*out = pipefd[0];
	return r;
}

/* The container cloned ahead is gone or taken: nothing left of it here. */
static void prep_drop(struct service *s)
{
	if (s->prep.pid > 0)
		loop_child_forget(&s->prep_child);
	process_discard(&s->prep);
	if (s->prep_out >= 0)
		close(s->prep_out);
	s->prep_out = -1;
	s->prep_conf = NULL;
}

/* The prepared reaper died while it waited (killed): reaped, forgotten. */
static void on_prep_exit(struct loop_child *c, int wstatus)
{
	struct service *s = container_of(c, struct service, prep_child);

	s->prep.pid = 0;        /* reaped: its pid is no longer ours */
	prep_drop(s);
}

/*
 * In a back-off: the next start's container cloned now, so that the
 * clone, the cgroup migration (an RCU grace period on cgroup v1, some
 * ms) and the mounts are done when the back-off ends; nothing of the
 * service runs before. If what its mounts came from changes meanwhile,
 * the start finds out (process_go: -ESTALE) and clones anew. Out of a
 * back-off (stopped, reloaded, a dependency failed), or with another
 * configuration, that container is given up.
 */
static void fx_ahead(struct service *s)
{
	enum svc_state st = s->fsm.state;
	struct err e;
	int out;

	if (s->prep_conf && ((st != FSM_BACKOFF && st != FSM_WAITING) ||
			     s->prep_conf != s->conf))
		prep_drop(s);
	if (st != FSM_BACKOFF || s->console || s->prep_conf || s->conf->ready != READY_EXEC)
		return;
	if (clone_container(s, &s->prep, &out, false, &e) < 0) {
		/* the start itself tries again and says why */
		log_debug("%s: no container ahead: %s", svc_name(s), e.msg);
		return;
	}
	s->prep_out = out;
	s->prep_conf = s->conf;
	s->prep_child.pid = s->prep.pid;
	s->prep_child.fn = on_prep_exit;
	loop_child_watch(&s->prep_child);
}

/* Start @s's container: the one cloned ahead, or a new one; then its
 * device policy (before anything runs in it), "go". Returns the reaper's
 * pid or -errno with @e set; *@out: the output pipe's read end. */
static pid_t start_container(struct service *s, int *out, struct err *e)
{
	const struct svc_conf *c = s->conf;
	struct spawn_req req = {
		.conf = c, .prepare = prepare_container, .prepare_arg = (void *)c,
		.async = true,          /* don't wait for the exec: the next one starts */
	};
	struct spawn_prep p = SPAWN_PREP_NONE;
	bool ahead = s->prep_conf == c;
	pid_t pid;
	int r;

	if (ahead) {
		loop_child_forget(&s->prep_child);
		p = s->prep;
		*out = s->prep_out;
		s->prep = SPAWN_PREP_NONE;
		s->prep_out = -1;
		s->prep_conf = NULL;
	} else {
		prep_drop(s);
		if ((r = clone_container(s, &p, out, true, e)) < 0)
			return r;
	}
	if ((r = cgroup_service_devices(c)) < 0) {
		process_discard(&p);
		pid = err_set(e, r, "device policy");
	} else {
		pid = process_go(&req, &p, &s->proc, e);
	}
	/* the one cloned ahead died meanwhile, or what its mounts came from
	 * changed: a new one, made now (and not checked: nothing is ahead) */
	if ((pid == -EPIPE || pid == -ESTALE) && ahead) {
		close(*out);
		if ((r = clone_container(s, &p, out, true, e)) < 0)
			return r;
		r = cgroup_service_devices(c);
		pid = r < 0 ? err_set(e, r, "device policy") : process_go(&req, &p, &s->proc, e);
		if (r < 0)
			process_discard(&p);
	}
	if (pid < 0 && *out >= 0) {
		close(*out);
		*out = -1;
	}
	return pid;
}

/* The emergency shell, on its console: a fork, no cgroup, no container. */
static pid_t start_on_console(struct service *s, struct err *e)
{
	const struct svc_conf *c = s->conf;
	struct spawn_req req = {
		.argv = c->argv, .workdir = c->workdir, .has_user = c->has_user,
		.uid = c->uid, .gid = c->gid, .out_fd = -1, .console = s->console,
		.cgroup_dir = -1,
	};
	pid_t pid;

	if (!(req.env = process_env(c->env)))
		return err_set(e, -ENOMEM, "environment");
	pid = process_spawn(&req, &s->proc, e);
	free((void *)req.env);
	return pid;
}

/* Start @s's process: 0 with s->pid set, or -errno (logged). */
static int fx_spawn(struct service *s)
{
	struct err e = { 0 };
	int out = -1;
	pid_t pid;

	if (s->tl_pending) {
		s->tl_pending = false;
		s->tl = timeline_begin(TL_SERVICE, svc_name(s));
	}
	svc_out_close(s);
	pid = s->console ? start_on_console(s, &e) : start_container(s, &out, &e);
	ready_started(s, pid >= 0);     /* or, whatever failed, its pipe closed */
	svc_health_reset(s);
	if (pid < 0) {
		log_start_error(s, &e);
		timeline_end(s->tl, false);
		return pid;
	}
	s->pid = pid;
	s->child.pid = pid;
	loop_child_watch(&s->child);
	svc_out_open(s, out);
	s->res.fd = s->proc.result_fd;  /* the loop handler owns it now */
	s->proc.result_fd = -1;
	s->res.fn = res_ready;
	if (s->res.fd >= 0 && loop_add(&s->res, EPOLLIN) < 0)
		res_check(s, true);     /* unwatchable: taken as exec'd */
	st_watch(s);
	return 0;
}

/* ---- stopping and exits --------------------------------------------------- */

static void fx_signal(struct service *s)
{
	if (s->pid > 0 && kill(s->pid, s->conf->stop_signal) < 0)
		log_warn("%s: kill %d: %s", svc_name(s), (int)s->pid, strerror(errno));
}

static void fx_kill(struct service *s)
{
	svc_health_stop(s);
	if (s->pid > 0 && kill(-s->pid, SIGKILL) < 0 && errno == ESRCH)
		kill(s->pid, SIGKILL);
	if (s->cg_made)
		cgroup_kill(svc_name(s));
}

/* What the main process left behind in its cgroup goes with it (first: a
 * leftover still writing would keep the output pipe busy), then the rest
 * of its output. */
static void fx_ended(struct service *s)
{
	loop_child_forget(&s->child);
	s->pid = 0;
	svc_health_stop(s);
	ready_close(s);
	if (s->cg_made && cgroup_kill(svc_name(s)) > 0)
		log_info("%s: killed the processes it left behind", svc_name(s));
	svc_out_close(s);
}

static void on_child(struct loop_child *c, int wstatus)
{
	struct service *s = container_of(c, struct service, child);
	struct fsm_event ev = { .type = EV_EXIT, .exit_ms = s->exit_ms };

	st_unwatch(s);
	s->exit_ms = 0;
	ev.wstatus = process_reaped(&s->proc, wstatus);
	/* why it failed, before that it exited; or it did exec, and ran */
	if (res_check(s, true) == 0)
		exec_reached(s);
	svc_event(s, &ev, NULL);
	svc_settle();
}

static void fx_timer(struct service *s)
{
	if (s->timer.when != s->fsm.deadline_ms)
		loop_timer_set(&s->timer, s->fsm.deadline_ms);
}

static void on_timer(struct loop_timer *t)
{
	struct service *s = container_of(t, struct service, timer);
	struct fsm_event ev = { .type = EV_TIMEOUT };

	svc_event(s, &ev, NULL);
	svc_settle();
}

/* A removed service: its cgroup goes with it. */
static void fx_release(struct service *s)
{
	prep_drop(s);
	if (s->cg_made) {
		cgroup_kill(svc_name(s));
		cgroup_service_remove(svc_name(s), 0);
		s->cg_made = false;
	}
}

void svc_run_init(struct service *s)
{
	s->timer.fn = on_timer;
	s->child.fn = on_child;
	s->rdy.fd = -1;
	s->rdy_wfd = -1;
	svc_health_init(s);
	svc_out_init(s);
}

void svc_run_release(struct service *s)
{
	prep_drop(s);
	res_check(s, true);
	svc_health_stop(s);
	ready_close(s);
	svc_out_close(s);
	oom_close(s);
	loop_timer_stop(&s->timer);
	loop_timer_stop(&s->out_timer);
	st_unwatch(s);
	process_release(&s->proc);
	if (s->pid > 0)
		loop_child_forget(&s->child);
}

void svc_run_cleanup(struct service *s)
{
	prep_drop(s);
	oom_close(s);
	if (!s->cg_made)
		return;
	cgroup_kill(svc_name(s));
	cgroup_service_remove(svc_name(s), 500);
	s->cg_made = false;
}

void svc_run_teardown(void)
{
	cgroup_teardown();
}

const struct svc_effects svc_real_effects = {
	.now = now_ms,
	.spawn = fx_spawn,
	.signal = fx_signal,
	.kill = fx_kill,
	.ended = fx_ended,
	.timer = fx_timer,
	.release = fx_release,
	.ahead = fx_ahead,
};
