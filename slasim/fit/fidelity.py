"""`slasim fidelity`: how closely a scenario reproduces a centre's real cases.

The scenario's measured window (after its warm-up) is compared with the log's cases received in
the same window — for a scenario from `slasim fit`, the cases it was not fitted on. K replications
run on the SimPy engine with an event log each; for every replication:
- slasim's own measures side by side: cases received, share past the promised and legal limits,
  yellow/red card rates, mean and p90 lead time in working days, mean open cases (WIP). The real
  cases are graded by the same clock and card code as the simulation (`slasim.clock`), with
  acceptance at receipt and the decision at their last event;
- distances between the real and simulated cases: lead times (1-Wasserstein, working days),
  receipts per weekday (total variation) and per hour of day (1-Wasserstein, hours), control flow
  (total variation between 3-gram frequencies of activity sequences), and daily WIP (mean absolute
  difference relative to the real mean). With the optional `log-distance-measures` package
  (`pip install 'slasim[fit]'`) its cycle-time, case-arrival, circadian and n-gram distances
  (Chapela-Campa et al.) are added.
Each figure is a mean over replications with a Student-t 95% interval. `reference` computes the
same distances between two halves of the real cases: the noise floor a perfect model would show.
"""

from __future__ import annotations

import csv
import math
import tempfile
from pathlib import Path

import numpy as np

from slasim.calendar.units import MINUTES_PER_DAY, parse_instant
from slasim.clock.cards import crossings, first_reached
from slasim.clock.case_clock import ClockBatch
from slasim.fit.build import slug
from slasim.fit.log import Events
from slasim.io.errors import SlasimError
from slasim.outputs.eventlog import EventLog
from slasim.scenario.plan import Plan
from slasim.sim.metrics import confidence
from slasim.sim.runner import replication_metrics

HEADLINE = (
    "cases",
    "past_promised",
    "past_legal",
    "ever_yellow",
    "ever_red",
    "lead_time_wd_mean",
    "lead_time_wd_p90",
    "wip_mean",
)


class CaseSet:
    """Cases as columns: receipt and decision (wall minutes), activity sequences."""

    def __init__(self, received, decided, traces: list[tuple[str, ...]]):
        self.received = np.asarray(received, dtype=np.float64)
        self.decided = np.asarray(decided, dtype=np.float64)
        self.traces = traces

    def take(self, mask: np.ndarray) -> CaseSet:
        """The cases where `mask` is true."""
        return CaseSet(
            self.received[mask], self.decided[mask], [t for t, m in zip(self.traces, mask) if m]
        )


def real_cases(events: Events, start: float, end: float) -> CaseSet:
    """The log's cases received in [start, end) (wall minutes), with activity sequences."""
    by_case: dict[str, list[int]] = {}
    for i, case in enumerate(events.case.tolist()):
        by_case.setdefault(case, []).append(i)
    received, decided, traces = [], [], []
    for rows in by_case.values():
        first = float(events.start[rows].min())
        if not start <= first < end:
            continue
        rows.sort(key=lambda i: (events.start[i], events.end[i]))
        received.append(first)
        decided.append(float(events.end[rows].max()))
        traces.append(tuple(slug(events.activity[i]) for i in rows if not events.milestone[i]))
    return CaseSet(received, decided, traces)


def simulated_cases(path: Path, start: float, end: float, cal, step_names: set[str]) -> CaseSet:
    """Cases of a simulated event log (CSV) received in [start, end)."""
    cases: dict[str, dict] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            case = cases.setdefault(row["case_id"], {"steps": [], "decided": math.inf})
            when = cal.minutes(_parse(row["timestamp"]))
            activity = row["activity"]
            if activity == "received":
                case["received"] = when
            elif activity in ("decided", "terminated"):
                case["decided"] = when
            elif activity in step_names and row["lifecycle"] == "start":
                case["steps"].append((when, activity))
    received, decided, traces = [], [], []
    for case in cases.values():
        if "received" in case and start <= case["received"] < end:
            received.append(case["received"])
            decided.append(case["decided"])
            traces.append(tuple(a for _, a in sorted(case["steps"])))
    return CaseSet(received, decided, traces)


def _parse(text: str):
    return parse_instant(text)


