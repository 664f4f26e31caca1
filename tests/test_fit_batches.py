"""Batch releases fitted from a log (`slasim.fit.batches`): a known scenario with a twice-weekly
committee and a daily signing round simulated to an event log and fitted back (round trip); a
release worked out by hand, its evidence checked against SciPy's binomial tail; steps that do not
batch (no clock time, a rush hour, a fixed delay after a release, the opening) give None."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy import stats

from slasim.calendar.units import MINUTES_PER_DAY, date_to_day
from slasim.calendar.workcalendar import load_calendar
from slasim.fit.batches import fit_batches, left_step, step_batch
from slasim.fit.log import Events, read_log
from slasim.scenario.schema import Scenario
from slasim.sim.runner import run_scenario

COMMITTEE = {"days": ["tue", "thu"], "at": "14:00"}
SIGNING = {"at": "16:30"}
PANEL = {"days": ["wed"], "at": "10:30"}
KNOWN = {
    "name": "batched",
    "calendar": "weekdays",  # 09:00-17:00, Monday to Friday
    "start": "2024-01-08",
    "working_days": 40,
    "warmup_days": 1,
    "seed": 3,
    "departments": {"intake": {"staff": 2}, "review": {"staff": 2}, "decision": {"staff": 2}},
    "services": {
        "permit": {
            "limits": "10wd",
            "acceptance": "receipt",
            "arrivals": {"per_day": 10},
            "steps": [
                {"step": "intake", "department": "intake", "work": {"exponential": 20}},
                {
                    "step": "committee",
                    "department": "review",
                    "work": {"fixed": 15},
                    "batch": COMMITTEE,
                },
                {"step": "notify", "delay": {"fixed": 1, "unit": "h"}},
            ],
        },
        "certificate": {
            "limits": "5wd",
            "acceptance": "receipt",
            "arrivals": {"per_day": 6},
            "steps": [
                {"step": "check", "department": "intake", "work": {"exponential": 10}},
                {"step": "sign", "department": "review", "work": {"fixed": 5}, "batch": SIGNING},
            ],
        },
        "licence": {  # a weekly panel, then a desk whose queue spreads each release's cases
            "limits": "10wd",
            "acceptance": "receipt",
            "arrivals": {"per_day": 8},
            "steps": [
                {"step": "file", "department": "intake", "work": {"exponential": 10}},
                {"step": "panel", "department": "review", "work": {"fixed": 10}, "batch": PANEL},
                {"step": "decide", "department": "decision", "work": {"fixed": 5}},
            ],
        },
    },
}


@pytest.fixture(scope="module")
def known_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("batched") / "events.csv"
    run_scenario(Scenario.model_validate(KNOWN), replications=1, event_log=path, workers=1)
    return path


@pytest.fixture(scope="module")
def known(known_csv):
    cal = load_calendar("weekdays")
    return read_log(known_csv, cal), cal


def fitted(events: Events, cal, activity: str) -> dict | None:
    rows = np.flatnonzero((events.activity == activity) & ~events.milestone)
    assert len(rows) > 50  # the step was simulated
    ends, starts = events.end[rows], events.start[rows]
    steps = set(events.activity[~events.milestone].tolist()) - {activity}
    others = [events.end[events.activity == other] for other in sorted(steps)]
    return fit_batches(ends, cal, moved_on=left_step(events, rows), starts=starts, others=others)


def test_round_trip_recovers_the_committee_and_the_signing_round(known):
    events, cal = known
    committee = fitted(events, cal, "committee")
    # The event log writes the committee's work when it is done; the case moves on (to the
    # delay, which starts at once) at the release: seen at the next events.
    assert committee["batch"] == COMMITTEE
    assert committee["evidence"]["seen_at"] == "next events"
    # 8 weeks: Tue and Thu of weeks 1-8 (the first, Tue 9 January, holds Monday's cases).
    assert committee["evidence"]["releases"] == 16
    # The signing round is the certificate's last step: its decision is at the release.
    sign = fitted(events, cal, "sign")
    assert sign["batch"] == SIGNING and sign["evidence"]["days"] == []
    assert "released in batches at 16:30 on every working day" in sign["note"]
    # The panel's cases (40 a week) start at the decision desk (2 staff, 5 minutes each) from
    # 10:30 on: seen in the waits, none moved on before a release.
    panel = fitted(events, cal, "panel")
    assert panel["batch"] == PANEL
    assert panel["evidence"]["seen_at"] == "waits" and panel["evidence"]["share"] == 1.0


def test_steps_that_do_not_batch_give_none(known):
    events, cal = known
    assert fitted(events, cal, "intake") is None
    assert fitted(events, cal, "check") is None
    # The delay after the committee starts at its releases and ends an hour later, together:
    # its starts batch, so the batch belongs to the step before it.
    assert fitted(events, cal, "notify") is None
    assert fitted(events, cal, "file") is None
    assert fitted(events, cal, "decide") is None  # its starts come in bursts after the panel


def at(day: str, clock: str) -> float:
    """Wall minutes of a day's clock time."""
    hours, minutes = clock.split(":")
    return (
        date_to_day(dt.date.fromisoformat(day)) * MINUTES_PER_DAY + int(hours) * 60 + int(minutes)
    )


