"""Whole-process wall time of short CLI calls, as ratios to `python -c pass` measured in the same
run (interleaved, median of N rounds), with the imports the CLI cannot avoid as anchors: numpy (the
clock's arrays) and Typer, which parses options through pydantic.

Run: python benchmarks/bench_startup.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import os
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
    subprocess.run(deadline, env={**os.environ, "SLASIM_CACHE_DIR": warm}, capture_output=True)
    commands = {
        "python -c pass": ([PY, "-c", "pass"], None),
        "import numpy": ([PY, "-c", "import numpy"], None),
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
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.rounds):
        for name, (cmd, cache) in commands.items():
            env = dict(os.environ)
            if cache == "cold":
                env["SLASIM_CACHE_DIR"] = tempfile.mkdtemp(dir=cold)
            elif cache:
                env["SLASIM_CACHE_DIR"] = cache
            t0 = time.perf_counter()
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - t0)
    base = statistics.median(times["python -c pass"])
    print(f"{'command':42s} {'median s':>9s} {'× pass':>7s} {'spread (min–max)':>18s}")
    for name, values in times.items():
        m = statistics.median(values)
        print(f"{name:42s} {m:9.3f} {m / base:7.2f} {min(values):8.3f}–{max(values):.3f}")


if __name__ == "__main__":
    main()
