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
 * netd.conf(5): a hand-written lexer (macros, includes, line
 * continuation) and a byacc grammar that fills a struct netd_config.
 *
 * Only what can be checked one object at a time is checked here;
 * names are resolved across objects by graph_build().
 */

%{
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubsd.h"

#define MAXINCLUDE	16		/* nesting depth of include files */
#define MAXWORD		8192		/* longest string or word */
#define MAXERRORS	100		/* then stop reading */
#define MAXBADCHARS	3		/* invalid characters, then stop */
#define START_EXPAND	0x100		/* pushback markers around a macro */
#define DONE_EXPAND	0x101

struct file {
	struct file	*parent;
	FILE		*stream;
	const char	*name;		/* owned by conf->files */
	int		 lineno;
	dev_t		 dev;
	ino_t		 ino;
	int		*ub;		/* pushback stack */
	size_t		 ulen;
	size_t		 usize;
	int		 expanding;	/* inside a macro's value */
	int		 eof;		/* the final '\n' was returned */
	int		 pending_nl;	/* return a '\n' first */
	int		 depth;
};

struct sym {
	struct sym	*next;
	char		*name;
	char		*val;
	int		 persist;	/* from the command line */
};

/* Options that may be given once per block; the value is the line. */
enum {
	O_INTERFACE, O_NAT, O_NETWORK, O_MTU,
	O_ROLE, O_DRIVER, O_TEMPLATE, O_MEMORY, O_TRANSPORT, O_DNSPORT,
	O_VIRTUAL, O_WIREGUARD, O_CHAIN, O_FIREWALL,
	O_RESOLVER, O_TORRC, O_PRIVATE, O_SEALED, O_RESTART, O_AUTOSTART,
	O_EXCLUDE, O_AUDIO, O_X11,
	O_NODEMAX
};
enum { O_KEYFILE, O_LISTEN, O_ADDRESS, O_WGDNS, O_WGMAX };
enum { O_PUBKEY, O_PSK, O_ENDPOINT, O_ALLOWED, O_KEEPALIVE, O_PEERMAX };
enum { O_IPV6, O_DNS, O_CHAINMAX };
enum { O_POOL, O_POOL6, O_STATEDIR, O_GLOBMAX };
enum { O_RECIPE, O_PACKAGES, O_SUITE, O_MIRROR, O_TMPLMAX };

typedef struct {
	union {
		long long	 number;
		char		*string;
	} v;
	int		 lineno;
} YYSTYPE;
#define YYSTYPE_IS_DECLARED 1
#define YYDESTRUCT_DECL() \
	yydestruct(const char *msg __attribute__((__unused__)), int psymb, \
	    YYSTYPE *val)

int		 yylex(void);
void		 yyerror(const char *);

static void	 yyerror_at(int, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 lexerror(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static void	 unknown_keyword(const char *, int);
static int	 lex_badchar(int);

static struct netd_config *conf;
static struct file	*file;
static struct sym	*syms;
static int		 errors;
static int		 tok_line;
static char		 tok_text[32];	/* the last word, for syntax errors */
static int		 lex_error;	/* ERROR returned, already reported */
static int		 lex_bare;	/* the STRING was an unquoted word */
static char		 stmt_word[32];	/* the token before: an unquoted */
static int		 stmt_line;	/* word starting a statement, or "" */
static int		 nbadchars;	/* invalid characters in this file */
static int		 last, cur_start, cur_line;	/* yylex's */
static char		 cur_word[32];

static struct node	*cur_node;
static struct chain	*cur_chain;
static struct wg_peer	*cur_peer;
static struct fw_rule	*cur_rule;
static struct fw_host	*cur_host;
static struct kaddr_list *cur_addrs;
static struct kport_list *cur_ports;
static int		 rule_ports;	/* a port was given in this rule */
static int		 rule_icmp;	/* an icmp-type was given */

static int		 globopt[O_GLOBMAX];
static int		 nodeopt[O_NODEMAX];
static int		 wgopt[O_WGMAX];
static int		 peeropt[O_PEERMAX];
static int		 chainopt[O_CHAINMAX];
static struct template	*cur_tmpl;
static int		 tmplopt[O_TMPLMAX];

static struct file	*pushfile(const char *, int);
static void		 popfile(void);
static void		 include_file(char *, int);
static int		 symset(const char *, const char *, int);
static const char	*symget(const char *);
static char		*symexpand(const char *, const char *, int);
static void		 symclear(void);

static int		 opt_once(int *, int, const char *, int);
static int		 check_name(const char *, const char *, int);
static void		 new_node(enum node_kind, char *, int, int);
static void		 end_node(void);
static void		 qemu_only(const struct node *);
static void		 new_chain(char *, int);
static void		 end_chain(void);
static void		 add_hop(char *, int);
static void		 start_wg(int);
static void		 end_wg(void);
static void		 new_peer(char *, int);
static void		 end_peer(void);
static void		 new_rule(enum fw_action, int);
static void		 end_rule(void);
static int		 yesno(const char *, int);
static int		 get_net(const char *, struct kaddr *, int, int);
static long long	 get_port(long long, int);
static void		 set_mtu(long long, int, int);
static void		 set_memory(const char *, long long, int);
static int		 get_size(const char *, const char *, long long, int,
			    unsigned long long *);
static void		 set_private(char *, long long, char *, int, int);
static void		 set_restart(char *, int);
static void		 add_cred(char *, char *, int, int);
static void		 add_share(char *, char *, int, int, int);
static void		 set_audio(char *, int);
static void		 set_x11(char *, int);
static void		 add_addr(char *, int);
static void		 host_addr(char *, int, int);
static void		 add_port(const char *, long long, int);
static long long	 service_port(const char *);
static void		 add_proto(char *, int);
static void		 set_endpoint(char *, long long, int);
static void		 set_pubkey(char *, int);
static int		 check_path(const char *, const char *, int);
static void		 set_pool(char *, long long, int, int);
static void		 set_pool6(char *, int);
static int		 get_host(const char *, const char *, struct kaddr *,
			    int);
static void		 set_tunnel_address(char *, int);
static void		 new_template(char *, int);
static void		 end_template(void);
static void		 set_recipe(char *, int);
static void		 add_package(char *, int);
static void		 set_tmpl_word(char **, int, const char *, char *, int);
%}

%token	ALLOWED BLOCK CHAIN DISPOSABLE DNS DRIVER ENDPOINT EXCLUDE KFILE FIREWALL
%token	FROM GATEWAY ICMPTYPE IN INCLUDE INET INET6 INTERFACE IPS IPV6
%token	KEEPALIVE KEY LISTEN MEMORY MTU NAT NETWORK OUT PASS PEER PERSISTENT
%token	POOL POOL6 PORT PREFIXLEN PRESHARED PRIVATE PROTO PUBLIC ROLE
%token	STATEDIR TEMPLATE TO TRANSPORT UPLINK VIRTUAL VM WIREGUARD
%token	ADDRESS RESOLVER TORRC
%token	AUTOSTART CREDENTIAL MOUNT RESTART SEALED
%token	AT AUDIO SHARE X11
%token	MIRROR PACKAGES RECIPE SUITE
%token	ERROR
%token	<v.string>	STRING
%token	<v.number>	NUMBER
%type	<v.string>	string
%type	<v.number>	prefixlen
%type	<v.string>	optmount
%type	<v.number>	optrw

%destructor { free($$); } <v.string>

%%

grammar		: /* empty */
		| grammar '\n'
		| grammar include '\n'
		| grammar varset '\n'
		| grammar main '\n'
		| grammar error '\n'
		;

include		: INCLUDE STRING	{ include_file($2, $<lineno>1); }
		;

string		: STRING
		| NUMBER		{
			char	 buf[32];

			snprintf(buf, sizeof(buf), "%lld", $1);
			$$ = xstrdup(buf);
		}
		;

varset		: STRING '=' string	{
			char	*v = symexpand($1, $3, $<lineno>1);

			if (v != NULL)
				symset($1, v, $<lineno>1);
			free(v);
			free($1);
			free($3);
		}
		;

prefixlen	: /* empty */		{ $$ = -1; }
		| PREFIXLEN NUMBER	{ $$ = $2; }
		;

main		: POOL STRING prefixlen	{
			if (opt_once(globopt, O_POOL, "pool", $<lineno>1))
				set_pool($2, $3, $<lineno>1, $<lineno>3);
			free($2);
		}
		| POOL6 STRING		{
			if (opt_once(globopt, O_POOL6, "pool6", $<lineno>1))
				set_pool6($2, $<lineno>1);
			free($2);
		}
		| STATEDIR STRING	{
			if (opt_once(globopt, O_STATEDIR, "statedir",
			    $<lineno>1) &&
			    check_path("statedir", $2, $<lineno>1)) {
				free(conf->statedir);
				conf->statedir = $2;
			} else
				free($2);
		}
		| UPLINK uplinkname optnl uplinkblock		{ end_node(); }
		| GATEWAY gatewayname optnl gatewayblock	{ end_node(); }
		| CHAIN chainname optnl chainblock		{ end_chain(); }
		| VM vmname optnl vmblock			{ end_node(); }
		| DISPOSABLE dispname optnl vmblock		{ end_node(); }
		| TEMPLATE tmplname optnl tmplblock		{ end_template(); }
		;

optnl		: /* empty */
		| optnl '\n'
		;

sep		: '\n'
		| ';'
		;

optsep		: /* empty */
		| optsep sep
		;

seps		: sep
		| seps sep
		;

/* separators inside a { list }: blanks, commas, newlines */
listsep		: /* empty */
		| listsep ','
		| listsep '\n'
		;

uplinkname	: STRING	{ new_node(NODE_UPLINK, $1, $<lineno>1, 0); }
		;
gatewayname	: STRING	{ new_node(NODE_GATEWAY, $1, $<lineno>1, 0); }
		;
vmname		: STRING	{ new_node(NODE_VM, $1, $<lineno>1, 0); }
		;
dispname	: STRING	{ new_node(NODE_VM, $1, $<lineno>1, 1); }
		;
chainname	: STRING	{ new_chain($1, $<lineno>1); }
		;
tmplname	: STRING	{ new_template($1, $<lineno>1); }
		;

tmplblock	: '{' optsep '}'
		| '{' optsep tmplitems '}'
		| '{' optsep tmplitems seps '}'
		;

tmplitems	: tmplitem
		| tmplitems seps tmplitem
		;

tmplitem	: RECIPE STRING		{ set_recipe($2, $<lineno>1); }
		| PACKAGES		{
			opt_once(tmplopt, O_PACKAGES, "packages", $<lineno>1);
		    } optnl '{' optnl pkgs '}'
		| SUITE STRING		{
			set_tmpl_word(&cur_tmpl->suite, O_SUITE, "suite", $2,
			    $<lineno>1);
		}
		| MIRROR STRING		{
			set_tmpl_word(&cur_tmpl->mirror, O_MIRROR, "mirror",
			    $2, $<lineno>1);
		}
		| error
		;

pkgs		: /* empty */
		| pkglist
		;

pkglist		: STRING listsep		{ add_package($1, $<lineno>1); }
		| pkglist STRING listsep	{ add_package($2, $<lineno>2); }
		;

uplinkblock	: '{' optsep '}'
		| '{' optsep uplinkitems '}'
		| '{' optsep uplinkitems seps '}'
		;

uplinkitems	: uplinkitem
		| uplinkitems seps uplinkitem
		;

uplinkitem	: INTERFACE STRING	{
			size_t	 len = strlen($2);

			if (!opt_once(nodeopt, O_INTERFACE, "interface",
			    $<lineno>1))
				free($2);
			else if (len == 0 || len >= KUBSD_IFNAMSIZ) {
				yyerror_at($<lineno>1, "invalid interface name "
				    "\"%s\": must be 1..%d characters", $2,
				    KUBSD_IFNAMSIZ - 1);
				free($2);
			} else if (strcspn($2, "/ \t:\"\\") != len) {
				yyerror_at($<lineno>1,
				    "invalid interface name \"%s\"", $2);
				free($2);
			} else
				cur_node->ifname = $2;
		}
		| NAT STRING		{
			int	 v = yesno($2, $<lineno>2);

			if (opt_once(nodeopt, O_NAT, "nat", $<lineno>1) &&
			    v != -1)
				cur_node->nat = v;
			free($2);
		}
		| NETWORK STRING	{
			if (opt_once(nodeopt, O_NETWORK, "network",
			    $<lineno>1))
				get_net($2, &cur_node->uplink_net, 0,
				    $<lineno>1);
			free($2);
		}
		| mtu
		| RESOLVER STRING	{
			if (opt_once(nodeopt, O_RESOLVER, "resolver",
			    $<lineno>1))
				get_host("resolver", $2, &cur_node->resolver,
				    $<lineno>2);
			free($2);
		}
		| EXCLUDE		{
			opt_once(nodeopt, O_EXCLUDE, "exclude", $<lineno>1);
			cur_addrs = &cur_node->exclude;
		    } addrs
		| error
		;

gatewayblock	: '{' optsep '}'
		| '{' optsep gwitems '}'
		| '{' optsep gwitems seps '}'
		;

gwitems		: gwitem
		| gwitems seps gwitem
		;

gwitem		: ROLE STRING		{
			enum role	 r = ROLE_NONE;

			if (strcmp($2, "tor") == 0)
				r = ROLE_TOR;
			else if (strcmp($2, "sys-net") == 0)
				r = ROLE_SYSNET;
			else
				yyerror_at($<lineno>2, "invalid role \"%s\" "
				    "(tor, wireguard or sys-net)", $2);
			if (opt_once(nodeopt, O_ROLE, "role", $<lineno>1))
				cur_node->role = r;
			free($2);
		}
		| ROLE WIREGUARD	{
			if (opt_once(nodeopt, O_ROLE, "role", $<lineno>1))
				cur_node->role = ROLE_WIREGUARD;
		}
		| driver
		| template
		| memory
		| TRANSPORT PORT NUMBER	{
			long long p = get_port($3, $<lineno>3);

			if (opt_once(nodeopt, O_TRANSPORT, "transport port",
			    $<lineno>1) && p != -1)
				cur_node->tor_transport = (uint16_t)p;
		}
		| DNS PORT NUMBER	{
			long long p = get_port($3, $<lineno>3);

			if (opt_once(nodeopt, O_DNSPORT, "dns port",
			    $<lineno>1) && p != -1)
				cur_node->tor_dnsport = (uint16_t)p;
		}
		| VIRTUAL NETWORK STRING	{
			struct kaddr	 ka;

			if (opt_once(nodeopt, O_VIRTUAL, "virtual network",
			    $<lineno>1) &&
			    get_net($3, &ka, AF_INET, $<lineno>1) == 0)
				cur_node->tor_virtnet = ka;
			free($3);
		}
		| WIREGUARD		{ start_wg($<lineno>1); }
		    optnl wgblock	{ end_wg(); }
		| mtu
		| TORRC INCLUDE STRING	{
			if (opt_once(nodeopt, O_TORRC, "torrc include",
			    $<lineno>1) &&
			    check_path("torrc include", $3, $<lineno>3))
				cur_node->torrc_include = $3;
			else
				free($3);
		}
		| error
		;

driver		: DRIVER STRING		{
			enum driver	 d = DRIVER_QEMU;

			if (strcmp($2, "qemu") == 0)
				d = DRIVER_QEMU;
			else if (strcmp($2, "netns") == 0)
				d = DRIVER_NETNS;
			else
				yyerror_at($<lineno>2, "invalid driver \"%s\" "
				    "(qemu or netns)", $2);
			if (opt_once(nodeopt, O_DRIVER, "driver", $<lineno>1))
				cur_node->driver = d;
			free($2);
		}
		;

template	: TEMPLATE STRING	{
			if (opt_once(nodeopt, O_TEMPLATE, "template",
			    $<lineno>1) &&
			    check_name("template", $2, $<lineno>2) == 0)
				cur_node->template = $2,
				cur_node->template_lineno = $<lineno>1;
			else
				free($2);
		}
		;

mtu		: MTU NUMBER		{ set_mtu($2, $<lineno>1, $<lineno>2); }
		;

memory		: MEMORY NUMBER		{
			if (opt_once(nodeopt, O_MEMORY, "memory", $<lineno>1))
				set_memory(NULL, $2, $<lineno>2);
		}
		| MEMORY STRING		{
			if (opt_once(nodeopt, O_MEMORY, "memory", $<lineno>1))
				set_memory($2, 0, $<lineno>2);
			free($2);
		}
		;

wgblock		: '{' optsep '}'
		| '{' optsep wgitems '}'
		| '{' optsep wgitems seps '}'
		;

wgitems		: wgitem
		| wgitems seps wgitem
		;

wgitem		: PRIVATE KEY KFILE STRING	{
			if (opt_once(wgopt, O_KEYFILE, "private key file",
			    $<lineno>1) &&
			    check_path("private key file", $4, $<lineno>4))
				cur_node->wg->key_file = $4;
			else
				free($4);
		}
		| LISTEN PORT NUMBER	{
			long long p = get_port($3, $<lineno>3);

			if (opt_once(wgopt, O_LISTEN, "listen port",
			    $<lineno>1) && p != -1)
				cur_node->wg->listen_port = (uint16_t)p;
		}
		| ADDRESS STRING	{
			if (opt_once(wgopt, O_ADDRESS, "address", $<lineno>1))
				set_tunnel_address($2, $<lineno>2);
			free($2);
		}
		| DNS STRING		{
			if (opt_once(wgopt, O_WGDNS, "dns", $<lineno>1))
				get_host("dns", $2, &cur_node->wg->dns,
				    $<lineno>2);
			free($2);
		}
		| PEER peername optnl peerblock	{ end_peer(); }
		| error
		;

peername	: STRING	{ new_peer($1, $<lineno>1); }
		;

peerblock	: '{' optsep '}'
		| '{' optsep peeritems '}'
		| '{' optsep peeritems seps '}'
		;

peeritems	: peeritem
		| peeritems seps peeritem
		;

peeritem	: PUBLIC KEY STRING	{
			if (opt_once(peeropt, O_PUBKEY, "public key",
			    $<lineno>1))
				set_pubkey($3, $<lineno>3);
			else
				free($3);
		}
		| PRESHARED KEY KFILE STRING	{
			if (opt_once(peeropt, O_PSK, "preshared key file",
			    $<lineno>1) &&
			    check_path("preshared key file", $4, $<lineno>4))
				cur_peer->psk_file = $4;
			else
				free($4);
		}
		| ENDPOINT STRING PORT NUMBER	{
			if (opt_once(peeropt, O_ENDPOINT, "endpoint",
			    $<lineno>1))
				set_endpoint($2, $4, $<lineno>2);
			else
				free($2);
		}
		| ALLOWED IPS		{
			opt_once(peeropt, O_ALLOWED, "allowed ips",
			    $<lineno>1);
			cur_addrs = &cur_peer->allowed_ips;
		    } addrs
		| PERSISTENT KEEPALIVE NUMBER	{
			if (!opt_once(peeropt, O_KEEPALIVE,
			    "persistent keepalive", $<lineno>1))
				;
			else if ($3 < 0 || $3 > 65535)
				yyerror_at($<lineno>3, "persistent keepalive "
				    "%lld out of range (0..65535)", $3);
			else
				cur_peer->keepalive = (int)$3;
		}
		| error
		;

/* one address, a { list }, or a, b, c as wg-quick writes them */
addrs		: commaaddrs
		| '{' optnl addrlist '}'
		;

commaaddrs	: STRING		{ add_addr($1, $<lineno>1); }
		| commaaddrs ',' STRING	{ add_addr($3, $<lineno>3); }
		;

addrlist	: STRING listsep		{ add_addr($1, $<lineno>1); }
		| addrlist STRING listsep	{ add_addr($2, $<lineno>2); }
		;

chainblock	: '{' optsep '}'
		| '{' optsep chainitems '}'
		| '{' optsep chainitems seps '}'
		;

chainitems	: chainitem
		| chainitems seps chainitem
		;

chainitem	: hops
		| IPV6 STRING		{
			int	 v = yesno($2, $<lineno>2);

			if (opt_once(chainopt, O_IPV6, "ipv6", $<lineno>1) &&
			    v != -1) {
				cur_chain->ipv6 = v;
				cur_chain->ipv6_lineno = $<lineno>1;
			}
			free($2);
		}
		| DNS STRING		{
			enum dnspolicy	 d = DNS_FIRSTHOP;

			if (strcmp($2, "first-hop") == 0)
				d = DNS_FIRSTHOP;
			else if (strcmp($2, "none") == 0)
				d = DNS_NONE;
			else
				yyerror_at($<lineno>2, "invalid dns policy "
				    "\"%s\" (first-hop or none)", $2);
			if (opt_once(chainopt, O_DNS, "dns", $<lineno>1))
				cur_chain->dns = d;
			free($2);
		}
		| error
		;

hops		: STRING		{ add_hop($1, $<lineno>1); }
		| hops STRING		{ add_hop($2, $<lineno>2); }
		;

vmblock		: '{' optsep '}'
		| '{' optsep vmitems '}'
		| '{' optsep vmitems seps '}'
		;

vmitems		: vmitem
		| vmitems seps vmitem
		;

vmitem		: template
		| driver
		| memory
		| CHAIN STRING		{
			if (!opt_once(nodeopt, O_CHAIN, "chain", $<lineno>1))
				free($2);
			else if (strcmp($2, "none") == 0)
				free($2);
			else if (check_name("chain", $2, $<lineno>2) == -1)
				free($2);
			else {
				cur_node->chain_name = $2;
				cur_node->chain_lineno = $<lineno>1;
			}
		}
		| FIREWALL		{
			opt_once(nodeopt, O_FIREWALL, "firewall", $<lineno>1);
			cur_node->has_firewall = 1;
		    } optnl fwblock
		| PRIVATE NUMBER optmount	{
			set_private(NULL, $2, $3, $<lineno>1, $<lineno>2);
		}
		| PRIVATE STRING optmount	{
			set_private($2, 0, $3, $<lineno>1, $<lineno>2);
			free($2);
		}
		| SEALED		{
			if (opt_once(nodeopt, O_SEALED, "sealed", $<lineno>1))
				cur_node->sealed = 1;
		}
		| AUTOSTART		{
			if (opt_once(nodeopt, O_AUTOSTART, "autostart",
			    $<lineno>1))
				cur_node->autostart = 1;
		}
		| RESTART STRING	{ set_restart($2, $<lineno>1); }
		| CREDENTIAL STRING KFILE STRING	{
			add_cred($2, $4, $<lineno>1, $<lineno>4);
		}
		| SHARE STRING AT STRING optrw	{
			add_share($2, $4, $5, $<lineno>1, $<lineno>2);
		}
		| AUDIO STRING		{ set_audio($2, $<lineno>1); }
		| X11 STRING		{ set_x11($2, $<lineno>1); }
		| error
		;

optrw		: /* empty */		{ $$ = 0; }
		| STRING		{
			if (strcmp($1, "read-write") == 0)
				$$ = 1;
			else if (strcmp($1, "read-only") == 0)
				$$ = 0;
			else {
				yyerror_at($<lineno>1, "expected read-write "
				    "or read-only, not \"%s\"", $1);
				$$ = 0;
			}
			free($1);
		}
		;

optmount	: /* empty */		{ $$ = NULL; }
		| MOUNT STRING		{ $$ = $2; }
		;

fwblock		: '{' optsep '}'
		| '{' optsep fwrules '}'
		| '{' optsep fwrules seps '}'
		;

fwrules		: fwrule
		| fwrules seps fwrule
		;

fwrule		: fwaction fwdir fwaf fwproto fwfrom fwto fwicmp { end_rule(); }
		| error
		;

fwaction	: PASS			{ new_rule(FW_PASS, $<lineno>1); }
		| BLOCK			{ new_rule(FW_BLOCK, $<lineno>1); }
		;

fwdir		: /* empty */
		| IN			{ cur_rule->dir = FW_IN; }
		| OUT			{ cur_rule->dir = FW_OUT; }
		;

fwaf		: /* empty */
		| INET			{ cur_rule->af = AF_INET; }
		| INET6			{ cur_rule->af = AF_INET6; }
		;

fwproto		: /* empty */
		| PROTO STRING		{ add_proto($2, $<lineno>2); }
		| PROTO '{' optnl protolist '}'
		;

protolist	: STRING listsep		{ add_proto($1, $<lineno>1); }
		| protolist STRING listsep	{ add_proto($2, $<lineno>2); }
		;

fwfrom		: /* empty */
		| FROM			{ cur_host = &cur_rule->from; }
		    hostspec
		;

fwto		: /* empty */
		| TO			{ cur_host = &cur_rule->to; }
		    hostspec
		;

hostspec	: addrspec
		| addrspec portspec
		| portspec
		;

addrspec	: STRING		{ host_addr($1, 0, $<lineno>1); }
		| '!' STRING		{ host_addr($2, 1, $<lineno>2); }
		| '{'			{
			cur_host->any = 0;
			cur_addrs = &cur_host->addrs;
		    } optnl addrlist '}'
		| '!' '{'		{
			yyerror_at($<lineno>1, "a list cannot be negated");
			cur_addrs = &cur_host->addrs;
		    } optnl addrlist '}'
		;

portspec	: PORT			{
			cur_ports = &cur_host->ports;
			rule_ports = $<lineno>1;
		    } ports
		;

ports		: port
		| '{' optnl portlist '}'
		;

portlist	: port listsep
		| portlist port listsep
		;

port		: NUMBER		{ add_port(NULL, $1, $<lineno>1); }
		| STRING		{
			add_port($1, 0, $<lineno>1);
			free($1);
		}
		;

fwicmp		: /* empty */
		| ICMPTYPE NUMBER	{
			rule_icmp = $<lineno>1;
			if ($2 < 0 || $2 > 255)
				yyerror_at($<lineno>2,
				    "icmp-type %lld out of range (0..255)", $2);
			else
				cur_rule->icmp_type = (int)$2;
		}
		;

%%

struct keyword {
	const char	*k_name;
	int		 k_val;
};

/* Sorted by strcmp(): looked up with bsearch(). */
static const struct keyword keywords[] = {
	{ "address",		ADDRESS },
	{ "allowed",		ALLOWED },
	{ "at",			AT },
	{ "audio",		AUDIO },
	{ "autostart",		AUTOSTART },
	{ "block",		BLOCK },
	{ "chain",		CHAIN },
	{ "credential",		CREDENTIAL },
	{ "disposable",		DISPOSABLE },
	{ "dns",		DNS },
	{ "driver",		DRIVER },
	{ "endpoint",		ENDPOINT },
	{ "exclude",		EXCLUDE },
	{ "file",		KFILE },
	{ "firewall",		FIREWALL },
	{ "from",		FROM },
	{ "gateway",		GATEWAY },
	{ "icmp-type",		ICMPTYPE },
	{ "in",			IN },
	{ "include",		INCLUDE },
	{ "inet",		INET },
	{ "inet6",		INET6 },
	{ "interface",		INTERFACE },
	{ "ips",		IPS },
	{ "ipv6",		IPV6 },
	{ "keepalive",		KEEPALIVE },
	{ "key",		KEY },
	{ "listen",		LISTEN },
	{ "memory",		MEMORY },
	{ "mirror",		MIRROR },
	{ "mount",		MOUNT },
	{ "mtu",		MTU },
	{ "nat",		NAT },
	{ "network",		NETWORK },
	{ "out",		OUT },
	{ "packages",		PACKAGES },
	{ "pass",		PASS },
	{ "peer",		PEER },
	{ "persistent",		PERSISTENT },
	{ "pool",		POOL },
	{ "pool6",		POOL6 },
	{ "port",		PORT },
	{ "prefixlen",		PREFIXLEN },
	{ "preshared",		PRESHARED },
	{ "private",		PRIVATE },
	{ "proto",		PROTO },
	{ "public",		PUBLIC },
	{ "recipe",		RECIPE },
	{ "resolver",		RESOLVER },
	{ "restart",		RESTART },
	{ "role",		ROLE },
	{ "sealed",		SEALED },
	{ "share",		SHARE },
	{ "statedir",		STATEDIR },
	{ "suite",		SUITE },
	{ "template",		TEMPLATE },
	{ "to",			TO },
	{ "torrc",		TORRC },
	{ "transport",		TRANSPORT },
	{ "uplink",		UPLINK },
	{ "virtual",		VIRTUAL },
	{ "vm",			VM },
	{ "wireguard",		WIREGUARD },
	{ "x11",		X11 },
};

static int
kw_cmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct keyword *)e)->k_name);
}

