#!/usr/bin/env python3
#
# Copyright (c) 2026 The kubsd authors
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
#
# pfcheck.py: an independent checker of what kubsd gives OpenBSD, written
# from the manuals (pf.conf(5) GRAMMAR, ifconfig(8) bridge and veb(4),
# hostname.if(5), vm.conf(5)) and the checks pfctl's parse.y makes beyond
# the grammar (rule_consistent: ports and users only with tcp/udp,
# icmp-type only with icmp and an address family, icmp6 against inet).
# It also refuses what loads but does not hold: "! self" (pfctl expands
# self and ORs the negations), negated lists, interfaces that are not an
# OpenBSD driver+unit or a known group, users the target does not have.
#
# It shares no code with kubsd: a test tool, so that kubsd's OpenBSD
# output is compared with the manuals and not only with itself.
#
#   pfcheck.py pf [-a ANCHOR] [-u USER]... [-g GROUP]... FILE...
#   pfcheck.py hostname FILE...	(the name says the interface: hostname.veb0)
#   pfcheck.py vmconf FILE...
#   pfcheck.py plan [-u USER]... FILE	(kubsd-netd -t openbsd: "==> X <==")
#   pfcheck.py corpus KIND FILE	(every line must fail: the bad corpora)
#
# Exit 0 when everything passes, 1 with "FILE:LINE: why" lines otherwise.

import ipaddress
import re
import sys

# Network drivers of OpenBSD (man4), enough for hosts and vmd guests.
DRIVERS = set("""
aggr bge bnx bridge bse carp cnmac dwge egre em enc eoip etherip gif gre
igc iwm iwn iwx ix ixl lo mcx mpe mpip mpw nep nvgre pair pflog pflow
pfsync ppp pppoe re rge sec sis ste tap trunk tun ure urndis vether veb
vio vlan vmx vport vxlan wg wpi xl
""".split())
# Groups every host has: the drivers' own, plus these.
GROUPS = {"egress", "all"} | DRIVERS

ICMP_TYPES = set("""
echorep unreach squench redir althost echoreq routeradv routersol timex
paramprob timereq timerep inforeq inforep maskreq maskrep trace dataconv
mobredir ipv6-where ipv6-here mobregreq mobregrep skip photuris
""".split())
ICMP6_TYPES = set("""
unreach toobig timex paramprob echoreq echorep groupqry listqry grouprep
listenrep groupterm listendone routersol routeradv neighbrsol neighbradv
redir routrrenum wrureq wrurep fqdnreq fqdnrep niqry nirep mtraceresp
mtrace listenrepv2
""".split())
PROTOS = {"tcp": 6, "udp": 17, "icmp": 1, "icmp6": 58, "ipv6-icmp": 58,
          "gre": 47, "esp": 50, "ah": 51, "carp": 112, "pfsync": 240,
          "ipencap": 4, "ipv6": 41, "igmp": 2, "sctp": 132}


class Bad(Exception):
    pass


def tokenize(line):
    """pf.conf(5) tokens: words, quoted strings, { } ( ) , ! < >."""
    toks, i = [], 0
    while i < len(line):
        c = line[i]
        if c.isspace():
            i += 1
        elif c == "#":
            break
        elif c == '"':
            j = line.find('"', i + 1)
            if j < 0:
                raise Bad("unterminated quoted string")
            toks.append(("str", line[i + 1:j]))
            i = j + 1
        elif c in "{}(),!=":
            if c == "!" and line[i:i + 2] == "!=":
                toks.append(("w", "!="))
                i += 2
                continue
            toks.append(("p", c))
            i += 1
        elif c == "<":
            j = line.find(">", i)
            if j < 0:
                raise Bad("unterminated table name")
            toks.append(("table", line[i + 1:j]))
            i = j + 1
        else:
            j = i
            while j < len(line) and not line[j].isspace() and \
                    line[j] not in '{}(),!#"=<':
                j += 1
            toks.append(("w", line[i:j]))
            i = j
    return toks


class Toks:
    def __init__(self, toks):
        self.t, self.i = toks, 0

    def peek(self, k=0):
        return self.t[self.i + k] if self.i + k < len(self.t) else (None, None)

    def word(self):
        return self.peek()[1]

    def take(self, w=None):
        kind, v = self.peek()
        if kind is None:
            raise Bad("unexpected end of rule" +
                      (" (want %s)" % w if w else ""))
        if w is not None and v != w:
            raise Bad('syntax error at "%s" (want "%s")' % (v, w))
        self.i += 1
        return v

    def accept(self, *ws):
        if self.peek()[0] in ("w", "p") and self.word() in ws:
            self.i += 1
            return self.t[self.i - 1][1]
        return None

    def done(self):
        return self.i >= len(self.t)

    def list_or_one(self, fn):
        """{ a b, c } or a single item."""
        if self.accept("{"):
            out = []
            while not self.accept("}"):
                if self.done():
                    raise Bad("unterminated list")
                if self.accept(","):
                    continue
                out.append(fn(self))
            if not out:
                raise Bad("empty list")
            return out
        return [fn(self)]


class Ctx:
    def __init__(self, users=(), groups=(), anchor=None):
        self.users = set(users) | {"root"}
        self.groups = GROUPS | set(groups)
        self.anchor = anchor
        self.macros = {}
        self.tables = set()
        self.kubsd = False      # kubsd's own rules: its policy too