def own_measures(cases: CaseSet, plan: Plan, window: tuple[float, float]) -> dict:
    """slasim's measures of a case set, graded by the scenario's first service's limits and cards."""
    cal, service = plan.calendar, plan.services[0]
    n = len(cases.received)
    if n == 0:
        return {"cases": 0}
    accepted = cal.to_wall_array(cal.to_business_array(cases.received), side="right")
    window_end = window[1]
    stop = np.minimum(cases.decided, window_end)
    clocks = {
        ref: ClockBatch(cal, limit.unit, accepted, np.full(n, limit.axis_amount), None, None, stop)
        for ref, limit in (("promised", service.promised), ("legal", service.legal))
    }
    out = {"cases": float(n)}
    for ref in ("promised", "legal"):
        out[f"past_{ref}"] = float(np.mean(clocks[ref].due() < stop))
    firsts = first_reached(service.ladder, crossings(service.ladder, clocks))
    for level in ("yellow", "red"):
        if level in firsts:
            out[f"ever_{level}"] = float(np.mean(np.isfinite(firsts[level])))
    done = np.isfinite(cases.decided) & (cases.decided <= window_end)
    lead = lead_wd(cal, cases.received[done], cases.decided[done])
    out["lead_time_wd_mean"] = float(lead.mean()) if len(lead) else math.nan
    out["lead_time_wd_p90"] = float(np.quantile(lead, 0.9)) if len(lead) else math.nan
    out["wip_mean"] = float(wip_by_day(cases, cal, window).mean())
    return out


def lead_wd(cal, received: np.ndarray, decided: np.ndarray) -> np.ndarray:
    """Lead times in working days (day positions on the calendar's business axis)."""
    b = cal.business_to_day_position
    return b(cal.to_business_array(decided)) - b(cal.to_business_array(received))


