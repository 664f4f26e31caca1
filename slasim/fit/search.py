"""`slasim fit --search`: a small search over the fit's own choices, each scored by the fidelity
gauge on a validation split of the training cases, and the rule that picks one.

The candidates are the grid of `fit_log`'s options (`GRID`): the route form (blocks or a Markov
chain), the drift window (`--recent auto` or off; not searched when `--since` sets the window),
the fitted rosters (off or on) and the durations (the fitted families, or each sample's own
quantiles: `families.empirical_durations`), listed from the fewest changes to `fit`'s defaults
to the most.
The training cases are split as the field splits a log (their events sorted by end, the first 80 %
fit, a case cut by the boundary dropped); each candidate is fitted on the first part and simulated
on the rest by the field's first-N protocol (`REPLICATIONS` runs, seed `SEED`). Candidates whose
fitted scenarios are identical are simulated once and share their scores and ranks (a scenario is
ranked once, however many candidates fit it).

Rule: per measure, each candidate is ranked by its mean distance over the replications: 1 + the
candidates clearly closer + half of those within noise of it. Every candidate runs the same seed
and replication numbers (common random numbers), so two are compared on their paired
per-replication differences: within noise when the mean difference is inside the 95 % Student t
margin (t(0.975, R − 1) × the differences' sample sd / √R); a difference the replications cannot
tell from chance at that level moves no rank. A candidate that could not be fitted or scored is
left out. The lowest mean rank over the
measures wins, a tie going to the earlier candidate, the one with fewer changes to the defaults.
Each other candidate carries, per measure, the margin of its paired differences from the chosen
one (what a reader needs to see how clearly it lost); the result also gives the first and last
receipt date of the fitting and validation parts. A validation part smaller than the gauge's
`minimum` is refused with one line: no choice is made.

`fit` sits beside `evaluation`, not above it: the caller hands in the gauge (`Gauge`: the field's
split, the first-N scores, the fewest validation cases that can judge), as `fidelity` is handed
`fit`'s reader.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from slasim.calendar.units import minutes_to_iso
from slasim.fit.build import fit_log, slug
from slasim.fit.drift import case_spans
from slasim.fit.families import empirical_durations
from slasim.fit.log import Events
from slasim.io.errors import SlasimError

# option → its values, `fit`'s default first (names as `slasim fit` spells its options)
# but `durations`, which no option of `fit` sets: the families `fit` chooses, or each sample's own
# quantiles where it has enough observations (`families.empirical_durations`)
GRID = {
    "route": ("blocks", "markov"),
    "recent": ("auto", "off"),
    "roster": (False, True),
    "durations": ("families", "empirical"),
}
# 5: with 3 the paired margins (t(0.975, 2) = 4.30) were so wide that AcademicCredentials'
# cycle-time distances of 36-40 h and 107 h on the validation part tied, and the choice (recent
# window off) scored 157 h on the test part; with 5 (t = 2.78, margins about half) it chose
# markov with the window, 29.4 h (with 8: blocks with the window, 33.4 h). LoanApp's and BPIC
# 2012 W's choices are the same with 3 and 5. Search time about 1.6x (BPIC 2012 W: 56 -> 90 s).
REPLICATIONS = 5
SEED = 1
CONFIDENCE = 0.95  # two candidates whose paired difference is inside its margin tie on a measure


@dataclass(frozen=True)
class Gauge:
    """What the search borrows from `slasim.evaluation`, handed in by the caller.

    `split(events, cases)` → (the case ids to fit, the validation part, its case ids);
    `score(data, validation, names, replications, seed, floor)` → {measure: {"mean", "sd",
    "values", "floor", "unit"}} of the scenario `data` on the validation part (`names`: step name →
    activity; `values`: the distance of each replication, in replication order; `floor`: the
    real-halves floor, None when `floor` is false: it is the same for every scenario, as the
    validation part, seed and replications are, so the search scores it with the first only);
    `minimum`: the fewest validation cases whose scores can tell candidates apart."""

    split: Callable
    score: Callable
    minimum: int


def candidates(window_given: bool = False) -> list[dict]:
    """The grid, from the fewest changes to `fit`'s defaults to the most (then in grid order);
    `recent` kept at auto when a window is given by hand (`--since`: the drift test is not run)."""
    grid = {**GRID, "recent": GRID["recent"][:1]} if window_given else GRID
    options = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    return sorted(options, key=changes)


def changes(options: dict) -> int:
    """How many options differ from `fit`'s defaults."""
    return sum(value != GRID[name][0] for name, value in options.items())