def check_ifname(ctx, name, what="interface"):
    m = re.fullmatch(r"([a-z]+)([0-9]+)", name)
    if m:
        if m.group(1) not in DRIVERS:
            raise Bad('%s "%s": no OpenBSD driver "%s"' %
                      (what, name, m.group(1)))
        return
    if name and name[-1].isdigit():
        raise Bad('%s "%s": a group name cannot end in a digit' %
                  (what, name))
    if name not in ctx.groups:
        raise Bad('%s "%s": neither driver+unit nor a known group '
                  '(OpenBSD interfaces cannot be renamed)' % (what, name))


def addr_af(s):
    try:
        return 4 if ipaddress.ip_network(s, strict=False).version == 4 else 6
    except ValueError:
        return None


def parse_host(t, ctx, af, rule, neg_ok=True):
    """One host: [!] any|self|(if[:0])|<table>|addr[/len]|if."""
    neg = t.accept("!") is not None
    kind, v = t.peek()
    if kind == "p" and v == "(":
        t.take()
        name = t.take()
        mod = ""
        while t.word() not in (")", None):
            mod += t.take()
        t.take(")")
        if name != "self":
            check_ifname(ctx, name.split(":")[0])
        rule["dyn"] = True
        return ("dyn", name, neg)
    if kind == "table":
        t.take()
        return ("table", v, neg)
    if kind == "p" and v == "{":
        raise Bad("nested list")
    v = t.take()
    if v in ("any", "no-route", "urpf-failed"):
        return (v, v, neg)
    if v == "self":
        if neg:
            raise Bad('"! self": pfctl expands self into every address and '
                      'ORs the negations, so it matches everything; use '
                      '"! (self)"')
        return ("self", v, neg)
    a = addr_af(v)
    if a is not None:
        if af and a != af:
            raise Bad('address %s does not match address family %s' %
                      (v, "inet" if af == 4 else "inet6"))
        rule.setdefault("afs", set()).add(a)
        return ("addr", v, neg)
    if re.fullmatch(r"[a-z][a-z0-9]*(:[a-z0-9]+)?", v):
        check_ifname(ctx, v.split(":")[0])
        return ("if", v, neg)
    raise Bad('bad address "%s"' % v)


def parse_hosts(t, ctx, af, rule):
    if t.accept("{"):
        out = []
        while not t.accept("}"):
            if t.done():
                raise Bad("unterminated address list")
            if t.accept(","):
                continue
            out.append(parse_host(t, ctx, af, rule))
        if len(out) > 1 and any(h[2] for h in out):
            raise Bad("negated addresses in a list: pfctl makes one rule "
                      "per item and ORs them; use a table")
        return out
    if t.word() == "!" and t.peek(1) == ("p", "{"):
        raise Bad('"! { list }": pfctl expands it into an OR of negations '
                  'that matches everything; use "! <table>"')
    return [parse_host(t, ctx, af, rule)]


def parse_port1(t):
    v = t.take()
    ops = ("=", "!=", "<", "<=", ">", ">=")
    if v in ops:
        v = t.take()
    m = re.fullmatch(r"(\d+)(?::(\d+)|><(\d+)|<>(\d+))?", v)
    if m:
        for g in m.groups():
            if g is not None and not 0 <= int(g) <= 65535:
                raise Bad("port %s out of range" % g)
        return v
    if re.fullmatch(r"[a-z][a-z0-9-]*", v):
        return v
    raise Bad('bad port "%s"' % v)


def parse_ports(t):
    return t.list_or_one(parse_port1)


def parse_proto(t):
    v = t.take()
    if v.isdigit():
        if int(v) > 255:
            raise Bad("protocol %s out of range" % v)
        return int(v)
    if v not in PROTOS:
        raise Bad('unknown protocol "%s"' % v)
    return PROTOS[v]


def parse_icmptype(t, six):
    v = t.take()
    names = ICMP6_TYPES if six else ICMP_TYPES
    if v.isdigit():
        if int(v) > 255:
            raise Bad("icmp type %s out of range" % v)
    elif v not in names:
        raise Bad('unknown %s "%s"' % ("icmp6-type" if six else
                                       "icmp-type", v))
    if t.accept("code"):
        t.take()
    return v


def parse_state_opts(t):
    if not t.accept("("):
        return []
    opts = []
    while not t.accept(")"):
        if t.done():
            raise Bad("unterminated state options")
        if t.accept(","):
            continue
        w = t.take()
        if w in ("max", "max-src-states", "max-src-nodes", "max-src-conn",
                 "tcp.established", "udp.first", "udp.single",
                 "udp.multiple", "icmp.first", "icmp.error", "tcp.first",
                 "tcp.closing", "tcp.closed", "tcp.finwait"):
            t.take()
        elif w in ("if-bound", "floating", "no-sync", "pflow",
                   "sloppy", "source-track", "rule", "global"):
            pass
        else:
            raise Bad('unknown state option "%s"' % w)
        opts.append(w)
    return opts


def parse_redirhost(t, ctx, af, rule):
    hosts = parse_hosts(t, ctx, af, rule)
    port = None
    if t.accept("port"):
        port = parse_port1(t)
    while t.word() in ("round-robin", "random", "source-hash",
                       "least-states", "bitmask", "static-port",
                       "sticky-address"):
        t.take()
    return hosts, port


