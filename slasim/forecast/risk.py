"""The forecast: replications warm-started from a snapshot, and what they say about the cards to come.

Each replication seats the snapshot's open cases (`sim.warm`) and lets new cases arrive as the
scenario says from the snapshot instant. The run goes on a horizon past the horizon, so decisions
and pauses under way at the horizon's end are seen. Every case is then graded by the same clock as
`deadline` and `check` (`ClockBatch`, card `crossings`, `level_at`): its own acceptance, its pauses
(those before the snapshot and those simulated), the extension granted on its legal limit, and its
decision. Per open case: the share of replications in which it reaches yellow (or worse) and red
within the horizon, with an exact binomial 95 % interval, the first day by whose close that share
passes one half, its decision and due instants (p50, p90), and the desk that holds it back
(`binding_desk`: where it waited longest within the horizon in the replications in which it turns
red, else yellow). Per working day of the horizon: the cards fired (first reached, every case), mean
and Student-t 95 % interval over replications. Rungs scoped to a step are not forecast (only the
case's limits). A pause still under way when the run ends (two horizons on) is not yet in the case's
record, so its clock is taken as running: such a case's crossings after the pause began may come
early. A case that may wait at one of several steps (a log's case before a branch, `from_log`) is
seated at one drawn per replication by the branch shares. `first_possible`: per level, the first
instant an open case could reach it were it still open, which tells a horizon too short to judge.
With `prevent_days`, the desks are tried one more staff each; with `prevent_target`
(`red<=N`), the cheapest dated staff change that meets it is searched (`prevent`).
"""

from __future__ import annotations

import math

import numpy as np

from slasim.calendar.units import day_to_date, minutes_to_iso
from slasim.calendar.workcalendar import load_calendar
from slasim.clock.cards import LEVELS, first_reached
from slasim.clock.limits import Limit
from slasim.forecast.replay import (  # noqa: F401 (run_warm: the forecast's API too)
    engine_for,
    fired_per_day,
    grade,
    placed,
    reached,
    run_warm,
)
from slasim.io.errors import SlasimError
from slasim.io.i18n import Text
from slasim.scenario.names import Verbatim
from slasim.scenario.plan import Plan, compile_plan
from slasim.scenario.schema import Scenario
from slasim.sim.grading import CaseRecord
from slasim.sim.metrics import confidence
from slasim.sim.warm import OpenCase

WATCHED = ("yellow", "red")  # the levels forecast (each as "this level or worse")


def forecast_plan(
    scenario: Scenario, as_of_wall: float, horizon: str, source: str = "scenario"
) -> tuple[Plan, float, float]:
    """The scenario from the snapshot instant to two horizons past it: (plan, horizon's end in
    business minutes, as-of in business minutes). `horizon` is working days (`10wd`)."""
    limit = Limit.parse(horizon, field="--horizon")
    if limit.unit != "wd" or not limit.amount > 0:
        raise SlasimError("give the horizon in working days, e.g. 10wd", field="--horizon")
    cal = load_calendar(scenario.calendar)
    as_of = float(cal.to_business_array(np.array([as_of_wall]))[0])
    day = int(math.floor(cal.business_to_day_position(np.array([as_of]))[0]))
    horizon_end = cal.working_days_after_one(as_of, limit.amount)
    run_end = cal.working_days_after_one(as_of, 2 * limit.amount)
    last = int(math.ceil(cal.business_to_day_position(np.array([run_end]))[0]))
    changed = scenario.model_copy(
        update={
            # the office day holding the instant (an open Saturday's receipts are its own)
            "start": day_to_date(int(cal.open_days[cal.day_of_business(np.array([as_of]))[0]])),
            "end": None,
            "working_days": last - day + 1,
            "warmup_days": 0,
        }
    )
    plan = compile_plan(changed, source)
    plan.start = plan.warmup_end = as_of
    plan.end = run_end
    return plan, horizon_end, as_of


def binomial(k: int, n: int) -> dict:
    """A share of replications with its exact (Clopper-Pearson) 95 % interval."""
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(0.95, method="exact")
    return {"p": k / n, "ci95": [float(ci.low), float(ci.high)], "k": k, "n": n}


def _counted(summary: dict) -> dict:
    """A count's interval kept at or above 0."""
    if summary["ci95"] is not None:
        summary["ci95"] = [max(summary["ci95"][0], 0.0), summary["ci95"][1]]
    return summary


def _quantile(values: np.ndarray, q: float) -> float:
    return float(np.quantile(values, q, method="inverted_cdf"))


def _iso(wall: float) -> str | None:
    return minutes_to_iso(wall) if math.isfinite(wall) else None


