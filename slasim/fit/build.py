"""`slasim fit`: a scenario built from a case log, each fitted number with its evidence.

The log's cases are split by arrival: the first part (`--train-share`, or up to `--train-until`)
fits the model, the rest is the period the scenario simulates (after a warm-up), so `fidelity`
compares the model with cases it was not fitted on. Of the first part, only the recent cases are
fitted when they drifted from the earlier ones (`drift`; `--recent off` keeps all, `--since`
chooses the window). Office hours and the working week come from when the log's events happen
(`hours`), in a calendar that extends the chosen one (its holidays and make-up days); every
duration is measured on it. What is fitted, per service:
- the route (`discover`): steps, XOR branches with shares, parallel groups;
- per step, desk work in office minutes (family by Wasserstein distance, `families`), or an elapsed
  `delay` in working days when its median duration exceeds a working day's office time (that is
  waiting, not desk work); a delay before a step for the part of the case's wait its handler had
  no work in progress (`waits`: the rest is a queue), when that wait's mean reaches
  `IDLE_WAIT_MIN`, on the route's window when variant drift moved it; repeats of a step as a
  supplement loop with their share and the gap before each repeat;
- arrivals per working day; the hours applicants submit by weekday (`by_hour`) in a timed log,
  else weekday factors and the share received outside office hours (`online`); `even` when the
  receipts are scheduled; month factors from complete months seen twice; holidays and make-up
  days come from the calendar;
- departments: a role column when the log has one, else pools of activities sharing handlers;
  staff: the mean number of distinct handlers at work on a working day.
Limits are given (`--limit`), not fitted; cards use a shipped ladder. What could not be fitted
well is said in `warnings` (drift; with the calendar's own hours, events outside them).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from slasim.calendar.files import is_calendar_path
from slasim.calendar.holiday_cache import cache_dir
from slasim.calendar.units import MINUTES_PER_DAY, day_to_date
from slasim.calendar.workcalendar import load_calendar
from slasim.clock.limits import Limit
from slasim.fit.batches import skipped, step_batch
from slasim.fit.discover import Trace, Traces, activity_stats, discover, step_names
from slasim.fit.drift import CORRECT_BELOW, Completeness, case_spans, window
from slasim.fit.families import choose
from slasim.fit.hours import calendar_text, office_from_log, office_hours, week_warning
from slasim.fit.log import Events
from slasim.fit.markov import block_empty, fitted_route, loop_item, rework_loops
from slasim.fit.rosters import department_roster
from slasim.fit.variant_drift import variant_drift
from slasim.fit.waits import step_waits, unexplained_waits
from slasim.io.errors import SlasimError
from slasim.io.files import write_atomic
from slasim.io.i18n import Text
from slasim.scenario.schema import WEEKDAYS

WARMUP_DAYS = 10
GAP_MIN = 20  # direct repeats needed to fit a loop's gap from them alone
IDLE_WAIT_MIN = 30.0  # office minutes: an idle-handler wait of a shorter mean is not modelled
MAX_ROUNDS = 20  # a fitted supplement loop's rounds at most


@dataclass
class Fitted:
    """A fitted scenario (data), a comment per fitted field path, and the fit's evidence."""

    data: dict
    comments: dict[tuple, str]
    evidence: dict
    warnings: list[str] = field(default_factory=list)  # what could not be fitted well
    office: dict | None = None  # office time fitted from the log (`hours.office_from_log`)


def slug(text: str) -> str:
    """A scenario-friendly name: lower case, spaces and odd characters as dashes."""
    return re.sub(r"[^\w]+", "-", str(text).strip().lower()).strip("-") or "x"


def split_cases(events: Events, train_until: dt.date | None, train_share: float, cal) -> tuple:
    """(arrival by case, train case set, test case set, split instant in wall minutes)."""
    code, names = events.codes("case")
    first = np.full(len(names), np.inf)
    np.minimum.at(first, code, events.start)  # each case's earliest start
    arrival: dict[str, float] = dict(zip(names, first.tolist()))
    ordered = sorted(arrival.values())
    if train_until is None and train_share >= 1.0:  # every case fitted; score on a separate log
        if len(ordered) < 2:
            raise SlasimError(
                "the log has {count} case(s) to fit (need 2)",
                source=events.source,
                count=len(ordered),
            )
        return arrival, set(arrival), set(), math.inf
    if train_until is not None:
        split = float(cal.minutes(train_until))
    else:
        split = ordered[min(len(ordered) - 1, max(1, int(train_share * len(ordered))))]
    train = {c for c, t in arrival.items() if t < split}
    test = set(arrival) - train
    if len(train) < 2 or not test:
        raise SlasimError(
            "the split leaves {fitted} cases to fit and {test} to test (need 2 and 1)",
            source=events.source,
            field="--train-until" if train_until else "--train-share",
            fitted=len(train),
            test=len(test),
        )
    return arrival, train, test, split


def _trace_rows(events: Events, cases: set[str]) -> tuple[np.ndarray, list[int]]:
    """The rows of the cases' events (milestones left out), case after case in order of each
    case's first such row, and inside a case in order of start, then end, then row; and where
    each case's rows begin (with the end of the last)."""
    code, names = events.codes("case")
    chosen = np.array([c in cases for c in names], dtype=bool)
    rows = np.flatnonzero(chosen[code] & ~events.milestone)
    present, first = np.unique(code[rows], return_index=True)
    rank = np.zeros(len(names), np.int64)
    rank[present[np.argsort(first)]] = np.arange(len(present))
    trace = rank[code[rows]]
    order = np.lexsort((events.end[rows], events.start[rows], trace))
    counts = np.bincount(trace, minlength=len(present))
    return rows[order], [0, *np.cumsum(counts).tolist()]


