"""The legal clock: pauses, extensions, acceptance rules (Art. 32) — properties and worked cases."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from slasim.calendar.units import datetime_to_minutes as m
from slasim.clock.acceptance import AcceptanceRule, resolve_acceptance
from slasim.clock.case_clock import Clock, ClockBatch, Pause, merge_intervals
from slasim.clock.deadline import compute_deadline
from slasim.clock.limits import Limit

D = dt.date
DT = dt.datetime
BASE = m(DT(2025, 3, 3, 9, 0))  # a Monday opening, far from holidays' edge effects

pause_strategy = st.lists(
    st.tuples(st.floats(0, 60 * 1440), st.floats(1, 20 * 1440)).map(
        lambda t: (BASE + t[0], BASE + t[0] + t[1])
    ),
    max_size=5,
)


def clock(cal, pauses, limit="20wd", accepted=BASE, **kw):
    return Clock(cal, accepted, Limit.parse(limit), pauses=[Pause(a, b) for a, b in pauses], **kw)


def test_merge_intervals_counts_overlap_once():
    starts = np.array([[5.0, 1.0, 2.0, np.nan]])
    ends = np.array([[7.0, 3.0, 4.0, np.nan]])
    piece_start, length = merge_intervals(starts, ends, np.array([0.0]))
    assert length.sum() == pytest.approx(5.0)  # [1,4) and [5,7)
    _, clipped = merge_intervals(starts, ends, np.array([2.5]))
    assert clipped.sum() == pytest.approx(3.5)  # [2.5,4) and [5,7)


@given(pauses=pause_strategy, extra=pause_strategy)
@example(pauses=[], extra=[(BASE + 1440, BASE + 3 * 1440)])
def test_a_pause_never_makes_the_due_date_earlier(cn, pauses, extra):
    assert clock(cn, pauses + extra).due() >= clock(cn, pauses).due()


@given(pauses=pause_strategy)
@example(pauses=[(29050170.0, 29050171.0)])  # a 1-minute pause: the halves must stay inside it
def test_overlapping_pauses_are_excluded_once(cn, pauses):
    """Duplicating every pause, or splitting each in two overlapping halves, changes nothing."""
    base = clock(cn, pauses).due()
    assert clock(cn, pauses + pauses).due() == pytest.approx(base)
    halves = [
        p for a, b in pauses for p in ((a, min(b, (a + b) / 2 + 1)), (max(a, (a + b) / 2 - 1), b))
    ]
    assert clock(cn, halves).due() == pytest.approx(base)


@given(pauses=pause_strategy, probe=st.floats(0, 80 * 1440))
def test_elapsed_plus_remaining_is_the_limit_and_elapsed_is_monotone(cn, pauses, probe):
    c = clock(cn, pauses)
    t = BASE + probe
    assert c.elapsed(t) + c.remaining(t) == pytest.approx(20.0)
    assert c.elapsed(t + 600) >= c.elapsed(t) - 1e-9
    assert c.elapsed(c.due()) == pytest.approx(20.0)


@given(pauses=pause_strategy)
def test_due_matches_a_day_by_day_oracle_for_whole_day_pauses(cn, pauses):
    """Whole-day pauses: count working days one by one, skipping paused ones."""
    days = [
        (int((a - 1) // 1440) + 1, int(b // 1440)) for a, b in pauses
    ]  # whole days inside [a, b)
    paused = {d for a, b in days for d in range(a, b)}
    whole = [(d0 * 1440.0, d1 * 1440.0) for d0, d1 in days if d1 > d0]
    epoch = D(1970, 1, 1)
    day = D(2025, 3, 3)
    n = 0
    while n < 20:
        day += dt.timedelta(days=1)
        if cn.is_working_day(day) and (day - epoch).days not in paused:
            n += 1
    assert clock(cn, whole).due() == m(DT.combine(day, dt.time(17, 30)))


def test_pause_after_due_does_not_move_it(cn):
    due = clock(cn, []).due()
    assert clock(cn, [(due, due + 5 * 1440)]).due() == due
    assert clock(cn, [(due - 60, due + 5 * 1440)]).due() > due


def test_open_pause_holds_the_clock(cn):
    c = Clock(cn, BASE, Limit.parse("20wd"), pauses=[Pause(BASE + 1440, np.inf, "suspension")])
    assert c.due() == np.inf and c.state(BASE + 3 * 1440) == "paused (suspension)"


def test_states(cn):
    c = clock(cn, [(m(DT(2025, 3, 10)), m(DT(2025, 3, 12)))], stopped=m(DT(2025, 4, 30, 10)))
    assert c.state(BASE - 60) == "pending"
    assert c.state(m(DT(2025, 3, 5, 10))) == "running"
    assert c.state(m(DT(2025, 3, 11, 10))) == "paused (special_procedure)"
    assert c.state(m(DT(2025, 4, 30, 9))) == "overdue"
    assert c.state(m(DT(2025, 4, 30, 11))) == "stopped"


def test_extension_and_caps():
    base = compute_deadline("20wd", accepted=D(2025, 9, 26), extensions=["10wd"])
    assert base.due_date == "2025-11-13"
    capped = compute_deadline("20wd", accepted=D(2025, 9, 26), extensions=["15wd"], explain=True)
    assert capped.due_date == "2025-11-13"
    assert any("capped" in r for r in capped.explanation["rules"])


def test_acceptance_rules(cn):
    rule = AcceptanceRule()
    received = m(DT(2025, 11, 3, 10))
    timely = resolve_acceptance(
        cn,
        received=received,
        notice=m(DT(2025, 11, 5, 9)),
        resubmitted=m(DT(2025, 11, 10, 10)),
        rule=rule,
    )
    assert timely.accepted == m(DT(2025, 11, 10, 10)) and not timely.pauses
    late = resolve_acceptance(cn, received=received, notice=m(DT(2025, 11, 11, 9)), rule=rule)
    assert late.accepted == received and "deemed accepted on receipt" in late.notes[-1]
    pending = resolve_acceptance(cn, received=received, notice=m(DT(2025, 11, 4, 9)), rule=rule)
    assert pending.accepted is None
    resume = resolve_acceptance(
        cn,
        received=received,
        notice=m(DT(2025, 11, 5, 9)),
        resubmitted=m(DT(2025, 11, 10, 9)),
        rule=AcceptanceRule(mode="resume"),
    )
    assert resume.accepted == received and resume.pauses[0].kind == "supplement"
    weekend = resolve_acceptance(cn, accepted=m(DT(2025, 11, 8, 10)))  # a Saturday
    assert weekend.accepted == m(DT(2025, 11, 10, 9))


def test_vectorized_batch_equals_scalar_clocks(cn):
    rng = np.random.default_rng(1)
    n = 200
    accepted = BASE + rng.uniform(0, 200 * 1440, n)
    accepted = cn.to_wall_array(cn.to_business_array(accepted), side="right")
    starts = accepted[:, None] + rng.uniform(0, 30 * 1440, (n, 3))
    pauses = np.stack([starts, starts + rng.uniform(60, 10 * 1440, (n, 3))], axis=-1)
    pauses[rng.random((n, 3)) < 0.4] = np.nan
    limits = rng.integers(1, 40, n).astype(float)
    batch = ClockBatch(cn, "wd", accepted, limits, pauses=pauses)
    due = batch.due()
    for i in range(0, n, 7):
        ps = [Pause(a, b) for a, b in pauses[i] if not np.isnan(a)]
        assert due[i] == Clock(cn, accepted[i], Limit(limits[i], "wd"), pauses=ps).due()
