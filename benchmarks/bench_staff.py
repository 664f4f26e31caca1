"""`slasim staff` against an exhaustive grid: replications used as a share of what evaluating every
staffing in the bounds at the same per-candidate cap would take (target: <= 25% for 3 departments x
5 staff levels each), and the wall time of the search, on `district-centre`. The search judges on
at least 5 x the longest legal limit (30wd) after the warm-up, so `--days` below 160 is lengthened.

    python benchmarks/bench_staff.py [--days 60] [--max-reps 20] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

from slasim.scenario.loader import load_scenario_data
from slasim.staffing.search import find_staffing
from slasim.staffing.targets import parse_target

VARIED = {"window": (1, 5), "market": (1, 5), "registry": (1, 5)}
TARGETS = ["lead_time_wd_p90<=3", "red<=1%"]


def measure(days: int, max_reps: int) -> dict:
    """One search; returns the replications used, the grid's and their ratio, with the answer."""
    data, source = load_scenario_data("district-centre", [f"working_days={days}"])
    low = {d: lo for d, (lo, _) in VARIED.items()}
    high = {d: hi for d, (_, hi) in VARIED.items()}
    started = time.perf_counter()
    result = find_staffing(
        data,
        source,
        [parse_target(t) for t in TARGETS],
        low=low,
        high=high,
        only=list(VARIED),
        max_reps=max_reps,
    )["results"][0]
    seconds = time.perf_counter() - started
    return {
        "targets": TARGETS,
        "staff": {d: result["staff"][d] for d in VARIED} if result["staff"] else None,
        "status": result["status"],
        "candidates_evaluated": result["candidates_evaluated"],
        "grid_size": result["grid_size"],
        "replications_used": result["replications_used"],
        "exhaustive_replications": result["exhaustive_replications"],
        "unstable_skipped": len(result["unstable"]),
        "judged_days": result["horizon"]["warmup_days"] + result["horizon"]["measured_days"],
        "share_of_exhaustive": result["replications_used"] / result["exhaustive_replications"],
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--max-reps", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    r = measure(args.days, args.max_reps)
    if args.json:
        print(json.dumps(r))
        return
    print(
        f"district-centre, {args.days} working days (judged on {r['judged_days']}), "
        f"targets {', '.join(TARGETS)}"
    )
    print(f"answer: {r['staff']} ({r['status']})")
    print(
        f"candidates evaluated: {r['candidates_evaluated']} of {r['grid_size']}; replications "
        f"{r['replications_used']} of {r['exhaustive_replications']} exhaustive = "
        f"{100 * r['share_of_exhaustive']:.1f}% (target <= 25%); {r['unstable_skipped']} unstable "
        f"staffings skipped unsimulated; {r['seconds']:.1f} s"
    )


if __name__ == "__main__":
    main()
