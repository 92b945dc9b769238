#!/usr/bin/env bash
# deploy/ssh/workers.sh against real sshds: two hosts in their own network namespaces (veth pairs
# on a bridge; own hostname and own /root, so each has its own ~/.urnn-worker.pid and log), each
# running Debian's sshd with throwaway host and client keys, plus a third address where no host
# answers. The coordinator runs on the bridge address with CURVE and a whitelist. Checked:
#   bad usage and a missing worker binary are reported; start (the down host reported
#   unreachable, the others started, exit 1); start again finds them running; status; host 1's
#   link cut mid-sweep: status reports it unreachable, the coordinator declares it dead and the
#   jobs it held are finished by host 2; every job stored once; stop hands back and ends host 2's
#   worker while host 1 is reported unreachable; the link restored, host 1's worker is still
#   there and stop ends it; status then says stopped everywhere; logs shows each host's log.
#
# Run as root (installs openssh-server and openssh-client with apt-get when sshd is missing):
#
#   deploy/ssh/test/two-hosts.sh
#
# URNN_BIN_DIR: the folder with urnn-coordinator and urnn-worker (default: .build/release).
# Addresses are in 10.79.<n>.0/24 on a bridge this script creates, inside this machine only;
# everything it starts is killed by pid and the namespaces and bridge are removed on exit.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
bin="${URNN_BIN_DIR:-$root/.build/release}"
workers_sh="$root/deploy/ssh/workers.sh"
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root (network namespaces, sshd)"; exit 77; }
[ -x "$bin/urnn-coordinator" ] && [ -x "$bin/urnn-worker" ] || { echo "FAIL: no binaries in $bin (set URNN_BIN_DIR)"; exit 1; }
if ! [ -x /usr/sbin/sshd ] || ! command -v ssh >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssh-server openssh-client >/dev/null
fi

