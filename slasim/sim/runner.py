"""Replications of a scenario: deterministic seeding, per-replication metrics, CIs across them.

Replication r draws every number from streams keyed by (seed, r, names...) (see `draws.stream`),
so results do not depend on the order or the process replications run in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from slasim.clock.cards import LEVELS
from slasim.io.files import OutputSet
from slasim.io.i18n import Text
from slasim.io.interrupts import check_interrupted
from slasim.scenario.plan import Plan, compile_plan
from slasim.scenario.schema import Scenario
from slasim.sim.backlog import backlog_warnings
from slasim.sim.event_engine import EventReplication
from slasim.sim.grading import ServiceTally
from slasim.sim.metrics import INTERVALS, ratio, summarize
from slasim.sim.parallel import run_parallel
from slasim.sim.queue_engine import QueueReplication, unsupported
from slasim.sim.simpy_engine import Replication
from slasim.sim.workload import check_workload


def replication_metrics(
    plan: Plan,
    replication: int,
    seed: int,
    log=None,
    timeline: list | None = None,
    engine: str | None = None,
) -> dict:
    """Run one replication and return its metrics (a nested dict of numbers); events go to `log`,
    and daily samples (queues, open cases by card) are appended to `timeline` if one is given.
    `engine` (fcfs, events or simpy) overrides the choice of `engine_used`, for comparisons."""
    engine = engine or engine_used(plan)["engine"]
    if log is not None or timeline is not None or engine == "simpy":
        rep = Replication(plan, replication, seed, log, timeline=timeline is not None)
    elif engine == "fcfs":
        rep = QueueReplication(plan, replication, seed)
    else:
        rep = EventReplication(plan, replication, seed)
    rep.run()
    if timeline is not None:
        timeline.extend(rep.timeline)
    end, since = plan.end, plan.warmup_end
    levels = {r.level for s in plan.services for r in s.ladder.rungs}
    services = {
        s.name: rep.grader.tallies[s.index].summary({r.level for r in s.ladder.rungs})
        for s in plan.services
    }
    overall = ServiceTally.combined(rep.grader.tallies)
    steps = {f"{st.service}/{st.name}": rep.step_tallies[st.id].summary() for st in plan.steps}
    departments = {station.name: station.summary(end) for station in rep.stations}
    hours = (end - since) / 60.0
    little = {
        "wip_mean": rep.wip.mean(end),
        "arrivals_per_hour": overall.arrived / hours,
        "time_in_system_hours_mean": ratio(overall.in_system_sum / 60.0, overall.arrived),
    }
    if isinstance(rep, Replication):
        rep.release()  # SimPy's queued requests settled: dropping a backlog stays linear
    return {
        "overall": overall.summary(levels),
        "services": services,
        "steps": steps,
        "departments": departments,
        "little": little,
    }


_PLANS: dict[tuple[str, str], Plan] = {}
_PLANS_LOCK = threading.Lock()  # a Dask worker may run replications in several threads


def _remember_plan(payload: tuple[str, str], plan: Plan) -> None:
    with _PLANS_LOCK:
        if len(_PLANS) >= 8:
            _PLANS.pop(next(iter(_PLANS)))
        _PLANS[payload] = plan


def replication_task(payload: tuple[str, str], replication: int, seed: int) -> dict:
    """One replication in a worker, from the scenario as JSON and its source (the compiled plan is
    kept per process)."""
    plan = _PLANS.get(payload)
    if plan is None:
        scenario_json, source = payload
        plan = compile_plan(Scenario.model_validate_json(scenario_json), source)
        _remember_plan(payload, plan)
    return replication_metrics(plan, replication, seed)


def replicate(
    plan: Plan,
    replications: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    first: int = 0,
    meanwhile: Callable[[], object] | None = None,
) -> list[dict]:
    """Metrics of replications first..n-1: in this process, a pool of `workers` processes, or on the
    Dask scheduler at `scheduler`. Identical results whichever runs them. `meanwhile()` runs here
    first, while a pool's workers start (`parallel.run_parallel`)."""
    numbers = list(range(first, replications))
    if numbers and (scheduler or (workers > 1 and len(numbers) > 1)):
        payload = (plan.scenario.model_dump_json(by_alias=True), "scenario")
        _remember_plan(
            payload, plan
        )  # forked pool workers inherit it instead of compiling it again
        return run_parallel(
            replication_task,
            payload,
            numbers,
            seed,
            workers=workers,
            scheduler=scheduler,
            progress=progress and (lambda done: progress(first + done)),  # as counted in-process
            meanwhile=meanwhile,
        )
    if meanwhile is not None:
        meanwhile()
    results = []
    for r in numbers:
        results.append(replication_metrics(plan, r, seed))
        check_interrupted()  # a signal swallowed inside the replication ends the run here
        if progress:
            progress(r + 1)
    return results


