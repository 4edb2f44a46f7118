"""Issue 7's rows: the book's ensemble of 9 MLP members (64-32-2, 60 epochs, batch 32, Adam 1e-3)
on digits 8-versus-the-rest, trained in parallel (both cores) against the same members trained one
after another (workers=1), and against imbalanced-learn's BalancedBaggingClassifier with 9
MLPClassifier members of the same size and epochs (each on an undersampled balanced set, no
bootstrap, n_jobs=2), fit on the same training rows."""
import csv
import os
import statistics
import tempfile
import time

import numpy as np

from common import arguments, mle_time

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


par, seq, imb, imb_bacc = [], [], [], []
for _ in range(args.reps):
    par.append(mle_time(args.mle, tmp, base, parallel, 10))
    seq.append(mle_time(args.mle, tmp, base, sequential, 10))
    s, b = imblearn_fit()
    imb.append(s)
    imb_bacc.append(b)
p, s, i = statistics.median(par), statistics.median(seq), statistics.median(imb)
print(f"Book's ensemble, 9 MLP members 64-32-2, 60 epochs, digits 8 vs rest (1258 training rows), median of {args.reps}")
print(f"  mle, members in parallel (2 cores)   {p:.3f} s")
print(f"  mle, members one after another      {s:.3f} s   speed-up {s / p:.2f}x (target >= 1.8)")
print(f"  imbalanced-learn BalancedBagging    {i:.3f} s   (MLPClassifier members, n_jobs=2; balanced accuracy {statistics.median(imb_bacc):.4f})")
print(f"  ratio imbalanced-learn / mle {i / p:.2f} (target > 1)")
