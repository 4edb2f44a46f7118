#!/usr/bin/env python3
"""Times the same mle script under two builds of mle, alternating, and prints medians and ratios.

For changes that should not move speed (docs/benchmarks.md records the runs):

    scripts/bench/compare_builds.py OLD_MLE NEW_MLE [--reps 7]

Each run of the script below reports every statement's wall-clock time (`set timer on`); the
table gives the median per statement over the runs.
"""
import argparse, os, statistics, subprocess, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = f"""d = load "{ROOT}/datasets/digits.csv" target=digit
e = relabel d keep=[8]
train, test = split e ratio=0.7 stratify seed=1
net = mlp train hidden=[64] epochs=30 seed=1
set timer on
ens = ensemble train model=mlp hidden=[16] epochs=20 seed=1
robust net test delta=0.1 method=certify rows=0 features=0
robust net test delta=0.1 method=sample samples=500 rows=0 features=0
interval net test metric=f1 method=bca resamples=9999 seed=1
"""
LABELS = ["ensemble train model=mlp hidden=[16] epochs=20", "robust ... method=certify",
          "robust ... method=sample samples=500", "interval ... method=bca resamples=9999"]
UNITS = {"µs": 1e-3, "ms": 1.0, "s": 1e3, "min": 6e4}

def times(mle, script):
    err = subprocess.run([mle, script], capture_output=True, text=True, check=True).stderr
    rows = [line.split() for line in err.splitlines() if line.startswith("time:")]
    return [float(r[1]) * UNITS[r[2].rstrip(",")] for r in rows]

def main():
    p = argparse.ArgumentParser()
    p.add_argument("old"); p.add_argument("new"); p.add_argument("--reps", type=int, default=7)
    a = p.parse_args()
    with tempfile.NamedTemporaryFile("w", suffix=".mle", delete=False) as f:
        f.write(SCRIPT)
    runs = {"old": [], "new": []}
    for _ in range(a.reps):
        runs["old"].append(times(a.old, f.name))
        runs["new"].append(times(a.new, f.name))
    os.unlink(f.name)
    print("| statement | old | new | new / old |\n|---|---|---|---|")
    for i, label in enumerate(LABELS):
        old = statistics.median(r[i] for r in runs["old"]); new = statistics.median(r[i] for r in runs["new"])
        print(f"| `{label}` | {old:.2f} ms | {new:.2f} ms | {new / old:.2f} |")

if __name__ == "__main__":
    main()