def wip_by_day(cases: CaseSet, cal, window: tuple[float, float]) -> np.ndarray:
    """Open cases at each working day's close within the window."""
    first = int(window[0] // MINUTES_PER_DAY)
    last = int(window[1] // MINUTES_PER_DAY)
    days = cal.work_days[(cal.work_days >= first) & (cal.work_days < last)]
    closes = (days + 1) * MINUTES_PER_DAY - 1e-6
    received, decided = np.sort(cases.received), np.sort(cases.decided)
    return np.searchsorted(received, closes) - np.searchsorted(decided, closes)


def distances(real: CaseSet, sim: CaseSet, cal, window: tuple[float, float]) -> dict:
    """slasim's distances between two case sets (see the module docstring)."""
    from scipy.stats import wasserstein_distance

    out = {}
    real_done, sim_done = np.isfinite(real.decided), np.isfinite(sim.decided)
    a = lead_wd(cal, real.received[real_done], real.decided[real_done])
    b = lead_wd(cal, sim.received[sim_done], sim.decided[sim_done])
    out["lead_time_w1_wd"] = float(wasserstein_distance(a, b)) if len(a) and len(b) else math.nan
    weekday = [
        np.bincount(((c.received // MINUTES_PER_DAY).astype(np.int64) + 3) % 7, minlength=7)
        for c in (real, sim)
    ]
    p, q = (w / max(w.sum(), 1) for w in weekday)
    out["arrival_weekday_tv"] = float(0.5 * np.abs(p - q).sum())
    hours = [(c.received % MINUTES_PER_DAY) / 60.0 for c in (real, sim)]
    out["arrival_hour_w1_h"] = (
        float(wasserstein_distance(*hours)) if all(len(h) for h in hours) else math.nan
    )
    out["ngram3_tv"] = ngram_distance(real.traces, sim.traces)
    wip_real, wip_sim = wip_by_day(real, cal, window), wip_by_day(sim, cal, window)
    scale = max(float(wip_real.mean()), 1e-9)
    out["wip_relative_mad"] = float(np.mean(np.abs(wip_real - wip_sim)) / scale)
    return out


def ngram_distance(a: list[tuple], b: list[tuple], n: int = 3) -> float:
    """Total variation between the n-gram frequencies of two sets of sequences (padded)."""

    def grams(traces):
        counts: dict[tuple, int] = {}
        for t in traces:
            padded = ("^",) * (n - 1) + t + ("$",)
            for k in range(len(padded) - n + 1):
                counts[padded[k : k + n]] = counts.get(padded[k : k + n], 0) + 1
        total = sum(counts.values()) or 1
        return {g: c / total for g, c in counts.items()}

    p, q = grams(a), grams(b)
    return float(0.5 * sum(abs(p.get(g, 0.0) - q.get(g, 0.0)) for g in set(p) | set(q)))


def ldm_distances(real: CaseSet, sim: CaseSet) -> dict | None:
    """log-distance-measures' distances when the optional package is installed, else None."""
    try:
        import pandas as pd
        from log_distance_measures.case_arrival_distribution import (
            case_arrival_distribution_distance,
        )
        from log_distance_measures.config import EventLogIDs, discretize_to_hour
        from log_distance_measures.cycle_time_distribution import (
            cycle_time_distribution_distance,
        )
        from log_distance_measures.n_gram_distribution import n_gram_distribution_distance
    except ImportError:
        return None
    import datetime as dt

    ids = EventLogIDs(case="case", activity="activity", start_time="start", end_time="end")

    def frame(cases: CaseSet) -> pd.DataFrame:
        rows = []
        for k, (r, d, trace) in enumerate(zip(cases.received, cases.decided, cases.traces)):
            if not np.isfinite(d):
                continue
            start = pd.Timestamp(0) + pd.Timedelta(minutes=float(r))
            end = pd.Timestamp(0) + pd.Timedelta(minutes=float(d))
            for act in trace or ("case",):
                rows.append({"case": k, "activity": act, "start": start, "end": end})
        return pd.DataFrame(rows)

    a, b = frame(real), frame(sim)
    if a.empty or b.empty:
        return None
    return {
        "cycle_time_emd_days": float(
            cycle_time_distribution_distance(a, ids, b, ids, bin_size=dt.timedelta(days=1))
        ),
        "case_arrival_emd_hours": float(
            case_arrival_distribution_distance(a, ids, b, ids, discretize_event=discretize_to_hour)
        ),
        "ngram3_distance": float(n_gram_distribution_distance(a, ids, b, ids, n=3)),
    }


def window_of(plan: Plan) -> tuple[float, float]:
    """The measured window of a plan in wall minutes."""
    cal = plan.calendar
    return (
        float(cal.to_wall_array(plan.warmup_end, side="right")),
        float(cal.to_wall_array(plan.end, side="left")),
    )


def fidelity(plan: Plan, events: Events, *, replications: int = 5, seed: int | None = None) -> dict:
    """Real against simulated cases over the scenario's measured window (module docstring)."""
    window = window_of(plan)
    real = real_cases(events, *window)
    if len(real.received) < 2:
        raise SlasimError(
            "fewer than two of the log's cases were received in the scenario's measured window "
            f"({plan.calendar.to_wall(plan.warmup_end):%Y-%m-%d} to "
            f"{plan.calendar.to_wall(plan.end):%Y-%m-%d})",
            source=events.source,
        )
    seed = plan.scenario.seed if seed is None else seed
    names = {st.name for st in plan.steps if not st.name.endswith("-wait")}
    own, dist, ldm, pooled = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="slasim-fidelity-") as tmp:
        for r in range(replications):
            path = Path(tmp) / f"events-{r}.csv"
            log = EventLog(path, plan.calendar)
            replication_metrics(plan, r, seed, log)
            log.close()
            sim = simulated_cases(path, *window, plan.calendar, names)
            pooled.append(sim)
            own.append(own_measures(sim, plan, window))
            dist.append(distances(real, sim, plan.calendar, window))
            extra = ldm_distances(real, sim)
            if extra is not None:
                ldm.append(extra)
    real_own = own_measures(real, plan, window)
    measures = {
        m: {"real": real_own.get(m), "simulated": confidence([o.get(m, math.nan) for o in own])}
        for m in HEADLINE
        if m in real_own
    }
    return {
        "scenario": plan.scenario.name,
        "log": events.source,
        "window": [
            plan.calendar.to_wall(plan.warmup_end).isoformat(timespec="minutes"),
            plan.calendar.to_wall(plan.end).isoformat(timespec="minutes"),
        ],
        "real_cases": len(real.received),
        "replications": replications,
        "seed": seed,
        "engine": "simpy (each replication writes its event log)",
        "measures": measures,
        "distances": {k: confidence([d[k] for d in dist]) for k in dist[0]},
        "log_distance_measures": {k: confidence([d[k] for d in ldm]) for k in ldm[0]}
        if ldm
        else None,
        "reference": reference(real, plan.calendar, window),
        "profiles": profiles(real, pooled, plan.calendar),
    }


def profiles(real: CaseSet, sims: list[CaseSet], cal) -> dict:
    """What the report draws: lead-time quantiles (working days), and receipts per weekday and per
    hour of day as shares, real against all replications pooled."""
    p = np.linspace(0, 1, 21)

    def one(cases: list[CaseSet]) -> dict:
        received = np.concatenate([c.received for c in cases])
        decided = np.concatenate([c.decided for c in cases])
        done = np.isfinite(decided)
        lead = lead_wd(cal, received[done], decided[done])
        days = (received // MINUTES_PER_DAY).astype(np.int64)
        weekday = np.bincount((days + 3) % 7, minlength=7)
        hour = np.bincount(((received % MINUTES_PER_DAY) // 60).astype(np.int64), minlength=24)
        return {
            "lead_time_wd_quantiles": np.quantile(lead, p).tolist() if len(lead) else [],
            "weekday_share": (weekday / max(weekday.sum(), 1)).tolist(),
            "hour_share": (hour / max(hour.sum(), 1)).tolist(),
        }

    return {"quantile_levels": p.tolist(), "real": one([real]), "simulated": one(sims)}


def reference(real: CaseSet, cal, window: tuple[float, float]) -> dict:
    """The distances between the first and second half of the real cases (by receipt): what an
    exact model would still show from sampling alone (daily WIP left out: the halves cover
    different days)."""
    order = np.argsort(real.received, kind="stable")
    first = np.zeros(len(order), dtype=bool)
    first[order[: len(order) // 2]] = True
    out = distances(real.take(first), real.take(~first), cal, window)
    out.pop("wip_relative_mad")
    return out
