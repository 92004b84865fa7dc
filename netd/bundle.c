/* Placeholder until the role bundle generator lands. */
#include <sys/stat.h>
#include <errno.h>
#include <stdio.h>
#include "bundle.h"
#include "kubsd.h"

int
bundle_write(const struct netd_config *conf, const struct node *g,
    const char *dir, char *err, size_t errlen)
{
	(void)conf;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "gateway %s: %s", g->name, dir);
		return -1;
	}
	return 0;
}