def parse_filteropts(t, ctx, af, rule):
    while not t.done():
        w = t.take()
        if w in ("user", "group"):
            names = t.list_or_one(lambda t: t.take())
            for n in names:
                if w == "user" and not n.isdigit() and n not in ctx.users:
                    raise Bad('unknown user %s (it must exist when the '
                              'rules load)' % n)
            rule[w] = names
        elif w == "flags":
            v = t.take()
            if not re.fullmatch(r"[FSRPAUEW]*/[FSRPAUEW]+|any", v):
                raise Bad('bad flags "%s"' % v)
            rule["flags"] = True
        elif w in ("icmp-type", "icmp6-type"):
            rule["icmp"] = w
            rule["icmp_types"] = t.list_or_one(
                lambda t: parse_icmptype(t, w == "icmp6-type"))
        elif w in ("keep", "modulate", "synproxy"):
            t.take("state")
            rule["state"] = parse_state_opts(t)
            rule["keep"] = w
        elif w == "no":
            t.take("state")
            rule["state"] = None
        elif w in ("tag", "tagged", "label", "queue", "rtable",
                   "probability", "max-pkt-rate", "prio", "tos"):
            if w == "tagged" and t.word() == "!":
                t.take()
            t.take()
        elif w in ("allow-opts", "once"):
            pass
        elif w == "set":
            k = t.take()
            if k in ("prio", "queue", "tos", "delay"):
                t.list_or_one(lambda t: t.take())
            else:
                raise Bad('unknown "set %s"' % k)
        elif w == "received-on":
            t.accept("!")
            name = t.take()
            if name != "any":
                check_ifname(ctx, name)
            rule["received_on"] = name
        elif w in ("nat-to", "rdr-to", "binat-to", "divert-to", "route-to",
                   "reply-to", "dup-to", "af-to"):
            if w == "af-to":
                t.take()
                t.take("from")
            if w in ("route-to", "reply-to", "dup-to") and \
                    t.peek()[0] == "w" and re.fullmatch(r"[a-z]+\d+",
                                                        t.word()):
                check_ifname(ctx, t.take())
            else:
                rule.setdefault("redir", []).append(
                    (w, parse_redirhost(t, ctx, af, rule)))
        elif w == "divert-packet":
            t.take("port")
            t.take()
        elif w == "divert-reply":
            rule["divert_reply"] = True
        elif w == "scrub":
            parse_state_opts(t)
        elif w == "fragment" or w == "os":
            if w == "os":
                t.take()
        else:
            raise Bad('syntax error at "%s"' % w)


def rule_consistent(rule, af):
    """What parse.y's rule_consistent and friends refuse, per expansion."""
    protos = rule.get("protos") or [0]
    for p in protos:
        if p not in (6, 17) and rule.get("ports"):
            raise Bad("port only applies to tcp/udp")
        if p not in (6, 17) and (rule.get("user") or rule.get("group")):
            raise Bad("user/group only applies to tcp/udp")
        if p != 6 and rule.get("flags") and p != 0:
            raise Bad("flags only applies to tcp")
        if rule.get("icmp"):
            if p not in (1, 58):
                raise Bad("icmp-type/code only applies to icmp")
            if (p == 1) != (rule["icmp"] == "icmp-type"):
                raise Bad("%s does not go with proto %s" %
                          (rule["icmp"], "icmp" if p == 1 else "icmp6"))
        if p == 58 and af == 4:
            raise Bad("proto icmp6 doesn't match address family inet")
        if p == 1 and af == 6:
            raise Bad("proto icmp doesn't match address family inet6")
        if rule.get("keep") == "modulate" and p not in (0, 6):
            raise Bad("modulate state can only be applied to TCP rules")
    if rule.get("icmp") and not af:
        raise Bad("must indicate address family with icmp-type/code")
    if rule.get("icmp") == "icmp6-type":
        for v in rule["icmp_types"]:
            if v == "8":
                raise Bad("icmp6-type 8 is not echo request (128, echoreq)")
    if rule.get("dyn") and not af:
        raise Bad("dynamic address without an address family: "
                  "write inet or inet6")
    if len(rule.get("afs", ())) > 1 and not af:
        raise Bad("addresses of both families in one rule without inet/inet6")
    for w, (hosts, port) in rule.get("redir", []):
        if w == "divert-to" and port is None:
            raise Bad("divert-to needs a port")
        if w in ("nat-to", "rdr-to", "divert-to") and not af and \
                any(h[0] in ("addr", "dyn") for h in hosts):
            raise Bad("%s without an address family" % w)
        if w == "nat-to" and rule["dir"] == "in":
            raise Bad("nat-to can only be used outbound")
        if w in ("rdr-to", "divert-to") and rule["dir"] == "out":
            raise Bad("%s can only be used inbound" % w)
        if port is not None and rule.get("protos") and \
                any(p not in (6, 17) for p in rule["protos"]):
            raise Bad("%s port needs tcp or udp" % w)