def trace_set(events: Events, cases: set[str]) -> Traces:
    """The cases' events (milestones left out) in order of start (then end), as flat columns."""
    rows, bounds = _trace_rows(events, cases)
    acts, names = events.codes("activity")
    return Traces(
        events.case[rows[bounds[:-1]]].tolist() if len(rows) else [],
        acts[rows],
        names,
        events.start[rows],
        events.end[rows],
        np.array(bounds, dtype=np.int64),
    )


def traces_of(events: Events, cases: set[str]) -> list[Trace]:
    """The cases' events in order of start (then end)."""
    return trace_set(events, cases).as_list()


def fit_log(
    events: Events,
    calendar: str = "cn",
    *,
    name: str | None = None,
    limit: str | None = None,
    promised: str | None = None,
    cards: str = "warn-before",
    train_until: dt.date | None = None,
    train_share: float = 0.7,
    min_share: float = 0.05,
    since: dt.date | None = None,
    recent: str = "auto",
    office: str = "log",
    roster: bool = False,
    routes: str = "blocks",
) -> Fitted:
    """Fit a scenario to a log (see the module docstring for what and how)."""
    cal = load_calendar(calendar)
    office_fit = office_from_log(events, cal) if office == "log" else None
    week = week_warning(office_fit, cal) if office_fit is not None else None
    used = calendar
    if office_fit is not None:  # the chosen calendar's days, the log's office time
        used = str(_stash(_office_text(office_fit, calendar, name, events.source)))
        cal = load_calendar(used)
    arrival, train, test, split = split_cases(events, train_until, train_share, cal)
    all_train = len(train)
    train, drift_evidence = window(
        events,
        cal,
        arrival,
        train,
        since=float(cal.minutes(since)) if since is not None else None,
        recent=recent,
    )
    # activities under the log's cut (fit.variant_drift): acts only where `window` kept all
    acts = since is None and recent == "auto" and len(train) == all_train
    routed = variant_drift(events, arrival, train, drift_evidence, act=acts)
    routed = routed if len(routed) < len(train) else None
    if len(train) < 2:
        raise SlasimError(
            "the window leaves {count} cases to fit (need 2)",
            source=events.source,
            field="--since",
            count=len(train),
        )
    legal, limit_note = _legal_limit(events, cal, limit, arrival, train)
    comments: dict[tuple, str] = {}
    evidence: dict = {
        "log": events.source,
        "events": len(events),
        "cases": len(arrival),
        "train_cases": len(train),
        "test_cases": len(test),
        "split": _iso(split) if test else None,
        "drift": drift_evidence,
        "starts_estimated": events.starts_estimated,
        "columns": events.columns,
    }
    hours = office_hours(events, cal)
    warning = hours.pop("warning")
    warnings = [w for w in (warning, week) if w]
    if drift_evidence["drift"].startswith("yes") or len(train) < all_train or routed:
        warnings.append(
            Text(
                "drift {drift}; fitted on {window}",
                drift=drift_evidence["drift"],
                window=drift_evidence["window"],
            )
        )
    evidence["office_hours"] = hours
    services_of = _services(events)
    departments: dict[str, dict] = {}
    services = {}
    index = LogIndex.of(events, train, cal)
    for service_name, cases in services_of.items():
        fitted = _service(
            events, index, cal, cases & train, arrival, min_share, departments, routes, routed
        )
        key = slug(service_name) if service_name else slug(name or "service")
        limits = (
            {"legal": str(legal)}
            if promised is None
            else {"promised": promised, "legal": str(legal)}
        )
        services[key] = {"limits": limits, "acceptance": "receipt", **fitted["service"]}
        comments[("services", key, "limits")] = limit_note
        for path, text in fitted["comments"].items():
            comments[("services", key, *path)] = text
        evidence.setdefault("services", {})[key] = fitted["evidence"]
    # The period a `run` of the fitted file covers: the held-out cases' receipts; with every case
    # fitted, the receipts of the log's last 30 % of cases (a `fidelity --test-log` scores it).
    recent = sorted(arrival.values())[-max(1, round(0.3 * len(arrival))) :]
    start_day, days = _period(cal, [arrival[c] for c in test] if test else recent)
    dept_data = {}
    for dept, info in departments.items():
        staff, note = _staff(events, index, info, split)
        dept_data[dept] = {"staff": staff}
        comments[("departments", dept, "staff")] = note
        evidence.setdefault("departments", {})[dept] = {
            "activities": sorted(info["activities"]),
            "handlers": len(info["handlers"]),
            "staff": note,
        }
        weekly = department_roster(events, index.rows, info, split, cal, staff) if roster else None
        if weekly is not None:  # opt-in: the hours handlers are on duty (fit.rosters)
            dept_data[dept] = {"staff": weekly["staff"], "roster": weekly["roster"]}
            comments[("departments", dept, "roster")] = weekly["note"]
            evidence["departments"][dept]["roster"] = weekly["evidence"]
    if not dept_data:  # every step elapsed: the schema wants a department, none does work
        dept_data["no-staff-modelled"] = {"staff": 1}
        comments[("departments", "no-staff-modelled", "staff")] = (
            "no step is desk work (no start times in the log): staffing is not modelled"
        )
    data = {
        "name": name or slug(events.source.rsplit("/", 1)[-1].split(".")[0]),
        "description": f"fitted by slasim fit from {events.source.rsplit('/', 1)[-1]}",
        "sources": [f"{events.source.rsplit('/', 1)[-1]}: {len(train)} cases fitted"],
        "calendar": used,
        "start": day_to_date(start_day).isoformat(),
        "working_days": days,
        "warmup_days": WARMUP_DAYS,
        "replications": 10,
        "seed": 1,
        "cards": cards,
        "departments": dept_data,
        "services": services,
        # machine-readable for `slasim fidelity`: its window opens at the split
        "provenance": {
            "log": events.source.rsplit("/", 1)[-1],
            "split": _iso(split) if test else None,
            "fitted_cases": len(train),
            "held_out_cases": len(test),
            "fitted_from": _iso(min(arrival[c] for c in train)),
            "fitted_until": _iso(max(arrival[c] for c in train)),
        },
    }
    comments[("start",)] = (
        f"the test period ({len(test)} cases from {_iso(split)[:10]}) after {WARMUP_DAYS} working "
        "days of warm-up"
        if test
        else f"every case fitted (--train-share 1.0): the period of the log's last {len(recent)} "
        f"receipts after {WARMUP_DAYS} working days of warm-up; score on a separate log with "
        "slasim fidelity --test-log"
    )
    if office_fit is not None:
        evidence["office_time"] = {**office_fit, "from": "the log", "extends": calendar}
        comments[("calendar",)] = f"{calendar} with the log's office time: {office_fit['note']}"
    else:
        evidence["office_time"] = {
            "from": f"calendar {calendar}"
            + (" (--office-hours calendar)" if office != "log" else "")
        }
    return Fitted(data, comments, evidence, warnings, office_fit)


