#!/usr/bin/env bash
# The `./x dist` bundles on a host that has never seen Swift: a minimal Debian 12 root made with
# debootstrap (--variant=minbase) with libzmq5 and nothing else added, each bundle unpacked in
# it and checked (SHA256SUMS, the libraries it needs, --version), then the workers of both
# bundles (x86-64-v3 and baseline) started inside that root (chroot, in a network namespace of
# their own with its own hostname, /proc and /dev) connect over CURVE to a coordinator on
# another netns host and run the `smoke` sweep (36 real training jobs) to the end: results from
# both builds, every job stored once, the workers released and gone.
#
# Run as root after ./x dist (debootstrap is installed with apt-get if missing; the root is
# fetched from the machine's Debian mirror, about 2 minutes, unless URNN_ROOTFS names a ready
# one to copy):
#
#   deploy/dist/test/debootstrap.sh
#
# URNN_BUNDLES: the bundle tarballs to test (default: dist/urnnsweep-*.tar.gz).
# Addresses are in 10.80.<n>.0/24 on a bridge this script creates, inside this machine only;
# everything it starts is killed by pid, and its mounts, namespaces and bridge go on exit.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root (debootstrap, chroot, network namespaces)"; exit 77; }
bundles=(${URNN_BUNDLES:-$(ls "$root"/dist/urnnsweep-*.tar.gz 2>/dev/null || true)})
[ ${#bundles[@]} -gt 0 ] || { echo "FAIL: no bundles (run ./x dist, or set URNN_BUNDLES)"; exit 1; }
command -v debootstrap >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }

tag=$$
net=$(( tag % 200 + 20 ))
br="urndb$tag"; sub="10.80.$net"
nsc="urndc-$tag"; nsw="urndw-$tag"
work=$(mktemp -d)
rootfs="$work/root"
pids=()
cleanup() {
    set +e
    for ns in "$nsc" "$nsw"; do for p in $(ip netns pids "$ns" 2>/dev/null); do pids+=("$p"); done; done
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do
        for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    ip netns del "$nsc" 2>/dev/null; ip netns del "$nsw" 2>/dev/null
    ip link del "$br" 2>/dev/null
    # Nothing should be mounted under the root (the mounts were private to the worker's namespace).
    if grep -q " $rootfs/" /proc/mounts; then echo "note: mounts left under $rootfs" >&2; else
        [ -n "${URNN_KEEP_TMP:-}" ] && echo "kept $work" || rm -rf "$work"; fi
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

# --- a fresh Debian root: minbase + libzmq5
if [ -n "${URNN_ROOTFS:-}" ]; then
    cp -a "$URNN_ROOTFS" "$rootfs"
    echo "    copied the root from $URNN_ROOTFS"
else
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    debootstrap --variant=minbase --include=libzmq5 bookworm "$rootfs" ${mirror:+"$mirror"} > "$work/debootstrap.log" 2>&1 \
        || { fail "debootstrap"; tail -20 "$work/debootstrap.log"; exit 1; }
fi
in_root() { chroot "$rootfs" "$@"; }
# As on a real host, /proc is mounted (privately): Swift 6.3 on Linux takes a program's arguments
# from /proc/self/cmdline, and without it the binaries see none.
in_host() { unshare --mount sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$rootfs" "$@"; }
swift_things=$( (in_root sh -c 'command -v swift swiftc' || true; find "$rootfs" -name 'libswift*' -o -name 'libFoundation*.so*' -o -name 'libdispatch*.so*') | wc -l)
zmq=$(in_root dpkg-query -W -f='${Version}' libzmq5 2>/dev/null || true)
sqlite=$(in_root dpkg-query -W -f='${Status}' libsqlite3-0 2>/dev/null || true)
[ "$swift_things" -eq 0 ] && [ -n "$zmq" ] && pass "a Debian $(cat "$rootfs/etc/debian_version") minbase root with libzmq5 $zmq, no Swift, $(in_root dpkg-query -W | wc -l) packages${sqlite:+ (libsqlite3-0: $sqlite)} ($(elapsed))" \
    || fail "the root: swift things $swift_things, libzmq5 '$zmq'"

# --- each bundle, unpacked and checked inside the root
workers=()
for b in "${bundles[@]}"; do
    name=$(basename "$b" .tar.gz)
    case "$name" in *-x86-64-v3) isa=x86-64-v3 ;; *-baseline) isa=baseline ;; *) fail "$name: no ISA in the name"; continue ;; esac
    if [ -f "$b.sha256" ]; then
        (cd "$(dirname "$b")" && sha256sum -c --quiet "$(basename "$b").sha256") && pass "$name.tar.gz matches its .sha256" || fail "$name.tar.gz checksum"
    fi
    dest="/opt/$name"
    mkdir -p "$rootfs$dest"
    tar -C "$rootfs$dest" --strip-components=1 -xzf "$b"
    in_root sh -c "cd $dest && sha256sum -c --quiet SHA256SUMS" && pass "$name: SHA256SUMS verified inside the root" || fail "$name: SHA256SUMS"
    missing_w=$(in_root ldd "$dest/bin/urnn-worker" | grep -c 'not found' || true)
    missing_c=$(in_root ldd "$dest/bin/urnn-coordinator" | grep 'not found' | awk '{print $1}' | tr '\n' ' ')
    [ "$missing_w" -eq 0 ] && pass "$name: urnn-worker finds every library it needs (libzmq5 only added)" \
        || { fail "$name: urnn-worker misses libraries: $(in_root ldd "$dest/bin/urnn-worker" | grep 'not found' | awk '{print $1}' | tr '\n' ' ')"; continue; }
    case "$missing_c" in
        "") pass "$name: urnn-coordinator finds every library" ;;
        "libsqlite3.so.0 ") grep -q libsqlite3-0 "$rootfs$dest/README.md" \
            && pass "$name: urnn-coordinator misses only libsqlite3.so.0, which its README names (libsqlite3-0)" \
            || fail "$name: urnn-coordinator needs libsqlite3.so.0 and the README does not say so" ;;
        *) fail "$name: urnn-coordinator misses $missing_c" ;;
    esac
    if [ "$isa" = x86-64-v3 ] && ! grep -qw avx2 /proc/cpuinfo; then echo "SKIP: $name: this CPU has no AVX2"; continue; fi
    v=$(in_host "$dest/bin/urnn-worker" --version 2>&1 || true)
    [ "$v" = "$(head -1 "$rootfs$dest/VERSION")" ] && [ "${v##*+}" = "$isa" ] && pass "$name: urnn-worker --version inside the root says $v" \
        || fail "$name: --version said '$v', VERSION says '$(head -1 "$rootfs$dest/VERSION")'"
    workers+=("$name")