static int
lookup(const char *s)
{
	const struct keyword	*kw;

	kw = bsearch(s, keywords, sizeof(keywords) / sizeof(keywords[0]),
	    sizeof(keywords[0]), kw_cmp);
	return kw != NULL ? kw->k_val : STRING;
}

/* Errors: FILE:LINE: message, all counted. */
static void
verror_at(int line, const char *fmt, va_list ap)
{
	conf_verror(file != NULL ? file->name : "?", line, fmt, ap);
	errors++;
}

static void
yyerror_at(int line, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	verror_at(line, fmt, ap);
	va_end(ap);
}

/* Called by the parser, for syntax errors only. */
void
yyerror(const char *msg)
{
	if (lex_error) {	/* the lexer said what was wrong */
		lex_error = 0;
		return;
	}
	if (stmt_word[0] != '\0' && yychar != '=') {
		unknown_keyword(stmt_word, stmt_line);
		stmt_word[0] = '\0';
		return;
	}
	if (cur_start && yychar == STRING) {
		unknown_keyword(cur_word, cur_line);
		return;
	}
	if (yychar == '\n')
		yyerror_at(tok_line, "%s at end of line", msg);
	else if (yychar <= 0)
		yyerror_at(tok_line, "%s at end of file", msg);
	else
		yyerror_at(tok_line, "%s at \"%s\"", msg, tok_text);
}

