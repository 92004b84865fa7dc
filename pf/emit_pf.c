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
 * each loadable with pfctl -a kubsd/NAME -f -.  pf cannot match MACs or
 * ethertypes: those rules become commented ifconfig(8) bridge rules.
 */
#include <arpa/inet.h>
#include <string.h>

#include "kubsd.h"
#include "rules.h"

static void	 pf_anchor(FILE *, const struct anchor *);
static void	 pf_rule(FILE *, const struct anchor *, const struct rule *,
		    size_t);
static void	 pf_l2(FILE *, const struct anchor *, const struct rule *);
static void	 pf_uplink(FILE *, const struct anchor *);

void
emit_pf(FILE *f, const struct ruleset *rs, const char *only)
{
	size_t	 i;

	if (only == NULL) {
		fprintf(f, "# add to pf.conf (once):\n");
		fprintf(f, "# anchor \"kubsd/*\"\n");
	}
	for (i = 0; i < rs->nanchors; i++) {
		if (only != NULL && strcmp(only, rs->anchors[i].name) != 0)
			continue;
		if (only == NULL)
			fprintf(f, "\n");
		pf_anchor(f, &rs->anchors[i]);
	}
}

static const char *
pf_if(const struct anchor *a, const struct rule *r)
{
	return r->down ? a->down_if : a->ifname;
}

