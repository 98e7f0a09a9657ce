/* SPDX-License-Identifier: MIT */
/*
 * net_sysctl: /proc/sys writes, and what each key held before boxinit
 * first wrote it, so that what boxinit set can be given back (a key gone
 * from the config at reload, route_localnet no longer needed, a
 * supervisor's exit). See net_priv.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "net_priv.h"
#include "util.h"

#define SYSCTL_VALUE_MAX 256    /* bytes of an original value kept */

struct saved {
	char *key;
	char *orig;             /* NULL: could not be read, not given back */
};

static struct saved *saved;
static size_t nsaved;

/* /proc/sys/KEY (dots become slashes unless KEY already uses slashes) */
static int path_of(const char *key, char path[256])
{
	size_t n = strlen(key);
	bool slashes = strchr(key, '/') != NULL;

	if (n + 11 > 256 || strstr(key, "..") || key[0] == '/' || key[0] == '.')
		return -EINVAL;
	memcpy(path, "/proc/sys/", 10);
	for (size_t i = 0; i <= n; i++)
		path[10 + i] = key[i] == '.' && !slashes ? '/' : key[i];
	return 0;
}

int net_sysctl_write(const char *key, const char *val)
{
	char path[256];
	_cleanup_fd_ int fd = -1;
	int r;

	if (path_of(key, path) < 0) {
		log_err("sysctl %s: invalid name", key);
		return -EINVAL;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	r = fd < 0 ? -errno : write_all(fd, val, strlen(val));
	if (r < 0)
		log_err("sysctl %s = %s: %s: %s", key, val, path, strerror(-r));
	else
		log_debug("sysctl %s = %s", key, val);
	return r;
}

/* The value of @key now, without its final newline; malloc'd, or NULL. */
static char *sysctl_read(const char *key)
{
	char path[256], buf[SYSCTL_VALUE_MAX];
	_cleanup_fd_ int fd = -1;
	ssize_t n;

	if (path_of(key, path) < 0)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0 ||
	    n == (ssize_t)sizeof(buf) - 1)
		return NULL;            /* unreadable, or too long to keep whole */
	buf[n] = '\0';
	if (buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return strdup(buf);
}

static struct saved *find(const char *key)
{
	for (size_t i = 0; i < nsaved; i++)
		if (!strcmp(saved[i].key, key))
			return &saved[i];
	return NULL;
}

int net_sysctl_set(const char *key, const char *val)
{
	struct saved *grown;

	if (!find(key) && (grown = realloc(saved, (nsaved + 1) * sizeof(*saved)))) {
		saved = grown;
		saved[nsaved].key = strdup(key);
		saved[nsaved].orig = sysctl_read(key);
		if (saved[nsaved].key)
			nsaved++;
		else
			free(saved[nsaved].orig);
	}
	return net_sysctl_write(key, val);
}

bool net_sysctl_exists(const char *key)
{
	char path[256];

	return path_of(key, path) == 0 && access(path, F_OK) == 0;
}

bool net_sysctl_is_set(const char *key)
{
	return find(key) != NULL;
}

static void give_back(struct saved *s)
{
	if (s->orig)
		net_sysctl_write(s->key, s->orig);
	free(s->key);
	free(s->orig);
	*s = saved[--nsaved];
}

void net_sysctl_restore(const char *key)
{
	struct saved *s = find(key);

	if (s)
		give_back(s);
}

void net_sysctl_restore_all(void)
{
	while (nsaved)
		give_back(&saved[nsaved - 1]);
	free(saved);
	saved = NULL;
}

const struct conf_kv *net_user_sysctl(const struct config *cfg, const char *key)
{
	for (size_t i = 0; i < cfg->nsysctl; i++)
		if (!strcmp(cfg->sysctl[i].key, key))
			return &cfg->sysctl[i];
	return NULL;
}
