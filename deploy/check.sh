#!/usr/bin/env bash
# Offline checks of the deploy files: shell syntax, the systemd unit with systemd-analyze, and
# the Kubernetes manifests with k8s/test/validate.sh (kubernetes-validate), each when its tool
# is available. Run by the test suite (DeployCheckTests).
set -euo pipefail
cd "$(dirname "$0")"
status=0
for f in slurm/*.sbatch slurm/test/*.sh systemd/test/*.sh ssh/*.sh ssh/test/*.sh k8s/*.sh k8s/test/*.sh dist/test/*.sh ../scripts/dist.sh; do
    [ -e "$f" ] || continue
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
if command -v kubernetes-validate >/dev/null; then
    set +e; out=$(k8s/test/validate.sh 2>&1); rc=$?; set -e
    case $rc in
        0) ;;
        77) echo "k8s manifests not checked: $out" >&2 ;;
        *) echo "$out" >&2; status=1 ;;
    esac
else
    echo "kubernetes-validate not found (pip install kubernetes-validate): k8s manifests not validated" >&2
fi
exit $status