def _office_text(office: dict, calendar: str, name: str | None, source: str) -> str:
    base = str(Path(calendar).resolve()) if is_calendar_path(calendar) else calendar
    stem = slug(name or source.rsplit("/", 1)[-1].split(".")[0])
    return calendar_text(f"{stem}-office", base, office, source.rsplit("/", 1)[-1])


def _stash(text: str) -> Path:
    """A calendar file of this text in the cache folder (named by its content), for the fit and
    for runs of the fitted scenario before `fit --out` writes it beside the scenario."""
    folder = cache_dir() or Path(tempfile.gettempdir()) / "slasim"
    path = folder / "fitted-calendars" / f"{hashlib.sha256(text.encode()).hexdigest()[:16]}.toml"
    if not path.is_file():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, text)
        except OSError as exc:
            raise SlasimError(
                "cannot write the fitted calendar ({problem})",
                source=str(path),
                problem=exc.strerror or type(exc).__name__,
            ) from None
    return path


def _legal_limit(events: Events, cal, limit: str | None, arrival: dict, train: set) -> tuple:
    """The legal limit: `--limit` when given; else the median working days from receipt to the
    log's deadline column over the fitted cases, rounded up; else 20wd (Art. 42's default)."""
    if limit is not None:
        return Limit.parse(limit, field="--limit"), "given (--limit), not fitted"
    cases = [c for c in train if c in events.deadlines]
    if not cases:
        return Limit(20, "wd"), "default 20wd (行政许可法 Art. 42): no --limit, no deadline column"
    b = cal.business_to_day_position
    given = b(cal.to_business_array([events.deadlines[c] for c in cases]))
    days = given - b(cal.to_business_array([arrival[c] for c in cases]))
    median = float(np.median(days))
    note = f"from the deadline column: median {median:.2f} working days over {len(cases)} cases"
    return Limit(max(1, math.ceil(median - 1e-9)), "wd"), note


def _iso(minutes: float) -> str:
    from slasim.calendar.units import minutes_to_iso

    return minutes_to_iso(minutes)


def _services(events: Events) -> dict[str, set[str]]:
    """The cases of each service (one service, named "", without a service column)."""
    out: dict[str, set[str]] = {}
    code, names = events.codes("case")
    kinds, labels = events.codes("service")
    if len(labels) == 1:  # one service: every case
        return {labels[0]: set(names)}
    for case, service in zip(events.case.tolist(), events.service.tolist()):
        out.setdefault(service, set()).add(case)
    return out


