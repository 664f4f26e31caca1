"""A 4-step city-year: one service through four departments for a year of the cn calendar, sized to a
given number of cases; run in a fresh process to read its peak memory. Used by run_all.py.
Run: python benchmarks/city_year.py CASES [auto|simpy]  → prints JSON {cases, seconds, peak_mib, engine}
(auto: the FCFS queue path, as `slasim run` picks for this scenario; simpy: its SimPy engine)
"""

from __future__ import annotations

import json
import resource
import sys
import time

from slasim.scenario.plan import compile_plan
from slasim.scenario.schema import Scenario
from slasim.sim.runner import engine_used, replication_metrics

WORKING_DAYS = 245  # 2025 on the cn calendar
STEPS = (
    ("accept", 10),
    ("review", 30),
    ("inspect", 40),
    ("decide", 20),
)  # office minutes (exponential)


def city_year(cases: int, engine: str = "auto") -> Scenario:
    per_day = cases / WORKING_DAYS
    departments = {
        name: {"staff": max(1, round(per_day * minutes / 420 / 0.8))} for name, minutes in STEPS
    }
    return Scenario.model_validate(
        {
            "name": f"city-year-{cases}",
            "calendar": "cn",
            "start": "2025-01-02",
            "working_days": WORKING_DAYS,
            "replications": 1,
            "seed": 1,
            "engine": engine,
            "departments": departments,
            "services": {
                "permit": {
                    "limits": {"promised": "5wd", "legal": "20wd"},
                    "arrivals": {"per_day": per_day},
                    "steps": [
                        {"step": name, "department": name, "work": {"exponential": minutes}}
                        for name, minutes in STEPS
                    ],
                }
            },
        }
    )


def peak_memory_mib() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries ru_maxrss over from
    the parent across exec, so a child started by a big process would report the parent's peak."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    cases = int(sys.argv[1])
    engine = sys.argv[2] if len(sys.argv) > 2 else "auto"
    plan = compile_plan(city_year(cases, engine))
    t0 = time.perf_counter()
    metrics = replication_metrics(plan, 0, 1)
    seconds = time.perf_counter() - t0
    peak_mib = peak_memory_mib()
    print(
        json.dumps(
            {
                "cases": metrics["overall"]["arrived"],
                "seconds": seconds,
                "peak_mib": peak_mib,
                "decided": metrics["overall"]["decided"],
                "engine": engine_used(plan)["engine"],
            }
        )
    )


if __name__ == "__main__":
    main()
