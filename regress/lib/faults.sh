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
# regress/lib/faults.sh: a continuous probe stream, an uplink capture
# and a record of the gates, for the fault tests of gateway VMs
# (regress/net/gwvm.sh).  Sourced after sandbox.sh and vmtest.sh; POSIX
# sh.  The caller sets FT_PAIRS, "GATEWAY:CLIENT:CLEAR ..." (CLEAR 1: the
# chain is a sys-net one, whose NATed probes may leave the uplink while
# its gateway is ready; 0: its probes never leave but encrypted), and
# NET, KPROBE, KCAP, SOCK, H, T.
#
#   ft_start     the stream (each client: UDP, ICMP, DNS and TCP to a port
#                of its own on 192.0.2.2, tagged CLIENT-KIND-N), the
#                capture on H's eth0 ($T/upcap.json, kcap -j) and the
#                gate monitor ($T/gates: "TIME GW READY ELEMENT" every
#                0.3 s or so: READY 1, 0, or - when netd does not answer;
#                ELEMENT 1 or 0, whether the client's port has its set
#                element)
#   ft_stop      all three ended, waited for
#   ft_verdict   every probe packet on the uplink judged: a line per
#                leak on stdout (none: 0), counts on stderr
#                and nft monitor in H, each line timestamped ($T/nftmon)
#   ft_elem CLIENT   0 when CLIENT's port has no set element
#   ft_blocked CLIENT T0 SECONDS
#                CLIENT's set element was deleted within SECONDS after
#                time T0 (date +%s.%N): how long after, on stdout

ft_port() {	# CLIENT: its TCP probe port, 9001...
	_i=9000
	for _p in $FT_PAIRS; do
		_i=$((_i + 1))
		[ "${_p#*:}" = "$1:${_p##*:}" ] && { echo $_i; return; }
	done
}

