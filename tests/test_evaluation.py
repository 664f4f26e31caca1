"""The evaluation package: the protocol's split, the simulated side collected in memory in the order
cases did their steps, the baselines, the verdict, and the first-N protocol end to end on a
hand-worked centre."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from slasim.calendar.workcalendar import load_calendar
from slasim.evaluation import baselines
from slasim.evaluation.fidelity import first_n
from slasim.evaluation.frame import Frame
from slasim.evaluation.protocol import published_split
from slasim.evaluation.simulate import Collector, frame
from slasim.evaluation.verdict import MIN_TEST_CASES, few_cases, summary, verdict
from slasim.evaluation.vocabulary import check
from slasim.evaluation.window import interval
from slasim.io.errors import SlasimError
from slasim.scenario.schema import Scenario

from .helpers import HAND_WORKED


def log(rows) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["case_id", "activity", "start_time", "end_time"])
    out["resource"] = "r"
    for c in ("start_time", "end_time"):
        out[c] = pd.to_datetime(out[c], utc=True)
    return out


def test_published_split_cuts_by_events_and_drops_cut_cases():
    # 10 events by end; the first 8 train. Case c has events 7 and 9 (cut): dropped from both.
    rows = []
    for k, case in enumerate("aaabbbcdcd"):
        at = f"2024-01-01 {9 + k:02d}:00"
        rows.append((case, "A", at, at))
    train, test = published_split(log(rows))
    assert set(train.case_id) == {"a", "b"}
    assert set(test.case_id) == {"d"} or set(test.case_id) == set()
    assert "c" not in set(train.case_id) | set(test.case_id)


def test_simulated_steps_in_the_order_the_case_did_them():
    """Two steps start at the same instant: the one that ends first comes first, and with equal
    ends the engine's order decides, never the name (the old reader sorted by (start, name))."""
    cal = load_calendar("cn")
    at = float(cal.to_business_array(cal.minutes(pd.Timestamp("2025-03-03 10:00"))))
    c = Collector()
    for activity in ("zeta", "alpha", "mid", "beta"):
        c.add("s-0", "s", activity, "start", at)
    for activity, end in (("zeta", 30), ("alpha", 60), ("mid", 60), ("beta", 60)):
        c.add("s-0", "s", activity, "complete", at + end)
    f = frame(c, cal)
    assert list(f.activity) == ["zeta", "alpha", "mid", "beta"]
    assert str(f.start_time.iloc[0]) == "2025-03-03 10:00:00+00:00"  # naive wall clock as UTC


def test_a_zero_length_step_at_a_close_completes_at_its_start():
    cal = load_calendar("cn")
    close = float(cal.bm_start[100])  # the close of one working day = the next opening
    c = Collector()
    c.add("s-0", "s", "stamp", "start", close)
    c.add("s-0", "s", "stamp", "complete", close)
    f = frame(c, cal)
    assert (f.start_time == f.end_time).all()
    stamp = f.start_time.iloc[0]
    assert (stamp.hour, stamp.minute) == (17, 30)  # the previous close (cn: 17:30)


def test_a_start_at_a_close_is_stamped_at_the_close():
    # cn's office hours end at 17:30 and open at 09:00 (calendars/cn.toml): a check begun at a
    # close and taking an hour is stamped 17:30 to 10:00 the next morning, as the field's logs
    # stamp work begun at the close; one begun at the opening is stamped 09:00 to 10:00 (the
    # business instants differ by nothing: only the wall clock's side of the night)
    cal = load_calendar("cn")
    close = float(cal.bm_start[100])
    c = Collector()
    c.add("s-0", "s", "check", "start", close)
    c.add("s-0", "s", "check", "complete", close + 60)
    c.add("s-1", "s", "check", "start", close + 1e-9)
    c.add("s-1", "s", "check", "complete", close + 60)
    f = frame(c, cal).set_index("case_id")
    assert (f.start_time.dt.hour * 60 + f.start_time.dt.minute).to_dict() == {
        "s-0": 1050,
        "s-1": 540,
    }
    assert (f.end_time.dt.hour * 60 + f.end_time.dt.minute).to_dict() == {"s-0": 600, "s-1": 600}


