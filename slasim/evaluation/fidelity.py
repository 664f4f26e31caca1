"""The field's protocol end to end (`slasim fidelity --protocol first-n`, the benchmark): a scenario
simulates N cases from the test log's first case start, each run to completion, K times; each
simulated log is scored against the test log by the field's measures and slasim's own; the naive
baselines and the floor (N resampled test cases against N, `baselines`) are scored by the same
code; each measure gets a verdict, the number of test cases beside it and a caveat under
`verdict.MIN_TEST_CASES`.

Replications run in this process, on a process pool or on Dask (`slasim.sim.parallel`): the same
results for any worker count (each replication's streams are keyed by its number).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from slasim.calendar.units import MINUTES_PER_DAY
from slasim.evaluation import baselines, measures, own
from slasim.evaluation.frame import Frame
from slasim.evaluation.simulate import Collector, FirstN, frame
from slasim.evaluation.verdict import few_cases, summary, verdict
from slasim.io.errors import SlasimError
from slasim.io.i18n import Text
from slasim.scenario.names import Verbatim
from slasim.scenario.plan import compile_plan
from slasim.scenario.schema import Scenario
from slasim.sim.parallel import run_parallel

HORIZON_DOUBLINGS = 4  # a replication whose cases are not all decided runs again twice as long
CUT_SHARE = 0.01  # of simulated events after the test log's last instant: also score them cut there


def first_wall_minutes(test: Frame, cal) -> float:
    """The test log's first case start in calendar wall minutes."""
    return float(own.wall_minutes(pd.Series([test.events["start_time"].min()]), cal, test.aware)[0])


