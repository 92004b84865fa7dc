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
 * A .desktop file (the freedesktop.org Desktop Entry Specification, 1.5)
 * from inside a template: its [Desktop Entry] group's Type, Name, Exec,
 * Icon, Categories, Terminal, NoDisplay and Hidden.  Localized keys
 * (Name[de]) and the other groups are skipped.  The file is not
 * trusted: a value with a control character or bad UTF-8, a duplicate
 * key, a line that is no key, group or comment makes it bad.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "menu.h"

struct dparse {
	struct desktop_app	*app;
	char			*err;
	size_t			 errlen;
	int			 line;
	int			 group;		/* 0 none yet, 1 ours, 2 other */
	int			 seen;		/* keys of ours, a bit each */
	int			 isapp, hidden;
};

static const char *const keys[] = { "Type", "Name", "Exec", "Icon",
    "Categories", "Terminal", "NoDisplay", "Hidden" };
enum { K_TYPE, K_NAME, K_EXEC, K_ICON, K_CATS, K_TERM, K_NODISP, K_HIDDEN };

/* The registered categories (the Desktop Menu Specification's main and
 * additional ones); others but X-* are left out of the host's entry. */
static const char *const categories[] = {
	"AudioVideo", "Audio", "Video", "Development", "Education", "Game",
	"Graphics", "Network", "Office", "Science", "Settings", "System",
	"Utility", "Building", "Debugger", "IDE", "GUIDesigner", "Profiling",
	"RevisionControl", "Translation", "Calendar", "ContactManagement",
	"Database", "Dictionary", "Chart", "Email", "Finance", "FlowChart",
	"PDA", "ProjectManagement", "Presentation", "Spreadsheet",
	"WordProcessor", "2DGraphics", "VectorGraphics", "RasterGraphics",
	"3DGraphics", "Scanning", "OCR", "Photography", "Publishing",
	"Viewer", "TextTools", "DesktopSettings", "HardwareSettings",
	"Printing", "PackageManager", "Dialup", "InstantMessaging", "Chat",
	"IRCClient", "Feed", "FileTransfer", "HamRadio", "News", "P2P",
	"RemoteAccess", "Telephony", "TelephonyTools", "VideoConference",
	"WebBrowser", "WebDevelopment", "Midi", "Mixer", "Sequencer",
	"Tuner", "TV", "AudioVideoEditing", "Player", "Recorder",
	"DiscBurning", "ActionGame", "AdventureGame", "ArcadeGame",
	"BoardGame", "BlocksGame", "CardGame", "KidsGame", "LogicGame",
	"RolePlaying", "Shooter", "Simulation", "SportsGame",
	"StrategyGame", "Art", "Construction", "Music", "Languages",
	"ArtificialIntelligence", "Astronomy", "Biology", "Chemistry",
	"ComputerScience", "DataVisualization", "Economy", "Electricity",
	"Geography", "Geology", "Geoscience", "History", "Humanities",
	"ImageProcessing", "Literature", "Maps", "Math",
	"NumericalAnalysis", "MedicalSoftware", "Physics", "Robotics",
	"Spirituality", "Sports", "ParallelComputing", "Amusement",
	"Archiving", "Compression", "Electronics", "Emulator",
	"Engineering", "FileTools", "FileManager", "TerminalEmulator",
	"Filesystem", "Monitor", "Security", "Accessibility", "Calculator",
	"Clock", "TextEditor", "Documentation", "Adult", "Core", "KDE",
	"GNOME", "XFCE", "DDE", "GTK", "Qt", "Motif", "Java", "ConsoleOnly",
};