def _period(cal, test_arrivals: list[float]) -> tuple[int, int]:
    first = int(min(test_arrivals) // MINUTES_PER_DAY)
    last = int(max(test_arrivals) // MINUTES_PER_DAY)
    k_first = int(cal.working_days_before(np.array([first]))[0])
    k_last = int(cal.working_days_before(np.array([last + 1]))[0])
    k_start = max(0, k_first - WARMUP_DAYS)
    return int(cal.work_days[k_start]), max(k_last - k_start, WARMUP_DAYS + 1)


@dataclass
class LogIndex:
    """Lookups built once per fit: the rows of each activity among the fitted cases, the waits,
    each case's span."""

    rows: dict[str, np.ndarray]
    waits: np.ndarray  # per event, its wait's parts: handler idle, at work (`waits`)
    spans: tuple  # `drift.case_spans`: (case names, first start, last end)

    @classmethod
    def of(cls, events: Events, train: set[str], cal) -> LogIndex:
        """Index a log's fitted cases."""
        code, names = events.codes("case")
        chosen = np.array([c in train for c in names], dtype=bool)
        fitted = np.flatnonzero(chosen[code] & ~events.milestone)
        acts, labels = events.codes("activity")
        order = np.argsort(acts[fitted], kind="stable")
        cuts = np.flatnonzero(np.diff(acts[fitted][order])) + 1
        parts = sorted(np.split(fitted[order], cuts), key=lambda r: r[0]) if len(fitted) else []
        return cls(
            {labels[int(acts[r[0]])]: r.astype(np.int64) for r in parts},
            unexplained_waits(events, cal),
            case_spans(events),
        )


def _service(
    events, index, cal, train, arrival, min_share, departments, routes="blocks", routed=None
) -> dict:
    traces = trace_set(events, train)
    stats = activity_stats(traces)
    kept = [a for a, c in stats.cases.items() if len(c) >= min_share * len(traces)]
    dropped = sorted(set(stats.cases) - set(kept))
    kept.sort(key=lambda a: stats.position[a])
    # `routed` (fit.variant_drift): the cases whose activities and branch shares the route takes,
    # in the order all the cases show
    ids = set(traces.cases)
    route = discover(ids & routed if routed is not None else ids, kept, stats)
    comments: dict[tuple, str] = {}
    loops = _repeats(traces, cal)
    # the traces, listed once where a step below reads them
    listed = loops or routes != "blocks" or events.starts_estimated
    cases = traces.as_list() if listed else []
    route, rework = rework_loops(cases, route, set(loops)) if loops else (route, [])
    elapsed = (  # used only when the start times were estimated
        _elapsed_since_previous(cases, set(step_names(route)), arrival, cal)
        if events.starts_estimated
        else {}
    )
    # Cases released together at set times (fit.batches; none where the start times were
    # estimated). `index.rows` pools an activity's events over the log's services, as `_step`
    # does: an activity name shared by two services gets one batch verdict.
    batches = {}
    for a in step_names(route) if skipped(events) is None else ():
        found = step_batch(events, index.rows, cal, a)
        if found is not None:
            batches[a] = found
    waits = index.waits
    if batches:  # the wait before a step that follows a release is the release's
        waits = waits.copy()
        for found in batches.values():
            waits[found["explains"]] = np.nan
    steps = {
        a: _step(
            events,
            cal,
            a,
            index.rows[a],
            loops.get(a),
            departments,
            step_waits(events, index.rows[a], routed, waits, a in loops),
            elapsed,
        )
        for a in step_names(route)
    }
    for a, found in batches.items():
        item, note = steps[a]["items"][-1], steps[a]["notes"][-1]
        if found["work"] is not None:  # released at its completion: the log's durations held
            kind = "work" if "work" in item else "delay"  # the wait; the work replaces the fit
            item[kind], why = choose(found["work"], "min")
            steps[a]["evidence"] = why
            note = Text(
                "{activity} work in office minutes before its release (each the midpoint of the "
                "interval it must lie in): {fit}",
                activity=repr(a),
                fit=why,
            )
        item["batch"] = found["batch"]
        steps[a]["notes"][-1] = Text("{fit}; {batch}", fit=note, batch=found["note"])
    complete = Completeness.of(index.spans, train, float(events.end.max()))
    arrivals, arrival_notes, arrival_evidence = _arrivals(
        cal, [arrival[c] for c in train], complete
    )
    # a note on a field not fitted (no month factors) goes beside `arrivals`
    comments.update(
        {("arrivals", k) if k in arrivals else ("arrivals",): v for k, v in arrival_notes.items()}
    )
    out_route = _emit_route(route, steps, comments, ("steps",), cases)
    form = fitted_route(  # blocks, or a Markov route (fit.markov)
        (trace_set(events, train & routed).as_list() if routed is not None else cases)
        if routes != "blocks"
        else [],
        route,
        steps,
        routes,
    )
    if form["item"] is None and rework:
        form["evidence"]["rework_loops"] = rework
    if form["item"] is None and "any_activity" not in form["evidence"]:
        form["evidence"]["any_activity"] = _any_activity(traces, route, routed)
    if form["item"] is not None:
        out_route = [form["item"]]
        comments = {k: v for k, v in comments.items() if k[0] != "steps"}
        comments.update({("steps", *path): note for path, note in form["comments"].items()})
    evidence = {
        "cases": len(traces),
        "activities": len(stats.cases),
        "dropped_rare_activities": dropped,
        "arrivals": arrival_evidence,
        "route": form["evidence"],
        "steps": {a: s["evidence"] for a, s in steps.items()},
    }
    if skipped(events) is not None:
        evidence["batches"] = skipped(events)
    elif batches:
        evidence["batches"] = {a: found["evidence"] for a, found in batches.items()}
    return {
        "service": {"arrivals": arrivals, "steps": out_route},
        "comments": comments,
        "evidence": evidence,
    }


def _emit_route(route, steps, comments, path, traces=()) -> list:
    out = []
    for item in route:
        here = (*path, len(out))
        if isinstance(item, tuple) and item[0] == "loop":  # a rework loop (fit.markov)
            chain, notes = loop_item(traces, item[1], steps)
            out.append(chain)
            comments.update({(*here, *k): note for k, note in notes.items()})
        elif isinstance(item, str):
            step = steps[item]
            out.extend(step["items"])
            for offset, note in enumerate(step["notes"]):
                comments[(*path, len(out) - len(step["items"]) + offset)] = note
        elif item[0] == "parallel":
            branches = []
            for k, act in enumerate(item[1]):
                branch = steps[act]["items"]
                for offset, note in enumerate(steps[act]["notes"]):
                    comments[(*here, "parallel", k, offset)] = note
                branches.append(branch)
            out.append({"parallel": branches})
            comments[here] = "activities that overlap in time in the same cases"
        else:
            total = sum(share for share, _ in item[1])
            scale = 1.0 / total if total > 1 else 1.0  # groups that overlap a little: shares scaled
            branches = [
                {
                    "probability": round(share * scale, 4),
                    "steps": _emit_route(r, steps, comments, (*here, "branch", k, "steps"), traces),
                }
                for k, (share, r) in enumerate(item[1])
            ]
            rest = round(1 - sum(b["probability"] for b in branches), 4)
            if rest > 0:
                branches.append({"probability": rest, "steps": []})
            elif rest < 0:  # rounding: the first branch gives back the excess
                branches[0]["probability"] = round(branches[0]["probability"] + rest, 4)
            out.append({"branch": branches})
            comments[here] = "shares: the fitted cases that took each branch (the last skips)"
    return out


def _any_activity(traces: Traces, route, routed: set[str] | None) -> dict[str, float]:
    """The share of the route's cases that do at least one of its activities: in the log, and on
    the block route (`fit.markov.block_empty`; independent branches can leave a case nothing)."""
    names = set(step_names(route))
    used = np.array([a in names for a in traces.names] or [False], dtype=np.int8)
    hit = np.maximum.reduceat(used[traces.activity], traces.bounds[:-1]) if len(traces) else []
    chosen = [routed is None or c in routed for c in traces.cases]
    taken = [bool(h) for h, c in zip(np.asarray(hit).tolist(), chosen) if c]
    real = sum(taken) / max(len(taken), 1)
    return {"real": round(real, 4), "blocks": round(1.0 - block_empty(route), 4)}


def _repeats(traces: Traces, cal) -> dict[str, tuple[int, int, int, np.ndarray]]:
    """Per activity repeated in a case: (its visits, its repeats, the most visits in one case, the
    working days from each visit's end to the case's next visit's start, case after case)."""
    acts, width = traces.activity, max(1, len(traces.names))
    key = np.repeat(np.arange(len(traces)), np.diff(traces.bounds)) * width + acts
    order = np.argsort(key, kind="stable")  # a case's visits of an activity, one after another
    same = key[order][1:] == key[order][:-1]
    before, after = order[:-1][same], order[1:][same]
    if not len(before):
        return {}
    day = cal.delay_position  # the axis delays in working days are simulated on
    gaps = day(cal.to_business_array(traces.starts[after])) - day(
        cal.to_business_array(traces.ends[before])
    )
    visits = np.bincount(acts, minlength=width)
    pairs, counts = np.unique(key, return_counts=True)
    most = np.zeros(width, np.int64)
    np.maximum.at(most, pairs % width, counts)
    names = traces.names
    repeated = acts[before]
    direct = after == before + 1  # nothing else done between the two visits
    # each repeat's round: 0 for the case's second visit, 1 for its third, ...
    pairs_at = np.flatnonzero(same)
    starts = np.flatnonzero(np.concatenate([[True], ~same]))
    round_of = pairs_at - starts[np.searchsorted(starts, pairs_at, side="right") - 1]
    cases_of = np.bincount(pairs % width, minlength=width)  # cases doing each activity
    out = {}
    for code in np.unique(repeated).tolist():
        mask = repeated == code
        # the gap of a repeat done right after the visit: the time between visits with other
        # activities done in it is theirs too
        use = mask & direct if np.sum(mask & direct) >= GAP_MIN else mask
        first = round_of == 0
        # later rounds the loop can take (`_loop`'s max_rounds): the later visits that may still
        # be repeated (the (r + 2)-th visit is repeat r's), and the repeats after them
        rounds = min(int(most[code]) - 1, MAX_ROUNDS)
        later = (
            int(np.sum(mask & (round_of >= 1) & (round_of <= rounds - 1))),
            int(np.sum(mask & (round_of <= rounds - 2))),
        )
        out[names[code]] = (
            int(visits[code]),
            int(mask.sum()),
            int(most[code]),
            gaps[use],
            (int(cases_of[code]), int(np.sum(mask & first)), gaps[use & first], gaps[use & ~first]),
            later,
        )
    return out


def _elapsed_since_previous(traces, kept: set[str], arrival: dict, cal) -> dict[str, list]:
    """Per activity, working days from the previous completion of a kept activity in the case
    (or its receipt) to each completion: in a log without start times these add up, step after
    step, to the whole case, dropped rare activities included."""
    out: dict[str, list] = {}
    position = cal.delay_position
    for trace in traces:
        previous = arrival[trace.case]
        for act, end in sorted(zip(trace.activities, trace.ends), key=lambda x: x[1]):
            if act in kept:
                out.setdefault(act, []).append((previous, end))
                previous = end
    return {
        a: position(cal.to_business_array([e for _, e in v]))
        - position(cal.to_business_array([s for s, _ in v]))
        for a, v in out.items()
    }


def _step(events, cal, activity, rows, repeats, departments, waits, elapsed) -> dict:
    """The items of one activity: an idle-handler wait if any, then desk work or an elapsed delay.
    In a log without start times (estimated from completions) a step's duration is the time since
    the previous kept completion in the case: elapsed time, not work, so it becomes a delay."""
    estimated = bool(events.starts_estimated)
    start, end = events.start[rows], events.end[rows]
    office = cal.to_business_array(end) - cal.to_business_array(start)
    # a wait in working days is simulated as that many default days' minutes where days differ
    day_minutes = cal.delay_day or float(np.median(cal.day_minutes[cal.office_of]))
    name = slug(activity)
    notes, items = [], []
    waited, idle, window = waits  # the rows its wait is fitted on (`waits.step_waits`)
    idle, working = idle[np.isfinite(idle[:, 0])].T  # office minutes, working minutes
    if len(idle) >= max(3, 0.5 * len(waited)) and np.mean(idle) >= IDLE_WAIT_MIN:
        unit = "wd" if np.median(working) >= day_minutes else "min"
        # in working days, on the axis they are replayed on (open rest days left out)
        sample = working / day_minutes if unit == "wd" else idle
        dist, why = choose(sample, unit)
        items.append({"step": f"{name}-wait", "delay": dist})
        notes.append(
            f"wait before {activity!r} while its handler was idle (mean {np.mean(idle):.0f} "
            f"office min, modelled from {IDLE_WAIT_MIN:.0f}{window}): {why}"
        )
    if estimated or np.median(office) > day_minutes:
        days = (
            elapsed[activity]
            if estimated
            else cal.delay_position(cal.to_business_array(end))
            - cal.delay_position(cal.to_business_array(start))
        )
        dist, why = choose(days, "wd")
        items.append({"step": name, "delay": dist})
        reason = "start times estimated" if estimated else "median over a working day"
        notes.append(f"{activity!r} as elapsed time ({reason}): {why}")
        return {"items": items, "notes": notes, "evidence": why}
    dept = _department(events, rows, activity, departments)
    dist, why = choose(office, "min")
    step = {"step": name, "department": dept, "work": dist}
    loop = _loop(repeats)
    gap = None
    if loop is not None:
        step["supplement"], loop_note, gap = loop
        why = Text("{fit}; {loop}", fit=why, loop=loop_note)
    items.append(step)
    notes.append(f"{activity!r} work in office minutes: {why}")
    return {"items": items, "notes": notes, "evidence": why, "gap": gap}


def _seen(events: Events, column: str, rows: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The non-empty texts of a column at `rows`, each once in order of first appearance, and how
    many times each appears."""
    code, names = events.codes(column)
    present, first, counts = np.unique(code[rows], return_index=True, return_counts=True)
    order = np.argsort(first)
    texts = [names[k] for k in present[order].tolist()]
    keep = [k for k, text in enumerate(texts) if text]
    return [texts[k] for k in keep], counts[order][keep]


def _department(events, rows, activity, departments) -> str:
    roles, times = _seen(events, "role", rows)
    handlers = set(_seen(events, "resource", rows)[0])  # inserted in the rows' order
    if roles:  # the most frequent role (a tie: the first of the set of roles, as before)
        name = slug(max(set(roles), key=dict(zip(roles, times.tolist())).__getitem__))
    else:
        name = next(
            (d for d, info in departments.items() if _jaccard(handlers, info["handlers"]) >= 0.5),
            None,
        ) or slug(f"team-{activity}")
    info = departments.setdefault(name, {"activities": set(), "handlers": set()})
    info["activities"].add(activity)
    info["handlers"] |= handlers
    return name


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def _loop(repeats: tuple | None) -> tuple[dict, str, dict] | None:
    """A step's supplement loop from its repeats (`_repeats`), its note and the gap before any
    repeat (all rounds pooled), or None when it never repeats."""
    if repeats is None:
        return None
    visits, repeats, most, gaps, (cases, firsts, first_gaps, later_gaps), later = repeats
    if not repeats:
        return None
    chance = repeats / visits
    pooled, why = choose(gaps, "wd")  # the gap before any repeat (a Markov route's gap state)
    if min(len(first_gaps), len(later_gaps)) >= GAP_MIN and later[1]:
        # the first round of its own: a call-back repeated more often, and later, after the
        # first visit than after the next ones (BPIC 2012 W); the later chance over the later
        # visits the loop can still repeat (not those at its max_rounds)
        dist, later_why = choose(later_gaps, "wd")
        first, first_why = choose(first_gaps, "wd")
        supplement = {
            "probability": round(later[0] / later[1], 4),
            "response": dist,
            "max_rounds": min(most - 1, MAX_ROUNDS),
            "first": {"probability": round(firsts / cases, 4), "response": first},
        }
        return (
            supplement,
            Text(
                "first visit repeated in {firsts} of {cases} cases, gap: {first}; a later visit "
                "in {later} of {rest}, gap: {gap}",
                firsts=firsts,
                cases=cases,
                first=first_why,
                later=later[0],
                rest=later[1],
                gap=later_why,
            ),
            pooled,
        )
    supplement = {
        "probability": round(chance, 4),
        "response": pooled,
        "max_rounds": min(most - 1, MAX_ROUNDS),
    }
    return (
        supplement,
        Text(
            "repeated in {repeats} of {visits} visits (loop share {share:.3f}), gap: {gap}",
            repeats=repeats,
            visits=visits,
            share=chance,
            gap=why,
        ),
        pooled,
    )


PROFILE_MIN = 200  # receipts: fewer are described by office hours and an online share
REGULAR_SHARE = 0.8  # share of same-day gaps of one length that makes receipts scheduled
MONTH_SEEN = 2  # complete months of a calendar month needed for its factor


def _arrivals(cal, times: list[float], complete: Completeness | None = None) -> tuple:
    """Receipts of the fitted cases: per working day; the week's shape as receipts by hour of
    each weekday (`by_hour`, timed logs of PROFILE_MIN receipts or more) or else weekday factors
    and an online share; `even` when receipts are scheduled; month factors from complete months.
    The rate per working day is divided by the share of the window's receipts expected in a log
    of finished cases (`drift.Completeness`) when that share is under CORRECT_BELOW.
    Returns (arrivals, comments, evidence)."""
    t = np.sort(np.array(times))
    days = np.floor(t / MINUTES_PER_DAY).astype(np.int64)
    # a receipt on a closed day counts for the next office day (a working day, or an open rest day)
    k = cal.office_days_before(days)
    k0, k1 = int(k.min()), int(k.max()) + 1
    counts = np.bincount(k - k0, minlength=k1 - k0)
    per_day = float(counts.mean())
    first, last = day_to_date(int(days[0])), day_to_date(int(days[-1]))
    unit = "office days" if cal.rest_days_open else "working days"  # open rest days among them
    notes = {"per_day": f"{len(t)} fitted cases over {k1 - k0} {unit} ({first} to {last})"}
    evidence: dict = {"receipts": len(t), "working_days": k1 - k0, "window": f"{first}/{last}"}
    share = complete.share(float(t[0]), float(t[-1])) if complete is not None else 1.0
    if share < CORRECT_BELOW:
        evidence["complete"] = {
            "expected_share": round(share, 4),
            "raw_per_day": round(per_day, 3),
            "log_end": _iso(complete.end),
            "horizon_days": round(complete.horizon / MINUTES_PER_DAY, 2),
            "reference_cases": complete.reference,
        }
        notes["per_day"] += (
            f"; {per_day:.3f} a day as logged, divided by {share:.3f}: the share of the window's "
            f"receipts expected finished by the log's end {_iso(complete.end)[:16]} (the lead "
            f"times of the {complete.reference} cases received over "
            f"{complete.horizon / MINUTES_PER_DAY:.1f} days before it, each hour weighted by the "
            f"week's receipts): a log of finished cases lacks the long cases still open at its end"
        )
        per_day /= share
    out: dict = {"per_day": round(per_day, 3)}
    dated = bool(np.mean(t % MINUTES_PER_DAY == 0) >= 0.9)
    regular = None if dated else _regular(t, days)
    if regular is not None:
        out["pattern"] = "even"
        evidence["regular"] = regular
        notes["pattern"] = regular
    if dated:  # dates only: the hour of receipt is unknown
        notes["per_day"] += "; receipts are dated, not timed (no hours or online share fitted)"
    if not dated and len(t) >= PROFILE_MIN:
        out["by_hour"], notes["by_hour"], evidence["by_hour"] = _by_hour(cal, t, days)
    else:
        weekday = (cal.open_days[k0:k1] + 3) % 7
        factors = {}
        for w in range(7):
            mask = weekday == w
            if mask.sum() >= 2 and per_day > 0:
                factors[WEEKDAYS[w]] = round(float(counts[mask].mean()) / per_day, 3)
        if factors and max(factors.values()) - min(factors.values()) > 0.1:
            out["weekday"] = factors
            notes["weekday"] = "mean receipts per weekday / mean per working day"
        opening = cal.to_wall_array(cal.to_business_array(t), side="right")
        outside = float(np.mean(np.abs(opening - t) > 1e-6))
        if not dated and outside > 0:
            out["online"] = round(outside, 4)
            notes["online"] = f"share of receipts outside office hours ({outside:.1%})"
    month, notes["month"], evidence["month"] = _months(cal, counts, k0, k1, days)
    if month:
        out["month"] = month
    return out, notes, evidence


def _regular(t: np.ndarray, days: np.ndarray) -> str | None:
    """Why receipts are scheduled (most gaps between receipts of one day the same length, to the
    second), or None."""
    same_day = days[1:] == days[:-1]
    gaps = np.round(np.diff(t)[same_day] * 60)  # seconds
    if len(gaps) < 20:
        return None
    values, seen = np.unique(gaps, return_counts=True)
    top = int(np.argmax(seen))
    if values[top] <= 0 or seen[top] < REGULAR_SHARE * len(gaps):
        return None
    return (
        f"scheduled: {seen[top]} of {len(gaps)} gaps between receipts of one day are "
        f"{values[top] / 60:g} min (over {REGULAR_SHARE:.0%}): fixed counts, evenly spaced"
    )


def _by_hour(cal, t: np.ndarray, days: np.ndarray) -> tuple[dict, str, dict]:
    """Mean receipts in each hour of each weekday over the window's natural days."""
    natural = np.arange(days[0], days[-1] + 1)
    weekday_count = np.bincount((natural + 3) % 7, minlength=7)
    slot = ((days + 3) % 7) * 24 + ((t % MINUTES_PER_DAY) // 60).astype(np.int64)
    table = np.bincount(slot, minlength=168).reshape(7, 24) / np.maximum(weekday_count, 1)[:, None]
    profile = {
        WEEKDAYS[w]: [int(v) if v == int(v) else v for v in np.round(table[w], 3).tolist()]
        for w in range(7)
        if table[w].sum() > 0
    }
    opening = cal.to_wall_array(cal.to_business_array(t), side="right")
    outside = float(np.mean(np.abs(opening - t) > 1e-6))
    note = (
        f"mean receipts in each hour of each weekday over {len(natural)} natural days "
        f"({len(t)} receipts; {outside:.1%} outside office hours, received at the next opening)"
    )
    return profile, note, {"receipts": len(t), "natural_days": len(natural), "outside": outside}


def _months(cal, counts: np.ndarray, k0: int, k1: int, days: np.ndarray) -> tuple:
    """Month factors from complete months only (the window holds the month from its first to its
    last day), each calendar month seen complete MONTH_SEEN times or more: mean receipts per
    working day of that month / mean over those months. (factors, note, evidence)"""
    months = cal.open_days[k0:k1].astype("datetime64[D]").astype("datetime64[M]")
    first_month = np.datetime64(day_to_date(int(days[0])), "M")
    last_month = np.datetime64(day_to_date(int(days[-1])), "M")
    starts_inside = day_to_date(int(days[0])).day == 1
    ends_inside = (day_to_date(int(days[-1])) + dt.timedelta(days=1)).day == 1
    complete = [
        m
        for m in np.unique(months)
        if (m > first_month or (m == first_month and starts_inside))
        and (m < last_month or (m == last_month and ends_inside))
    ]
    by_month: dict[int, list] = {}
    for m in complete:
        by_month.setdefault(int(m.astype(np.int64) % 12) + 1, []).append(m)
    kept = {n: ms for n, ms in by_month.items() if len(ms) >= MONTH_SEEN}
    evidence = {"complete_months": len(complete), "months_with_factors": sorted(kept)}
    if len(kept) < 2:
        return (
            {},
            f"no month factors: {len(complete)} complete months in the window, "
            f"{len(kept)} calendar month(s) seen complete {MONTH_SEEN} times or more (need 2)",
            evidence,
        )
    mask = {n: np.isin(months, ms) for n, ms in kept.items()}
    overall = float(counts[np.logical_or.reduce(list(mask.values()))].mean())
    factors = {n: round(float(counts[m].mean()) / overall, 3) for n, m in sorted(mask.items())}
    note = (
        f"mean receipts per working day of each month / mean over those months: from "
        f"{len(complete)} complete months, months seen complete {MONTH_SEEN}+ times only"
    )
    return factors, note, evidence


def _staff(events, index, info, split) -> tuple[int, str]:
    rows = np.concatenate([index.rows[a] for a in info["activities"]])
    rows = rows[events.end[rows] < split]
    if not info["handlers"] or not len(rows):
        return 1, Text("no handler column: 1 (set it by hand, or with slasim staff)")
    days = np.floor(events.end[rows] / MINUTES_PER_DAY).astype(np.int64)
    resource, names = events.codes("resource")
    pairs = np.unique((days - days.min()) * len(names) + resource[rows])  # (day, handler) seen
    counts = np.unique(pairs // len(names), return_counts=True)[1]  # handlers per active day
    staff = max(1, int(round(counts.mean())))
    note = Text(
        "{handlers} handlers in all; {mean:.2f} at work on a mean active day "
        "(max {most}, over {days} days)",
        handlers=len(info["handlers"]),
        mean=float(counts.mean()),
        most=int(counts.max()),
        days=len(counts),
    )
    return staff, note


def naive_scenario(fitted: Fitted, events: Events, calendar: str) -> dict:
    """The reference a fit must beat: one elapsed step whose duration is the fitted cases' own
    lead times (empirical, working days), Poisson receipts at the fitted mean rate, no staff."""
    cal = load_calendar(calendar)
    train_split = fitted.evidence["split"]
    split = float(cal.minutes(dt.datetime.fromisoformat(train_split))) if train_split else math.inf
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    for case, start, end in zip(events.case.tolist(), events.start.tolist(), events.end.tolist()):
        first[case] = min(first.get(case, np.inf), start)
        last[case] = max(last.get(case, -np.inf), end)
    train = [c for c, t in first.items() if t < split]
    b = cal.business_to_day_position
    lead = b(cal.to_business_array([last[c] for c in train])) - b(
        cal.to_business_array([first[c] for c in train])
    )
    per_day = sum(s["arrivals"]["per_day"] for s in fitted.data["services"].values())
    quantiles = np.quantile(lead, np.linspace(0, 1, 41))
    service = next(iter(fitted.data["services"].values()))
    return {
        **{k: v for k, v in fitted.data.items() if k not in ("departments", "services")},
        "name": f"{fitted.data['name']}-naive",
        "departments": {"no-staff-modelled": {"staff": 1}},
        "services": {
            "service": {
                "limits": service["limits"],
                "acceptance": "receipt",
                "arrivals": {"per_day": per_day},
                "steps": [
                    {
                        "step": "case",
                        "delay": {
                            "empirical": [round(float(v), 4) for v in quantiles],
                            "unit": "wd",
                        },
                    }
                ],
            }
        },
    }