def run_scenario(
    scenario: Scenario,
    *,
    source: str = "scenario",
    replications: int | None = None,
    seed: int | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    event_log: Path | None = None,
    outputs: OutputSet | None = None,
    timeline: bool = False,
    max_cases: float | None = None,
) -> dict:
    """Run the replications and summarise them (mean and 95 % CI per metric). With `event_log` or
    `timeline`, replication 0 runs here and also writes its events (CSV, and XES beside it) or keeps
    a daily sample of queues and open cases by card level (`result["timeline"]`). The event log
    joins `outputs` (renamed with the caller's other files) when one is given. More than
    `max_cases` expected simulated cases is refused before anything runs."""
    plan = compile_plan(scenario, source)
    n = replications or scenario.replications
    check_workload([(plan, n)], max_cases, simpy_first=event_log is not None or timeline)
    seed = scenario.seed if seed is None else seed
    runs, samples = [], [] if timeline else None
    log, first, written = None, None, []
    if event_log is not None or timeline:
        if event_log is not None:
            from slasim.outputs.eventlog import EventLog

            log = EventLog(event_log, plan.calendar, outputs)

        def first():  # replication 0 writes the log here, while a pool's workers run the rest
            runs.append(replication_metrics(plan, 0, seed, log, samples))
            check_interrupted()
            if log is not None:
                log.close()
            written.append(0)  # after close: a close that fails still discards the staged files
            if progress:
                progress(1)

    try:
        rest = replicate(
            plan,
            n,
            seed,
            progress,
            workers=workers,
            scheduler=scheduler,
            first=0 if first is None else 1,
            meanwhile=first,
        )
    except BaseException:
        if log is not None and not written:  # the log is not finished
            log.discard()
        raise
    runs += rest
    result = describe(plan, n, seed, summarize(runs))
    if (event_log is not None or timeline) and result["engine"] != "simpy":
        note = Text("replication 0 ran in SimPy, which writes the event log and the daily timeline")
        earlier = result.get("engine_note")
        result["engine_note"] = Text("{note}; {more}", note=earlier, more=note) if earlier else note
    if timeline:
        result["timeline"] = samples
    return result


def engine_used(plan: Plan) -> dict:
    """Which engine computes the replications, and why not the faster one: the FCFS queue path
    (`fcfs`) when every desk is a plain queue of one step, else the event loop (`events`), or SimPy
    when the scenario asks for it (`engine: simpy`). All give the same results on the same draws."""
    if plan.scenario.engine == "simpy":
        return {"engine": "simpy", "engine_note": Text("the scenario asks for engine: simpy")}
    reason = unsupported(plan)
    if reason is None:
        return {"engine": "fcfs"}
    return {"engine": "events", "engine_note": Text("not the queue path: {reason}", reason=reason)}


def describe(plan: Plan, n: int, seed: int, summary: dict) -> dict:
    """The result document: what was run (scenario, calendar, period, seeds), its summary and
    warnings about it (a backlog growing before acceptance, `sim.backlog`)."""
    scenario = plan.scenario
    cal = plan.calendar
    days = plan.office_days[[0, -1]]
    return {
        "scenario": scenario.name,
        "calendar": cal.name,
        "period": {
            "first_day": str(days[0].astype("datetime64[D]")),
            "last_day": str(days[1].astype("datetime64[D]")),
            "working_days": plan.end_day - plan.start_day,
            "warmup_days": scenario.warmup_days,
        },
        "provisional": plan.provisional,
        "replications": n,
        "seed": seed,
        **engine_used(plan),
        "levels": [level for level in LEVELS if level != "green"],
        "intervals": INTERVALS,
        "definition": scenario.model_dump(mode="json", by_alias=True, exclude_defaults=True),
        "service_info": {
            s.name: {
                "kind": s.spec.kind,
                "promised": str(s.promised),
                "legal": str(s.legal),
                "cards": s.ladder.name,
            }
            for s in plan.services
        },
        **summary,
        "warnings": backlog_warnings(plan, summary["services"]),
    }
