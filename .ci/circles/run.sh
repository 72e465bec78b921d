#!/usr/bin/env bash
# run.sh - a circle with three copies of MSNPSharp 3.2.1 (MSNP18, as WLM 2009) against an MSNP
# server on loopback, one ok/FAIL line per step. The set-up is the shared MSNPSharp harness's
# (../shared/clients/harness/msnpsharp: its front.py serves the Windows Live host names over
# HTTPS, its tcp_pipe.py the Notification Server's, in a private hosts file); the driver is ours
# (CircleDriver.cs), using MSNPSharp's circle API unchanged.
#
# Scenario: bob and carol sign in; alice signs in, creates "Team", invites bob and carol; they
# accept; all three see each other online in it; a message from each reaches the two others;
# carol leaves and is gone from the others' view; alice (its admin) leaves, which deletes it, and
# bob sees it gone.
#
# Usage: run.sh NS_HOST:NS_PORT HTTP_HOST:HTTP_PORT ALICE BOB CAROL PASSWORD
# Environment: MSNPSHARP_DLL (required), MSNPSHARP_HARNESS (default ../shared/clients/harness/
# msnpsharp beside the checkout), MONO, MCS, PROXY_ADDR (default 127.0.45.10), STEP_TIMEOUT (20),
# KEEP_LOGS=1. Needs root (unshare -m and a bind mount of the hosts file, as the shared harness).
set -u

here=$(cd "$(dirname "$0")" && pwd)
harness=${MSNPSHARP_HARNESS:-$here/../../../shared/clients/harness/msnpsharp}
T=${STEP_TIMEOUT:-20}
PROXY_ADDR=${PROXY_ADDR:-127.0.45.10}
MONO=${MONO:-mono}
MCS=${MCS:-mcs}
passed=0 failed=0 pids=()

say_fail() { echo "FAIL $*"; failed=$((failed + 1)); }
say_ok() { echo "ok $*"; passed=$((passed + 1)); }
setup_fail() { say_fail "setup: $*"; echo "$passed passed, $failed failed"; exit 2; }

cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	pids=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ $# -eq 6 ] || { sed -n '2,/^set -u/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 2; }
NS=$1 UPSTREAM=$2 ALICE=$3 BOB=$4 CAROL=$5 PASS=$6
[ -n "${MSNPSHARP_DLL:-}" ] && [ -f "$MSNPSHARP_DLL" ] || setup_fail "set MSNPSHARP_DLL to the MSNPSharp.dll built from the 3.2.1 tag"
[ -f "$harness/front.py" ] && [ -f "$harness/tcp_pipe.py" ] || setup_fail "no MSNPSharp harness at $harness"
[ "$(id -u)" = 0 ] || setup_fail "needs root (unshare -m, mount --bind)"

run=$(mktemp -d -t msnpsharp-circles.XXXXXX)
cp "$MSNPSHARP_DLL" "$run/"
"$MCS" -nologo -out:"$run/circles.exe" -r:"$run/MSNPSharp.dll" -r:System.Web.Services "$here/CircleDriver.cs" \
	>"$run/mcs.log" 2>&1 || setup_fail "the driver does not compile: $(grep -m1 error "$run/mcs.log")"

names="messenger.hotmail.com login.live.com msnia.login.live.com contacts.msn.com omega.contacts.msn.com byrdr.omega.contacts.msn.com local-bay.contacts.msn.com storage.msn.com tkrdr.storage.msn.com blufiles.storage.msn.com rsi.hotmail.com ows.messenger.msn.com sup.live.com"
printf '127.0.0.1 localhost\n%s %s\n' "$PROXY_ADDR" "$names" >"$run/hosts"
san=$(for name in $names; do printf 'DNS:%s,' "$name"; done)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=login.live.com" -addext "subjectAltName=${san%,}" \
	-keyout "$run/tls.key" -out "$run/tls.crt" >"$run/openssl.log" 2>&1 || setup_fail "openssl could not make a certificate"
setsid python3 "$harness/front.py" http "$PROXY_ADDR" "$UPSTREAM" "$run/tls.crt" "$run/tls.key" \
	>"$run/proxy.log" 2>&1 </dev/null &
pids+=($!)
setsid python3 "$harness/tcp_pipe.py" "$PROXY_ADDR:1863" "$NS" >"$run/pipe.log" 2>&1 </dev/null &
pids+=($!)
for f in proxy pipe; do
	for _ in $(seq 50); do grep -q ' ready' "$run/$f.log" 2>/dev/null && break; sleep 0.1; done
	grep -q ready "$run/$f.log" || setup_fail "$f did not start: $(tail -2 "$run/$f.log")"
done
# MSNPSharp 3.2.1 loses a race of its own following XFR on loopback: each is given the
# Notification Server the dispatch port names for it, as the shared harness does (in a
# cluster, dispatch spreads the three over the nodes).
where=()
start_driver() { # NAME USER STEP...
	local name=$1 user=$2 ns_for_driver
	shift 2
	ns_for_driver=$(python3 "$harness/front.py" ns-addr "$NS" "$user" 2>"$run/ns-addr-$name.log") ||
		setup_fail "the dispatch port gave no XFR NS: $(cat "$run/ns-addr-$name.log")"
	where+=("$name@$ns_for_driver")
	setsid unshare -m sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$run/hosts" \
		env MSNPSHARP_NS="$ns_for_driver" HOME="$run/home-$name" \
		"$MONO" --debug "$run/circles.exe" "$user" "$PASS" "$@" \
		>"$run/$name.out" 2>"$run/$name.log" </dev/null &
	pids+=($!)
	eval "${name}_pid=$!"
}

