/* SPDX-License-Identifier: MIT */
/*
 * container_caps: least privilege for a service, just before exec, and
 * for its reaper once the service is forked. See container.h.
 * capabilities(7): the bounding set is dropped first (that needs
 * CAP_SETPCAP, which a root process has); PR_SET_KEEPCAPS keeps the
 * permitted set across setuid(2); capset(2) then sets permitted, effective
 * and inheritable to the kept set, and for a non-root user the ambient set
 * too (a program without file capabilities gets exactly the ambient set
 * at execve(2)). For root, execve(2) grants inheritable | bounding = the
 * kept set. no_new_privs last: nothing can gain privileges after it.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container.h"
#include "seccomp.h"

#define CT_NOFILE 1024          /* OCI default RLIMIT_NOFILE, soft and hard */

uint64_t container_caps(const struct svc_conf *c)
{
	return c->has_caps ? c->caps : CT_DEFAULT_CAPS;
}

/* The bounding set of this process as far as it is known (a superset of
 * the kernel's: dropping a capability twice is harmless) and every
 * capability the kernel has; read once in PID 1 (container_caps_init),
 * inherited by each clone and fork, kept in step by drop_bounding(). */
static uint64_t bset, known;

void container_caps_init(void)
{
	int r;

	if (known)
		return;
	/* PR_CAPBSET_READ fails past the last capability the kernel knows */
	for (int cap = 0; cap < 64 && (r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0)) >= 0;
	     cap++) {
		known |= 1ull << cap;
		if (r)
			bset |= 1ull << cap;
	}
}

/* Drop every capability not in @keep from the bounding set, one
 * PR_CAPBSET_DROP for each one still there (there is no call for a set).
 * Returns 0 or -1 with errno set. */
static int drop_bounding(uint64_t keep)
{
	container_caps_init();
	if (!known) {
		errno = EINVAL;
		return -1;
	}
	for (int cap = 0; cap < 64; cap++) {
		if (!(bset & ~keep & (1ull << cap)))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -1;
		bset &= ~(1ull << cap);
	}
	return 0;
}

int container_drop_bounding(const struct svc_conf *c, struct err *e)
{
	if (drop_bounding(container_caps(c)) < 0)
		return err_set(e, -errno, "capability bounding set");
	return 0;
}

/* setuid/setgid to the service's user, no supplementary groups, keeping
 * the permitted set (PR_SET_KEEPCAPS). Returns the failing step or NULL. */
static const char *switch_user(const struct svc_conf *c)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return "keepcaps";
	if (setgroups(0, NULL) < 0)
		return "setgroups";
	if (setgid(c->gid) < 0)
		return "setgid";
	if (setuid(c->uid) < 0)
		return "setuid";
	return NULL;
}

/* capset(2): permitted = effective = @keep, inheritable = @inh */
static int set_caps(uint64_t keep, uint64_t inh)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	data[0].permitted = data[0].effective = (uint32_t)keep;
	data[1].permitted = data[1].effective = (uint32_t)(keep >> 32);
	data[0].inheritable = (uint32_t)inh;
	data[1].inheritable = (uint32_t)(inh >> 32);
	return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

int container_drop_privs(const struct svc_conf *c, struct err *e)
{
	struct rlimit nofile = { CT_NOFILE, CT_NOFILE };
	uint64_t keep = container_caps(c);
	bool user = c->has_user && c->uid != 0;
	const char *step;
	int cap;

	/* nothing left to drop when the reaper did it before the fork */
	step = "capability bounding set";
	if (drop_bounding(keep) < 0)
		goto fail;
	keep &= known;
	if (c->has_user && (step = switch_user(c)))
		goto fail;
	step = "capset";
	if ((errno = -set_caps(keep, keep)))
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
	return err_set(e, -errno, "%s", step);
}

int container_drop_reaper(const struct svc_conf *c, struct err *e)
{
	uint64_t keep = container_caps(c) & (1ull << CAP_KILL);
	bool user = c->has_user && c->uid != 0;
	const char *step;

	step = "reaper: capability bounding set";
	if (drop_bounding(keep) < 0)
		goto fail;
	if (c->has_user && (step = switch_user(c)))
		goto fail;
	/* the reaper re-executes itself (process.c): a non-root one keeps
	 * kill across that only as an ambient capability */
	step = "reaper: capset";
	keep &= known;
	if ((errno = -set_caps(keep, user ? keep : 0)))
		goto fail;
	/* nothing was raised: clearing can only fail on kernels before 4.3 */
	step = "reaper: ambient capabilities";
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		goto fail;
	if (user && keep && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE,
				  CAP_KILL, 0, 0) < 0)
		goto fail;
	step = "reaper: no_new_privs";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		goto fail;
	/* after the uid change, which resets both (commit_creds) */
	step = "reaper: dumpable";
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		goto fail;
	step = "reaper: parent death signal";
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		goto fail;
	return 0;
fail:
	return err_set(e, -errno, "%s", step);
}

int container_seccomp(const struct svc_conf *c, struct err *e)
{
	int r = c->seccomp ? seccomp_install(container_caps(c)) : 0;

	return r < 0 ? err_set(e, r, "seccomp filter") : 0;
}
