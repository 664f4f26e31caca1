"""`fit` made faster (issue 28) fits the same numbers: the scenario YAML, its comments, the evidence
and the warnings of the shipped sample log and of a generated log (a supplement loop, idle waits,
two services, blank handlers, timestamps with and without offsets, a log of completions only) are
byte for byte what the code before the speed-up wrote (fixtures in tests/data/fit-equivalence/,
written by commit 0728261's `fit` with `python tests/test_fit_speed_equivalence.py DIR`, run with
that commit on PYTHONPATH). The rewritten steps are also checked against the per-case loops they
replaced, kept below as the reference (same values to the bit, NaN where they gave NaN).

The fixtures moved once on purpose since: an idle-handler wait is modelled when its mean, no longer
its median, reaches 30 office minutes (issue 26), and its comment gives that mean. The generated
log's only change is the wait its generator puts before `Inspect` (exponential, mean 30 minutes,
median 21), now fitted: exponential 31.1 minutes from 77 waits. The fixtures were written again
with `python tests/test_fit_speed_equivalence.py tests/data/fit-equivalence`. Then again once the
fit looked for batch releases (fit.batches): the only change is that the log of completions only
says, in each service's evidence, why no batch was fitted (its start times were estimated).
Then again once the drift check counted lead times over their autocorrelation time (fit.drift):
only the generated logs' lead-time test moved (its name, its p, its autocorrelation_time, 1.0).
Then again once fit tested variant drift under the log's cut (fit.variant_drift): only the drift
evidence gained `activities` (no drift in any of these logs; the scenarios unchanged).
Then again once the wait before a step was the part its handler had no work in progress
(fit.waits; was: only waits with no event of the handler in them) and a looped step's wait was
fitted on each case's first visit: in the generated logs `review-wait` is gone (it held the days
before each repeat of `Review`, the supplement loop's gap; the first visits wait a mean 20
minutes, under 30, as generated), `Inspect`'s wait is exponential 30.05 minutes (was 31.13, as
generated 30) from 82 waits, `Decide`'s lognormal 86.85 minutes from 224 waits (generated: 60
plus exponential 30); the sample log and the log of completions only are unchanged.
The old definition (`build.idle_waits`) is gone with its loop check here: `fit.waits` is checked
against its own loop in tests/test_fit_waits.py.
Then again once route items were ordered by each activity's rank among a case's distinct
activities (repeats not counted; the reference loop below follows it), an empirical sample's
points became the midpoints of 41 equal shares, and a loop's gap came from repeats done right
after the visit (issue 26, BPIC 2012 W): only the log of completions moved (its two empirical
delays, now at the midpoints); the others' routes and gaps are unchanged.
Then again once a block route's evidence said the share of cases doing at least one of its
activities, in the log and on the route (`any_activity`; issue 26, BPIC 2012 W, where independent
branch points leave 13.8 % of the simulated cases empty): only that key was added, 1.0 and 1.0 in
every service of these logs; the scenarios unchanged.
Then again once fit warned of an office week fitted unlike the chosen calendar's (a limit in
working days counts the fitted week's days): the three generated logs, worked on weekends over
`weekdays`, gained that warning; the scenarios unchanged.
Then again once a weekday the chosen calendar rests but the log works became a rest day the
office opens (`office_hours.rest_days`: office time, not a working day), not a working day: the
three generated logs' Saturdays and Sundays are such days, so their warning is gone, their
periods count 30 working days, not 38 (warm-up from 2024-04-19), and their delays in working
days, which no longer count the weekends, are shorter (the supplement response 1.78 -> 1.47 wd);
the sample log is unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "scenarios" / "logs" / "loanapp-sample.csv"
FIXTURES = Path(__file__).resolve().parent / "data" / "fit-equivalence"
VARIANTS = ("generated", "generated-offset", "generated-completions")


def generated_log(path: Path, variant: str) -> Path:
    """A seeded log of two services over 13 weeks of weekdays: receipt, review (repeated in about
    a quarter of the cases, days later: a supplement loop), inspect or consult or neither (consult
    with no handler named), then a decision by one of five directors after a wait of an hour or
    more while that director is idle. `generated-offset` writes every timestamp with +08:00;
    `generated-completions` leaves the start column out (starts are then estimated)."""
    rng = np.random.default_rng(28)
    offset = "+08:00" if variant == "generated-offset" else ""
    starts = variant != "generated-completions"
    lines = [
        "case,service,activity,resource,role," + ("start_timestamp," if starts else "") + "end"
    ]

    def stamp(t: dt.datetime) -> str:
        return f"{t:%Y-%m-%dT%H:%M:%S}{offset}"

    def minutes(mean: float) -> dt.timedelta:
        return dt.timedelta(seconds=round(60 * rng.exponential(mean)))

    for k in range(320):
        week, weekday = divmod(k // 5, 5)
        at = dt.datetime(2024, 3, 4, 9) + dt.timedelta(days=7 * week + weekday, minutes=k % 5 * 70)
        service = "licence" if k % 4 == 0 else "permit"
        events = []
        end = at + minutes(8)
        events.append(("Receive", f"clerk-{k % 3}", "front", at, end))
        start = end + minutes(20)
        while True:
            end = start + minutes(35)
            events.append(("Review", f"officer-{k % 4}", "back", start, end))
            if rng.random() >= 0.25:
                break
            start = end + dt.timedelta(days=int(rng.integers(1, 4)))
        branch = rng.random()
        if branch < 0.35:
            start = end + minutes(30)
            end = start + minutes(50)
            events.append(("Inspect", f"inspector-{k % 2}", "field", start, end))
        elif branch < 0.6:
            start = end + minutes(60)
            end = start + minutes(25)
            events.append(("Consult", "", "", start, end))
        start = end + dt.timedelta(minutes=60) + minutes(30)
        events.append(("Decide", f"director-{k % 5}", "back", start, start + minutes(6)))
        for activity, resource, role, start, end in events:
            cells = [f"c{k:03d}", service, activity, resource, role]
            cells += [stamp(start), stamp(end)] if starts else [stamp(end)]
            lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read(log: str, folder: Path):
    """(events, calendar name) of the shipped sample or of a generated variant."""
    from slasim.calendar.workcalendar import load_calendar
    from slasim.fit.log import read_log

    if log == "sample":
        return read_log(SAMPLE, load_calendar("cn")), "cn"
    path = generated_log(folder / f"{log}.csv", log)
    return read_log(path, load_calendar("weekdays"), service="service"), "weekdays"


def fitted_text(log: str, folder: Path) -> str:
    """The fitted scenario as `fit` writes it (a fitted office calendar named as `fit --out` names
    it beside the scenario), then the evidence (less the log's path) and the warnings as JSON."""
    from slasim.fit.build import fit_log
    from slasim.fit.writer import scenario_yaml

    events, calendar = read(log, folder)
    fitted = fit_log(events, calendar, limit=None if log == "sample" else "5wd")
    data = dict(fitted.data)
    if fitted.office is not None:  # a calendar file in the cache folder: named by its content
        data["calendar"] = f"{log}-office.toml"
    evidence = {k: v for k, v in fitted.evidence.items() if k != "log"}
    return (
        scenario_yaml(data, fitted.comments, [f"fitted from {log}"])
        + "# evidence and warnings:\n"
        + json.dumps({"evidence": evidence, "warnings": fitted.warnings}, indent=1, sort_keys=True)
        + "\n"
    )


@pytest.mark.parametrize("log", ["sample", *VARIANTS])
def test_the_fit_writes_what_it_wrote_before_the_speed_up(log, tmp_path):
    expected = (FIXTURES / f"{log}.txt").read_text(encoding="utf-8")
    assert fitted_text(log, tmp_path) == expected


def test_the_generated_log_exercises_the_rewritten_paths(tmp_path):
    """The fixtures would prove little if the generated log had no loop, no idle wait, no second
    service or no estimated start: each is asserted from the fitted scenario itself."""
    text = (FIXTURES / "generated.txt").read_text(encoding="utf-8")
    assert "supplement:" in text and "step: decide-wait" in text
    assert "licence:" in text and "permit:" in text
    completions = (FIXTURES / "generated-completions.txt").read_text(encoding="utf-8")
    assert '"starts_estimated": 0' not in completions


# --- the per-case loops the speed-up replaced: the reference semantics ---------------------------


def reference_case_table(events, cases, cal) -> dict:
    order = np.lexsort((events.end, events.start))
    out: dict[str, list] = {}
    for i in order.tolist():
        case = events.case[i]
        if case not in cases or events.milestone[i]:
            continue
        row = out.get(case)
        if row is None:
            out[case] = [events.start[i], events.end[i], [events.activity[i]]]
        else:
            row[0] = min(row[0], events.start[i])
            row[1] = max(row[1], events.end[i])
            row[2].append(events.activity[i])
    keys = list(out)
    first = cal.to_business_array(np.array([out[c][0] for c in keys], dtype=np.float64))
    last = cal.to_business_array(np.array([out[c][1] for c in keys], dtype=np.float64))
    return {c: (float(a), float(b), "→".join(out[c][2])) for c, a, b in zip(keys, first, last)}


def reference_traces(events, cases) -> list[tuple]:
    by_case: dict[str, list[int]] = {}
    for i, (case, milestone) in enumerate(zip(events.case.tolist(), events.milestone.tolist())):
        if case in cases and not milestone:
            by_case.setdefault(case, []).append(i)
    out = []
    for case, rows in by_case.items():
        rows.sort(key=lambda i: (events.start[i], events.end[i]))
        out.append(
            (
                case,
                [events.activity[i] for i in rows],
                [float(events.start[i]) for i in rows],
                [float(events.end[i]) for i in rows],
            )
        )
    return out


def reference_activity_stats(traces: list[tuple]) -> tuple[dict, dict, dict]:
    cases: dict[str, set] = {}
    sums: dict[str, float] = {}
    spans: dict[str, dict] = {}
    for case, activities, starts, ends in traces:
        n = len(set(activities))  # positions: ranks among the case's distinct activities
        seen: set[str] = set()
        for k, act in enumerate(activities):
            if act in seen:
                continue
            rank = len(seen)
            seen.add(act)
            cases.setdefault(act, set()).add(case)
            sums[act] = sums.get(act, 0.0) + (rank / (n - 1) if n > 1 else 0.0)
            spans.setdefault(act, {})[case] = (starts[k], ends[k])
    return cases, {a: sums[a] / len(cases[a]) for a in cases}, spans


@pytest.mark.parametrize("log", ["sample", *VARIANTS])
def test_the_rewritten_steps_equal_the_loops_they_replaced(log, tmp_path):
    from slasim.calendar.workcalendar import load_calendar
    from slasim.fit.build import split_cases, trace_set
    from slasim.fit.discover import activity_stats
    from slasim.fit.drift import case_table

    events, calendar = read(log, tmp_path)
    cal = load_calendar(calendar)
    arrival, train, _, _ = split_cases(events, None, 0.7, cal)
    assert list(arrival) == list(dict.fromkeys(events.case.tolist()))
    assert list(arrival.values()) == [
        min(s for c, s in zip(events.case.tolist(), events.start.tolist()) if c == case)
        for case in arrival
    ]
    table = case_table(events, train, cal)
    expected = reference_case_table(events, train, cal)
    assert list(table.items()) == list(expected.items())
    traces = trace_set(events, train)
    listed = [(t.case, t.activities, t.starts, t.ends) for t in traces.as_list()]
    assert listed == reference_traces(events, train)
    stats = activity_stats(traces)
    cases, position, spans = reference_activity_stats(listed)
    assert list(stats.cases.items()) == list(cases.items())
    assert list(stats.position.items()) == list(position.items())
    for act, (where, starts, ends) in stats.spans.items():
        names = [traces.cases[k] for k in where.tolist()]
        assert dict(zip(names, zip(starts.tolist(), ends.tolist()))) == spans[act]


@pytest.mark.parametrize(
    "cells",
    [
        ["2024-03-04T09:00:00", "2024-03-04T09:00:01.250", "", "2024-03-05 17:30"],
        ["2024-03-04T09:00:00", "", "2024-03-04T10:15:00"],  # one length and empty cells
        [" 2024-03-04T09:00:00", "2024-03-04T10:00:00 "],  # spaces to strip
        ["2024-03-04T09:00:00Z", "2024-03-04T10:00:00Z"],
        ["2024-03-04T09:00:00+08:00", "2024-03-04T10:00:00-05:30", ""],
        ["2024-03-04", "2024-03-05"],  # dates alone: their midnights
    ],
)
def test_a_timestamp_column_read_at_once_equals_it_read_cell_by_cell(cells):
    from slasim.calendar.workcalendar import load_calendar
    from slasim.fit.log import TimeReader

    tz = load_calendar("cn").tz
    whole = TimeReader(tz, "log.csv").column(cells, "end")
    one = TimeReader(tz, "log.csv")
    each = np.array([one(text, row, "end") for row, text in enumerate(cells, start=2)])
    assert np.array_equal(whole, each, equal_nan=True)


if __name__ == "__main__":  # write the fixtures (with the code to compare against on the path)
    import tempfile

    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("sample", *VARIANTS):
            (target / f"{name}.txt").write_text(fitted_text(name, Path(tmp)), encoding="utf-8")
