/* SPDX-License-Identifier: MIT */
/*
 * container_notify: the sd_notify socket of a service with ready =
 * notify, bound into its container. See container.h. bind mounts from an
 * fd follow mount_namespaces(7): the fd is opened in the child's own
 * (new) mount namespace, so that its mount belongs to the namespace the
 * bind is made in, and the bind is made before pivot_root detaches the
 * old tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include "container_priv.h"

static int notify_fd = -1;      /* boxinit's socket, O_PATH */
static const char *notify_at;   /* where the container sees it */

int container_notify(const char *path, const char *at, struct err *e)
{
	if (!path)
		return 0;
	if (!at || at[0] != '/')
		return err_setx(e, -EINVAL, "notify socket %s: no path in the container",
				path);
	notify_fd = open(path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
	if (notify_fd < 0)
		return ct_fail(e, "notify socket", "", path, errno);
	notify_at = at;
	return 0;
}

int ct_bind_notify(int root, struct err *e)
{
	int fd, r = 0;

	if (notify_fd < 0)
		return 0;
	fd = ct_open_in(root, notify_at, MAKE_FILE);
	if (fd < 0)
		return ct_fail(e, "notify socket", "", notify_at, -fd);
	if (mount(FDP(notify_fd), FDP(fd), NULL, MS_BIND, NULL) < 0)
		r = ct_fail(e, "notify socket", "", notify_at, errno);
	close(fd);
	close(notify_fd);
	notify_fd = -1;
	return r;
}
