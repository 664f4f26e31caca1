"""The window view (`slasim fidelity --protocol window`): the cases received in the scenario's
measured window, real against simulated, with slasim's own measures (limits, cards, lead time in
working days, open cases) beside the field's distances.

- The window opens at the fit's split instant (the scenario's `provenance.split`), so no fitted case
  is scored; a scenario without provenance opens it at the end of its warm-up (said in the result).
- Both sides are cut at the window's end alike ("cut at window end"): a case still open there is
  open on both sides (its lead time censored, not dropped), and only steps completed by then are
  scored.
- Simulated steps are collected in memory from the SimPy engine (`simulate.Collector`), in the order
  each case did them. Real steps are read from the log's events; times on the calendar's wall clock
  (taken as UTC by the field's measures, on both sides alike).
- Each figure is a mean over replications with a Student-t 95 % interval, clipped where the
  quantity ends (at 0 for every measure and distance here, at 1 for a share); `reference` gives the
  same distances between the real cases dealt alternately into two halves (the noise floor).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from slasim.calendar.units import MINUTES_PER_DAY
from slasim.clock.cards import crossings, first_reached
from slasim.clock.case_clock import ClockBatch
from slasim.evaluation import baselines, measures, own
from slasim.evaluation.simulate import Collector, frame, wall_stamps
from slasim.io.errors import SlasimError
from slasim.io.i18n import N_
from slasim.scenario.plan import Plan, compile_plan
from slasim.scenario.schema import Scenario
from slasim.sim.metrics import confidence
from slasim.sim.parallel import run_parallel
from slasim.sim.runner import replication_metrics

VIEW = N_(
    "cut at window end: cases received in the window; a case open at its end is open on both sides"
)
# slasim's own measures, named as `slasim run` names them
HEADLINE = (
    "arrived",
    "past_promised",
    "past_legal",
    "ever_yellow",
    "ever_red",
    "lead_time_wd_mean",
    "lead_time_wd_p90",
    "open_at_end",
    "wip_mean",
)
SHARES = ("past_promised", "past_legal", "ever_yellow", "ever_red")


def interval(values: list[float], share: bool = False) -> dict:
    """Mean and 95 % interval over replications, clipped as the quantity is bounded: a share to
    [0, 1] (as `slasim run` does), a count, a time or a distance at 0 below."""
    out = confidence(values, share=share)
    if out["ci95"] is not None:
        out["ci95"][0] = max(out["ci95"][0], 0.0)
    return out


class CaseSet:
    """Cases as columns: receipt and decision (wall minutes; inf when open at the window's end)."""

    def __init__(self, received, decided):
        self.received = np.asarray(received, dtype=np.float64)
        self.decided = np.asarray(decided, dtype=np.float64)


def window_of(plan: Plan) -> tuple[float, float, str]:
    """(opens, closes) in wall minutes and where it opens: the fit's split, else the warm-up end."""
    cal = plan.calendar
    closes = float(cal.to_wall_array(plan.end, side="left"))
    provenance = plan.scenario.provenance
    if provenance is not None and provenance.split is not None:
        opens = cal.minutes(dt.datetime.fromisoformat(provenance.split))
        return opens, closes, N_("the fit's split")
    return float(cal.to_wall_array(plan.warmup_end, side="right")), closes, N_("the warm-up's end")


def real_side(events, window: tuple[float, float]) -> tuple[CaseSet, pd.DataFrame]:
    """The log's cases received in the window (first event), decided at their last event (open if
    after the window), and their steps completed by the window's end as a frame."""
    opens, closes = window
    rows = pd.DataFrame(
        {
            "case_id": events.case.astype(str),
            "activity": events.activity.astype(str),
            "resource": events.resource.astype(str),
            "start": events.start,
            "end": events.end,
            "milestone": events.milestone,
        }
    )
    spans = rows.groupby("case_id", sort=False).agg(
        received=("start", "min"), decided=("end", "max")
    )
    spans = spans[(spans.received >= opens) & (spans.received < closes)]
    decided = np.where(spans.decided <= closes, spans.decided, math.inf)
    steps = rows[rows.case_id.isin(spans.index) & ~rows.milestone & (rows.end <= closes)]
    steps = steps.assign(order=np.arange(len(steps))).sort_values(
        ["case_id", "start", "end", "order"], kind="stable"
    )
    out = pd.DataFrame(
        {
            "case_id": steps.case_id.to_numpy(),
            "activity": steps.activity.to_numpy(),
            "resource": steps.resource.to_numpy(),
        }
    )
    out["start_time"] = wall_stamps(None, steps.start.to_numpy(), aware=False)
    out["end_time"] = wall_stamps(None, steps.end.to_numpy(), aware=False)
    return CaseSet(spans.received.to_numpy(), decided), out


def window_task(payload: tuple, replication: int, seed: int) -> dict:
    """One replication's steps and cases (a task for `run_parallel`)."""
    scenario_json, source = payload
    plan = compile_plan(Scenario.model_validate_json(scenario_json), source)
    collector = Collector()
    replication_metrics(plan, replication, seed, collector)
    return {"steps": collector.steps, "cases": collector.cases}


def simulated_side(plan: Plan, run: dict, window, names) -> tuple[CaseSet, pd.DataFrame]:
    """A replication's cases received in the window and their steps completed by its end."""
    cal = plan.calendar
    opens, closes = window
    ids = list(run["cases"])
    received_b = np.array([run["cases"][c][0] for c in ids], dtype=np.float64)
    decided_b = np.array([run["cases"][c][1] for c in ids], dtype=np.float64)
    received = cal.to_wall_array(received_b, side="right") if ids else received_b
    finite = np.isfinite(decided_b)
    decided = np.full(len(ids), math.inf)
    decided[finite] = cal.to_wall_array(decided_b[finite], side="left")
    keep = (received >= opens) & (received < closes)
    decided = np.where(decided <= closes, decided, math.inf)
    kept = {c for c, k in zip(ids, keep) if k}
    collector = Collector()
    collector.steps = [s for s in run["steps"] if s[0] in kept]
    steps = frame(collector, cal, names=names)
    ends = own.wall_minutes(steps["end_time"], cal, aware=False)
    return CaseSet(received[keep], decided[keep]), steps[ends <= closes].reset_index(drop=True)


def own_measures(cases: CaseSet, plan: Plan, window) -> dict:
    """slasim's measures of a case set, graded by the scenario's first service's limits and cards
    (acceptance at receipt); open cases are graded up to the window's end."""
    cal, service = plan.calendar, plan.services[0]
    n = len(cases.received)
    if n == 0:
        return {"arrived": 0.0}
    closes = window[1]
    accepted = cal.to_wall_array(cal.to_business_array(cases.received), side="right")
    stop = np.minimum(cases.decided, closes)
    clocks = {
        ref: ClockBatch(cal, limit.unit, accepted, np.full(n, limit.axis_amount), None, None, stop)
        for ref, limit in (("promised", service.promised), ("legal", service.legal))
    }
    out = {"arrived": float(n), "open_at_end": float(np.sum(~np.isfinite(cases.decided)))}
    for ref in ("promised", "legal"):
        out[f"past_{ref}"] = float(np.mean(clocks[ref].due() < stop))
    firsts = first_reached(service.ladder, crossings(service.ladder, clocks))
    for level in ("yellow", "red"):
        if level in firsts:
            out[f"ever_{level}"] = float(np.mean(np.isfinite(firsts[level])))
    done = np.isfinite(cases.decided)
    b = cal.business_to_day_position
    lead = b(cal.to_business_array(cases.decided[done])) - b(
        cal.to_business_array(cases.received[done])
    )
    out["lead_time_wd_mean"] = float(lead.mean()) if len(lead) else math.nan
    out["lead_time_wd_p90"] = float(np.quantile(lead, 0.9)) if len(lead) else math.nan
    out["wip_mean"] = float(wip_by_day(cases, cal, window).mean())
    return out


def wip_by_day(cases: CaseSet, cal, window) -> np.ndarray:
    """Open cases of the set at each office day's close within the window."""
    first, last = int(window[0] // MINUTES_PER_DAY), int(window[1] // MINUTES_PER_DAY)
    days = cal.open_days[(cal.open_days >= first) & (cal.open_days < last)]
    closes = (days + 1) * MINUTES_PER_DAY - 1e-6
    received, decided = np.sort(cases.received), np.sort(cases.decided)
    return np.searchsorted(received, closes) - np.searchsorted(decided, closes)


def distances(real: CaseSet, sim: CaseSet, real_steps, sim_steps, cal, window) -> dict:
    """The field's distances on the steps, slasim's on the cases: lead time (W1, working days, cases
    decided in the window) and open cases at each day's close (mean absolute difference, cases)."""
    from scipy.stats import wasserstein_distance

    out = measures.score(real_steps, sim_steps) if len(real_steps) and len(sim_steps) else {}
    b = cal.business_to_day_position

    def lead(c: CaseSet) -> np.ndarray:
        done = np.isfinite(c.decided)
        return b(cal.to_business_array(c.decided[done])) - b(
            cal.to_business_array(c.received[done])
        )

    a, z = lead(real), lead(sim)
    out["lead_time_wd"] = float(wasserstein_distance(a, z)) if len(a) and len(z) else math.nan
    w_real, w_sim = wip_by_day(real, cal, window), wip_by_day(sim, cal, window)
    out["wip_cases"] = float(np.mean(np.abs(w_real - w_sim))) if len(w_real) else 0.0
    return out


def window_fidelity(
    plan: Plan,
    events,
    *,
    names: dict[str, str],
    replications: int,
    seed: int,
    workers: int = 1,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Real against simulated cases over the measured window (module docstring)."""
    opens, closes, opened_at = window_of(plan)
    window = (opens, closes)
    real, real_steps = real_side(events, window)
    cal = plan.calendar
    if len(real.received) < 2:
        raise SlasimError(
            "fewer than two of the log's cases were received in the scenario's measured window "
            "({opens} to {closes})",
            source=events.source,
            opens=pd.Timestamp(opens, unit="m").strftime("%Y-%m-%d %H:%M"),
            closes=pd.Timestamp(closes, unit="m").strftime("%Y-%m-%d %H:%M"),
        )
    payload = (plan.scenario.model_dump_json(by_alias=True), "scenario")
    numbers = list(range(replications))
    if scheduler or (workers > 1 and replications > 1):
        runs = run_parallel(
            window_task,
            payload,
            numbers,
            seed,
            workers=workers,
            scheduler=scheduler,
            progress=progress,
        )
    else:
        runs = []
        for r in numbers:
            runs.append(window_task(payload, r, seed))
            if progress:
                progress(r + 1)
    own_runs, dist = [], []
    for run in runs:
        sim, sim_steps = simulated_side(plan, run, window, names)
        own_runs.append(own_measures(sim, plan, window))
        dist.append(distances(real, sim, real_steps, sim_steps, cal, window))
    real_own = own_measures(real, plan, window)
    half_a, half_b = baselines.halves(real_steps)
    order = np.argsort(real.received, kind="stable")
    first = np.zeros(len(order), dtype=bool)
    first[order[0::2]] = True
    reference = distances(
        CaseSet(real.received[first], real.decided[first]),
        CaseSet(real.received[~first], real.decided[~first]),
        half_a,
        half_b,
        cal,
        window,
    )
    reference.pop("wip_cases")  # each half holds half the open cases: not a floor
    return {
        "scenario": plan.scenario.name,
        "log": events.source,
        "protocol": "window",
        "view": VIEW,
        "window": [
            pd.Timestamp(opens, unit="m").isoformat(timespec="minutes"),
            pd.Timestamp(closes, unit="m").isoformat(timespec="minutes"),
        ],
        "window_opens_at": opened_at,
        "real_cases": len(real.received),
        "replications": replications,
        "seed": seed,
        "measures": {
            m: {
                "real": real_own.get(m),
                "simulated": interval([o.get(m, math.nan) for o in own_runs], m in SHARES),
            }
            for m in HEADLINE
            if m in real_own
        },
        "distances": {k: interval([d.get(k, math.nan) for d in dist]) for k in dist[0]},
        "intervals": "95 % Student-t over replications; clipped at 0 (a share also at 100 %)",
        "reference": reference,
    }
