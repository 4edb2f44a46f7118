"""Issue 21's fairness row: the equalized-odds difference (and the other gaps) with a
10,000-resample bootstrap interval on 100,000 predictions in 4 groups, rows resampled within
their groups: mle's `fairness` against fairlearn's equalized_odds_difference (a MetricFrame of
true and false positive rates by group) called on each resample in a loop, the resamples drawn
with NumPy.

mle's time is the `fairness` call inside one session (set timer on), the predictions already
loaded; it computes every gap of the report (demographic parity, equalized odds, equal
opportunity) on every resample, and the per-group Wilson intervals. fairlearn's time is measured
on FAIRLEARN_RESAMPLES resamples and multiplied up to 10,000: a loop of identical iterations
(a resample takes it tens of milliseconds; 10,000 of them would take minutes per repetition).
"""
import os
import statistics
import tempfile
import time

import numpy as np
from fairlearn.metrics import equalized_odds_difference

from common import arguments, mle_call_times

FAIRLEARN_RESAMPLES = 20
args = arguments()
tmp = tempfile.mkdtemp(prefix="mle-bench-fairness-")
rng = np.random.default_rng(20261130)
n, resamples = 100_000, 10_000
group = rng.integers(0, 4, n)
actual = rng.random(n) < 0.3 + 0.05 * group
right = rng.random(n) < 0.8 + 0.03 * group
predicted = np.where(right, actual, ~actual)
path = os.path.join(tmp, "predictions.csv")
names = np.array(["a", "b", "c", "d"])
with open(path, "w") as f:
    f.write("actual,predicted,group\n")
    f.writelines(f"{'yes' if a else 'no'},{'yes' if p else 'no'},{names[g]}\n"
                 for a, p, g in zip(actual, predicted, group))
y, p = actual.astype(int), predicted.astype(int)
members = [np.flatnonzero(group == k) for k in range(4)]


def fairlearn_once(seed):
    g = np.random.default_rng(seed)
    start = time.perf_counter()
    values = []
    for _ in range(FAIRLEARN_RESAMPLES):
        idx = np.concatenate([m[g.integers(0, len(m), len(m))] for m in members])
        values.append(equalized_odds_difference(y[idx], p[idx], sensitive_features=group[idx]))
    np.percentile(values, [2.5, 97.5])
    return (time.perf_counter() - start) * resamples / FAIRLEARN_RESAMPLES


base = f'd = load "{path}" target=actual\nm = predictions d predicted=predicted\n'
line = f"fairness m d group=group resamples={resamples} seed=1"
mle_times, fl_times = [], []
for rep in range(args.reps):
    mle_times += mle_call_times(args.mle, tmp, base, line, 1)
    fl_times.append(fairlearn_once(rep))
m, q = statistics.median(mle_times), statistics.median(fl_times)
import fairlearn  # noqa: E402
print(f"Fairness: equalized-odds difference with {resamples} bootstrap resamples of {n} predictions in 4 groups, "
      f"median of {args.reps}")
print(f"  mle (fairness, every gap)        {m:.3f} s")
print(f"  fairlearn {fairlearn.__version__} (per resample × {resamples})  {q:.1f} s  "
      f"(measured on {FAIRLEARN_RESAMPLES} resamples)")
print(f"  speed-up {q / m:.0f}x (target >= 20)")
