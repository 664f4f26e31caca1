"""`slasim forecast --backtest`: the forecast's Brier scores beside the naive baselines (every case
at the historic card share; each case at the share of the cases still open at its elapsed fraction
of the limit), and their ratios (below 1: the forecast is better), on the shipped LoanApp sample
with its fitted scenario and, when the shared logs are there, on BPIC 2015 municipality 1 (real
building permits, an 8-week legal limit, 40wd) with its fitted scenario.

    python benchmarks/bench_forecast.py [--reps 10] [--points 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from slasim.fit.build import slug
from slasim.fit.log import read_log
from slasim.forecast import backtest as bt
from slasim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path("/work/shared/logs")
CASES = [  # (name, scenario, log, horizon)
    ("LoanApp sample", "scenarios/fitted/loanapp.yaml", "scenarios/logs/loanapp-sample.csv", "1wd"),
    ("BPIC15_1", "scenarios/fitted/bpic15-municipality-1.yaml", SHARED / "BPIC15_1.csv.gz", "10wd"),
]


def measure(reps: int, points: int) -> list[dict]:
    """One backtest per log present; the scores per level."""
    bt.POINTS = points
    rows = []
    for name, scenario, log, horizon in CASES:
        log = ROOT / log
        if not log.exists():
            continue
        started = time.perf_counter()
        result = bt.backtest(
            load_scenario(ROOT / scenario), log, read_log, slug, horizon=horizon, replications=reps
        )
        rows.append(
            {
                "log": name,
                "horizon": horizon,
                "instants": len(result["as_of"]),
                "open_cases": sum(p["open_cases"] for p in result["as_of"]),
                "seconds": round(time.perf_counter() - started, 1),
                "levels": result["levels"],
            }
        )
    return rows


def table(rows: list[dict]) -> str:
    """A Markdown table: per log and level, the scored cases, the Brier scores and the ratios."""
    lines = [
        "| log | level | scored (reached) | Brier forecast | historic share | by elapsed | "
        "ratio vs share | ratio vs elapsed |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def cell(x):
        return "-" if x is None else f"{x:.4f}"

    for row in rows:
        for level, s in row["levels"].items():
            b, r = s["brier"], s["ratio"]
            lines.append(
                f"| {row['log']} ({row['instants']} instants, {row['horizon']}) | {level} | "
                f"{s['cases']} ({s['observed']}) | {cell(b['forecast'])} | "
                f"{cell(b['historic_share'])} | {cell(b['by_elapsed'])} | "
                f"{cell(r['historic_share'])} | {cell(r['by_elapsed'])} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--points", type=int, default=bt.POINTS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = measure(args.reps, args.points)
    print(json.dumps(rows, indent=2) if args.json else table(rows))


if __name__ == "__main__":
    main()