def test_replay_bootstrap_and_halves():
    train = log(
        [
            ("1", "A", "2024-01-01 09:00", "2024-01-01 10:00"),
            ("2", "A", "2024-01-01 11:00", "2024-01-01 13:00"),
            ("3", "A", "2024-01-01 12:00", "2024-01-01 12:30"),
        ]
    )
    since = pd.Timestamp("2024-02-01 08:00", tz="UTC")
    r = baselines.replay(train, 2, since)
    # cases 2 and 3, moved by the same amount: 08:00 and 09:00, durations kept
    assert list(r.start_time.dt.hour) == [8, 9]
    assert list((r.end_time - r.start_time) / pd.Timedelta(minutes=1)) == [120, 30]
    b = baselines.bootstrap(train, 5, since, seed=1)
    assert b.case_id.nunique() == 5 and b.start_time.min() == since
    gaps = np.diff(np.sort(b.start_time.to_numpy())) / np.timedelta64(1, "m")
    assert set(gaps) <= {60.0, 120.0}  # resampled from the training gaps (120, 60 minutes)
    first, second = baselines.halves(train)
    assert set(first.case_id) == {"1", "3"} and set(second.case_id) == {"2"}


def test_floor_pair_is_n_cases_against_n_drawn_from_the_test_cases():
    test = log(
        [
            ("1", "A", "2024-01-01 09:00", "2024-01-01 10:00"),
            ("1", "B", "2024-01-01 10:00", "2024-01-01 10:30"),
            ("2", "A", "2024-01-01 11:00", "2024-01-01 13:00"),
            ("3", "A", "2024-01-01 12:00", "2024-01-01 12:30"),
        ]
    )
    spans = {"1": (60, 90), "2": (120, 120), "3": (30, 30)}  # (first step, whole case) minutes
    for a in baselines.floor_pair(test, seed=3):
        assert a.case_id.nunique() == 3  # N against N, not N/2 against N/2
        for _, case in a.groupby("case_id"):
            first = (case.end_time.iloc[0] - case.start_time.iloc[0]) / pd.Timedelta(minutes=1)
            whole = (case.end_time.max() - case.start_time.min()) / pd.Timedelta(minutes=1)
            assert (first, whole) in spans.values()  # a whole test case, times kept


@pytest.mark.parametrize(
    "model, se, replay, boot, floor, word",
    [
        (1.0, 0.1, 5.0, 5.0, 0.85, "at floor"),  # within 2 standard errors
        (1.0, 0.1, 5.0, 5.0, 0.5, "beats both"),
        (6.0, 0.1, 5.0, 7.0, 0.5, "worse than replay"),
        (6.0, 0.1, 7.0, 5.0, 0.5, "worse than bootstrap"),
        (9.0, 0.1, 7.0, 5.0, 0.5, "worse than both"),
        # near the floor, yet a naive baseline does better: said, not hidden by "at floor"
        (1.0, 0.1, 0.9, 5.0, 0.85, "worse than replay"),
        (1.0, 0.1, 0.9, 0.95, 1.0, "worse than both"),
        (float("nan"), 0.1, 7.0, 5.0, 0.5, "n/a"),
        (2.0, 0.1, float("nan"), float("nan"), 0.5, "above floor"),
        (0.6, 0.1, float("nan"), float("nan"), 0.5, "at floor"),
    ],
)
def test_verdict(model, se, replay, boot, floor, word):
    assert verdict(model, se, replay, boot, floor) == word


