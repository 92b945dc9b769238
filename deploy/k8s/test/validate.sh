#!/usr/bin/env bash
# The Kubernetes manifests, checked as far as a machine without a cluster can:
#   1. secrets.sh makes real CURVE keys and the two Secrets;
#   2. kubernetes-validate --strict accepts every manifest against Kubernetes $K8S_VERSION's
#      schemas (1.30 by default), and rejects a copy with a misspelled field (so it does check);
#   3. test/manifests.py finds every Secret, key, volume, variable, file and port the pods name
#      (and flags a copy whose workers connect to a wrong Service);
#   4. (root only) the pods' own commands, taken from the manifests with $(VAR) expanded as the
#      kubelet does and their mounts laid out as it would (Secret files mode 0440 group fsGroup),
#      run as uid 65532 in a private network namespace where `urnn-coordinator` resolves to the
#      coordinator: the coordinator pod and the Deployment's 2 worker pods finish a 40-job
#      noop sweep (from a sweep file where the ConfigMap would put it) over CURVE with the
#      whitelist, and SIGTERM ends them all.
# What stays unchecked: scheduling, the image itself, DNS and volume provisioning of a real
# cluster. Usage (from the repo root):
#
#   deploy/k8s/test/validate.sh
#
# Needs kubernetes-validate (pip install kubernetes-validate) and the binaries (URNN_BIN_DIR,
# else .build/release or .build/debug). Exits 77 (skip) when they are missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
k8s="$(dirname "$here")"
root="$(cd "$k8s/../.." && pwd)"
version="${K8S_VERSION:-1.30}"
command -v kubernetes-validate >/dev/null || { echo "skip: kubernetes-validate not found (pip install kubernetes-validate)"; exit 77; }
python3 -c 'import yaml' 2>/dev/null || { echo "skip: python3 has no PyYAML (pip install kubernetes-validate brings it)"; exit 77; }
bin="${URNN_BIN_DIR:-}"
if [ -z "$bin" ]; then
    for b in "$root/.build/release" "$root/.build/debug"; do [ -x "$b/urnn-coordinator" ] && { bin="$b"; break; }; done
fi
[ -n "$bin" ] && [ -x "$bin/urnn-coordinator" ] && [ -x "$bin/urnn-worker" ] \
    || { echo "skip: no urnn-coordinator/urnn-worker (set URNN_BIN_DIR or build)"; exit 77; }

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do
        for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null || true
    done
    [ -n "${URNN_KEEP_TMP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
validate() { kubernetes-validate -k "$version" --strict --quiet "$@" >"$work/validate.out" 2>&1; }

# 1. Secrets from real keys.
URNN_COORDINATOR="$bin/urnn-coordinator" "$k8s/secrets.sh" "$work/keys" >/dev/null
[ "$(stat -c %a "$work/keys/secrets.yaml")" = 600 ] && pass "secrets.sh wrote the CURVE keys as Secrets (secrets.yaml mode 600)" \
    || fail "secrets.yaml is mode $(stat -c %a "$work/keys/secrets.yaml"), expected 600"
manifests=("$k8s/coordinator.yaml" "$k8s/workers.yaml" "$work/keys/secrets.yaml")

# 2. Schemas, strictly.
for f in "${manifests[@]}"; do
    if validate "$f"; then pass "kubernetes-validate -k $version --strict $(basename "$f")"
    else fail "kubernetes-validate -k $version --strict $(basename "$f")"; cat "$work/validate.out"; fi
done
sed 's/^  replicas: 2$/  replica: 2/' "$k8s/workers.yaml" > "$work/typo.yaml"
cmp -s "$k8s/workers.yaml" "$work/typo.yaml" && fail "could not plant a typo (workers.yaml has no 'replicas: 2')"
if validate "$work/typo.yaml"; then fail "strict validation accepted 'replica: 2'"
else pass "strict validation rejects a misspelled field ('replica: 2')"; fi

# 3. Cross-references.
if python3 "$here/manifests.py" check "${manifests[@]}" > "$work/check.out"; then pass "every Secret, key, volume, \$(VAR), file and port the pods name exists and matches"
else fail "cross-references:"; cat "$work/check.out"; fi
sed 's#tcp://urnn-coordinator:5555#tcp://urnn-coordinatr:5555#' "$k8s/workers.yaml" > "$work/wrong-service.yaml"
if python3 "$here/manifests.py" check "$k8s/coordinator.yaml" "$work/wrong-service.yaml" "$work/keys/secrets.yaml" >/dev/null; then
    fail "the cross-reference check accepted workers connecting to a Service that does not exist"
else pass "the cross-reference check flags workers connecting to a wrong Service"; fi

# 4. The pods' commands, run.
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null || ! command -v setpriv >/dev/null; then
    echo "SKIP: running the pods' commands needs root, unshare and setpriv"
else
    chmod 755 "$work"
    mkdir -m 755 "$work/bin"; cp "$bin/urnn-coordinator" "$bin/urnn-worker" "$work/bin/"
    pod() { # ROOT KIND NAME [--env K=V]: lays out the pod's mounts under ROOT, writes ROOT.argv
        local r="$1" kind="$2" name="$3"; shift 3
        mkdir -m 755 "$r"
        python3 "$here/manifests.py" pod "${manifests[@]}" --kind "$kind" --name "$name" --root "$r" --bin "$work/bin" "$@" > "$r.argv"
    }
    pod "$work/coord" StatefulSet urnn-coordinator --env URNN_SWEEP=/etc/urnn/sweeps/noop.yaml
    cat > "$work/coord/etc/urnn/sweeps/noop.yaml" <<YAML
name: k8s-noop
kind: noop
grid:
  token: 0..39
fixed:
  sleep_ms: 100
YAML
    replicas=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["spec"]["replicas"])' "$k8s/workers.yaml")
    for i in $(seq "$replicas"); do pod "$work/worker$i" Deployment urnn-worker; done
    echo "127.0.0.1 localhost urnn-coordinator" > "$work/hosts"
    # The pod user: uid and gid 65532, with fsGroup 65532 as a supplementary group.
    as_pod=(setpriv --reuid=65532 --regid=65532 --groups=65532 --inh-caps=-all)
    # One private network and mount namespace for the "cluster": only loopback, and /etc/hosts
    # saying where the Service name points (the cluster's DNS would).
    cat > "$work/cluster.sh" <<'SH'
