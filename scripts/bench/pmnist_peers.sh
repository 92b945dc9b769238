#!/usr/bin/env bash
# pMNIST side by side (docs/EXPERIMENTS.md, "pMNIST benchmark"): URNNSweep, PyTorch and JAX,
# interleaved A B C A B C in the same minutes, each on one core (taskset -c CORE), for every
# (model, hidden). Prints one line per run and then min / max CPU s per batch of 64 x 784 steps.
# Peers: urnnsweep and torch as shipped (IEEE subnormals), urnnsweep-ftz (LD_PRELOAD of
# ftz_preload.c: subnormals flushed to zero, a diagnostic, not a supported mode), torch-ftz
# (torch.set_flush_denormal(True)) and jax (XLA flushes subnormals by default).
#
# Usage: scripts/bench/pmnist_peers.sh [ROUNDS]      (ROUNDS in 1...10, default 3)
# Env:   PY=/work/venv-torch/bin/python (a Python with torch and jax[cpu]), CORE=0,
#        MODELS="rnn urnn lstm", HIDDEN="64 128", DATA=/usr/share/datasets/fashion-mnist
# Needs: swift build -c release --product urnn-bench (run from the repository root).
# URNNSweep's figure includes the RMSProp update (and the URNN's projection); the peers' are the
# gradient only (pmnist_torch.py reports the faster of its manual and fused-layer models).
set -euo pipefail
rounds=${1:-3}
[[ "$rounds" =~ ^[0-9]+$ ]] && (( rounds >= 1 && rounds <= 10 )) || { echo "pmnist_peers: ROUNDS must be 1...10, got '$rounds'" >&2; exit 2; }
PY=${PY:-/work/venv-torch/bin/python}; CORE=${CORE:-0}
MODELS=${MODELS:-rnn urnn lstm}; HIDDEN=${HIDDEN:-64 128}; DATA=${DATA:-/usr/share/datasets/fashion-mnist}
[[ "$CORE" =~ ^[0-9]+$ ]] && (( CORE < $(nproc) )) || { echo "pmnist_peers: CORE must be 0...$(( $(nproc) - 1 )), got '$CORE'" >&2; exit 2; }
bench=.build/release/urnn-bench
[ -x "$bench" ] || { echo "pmnist_peers: $bench missing: swift build -c release --product urnn-bench" >&2; exit 2; }
[ -x "$PY" ] || { echo "pmnist_peers: PY=$PY is not an executable Python" >&2; exit 2; }
"$PY" -c "import torch, jax" || { echo "pmnist_peers: $PY cannot import torch and jax" >&2; exit 2; }
here=$(dirname "$0")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
log=$tmp/runs
cc -O2 -shared -fPIC -o "$tmp/ftz.so" "$here/ftz_preload.c" || { echo "pmnist_peers: cannot build $here/ftz_preload.c with cc" >&2; exit 2; }
# Every run is bounded: SIGKILL after 15 minutes (a plain SIGTERM may be masked in this environment).
run() { timeout -s KILL 900 taskset -c "$CORE" "$@"; }
note() {
  [ -n "$5" ] || { echo "pmnist_peers: round $1 $2 $3 $4 printed no figure" >&2; exit 1; }
  echo "round $1 $2 $3 $4 $5 $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$log"
}
for r in $(seq 1 "$rounds"); do
  for m in $MODELS; do
    for n in $HIDDEN; do
      ours=("$bench" pmnist --data "$DATA" --models "$m" --hidden "$n" --batches 2 --repeats 2)
      note "$r" "$m" "$n" urnnsweep "$(run "${ours[@]}" | awk -v m="$m" '$1 == m { print $3 }')"
      note "$r" "$m" "$n" urnnsweep-ftz "$(LD_PRELOAD="$tmp/ftz.so" run "${ours[@]}" | awk -v m="$m" '$1 == m { print $3 }')"
      note "$r" "$m" "$n" torch "$(run "$PY" "$here/pmnist_torch.py" "$m" "$n" --repeats 2 | awk '/ best / { print $10 " " $7 }')"
      note "$r" "$m" "$n" torch-ftz "$(run "$PY" "$here/pmnist_torch.py" "$m" "$n" --repeats 2 --flush-denormal | awk '/ best / { print $10 " " $7 }')"
      note "$r" "$m" "$n" jax "$(run "$PY" "$here/pmnist_jax.py" "$m" "$n" | awk '{ print $8 }' | tr -d ,)"
    done
  done
done
echo "model hidden peer min_s_per_batch max_s_per_batch runs"
awk '{ k = $3 " " $4 " " $5; v = $6 + 0; if (!(k in lo) || v < lo[k]) lo[k] = v; if (v > hi[k]) hi[k] = v; c[k]++ }
     END { for (k in lo) printf "%s %.4f %.4f %d\n", k, lo[k], hi[k], c[k] }' "$log" | sort -k1,1 -k2,2n -k3,3
