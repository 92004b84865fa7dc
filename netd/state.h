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

/* kubsd-netd's state directory (state.c). */
#ifndef STATE_H
#define STATE_H

struct netd_config;
struct netd_live;
struct node;

void	state_note_attachment(const struct netd_config *, const struct node *);
void	state_sync_attachments(const struct netd_live *);
int	state_load_attachments(struct netd_config *, struct netd_live *);
void	state_sync_compartments(const struct netd_config *);
void	state_clear(const struct netd_config *);
int	state_sysctl_set(const struct netd_config *, const char *,
	    const char *);

#endif
