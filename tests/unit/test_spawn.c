/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for modules/spawn/ (process.c) and the child's side
 * (spawn/child/exec.c, reaper.c): how a failure before exec comes back to
 * the parent as one error value (err.h), synchronously or through the
 * result pipe, and what the parent makes of a report it cannot trust.
 * The container cases need root (namespaces) and are skipped without it;
 * they fail before anything is mounted.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "err.h"
#include "process.h"
#include "child/container_priv.h"

static char *const no_env[] = { NULL };

static struct spawn_req plain(char *const *argv)
{
	return (struct spawn_req){ .argv = argv, .env = no_env, .out_fd = 2 };
}

/* Wait (bounded) until the report on @fd is there, then read it. */
static int result_of(int fd, struct err *e)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	assert_int_equal(poll(&p, 1, 10000), 1);
	return process_result(fd, e);
}

static void test_exec_fails(void **state)
{
	char *argv[] = { "/nonexistent/prog", NULL };
	struct spawn_req r = plain(argv);
	struct err e;

	assert_int_equal(process_spawn(&r, NULL, &e), -ENOENT);
	assert_int_equal(e.code, -ENOENT);
	assert_string_equal(e.msg, "exec /nonexistent/prog: No such file or directory");
	/* a caller that wants no text */
	assert_int_equal(process_spawn(&r, NULL, NULL), -ENOENT);
}

static void test_chdir_fails(void **state)
{
	char *argv[] = { "/bin/true", NULL };
	struct spawn_req r = plain(argv);
	struct err e;

	r.workdir = "/nonexistent/dir";
	assert_int_equal(process_spawn(&r, NULL, &e), -ENOENT);
	assert_string_equal(e.msg, "chdir /nonexistent/dir: No such file or directory");
}

/* async: the spawn returns at once; the report comes on the handle's pipe. */
static void test_report_later(void **state)
{
	char *bad[] = { "/nonexistent/prog", NULL }, *good[] = { "/bin/true", NULL };
	struct spawn_req r = plain(bad);
	struct spawn_handle h;
	struct err e;
	int ws;
	pid_t pid;

	r.async = true;
	pid = process_spawn(&r, &h, &e);
	assert_true(pid > 0);
	assert_int_equal(h.pid, pid);
	assert_true(h.result_fd >= 0);
	assert_int_equal(h.status_fd, -1);              /* no container */
	assert_int_equal(result_of(h.result_fd, &e), -ENOENT);
	assert_string_equal(e.msg, "exec /nonexistent/prog: No such file or directory");
	process_release(&h);
	assert_int_equal(h.result_fd, -1);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 127);
	assert_int_equal(process_reaped(&h, ws), ws);   /* not a container */

	r.argv = good;
	pid = process_spawn(&r, &h, &e);
	assert_true(pid > 0);
	assert_int_equal(result_of(h.result_fd, &e), 0);    /* EOF: it exec'd */
	process_release(&h);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
}

/* A report is taken only whole, NUL-terminated and with a real -errno. */
static void test_report_checked(void **state)
{
	struct err sent, got;
	int p[2];

	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	assert_int_equal(process_result(p[0], &got), -EAGAIN);

	memset(&sent, 'x', sizeof(sent));       /* no NUL anywhere */
	sent.code = 7;                          /* not a -errno */
	assert_int_equal(write(p[1], &sent, sizeof(sent)), (ssize_t)sizeof(sent));
	assert_int_equal(process_result(p[0], &got), -EIO);
	assert_int_equal(strlen(got.msg), ERR_MSG_MAX - 1);

	sent.code = 0;                          /* a report always means failure */
	assert_int_equal(write(p[1], &sent, sizeof(sent)), (ssize_t)sizeof(sent));
	assert_int_equal(process_result(p[0], &got), -EIO);

	assert_int_equal(write(p[1], &sent, 10), 10);   /* torn */
	assert_int_equal(process_result(p[0], &got), -EIO);
	assert_string_equal(got.msg, "the start's report: 10 bytes");

	close(p[1]);
	assert_int_equal(process_result(p[0], &got), 0);
	close(p[0]);
}

static int calls;

static int prepare_fails(pid_t pid, void *arg, struct err *e)
{
	calls++;
	assert_true(pid > 0);
	assert_ptr_equal(arg, &calls);
	err_set(e, -EEXIST, "RTM_NEWLINK bxweb");
	return err_prefix(e, "network");
}

static bool can_contain(void)
{
	return geteuid() == 0;
}

/* prepare's error value is the spawn's; the waiting container leaves. */
static void test_container_prepare_fails(void **state)
{
	char *argv[] = { "/bin/true", NULL };
	struct svc_conf c = { .name = "t", .net = NET_NONE, .seccomp = true };
	struct spawn_req r = plain(argv);
	struct err e;

	if (!can_contain())
		skip();
	r.conf = &c;
	r.prepare = prepare_fails;
	r.prepare_arg = &calls;
	calls = 0;
	assert_int_equal(process_spawn(&r, NULL, &e), -EEXIST);
	assert_int_equal(calls, 1);
	assert_string_equal(e.msg, "network: RTM_NEWLINK bxweb: File exists");
}

