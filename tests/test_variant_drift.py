"""Variant drift under the log's cut (slasim.fit.variant_drift): the per-activity comparison worked
by hand; a log cut while its long cases were open is not flagged, though its recent cases lack the
long cases' activity; a log whose review stops near its end is flagged, the route then taking its
shares from the recent window, not with `--recent off`, and so do the waits before its steps;
stationary simulated logs are not flagged;
the warning reads in Chinese and the JSON does not depend on the language."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pytest
from scipy import stats

from slasim.calendar.workcalendar import load_calendar
from slasim.fit.build import fit_log
from slasim.fit.log import read_log
from slasim.fit.variant_drift import case_columns, compare
from slasim.scenario.schema import Scenario
from slasim.sim.runner import run_scenario

from .english import english_left
from .helpers import slasim
from .test_fit import KNOWN
from .test_fit_drift import checks, shift_working_days

END = dt.datetime(2023, 12, 29, 17, 0)  # the log's cut: cases not finished by then are not in it
STOP = dt.date(2023, 12, 4)  # from this Monday, no case is reviewed (`cut_log(..., change=True)`)


def test_the_comparison_worked_by_hand():
    # earlier leads 1, 2, 3, 4 days, the activity in the first two; recent bounds 2.5 and 10 days,
    # the activity in the second. Bound 2.5 covers the first two earlier cases (share 1), bound 10
    # all four (share 1/2): expected 1.5, observed 1. w = 1/2 + 1/4 for each of the first two,
    # 1/4 for the others: sum 2 = n, sum of squares 5/4, effective size m = 4 / (5/4) = 3.2; pooled
    # p = (1 + 1.5 x 3.2 / 2) / (2 + 3.2) = 17/26; variance (2 + 5/4) x 17/26 x 9/26.
    found = compare(
        np.array([1.0, 2.0, 3.0, 4.0]),
        np.array([[1], [1], [0], [0]]),
        np.array([2.5, 10.0]),
        np.array([[0], [1]]),
        min_reference=1,
        min_cases=1,
    )
    assert found["expected"][0] == pytest.approx(1.5) and found["observed"][0] == 1
    assert found["size"] == pytest.approx(3.2)
    assert found["z"][0] == pytest.approx(-0.5 / math.sqrt(3.25 * 17 / 26 * 9 / 26))


def test_without_a_cut_it_is_the_pooled_two_proportion_test():
    # 40 of 100 earlier cases and 10 of 50 recent ones hold the activity, every bound beyond every
    # lead: p = 50/150, z = (0.2 - 0.4) / sqrt(p (1 - p) (1/50 + 1/100)) = -2.449; its square is
    # scipy's chi-square on the 2 x 2 table without continuity correction
    before = np.array([[1]] * 40 + [[0]] * 60)
    recent = np.array([[1]] * 10 + [[0]] * 40)
    found = compare(np.arange(100.0), before, np.full(50, 1000.0), recent)
    assert found["z"][0] == pytest.approx(-0.2 / math.sqrt(1 / 3 * 2 / 3 * (1 / 50 + 1 / 100)))
    chi2 = stats.chi2_contingency([[40, 60], [10, 40]], correction=False)[0]
    assert found["z"][0] ** 2 == pytest.approx(chi2)


def cut_log(path, change: bool, seed: int = 3, waits: dict | None = None):
    """Four receipts a weekday in 2023, each `check` (30 min); 40 % `review` (60 min) ten working
    days later, then `decide` (10 min); the rest `decide` 20 minutes after the check. With
    `change`, no review from STOP. Cases not finished by END are left out, as a log cut then.
    With `waits` ({True: (wait, work) before STOP, False: from it}, minutes), handlers are named
    (each decide by a director of its own, idle meanwhile) and an unreviewed case's decide waits
    and takes so long."""
    rng = np.random.default_rng(seed)
    lines = ["case,activity,start,end" + (",resource" if waits else "")]
    for k, day, t, done in checks(rng):
        reviewed = rng.random() < 0.4 and not (change and day >= STOP)
        rows = [("check", t, done)]
        if reviewed:
            start = shift_working_days(done, 10)
            rows.append(("review", start, start + dt.timedelta(minutes=60)))
            rows.append(("decide", rows[-1][2], rows[-1][2] + dt.timedelta(minutes=10)))
        else:
            wait, work = waits[day < STOP] if waits else (20, 10)
            start = done + dt.timedelta(minutes=wait)
            rows.append(("decide", start, start + dt.timedelta(minutes=work)))
        who = {"check": ",clerk", "review": ",officer", "decide": f",director-{k}"}
        if rows[-1][2] <= END:
            lines += [
                f"c{k},{a},{s.isoformat()},{e.isoformat()}" + (who[a] if waits else "")
                for a, s, e in rows
            ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def fit(path, **options):
    return fit_log(
        read_log(path, load_calendar("weekdays")), "weekdays", train_share=1.0, **options
    )


def review_share(fitted) -> float:
    """The share of the fitted route's branch holding `review` (0 when the route has none)."""
    for item in fitted.data["services"]["service"]["steps"]:
        for branch in item.get("branch", []):
            if any(s.get("step") == "review" for s in branch["steps"]):
                return branch["probability"]
    return 0.0


