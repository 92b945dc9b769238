#!/usr/bin/env bash
# deploy/systemd/urnn-worker@.service under a real systemd: a Debian 12 root (debootstrap, with
# systemd and libzmq5) booted with systemd-nspawn in a network namespace of its own, the unit
# installed as written (ExecStart /opt/urnnsweep/bin/urnn-worker from a `./x dist` bundle,
# DynamicUser, ProtectSystem=strict, ...) and enabled as urnn-worker@main, against a coordinator
# outside on the bridge address. Checked: it starts at boot and runs jobs; after kill -9 of its
# main process, Restart=on-failure brings it back; `systemctl stop` hands its jobs back (SIGTERM)
# and ends it cleanly; the container powers off.
#
# Run as root after ./x dist (installs systemd-container and debootstrap with apt-get if
# missing; fetches the root from the machine's Debian mirror unless URNN_SDROOT names a ready one):
#
#   deploy/systemd/test/nspawn.sh
#
# URNN_BUNDLE: the bundle tarball (default: dist/urnnsweep-*-baseline.tar.gz).
# Addresses are in 10.81.<n>.0/24 on a bridge this script creates, inside this machine only.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
bundle="${URNN_BUNDLE:-$(ls "$root"/dist/urnnsweep-*-baseline.tar.gz 2>/dev/null | head -1)}"
[ -f "$bundle" ] || { echo "FAIL: no bundle (run ./x dist, or set URNN_BUNDLE)"; exit 1; }
need=()
command -v systemd-nspawn >/dev/null || need+=(systemd-container)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; fi

tag=$$
net=$(( tag % 200 + 20 ))
br="urnsdb$tag"; sub="10.81.$net"; ns="urnsd-$tag"; veth="urnsdv$tag"
work=$(mktemp -d)
rootfs="$work/root"
pids=()
had_nspawn_run=no; [ -d /run/systemd/nspawn ] && had_nspawn_run=yes
cleanup() {
    set +e
    for p in $(ip netns pids "$ns" 2>/dev/null); do pids+=("$p"); done
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do
        for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    ip netns del "$ns" 2>/dev/null
    ip link del "$br" 2>/dev/null
    # nspawn's own leftovers where /run is no tmpfs: its propagation folder and the root's lock.
    rm -rf "/run/systemd/nspawn/propagate/urnnsd$tag"
    [ -d "$rootfs" ] && rm -f "/run/systemd/nspawn/locks/inode-$(stat -c '%d:%i' "$rootfs")"
    [ "$had_nspawn_run" = yes ] || rmdir /run/systemd/nspawn/locks /run/systemd/nspawn/propagate /run/systemd/nspawn 2>/dev/null
    if grep -q " $rootfs" /proc/mounts; then echo "note: mounts left under $rootfs; $work kept" >&2
    else [ -n "${URNN_KEEP_TMP:-}" ] && echo "kept $work" || rm -rf "$work"; fi
}
trap cleanup EXIT
failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
wait_for() { local n=$(( $1 * 10 )); shift; for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done; return 1; }
t0=$SECONDS
elapsed() { echo "$((SECONDS - t0)) s"; }

# --- the root: Debian 12 with systemd and libzmq5, the bundle, the unit as shipped
if [ -n "${URNN_SDROOT:-}" ]; then cp -a "$URNN_SDROOT" "$rootfs"; else
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,libzmq5 bookworm "$rootfs" ${mirror:+"$mirror"} \
        > "$work/debootstrap.log" 2>&1 || { fail "debootstrap"; tail -20 "$work/debootstrap.log"; exit 1; }
fi
mkdir -p "$rootfs/opt/urnnsweep"
tar -C "$rootfs/opt/urnnsweep" --strip-components=1 -xzf "$bundle"
cp "$root/deploy/systemd/urnn-worker@.service" "$rootfs/etc/systemd/system/"
mkdir -p "$rootfs/etc/urnn-worker" "$rootfs/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/urnn-worker@.service "$rootfs/etc/systemd/system/multi-user.target.wants/urnn-worker@main.service"
echo urnn-sd > "$rootfs/etc/hostname"
port=$((20000 + RANDOM % 20000))
endpoint="tcp://$sub.1:$port"
cat > "$rootfs/etc/urnn-worker/main.env" <<ENV
URNN_COORDINATOR=$endpoint
URNN_WORKER_ARGS=--slots 2 --heartbeat-ms 200
ENV
pass "a Debian root with systemd $(chroot "$rootfs" dpkg-query -W -f='${Version}' systemd), libzmq5 and $(basename "$bundle" .tar.gz), the unit enabled as urnn-worker@main ($(elapsed))"

# --- network: the container's namespace on a bridge; the coordinator outside, on the bridge
ip link add "$br" type bridge
ip addr add "$sub.1/24" dev "$br"
ip link set "$br" up
ip netns add "$ns"
ip link add "$veth" type veth peer name host0 netns "$ns"
ip link set "$veth" master "$br" up
ip -n "$ns" addr add "$sub.11/24" dev host0
ip -n "$ns" link set host0 up
ip -n "$ns" link set lo up
coord_bin="$work/coord"; mkdir -p "$coord_bin"; tar -C "$coord_bin" --strip-components=1 -xzf "$bundle"
cat > "$work/sweep.yaml" <<YAML
name: systemd-test
kind: noop
grid:
  token: 0..399
