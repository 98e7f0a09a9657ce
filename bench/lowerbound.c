/* lowerbound: the C lower bound for starting one container, in one
 * long-lived process (what PID 1 is). For every line read on stdin it:
 * prints "T0 <CLOCK_MONOTONIC ns>", creates a cgroup in each v1 hierarchy
 * given (cpu: cfs 50000/100000, memory: 10M), clone()s with
 * CLONE_NEWNS|NEWPID|NEWUTS|NEWIPC (+ NEWNET when "net" is the first word
 * of the line); the child joins the cgroups, chroots into ROOT and execs
 * /stamp (which prints "STAMP start <ns>"); the parent waits, removes the
 * cgroups and prints "DONE". No veth, no mounts beyond the namespace.
 * A line starting with "cg" times only the cgroup part: create the three
 * cgroups, write the limits, fork a child that joins them and exits; it
 * prints "CG <ns>" (create → child joined and reaped), then removes them.
 *   lowerbound ROOT CPU_DIR CPUACCT_DIR MEMORY_DIR      (dirs: parent cgroups)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *root, cg[3][512];
static char stack[64 * 1024] __attribute__((aligned(16)));

static int put(const char *dir, const char *file, const char *val)
{
	char p[600];
	int fd, r;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = write(fd, val, strlen(val)) < 0 ? -1 : 0;
	close(fd);
	return r;
}

static int child(void *arg)
{
	char *const argv[] = { "/stamp", NULL };

	(void)arg;

	for (int i = 0; i < 3; i++)
		if (put(cg[i], "cgroup.procs", "0") < 0)
			_exit(120);
	if (chroot(root) < 0 || chdir("/") < 0)
		_exit(121);
	execv("/stamp", argv);
	_exit(122);
}

int main(int argc, char **argv)
{
	char line[64];
	unsigned it = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: lowerbound ROOT CPU CPUACCT MEMORY\n");
		return 2;
	}
	root = argv[1];
	setvbuf(stdout, NULL, _IONBF, 0);
	while (fgets(line, sizeof(line), stdin)) {
		struct timespec t;
		int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;
		int st = 0;
		pid_t pid;

		int cgonly = !strncmp(line, "cg", 2);

		if (!strncmp(line, "net", 3))
			flags |= CLONE_NEWNET;
		clock_gettime(CLOCK_MONOTONIC, &t);
		printf("T0 %llu\n", (unsigned long long)t.tv_sec * 1000000000ULL + t.tv_nsec);
		for (int i = 0; i < 3; i++) {
			snprintf(cg[i], sizeof(cg[i]), "%s/lb%u", argv[2 + i], it);
			if (mkdir(cg[i], 0755) < 0 && errno != EEXIST) {
				printf("ERR mkdir %s: %s\n", cg[i], strerror(errno));
				return 1;
			}
		}
		put(cg[0], "cpu.cfs_period_us", "100000");
		put(cg[0], "cpu.cfs_quota_us", "50000");
		put(cg[2], "memory.limit_in_bytes", "10485760");
		if (cgonly) {
			struct timespec t1;

			pid = fork();
			if (pid == 0) {
				for (int i = 0; i < 3; i++)
					if (put(cg[i], "cgroup.procs", "0") < 0)
						_exit(120);
				_exit(0);
			}
			waitpid(pid, &st, 0);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			printf("CG %lld\n", (long long)(t1.tv_sec - t.tv_sec) * 1000000000LL +
			       (t1.tv_nsec - t.tv_nsec));
		} else {
			pid = clone(child, stack + sizeof(stack), flags, NULL);
			if (pid < 0) {
				printf("ERR clone: %s\n", strerror(errno));
				return 1;
			}
			waitpid(pid, &st, 0);
		}
		for (int i = 0; i < 3; i++)
			for (int k = 0; k < 200 && rmdir(cg[i]) < 0 && errno == EBUSY; k++)
				usleep(1000);
		printf("DONE %d\n", st);
		it++;
	}
	return 0;
}