done
[ ${#workers[@]} -gt 0 ] || { echo "FAIL: no bundle can run here"; exit 1; }

# --- two hosts: the coordinator's and the fresh one
ip link add "$br" type bridge
ip link set "$br" up
i=1
for ns in "$nsc" "$nsw"; do
    ip netns add "$ns"
    ip link add "urndv$i$tag" type veth peer name eth0 netns "$ns"
    ip link set "urndv$i$tag" master "$br" up
    ip -n "$ns" addr add "$sub.$((10 + i))/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    i=$((i + 1))
done
coord_bin="$work/coord-bundle"
mkdir -p "$coord_bin"; tar -C "$coord_bin" --strip-components=1 -xzf "${bundles[0]}"
# The coordinator host has libsqlite3-0 (this machine); it runs the first bundle's coordinator.
"$coord_bin/bin/urnn-coordinator" keygen --out "$work/coord" >/dev/null
port=$((20000 + RANDOM % 20000))
endpoint="tcp://$sub.11:$port"
nsenter --net="/run/netns/$nsc" "$coord_bin/bin/urnn-coordinator" run smoke --store "$work/smoke.sqlite" --report "$work/report" \
    --bind "$endpoint" --curve-secret-file "$work/coord.key" > "$work/coordinator.out" 2> "$work/coordinator.err" &
coord=$!; pids+=("$coord")
key=$(cat "$work/coord.pub")
# The fresh host: its own network, hostname, mounts (/proc and /dev inside the root), and chroot.
cat > "$work/host.sh" <<'SH'
set -eu
rootfs="$1"; shift
hostname fresh-debian
mount -t proc proc "$rootfs/proc"
mount --rbind /dev "$rootfs/dev"
exec chroot "$rootfs" "$@"
SH
tw=$SECONDS
for name in "${workers[@]}"; do
    nsenter --net="/run/netns/$nsw" unshare --mount --uts sh "$work/host.sh" "$rootfs" \
        "/opt/$name/bin/urnn-worker" --connect "$endpoint" --slots 1 --curve-server-key "$key" 2> "$work/$name.err" &
    pids+=("$!")
done
worker_pids=("${pids[@]:1}")
finished() { ! kill -0 "$coord" 2>/dev/null; }
any_worker() { for p in "${worker_pids[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
finished_or_no_worker() { finished || ! any_worker; }
wait_for 900 finished_or_no_worker || fail "the smoke sweep did not finish in 15 minutes"
# The workers leave when released at the end, a moment before the coordinator exits.
if ! finished && ! wait_for 30 finished; then
    fail "every worker on the fresh host exited and the sweep did not end"
    for name in "${workers[@]}"; do echo "--- $name"; tail -5 "$work/$name.err"; done
    exit 1
fi
wait "$coord" && pass "the coordinator on its own host finished the smoke sweep with the fresh host's workers in $((SECONDS - tw)) s" \
    || { fail "the coordinator exited non-zero"; tail -20 "$work/coordinator.err"; }
"$coord_bin/bin/urnn-coordinator" export --store "$work/smoke.sqlite" > "$work/export.jsonl"
stored=$(wc -l < "$work/export.jsonl")
distinct=$(grep -o '"jobID":"[0-9a-f]*"' "$work/export.jsonl" | sort -u | wc -l)
[ "$stored" -eq 36 ] && [ "$distinct" -eq 36 ] && pass "36 smoke results stored once each" || fail "stored $stored ($distinct distinct), expected 36"
for name in "${workers[@]}"; do
    v=$(head -1 "$rootfs/opt/$name/VERSION")
    n=$(grep -cF "\"buildVersion\":\"$v\",\"host\":\"fresh-debian\"" "$work/export.jsonl" || true)
    [ "$n" -gt 0 ] && pass "$n results from $v on host fresh-debian" || fail "no results from $v on fresh-debian"
done
no_worker() { ! any_worker; }
wait_for 10 no_worker && pass "the workers were released at the end and exited" || fail "workers still running after the sweep"
grep -o 'messages [0-9]*, results [0-9]*.*' "$work/coordinator.err" | sed 's/^/    coordinator: /' || true
sed -n '/^|/p' "$work/coordinator.out" | head -8 | sed 's/^/    /'
if [ "$failures" -eq 0 ]; then echo "PASS: the dist bundles run on a fresh Debian root without Swift ($(elapsed))"; else echo "FAIL: $failures check(s) failed"; exit 1; fi
