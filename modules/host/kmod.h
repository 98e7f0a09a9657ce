/* SPDX-License-Identifier: MIT */
/*
 * kmod: load kernel modules with their dependencies, like a small modprobe.
 *
 * Reads the files depmod(8) writes under /lib/modules/<release> (or
 * /usr/lib/modules/<release>, merged /usr):
 *   modules.dep      "kernel/net/bridge/bridge.ko.xz: kernel/net/802/stp.ko.xz
 *                     kernel/net/llc/llc.ko.xz"; dependencies are loaded in the
 *                    REVERSE order of the line (llc, stp, then bridge);
 *                    .ko.xz / .ko.zst / .ko.gz files are decompressed by the
 *                    kernel (finit_module(2) MODULE_INIT_COMPRESSED_FILE,
 *                    CONFIG_MODULE_DECOMPRESS)
 *   modules.softdep  "softdep libcrc32c pre: crc32c post: x" (optional
 *                    modules, loaded before / after; missing ones are skipped)
 *   modules.alias    "alias crc32c crc32c_generic" (exact names, no globs;
 *                    like modprobe, every module an alias names is loaded,
 *                    even when a built-in module provides the alias too)
 *   modules.builtin  "kernel/crypto/crc32c_generic.ko" (built in: success)
 *   modules.builtin.modinfo  "crc32c_generic.alias=crc32c\0" (built-in aliases)
 * and /proc/modules (already loaded: success). '-' and '_' are the same in
 * module names. Each module is loaded at most once per call with
 * finit_module(2). modprobe.d(5): "options NAME PARAMS" (for every module
 * loaded, dependencies too) and "blacklist NAME" (applies to aliases only,
 * as in modprobe without -b: a module named in the list, or needed as a
 * dependency, still loads); see kconf_load in kmod_priv.h for the files.
 * Other modprobe.d commands (alias, softdep, install) are ignored. All
 * memory is per call; nothing is kept between calls.
 */
#ifndef BOXINIT_KMOD_H
#define BOXINIT_KMOD_H

#include <stdio.h>

#define KMOD_NAME_MAX   64          /* MODULE_NAME_LEN, including the NUL */
#define KMOD_DEPTH_MAX  32          /* deeper dependency chains are an error */
#define KMOD_DEP_MAX    (4u << 20)  /* larger modules.dep is an error (bytes) */
#define KMOD_DEP_LINES  65536u      /* modules.dep entries used at most */

/*
 * kmod_finit - hook that loads the module open on @fd with the parameter
 * string @params and finit_module(2) @flags. Returns 0 or -errno. Defaults
 * to syscall(SYS_finit_module, ...); unit tests replace it. @fd stays owned
 * by the caller.
 */
extern int (*kmod_finit)(int fd, const char *params, int flags);

/*
 * kmod_loaded - hook that tells whether module @name (normalized: '_' only)
 * is already loaded: 1 yes, 0 no (also when it cannot tell). Defaults to a
 * scan of /proc/modules; unit tests replace it.
 */
extern int (*kmod_loaded)(const char *name);

/*
 * kmod_sysroot - prefix of /lib/modules, /usr/lib/modules and the
 * modprobe.d directories when no root is given ("" by default; unit tests
 * point it at a fake tree). Not owned.
 */
extern const char *kmod_sysroot;

/*
 * kmod_load_list - load every module named in the NULL-terminated @names
 * (module names or aliases; @names may be NULL) with its dependencies, from
 * @root, a "/lib/modules/<release>" directory, or from
 * /lib/modules/$(uname -r), else /usr/lib/modules/$(uname -r), when @root is
 * NULL. An entry "NAME.KEY=VALUE" is a parameter of module NAME (added
 * after its modprobe.d options, so it wins) and loads NAME too. modprobe.d
 * is read under the tree @root is in (".../lib/modules/REL": the prefix),
 * else under kmod_sysroot. Already loaded and built-in
 * modules count as success. Each failure is logged once ("boxinit: modules:
 * NAME: why"), and the modules depending on a failed one are not loaded and
 * are logged and counted too. Logs one info line listing the modules
 * actually loaded. Returns the number of modules that failed (0: all ok).
 */
int kmod_load_list(const char *root, char *const *names);

/*
 * kmod_plan - what kmod_load_list(@root, @names) would load on a fresh
 * boot (/proc/modules is not read), printed to @out in load order, one line
 * each: "insmod PATH [PARAMS]\t# NAME: WHY" (WHY: "listed in modules",
 * "dependency of X", "soft dependency (pre) of X", "alias A, ..."),
 * "builtin NAME\t# NAME: WHY", "# NAME: blacklisted ...", and a last
 * "# N modules to load, M problems" line. Problems are logged as by
 * kmod_load_list. Returns the number of problems (0: all found).
 */
int kmod_plan(const char *root, char *const *names, FILE *out);

#endif