def parse_rule(t, ctx, action):
    rule = {"action": action, "dir": None}
    if action == "block":
        t.accept("drop", "return", "return-rst", "return-icmp",
                 "return-icmp6")
    d = t.accept("in", "out")
    rule["dir"] = d
    if t.accept("log"):
        if t.accept("("):
            while not t.accept(")"):
                if t.done():
                    raise Bad("unterminated log options")
                t.take()
    rule["quick"] = t.accept("quick") is not None
    if t.accept("on"):
        t.accept("!")
        if t.word() == "rdomain":
            t.take()
            t.take()
        else:
            names = t.list_or_one(lambda t: t.take())
            for n in names:
                check_ifname(ctx, n)
            rule["on"] = names
    af = None
    a = t.accept("inet", "inet6")
    if a:
        af = 4 if a == "inet" else 6
    rule["af"] = af
    if t.accept("proto"):
        rule["protos"] = t.list_or_one(parse_proto)
    rule["ports"] = False
    if t.accept("all"):
        pass
    else:
        if t.accept("from"):
            if t.word() != "port":
                rule["src"] = parse_hosts(t, ctx, af, rule)
            if t.accept("port"):
                parse_ports(t)
                rule["ports"] = True
            if t.accept("os"):
                t.take()
        if t.accept("to"):
            if t.word() != "port":
                rule["dst"] = parse_hosts(t, ctx, af, rule)
            if t.accept("port"):
                parse_ports(t)
                rule["ports"] = True
    parse_filteropts(t, ctx, af, rule)
    rule_consistent(rule, af)
    return rule


def check_anchor_name(name, cmdline):
    parts = name.split("/")
    if any(p.startswith("_") for p in parts):
        if cmdline:
            raise Bad("anchor names beginning with '_' cannot be modified "
                      "from the command line (%s)" % name)
        raise Bad("anchor names beginning with '_' are reserved for "
                  "internal use (%s)" % name)
    if not name or any(p == "" for p in parts if p != "*"):
        raise Bad('bad anchor name "%s"' % name)


def parse_set(t, ctx):
    k = t.take()
    if k == "skip":
        t.take("on")
        for n in t.list_or_one(lambda t: t.take()):
            check_ifname(ctx, n)
    elif k == "block-policy":
        if t.take() not in ("drop", "return"):
            raise Bad("bad block-policy")
    elif k == "state-policy":
        if t.take() not in ("if-bound", "floating"):
            raise Bad("bad state-policy")
    elif k == "limit":
        def lim(t):
            what = t.take()
            if what not in ("states", "frags", "src-nodes", "tables",
                            "table-entries", "anchors", "pktdelay_pkts"):
                raise Bad('unknown limit "%s"' % what)
            if not t.take().isdigit():
                raise Bad("limit %s: not a number" % what)
        t.list_or_one(lim)
    elif k in ("loginterface", "optimization", "ruleset-optimization",
               "timeout", "debug", "hostid", "fingerprints", "reassemble",
               "syncookies", "state-defaults"):
        while not t.done():
            t.take()
    else:
        raise Bad('unknown option "set %s"' % k)


def parse_table(t, ctx):
    name = t.take()
    if name in ctx.tables:
        raise Bad("table <%s> defined twice" % name)
    ctx.tables.add(name)
    while t.accept("const", "persist", "counters"):
        pass
    if t.accept("{"):
        while not t.accept("}"):
            if t.done():
                raise Bad("unterminated table")
            if t.accept(","):
                continue
            t.accept("!")
            v = t.take()
            if addr_af(v) is None and v not in ("self",):
                raise Bad('bad table entry "%s"' % v)
    elif t.accept("file"):
        t.take()


def expand_macros(line, ctx):
    def sub(m):
        if m.group(1) not in ctx.macros:
            raise Bad("macro '%s' not defined" % m.group(1))
        return ctx.macros[m.group(1)]
    return re.sub(r"\$([A-Za-z_][A-Za-z0-9_]*)", sub, line)


def check_pf_line(line, ctx):
    m = re.fullmatch(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"([^"]*)"\s*'
                     r'(#.*)?', line)
    if m:
        if m.group(1) in ("pass", "block", "match", "anchor", "table",
                          "set"):
            raise Bad("macro name is a reserved word")
        ctx.macros[m.group(1)] = m.group(2)
        return
    line = expand_macros(line, ctx)
    t = Toks(tokenize(line))
    if t.done():
        return
    w = t.take()
    rule = None
    if w in ("pass", "block", "match"):
        rule = parse_rule(t, ctx, w)
    elif w == "anchor":
        kind, name = t.peek()
        if kind == "str" or (kind == "w" and t.word() not in
                             ("in", "out", "on", "inet", "inet6", "proto",
                              "from", "to", "all")):
            t.take()
            check_anchor_name(name, False)
        rule = parse_rule(t, ctx, "anchor") if not t.done() else None
        if rule and rule.get("quick"):
            pass
    elif w == "set":
        parse_set(t, ctx)
    elif w == "table":
        if t.peek()[0] != "table":
            raise Bad("table name must be <name>")
        parse_table(t, ctx)
    elif w == "include":
        t.take()
    elif w == "antispoof":
        pass
    else:
        raise Bad('syntax error at "%s"' % w)
    if not t.done():
        raise Bad('syntax error at "%s"' % t.word())
    if rule is not None:
        rule["text"] = " ".join(v for _, v in t.t)
    return rule


