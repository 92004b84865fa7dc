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
 * VM ports in nftables (vmport.c): every VM port goes through the same
 * chains, which check a frame against the elements its port has in a few
 * shared sets.  A VM's elements are its identity where it is attached
 * (rules.h, struct rident); a blocked VM has none, so it sends nothing.
 * Moving a VM only swaps its elements: no rule, chain or jump changes,
 * and the kernel has no reason to validate the table again (its cost
 * grows with the ruleset).  The same description gives the text (full
 * loads, inspection) and the netlink batch (vmport-nl-linux.c).
 */
#ifndef VMPORT_H
#define VMPORT_H

#include <stdint.h>
#include <stdio.h>

struct anchor;
struct kaddr;
struct ruleset;

/* A key field's type: its nft type and size in the key. */
enum kfield	{ KF_IF, KF_MAC, KF_IP4, KF_IP6 };

enum vmset_id {
	VS_IP4,		/* port . first hop port . mac . IPv4 source */
	VS_IP6,		/* port . first hop port . mac . IPv6 source */
	VS_LL6,		/* port . first hop port . mac: link-local sources */
	VS_HOP,		/* port . first hop's mac: its only unicast target */
	VS_PATH,	/* port . first hop port: frames towards the VM */
	VS_PATH6,	/* the same, IPv6 enabled */
	VS_DNS4,	/* port . the DNS server it may ask */
	VS_DNS6,
	VS_COUNT
};

struct vmset {
	const char	*name;
	size_t		 nf;
	enum kfield	 f[4];
};

extern const struct vmset vmsets[VS_COUNT];

/* One field's value: the member of its type. */
struct kval {
	const char		*ifname;
	const uint8_t		*mac;
	const struct kaddr	*addr;
};

struct velem {
	enum vmset_id		 set;
	struct kval		 v[4];
};

/* The elements of a VM anchor's identity (at most VS_COUNT), 0 if none. */
size_t		 vmport_elems(const struct anchor *, struct velem *);

/* One element's key in nft syntax: "kp-a" . "kd-b" . 02:.. . 10.0.0.2 */
void		 vmport_key_print(FILE *, const struct velem *);

/* The sets, with the elements of every VM of rs; the shared chains. */
void		 vmport_sets(FILE *, const struct ruleset *);
void		 vmport_chains(FILE *);

/* A VM's elements as "add element" commands (inspection). */
void		 vmport_add_print(FILE *, const struct anchor *);

#endif
