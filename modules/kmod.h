/* SPDX-License-Identifier: MIT */
/*
 * kmod: load kernel modules with their dependencies, like a small modprobe.
 *
 * Reads the files depmod(8) writes under /lib/modules/<release>:
 *   modules.dep      "kernel/net/bridge/bridge.ko: kernel/net/802/stp.ko
 *                     kernel/net/llc/llc.ko"; dependencies are loaded in the
 *                    REVERSE order of the line (llc, stp, then bridge)
 *   modules.softdep  "softdep libcrc32c pre: crc32c post: x" (optional
 *                    modules, loaded before / after; missing ones are skipped)
 *   modules.alias    "alias crc32c crc32c_generic" (exact names, no globs)
 *   modules.builtin  "kernel/crypto/crc32c_generic.ko" (built in: success)
 *   modules.builtin.modinfo  "crc32c_generic.alias=crc32c\0" (built-in aliases)
 * and /proc/modules (already loaded: success). '-' and '_' are the same in
 * module names. Each module is loaded at most once per call with
 * finit_module(2). modprobe.d configuration and compressed modules are not
 * supported. All memory is per call; nothing is kept between calls.
 */
#ifndef BOXINIT_KMOD_H
#define BOXINIT_KMOD_H

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
 * kmod_load_list - load every module named in the NULL-terminated @names
 * (module names or aliases; @names may be NULL) with its dependencies, from
 * @root, a "/lib/modules/<release>" directory, or from
 * /lib/modules/$(uname -r) when @root is NULL. Already loaded and built-in
 * modules count as success. Each failure is logged once ("boxinit: modules:
 * NAME: why"), and the modules depending on a failed one are not loaded and
 * are logged and counted too. Logs one info line listing the modules
 * actually loaded. Returns the number of modules that failed (0: all ok).
 */
int kmod_load_list(const char *root, char *const *names);

#endif