tag=$$
net=$(( tag % 200 + 20 ))
br="urnsb$tag"; sub="10.79.$net"
work=$(mktemp -d)
pids=()
made_run_sshd=no
ns_of() { echo "urnsh$1-$tag"; }
veth_of() { echo "urnsv$1$tag"; }
cleanup() {
    set +e
    for i in 1 2; do   # everything still running inside our two hosts (sshd, workers, sessions)
        for p in $(ip netns pids "$(ns_of $i)" 2>/dev/null); do pids+=("$p"); done
    done
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do
        for _ in $(seq 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    for i in 1 2; do ip netns del "$(ns_of $i)" 2>/dev/null; done
    ip link del "$br" 2>/dev/null
    [ "$made_run_sshd" = yes ] && rmdir /run/sshd 2>/dev/null
    [ -n "${URNN_KEEP_TMP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
wait_for() { # seconds, command...
    local n=$(( $1 * 10 )); shift
    for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
    return 1
}
t0=$SECONDS
elapsed() { echo "$((SECONDS - t0)) s"; }

# --- the hosts
ip link add "$br" type bridge
ip addr add "$sub.1/24" dev "$br"
ip link set "$br" up
[ -d /run/sshd ] || { mkdir -m 755 /run/sshd; made_run_sshd=yes; }   # sshd's privilege separation dir
ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$work/client_key"
cp "$work/client_key.pub" "$work/authorized_keys"
mkdir -m 755 "$work/bin"; cp "$bin/urnn-coordinator" "$bin/urnn-worker" "$work/bin/"
for i in 1 2; do
    ns=$(ns_of $i); v=$(veth_of $i); h="$work/h$i"
    mkdir -p "$h/home"
    ip netns add "$ns"
    ip link add "$v" type veth peer name eth0 netns "$ns"
    ip link set "$v" master "$br" up
    ip -n "$ns" addr add "$sub.$((10 + i))/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    cat > "$h/sshd_config" <<CONF
ListenAddress $sub.$((10 + i))
HostKey $work/host_key
PidFile none
AuthorizedKeysFile $work/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
LogLevel ERROR
CONF
    # The host: its own network, hostname (the worker's default id and the results' host) and /root.
    nsenter --net="/run/netns/$ns" unshare --mount --uts sh -c 'hostname "$1"; mount --bind "$2" /root; exec /usr/sbin/sshd -D -e -f "$3"' \
        sh "urnn-h$i" "$h/home" "$h/sshd_config" > "$h/sshd.log" 2>&1 &
    pids+=("$!")
    echo "$sub.$((10 + i)) $(cut -d' ' -f1-2 "$work/host_key.pub")" >> "$work/known_hosts"
done
cat > "$work/ssh_config" <<CONF
Host *
  User root
  IdentityFile $work/client_key
  IdentitiesOnly yes
  UserKnownHostsFile $work/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  LogLevel ERROR
CONF
cat > "$work/hosts.txt" <<HOSTS
# two hosts and one address where no host answers
root@$sub.11
$sub.12
$sub.13   # down
HOSTS
export URNN_SSH_OPTS="-F $work/ssh_config" URNN_SSH_TIMEOUT=3 URNN_WORKER="$work/bin/urnn-worker"
wsh() { "$workers_sh" "$@"; }
for i in 1 2; do
    wait_for 10 bash -c "ssh $URNN_SSH_OPTS -n -o BatchMode=yes $sub.$((10 + i)) true 2>/dev/null" \
        || { fail "sshd on host $i did not answer"; cat "$work/h$i/sshd.log"; exit 1; }
done
pass "two netns hosts with a real sshd each (key login only) after $(elapsed)"

# --- bad input
set +e
out=$(wsh start "$work/no-such-file" tcp://x:1 2>&1); rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "cannot read hosts file" <<<"$out" && pass "a missing hosts file: exit 2, '$out'" || fail "missing hosts file: rc $rc, $out"
echo "$sub.12" > "$work/host2.txt"
set +e
out=$(URNN_WORKER=/nonexistent/urnn-worker wsh start "$work/host2.txt" "tcp://$sub.1:1" 2>&1); rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "failed" <<<"$out" && pass "a missing worker binary is reported: $(tr '\t' ' ' <<<"$out" | cut -c1-110)" \
    || fail "missing worker binary: rc $rc, $out"

# --- the coordinator, on the bridge address, CURVE with a whitelist
"$bin/urnn-coordinator" keygen --out "$work/coord" >/dev/null
"$bin/urnn-coordinator" keygen --out "$work/worker" >/dev/null
cp "$work/worker.pub" "$work/allowed.txt"
port=$((20000 + RANDOM % 20000))
endpoint="tcp://$sub.1:$port"
jobs=120
cat > "$work/sweep.yaml" <<YAML
name: ssh-test
kind: noop
grid:
  token: 0..$((jobs - 1))
fixed:
  sleep_ms: 800
YAML
"$bin/urnn-coordinator" run "$work/sweep.yaml" --store "$work/s.sqlite" --report "$work/report" --bind "$endpoint" \
    --curve-secret-file "$work/coord.key" --curve-allowed-clients "$work/allowed.txt" \
    --heartbeat-ms 200 --liveness 3 --stay > "$work/coordinator.out" 2> "$work/coordinator.err" &
coord=$!; pids+=("$coord")

# --- start: host 3 is down
set +e
wsh start "$work/hosts.txt" "$endpoint" --slots 2 --heartbeat-ms 200 --liveness 3 \
    --curve-server-key "$(cat "$work/coord.pub")" --curve-secret-file "$work/worker.key" > "$work/start.out" 2>&1; rc=$?
set -e
sed 's/^/    start | /' "$work/start.out"
for i in 1 2; do
    p=$(cat "$work/h$i/home/.urnn-worker.pid" 2>/dev/null || true)
    [ -n "$p" ] && pids+=("$p")
done
if [ "$rc" -eq 1 ] && grep -q "^root@$sub.11	started" "$work/start.out" && grep -q "^$sub.12	started" "$work/start.out" \
    && grep -q "^$sub.13	unreachable" "$work/start.out"; then
    pass "start: hosts 1 and 2 started, the down host reported unreachable, exit 1 ($(elapsed))"
else fail "start: rc $rc"; fi
out=$(wsh start "$work/hosts.txt" "$endpoint" 2>&1 || true)
[ "$(grep -c "	running	already" <<<"$out")" -eq 2 ] && pass "start again: both workers already running, none started twice" || fail "start again: $out"
wsh status "$work/hosts.txt" > "$work/status1.out" 2>&1 || true
sed 's/^/    status | /' "$work/status1.out" | cut -c1-140
[ "$(grep -c "	running	" "$work/status1.out")" -eq 2 ] && grep -q "^$sub.13	unreachable" "$work/status1.out" \
    && pass "status: 2 running, 1 unreachable" || fail "status"

# --- stop host 2 mid-sweep (it hands its jobs back), start it again
log2="$work/h2/home/urnn-worker.log"
busy2() { [ "$(grep -c ': start ' "$log2")" -gt "$(grep -c ': done ' "$log2" || true)" ]; }
wait_for 30 busy2 || fail "worker 2 never got busy"
first2=$(grep -o 'urnn-worker urnn-h2-[0-9a-z-]*:' "$log2" | head -1 | cut -d' ' -f2 | tr -d :)
echo "$sub.12" > "$work/host2.txt"
set +e; wsh stop "$work/host2.txt" > "$work/stop0.out" 2>&1; rc=$?; set -e
sed 's/^/    stop | /' "$work/stop0.out" | cut -c1-140
handed=$(grep -o ': start [0-9a-f]\{8\}' "$log2" | cut -d' ' -f3 | sort > "$work/started2"; \
         grep -o ': done [0-9a-f]\{8\}' "$log2" | cut -d' ' -f3 | sort > "$work/done2"; comm -23 "$work/started2" "$work/done2")
[ "$rc" -eq 0 ] && grep -q "^$sub.12	stopped	pid [0-9]*: stopping (SIGTERM): handed back [1-9]" "$work/stop0.out" \
    && pass "stop mid-sweep: host 2's worker handed back $(wc -w <<<"$handed") job(s) and exited" || fail "stop of busy host 2: rc $rc"
set +e; wsh start "$work/host2.txt" "$endpoint" --slots 2 --heartbeat-ms 200 --liveness 3 \
    --curve-server-key "$(cat "$work/coord.pub")" --curve-secret-file "$work/worker.key" > "$work/start2.out" 2>&1; rc=$?; set -e
p=$(cat "$work/h2/home/.urnn-worker.pid" 2>/dev/null || true); [ -n "$p" ] && pids+=("$p")
[ "$rc" -eq 0 ] && grep -q "^$sub.12	started" "$work/start2.out" && pass "start: host 2's worker started again" || fail "restart of host 2: rc $rc"

# --- cut host 1 mid-sweep: the coordinator declares it dead, host 2 finishes its jobs
log1="$work/h1/home/urnn-worker.log"
busy() { [ "$(grep -c ': done ' "$log1" || true)" -ge 2 ] && [ "$(grep -c ': start ' "$log1")" -gt "$(grep -c ': done ' "$log1")" ]; }
wait_for 30 busy || fail "worker 1 never got busy"
ip link set "$(veth_of 1)" down
cp "$log1" "$work/h1-at-cut.log"
echo "    cut host 1's link at $(elapsed)"
# started but not done at the cut (log lines "start JOBID8 (spec), lease N", "done JOBID8 in T s")
in_flight=$(grep -o ': start [0-9a-f]\{8\}' "$work/h1-at-cut.log" | cut -d' ' -f3 | sort > "$work/started"; \
            grep -o ': done [0-9a-f]\{8\}' "$work/h1-at-cut.log" | cut -d' ' -f3 | sort > "$work/done"; comm -23 "$work/started" "$work/done")
echo "    host 1 held $(wc -w <<<"$in_flight") job(s) at the cut: $(echo $in_flight)"
wsh status "$work/hosts.txt" > "$work/status2.out" 2>&1 || true
sed 's/^/    status | /' "$work/status2.out" | cut -c1-140
grep -q "^root@$sub.11	unreachable" "$work/status2.out" && grep -q "^$sub.12	running" "$work/status2.out" \
    && pass "status during the cut: host 1 unreachable, host 2 running" || fail "status during the cut"
wait_for 10 grep -q "silent past liveness" "$work/coordinator.err" && pass "the coordinator declared host 1's worker dead" \
    || fail "the coordinator did not notice the cut"
stored_by() { # JOBID8 HOST: that job's result is stored, from HOST
    "$bin/urnn-coordinator" export --store "$work/s.sqlite" 2>/dev/null | grep "\"jobID\":\"$1" | grep -q "\"host\":\"$2\""; }
all_by_h2() { for j in $in_flight; do stored_by "$j" urnn-h2 || return 1; done; }
[ -n "$in_flight" ] && wait_for 30 all_by_h2 && pass "the $(wc -w <<<"$in_flight") job(s) host 1 held at the cut were finished by host 2 ($(elapsed))" \
    || fail "the jobs host 1 held at the cut ($in_flight) were not all finished by host 2"

# --- the sweep ends on host 2 alone; everything stored once; the handed-back jobs done by others
done_count() { "$bin/urnn-coordinator" status --store "$work/s.sqlite" --json 2>/dev/null | grep -o '"done":[0-9]*' | cut -d: -f2; }
finished() { [ "$(done_count)" = "$jobs" ]; }
wait_for 120 finished || fail "the sweep did not finish: $(done_count) of $jobs"
"$bin/urnn-coordinator" export --store "$work/s.sqlite" > "$work/export.jsonl"
stored=$(wc -l < "$work/export.jsonl")
distinct=$(grep -o '"jobID":"[0-9a-f]*"' "$work/export.jsonl" | sort -u | wc -l)
h1=$(grep -c '"host":"urnn-h1"' "$work/export.jsonl" || true); h2=$(grep -c '"host":"urnn-h2"' "$work/export.jsonl" || true)
[ "$stored" -eq "$jobs" ] && [ "$distinct" -eq "$jobs" ] && pass "all $jobs jobs stored exactly once ($h1 by host 1, $h2 by host 2) at $(elapsed)" \
    || fail "stored $stored results ($distinct distinct), expected $jobs"
others=0
for j in $handed; do grep "\"jobID\":\"$j" "$work/export.jsonl" | grep -v -q "\"workerID\":\"$first2\"" && others=$((others + 1)); done
[ -n "$handed" ] && [ "$others" -eq "$(wc -w <<<"$handed")" ] && pass "the $others job(s) host 2 handed back were finished by other worker processes" \
    || fail "of the jobs host 2 handed back ($handed), $others were finished by another worker"

# --- stop while host 1 is cut off; restore it; its worker is still there and stop ends it
set +e; wsh stop "$work/hosts.txt" > "$work/stop1.out" 2>&1; rc=$?; set -e
sed 's/^/    stop | /' "$work/stop1.out" | cut -c1-140
[ "$rc" -eq 1 ] && grep -q "^root@$sub.11	unreachable" "$work/stop1.out" && grep -q "^$sub.12	stopped	pid [0-9]*: stopping (SIGTERM)" "$work/stop1.out" \
    && pass "stop: host 2's worker ended, host 1 reported unreachable, exit 1" || fail "stop during the cut: rc $rc"
ip link set "$(veth_of 1)" up
ip -n "$(ns_of 1)" neigh flush dev eth0 || true
ip neigh flush dev "$br" || true
echo "    restored host 1's link at $(elapsed)"
set +e; wsh status "$work/hosts.txt" > "$work/status3.out" 2>&1; set -e
grep -q "^root@$sub.11	running" "$work/status3.out" && grep -q "^$sub.12	stopped" "$work/status3.out" \
    && pass "status: host 1's worker running, host 2's stopped" || { fail "status after restore"; cat "$work/status3.out"; }
set +e; wsh stop <(grep -v "^$sub.13" "$work/hosts.txt") > "$work/stop2.out" 2>&1; rc=$?; set -e
sed 's/^/    stop | /' "$work/stop2.out" | cut -c1-140
[ "$rc" -eq 0 ] && grep -q "^root@$sub.11	stopped	pid" "$work/stop2.out" && grep -q "^$sub.12	stopped	was not running" "$work/stop2.out" \
    && pass "stop: host 1's worker ended, host 2 already stopped, exit 0" || fail "second stop: rc $rc"
set +e; wsh status <(grep -v "^$sub.13" "$work/hosts.txt") > "$work/status4.out" 2>&1; rc=$?; set -e
[ "$rc" -eq 0 ] && [ "$(grep -c "	stopped	" "$work/status4.out")" -eq 2 ] && pass "status: stopped on both hosts" || fail "final status: $(cat "$work/status4.out")"
left=$(for i in 1 2; do ip netns pids "$(ns_of $i)"; done | while read -r p; do tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null; echo; done | grep -c urnn-worker || true)
[ "$left" -eq 0 ] && pass "no worker process left on either host" || fail "$left worker process(es) left"
wsh logs "$work/hosts.txt" 3 > "$work/logs.out" 2>&1 || true
sed 's/^/    logs | /' "$work/logs.out" | cut -c1-140
grep -q "^root@$sub.11	.*exiting" "$work/logs.out" && grep -q "^$sub.12	.*exiting" "$work/logs.out" \
    && pass "logs: each host's own log, ending in the worker's exit" || fail "logs"

kill -TERM "$coord" 2>/dev/null || true
wait_for 10 bash -c "! kill -0 $coord 2>/dev/null" || fail "the coordinator did not stop on SIGTERM"
echo "    coordinator: $(grep -o 'messages [0-9]*, results [0-9]*, duplicates [0-9]*, late [0-9]*.*' "$work/coordinator.err" || true)"
if [ "$failures" -eq 0 ]; then echo "PASS: deploy/ssh/workers.sh on two sshd hosts in $(elapsed)"; else echo "FAIL: $failures check(s) failed"; exit 1; fi
