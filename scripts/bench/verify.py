"""Issue 23's speed row: ACAS Xu (VNN-COMP 2021), all 186 instances with the benchmark's own
timeouts, decided by `verify instances=… expected=…` in one mle process on this machine.

Printed: answers (solved, wrong against the published consensus, timeouts), the whole run's wall
time (start-up, reading the 45 ONNX files and the properties included), the median and the
slowest instance, and beside them the published results of the seven verifiers of VNN-COMP 2021
(solved, summed seconds, each with about 1 s of per-instance start-up; hardware differed, α,β-CROWN
ran on a GPU). nnenum, the fastest of them on ACAS Xu, is not on PyPI (its repository is on
GitHub, which this machine cannot reach), so it cannot be run here side by side; the issue records
its run on a machine of this kind: 182 solved in 516 s of summed wall time, 250 s of it
verification. `--reps` repeats mle's run and reports the median run.
"""
import csv
import json
import os
import statistics
import subprocess
import time

from common import arguments

args = arguments()
folder = os.path.normpath(os.path.join(args.root, "..", "shared", "benchmarks", "acasxu"))
instances = os.path.join(folder, "acasxu_instances.csv")
published = os.path.join(folder, "vnncomp2021_results.csv")
if not os.path.exists(instances):
    raise SystemExit(f"verify bench: {instances} is missing (../shared must be beside the repository)")

reps = max(1, min(args.reps, 3))
runs = []
for rep in range(reps):
    script = f'set format json\nverify instances="{instances}" expected="{published}"\n'
    start = time.perf_counter()
    out = subprocess.run([args.mle, "-c", script], check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    report = json.loads(out.stdout)
    runs.append((wall, report))
    print(f"verify bench: run {rep + 1} of {reps}: {wall:.1f} s", flush=True)
runs.sort(key=lambda r: r[0])
wall, report = runs[len(runs) // 2]
rows = report["instances"]
times = sorted(r["seconds"] for r in rows if r["seconds"] is not None)
slowest = max(rows, key=lambda r: r["seconds"] or 0)
solved = sum(1 for r in rows if r["answer"] in ("holds", "violated"))

with open(published) as f:
    table = list(csv.DictReader(f))
tools = [c[: -len("_result")] for c in table[0] if c.endswith("_result")]
print()
print("ACAS Xu, 186 instances, the benchmark's timeouts (this machine: 2 cores, no GPU)")
print(f"{'verifier':<12} {'solved':>6} {'wrong':>5} {'total s':>8} {'median s':>9}  note  (total: every instance's seconds, timeouts included)")
print(f"{'mle':<12} {solved:>6} {report['wrong']:>5} {wall:>8.1f} {statistics.median(times):>9.3f}  "
      f"one process, start-up included; slowest {slowest['network']} {slowest['property']} "
      f"{slowest['seconds']:.1f} s ({slowest['answer']})")
for tool in tools:
    answered = [r for r in table if r[f"{tool}_result"] in ("holds", "violated")]
    wrong = sum(1 for r in answered if r[f"{tool}_result"] != r["consensus"])
    seconds = [float(r[f"{tool}_seconds"]) for r in table if r[f"{tool}_seconds"]]
    print(f"{tool:<12} {len(answered):>6} {wrong:>5} {sum(seconds):>8.1f} {statistics.median(seconds):>9.3f}  "
          "published (VNN-COMP 2021, its own hardware)")
print(f"{'nnenum':<12} {182:>6} {0:>5} {516:>8.1f} {1.67:>9.3f}  the issue's run on a machine of this kind "
      "(250 s of it verification)")
print(f"\nmle / the 250 s goal: {wall / 250:.2f}x of the time allowed")
print(json.dumps({"bench": "verify", "solved": solved, "wrong": report["wrong"], "wall_seconds": wall,
                  "median_seconds": statistics.median(times), "slowest": slowest}))