/* Edit distance of two short words, for "did you mean". */
static size_t
distance(const char *a, const char *b)
{
	size_t	 d[33], i, j, prev, cur, la = strlen(a), lb = strlen(b);

	if (la > 32 || lb > 32)
		return 99;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		prev = d[0];
		d[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = d[j];
			d[j] = prev + (a[i - 1] != b[j - 1]);
			if (d[j] > cur + 1)
				d[j] = cur + 1;
			if (d[j] > d[j - 1] + 1)
				d[j] = d[j - 1] + 1;
			prev = cur;
		}
	}
	return d[lb];
}

/* A word where a keyword must be: the nearest keyword, if any is near. */
static void
unknown_keyword(const char *w, int line)
{
	size_t	 i, d, best = 3, bi = 0;

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if ((d = distance(w, keywords[i].k_name)) < best) {
			best = d;
			bi = i;
		}
	if (best < 3)
		yyerror_at(line, "unknown keyword \"%s\" (did you mean "
		    "\"%s\"?)", w, keywords[bi].k_name);
	else
		yyerror_at(line, "unknown keyword \"%s\"", w);
}

static void
lexerror(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	verror_at(tok_line, fmt, ap);
	va_end(ap);
	lex_error = 1;
}

/* strerror(), lowercased for a message. */
static const char *
errstr(int e)
{
	static char	 buf[128];

	snprintf(buf, sizeof(buf), "%s", strerror(e));
	if (buf[0] >= 'A' && buf[0] <= 'Z' &&
	    !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

/*
 * The lexer.
 */

static void
lungetc(int c)
{
	if (c == EOF)
		return;
	if (file->ulen == file->usize) {
		file->usize = file->usize ? file->usize * 2 : 64;
		file->ub = xreallocarray(file->ub, file->usize,
		    sizeof(*file->ub));
	}
	file->ub[file->ulen++] = c;
}

/* Next character: pushback first; backslash-newline is a blank. */
static int
lgetc(void)
{
	int	 c, next;

	for (;;) {
		if (file->ulen > 0) {
			c = file->ub[--file->ulen];
			if (c == START_EXPAND)
				file->expanding++;
			else if (c == DONE_EXPAND)
				file->expanding--;
			else
				return c;
			continue;
		}
		c = getc(file->stream);
		if (c != '\\')
			return c;
		next = getc(file->stream);
		if (next != '\n') {
			if (next != EOF)
				ungetc(next, file->stream);
			return c;
		}
		file->lineno++;
		return ' ';
	}
}

static int
isword(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && c != EOF && strchr("_.:/!-", c) != NULL;
}

static int
ismacrochar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static int
lex_quoted(char *buf)
{
	size_t	 i = 0;
	int	 c, next, toolong = 0;

	for (;;) {
		c = lgetc();
		if (c == EOF || c == '\n') {
			lexerror("unterminated string");
			lungetc(c);
			return ERROR;
		}
		if (c == '"')
			break;
		if (c == '\\') {
			next = lgetc();
			if (next == '"' || next == '\\')
				c = next;
			else
				lungetc(next);
		}
		if ((c < ' ' && c != '\t') || c == 0x7f) {
			lexerror("invalid character in string");
			while ((c = lgetc()) != EOF && c != '\n' && c != '"')
				;
			if (c == '\n')
				lungetc(c);
			return ERROR;
		}
		if (i >= MAXWORD - 1) {
			toolong = 1;
			continue;
		}
		buf[i++] = (char)c;
	}
	buf[i] = '\0';
	if (toolong) {
		lexerror("string too long");
		return ERROR;
	}
	yylval.v.string = xstrdup(buf);
	snprintf(tok_text, sizeof(tok_text), "%.31s", buf);
	return STRING;
}

static int
lex_word(char *buf, int c)
{
	size_t	 i = 0;
	int	 toolong = 0, digits = 1, tok;
	char	*ep;

	do {
		if (c < '0' || c > '9')
			digits = 0;
		if (i < MAXWORD - 1)
			buf[i++] = (char)c;
		else
			toolong = 1;
	} while ((c = lgetc()) != EOF && isword(c));
	lungetc(c);
	buf[i] = '\0';
	if (toolong) {
		lexerror("string too long");
		return ERROR;
	}
	snprintf(tok_text, sizeof(tok_text), "%.31s", buf);
	if (digits) {
		errno = 0;
		yylval.v.number = strtoll(buf, &ep, 10);
		if (errno == ERANGE || *ep != '\0') {
			lexerror("number too large: %s", buf);
			return ERROR;
		}
		return NUMBER;
	}
	if ((tok = lookup(buf)) == STRING) {
		yylval.v.string = xstrdup(buf);
		lex_bare = 1;
	}
	return tok;
}

static int
lex_token(void)
{
	char		 buf[MAXWORD];
	const char	*val;
	size_t		 i;
	int		 c;

	lex_error = 0;
	lex_bare = 0;
	if (errors >= MAXERRORS) {
		if (errors == MAXERRORS) {
			conf_error(file->name, tok_line, "too many errors");
			errors++;
		}
		lex_error = 1;		/* no syntax error for this EOF */
		return 0;
	}
top:
	if (file->pending_nl) {
		file->pending_nl = 0;
		yylval.lineno = tok_line = file->lineno;
		return '\n';
	}
	while ((c = lgetc()) == ' ' || c == '\t' || c == '\r')
		;
	yylval.lineno = tok_line = file->lineno;
	if (c == '#')
		while ((c = lgetc()) != '\n' && c != EOF)
			;
	if (c == '$' && file->expanding == 0) {
		for (i = 0; (c = lgetc()) != EOF && ismacrochar(c); )
			if (i < 64)
				buf[i++] = (char)c;
		lungetc(c);
		buf[i] = '\0';
		if (i == 0 || i >= 64) {
			lexerror("invalid macro reference");
			return ERROR;
		}
		if ((val = symget(buf)) == NULL) {
			lexerror("undefined macro \"%s\"", buf);
			return ERROR;
		}
		lungetc(DONE_EXPAND);
		for (i = strlen(val); i > 0; i--)
			lungetc((unsigned char)val[i - 1]);
		lungetc(START_EXPAND);
		goto top;
	}
	switch (c) {
	case EOF:
		if (!file->eof) {
			file->eof = 1;
			return '\n';
		}
		if (file->parent == NULL)
			return 0;
		popfile();
		goto top;
	case '\n':
		if (!file->expanding)
			file->lineno++;
		return '\n';
	case '"':
		return lex_quoted(buf);
	case '!':
	case '{':
	case '}':
	case ';':
	case '=':
	case ',':
		snprintf(tok_text, sizeof(tok_text), "%c", c);
		return c;
	}
	if (isword(c))
		return lex_word(buf, c);
	if (c < ' ' || c > '~')
		return lex_badchar(c);
	return c;
}

/*
 * A character no netd.conf holds.  After MAXBADCHARS of them the file
 * is not text (a binary given by mistake): the rest is not read, only
 * its invalid characters counted, so one line says how many more.
 */
static int
lex_badchar(int c)
{
	size_t	 more = 0;

	if (++nbadchars <= MAXBADCHARS) {
		lexerror("invalid character 0x%02x", c & 0xff);
		return ERROR;
	}
	file->ulen = 0;
	while ((c = getc(file->stream)) != EOF)
		if ((c < ' ' && c != '\t' && c != '\n' && c != '\r') ||
		    c > '~')
			more++;
	lexerror("%zu more invalid characters: not a text file, not read "
	    "further", more + 1);
	nbadchars = 0;
	return ERROR;
}

/*
 * The lexer, remembering whether the token before the one it returns
 * was an unquoted word starting a statement: when this one is a syntax
 * error, that word was meant as a keyword.
 */
int
yylex(void)
{
	int		 tok, start;

	start = last == '\n' || last == ';' || last == '{';
	if (cur_start) {
		memcpy(stmt_word, cur_word, sizeof(stmt_word));
		stmt_line = cur_line;
	} else
		stmt_word[0] = '\0';
	tok = lex_token();
	cur_start = tok == STRING && lex_bare && start;
	memcpy(cur_word, tok_text, sizeof(cur_word));
	cur_line = tok_line;
	last = tok;
	return tok;
}

/*
 * Files.
 */

static const char *
keep_name(const char *name)
{
	conf->files = xreallocarray(conf->files, conf->nfiles + 1,
	    sizeof(*conf->files));
	conf->files[conf->nfiles] = xstrdup(name);
	return conf->files[conf->nfiles++];
}

/* Open a file; line is the include line (0: top level). */
static struct file *
pushfile(const char *name, int line)
{
	struct file	*f, *p;
	struct stat	 st;
	FILE		*fp;
	int		 depth = file != NULL ? file->depth + 1 : 0;

	if (depth > MAXINCLUDE) {
		yyerror_at(line, "includes nested too deeply: %s", name);
		return NULL;
	}
	if ((fp = fopen(name, "r")) == NULL) {
		if (line == 0) {
			conf_error(name, 0, "%s", errstr(errno));
			errors++;
		} else if (errno == ENOENT)
			yyerror_at(line, "include file \"%s\" not found",
			    name);
		else
			yyerror_at(line, "cannot open include file \"%s\": %s",
			    name, errstr(errno));
		return NULL;
	}
	if (fstat(fileno(fp), &st) == -1) {
		yyerror_at(line, "%s: %s", name, errstr(errno));
		fclose(fp);
		return NULL;
	}
	if (S_ISDIR(st.st_mode) || (line != 0 && !S_ISREG(st.st_mode))) {
		if (line == 0) {
			conf_error(name, 0, "is a directory");
			errors++;
		} else
			yyerror_at(line, "include file \"%s\" is not a regular "
			    "file", name);
		fclose(fp);
		return NULL;
	}
	for (p = file; p != NULL; p = p->parent)
		if (p->dev == st.st_dev && p->ino == st.st_ino &&
		    !S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode)) {
			yyerror_at(line, "include loop: %s", name);
			fclose(fp);
			return NULL;
		}
	f = xcalloc(1, sizeof(*f));
	f->stream = fp;
	f->name = keep_name(name);
	f->lineno = 1;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->depth = depth;
	f->parent = file;
	file = f;
	return f;
}

static void
popfile(void)
{
	struct file	*f = file;

	file = f->parent;
	fclose(f->stream);
	free(f->ub);
	free(f);
}

/* include "name": relative to the including file's directory. */
static void
include_file(char *name, int line)
{
	const char	*slash;
	char		*path;
	size_t		 len;

	if (name[0] == '\0') {
		yyerror_at(line, "empty include file name");
		free(name);
		return;
	}
	if (name[0] != '/' && (slash = strrchr(file->name, '/')) != NULL) {
		len = (size_t)(slash - file->name) + 1 + strlen(name) + 1;
		path = xcalloc(1, len);
		snprintf(path, len, "%.*s/%s", (int)(slash - file->name),
		    file->name, name);
		free(name);
	} else
		path = name;
	if (pushfile(path, line) != NULL)
		file->pending_nl = 1;
	free(path);
}

/*
 * Macros.
 */

static int
valid_macro_name(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
	    *s == '_'))
		return 0;
	for (; *s != '\0'; s++)
		if (!ismacrochar((unsigned char)*s))
			return 0;
	return 1;
}

