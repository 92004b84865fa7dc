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
 * A running daemon's live state (live.c) apart from the configuration:
 * what it says blocks the ports it should and only those, and changing
 * it changes nothing in the configuration; with every node passing, the
 * daemon's gated rules are byte for byte kubsd-net's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubsd.h"
#include "live.h"
#include "rules.h"
#include "check.h"
#include "conf_load.h"

static const char conf_text[] =
    "uplink \"wan\" { interface \"eth0\" }\n"
    "gateway \"net\" { role sys-net; driver netns }\n"
    "chain \"a\" { \"net\" \"wan\" }\n"
    "vm \"v\" { chain \"a\"; driver netns }\n"
    "vm \"off\" { driver netns }\n";

/* What f prints, whole (malloc'd). */
#define CAPTURE(buf, f) do {						\
	size_t	 len_;							\
	FILE	*fp_ = open_memstream(&(buf), &len_);			\
	f;								\
	fclose(fp_);							\
} while (0)

/* The full ruleset in nft, then in pf (which comments a block). */
static char *
nft_of(const struct netd_config *conf, const struct node_gate *gate)
{
	struct ruleset	*rs = rules_compile_gated(conf, gate);
	char		*s;

	CAPTURE(s, emit_nft(fp_, rs, NULL); emit_pf(fp_, rs, NULL));
	rules_free(rs);
	return s;
}

static void
check_blocked(const struct netd_live *lv, const char *vm, const char *want)
{
	const char	*got = live_blocked(lv, node_find(lv->conf, vm));

	CHECK(want == NULL ? got == NULL : got != NULL &&
	    strcmp(got, want) == 0, "%s blocked: %s, want %s", vm,
	    got ? got : "(no)", want ? want : "(no)");
}

int
main(void)
{
	struct netd_config	*conf;
	struct netd_live	*lv;
	const struct node	*n;
	char			*offline, *gated, *printed, *again, *dot;

	conf = conf_load(conf_text);
	lv = live_new(conf);
	CHECK(lv->n == 4, "%zu nodes live", lv->n);
	TAILQ_FOREACH(n, &conf->nodes, entry)
		CHECK(live_node(lv, n)->node == n, "%s: not its own", n->name);

	/* Nothing known yet: everything passes, as kubsd-net has it. */
	offline = nft_of(conf, NULL);
	gated = nft_of(conf, &lv->gate);
	CHECK(strcmp(offline, gated) == 0, "gated rules differ");
	free(gated);
	check_blocked(lv, "v", NULL);
	check_blocked(lv, "off", "offline");
	CAPTURE(printed, print_config(fp_, conf));

	/* Each kind of live state blocks v's port for its own reason. */
	live_node(lv, node_find(conf, "net"))->unready = 1;
	snprintf(live_node(lv, node_find(conf, "net"))->guest_status,
	    KUBSD_STATUSLEN, "starting bootstrap 10%%");
	check_blocked(lv, "v", "chain not ready");
	gated = nft_of(conf, &lv->gate);
	CHECK(strcmp(offline, gated) != 0, "an unready gateway changes "
	    "nothing");
	CHECK(strstr(gated, "chain not ready") != NULL, "no comment");
	free(gated);
	CAPTURE(dot, print_dot(fp_, conf, &lv->gate));
	CHECK(strstr(dot, "not ready: starting bootstrap 10%") != NULL,
	    "graph: %s", dot);
	CHECK(strstr(dot, "chain a waits for net") != NULL, "graph: %s", dot);
	free(dot);
	live_node(lv, node_find(conf, "net"))->unready = 0;
	live_node(lv, node_find(conf, "wan"))->if_down = 1;
	check_blocked(lv, "v", "uplink down");
	live_node(lv, node_find(conf, "wan"))->if_down = 0;
	live_node(lv, node_find(conf, "v"))->unready = 1;
	live_node(lv, node_find(conf, "v"))->attached = 1;
	check_blocked(lv, "v", "vm not ready");

	/* The configuration saw none of it. */
	CAPTURE(again, print_config(fp_, conf));
	CHECK(strcmp(printed, again) == 0, "the configuration changed");
	gated = nft_of(conf, NULL);
	CHECK(strcmp(offline, gated) == 0, "kubsd-net's rules changed");
	free(gated);
	free(again);
	free(printed);
	free(offline);
	live_free(lv);
	config_free(conf);
	return failures != 0;
}