/* `sh -c @cmd` in a minimal container (net = none), into @h; skips the
 * test where containers cannot be made. */
static void spawn_contained(char *cmd, struct spawn_handle *h)
{
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	struct svc_conf c = { .name = "t", .net = NET_NONE, .seccomp = true,
			      .tmp_size = 1 << 20, .shm_size = 1 << 20 };
	struct spawn_req r = plain(argv);
	struct err e;

	if (!can_contain())
		skip();
	r.conf = &c;
	assert_true(process_spawn(&r, h, &e) > 0);
	assert_true(h->status_fd >= 0);
}

/* A container's handle carries the service's own wait status: the reaper,
 * PID 1 of its namespace, cannot die of the service's signal. */
static void test_container_status_through_the_handle(void **state)
{
	struct spawn_handle h;
	int ws;

	spawn_contained("kill -USR1 $$", &h);
	assert_int_equal(waitpid(h.pid, &ws, 0), h.pid);
	assert_true(WIFEXITED(ws));             /* the reaper exits 128 + 10 */
	ws = process_reaped(&h, ws);
	assert_true(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGUSR1);
	assert_int_equal(h.status_fd, -1);
	process_release(&h);
}

/* The service's status is read as soon as the reaper writes it (before
 * the reap, which waits for the namespaces' teardown) and is what
 * process_reaped() then returns. */
static void test_container_status_before_the_reap(void **state)
{
	struct spawn_handle h;
	struct pollfd pfd;
	int ws;

	spawn_contained("exit 7", &h);
	pfd = (struct pollfd){ .fd = h.status_fd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 30000), 1);
	assert_int_equal(process_status(&h), 1);
	assert_int_equal(h.status_fd, -1);
	assert_int_equal(process_status(&h), -EBADF);
	assert_int_equal(waitpid(h.pid, &ws, 0), h.pid);
	ws = process_reaped(&h, ws);
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 7);
	process_release(&h);
}

/* A step of the container's child fails: its whole value crosses the
 * pipe, a message too long for it keeping its start and its reason. */
static void test_container_step_fails(void **state)
{
	char *argv[] = { "/bin/true", NULL }, root[600];
	struct svc_conf c = { .name = "t", .net = NET_NONE, .seccomp = true };
	struct spawn_req r = plain(argv);
	const char *why = ": No such file or directory";
	struct err e;
	size_t n;

	if (!can_contain())
		skip();
	c.root = "/nonexistent/root";
	r.conf = &c;
	assert_int_equal(process_spawn(&r, NULL, &e), -ENOENT);
	assert_string_equal(e.msg, "root /nonexistent/root: No such file or directory");

	/* "/rrr.../rrr.../...": components below NAME_MAX, 599 bytes */
	memset(root, 'r', sizeof(root) - 1);
	for (size_t i = 0; i < sizeof(root) - 1; i += 100)
		root[i] = '/';
	root[sizeof(root) - 1] = '\0';
	c.root = root;
	assert_int_equal(process_spawn(&r, NULL, &e), -ENOENT);
	assert_int_equal(e.code, -ENOENT);
	n = strlen(e.msg);
	assert_int_equal(n, ERR_MSG_MAX - 1);
	assert_memory_equal(e.msg, "root /rrr", 9);
	assert_non_null(strstr(e.msg, "..."));
	assert_string_equal(e.msg + n - strlen(why), why);
}

/* Exchange the directories @a and @b (renameat2 RENAME_EXCHANGE). */
static void exchange(const char *a, const char *b)
{
	assert_int_equal(syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 2), 0);
}

/* What a container cloned ahead mounts from, noted by boxinit and checked
 * twice: in the reaper against what it opened (ct_check_sources, -ESTALE
 * for another root or bind source) and before "go" against the paths as
 * they are then (container_sources_changed). Nothing stays open. */
static char src_dir[] = "/tmp/boxinit-src-XXXXXX", a[64], b[64], d[64], d2[64], gone[64];

/* Remove what test_sources_noted_then_checked made, passed or failed. */
static int sources_teardown(void **state)
{
	(void)state;
	for (const char *p = a; p; p = p == a ? b : p == b ? d : p == d ? d2 :
					 p == d2 ? gone : NULL)
		if (*p)
			rmdir(p);
	rmdir(src_dir);
	return 0;
}

