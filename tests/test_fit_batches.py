"""Batch releases fitted from a log (`slasim.fit.batches`): a known scenario with a twice-weekly
committee and a daily signing round simulated to an event log and fitted back (round trip, also
on `cn` across a holiday and two make-up working days); a release worked out by hand, its
evidence checked against SciPy's binomial tail; steps that do not batch (no clock time, a rush
hour, a fixed delay after a release, the opening, the log's own stamps) give None; and each
criterion shown deciding alone (the case it rejects is found with that criterion loosened)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy import stats

from slasim.calendar.units import MINUTES_PER_DAY, date_to_day
from slasim.calendar.workcalendar import load_calendar
from slasim.fit import batches
from slasim.fit.batches import fit_batches, left_step, skipped, step_batch
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
    assert evidence["window_cases"] == 24 and evidence["share"] == pytest.approx(24 / 30)
    assert evidence["uniform_share"] == pytest.approx(10 / 480, abs=1e-4)  # 10 of 480 minutes
    assert evidence["hour_either_side_cases"] == 0  # 09:00-10:00 and 10:10-11:10 on Wednesdays
    # 24 or more of 30 in a window holding 10/480 of office time, over 1,440 candidate minutes
    tail = stats.binom.logsf(23, 30, 10 / 480) / math.log(10) + math.log10(1440)
    assert evidence["log10_p_times_1440"] == pytest.approx(tail, abs=0.05)  # -31.47
    assert found["note"] == (
        "released in batches at 10:00 on Wed (seen at the step's completions): 24 of 30 cases "
        "(80%) within 10 min after one of 6 releases, against 2.1% for a uniform spread over "
        "office hours (binomial p × 1440 clock minutes: 10^-31.5); 0 cases in the hour either "
        "side; cases per release: median 4, quartiles 4-4"
    )


def test_a_stray_case_at_the_release_time_on_another_weekday():
    # One Monday case at 10:03 (1 of the 7 in the window; a weekday needs a fifth of the busiest
    # weekday's 6): not a Monday release, and not counted in the share nor in the binomial tail.
    cal = load_calendar("weekdays")
    found = fit_batches(np.array([*RELEASED, *OTHERS, at("2024-01-15", "10:03")]), cal)
    assert found["batch"] == {"days": ["wed"], "at": "10:00"}
    evidence = found["evidence"]
    assert evidence["window_cases"] == 24 and evidence["cases"] == 31
    tail = stats.binom.logsf(23, 31, 10 / 480) / math.log(10) + math.log10(1440)
    assert evidence["log10_p_times_1440"] == pytest.approx(tail, abs=0.05)  # -30.83


def test_the_window_starts_at_the_first_minute_of_the_busiest_one():
    cal = load_calendar("weekdays")
    days = cal.work_days[cal.work_days >= date_to_day(dt.date(2024, 1, 8))][:40]
    # six cases a day stamped 14:00, 14:00, 14:01, 14:01, 14:02, 14:02 (the busiest minute is
    # not the first): all six in the window from 14:00
    t = (days[:, None] * MINUTES_PER_DAY + 14 * 60 + np.array([0, 0, 1, 1, 2, 2])).ravel()
    found = fit_batches(t, cal)
    assert found["batch"] == {"at": "14:00"} and found["evidence"]["share"] == 1.0
    # eight a day stamped 10:00, 10:01, 10:03, 10:05 and three at 10:07, 10:08: a release at 10:00
    t = (days[:, None] * MINUTES_PER_DAY + 600 + np.array([0, 1, 3, 5, 7, 7, 7, 8])).ravel()
    found = fit_batches(t, cal)
    assert found["batch"] == {"at": "10:00"} and found["evidence"]["share"] == 1.0


def test_a_daily_round_on_cn_releases_on_make_up_working_days_too():
    # 2024 on `cn`: 8 Saturdays and Sundays are make-up working days (调休), a weekday with few
    # working days; a daily round at 16:00 (3-6 cases, 16:00-16:04) is every working day's.
    cal = load_calendar("cn")
    rng = np.random.default_rng(1)
    days = cal.work_days[
        (cal.work_days >= date_to_day(dt.date(2024, 1, 1)))
        & (cal.work_days <= date_to_day(dt.date(2024, 12, 31)))
    ]
    assert int(((days + 3) % 7 >= 5).sum()) == 8
    sizes = rng.integers(3, 7, len(days))
    t = np.concatenate(
        [d * MINUTES_PER_DAY + 960 + rng.integers(0, 5, k) for d, k in zip(days, sizes)]
    )
    found = fit_batches(t, cal)
    assert found["batch"] == {"at": "16:00"} and found["evidence"]["releases"] == len(days)


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


def test_a_clock_time_where_the_log_stamps_its_activities_is_not_a_release():
    cal = load_calendar("weekdays")
    t = np.array(RELEASED + OTHERS)
    spread = np.array(OTHERS + OTHERS)
    # One other activity (of two) stamped at exactly 10:00:00 on most of its days, as dates
    # shifted by a time zone are: the log's stamps, with as few activities as that.
    zone = np.array([at(d, "10:00") for d in WEDNESDAYS + MONDAYS] + [at("2024-01-09", "12:41")])
    assert fit_batches(t, cal, others=[zone, spread]) is None
    # Stamped on two exact minutes (summer and winter time): 10:00 and 10:30 are two stamps, the
    # release window holds only 10:00's; still the signature.
    assert fit_batches(t, cal, others=[zone, zone + 30]) is None
    # Every other activity written at this step's very instants (one upload): stamps.
    assert fit_batches(t, cal, others=[t.copy(), t.copy()]) is None
    # A committee followed by three quick steps (done 1-3 minutes after each release, on
    # minutes 10:01-10:08): a release chain, not stamps; nor is one other activity at
    # 10:00-10:09 of four.
    chain = [np.array(RELEASED) + k for k in (1, 2, 3)]
    found = fit_batches(t, cal, others=[*chain, spread])
    assert found["batch"] == {"days": ["wed"], "at": "10:00"}
    assert fit_batches(t, cal, others=[zone[:1], zone[:2], zone[:3]])["batch"]["at"] == "10:00"
    # One other activity (of two) logged at exactly 10:03 after each release, on one exact minute
    # but not on the hour or half hour as a time zone's stamps are: a step of the chain.
    chained = np.array([at(d, "10:03") for d in WEDNESDAYS])
    assert fit_batches(t, cal, others=[chained, spread])["batch"]["at"] == "10:00"


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
    # 10:30 (at least 60 office minutes of work). The work ended by the release: at most the
    # office minutes from the start to it (09:00-17:00): Thu 11:00 360 + 480 + 480 + 480 + 90 =
    # 1890; Fri 13:20 220 + 480 + 480 + 90 = 1270; Mon 15:10 110 + 480 + 90 = 680; Tue 10:05
    # 415 + 90 = 505; Wed 09:30 5 x 480 + 60 = 2460. The estimate, the interval's midpoint:
    # 945, 635, 340, 252.5 and (60 + 2460) / 2 = 1260.
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
    assert found["work"].tolist() == [945, 635, 340, 252.5, 1260] * 6


def test_no_batch_is_fitted_where_the_start_times_were_estimated(known):
    # A log of completions only: a step's elapsed time holds the wait for the release before it
    # and its starts cannot show whose batch it is; no batch, and the evidence says why.
    events, cal = known
    estimated = events.take(np.ones(len(events), dtype=bool))
    estimated.starts_estimated = 12
    code, names = events.codes("activity")
    rows_of = {a: np.flatnonzero((code == k) & ~events.milestone) for k, a in enumerate(names)}
    rows_of = {a: r for a, r in rows_of.items() if len(r)}
    assert step_batch(events, rows_of, cal, "committee") is not None
    assert skipped(events) is None
    assert step_batch(estimated, rows_of, cal, "committee") is None
    assert step_batch(estimated, rows_of, cal, "panel") is None
    assert skipped(estimated) == (
        "not fitted: 12 start times were estimated from completions (a step's elapsed time then "
        "holds the wait for a release before it)"
    )


def loosened(monkeypatch, name, value, *args, **kwargs):
    """`fit_batches` with one criterion loosened."""
    with monkeypatch.context() as patch:
        patch.setattr(batches, name, value)
        return fit_batches(*args, **kwargs)


def test_a_small_step_is_rejected_by_the_binomial_tail(monkeypatch):
    # 14 cases: 7 at Wednesday 10:00 releases of 2, 2, 2, 1 (half of them, 4 releases, median
    # 2), 7 spread over Mondays. P(7 or more of 14 in 10/480 of the day) x 1440 = 10^-5.13.
    cal = load_calendar("weekdays")
    released = [at(WEDNESDAYS[k], "10:00") for k in (0, 0, 1, 1, 2, 2, 3)]
    clocks = ("09:20", "11:40", "12:30", "13:10", "14:20", "15:30", "16:10")
    t = np.array(released + [at(MONDAYS[k % 6], c) for k, c in enumerate(clocks)])
    assert fit_batches(t, cal) is None
    found = loosened(monkeypatch, "MAX_LOG10_P", math.inf, t, cal)
    tail = stats.binom.logsf(6, 14, 10 / 480) / math.log(10) + math.log10(1440)
    assert found["evidence"]["log10_p_times_1440"] == pytest.approx(tail, abs=0.05)
    assert tail > -6


def test_releases_of_one_case_are_not_batches(monkeypatch):
    cal = load_calendar("weekdays")
    days = cal.work_days[cal.work_days >= date_to_day(dt.date(2024, 1, 8))][:40]
    t = days * MINUTES_PER_DAY + 600.0  # one case a day at 10:00
    assert fit_batches(t, cal) is None
    assert loosened(monkeypatch, "MIN_RELEASES", 4, t, cal) is None  # the median size decides
    # Seen in the waits: one case a week done Thursday 11:00, moving on Wednesday 10:35.
    done = np.array([at("2024-01-04", "11:00") + k * WEEK for k in range(10)])
    moved = np.array([at("2024-01-10", "10:35") + k * WEEK for k in range(10)])
    assert fit_batches(done, cal, moved_on=moved) is None


def test_a_dated_log_with_a_few_timed_outliers_shows_no_clock_time(monkeypatch):
    # 115 dates (midnight) and 10 instants at Wednesday 10:00 (5 releases of 2): 92% dated.
    cal = load_calendar("weekdays")
    days = cal.work_days[cal.work_days >= date_to_day(dt.date(2024, 1, 8))][:115]
    timed = [at(WEDNESDAYS[k // 2], "10:00") for k in range(10)]
    t = np.array([*(days * MINUTES_PER_DAY).tolist(), *timed], dtype=np.float64)
    assert fit_batches(t, cal) is None
    assert loosened(monkeypatch, "DATED", 1.1, t, cal)["batch"] == {"days": ["wed"], "at": "10:00"}


def test_dates_at_midnight_are_left_out_where_the_log_has_times():
    # The hand-worked releases and 30 dates at midnight (54 instants, 56% dated): the releases
    # stand on the 30 timed instants.
    cal = load_calendar("weekdays")
    days = cal.work_days[cal.work_days >= date_to_day(dt.date(2024, 1, 8))][:30]
    t = np.array(RELEASED + OTHERS + (days * MINUTES_PER_DAY).tolist(), dtype=np.float64)
    found = fit_batches(t, cal)
    assert found["batch"] == {"days": ["wed"], "at": "10:00"} and found["evidence"]["cases"] == 30
    # Seen in the waits: the hand-worked waits and 7 cases moving on at a Friday's midnight.
    fridays = [at(f"2024-01-{d:02d}", "00:00") for d in (5, 12, 19, 26)]
    fridays += [at(f"2024-02-{d:02d}", "00:00") for d in (2, 9, 16)]
    ends = np.r_[WAIT_ENDS, np.array(fridays) - 600]
    found = fit_batches(ends, cal, moved_on=np.r_[MOVED, fridays])
    assert found["batch"] == {"days": ["wed"], "at": "10:30"} and found["evidence"]["cases"] == 30


def test_a_release_most_cases_moved_on_before_is_not_held(monkeypatch):
    # The hand-worked waits with the Thursday case of three weeks moving on Friday 14:00, before
    # the next Wednesday's release: 27 of 30 held (0.9 < 0.95).
    cal = load_calendar("weekdays")
    moved = MOVED.copy()
    for k in range(3):
        moved[5 * k] = at("2024-01-05", "14:00") + k * WEEK
    assert fit_batches(WAIT_ENDS, cal, moved_on=moved) is None
    found = loosened(monkeypatch, "HELD_SHARE", 0.9, WAIT_ENDS, cal, moved_on=moved)
    assert found["evidence"]["share"] == 0.9 and found["batch"] == {"days": ["wed"], "at": "10:30"}


def test_a_release_an_hour_later_holding_as_many_is_not_one(monkeypatch):
    # Ten cases a week done Thursday 11:00 to Tuesday; one moves on Wednesday 10:30, nine from
    # 11:35 every 10 minutes: a release at 11:30 holds 9 of 10 (a drop of 0.1 < 0.2).
    cal = load_calendar("weekdays")
    done = [at(d, c) for d, c in DONE[:4]] * 2 + [at("2024-01-08", "09:10")] * 2
    moves = [at("2024-01-10", "10:30")] + [at("2024-01-10", "11:35") + 10 * j for j in range(9)]
    ends = np.array([t + k * WEEK for k in range(6) for t in done])
    moved = np.array([t + k * WEEK for k in range(6) for t in moves])
    assert fit_batches(ends, cal, moved_on=moved) is None
    found = loosened(monkeypatch, "LATER_DROP", 0.05, ends, cal, moved_on=moved)
    assert found["evidence"]["share"] == 1.0 and found["evidence"]["share_an_hour_later"] == 0.9


def test_a_lag_that_is_most_of_the_wait_is_not_a_queue(monkeypatch):
    # Six cases each Wednesday done 09:10-10:20, moving on 10:30-11:20 every 10 minutes: held to
    # a 10:30 release, but a median lag of 25 minutes against a median wait of 67.5 (> 0.2).
    cal = load_calendar("weekdays")
    done = [at("2024-01-10", c) for c in ("09:10", "09:25", "09:40", "09:55", "10:10", "10:20")]
    moves = [at("2024-01-10", "10:30") + 10 * j for j in range(6)]
    ends = np.array([t + k * WEEK for k in range(6) for t in done])
    moved = np.array([t + k * WEEK for k in range(6) for t in moves])
    assert fit_batches(ends, cal, moved_on=moved) is None
    found = loosened(monkeypatch, "LAG_SHARE", 0.5, ends, cal, moved_on=moved)
    evidence = found["evidence"]
    assert evidence["lag_median_minutes"] == 25 and evidence["wait_median_minutes"] == 67.5


CN_ROUND = {
    **{k: v for k, v in KNOWN.items() if k not in ("services", "departments")},
    "name": "signing-on-cn",
    # April to September 2024 on `cn`: 清明, 劳动节, 端午 and 中秋 off; make-up working days Sun 7
    # Apr, Sun 28 Apr, Sat 11 May, Sat 14 Sep (few releases on Saturdays and Sundays, yet two each)
    "calendar": "cn",
    "start": "2024-04-01",
    "working_days": 121,  # to Friday 20 September
    "departments": {"intake": {"staff": 2}, "review": {"staff": 2}},
    "services": {"certificate": KNOWN["services"]["certificate"]},
}


def test_round_trip_on_cn_across_a_holiday_and_make_up_days(tmp_path):
    cal = load_calendar("cn")
    path = tmp_path / "events.csv"
    run_scenario(Scenario.model_validate(CN_ROUND), replications=1, event_log=path, workers=1)
    events = read_log(path, cal)
    decided = events.end[events.milestone & (events.activity != "received")]
    for day in ("2024-04-07", "2024-04-28", "2024-05-11", "2024-09-14"):  # released then
        assert (np.abs(decided - at(day, "16:30")) < 1).any()
    sign = fitted(events, cal, "sign")
    assert sign["batch"] == SIGNING and sign["evidence"]["days"] == []


def test_fit_log_puts_the_batches_on_their_steps(known_csv):
    # after build.py calls fit.batches: the committee, the signing round and the panel carry
    # their batch, and the waits they explain are not fitted again before the next step
    from slasim.fit.build import fit_log

    events = read_log(known_csv, load_calendar("weekdays"), service="service")
    fitted = fit_log(events, "weekdays", limit="10wd")
    steps = {s["step"]: s for service in fitted.data["services"].values() for s in service["steps"]}
    assert steps["committee"]["batch"] == COMMITTEE and steps["panel"]["batch"] == PANEL
    assert steps["sign"]["batch"] == SIGNING
    assert "notify-wait" not in steps and "decide-wait" not in steps
    assert not any("batch" in steps[s] for s in ("intake", "notify", "check", "file", "decide"))
    assert set(fitted.evidence["services"]["licence"]["batches"]) == {"panel"}
    notes = [str(v) for v in fitted.comments.values()]
    assert any(
        n.startswith("'committee' work in office minutes: ")
        and "released in batches at 14:00 on Tue, Thu" in n
        for n in notes
    )


def test_fit_log_fits_no_batch_where_the_start_times_were_estimated(known_csv, tmp_path):
    # the same log with its completions only: no step gets a batch (a step's elapsed time holds
    # the wait for the release before it), and each service's evidence says why
    import csv

    from slasim.fit.build import fit_log

    with open(known_csv, newline="") as given:
        rows = list(csv.DictReader(given))
    path = tmp_path / "completions.csv"
    with open(path, "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(r for r in rows if r.get("lifecycle", "complete") != "start")
    events = read_log(path, load_calendar("weekdays"), service="service")
    assert events.starts_estimated
    fitted = fit_log(events, "weekdays", limit="10wd")
    assert not any(
        "batch" in s for service in fitted.data["services"].values() for s in service["steps"]
    )
    for service in fitted.evidence["services"].values():
        assert str(service["batches"]).startswith("not fitted: ")