def search(
    events: Events,
    calendar: str,
    train: set[str],
    gauge: Gauge,
    *,
    fit_options: dict,
    workers: int = 1,
) -> dict:
    """The search over the training cases `train` (module docstring): every candidate's options,
    scores, ranks, mean rank and margin from the chosen, the floor, the receipt dates of both
    parts, and the chosen candidate's number (0-based).
    `fit_options` are the other `fit_log` options, the same for every candidate."""
    fitting, validation, held_cases = gauge.split(events, train)
    held = len(held_cases)
    if held < gauge.minimum:
        raise SlasimError(
            "too few cases to judge: the validation part of the {cases} fitted cases holds "
            "{held}, fewer than the {minimum} needed to tell fits apart, so no choice is made "
            "(fit more cases with a later --train-until, or a longer log)",
            source=events.source,
            field="--search",
            cases=len(train),
            held=held,
            minimum=gauge.minimum,
        )
    part = events.take(np.isin(events.case, list(fitting)))
    names = {slug(a): a for a in dict.fromkeys(events.activity[np.isin(events.case, list(train))])}
    grid = candidates(fit_options.get("since") is not None)
    rows, distinct, scenarios = [], {}, []
    for options in grid:
        row = {"options": options, "changes": changes(options), "same_as": None, "error": None}
        rows.append(row)
        try:
            with empirical_durations(options["durations"] == "empirical"):
                fitted = fit_log(
                    part,
                    calendar,
                    train_share=1.0,
                    **fit_options,
                    routes=options["route"],
                    recent=options["recent"],
                    roster=options["roster"],
                )
        except SlasimError as err:
            row["error"] = err.message
            continue
        key = json.dumps(fitted.data, sort_keys=True, default=str)
        if key in distinct:
            row["same_as"] = distinct[key]
        else:
            distinct[key] = len(rows) - 1
            scenarios.append((len(rows) - 1, fitted.data))
    scored = _score(gauge, scenarios, validation, names, workers)
    floor, units = {}, {}
    for (k, _), result in zip(scenarios, scored):
        if "error" in result:
            rows[k]["error"] = result["error"]
            continue
        rows[k]["scores"] = {m: s["mean"] for m, s in result["scores"].items()}
        rows[k]["sd"] = {m: s["sd"] for m, s in result["scores"].items()}
        rows[k]["values"] = {m: list(s["values"]) for m, s in result["scores"].items()}
        if k == scenarios[0][0]:
            floor = {m: s["floor"] for m, s in result["scores"].items()}
        units = units or {m: s["unit"] for m, s in result["scores"].items()}
    for row in rows:
        if row["same_as"] is not None:
            first = rows[row["same_as"]]
            row["error"], row["scores"] = first["error"], first.get("scores")
            row["sd"], row["values"] = first.get("sd"), first.get("values")
        row.setdefault("scores", None)
        row.setdefault("sd", None)
        row.setdefault("values", None)
        row["ranks"], row["mean_rank"] = None, None
    ranked = [row for row in rows if row["scores"] is not None and row["same_as"] is None]
    if not ranked:
        raise SlasimError(
            "no candidate could be fitted and scored ({problem})",
            source=events.source,
            field="--search",
            problem=rows[0]["error"],
        )
    measures = list(units)
    columns = {m: ranks([row["values"][m] for row in ranked]) for m in measures}
    for j, row in enumerate(ranked):
        row["ranks"] = {m: columns[m][j] for m in measures}
        row["mean_rank"] = sum(row["ranks"].values()) / len(measures)
    for row in rows:  # a scenario fitted by several candidates is ranked once, its copies share it
        if row["same_as"] is not None:
            row["ranks"], row["mean_rank"] = (
                rows[row["same_as"]]["ranks"],
                rows[row["same_as"]]["mean_rank"],
            )
    chosen = min(range(len(rows)), key=lambda k: (rows[k]["mean_rank"] or math.inf, k))
    best = rows[chosen]["same_as"] if rows[chosen]["same_as"] is not None else chosen
    for k, row in enumerate(rows):  # the chosen scenario itself (and its copies) has none
        row["margin"] = None if best in (k, row["same_as"]) else margins(row, rows[best])
    received = receipts(events, train)
    return {
        "rule": {
            "rank": "per measure: 1 + the candidates closer by over the noise + half those within",
            "noise": "paired per-replication differences (same seed and replication numbers): "
            "t(0.975, R - 1) x their sample sd / sqrt(R)",
            "confidence": CONFIDENCE,
            "choice": "the lowest mean rank over the measures",
            "ties": "fewer changes to fit's defaults",
            "margin": "beside each candidate's mean distance: the margin of its paired "
            "differences from the chosen candidate (none for the chosen scenario)",
        },
        "training_cases": len(train),
        "fitting_cases": len(fitting),
        "validation_cases": held,
        "fitting_received": span(received, fitting),
        "validation_received": span(received, held_cases),
        "replications": REPLICATIONS,
        "seed": SEED,
        "measures": measures,
        "units": units,
        "floor": floor,
        "candidates": rows,
        "chosen": chosen,
    }


