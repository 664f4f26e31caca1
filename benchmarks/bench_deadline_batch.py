"""`slasim deadline --from`: deadlines per second, whole process (start-up, reading, computing,
printing), on a file of random rows; beside it the scalar `compute_deadline` in a loop (what a
user looping over `slasim deadline` pays at best, without a process per deadline).

The machine is shared: the child's CPU time (user + system) is printed too, and deadlines per
CPU second are steadier than per wall second when other work competes for the cores.

Run: python benchmarks/bench_deadline_batch.py [--lines 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_rows(n: int, seed: int = 1) -> list[tuple[str, str, str]]:
    """Random starts on `cn` (dates, and instants in and out of office hours) from 2005 to 2025,
    limits in all three units, one row in ten with an extension."""
    rng = random.Random(seed)
    first = dt.date(2005, 1, 1).toordinal()
    rows = []
    for _ in range(n):
        day = dt.date.fromordinal(first + rng.randrange(7300)).isoformat()
        start = (
            day if rng.random() < 0.5 else f"{day}T{rng.randrange(24):02d}:{rng.randrange(60):02d}"
        )
        unit = rng.choice(["wd", "wd", "wh", "d"])
        limit = f"{rng.randrange(1, 61)}{unit}" if unit != "wh" else f"{rng.randrange(1, 33)}wh"
        extension = f"{rng.randrange(1, 11)}{unit}" if unit != "d" and rng.random() < 0.1 else ""
        rows.append((start, limit, extension))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rows = make_rows(args.lines)
    folder = Path(tempfile.mkdtemp(prefix="slasim-bench-batch-"))
    path = folder / "many.csv"
    path.write_text(
        "start,limit,extension\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows), encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    command = [sys.executable, "-m", "slasim", "deadline", "--from", str(path)]
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)  # warm caches
    from slasim.calendar.units import parse_instant
    from slasim.clock.deadline import compute_deadline

    sample = rows[:2000]
    whole, cpu, loop = [], [], []
    for _ in range(args.rounds):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)
        whole.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
        t0 = time.perf_counter()
        for start, limit, ext in sample:
            compute_deadline(limit, accepted=parse_instant(start), extensions=[ext] if ext else [])
        loop.append((time.perf_counter() - t0) / len(sample) * args.lines)
    w, s = statistics.median(whole), statistics.median(loop)
    print(f"{'route':52s} {'seconds':>8s} {'deadlines/s':>12s} {'spread s':>14s}")
    print(
        f"{'deadline --from, whole process, ' + format(args.lines, ',') + ' lines':52s} "
        f"{w:8.2f} {args.lines / w:12,.0f} {min(whole):6.2f}–{max(whole):.2f}"
    )
    c = statistics.median(cpu)
    print(
        f"{'the same, CPU time of the process':52s} "
        f"{c:8.2f} {args.lines / c:12,.0f} {min(cpu):6.2f}–{max(cpu):.2f}"
    )
    print(
        f"{'compute_deadline in a loop, in process (extrapolated)':52s} "
        f"{s:8.2f} {args.lines / s:12,.0f} {min(loop):6.2f}–{max(loop):.2f}"
    )
    print(f"--from vs the loop: {s / w:.1f}x")


if __name__ == "__main__":
    main()
