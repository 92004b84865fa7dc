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

/*
 * libFuzzer harness for the netd.conf parser: the input is written to
 * an anonymous file and parsed.  A valid input is printed, and the
 * printed form must parse again and print to the same bytes.
 *
 *	clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I../../netd \
 *	    fuzz_parse.c parse.c printconf.c addr.c util.c log.c
 *	./a.out -close_fd_mask=2 corpus_parse
 * (-close_fd_mask=2 silences the parser's error messages.)
 */
#include <sys/mman.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubsd.h"

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(fd, p, n)) <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write the bytes to an anonymous file; its path goes in path. */
static int
anon_file(const uint8_t *data, size_t size, char *path, size_t len)
{
	int	 fd;

	if ((fd = memfd_create("netd.conf", 0)) == -1) {
		snprintf(path, len, "/dev/shm/fuzz_parse.XXXXXX");
		if ((fd = mkstemp(path)) == -1)
			return -1;
		unlink(path);
	}
	if (write_all(fd, data, size) == -1) {
		close(fd);
		return -1;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

/* The normalized form, in a malloc'd buffer. */
static char *
print_buf(const struct netd_config *conf, size_t *len)
{
	char	*buf = NULL;
	FILE	*fp;

	if ((fp = open_memstream(&buf, len)) == NULL)
		abort();
	print_config(fp, conf);
	if (fclose(fp) != 0)
		abort();
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netd_config	*conf, *again;
	char			 path[64], *out1, *out2;
	size_t			 len1, len2;
	int			 fd, fd2;

	if ((fd = anon_file(data, size, path, sizeof(path))) == -1)
		return 0;
	conf = parse_config(path);
	close(fd);
	if (conf == NULL)
		return 0;
	out1 = print_buf(conf, &len1);
	config_free(conf);

	if ((fd2 = anon_file((uint8_t *)out1, len1, path, sizeof(path))) == -1) {
		free(out1);
		return 0;
	}
	if ((again = parse_config(path)) == NULL) {
		fprintf(stderr, "normalized form does not parse:\n%s", out1);
		abort();
	}
	close(fd2);
	out2 = print_buf(again, &len2);
	config_free(again);
	if (len1 != len2 || memcmp(out1, out2, len1) != 0) {
		fprintf(stderr, "normalized form is not stable:\n%s\n---\n%s",
		    out1, out2);
		abort();
	}
	free(out1);
	free(out2);
	return 0;
}
