"""Whole-process wall time of short CLI calls, as ratios to `python -c pass` measured in the same
run (interleaved, median of N rounds), with the imports the CLI cannot avoid as anchors: numpy (the
clock's arrays) and Typer. The floor is `python -c "import numpy, typer"` (issue 28); the ratio of
`slasim deadline … --json` to it is printed last, by wall time and by CPU time (user + system of
the process: steadier when other work shares the cores).

Every command runs as users run it, with a warm bytecode cache: PYTHONDONTWRITEBYTECODE is
removed from the environment and each command runs once before timing (a checkout installed
editable is compiled on first use, not by pip).

Run: python benchmarks/bench_startup.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

PY = sys.executable


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    cold = tempfile.mkdtemp(prefix="slasim-bench-cold-")
    warm = tempfile.mkdtemp(prefix="slasim-bench-warm-")
    deadline = [PY, "-m", "slasim", "deadline", "2025-09-26", "20wd", "--json"]
    base_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    commands = {
        "python -c pass": ([PY, "-c", "pass"], None),
        "import numpy": ([PY, "-c", "import numpy"], None),
        "import numpy, typer (the floor)": ([PY, "-c", "import numpy, typer"], None),
        "import typer (+ pydantic)": ([PY, "-c", "import typer, typer._adapters"], None),
        "import numpy, typer (+ pydantic)": (
            [PY, "-c", "import numpy, typer, typer._adapters"],
            None,
        ),
        "import holidays, build CN": (
            [PY, "-c", "import holidays; holidays.country_holidays('CN', years=range(1999, 2041))"],
            None,
        ),
        "slasim deadline … --json (cached table)": (deadline, warm),
        "slasim deadline … --json (first run)": (deadline, "cold"),
    }
    for cmd, _ in commands.values():  # the bytecode cache of every module, and the holidays table
        subprocess.run(cmd, env={**base_env, "SLASIM_CACHE_DIR": warm}, capture_output=True)
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.rounds):
        for name, (cmd, cache) in commands.items():
            env = dict(base_env)
            if cache == "cold":
                env["SLASIM_CACHE_DIR"] = tempfile.mkdtemp(dir=cold)
            elif cache:
                env["SLASIM_CACHE_DIR"] = cache
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - t0)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
    base = statistics.median(times["python -c pass"])
    print(
        f"{'command':42s} {'median s':>9s} {'× pass':>7s} {'spread (min–max)':>18s} {'cpu s':>6s}"
    )
    for name, values in times.items():
        m = statistics.median(values)
        print(
            f"{name:42s} {m:9.3f} {m / base:7.2f} {min(values):8.3f}–{max(values):.3f} "
            f"{statistics.median(cpu[name]):6.3f}"
        )
    floor, ours = "import numpy, typer (the floor)", "slasim deadline … --json (cached table)"
    ratios = [a / b for a, b in zip(times[ours], times[floor])]  # round by round
    print(
        f"deadline / floor: wall {statistics.median(times[ours]) / statistics.median(times[floor]):.2f}"
        f" (rounds {min(ratios):.2f}–{max(ratios):.2f}), "
        f"cpu {statistics.median(cpu[ours]) / statistics.median(cpu[floor]):.2f}"
    )


if __name__ == "__main__":
    main()
