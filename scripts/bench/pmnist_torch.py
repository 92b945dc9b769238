"""pMNIST training step in PyTorch, the twin of pmnist_jax.py for docs/EXPERIMENTS.md ("pMNIST benchmark").

One batch of 64 sequences x 784 steps x 1 input, ReLU RNN (the URNN's forward is the RNN's) or LSTM
(gate order i, f, g, o, as in pmnist_jax.py), last-state readout to 10 classes, softmax
cross-entropy, gradient of every parameter (torch.autograd.grad: gradient only, no optimizer
update), one thread (torch.set_num_threads(1), set_num_interop_threads(1); run under taskset -c 0).
Two implementations of the same model, both timed:
  manual  the recurrence written out with torch ops (input projection of all steps in one addmm,
          then one addmm + activation per step), autograd through a Python loop
  fused   torch.nn.RNN(nonlinearity="relu") / torch.nn.LSTM, whose CPU kernels run the whole
          sequence in one call (the cuDNN-style layer; it has two bias vectors, b_ih + b_hh, where
          the manual model has one: 2 n or 8 n more additions per step, not counted)
Prints CPU seconds per batch (min over repeats) and per 938-batch epoch for each, GFLOP/s with the
FLOP count of urnn-bench pmnist (multiply-add = 2 FLOPs, forward + backward = 3 x forward), and
which implementation was faster.
Subnormal floats are computed as IEEE (PyTorch's default) unless --flush-denormal is given.
Run: taskset -c 0 python3 scripts/bench/pmnist_torch.py rnn 64 [--flush-denormal]
"""
import argparse, sys, time
import numpy as np
import torch
import torch.nn.functional as F

B, T, Q, EPOCH_BATCHES = 64, 784, 10, 938

parser = argparse.ArgumentParser(description="PyTorch pMNIST gradient step, CPU seconds per batch of 64 x 784 steps.")
parser.add_argument("model", choices=["rnn", "urnn", "lstm"])
parser.add_argument("hidden", type=int, help="hidden units, 1...1024")
parser.add_argument("--impl", choices=["manual", "fused", "both"], default="both")
parser.add_argument("--repeats", type=int, default=3, help="timed batches, the minimum is reported (1...20)")
parser.add_argument("--flush-denormal", action="store_true",
                    help="torch.set_flush_denormal(True): subnormal floats as zero, as XLA (JAX) does by default")
args = parser.parse_args()
if not 1 <= args.hidden <= 1024:
    parser.error(f"hidden must be in 1...1024, got {args.hidden}")
if not 1 <= args.repeats <= 20:
    parser.error(f"--repeats must be in 1...20, got {args.repeats}")

torch.set_num_threads(1)
torch.set_num_interop_threads(1)
if args.flush_denormal and not torch.set_flush_denormal(True):
    sys.exit("--flush-denormal: this CPU has no flush-to-zero (SSE3 is needed)")
model, n = args.model, args.hidden
lstm = model == "lstm"

rng = np.random.default_rng(0)
x = torch.from_numpy(rng.random((T, B, 1), dtype=np.float32))
y = torch.from_numpy(rng.integers(0, Q, B))
if lstm:
    init = dict(Wx=rng.normal(0, 0.1, (1, 4 * n)), Wh=rng.normal(0, 0.1, (n, 4 * n)) / np.sqrt(n), b=np.zeros(4 * n),
                C=rng.normal(0, 0.1, (n, Q)), c=np.zeros(Q))
else:
    init = dict(F=rng.normal(0, 0.1, (1, n)), W=np.linalg.qr(rng.normal(size=(n, n)))[0], b=np.zeros(n),
                C=rng.normal(0, 0.1, (n, Q)), c=np.zeros(Q))
p = {k: torch.tensor(v, dtype=torch.float32, requires_grad=True) for k, v in init.items()}


def manual_loss():
    # The input projection of every step in one product (as nn.RNN does), then one addmm per step.
    h = torch.zeros(B, n)
    if lstm:
        xp = torch.addmm(p["b"], x.view(T * B, 1), p["Wx"]).view(T, B, 4 * n)
        c = torch.zeros(B, n)
        for xt in xp.unbind(0):  # unbind, not xp[t]: xp[t]'s backward builds a [T, B, 4n] zero tensor per step
            i, f, g, o = torch.addmm(xt, h, p["Wh"]).chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
    else:
        xp = torch.addmm(p["b"], x.view(T * B, 1), p["F"]).view(T, B, n)
        for xt in xp.unbind(0):
            h = F.relu(torch.addmm(xt, h, p["W"]))
    return F.cross_entropy(torch.addmm(p["c"], h, p["C"]), y)


# The fused layer stores weights transposed ([4n, 1] and [4n, n]); same values as the manual model.
if lstm:
    layer = torch.nn.LSTM(1, n)
    with torch.no_grad():
        layer.weight_ih_l0.copy_(p["Wx"].T); layer.weight_hh_l0.copy_(p["Wh"].T)
        layer.bias_ih_l0.copy_(p["b"]); layer.bias_hh_l0.zero_()
else:
    layer = torch.nn.RNN(1, n, nonlinearity="relu")
    with torch.no_grad():
        layer.weight_ih_l0.copy_(p["F"].T); layer.weight_hh_l0.copy_(p["W"].T)
        layer.bias_ih_l0.copy_(p["b"]); layer.bias_hh_l0.zero_()
fused_params = list(layer.parameters()) + [p["C"], p["c"]]


def fused_loss():
    out, _ = layer(x)
    return F.cross_entropy(torch.addmm(p["c"], out[-1], p["C"]), y)


def time_grad(loss_fn, params):
    torch.autograd.grad(loss_fn(), params)  # warm-up (allocator, kernel selection)
    best = float("inf")
    for _ in range(args.repeats):
        t0 = time.process_time()
        torch.autograd.grad(loss_fn(), params)
        best = min(best, time.process_time() - t0)
    return best


macs = T * (4 * n * (n + 1) if lstm else n * n + n) + Q * n  # forward multiply-adds per sequence
flops = 6.0 * macs * B  # per batch: 2 FLOPs per multiply-add, forward + backward = 3 x forward
with torch.no_grad():
    agree = abs(manual_loss().item() - fused_loss().item())
results = {}
if args.impl in ("manual", "both"):
    results["manual"] = time_grad(manual_loss, list(p.values()))
if args.impl in ("fused", "both"):
    results["fused"] = time_grad(fused_loss, fused_params)
for impl, s in results.items():
    print(f"torch {torch.__version__} {model} hidden {n} {impl}: cpu s/batch {s:.4f}, "
          f"cpu s/epoch ({EPOCH_BATCHES} batches) {s * EPOCH_BATCHES:.1f}, GFLOP/s {flops / s * 1e-9:.2f}")
best = min(results, key=results.get)
print(f"torch {torch.__version__} {model} hidden {n} best {best}: cpu s/batch {results[best]:.4f} "
      f"(threads {torch.get_num_threads()}, flush denormal {'on' if args.flush_denormal else 'off'}, cpu capability {torch.backends.cpu.get_cpu_capability()}, "
      f"|manual loss - fused loss| {agree:.1e})")
if agree > 1e-3:
    sys.exit(f"manual and fused models disagree: loss difference {agree}")
