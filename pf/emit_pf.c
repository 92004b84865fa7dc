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
 * Intermediate rules -> pf anchors under kubsd/, one section per anchor,
 * each loadable with pfctl -a kubsd/NAME -f -, on OpenBSD's own
 * interfaces (openbsd_units.c: tapN, vebN, vportN, egress).  The base
 * anchor is not one: its default block goes into pf.conf itself, quick,
 * right after the kubsd anchors (a non-quick block in an anchor loses to
 * any later pass, the stock pf.conf's included).  Pass rules keep their
 * states on their interface (if-bound), so that no client rides
 * another's state.  pf cannot match MACs or ethertypes: veb(4) does, in
 * hostname.vebN (openbsd_veb.c).
 */
#include <arpa/inet.h>
#include <string.h>

#include "kubsd.h"
#include "rules.h"
#include "openbsd.h"

struct pfctx {
	const struct anchor	*a;
	const struct obsd_units	*u;
};

static void	 pf_rule(FILE *, const struct pfctx *, const struct rule *,
		    size_t);
static void	 pf_l2(FILE *, const struct pfctx *, const struct rule *);
static void	 pf_uplink(FILE *, const struct pfctx *);

void
emit_pf(FILE *f, const struct ruleset *rs, const char *only)
{
	struct obsd_units	 u;
	size_t			 i;

	obsd_units_alloc(&u, rs, NULL);
	if (only == NULL)
		pf_conf_lines(f, rs, "# ");
	for (i = 0; i < rs->nanchors; i++) {
		if (rs->anchors[i].kind == ANCHOR_BASE ||
		    (only != NULL && strcmp(only, rs->anchors[i].name) != 0))
			continue;
		if (only == NULL)
			fprintf(f, "\n");
		fprintf(f, "# anchor kubsd/%s\n", rs->anchors[i].name);
		pf_anchor_obsd(f, &rs->anchors[i], &u);
	}
	obsd_units_free(&u);
}

/*
 * What the administrator adds to pf.conf, ahead of the site's rules:
 * kubsd's anchors, then the default block of every kubsd interface and
 * of whatever they would have the host route out.  pfx "# " prints them
 * as comments.
 */
void
pf_conf_lines(FILE *f, const struct ruleset *rs, const char *pfx)
{
	size_t	 limit = OBSD_ANCHORS;

	fprintf(f, "%s# kubsd: ahead of the site's own rules\n", pfx);
	/* pf needs room for kubsd's anchors and the site's own */
	if (rs->nanchors + 12 > OBSD_ANCHORS) {
		while (limit < rs->nanchors + OBSD_ANCHORS / 2)
			limit *= 2;
		fprintf(f, "%sset limit anchors %zu\t# %zu of kubsd's, and "
		    "the site's\n", pfx, limit, rs->nanchors - 1);
	}
	fprintf(f, "%sanchor \"kubsd/*\"\n", pfx);
	fprintf(f, "%sblock drop log quick on %s\n", pfx, rs->group_name);
	fprintf(f, "%sblock drop log quick on egress received-on %s\n", pfx,
	    rs->group_name);
}

/* An interface of kubsd's by its OpenBSD name. */
static const char *
pf_unit(const struct pfctx *c, enum obsd_kind k, const char *key)
{
	const char	*n = obsd_unit(c->u, k, key);

	return n != NULL ? n : key;
}

static const char *
pf_if(const struct pfctx *c, const struct rule *r)
{
	return pf_unit(c, OBSD_TAP, r->down ? c->a->down_if : c->a->ifname);
}

static int
pf_table(const struct raddrs *s)
{
	return s->neg && s->n > 1;
}

/* A blocked VM's firewall: compiled for nft's sake, never reached. */
static int
pf_skip(const struct anchor *a, const struct rule *r)
{
	return a->kind == ANCHOR_VM && !a->ident.on && r->fw;
}

/* pf expands "! { a b }" into an OR: negated lists become tables. */
static void
pf_tables(FILE *f, const struct anchor *a)
{
	char	 buf[KADDR_STRLEN];
	size_t	 i, j, k;

	for (i = 0; i < a->nrules; i++) {
		const struct raddrs *s[2] = { &a->rules[i].src,
		    &a->rules[i].dst };

		if (pf_skip(a, &a->rules[i]))
			continue;
		for (j = 0; j < 2; j++) {
			if (!pf_table(s[j]) || a->rules[i].reply)
				continue;
			fprintf(f, "table <k%zu%c> const {", i, "sd"[j]);
			for (k = 0; k < s[j]->n; k++)
				fprintf(f, " %s",
				    kaddr_str(&s[j]->v[k], buf, sizeof(buf)));
			fprintf(f, " }\n");
		}
	}
}

/* Does the segment below (gateway) or of (uplink) a carry IPv6? */
static int
pf_seg_ipv6(const struct anchor *a)
{
	size_t	 i;

	if (a->kind == ANCHOR_UPLINK) {
		for (i = 0; i < a->nfwd; i++)
			if (a->fwd[i].af == AF_INET6)
				return 1;
		return 0;
	}
	if (a->kind != ANCHOR_GATEWAY)
		return 0;
	/* a gateway's segment has IPv6 unless its port blocks it all */
	for (i = 0; i < a->nrules; i++)
		if (a->rules[i].down && a->rules[i].af == AF_INET6 &&
		    a->rules[i].verdict == RV_BLOCK &&
		    a->rules[i].src.n == 0 && a->rules[i].dst.n == 0)
			return 0;
	return 1;
}

/*
 * veb(4) filters multicast and broadcast once, against the veb itself,
 * which the quick block on group kubsd covers: neighbour discovery must
 * pass there, statelessly.
 */
static void
pf_veb_nd(FILE *f, const struct pfctx *c)
{
	const char	*br = c->a->kind == ANCHOR_UPLINK ? c->a->ifname :
			    c->a->down_bridge;

	if (!pf_seg_ipv6(c->a))
		return;
	fprintf(f, "pass quick on %s inet6 proto icmp6 all icmp6-type { "
	    "neighbrsol neighbradv routersol routeradv } no state\t"
	    "# neighbour discovery, multicast\n",
	    pf_unit(c, OBSD_VEB, br));
	/* and with the host, whose side of an uplink is the vport */
	if (c->a->kind == ANCHOR_UPLINK)
		fprintf(f, "pass quick on %s inet6 proto icmp6 all icmp6-type "
		    "{ neighbrsol neighbradv routersol routeradv } no state\t"
		    "# neighbour discovery with the host\n",
		    pf_unit(c, OBSD_VPORT, br));
}

void
pf_anchor_obsd(FILE *f, const struct anchor *a, const struct obsd_units *u)
{
	struct pfctx	 c = { a, u };
	size_t		 i;

	fprintf(f, "# %s\n", a->info);
	pf_tables(f, a);
	pf_veb_nd(f, &c);
	if (a->kind == ANCHOR_UPLINK)
		pf_uplink(f, &c);
	for (i = 0; i < a->nrules; i++)
		if (!pf_skip(a, &a->rules[i]))
			pf_rule(f, &c, &a->rules[i], i);
}

static void
pf_proto(FILE *f, int p)
{
	if (strcmp(proto_name(p), "any") == 0)
		fprintf(f, "%d", p);
	else
		fprintf(f, "%s", proto_name(p));
}

static void
pf_protos(FILE *f, const int *p, size_t n)
{
	size_t	 i;

	if (n == 0)
		return;
	fprintf(f, n == 1 ? " proto " : " proto {");
	for (i = 0; i < n; i++) {
		if (n > 1)
			fprintf(f, " ");
		pf_proto(f, p[i]);
	}
	if (n > 1)
		fprintf(f, " }");
}

/* An address set; a negated list is the table named table. */
void
pf_addrs_table(FILE *f, const struct raddrs *s, const char *table)
{
	char	 buf[KADDR_STRLEN];
	size_t	 i;

	if (s->n == 0) {
		fprintf(f, "any");
		return;
	}
	if (pf_table(s)) {
		fprintf(f, "! <%s>", table);
		return;
	}
	if (s->neg)
		fprintf(f, "! ");
	if (s->n == 1) {
		fprintf(f, "%s", kaddr_str(&s->v[0], buf, sizeof(buf)));
		return;
	}
	fprintf(f, "{");
	for (i = 0; i < s->n; i++)
		fprintf(f, " %s", kaddr_str(&s->v[i], buf, sizeof(buf)));
	fprintf(f, " }");
}

static void
pf_addrs(FILE *f, const struct raddrs *s, size_t idx, char which)
{
	char	 table[32];

	snprintf(table, sizeof(table), "k%zu%c", idx, which);
	pf_addrs_table(f, s, table);
}

static void
pf_port1(FILE *f, const struct kport *p)
{
	if (p->lo == p->hi)
		fprintf(f, "%u", p->lo);
	else
		fprintf(f, "%u:%u", p->lo, p->hi);
}

void
pf_ports(FILE *f, const struct kport_list *l)
{
	size_t	 i;

	if (l->n == 0)
		return;
	fprintf(f, " port ");
	if (l->n == 1) {
		pf_port1(f, &l->v[0]);
		return;
	}
	fprintf(f, "{");
	for (i = 0; i < l->n; i++) {
		fprintf(f, " ");
		pf_port1(f, &l->v[i]);
	}
	fprintf(f, " }");
}

/* A stateless backend's reply rule: pf keeps state instead. */
static int
pf_reply(FILE *f, const struct anchor *a, const struct rule *r, size_t idx)
{
	if (!r->reply)
		return 0;
	/* once per firewall line */
	if (idx == 0 || !a->rules[idx - 1].reply ||
	    a->rules[idx - 1].lineno != r->lineno)
		fprintf(f, "# reply traffic of line %d: pf keeps state\n",
		    r->lineno);
	return 1;
}

static void
pf_rule(FILE *f, const struct pfctx *c, const struct rule *r, size_t idx)
{
	switch (r->kind) {
	case RK_FILTER:
		break;
	case RK_STATE:
		fprintf(f, "# established, related: pf keeps state\n");
		return;
	default:
		pf_l2(f, c, r);
		return;
	}
	if (pf_reply(f, c->a, r, idx))
		return;
	fprintf(f, "%s", r->verdict == RV_PASS ? "pass" : "block drop");
	if (r->dir != RD_BOTH)
		fprintf(f, " %s", r->dir == RD_IN ? "in" : "out");
	if (r->log)
		fprintf(f, " log");
	if (r->quick)
		fprintf(f, " quick");
	fprintf(f, " on %s", pf_if(c, r));
	if (r->af != 0)
		fprintf(f, " %s", r->af == AF_INET ? "inet" : "inet6");
	pf_protos(f, r->protos, r->nprotos);
	if (r->src.n == 0 && r->dst.n == 0 && r->sport.n == 0 &&
	    r->dport.n == 0)
		fprintf(f, " all");
	else {
		fprintf(f, " from ");
		pf_addrs(f, &r->src, idx, 's');
		pf_ports(f, &r->sport);
		fprintf(f, " to ");
		pf_addrs(f, &r->dst, idx, 'd');
		pf_ports(f, &r->dport);
	}
	if (r->icmp_type >= 0)
		fprintf(f, " %s %d", r->af == AF_INET6 ? "icmp6-type" :
		    "icmp-type", r->icmp_type);
	if (r->verdict == RV_PASS)
		fprintf(f, " keep state (if-bound)");
	rule_print_comment(f, r);
}

/* Layer 2 is veb(4)'s, in the bridge's hostname.if: say where. */
static void
pf_l2(FILE *f, const struct pfctx *c, const struct rule *r)
{
	const char	*br = r->down ? c->a->down_bridge : c->a->bridge;

	if (r->kind != RK_ISOLATE || br[0] == '\0')
		return;
	fprintf(f, "# layer 2: hostname.%s (%s %s: locked, static MAC, "
	    "MAC/ARP rules%s)\n", pf_unit(c, OBSD_VEB, br),
	    c->a->where == PORT_UPLINK && !r->down ? "uplink port" : "port",
	    pf_if(c, r), c->a->where == PORT_GATEWAY && !r->down ?
	    ", protected" : "");
}

static void
pf_fwd_match(FILE *f, const struct rfwd *w, const char *src,
    const struct rdest *d)
{
	char	 b[KADDR_STRLEN];

	fprintf(f, " %s", w->af == AF_INET ? "inet" : "inet6");
	if (w->proto != 0) {
		fprintf(f, " proto ");
		pf_proto(f, w->proto);
	}
	if (d == NULL)
		fprintf(f, " from %s to ! (self)", src);
	else
		fprintf(f, " from %s to %s port %u", src,
		    kaddr_str(&d->addr, b, sizeof(b)), d->port);
}

/* Link-local and excluded destinations: blocked before any pass. */
static void
pf_uplink_fence(FILE *f, const struct anchor *a, const char *vp)
{
	char	 first[64];
	int	 af;

	for (af = AF_INET; af != 0; af = af == AF_INET ? AF_INET6 : 0) {
		snprintf(first, sizeof(first), "block drop log quick on %s %s "
		    "to { ", vp, af == AF_INET ? "inet" : "inet6");
		if (fence_print(f, a, af, first, " ") > 0)
			fprintf(f, " }\t# link-local or excluded: never out "
			    "of %s\n", a->uplink_if);
	}
}

/* nat-to for the gateway at src, if the uplink NATs it. */
static void
pf_fwd_nat(FILE *f, const struct anchor *a, const struct rfwd *w,
    const char *out)
{
	size_t	 i;

	for (i = 0; i < a->nnat; i++)
		if (memcmp(&a->nat[i].src, &w->src, sizeof(w->src)) == 0) {
			fprintf(f, " nat-to (%s:0)", out);
			return;
		}
}

/*
 * An uplink: its gateways reach the host on the segment's vport, and
 * only their narrowed traffic passes out, NATed; nothing else from the
 * segment passes here.
 */
static void
pf_uplink_fwd(FILE *f, const struct pfctx *c, const struct rfwd *w,
    const struct rdest *d)
{
	const char	*vp = pf_unit(c, OBSD_VPORT, c->a->ifname);
	const char	*out = obsd_egress(c->a->uplink_if);
	char		 src[KADDR_STRLEN];

	kaddr_str(&w->src, src, sizeof(src));
	fprintf(f, "pass in quick on %s", vp);
	pf_fwd_match(f, w, src, d);
	fprintf(f, " keep state (if-bound)\t# %s (%s)\n", w->gw,
	    role_name(w->role));
	fprintf(f, "pass out quick on %s", out);
	pf_fwd_match(f, w, src, d);
	fprintf(f, " received-on %s", vp);
	pf_fwd_nat(f, c->a, w, out);
	fprintf(f, "\t# %s, out\n", w->gw);
}

static void
pf_uplink(FILE *f, const struct pfctx *c)
{
	const struct anchor	*a = c->a;
	const char		*vp = pf_unit(c, OBSD_VPORT, a->ifname);
	size_t			 i, j;

	if (strcmp(obsd_egress(a->uplink_if), a->uplink_if) != 0)
		fprintf(f, "# %s is not an OpenBSD interface: egress stands "
		    "for it\n", a->uplink_if);
	pf_uplink_fence(f, a, vp);
	for (i = 0; i < a->nfwd; i++) {
		if (a->fwd[i].ndst == 0)
			pf_uplink_fwd(f, c, &a->fwd[i], NULL);
		for (j = 0; j < a->fwd[i].ndst; j++)
			pf_uplink_fwd(f, c, &a->fwd[i], &a->fwd[i].dst[j]);
	}
	fprintf(f, "block drop log quick on %s\t# nothing else from the "
	    "segment\n", vp);
	fprintf(f, "block drop log quick on %s received-on %s\n",
	    obsd_egress(a->uplink_if), vp);
}
