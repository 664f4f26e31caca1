"""Event logs: pm4py reads the XES; cases, activities, resources and card events are the hand-worked ones."""

from __future__ import annotations

import copy
import csv

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slasim.scenario.schema import Scenario
from slasim.sim.runner import run_scenario

from .helpers import HAND_WORKED

pm4py = pytest.importorskip("pm4py")


def test_event_log_of_the_hand_worked_centre(tmp_path):
    data = copy.deepcopy(HAND_WORKED)
    path = tmp_path / "events" / "log.csv"
    run_scenario(Scenario.model_validate(data), event_log=path)
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_activity: dict[str, set] = {}
    for row in rows:
        by_activity.setdefault(
            row["activity"] + ("" if row["lifecycle"] == "complete" else "/start"), set()
        ).add(row["case_id"])
    cases = {f"licence-{k}" for k in range(5)}
    assert by_activity["received"] == by_activity["accepted"] == cases
    assert by_activity["handle/start"] == cases - {
        "licence-4"
    }  # the last case never reaches the desk
    assert by_activity["handle"] == cases - {
        "licence-3",
        "licence-4",
    }  # case 3 is still at it at the end
    assert by_activity["decided"] == {"licence-0", "licence-1", "licence-2"}
    assert by_activity["yellow card"] == {"licence-0", "licence-1", "licence-2", "licence-3"}
    assert by_activity["red card"] == {"licence-1", "licence-2"}
    first = {(r["case_id"], r["activity"], r["lifecycle"]): r["timestamp"] for r in rows}
    assert first[("licence-0", "received", "complete")] == "2025-03-03T14:00:00"
    assert (
        first[("licence-0", "handle", "complete")] == "2025-03-04T17:00:00"
    )  # 600 office minutes later
    assert first[("licence-0", "yellow card", "complete")] == "2025-03-04T16:48:00"  # 90% of 1 WD
    assert first[("licence-1", "handle", "start")] == "2025-03-04T17:00:00"

    log = pm4py.read_xes(str(path.with_suffix(".xes")))
    assert log["case:concept:name"].nunique() == 5
    assert {"received", "accepted", "handle", "decided", "yellow card", "red card"} <= set(
        log["concept:name"]
    )
    assert set(log["org:resource"].dropna()) == {"desk#0"}  # one clerk: handler number 0
    assert set(log["org:role"].dropna()) == {"desk"}
    assert not list(path.parent.glob(".*.tmp"))  # nothing half-written left behind


def test_every_timestamp_of_an_event_log_has_one_format(tmp_path):
    """Seconds on every row, even where work ends off the minute (exponential work): one pattern
    parses the column (pandas' inferred format failed on a mix of HH:MM and HH:MM:SS)."""
    import re

    data = copy.deepcopy(HAND_WORKED)
    data["services"]["licence"]["steps"][0]["work"] = {"exponential": 333.3}
    data["services"]["licence"]["arrivals"] = {"per_day": 3}
    path = tmp_path / "log.csv"
    run_scenario(Scenario.model_validate(data), event_log=path)
    with open(path, encoding="utf-8") as handle:
        stamps = [row["timestamp"] for row in csv.DictReader(handle)]
    assert len(stamps) > 20
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", s) for s in stamps)
    assert any(not s.endswith(":00") for s in stamps)  # off-minute instants are in the log


def test_a_case_log_reads_utc_offsets_as_deadline_and_check_files_do(tmp_path):
    """The same instant written with Z, +08:00 and -12:00 (and as Shanghai wall time) is one
    instant in a case log, as in `deadline` and check files: 18:00 in Shanghai."""
    import datetime as dt

    from slasim.calendar.units import datetime_to_minutes
    from slasim.calendar.workcalendar import load_calendar
    from slasim.fit.log import TimeReader

    tz = load_calendar("cn").tz
    expected = datetime_to_minutes(dt.datetime(2025, 9, 26, 18, 0), tz)
    for text in ("2025-09-26T10:00:00Z", "2025-09-26 18:00:00+08:00", "2025-09-25T22:00-12:00"):
        assert TimeReader(tz, "log.csv")(text, 1, "time") == expected
    assert TimeReader(tz, "log.csv")("2025-09-26 18:00", 1, "time") == expected


def _steps_in_order(path):
    """(case, activity) → list of [start, complete] timestamps, in the log's order."""
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    spans: dict[tuple, list] = {}
    for row in rows:
        key = (row["case_id"], row["activity"])
        if row["lifecycle"] == "start":
            spans.setdefault(key, []).append([row["timestamp"], None])
        elif key in spans and row["activity"] not in ("received", "accepted", "decided"):
            open_spans = [s for s in spans[key] if s[1] is None]
            if open_spans:
                open_spans[0][1] = row["timestamp"]
    return spans


def test_a_step_that_takes_no_time_at_a_day_boundary_completes_where_it_starts(tmp_path):
    """Receipt at 14:00, 210 office minutes of work end at the 17:30 close; the next step takes no
    time. It starts at the next opening (09:00) and completes there, not at the close before."""
    data = copy.deepcopy(HAND_WORKED)
    data["services"]["licence"]["steps"] = [
        {"step": "handle", "department": "desk", "work": {"fixed": 210}},
        {"step": "stamp", "department": "desk", "work": {"fixed": 0}},
    ]
    path = tmp_path / "log.csv"
    run_scenario(Scenario.model_validate(data), event_log=path)
    spans = _steps_in_order(path)
    assert spans[("licence-0", "handle")] == [["2025-03-03T14:00:00", "2025-03-03T17:30:00"]]
    assert spans[("licence-0", "stamp")] == [["2025-03-04T09:00:00", "2025-03-04T09:00:00"]]


@settings(max_examples=25, deadline=None)
@given(
    works=st.lists(st.sampled_from([0, 0, 105, 210, 420, 630]), min_size=2, max_size=4),
    per_day=st.integers(1, 4),
    staff=st.integers(1, 2),
    pattern=st.sampled_from(["even", "poisson"]),
)
def test_no_step_completes_before_it_starts(works, per_day, staff, pattern):
    """Random centres whose fixed work (multiples of half an afternoon) and zero-length steps put
    starts and completions on day boundaries: every step's completion is at or after its start."""
    import tempfile
    from pathlib import Path

    data = copy.deepcopy(HAND_WORKED)
    data["departments"]["desk"]["staff"] = staff
    data["services"]["licence"]["arrivals"] = {"per_day": per_day, "pattern": pattern}
    data["services"]["licence"]["steps"] = [
        {"step": f"s{k}", "department": "desk", "work": {"fixed": w}} for k, w in enumerate(works)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.csv"
        run_scenario(Scenario.model_validate(data), event_log=path, replications=2)
        spans = _steps_in_order(path)
    assert spans
    for key, visits in spans.items():
        for start, complete in visits:
            assert complete is None or start <= complete, (key, start, complete)
