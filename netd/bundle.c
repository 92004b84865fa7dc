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
 * The role bundle of a gateway: bundle.conf (the facts), torrc or
 * wg.conf (the role's daemon), rules.nft and rules.pf (the in-guest
 * firewall, pf/guest*.c).  The contract is guest/README.md.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubsd.h"
#include "rules.h"
#include "gwfw.h"
#include "bundle.h"

#define KEY_MAX		256		/* longer is not a key file */
#define INCLUDE_MAX	(1024 * 1024)

struct bctx {
	const struct netd_config *conf;
	const struct node	*gw;
	int			 print;		/* placeholders, no host file */
	struct kaddr		 resolver;	/* af 0: none */
	int			 resolver_later;	/* print: the host's */
	char			*err;
	size_t			 errlen;
};

enum bfile { BF_CONF, BF_TORRC, BF_WG, BF_NFT, BF_PF, BF_MAX };

static const struct {
	const char	*name;
	mode_t		 mode;
	int		 role;		/* ROLE_NONE: every role */
} bfiles[BF_MAX] = {
	{ "bundle.conf",	0644,	ROLE_NONE },
	{ "torrc",		0644,	ROLE_TOR },
	{ "wg.conf",		0600,	ROLE_WIREGUARD },
	{ "rules.nft",		0644,	ROLE_NONE },
	{ "rules.pf",		0644,	ROLE_NONE },
};

static int	 gen_conf(FILE *, struct bctx *);
static int	 gen_torrc(FILE *, struct bctx *);
static int	 gen_wg(FILE *, struct bctx *);
static int	 gen_nft(FILE *, struct bctx *);
static int	 gen_pf(FILE *, struct bctx *);

static int (*const gens[BF_MAX])(FILE *, struct bctx *) = {
	gen_conf, gen_torrc, gen_wg, gen_nft, gen_pf
};

