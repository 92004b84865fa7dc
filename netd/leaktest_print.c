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
 * kubsd-net leaktest: the result, as a table or as JSON, and the one
 * line on the standard error that names the leaking probes.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "leaktest.h"

static const char *const classes[] = {
	"tcp", "udp", "icmp", "dns", "ipv6", "spoof", "vm", "host"
};

/* The interfaces of a mask, comma-separated, or "-". */
const char *
leaktest_iflist(const struct leaktest *lt, uint32_t mask, char *buf, size_t len)
{
	size_t	 i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < lt->nifs; i++) {
		if (!(mask & ((uint32_t)1 << i)))
			continue;
		o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%s",
		    o ? "," : "", lt->ifs[i].name);
	}
	if (o == 0)
		snprintf(buf, len, "-");
	return buf;
}

/* Where the probes were sent from. */
static const char *
source(const struct leaktest *lt, char *buf, size_t len)
{
	if (lt->exec[0] != '\0')
		snprintf(buf, len, "inside vm %s, by its agent", lt->vm);
	else
		snprintf(buf, len, "compartment %s", lt->netns);
	return buf;
}

static const char *
resultstr(const struct lt_probe *p)
{
	return probe_result_name(p->result);
}

int
leaktest_leaked(const struct lt_probe *p)
{
	return (p->seen & ~p->expect) != 0;
}

/*
 * Every probe leaves through the VM's own port (interface 0): one not
 * seen there was not sent, or nothing watched it, and proves nothing.
 */
int
leaktest_untested(const struct lt_probe *p)
{
	return !leaktest_leaked(p) &&
	    (p->result == PROBE_ERROR || !(p->seen & 1));
}

/* "leak", "untested" or "ok". */
const char *
leaktest_verdict(const struct lt_probe *p)
{
	if (leaktest_leaked(p))
		return "leak";
	return leaktest_untested(p) ? "untested" : "ok";
}

/* What kubsd-net leaktest exits with: 1 a leak, 2 an untested probe. */
int
leaktest_status(const struct leaktest *lt)
{
	size_t	 i;
	int	 rv = 0;

	for (i = 0; i < lt->nprobes; i++) {
		if (leaktest_leaked(&lt->probes[i]))
			return 1;
		if (leaktest_untested(&lt->probes[i]))
			rv = 2;
	}
	return rv;
}

void
leaktest_print_table(const struct leaktest *lt)
{
	char	 e[LT_MAXPROBE][512], s[LT_MAXPROBE][512], t[64], f[128];
	int	 we = 13, ws = 7, wt = 6;
	size_t	 i;

	printf("leaktest %s: chain %s: %s\n", lt->vm, lt->chain, lt->path);
	printf("target %s (tcp port %d), ipv6 %s, tags KTAG-%s-PROBE\n",
	    lt->target, lt->port, lt->target6, lt->run);
	printf("probes sent from %s\n", source(lt, f, sizeof(f)));
	for (i = 0; i < lt->nprobes; i++) {
		leaktest_iflist(lt, lt->probes[i].expect, e[i], sizeof(e[i]));
		leaktest_iflist(lt, lt->probes[i].seen, s[i], sizeof(s[i]));
		if ((int)strlen(e[i]) > we)
			we = (int)strlen(e[i]);
		if ((int)strlen(s[i]) > ws)
			ws = (int)strlen(s[i]);
		if ((int)strlen(lt->probes[i].target) > wt)
			wt = (int)strlen(lt->probes[i].target);
	}
	printf("%-12s %-*s %-11s %-*s %-*s %s\n", "PROBE", wt, "TARGET",
	    "SENT", we, "EXPECTED PATH", ws, "SEEN ON", "VERDICT");
	for (i = 0; i < lt->nprobes; i++) {
		const struct lt_probe *p = &lt->probes[i];

		snprintf(t, sizeof(t), "%s", p->target);
		printf("%-12s %-*s %-11s %-*s %-*s %s\n", p->name, wt, t,
		    resultstr(p), we, e[i], ws, s[i],
		    leaktest_leaked(p) ? "LEAK" : leaktest_verdict(p));
	}
	for (i = 0; i < lt->nifs; i++)
		if (lt->ifs[i].down)
			printf("%s is down: nothing crossed it\n",
			    lt->ifs[i].name);
	for (i = 0; i < lt->nprobes; i++)
		if (lt->probes[i].result == PROBE_ERROR)
			printf("probe %s: %s\n", lt->probes[i].name,
			    lt->probes[i].err);
}

