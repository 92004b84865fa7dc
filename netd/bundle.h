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
 * The role bundle of a gateway (guest/README.md): the files kubsd-guest
 * applies inside the gateway, one directory per gateway.
 */
#ifndef BUNDLE_H
#define BUNDLE_H

#include <stdio.h>

#include "kubsd.h"

#define BUNDLE_SUBDIR		"gateways"	/* STATEDIR/gateways/NAME */
#define BUNDLE_RESOLV_CONF	"/etc/resolv.conf"

/*
 * A gateway VM's WireGuard keys are credentials (fw_cfg files, 0600):
 * its wg.conf says "PrivateKey = <credential kubsd.wg.key>" and
 * "PresharedKey = <credential kubsd.wg.psk.N>" (N: the peer's place,
 * from 0), and its agent puts the keys in.
 */
#define BUNDLE_CRED_KEY		"kubsd.wg.key"
#define BUNDLE_CRED_PSK		"kubsd.wg.psk."

/*
 * Write gw's bundle into dir (made, mode 0700, with its parents), each
 * file replaced atomically and only when its contents change.  Reads
 * the key files, the torrc include and, for a sys-net gateway on an
 * uplink without a resolver, the host's resolv.conf.  1: some file
 * changed, 0: all were the same, -1: error, described in err (naming
 * the gateway and the file).
 */
int	 bundle_write(const struct netd_config *, const struct node *,
	    const char *, char *, size_t);

/*
 * Every gateway's bundle, each file after a line "==> NAME/FILE <==",
 * for kubsd-netd -n -t bundle.  Reads no host file: key material, the
 * torrc include and a resolver from resolv.conf are shown as
 * placeholders, so the output is deterministic and holds no secret.
 */
void	 bundle_print(FILE *, const struct netd_config *);

#endif
