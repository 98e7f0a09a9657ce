/* SPDX-License-Identifier: MIT */
/* fmt: figures written for people. */
#ifndef BOXINIT_FMT_H
#define BOXINIT_FMT_H

#include <stddef.h>
#include <stdint.h>

/*
 * fmt_size - @v bytes at a glance into @out (@len bytes, 8 suffice):
 * "512", "12K", "3.4M", "1.2G" (powers of 1024, one decimal below 10,
 * truncated), "-" for UINT64_MAX (unknown or no limit). Returns @out.
 */
const char *fmt_size(uint64_t v, char *out, size_t len);

#endif
