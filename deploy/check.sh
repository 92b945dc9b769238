#!/usr/bin/env bash
# Offline checks of the deploy files: shell syntax, and the systemd unit with
# systemd-analyze when it is available. Run by the test suite (DeployTests).
set -euo pipefail
cd "$(dirname "$0")"
status=0
for f in slurm/*.sbatch slurm/test/*.sh ssh/*.sh; do
    bash -n "$f" || { echo "syntax error in $f" >&2; status=1; }
done
if command -v systemd-analyze >/dev/null; then
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    # verify needs the ExecStart binary to exist: point it at a stand-in.
    sed "s#/opt/urnnsweep/bin/urnn-worker#/bin/true#" systemd/urnn-worker@.service > "$tmp/urnn-worker@.service"
    cp "$tmp/urnn-worker@.service" "$tmp/urnn-worker@test.service"
    out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$tmp/urnn-worker@test.service" 2>&1 | grep -v -e "EnvironmentFile" -e "^$" || true)
    if [ -n "$out" ]; then echo "$out" >&2; status=1; fi
else
    echo "systemd-analyze not found: unit not verified" >&2
fi
exit $status
