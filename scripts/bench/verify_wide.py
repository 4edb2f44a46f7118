"""Issue 23's MNIST row, as far as it can be measured here: the held-out benchmark's fully
connected MNIST networks (784 inputs, layers of 256) and MNIST itself are not on this machine,
so this is a stand-in of the same shape, not the benchmark. A 784-256-256-10 ReLU network is
trained by mle on 1,500 synthetic rows (784 values in [0, 1], ten classes from a random linear
rule, seeded) and `verify net test row=N delta=δ units=raw timeout=30` is asked, for the first
ten test rows and each δ, whether the class stays the same in the L∞ box (the MNIST
benchmark's question). Printed: per δ how many were proved, violated and timed out, and the
median and slowest seconds. No peer runs here (α,β-CROWN, the benchmark's best in 2021, cannot be
installed on this machine).
"""
import os
import random
import re
import statistics
import subprocess
import tempfile

from common import arguments

args = arguments()
rows, deltas, timeout = 10, [0.002, 0.003, 0.004], 30
with tempfile.TemporaryDirectory() as tmp:
    rng = random.Random(1)
    w = [rng.gauss(0, 1) for _ in range(784)]
    data = os.path.join(tmp, "wide.csv")
    with open(data, "w") as f:
        f.write(",".join(f"p{i}" for i in range(784)) + ",label\n")
        for _ in range(1500):
            x = [min(1.0, max(0.0, rng.random() * rng.random() * 2)) for _ in range(784)]
            s = sum(a * b for a, b in zip(w, x))
            f.write(",".join(f"{v:.3f}" for v in x) + f",c{int(abs(s) * 3) % 10}\n")
    script = os.path.join(tmp, "wide.mle")
    with open(script, "w") as f:
        f.write(f'd = load "{data}" target=label\ntrain, test = split d ratio=0.9 seed=1\n')
        f.write("net = mlp train hidden=[256, 256] epochs=5 seed=1\nset format csv\n")
        for delta in deltas:
            for r in range(1, rows + 1):
                f.write(f"verify net test row={r} delta={delta} units=raw timeout={timeout}\n")
    out = subprocess.run([args.mle, script], capture_output=True, text=True, check=True).stdout
    # A report is key,value rows, or (with a counterexample's tables) table,key,value rows.
    answers = re.findall(r"^(?:summary,)?answer,([a-z]+)", out, re.M)
    seconds = [float(v) for v in re.findall(r"^(?:summary,)?seconds,([0-9.e+-]+)", out, re.M)]
    assert len(answers) == len(seconds) == rows * len(deltas), out[-2000:]
    print(f"784-256-256-10 stand-in, {rows} rows per δ, timeout {timeout} s (this machine, 2 cores)")
    print("   δ  holds  violated  timeout  median s  slowest s")
    for k, delta in enumerate(deltas):
        a = answers[k * rows:(k + 1) * rows]
        t = seconds[k * rows:(k + 1) * rows]
        print(f"{delta:5}  {a.count('holds'):5}  {a.count('violated'):8}  {a.count('timeout'):7}"
              f"  {statistics.median(t):8.3f}  {max(t):9.2f}")
