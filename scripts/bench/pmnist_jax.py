"""pMNIST training step in JAX, for the side-by-side in docs/EXPERIMENTS.md ("pMNIST benchmark").

One batch of 64 sequences x 784 steps x 1 input, ReLU RNN or LSTM (Keras gate order), last-state
readout to 10 classes, softmax cross-entropy, gradient of every parameter (jax.grad over lax.scan),
jit-compiled, one thread. Prints CPU seconds per batch (min over repeats) and per 938-batch epoch.
Run: taskset -c 0 python3 scripts/bench/pmnist_jax.py rnn 64
"""
import argparse, os, sys, time

parser = argparse.ArgumentParser(description="JAX pMNIST gradient step, CPU seconds per batch of 64 x 784 steps.")
parser.add_argument("model", choices=["rnn", "urnn", "lstm"], help="urnn runs the RNN (same forward)")
parser.add_argument("hidden", type=int, help="hidden units, 1...1024")
args = parser.parse_args()
if not 1 <= args.hidden <= 1024:
    parser.error(f"hidden must be in 1...1024, got {args.hidden}")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
import jax, jax.numpy as jnp
import numpy as np

model, n = args.model, args.hidden
B, T, q = 64, 784, 10
rng = np.random.default_rng(0)
x = jnp.asarray(rng.random((T, B, 1), dtype=np.float32))
y = jnp.asarray(rng.integers(0, q, B))
if model == "lstm":
    params = dict(Wx=rng.normal(0, 0.1, (1, 4 * n)), Wh=rng.normal(0, 0.1, (n, 4 * n)) / np.sqrt(n), b=np.zeros(4 * n),
                  C=rng.normal(0, 0.1, (n, q)), c=np.zeros(q))
else:
    params = dict(F=rng.normal(0, 0.1, (1, n)), W=np.linalg.qr(rng.normal(size=(n, n)))[0], b=np.zeros(n),
                  C=rng.normal(0, 0.1, (n, q)), c=np.zeros(q))
params = {k: jnp.asarray(v, dtype=jnp.float32) for k, v in params.items()}

def loss(p, x, y):
    if model == "lstm":
        def step(carry, xt):
            h, c = carry
            z = xt @ p["Wx"] + h @ p["Wh"] + p["b"]
            i, f, g, o = jnp.split(z, 4, axis=1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), None
        (h, _), _ = jax.lax.scan(step, (jnp.zeros((B, n)), jnp.zeros((B, n))), x)
    else:
        def step(h, xt):
            return jax.nn.relu(xt @ p["F"] + h @ p["W"] + p["b"]), None
        h, _ = jax.lax.scan(step, jnp.zeros((B, n)), x)
    logits = h @ p["C"] + p["c"]
    return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(B), y])

grad = jax.jit(jax.grad(loss))
jax.block_until_ready(grad(params, x, y))  # compile
best = float("inf")
for _ in range(3):
    t0 = time.process_time()
    jax.block_until_ready(grad(params, x, y))
    best = min(best, time.process_time() - t0)
print(f"jax {jax.__version__} {model} hidden {n}: cpu s/batch {best:.4f}, cpu s/epoch (938 batches) {best * 938:.1f}")
