"""How much a command will simulate, known before it starts: the expected cases of a replication
(receipts per working day × weekday and month factors over the period, each service), times the
replications, variants, grid points or candidates to run. Above a bound the command is refused
with the estimate and the flag that lifts the bound, instead of running for hours or exhausting
memory (`per_day: 100000`, `--reps 10000000`).
"""

from __future__ import annotations

import math

from slasim.io.errors import SlasimError
from slasim.scenario.plan import Plan
from slasim.sim.arrivals import arrival_factors

MAX_CASES = 20_000_000  # simulated cases a command may run unless --max-cases says more
MAX_CASES_OPTION = "--max-cases"


def cases_per_replication(plan: Plan) -> float:
    """Expected receipts in one replication of the plan (all services, warm-up included)."""
    days = plan.calendar.work_days[plan.start_day : plan.end_day]
    return float(
        sum(
            s.spec.arrivals.per_day * arrival_factors(s.spec.arrivals, days).sum()
            for s in plan.services
        )
    )


def check_workload(
    runs: list[tuple[Plan, int]], bound: float | None, what: str = "replications"
) -> float:
    """The expected simulated cases of (plan, replications) pairs; over `bound` (None: no bound)
    a located error with the estimate and the flag to override it."""
    per_run = [cases_per_replication(plan) for plan, _ in runs]
    total = sum(cases * n for cases, (_, n) in zip(per_run, runs))
    if bound is not None and total > bound:
        count = sum(n for _, n in runs)
        raise SlasimError(
            f"about {total:,.0f} simulated cases ({max(per_run):,.0f} per replication at most, "
            f"{count:,} {what}): over the bound of {bound:,.0f}; give "
            f"{MAX_CASES_OPTION} {math.ceil(total):d} to run it anyway",
            field=MAX_CASES_OPTION,
        )
    return total
