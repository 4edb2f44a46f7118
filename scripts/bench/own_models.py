"""Issue 19's rows: predicting 100,000 rows with a 784-256-256-10 network loaded from ONNX, against
onnxruntime running the same file on the same rows with the same thread count (2); and loading and
checking a predictions file of 1,000,000 rows (`load` + `predictions`), against pandas.read_csv of it.

mle's prediction time is `evaluate net d` (a pass of every row through the network and the
accuracy of its arg max) inside one session, by mle_call_times (each call's wall time, data and
network already loaded); onnxruntime's is session.run on the float32 matrix plus the arg max.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from common import arguments, mle_call_times, run_measured

args = arguments()
tmp = tempfile.mkdtemp(prefix="mle-bench-own-")
rng = np.random.default_rng(20261130)

# --- 784-256-256-10 from ONNX on 100,000 rows ---------------------------------------------------
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402

rows, width = 100_000, 784
# MNIST-like pixels: whole numbers 0..255, four in five zero (the CSV stays near 200 MB).
pixels = rng.integers(0, 256, size=(rows, width)) * (rng.random((rows, width)) < 0.2)
torch.manual_seed(1)
net = torch.nn.Sequential(torch.nn.Linear(width, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(),
                          torch.nn.Linear(256, 10))
with torch.no_grad():
    labels = net(torch.tensor(pixels[:, :], dtype=torch.float32) / 255).argmax(1).numpy()
    net[0].weight.div_(255)  # the network takes the raw pixels
model_path = os.path.join(tmp, "mnist_like.onnx")
torch.onnx.export(net, (torch.zeros(2, width),), model_path, dynamo=False, input_names=["pixels"],
                  output_names=["logits"], dynamic_axes={"pixels": {0: "batch"}, "logits": {0: "batch"}},
                  opset_version=17)
csv_path = os.path.join(tmp, "mnist_like.csv")
with open(csv_path, "w") as f:
    f.write(",".join([f"x{i + 1}" for i in range(width)] + ["label"]) + "\n")
    table = np.concatenate([pixels, labels[:, None]], axis=1)
    np.savetxt(f, table, fmt="%d", delimiter=",")

base = f'd = load "{csv_path}" target=label task=classification\nnet = load "{model_path}"\n'
x32 = pixels.astype(np.float32)
options = ort.SessionOptions()
options.intra_op_num_threads = 2
options.inter_op_num_threads = 1
session = ort.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])


def ort_once():
    start = time.perf_counter()
    (logits,) = session.run(None, {"pixels": x32})
    predicted = logits.argmax(1)
    elapsed = time.perf_counter() - start
    assert (predicted == labels).mean() > 0.99
    return elapsed


ort_once()
mle_times, ort_times = [], []
for _ in range(args.reps):
    mle_times += mle_call_times(args.mle, tmp, base, "evaluate net d", 3)[1:]  # the first call warms up
    ort_times += [ort_once() for _ in range(2)]
m, o = statistics.median(mle_times), statistics.median(ort_times)
print(f"Predict 100000 rows, 784-256-256-10 from ONNX (2 threads), median of {len(mle_times)}")
print(f"  mle (evaluate)     {m:.3f} s  {rows / m:,.0f} rows/s")
print(f"  onnxruntime {ort.__version__} {o:.3f} s  {rows / o:,.0f} rows/s")
print(f"  throughput ratio mle / onnxruntime {o / m:.2f} (target >= 1)")

# --- a predictions file of 1,000,000 rows --------------------------------------------------------
n = 1_000_000
actual = rng.random(n) < 0.3
p_yes = np.clip(np.where(actual, rng.beta(5, 2, n), rng.beta(2, 5, n)), 0, 1)
pred_path = os.path.join(tmp, "predictions.csv")
with open(pred_path, "w") as f:
    f.write("id,actual,p_no,p_yes\n")
    ids = np.arange(n)
    body = np.char.add(np.char.add(ids.astype(str), ","), np.where(actual, "yes", "no"))
    f.writelines(f"{b},{1 - p:.6f},{p:.6f}\n" for b, p in zip(body, p_yes))
size_mb = os.path.getsize(pred_path) / 1e6

def run_timed(cmd):
    return run_measured(cmd)[0]


check = subprocess.run([args.mle, "-c", f'p = load "{pred_path}" target=actual\n'
                        "m = predictions p scores=[p_no, p_yes] id=id"], capture_output=True, text=True)
assert check.returncode == 0, check.stderr
script = f'p = load "{pred_path}" target=actual\nm = predictions p scores=[p_no, p_yes] id=id'
pandas_code = f"import pandas as pd, time; t = time.perf_counter(); d = pd.read_csv({pred_path!r}); print(time.perf_counter() - t)"
mle_t, pd_t = [], []
for _ in range(args.reps):
    mle_t.append(run_timed([args.mle, "-c", script]) - run_timed([args.mle, "-c", "x = 1"]))
    pd_t.append(float(subprocess.run([sys.executable, "-c", pandas_code], capture_output=True, text=True,
                                     check=True).stdout))
m, p = statistics.median(mle_t), statistics.median(pd_t)
print(f"Predictions file, {n} rows ({size_mb:.0f} MB): load + predictions (id=, probabilities checked), median of {args.reps}")
print(f"  mle             {m:.3f} s")
print(f"  pandas.read_csv {p:.3f} s")
print(f"  ratio mle / pandas {m / p:.2f} (target <= 1)")
