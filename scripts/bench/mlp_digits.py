"""MLP 64-128-64-10 on digits: mle against PyTorch, same split, same configuration.

50 epochs, mini-batches of 32, Adam with lr 0.001 (PyTorch's default betas and eps), ReLU,
cross-entropy, inputs standardised with training statistics, PyTorch's default initialisation.
The two run alternately, several repetitions; medians and the ratio are printed.

What is timed:
- mle: the whole process (start-up, reading both CSV files, training, evaluating), measured from
  outside. This counts more work than PyTorch's figure, so the ratio is conservative for mle.
- PyTorch: standardisation, the training loop and evaluation, in this process, 2 threads.
"""
import csv
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time

import numpy as np
import torch

from common import arguments


def stratified_split(labels, ratio, seed):
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in sorted(set(labels)):
        idx = [i for i, l in enumerate(labels) if l == c]
        rng.shuffle(idx)
        k = round(len(idx) * ratio)
        train += idx[:k]
        test += idx[k:]
    return sorted(train), sorted(test)


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def run_mle(mle, script):
    start = time.perf_counter()
    out = subprocess.run([mle, "--format", "json", script], check=True, capture_output=True, text=True).stdout
    elapsed = time.perf_counter() - start
    report = [json.loads(l) for l in out.splitlines() if l.startswith("{")][-1]
    return elapsed, report["accuracy"]


def run_torch(xtr, ytr, xte, yte, seed, epochs, batch, lr):
    torch.manual_seed(seed)
    start = time.perf_counter()
    xtr_t = torch.tensor(xtr)
    mean, std = xtr_t.mean(0), xtr_t.std(0, unbiased=False)
    std[std < 1e-12] = 1
    xtr_t = (xtr_t - mean) / std
    ytr_t = torch.tensor(ytr)
    net = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(),
                              torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = len(ytr)
    for _ in range(epochs):
        perm = torch.randperm(n)
        for s in range(0, n, batch):
            idx = perm[s:s + batch]
            opt.zero_grad()
            loss = loss_fn(net(xtr_t[idx]), ytr_t[idx])
            loss.backward()
            opt.step()
    with torch.no_grad():
        pred = net((torch.tensor(xte) - mean) / std).argmax(1).numpy()
    elapsed = time.perf_counter() - start
    return elapsed, float((pred == np.array(yte)).mean())


def main():
    args = arguments()
    torch.set_num_threads(2)

    with open(os.path.join(args.root, "datasets/digits.csv")) as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    labels = [int(r[-1]) for r in body]
    train_idx, test_idx = stratified_split(labels, 0.8, seed=1)
    tmp = tempfile.mkdtemp(prefix="mle-bench-")
    write_csv(os.path.join(tmp, "train.csv"), header, [body[i] for i in train_idx])
    write_csv(os.path.join(tmp, "test.csv"), header, [body[i] for i in test_idx])
    script = os.path.join(tmp, "mlp.mle")
    with open(script, "w") as f:
        f.write(f'train = load "{tmp}/train.csv" target=digit task=classification\n'
                f'test = load "{tmp}/test.csv" target=digit task=classification\n'
                'net = mlp train hidden=[128, 64] epochs=50 batch=32 lr=0.001 seed=1\n'
                'evaluate net test\n')
    xtr = np.array([[float(v) for v in body[i][:-1]] for i in train_idx], dtype=np.float32)
    xte = np.array([[float(v) for v in body[i][:-1]] for i in test_idx], dtype=np.float32)
    ytr = [labels[i] for i in train_idx]
    yte = [labels[i] for i in test_idx]

    mle_t, torch_t, mle_acc, torch_acc = [], [], [], []
    run_mle(args.mle, script)                              # warm the file cache
    run_torch(xtr, ytr, xte, yte, 0, 1, 32, 0.001)         # warm PyTorch's kernels
    for rep in range(args.reps):
        t, a = run_mle(args.mle, script); mle_t.append(t); mle_acc.append(a)
        t, a = run_torch(xtr, ytr, xte, yte, rep, 50, 32, 0.001); torch_t.append(t); torch_acc.append(a)

    m, p = statistics.median(mle_t), statistics.median(torch_t)
    print(f"MLP 64-128-64-10 on digits ({len(train_idx)} train / {len(test_idx)} test rows), "
          f"50 epochs, batch 32, Adam lr 0.001; {args.reps} alternating repetitions")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"torch {torch.__version__} with {torch.get_num_threads()} threads")
    print(f"{'':10}{'median s':>10}{'min s':>8}{'max s':>8}{'accuracy':>10}")
    print(f"{'mle':10}{m:>10.3f}{min(mle_t):>8.3f}{max(mle_t):>8.3f}{statistics.median(mle_acc):>10.4f}")
    print(f"{'pytorch':10}{p:>10.3f}{min(torch_t):>8.3f}{max(torch_t):>8.3f}{statistics.median(torch_acc):>10.4f}")
    print(f"ratio mle/pytorch: {m / p:.3f} (target ≤ 0.333)   "
          f"accuracy difference: {100 * (statistics.median(mle_acc) - statistics.median(torch_acc)):+.2f} points (target within 1)")


if __name__ == "__main__":
    main()
