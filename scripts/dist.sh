#!/usr/bin/env bash
# `./x dist [ISA...]`: relocatable bundles of urnn-coordinator and urnn-worker for Linux hosts
# without Swift, one per instruction set (x86-64-v3 and baseline unless named):
#
#   dist/urnnsweep-VERSION-ISA/            bin/urnn-coordinator, bin/urnn-worker, README.md,
#                                          VERSION, SHA256SUMS, docs/DEPLOY.md, deploy/ recipes
#   dist/urnnsweep-VERSION-ISA.tar.gz      the same folder, plus a .sha256 beside it
#
# The Swift standard library, Foundation and Dispatch are linked in (--static-swift-stdlib);
# what stays dynamic is glibc and the C libraries the README names (checked here with readelf:
# a bundle that still needs a libswift*.so is refused). Each ISA builds in its own scratch path,
# .build-dist-ISA. Tested on a fresh Debian root by deploy/dist/test/debootstrap.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
isas=("$@")
[ ${#isas[@]} -gt 0 ] || isas=(x86-64-v3 baseline)
for isa in "${isas[@]}"; do
    case "$isa" in x86-64-v3|baseline) ;; *) echo "dist: unknown instruction set '$isa' (x86-64-v3 or baseline)" >&2; exit 2 ;; esac
done
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
mkdir -p dist
for isa in "${isas[@]}"; do
    scratch=".build-dist-$isa"
    echo "dist: building $isa in $scratch" >&2
    for product in urnn-worker urnn-coordinator; do
        URNN_ISA="$isa" swift build -c release --static-swift-stdlib --scratch-path "$scratch" --product "$product"
    done
    build_bin="$scratch/release"
    # A v3 binary cannot say its version on a CPU without AVX2; the build string is fixed by the ISA.
    version=$("$build_bin/urnn-worker" --version 2>/dev/null || true)
    [ -n "$version" ] || version="$(sed -n 's/.*static let version = "\(urnnsweep-[^"]*\)".*/\1/p' Sources/Shared/Jobs/BuildInfo.swift)+$isa"
    case "$version" in *"+$isa") ;; *) echo "dist: the $isa build says it is $version" >&2; exit 1 ;; esac
    number=${version#urnnsweep-}; number=${number%%+*}
    name="urnnsweep-$number-$isa"
    out="dist/$name"
    rm -rf "$out" "$out.tar.gz" "$out.tar.gz.sha256"
    mkdir -p "$out/bin" "$out/docs" "$out/deploy/systemd" "$out/deploy/ssh" "$out/deploy/slurm"
    for product in urnn-coordinator urnn-worker; do
        install -m 755 "$build_bin/$product" "$out/bin/$product"
        strip --strip-debug "$out/bin/$product"
        if readelf -d "$out/bin/$product" | grep -q 'NEEDED.*\(libswift\|libFoundation\|lib_Foundation\|libdispatch\|libBlocksRuntime\)'; then
            echo "dist: $product still needs Swift runtime libraries:" >&2
            readelf -d "$out/bin/$product" | grep NEEDED >&2
            exit 1
        fi
    done
    needs() { readelf -d "$out/bin/$1" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' '; }
    cp docs/DEPLOY.md "$out/docs/"
    cp deploy/systemd/urnn-worker@.service "$out/deploy/systemd/"
    cp deploy/ssh/workers.sh "$out/deploy/ssh/"
    cp deploy/slurm/urnn-workers.sbatch deploy/slurm/urnn-sweep.sbatch "$out/deploy/slurm/"
    printf '%s\ncommit %s\nbuilt %s with %s\n' "$version" "$commit" "$(date -u +%FT%TZ)" "$(swift --version 2>/dev/null | head -1)" > "$out/VERSION"
    cpu_note="any x86-64 CPU"
    [ "$isa" = x86-64-v3 ] && cpu_note="x86-64-v3 CPUs only (AVX2, FMA, BMI2: Intel Haswell 2013 and later, AMD Excavator/Zen and later); on others the binaries stop at once with exit status 78. Use the baseline bundle there: it computes the same bits"
    cat > "$out/README.md" <<README
# URNNSweep $number ($isa)

\`$version\`, commit $commit. Runs on Linux x86-64 with glibc 2.36 or later (built on
Debian 12), on $cpu_note.

The Swift runtime, Foundation and Dispatch are linked in: no Swift installation is needed. A
worker host needs one Debian package, the coordinator's host one more:

    apt-get install libzmq5                # urnn-worker and urnn-coordinator
    apt-get install libsqlite3-0           # urnn-coordinator only (its results store)

(urnn-worker needs: $(needs urnn-worker)
urnn-coordinator needs: $(needs urnn-coordinator))

Install (the tarball's checksum is in $name.tar.gz.sha256 beside it):

    mkdir -p /opt/urnnsweep
    tar -C /opt/urnnsweep --strip-components=1 -xzf $name.tar.gz
    cd /opt/urnnsweep && sha256sum -c SHA256SUMS
    /opt/urnnsweep/bin/urnn-worker --version

Start a worker for a coordinator (docs/DEPLOY.md has keys, Slurm, systemd, ssh):

    /opt/urnnsweep/bin/urnn-worker --connect tcp://COORDINATOR:5555 --slots 4

In a chroot or container, mount /proc: Swift programs on Linux read their arguments from
/proc/self/cmdline and, without it, see none.

deploy/ holds the systemd unit (it expects /opt/urnnsweep/bin/urnn-worker), the ssh launcher
and the Slurm scripts (urnn-workers.sbatch: workers for a coordinator elsewhere;
urnn-sweep.sbatch: a whole sweep in one allocation). Put /opt/urnnsweep/bin on their PATH, or
set URNN_WORKER=/opt/urnnsweep/bin/urnn-worker (urnn-workers) or URNN_BIN=/opt/urnnsweep/bin
(urnn-sweep) when you sbatch them.
README
    (cd "$out" && sha256sum bin/urnn-coordinator bin/urnn-worker > SHA256SUMS)
    tar -C dist -czf "$out.tar.gz" "$name"
    (cd dist && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
    echo "dist: $out.tar.gz ($(du -h "$out.tar.gz" | cut -f1)), $version"
    cat "$out/SHA256SUMS"
done
