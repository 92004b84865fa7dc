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
 * The agent channel's lines (org.kubsd.agent.0), parsed the same way on
 * both ends and fuzzed (regress/fuzz/fuzz_agent.c): the host splits and
 * classifies what a VM's agent says (vm.c, gwvm.c), the guest's agent
 * the bundle a gateway VM is sent (guest/agent_gw-linux.c).  Pure: no
 * file, no socket.
 */
#ifndef AGENTLINE_H
#define AGENTLINE_H

#include <stddef.h>

/* What a VM's agent says. */
enum agent_kind {
	AL_READY,	/* "ready ADDR": up (again, after a hello) */
	AL_STATE,	/* "state TEXT" */
	AL_STATUS,	/* "status LINE": a gateway's kubsd-guest */
	AL_HELLO,	/* "hello": the agent started anew */
	AL_OTHER
};

/* A gateway's status, by its first word. */
enum gw_state { GS_READY, GS_STARTING, GS_DOWN, GS_ERROR, GS_BAD };

/* A line of the bundle, as the guest's agent reads it. */
enum frame_kind {
	FR_BEGIN,	/* "bundle begin" */
	FR_FILE,	/* "file NAME MODE": name, mode */
	FR_DATA,	/* "+LINE": data */
	FR_END,		/* "bundle end" */
	FR_BAD,		/* a file line that is not one */
	FR_NONE		/* not the bundle's: another command */
};

struct frame {
	enum frame_kind	 kind;
	char		 name[64];	/* a plain file name */
	unsigned int	 mode;		/* at most 0644 */
	const char	*data;		/* into the line */
};

size_t		 agent_lines(char *buf, size_t len, size_t cap,
		    void (*)(void *, char *), void *);
enum agent_kind	 agent_line_kind(const char *, const char **arg);
enum gw_state	 gw_status_clean(const char *, char *out, size_t);
void		 frame_line(const char *, struct frame *);
int		 frame_name_ok(const char *);
int		 frame_cred(const char *data, char *kw, size_t, char *name,
		    size_t);

#endif