def test_a_log_cut_while_long_cases_were_open_is_not_flagged(tmp_path):
    path = cut_log(tmp_path / "log.csv", change=False)
    # the cut leaves the recent receipts short of reviews (one comes ten working days after the
    # check): in the last 3 weeks 8 cases of 44 were reviewed, against 17.8 expected at the
    # earlier cases' share, z = -2.96 when compared as they are; against the earlier cases that
    # took at most each recent case's bound, 8.09 are expected, z = -0.03
    events = read_log(path, load_calendar("weekdays"))
    _, starts, ends, kinds = case_columns(events, set(events.case.tolist()))
    review = np.array([["review" in k[0]] for k in kinds])
    recent = starts >= starts.max() - 21 * 1440
    lead, bound = (ends - starts)[~recent], (events.end.max() - starts)[recent]
    naive = compare(lead, review[~recent], np.full(int(recent.sum()), np.inf), review[recent])
    cut = compare(lead, review[~recent], bound, review[recent])
    assert naive["observed"][0] == cut["observed"][0] == 8 and cut["n"] == 44
    assert naive["z"][0] < -2.9 and abs(cut["z"][0]) < 0.1
    fitted = fit(path)
    found = fitted.evidence["drift"]["activities"]
    assert found["drift"] == "no" and found["p"] > 0.01
    assert fitted.evidence["drift"]["window"].startswith("all ")
    assert review_share(fitted) == pytest.approx(0.4, abs=0.04)  # every case's share


def test_a_review_that_stops_is_flagged_and_the_route_takes_the_recent_shares(tmp_path):
    fitted = fit(cut_log(tmp_path / "log.csv", change=True))
    drift = fitted.evidence["drift"]
    found = drift["activities"]
    assert found["drift"].startswith("yes: activities (review)")
    assert found["activity"] == "review" and found["share_recent"] < 0.05
    # the last 4 weeks (from Friday 2023-12-01: 4 + 19 x 4 receipts, none reviewed) against
    # 15.2 reviews expected of the 80; Bonferroni over 3 activities x 24 windows (2 to 25 weeks:
    # 26 weeks of 20 receipts would pass half the 1040 cases)
    assert found["n"] == 80 and found["share_expected"] == pytest.approx(0.19, abs=0.005)
    assert found["comparisons"] == 72  # p from the statistic (rounded to 3 decimals) by hand:
    assert found["p"] == pytest.approx(2 * stats.norm.sf(abs(found["statistic"])) * 72, rel=0.01)
    assert found["p"] < 0.01 and found["statistic"] < -4
    assert drift["drift"] == found["drift"]  # fit.drift's own tests did not see it
    assert "the route's activities, branch shares and waits from the" in drift["window"]
    assert review_share(fitted) < 0.05
    # the steps' times and the arrivals are still fitted on every case
    assert fitted.evidence["train_cases"] == fitted.evidence["cases"]
    assert any(w.startswith("drift yes: activities (review)") for w in fitted.warnings)


