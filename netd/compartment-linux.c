/*
 * Rules inside a gateway compartment.  Until the role bundles of guest/
 * exist, a compartment gateway is a plain NAT router: it masquerades
 * what it forwards out of its upstream leg, so the host sees only the
 * gateway's own address, which is all the host's uplink rules allow.
 */
#include <stdio.h>
#include <unistd.h>

#include <nftables/libnftables.h>

#include "kubsd.h"
#include "link.h"
#include "log.h"
#include "topology.h"

static const char gw_rules[] =
    "table ip kubsd_gw\n"
    "delete table ip kubsd_gw\n"
    "table ip kubsd_gw {\n"
    "\tchain postrouting {\n"
    "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
    "\t\toifname \"eth0\" masquerade\n"
    "\t}\n"
    "}\n";

int
compartment_gateway_rules(const struct node *g)
{
	struct nft_ctx	*nft;
	char		 ns[KUBSD_IFNAMSIZ + 8];
	int		 fd, saved, rv;

	topo_netns_name(g, ns, sizeof(ns));
	if ((fd = netns_open(ns)) == -1) {
		log_warn("compartment %s", ns);
		return -1;
	}
	if (netns_enter(fd, &saved) == -1) {
		log_warn("compartment %s", ns);
		close(fd);
		return -1;
	}
	/* A context made inside the namespace talks to its netfilter. */
	if ((nft = nft_ctx_new(NFT_CTX_DEFAULT)) == NULL)
		rv = -1;
	else {
		nft_ctx_buffer_error(nft);
		rv = nft_run_cmd_from_buffer(nft, gw_rules);
		if (rv != 0)
			log_warnx("compartment %s: %s", ns,
			    nft_ctx_get_error_buffer(nft));
		nft_ctx_free(nft);
	}
	netns_leave(saved);
	close(fd);
	return rv == 0 ? 0 : -1;
}