static const char *
pf_bridge(const struct anchor *a, const struct rule *r)
{
	const char	*b = r->down ? a->down_bridge : a->bridge;

	return b[0] != '\0' ? b : "(none)";
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

static void
pf_anchor(FILE *f, const struct anchor *a)
{
	char	 buf[KADDR_STRLEN];
	size_t	 i, j;

	fprintf(f, "# anchor kubsd/%s\n", a->name);
	fprintf(f, "# %s\n", a->info);
	/* pf expands "! { a b }" into an OR: negated lists become tables */
	for (i = 0; i < a->nrules; i++) {
		const struct raddrs *s[2] = { &a->rules[i].src,
		    &a->rules[i].dst };
		if (pf_skip(a, &a->rules[i]))
			continue;
		for (j = 0; j < 2; j++) {
			size_t k;

			if (!pf_table(s[j]) || a->rules[i].reply)
				continue;
			fprintf(f, "table <k%zu%c> const {", i, "sd"[j]);
			for (k = 0; k < s[j]->n; k++)
				fprintf(f, " %s",
				    kaddr_str(&s[j]->v[k], buf, sizeof(buf)));
			fprintf(f, " }\n");
		}
	}
	if (a->kind == ANCHOR_UPLINK)
		pf_uplink(f, a);
	for (i = 0; i < a->nrules; i++)
		if (!pf_skip(a, &a->rules[i]))
			pf_rule(f, a, &a->rules[i], i);
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
pf_addrs(FILE *f, const struct raddrs *s, size_t idx, char which)
{
	char	 buf[KADDR_STRLEN];
	size_t	 i;

	if (s->n == 0) {
		fprintf(f, "any");
		return;
	}
	if (pf_table(s)) {
		fprintf(f, "! <k%zu%c>", idx, which);
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
pf_port1(FILE *f, const struct kport *p)
{
	if (p->lo == p->hi)
		fprintf(f, "%u", p->lo);
	else
		fprintf(f, "%u:%u", p->lo, p->hi);
}

static void
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

static void
pf_comment(FILE *f, const struct rule *r)
{
	rule_print_comment(f, r);
}

static void
pf_rule(FILE *f, const struct anchor *a, const struct rule *r, size_t idx)
{
	size_t	 i;

	switch (r->kind) {
	case RK_FILTER:
		break;
	case RK_STATE:
		fprintf(f, "# established, related: pf keeps state\n");
		return;
	default:
		pf_l2(f, a, r);
		return;
	}
	if (r->reply) {
		/* once per firewall line */
		if (idx == 0 || !a->rules[idx - 1].reply ||
		    a->rules[idx - 1].lineno != r->lineno)
			fprintf(f, "# reply traffic of line %d: pf keeps "
			    "state\n", r->lineno);
		return;
	}
	fprintf(f, "%s", r->verdict == RV_PASS ? "pass" : "block drop");
	if (r->dir != RD_BOTH)
		fprintf(f, " %s", r->dir == RD_IN ? "in" : "out");
	if (r->log)
		fprintf(f, " log");
	if (r->quick)
		fprintf(f, " quick");
	fprintf(f, " on %s", pf_if(a, r));
	if (r->af != 0)
		fprintf(f, " %s", r->af == AF_INET ? "inet" : "inet6");
	if (r->nprotos == 1) {
		fprintf(f, " proto ");
		pf_proto(f, r->protos[0]);
	} else if (r->nprotos > 1) {
		fprintf(f, " proto {");
		for (i = 0; i < r->nprotos; i++) {
			fprintf(f, " ");
			pf_proto(f, r->protos[i]);
		}
		fprintf(f, " }");
	}
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
	pf_comment(f, r);
}

/* What pf cannot filter, as bridge rules for the administrator. */
static void
pf_l2(FILE *f, const struct anchor *a, const struct rule *r)
{
	char		 mac[32], ip[KADDR_STRLEN];
	const char	*br = pf_bridge(a, r), *ifn = pf_if(a, r);

	switch (r->kind) {
	case RK_ISOLATE:
		if (a->where == PORT_UPLINK)
			fprintf(f, "# isolation: %s reaches only the host "
			    "(ifconfig %s protected 1 %s)\n", ifn, br, ifn);
		else
			fprintf(f, "# isolation: %s reaches only %s "
			    "(ifconfig %s protected 1 %s)\n", ifn,
			    a->peer[0] ? a->peer : "nothing", br, ifn);
		break;
	case RK_L2ARP:
		mac_str(r->mac, mac, sizeof(mac));
		kaddr_host(&r->src.v[0], ip, sizeof(ip));
		fprintf(f, "# ifconfig %s rule pass in on %s src %s "
		    "arp sha %s spa %s\n", br, ifn, mac, mac, ip);
		fprintf(f, "# ifconfig %s rule block in on %s arp\n", br, ifn);
		break;
	case RK_L2MAC:
		mac_str(r->mac, mac, sizeof(mac));
		fprintf(f, "# ifconfig %s rule pass in on %s src %s\n",
		    br, ifn, mac);
		fprintf(f, "# ifconfig %s rule block in on %s\n", br, ifn);
		break;
	case RK_L2TYPE:
		fprintf(f, "# ethertypes%s%s%s%s: %s (pf sees only IP)\n",
		    r->neg ? " other than" : "",
		    r->etypes & RET_IP ? " ip" : "",
		    r->etypes & RET_ARP ? " arp" : "",
		    r->etypes & RET_IP6 ? " ip6" : "",
		    r->verdict == RV_PASS ? "pass" : "block");
		break;
	default:
		break;
	}
}

static void
pf_uplink(FILE *f, const struct anchor *a)
{
	char	 buf[KADDR_STRLEN];
	size_t	 i, j;

	for (i = 0; i < a->nnat; i++)
		fprintf(f, "match out on %s %s from %s nat-to (%s)\t# %s\n",
		    a->nat[i].oif, a->nat[i].src.af == AF_INET ? "inet" :
		    "inet6", kaddr_str(&a->nat[i].src, buf, sizeof(buf)),
		    a->nat[i].oif, a->nat[i].gw);
	for (i = 0; i < a->nfwd; i++) {
		const struct rfwd *w = &a->fwd[i];
		const char *af = w->af == AF_INET ? "inet" : "inet6";

		kaddr_str(&w->src, buf, sizeof(buf));
		if (w->ndst == 0) {
			fprintf(f, "pass in quick on %s %s", w->iif, af);
			if (w->proto != 0) {
				fprintf(f, " proto ");
				pf_proto(f, w->proto);
			}
			fprintf(f, " from %s to ! self\t# %s (%s)\n", buf,
			    w->gw, role_name(w->role));
			continue;
		}
		for (j = 0; j < w->ndst; j++) {
			char	 d[KADDR_STRLEN];

			fprintf(f, "pass in quick on %s %s", w->iif, af);
			if (w->proto != 0) {
				fprintf(f, " proto ");
				pf_proto(f, w->proto);
			}
			fprintf(f, " from %s to %s port %u\t# %s (%s)\n", buf,
			    kaddr_str(&w->dst[j].addr, d, sizeof(d)),
			    w->dst[j].port, w->gw, role_name(w->role));
		}
	}
}
