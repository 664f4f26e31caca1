"""The field's measures (slasim.evaluation.measures): identical logs give 0, hand-worked tiny logs
give their worked distances, and the ten AgentSimulator LoanApp logs committed with its repository,
scored against the published test split, give the check values two independent scorers agree on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from slasim.evaluation.frame import read_frame
from slasim.evaluation.measures import FIELD, score
from slasim.io.errors import SlasimError

DATA = Path(__file__).parent / "data" / "loanapp-published"
# Mean over the ten logs and ddof-0 standard deviation (the field's ANCHORS check values).
CHECK = {
    "cycle_time": (1.5945, 0.609),
    "ngram3": (0.0797, 0.0178),
    "circadian_events": (0.2214, 0.0252),
    "absolute_events": (2.9714, 0.7548),
    "relative_events": (1.3813, 0.522),
}


def log(rows) -> pd.DataFrame:
    """A frame from (case, activity, start, end) with times as 'YYYY-MM-DD HH:MM' in UTC."""
    frame = pd.DataFrame(rows, columns=["case_id", "activity", "start_time", "end_time"])
    frame["resource"] = "r"
    for c in ("start_time", "end_time"):
        frame[c] = pd.to_datetime(frame[c], utc=True)
    return frame


def test_the_published_loanapp_check_values_within_half_a_percent():
    test = read_frame(DATA / "test.csv.gz").events
    scores = [score(test, read_frame(DATA / f"agentsim_sim_{i}.csv.gz").events) for i in range(10)]
    for name, (mean, sd) in CHECK.items():
        values = np.array([s[name] for s in scores])
        assert values.mean() == pytest.approx(mean, rel=0.005), name
        assert values.std() == pytest.approx(sd, rel=0.005), name


def test_identical_logs_give_zero():
    a = log(
        [
            ("1", "A", "2024-01-01 09:00", "2024-01-01 10:00"),
            ("1", "B", "2024-01-01 10:00", "2024-01-01 12:30"),
            ("2", "A", "2024-01-02 09:00", "2024-01-02 09:30"),
        ]
    )
    assert all(v == 0 for v in score(a, a.copy()).values())


def test_hand_worked_distances():
    # One case each, same route; the simulated one starts 2 h later and lasts 3 h longer.
    real = log([("1", "A", "2024-01-01 09:00", "2024-01-01 10:00")])
    sim = log([("9", "A", "2024-01-01 11:00", "2024-01-01 15:00")])
    got = score(real, sim)
    assert got["cycle_time"] == pytest.approx(3.0)  # 1 h against 4 h
    assert got["case_arrivals"] == pytest.approx(2.0)  # 09:00 against 11:00
    # starts 9→11 (2 h), ends 10→15 (5 h): mean shift 3.5 h
    assert got["absolute_events"] == pytest.approx(3.5)
    # relative to the case start: starts 0→0, ends 1→4: mean 1.5 h
    assert got["relative_events"] == pytest.approx(1.5)
    assert got["ngram3"] == 0


def test_ngram_sees_order():
    real = log(
        [
            ("1", "A", "2024-01-01 09:00", "2024-01-01 10:00"),
            ("1", "B", "2024-01-01 10:00", "2024-01-01 11:00"),
        ]
    )
    swapped = log(
        [
            ("1", "B", "2024-01-01 09:00", "2024-01-01 10:00"),
            ("1", "A", "2024-01-01 10:00", "2024-01-01 11:00"),
        ]
    )
    assert FIELD["ngram3"][0](real, swapped) == 1.0  # no 3-gram in common


def test_bad_logs_give_one_located_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("case_id,activity,start_time,end_time\n1,A,2024-01-01T09:00,yesterday\n")
    with pytest.raises(SlasimError, match=r"bad\.csv: end_time: line 2: not a timestamp"):
        read_frame(path)
    # a blank line and a quoted field over two lines: the file's line, not pandas' row + 2 (3)
    path.write_text(
        "case_id,activity,start_time,end_time\n1,A,2024-01-01T09:00,2024-01-01T10:00\n\n"
        '2,"B\nC",2024-01-01T09:00,soon\n'
    )
    with pytest.raises(SlasimError, match="line 4: not a timestamp: 'soon'"):
        read_frame(path)
    path.write_text("case,what,start_time,end_time\n1,A,2024-01-01T09:00,2024-01-01T10:00\n")
    with pytest.raises(SlasimError, match="no activity column"):
        read_frame(path)
    path.write_text("case_id,activity,start_time,end_time\n1,A,2024-01-01T10:00,2024-01-01T09:00\n")
    with pytest.raises(SlasimError, match="line 2: ends before it starts"):
        read_frame(path)


def test_fit_and_fidelity_find_log_columns_alike(tmp_path):
    """One list of column names: `timestamp` is an end column for both, and where a log has both
    `case_id` and `case:concept:name` both take the same one (the pm4py name first)."""
    from slasim.calendar.workcalendar import load_calendar
    from slasim.fit.log import read_log

    path = tmp_path / "log.csv"
    path.write_text(
        "case_id,case:concept:name,activity,start,timestamp,resource\n"
        "a,1,A,2024-01-08T09:00,2024-01-08T10:00,r\n"
        "b,2,A,2024-01-08T11:00,2024-01-08T12:30,r\n"
    )
    frame = read_frame(path)
    assert list(frame.events.case_id) == ["1", "2"]
    assert list(frame.events.end_time.dt.hour) == [10, 12]
    events = read_log(path, load_calendar("weekdays"))
    assert list(events.case) == ["1", "2"]