def kubsd_anchor_rule(rule):
    """What holds in a kubsd anchor beyond what pfctl accepts."""
    if rule["action"] == "block" and not rule["quick"]:
        raise Bad("a block that is not quick, in an anchor: any later "
                  "pass (the site's own) overrides it")
    ports = [n for n in rule.get("on", []) if
             re.fullmatch(r"(tap|vport)\d+", n)]
    if rule["action"] == "pass" and ports and rule.get("state", []) \
            is not None and "if-bound" not in rule.get("state", []):
        raise Bad("a pass on %s with a floating state: another client "
                  "could ride it (keep state (if-bound))" % ports[0])


# The pf.conf lines kubsd asks for, in this order, ahead of the site's.
PFCONF_NEED = (
    ("anchor", re.compile(r'anchor kubsd/\*$')),
    ("block", re.compile(r"block drop log quick on kubsd$")),
    ("block", re.compile(r"block drop log quick on egress received-on "
                         r"kubsd$")),
)


def check_pfconf_lines(rules, name, errs):
    i = 0
    for r in rules:
        if i < len(PFCONF_NEED) and PFCONF_NEED[i][1].match(r):
            i += 1
    if i < len(PFCONF_NEED):
        errs.append("%s: pf.conf lacks, in order: anchor \"kubsd/*\", "
                    "block drop log quick on kubsd, block drop log quick "
                    "on egress received-on kubsd" % name)


def logical_lines(text):
    """Lines with their first line numbers, backslash continuations joined."""
    buf, start = "", None
    for n, line in enumerate(text.split("\n"), 1):
        if start is None:
            start = n
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        yield start, buf + line
        buf, start = "", None


def check_pf(text, name, ctx, errs):
    if ctx.anchor is not None:
        try:
            check_anchor_name(ctx.anchor, True)
        except Bad as e:
            errs.append("%s: %s" % (name, e))
    seen = []
    for n, line in logical_lines(text):
        try:
            rule = check_pf_line(line, ctx)
            if line.strip().startswith("anchor"):
                seen.append(" ".join(w for _, w in tokenize(line)))
            if rule is not None:
                seen.append(rule["text"])
                if ctx.kubsd and ctx.anchor:
                    kubsd_anchor_rule(rule)
        except Bad as e:
            errs.append("%s:%d: %s" % (name, n, e))
    if ctx.kubsd and ctx.anchor is None:
        check_pfconf_lines(seen, name, errs)


# hostname.if(5) and ifconfig(8)

MAC = r"[0-9a-f]{2}(:[0-9a-f]{2}){5}"
PORT_CMDS = {"add", "del", "-learn", "learn", "-discover", "discover",
             "locked", "-locked", "blocknonip", "-blocknonip",
             "deladdr", "addspan", "delspan", "flushrule"}


def check_bridge_rule(args, ports, ctx):
    """rule block|pass in|out|in/out on PORT [src MAC] [dst MAC]
    [tag T] [arp|rarp [request|reply] [sha MAC] [spa IP] [tha MAC]
    [tpa IP]]."""
    it = iter(args)
    a = next(it, None)
    if a not in ("block", "pass"):
        raise Bad('rule: want block or pass, not "%s"' % a)
    if next(it, None) not in ("in", "out", "in/out"):
        raise Bad("rule: want in, out or in/out")
    if next(it, None) != "on":
        raise Bad('rule: want "on PORT"')
    port = next(it, None)
    if port not in ports:
        raise Bad('rule: %s is not a port of this bridge' % port)
    arp = False
    for w in it:
        if w in ("src", "dst", "sha", "tha"):
            v = next(it, "")
            if not re.fullmatch(MAC, v):
                raise Bad('rule: %s wants a MAC, not "%s"' % (w, v))
            if w in ("sha", "tha") and not arp:
                raise Bad("rule: %s only after arp" % w)
        elif w in ("spa", "tpa"):
            v = next(it, "")
            if addr_af(v) != 4 or "/" in v:
                raise Bad('rule: %s wants an IPv4 address, not "%s"' %
                          (w, v))
            if not arp:
                raise Bad("rule: %s only after arp" % w)
        elif w in ("arp", "rarp"):
            arp = True
        elif w in ("request", "reply") and arp:
            pass
        elif w == "tag":
            next(it, None)
        else:
            raise Bad('rule: syntax error at "%s"' % w)


