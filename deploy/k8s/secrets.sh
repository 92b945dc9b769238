#!/usr/bin/env bash
# Makes the CURVE keys of a Kubernetes sweep and writes them as two Secrets:
#
#   deploy/k8s/secrets.sh KEYDIR            # then: kubectl apply -f KEYDIR/secrets.yaml
#
#   urnn-coordinator-curve: coord.key (the coordinator's secret key) and workers.txt (the
#                           whitelist: the workers' public key)
#   urnn-worker-curve:      worker.key (the workers' secret key) and coord.pub
#
# All worker pods share one key pair; the whitelist admits it and nothing else. Keys already in
# KEYDIR are kept (run it again to rewrite secrets.yaml; delete the *.key files to rotate).
# KEYDIR and secrets.yaml are readable by you only. Needs urnn-coordinator ($URNN_COORDINATOR,
# default: the one on PATH) for `keygen`.
set -euo pipefail
dir="${1:?usage: secrets.sh KEYDIR}"
coordinator="${URNN_COORDINATOR:-urnn-coordinator}"
command -v "$coordinator" >/dev/null || { echo "secrets.sh: $coordinator not found (set URNN_COORDINATOR)" >&2; exit 2; }
umask 077
mkdir -p "$dir"
for name in coord worker; do
    if [ -f "$dir/$name.key" ] && [ -f "$dir/$name.pub" ]; then
        echo "secrets.sh: keeping $dir/$name.key" >&2
    else
        "$coordinator" keygen --out "$dir/$name" --force >/dev/null
    fi
done
for f in coord.key coord.pub worker.key worker.pub; do
    [ "$(tr -d '\n' < "$dir/$f" | wc -c)" -eq 40 ] || { echo "secrets.sh: $dir/$f is not a 40-character Z85 key" >&2; exit 1; }
done
cp "$dir/worker.pub" "$dir/workers.txt"
b64() { base64 -w0 < "$1"; }
cat > "$dir/secrets.yaml" <<YAML
# CURVE keys of a URNNSweep sweep on Kubernetes, made by deploy/k8s/secrets.sh. Secret: do not commit.
apiVersion: v1
kind: Secret
metadata:
  name: urnn-coordinator-curve
  labels:
    app.kubernetes.io/name: urnnsweep
    app.kubernetes.io/component: coordinator
type: Opaque
data:
  coord.key: $(b64 "$dir/coord.key")
  workers.txt: $(b64 "$dir/workers.txt")
---
apiVersion: v1
kind: Secret
metadata:
  name: urnn-worker-curve
  labels:
    app.kubernetes.io/name: urnnsweep
    app.kubernetes.io/component: worker
type: Opaque
data:
  worker.key: $(b64 "$dir/worker.key")
  coord.pub: $(b64 "$dir/coord.pub")
YAML
echo "wrote $dir/secrets.yaml (coordinator public key $(cat "$dir/coord.pub"))"