static struct sym *
symfind(const char *name)
{
	struct sym	*s;

	for (s = syms; s != NULL; s = s->next)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

/* A file's definition never overrides one from the command line. */
static int
symset(const char *name, const char *val, int line)
{
	struct sym	*s;

	if (!valid_macro_name(name) || strlen(name) > 63) {
		if (line > 0)
			yyerror_at(line, "invalid macro name \"%s\"", name);
		return -1;
	}
	if (line > 0 && lookup(name) != STRING) {
		yyerror_at(line, "macro name \"%s\" is a keyword", name);
		return -1;
	}
	if ((s = symfind(name)) != NULL) {
		if (s->persist && line > 0)
			return 0;
		free(s->val);
		s->val = xstrdup(val);
		s->persist = line == 0;
		return 0;
	}
	s = xcalloc(1, sizeof(*s));
	s->name = xstrdup(name);
	s->val = xstrdup(val);
	s->persist = line == 0;
	s->next = syms;
	syms = s;
	return 0;
}

static const char *
symget(const char *name)
{
	struct sym	*s = symfind(name);

	return s != NULL ? s->val : NULL;
}

/*
 * A macro's value with the macros it uses ($name, as pf.conf allows in
 * b = "$a") replaced by theirs; NULL, after an error naming the macro,
 * when one is not defined.
 */
static char *
symexpand(const char *name, const char *val, int line)
{
	const char	*p, *v;
	char		 ref[64], *out;
	size_t		 len = 0, size = strlen(val) + 1, i;

	out = xcalloc(1, size);
	for (p = val; *p != '\0'; ) {
		v = p;
		i = 0;
		if (*p == '$')
			for (p++; ismacrochar((unsigned char)*p) &&
			    i < sizeof(ref) - 1; p++)
				ref[i++] = *p;
		ref[i] = '\0';
		if (i == 0) {
			p = v + 1;
			v = NULL;
		} else if ((v = symget(ref)) == NULL) {
			yyerror_at(line, "undefined macro \"%s\" in the value "
			    "of macro \"%s\"", ref, name);
			free(out);
			return NULL;
		}
		i = v != NULL ? strlen(v) : 1;
		if (len + i + 1 > size) {
			size = (len + i + 1) * 2;
			out = xreallocarray(out, size, 1);
		}
		memcpy(out + len, v != NULL ? v : p - 1, i);
		out[len += i] = '\0';
	}
	return out;
}

/* Forget the file's macros; keep those from the command line. */
static void
symclear(void)
{
	struct sym	*s, *next, **prev = &syms;

	for (s = syms; s != NULL; s = next) {
		next = s->next;
		if (s->persist) {
			prev = &s->next;
			continue;
		}
		*prev = next;
		free(s->name);
		free(s->val);
		free(s);
	}
}

int
cmdline_symset(const char *s)
{
	const char	*eq;
	char		*name;
	int		 rv;

	if ((eq = strchr(s, '=')) == NULL || eq == s)
		return -1;
	name = xcalloc(1, (size_t)(eq - s) + 1);
	memcpy(name, s, (size_t)(eq - s));
	rv = symset(name, eq + 1, 0);
	free(name);
	return rv;
}

/*
 * Checks and objects.
 */

static int
opt_once(int *seen, int idx, const char *what, int line)
{
	if (seen[idx] != 0) {
		yyerror_at(line, "duplicate %s option (first at line %d)",
		    what, seen[idx]);
		return 0;
	}
	seen[idx] = line;
	return 1;
}

/* 1..12 characters of [A-Za-z0-9_.-], starting with a letter or digit. */
static int
check_name(const char *what, const char *s, int line)
{
	const char	*p;
	size_t		 len = strlen(s);
	int		 ok = len > 0;

	for (p = s; *p != '\0' && ok; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') ||
		    (p != s && (*p == '_' || *p == '.' || *p == '-'))))
			ok = 0;
	if (!ok) {
		yyerror_at(line, "invalid %s name \"%s\": letters, digits, "
		    "'_', '.' and '-', starting with a letter or digit", what,
		    s);
		return -1;
	}
	if (len > KUBSD_NAME_MAX) {
		yyerror_at(line, "%s name \"%s\" is too long (max %d "
		    "characters)", what, s, KUBSD_NAME_MAX);
		return -1;
	}
	return 0;
}

