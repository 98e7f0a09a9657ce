/* SPDX-License-Identifier: MIT */
/* container: namespaces, hostname and loopback. See container.h. */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "container.h"
#include "link.h"

unsigned long container_clone_flags(const struct svc_conf *c)
{
	unsigned long f = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;

	if (c->net != NET_HOST)
		f |= CLONE_NEWNET;
	return f;
}

int container_enter(const struct svc_conf *c, struct err *e)
{
	const char *host = c->hostname ? c->hostname : c->name;
	int r;

	r = container_setup_fs(c, e);       /* may leave a warning in @e */
	if (r < 0)
		return r;
	if (sethostname(host, strlen(host)) < 0)
		return err_set(e, -errno, "hostname");
	if (c->net != NET_HOST && (r = link_loopback_up(e)) < 0)
		return err_prefix(e, "loopback");
	return 0;
}