static int __attribute__((format(printf, 2, 3)))
bad(struct dparse *d, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	n = snprintf(d->err, d->errlen, "line %d: ", d->line);
	if (n < 0 || (size_t)n >= d->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(d->err + n, d->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Well-formed UTF-8, no control character. */
int
desktop_utf8_ok(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	unsigned		 c, min;
	int			 n, i;

	while (*p != '\0') {
		c = *p++;
		if (c < 0x20 || c == 0x7f)
			return 0;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, c &= 0x1f, min = 0x80;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, c &= 0x0f, min = 0x800;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, c &= 0x07, min = 0x10000;
		else
			return 0;
		for (i = 0; i < n; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (*p & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
	}
	return 1;
}

/* A desktop file id kubsd uses in file names. */
int
desktop_id_ok(const char *id)
{
	const char	*p;

	if (id[0] == '\0' || id[0] == '.' || id[0] == '-' ||
	    strlen(id) >= sizeof(((struct desktop_app *)0)->id))
		return 0;
	for (p = id; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-' || *p == '+'))
			return 0;
	return 1;
}

/* A string value, its escapes \s \n \t \r \\ undone (others are kept
 * for Exec's own quoting); a control character or bad UTF-8 is bad. */
static int
unescape(struct dparse *d, const char *key, const char *v, size_t len,
    char *out, size_t outlen)
{
	size_t	 i, o = 0;
	char	 c;

	for (i = 0; i < len; i++) {
		c = v[i];
		if (c == '\\' && i + 1 < len) {
			switch (v[i + 1]) {
			case 's': c = ' '; i++; break;
			case 'n': c = '\n'; i++; break;
			case 't': c = '\t'; i++; break;
			case 'r': c = '\r'; i++; break;
			case '\\': i++; break;
			default: break;
			}
		}
		if (o + 1 >= outlen)
			return bad(d, "%s is too long", key);
		out[o++] = c;
	}
	out[o] = '\0';
	if (!desktop_utf8_ok(out))
		return bad(d, "%s has a control character or bad UTF-8", key);
	return 0;
}

static int
boolean(struct dparse *d, const char *key, const char *v, int *b)
{
	if (strcmp(v, "true") == 0)
		*b = 1;
	else if (strcmp(v, "false") == 0)
		*b = 0;
	else
		return bad(d, "%s is \"%s\", not true or false", key, v);
	return 0;
}

/* Is w one of the words of list "a;b;"? */
static int
has_word(const char *list, const char *w)
{
	size_t	 n = strlen(w), k;

	for (; *list != '\0'; list += k + 1) {
		k = strcspn(list, ";");
		if (k == n && strncmp(list, w, n) == 0)
			return 1;
		if (list[k] == '\0')
			break;
	}
	return 0;
}

/* Categories: the registered ones and X-*, each once, ";" after each. */
static void
keep_categories(const char *in, char *out, size_t len)
{
	char	 w[128];
	size_t	 i, n, o = 0;

	out[0] = '\0';
	while (*in != '\0') {
		n = strcspn(in, ";");
		if (n > 0 && n < sizeof(w)) {
			memcpy(w, in, n);
			w[n] = '\0';
			for (i = 0; i < sizeof(categories) /
			    sizeof(categories[0]); i++)
				if (strcmp(w, categories[i]) == 0)
					break;
			if ((i < sizeof(categories) / sizeof(categories[0]) ||
			    (strncmp(w, "X-", 2) == 0 && strchr(w, ' ') ==
			    NULL)) && !has_word(out, w) && o + n + 2 < len) {
				memcpy(out + o, w, n);
				o += n;
				out[o++] = ';';
				out[o] = '\0';
			}
		}
		in += n + (in[n] == ';');
	}
}

static int
value(struct dparse *d, int k, const char *v, size_t len)
{
	struct desktop_app	*a = d->app;
	char			 buf[1024];
	int			 b = 0;

	if (unescape(d, keys[k], v, len, buf, sizeof(buf)) == -1)
		return -1;
	switch (k) {
	case K_TYPE:
		d->isapp = strcmp(buf, "Application") == 0;
		break;
	case K_TERM:
		return boolean(d, keys[k], buf, &a->terminal);
	case K_NODISP:
	case K_HIDDEN:
		if (boolean(d, keys[k], buf, &b) == -1)
			return -1;
		d->hidden |= b;
		break;
	case K_CATS:
		keep_categories(buf, a->categories, sizeof(a->categories));
		break;
	case K_EXEC:
		snprintf(a->exec, sizeof(a->exec), "%s", buf);
		break;
	default:				/* Name, Icon */
		if (strlen(buf) >= sizeof(a->name))
			return bad(d, "%s is too long", keys[k]);
		snprintf(k == K_NAME ? a->name : a->icon, sizeof(a->name),
		    "%s", buf);
	}
	return 0;
}

/* "[Group]": ours is the first, and must be [Desktop Entry]. */
static int
group(struct dparse *d, const char *l, size_t len)
{
	if (len < 2 || l[len - 1] != ']' || memchr(l + 1, '[', len - 2) ||
	    memchr(l + 1, ']', len - 2))
		return bad(d, "bad group header");
	if (d->group == 0) {
		if (len != 15 || memcmp(l, "[Desktop Entry]", 15) != 0)
			return bad(d, "the first group is not [Desktop Entry]");
		d->group = 1;
	} else
		d->group = 2;
	return 0;
}

/* "Key[locale] = value" */
static int
keyline(struct dparse *d, const char *l, size_t len)
{
	const char	*eq = memchr(l, '=', len), *v;
	size_t		 klen, i;
	int		 k;

	if (eq == NULL)
		return bad(d, "not a key, a group or a comment");
	if (d->group == 0)
		return bad(d, "a key before [Desktop Entry]");
	for (klen = (size_t)(eq - l); klen > 0 && l[klen - 1] == ' '; klen--)
		;
	for (i = 0; i < klen && ((l[i] >= 'A' && l[i] <= 'Z') ||
	    (l[i] >= 'a' && l[i] <= 'z') || (l[i] >= '0' && l[i] <= '9') ||
	    l[i] == '-'); i++)
		;
	if (i == 0)
		return bad(d, "a line without a key");
	if (i < klen && (l[i] != '[' || klen - i < 3 ||
	    l[klen - 1] != ']' || memchr(l + i + 1, '[', klen - i - 2) ||
	    memchr(l + i + 1, ']', klen - i - 2)))
		return bad(d, "bad key \"%.*s\"", (int)klen, l);
	if (d->group != 1 || i < klen)
		return 0;			/* localized, or not ours */
	for (k = 0; k < (int)(sizeof(keys) / sizeof(keys[0])); k++)
		if (strlen(keys[k]) == klen &&
		    memcmp(l, keys[k], klen) == 0)
			break;
	if (k == (int)(sizeof(keys) / sizeof(keys[0])))
		return 0;
	if (d->seen & (1 << k))
		return bad(d, "%s twice", keys[k]);
	d->seen |= 1 << k;
	for (v = eq + 1; v < l + len && *v == ' '; v++)
		;
	return value(d, k, v, (size_t)(l + len - v));
}

int
desktop_parse(const char *buf, size_t len, struct desktop_app *app,
    char *err, size_t errlen)
{
	struct dparse	 d;
	const char	*p = buf, *end = buf + len, *nl;
	size_t		 l;
	char		 id[sizeof(app->id)], store[1024], *argv[DESKTOP_ARGS];

	memcpy(id, app->id, sizeof(id));
	memset(app, 0, sizeof(*app));
	memcpy(app->id, id, sizeof(id));
	memset(&d, 0, sizeof(d));
	d.app = app;
	d.err = err;
	d.errlen = errlen;
	if (len > DESKTOP_MAX)
		return bad(&d, "the file is larger than %d bytes",
		    DESKTOP_MAX);
	if (memchr(buf, '\0', len) != NULL)
		return bad(&d, "a NUL byte");
	for (; p < end; p = nl + 1) {
		d.line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		l = (size_t)(nl - p);
		if (l > 0 && p[l - 1] == '\r')
			l--;
		if (l == 0 || p[0] == '#')
			continue;
		if ((p[0] == '[' ? group(&d, p, l) : keyline(&d, p, l)) == -1)
			return -1;
	}
	d.line = 0;
	if (d.group == 0)
		return snprintf(err, errlen, "no [Desktop Entry] group"), -1;
	if (!(d.seen & (1 << K_TYPE)) || !(d.seen & (1 << K_NAME)))
		return snprintf(err, errlen, "no %s", d.seen & (1 << K_TYPE) ?
		    "Name" : "Type"), -1;
	if (!d.isapp)
		return snprintf(err, errlen, "not an application"), 0;
	if (d.hidden)
		return snprintf(err, errlen, "NoDisplay or Hidden"), 0;
	if (app->exec[0] == '\0')
		return snprintf(err, errlen, "no Exec"), 0;
	/* the words a launcher would run, or a bad Exec */
	return desktop_exec_split(app->exec, store, sizeof(store), argv,
	    DESKTOP_ARGS, err, errlen) == -1 ? -1 : 1;
}
