"""ε-δ robustness: mle against vectorised NumPy and PyTorch versions of the same work, on the
same networks (mle trains and saves them; the peers read the .safetensors files).

1. Sampling: 1,000 examples × 1,000 samples in the L2 ball (half inside, uniform in volume; half
   on the surface) on a 30-64-64-2 network (breast_cancer rows, drawn with replacement), the
   probability vector's largest distance from f(x) per example. NumPy: Gaussian directions,
   radii δ·U^(1/d), batched forward passes of 64,000 rows, softmax, distances.
2. CROWN bounds on a 784-256-256-10 network (digits upsampled to 28 × 28), L2 balls in
   standardised units: mle's `robust ... method=certify` against a batched PyTorch CROWN in
   float32 with every hidden unit back-substituted (what auto_LiRPA's CROWN does). auto_LiRPA
   itself is not run: its one PyPI release (0.3) needs torch < 1.13, which has no wheels for
   this machine's Python 3.11.

mle's time is (a script running the command R times in a for loop, minus the same script
without the loop) / R, so start-up, loading and training are not counted; the peers' is the
median of in-process calls. Repetitions alternate between mle and the peer.
"""
import json
import os
import statistics
import struct
import subprocess
import tempfile
import time

import numpy as np

from common import arguments, mle_time
import torch
from scipy import ndimage