static json_t *
jiflist(const struct leaktest *lt, uint32_t mask)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < lt->nifs; i++)
		if (mask & ((uint32_t)1 << i))
			json_array_append_new(a, json_string(lt->ifs[i].name));
	return a;
}

void
leaktest_print_json(const struct leaktest *lt, int nleaks)
{
	json_t	*root = json_object(), *ifs = json_array();
	json_t	*probes = json_array(), *o;
	char	 tag[128], f[128];
	size_t	 i;

	json_object_set_new(root, "vm", json_string(lt->vm));
	json_object_set_new(root, "from", json_string(source(lt, f,
	    sizeof(f))));
	json_object_set_new(root, "chain", json_string(lt->chain));
	json_object_set_new(root, "path", json_string(lt->path));
	json_object_set_new(root, "target", json_string(lt->target));
	json_object_set_new(root, "target6", json_string(lt->target6));
	json_object_set_new(root, "port", json_integer(lt->port));
	for (i = 0; i < lt->nifs; i++) {
		o = json_object();
		json_object_set_new(o, "name", json_string(lt->ifs[i].name));
		json_object_set_new(o, "what", json_string(lt->ifs[i].what));
		json_object_set_new(o, "captured",
		    json_boolean(!lt->ifs[i].down));
		json_array_append_new(ifs, o);
	}
	json_object_set_new(root, "interfaces", ifs);
	for (i = 0; i < lt->nprobes; i++) {
		const struct lt_probe *p = &lt->probes[i];

		o = json_object();
		snprintf(tag, sizeof(tag), "KTAG-%s", p->s.tag);
		json_object_set_new(o, "probe", json_string(p->name));
		json_object_set_new(o, "class",
		    json_string(classes[p->class]));
		json_object_set_new(o, "tag", json_string(tag));
		json_object_set_new(o, "target", json_string(p->target));
		json_object_set_new(o, "sent", json_string(resultstr(p)));
		if (p->result == PROBE_ERROR)
			json_object_set_new(o, "error", json_string(p->err));
		json_object_set_new(o, "expected", jiflist(lt, p->expect));
		json_object_set_new(o, "seen", jiflist(lt, p->seen));
		json_object_set_new(o, "verdict",
		    json_string(leaktest_verdict(p)));
		json_array_append_new(probes, o);
	}
	json_object_set_new(root, "probes", probes);
	json_object_set_new(root, "leaks", json_integer(nleaks));
	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(root);
}

/* One line naming every leaking probe and where it was seen. */
void
leaktest_report_leaks(const struct leaktest *lt)
{
	char	 s[512];
	size_t	 i;
	int	 n = 0;

	fprintf(stderr, "kubsd-net: leaktest %s: leak:", lt->vm);
	for (i = 0; i < lt->nprobes; i++) {
		if (!leaktest_leaked(&lt->probes[i]))
			continue;
		fprintf(stderr, "%s probe %s seen on %s", n++ ? ";" : "",
		    lt->probes[i].name, leaktest_iflist(lt, lt->probes[i].seen &
		    ~lt->probes[i].expect, s, sizeof(s)));
	}
	fputc('\n', stderr);
}

/* One line naming every probe that tested nothing, and why. */
void
leaktest_report_untested(const struct leaktest *lt)
{
	const struct lt_probe	*p;
	size_t			 i;
	int			 n = 0;

	fprintf(stderr, "kubsd-net: leaktest %s: untested:", lt->vm);
	for (i = 0; i < lt->nprobes; i++) {
		p = &lt->probes[i];
		if (!leaktest_untested(p))
			continue;
		if (p->result == PROBE_ERROR)
			fprintf(stderr, "%s probe %s not sent: %s",
			    n++ ? ";" : "", p->name, p->err);
		else
			fprintf(stderr, "%s probe %s not seen on %s%s",
			    n++ ? ";" : "", p->name, lt->ifs[0].name,
			    lt->ifs[0].down ? " (down)" : "");
	}
	fputc('\n', stderr);
}
