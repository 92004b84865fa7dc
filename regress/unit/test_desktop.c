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
 * Menu entries without files: the .desktop parser (applications and
 * what is not one, bad files with their line), Exec's words and field
 * codes, the host's Exec (its words as a desktop launcher splits them,
 * the program's words as the VM's shell reads them), the manifest's
 * app lines, and sh_quote and sh_as_user (every word kubsd-vm hands a
 * remote shell), read back by sh(1) itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "menu.h"
#include "vm.h"
#include "check.h"

static int
parse(const char *text, struct desktop_app *a, char *err, size_t len)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->id, sizeof(a->id), "t");
	err[0] = '\0';
	return desktop_parse(text, strlen(text), a, err, len);
}

static void
test_parse(void)
{
	static const struct {
		const char	*text;
		int		 want;
		const char	*err;
	} bad[] = {
		{ "[Desktop Entry]\nType=Application\nName=A\nName=B\n"
		  "Exec=a\n", -1, "line 4: Name twice" },
		{ "Name=A\n[Desktop Entry]\n", -1,
		  "line 1: a key before [Desktop Entry]" },
		{ "# c\n[Desktop Action x]\nName=A\n", -1,
		  "line 2: the first group is not [Desktop Entry]" },
		{ "[Desktop Entry]\nType=Application\nName=A\\nB\nExec=a\n",
		  -1, "line 3: Name has a control character or bad UTF-8" },
		{ "[Desktop Entry]\nType=Application\nName=\xc3\x28\nExec=a\n",
		  -1, "line 3: Name has a control character or bad UTF-8" },
		{ "[Desktop Entry]\nType=Application\nName=A\nExec=a\n"
		  "Terminal=yes\n", -1,
		  "line 5: Terminal is \"yes\", not true or false" },
		{ "[Desktop Entry]\nType=Application\nName=A\nno key here\n",
		  -1, "line 4: not a key, a group or a comment" },
		{ "[Desktop Entry]\nType=Application\nName[de=A\n", -1,
		  "line 3: bad key \"Name[de\"" },
		{ "[Desktop Entry]\nType=Application\nExec=a\n", -1,
		  "no Name" },
		{ "[Desktop Entry]\nType=Link\nName=A\nURL=x\n", 0,
		  "not an application" },
		{ "[Desktop Entry]\nType=Application\nName=A\nExec=a\n"
		  "NoDisplay=true\n", 0, "NoDisplay or Hidden" },
		{ "[Desktop Entry]\nType=Application\nName=A\nHidden=true\n"
		  "Exec=a\n", 0, "NoDisplay or Hidden" },
		{ "[Desktop Entry]\nType=Application\nName=A\n"
		  "[Desktop Action n]\nExec=a\n", 0, "no Exec" },
	};
	struct desktop_app	 a;
	char			 err[256];
	size_t			 i;
	int			 rv;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rv = parse(bad[i].text, &a, err, sizeof(err));
		CHECK(rv == bad[i].want && strcmp(err, bad[i].err) == 0,
		    "case %zu: %d \"%s\", want %d \"%s\"", i, rv, err,
		    bad[i].want, bad[i].err);
	}
	rv = parse("# x\n\n[Desktop Entry]\r\nName[de]=Feuerfuchs\n"
	    "Name = Fire\\sfox\nType=Application\nExec=firefox %u\n"
	    "Icon=firefox\nCategories=AudioVideo;Network;WebBrowser;Foo;X-Bar;"
	    "Network;Audio;Video\n"
	    "Terminal=true\nNoDisplay=false\n[Desktop Action w]\n"
	    "Name=Other\nExec=other\n", &a, err, sizeof(err));
	CHECK(rv == 1, "a good file: %d %s", rv, err);
	CHECK(strcmp(a.name, "Fire fox") == 0 && strcmp(a.exec,
	    "firefox %u") == 0 && strcmp(a.icon, "firefox") == 0 &&
	    a.terminal && strcmp(a.id, "t") == 0,
	    "a good file's values: \"%s\" \"%s\" \"%s\" %d", a.name, a.exec,
	    a.icon, a.terminal);
	CHECK(strcmp(a.categories, "AudioVideo;Network;WebBrowser;X-Bar;"
	    "Audio;Video;") == 0,
	    "categories \"%s\"", a.categories);
}

