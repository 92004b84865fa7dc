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
 * The rule loader on Linux: nftables text from emit_nft.c, handed to
 * libnftables in one buffer, so that each call is one netlink batch,
 * committed by the kernel as a whole or not at all.  No nft(8) process.
 *
 * Only "table inet kubsd" and "table bridge kubsd" are ever named: a full
 * load recreates them with the "table X; delete table X; table X {...}"
 * idiom, which needs no knowledge of what is loaded and leaves every
 * other table alone.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "kubsd.h"
#include "load.h"
#include "log.h"
#include "rules.h"
#include "vmport.h"
#include "vmport-nl.h"

#define LOADER_ERRLINES	6

struct loader {
	struct nft_ctx		*nft;
	struct vmport_nl	*vnl;		/* NULL: attach by text */
	char			 err[1024];
};

/* Text being built for one transaction. */
struct batch {
	char		*buf;
	size_t		 len;
	FILE		*f;
};

static void
seterr(struct loader *l, const char *msg)
{
	snprintf(l->err, sizeof(l->err), "%s", msg);
}

/* Keep the first lines of nft's error text. */
static void
seterr_nft(struct loader *l)
{
	const char	*e = nft_ctx_get_error_buffer(l->nft);
	size_t		 n, lines = 0;

	if (e == NULL || *e == '\0') {
		seterr(l, "nft: transaction failed");
		return;
	}
	for (n = 0; e[n] != '\0' && n < sizeof(l->err) - 1; n++)
		if (e[n] == '\n' && ++lines == LOADER_ERRLINES)
			break;
	while (n > 0 && e[n - 1] == '\n')
		n--;
	memcpy(l->err, e, n);
	l->err[n] = '\0';
}

/* Run one buffer of commands: one transaction. */
static int
run(struct loader *l, const char *cmds)
{
	/* getting a buffer empties it */
	(void)nft_ctx_get_output_buffer(l->nft);
	(void)nft_ctx_get_error_buffer(l->nft);
	if (nft_run_cmd_from_buffer(l->nft, cmds) != 0) {
		seterr_nft(l);
		return -1;
	}
	l->err[0] = '\0';
	return 0;
}

static int
batch_open(struct loader *l, struct batch *b)
{
	b->buf = NULL;
	b->len = 0;
	if ((b->f = open_memstream(&b->buf, &b->len)) == NULL) {
		snprintf(l->err, sizeof(l->err), "open_memstream: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Close the batch and run it (unless failed); frees its text. */
static int
batch_run(struct loader *l, struct batch *b, int failed)
{
	int	 rv = -1, bad;

	bad = ferror(b->f);
	if (fclose(b->f) != 0 || bad) {
		snprintf(l->err, sizeof(l->err), "emitting rules: %s",
		    strerror(errno));
		failed = 1;
	}
	if (!failed)
		rv = run(l, b->buf);
	free(b->buf);
	return rv;
}

/* A fresh context: buffered output and errors, an empty cache. */
static struct nft_ctx *
ctx_new(void)
{
	struct nft_ctx	*nft;

	if ((nft = nft_ctx_new(NFT_CTX_DEFAULT)) == NULL)
		return NULL;
	if (nft_ctx_buffer_output(nft) != 0 ||
	    nft_ctx_buffer_error(nft) != 0) {
		nft_ctx_free(nft);
		return NULL;
	}
	return nft;
}

/*
 * libnftables keeps its parse of a batch and a cache of the whole
 * ruleset: tens of MB at 1000 VMs.  A new context costs milliseconds,
 * so this runs after a full load and when the daemon is idle, not on
 * the attach path.
 */
void
loader_shed(struct loader *l)
{
	struct nft_ctx	*nft;

	if ((nft = ctx_new()) == NULL)
		return;			/* keep the old one */
	nft_ctx_free(l->nft);
	l->nft = nft;
	malloc_trim(0);
}

struct loader *
loader_open(void)
{
	struct loader	*l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	if ((l->nft = ctx_new()) == NULL) {
		free(l);
		errno = ENOMEM;
		return NULL;
	}
	l->vnl = vmport_nl_open();
	return l;
}

void
loader_close(struct loader *l)
{
	if (l == NULL)
		return;
	nft_ctx_free(l->nft);
	vmport_nl_close(l->vnl);
	free(l);
}

const char *
loader_error(struct loader *l)
{
	return l->err[0] != '\0' ? l->err : "no error";
}

int
loader_load_full(struct loader *l, const struct ruleset *rs)
{
	struct batch	 b;
	int		 rv;

	if (batch_open(l, &b) == -1)
		return -1;
	emit_nft(b.f, rs, NULL);
	rv = batch_run(l, &b, 0);
	loader_shed(l);
	return rv;
}

/* The text way: the same elements, through libnftables (and its cache). */
static void
swap_text(FILE *f, const struct anchor *a, const char *verb)
{
	struct velem	 e[VS_COUNT];
	size_t		 i, n;

	n = vmport_elems(a, e);
	for (i = 0; i < n; i++) {
		fprintf(f, "%s element bridge kubsd %s { ", verb,
		    vmsets[e[i].set].name);
		vmport_key_print(f, &e[i]);
		fprintf(f, " }\n");
	}
}

/*
 * An attach: only the VMs' elements in the vmport sets change, in one
 * batch (vmport-nl-linux.c), or as text when that socket is missing.
 */
int
loader_load_anchors(struct loader *l, const struct ruleset *rs,
    const struct anchor *const *old, const struct anchor *const *new,
    size_t n)
{
	struct batch	 b;
	size_t		 i;
	int		 del;

	(void)rs;
	for (i = 0; i < n; i++)
		if ((old[i] != NULL && old[i]->kind != ANCHOR_VM) ||
		    (new[i] != NULL && new[i]->kind != ANCHOR_VM)) {
			seterr(l, "not a vm: needs a full load");
			return -1;
		}
	if (l->vnl != NULL)
		return vmport_nl_swap(l->vnl, old, new, n, l->err,
		    sizeof(l->err));
	if (batch_open(l, &b) == -1)
		return -1;
	for (del = 1; del >= 0; del--)
		for (i = 0; i < n; i++)
			if ((del ? old[i] : new[i]) != NULL)
				swap_text(b.f, del ? old[i] : new[i],
				    del ? "delete" : "add");
	return batch_run(l, &b, 0);
}

int
loader_remove_all(struct loader *l)
{
	return run(l, "table inet kubsd\ndelete table inet kubsd\n"
	    "table bridge kubsd\ndelete table bridge kubsd\n");
}

/* One list command per run: nft 1.0.6 fills its cache for the first. */
int
loader_dump(struct loader *l, char **text)
{
	static const char *cmds[] = {
		"list table inet kubsd", "list table bridge kubsd"
	};
	const char	*out;
	char		*s = NULL, *t;
	size_t		 i, len = 0, n;

	*text = NULL;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (run(l, cmds[i]) == -1) {
			free(s);
			return -1;
		}
		out = nft_ctx_get_output_buffer(l->nft);
		n = out != NULL ? strlen(out) : 0;
		if ((t = realloc(s, len + n + 1)) == NULL) {
			free(s);
			seterr(l, "out of memory");
			return -1;
		}
		s = t;
		memcpy(s + len, out != NULL ? out : "", n);
		len += n;
		s[len] = '\0';
	}
	*text = s;
	return 0;
}
