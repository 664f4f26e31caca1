"""The forecast scored against what happened: `slasim forecast SCENARIO --log LOG --backtest`.

At each as-of instant T the log's open cases are placed as the log showed them at T (`from_log`,
nothing after T but which cases were still open) and forecast over the horizon; then each case is
graded by the same clock on its real history (received, accepted, decided at its last event), and
its outcome is whether it reached yellow (or worse) and red by the horizon's end. Only the cases not
yet at a level at T are scored for that level (the cards still to come). Scores, pooled over the
instants: the Brier score (mean squared difference between the predicted chance and the 0/1
outcome) and reliability by decile of the predicted chance (predicted mean beside the observed
share), beside two naive baselines that know the log's history up to T:

- `historic_share`: every case at the share of the cases decided by T (same service) whose final
  card reached the level;
- `by_elapsed`: each case at the share, among the decided cases (same service) that were still
  open and not at the level at the same elapsed fraction of their legal limit (acceptance to due
  instant), of those that reached it within one horizon from then: a case's age as the forecast's
  competitor.

An instant whose horizon ends after the log's last event cannot be scored and is refused.
"""

from __future__ import annotations

import numpy as np

from slasim.calendar.units import minutes_to_iso, parse_instant
from slasim.calendar.workcalendar import load_calendar
from slasim.clock.cards import LEVELS, first_reached
from slasim.clock.deadline import instant_minutes
from slasim.clock.limits import Limit
from slasim.forecast.from_log import accepted_at, left_out_warnings, service_of, snapshot_from_log
from slasim.forecast.risk import WATCHED, forecast, forecast_plan, grade, reached
from slasim.io.errors import SlasimError
from slasim.io.i18n import Text
from slasim.sim.grading import CaseRecord

BASELINES = ("historic_share", "by_elapsed")
POINTS = 5  # as-of instants chosen when none is given


def _histories(plan, events, slug) -> dict[str, tuple]:
    """Per case of the log: (service index, received, accepted, decided) in wall minutes; decided
    is the end of its last event."""
    rows: dict[str, list[int]] = {}
    for i, case in enumerate(events.case.tolist()):
        rows.setdefault(case, []).append(i)
    out = {}
    for case, idx in rows.items():
        service = service_of(plan, str(events.service[idx[0]]), slug)
        if service is None:
            continue
        idx.sort(key=lambda i: (events.start[i], events.end[i]))
        steps = []
        for i in idx:
            if not events.milestone[i]:
                activity = str(events.activity[i])
                steps.append((slug(activity), float(events.start[i]), float(events.end[i])))
        received = float(events.start[idx].min())
        decided = float(events.end[idx].max())
        out[case] = (service.index, received, accepted_at(service, received, steps), decided)
    return out


def _graded(plan, cases: list[tuple]) -> dict:
    """The clock's verdict on real cases: wall (service, received, accepted, decided) tuples."""
    cal = plan.calendar

    def business(values):
        values = np.array(values, dtype=np.float64)
        out = np.full(len(values), np.nan)
        ok = np.isfinite(values)
        out[ok] = cal.to_business_array(values[ok])
        return out

    received = business([c[1] for c in cases])
    accepted = business([c[2] for c in cases])
    decided = business([c[3] for c in cases])
    records = [
        CaseRecord(c[0], float(r), float(a), float(d), number=k)
        for k, (c, r, a, d) in enumerate(zip(cases, received, accepted, decided))
    ]
    return grade(plan, records)


def _brier(p: np.ndarray, o: np.ndarray) -> float | None:
    return float(np.mean((p - o) ** 2)) if len(p) else None


def reliability(p: np.ndarray, o: np.ndarray) -> list[dict]:
    """Per decile of the predicted chance: cases, mean predicted, observed share."""
    out = []
    bins = np.minimum((p * 10).astype(np.int64), 9)
    for b in range(10):
        pick = bins == b
        if pick.any():
            out.append(
                {
                    "bin": f"{b / 10:.1f}-{(b + 1) / 10:.1f}",
                    "n": int(pick.sum()),
                    "predicted": float(p[pick].mean()),
                    "observed": float(o[pick].mean()),
                }
            )
    return out


def _first_at_least(graded: dict, n: int) -> dict[str, np.ndarray]:
    """Per watched level, the instant each graded case first reached it or worse (inf: never)."""
    out = {lv: np.full(n, np.inf) for lv in WATCHED}
    for rows, ladder, cross in graded["levels"].values():
        for level, when in first_reached(ladder, cross).items():
            for lv in WATCHED:
                if LEVELS.index(level) >= LEVELS.index(lv):
                    out[lv][rows] = np.minimum(out[lv][rows], when)
    return out


def _baselines(plan, history: dict, open_ids, as_of: float, span_h: float) -> dict:
    """(n,) baseline chances per level for the open cases (module docstring); `span_h`: the
    horizon in wall minutes."""
    past = [h for h in history.values() if h[3] <= as_of and h[1] <= as_of]
    n = len(open_ids)
    out = {name: {lv: np.zeros(n) for lv in WATCHED} for name in BASELINES}
    if not past:
        return out
    g = _graded(plan, past)
    first = _first_at_least(g, len(past))
    service = np.array([h[0] for h in past])
    acc = np.array([h[2] for h in past])
    decided = np.array([h[3] for h in past])
    span = g["legal"] - acc
    for i, (s, accepted, due) in enumerate(open_ids):
        same = service == s
        age = (as_of - accepted) / (due - accepted) if due > accepted else 0.0
        then = acc + age * np.where(span > 0, span, 0.0)  # each at the same elapsed fraction
        for lv in WATCHED:
            out["historic_share"][lv][i] = np.isfinite(first[lv][same]).mean() if same.any() else 0
            open_then = same & (decided > then) & ~(first[lv] <= then)
            hit = open_then & (first[lv] > then) & (first[lv] <= then + span_h)
            out["by_elapsed"][lv][i] = hit.sum() / open_then.sum() if open_then.any() else 0.0
    return out


