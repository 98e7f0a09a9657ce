// SPDX-License-Identifier: MIT
/*
 * config_index: service name -> index in cfg->svcs, an open-addressing
 * hash table (FNV-1a, linear probing, at most half full) that keeps the
 * lookups of a big configuration O(1). Without it (allocation failure, or
 * NULL) lookups scan the array.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_priv.h"

static void index_put(struct conf_index *idx, const struct config *cfg,
		      size_t i)
{
	const char *name = cfg->svcs[i].name;
	size_t k = fnv1a(name, strlen(name)) & (idx->cap - 1);

	while (idx->slot[k])
		k = (k + 1) & (idx->cap - 1);
	idx->slot[k] = (uint32_t)i + 1;
}

int conf_index_add(struct conf_index *idx, const struct config *cfg,
		   size_t i)
{
	if ((i + 1) * 2 > idx->cap) {
		size_t cap = idx->cap ? idx->cap * 2 : 64, j;

		while ((i + 1) * 2 > cap)
			cap *= 2;
		free(idx->slot);
		idx->slot = calloc(cap, sizeof(*idx->slot));
		if (!idx->slot) {
			idx->cap = 0;
			return -ENOMEM;
		}
		idx->cap = cap;
		for (j = 0; j < i; j++)
			index_put(idx, cfg, j);
	}
	if (idx->slot)
		index_put(idx, cfg, i);
	return 0;
}

long conf_index_find(const struct conf_index *idx, const struct config *cfg,
		     const char *name, size_t len)
{
	size_t k, i;

	if (!idx || !idx->slot) {
		for (i = 0; i < cfg->nsvcs; i++)
			if (strlen(cfg->svcs[i].name) == len &&
			    !memcmp(cfg->svcs[i].name, name, len))
				return (long)i;
		return -1;
	}
	k = fnv1a(name, len) & (idx->cap - 1);
	while (idx->slot[k]) {
		i = idx->slot[k] - 1;
		if (i < cfg->nsvcs && strlen(cfg->svcs[i].name) == len &&
		    !memcmp(cfg->svcs[i].name, name, len))
			return (long)i;
		k = (k + 1) & (idx->cap - 1);
	}
	return -1;
}

void conf_index_free(struct conf_index *idx)
{
	free(idx->slot);
	idx->slot = NULL;
	idx->cap = 0;
}

struct svc_conf *config_find(struct config *cfg, const char *name)
{
	long i;

	if (!name)
		return NULL;
	i = conf_index_find(NULL, cfg, name, strlen(name));
	return i < 0 ? NULL : &cfg->svcs[i];
}