def test_at_floor_allows_for_the_floors_own_noise():
    # 1.0 vs 0.5: a difference of 0.5; 2 * hypot(0.1, 0.2) = 0.447 < 0.5 < 2 * hypot(0.1, 0.25) = 0.539
    assert verdict(1.0, 0.1, 5.0, 5.0, 0.5, floor_se=0.2) == "beats both"
    assert verdict(1.0, 0.1, 5.0, 5.0, 0.5, floor_se=0.25) == "at floor"


def test_summary_counts_and_states_n():
    rows = {
        "a": {
            "model": {"mean": 1},
            "replay": {"mean": 2},
            "bootstrap": {"mean": 0.5},
            "verdict": "x",
        },
        "b": {
            "model": {"mean": 1},
            "replay": {"mean": 0.5},
            "bootstrap": {"mean": 2},
            "verdict": "x",
        },
    }
    line = summary(rows, 45)
    assert line.startswith("better than replay on 1 of 2 measures, than bootstrap on 1")
    assert line.endswith("(N = 45 test cases)")


def test_few_test_cases_are_flagged():
    assert MIN_TEST_CASES == 30
    assert few_cases(30) is None
    assert "only 29 test cases (under 30)" in few_cases(29)


def test_vocabulary_rule():
    # 4 events: 2 of x (shared), 1 of y, 1 of z (test only): half the events unknown: warned
    info = check({"x", "w"}, pd.Series(["x", "x", "y", "z"]), "t.csv")
    assert info["test_only"] == ["y", "z"] and info["test_only_event_share"] == 0.5
    assert info["model_only"] == ["w"]
    # 3 of 5 events unknown (60 %): more than half, refused
    with pytest.raises(SlasimError, match=r"60% of the test log's events .*\(y, z\)"):
        check({"x"}, pd.Series(["x", "x", "y", "y", "z"]), "t.csv")
    with pytest.raises(SlasimError, match="no activity of the test log"):
        check({"w"}, pd.Series(["x"]), "t.csv")


def test_an_interval_of_a_distance_stops_at_zero():
    # mean 5/3; squared deviations 2.4544 + 2.7778 + 10.4544 = 15.6867, sd sqrt(15.6867 / 2) =
    # 2.8007; t(2, 0.975) = 4.3027: half-width 4.3027 * 2.8007 / sqrt(3) = 6.957, raw low end -5.29
    out = interval([0.1, 0.0, 4.9])
    assert out["mean"] == pytest.approx(5 / 3)
    assert out["ci95"][0] == 0.0 and out["ci95"][1] == pytest.approx(5 / 3 + 6.957, abs=1e-3)


def hand_test_log(days: int) -> Frame:
    """The hand-worked centre's real counterpart: one case a day received at 14:00 on cn, 600
    office minutes of work (420 a day: ends at 17:00 the next working day)."""
    rows = []
    for d in range(days):
        day = pd.Timestamp("2025-03-10") + pd.Timedelta(days=d)
        rows.append(
            (
                f"r{d}",
                "Handle",
                f"{day:%Y-%m-%d} 14:00",
                f"{day + pd.Timedelta(days=1):%Y-%m-%d} 17:00",
            )
        )
    return Frame(log(rows), aware=False, source="hand.csv")


def test_first_n_on_the_hand_worked_centre():
    """An exact model of a deterministic centre: N = 4 cases from Mon 2025-03-10 14:00, each
    decided; the simulated log equals the real one, so every distance is 0."""
    data = copy.deepcopy(HAND_WORKED)
    data["departments"]["desk"]["staff"] = 2  # no queue: each case is worked at once
    scenario = Scenario.model_validate(data)
    test = hand_test_log(4)
    result = first_n(
        scenario,
        test,
        test.events,
        names={"handle": "Handle"},
        replications=2,
        seed=1,
        keep_logs=True,
    )
    assert result["simulated_cases"] == [4, 4] and result["unfinished_cases"] == 0
    sim = result["_logs"][0]
    assert list(sim.start_time) == list(test.events.start_time)
    assert list(sim.end_time) == list(test.events.end_time)
    for name, row in result["measures"].items():
        assert row["model"]["mean"] == pytest.approx(0.0, abs=1e-9), name