def _first_possible(plan: Plan, cases: list[OpenCase], extension: dict) -> dict:
    """Per watched level, the first instant any open case not yet at it could reach it, were it
    still open then (None: none could, e.g. none accepted): a horizon ending before it is too
    short to judge."""
    records = []
    for case in cases:
        record = CaseRecord(case.service, case.received, case.accepted, number=case.number)
        record.pauses = list(case.pauses) or None
        records.append(record)
    graded = grade(plan, records, extension)
    start = float(plan.calendar.to_wall_array(np.array([plan.start]), side="left")[0])
    out = {}
    for lv in WATCHED:
        first = np.inf
        for _, ladder, cross in graded["levels"].values():
            for level, when in first_reached(ladder, cross).items():
                if LEVELS.index(level) >= LEVELS.index(lv):
                    later = when[when > start]
                    first = min(first, float(later.min()) if len(later) else np.inf)
        out[lv] = _iso(first)
    return out


def _binding_desk(plan: Plan, waits: list[list[dict]], by_close: dict, i: int) -> str | None:
    """The desk that holds case `i` back: where it waited longest, within the horizon, in all the
    replications in which it turns red by the horizon's end (yellow, if it never turns red); None
    if it reaches neither, or waited at no desk in them."""
    for lv in ("red", "yellow"):
        hit = np.flatnonzero(by_close[lv][:, i, -1])
        if len(hit):
            break
    else:
        return None
    total: dict[int, float] = {}
    for r in hit.tolist():
        for department, minutes in waits[r][i].items():
            total[department] = total.get(department, 0.0) + minutes
    if not total:
        return None
    return plan.departments[max(sorted(total), key=total.get)].name