def check_hostname_line(words, ifname, st, ctx):
    drv = re.fullmatch(r"([a-z]+)\d+", ifname).group(1)
    bridge = drv in ("veb", "bridge")
    it = iter(words)
    for w in it:
        if w in ("up", "down", "link0", "link1", "link2", "-link0",
                 "-link1", "-link2", "-inet6", "-inet", "debug", "-debug"):
            if w == "link1":
                st["link1"] = True
        elif w in ("description", "descr"):
            if next(it, None) is None:
                raise Bad("description wants a text")
        elif w in ("group", "-group"):
            g = next(it, "")
            if not g or g[-1].isdigit():
                raise Bad('group "%s": a group name cannot end in a digit'
                          % g)
            if w == "group":
                st["groups"].add(g)
        elif w in ("lladdr",):
            v = next(it, "")
            if v != "random" and not re.fullmatch(MAC, v):
                raise Bad('lladdr "%s": not a MAC' % v)
        elif w in ("mtu", "rdomain", "wgrtable", "wgport", "priority",
                   "llprio", "maxaddr", "timeout"):
            v = next(it, "")
            if not v.isdigit():
                raise Bad('%s wants a number, not "%s"' % (w, v))
            if w == "rdomain":
                st["rdomain"] = v
            if w == "wgrtable":
                st["wgrtable"] = v
        elif w in ("inet", "inet6", "alias", "-alias", "dhcp", "autoconf",
                   "-autoconf"):
            if bridge or drv == "tap":
                raise Bad("%s: %s has no layer 3 (veb takes its ports off "
                          "the host stack; addresses go on a vport)" %
                          (w, ifname))
            if w in ("inet", "inet6"):
                v = next(it, "")
                if addr_af(v) is None:
                    raise Bad('%s: bad address "%s"' % (w, v))
                st["addrs"].append(v)
                rest = list(it)
                if w == "inet" and rest and "/" not in v:
                    mask = rest.pop(0)
                    if not re.fullmatch(r"(\d+\.){3}\d+|0x[0-9a-f]{8}",
                                        mask):
                        raise Bad('inet: bad netmask "%s"' % mask)
                it = iter(rest)
        elif w in ("netmask", "prefixlen", "broadcast"):
            next(it, None)
        elif w in PORT_CMDS or w in ("static", "protected", "-protected"):
            if not bridge:
                raise Bad("%s: %s is not a bridge" % (w, ifname))
            port = next(it, "")
            m = re.fullmatch(r"([a-z]+)\d+", port)
            if not m or m.group(1) not in DRIVERS:
                raise Bad('%s: port "%s" is not driver+unit' % (w, port))
            if w == "add":
                if port in st["ports"]:
                    raise Bad("add: %s added twice" % port)
                st["ports"].add(port)
                continue
            if port not in st["ports"]:
                raise Bad("%s: %s is not a port of %s (add it first)" %
                          (w, port, ifname))
            if w == "static":
                v = next(it, "")
                if not re.fullmatch(MAC, v):
                    raise Bad('static %s: "%s" is not a MAC' % (port, v))
                st["static"].add(port)
            elif w == "protected":
                v = next(it, "")
                ids = v.split(",")
                if not all(i.isdigit() and 1 <= int(i) <= 31 for i in ids):
                    raise Bad('protected %s: ids "%s" are not numbers 1-31 '
                              '(protected PORT IDS)' % (port, v))
                st["protected"].add(port)
            else:
                st.setdefault(w, set()).add(port)
        elif w == "rule":
            if not bridge:
                raise Bad("rule: %s is not a bridge" % ifname)
            check_bridge_rule(list(it), st["ports"], ctx)
            st["rules"] = True
            return
        elif w == "wgkey":
            next(it, None)
        elif w in ("wgpeer", "wgendpoint", "wgaip", "wgpka", "wgpsk"):
            next(it, None)
            if w == "wgendpoint":
                next(it, None)
        else:
            raise Bad('ifconfig: unknown word "%s"' % w)


def check_hostname(text, name, ctx, errs, kubsd=False):
    base = name.rsplit("/", 1)[-1]
    m = re.fullmatch(r"hostname\.([a-z]+\d+)", base)
    if not m or m.group(1).rstrip("0123456789") not in DRIVERS:
        errs.append("%s: not hostname.DRIVERUNIT" % name)
        return
    ifname = m.group(1)
    st = {"ports": set(), "groups": set(), "addrs": [], "static": set(),
          "protected": set(), "link1": False}
    for n, line in logical_lines(text):
        s = line.strip()
        if not s or s.startswith("#") or s.startswith("!"):
            continue
        try:
            words = [w.strip('"') for w in
                     re.findall(r'"[^"]*"|\S+', s.split(" #")[0])]
            check_hostname_line(words, ifname, st, ctx)
        except Bad as e:
            errs.append("%s:%d: %s" % (name, n, e))
    if not kubsd:
        return
    where = "%s" % name
    if "kubsd" not in st["groups"]:
        errs.append("%s: %s is not in group kubsd" % (where, ifname))
    if ifname.startswith("veb"):
        if not st["link1"]:
            errs.append("%s: no link1: pf never sees the bridged traffic" %
                        where)
        for p in sorted(st["ports"]):
            if p.startswith("vport"):
                continue
            for need in ("-learn", "-discover", "locked", "blocknonip"):
                if p not in st.get(need, set()):
                    errs.append("%s: port %s lacks %s" % (where, p, need))
            if p not in st["static"]:
                errs.append("%s: port %s has no static MAC" % (where, p))


# vm.conf(5)

VM_MAX_DISKS, VM_MAX_NICS = 4, 4


def vm_tokens(text, name, errs):
    out = []
    for n, line in logical_lines(text):
        try:
            for kind, v in tokenize(line.replace(";", " ")):
                out.append((n, kind, v))
        except Bad as e:
            errs.append("%s:%d: %s" % (name, n, e))
    return out