static int
check_path(const char *what, const char *s, int line)
{
	if (s[0] != '/') {
		yyerror_at(line, "%s \"%s\" must be an absolute path",
		    what, s);
		return 0;
	}
	return 1;
}

static void
first_at(char *buf, size_t len, const char *ffile, int fline)
{
	if (ffile != NULL && strcmp(ffile, file->name) != 0)
		snprintf(buf, len, "%s:%d", ffile, fline);
	else
		snprintf(buf, len, "line %d", fline);
}

static const char *
node_word(const struct node *n)
{
	if (n->kind == NODE_VM)
		return n->disposable ? "disposable" : "vm";
	return kind_name(n->kind);
}

static void
new_node(enum node_kind kind, char *name, int line, int disposable)
{
	struct node	*n, *o;
	char		 at[PATH_MAX + 32];

	n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->name = name;
	n->lineno = line;
	n->file = file->name;
	n->disposable = disposable;
	n->nat = 1;
	n->role = ROLE_NONE;
	n->driver = DRIVER_QEMU;
	n->memory = kind == NODE_GATEWAY ? KUBSD_GW_MEMORY : KUBSD_MEMORY;
	n->tor_transport = KUBSD_TOR_TRANSPORT;
	n->tor_dnsport = KUBSD_TOR_DNSPORT;
	kaddr_parse(KUBSD_TOR_VIRTNET, &n->tor_virtnet);
	TAILQ_INIT(&n->firewall);
	TAILQ_INIT(&n->creds);
	TAILQ_INIT(&n->shares);

	if (check_name(node_word(n), name, line) == 0) {
		TAILQ_FOREACH(o, &conf->nodes, entry) {
			if (strcmp(o->name, name) != 0)
				continue;
			first_at(at, sizeof(at), o->file, o->lineno);
			if (strcmp(node_word(o), node_word(n)) == 0)
				yyerror_at(line, "duplicate %s \"%s\" (first "
				    "defined at %s)", node_word(n), name, at);
			else
				yyerror_at(line, "duplicate name \"%s\" (first "
				    "defined as %s at %s)", name,
				    node_word(o), at);
			break;
		}
	}
	n->idx = conf->nnodes++;
	TAILQ_INSERT_TAIL(&conf->nodes, n, entry);
	cur_node = n;
	memset(nodeopt, 0, sizeof(nodeopt));
}

static void
end_node(void)
{
	struct node	*n = cur_node;

	if (n == NULL)
		return;
	cur_node = NULL;
	switch (n->kind) {
	case NODE_UPLINK:
		if (n->ifname == NULL && nodeopt[O_INTERFACE] == 0)
			yyerror_at(n->lineno, "uplink \"%s\" has no interface",
			    n->name);
		break;
	case NODE_GATEWAY:
		if (n->role == ROLE_NONE) {
			if (nodeopt[O_ROLE] == 0)
				yyerror_at(n->lineno,
				    "gateway \"%s\" has no role", n->name);
			break;
		}
		if (n->role != ROLE_TOR) {
			if (nodeopt[O_TRANSPORT])
				yyerror_at(nodeopt[O_TRANSPORT], "transport "
				    "port is only valid for role tor");
			if (nodeopt[O_DNSPORT])
				yyerror_at(nodeopt[O_DNSPORT], "dns port is "
				    "only valid for role tor");
			if (nodeopt[O_VIRTUAL])
				yyerror_at(nodeopt[O_VIRTUAL], "virtual "
				    "network is only valid for role tor");
			if (nodeopt[O_TORRC])
				yyerror_at(nodeopt[O_TORRC], "torrc include "
				    "is only valid for role tor");
		}
		if (n->role != ROLE_WIREGUARD && nodeopt[O_WIREGUARD])
			yyerror_at(nodeopt[O_WIREGUARD], "wireguard block is "
			    "only valid for role wireguard");
		if (n->role == ROLE_WIREGUARD && n->wg == NULL)
			yyerror_at(n->lineno, "gateway \"%s\": role wireguard "
			    "requires a wireguard block", n->name);
		break;
	case NODE_VM:
		if (n->driver == DRIVER_NETNS)
			qemu_only(n);
		break;
	}
}