static void
test_split(void)
{
	static const struct {
		const char	*exec;
		const char	*want;		/* words joined by "|" */
	} cases[] = {
		{ "firefox-esr %u", "firefox-esr" },
		{ "foo --file=%f  bar %F", "foo|bar" },
		{ "a %% 100%%", "a|%|100%" },
		{ "sh -c \"echo \\\"a b\\\" \\$x \\`y\\` \\\\\"",
		  "sh|-c|echo \"a b\" $x `y` \\" },
		{ "\"/opt/my app/run\" \"\"", "/opt/my app/run|" },
		{ "%z", NULL }, { "a \"b", NULL }, { "a\"b\"", NULL },
		{ "\"a\"b", NULL }, { "%f %U", NULL }, { "\"a\\q\"", NULL },
	};
	char	 store[1024], *argv[DESKTOP_ARGS], got[1024], err[256];
	size_t	 i;
	int	 n, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = desktop_exec_split(cases[i].exec, store, sizeof(store),
		    argv, DESKTOP_ARGS, err, sizeof(err));
		got[0] = '\0';
		for (k = 0; k < n; k++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got),
			    "%s%s", k > 0 ? "|" : "", argv[k]);
		if (cases[i].want == NULL)
			CHECK(n == -1, "\"%s\": %d words, want an error",
			    cases[i].exec, n);
		else
			CHECK(n > 0 && strcmp(got, cases[i].want) == 0,
			    "\"%s\": \"%s\" (%s), want \"%s\"", cases[i].exec,
			    got, n == -1 ? err : "ok", cases[i].want);
	}
}

/* The file's escapes undone (\\ -> \), as a launcher reads the value. */
static void
unescape(char *s)
{
	char	*o = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] == '\\')
			s++;
		*o++ = *s;
	}
	*o = '\0';
}

/* The host's Exec: split as a launcher would, then the VM's words as
 * its shell reads them. */
static void
test_host(void)
{
	char	*pre[] = { "/usr/local/sbin/kubsd-vm", "-f", "/etc/my conf",
		    "run", "-X", "work" };
	char	*guest[] = { "sh", "-c", "echo \"$1\" '%u' `x` \\", "a b" };
	char	 exec[2048], store[2048], *argv[DESKTOP_ARGS], err[256];
	char	 cmd[4096], out[512];
	FILE	*fp;
	size_t	 i, len;
	int	 n;

	CHECK(desktop_exec_host(exec, sizeof(exec), pre, 6, guest, 4) == 0,
	    "host exec");
	CHECK(strcmp(exec, "/usr/local/sbin/kubsd-vm -f \"/etc/my conf\" run "
	    "-X work sh -c \"'echo \\\\\"\\\\$1\\\\\" '\\\\\\\\''%%u'\\\\\\\\'' "
	    "\\\\`x\\\\` \\\\\\\\'\" \"'a b'\"") == 0, "host exec: %s", exec);
	unescape(exec);
	n = desktop_exec_split(exec, store, sizeof(store), argv,
	    DESKTOP_ARGS, err, sizeof(err));
	CHECK(n == 10, "host exec: %d words (%s)", n, n == -1 ? err : "");
	for (i = 0; n == 10 && i < 6; i++)
		CHECK(strcmp(argv[i], pre[i]) == 0, "word %zu: %s", i,
		    argv[i]);
	if (n != 10)
		return;
	/* kubsd-vm run joins them; the VM's shell reads them back */
	snprintf(cmd, sizeof(cmd), "set -- %s %s %s %s; printf '[%%s]' "
	    "\"$@\"", argv[6], argv[7], argv[8], argv[9]);
	if ((fp = popen(cmd, "r")) == NULL)
		return;
	len = fread(out, 1, sizeof(out) - 1, fp);
	out[len] = '\0';
	pclose(fp);
	CHECK(strcmp(out, "[sh][-c][echo \"$1\" '%u' `x` \\][a b]") == 0,
	    "the VM's shell reads %s", out);
}

