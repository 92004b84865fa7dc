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
 * Segment MTUs (node_seg_mtu()): the uplink's, or what "mtu" says; a
 * wireguard gateway's segment 80 bytes less, never under 1280; what is
 * further downstream inherits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubsd.h"
#include "check.h"
#include "conf_load.h"

static const char conf_text[] =
    "uplink \"wan\" { interface \"eth0\" }\n"
    "uplink \"lan\" { interface \"eth1\"; mtu 9000 }\n"
    "gateway \"net\" { role sys-net }\n"
    "gateway \"wg\" { role wireguard; wireguard {\n"
    "  private key file \"/k\"; address 10.99.0.2/32\n"
    "  peer \"p\" { public key \"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"\n"
    "    endpoint 192.0.2.7 port 51820; allowed ips { 0.0.0.0/0 } } } }\n"
    "gateway \"below\" { role tor }\n"
    "gateway \"fixed\" { role sys-net; mtu 1400 }\n"
    "gateway \"lnet\" { role sys-net }\n"
    "gateway \"lwg\" { role wireguard; mtu 1300; wireguard {\n"
    "  private key file \"/k\"; address 10.99.0.2/32\n"
    "  peer \"p\" { public key \"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"\n"
    "    endpoint 192.0.2.7 port 51820; allowed ips { 0.0.0.0/0 } } } }\n"
    "gateway \"lbelow\" { role sys-net }\n"
    "chain \"a\" { \"below\" \"wg\" \"net\" \"wan\" }\n"
    "chain \"b\" { \"fixed\" \"net\" \"wan\" }\n"
    "chain \"c\" { \"lbelow\" \"lwg\" \"lnet\" \"lan\" }\n"
    "vm \"v\" { chain \"a\" }\n";

static int
mtu_of(const struct netd_config *conf, const char *name)
{
	return node_seg_mtu(node_find(conf, name));
}

int
main(void)
{
	struct netd_config	*conf = conf_load(conf_text);

	/* The uplink's MTU not known (netd has not read it): defaults. */
	CHECK(mtu_of(conf, "wan") == 0, "wan %d", mtu_of(conf, "wan"));
	CHECK(mtu_of(conf, "net") == 0, "net %d", mtu_of(conf, "net"));
	CHECK(mtu_of(conf, "wg") == 1420, "wg %d", mtu_of(conf, "wg"));
	CHECK(mtu_of(conf, "below") == 1420, "below %d",
	    mtu_of(conf, "below"));
	CHECK(mtu_of(conf, "v") == 0, "a vm owns no segment");

	node_find(conf, "wan")->if_mtu = 1400;
	CHECK(mtu_of(conf, "wan") == 1400, "wan %d", mtu_of(conf, "wan"));
	CHECK(mtu_of(conf, "net") == 1400, "net %d", mtu_of(conf, "net"));
	CHECK(mtu_of(conf, "wg") == 1320, "wg %d", mtu_of(conf, "wg"));
	CHECK(mtu_of(conf, "below") == 1320, "below %d",
	    mtu_of(conf, "below"));
	CHECK(mtu_of(conf, "fixed") == 1400, "fixed %d",
	    mtu_of(conf, "fixed"));

	/* Never under IPv6's minimum. */
	node_find(conf, "wan")->if_mtu = 1300;
	CHECK(mtu_of(conf, "wg") == 1280, "wg %d", mtu_of(conf, "wg"));

	/* "mtu" wins over the interface, and over the tunnel's rule. */
	node_find(conf, "lan")->if_mtu = 1500;
	CHECK(mtu_of(conf, "lan") == 9000, "lan %d", mtu_of(conf, "lan"));
	CHECK(mtu_of(conf, "lnet") == 9000, "lnet %d", mtu_of(conf, "lnet"));
	CHECK(mtu_of(conf, "lwg") == 1300, "lwg %d", mtu_of(conf, "lwg"));
	CHECK(mtu_of(conf, "lbelow") == 1300, "lbelow %d",
	    mtu_of(conf, "lbelow"));

	config_free(conf);
	if (failures == 0)
		printf("ok\n");
	return failures != 0;
}