static void test_sources_noted_then_checked(void **state)
{
	char *dir = src_dir;
	struct conf_bind bind = { .src = d, .dst = "/d" };
	struct svc_conf c = { .name = "t", .root = a, .binds = &bind, .nbinds = 1 };
	struct ct_src_id *ids;
	uint64_t mounts;
	struct err e;
	int n, root, src;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	snprintf(d, sizeof(d), "%s/d", dir);
	snprintf(d2, sizeof(d2), "%s/d2", dir);
	snprintf(gone, sizeof(gone), "%s/gone", dir);
	for (const char *p = a; p; p = p == a ? b : p == b ? d : p == d ? d2 : NULL)
		assert_int_equal(mkdir(p, 0755), 0);

	n = container_note_sources(&c, &ids, &mounts);
	assert_true(n >= 2);
	assert_false(container_sources_changed(&c, ids, n, mounts));

	/* the reaper's side: what it opened is, or is not, what was noted */
	container_expect_sources(ids);
	root = ct_open_nofollow(a);
	src = ct_open_nofollow(d);
	assert_int_equal(ct_check_sources(root, &src, 1, &e), 0);
	close(root);
	exchange(a, b);
	root = ct_open_nofollow(a);
	assert_int_equal(ct_check_sources(root, &src, 1, &e), -ESTALE);
	assert_string_equal(e.msg, "the root changed since boxinit looked");
	assert_true(container_sources_changed(&c, ids, n, mounts));
	exchange(a, b);                 /* back: the same directory again */
	assert_false(container_sources_changed(&c, ids, n, mounts));
	close(root);
	close(src);
	root = ct_open_nofollow(a);
	exchange(d, d2);
	src = ct_open_nofollow(d);
	assert_int_equal(ct_check_sources(root, &src, 1, &e), -ESTALE);
	assert_string_equal(e.msg, "a bind source changed since boxinit looked");
	assert_true(container_sources_changed(&c, ids, n, mounts));
	container_expect_sources(NULL); /* a fresh clone: nothing to check */
	assert_int_equal(ct_check_sources(root, &src, 1, &e), 0);
	close(root);
	close(src);
	exchange(d, d2);

	/* a bind source removed: changed, and no longer noted at all */
	assert_int_equal(rename(d, gone), 0);
	assert_true(container_sources_changed(&c, ids, n, mounts));
	free(ids);
	assert_int_equal(container_note_sources(&c, &ids, &mounts), -ENOENT);
	assert_null(ids);
	assert_int_equal(rename(gone, d), 0);
}

static void set_own_oom_adj(const char *v)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, v, strlen(v)), (ssize_t)strlen(v));
	close(fd);
}

/* The exit status of a child that exits with its own oom_score_adj. */
static int child_oom_adj(void)
{
	char *argv[] = { "/bin/sh", "-c", "read v < /proc/self/oom_score_adj; exit $v", NULL };
	struct spawn_req r = plain(argv);
	struct err e;
	int ws;
	pid_t pid = process_spawn(&r, NULL, &e);

	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	return WEXITSTATUS(ws);
}

/* process_oom_reset(): a child writes 0 back whatever boxinit's value is
 * (here 100: raising and lowering back to 0 need no capability). */
static void test_oom_score_adj_reset(void **state)
{
	(void)state;
	set_own_oom_adj("100");
	assert_false(process_oom_reset_on());
	assert_int_equal(child_oom_adj(), 100);         /* inherited */
	process_oom_reset(true);
	assert_true(process_oom_reset_on());
	assert_int_equal(child_oom_adj(), 0);
	process_oom_reset(false);
	set_own_oom_adj("0");
}

static void test_env(void **state)
{
	char *extra[] = { "HOME=/srv", "A=1", NULL };
	char **env = process_env(extra);

	assert_non_null(env);
	assert_string_equal(env[0], "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	assert_string_equal(env[1], "TERM=linux");
	assert_string_equal(env[2], "HOME=/srv");
	assert_string_equal(env[3], "A=1");
	assert_null(env[4]);
	free(env);
}

static void test_exit_text(void **state)
{
	char buf[64];

	assert_string_equal(process_exit_text(3 << 8, buf, sizeof(buf)), "exited with status 3");
	assert_string_equal(process_exit_text(9, buf, sizeof(buf)), "killed by signal 9 (Killed)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_fails),
		cmocka_unit_test(test_chdir_fails),
		cmocka_unit_test(test_report_later),
		cmocka_unit_test(test_report_checked),
		cmocka_unit_test(test_container_prepare_fails),
		cmocka_unit_test(test_container_step_fails),
		cmocka_unit_test(test_container_status_through_the_handle),
		cmocka_unit_test(test_container_status_before_the_reap),
		cmocka_unit_test(test_env),
		cmocka_unit_test_teardown(test_sources_noted_then_checked, sources_teardown),
		cmocka_unit_test(test_oom_score_adj_reset),
		cmocka_unit_test(test_exit_text),
	};

	/* as boxinit: a "go" written to a reaper that failed before it
	 * (process_go) is EPIPE, not the end of the test */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