def period_of(scenario: Scenario, first_wall: float, working_days: int) -> Scenario:
    """The scenario over `working_days` from the date of `first_wall`, with no warm-up."""
    day = pd.Timestamp(int(first_wall // MINUTES_PER_DAY), unit="D").date()
    return scenario.model_copy(
        update={"start": day, "working_days": working_days, "end": None, "warmup_days": 0}
    )


def run_one(payload: tuple, replication: int, seed: int) -> dict:
    """One replication of the protocol (a task for `run_parallel`): the steps of the first N cases
    and the working days it took, the horizon doubled until every case is decided."""
    scenario_json, source, n, first_wall, working_days = payload
    scenario = Scenario.model_validate_json(scenario_json)
    for _ in range(HORIZON_DOUBLINGS + 1):
        plan = compile_plan(period_of(scenario, first_wall, working_days), source)
        since = float(plan.calendar.to_business_array(first_wall))
        collector = Collector()
        rep = FirstN(plan, replication, seed, collector, n, since)
        rep.run()
        rep.release()
        unfinished = collector.unfinished()
        if rep.entered == n and not unfinished:
            break
        working_days *= 2
    return {
        "steps": collector.steps,
        "entered": rep.entered,
        "unfinished": sorted(unfinished),
        "working_days": working_days,
    }


def after_end(share: float, end: pd.Timestamp) -> Text:
    """The caveat for simulated events after the test log's last instant."""
    return Text(
        "{share} of the simulated events end after the test log's last instant ({end}): a log "
        "taken while cases were open holds none after it, so its cut cases are set against whole "
        "simulated ones (the absolute and relative event distances and the cycle time most); the "
        "'cut at log end' columns score the simulated logs cut at that instant",
        share=f"{share:.1%}",
        end=Verbatim(end.isoformat()),
    )


def _stat(values: list[float]) -> dict:
    a = np.asarray(values, dtype=np.float64)
    return {"mean": float(a.mean()), "sd": float(a.std()), "values": a.tolist()}


def first_n(
    scenario: Scenario,
    test: Frame,
    train: pd.DataFrame | None,
    *,
    names: dict[str, str],
    replications: int,
    seed: int,
    source: str = "scenario",
    workers: int = 1,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
    keep_logs: bool = False,
    floor: bool = True,
    cut_at_end: bool = True,
) -> dict:
    """The comparison of `scenario` with the `test` log on the field's protocol (module docstring).
    `names` maps the scenario's step names to the log's activities (steps without one, delays
    and waits, are not activities); `train` (a frame) gives the baselines, None leaves them out;
    `floor=False` leaves the floor out (None; a caller scoring many scenarios on the same test log,
    seed and replications gets the same floor each time, and scores it once); `cut_at_end=False`
    leaves out the scores of simulated logs cut at the test log's last instant (`after_end`)."""
    plan = compile_plan(scenario, source)
    cal = plan.calendar
    real = test.events
    n = test.cases
    first_wall = first_wall_minutes(test, cal)
    span = own.case_spans(real, cal, test.aware)
    business = cal.to_business_array(np.array([span[0].min(), span[1].max()]))
    span_wd = float(np.diff(cal.business_to_day_position(business))[0])
    working_days = int(math.ceil(span_wd)) + 20
    payload = (scenario.model_dump_json(by_alias=True), source, n, first_wall, working_days)
    numbers = list(range(replications))
    if scheduler or (workers > 1 and replications > 1):
        runs = run_parallel(
            run_one, payload, numbers, seed, workers=workers, scheduler=scheduler, progress=progress
        )
    else:
        runs = []
        for r in numbers:
            runs.append(run_one(payload, r, seed))
            if progress:
                progress(r + 1)
    logs = []
    for run in runs:
        collector = Collector()
        collector.steps = run["steps"]
        logs.append(frame(collector, cal, names=names, aware=test.aware))
    if not any(len(log) for log in logs):
        raise SlasimError(
            "no simulated step has an activity of the test log (the model's steps: {steps})",
            source=test.source,
            field="activity",
            steps=Verbatim(", ".join(sorted(names))) if names else Text("none"),
        )

    def both(a: pd.DataFrame, b: pd.DataFrame) -> dict:
        return measures.score(a, b) | own.score(a, b, cal, test.aware)

    model = [both(real, log) for log in logs]
    floors = [both(*baselines.floor_pair(real, seed + k)) for k in numbers] if floor else None
    since = real["start_time"].min()
    if train is not None and len(train):
        replay = both(real, baselines.replay(train, n, since))
        boot_logs = [baselines.bootstrap(train, n, since, seed + k) for k in numbers]
        boot = [both(real, log) for log in boot_logs]
    else:
        replay, boot, boot_logs = None, None, []
    end = real["end_time"].max()
    after = float(np.mean([(log["end_time"] > end).mean() for log in logs if len(log)]))
    cut = {}
    if cut_at_end and after >= CUT_SHARE:  # the test log taken with cases open: scored cut too
        kept = lambda frames: [f for f in (x[x["end_time"] <= end] for x in frames) if len(f)]  # noqa: E731
        cut = {
            "model": [measures.score(real, log) for log in kept(logs)],
            "bootstrap": [measures.score(real, log) for log in kept(boot_logs)],
        }
    units = {k: u for k, (_, u) in measures.FIELD.items()} | {k: u for k, (_, u) in own.OWN.items()}
    rows = {}
    for name, unit in units.items():
        row = {
            "unit": unit,
            "short": measures.SHORT.get(name, ""),
            "model": _stat([m[name] for m in model]),
            "replay": {"mean": replay[name]} if replay else None,
            "bootstrap": _stat([b[name] for b in boot]) if boot else None,
            "floor": _stat([f[name] for f in floors]) if floors else None,
            "cases": n,
        }
        if cut and name in measures.FIELD:
            row["cut"] = {k: _stat([m[name] for m in v]) if v else None for k, v in cut.items()}
        row["verdict"] = verdict(
            row["model"]["mean"],
            row["model"]["sd"] / math.sqrt(replications),
            row["replay"]["mean"] if replay else math.nan,
            row["bootstrap"]["mean"] if boot else math.nan,
            row["floor"]["mean"] if floors else math.nan,
            row["floor"]["sd"] / math.sqrt(replications) if floors else 0.0,
        )
        rows[name] = row
    unfinished = sum(len(r["unfinished"]) for r in runs)
    result = {
        "scenario": scenario.name,
        "test_log": test.source,
        "protocol": "first-n",
        "settings": {
            "cases": n,
            "first_start": since.isoformat(),
            "replications": replications,
            "seed": seed,
            "timestamps": "UTC, as pandas.to_datetime(utc=True, format='mixed') reads them"
            + ("" if test.aware else " (naive stamps: the calendar's wall clock taken as UTC)"),
            "cycle_time_bins": "1 h",
            "ngram": 3,
            "floor": "two samples of N test cases drawn with replacement, one against the other "
            f"(mean over {replications} pairs)",
            "replay": "last N training cases shifted to the first start" if replay else None,
            "bootstrap": "N training cases with resampled inter-arrivals" if boot else None,
            "horizon_working_days": max(r["working_days"] for r in runs),
        },
        "simulated_cases": [int(r["entered"]) for r in runs],
        "after_end": {"share": after, "test_end": end.isoformat(), "cut": bool(cut)},
        "unfinished_cases": unfinished,
        "measures": rows,
        "summary": summary(rows, n)
        if replay
        else Text("no training log: no baselines (N = {cases} test cases)", cases=n),
        "warnings": [w for w in [few_cases(n), after_end(after, end) if cut else None] if w],
    }
    if keep_logs:
        result["_logs"] = logs
    return result