/* Disks, sealing and credentials need a real VM. */
static void
qemu_only(const struct node *n)
{
	static const struct { int opt; const char *what; } o[] = {
		{ O_PRIVATE, "private" }, { O_SEALED, "sealed" },
		{ O_AUDIO, "audio" }, { O_X11, "x11" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(o) / sizeof(o[0]); i++)
		if (nodeopt[o[i].opt])
			yyerror_at(nodeopt[o[i].opt], "%s is only valid for "
			    "driver qemu", o[i].what);
	if (!TAILQ_EMPTY(&n->creds))
		yyerror_at(TAILQ_FIRST(&n->creds)->lineno, "credential is "
		    "only valid for driver qemu");
	if (!TAILQ_EMPTY(&n->shares))
		yyerror_at(TAILQ_FIRST(&n->shares)->lineno, "share is "
		    "only valid for driver qemu");
}

static void
new_chain(char *name, int line)
{
	struct chain	*c, *o;
	char		 at[PATH_MAX + 32];

	c = xcalloc(1, sizeof(*c));
	c->name = name;
	c->lineno = line;
	c->file = file->name;
	c->dns = DNS_FIRSTHOP;
	if (strcmp(name, "none") == 0)
		yyerror_at(line, "\"none\" is not a valid chain name");
	else if (check_name("chain", name, line) == 0) {
		TAILQ_FOREACH(o, &conf->chains, entry) {
			if (strcmp(o->name, name) != 0)
				continue;
			first_at(at, sizeof(at), o->file, o->lineno);
			yyerror_at(line, "duplicate chain \"%s\" (first "
			    "defined at %s)", name, at);
			break;
		}
	}
	TAILQ_INSERT_TAIL(&conf->chains, c, entry);
	cur_chain = c;
	memset(chainopt, 0, sizeof(chainopt));
}

static void
end_chain(void)
{
	if (cur_chain != NULL && cur_chain->nhops == 0)
		yyerror_at(cur_chain->lineno, "chain \"%s\" has no hops",
		    cur_chain->name);
	cur_chain = NULL;
}

/*
 * template "NAME" { recipe R; packages { ... }; suite S; mirror "URL" }
 * A VM may also name a recipe ("debian", "minimal") without a block:
 * graph_build() checks that every template a VM names exists.
 */
static void
new_template(char *name, int line)
{
	struct template	*t;
	char		 at[PATH_MAX + 32];

	t = xcalloc(1, sizeof(*t));
	t->name = name;
	t->lineno = line;
	t->file = file->name;
	/* A template named after a recipe uses it unless told otherwise. */
	t->recipe = RECIPE_NONE;
	if (check_name("template", name, line) == 0)
		t->recipe = template_builtin(name);
	TAILQ_FOREACH(cur_tmpl, &conf->templates, entry) {
		if (strcmp(cur_tmpl->name, name) != 0)
			continue;
		first_at(at, sizeof(at), cur_tmpl->file, cur_tmpl->lineno);
		yyerror_at(line, "duplicate template \"%s\" (first defined "
		    "at %s)", name, at);
		break;
	}
	TAILQ_INSERT_TAIL(&conf->templates, t, entry);
	cur_tmpl = t;
	memset(tmplopt, 0, sizeof(tmplopt));
}

static void
end_template(void)
{
	if (cur_tmpl != NULL && cur_tmpl->recipe == RECIPE_NONE)
		yyerror_at(cur_tmpl->lineno, "template \"%s\" has no recipe "
		    "(debian or minimal)", cur_tmpl->name);
	cur_tmpl = NULL;
}

static void
set_recipe(char *s, int line)
{
	enum recipe	 r = template_builtin(s);

	if (r == RECIPE_NONE)
		yyerror_at(line, "invalid recipe \"%s\" (debian or minimal)",
		    s);
	else if (opt_once(tmplopt, O_RECIPE, "recipe", line))
		cur_tmpl->recipe = r;
	free(s);
}

/* Debian package names (policy 5.6.1), with an optional =VERSION. */
static int
package_ok(const char *s)
{
	const char	*ver = "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-~:";
	size_t		 n, v;

	n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789+-.");
	if (n < 2 || strchr("+-.", s[0]) != NULL)
		return 0;
	if (s[n] == '\0')
		return 1;
	v = strspn(s + n + 1, ver);
	return s[n] == '=' && v > 0 && s[n + 1 + v] == '\0';
}

static void
add_package(char *s, int line)
{
	if (!package_ok(s)) {
		yyerror_at(line, "invalid package name \"%s\"", s);
		free(s);
		return;
	}
	cur_tmpl->packages = xreallocarray(cur_tmpl->packages,
	    cur_tmpl->npackages + 1, sizeof(*cur_tmpl->packages));
	cur_tmpl->packages[cur_tmpl->npackages++] = s;
}

/* suite and mirror: one word of safe characters each (they reach a
 * sources.list line). */
static void
set_tmpl_word(char **dst, int opt, const char *what, char *s, int line)
{
	size_t	 len = strlen(s);

	if (len == 0 || len > 255 || strcspn(s, " \t\"'\\[]$`;&|<>") != len)
		yyerror_at(line, "invalid %s \"%s\"", what, s);
	else if (strcmp(what, "mirror") == 0 &&
	    strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0 &&
	    strncmp(s, "file:/", 6) != 0)
		yyerror_at(line, "invalid mirror \"%s\" (http://, https:// "
		    "or file:/)", s);
	else if (opt_once(tmplopt, opt, what, line)) {
		*dst = s;
		return;
	}
	free(s);
}

static void
add_hop(char *name, int line)
{
	struct chain_hop	*h;

	if (check_name("hop", name, line) == -1) {
		free(name);
		return;
	}
	cur_chain->hops = xreallocarray(cur_chain->hops,
	    cur_chain->nhops + 1, sizeof(*cur_chain->hops));
	h = &cur_chain->hops[cur_chain->nhops++];
	memset(h, 0, sizeof(*h));
	h->name = name;
	h->lineno = line;
}

static void
start_wg(int line)
{
	opt_once(nodeopt, O_WIREGUARD, "wireguard", line);
	if (cur_node->wg == NULL) {
		cur_node->wg = xcalloc(1, sizeof(*cur_node->wg));
		TAILQ_INIT(&cur_node->wg->peers);
		cur_node->wg->lineno = line;
		memset(wgopt, 0, sizeof(wgopt));
	}
}

static void
end_wg(void)
{
	struct wg_conf	*wg = cur_node->wg;

	if (wgopt[O_KEYFILE] == 0)
		yyerror_at(wg->lineno, "gateway \"%s\": wireguard block has "
		    "no private key file", cur_node->name);
	if (wgopt[O_ADDRESS] == 0)
		yyerror_at(wg->lineno, "gateway \"%s\": wireguard block has "
		    "no address", cur_node->name);
	if (TAILQ_EMPTY(&wg->peers))
		yyerror_at(wg->lineno, "gateway \"%s\": wireguard block has "
		    "no peer", cur_node->name);
}

static void
new_peer(char *name, int line)
{
	struct wg_peer	*p, *o;
	const char	*s;

	p = xcalloc(1, sizeof(*p));
	p->name = name;
	p->lineno = line;
	for (s = name; *s != '\0'; s++)
		if (*s == '"' || *s == '\\')
			break;
	if (name[0] == '\0' || *s != '\0')
		yyerror_at(line, "invalid peer name \"%s\"", name);
	else {
		TAILQ_FOREACH(o, &cur_node->wg->peers, entry) {
			if (strcmp(o->name, name) != 0)
				continue;
			yyerror_at(line, "duplicate peer \"%s\" (first defined "
			    "at line %d)", name, o->lineno);
			break;
		}
	}
	TAILQ_INSERT_TAIL(&cur_node->wg->peers, p, entry);
	cur_peer = p;
	memset(peeropt, 0, sizeof(peeropt));
}

static void
end_peer(void)
{
	struct wg_peer	*p = cur_peer;

	if (peeropt[O_PUBKEY] == 0)
		yyerror_at(p->lineno, "peer \"%s\" has no public key",
		    p->name);
	if (peeropt[O_ENDPOINT] == 0)
		yyerror_at(p->lineno, "peer \"%s\" has no endpoint", p->name);
	if (peeropt[O_ALLOWED] == 0)
		yyerror_at(p->lineno, "peer \"%s\" has no allowed ips",
		    p->name);
	cur_peer = NULL;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* A WireGuard key: 32 bytes in canonical base64, 44 characters. */
static void
set_pubkey(char *key, int line)
{
	int	 i, v = 0;

	if (strlen(key) != 44 || key[43] != '=')
		goto bad;
	for (i = 0; i < 43; i++)
		if ((v = b64val((unsigned char)key[i])) == -1)
			goto bad;
	if (v & 0x3)		/* bits past the 32nd byte */
		goto bad;
	free(cur_peer->pubkey);
	cur_peer->pubkey = key;
	return;
 bad:
	yyerror_at(line, "invalid public key \"%s\": not the base64 of "
	    "32 bytes", key);
	free(key);
}

static void
set_endpoint(char *host, long long port, int line)
{
	struct addrinfo	 hints, *res;
	long long	 p;

	if ((p = get_port(port, line)) != -1)
		cur_peer->endpoint_port = (uint16_t)p;
	if (kaddr_parse(host, &cur_peer->endpoint) == 0) {
		if (cur_peer->endpoint.prefixlen !=
		    (cur_peer->endpoint.af == AF_INET ? 32 : 128) ||
		    strchr(host, '/') != NULL) {
			yyerror_at(line, "invalid endpoint \"%s\": a network",
			    host);
		}
	} else {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_DGRAM;
		if (host[0] == '\0' || strchr(host, '"') != NULL ||
		    getaddrinfo(host, NULL, &hints, &res) != 0) {
			yyerror_at(line, "cannot resolve endpoint \"%s\"",
			    host);
		} else {
			memset(&cur_peer->endpoint, 0,
			    sizeof(cur_peer->endpoint));
			cur_peer->endpoint.af = res->ai_family;
			if (res->ai_family == AF_INET) {
				cur_peer->endpoint.a.v4 = ((struct sockaddr_in *)
				    (void *)res->ai_addr)->sin_addr;
				cur_peer->endpoint.prefixlen = 32;
			} else {
				cur_peer->endpoint.a.v6 = ((struct sockaddr_in6 *)
				    (void *)res->ai_addr)->sin6_addr;
				cur_peer->endpoint.prefixlen = 128;
			}
			freeaddrinfo(res);
		}
	}
	free(cur_peer->endpoint_host);
	cur_peer->endpoint_host = host;
}

static int
yesno(const char *s, int line)
{
	if (strcmp(s, "yes") == 0)
		return 1;
	if (strcmp(s, "no") == 0)
		return 0;
	yyerror_at(line, "expected yes or no, not \"%s\"", s);
	return -1;
}

static long long
get_port(long long n, int line)
{
	if (n < 1 || n > 65535) {
		yyerror_at(line, "port %lld out of range (1..65535)", n);
		return -1;
	}
	return n;
}

/* "mtu N" of the current uplink or gateway: its segment's links. */
static void
set_mtu(long long n, int line, int nline)
{
	if (!opt_once(nodeopt, O_MTU, "mtu", line))
		return;
	if (n < KUBSD_MTU_MIN || n > KUBSD_MTU_MAX) {
		yyerror_at(nline, "mtu %lld out of range (%d..%d)", n,
		    KUBSD_MTU_MIN, KUBSD_MTU_MAX);
		return;
	}
	cur_node->mtu = (int)n;
}

/* A network: CIDR (host bits clear) or an address; af 0: either. */
static int
get_net(const char *s, struct kaddr *ka, int af, int line)
{
	struct kaddr	 m;

	if (kaddr_parse(s, ka) == -1) {
		yyerror_at(line, "invalid address \"%s\"", s);
		memset(ka, 0, sizeof(*ka));
		return -1;
	}
	if (af != 0 && ka->af != af) {
		yyerror_at(line, "\"%s\" is not an %s network", s,
		    af == AF_INET ? "ipv4" : "ipv6");
		memset(ka, 0, sizeof(*ka));
		return -1;
	}
	m = *ka;
	kaddr_mask(&m);
	if (memcmp(m.a.bytes, ka->a.bytes, sizeof(m.a.bytes)) != 0) {
		yyerror_at(line, "invalid network \"%s\": host bits are set",
		    s);
		memset(ka, 0, sizeof(*ka));
		return -1;
	}
	return 0;
}

/* One IPv4 host address, no prefix: a resolver. */
static int
get_host(const char *what, const char *s, struct kaddr *ka, int line)
{
	struct kaddr	 a;

	if (kaddr_parse(s, &a) == -1 || strchr(s, '/') != NULL) {
		yyerror_at(line, "invalid %s \"%s\": not an address", what, s);
		return -1;
	}
	if (a.af != AF_INET) {
		yyerror_at(line, "invalid %s \"%s\": not an ipv4 address",
		    what, s);
		return -1;
	}
	*ka = a;
	return 0;
}

/* The tunnel's own address: IPv4 ADDR/LEN, host bits allowed. */
static void
set_tunnel_address(char *s, int line)
{
	struct kaddr	 a;

	if (kaddr_parse(s, &a) == -1 || strchr(s, '/') == NULL) {
		yyerror_at(line, "invalid address \"%s\": want "
		    "address/prefixlen", s);
		return;
	}
	if (a.af != AF_INET) {
		yyerror_at(line, "invalid address \"%s\": not an ipv4 "
		    "address", s);
		return;
	}
	cur_node->wg->address = a;
}

static void
set_pool(char *s, long long plen, int line, int pline)
{
	struct kaddr	 ka;

	conf->pool_lineno = line;
	conf->pool_file = file->name;
	if (get_net(s, &ka, AF_INET, line) == -1)
		return;
	conf->pool = ka;
	if (plen == -1)
		plen = KUBSD_SEGPREFIX;
	else if (plen < 16 || plen > 30) {
		yyerror_at(pline, "prefixlen %lld out of range (16..30)",
		    plen);
		return;
	}
	if (plen <= ka.prefixlen) {
		yyerror_at(line, "prefixlen %lld must be longer than the "
		    "pool's /%d", plen, ka.prefixlen);
		return;
	}
	conf->segprefix = (int)plen;
}

static void
set_pool6(char *s, int line)
{
	struct kaddr	 ka;

	if (get_net(s, &ka, AF_INET6, line) == -1)
		return;
	if (ka.prefixlen < 16 || ka.prefixlen > 60) {
		yyerror_at(line, "pool6 prefix /%d out of range (16..60)",
		    ka.prefixlen);
		return;
	}
	conf->pool6 = ka;
}

/* NUMBER bytes, or "NUMBER[KMG]": 0 and *out, or -1 (reported). */
static int
get_size(const char *what, const char *s, long long n, int line,
    unsigned long long *out)
{
	unsigned long long	 v, mult = 1;
	const char		*p;
	char			 buf[32];

	if (s == NULL) {
		snprintf(buf, sizeof(buf), "%lld", n);
		s = buf;
	}
	for (p = s, v = 0; *p >= '0' && *p <= '9'; p++) {
		if (v > (ULLONG_MAX - 9) / 10)
			goto toolarge;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	if (p == s)
		goto bad;
	switch (*p) {
	case '\0':
		break;
	case 'K': case 'k':
		mult = 1024ULL;
		p++;
		break;
	case 'M': case 'm':
		mult = 1024ULL * 1024;
		p++;
		break;
	case 'G': case 'g':
		mult = 1024ULL * 1024 * 1024;
		p++;
		break;
	default:
		goto bad;
	}
	if (*p != '\0')
		goto bad;
	if (v > (1ULL << 50) / mult)
		goto toolarge;
	*out = v * mult;
	return 0;
 toolarge:
	yyerror_at(line, "%s size %s too large", what, s);
	return -1;
 bad:
	yyerror_at(line, "invalid %s size \"%s\"", what, s);
	return -1;
}

static void
set_memory(const char *s, long long n, int line)
{
	unsigned long long	 v;

	if (get_size("memory", s, n, line, &v) == -1)
		return;
	if (v < 64ULL * 1024 * 1024) {
		if (s != NULL)
			yyerror_at(line, "memory size %s too small (min 64M)",
			    s);
		else
			yyerror_at(line, "memory size %lld too small (min 64M)",
			    n);
		return;
	}
	cur_node->memory = v;
}

/* "private SIZE [mount PATH]": the VM's persistent disk. */
static void
set_private(char *s, long long n, char *mnt, int line, int sline)
{
	unsigned long long	 v;

	if (!opt_once(nodeopt, O_PRIVATE, "private", line) ||
	    get_size("private", s, n, sline, &v) == -1) {
		free(mnt);
		return;
	}
	if (v < KUBSD_PRIVATE_MIN)
		yyerror_at(sline, "private disk size too small (min 16M)");
	else if (mnt != NULL && !check_path("private mount", mnt, sline))
		;
	else if (mnt != NULL && strcmp(mnt, "/") == 0)
		yyerror_at(sline, "private mount must not be \"/\"");
	else {
		cur_node->private_size = v;
		cur_node->private_mount = mnt;
		return;
	}
	free(mnt);
}

static void
set_restart(char *s, int line)
{
	enum restart	 r = RESTART_NO;

	if (strcmp(s, "on-failure") == 0)
		r = RESTART_ON_FAILURE;
	else if (strcmp(s, "always") == 0)
		r = RESTART_ALWAYS;
	else if (strcmp(s, "no") != 0)
		yyerror_at(line, "invalid restart policy \"%s\" "
		    "(on-failure, always or no)", s);
	if (opt_once(nodeopt, O_RESTART, "restart", line))
		cur_node->restart = r;
	free(s);
}

/* A systemd credential name that fits a fw_cfg file name. */
static int
check_cred_name(const char *s, int line)
{
	const char	*p;

	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') ||
		    (p != s && (*p == '_' || *p == '.' || *p == '-'))))
			break;
	if (p == s || *p != '\0') {
		yyerror_at(line, "invalid credential name \"%s\"", s);
		return -1;
	}
	if (strlen(s) > KUBSD_CRED_MAX) {
		yyerror_at(line, "credential name \"%s\" is too long (max %d "
		    "characters)", s, KUBSD_CRED_MAX);
		return -1;
	}
	if (strncmp(s, "kubsd.", 6) == 0) {
		yyerror_at(line, "credential name \"%s\": the prefix "
		    "\"kubsd.\" is kubsd's own", s);
		return -1;
	}
	return 0;
}

/* "share PATH at GUESTPATH [read-write]": checked on both sides. */
static void
add_share(char *path, char *guest, int rw, int line, int pline)
{
	struct vm_share	*s;
	const char	*why;
	int		 n = 0;

	if ((why = share_path_bad(path)) != NULL ||
	    (why = share_path_bad(guest)) != NULL) {
		yyerror_at(pline, "share \"%s\" at \"%s\": the path %s",
		    path, guest, why);
		goto fail;
	}
	if (strcmp(guest, "/") == 0) {
		yyerror_at(pline, "share at \"/\": not over the root");
		goto fail;
	}
	TAILQ_FOREACH(s, &cur_node->shares, entry) {
		n++;
		if (strcmp(s->guest, guest) == 0) {
			yyerror_at(line, "duplicate share at \"%s\" (first at "
			    "line %d)", guest, s->lineno);
			goto fail;
		}
	}
	if (n == KUBSD_SHARES_MAX) {
		yyerror_at(line, "too many shares (max %d)", KUBSD_SHARES_MAX);
		goto fail;
	}
	s = xcalloc(1, sizeof(*s));
	s->path = path;
	s->guest = guest;
	s->rw = rw;
	s->lineno = line;
	TAILQ_INSERT_TAIL(&cur_node->shares, s, entry);
	return;
 fail:
	free(path);
	free(guest);
}

static void
set_audio(char *s, int line)
{
	enum audio	 a = AUDIO_NO;

	if (strcmp(s, "yes") == 0)
		a = AUDIO_YES;
	else if (strcmp(s, "output-only") == 0)
		a = AUDIO_OUTPUT;
	else if (strcmp(s, "no") != 0)
		yyerror_at(line, "invalid audio \"%s\" (yes, output-only or "
		    "no)", s);
	if (opt_once(nodeopt, O_AUDIO, "audio", line))
		cur_node->audio = a;
	free(s);
}

/* x11 trusted|untrusted: how kubsd-vm run -X forwards the vm's windows. */
static void
set_x11(char *s, int line)
{
	enum x11	 x = X11_UNTRUSTED;

	if (strcmp(s, "trusted") == 0)
		x = X11_TRUSTED;
	else if (strcmp(s, "untrusted") != 0)
		yyerror_at(line, "invalid x11 \"%s\" (trusted or untrusted)",
		    s);
	if (opt_once(nodeopt, O_X11, "x11", line))
		cur_node->x11 = x;
	free(s);
}

static void
add_cred(char *name, char *path, int line, int pline)
{
	struct vm_cred	*c;

	if (check_cred_name(name, line) == -1 ||
	    !check_path("credential file", path, pline))
		goto fail;
	TAILQ_FOREACH(c, &cur_node->creds, entry)
		if (strcmp(c->name, name) == 0) {
			yyerror_at(line, "duplicate credential \"%s\" (first "
			    "at line %d)", name, c->lineno);
			goto fail;
		}
	c = xcalloc(1, sizeof(*c));
	c->name = name;
	c->path = path;
	c->lineno = line;
	TAILQ_INSERT_TAIL(&cur_node->creds, c, entry);
	return;
 fail:
	free(name);
	free(path);
}

static void
kaddr_append(struct kaddr_list *l, const struct kaddr *ka)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = *ka;
}