def test_simulated_events_after_a_cut_test_log_s_end_are_flagged_and_scored_cut():
    """A test log taken while a case was open: the hand-worked centre's four cases, the last one
    (received Thu 14:00) logged as done at Thu 17:00, the log's last instant (r2's end, the
    others end at 17:00 on the next working day). The model's r3 ends Fri 17:00, after it: 1 of
    the 4 simulated events a log, 25 %. Cut at Thu 17:00 the simulated logs hold r0-r2 (27 h
    each), against the real 27, 27, 27 and 3 h: a quarter of the mass 24 h apart, CTDD 6 h."""
    from slasim.evaluation.measures import FIELD
    from slasim.outputs.fidelity import fidelity_report

    data = copy.deepcopy(HAND_WORKED)
    data["departments"]["desk"]["staff"] = 2
    scenario = Scenario.model_validate(data)
    test = hand_test_log(4)
    events = test.events.copy()
    events.loc[3, "end_time"] = pd.Timestamp("2025-03-13 17:00", tz="UTC")
    cut_test = Frame(events, aware=False, source="hand.csv")
    result = first_n(scenario, cut_test, events, names={"handle": "Handle"}, replications=2, seed=1)
    after = result["after_end"]
    assert after["share"] == pytest.approx(0.25) and after["cut"]
    assert after["test_end"].startswith("2025-03-13T17:00")
    assert any("after the test log's last instant" in str(w) for w in result["warnings"])
    rows = result["measures"]
    assert {k for k, r in rows.items() if "cut" in r} == set(FIELD)
    assert rows["cycle_time"]["cut"]["model"]["mean"] == pytest.approx(6.0)
    assert rows["cycle_time"]["model"]["mean"] == pytest.approx(6.0)
    assert rows["cycle_time"]["cut"]["bootstrap"] is not None
    text = fidelity_report(result | {"settings": result["settings"] | {"split": "given"}})
    assert "model, cut at log end" in text and "bootstrap, cut at log end" in text
    # the whole log (every case done by its last instant): nothing after it, nothing cut
    whole = first_n(scenario, test, None, names={"handle": "Handle"}, replications=2, seed=1)
    assert whole["after_end"] == {
        "share": 0.0,
        "test_end": pd.Timestamp("2025-03-14 17:00", tz="UTC").isoformat(),
        "cut": False,
    }
    assert not any("last instant" in str(w) for w in whole["warnings"])
    assert all("cut" not in r for r in whole["measures"].values())


def test_simulated_logs_with_nothing_before_the_test_log_s_end_are_not_scored_cut():
    """Four cases received Mon 14:00 and logged done at 14:01: the model's take 600 office
    minutes and all end on Tuesday, after the test log's last instant. Every cut log is empty:
    nothing to score cut (no crash), the share after the end 100 %."""
    data = copy.deepcopy(HAND_WORKED)
    data["departments"]["desk"]["staff"] = 4
    scenario = Scenario.model_validate(data)
    rows = [(f"r{k}", "Handle", "2025-03-10 14:00", "2025-03-10 14:01") for k in range(4)]
    test = Frame(log(rows), aware=False, source="hand.csv")
    result = first_n(scenario, test, None, names={"handle": "Handle"}, replications=2, seed=1)
    assert result["after_end"]["share"] == 1.0 and result["after_end"]["cut"]
    assert result["measures"]["cycle_time"]["cut"] == {"model": None, "bootstrap": None}
    # `fit --search` scores candidates without the cut (cut_at_end=False)
    quick = first_n(
        scenario, test, None, names={"handle": "Handle"}, replications=2, seed=1, cut_at_end=False
    )
    assert not quick["after_end"]["cut"]
    assert all("cut" not in r for r in quick["measures"].values())
