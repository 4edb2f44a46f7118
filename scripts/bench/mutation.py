"""Issue 21's mutation row: mutation analysis of a 64-32-10 digits network — the original and
mle's six training mutants (label noise 10%, half the training rows, tanh, learning rate × 10,
epochs × 0.25, hidden units × 0.25), 20 instances each: 140 trainings of 20 epochs (mini-batches
of 32, Adam, lr 0.001, standardised inputs) and each instance's test accuracy — mle's `mutation`
against the same 140 trainings in PyTorch, one after another with PyTorch's 2 threads.

mle's time is the `mutation … mutants=[label_noise, drop_rows, activation, lr, epochs, units]`
call inside one session (set timer on; the data loaded and the original trained before), which
also runs the Welch tests and neuron coverage. The issue names 10 training mutants × 20 instances
(200 trainings); mle has six training operators, so both sides train the same 140 networks.
"""
import csv
import os
import statistics
import tempfile
import time

import numpy as np
import torch

from common import arguments, mle_call_times

args = arguments()
torch.set_num_threads(2)
tmp = tempfile.mkdtemp(prefix="mle-bench-mutation-")
digits = os.path.join(args.root, "datasets", "digits.csv")
with open(digits) as f:
    rows = list(csv.reader(f))
header, data = rows[0], rows[1:]
x = np.array([[float(v) for v in r[:-1]] for r in data], dtype=np.float32)
y = np.array([int(r[-1]) for r in data])
rng = np.random.default_rng(1)
order = rng.permutation(len(y))
cut = int(0.7 * len(y))
train_idx, test_idx = order[:cut], order[cut:]
xtr, ytr, xte, yte = x[train_idx], y[train_idx], x[test_idx], y[test_idx]
tr_path, te_path = os.path.join(tmp, "train.csv"), os.path.join(tmp, "test.csv")
for path, xs, ys in [(tr_path, xtr, ytr), (te_path, xte, yte)]:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows([list(map(lambda v: int(v), a)) + [int(b)] for a, b in zip(xs, ys)])

EPOCHS, BATCH, LR, K = 20, 32, 0.001, 20
CONFIGS = [  # (name, label noise, keep share, activation, lr, epochs, hidden)
    ("original", 0.0, 1.0, torch.nn.ReLU, LR, EPOCHS, 32),
    ("label noise", 0.1, 1.0, torch.nn.ReLU, LR, EPOCHS, 32),
    ("drop rows", 0.0, 0.5, torch.nn.ReLU, LR, EPOCHS, 32),
    ("tanh", 0.0, 1.0, torch.nn.Tanh, LR, EPOCHS, 32),
    ("lr x 10", 0.0, 1.0, torch.nn.ReLU, LR * 10, EPOCHS, 32),
    ("epochs x 0.25", 0.0, 1.0, torch.nn.ReLU, LR, EPOCHS // 4, 32),
    ("units x 0.25", 0.0, 1.0, torch.nn.ReLU, LR, EPOCHS, 8),
]


def train_once(seed, noise, keep, act, lr, epochs, hidden):
    g = np.random.default_rng(seed)
    xs, ys = xtr, ytr.copy()
    if noise > 0:
        flip = g.permutation(len(ys))[:round(noise * len(ys))]
        ys[flip] = (ys[flip] + 1 + g.integers(0, 9, len(flip))) % 10
    if keep < 1:
        chosen = np.sort(g.permutation(len(ys))[:round(keep * len(ys))])
        xs, ys = xs[chosen], ys[chosen]
    torch.manual_seed(seed)
    xt = torch.tensor(xs)
    mean, std = xt.mean(0), xt.std(0, unbiased=False)
    std[std < 1e-12] = 1
    xt = (xt - mean) / std
    yt = torch.tensor(ys)
    net = torch.nn.Sequential(torch.nn.Linear(64, hidden), act(), torch.nn.Linear(hidden, 10))
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = len(ys)
    for _ in range(epochs):
        perm = torch.randperm(n)
        for s in range(0, n, BATCH):
            idx = perm[s:s + BATCH]
            opt.zero_grad()
            loss_fn(net(xt[idx]), yt[idx]).backward()
            opt.step()
    with torch.no_grad():
        pred = net((torch.tensor(xte) - mean) / std).argmax(1).numpy()
    return float((pred == yte).mean())


def torch_once():
    start = time.perf_counter()
    accuracies = {name: [train_once(s, *rest) for s in range(K)] for name, *rest in CONFIGS}
    elapsed = time.perf_counter() - start
    assert all(0 < np.mean(a) <= 1 for a in accuracies.values())
    return elapsed


base = (f'train = load "{tr_path}" target=digit\ntest = load "{te_path}" target=digit\n'
        f"net = mlp train hidden=[32] epochs={EPOCHS} seed=1\n")
line = f"mutation net train test k={K} mutants=[label_noise, drop_rows, activation, lr, epochs, units] seed=1"
mle_times, torch_times = [], []
for rep in range(args.reps):
    mle_times += mle_call_times(args.mle, tmp, base, line, 1)
    torch_times.append(torch_once())
m, t = statistics.median(mle_times), statistics.median(torch_times)
print(f"Mutation analysis: 64-32-10 on digits, original + 6 training mutants x {K} instances "
      f"({7 * K} trainings of {EPOCHS} epochs), median of {args.reps}")
print(f"  mle (mutation)           {m:.2f} s")
print(f"  PyTorch {torch.__version__:<12}  {t:.2f} s")
print(f"  speed-up {t / m:.1f}x (target >= 5)")