def forecast(
    plan: Plan,
    cases: list[OpenCase],
    horizon_end: float,
    *,
    replications: int,
    seed: int,
    keys: list[str],
    extension: dict[str, float] | None = None,
    cards_given: dict[str, str | None] | None = None,
    choices: dict[int, list[tuple[float, str, str]]] | None = None,
    prevent_days: int | None = None,
    prevent_target: dict | None = None,
) -> dict:
    """Replicate the warm start and summarise it (module docstring). `keys`: the case ids in the
    order of `cases`; `extension` and `cards_given` by case id; `choices`: by index in `cases`, the
    places a case may wait at (cumulative share, step, state), one drawn per replication."""
    cal = plan.calendar
    engine = engine_for(plan)
    n, watched = len(cases), list(WATCHED)
    by_key = extension or {}
    extension = {c.number: by_key.get(c.key, 0.0) for c in cases}
    as_of_wall = float(cal.to_wall_array(np.array([plan.start]), side="left")[0])
    end_wall = float(cal.to_wall_array(np.array([horizon_end]), side="left")[0])
    first = int(math.floor(cal.business_to_day_position(np.array([plan.start]))[0]))
    last = int(math.ceil(cal.business_to_day_position(np.array([horizon_end]))[0]))
    closes = cal.close_of_position(np.arange(first + 1, last + 1))  # each working day's close
    closes = np.minimum(closes, end_wall)  # the horizon may end within a day
    edges = np.concatenate([[as_of_wall], closes])
    days = [str(day_to_date(int(d))) for d in cal.work_days[first:last]]
    decided, due_legal, due_promised = (np.empty((replications, n)) for _ in range(3))
    by_close = {lv: np.zeros((replications, n, len(closes)), bool) for lv in watched}
    now_level = np.zeros(n, dtype=np.int64)
    waits: list[list[dict]] = []  # per replication, per open case: minutes waited per desk
    per_day = {lv: [] for lv in watched}
    for r in range(replications):
        seated = placed(cases, choices or {}, seed, r)
        rep_waits: list[dict] = []
        warm, every = run_warm(
            plan, seated, r, seed, engine["engine"], waits=rep_waits, waits_until=horizon_end
        )
        waits.append(rep_waits)
        g = grade(plan, warm, extension)
        decided[r], due_legal[r], due_promised[r] = g["decided"], g["legal"], g["promised"]
        if r == 0:
            now_level = reached(g, n, as_of_wall)
        for d, close in enumerate(closes):
            level = reached(g, n, float(close))
            for lv in watched:
                by_close[lv][r, :, d] = level >= LEVELS.index(lv)
        g_all = grade(plan, every, {})
        for lv in watched:
            per_day[lv].append(fired_per_day(g_all, lv, edges, as_of_wall))
    rows = []
    for i, case in enumerate(cases):
        row = {
            "id": case.key,
            "service": plan.services[case.service].name,
            "step": case.step,
            "state": case.state,
            "card_now": LEVELS[int(now_level[i])],
        }
        given = (cards_given or {}).get(case.key)
        if given is not None:
            row["card_given"] = given
        for lv in watched:
            hit = by_close[lv][:, i, :]
            row[lv] = binomial(int(hit[:, -1].sum()), replications)
            share = hit.mean(axis=0)
            likely = np.flatnonzero(share >= 0.5)
            row[f"{lv}_by"] = days[int(likely[0])] if len(likely) else None
        for name, values in (
            ("decision", decided[:, i]),
            ("legal_due", due_legal[:, i]),
            ("promised_due", due_promised[:, i]),
        ):
            for q in (0.5, 0.9):
                row[f"{name}_p{round(q * 100)}"] = _iso(_quantile(values, q))
        row["binding_desk"] = _binding_desk(plan, waits, by_close, i)
        rows.append(row)
    rows.sort(key=lambda x: (-x["red"]["p"], -x["yellow"]["p"], x["red_by"] or "~", x["id"]))
    cards = [
        {
            "day": day,
            **{lv: _counted(confidence([float(c[d]) for c in per_day[lv]])) for lv in watched},
        }
        for d, day in enumerate(days)
    ]
    result = {
        "scenario": plan.scenario.name,
        "calendar": cal.name,
        "as_of": minutes_to_iso(as_of_wall),
        "horizon_end": minutes_to_iso(end_wall),
        "run_until": minutes_to_iso(float(cal.to_wall_array(np.array([plan.end]), side="left")[0])),
        "replications": replications,
        "seed": seed,
        "provisional": plan.provisional,
        **engine,
        "open_cases": n,
        "expected": {lv: float(sum(row[lv]["p"] for row in rows)) for lv in watched},
        "expected_new": {  # among the cases not at that level yet
            lv: float(
                sum(
                    row[lv]["p"] for row in rows if LEVELS.index(row["card_now"]) < LEVELS.index(lv)
                )
            )
            for lv in watched
        },
        "cases": rows,
        "first_possible": _first_possible(plan, cases, extension),
        "cards_per_day": cards,
        "warnings": [
            Text(
                "case {case}: the file says card {given}, its clock says {now}",
                case=Verbatim(row["id"]),
                given=Text(row["card_given"]),
                now=Text(row["card_now"]),
            )
            for row in rows
            if "card_given" in row and row["card_given"] != row["card_now"]
        ],
    }
    if prevent_days and cases:
        from slasim.forecast.prevent import prevent

        result["prevent"] = prevent(
            plan,
            cases,
            horizon_end,
            prevent_days,
            replications=replications,
            seed=seed,
            extension=by_key,
            choices=choices,
        )
    if prevent_target is not None and cases:
        from slasim.forecast.prevent import prevent_target as search_change

        result["prevent"] = search_change(
            plan,
            cases,
            horizon_end,
            prevent_target,
            replications=replications,
            seed=seed,
            extension=by_key,
            choices=choices,
        )
    return result


def forecast_open_file(
    scenario: Scenario,
    path,
    *,
    as_of: str | None = None,
    horizon: str = "10wd",
    replications: int | None = None,
    seed: int | None = None,
    source: str = "scenario",
    prevent_days: int | None = None,
    prevent_target: dict | None = None,
) -> dict:
    """`slasim forecast SCENARIO --open FILE`: read and place the open cases, replicate, summarise.
    `as_of` (text) overrides the file's; one of them is needed."""
    from slasim.forecast.snapshot import as_of_minutes, extensions, open_cases, read_open_cases

    snapshot = read_open_cases(path)
    when = as_of if as_of is not None else snapshot.as_of
    if when is None:
        raise SlasimError(
            "give the snapshot instant: --as-of, or as_of in the file", source=str(path)
        )
    cal = load_calendar(scenario.calendar)
    probe = Plan.__new__(Plan)  # only the calendar is read to place the instant
    probe.calendar = cal
    as_of_wall = as_of_minutes(probe, when, str(path) if as_of is None else "--as-of")
    plan, horizon_end, _ = forecast_plan(scenario, as_of_wall, horizon, source)
    cases = open_cases(plan, snapshot, as_of_wall, str(path))
    return forecast(
        plan,
        cases,
        horizon_end,
        replications=replications or scenario.replications,
        seed=scenario.seed if seed is None else seed,
        keys=[c.key for c in cases],
        extension=extensions(plan, snapshot),
        cards_given={c.id: c.card for c in snapshot.cases},
        prevent_days=prevent_days,
        prevent_target=prevent_target,
    ) | {"horizon": horizon}
