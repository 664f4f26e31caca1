"""How much a command will simulate, known before it starts: the expected cases of a replication
(receipts per working day × weekday and month factors over the period, each service), times the
replications, variants, grid points or candidates to run. Above a bound the command is refused
with the estimate and the flag that lifts the bound, instead of running for hours or exhausting
memory (`per_day: 100000`, `--reps 10000000`). One replication on an event engine (the event
loop, or SimPy) is bounded on its own at a tenth of the bound: both hold every open case, and an
overloaded centre keeps most of them open. One replication on the FCFS path is bounded at a
quarter of it (5,000,000 cases by default, about half a minute): a replication runs on one core
whatever the workers, so more replications can share the time and one cannot.

The same estimate chooses how many processes run the replications when `--workers` is not given:
starting a pool costs about a tenth of a second, so below `POOL_MIN_WORK` (cases on the FCFS queue
path; a case on an event engine weighs `EVENT_WEIGHT`, as it costs about ten times more) the
replications run in the command's own process. Measured on 2 cores (docs/ARCHITECTURE.md):
mmc-always's 10 replications (35,000 FCFS cases) take 0.63 s alone against 0.73 s with a pool;
district-centre's 10 (46,000 cases on the event loop) 1.3 s against 1.0 s.
"""

from __future__ import annotations

import math

from slasim.io.errors import SlasimError
from slasim.io.i18n import Text
from slasim.scenario.plan import Plan
from slasim.sim.arrivals import arrival_factors
from slasim.sim.queue_engine import unsupported

MAX_CASES = 20_000_000  # simulated cases a command may run unless --max-cases says more
MAX_CASES_OPTION = "--max-cases"
SIMPY_SHARE = 0.1  # of the bound, for the cases of one replication on an event engine
REPLICATION_SHARE = 0.25  # of the bound, for one replication on the FCFS path (one core runs it)
POOL_MIN_WORK = 200_000  # FCFS-case equivalents below which a pool costs more than it saves
EVENT_WEIGHT = 10  # an event-engine case against an FCFS one (the replication's time per case)


def cases_per_replication(plan: Plan) -> float:
    """Expected receipts in one replication of the plan (all services, warm-up included)."""
    days = plan.office_days
    return float(
        sum(
            s.spec.arrivals.per_day * arrival_factors(s.spec.arrivals, days).sum()
            for s in plan.services
        )
    )


def check_workload(
    runs: list[tuple[Plan, int]],
    bound: float | None,
    what: str = Text("replications"),
    *,
    simpy_first: bool = False,
) -> float:
    """The expected simulated cases of (plan, replications) pairs; over `bound` (None: no bound)
    a located error with the estimate and the flag to override it. A replication on an event
    engine — the event loop, or SimPy (`simpy_first`: the first one always is, for an event log
    or a timeline) — may hold every case it simulates in memory at once (an overloaded desk's
    backlog), so it is bounded at SIMPY_SHARE of `bound` on its own."""
    per_run = [cases_per_replication(plan) for plan, _ in runs]
    total = sum(cases * n for cases, (_, n) in zip(per_run, runs))
    if bound is None:
        return total
    if total > bound:
        count = sum(n for _, n in runs)
        raise SlasimError(
            "about {total:,.0f} simulated cases ({most:,.0f} per replication at most, {count:,} "
            "{what}): over the bound of {bound:,.0f}; give {option} {needed:d} to run it anyway",
            field=MAX_CASES_OPTION,
            total=total,
            most=max(per_run),
            count=count,
            what=what,
            bound=bound,
            option=MAX_CASES_OPTION,
            needed=math.ceil(total),
        )
    for cases, (plan, _) in zip(per_run, runs):
        why = Text("it writes the event log or timeline") if simpy_first else unsupported(plan)
        if why is not None and cases > bound * SIMPY_SHARE:
            engine = "SimPy" if simpy_first or plan.scenario.engine == "simpy" else Text("event")
            raise SlasimError(
                "about {cases:,.0f} simulated cases in one replication on the {engine} engine "
                "({why}): over its bound of {bound:,.0f} ({share:.0%} of {option}: each open case "
                "is held in memory); give {option} {needed:d} to run it anyway",
                field=MAX_CASES_OPTION,
                cases=cases,
                engine=engine,
                why=why,
                bound=bound * SIMPY_SHARE,
                share=SIMPY_SHARE,
                option=MAX_CASES_OPTION,
                needed=math.ceil(cases / SIMPY_SHARE),
            )
        if cases > bound * REPLICATION_SHARE:
            raise SlasimError(
                "about {cases:,.0f} simulated cases in one replication: over its bound of "
                "{bound:,.0f} ({share:.0%} of {option}: one replication runs on one core); give "
                "{option} {needed:d} to run it anyway",
                field=MAX_CASES_OPTION,
                cases=cases,
                bound=bound * REPLICATION_SHARE,
                share=REPLICATION_SHARE,
                option=MAX_CASES_OPTION,
                needed=math.ceil(cases / REPLICATION_SHARE),
            )
    return total


def choose_workers(runs: list[tuple[Plan, int]], cores: int) -> int:
    """Processes for (plan, replications) pairs run in one pool (compare's baseline and variants,
    sweep's grid points): one when all of them together are too little work to pay for a pool,
    else the cores (at most one per replication)."""
    work = [
        cases_per_replication(plan) * n * (EVENT_WEIGHT if _on_events(plan) else 1)
        for plan, n in runs
    ]
    if not work or sum(work) < POOL_MIN_WORK:
        return 1
    return max(1, min(cores, sum(n for _, n in runs)))


def _on_events(plan: Plan) -> bool:
    """Whether the plan's replications run on an event engine (the event loop or SimPy)."""
    return plan.scenario.engine == "simpy" or unsupported(plan) is not None
