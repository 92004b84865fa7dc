/*
 * Copyright (c) 2026 The kubsd authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */


/* The unit tests' configuration from a string, parsed and built. */
#ifndef CONF_LOAD_H
#define CONF_LOAD_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kubsd.h"

/* text as a configuration file, built; exits 1 (said why) if it is not. */
static inline struct netd_config *
conf_load(const char *text)
{
	char			 path[] = "/tmp/kubsd-test-conf.XXXXXX";
	struct netd_config	*conf;
	FILE			*fp;
	int			 fd;

	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		perror("mkstemp");
		exit(1);
	}
	fputs(text, fp);
	fclose(fp);
	conf = parse_config(path);
	unlink(path);
	if (conf == NULL || graph_build(conf) != 0) {
		fprintf(stderr, "FAIL: the configuration does not load\n");
		exit(1);
	}
	return conf;
}

#endif
