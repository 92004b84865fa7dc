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

/* Compartment gateways' guests: bundles, processes, readiness (gwguest-linux.c). */
#ifndef GWGUEST_H
#define GWGUEST_H

struct netd_config;
struct netd_live;
struct node;

/* Write every gateway's bundle; start or SIGHUP compartment guests. */
void	gw_guests_sync(struct netd_live *);
/* Read the guests' status; 1 if some gateway's readiness changed. */
int	gw_guests_poll(struct netd_live *);
/* Stop the guests of gateways gone from the config (all: every one)
 * and remove their bundles. */
void	gw_guests_prune(const struct netd_config *, int all);
void	gw_guests_reaper(void);
void	gw_guest_remove(const struct netd_config *, const struct node *);

#endif
