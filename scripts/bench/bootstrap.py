"""Percentile bootstrap of accuracy, N = 100,000 predictions, B = 10,000: mle against
scipy.stats.bootstrap (vectorized), and BCa of balanced accuracy with N = 540, B = 9999.

mle's time is the difference between a script that loads the data, fits the model and runs
`interval`, and the same script without `interval`, so only the interval is counted (medians of
alternating runs). scipy's is the call to scipy.stats.bootstrap on the 0/1 correctness vector
of the same predictions (batch=500 to bound memory).
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np
from scipy import stats


def timed(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def write_xy(path, x, y):
    with open(path, "w") as f:
        f.write("x,y\n")
        f.writelines(f"{a:.6f},{b}\n" for a, b in zip(x, y))


def interval_time(mle, tmp, name, base, line):
    """Time of `line`: a script with it minus the same script without it."""
    without, with_ = os.path.join(tmp, name + "-without.mle"), os.path.join(tmp, name + "-with.mle")
    with open(without, "w") as f:
        f.write(base)
    with open(with_, "w") as f:
        f.write(base + line + "\n")
    return max(timed([mle, with_]) - timed([mle, without]), 1e-4)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mle", required=True)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="mle-bench-boot-")
    rng = np.random.default_rng(0)
    n = 100_000
    x = rng.normal(size=n)
    y = (x + rng.normal(scale=1.0, size=n) > 0).astype(int)
    path = os.path.join(tmp, "big.csv")
    write_xy(path, x, y)
    base = f'd = load "{path}" target=y\nm = mlp d hidden=[4] epochs=1 batch=1024 seed=1\n'
    # The model's predictions, for scipy: read them back with predict.
    pred_path = os.path.join(tmp, "pred.csv")
    subprocess.run([args.mle, "-c", base.replace("\n", ";") + f'predict m d to="{pred_path}"'], check=True, capture_output=True)
    rows = np.genfromtxt(pred_path, delimiter=",", skip_header=1, dtype=str)
    correct = (rows[:, 1] == rows[:, 2]).astype(float)

    mle_t, scipy_t = [], []
    for _ in range(args.reps):
        mle_t.append(interval_time(args.mle, tmp, "big", base,
                                   "interval m d metric=accuracy method=percentile resamples=10000 seed=1"))
        start = time.perf_counter()
        stats.bootstrap((correct,), np.mean, n_resamples=10_000, method="percentile", vectorized=True,
                        batch=500, random_state=0)
        scipy_t.append(time.perf_counter() - start)
    m, s = statistics.median(mle_t), statistics.median(scipy_t)
    print(f"percentile bootstrap of accuracy, N = {n}, B = 10000, {args.reps} alternating repetitions")
    print(f"  mle   {m:8.3f} s   scipy.stats.bootstrap {s:8.3f} s   speed-up {s / m:6.1f}x (target >= 20x)")

    # BCa of balanced accuracy, N = 540 (a breast_cancer-sized test set), B = 9999.
    n2 = 540
    x2 = rng.normal(size=n2)
    y2 = (x2 + rng.normal(scale=0.8, size=n2) > 0.3).astype(int)
    path2 = os.path.join(tmp, "small.csv")
    write_xy(path2, x2, y2)
    base2 = f'd = load "{path2}" target=y\nm = mlp d hidden=[4] epochs=5 seed=1\n'
    t2 = statistics.median(interval_time(args.mle, tmp, "small", base2,
                                         "interval m d metric=balanced_accuracy method=bca resamples=9999 seed=1")
                           for _ in range(args.reps))
    print(f"BCa of balanced accuracy, N = {n2}, B = 9999: mle {t2:.3f} s (target < 0.5 s)")


if __name__ == "__main__":
    main()
