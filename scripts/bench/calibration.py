"""Issue 20's row: the calibration statistics (ECE, MCE, Brier score, log loss) with a
10,000-resample bootstrap interval on 100,000 predictions, mle's `calibration` against the same
computation in NumPy, vectorised over resamples (chunks of 100 resamples: the drawn indices as a
100 × n matrix, bins gathered, per-resample bin counts and sums by one bincount each).

mle's time is the `calibration` call inside one session (set timer on), the predictions already
loaded; NumPy's is the resampling and the four percentile intervals, the per-row terms computed
before. Both use 10 equal-width bins.
"""
import os
import statistics
import tempfile
import time

import numpy as np

from common import arguments, mle_call_times

args = arguments()
tmp = tempfile.mkdtemp(prefix="mle-bench-calibration-")
rng = np.random.default_rng(20261130)
n, resamples, bins = 100_000, 10_000, 10
actual = rng.random(n) < 0.3
p_yes = np.clip(np.where(actual, rng.beta(5, 2, n), rng.beta(2, 5, n)), 0, 1)
path = os.path.join(tmp, "predictions.csv")
with open(path, "w") as f:
    f.write("actual,p_no,p_yes\n")
    f.writelines(f"{'yes' if a else 'no'},{1 - q:.6f},{q:.6f}\n" for a, q in zip(actual, p_yes))
# The probabilities as mle reads them (float32 of the decimals).
table = np.loadtxt(path, delimiter=",", skiprows=1, usecols=(1, 2), dtype=np.float32).astype(np.float64)
p = table[:, 1]
edges = np.linspace(0, 1, bins + 1)
b = np.searchsorted(edges[1:-1], p)
d = actual.astype(float) - p
brier = (p - actual) ** 2
loss = -np.log(np.clip(np.where(actual, p, table[:, 0]), np.finfo(float).eps, 1 - np.finfo(float).eps))


def numpy_once(seed):
    start = time.perf_counter()
    g = np.random.default_rng(seed)
    chunk = 100
    out = {"ece": [], "mce": [], "brier": [], "log_loss": []}
    offsets = bins * np.arange(chunk)[:, None]
    for _ in range(0, resamples, chunk):
        idx = g.integers(0, n, size=(chunk, n))
        cells = (b[idx] + offsets).ravel()
        counts = np.bincount(cells, minlength=chunk * bins).reshape(chunk, bins)
        sums = np.bincount(cells, weights=d[idx].ravel(), minlength=chunk * bins).reshape(chunk, bins)
        out["ece"].append(np.abs(sums).sum(axis=1) / n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["mce"].append(np.nanmax(np.where(counts > 0, np.abs(sums) / counts, np.nan), axis=1))
        out["brier"].append(brier[idx].mean(axis=1))
        out["log_loss"].append(loss[idx].mean(axis=1))
    intervals = {k: np.percentile(np.concatenate(v), [2.5, 97.5]) for k, v in out.items()}
    elapsed = time.perf_counter() - start
    assert all(np.isfinite(v).all() for v in intervals.values())
    return elapsed


base = f'p = load "{path}" target=actual\nm = predictions p scores=[p_no, p_yes]\n'
line = f"calibration m p resamples={resamples} seed=1"
mle_times, np_times = [], []
for rep in range(args.reps):
    mle_times += mle_call_times(args.mle, tmp, base, line, 1)
    np_times.append(numpy_once(rep))
m, q = statistics.median(mle_times), statistics.median(np_times)
print(f"Calibration: ECE, MCE, Brier, log loss with {resamples} bootstrap resamples of {n} predictions, median of {args.reps}")
print(f"  mle (calibration)  {m:.2f} s")
print(f"  NumPy {np.__version__}        {q:.2f} s")
print(f"  speed-up {q / m:.1f}x (target >= 20)")
