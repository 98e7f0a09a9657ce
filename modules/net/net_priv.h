/* SPDX-License-Identifier: MIT */
/*
 * net_priv: what net.c (the topology, services) and net_tables.c
 * (boxinit's nftables tables, and keeping them) share. Not part of the
 * contract (see net.h).
 */
#ifndef BOXINIT_NET_PRIV_H
#define BOXINIT_NET_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/* net_bridged - @s is valid and uses net = bridge. */
bool net_bridged(const struct svc_conf *s);

/* net_mask - the IPv4 netmask of @prefix (0..32), host order. */
uint32_t net_mask(unsigned prefix);

/*
 * net_sysctl_write - write @val to /proc/sys/@key (dots become slashes
 * unless @key uses slashes). Logs a failure. Returns 0 or -errno.
 */
int net_sysctl_write(const char *key, const char *val);

/*
 * net_sysctl_set - net_sysctl_write(), remembering first what @key held
 * before boxinit's first write of it (read from /proc/sys; a value that
 * cannot be read, or over 255 bytes, is not given back).
 */
int net_sysctl_set(const char *key, const char *val);

/* net_sysctl_exists - @key's file is in /proc/sys now (a module may add it). */
bool net_sysctl_exists(const char *key);

/* net_sysctl_is_set - boxinit set @key with net_sysctl_set() (not given back). */
bool net_sysctl_is_set(const char *key);

/* net_sysctl_restore - write back what @key held before net_sysctl_set(); forget it. */
void net_sysctl_restore(const char *key);

/* net_sysctl_restore_all - the same for every key boxinit set (teardown). */
void net_sysctl_restore_all(void);

/* net_user_sysctl - the sysctl.@key entry of @cfg, or NULL. */
const struct conf_kv *net_user_sysctl(const struct config *cfg, const char *key);

/* net_forget - drop the attach records of services not in @cfg (NULL: all). */
void net_forget(const struct config *cfg);

/* net_tables_close - release the tables' sockets (teardown): watch, commit. */
void net_tables_close(void);

/* net_tables_remove - remove boxinit's tables (teardown); logs failures. */
void net_tables_remove(void);

#endif
