#!/usr/bin/env python3
"""How long mle takes to stop each long command after Ctrl-C, on a pseudo-terminal.

    interrupt_latency.py MLE [--delay S] [--limit MS] [--quick] [--only NAME,...]

Starts the interactive shell on a pseudo-terminal, prepares large data, then for each command
types it, waits `--delay` seconds (default 0.7) while it works, types Ctrl-C and measures the
time until the shell is back at its prompt. It also checks the command really was stopped (the
shell said "interrupted", or the partial result is marked so) and, for commands that keep no
partial result, that nothing was bound. Prints one line per command, and exits 1 when a command
took longer than `--limit` milliseconds (default 200) or ran to its end.

`--quick` uses smaller data and the commands that ignored Ctrl-C before (for the CLI tests).
"""
import argparse
import os
import pty
import re
import select
import shutil
import sys
import tempfile
import time

PROMPT = b"mle> "


class Shell:
    def __init__(self, mle, cwd):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.chdir(cwd)
            env = dict(os.environ, COLUMNS="100", MLE_HISTORY=os.path.join(cwd, ".history"))
            os.execve(mle, [mle], env)
        self.buffer = b""
        self.read_until(PROMPT, 30)

    def read_until(self, marker, timeout):
        """Reads until `marker` appears after what was consumed; returns the text before it."""
        end = time.monotonic() + timeout
        while marker not in self.buffer:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {marker!r} within {timeout} s; got {self.buffer[-400:]!r}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                chunk = os.read(self.fd, 65536)
                if not chunk:
                    raise EOFError(self.buffer[-400:])
                self.buffer += chunk
        before, _, self.buffer = self.buffer.partition(marker)
        return before.decode("utf-8", "replace")

    def run(self, line, timeout=600):
        os.write(self.fd, line.encode() + b"\n")
        return self.read_until(PROMPT, timeout)

    def interrupt_after(self, line, delay):
        """Types `line`, then Ctrl-C after `delay` s; returns (ms to the prompt, the output, finished early)."""
        os.write(self.fd, line.encode() + b"\n")
        end = time.monotonic() + delay
        # A command that ends before the delay is over is not measured.
        while time.monotonic() < end:
            ready, _, _ = select.select([self.fd], [], [], max(0, end - time.monotonic()))
            if ready:
                chunk = os.read(self.fd, 65536)
                self.buffer += chunk
                if PROMPT in self.buffer.split(line.encode(), 1)[-1]:
                    return None, self.read_until(PROMPT, 1), True
        sent = time.monotonic()
        os.write(self.fd, b"\x03")
        text = self.read_until(PROMPT, 60)
        return (time.monotonic() - sent) * 1000, text, False

    def close(self):
        try:
            os.write(self.fd, b"quit\n")
        except OSError:
            pass
        os.waitpid(self.pid, 0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mle")
    p.add_argument("--delay", type=float, default=0.7)
    p.add_argument("--limit", type=float, default=200)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--only", default="")
    a = p.parse_args()
    mle = os.path.abspath(a.mle)
    work = tempfile.mkdtemp(prefix="mle-latency-")
    rows = 400_000 if a.quick else 2_000_000
    setup = [
        f"big = generate classification rows={rows} features=30 informative=5 seed=1",
        'save big "big.csv"',
        "train, test = split big ratio=0.5 seed=1",
        "small = sample big count=20000 seed=1",
        "st, ss = split small ratio=0.8 seed=1",
        "net = mlp st hidden=[32] epochs=3 seed=1",
    ]
    # (name, command, the variable it binds or None, keeps a partial result)
    # A few commands are fast: Ctrl-C comes sooner for them.
    delays = {"load": 0.15, "save": 0.3, "describe": 0.1, "split": 0.1}
    commands = [
        ("load", 'x = load "big.csv" target=class', "x", False),
        ("check", "x = check big", "x", False),
        ("adversarial", "x = adversarial train test", "x", False),
        ("generate", "x = generate classification rows=10000000 features=10 seed=2", "x", False),
        ("save", 'save big "copy.csv"', None, False),
        ("describe", "x = describe big", "x", False),
        ("split", "x, y = split big ratio=0.5 stratify seed=3", "x", False),
        ("mlp", "m = mlp train hidden=[64] epochs=200 seed=1", "m", True),
        ("logistic", "m = logistic train", "m", True),
        ("search", "m, r = search st hidden=[[8], [16], [32]] epochs=50 folds=5 seed=1", "r", True),
        ("predict", "x = predict net big", "x", False),
        ("evaluate", "x = evaluate net big intervals resamples=9999 seed=1", "x", False),
        ("interval", "x = interval net big metric=f1 method=bca resamples=9999 seed=1", "x", False),
        ("compare", "x = compare net net big resamples=9999 seed=1", "x", False),
        ("cvtest", "x = cvtest net net train seed=1", "x", False),
        ("retrain", "x = retrain net st ss seeds=50", "x", False),
        ("resample", "x = resample train method=smote seed=1", "x", False),
        ("ensemble", "e, r = ensemble st chunks=20 seed=1", "e", True),
        ("imbalance", "x = imbalance compare st ss seed=1", "x", True),
        ("coverage", "x = coverage net big seed=1", "x", False),
        ("robust", "x = robust net small delta=0.1 samples=2000 steps=50 seed=1", "x", True),
        ("radius", "x = radius net small steps=50 seed=1", "x", True),
    ]
    if a.quick:
        keep = {"load", "check", "adversarial", "generate", "save", "robust"}
        commands = [c for c in commands if c[0] in keep]
    if a.only:
        keep = set(a.only.split(","))
        commands = [c for c in commands if c[0] in keep]
    shell = Shell(mle, work)
    failures = 0
    try:
        for line in setup:
            shell.run(line)
        for name, command, variable, partial in commands:
            if variable:
                shell.run(f"{variable} = 0")
            ms, text, early = shell.interrupt_after(command, min(a.delay, delays.get(name, a.delay)))
            if early:
                print(f"{name:12s} finished within {a.delay} s: nothing to stop (not measured)")
                continue
            stopped = "interrupted" in text
            bound = ""
            if variable:
                shown = shell.run(variable)
                bound = "" if re.search(r"^0\s*$", shown.replace("\r", ""), re.M) else "bound"
                # A partial result says so in its report (or its model's note).
                stopped = stopped or (partial and "interrupted" in shown)
            ok = ms <= a.limit and stopped and (partial or not bound)
            failures += 0 if ok else 1
            what = "partial result kept" if partial and bound else ("nothing bound" if not bound else "BOUND")
            print(f"{name:12s} {ms:7.0f} ms  {'stopped' if stopped else 'NOT STOPPED'}, {what}{'' if ok else '  <-- FAIL'}")
            if not stopped:
                print("    output: " + text.strip().replace("\r", "")[-300:].replace("\n", "\n    "))
            sys.stdout.flush()
    finally:
        shell.close()
        shutil.rmtree(work, ignore_errors=True)
    print(f"interrupt latency: {len(commands) - failures} of {len(commands)} commands within {a.limit:.0f} ms")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
