/* SPDX-License-Identifier: MIT */
/*
 * container_caps: least privilege for a service, just before exec. See
 * container.h. capabilities(7): the bounding set is dropped first (that
 * needs CAP_SETPCAP, which a root process has); PR_SET_KEEPCAPS keeps the
 * permitted set across setuid(2); capset(2) then sets permitted, effective
 * and inheritable to the kept set, and for a non-root user the ambient set
 * too (a program without file capabilities gets exactly the ambient set
 * at execve(2)). For root, execve(2) grants inheritable | bounding = the
 * kept set. no_new_privs last: nothing can gain privileges after it.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container.h"

#define CT_NOFILE 1024          /* OCI default RLIMIT_NOFILE, soft and hard */

int container_drop_privs(const struct svc_conf *c, char *what)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	struct rlimit nofile = { CT_NOFILE, CT_NOFILE };
	uint64_t keep = c->has_caps ? c->caps : CT_DEFAULT_CAPS, known = 0;
	bool user = c->has_user && c->uid != 0;
	const char *step;
	int cap;

	/* every capability the kernel knows: PR_CAPBSET_READ fails past
	 * the last one (/proc/sys/kernel/cap_last_cap, without needing /proc) */
	step = "capability bounding set";
	for (cap = 0; cap < 64 && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
		known |= 1ull << cap;
		if (!(keep & (1ull << cap)) &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			goto fail;
	}
	keep &= known;
	if (c->has_user) {
		step = "keepcaps";
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			goto fail;
		step = "setgroups";
		if (setgroups(0, NULL) < 0)
			goto fail;
		step = "setgid";
		if (setgid(c->gid) < 0)
			goto fail;
		step = "setuid";
		if (setuid(c->uid) < 0)
			goto fail;
	}
	memset(data, 0, sizeof(data));
	data[0].permitted = data[0].effective = data[0].inheritable = (uint32_t)keep;
	data[1].permitted = data[1].effective = data[1].inheritable =
		(uint32_t)(keep >> 32);
	step = "capset";
	if (syscall(SYS_capset, &hdr, data) < 0)
		goto fail;
	step = "ambient capabilities";
	for (cap = 0; user && cap < 64; cap++)
		if ((keep & (1ull << cap)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			goto fail;
	step = "RLIMIT_NOFILE";
	if (setrlimit(RLIMIT_NOFILE, &nofile) < 0)
		goto fail;
	step = "no_new_privs";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		goto fail;
	return 0;
fail:
	strcpy(what, step);
	return -errno;
}
