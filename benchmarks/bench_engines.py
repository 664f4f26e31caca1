"""The event engine against the SimPy engine on realistic centres, same process, same draws.

Each scenario runs by default (`engine: auto`, which picks the event engine for these) and forced
onto SimPy (`engine: simpy`), one replication of each at a time, interleaved, so both see the same
machine state; the figure is the median of the pairwise ratios. Results must be equal (checked).
Scenarios: `district-centre` and `city-portfolio` (shipped), and a supplement-loop service at about
100,000 cases a replication (defined below).
`--cpu` times each run in this process's CPU seconds (`time.process_time`) rather than wall
seconds: on a loaded shared machine a run's wall time also counts the time it waited for a core.
Run: python benchmarks/bench_engines.py [--pairs 5] [--quick] [--only NAME] [--supplement-pairs N]
[--cpu]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from slasim.scenario.loader import load_scenario
from slasim.scenario.plan import compile_plan
from slasim.scenario.schema import Scenario
from slasim.sim.draws import forget_streams
from slasim.sim.runner import engine_used, replication_metrics

ROOT = Path(__file__).resolve().parent.parent
WORKING_DAYS = 245  # 2025 on the cn calendar


def supplement_loop(cases: int) -> Scenario:
    """One permit service: a window that sends a quarter of the files back for supplements (answers
    in natural days, one in twenty applicants give up), a review, a decision; staffed for about 80%
    utilisation."""
    per_day = cases / WORKING_DAYS
    minutes = {"window": 15 * 1.3, "review": 45, "decide": 20}  # the window sees re-checks too
    return Scenario.model_validate(
        {
            "name": f"supplement-loop-{cases}",
            "calendar": "cn",
            "start": "2025-01-02",
            "working_days": WORKING_DAYS,
            "seed": 1,
            "departments": {
                name: {"staff": max(1, round(per_day * m / 480 / 0.8))}
                for name, m in minutes.items()
            },
            "services": {
                "permit": {
                    "limits": {"promised": "5wd", "legal": "20wd"},
                    "arrivals": {"per_day": per_day, "online": 0.3},
                    "steps": [
                        {
                            "step": "accept",
                            "department": "window",
                            "work": {"exponential": 15},
                            "supplement": {
                                "probability": 0.25,
                                "response": {"lognormal": {"mean": 3, "sd": 2}, "unit": "d"},
                                "give_up": 0.05,
                            },
                        },
                        {"step": "review", "department": "review", "work": {"exponential": 45}},
                        {"step": "decide", "department": "decide", "work": {"exponential": 20}},
                    ],
                }
            },
        }
    )


def flat(metrics: dict, path: str = ""):
    for key, value in metrics.items():
        if isinstance(value, dict):
            yield from flat(value, f"{path}/{key}")
        else:
            yield f"{path}/{key}", value


def same(a: dict, b: dict) -> bool:
    """Equal metrics: counts exactly, sums to rounding (NaN equals NaN)."""
    for (key, x), (key2, y) in zip(flat(a), flat(b), strict=True):
        if key != key2 or not (x == y or x != x and y != y or abs(x - y) <= 1e-9 * max(1, abs(y))):
            return False
    return True


def measure(scenario: Scenario, pairs: int, clock=time.perf_counter) -> dict:
    plan = compile_plan(scenario)
    reference = compile_plan(scenario.model_copy(update={"engine": "simpy"}))
    fast, slow, equal, cases = [], [], True, 0
    for r in range(pairs):
        forget_streams()  # neither engine starts with the other's streams' key prefixes
        t0 = clock()
        ours = replication_metrics(plan, r, scenario.seed)
        t1 = clock()
        forget_streams()
        t2 = clock()
        theirs = replication_metrics(reference, r, scenario.seed)
        t3 = clock()
        fast.append(t1 - t0)
        slow.append(t3 - t2)
        equal = equal and same(ours, theirs)
        cases = ours["overall"]["arrived"]
    return {
        "scenario": scenario.name,
        "engine": engine_used(plan)["engine"],
        "cases_measured": cases,
        "pairs": pairs,
        "seconds_engine": statistics.median(fast),
        "seconds_simpy": statistics.median(slow),
        "speedup": statistics.median(s / f for f, s in zip(fast, slow)),
        "speedup_range": [
            min(s / f for f, s in zip(fast, slow)),
            max(s / f for f, s in zip(fast, slow)),
        ],
        "equal_results": equal,
    }


def measure_all(
    pairs: int = 5, quick: bool = False, only: str = "", supplement_pairs: int = 0, cpu=False
) -> list[dict]:
    """The three scenarios, each `pairs` interleaved pairs (the 100k-case one half as many, or
    `supplement_pairs`); `only`: those whose name contains it; `cpu`: CPU seconds, not wall."""
    scenarios = [
        load_scenario(ROOT / "scenarios/district-centre.yaml"),
        load_scenario(ROOT / "scenarios/city-portfolio.yaml"),
        supplement_loop(10_000 if quick else 100_000),
    ]
    return [
        measure(
            s,
            pairs if "supplement" not in s.name else supplement_pairs or max(1, pairs // 2),
            time.process_time if cpu else time.perf_counter,
        )
        for s in scenarios
        if only in s.name
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="10k cases for the supplement loop")
    parser.add_argument("--only", default="", help="only the scenarios whose name contains this")
    parser.add_argument(
        "--supplement-pairs", type=int, default=0, help="pairs of the supplement loop (pairs // 2)"
    )
    parser.add_argument("--cpu", action="store_true", help="CPU seconds of this process, not wall")
    args = parser.parse_args()
    rows = measure_all(args.pairs, args.quick, args.only, args.supplement_pairs, args.cpu)
    for row in rows:
        print(
            f"{row['scenario']:28s} {row['engine']:7s} {row['cases_measured']:>8,} cases  "
            f"{row['seconds_engine']:6.2f} s vs SimPy {row['seconds_simpy']:6.2f} s  "
            f"{row['speedup']:.2f}x ({row['speedup_range'][0]:.2f}-{row['speedup_range'][1]:.2f})"
            f"  equal: {row['equal_results']}"
        )
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
