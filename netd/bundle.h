/* Role bundles (bundle.c): placeholder until the generator lands. */
#ifndef BUNDLE_H
#define BUNDLE_H
#include <stddef.h>
struct netd_config;
struct node;
int	bundle_write(const struct netd_config *, const struct node *,
	    const char *, char *, size_t);
#endif
