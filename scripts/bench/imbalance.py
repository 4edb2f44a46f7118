"""Issue 7's rows: the book's ensemble of 9 MLP members (64-32-2, 60 epochs, batch 32, Adam 1e-3)
on digits 8-versus-the-rest, trained in parallel (both cores) against the same members trained one
after another (workers=1), and against imbalanced-learn's BalancedBaggingClassifier with 9
MLPClassifier members of the same size and epochs (each on an undersampled balanced set, no
bootstrap, n_jobs=2), fit on the same training rows.

mle's times come from `set timer on`: each of 10 calls per process is timed, parallel and
sequential processes alternate, and the median is over every call of every repetition. The mean
over the calls of each process is printed too (it counts in a process's slow first call and any
stretch in which a virtual machine's cores run slower). Each repetition also probes how many
cores' worth of arithmetic the machine gives two busy threads (`core_capacity`), which bounds the
speed-up two threads can reach."""
import csv
import os
import statistics
import tempfile
import time

import numpy as np

import sys

from common import arguments, core_capacity, mle_call_times

args = arguments()
tmp = tempfile.mkdtemp(prefix="mle-bench-imbalance-")
digits = os.path.join(args.root, "datasets", "digits.csv")
base = (f'd = load "{digits}" target=digit\n'
        "e = relabel d keep=[8]\n"
        "train, test = split e ratio=0.7 stratify seed=1\n")
parallel = "ensemble train model=mlp hidden=[32] epochs=60 chunks=9 seed=1"
sequential = parallel + " workers=1"

with open(digits) as f:
    rows = list(csv.reader(f))
header = rows[0]
t = header.index("digit")
x = np.array([[float(v) for j, v in enumerate(r) if j != t] for r in rows[1:]], dtype=np.float32)
y = np.array([1 if r[t] == "8" else 0 for r in rows[1:]])

from imblearn.ensemble import BalancedBaggingClassifier  # noqa: E402
from sklearn.metrics import balanced_accuracy_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

xtr, xte, ytr, yte = train_test_split(x, y, train_size=0.7, stratify=y, random_state=1)


def imblearn_fit():
    member = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(32,), max_iter=60, batch_size=32,
                                                           learning_rate_init=1e-3, tol=0, n_iter_no_change=60,
                                                           random_state=1))
    clf = BalancedBaggingClassifier(estimator=member, n_estimators=9, bootstrap=False, n_jobs=2, random_state=1)
    start = time.perf_counter()
    clf.fit(xtr, ytr)
    elapsed = time.perf_counter() - start
    return elapsed, balanced_accuracy_score(yte, clf.predict(xte))


calls = 10
par, seq, imb, imb_bacc = [], [], [], []
par_means, seq_means, capacity = [], [], []
for _ in range(args.reps):
    capacity.append(core_capacity(sys.executable))
    p_times = mle_call_times(args.mle, tmp, base, parallel, calls)
    s_times = mle_call_times(args.mle, tmp, base, sequential, calls)
    par += p_times
    seq += s_times
    par_means.append(statistics.mean(p_times))
    seq_means.append(statistics.mean(s_times))
    s, b = imblearn_fit()
    imb.append(s)
    imb_bacc.append(b)
p, s, i = statistics.median(par), statistics.median(seq), statistics.median(imb)
pm, sm = statistics.median(par_means), statistics.median(seq_means)
print(f"Book's ensemble, 9 MLP members 64-32-2, 60 epochs, digits 8 vs rest (1258 training rows)")
print(f"mle: median of {len(par)} calls ({calls} per process, {args.reps} processes each way, alternating)")
print(f"  mle, members in parallel (2 cores)   {p * 1000:.2f} ms")
print(f"  mle, members one after another      {s * 1000:.2f} ms   speed-up {s / p:.2f}x (target >= 1.8)")
print(f"  (mean per call within a process, median over processes: {pm * 1000:.2f} ms vs {sm * 1000:.2f} ms, {sm / pm:.2f}x)")
print(f"  imbalanced-learn BalancedBagging    {i * 1000:.1f} ms   (MLPClassifier members, n_jobs=2; balanced accuracy {statistics.median(imb_bacc):.4f}; median of {args.reps})")
print(f"  ratio imbalanced-learn / mle {i / p:.2f} (target > 1)")
print(f"  two-core capacity of the machine meanwhile: {statistics.median(capacity):.2f} cores' worth "
      f"(range {min(capacity):.2f}-{max(capacity):.2f}; single-threaded NumPy products, one process vs two at once)")
