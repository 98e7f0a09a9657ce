/* lowerbound: C lower bounds for starting one container, in one
 * long-lived process (what PID 1 is). One start per line read on stdin,
 * by its first word:
 *
 *   go, net   the bare bound: prints "T0 <CLOCK_MONOTONIC ns>", creates a
 *             cgroup in each of the first three v1 hierarchies given (cpu:
 *             cfs 50000/100000, memory: 10M), clone()s with
 *             CLONE_NEWNS|NEWPID|NEWUTS|NEWIPC (+ NEWNET for "net"); the
 *             child joins the cgroups, chroots into ROOT and execs /stamp
 *             (which prints "STAMP start <ns>"); the parent waits, removes
 *             the cgroups and prints "DONE". No mounts, no capabilities,
 *             no no_new_privs, no seccomp.
 *   fair,     the same isolation as boxinit gives its benchmark service
 *   fairnet   (bench/bench.py: root = ROOT, cpu 0.5, memory 10M, default
 *             caps and seccomp; net = host, or net = none for fairnet),
 *             straight-line, nothing else: see fair_reaper() below. Its
 *             cgroups exist (created with their limits and device policy
 *             on the first fair start, as boxinit does on a service's
 *             first start); each start only joins them.
 *   cg        only the cgroup part: create the three cgroups, write the
 *             limits, fork a child that joins them and exits; prints
 *             "CG <ns>" (create -> child joined and reaped), then removes
 *             them.
 *
 *   lowerbound ROOT CPU CPUACCT MEMORY [PIDS DEVICES]   (parent cgroups)
 *
 * Run as "lowerbound-reaper SVC RELFD" it is the re-executed reaper of a
 * fair start.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "seccomp.h"            /* boxinit's own filter: the same program */

#define NCG 5
static char *root, *parent[NCG], cg[NCG][512];
static int nparent;
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

/* ---- the fair bound ------------------------------------------------------ */

#define CAPS_SVC ((1ull << CAP_AUDIT_WRITE) | (1ull << CAP_KILL) | \
		  (1ull << CAP_NET_BIND_SERVICE))
#define CAPS_REAPER (1ull << CAP_KILL)

static int exe = -1, procs[NCG], nprocs;
static unsigned long long known_caps;   /* cap_last_cap, read once */
static int fair_net;

#define DIE(n) _exit(100 + (n))

static void caps_set(unsigned long long keep, unsigned long long inh)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {
		{ (unsigned)keep, (unsigned)keep, (unsigned)inh },
		{ (unsigned)(keep >> 32), (unsigned)(keep >> 32), (unsigned)(inh >> 32) },
	};

	if (syscall(SYS_capset, &h, d) < 0)
		DIE(1);
}

