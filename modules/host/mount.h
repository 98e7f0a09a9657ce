/* SPDX-License-Identifier: MIT */
/* mount: the API filesystems PID 1 provides, mounted only where missing. */
#ifndef BOXINIT_MOUNT_H
#define BOXINIT_MOUNT_H

#include <stdbool.h>

/*
 * mount_api_filesystems - mount /proc, /sys, /dev (devtmpfs), /dev/pts,
 * /dev/shm, /run and /tmp where nothing is mounted yet (mount points are
 * created 0755). Each failure is logged with the path and errno and the
 * others are still tried. Returns the number of failures.
 */
int mount_api_filesystems(void);

/*
 * is_mountpoint - true when @path is the root of a mount (st_dev differs
 * from its parent's, or it is "/"). False when it does not exist.
 */
bool is_mountpoint(const char *path);

/*
 * unmount_all - at shutdown: unmount everything in /proc/self/mountinfo
 * except "/" and the API filesystems still needed to reboot, deepest
 * first. With @remount_root, then remount "/" read-only: only on the
 * machine itself, since a remount changes the superblock that a sandbox's
 * root may share with its host. Failures are logged and skipped.
 */
void unmount_all(bool remount_root);

#endif