/* An element of an address list (allowed ips, or a rule's host). */
static void
add_addr(char *s, int line)
{
	struct kaddr	 ka;

	if (strcmp(s, "any") == 0)
		yyerror_at(line, "\"any\" is not allowed in a list");
	else if (get_net(s, &ka, 0, line) == 0)
		kaddr_append(cur_addrs, &ka);
	free(s);
}

static void
host_addr(char *s, int neg, int line)
{
	struct kaddr	 ka;

	if (strcmp(s, "any") == 0) {
		if (neg)
			yyerror_at(line, "\"any\" cannot be negated");
	} else if (get_net(s, &ka, 0, line) == 0) {
		cur_host->any = 0;
		cur_host->neg = neg;
		kaddr_append(&cur_host->addrs, &ka);
	}
	free(s);
}

/* N or N:M; s NULL: the number n. */
static void
add_port(const char *s, long long n, int line)
{
	struct kport	 kp;
	long long	 lo, hi;
	char		*ep;

	if (s == NULL)
		lo = hi = n;
	else if (s[0] < '0' || s[0] > '9') {
		if ((lo = hi = service_port(s)) == -1)
			goto bad;
	} else {
		errno = 0;
		lo = strtoll(s, &ep, 10);
		if (errno != 0 || *ep != ':' || ep[1] < '0' || ep[1] > '9')
			goto bad;
		hi = strtoll(ep + 1, &ep, 10);
		if (errno != 0 || *ep != '\0')
			goto bad;
	}
	if (lo < 1 || lo > 65535 || hi < 1 || hi > 65535) {
		if (s == NULL)
			yyerror_at(line, "port %lld out of range (1..65535)",
			    n);
		else
			yyerror_at(line, "port range %s out of range "
			    "(1..65535)", s);
		return;
	}
	if (lo > hi) {
		yyerror_at(line, "invalid port range %s: %lld > %lld", s,
		    lo, hi);
		return;
	}
	kp.lo = (uint16_t)lo;
	kp.hi = (uint16_t)hi;
	cur_ports->v = xreallocarray(cur_ports->v, cur_ports->n + 1,
	    sizeof(*cur_ports->v));
	cur_ports->v[cur_ports->n++] = kp;
	return;
 bad:
	yyerror_at(line, "invalid port \"%s\": a number, a range N:M or a "
	    "service name of /etc/services", s);
}