static void bounding(unsigned long long keep)
{
	for (int c = 0; c < 64; c++)
		if ((known_caps & (1ull << c)) && !(keep & (1ull << c)) &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			DIE(2);
	known_caps &= keep;
}

static void filter(unsigned long long caps)
{
	if (seccomp_install(caps) < 0)
		DIE(3);
}

/* mount(2) under ROOT; @must: a failure is fatal, else ENOENT is skipped */
static void mnt(const char *src, const char *rel, const char *type,
		unsigned long flags, const char *data, int must)
{
	char p[600];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (mount(src, p, type, flags, data) < 0 && (must || errno != ENOENT))
		DIE(4);
}

static void ro(const char *rel)
{
	struct { unsigned long long set, clr, prop, userns; } a = { 1, 0, 0, 0 };
	char p[600];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (syscall(SYS_mount_setattr, AT_FDCWD, p, AT_RECURSIVE, &a, sizeof(a)) < 0)
		DIE(5);
}

/* The container's tree: the list and order of container_mount.c. */
static void fair_mounts(void)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
	static const char *const links[][2] = {
		{ "ptmx", "pts/ptmx" }, { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
	};
	static const char *const mdirs[] = {
		"proc/acpi", "proc/asound", "proc/scsi", "sys/firmware", "sys/devices/virtual/tpm",
	};
	static const char *const mfiles[] = {
		"proc/kcore", "proc/keys", "proc/latency_stats", "proc/timer_list",
		"proc/timer_stats", "proc/sched_debug",
	};
	static const char *const ros[] = {
		"proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger",
	};
	char p[600], h[32];

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
		DIE(6);
	mnt("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 1);
	mnt("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_STRICTATIME, "mode=755,size=64k", 1);
	snprintf(p, sizeof(p), "%s/dev/pts", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/dev/shm", root);
	mkdir(p, 0755);
	mnt("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
	    "newinstance,ptmxmode=0666,mode=0620", 1);
	mnt("tmpfs", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=67108864", 1);
	mnt("tmpfs", "tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=67108864", 1);
	if (fair_net) {
		mnt("sysfs", "sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 1);
	} else {
		mnt("/sys", "sys", NULL, MS_BIND, NULL, 1);
		ro("sys");
	}
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		int fd;

		snprintf(p, sizeof(p), "%s/dev/%s", root, nodes[i]);
		fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0)
			DIE(7);
		close(fd);
		snprintf(h, sizeof(h), "/dev/%s", nodes[i]);
		if (mount(h, p, NULL, MS_BIND | MS_REC, NULL) < 0)
			DIE(8);
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(p, sizeof(p), "%s/dev/%s", root, links[i][0]);
		if (symlink(links[i][1], p) < 0)
			DIE(9);
	}
	for (size_t i = 0; i < sizeof(mdirs) / sizeof(mdirs[0]); i++)
		mnt("tmpfs", mdirs[i], "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		    "size=0,mode=555", 0);
	for (size_t i = 0; i < sizeof(mfiles) / sizeof(mfiles[0]); i++)
		mnt("/dev/null", mfiles[i], NULL, MS_BIND, NULL, 0);
	for (size_t i = 0; i < sizeof(ros) / sizeof(ros[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", root, ros[i]);
		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) {
			if (errno == ENOENT)
				continue;
			DIE(10);
		}
		ro(ros[i]);
	}
	if (chdir(root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		DIE(11);
}

static void lo_up(void)
{
	struct ifreq r = { .ifr_name = "lo", .ifr_flags = IFF_UP };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0 || ioctl(s, SIOCSIFFLAGS, &r) < 0)
		DIE(12);
	close(s);
}

/* The service, pid 2: session, stdio, its capabilities, no_new_privs,
 * waits for its reaper's release, exec (under the inherited filter). */
static void __attribute__((noreturn)) fair_service(int rel)
{
	struct rlimit nofile = { 1024, 1024 };
	char *const argv[] = { "/stamp", NULL };
	char *const envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			       "HOME=/", "TERM=linux", NULL };
	char b;
	int null;

	if (setsid() < 0 || (null = open("/dev/null", O_RDONLY)) < 0 || dup2(null, 0) < 0)
		DIE(13);
	close(null);
	caps_set(CAPS_SVC, CAPS_SVC);
	if (setrlimit(RLIMIT_NOFILE, &nofile) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		DIE(14);
	if (read(rel, &b, 1) != 1)
		_exit(127);
	close(rel);
	execve("/stamp", argv, envp);
	DIE(15);
}

/*
 * The container's PID 1, boxinit's order: cgroups joined, cgroup
 * namespace, the mounts and pivot_root, hostname (and lo), the bounding
 * set down to the service's and the service's seccomp filter (both
 * inherited by the service), fork the service; then the reaper itself
 * down to kill, no_new_privs, not dumpable, and re-executed (nothing of
 * the parent's memory stays), which releases the service and reaps it.
 */
static int fair_reaper(void *arg)
{
	char a[2][16], *argv[] = { "lowerbound-reaper", a[0], a[1], NULL }, *envp[] = { NULL };
	int rel[2];
	pid_t svc;

	(void)arg;
	for (int i = 0; i < nprocs; i++)
		if (write(procs[i], "0", 1) < 0)
			DIE(16);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (unshare(CLONE_NEWCGROUP) < 0)
		DIE(17);
	fair_mounts();
	if (sethostname("h", 1) < 0)
		DIE(18);
	if (fair_net)
		lo_up();
	bounding(CAPS_SVC);
	filter(CAPS_SVC);
	if (pipe2(rel, O_CLOEXEC) < 0)
		DIE(19);
	svc = fork();
	if (svc == 0)
		fair_service(rel[0]);
	bounding(CAPS_REAPER);
	caps_set(CAPS_REAPER, 0);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ||
	    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		DIE(20);
	snprintf(a[0], sizeof(a[0]), "%d", (int)svc);
	snprintf(a[1], sizeof(a[1]), "%d", rel[1]);
	if (fcntl(rel[1], F_SETFD, 0) < 0)
		DIE(21);
	syscall(SYS_execveat, exe, "", argv, envp, AT_EMPTY_PATH);
	DIE(22);
}

/* The re-executed reaper: not dumpable, death signal, release, reap. */
static int reaper_main(char **argv)
{
	pid_t svc = atoi(argv[1]), pid;
	int rel = atoi(argv[2]), ws;

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
	    write(rel, "", 1) != 1)
		return 123;
	close(rel);
	while ((pid = wait(&ws)) > 0)
		if (pid == svc)
			return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128;
	return 124;
}

/* Once: the cgroups with their limits and device policy, as boxinit
 * writes them on a service's first start; the cgroup.procs fds. */
static int fair_setup(void)
{
	static const char *const allow[] = {
		"c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm",
		"c 5:2 rwm", "c 136:* rwm", "c 137:* rwm", "c 138:* rwm", "c 139:* rwm",
		"c 140:* rwm", "c 141:* rwm", "c 142:* rwm", "c 143:* rwm",
	};
	char d[NCG][512], p[4096], buf[8] = "";
	int fd;

	if (exe >= 0)
		return 0;
	fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		return -1;
	close(fd);
	for (int c = 0; c <= atoi(buf); c++)
		known_caps |= 1ull << c;
	for (int i = 0; i < nparent; i++) {
		snprintf(d[i], sizeof(d[i]), "%s/lbfair", parent[i]);
		if (mkdir(d[i], 0755) < 0 && errno != EEXIST)
			return -1;
	}
	put(d[0], "cpu.cfs_period_us", "100000");
	put(d[0], "cpu.cfs_quota_us", "50000");
	put(d[2], "memory.limit_in_bytes", "10485760");
	if (nparent > 4) {
		put(d[3], "pids.max", "max");
		put(d[4], "devices.deny", "a");
		for (size_t i = 0; i < sizeof(allow) / sizeof(allow[0]); i++)
			put(d[4], "devices.allow", allow[i]);
	}
	for (int i = 0; i < nparent; i++) {
		snprintf(p, sizeof(p), "%s/cgroup.procs", d[i]);
		if ((procs[nprocs++] = open(p, O_WRONLY | O_CLOEXEC)) < 0)
			return -1;
	}
	exe = open("/proc/self/exe", O_PATH | O_CLOEXEC);
	return exe < 0 ? -1 : 0;
}

static void fair_cleanup(void)
{
	char d[600];

	for (int i = 0; i < nprocs; i++)
		close(procs[i]);
	for (int i = 0; exe >= 0 && i < nparent; i++) {
		snprintf(d, sizeof(d), "%s/lbfair", parent[i]);
		for (int k = 0; k < 200 && rmdir(d) < 0 && errno == EBUSY; k++)
			usleep(1000);
	}
}

/* ---- main ---------------------------------------------------------------- */

static long long ns_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int bare(const char *line, unsigned it)
{
	int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;
	int cgonly = !strncmp(line, "cg", 2), st = 0;
	long long t0 = ns_now();
	pid_t pid;

	if (!strncmp(line, "net", 3))
		flags |= CLONE_NEWNET;
	printf("T0 %lld\n", t0);
	for (int i = 0; i < 3; i++) {
		snprintf(cg[i], sizeof(cg[i]), "%s/lb%u", parent[i], it);
		if (mkdir(cg[i], 0755) < 0 && errno != EEXIST) {
			printf("ERR mkdir %s: %s\n", cg[i], strerror(errno));
			return -1;
		}
	}
	put(cg[0], "cpu.cfs_period_us", "100000");
	put(cg[0], "cpu.cfs_quota_us", "50000");
	put(cg[2], "memory.limit_in_bytes", "10485760");
	if (cgonly) {
		pid = fork();
		if (pid == 0) {
			for (int i = 0; i < 3; i++)
				if (put(cg[i], "cgroup.procs", "0") < 0)
					_exit(120);
			_exit(0);
		}
		waitpid(pid, &st, 0);
		printf("CG %lld\n", ns_now() - t0);
	} else {
		pid = clone(child, stack + sizeof(stack), flags, NULL);
		if (pid < 0) {
			printf("ERR clone: %s\n", strerror(errno));
			return -1;
		}
		waitpid(pid, &st, 0);
	}
	for (int i = 0; i < 3; i++)
		for (int k = 0; k < 200 && rmdir(cg[i]) < 0 && errno == EBUSY; k++)
			usleep(1000);
	printf("DONE %d\n", st);
	return 0;
}

static int fair(const char *line)
{
	int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;
	int st = 0;
	pid_t pid;

	if (fair_setup() < 0) {
		printf("ERR fair setup: %s\n", strerror(errno));
		return -1;
	}
	fair_net = !strncmp(line, "fairnet", 7);
	if (fair_net)
		flags |= CLONE_NEWNET;
	printf("T0 %lld\n", ns_now());
	pid = clone(fair_reaper, stack + sizeof(stack), flags, NULL);
	if (pid < 0) {
		printf("ERR clone: %s\n", strerror(errno));
		return -1;
	}
	waitpid(pid, &st, 0);
	printf("DONE %d\n", st);
	return 0;
}

int main(int argc, char **argv)
{
	char line[64];
	unsigned it = 0;

	if (argc == 3 && !strcmp(argv[0], "lowerbound-reaper"))
		return reaper_main(argv);
	if (argc != 5 && argc != 7) {
		fprintf(stderr, "usage: lowerbound ROOT CPU CPUACCT MEMORY [PIDS DEVICES]\n");
		return 2;
	}
	root = argv[1];
	nparent = argc - 2;
	for (int i = 0; i < nparent; i++)
		parent[i] = argv[2 + i];
	setvbuf(stdout, NULL, _IONBF, 0);
	while (fgets(line, sizeof(line), stdin)) {
		int r = !strncmp(line, "fair", 4) ? fair(line) : bare(line, it);

		if (r < 0)
			break;
		it++;
	}
	fair_cleanup();
	return 0;
}
