/* SPDX-License-Identifier: MIT */
/* mount: API filesystems and the shutdown unmount. See mount.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "log.h"
#include "mount.h"
#include "util.h"

struct api_mount {
	const char *type;
	const char *path;
	unsigned long flags;
	const char *data;
	mode_t mode;
};

/* Order matters: /dev before /dev/pts and /dev/shm. */
static const struct api_mount api_mounts[] = {
	{ "proc",     "/proc",    MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0555 },
	{ "sysfs",    "/sys",     MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0555 },
	{ "devtmpfs", "/dev",     MS_NOSUID, "mode=0755", 0755 },
	{ "devpts",   "/dev/pts", MS_NOSUID | MS_NOEXEC, "mode=0620,ptmxmode=0666,gid=5", 0755 },
	{ "tmpfs",    "/dev/shm", MS_NOSUID | MS_NODEV, "mode=1777", 01777 },
	{ "tmpfs",    "/run",     MS_NOSUID | MS_NODEV, "mode=0755", 0755 },
	{ "tmpfs",    "/tmp",     MS_NOSUID | MS_NODEV, "mode=1777", 01777 },
};

bool is_mountpoint(const char *path)
{
	char parent[256];
	struct stat st, pst;

	if (!strcmp(path, "/"))
		return true;
	if (snprintf(parent, sizeof(parent), "%s/..", path) >= (int)sizeof(parent))
		return false;
	if (stat(path, &st) < 0 || stat(parent, &pst) < 0)
		return false;
	return st.st_dev != pst.st_dev || st.st_ino == pst.st_ino;
}

int mount_api_filesystems(void)
{
	int failures = 0;

	for (size_t i = 0; i < ARRAY_SIZE(api_mounts); i++) {
		const struct api_mount *m = &api_mounts[i];

		if (is_mountpoint(m->path))
			continue;
		if (mkdir(m->path, m->mode) < 0 && errno != EEXIST) {
			log_err("mkdir %s: %s", m->path, strerror(errno));
			failures++;
			continue;
		}
		if (mount(m->type, m->path, m->type, m->flags, m->data) < 0) {
			log_err("mount %s on %s: %s", m->type, m->path,
				strerror(errno));
			failures++;
			continue;
		}
		log_debug("mounted %s on %s", m->type, m->path);
	}
	return failures;
}

/* Mount points from mountinfo, for unmount_all. At most 256 are handled. */
#define MAX_MOUNTS 256

void unmount_all(bool remount_root)
{
	char *paths[MAX_MOUNTS];
	size_t n = 0;
	char line[1024];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f) {
		log_warn("unmount: /proc/self/mountinfo: %s", strerror(errno));
	} else {
		while (n < MAX_MOUNTS && fgets(line, sizeof(line), f)) {
			char *fl[5], *mp;

			/* id parent major:minor root mountpoint ... */
			if (split_fields(line, fl, 5) != 5)
				continue;
			mp = fl[4];
			if (!strcmp(mp, "/") || !strcmp(mp, "/proc") ||
			    !strcmp(mp, "/dev") || !strcmp(mp, "/sys"))
				continue;
			paths[n] = strdup(mp);
			if (paths[n])
				n++;
		}
		fclose(f);
	}
	/* mountinfo lists parents before children: unmount in reverse */
	while (n-- > 0) {
		if (umount2(paths[n], 0) < 0 && umount2(paths[n], MNT_DETACH) < 0)
			log_debug("umount %s: %s", paths[n], strerror(errno));
		free(paths[n]);
	}
	if (remount_root &&
	    mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
		log_debug("remount / read-only: %s", strerror(errno));
}
