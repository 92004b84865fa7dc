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
 * Stable OpenBSD interface units.  A node keeps its tapN, vebN and
 * vportN for as long as it exists: units come back from STATEDIR's
 * openbsd-units file first, and only new interfaces take a unit, the
 * lowest free one of their driver, in the ruleset's (declaration)
 * order.  Keys are kubsd's own interface names, one per port, bridge
 * and host side of an uplink segment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubsd.h"
#include "rules.h"
#include "openbsd.h"

static const char *const obsd_drivers[OBSD_NKINDS] = { "tap", "vport", "veb" };

/* Common OpenBSD Ethernet drivers an uplink may name directly. */
static const char *const obsd_nics[] = {
	"aq", "bge", "bnx", "bnxt", "em", "igc", "ix", "ixl", "mcx", "re",
	"rge", "ure", "vio", "vmx", "iwm", "iwx", "athn", "trunk", "aggr",
	"vlan", "wg", "egress", NULL
};

static struct obsd_unit *
units_find(const struct obsd_units *u, enum obsd_kind k, const char *key)
{
	size_t	 i;

	for (i = 0; i < u->n; i++)
		if (u->v[i].kind == k && strcmp(u->v[i].key, key) == 0)
			return &u->v[i];
	return NULL;
}

static int
unit_taken(const struct obsd_units *u, enum obsd_kind k, unsigned unit)
{
	size_t	 i;

	for (i = 0; i < u->n; i++)
		if (u->v[i].kind == k && u->v[i].unit == unit)
			return 1;
	return 0;
}

static void
units_put(struct obsd_units *u, enum obsd_kind k, const char *key,
    unsigned unit)
{
	struct obsd_unit	*e;

	u->v = xreallocarray(u->v, u->n + 1, sizeof(*u->v));
	e = &u->v[u->n++];
	memset(e, 0, sizeof(*e));
	e->kind = k;
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->unit = unit;
	snprintf(e->name, sizeof(e->name), "%s%u", obsd_drivers[k], unit);
}

/* The units the state file had, for the keys still wanted. */
static void
units_load(struct obsd_units *old, const char *statefile)
{
	FILE		*f;
	char		 line[128], drv[16], key[KUBSD_IFNAMSIZ];
	unsigned	 unit;
	int		 k;

	if (statefile == NULL || (f = fopen(statefile, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%15s %15s %u", drv, key, &unit) != 3)
			continue;
		for (k = 0; k < OBSD_NKINDS; k++)
			if (strcmp(drv, obsd_drivers[k]) == 0 &&
			    !unit_taken(old, k, unit) &&
			    units_find(old, k, key) == NULL)
				units_put(old, k, key, unit);
	}
	fclose(f);
}

/*
 * Pass 0 keeps a remembered unit, pass 1 gives a new interface the
 * lowest unit nobody holds now (a removed node's unit is free again).
 */
static void
want(struct obsd_units *u, const struct obsd_units *old, enum obsd_kind k,
    const char *key, int pass)
{
	const struct obsd_unit	*o;
	unsigned		 unit;

	if (key[0] == '\0' || units_find(u, k, key) != NULL)
		return;
	if (pass == 0) {
		if ((o = units_find(old, k, key)) != NULL)
			units_put(u, k, key, o->unit);
		return;
	}
	for (unit = 0; unit_taken(u, k, unit); unit++)
		;
	units_put(u, k, key, unit);
}

/* Every interface of the ruleset, in its order. */
static void
want_all(struct obsd_units *u, const struct obsd_units *old,
    const struct ruleset *rs, int pass)
{
	const struct anchor	*a;
	size_t			 i;

	for (i = 0; i < rs->nanchors; i++) {
		a = &rs->anchors[i];
		switch (a->kind) {
		case ANCHOR_UPLINK:
			want(u, old, OBSD_VEB, a->ifname, pass);
			want(u, old, OBSD_VPORT, a->ifname, pass);
			break;
		case ANCHOR_GATEWAY:
			want(u, old, OBSD_TAP, a->ifname, pass);
			want(u, old, OBSD_TAP, a->down_if, pass);
			want(u, old, OBSD_VEB, a->down_bridge, pass);
			break;
		case ANCHOR_VM:
			want(u, old, OBSD_TAP, a->ifname, pass);
			break;
		default:
			break;
		}
	}
}

void
obsd_units_alloc(struct obsd_units *u, const struct ruleset *rs,
    const char *statefile)
{
	struct obsd_units	 old = { NULL, 0 };

	u->v = NULL;
	u->n = 0;
	units_load(&old, statefile);
	want_all(u, &old, rs, 0);
	want_all(u, &old, rs, 1);
	obsd_units_free(&old);
}

/* The units, one "driver key unit" line each: written whole or not. */
int
obsd_units_save(const struct obsd_units *u, const char *statefile)
{
	char	 tmp[1024];
	FILE	*f;
	size_t	 i;

	if (snprintf(tmp, sizeof(tmp), "%s.new", statefile) >=
	    (int)sizeof(tmp) || (f = fopen(tmp, "w")) == NULL)
		return -1;
	for (i = 0; i < u->n; i++)
		fprintf(f, "%s %s %u\n", obsd_drivers[u->v[i].kind],
		    u->v[i].key, u->v[i].unit);
	if (fclose(f) != 0 || rename(tmp, statefile) != 0) {
		remove(tmp);
		return -1;
	}
	return 0;
}

const char *
obsd_unit(const struct obsd_units *u, enum obsd_kind k, const char *key)
{
	const struct obsd_unit	*e = units_find(u, k, key);

	return e != NULL ? e->name : NULL;
}

void
obsd_units_free(struct obsd_units *u)
{
	free(u->v);
	u->v = NULL;
	u->n = 0;
}

/*
 * The host's way out as OpenBSD names it: the configured interface if
 * it is one of OpenBSD's drivers (em0), else the group "egress" (eth0
 * is a Linux name).
 */
const char *
obsd_egress(const char *ifname)
{
	size_t	 i, len;

	for (i = 0; obsd_nics[i] != NULL; i++) {
		len = strlen(obsd_nics[i]);
		if (strncmp(ifname, obsd_nics[i], len) == 0 &&
		    strspn(ifname + len, "0123456789") == strlen(ifname + len))
			return strcmp(ifname, "egress") == 0 ||
			    ifname[len] != '\0' ? ifname : "egress";
	}
	return "egress";
}
