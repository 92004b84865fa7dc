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
 * A VM's serial console as the host shows it: what the guest printed
 * may hold terminal escape sequences that attack the terminal it is
 * replayed on (Qubes filters them too).  console_filter() keeps
 * printable text, newlines and tabs and drops every escape sequence
 * (CSI, OSC and the rest) and other control characters; *state
 * carries a sequence across calls (0 at the start).
 */
#include <stddef.h>

#include "vm.h"

enum { C_TEXT, C_ESC, C_CSI, C_STR, C_STR_ESC };

size_t
console_filter(const char *in, size_t len, char *out, int *state)
{
	size_t		 i, o = 0;
	unsigned char	 c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		switch (*state) {
		case C_ESC:
			if (c == '[')
				*state = C_CSI;
			else if (c == ']' || c == 'P' || c == '_' ||
			    c == '^' || c == 'X')
				*state = C_STR;
			else if (c >= 0x20 && c <= 0x2f)
				;	/* intermediate bytes */
			else
				*state = C_TEXT;
			continue;
		case C_CSI:
			if (c >= 0x40 && c <= 0x7e)
				*state = C_TEXT;
			continue;
		case C_STR:
			if (c == 0x07)
				*state = C_TEXT;
			else if (c == 0x1b)
				*state = C_STR_ESC;
			continue;
		case C_STR_ESC:
			*state = c == '\\' ? C_TEXT : C_STR;
			continue;
		}
		if (c == 0x1b)
			*state = C_ESC;
		else if (c == 0x9b)
			*state = C_CSI;
		else if (c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7f &&
		    (c < 0x80 || c >= 0xa0)))
			out[o++] = (char)c;
	}
	return o;
}