# Six Wednesdays (10 January to 14 February 2024) with cases released at 10:00 (four each,
# recorded 10:00, 10:00, 10:02, 10:05), and six other completions far from 10:00 on Mondays.
WEDNESDAYS = [f"2024-01-{d:02d}" for d in (10, 17, 24, 31)] + ["2024-02-07", "2024-02-14"]
MONDAYS = [f"2024-01-{d:02d}" for d in (8, 15, 22, 29)] + ["2024-02-05", "2024-02-12"]
RELEASED = [at(d, c) for d in WEDNESDAYS for c in ("10:00", "10:00", "10:02", "10:05")]
OTHERS = [at(d, "15:17") for d in MONDAYS]


def test_a_weekly_release_worked_out_by_hand():
    cal = load_calendar("weekdays")
    found = fit_batches(np.array(RELEASED + OTHERS), cal)
    assert found["batch"] == {"days": ["wed"], "at": "10:00"}
    evidence = found["evidence"]
    assert evidence["releases"] == 6 and evidence["cases"] == 30
    assert evidence["batch_sizes"] == {"median": 4.0, "q1": 4.0, "q3": 4.0, "max": 4}
    assert evidence["share"] == pytest.approx(24 / 30)
    assert evidence["uniform_share"] == pytest.approx(10 / 480, abs=1e-4)  # 10 of 480 minutes
    assert evidence["spike"] == 24  # nothing in the hour either side
    # 24 or more of 30 in a window holding 10/480 of office time, over 1,440 candidate minutes
    tail = stats.binom.logsf(23, 30, 10 / 480) / math.log(10) + math.log10(1440)
    assert evidence["log10_p"] == pytest.approx(tail, abs=0.05)
    assert found["note"] == (
        "released in batches at 10:00 on Wed (seen at the step's completions): 80% of 30 cases "
        "within 10 min after one of 6 releases, against 2.1% for a uniform spread over office "
        f"hours (binomial p 1e{evidence['log10_p']:.0f}; 24 times the hour either side); cases per release: "
        "median 4, quartiles 4-4"
    )


def test_no_clock_time_no_batch():
    cal = load_calendar("weekdays")
    dates = np.floor(np.array(RELEASED + OTHERS) / MINUTES_PER_DAY) * MINUTES_PER_DAY
    assert fit_batches(dates, cal) is None  # a dated log
    # The same releases at the opening (09:00): cases done overnight move on there anyway.
    opening = np.array(RELEASED + OTHERS) - 60
    assert fit_batches(opening, cal) is None


def test_a_rush_hour_is_not_a_batch():
    # 40 working days of 30 completions: 20 in a rush around 11:00 (sd 15 min), 10 spread over
    # the day. Half the completions or more fall within an hour of 11:00, none of 10 minutes
    # holds half of them, and the window stands barely above the minutes around it.
    cal = load_calendar("weekdays")
    rng = np.random.default_rng(5)
    days = cal.work_days[cal.work_days >= date_to_day(dt.date(2024, 1, 8))][:40]
    rush = 11 * 60 + rng.normal(0, 15, (40, 20))
    spread = rng.uniform(9 * 60, 17 * 60, (40, 10))
    t = (days[:, None] * MINUTES_PER_DAY + np.hstack([rush, spread])).ravel()
    assert fit_batches(t, cal) is None
    assert fit_batches(rng.uniform(0, 1, 2000) * 40 * MINUTES_PER_DAY + t.min(), cal) is None


def test_left_step_takes_the_next_step_or_the_decision():
    # Case a: step x ends 10:00, y starts 14:00 (the release), z later. Case b: x is the last
    # step, decided at 16:30. Case c: x ends, nothing follows: its own end.
    def m(clock):
        return at("2024-01-09", clock)

    events = Events(
        "log",
        np.array(["a", "a", "a", "b", "b", "c"], dtype=object),
        np.array(["x", "y", "z", "x", "decided", "x"], dtype=object),
        np.array([""] * 6, dtype=object),
        np.array([""] * 6, dtype=object),
        np.array([""] * 6, dtype=object),
        np.array([m("09:00"), m("14:00"), m("15:00"), m("09:30"), m("16:30"), m("11:00")]),
        np.array([m("10:00"), m("14:30"), m("15:10"), m("09:40"), m("16:30"), m("11:30")]),
        np.array([False, False, False, False, True, False]),
    )
    rows = np.array([0, 3, 5])
    assert left_step(events, rows).tolist() == [m("14:00"), m("16:30"), m("11:30")]


def test_a_clock_time_where_the_log_stamps_many_activities_is_not_a_release():
    # The same releases, and three other activities of four with most completions at 10:00-10:09
    # too (the log's own stamps): no batch. One such activity of four (a step released with it)
    # leaves the batch standing.
    cal = load_calendar("weekdays")
    t = np.array(RELEASED + OTHERS)
    stamped = np.array(RELEASED[::2])  # 12 instants at 10:00 and 10:02
    spread = np.array(OTHERS + OTHERS)
    assert fit_batches(t, cal, others=[stamped, stamped, stamped, spread]) is None
    found = fit_batches(t, cal, others=[stamped, spread, spread, spread])
    assert found["batch"] == {"days": ["wed"], "at": "10:00"}


