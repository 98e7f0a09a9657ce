/* SPDX-License-Identifier: MIT */
/* boot: console, hostname, loopback, kernel command line. See boot.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "boot.h"
#include "log.h"
#include "util.h"

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
	/* a private open file description: O_NONBLOCK must not leak to
	 * whoever shares our stderr */
	if (fd < 0 && fcntl(2, F_GETFD) >= 0)
		fd = open("/proc/self/fd/2", O_WRONLY | O_NOCTTY | O_CLOEXEC);
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

int boot_loopback(void)
{
	struct ifreq ifr;
	_cleanup_fd_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	if (ifr.ifr_flags & IFF_UP)
		return 0;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return -errno;
	return 0;
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

bool boot_machine_init(void)
{
	_cleanup_fd_ int fd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	int parent;

	if (fd < 0)
		return false;
	parent = ioctl(fd, NS_GET_PARENT);
	if (parent >= 0) {
		close(parent);
		return false;
	}
	return errno == EPERM;
}

void boot_devkmsg_on(void)
{
	_cleanup_fd_ int fd = open("/proc/sys/kernel/printk_devkmsg", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, "on\n", 3) != 3)
		log_warn("printk_devkmsg: %s: service lines in dmesg may be rate-limited",
			 strerror(errno));
}
