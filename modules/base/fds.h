/* SPDX-License-Identifier: MIT */
/* fds: file descriptor tables of freshly forked children. */
#ifndef BOXINIT_FDS_H
#define BOXINIT_FDS_H

/*
 * fds_close_except - close every fd from @from on except the @n in @keep
 * (negative entries ignored; any order): close_range(2) over the gaps
 * (Linux 5.9), else close(2) one by one below 4096. For a child between
 * fork(2) and exec or exit; never fails.
 */
void fds_close_except(unsigned from, const int *keep, int n);

#endif