def read_mle_net(path):
    """Weights (in × out), biases and standardiser from an mle .safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]

    def tensor(name):
        h = header[name]
        a, b = h["data_offsets"]
        return np.frombuffer(body[a:b], dtype=np.float32).reshape(h["shape"])
    layers = sorted({k.split(".")[1] for k in header if k.startswith("layers.")}, key=int)
    ws = [tensor(f"layers.{i}.weight").T.copy() for i in layers]
    bs = [tensor(f"layers.{i}.bias").copy() for i in layers]
    return ws, bs, tensor("standardizer.mean"), tensor("standardizer.scale")


def numpy_sampling(x, ws, bs, delta, samples, rng, per_batch=64):
    """Largest ‖softmax(f(x′)) − softmax(f(x))‖₂ over `samples` points per example."""
    def probs(z):
        for k, (w, b) in enumerate(zip(ws, bs)):
            z = z @ w + b
            if k < len(ws) - 1:
                z = np.maximum(z, 0)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)
    n, d = x.shape
    center = probs(x)
    worst = np.empty(n, dtype=np.float32)
    for start in range(0, n, per_batch):
        xb = x[start:start + per_batch]
        b = xb.shape[0]
        v = rng.standard_normal((b, samples, d), dtype=np.float32)
        v /= np.linalg.norm(v, axis=2, keepdims=True)
        radius = np.full((b, samples, 1), delta, dtype=np.float32)
        radius[:, 0::2, 0] *= rng.random((b, (samples + 1) // 2), dtype=np.float32) ** (1 / d)
        pts = (xb[:, None, :] + v * radius).reshape(-1, d)
        p = probs(pts).reshape(b, samples, -1)
        worst[start:start + b] = np.linalg.norm(p - center[start:start + b, None, :], axis=2).max(axis=1)
    return worst


def torch_crown(ws, bs, x0, eps):
    """CROWN (adaptive lower lines) over L2 balls for a batch, every hidden unit back-substituted,
    float32; returns lower and upper logit bounds."""
    L = len(ws)
    lows, ups = [], []
    z0 = x0 @ ws[0] + bs[0]
    r = eps * ws[0].norm(dim=0)
    lows.append(z0 - r)
    ups.append(z0 + r)

    def bound(A, k, upper):
        const = A @ bs[k]
        A = A @ ws[k].T
        for j in range(k - 1, -1, -1):
            l, u = lows[j], ups[j]
            unstable = (l < 0) & (u > 0)
            active = (l >= 0).float()
            su = torch.where(unstable, u / (u - l).clamp(min=1e-12), active)
            iu = torch.where(unstable, -su * l, torch.zeros_like(l))
            sl = torch.where(unstable, (u > -l).float(), active)
            pos, neg = A.clamp(min=0), A.clamp(max=0)
            if upper:
                A = pos * su[:, None, :] + neg * sl[:, None, :]
                const = const + (pos * iu[:, None, :]).sum(-1)
            else:
                A = pos * sl[:, None, :] + neg * su[:, None, :]
                const = const + (neg * iu[:, None, :]).sum(-1)
            if j > 0:
                const = const + A @ bs[j]
                A = A @ ws[j].T
        # A is now on z0 = x·W0 + b0: over the ball, A·z0(x0) ± ε‖A W0ᵀ‖₂.
        center = (A @ z0[:, :, None]).squeeze(-1)
        nrm = (A @ ws[0].T).norm(dim=-1)
        return const + center + (eps * nrm if upper else -eps * nrm)

    for k in range(1, L):
        n = ws[k].shape[1]
        eye = torch.eye(n).expand(x0.shape[0], n, n)
        lows.append(bound(eye, k, False))
        ups.append(bound(eye, k, True))
    return lows[-1], ups[-1]


def main():
    args = arguments()
    tmp = tempfile.mkdtemp(prefix="mle-bench-rob-")
    rng = np.random.default_rng(0)
    torch.set_num_threads(os.cpu_count() or 2)

    # 1. Sampling.
    bc = os.path.join(args.root, "datasets", "breast_cancer.csv")
    with open(bc) as f:
        lines = f.readlines()
    rows = os.path.join(tmp, "bc1000.csv")
    with open(rows, "w") as f:
        f.write(lines[0])
        f.writelines(lines[1 + i] for i in rng.integers(0, len(lines) - 1, 1000))
    net1 = os.path.join(tmp, "bc.safetensors")
    base = (f'data = load "{bc}" target=diagnosis\nx = load "{rows}" target=diagnosis\n'
            f'net = mlp data hidden=[64, 64] epochs=5 seed=1\nsave net "{net1}"\n')
    subprocess.run([args.mle, write(tmp, "save1.mle", base)],
                   check=True, capture_output=True)
    ws, bs, mean, scale = read_mle_net(net1)
    raw = np.genfromtxt(rows, delimiter=",", skip_header=1, usecols=range(30)).astype(np.float32)
    xs = ((raw - mean) / scale).astype(np.float32)
    line = "robust net x delta=0.1 epsilon=0.05 method=sample samples=1000 seed=1"
    mle_t, np_t = [], []
    for _ in range(args.reps):
        mle_t.append(mle_time(args.mle, tmp, base, line, 3))
        start = time.perf_counter()
        numpy_sampling(xs, ws, bs, 0.1, 1000, rng)
        np_t.append(time.perf_counter() - start)
    m, n = statistics.median(mle_t), statistics.median(np_t)
    print(f"robust sampling, 1000 examples x 1000 samples, 30-64-64-2, {args.reps} alternating repetitions")
    print(f"  mle {m:7.3f} s   numpy {n:7.3f} s   numpy/mle {n / m:5.2f}x (target >= 4)")

    # 2. CROWN on 784-256-256-10.
    digits = np.genfromtxt(os.path.join(args.root, "datasets", "digits.csv"), delimiter=",", skip_header=1)
    images = np.stack([ndimage.zoom(r[:64].reshape(8, 8), 3.5, order=1) for r in digits])
    big = os.path.join(tmp, "digits784.csv")
    with open(big, "w") as f:
        f.write(",".join([f"p{i}" for i in range(784)] + ["digit"]) + "\n")
        for img, y in zip(images, digits[:, 64]):
            f.write(",".join(f"{v:.3f}" for v in img.ravel()) + f",{int(y)}\n")
    sub = os.path.join(tmp, "digits784-100.csv")
    with open(big) as f:
        head = [next(f) for _ in range(101)]
    with open(sub, "w") as f:
        f.writelines(head)
    net2 = os.path.join(tmp, "d784.safetensors")
    base2 = (f'train = load "{big}" target=digit task=classification\nx = load "{sub}" target=digit task=classification\n'
             f'net = mlp train hidden=[256, 256] epochs=10 seed=1\nsave net "{net2}"\n')
    subprocess.run([args.mle, write(tmp, "save2.mle", base2)], check=True, capture_output=True)
    ws, bs, mean, scale = read_mle_net(net2)
    x100 = np.genfromtxt(sub, delimiter=",", skip_header=1, usecols=range(784)).astype(np.float32)
    xs100 = torch.tensor((x100 - mean) / scale, dtype=torch.float32)
    tw = [torch.tensor(w) for w in ws]
    tb = [torch.tensor(b) for b in bs]
    print(f"CROWN bounds, 784-256-256-10 (digits upsampled to 28x28), 100 examples, L2, {args.reps} alternating repetitions")
    for delta in (0.1, 0.5, 2.0):
        line2 = f"robust net x delta={delta} epsilon=0.05 method=certify"
        mle_t, pt_t = [], []
        for _ in range(args.reps):
            mle_t.append(mle_time(args.mle, tmp, base2.replace(f'save net "{net2}"\n', ""), line2, 3) / 100)
            with torch.no_grad():
                start = time.perf_counter()
                for chunk in torch.split(xs100, 10):
                    torch_crown(tw, tb, chunk, delta)
                pt_t.append((time.perf_counter() - start) / 100)
        m, p = statistics.median(mle_t), statistics.median(pt_t)
        print(f"  delta {delta:4}: mle {m * 1000:6.3f} ms/example   pytorch {p * 1000:6.3f} ms/example   "
              f"pytorch/mle {p / m:5.2f}x (target: mle <= 1 ms)")


def write(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


if __name__ == "__main__":
    main()
