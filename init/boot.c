/* SPDX-License-Identifier: MIT */
/* boot: console, hostname, kernel command line. See boot.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot.h"
#include "log.h"
#include "util.h"

/*
 * Our stderr for the log. A tty or pipe gets a private open file
 * description, so that O_NONBLOCK does not leak to whoever shares it. A
 * regular file is shared as it is (dup): reopening it would start at
 * offset 0 and overwrite the lines written so far (O_NONBLOCK does nothing
 * to a regular file). -1 when neither works.
 */
static int inherited_stderr(void)
{
	struct stat st;

	if (fstat(2, &st) == 0 && S_ISREG(st.st_mode))
		return fcntl(2, F_DUPFD_CLOEXEC, 3);
	return open("/proc/self/fd/2", O_WRONLY | O_NOCTTY | O_CLOEXEC);
}

void boot_console(const char *path)
{
	int fd = -1;

	if (path && strcmp(path, "/dev/console")) {
		/* O_NONBLOCK: a serial line without carrier must not block boot */
		fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			log_err("console %s: %s; keeping the default", path,
				strerror(errno));
	}
	if (fd < 0 && fcntl(2, F_GETFD) >= 0)
		fd = inherited_stderr();
	if (fd < 0)
		fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0)
		log_open(fd);
}

void boot_stdio(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int n;

		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		n = open("/dev/console", O_RDWR | O_NOCTTY);
		if (n < 0)
			n = open("/dev/null", O_RDWR);
		if (n >= 0 && n != fd) {
			dup2(n, fd);
			close(n);
		}
	}
}

void boot_hostname(const char *name)
{
	if (sethostname(name, strlen(name)) < 0)
		log_err("sethostname %s: %s", name, strerror(errno));
}

char *boot_read_cmdline(void)
{
	_cleanup_fd_ int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	char *buf;
	ssize_t n;

	if (fd < 0)
		return NULL;
	buf = malloc(4097);
	if (!buf)
		return NULL;
	n = read(fd, buf, 4096);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return buf;
}

const char *boot_console_tty(void)
{
	static char dev[64];
	char name[32];
	_cleanup_fd_ int fd = open("/sys/class/tty/console/active", O_RDONLY | O_CLOEXEC);
	ssize_t n;
	char *sp;

	if (fd < 0)
		return "/dev/console";
	n = read(fd, name, sizeof(name) - 1);
	if (n <= 0)
		return "/dev/console";
	name[n] = '\0';
	/* "tty0 ttyS0": the last one listed is the preferred console */
	name[strcspn(name, "\n")] = '\0';
	sp = strrchr(name, ' ');
	snprintf(dev, sizeof(dev), "/dev/%s", sp ? sp + 1 : name);
	return dev;
}

/* The inode of the initial pid namespace: fixed by the kernel
 * (PROC_PID_INIT_INO, include/linux/proc_ns.h). */
#define PID_NS_INIT_INO 0xEFFFFFFCu

bool boot_is_machine_init(void)
{
	static int known = -1;          /* the answer never changes: keep it */
	struct stat st;

	if (known >= 0)
		return known;
	/* Not NS_GET_PARENT: from inside any pid namespace it fails with
	 * EPERM, the initial one or not. Without /proc (not mounted yet, or
	 * mounting failed) the answer is no: the safe side for the host. */
	if (stat("/proc/self/ns/pid", &st) < 0) {
		log_warn("/proc/self/ns/pid: %s: acting as a container's init",
			 strerror(errno));
		return false;
	}
	known = st.st_ino == PID_NS_INIT_INO;
	return known;
}

void boot_devkmsg_on(void)
{
	_cleanup_fd_ int fd = open("/proc/sys/kernel/printk_devkmsg", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, "on\n", 3) != 3)
		log_warn("printk_devkmsg: %s: service lines in dmesg may be rate-limited",
			 strerror(errno));
}

bool boot_oom_protect(void)
{
	_cleanup_fd_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, "-1000", 5) != 5) {
		log_info("oom_score_adj -1000: %s: the OOM killer may pick boxinit "
			 "(pid 1 of a pid namespace), which ends every service",
			 strerror(errno));
		return false;
	}
	return true;
}

int boot_emergency(const struct config *cfg, const char *why, struct svc_conf *sh)
{
	char **argv;

	if (!cfg->emergency) {
		log_err("fatal: %s; no emergency shell configured (emergency = /bin/sh): "
			"continuing with what can run", why);
		return -ENOENT;
	}
	argv = split_command(cfg->emergency);
	if (!argv) {
		log_err("fatal: %s; emergency = \"%s\" is not a command", why,
			cfg->emergency);
		return -EINVAL;
	}
	log_err("fatal: %s; starting emergency shell %s", why, argv[0]);
	snprintf(sh->name, sizeof(sh->name), "emergency");
	sh->exec = argv[0];     /* cfg may be freed by a reload */
	sh->argv = argv;
	sh->restart = RESTART_ALWAYS;
	sh->stop_signal = SIGKILL;
	sh->stop_timeout_ms = 1000;
	sh->restart_max = 1000;
	sh->restart_window_ms = 60000;
	sh->memory = UINT64_MAX;
	return 0;
}