/*
 * A service name's port, looked up once, when the file is read: for the
 * rule's protocol when it has tcp or udp, else any.  -1: unknown.
 */
static long long
service_port(const char *name)
{
	const char	*proto = NULL;
	struct servent	*se;
	size_t		 i;

	for (i = 0; cur_rule != NULL && i < cur_rule->nprotos; i++)
		if (cur_rule->protos[i] == IPPROTO_TCP ||
		    cur_rule->protos[i] == IPPROTO_UDP) {
			proto = cur_rule->protos[i] == IPPROTO_TCP ? "tcp" :
			    "udp";
			break;
		}
	if ((se = getservbyname(name, proto)) == NULL)
		return -1;
	return ntohs((uint16_t)se->s_port);
}

static void
add_proto(char *s, int line)
{
	int	 p;

	if (strcmp(s, "tcp") == 0)
		p = IPPROTO_TCP;
	else if (strcmp(s, "udp") == 0)
		p = IPPROTO_UDP;
	else if (strcmp(s, "icmp") == 0)
		p = IPPROTO_ICMP;
	else if (strcmp(s, "icmp6") == 0)
		p = IPPROTO_ICMPV6;
	else {
		yyerror_at(line, "invalid proto \"%s\" (tcp, udp, icmp or "
		    "icmp6)", s);
		free(s);
		return;
	}
	free(s);
	cur_rule->protos = xreallocarray(cur_rule->protos,
	    cur_rule->nprotos + 1, sizeof(*cur_rule->protos));
	cur_rule->protos[cur_rule->nprotos++] = p;
}

static void
new_rule(enum fw_action action, int line)
{
	struct fw_rule	*r;

	r = xcalloc(1, sizeof(*r));
	r->action = action;
	r->dir = FW_BOTH;
	r->icmp_type = -1;
	r->from.any = r->to.any = 1;
	r->lineno = line;
	TAILQ_INSERT_TAIL(&cur_node->firewall, r, entry);
	cur_rule = r;
	cur_host = NULL;
	rule_ports = rule_icmp = 0;
}

/* Bit 0: an IPv4 address in the host, bit 1: an IPv6 one. */
static int
host_afs(const struct fw_host *h)
{
	size_t	 i;
	int	 m = 0;

	for (i = 0; i < h->addrs.n; i++)
		m |= h->addrs.v[i].af == AF_INET ? 1 : 2;
	return m;
}

static void
end_rule(void)
{
	struct fw_rule	*r = cur_rule;
	size_t		 i;
	int		 tcpudp = 0, icmp = 0, icmp6 = 0, other = 0, afs = 3, m;

	for (i = 0; i < r->nprotos; i++)
		switch (r->protos[i]) {
		case IPPROTO_TCP:
		case IPPROTO_UDP:
			tcpudp = 1;
			break;
		case IPPROTO_ICMP:
			icmp = 1;
			break;
		case IPPROTO_ICMPV6:
			icmp6 = 1;
			break;
		default:
			other = 1;
		}
	if (rule_ports && (r->nprotos == 0 || icmp || icmp6 || other))
		yyerror_at(rule_ports, "port requires proto tcp or udp only");
	if (rule_icmp && (r->nprotos == 0 || tcpudp || other))
		yyerror_at(rule_icmp,
		    "icmp-type requires proto icmp or icmp6 only");
	if (r->af == AF_INET && icmp6)
		yyerror_at(r->lineno, "proto icmp6 in an inet rule");
	if (r->af == AF_INET6 && icmp)
		yyerror_at(r->lineno, "proto icmp in an inet6 rule");

	if (r->af == AF_INET)
		afs = 1;
	else if (r->af == AF_INET6)
		afs = 2;
	if (r->nprotos > 0 && !tcpudp && !other) {
		if (icmp && !icmp6)
			afs &= 1;
		else if (icmp6 && !icmp)
			afs &= 2;
	}
	if (afs != 0) {
		if ((m = host_afs(&r->from)) != 0)
			afs &= m;
		if ((m = host_afs(&r->to)) != 0)
			afs &= m;
		if (afs == 0)
			yyerror_at(r->lineno, "address family mismatch");
	}
	/* with inet or inet6, every address must be of that family */
	if (afs != 0 && r->af != 0 &&
	    ((host_afs(&r->from) | host_afs(&r->to)) & ~afs))
		yyerror_at(r->lineno, "address family mismatch");
	cur_rule = NULL;
	cur_host = NULL;
}

/*
 * Entry points.
 */

struct netd_config *
parse_config(const char *filename)
{
	struct netd_config	*c;

	c = xcalloc(1, sizeof(*c));
	TAILQ_INIT(&c->nodes);
	TAILQ_INIT(&c->chains);
	TAILQ_INIT(&c->templates);
	c->file = xstrdup(filename);
	kaddr_parse(KUBSD_POOL, &c->pool);
	kaddr_parse(KUBSD_POOL6, &c->pool6);
	c->segprefix = KUBSD_SEGPREFIX;
	c->statedir = xstrdup(KUBSD_STATEDIR);

	conf = c;
	file = NULL;
	errors = 0;
	lex_error = 0;
	tok_line = 0;
	last = '\n';
	cur_start = 0;
	stmt_word[0] = '\0';
	nbadchars = 0;
	cur_node = NULL;
	cur_chain = NULL;
	cur_tmpl = NULL;
	cur_peer = NULL;
	cur_rule = NULL;
	cur_host = NULL;
	cur_addrs = NULL;
	cur_ports = NULL;
	memset(globopt, 0, sizeof(globopt));

	if (pushfile(filename, 0) == NULL) {
		conf = NULL;
		config_free(c);
		symclear();
		return NULL;
	}
	c->pool_file = file->name;
	yyparse();
	while (file != NULL)
		popfile();
	symclear();
	conf = NULL;
	if (errors) {
		config_free(c);
		return NULL;
	}
	return c;
}

static void
fw_host_free(struct fw_host *h)
{
	free(h->addrs.v);
	free(h->ports.v);
}

static void
vm_creds_free(struct vm_creds *l)
{
	struct vm_cred	*c;

	while ((c = TAILQ_FIRST(l)) != NULL) {
		TAILQ_REMOVE(l, c, entry);
		free(c->name);
		free(c->path);
		free(c);
	}
}

/* One node and everything it owns (it is in no list any more). */
void
node_free(struct node *n)
{
	struct fw_rule	*r;
	struct wg_peer	*p;

	while ((r = TAILQ_FIRST(&n->firewall)) != NULL) {
		TAILQ_REMOVE(&n->firewall, r, entry);
		free(r->protos);
		fw_host_free(&r->from);
		fw_host_free(&r->to);
		free(r);
	}
	if (n->wg != NULL) {
		while ((p = TAILQ_FIRST(&n->wg->peers)) != NULL) {
			TAILQ_REMOVE(&n->wg->peers, p, entry);
			free(p->name);
			free(p->pubkey);
			free(p->psk_file);
			free(p->endpoint_host);
			free(p->allowed_ips.v);
			free(p);
		}
		free(n->wg->key_file);
		free(n->wg);
	}
	free(n->name);
	free(n->torrc_include);
	free(n->ifname);
	free(n->exclude.v);
	free(n->template);
	free(n->chain_name);
	free(n->private_mount);
	free(n->instance_of);
	vm_creds_free(&n->creds);
	vm_shares_free(&n->shares);
	free(n);
}

void
config_free(struct netd_config *c)
{
	struct node	*n;
	struct chain	*ch;
	size_t		 i;

	if (c == NULL)
		return;
	template_free_all(&c->templates);
	while ((n = TAILQ_FIRST(&c->nodes)) != NULL) {
		TAILQ_REMOVE(&c->nodes, n, entry);
		node_free(n);
	}
	while ((ch = TAILQ_FIRST(&c->chains)) != NULL) {
		TAILQ_REMOVE(&c->chains, ch, entry);
		for (i = 0; i < ch->nhops; i++)
			free(ch->hops[i].name);
		free(ch->hops);
		free(ch->name);
		free(ch);
	}
	for (i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	for (i = 0; i < c->nsegments; i++)
		free(c->segments[i].occ);
	free(c->segments);
	free(c->byname);
	free(c->statedir);
	free(c->file);
	free(c);
}