def test_recent_off_reports_the_drift_and_keeps_every_case_s_shares(tmp_path):
    fitted = fit(cut_log(tmp_path / "log.csv", change=True), recent="off")
    assert fitted.evidence["drift"]["activities"]["drift"].startswith("yes")
    assert "route" not in fitted.evidence["drift"]["activities"]
    assert review_share(fitted) > 0.3


def test_the_waits_are_fitted_on_the_route_s_window(tmp_path):
    # unreviewed cases wait 150 minutes before a 10-minute `decide` until STOP, 45 before a
    # 115-minute one from it (lead times as before: fit.drift keeps every case); the route's
    # window (the last 4 weeks, from 2023-12-01: 80 cases, a Friday's 4 before STOP)
    path = cut_log(tmp_path / "log.csv", change=True, waits={True: (150, 10), False: (45, 115)})
    fitted = fit(path, office="calendar")
    assert (
        "the route's activities, branch shares and waits from the"
        in (fitted.evidence["drift"]["window"])
    )
    wait = next(
        s for s in fitted.data["services"]["service"]["steps"] if s.get("step") == ("decide-wait")
    )
    steps = fitted.data["services"]["service"]["steps"]
    note = fitted.comments[("services", "service", "steps", steps.index(wait))]
    assert "from the route's window: 7" in note  # 70-79 waits (a reviewed case has none)
    # mean: at most (4 x 150 + 76 x 45) / 80 = 50.25 minutes, at least 45 x 76 / 80 = 42.75
    assert 42.75 <= float(note.split("(mean ")[1].split(" ")[0]) <= 50.25
    # on every case (--recent off) the old wait dominates: 60 % of the earlier cases wait 150
    everything = fit(path, office="calendar", recent="off")
    steps = everything.data["services"]["service"]["steps"]
    wait = next(s for s in steps if s.get("step") == "decide-wait")
    note = everything.comments[("services", "service", "steps", steps.index(wait))]
    assert float(note.split("(mean ")[1].split(" ")[0]) > 70


def test_stationary_simulated_logs_are_not_flagged(tmp_path):
    """The known centre of tests/test_fit.py (stationary), seeds 1-5, fitted as `fit` does."""
    for seed in range(1, 6):
        path = tmp_path / f"events-{seed}.csv"
        scenario = Scenario.model_validate({**KNOWN, "seed": seed})
        run_scenario(scenario, replications=1, event_log=path, workers=1)
        drift = fit_log(read_log(path, load_calendar("weekdays")), "weekdays").evidence["drift"]
        assert drift["activities"]["drift"] == "no", seed


def test_the_warning_reads_in_chinese_and_the_json_does_not_move(tmp_path):
    path = cut_log(tmp_path / "log.csv", change=True)
    args = ("fit", path, "-c", "weekdays", "--train-share", "1.0", "--limit", "5wd")
    outs = {}
    for lang in ("zh", "en"):
        code, out, err = slasim("--lang", lang, *args, "--json")
        assert code == 0, err
        outs[lang] = out
    assert outs["zh"] == outs["en"]
    assert json.loads(outs["en"])["drift"]["activities"]["activity"] == "review"
    code, out, err = slasim("--lang", "zh", *args, "--out", tmp_path / "fitted.yaml")
    assert code == 0, err
    shown = out + err
    assert "流程中的环节、各分支比例及等待时间取自" in shown
    # `activities` names the test as `lead_time` and `variants` name fit.drift's (identifiers in
    # the evidence); check, review, decide are the log's activity names
    allowed = {"activities", "review", "check", "decide"}
    assert [w for w in english_left(shown) if w.lower() not in allowed] == []
