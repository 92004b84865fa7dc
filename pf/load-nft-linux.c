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
#include "replay-nft.h"
#include "rules.h"

#define LOADER_ERRLINES	6

struct loader {
	struct nft_ctx	*nft;
	struct replay	*rp;		/* NULL: text only */
	char		*skel;		/* the replay's table */
	char		 err[1024];
};

/* Text being built for one transaction. */
struct batch {
	char		*buf;
	size_t		 len;
	FILE		*f;
};

static const char *bridge_maps[] = {
	"port_in", "port_out", "host_in", "host_out"
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
	l->rp = replay_open();
	return l;
}

void
loader_close(struct loader *l)
{
	if (l == NULL)
		return;
	nft_ctx_free(l->nft);
	replay_close(l->rp);
	free(l->skel);
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

/* Is key an element of bridge map "map" as loaded now? */
static int
has_element(struct loader *l, const char *map, const char *key)
{
	char	 cmd[128];

	snprintf(cmd, sizeof(cmd), "get element bridge kubsd %s { \"%s\" }",
	    map, key);
	return run(l, cmd) == 0;
}

/*
 * Delete the elements the running ruleset has for the port's interfaces
 * (its own port, and a gateway's downstream one).  In the same batch as
 * the new elements this replaces them: nftables has no "replace element"
 * and rejects "add" of a key whose verdict differs.
 */
static void
delete_elements(struct loader *l, FILE *f, const struct anchor *a)
{
	const char	*keys[2] = { a->ifname, a->down_if };
	size_t		 i, k;

	for (k = 0; k < 2; k++) {
		if (keys[k][0] == '\0')
			continue;
		for (i = 0; i < sizeof(bridge_maps) / sizeof(bridge_maps[0]);
		    i++)
			if (has_element(l, bridge_maps[i], keys[k]))
				fprintf(f, "delete element bridge kubsd %s "
				    "{ \"%s\" }\n", bridge_maps[i], keys[k]);
	}
}

static const struct anchor *
port_anchor(struct loader *l, const struct ruleset *rs, const char *name)
{
	const struct anchor	*a;

	if ((a = rules_anchor(rs, name)) == NULL) {
		snprintf(l->err, sizeof(l->err), "%s: not in the ruleset",
		    name);
		return NULL;
	}
	return a;
}

int
loader_load_port(struct loader *l, const struct ruleset *loaded,
    const struct ruleset *rs, const char *name)
{
	const struct anchor	*a;
	struct batch		 b;

	if ((a = port_anchor(l, rs, name)) == NULL)
		return -1;
	if (a->kind == ANCHOR_BASE)
		return loader_load_full(l, rs);
	if (batch_open(l, &b) == -1)
		return -1;
	if (a->kind == ANCHOR_GATEWAY || a->kind == ANCHOR_VM) {
		if (loaded != NULL && rules_anchor(loaded, name) != NULL)
			emit_nft_port_unmap(b.f, loaded, name);
		else
			delete_elements(l, b.f, a);
	}
	emit_nft_port(b.f, rs, name);
	return batch_run(l, &b, 0);
}

/* Close a batch's stream; its text, or NULL. */
static char *
batch_text(struct batch *b)
{
	int	 bad = ferror(b->f);

	if (fclose(b->f) != 0 || bad) {
		free(b->buf);
		return NULL;
	}
	return b->buf;
}

/* VMs' ports through the replay (replay-nft-linux.c). */
static int
replay(struct loader *l, const struct ruleset *rs,
    const struct anchor *const *a, size_t n)
{
	struct batch	 b;
	const char	**keys;
	char		*text;
	size_t		 i, m;
	int		 rv;

	for (i = 0; i < n; i++)
		if (a[i]->kind != ANCHOR_VM)
			return -1;
	/* what the ports' rules need of the table: sets and maps */
	if (l->skel == NULL) {
		if (batch_open(l, &b) == -1)
			return -1;
		fprintf(b.f, "table bridge kubsd {\n");
		nft_bridge_sets(b.f);
		for (m = 0; m < sizeof(bridge_maps) / sizeof(bridge_maps[0]);
		    m++)
			fprintf(b.f, "\tmap %s {\n\t\ttype ifname : verdict\n"
			    "\t}\n", bridge_maps[m]);
		fprintf(b.f, "}\n");
		if ((l->skel = batch_text(&b)) == NULL)
			return -1;
	}
	if (batch_open(l, &b) == -1)
		return -1;
	for (i = 0; i < n; i++)
		emit_nft_port(b.f, rs, a[i]->name);
	if ((text = batch_text(&b)) == NULL)
		return -1;
	keys = xcalloc(2 * n, sizeof(*keys));
	for (i = 0; i < n; i++) {
		keys[2 * i] = a[i]->ifname;
		keys[2 * i + 1] = a[i]->down_if;
	}
	rv = replay_ports(l->rp, l->skel, text, keys, 2 * n, l->err,
	    sizeof(l->err));
	free(keys);
	free(text);
	return rv;
}

int
loader_load_anchors(struct loader *l, const struct ruleset *rs,
    const struct anchor *const *old, const struct anchor *const *new,
    size_t n)
{
	struct batch	 b;
	char		 why[sizeof(l->err)];
	size_t		 i;
	int		 rv;

	if (l->rp != NULL) {
		if (replay(l, rs, new, n) == 0)
			return 0;
		snprintf(why, sizeof(why), "%s", l->err);
	}
	if (batch_open(l, &b) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (old[i] != NULL)
			emit_nft_anchor_unmap(b.f, old[i]);
		else
			delete_elements(l, b.f, new[i]);
		emit_nft_port(b.f, rs, new[i]->name);
	}
	rv = batch_run(l, &b, 0);
	/* The text went in where the replay did not: replay no more. */
	if (rv == 0 && l->rp != NULL) {
		log_warnx("rule loader: %s; loading text from now on", why);
		replay_close(l->rp);
		l->rp = NULL;
	}
	return rv;
}

int
loader_remove_port(struct loader *l, const struct ruleset *rs,
    const char *name)
{
	const struct anchor	*a;
	struct batch		 b;
	int			 failed = 0;

	if ((a = port_anchor(l, rs, name)) == NULL)
		return -1;
	if (batch_open(l, &b) == -1)
		return -1;
	if (a->kind == ANCHOR_GATEWAY || a->kind == ANCHOR_VM)
		delete_elements(l, b.f, a);
	if (emit_nft_port_remove(b.f, rs, name) == -1) {
		snprintf(l->err, sizeof(l->err), "%s: not a VM, or a gateway "
		    "with uplink rules: needs a full load", name);
		failed = 1;
	}
	return batch_run(l, &b, failed);
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