def instants(plan_cal, events, horizon_wd: float, count: int = POINTS) -> list[float]:
    """`count` as-of instants (wall minutes) evenly spread on the business axis from a quarter of
    the log's span to the last instant whose horizon ends by the log's last event."""
    cal = plan_cal
    first, last = float(events.start.min()), float(events.end.max())
    b = cal.to_business_array(np.array([first, last]))
    latest = float(b[1])
    position = cal.business_to_day_position(np.array([latest]))[0] - horizon_wd
    if position <= cal.business_to_day_position(np.array([b[0]]))[0]:
        return []
    latest = float(cal.day_position_to_business(np.array([position]))[0])
    start = b[0] + (latest - b[0]) / 4
    points = np.linspace(start, latest, count)
    return [float(w) for w in cal.to_wall_array(points, side="left")]


def backtest(
    scenario,
    log,
    read_log,
    slug,
    *,
    as_of: list[str] | None = None,
    horizon: str = "10wd",
    replications: int | None = None,
    seed: int | None = None,
    source: str = "scenario",
) -> dict:
    """Forecast at each as-of instant and score against the log (module docstring)."""
    cal = load_calendar(scenario.calendar)
    events = read_log(log, cal)
    reps = replications or scenario.replications
    seed = scenario.seed if seed is None else seed
    last_event = float(events.end.max())
    if as_of:
        walls = [instant_minutes(cal, parse_instant(t, field="--as-of"), "--as-of") for t in as_of]
    else:
        walls = instants(cal, events, Limit.parse(horizon, field="--horizon").amount)
        if not walls:
            raise SlasimError(
                "the log is shorter than the horizon: nothing to score against",
                source=str(log),
                field="--horizon",
            )
    scored = {lv: {"p": [], "o": [], **{b: [] for b in BASELINES}} for lv in WATCHED}
    points, warnings, history, engine, provisional = [], [], None, {}, False
    for wall in walls:
        plan, horizon_end, _ = forecast_plan(scenario, wall, horizon, source)
        end_wall = float(plan.calendar.to_wall_array(np.array([horizon_end]), side="left")[0])
        if end_wall > last_event:
            raise SlasimError(
                "the horizon from {when} ends after the log's last event ({last}): "
                "nothing to score against",
                field="--as-of",
                when=minutes_to_iso(wall),
                last=minutes_to_iso(last_event),
            )
        if history is None:
            history = _histories(plan, events, slug)
        snap = snapshot_from_log(plan, events, wall, slug)
        warnings += [
            Text("{when}: {line}", when=minutes_to_iso(wall), line=w)
            for w in left_out_warnings(snap)
        ]
        point = {"as_of": minutes_to_iso(wall), "open_cases": len(snap.cases), "scored": {}}
        points.append(point)
        if not snap.cases:
            continue
        result = forecast(
            plan,
            snap.cases,
            horizon_end,
            replications=reps,
            seed=seed,
            keys=[c.key for c in snap.cases],
            choices=snap.choices,
        )
        engine = {k: result[k] for k in ("engine", "engine_note")}
        provisional = provisional or result["provisional"]
        rows = {row["id"]: row for row in result["cases"]}
        real = [history[c.key] for c in snap.cases]
        g = _graded(plan, real)
        truth = reached(g, len(real), end_wall)
        now = reached(g, len(real), wall)
        open_ids = [(h[0], h[2], due) for h, due in zip(real, g["legal"])]
        base = _baselines(plan, history, open_ids, wall, end_wall - wall)
        for lv in WATCHED:
            rank = LEVELS.index(lv)
            pick = now < rank  # only the cards still to come
            point["scored"][lv] = int(pick.sum())
            for i in np.flatnonzero(pick).tolist():
                scored[lv]["p"].append(rows[snap.cases[i].key][lv]["p"])
                scored[lv]["o"].append(float(truth[i] >= rank))
                for b in BASELINES:
                    scored[lv][b].append(float(base[b][lv][i]))
    levels = {}
    for lv in WATCHED:
        o = np.array(scored[lv]["o"])
        briers = {"forecast": _brier(np.array(scored[lv]["p"]), o)}
        briers |= {b: _brier(np.array(scored[lv][b]), o) for b in BASELINES}
        levels[lv] = {
            "cases": len(o),
            "observed": int(o.sum()),
            "brier": briers,
            "ratio": {
                b: (briers["forecast"] / briers[b] if briers[b] else None) for b in BASELINES
            },
            "reliability": reliability(np.array(scored[lv]["p"]), o),
        }
        if len(o) and not o.any():
            warnings.append(
                Text(
                    "no scored case reached {level} within the horizon: a Brier score cannot "
                    "tell the forecast from always saying 0",
                    level=Text(lv),
                )
            )
    return {
        "scenario": scenario.name,
        "log": str(log),
        "horizon": horizon,
        "replications": reps,
        "seed": seed,
        "provisional": provisional,
        **engine,
        "as_of": points,
        "levels": levels,
        "warnings": warnings,
    }
