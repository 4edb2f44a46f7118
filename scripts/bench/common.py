"""What the benchmark scripts share."""
import argparse
import json
import os
import subprocess
import sys
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


def mle_call_times(mle, tmp, base, line, reps):
    """mle's time of each of `reps` calls of `line` in one process, from `set timer on` (the
    wall-clock time of each statement, on stderr as JSON): a list of seconds. Start-up, loading
    and the statements of `base` are not timed; the result is bound to a variable, not printed."""
    path = os.path.join(tmp, "bench-timed.mle")
    loop = "[" + ", ".join(str(i) for i in range(reps)) + "]"
    with open(path, "w") as f:
        f.write(base + "set format json\nset timer on\n" + f"for i in {loop} {{ r = {line} }}\n")
    run = subprocess.run([mle, path], check=True, capture_output=True, text=True)
    times = []
    for text in run.stderr.splitlines():
        try:
            note = json.loads(text)
        except ValueError:
            continue
        if isinstance(note, dict) and note.get("time", {}).get("statement") == "command":
            times.append(note["time"]["wall_seconds"])
    if len(times) != reps:
        raise RuntimeError(f"expected {reps} timed calls, got {len(times)}: {run.stderr[-500:]}")
    return times


_PROBE = """
import sys, time
import numpy as np
a = np.ones((128, 128), np.float32)
start_at = float(sys.argv[1])
while time.time() < start_at:
    pass
t = time.perf_counter()
for _ in range(1500):
    a @ a
print(time.perf_counter() - t)
"""


def core_capacity(python):
    """How many cores' worth of arithmetic the machine gives two busy threads right now: the
    time of a fixed run of single-threaded float32 products in one process alone, against two
    such processes at once (2.0 on two free cores). Some virtual machines give less for stretches
    of seconds to minutes (a host sibling thread busy), which bounds any two-thread speed-up."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")

    def run(n):
        start_at = time.time() + 0.5
        procs = [subprocess.Popen([python, "-c", _PROBE, str(start_at)], stdout=subprocess.PIPE, text=True, env=env)
                 for _ in range(n)]
        return [float(p.communicate()[0]) for p in procs]
    alone = run(1)[0]
    return sum(alone / t for t in run(2))


def arguments():
    """--mle (the release binary), --root (the repository), --reps (alternating repetitions)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--mle", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--reps", type=int, default=5)
    return ap.parse_args()


# A child's peak RSS (ru_maxrss) starts at its parent's RSS at fork and survives exec, so a
# process forked from this one (NumPy and PyTorch loaded, over 100 MB) would report at least
# that. The measured process is therefore started by a small interpreter without site packages.
MEASURE = """
import os, sys, time
start = time.perf_counter()
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ,
                     file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                                   (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)])
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss / 1024, status)
"""


def run_measured(cmd):
    """Wall time and peak resident memory (MB) of a child process."""
    out = subprocess.run([sys.executable, "-S", "-c", MEASURE, *cmd], capture_output=True, text=True, check=True)
    t, mem, status = out.stdout.split()
    assert status == "0", cmd
    return float(t), float(mem)