def margins(row: dict, chosen: dict) -> dict | None:
    """Per measure, the `margin` of a candidate's per-replication differences from the chosen
    candidate's (None where either has no number: unscored, or a distance that is not one)."""
    if row["values"] is None or chosen["values"] is None:
        return None
    out = {}
    for m, values in row["values"].items():
        d = np.asarray(values, dtype=np.float64) - np.asarray(chosen["values"][m], np.float64)
        out[m] = margin(d) if d.size and bool(np.isfinite(d).all()) else None
    return out


def receipts(events: Events, cases: set[str]) -> dict[str, float]:
    """Each case's receipt (its first event's start, wall minutes), for the cases given."""
    names, first, _ = case_spans(events)
    return {c: t for c, t in zip(names, first.tolist()) if c in cases}


def span(received: dict[str, float], cases) -> list[str] | None:
    """The dates (ISO) of the first and last receipt of the cases, None when there are none."""
    times = [received[c] for c in cases if c in received]
    if not times:
        return None
    return [minutes_to_iso(min(times))[:10], minutes_to_iso(max(times))[:10]]


def ranks(values: list[list[float]]) -> list[float]:
    """Each candidate's rank on one measure, 1 the closest, from its distance in each replication
    (the same replications for all): 1 + the candidates clearly closer + half of those within
    noise of it. Two candidates are within noise when the mean of their per-replication
    differences is inside `margin` of them (with no noise, equal means share the mean of their
    ranks). A candidate with a distance that is not a number ranks last."""
    runs = [np.asarray(v, dtype=np.float64) for v in values]
    finite = [v.size > 0 and bool(np.isfinite(v).all()) for v in runs]
    out = []
    for a, a_ok in zip(runs, finite):
        closer = tied = 0
        for b, b_ok in zip(runs, finite):
            if not (a_ok and b_ok):
                m, n = (a.mean() if a_ok else math.inf), (b.mean() if b_ok else math.inf)
                closer, tied = closer + (n < m), tied + (n == m)
                continue
            d = a - b
            gap, noise = float(d.mean()), margin(d)
            closer, tied = closer + (gap > noise), tied + (abs(gap) <= noise)
        out.append(1 + closer + (tied - 1) / 2)
    return out


def margin(differences: np.ndarray) -> float:
    """The half-width of the `CONFIDENCE` Student t interval of the mean of paired differences:
    t(1 − α/2, R − 1) × their sample sd / √R (0 with one replication: no noise can be told)."""
    r = len(differences)
    if r < 2:
        return 0.0
    from scipy.stats import t

    sd = float(np.std(differences, ddof=1))
    return float(t.ppf(1 - (1 - CONFIDENCE) / 2, r - 1)) * sd / math.sqrt(r)


def _score(gauge: Gauge, scenarios: list, validation, names: dict, workers: int) -> list[dict]:
    """The gauge's scores of each distinct scenario, on the worker pool when it pays."""
    payload = (gauge.score, [data for _, data in scenarios], validation, names)
    numbers = list(range(len(scenarios)))
    if workers > 1 and len(numbers) > 1:
        from slasim.sim.parallel import run_parallel

        return run_parallel(score_one, payload, numbers, SEED, workers=workers, scheduler=None)
    return [score_one(payload, k, SEED) for k in numbers]


def score_one(payload: tuple, k: int, seed: int) -> dict:
    """Scenario k's scores (a task for `run_parallel`), or the reason it could not be scored."""
    score, datas, validation, names = payload
    try:
        return {"scores": score(datas[k], validation, names, REPLICATIONS, seed, k == 0)}
    except SlasimError as err:
        return {"error": err.message}