static int
berror(struct bctx *b, const char *file, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	n = snprintf(b->err, b->errlen, "gateway \"%s\": %s: ", b->gw->name,
	    file);
	if (n >= 0 && (size_t)n < b->errlen) {
		va_start(ap, fmt);
		vsnprintf(b->err + n, b->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
uses(const struct node *gw, enum bfile f)
{
	return bfiles[f].role == ROLE_NONE || (int)gw->role == bfiles[f].role;
}

/* The first IPv4 nameserver of resolv.conf a guest can reach (not 127/8). */
static int
resolv_conf(const char *path, struct kaddr *ka)
{
	FILE	*fp;
	char	 line[512], word[64], addr[128];
	int	 found = 0;

	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (!found && fgets(line, sizeof(line), fp) != NULL) {
		if (sscanf(line, " %63s %127s", word, addr) != 2 ||
		    strcmp(word, "nameserver") != 0)
			continue;
		if (kaddr_parse(addr, ka) == 0 && ka->af == AF_INET &&
		    strchr(addr, '/') == NULL && ka->a.bytes[0] != 127)
			found = 1;
	}
	fclose(fp);
	if (!found)
		memset(ka, 0, sizeof(*ka));
	return 0;
}

/*
 * Where the gateway sends its clients' DNS: tor answers it itself; a
 * wireguard gateway uses the tunnel's resolver; a sys-net gateway its
 * uplink's resolver (the host's by default) or its upstream gateway.
 */
static void
bundle_resolver(struct bctx *b)
{
	const struct node	*gw = b->gw, *up = gw->up;

	memset(&b->resolver, 0, sizeof(b->resolver));
	b->resolver_later = 0;
	switch (gw->role) {
	case ROLE_WIREGUARD:
		if (gw->wg != NULL)
			b->resolver = gw->wg->dns;
		break;
	case ROLE_SYSNET:
		if (up == NULL)
			break;
		if (up->kind == NODE_GATEWAY && up->seg != NULL)
			b->resolver = up->seg->gw;
		else if (up->resolver.af != 0)
			b->resolver = up->resolver;
		else if (b->print)
			b->resolver_later = 1;
		else
			resolv_conf(BUNDLE_RESOLV_CONF, &b->resolver);
		break;
	default:
		break;
	}
}

/*
 * A file's contents, trailing blanks removed; -1 with errno on error,
 * EFBIG if longer than max.
 */
static char *
read_small(const char *path, size_t max, size_t *lenp)
{
	char	*buf;
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	buf = xcalloc(1, max + 1);
	while ((n = read(fd, buf + len, max + 1 - len)) > 0)
		if ((len += (size_t)n) > max)
			break;
	e = errno;
	close(fd);
	if (n == -1 || len > max) {
		free(buf);
		errno = n == -1 ? e : EFBIG;
		return NULL;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

static const char *
errstr(int e)
{
	static char	 buf[128];

	snprintf(buf, sizeof(buf), "%s", strerror(e));
	if (buf[0] >= 'A' && buf[0] <= 'Z' &&
	    !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

/* A WireGuard key file: 44 characters of base64, blanks around. */
static int
key_line(FILE *f, struct bctx *b, const char *what, const char *kw,
    const char *path, const char *cred)
{
	char		*buf, *s, *e;
	size_t		 len;
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";

	if (b->print) {
		fprintf(f, "%s = <%s from %s>\n", kw, what, path);
		return 0;
	}
	if ((buf = read_small(path, KEY_MAX, &len)) == NULL)
		return berror(b, path, "%s", errstr(errno));
	for (s = buf; *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r';)
		s++;
	for (e = buf + len; e > s && (e[-1] == ' ' || e[-1] == '\t' ||
	    e[-1] == '\n' || e[-1] == '\r');)
		*--e = '\0';
	if (e - s != 44 || s[43] != '=' || strspn(s, b64) != 43) {
		explicit_bzero(buf, KEY_MAX + 1);
		free(buf);
		return berror(b, path, "not a WireGuard %s", what);
	}
	if (b->gw->driver == DRIVER_QEMU)	/* the key is a credential */
		fprintf(f, "%s = <credential %s>\n", kw, cred);
	else
		fprintf(f, "%s = %s\n", kw, s);
	explicit_bzero(buf, KEY_MAX + 1);
	free(buf);
	return 0;
}

static int
gen_conf(FILE *f, struct bctx *b)
{
	const struct node	*gw = b->gw, *n;
	const struct segment	*us = gw->up != NULL ? gw->up->seg : NULL;
	const struct wg_peer	*p;
	char			 a[KADDR_STRLEN], h[KADDR_STRLEN], m[32];

	fprintf(f, "# kubsd-netd: the role bundle of gateway %s, generated\n",
	    gw->name);
	fprintf(f, "name %s\nrole %s\n", gw->name, role_name(gw->role));
	if (us != NULL)
		fprintf(f, "upstream %s %s/%d %s\n", GUEST_UP_IF,
		    kaddr_host(&gw->addr, a, sizeof(a)), us->net.prefixlen,
		    kaddr_host(&us->gw, h, sizeof(h)));
	if (gw->seg != NULL)
		fprintf(f, "downstream %s %s/%d\n", GUEST_DOWN_IF,
		    kaddr_host(&gw->seg->gw, a, sizeof(a)),
		    gw->seg->net.prefixlen);
	if (us != NULL && gw->ipv6 && gw->addr6.af == AF_INET6 &&
	    us->ipv6)
		fprintf(f, "upstream6 %s %s/%d %s\n", GUEST_UP_IF,
		    kaddr_host(&gw->addr6, a, sizeof(a)), us->net6.prefixlen,
		    kaddr_host(&us->gw6, h, sizeof(h)));
	if (gw->seg != NULL && gw->seg->ipv6)
		fprintf(f, "downstream6 %s %s/%d\n", GUEST_DOWN_IF,
		    kaddr_host(&gw->seg->gw6, a, sizeof(a)),
		    gw->seg->net6.prefixlen);
	if (b->resolver.af != 0)
		fprintf(f, "resolver %s\n",
		    kaddr_host(&b->resolver, a, sizeof(a)));
	else if (b->resolver_later)
		fprintf(f, "# resolver: the first nameserver of %s, when "
		    "written\n", BUNDLE_RESOLV_CONF);
	if (gw->role == ROLE_WIREGUARD && gw->wg != NULL) {
		fprintf(f, "tunnel %s%s %s/%d\n", GUEST_TUN_PREFIX, gw->name,
		    kaddr_host(&gw->wg->address, a, sizeof(a)),
		    gw->wg->address.prefixlen);
		TAILQ_FOREACH(p, &gw->wg->peers, entry)
			fprintf(f, "endpoint %s %u\n",
			    kaddr_host(&p->endpoint, a, sizeof(a)),
			    p->endpoint_port);
	}
	TAILQ_FOREACH(n, &b->conf->nodes, entry)
		if (n->up == gw)
			fprintf(f, "client %s %s %s\n", n->name,
			    kaddr_host(&n->addr, a, sizeof(a)),
			    mac_str(n->mac, m, sizeof(m)));
	fprintf(f, "ready %s\n", gw->role == ROLE_TOR ? "tor-bootstrap" :
	    gw->role == ROLE_WIREGUARD ? "wg-handshake" : "applied");
	return 0;
}

static int
gen_torrc(FILE *f, struct bctx *b)
{
	const struct node	*gw = b->gw;
	char			 a[KADDR_STRLEN], *buf;
	size_t			 len;

	kaddr_host(&gw->seg->gw, a, sizeof(a));
	fprintf(f, "# kubsd-netd: tor's configuration in gateway %s, "
	    "generated\n", gw->name);
	fprintf(f, "SocksPort 0\n");
	fprintf(f, "TransPort %s:%u IsolateClientAddr\n", a,
	    gw->tor_transport);
	fprintf(f, "DNSPort %s:%u\n", a, gw->tor_dnsport);
	fprintf(f, "VirtualAddrNetworkIPv4 %s\n",
	    kaddr_str(&gw->tor_virtnet, a, sizeof(a)));
	fprintf(f, "AutomapHostsOnResolve 1\n");
	fprintf(f, "AutomapHostsSuffixes .onion,.exit\n");
	if (gw->torrc_include == NULL)
		return 0;
	fprintf(f, "# from %s\n", gw->torrc_include);
	if (b->print) {
		fprintf(f, "<contents of %s>\n", gw->torrc_include);
		return 0;
	}
	if ((buf = read_small(gw->torrc_include, INCLUDE_MAX, &len)) == NULL)
		return berror(b, "torrc include", "%s: %s", gw->torrc_include,
		    errno == EFBIG ? "too large" : errstr(errno));
	fwrite(buf, 1, len, f);
	if (len > 0 && buf[len - 1] != '\n')
		fputc('\n', f);
	free(buf);
	return 0;
}

static void
print_name(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		fputc((unsigned char)*s < ' ' ? '?' : *s, f);
}

static int
gen_wg(FILE *f, struct bctx *b)
{
	const struct wg_conf	*wg = b->gw->wg;
	const struct wg_peer	*p;
	char			 a[KADDR_STRLEN], cred[48];
	size_t			 i, npeer = 0;

	fprintf(f, "# kubsd-netd: WireGuard in gateway %s (wg setconf), "
	    "generated\n", b->gw->name);
	fprintf(f, "[Interface]\n");
	if (key_line(f, b, "private key", "PrivateKey", wg->key_file,
	    BUNDLE_CRED_KEY) == -1)
		return -1;
	if (wg->listen_port != 0)
		fprintf(f, "ListenPort = %u\n", wg->listen_port);
	TAILQ_FOREACH(p, &wg->peers, entry) {
		fprintf(f, "\n[Peer]\n# ");
		print_name(f, p->name);
		fprintf(f, "\nPublicKey = %s\n", p->pubkey);
		snprintf(cred, sizeof(cred), BUNDLE_CRED_PSK "%zu", npeer++);
		if (p->psk_file != NULL && key_line(f, b, "preshared key",
		    "PresharedKey", p->psk_file, cred) == -1)
			return -1;
		kaddr_host(&p->endpoint, a, sizeof(a));
		if (p->endpoint.af == AF_INET6)
			fprintf(f, "Endpoint = [%s]:%u\n", a, p->endpoint_port);
		else
			fprintf(f, "Endpoint = %s:%u\n", a, p->endpoint_port);
		fprintf(f, "AllowedIPs = ");
		for (i = 0; i < p->allowed_ips.n; i++)
			fprintf(f, "%s%s", i ? ", " : "",
			    kaddr_str(&p->allowed_ips.v[i], a, sizeof(a)));
		fprintf(f, "\n");
		if (p->keepalive != 0)
			fprintf(f, "PersistentKeepalive = %d\n", p->keepalive);
	}
	return 0;
}

static int
gen_nft(FILE *f, struct bctx *b)
{
	struct guest_fw	 g;

	guest_fw_build(&g, b->conf, b->gw, &b->resolver, b->resolver_later);
	emit_guest_nft(f, &g);
	guest_fw_free(&g);
	return 0;
}

static int
gen_pf(FILE *f, struct bctx *b)
{
	struct guest_fw	 g;

	guest_fw_build(&g, b->conf, b->gw, &b->resolver, b->resolver_later);
	emit_guest_pf(f, &g);
	guest_fw_free(&g);
	return 0;
}

/* One file's contents in memory; -1: error (in b->err). */
static int
generate(struct bctx *b, enum bfile which, char **buf, size_t *len)
{
	FILE	*f;
	int	 rv;

	if ((f = open_memstream(buf, len)) == NULL)
		return berror(b, bfiles[which].name, "%s", errstr(errno));
	rv = gens[which](f, b);
	if (fclose(f) == EOF && rv == 0)
		rv = berror(b, bfiles[which].name, "%s", errstr(errno));
	if (rv == -1) {
		if (which == BF_WG)
			explicit_bzero(*buf, *len);
		free(*buf);
		*buf = NULL;
	}
	return rv;
}

void
bundle_print(FILE *fp, const struct netd_config *conf)
{
	const struct node	*gw;
	struct bctx		 b;
	char			 err[512], *buf;
	size_t			 len;
	int			 i, first = 1;

	TAILQ_FOREACH(gw, &conf->nodes, entry) {
		if (gw->kind != NODE_GATEWAY || gw->seg == NULL)
			continue;
		memset(&b, 0, sizeof(b));
		b.conf = conf;
		b.gw = gw;
		b.print = 1;
		b.err = err;
		b.errlen = sizeof(err);
		bundle_resolver(&b);
		for (i = 0; i < BF_MAX; i++) {
			if (!uses(gw, (enum bfile)i))
				continue;
			if (generate(&b, (enum bfile)i, &buf, &len) == -1) {
				fprintf(stderr, "kubsd-netd: %s\n", err);
				continue;
			}
			fprintf(fp, "%s==> %s/%s <==\n", first ? "" : "\n",
			    gw->name, bfiles[i].name);
			first = 0;
			fwrite(buf, 1, len, fp);
			free(buf);
		}
	}
}

/* mkdir -p, each made 0700. */
static int
make_dir(struct bctx *b, const char *dir)
{
	char		 path[PATH_MAX], *s;
	struct stat	 st;

	if (strlen(dir) >= sizeof(path))
		return berror(b, dir, "name too long");
	strcpy(path, dir);
	for (s = path + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		if (s[-1] != '/') {
			char	 c = *s;

			*s = '\0';
			if (mkdir(path, 0700) == -1 && errno != EEXIST)
				return berror(b, path, "%s", errstr(errno));
			*s = c;
		}
		if (*s == '\0')
			break;
	}
	if (stat(dir, &st) == -1)
		return berror(b, dir, "%s", errstr(errno));
	if (!S_ISDIR(st.st_mode))
		return berror(b, dir, "not a directory");
	return 0;
}

/* Is path a regular file with exactly these contents and mode? */
static int
same_file(const char *path, const char *buf, size_t len, mode_t mode)
{
	struct stat	 st;
	char		*old;
	size_t		 olen;
	int		 fd, same;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 0;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size != len || (st.st_mode & 07777) != mode) {
		close(fd);
		return 0;
	}
	close(fd);
	if ((old = read_small(path, len, &olen)) == NULL)
		return 0;
	same = olen == len && memcmp(old, buf, len) == 0;
	explicit_bzero(old, olen);
	free(old);
	return same;
}

/* Replace dir/NAME atomically (file.c) unless it holds buf already. */
static int
replace_file(struct bctx *b, const char *dir, const char *name,
    const char *buf, size_t len, mode_t mode)
{
	char	 path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return berror(b, name, "path too long");
	if (same_file(path, buf, len, mode))
		return 0;
	/* No fsync: a bundle is derived, and rewritten on every start. */
	if (file_replace(path, buf, len, mode, 0) == -1)
		return berror(b, path, "%s", errstr(errno));
	return 1;
}

int
bundle_write(const struct netd_config *conf, const struct node *gw,
    const char *dir, char *err, size_t errlen)
{
	struct bctx	 b;
	char		*bufs[BF_MAX], path[PATH_MAX];
	size_t		 lens[BF_MAX];
	int		 i, rv = 0, r;

	memset(&b, 0, sizeof(b));
	b.conf = conf;
	b.gw = gw;
	b.err = err;
	b.errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	if (gw->kind != NODE_GATEWAY || gw->seg == NULL || gw->up == NULL)
		return berror(&b, dir, "not a gateway on a chain");
	bundle_resolver(&b);

	/* every file generated before any is written */
	memset(bufs, 0, sizeof(bufs));
	for (i = 0; i < BF_MAX; i++)
		if (uses(gw, (enum bfile)i) &&
		    generate(&b, (enum bfile)i, &bufs[i], &lens[i]) == -1) {
			rv = -1;
			goto done;
		}
	if (make_dir(&b, dir) == -1) {
		rv = -1;
		goto done;
	}
	/* the firewall first: never a daemon configured before it */
	for (i = BF_MAX - 1; i >= 0; i--) {
		if (bufs[i] == NULL) {
			/* a file of another role: gone */
			snprintf(path, sizeof(path), "%s/%s", dir,
			    bfiles[i].name);
			if (unlink(path) == 0)
				rv = 1;
			continue;
		}
		r = replace_file(&b, dir, bfiles[i].name, bufs[i], lens[i],
		    bfiles[i].mode);
		if (r == -1) {
			rv = -1;
			goto done;
		}
		if (r == 1)
			rv = 1;
	}
 done:
	for (i = 0; i < BF_MAX; i++) {
		if (bufs[i] != NULL && i == BF_WG)
			explicit_bzero(bufs[i], lens[i]);
		free(bufs[i]);
	}
	return rv;
}