wait_step() { # NAME STEP: until NAME has reported STEP (or stopped)
	local pid=${1}_pid
	for _ in $(seq $((T * 10 + 50))); do
		grep -q "^STEP $2 " "$run/$1.out" 2>/dev/null && return
		kill -0 "${!pid}" 2>/dev/null || return
		sleep 0.1
	done
}

wait_drivers() {
	local deadline=$((SECONDS + 12 * T + 30)) name pid left
	while [ $SECONDS -lt $deadline ]; do
		left=0
		for name in "$@"; do
			pid=${name}_pid
			kill -0 "${!pid}" 2>/dev/null && left=1
		done
		[ $left = 0 ] && return
		sleep 0.2
	done
}

t_start=$EPOCHREALTIME
C=Team
A="alice to the circle $$" B="bob to the circle $$" K="carol to the circle $$"
start_driver bob "$BOB" login "$T" accept "$C" "$T" together "$C" "$ALICE" "$T" together "$C" "$CAROL" "$T" \
	hear "$C" "$ALICE" "$A" "$T" say "$C" "$B" 0 hear "$C" "$CAROL" "$K" "$T" gone "$C" "$CAROL" "$T" \
	deleted "$C" "$T" logout 5
start_driver carol "$CAROL" login "$T" accept "$C" "$T" together "$C" "$ALICE" "$T" together "$C" "$BOB" "$T" \
	hear "$C" "$ALICE" "$A" "$T" hear "$C" "$BOB" "$B" "$T" say "$C" "$K" 0 leave "$C" "$T" logout 5
wait_step bob 1
wait_step carol 1
start_driver alice "$ALICE" login "$T" create "$C" "$T" invite "$C" "$BOB" "$T" invite "$C" "$CAROL" "$T" \
	together "$C" "$BOB" "$T" together "$C" "$CAROL" "$T" say "$C" "$A" 0 hear "$C" "$BOB" "$B" "$T" \
	hear "$C" "$CAROL" "$K" "$T" gone "$C" "$CAROL" "$T" leave "$C" "$T" logout 5
wait_drivers alice bob carol
cleanup
t_total=$(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $t_start }")

result() { # DRIVER STEP_NO LABEL
	local line
	line=$(grep -m1 "^STEP $2 " "$run/$1.out" 2>/dev/null)
	case $line in
	*" ok "*) say_ok "$3 (${line#* ok })" ;;
	*" FAIL "*) say_fail "$3: ${line#* FAIL }" ;;
	*) say_fail "$3: not reached ($1 stopped earlier: $(grep -v '^ *$' "$run/$1.log" | grep -v '^ *at ' | tail -1 | cut -c1-160))" ;;
	esac
}
echo "# MSNPSharp $(basename "$MSNPSHARP_DLL") (MSNP18) circles: ${where[*]} (from dispatch $NS), HTTP $UPSTREAM"
result bob 1 "bob signs in"
result carol 1 "carol signs in"
result alice 1 "alice signs in"
result alice 2 "alice creates the circle (CreateCircle)"
result alice 3 "alice invites bob (CreateContact, ManageWLConnection)"
result alice 4 "alice invites carol"
result bob 2 "bob accepts (ManageWLConnection)"
result carol 2 "carol accepts"
result alice 5 "alice sees bob online in the circle"
result alice 6 "alice sees carol online in the circle"
result bob 3 "bob sees alice online in the circle"
result bob 4 "bob sees carol online in the circle"
result carol 3 "carol sees alice online in the circle"
result carol 4 "carol sees bob online in the circle"
result alice 7 "alice writes to the circle (SDG)"
result bob 5 "bob gets alice's message"
result carol 5 "carol gets alice's message"
result bob 6 "bob writes to the circle"
result alice 8 "alice gets bob's message"
result carol 6 "carol gets bob's message"
result carol 7 "carol writes to the circle"
result alice 9 "alice gets carol's message"
result bob 7 "bob gets carol's message"
result carol 8 "carol leaves the circle (BreakConnection)"
result alice 10 "alice sees carol gone"
result bob 8 "bob sees carol gone"
result alice 11 "alice, its admin, leaves: the circle is deleted"
result bob 9 "bob sees the circle gone"
result alice 12 "alice signs out"
result bob 10 "bob signs out"
result carol 9 "carol signs out"
echo "# took ${t_total}s; logs: $run ({alice,bob,carol}.out = steps, .log = MSNPSharp's trace, proxy.log)"
if [ "$failed" = 0 ] && [ "${KEEP_LOGS:-0}" != 1 ]; then
	rm -rf "$run"
	echo "# (logs removed: all passed; KEEP_LOGS=1 keeps them)"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