static void
test_line(void)
{
	struct desktop_app	 a, b;
	char			 buf[4096], *nl;
	FILE			*fp;
	static const char *const bad[] = {
		"app\tx\tfalse\t-\t-\tX\tx\textra",
		"app\tx\tfalse\t-\t-\tX",
		"app\t../x\tfalse\t-\t-\tX\tx",
		"app\tx\tmaybe\t-\t-\tX\tx",
		"app\tx\tfalse\t../x.png\t-\tX\tx",
		"app\tx\tfalse\tx.exe\t-\tX\tx",
		"app\tx\tfalse\t-\t-\t\tx",
		"package\tx\tfalse\t-\t-\tX\tx",
	};
	size_t			 i;

	memset(&a, 0, sizeof(a));
	snprintf(a.id, sizeof(a.id), "org.example.App");
	snprintf(a.name, sizeof(a.name), "Äpp \"1\"");
	snprintf(a.exec, sizeof(a.exec), "app --x=\"a b\" %%U");
	snprintf(a.icon, sizeof(a.icon), "org.example.App.svg");
	a.terminal = 1;
	if ((fp = fmemopen(buf, sizeof(buf), "w")) == NULL)
		return;
	CHECK(desktop_line_write(fp, &a) == 0, "line write");
	fclose(fp);
	CHECK(strcmp(buf, "app\torg.example.App\ttrue\torg.example.App.svg"
	    "\t-\tÄpp \"1\"\tapp --x=\"a b\" %U\n") == 0, "line: %s", buf);
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	CHECK(desktop_line_parse(buf, &b) == 0 && memcmp(&a, &b,
	    sizeof(a)) == 0, "line round trip");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", bad[i]);
		CHECK(desktop_line_parse(buf, &b) == -1, "bad line %zu taken",
		    i);
	}
	snprintf(a.name, sizeof(a.name), "tab\there");
	if ((fp = fmemopen(buf, sizeof(buf), "w")) == NULL)
		return;
	CHECK(desktop_line_write(fp, &a) == -1, "a tab written");
	fclose(fp);
}

/* What sh(1) makes of a quoted word: printf'd back. */
static int
sh_reads(const char *quoted, char *out, size_t len)
{
	char	 cmd[1024];
	FILE	*fp;
	size_t	 n;

	snprintf(cmd, sizeof(cmd), "printf %%s %s", quoted);
	if ((fp = popen(cmd, "r")) == NULL)
		return -1;
	n = fread(out, 1, len - 1, fp);
	out[n] = '\0';
	return pclose(fp) == 0 ? 0 : -1;
}

static void
test_shquote(void)
{
	const char	*words[] = { "", "a b", "it's", "'''", "$(id) `id` $HOME",
	    "\\ \" ; & | > < * ? ~ # !", "-n", "line\nbreak" };
	char		 q[256], back[256];
	size_t		 i;
	int		 n;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		n = sh_quote(q, sizeof(q), words[i]);
		CHECK(n == (int)strlen(q) && n >= 2, "\"%s\": %d", words[i], n);
		CHECK(sh_reads(q, back, sizeof(back)) == 0 &&
		    strcmp(back, words[i]) == 0, "\"%s\" read back as \"%s\"",
		    words[i], back);
	}
	/* 'ab' and its NUL: 5 bytes fit, 4 do not and leave nothing */
	CHECK(sh_quote(q, 5, "ab") == 4, "exact fit");
	CHECK(sh_quote(q, 4, "ab") == -1 && q[0] == '\0', "one short");
	CHECK(sh_quote(q, 7, "'") == 6, "a quote's exact fit");
	CHECK(sh_quote(q, 6, "'") == -1 && q[0] == '\0', "a quote cut");
	CHECK(sh_quote(q, 0, "") == -1, "no room");
	/* a script as the VM's user: as it is, or su's word for it */
	CHECK(sh_as_user(q, sizeof(q), "user", 1, "id -u; echo 'x'") == 0 &&
	    strcmp(q, "id -u; echo 'x'") == 0, "direct: %s", q);
	n = (int)strlen("cd / && exec su user -c ");
	CHECK(sh_as_user(q, sizeof(q), "user", 0, "echo 'x' $HOME") == 0 &&
	    strncmp(q, "cd / && exec su user -c ", (size_t)n) == 0 &&
	    sh_reads(q + n, back, sizeof(back)) == 0 &&
	    strcmp(back, "echo 'x' $HOME") == 0, "through su: %s", q);
	CHECK(sh_as_user(q, (size_t)n + 3, "user", 0, "ab") == -1 &&
	    q[0] == '\0', "su's line cut");
	CHECK(sh_as_user(q, 3, "user", 1, "abc") == -1 && q[0] == '\0',
	    "direct line cut");
}

int
main(void)
{
	test_parse();
	test_split();
	test_host();
	test_line();
	test_shquote();
	if (failures == 0)
		printf("test_desktop: ok\n");
	return failures > 0;
}
