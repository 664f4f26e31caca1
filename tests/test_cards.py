"""Card ladders: presets as data, rung semantics, monotone levels on open cases."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from slasim.calendar.units import datetime_to_minutes as m
from slasim.clock.cards import LEVELS, crossings, level_at, parse_ladder, presets
from slasim.clock.case_clock import ClockBatch
from slasim.io.errors import SlasimError

ACCEPTED = m(dt.datetime(2025, 9, 26, 9, 0))


def batch(cal, limit=20.0, pauses=None, stopped=np.inf):
    p = None if pauses is None else np.array([pauses], dtype=float).reshape(1, -1, 2)
    return ClockBatch(
        cal, "wd", np.array([ACCEPTED]), np.array([limit]), pauses=p, stopped=np.array([stopped])
    )


def test_presets_are_loaded_from_data():
    names = set(presets())
    assert {"warn-before", "escalate-after"} <= names
    rungs = presets()["warn-before"].rungs
    assert rungs[0].share == 0.9 and rungs[0].level == "yellow" and rungs[1].past


def test_warn_before_on_national_day_case(cn):
    ladder = parse_ladder("warn-before")
    c = batch(cn)
    cross = crossings(ladder, {"promised": c, "legal": c})
    # 90 % of 20 WD = 18 WD: close of day 18 (2025-10-28); red strictly after close of 10-30.
    assert cross[0, 0] == m(dt.datetime(2025, 10, 28, 17, 30))
    assert cross[0, 1] == m(dt.datetime(2025, 10, 30, 17, 30))
    level = lambda t: LEVELS[level_at(ladder, cross, m(t))[0]]  # noqa: E731
    assert level(dt.datetime(2025, 10, 28, 17, 0)) == "green"
    assert level(dt.datetime(2025, 10, 29, 9, 0)) == "yellow"
    assert level(dt.datetime(2025, 10, 30, 17, 30)) == "yellow"
    assert level(dt.datetime(2025, 10, 31, 9, 0)) == "red"


def test_hour_offset_before_due(cn):
    ladder = parse_ladder([{"level": "orange", "reference": "legal", "at": "-4wh"}])
    c = batch(cn)
    # 4 office hours before 17:30 on 10-30 is reached at the lunch break: from 12:00 on, only 4
    # office
    # hours remain (13:30–17:30); the rung fires at the earliest such instant.
    assert crossings(ladder, {"legal": c})[0, 0] == m(dt.datetime(2025, 10, 30, 12, 0))


def test_decided_case_freezes(cn):
    ladder = parse_ladder("warn-before")
    c = batch(cn, stopped=m(dt.datetime(2025, 10, 29, 10, 0)))
    cross = crossings(ladder, {"promised": c, "legal": c})
    assert np.isfinite(cross[0, 0]) and np.isinf(cross[0, 1])
    assert LEVELS[level_at(ladder, cross, m(dt.datetime(2026, 1, 1)))[0]] == "yellow"


@given(
    pauses=st.lists(st.tuples(st.floats(0, 40 * 1440), st.floats(60, 8 * 1440)), max_size=4),
    times=st.lists(st.floats(0, 90 * 1440), min_size=2, max_size=8),
    preset=st.sampled_from(
        ["warn-before", "escalate-after", "remind-then-escalate", "warn-day-before"]
    ),
)
def test_level_never_goes_down_on_an_open_case(cn, pauses, times, preset):
    ladder = parse_ladder(preset)
    c = batch(cn, pauses=[(ACCEPTED + a, ACCEPTED + a + d) for a, d in pauses] or None)
    cross = crossings(ladder, {"promised": c, "legal": c})
    levels = [level_at(ladder, cross, ACCEPTED + t)[0] for t in sorted(times)]
    assert levels == sorted(levels)


@pytest.mark.parametrize(
    "data, message",
    [
        ([{"level": "purple", "at": "90%"}], "level"),
        ([{"level": "red", "at": "soon"}], "not a time limit"),
        ([{"level": "red", "at": "90%", "reference": "moral"}], "reference"),
        ([], "non-empty"),
        ("no-such-preset", "unknown card ladder"),
    ],
)
def test_bad_ladders(data, message):
    with pytest.raises(SlasimError, match=message):
        parse_ladder(data)
