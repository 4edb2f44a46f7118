"""All coverage criteria over 1,000 inputs on a network with 128 hidden units (64-128-10,
digits): mle's `coverage` against a vectorised NumPy reference of the same work.

The work, in both: one batched forward pass capturing the hidden layer; which inputs are
predicted correctly; in a seeded order, over the correct inputs, the position at which each item
is first covered and from it the growth curve of every criterion: neuron coverage (value > 0),
k-multisection (k = 1000), neuron boundary and strong activation coverage against per-unit
training ranges computed beforehand (mle keeps them with the model), top-2 neuron coverage.
`--final-only` times a NumPy version that computes only the final values (no curves), which is
less than mle does; it is printed for reference.

mle's time per call is (a script running `c = coverage ...` R times in a for loop, minus the same
script without the loop) / R, so start-up, data loading and training are not counted, and the
report is bound, not printed. NumPy's is the median of R in-process calls. Weights differ (NumPy
draws its own of the same shape); the time of this work does not depend on their values.
"""
import os
import statistics
import tempfile
import time

import numpy as np

from common import arguments, mle_time

REPS_IN_PROCESS = 200


def first_positions(mask):
    """Per column, the first row where mask is true (n when never)."""
    n = mask.shape[0]
    return np.where(mask.any(axis=0), mask.argmax(axis=0), n)


def curve(first, n):
    """Items covered after each example, from first-cover positions."""
    return np.bincount(first[first < n], minlength=n).cumsum()


def numpy_coverage(x, y, w1, b1, w2, b2, low, high, order, k=1000, top=2):
    """What mle's coverage computes: every criterion's final value and its curve (items covered
    after each example fed), from first-cover positions; the book's neuron coverage over the
    correct inputs."""
    n = x.shape[0]
    pre = x @ w1 + b1
    post = np.maximum(pre, 0)
    logits = post @ w2 + b2
    correct = logits.argmax(axis=1) == y
    a = post[order]
    c = correct[order][:, None]
    units = a.shape[1]
    curves = {}
    curves["neuron"] = curve(first_positions((a > 0) & c), n)
    above, below = (a > high) & c, (a < low) & c
    fu, fl = first_positions(above), first_positions(below)
    curves["snac"] = curve(fu, n)
    curves["nbc"] = curve(np.concatenate([fu, fl]), n)
    # k-multisection: first position of each (unit, section); assigning in reverse order leaves
    # the smallest position in place.
    span = np.where(high > low, high - low, 1.0)
    sec = np.clip(((a - low) / span * k).astype(np.int64), 0, k - 1)
    inside = ~above & ~below & c
    rows, cols = np.nonzero(inside)
    keys = cols * k + sec[rows, cols]
    first = np.full(units * k, n)
    first[keys[::-1]] = rows[::-1]
    curves["kmnc"] = curve(first, n)
    topk = np.argpartition(-a, top - 1, axis=1)[:, :top]
    in_top = np.zeros_like(c, shape=a.shape)
    np.put_along_axis(in_top, topk, True, axis=1)
    curves["tknc"] = curve(first_positions(in_top & c), n)
    return {name: int(cv[-1]) for name, cv in curves.items()}


def numpy_final_only(x, y, w1, b1, w2, b2, low, high, order, k=1000, top=2):
    """Final values only, no curves (less than mle computes)."""
    pre = x @ w1 + b1
    post = np.maximum(pre, 0)
    logits = post @ w2 + b2
    correct = logits.argmax(axis=1) == y
    a = post[order][correct[order]]
    neuron = (a > 0).any(axis=0).sum()
    span = np.where(high > low, high - low, 1.0)
    inside = (a >= low) & (a <= high)
    sec = np.clip(((a - low) / span * k).astype(np.int64), 0, k - 1)
    hits = np.zeros((a.shape[1], k), dtype=bool)
    units = np.broadcast_to(np.arange(a.shape[1]), a.shape)
    hits[units[inside], sec[inside]] = True
    upper, lower = (a > high).any(axis=0), (a < low).any(axis=0)
    tknc = np.unique(np.argpartition(-a, top - 1, axis=1)[:, :top]).size
    return neuron, hits.sum(), upper.sum() + lower.sum(), upper.sum(), tknc


def median_call(fn, *args):
    """Median time of REPS_IN_PROCESS calls of fn(*args)."""
    calls = []
    for _ in range(REPS_IN_PROCESS):
        start = time.perf_counter()
        fn(*args)
        calls.append(time.perf_counter() - start)
    return statistics.median(calls)


def main():
    args = arguments()
    tmp = tempfile.mkdtemp(prefix="mle-bench-cov-")
    digits = os.path.join(args.root, "datasets", "digits.csv")
    raw = np.genfromtxt(digits, delimiter=",", skip_header=1)
    test = os.path.join(tmp, "test1000.csv")
    with open(digits) as f:
        lines = f.readlines()
    with open(test, "w") as f:
        f.writelines(lines[:1001])
    base = (f'train = load "{digits}" target=digit\n'
            f'test = load "{test}" target=digit\n'
            'net = mlp train hidden=[128] epochs=5 seed=1\n')
    line = "coverage net test sections=1000 top=2 seed=1 plot=false"

    rng = np.random.default_rng(0)
    x = raw[:1000, :64].astype(np.float32)
    x = (x - x.mean(axis=0)) / np.where(x.std(axis=0) > 0, x.std(axis=0), 1)
    y = raw[:1000, 64].astype(np.int64)
    w1 = rng.uniform(-0.125, 0.125, (64, 128)).astype(np.float32)
    b1 = rng.uniform(-0.125, 0.125, 128).astype(np.float32)
    w2 = rng.uniform(-0.09, 0.09, (128, 10)).astype(np.float32)
    b2 = rng.uniform(-0.09, 0.09, 10).astype(np.float32)
    train_post = np.maximum(x @ w1 + b1, 0)
    low, high = train_post.min(axis=0), train_post.max(axis=0)
    order = rng.permutation(1000)

    mle_t, np_t, final_t = [], [], []
    for _ in range(args.reps):
        mle_t.append(mle_time(args.mle, tmp, base, line, 50))
        np_t.append(median_call(numpy_coverage, x, y, w1, b1, w2, b2, low, high, order))
        final_t.append(median_call(numpy_final_only, x, y, w1, b1, w2, b2, low, high, order))
    m, n = statistics.median(mle_t), statistics.median(np_t)
    print(f"coverage, all criteria, 1000 inputs, 64-128-10, k = 1000, {args.reps} alternating repetitions")
    print(f"  mle {m * 1000:7.2f} ms   numpy {n * 1000:7.2f} ms   mle/numpy {m / n:5.2f} (target <= 1)")
    f = statistics.median(final_t)
    print(f"  for reference, numpy computing final values only (no curves): {f * 1000:.2f} ms")


if __name__ == "__main__":
    main()
