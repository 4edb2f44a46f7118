"""Issue 3's rows: CSV load of a 200,000 × 51 numeric file against pandas.read_csv (time and peak
memory), and MLP 50-256-256-2 training (3 epochs, batch 256, Adam) against PyTorch, with the
GFLOPS each reaches beside sgemm's measured peak (NumPy's OpenBLAS, 2048² float32)."""
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from common import arguments, mle_time, run_measured

args = arguments()
tmp = tempfile.mkdtemp(prefix="mle-bench-data-")
path = os.path.join(tmp, "wide.csv")
rng = np.random.default_rng(20261124)
x = rng.normal(size=(200_000, 50))
y = (x[:, 0] + 0.5 * x[:, 1] - x[:, 2] > 0).astype(int)
with open(path, "w") as f:
    f.write(",".join([f"f{i}" for i in range(50)] + ["y"]) + "\n")
    for r in range(len(x)):
        f.write(",".join(f"{v:.6f}" for v in x[r]) + f",{y[r]}\n")
size_mb = os.path.getsize(path) / 1e6
float32_mb = 200_000 * 51 * 4 / 1e6


load = f'd = load "{path}" target=y'
pandas_code = f"import pandas as pd, time; t = time.perf_counter(); d = pd.read_csv({path!r}); print(time.perf_counter() - t)"
mle_t, mle_mem, pd_t, pd_mem, base_mem = [], [], [], [], []
for _ in range(args.reps):
    t_load, m = run_measured([args.mle, "-c", load])
    t_empty, _ = run_measured([args.mle, "-c", "x = 1"])
    mle_t.append(t_load - t_empty)
    mle_mem.append(m)
    out = subprocess.run([sys.executable, "-c", pandas_code], capture_output=True, text=True, check=True)
    pd_t.append(float(out.stdout))
    _, m = run_measured([sys.executable, "-c", pandas_code])
    pd_mem.append(m)
    _, m = run_measured([sys.executable, "-c", "import pandas"])
    base_mem.append(m)
_, empty_mem = run_measured([args.mle, "-c", "x = 1"])
print(f"CSV load, {size_mb:.0f} MB, 200000 x 51 (float32 data {float32_mb:.0f} MB), median of {args.reps}")
print(f"  mle   {statistics.median(mle_t):.3f} s   peak RSS {statistics.median(mle_mem):.0f} MB (an empty session: {empty_mem:.0f} MB)")
print(f"  pandas.read_csv {statistics.median(pd_t):.3f} s   peak RSS {statistics.median(pd_mem):.0f} MB (after import pandas: {statistics.median(base_mem):.0f} MB)")
print(f"  ratio mle / pandas {statistics.median(mle_t) / statistics.median(pd_t):.2f} (target <= 1); "
      f"mle peak / float32 size {statistics.median(mle_mem) / float32_mb:.2f} (target <= 2; the whole process), "
      f"{(statistics.median(mle_mem) - empty_mem) / float32_mb:.2f} counting only what loading adds")

# MLP 50-256-256-2 on the same rows, 3 epochs, batch 256, Adam 1e-3.
import torch  # noqa: E402

torch.set_num_threads(2)
params = 50 * 256 + 256 + 256 * 256 + 256 + 256 * 2 + 2
flops = 6 * params * 200_000 * 3   # forward 2, backward 4 multiply-adds per weight and row
xs = torch.tensor(((x - x.mean(0)) / x.std(0)).astype(np.float32))
yt = torch.tensor(y)


def torch_train():
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(50, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(),
                              torch.nn.Linear(256, 2))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    start = time.perf_counter()
    for _ in range(3):
        order = torch.randperm(len(xs))
        for i in range(0, len(xs), 256):
            idx = order[i:i + 256]
            opt.zero_grad()
            loss = loss_fn(net(xs[idx]), yt[idx])
            loss.backward()
            opt.step()
    return time.perf_counter() - start


mle_train, torch_times = [], []
for _ in range(args.reps):
    mle_train.append(mle_time(args.mle, tmp, load + "\n", "mlp d hidden=[256, 256] epochs=3 batch=256 seed=1", 1))
    torch_times.append(torch_train())
a = np.ones((2048, 2048), dtype=np.float32)
np.dot(a, a)
start = time.perf_counter()
for _ in range(5):
    np.dot(a, a)
peak = 5 * 2 * 2048 ** 3 / (time.perf_counter() - start) / 1e9
m, t = statistics.median(mle_train), statistics.median(torch_times)
print(f"MLP 50-256-256-2, 200000 rows, 3 epochs, batch 256, Adam (2 threads), median of {args.reps}")
print(f"  mle     {m:.3f} s  {600_000 / m:,.0f} rows/s  {flops / m / 1e9:.1f} GFLOPS")
print(f"  PyTorch {t:.3f} s  {600_000 / t:,.0f} rows/s  {flops / t / 1e9:.1f} GFLOPS")
print(f"  throughput ratio mle / PyTorch {t / m:.2f} (target >= 1.5); sgemm peak (2048², 2 threads) {peak:.1f} GFLOPS")