# Six weeks of a Wednesday 10:30 release seen in the waits: five cases a week done Thu 11:00,
# Fri 13:20, Mon 15:10, Tue 10:05 and Wed 09:30, moving on at 10:30, 10:35, 10:40, 10:45 and
# 10:50 (a queue at the next desk). Office minutes waited on 09:00-17:00 days: 360 + 3 x 480 + 90
# = 1890; 220 + 2 x 480 + 95 = 1275; 110 + 480 + 100 = 690; 415 + 105 = 520; 80: median 690.
# Lags after the release 0, 5, 10, 15, 20: median 10.
DONE = (("2024-01-04", "11:00"), ("2024-01-05", "13:20"), ("2024-01-08", "15:10"))
DONE += (("2024-01-09", "10:05"), ("2024-01-10", "09:30"))
WEEK = 7 * MINUTES_PER_DAY
WAIT_ENDS = np.array([at(d, c) + k * WEEK for k in range(6) for d, c in DONE])
MOVED = np.array([at("2024-01-10", "10:30") + k * WEEK + 5 * j for k in range(6) for j in range(5)])


def test_a_release_spread_by_the_next_queue_worked_out_by_hand():
    cal = load_calendar("weekdays")
    found = fit_batches(WAIT_ENDS, cal, moved_on=MOVED)
    assert found["batch"] == {"days": ["wed"], "at": "10:30"}
    evidence = found["evidence"]
    assert evidence["seen_at"] == "waits" and evidence["releases"] == 6
    assert evidence["share"] == 1.0 and evidence["share_an_hour_later"] == 0.0
    assert evidence["lag_median_minutes"] == 10 and evidence["wait_median_minutes"] == 690
    assert evidence["batch_sizes"]["median"] == 5
    assert found["note"] == (
        "released in batches at 10:30 on Wed (seen in the waits): 100% of 30 cases moved on "
        "only after one of 6 releases (0% with the release an hour later), a median 10 office "
        "minutes after it against a median wait of 690; cases per release: median 5, "
        "quartiles 5-5"
    )


def test_long_waits_are_not_a_release():
    # The same cases moving on a week later (Wednesday 10:30 on, in a queue): each day's first
    # move is still at 10:30 and every case waited past one, but so it did past 11:30 (the
    # release an hour later holds as many), and the lag after the release (a week: 2,400 office
    # minutes and more) is most of the wait, not a queue's.
    cal = load_calendar("weekdays")
    assert fit_batches(WAIT_ENDS, cal, moved_on=MOVED + WEEK) is None
    # Or moving on at the opening (09:00) of the next Wednesday, in a queue: no release there.
    assert fit_batches(WAIT_ENDS, cal, moved_on=MOVED - 90) is None


def test_what_the_fit_needs_from_a_batched_step(known):
    events, cal = known
    code, names = events.codes("activity")
    rows_of = {a: np.flatnonzero((code == k) & ~events.milestone) for k, a in enumerate(names)}
    rows_of = {a: r for a, r in rows_of.items() if len(r)}
    for step, after in (("committee", "notify"), ("panel", "decide")):
        found = step_batch(events, rows_of, cal, step)
        # the wait before the next step is the release's: those rows are the next step's
        assert set(events.activity[found["explains"]].tolist()) == {after}
        assert len(found["explains"]) == len(rows_of[after]) and found["work"] is None
    assert step_batch(events, rows_of, cal, "intake") is None


def test_a_release_at_the_step_s_own_completion_leaves_the_work_before_it():
    # A Wednesday 10:30 meeting logged as the step's completion (10:30-10:33); cases started
    # Thu 11:00, Fri 13:20, Mon 15:10 and Tue 10:05 before it (after the last meeting: no work
    # left to model), and one on the Wednesday before at 09:30, not ready by that meeting's
    # 10:30: at least 60 office minutes of work.
    starts = [at(d, c) for d, c in DONE[:4]] + [at("2024-01-03", "09:30")]
    ends = [at("2024-01-10", c) for c in ("10:30", "10:30", "10:31", "10:32", "10:33")]
    start = np.array([t + k * WEEK for k in range(6) for t in starts])
    end = np.array([t + k * WEEK for k in range(6) for t in ends])
    n = len(start)
    events = Events(
        "log",
        np.array([f"c{k}" for k in range(n)], dtype=object),
        np.array(["meeting"] * n, dtype=object),
        *(np.array([""] * n, dtype=object) for _ in range(3)),
        start,
        end,
        np.zeros(n, dtype=bool),
    )
    found = step_batch(events, {"meeting": np.arange(n)}, load_calendar("weekdays"), "meeting")
    assert found["batch"] == {"days": ["wed"], "at": "10:30"}
    assert found["evidence"]["seen_at"] == "completions" and len(found["explains"]) == 0
    assert found["work"].tolist() == [0, 0, 0, 0, 60] * 6