ft_stream() {
	_n=0
	while [ ! -f "$T/ft.stop" ]; do
		_n=$((_n + 1))
		for _p in $FT_PAIRS; do
			_c=${_p#*:}; _c=${_c%%:*}
			for _k in udp:9 icmp dns:53 "tcp:$(ft_port "$_c")"; do
				# shellcheck disable=SC2046
				inns "kubsd-$_c" "$KPROBE" "${_k%%:*}" 192.0.2.2 \
				    $( [ "${_k#*:}" != "$_k" ] && echo "${_k#*:}") \
				    -t "$_c-${_k%%:*}$_n" -w 150
			done
		done >/dev/null 2>&1
		sleep 0.2
	done
}

ft_monitor() {
	python3 - "$NET" "$SOCK" "$H" "$T/ft.stop" $FT_PAIRS >>"$T/gates" <<'PY'
import json, os, subprocess, sys, time
net, sock, h, stop = sys.argv[1:5]
pairs = [p.split(":") for p in sys.argv[5:]]
while not os.path.exists(stop):
    try:
        st = subprocess.run([net, "-s", sock, "status", "-j"], timeout=5,
            capture_output=True, text=True)
        nodes = {n["name"]: n for n in json.loads(st.stdout)["nodes"]}
    except Exception:
        nodes = None
    el = subprocess.run(["nsenter", "--net=/var/run/netns/" + h, "nft",
        "list", "set", "bridge", "kubsd", "vmport_ip4"],
        capture_output=True, text=True).stdout
    t = time.time()	# the elements were so at t at the latest
    for gw, cl, clear in pairs:
        r = "-" if nodes is None or gw not in nodes else \
            ("1" if nodes[gw].get("ready") else "0")
        e = "1" if '"kp-%s"' % cl in el else "0"
        print("%.3f %s %s %s" % (t, gw, r, e), flush=True)
    time.sleep(0.3)
PY
}

ft_nftmon() {
	python3 - "$H" "$T/ft.nft.pid" >>"$T/nftmon" <<'PY'
import subprocess, sys, time
p = subprocess.Popen(["nsenter", "--net=/var/run/netns/" + sys.argv[1],
    "nft", "monitor"], stdout=subprocess.PIPE, text=True)
open(sys.argv[2], "w").write("%d\n" % p.pid)
for line in p.stdout:
    print("%.3f %s" % (time.time(), line.rstrip()), flush=True)
PY
}

ft_blocked() {	# CLIENT T0 SECONDS
	python3 - "$T/nftmon" "$1" "$2" "$3" <<'PY'
import sys, time
mon, cl, t0, secs = sys.argv[1:]
t0, secs = float(t0), float(secs)
deleted = None
end = time.time() + secs + 30
while time.time() < end and deleted is None:
    for line in open(mon):
        t, _, rest = line.partition(" ")
        if float(t) >= t0 and rest.startswith("delete element") and \
                '"kp-%s"' % cl in rest:
            deleted = float(t)
            break
    time.sleep(0.1)
if deleted is None:
    print("# no deletion of kp-%s's element" % cl)
    sys.exit(1)
print("# kp-%s's element deleted %.2f s after" % (cl, deleted - t0))
sys.exit(0 if deleted - t0 <= secs else 1)
PY
}

ft_start() {
	rm -f "$T/ft.stop" "$T/ft.kcap.pid"
	: >"$T/gates"
	inh "$KCAP" -j -i eth0 -p "$T/ft.kcap.pid" -o "$T/upcap.json" \
	    2>>"$T/kcap.err" 9>&- &
	FT_CAP=$!
	_i=0; while [ ! -s "$T/ft.kcap.pid" ] && [ $_i -lt 50 ]; do
		sleep 0.1; _i=$((_i + 1)); done
	ft_stream 9>&- &
	FT_STREAM=$!
	ft_monitor 9>&- &
	FT_MON=$!
	rm -f "$T/ft.nft.pid"
	ft_nftmon 9>&- &
	FT_NFT=$!
	_i=0; while [ ! -s "$T/ft.nft.pid" ] && [ $_i -lt 50 ]; do
		sleep 0.1; _i=$((_i + 1)); done
}

ft_stop() {
	: >"$T/ft.stop"
	wait "$FT_STREAM" "$FT_MON" 2>/dev/null
	sleep 0.5
	kill "$(cat "$T/ft.kcap.pid" 2>/dev/null)" \
	    "$(cat "$T/ft.nft.pid" 2>/dev/null)" 2>/dev/null
	wait "$FT_CAP" "$FT_NFT" 2>/dev/null
	FT_STREAM= FT_MON= FT_CAP= FT_NFT=
}

# For VM_CLEANUP_MORE: what is still running of it.
ft_cleanup() {
	[ -d "${T:-/nonexistent}" ] && : >"$T/ft.stop"
	for _p in ${FT_STREAM:-} ${FT_MON:-}; do kill "$_p" 2>/dev/null; done
	[ -n "${FT_CAP:-}" ] && kill "$(cat "$T/ft.kcap.pid" 2>/dev/null)" \
	    2>/dev/null
	[ -n "${FT_NFT:-}" ] && kill "$(cat "$T/ft.nft.pid" 2>/dev/null)" \
	    2>/dev/null
	:
}

ft_elem() {
	inh nft list set bridge kubsd vmport_ip4 2>/dev/null | grep -c "\"kp-$1\""
}

# A probe packet (its tag, or a TCP port of the stream's) is a leak if its
# chain is not a clear one, or if it is but its client's port had no set
# element then: seen between two samples, 1.5 s apart at most, that said
# so (0.2 s after the first: what had passed the port before may still
# be on its way).
ft_verdict() {
	python3 - "$T/upcap.json" "$T/gates" $FT_PAIRS <<'PY'
import json, sys
cap, gates = sys.argv[1:3]
pairs = [p.split(":") for p in sys.argv[3:]]
port = {cl: 9001 + i for i, (gw, cl, c) in enumerate(pairs)}
chain = {cl: (gw, c == "1") for gw, cl, c in pairs}
samples = {}
for line in open(gates):
    t, gw, r, e = line.split()
    samples.setdefault(gw, []).append((float(t), e))
def unready(gw, ts):
    s = samples.get(gw, [])
    for (a, ea), (b, eb) in zip(s, s[1:]):
        if a + 0.2 <= ts <= b and ea == eb == "0" and b - a <= 1.5:
            return True
    return False
leaks = seen = clear_ok = 0
forms = {"wg": 0, "tor": 0}
for line in open(cap):
    try:
        p = json.loads(line)
    except ValueError:
        continue
    tag = p.get("tag", "")[len("KTAG-"):]
    who = None
    if tag:
        who = tag.split("-")[0]
    elif p.get("proto") == "tcp":
        for cl, n in port.items():
            if n in (p.get("dport"), p.get("sport")):
                who = cl
    if p.get("proto") == "udp" and 51820 in (p.get("dport"), p.get("sport")):
        forms["wg"] += 1
    if p.get("proto") == "tcp" and (p.get("dst", "") + p.get("src", "")).count("198.18.0."):
        forms["tor"] += 1
    if who not in chain:
        continue
    seen += 1
    gw, clear = chain[who]
    if not clear:
        print("LEAK %.3f %s's probe in the clear: %s" % (p["ts"], who, line.strip()))
        leaks += 1
    elif unready(gw, p["ts"]):
        print("LEAK %.3f %s's probe while %s was not ready: %s" % (p["ts"], who, gw, line.strip()))
        leaks += 1
    else:
        clear_ok += 1
print("# %d probe packets on the uplink, %d of clear chains while ready; "
    "%d wireguard packets, %d tor packets" % (seen, clear_ok, forms["wg"],
    forms["tor"]), file=sys.stderr)
PY
}