def check_vmconf(text, name, ctx, errs, kubsd=False):
    toks = vm_tokens(text, name, errs)
    i = 0

    def err(n, msg):
        errs.append("%s:%d: %s" % (name, n, msg))

    def block(i):
        """Index of the matching }."""
        depth = 0
        for j in range(i, len(toks)):
            if toks[j][2] == "{" and toks[j][1] == "p":
                depth += 1
            elif toks[j][2] == "}" and toks[j][1] == "p":
                depth -= 1
                if depth == 0:
                    return j
        return len(toks)

    while i < len(toks):
        n, kind, w = toks[i]
        if w == "vm":
            vname = toks[i + 1][2] if i + 1 < len(toks) else ""
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*", vname):
                err(n, 'vm "%s": a name starts with a letter and holds '
                    'letters, digits, ".", "-" and "_"' % vname)
            if i + 2 >= len(toks) or toks[i + 2][2] != "{":
                err(n, 'vm "%s": want {' % vname)
                return
            end = block(i + 2)
            check_vm_body(toks[i + 3:end], vname, err, kubsd)
            i = end + 1
        elif w == "switch":
            end = block(i + 2)
            i = end + 1
        elif w in ("local", "socket", "agentx", "staggered"):
            while i < len(toks) and toks[i][0] == n:
                i += 1
        elif kind == "w" and i + 1 < len(toks) and toks[i + 1][2] == "=":
            i += 3
        else:
            err(n, 'syntax error at "%s"' % w)
            return


def check_vm_body(toks, vname, err, kubsd):
    disks = nics = 0
    j = 0
    seen_lladdr = set()
    while j < len(toks):
        n, kind, w = toks[j]
        j += 1
        if w in ("disable", "enable"):
            continue
        if w == "memory":
            v = toks[j][2] if j < len(toks) else ""
            j += 1
            if not re.fullmatch(r"\d+[KMGkmg]?", v):
                err(n, 'vm %s: memory "%s" is not a size' % (vname, v))
        elif w == "disk":
            disks += 1
            j += 1
            if j < len(toks) and toks[j][2] == "format":
                f = toks[j + 1][2] if j + 1 < len(toks) else ""
                if f not in ("qcow2", "raw"):
                    err(n, 'vm %s: disk format "%s"' % (vname, f))
                j += 2
            if disks > VM_MAX_DISKS:
                err(n, "vm %s: more than %d disks (vmd's limit)" %
                    (vname, VM_MAX_DISKS))
        elif w in ("boot", "cdrom", "owner"):
            if j < len(toks) and toks[j][2] == "device":
                j += 1
            j += 1
        elif w == "local":
            err(n, "vm %s: local interface gives the host an address and "
                "vmd's DHCP on the tap" % vname)
            j += 1
        elif w == "interface":
            nics += 1
            if nics > VM_MAX_NICS:
                err(n, "vm %s: more than %d interfaces (vmd's limit)" %
                    (vname, VM_MAX_NICS))
            tap = None
            if j < len(toks) and toks[j][2] != "{":
                tap = toks[j][2]
                j += 1
                if not re.fullmatch(r"tap\d+", tap):
                    err(n, 'vm %s: interface "%s" is not a tap unit' %
                        (vname, tap))
            elif kubsd:
                err(n, "vm %s: interface without its tap unit" % vname)
            locked = False
            if j < len(toks) and toks[j][2] == "{":
                k = j + 1
                while k < len(toks) and toks[k][2] != "}":
                    o = toks[k][2]
                    if o == "locked":
                        locked = True
                        k += 1
                        continue
                    if o == "lladdr":
                        v = toks[k + 1][2] if k + 1 < len(toks) else ""
                        if not re.fullmatch(MAC, v):
                            err(toks[k][0], 'vm %s: lladdr "%s"' % (vname, v))
                        if v in seen_lladdr:
                            err(toks[k][0], "vm %s: lladdr %s twice" %
                                (vname, v))
                        seen_lladdr.add(v)
                        k += 2
                        continue
                    if o in ("group", "switch", "rdomain"):
                        v = toks[k + 1][2] if k + 1 < len(toks) else ""
                        if o == "group" and (not v or v[-1].isdigit()):
                            err(toks[k][0], 'vm %s: group "%s" ends in a '
                                'digit' % (vname, v))
                        k += 2
                        continue
                    if o in ("up", "down"):
                        k += 1
                        continue
                    err(toks[k][0], 'vm %s: interface option "%s"' %
                        (vname, o))
                    k += 1
                j = k + 1
            if kubsd and not locked:
                err(n, "vm %s: interface without locked lladdr" % vname)
        else:
            err(n, 'vm %s: syntax error at "%s"' % (vname, w))
            return


# kubsd-netd -t openbsd: sections "==> WHAT <==".

def split_plan(text):
    sect, cur, first = [], None, 0
    for n, line in enumerate(text.split("\n"), 1):
        m = re.fullmatch(r"==> (.*) <==", line)
        if m:
            if cur is not None:
                sect.append((cur, first, "\n".join(body)))
            cur, first, body = m.group(1), n, []
        elif cur is not None:
            body.append(line)
    if cur is not None:
        sect.append((cur, first, "\n".join(body)))
    return sect


def kctx(users, anchor):
    ctx = Ctx(users, ("kubsd",), anchor)
    ctx.kubsd = True
    return ctx


