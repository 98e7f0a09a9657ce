// SPDX-License-Identifier: MIT
/*
 * orphans: a fault injector for tests/system/test_faults.py (built static
 * with musl-gcc by the test, run inside the sandbox's PID namespace).
 *
 *   orphans storm N   make N children blocked on one pipe, let their parent
 *                     exit (they are re-parented to PID 1), print
 *                     "orphans-ready N", then on a line (or EOF) on stdin
 *                     close the pipe: all N exit at the same moment.
 *   orphans churn N   print "orphans-churning", then make orphans that exit
 *                     at once (a steady SIGCHLD storm for PID 1) until at
 *                     least N were made and a line (or EOF) came on stdin:
 *                     the caller decides how long, by an event, not a
 *                     time. Prints "churned COUNT".
 */
#define _GNU_SOURCE
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int storm_fd = -1;

/* An orphan-to-be: blocks until the pipe closes. Shares the VM of its
 * parent (clone(CLONE_VM): no page tables to copy, 10 000 in a second). */
static int orphan(void *arg)
{
	char c;

	(void)arg;
	while (read(storm_fd, &c, 1) < 0)
		;
	_exit(0);
}

static int storm(int n)
{
	const size_t stack = 16384;
	int p[2], made = 0;
	char c, *stacks;
	pid_t mid;

	if (pipe(p) < 0)
		return perror("pipe"), 1;
	mid = fork();
	if (mid < 0)
		return perror("fork"), 1;
	if (mid == 0) {
		close(p[1]);
		storm_fd = p[0];
		stacks = mmap(NULL, stack * (size_t)n, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (stacks == MAP_FAILED)
			_exit(1);
		for (; made < n; made++) {
			if (clone(orphan, stacks + stack * (size_t)(made + 1), CLONE_VM | SIGCHLD,
				  NULL) < 0) {
				perror("clone");
				break;
			}
		}
		_exit(made == n ? 0 : 1);
	}
	close(p[0]);
	if (waitpid(mid, &made, 0) < 0 || !WIFEXITED(made) || WEXITSTATUS(made))
		return fprintf(stderr, "orphans: could not make %d\n", n), 1;
	printf("orphans-ready %d\n", n);
	fflush(stdout);
	while (read(0, &c, 1) > 0 && c != '\n')
		;
	close(p[1]);            /* every orphan reads EOF now */
	printf("orphans-released\n");
	return 0;
}

/* True once stdin has a line or hit EOF (or failed): poll(2), no blocking. */
static int told_to_stop(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	char c;

	if (poll(&p, 1, 0) == 0)
		return 0;
	if (p.revents & POLLIN)
		while (read(0, &c, 1) == 1 && c != '\n')
			;
	return 1;
}

static int churn(long want)
{
	long n = 0;
	int stop = 0, st;

	printf("orphans-churning\n");
	fflush(stdout);
	while (n < want || !stop) {
		pid_t mid;

		if (!stop)
			stop = told_to_stop();
		mid = fork();
		if (mid < 0) {
			usleep(1000);
			continue;
		}
		if (mid == 0) {
			int made = 0;

			for (int i = 0; i < 8; i++) {
				pid_t o = fork();

				if (o == 0)
					_exit(0);
				made += o > 0;
			}
			_exit(made);    /* the orphans exit as we do */
		}
		if (waitpid(mid, &st, 0) == mid && WIFEXITED(st))
			n += WEXITSTATUS(st);   /* orphans really made */
	}
	printf("churned %ld\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "storm"))
		return storm(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "churn"))
		return churn(atol(argv[2]));
	fprintf(stderr, "usage: orphans storm N | churn N\n");
	return 2;
}
