/* SPDX-License-Identifier: MIT */
/* Unit tests for modules/control/peer.c: which service's cgroup holds a process,
 * from /proc/PID/cgroup as cgroup.c lays services out (v1, v2, hybrid). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "peer.h"

static const char *svc(const char *peer, const char *self, const char *subtree)
{
	static char name[CONF_NAME_MAX + 1];

	name[0] = '\0';
	return peer_cgroup_service(peer, self, subtree, name, sizeof(name)) ? name : NULL;
}

/* v2: boxinit sits in its leaf <cur>/boxinit/init; services beside it */
static void test_v2(void **state)
{
	const char *self = "0::/boxinit/init\n";

	assert_string_equal(svc("0::/boxinit/web\n", self, "boxinit"), "web");
	assert_string_equal(svc("0::/boxinit/web/nested/deeper\n", self, "boxinit"), "web");
	assert_null(svc("0::/boxinit/init\n", self, "boxinit"));        /* boxinit's own */
	assert_null(svc("0::/\n", self, "boxinit"));                     /* above it */
	assert_null(svc("0::/boxinitx/web\n", self, "boxinit"));
	assert_null(svc("0::/boxinit\n", self, "boxinit"));
	assert_null(svc("0::/../../user.slice/session-1.scope\n", self, "boxinit"));
	/* below the cgroup it was started in, not at a namespace root */
	self = "0::/system.slice/box.service/boxinit/init\n";
	assert_string_equal(svc("0::/system.slice/box.service/boxinit/db\n", self, "boxinit"), "db");
	assert_null(svc("0::/system.slice/other/boxinit/db\n", self, "boxinit"));
}

/* v2 when the move into the leaf failed: boxinit is still at <cur> */
static void test_v2_not_moved(void **state)
{
	assert_string_equal(svc("0::/x/boxinit/web\n", "0::/x\n", "boxinit"), "web");
	assert_null(svc("0::/x\n", "0::/x\n", "boxinit"));
}

/* v1: boxinit stays where it was started, in every hierarchy */
static void test_v1(void **state)
{
	const char *self = "5:pids:/\n4:memory:/\n3:cpu,cpuacct:/\n1:name=systemd:/\n";

	assert_string_equal(svc("5:pids:/boxinit/web\n4:memory:/boxinit/web\n"
				"3:cpu,cpuacct:/boxinit/web\n1:name=systemd:/\n", self, "boxinit"), "web");
	/* one hierarchy is enough (a process that left the others) */
	assert_string_equal(svc("5:pids:/\n4:memory:/boxinit/db\n", self, "boxinit"), "db");
	assert_null(svc("5:pids:/\n4:memory:/\n3:cpu,cpuacct:/other\n", self, "boxinit"));
	/* the same path under another hierarchy id is not ours */
	assert_null(svc("6:pids:/boxinit/web\n", self, "boxinit"));
}

/* hybrid: v1 controllers and the cgroup2 hierarchy side by side */
static void test_hybrid(void **state)
{
	const char *self = "4:memory:/\n0::/boxinit/init\n";

	assert_string_equal(svc("4:memory:/\n0::/boxinit/web\n", self, "boxinit"), "web");
	assert_string_equal(svc("4:memory:/boxinit/web\n0::/\n", self, "boxinit"), "web");
	assert_null(svc("4:memory:/\n0::/boxinit/init\n", self, "boxinit"));
}

/* not PID 1: the subtree is boxinit-PID, another supervisor's is not ours */
static void test_supervisor_subtree(void **state)
{
	const char *self = "0::/test/boxinit-42/init\n";

	assert_string_equal(svc("0::/test/boxinit-42/web\n", self, "boxinit-42"), "web");
	assert_null(svc("0::/test/boxinit-43/web\n", self, "boxinit-42"));
}

/* garbage never matches and never overflows */
static void test_garbage(void **state)
{
	char longname[200];

	memset(longname, 'a', sizeof(longname));
	memcpy(longname, "0::/boxinit/", 12);
	longname[sizeof(longname) - 1] = '\0';
	assert_null(svc("", "0::/boxinit/init\n", "boxinit"));
	assert_null(svc("no colons\n:\n::\n", "0::/boxinit/init\n", "boxinit"));
	assert_null(svc(longname, "0::/boxinit/init\n", "boxinit"));   /* name too long */
	assert_null(svc("0::/boxinit/web\n", "", "boxinit"));
	assert_string_equal(svc("0::/boxinit/web", "0::/boxinit/init", "boxinit"), "web");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v2),
		cmocka_unit_test(test_v2_not_moved),
		cmocka_unit_test(test_v1),
		cmocka_unit_test(test_hybrid),
		cmocka_unit_test(test_supervisor_subtree),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests_name("peer", tests, NULL, NULL);
}