def uplink_anchor(body, where, errs):
    """An uplink's anchor NATs only what its vport received, and ends
    with its own block of that vport (no fall-through to the site's
    rules)."""
    vports = set(re.findall(r"^pass in quick on (vport\d+)", body, re.M))
    for n, line in logical_lines(body):
        if "nat-to" in line and "received-on vport" not in line:
            errs.append("%s:%d: nat-to for traffic not received on the "
                        "uplink's vport" % (where, n))
    rules = [l for _, l in logical_lines(body)
             if l.strip() and not l.lstrip().startswith("#")]
    for vp in sorted(vports):
        if not any(re.match(r"block drop( log)? quick on %s(\s|$)" % vp, l)
                   for l in rules[-2:]):
            errs.append("%s: the uplink's anchor does not end with its "
                        "own block on %s" % (where, vp))


def anchor_limit(text, name, nanchors, errs):
    m = re.search(r"^set limit anchors (\d+)", text, re.M)
    lim = int(m.group(1)) if m else 512
    if nanchors > lim - 12:
        errs.append("%s: %d anchors and pf's limit is %d: set limit "
                    "anchors" % (name, nanchors, lim))


def check_plan(text, name, users, errs):
    sections = split_plan(text)
    if not sections:
        errs.append("%s: no sections" % name)
    kinds = set()
    nanchors = 0
    pfconf = ""
    for what, first, body in sections:
        where = "%s:%d(%s)" % (name, first, what)
        sub = []
        m = re.fullmatch(r"pf anchor (\S+)", what)
        if m:
            kinds.add("anchor")
            nanchors += 1
            check_pf(body, where, kctx(users, m.group(1)), sub)
            uplink_anchor(body, where, sub)
        elif what == "/etc/pf.conf (add)":
            kinds.add("pf.conf")
            pfconf = body
            check_pf(body, where, kctx(users, None), sub)
        elif re.fullmatch(r"/etc/hostname\.\w+", what):
            kinds.add("hostname")
            check_hostname(body, what, Ctx(users), sub, kubsd=True)
            sub = ["%s: %s" % (where, e) for e in sub]
        elif what == "/etc/vm.conf":
            kinds.add("vm.conf")
            check_vmconf(body, where, Ctx(users), sub, kubsd=True)
        errs.extend(sub)
    anchor_limit(pfconf, name, nanchors, errs)
    for k in ("pf.conf", "hostname", "anchor", "vm.conf"):
        if k not in kinds:
            errs.append("%s: the plan has no %s section" % (name, k))
    return kinds


def main(argv):
    if len(argv) < 2:
        print(__doc__ or "usage: pfcheck.py pf|hostname|vmconf|plan|corpus",
              file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    users, groups, anchor, files = [], [], None, []
    it = iter(args)
    for a in it:
        if a == "-u":
            users.append(next(it))
        elif a == "-g":
            groups.append(next(it))
        elif a == "-a":
            anchor = next(it)
        else:
            files.append(a)
    if cmd == "corpus":
        return corpus(files[0], files[1], users, groups)
    errs = []
    for f in files:
        text = open(f).read()
        if cmd == "pf":
            check_pf(text, f, Ctx(users, groups, anchor), errs)
        elif cmd == "hostname":
            check_hostname(text, f, Ctx(users, groups), errs, kubsd=True)
        elif cmd == "vmconf":
            check_vmconf(text, f, Ctx(users, groups), errs, kubsd=True)
        elif cmd == "plan":
            check_plan(text, f, users, errs)
        else:
            print("pfcheck.py: unknown command %s" % cmd, file=sys.stderr)
            return 2
    for e in errs:
        print(e)
    return 1 if errs else 0


def corpus(kind, path, users, groups):
    """Each case (one line, or lines up to a blank line for hostname and
    vmconf, "name: " giving hostname's file name) must be refused."""
    text = open(path).read()
    cases, buf, start = [], [], 0
    for n, line in enumerate(text.split("\n"), 1):
        if kind == "pf":
            if line.strip() and not line.startswith("#"):
                cases.append((n, line))
            continue
        if not line.strip():
            if buf:
                cases.append((start, "\n".join(buf)))
            buf = []
        elif not line.startswith("#"):
            if not buf:
                start = n
            buf.append(line)
    if buf:
        cases.append((start, "\n".join(buf)))
    if kind == "plan":
        cases, start, buf = [], 1, []
        for n, line in enumerate(text.split("\n"), 1):
            if line == "%%":
                cases.append((start, "\n".join(buf)))
                start, buf = n + 1, []
            else:
                buf.append(line)
        if any(l.strip() for l in buf):
            cases.append((start, "\n".join(buf)))
    failed = 0
    for n, case in cases:
        errs = []
        if kind == "pf":
            m = re.match(r"-a (\S+) (.*)", case)
            anchor, body = (m.group(1), m.group(2)) if m else (None, case)
            check_pf(body, "case", Ctx(users, ("kubsd",), anchor), errs)
        elif kind == "hostname":
            fname, _, body = case.partition("\n")
            check_hostname(body, fname.rstrip(":"), Ctx(users), errs,
                           kubsd=True)
        elif kind == "plan":
            check_plan(case, "case", users, errs)
        else:
            check_vmconf(case, "case", Ctx(users), errs, kubsd=True)
        if errs:
            print("ok %s:%d: %s" % (path, n, errs[0]))
        else:
            print("FAIL %s:%d: accepted: %s" % (path, n,
                                                case.split("\n")[0]))
            failed += 1
    print("%d cases, %d accepted" % (len(cases), failed))
    return 1 if failed or not cases else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