fixed:
  sleep_ms: 500
YAML
"$coord_bin/bin/urnn-coordinator" run "$work/sweep.yaml" --store "$work/s.sqlite" --report "$work/report" \
    --bind "$endpoint" --insecure --heartbeat-ms 200 --liveness 3 > "$work/coordinator.out" 2> "$work/coordinator.err" &
coord=$!; pids+=("$coord")

# --- boot
systemd-nspawn --quiet --register=no --keep-unit -D "$rootfs" -M "urnnsd$tag" --network-namespace-path="/run/netns/$ns" -b \
    > "$work/console.log" 2>&1 < /dev/null &
nspawn=$!; pids+=("$nspawn")
leader=""
find_leader() { leader=$(ps -o pid= --ppid "$nspawn" 2>/dev/null | head -1 | tr -d ' '); [ -n "$leader" ]; }
wait_for 30 find_leader || { fail "systemd-nspawn started no container"; cat "$work/console.log"; exit 1; }
pids+=("$leader")
in_ct() { nsenter -t "$leader" -m -u -i -n -p "$@"; }
booted() { s=$(in_ct systemctl is-system-running 2>/dev/null || true); [ "$s" = running ] || [ "$s" = degraded ]; }
if wait_for 60 booted; then pass "systemd booted in the container ($(in_ct systemctl is-system-running 2>/dev/null || true), $(elapsed))"
else fail "systemd did not finish booting: $(in_ct systemctl is-system-running 2>&1 || true)"; tail -30 "$work/console.log"; exit 1; fi

unit=urnn-worker@main
show() { in_ct systemctl show -p "$1" --value "$unit"; }
active() { [ "$(in_ct systemctl is-active "$unit" 2>/dev/null || true)" = active ]; }
hellos() { grep -c "hello from urnn-sd-" "$work/coordinator.err" || true; }
journal() { in_ct journalctl -u "$unit" --no-pager -o cat 2>/dev/null || true; }
if wait_for 20 active && wait_for 20 bash -c "grep -q 'hello from urnn-sd-' '$work/coordinator.err'"; then
    uid=$(in_ct sh -c "sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' /proc/$(show MainPID)/status" 2>/dev/null || true)
    [ -n "$uid" ] && [ "$uid" != 0 ] && pass "$unit started at boot as dynamic uid $uid and said HELLO to the coordinator outside" \
        || fail "$unit runs as uid '$uid'"
else fail "$unit is $(in_ct systemctl is-active "$unit" 2>&1 || true)"; journal | tail -20; exit 1; fi
running_jobs() { [ "$(journal | grep -c ': start ')" -gt "$(journal | grep -c ': done ' || true)" ]; }
wait_for 20 running_jobs && pass "it runs jobs" || fail "no job started"

# --- kill -9: Restart=on-failure
pid1=$(show MainPID)
in_ct sh -c "kill -KILL $pid1"
restarted() { active && [ "$(show MainPID)" != "$pid1" ] && [ "$(show MainPID)" != 0 ] && [ "$(show NRestarts)" -ge 1 ]; }
if wait_for 20 restarted; then pass "after kill -9 of pid $pid1 systemd restarted it (pid $(show MainPID), NRestarts $(show NRestarts)) ($(elapsed))"
else fail "not restarted after kill -9: $(in_ct systemctl status "$unit" --no-pager 2>&1 | head -5)"; fi
wait_for 20 bash -c "[ \$(grep -c 'hello from urnn-sd-' '$work/coordinator.err') -ge 2 ]" && pass "the restarted worker said HELLO again" || fail "no second HELLO"

# --- systemctl stop hands the jobs back
wait_for 20 running_jobs || true
in_ct systemctl stop "$unit"
handback=$(journal | grep -o 'stopping (SIGTERM): handed back [0-9]* job(s)' | tail -1)
result="$(show Result) $(show ExecMainStatus)"
[ -n "$handback" ] && [ "$result" = "success 0" ] && pass "systemctl stop: '$handback', exit status 0, result success" \
    || fail "stop: '$handback', result '$result'"
line=$(grep -o 'worker urnn-sd-[^ ]* disconnects (SIGTERM), hands back [0-9]* jobs' "$work/coordinator.err" | tail -1)
[ -n "$line" ] && pass "the coordinator outside: '$line'" || fail "the coordinator saw no hand-back"

# --- power off
in_ct systemctl poweroff 2>/dev/null || true
wait_for 30 bash -c "! kill -0 $nspawn 2>/dev/null" && pass "the container powered off ($(elapsed))" || fail "the container did not power off"
kill -TERM "$coord" 2>/dev/null || true
if [ "$failures" -eq 0 ]; then echo "PASS: urnn-worker@.service under a real systemd (nspawn) in $(elapsed)"; else echo "FAIL: $failures check(s) failed"; exit 1; fi