set -euo pipefail
work="$1"; replicas="$2"; shift 2
mount --bind "$work/hosts" /etc/hosts
ip link set lo up
mapfile -d '' argv < "$work/coord.argv"
(cd "$work/coord/var/lib/urnn" && exec "$@" "${argv[@]}") > "$work/coord.out" 2> "$work/coord.err" &
echo $! > "$work/coord.pid"
for i in $(seq "$replicas"); do
    mapfile -d '' argv < "$work/worker$i.argv"
    "$@" "${argv[@]}" 2> "$work/worker$i.err" &
    echo $! > "$work/worker$i.pid"
done
wait
SH
    unshare --net --mount bash "$work/cluster.sh" "$work" "$replicas" "${as_pod[@]}" &
    pids+=("$!")
    for _ in $(seq 50); do [ -f "$work/worker$replicas.pid" ] && break; sleep 0.1; done
    for f in "$work"/coord.pid "$work"/worker*.pid; do [ -f "$f" ] && pids+=("$(cat "$f")"); done
    t0=$SECONDS
    done_count=0
    for _ in $(seq 600); do
        done_count=$("$bin/urnn-coordinator" status --store "$work/coord/var/lib/urnn/store.sqlite" --json 2>/dev/null \
            | grep -o '"done":[0-9]*' | cut -d: -f2 || true)
        [ "${done_count:-0}" -ge 40 ] && break
        kill -0 "$(cat "$work/coord.pid")" 2>/dev/null || break
        sleep 0.1
    done
    secs=$((SECONDS - t0))
    if [ "${done_count:-0}" -eq 40 ]; then pass "the manifests' coordinator and $replicas workers (uid 65532, CURVE, whitelist) ran 40 jobs in ${secs} s"
    else fail "${done_count:-0} of 40 jobs done"; echo "--- coordinator"; tail -20 "$work/coord.err"; echo "--- worker 1"; tail -20 "$work/worker1.err"; fi
    served=0
    for i in $(seq "$replicas"); do grep -q ': done ' "$work/worker$i.err" && served=$((served + 1)); done
    [ "$served" -eq "$replicas" ] && pass "each of the $replicas workers (one shared key pair) ran jobs" || fail "only $served of $replicas workers ran jobs"
    grep -q "CURVE on" "$work/coord.err" && pass "the coordinator ran with CURVE from the Secret" || fail "the coordinator did not say CURVE on"
    # --stay: the coordinator serves on after the last job; SIGTERM (a pod's deletion) ends it,
    # and it releases the workers, which exit on their own.
    kill -TERM "$(cat "$work/coord.pid")"
    ended=no
    for _ in $(seq 100); do
        alive=0
        for f in "$work"/coord.pid "$work"/worker*.pid; do kill -0 "$(cat "$f")" 2>/dev/null && alive=$((alive + 1)); done
        [ "$alive" -eq 0 ] && { ended=yes; break; }
        sleep 0.1
    done
    [ "$ended" = yes ] && pass "SIGTERM to the coordinator pod ended it, and its workers exited when released" \
        || fail "processes still running 10 s after SIGTERM to the coordinator"
fi
if [ "$failures" -eq 0 ]; then echo "PASS: deploy/k8s (offline; never applied to a real cluster)"; else echo "FAIL: $failures check(s) failed"; exit 1; fi
