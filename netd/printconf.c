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
 * The normalized netd.conf: macros expanded, includes inlined, every
 * default written out.  It parses again to itself.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "kubsd.h"

static void
print_string(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

static void
print_addr(FILE *fp, const struct kaddr *ka)
{
	char	 buf[KADDR_STRLEN];

	fputs(kaddr_str(ka, buf, sizeof(buf)), fp);
}

/* ADDR/LEN always, even for a host (/32). */
static void
print_prefix(FILE *fp, const struct kaddr *ka)
{
	char	 buf[KADDR_STRLEN];

	fprintf(fp, "%s/%d", kaddr_host(ka, buf, sizeof(buf)), ka->prefixlen);
}

static void
print_addrs(FILE *fp, const struct kaddr_list *l, int braces)
{
	size_t	 i;

	if (l->n == 1 && !braces) {
		print_addr(fp, &l->v[0]);
		return;
	}
	fputs("{", fp);
	for (i = 0; i < l->n; i++) {
		fputc(' ', fp);
		print_addr(fp, &l->v[i]);
	}
	fputs(" }", fp);
}

static void
print_memory(FILE *fp, uint64_t m)
{
	const uint64_t	 k = 1024;

	if (m != 0 && m % (k * k * k) == 0)
		fprintf(fp, "%lluG", (unsigned long long)(m / (k * k * k)));
	else if (m != 0 && m % (k * k) == 0)
		fprintf(fp, "%lluM", (unsigned long long)(m / (k * k)));
	else if (m != 0 && m % k == 0)
		fprintf(fp, "%lluK", (unsigned long long)(m / k));
	else
		fprintf(fp, "%llu", (unsigned long long)m);
}

static void
print_port(FILE *fp, const struct kport *p)
{
	if (p->lo == p->hi)
		fprintf(fp, "%u", p->lo);
	else
		fprintf(fp, "%u:%u", p->lo, p->hi);
}

static void
print_host(FILE *fp, const char *kw, const struct fw_host *h)
{
	size_t	 i;

	if ((h->any || h->addrs.n == 0) && h->ports.n == 0)
		return;
	fprintf(fp, " %s ", kw);
	if (h->any || h->addrs.n == 0)
		fputs("any", fp);
	else {
		if (h->neg)
			fputs("! ", fp);
		print_addrs(fp, &h->addrs, 0);
	}
	if (h->ports.n == 0)
		return;
	fputs(" port ", fp);
	if (h->ports.n == 1) {
		print_port(fp, &h->ports.v[0]);
		return;
	}
	fputs("{", fp);
	for (i = 0; i < h->ports.n; i++) {
		fputc(' ', fp);
		print_port(fp, &h->ports.v[i]);
	}
	fputs(" }", fp);
}

static void
print_rule(FILE *fp, const struct fw_rule *r)
{
	size_t	 i;

	fputs("\t\t", fp);
	fputs(r->action == FW_PASS ? "pass" : "block", fp);
	if (r->dir == FW_IN)
		fputs(" in", fp);
	else if (r->dir == FW_OUT)
		fputs(" out", fp);
	if (r->af == AF_INET)
		fputs(" inet", fp);
	else if (r->af == AF_INET6)
		fputs(" inet6", fp);
	if (r->nprotos == 1)
		fprintf(fp, " proto %s", proto_name(r->protos[0]));
	else if (r->nprotos > 1) {
		fputs(" proto {", fp);
		for (i = 0; i < r->nprotos; i++)
			fprintf(fp, " %s", proto_name(r->protos[i]));
		fputs(" }", fp);
	}
	print_host(fp, "from", &r->from);
	print_host(fp, "to", &r->to);
	if (r->icmp_type >= 0)
		fprintf(fp, " icmp-type %d", r->icmp_type);
	fputc('\n', fp);
}

static void
print_common(FILE *fp, const struct node *n)
{
	fprintf(fp, "\tdriver %s\n", n->driver == DRIVER_NETNS ?
	    "netns" : "qemu");
	if (n->template != NULL) {
		fputs("\ttemplate ", fp);
		print_string(fp, n->template);
		fputc('\n', fp);
	}
	fputs("\tmemory ", fp);
	print_memory(fp, n->memory);
	fputc('\n', fp);
}

static void
print_uplink(FILE *fp, const struct node *n)
{
	fputs("\nuplink ", fp);
	print_string(fp, n->name);
	fputs(" {\n\tinterface ", fp);
	print_string(fp, n->ifname != NULL ? n->ifname : "");
	fprintf(fp, "\n\tnat %s\n", n->nat ? "yes" : "no");
	if (n->uplink_net.af != 0) {
		fputs("\tnetwork ", fp);
		print_addr(fp, &n->uplink_net);
		fputc('\n', fp);
	}
	if (n->resolver.af != 0) {
		fputs("\tresolver ", fp);
		print_addr(fp, &n->resolver);
		fputc('\n', fp);
	}
	if (n->exclude.n > 0) {
		fputs("\texclude ", fp);
		print_addrs(fp, &n->exclude, 1);
		fputc('\n', fp);
	}
	if (n->mtu > 0)
		fprintf(fp, "\tmtu %d\n", n->mtu);
	fputs("}\n", fp);
}

static void
print_peer(FILE *fp, const struct wg_peer *p)
{
	struct kaddr	 ka;

	fputs("\t\tpeer ", fp);
	print_string(fp, p->name);
	fputs(" {\n\t\t\tpublic key ", fp);
	print_string(fp, p->pubkey != NULL ? p->pubkey : "");
	fputc('\n', fp);
	if (p->psk_file != NULL) {
		fputs("\t\t\tpreshared key file ", fp);
		print_string(fp, p->psk_file);
		fputc('\n', fp);
	}
	fputs("\t\t\tendpoint ", fp);
	if (p->endpoint_host != NULL &&
	    kaddr_parse(p->endpoint_host, &ka) == 0)
		fputs(p->endpoint_host, fp);
	else
		print_string(fp, p->endpoint_host != NULL ?
		    p->endpoint_host : "");
	fprintf(fp, " port %u\n", p->endpoint_port);
	fputs("\t\t\tallowed ips ", fp);
	print_addrs(fp, &p->allowed_ips, 1);
	fputc('\n', fp);
	if (p->keepalive != 0)
		fprintf(fp, "\t\t\tpersistent keepalive %d\n", p->keepalive);
	fputs("\t\t}\n", fp);
}

static void
print_gateway(FILE *fp, const struct node *n)
{
	const struct wg_peer	*p;

	fputs("\ngateway ", fp);
	print_string(fp, n->name);
	fprintf(fp, " {\n\trole %s\n", role_name(n->role));
	print_common(fp, n);
	if (n->mtu > 0)
		fprintf(fp, "\tmtu %d\n", n->mtu);
	if (n->role == ROLE_TOR) {
		fprintf(fp, "\ttransport port %u\n", n->tor_transport);
		fprintf(fp, "\tdns port %u\n", n->tor_dnsport);
		fputs("\tvirtual network ", fp);
		print_addr(fp, &n->tor_virtnet);
		fputc('\n', fp);
		if (n->torrc_include != NULL) {
			fputs("\ttorrc include ", fp);
			print_string(fp, n->torrc_include);
			fputc('\n', fp);
		}
	}
	if (n->wg != NULL) {
		fputs("\twireguard {\n\t\tprivate key file ", fp);
		print_string(fp, n->wg->key_file != NULL ?
		    n->wg->key_file : "");
		fputc('\n', fp);
		if (n->wg->listen_port != 0)
			fprintf(fp, "\t\tlisten port %u\n",
			    n->wg->listen_port);
		fputs("\t\taddress ", fp);
		print_prefix(fp, &n->wg->address);
		fputc('\n', fp);
		if (n->wg->dns.af != 0) {
			fputs("\t\tdns ", fp);
			print_addr(fp, &n->wg->dns);
			fputc('\n', fp);
		}
		TAILQ_FOREACH(p, &n->wg->peers, entry)
			print_peer(fp, p);
		fputs("\t}\n", fp);
	}
	fputs("}\n", fp);
}

static void
print_chain(FILE *fp, const struct chain *c)
{
	size_t	 i;

	fputs("\nchain ", fp);
	print_string(fp, c->name);
	fputs(" {\n\t", fp);
	for (i = 0; i < c->nhops; i++) {
		if (i > 0)
			fputc(' ', fp);
		print_string(fp, c->hops[i].name);
	}
	fprintf(fp, "\n\tipv6 %s\n", c->ipv6 ? "yes" : "no");
	fprintf(fp, "\tdns %s\n", c->dns == DNS_NONE ? "none" : "first-hop");
	fputs("}\n", fp);
}

/* The VM layer's options: disks, sealing, restart, credentials, shares. */
static void
print_vm_options(FILE *fp, const struct node *n)
{
	const struct vm_cred	*c;
	const struct vm_share	*sh;

	if (n->private_size != 0) {
		fputs("\tprivate ", fp);
		print_memory(fp, n->private_size);
		fputs(" mount ", fp);
		print_string(fp, n->private_mount != NULL ?
		    n->private_mount : KUBSD_PRIVATE_MOUNT);
		fputc('\n', fp);
	}
	if (n->sealed)
		fputs("\tsealed\n", fp);
	if (n->restart != RESTART_NO)
		fprintf(fp, "\trestart %s\n", restart_name(n->restart));
	if (n->autostart)
		fputs("\tautostart\n", fp);
	TAILQ_FOREACH(c, &n->creds, entry) {
		fputs("\tcredential ", fp);
		print_string(fp, c->name);
		fputs(" file ", fp);
		print_string(fp, c->path);
		fputc('\n', fp);
	}
	TAILQ_FOREACH(sh, &n->shares, entry) {
		fputs("\tshare ", fp);
		print_string(fp, sh->path);
		fputs(" at ", fp);
		print_string(fp, sh->guest);
		fputs(sh->rw ? " read-write\n" : "\n", fp);
	}
	if (n->audio != AUDIO_NO)
		fprintf(fp, "\taudio %s\n", audio_name(n->audio));
	if (n->x11 != X11_UNTRUSTED)
		fprintf(fp, "\tx11 %s\n", x11_name(n->x11));
}

static void
print_vm(FILE *fp, const struct node *n)
{
	const struct fw_rule	*r;

	fprintf(fp, "\n%s ", n->disposable ? "disposable" : "vm");
	print_string(fp, n->name);
	fputs(" {\n", fp);
	if (n->template != NULL) {
		fputs("\ttemplate ", fp);
		print_string(fp, n->template);
		fputc('\n', fp);
	}
	fputs("\tchain ", fp);
	if (n->chain_name != NULL)
		print_string(fp, n->chain_name);
	else
		fputs("none", fp);
	fputs("\n\tmemory ", fp);
	print_memory(fp, n->memory);
	fprintf(fp, "\n\tdriver %s\n", n->driver == DRIVER_NETNS ?
	    "netns" : "qemu");
	print_vm_options(fp, n);
	if (n->has_firewall) {
		fputs("\tfirewall {\n", fp);
		TAILQ_FOREACH(r, &n->firewall, entry)
			print_rule(fp, r);
		fputs("\t}\n", fp);
	}
	fputs("}\n", fp);
}

static void
print_template(FILE *fp, const struct template *t)
{
	size_t	 i;

	fputs("template ", fp);
	print_string(fp, t->name);
	fprintf(fp, " {\n\trecipe %s\n", recipe_name(t->recipe));
	if (t->npackages > 0) {
		fputs("\tpackages {", fp);
		for (i = 0; i < t->npackages; i++) {
			fputc(' ', fp);
			print_string(fp, t->packages[i]);
		}
		fputs(" }\n", fp);
	}
	fputs("\tsuite ", fp);
	print_string(fp, t->suite != NULL ? t->suite : TEMPLATE_SUITE);
	fputs("\n\tmirror ", fp);
	print_string(fp, t->mirror != NULL ? t->mirror : TEMPLATE_MIRROR);
	fputs("\n}\n", fp);
}

void
print_config(FILE *fp, const struct netd_config *conf)
{
	const struct node	*n;
	const struct chain	*c;
	const struct template	*t;

	fputs("pool ", fp);
	print_addr(fp, &conf->pool);
	fprintf(fp, " prefixlen %d\n", conf->segprefix);
	fputs("pool6 ", fp);
	print_addr(fp, &conf->pool6);
	fputs("\nstatedir ", fp);
	print_string(fp, conf->statedir);
	fputc('\n', fp);

	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (n->kind == NODE_UPLINK)
			print_uplink(fp, n);
	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (n->kind == NODE_GATEWAY)
			print_gateway(fp, n);
	TAILQ_FOREACH(c, &conf->chains, entry)
		print_chain(fp, c);
	TAILQ_FOREACH(t, &conf->templates, entry)
		print_template(fp, t);
	TAILQ_FOREACH(n, &conf->nodes, entry)
		if (n->kind == NODE_VM)
			print_vm(fp, n);
}
