"""What the benchmark scripts share."""
import argparse
import os
import subprocess
import time


def mle_time(mle, tmp, base, line, reps):
    """mle's time per call of `line`: (a script running it `reps` times in a for loop − the same
    script without the loop) / reps, so start-up, loading and training are not counted and the
    result is bound to a variable, not printed."""
    without, with_ = os.path.join(tmp, "bench-without.mle"), os.path.join(tmp, "bench-with.mle")
    with open(without, "w") as f:
        f.write(base)
    loop = "[" + ", ".join(str(i) for i in range(reps)) + "]"
    with open(with_, "w") as f:
        f.write(base + f"for i in {loop} {{ r = {line} }}\n")

    def timed(path):
        start = time.perf_counter()
        subprocess.run([mle, path], check=True, capture_output=True)
        return time.perf_counter() - start
    return max(timed(with_) - timed(without), 1e-6) / reps


def arguments():
    """--mle (the release binary), --root (the repository), --reps (alternating repetitions)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--mle", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--reps", type=int, default=5)
    return ap.parse_args()
