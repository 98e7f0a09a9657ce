/* SPDX-License-Identifier: MIT */
/* cgroup_mount: as PID 1, mount the cgroup hierarchies `cgroup =` asks for
 * under /sys/fs/cgroup. See cg_mount in cgroup_internal.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "log.h"
#include "mount.h"
#include "util.h"

#define CG_MNT_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

static bool have_fs(const char *fstype)
{
	char buf[4096];
	_cleanup_fd_ int fd = open("/proc/filesystems", O_RDONLY | O_CLOEXEC);
	ssize_t n;
	char needle[40];

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	snprintf(needle, sizeof(needle), "\t%s\n", fstype);
	return strstr(buf, needle) != NULL;
}

static int mount_v1(const char *opts)
{
	char dir[64];

	snprintf(dir, sizeof(dir), CG_ROOT "/%s", opts);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mount("cgroup", dir, "cgroup", CG_MNT_FLAGS, opts) < 0) {
		int e = errno;

		rmdir(dir);
		return -e;
	}
	return 0;
}

/* cgroup2 on CG_ROOT, kept when @mode is v2 or it has every controller
 * boxinit needs. Returns true when it stays. */
static bool mount_v2(enum cgroup_mode mode)
{
	char buf[256];
	unsigned m;

	if (mount("cgroup2", CG_ROOT, "cgroup2", CG_MNT_FLAGS, NULL) < 0) {
		log_err("mount cgroup2 on " CG_ROOT ": %s", strerror(errno));
		return false;
	}
	m = cg_get(CG_ROOT, "cgroup.controllers", buf, sizeof(buf)) > 0 ? cg_ctrl_mask(buf) : 0;
	if (mode == CGROUP_V2 || (m & CG_NEEDED) == CG_NEEDED)
		return true;
	log_info("cgroup2 lacks controllers boxinit needs: using cgroup v1");
	if (umount2(CG_ROOT, 0) < 0)
		log_err("umount " CG_ROOT ": %s", strerror(errno));
	return false;
}

/* The v1 controllers under a tmpfs. Returns true for "no v1 memory
 * controller, but v2 has one". */
static bool mount_v1_all(void)
{
	bool no_memcg_v1 = false;
	int r;

	/* cpu and cpuacct together, as a classic hierarchy; separately where
	 * they are already bound apart (EBUSY, or EPERM in a cgroup namespace) */
	r = mount_v1("cpu,cpuacct");
	if (r < 0) {
		int r2 = mount_v1("cpu");

		if (r2 < 0)
			log_warn("mount cgroup cpu: %s", strerror(-r2));
		if ((r2 = mount_v1("cpuacct")) < 0)
			log_warn("mount cgroup cpuacct: %s", strerror(-r2));
	}
	if ((r = mount_v1("memory")) < 0 && r == -EINVAL && have_fs("cgroup2")) {
		/* Linux 6.12+ without CONFIG_MEMCG_V1: "Unknown subsys name" */
		no_memcg_v1 = true;
		log_warn("cgroup v1: this kernel has no v1 memory controller (CONFIG_MEMCG_V1 is not"
			 " set, as from Linux 6.12): memory limits and OOM reports need cgroup v2"
			 " (cgroup = auto or v2); cpu and pids limits work on v1");
	} else if (r < 0) {
		log_warn("mount cgroup memory: %s", strerror(-r));
	}
	if ((r = mount_v1("pids")) < 0)
		log_warn("mount cgroup pids: %s", strerror(-r));
	/* the device policy (cgroup_devices.c); v2 needs no controller */
	if ((r = mount_v1("devices")) < 0)
		log_warn("mount cgroup devices: %s", strerror(-r));
	return no_memcg_v1;
}

bool cg_mount(enum cgroup_mode mode)
{
	bool no_memcg_v1;

	if (is_mountpoint(CG_ROOT))
		return false;
	if (mode != CGROUP_V1 && have_fs("cgroup2")) {
		if (mount_v2(mode))
			return false;
	} else if (mode == CGROUP_V2) {
		log_err("cgroup = v2, but the kernel has no cgroup2 filesystem: trying v1");
	}
	if (mount("tmpfs", CG_ROOT, "tmpfs", CG_MNT_FLAGS, "mode=0755") < 0) {
		log_err("mount tmpfs on " CG_ROOT ": %s", strerror(errno));
		return false;
	}
	no_memcg_v1 = mount_v1_all();
	/* hybrid: controllers the kernel keeps on v2 */
	if (mode == CGROUP_AUTO && have_fs("cgroup2") &&
	    mkdir(CG_ROOT "/unified", 0755) == 0 &&
	    mount("cgroup2", CG_ROOT "/unified", "cgroup2", CG_MNT_FLAGS, NULL) < 0)
		rmdir(CG_ROOT "/unified");
	return no_memcg_v1;
}
