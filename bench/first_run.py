"""Whole processes, first runs: each program under torch, under torchlike with an empty compile
cache (cold) and with the cache that run left (warm), in fresh processes.

    python bench/first_run.py [--repeats N] [--only NAME] [--skip NAME]

Programs: the tutorials in examples/ and bench/programs/*.py (plain PyTorch, run by
`python -m torchlike`). Prints each process's wall time (median of the repeats, each cold run
on a new empty directory) and the ratios to torch; a program that prints `<label> <seconds> s`
lines (first/steady) gets those times in the table too.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = sorted((ROOT / "examples").glob("*.py")) + sorted(
    (ROOT / "bench" / "programs").glob("*.py"))
TIMED = re.compile(r"^(\w+) ([0-9.]+) s\b", re.M)


def run(cmd, cache=None) -> tuple[float, dict]:
    env = dict(os.environ, OMP_NUM_THREADS="2")
    if cache is not None:
        env["TORCHLIKE_COMPILE_CACHE"] = cache
    t = time.perf_counter()
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t
    if r.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    return wall, {k: float(v) for k, v in TIMED.findall(r.stdout)}


def median_of(runs) -> tuple[float, dict]:
    walls = statistics.median(w for w, _ in runs)
    labels = {k: statistics.median(t[k] for _, t in runs) for k in runs[0][1]}
    return walls, labels


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", help="run the programs whose name contains this")
    ap.add_argument("--skip", help="leave out the programs whose name contains this")
    args = ap.parse_args()
    import jax
    import torch
    print(f"jax {jax.__version__}, torch {torch.__version__}; wall seconds of whole processes, "
          f"median of {args.repeats}")
    print(f"{'program':28s} {'torch':>7s} {'cold':>7s} {'warm':>7s} {'cold/t':>7s} "
          f"{'warm/t':>7s}  timed inside (torch / cold / warm)")
    for prog in PROGRAMS:
        if args.only and args.only not in prog.name or args.skip and args.skip in prog.name:
            continue
        rel = str(prog.relative_to(ROOT))
        torch_runs, cold_runs, warm_runs = [], [], []
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory() as cache:
                torch_runs.append(run([sys.executable, rel]))
                cold_runs.append(run([sys.executable, "-m", "torchlike", rel], cache))
                warm_runs.append(run([sys.executable, "-m", "torchlike", rel], cache))
        (tw, tt), (cw, ct), (ww, wt) = map(median_of, (torch_runs, cold_runs, warm_runs))
        inside = "  ".join(f"{k} {tt[k]:.3f}/{ct[k]:.3f}/{wt[k]:.3f}" for k in tt)
        print(f"{prog.stem:28s} {tw:7.2f} {cw:7.2f} {ww:7.2f} {cw / tw:6.2f}x {ww / tw:6.2f}x"
              f"  {inside}", flush=True)


if __name__ == "__main__":
    main()
