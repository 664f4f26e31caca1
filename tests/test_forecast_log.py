"""`slasim forecast --log LOG --as-of T`: the open cases of a small hand-made log, their places
worked out by hand from the log and the route, and a red share that follows from the route's
branch shares. The centre, the log and the backtest's history (with the places their events
give) are PERMITS, PERMIT_EVENTS and PERMIT_HISTORY in tests/helpers.py (test_forecast_zh runs
them too)."""

from __future__ import annotations

import json

import pytest

from slasim.fit.build import slug
from slasim.fit.log import read_log
from slasim.forecast.from_log import forecast_log
from slasim.scenario.loader import load_scenario

from .helpers import (
    AS_OF,
    PERMIT_EVENTS,
    PERMIT_HISTORY,
    backtest_args,
    log_snapshot,
    permit_files,
    slasim,
    write_log,
)


@pytest.fixture
def files(tmp_path):
    return permit_files(tmp_path)


def places_at_as_of(scenario_path, log):
    snap, as_of_business = log_snapshot(load_scenario(scenario_path), log, read_log)

    def back(value):  # `always`: business minutes run with wall minutes
        return value - as_of_business

    places = [
        (c.key, c.step, c.state, back(c.since), back(c.received), back(c.accepted))
        for c in snap.cases
    ]
    return snap, places


BRANCH = [(0.25, "inspect", "delay"), (1.0, "review", "waiting")]


def test_open_cases_and_their_places_from_a_log(files):
    snap, places = places_at_as_of(*files)
    assert places == [  # in service first, then waiting (or at a branch), by since
        ("c2", "review", "in_service", -20, -60, -60),
        ("c4", "intake", "in_service", -10, -10, -10),
        ("c8", "inspect", "delay", -35, -40, -40),  # the branch after intake
        ("c3", "inspect", "delay", -20, -50, -50),
        ("c9", "intake", "waiting", -5, -5, -5),
    ]
    assert snap.choices == {2: BRANCH, 3: BRANCH}
    assert snap.left_out == {} and snap.ignored == {"Archive": 1}
    assert snap.received == 8  # c5 is received after T


def test_a_log_cut_at_the_instant_uses_the_route(files, tmp_path):
    # An export of today: no event ends after T. c1 and c6 ended with `decide`, after which the
    # route ends: decided. c7's last step is review: it waits for decide. c2, c3 and c8 finished
    # intake: each waits at the branch. c4 and c9 have no finished event: not in the export.
    cut = write_log(tmp_path / "today.csv", [e for e in PERMIT_EVENTS if e[3] <= 0])
    snap, places = places_at_as_of(files[0], cut)
    assert places == [
        ("c8", "inspect", "delay", -35, -40, -40),
        ("c2", "inspect", "delay", -30, -60, -60),
        ("c7", "decide", "waiting", -25, -100, -100),
        ("c3", "inspect", "delay", -20, -50, -50),
    ]
    assert snap.choices == {0: BRANCH, 1: BRANCH, 3: BRANCH}


def test_the_branch_share_decides_red(files):
    # Promised limit 5 working hours (300 minutes) from receipt. c3 (received -50, due +250) waits
    # after intake for the branch: inspect (share 0.25) is an elapsed 300 minutes, so it is decided
    # after +280, red; review at the back desk, behind c2 (until +40) and at most c8, ends by +160
    # and the decision at the desk by +170: no card. c2 (due +240) is decided by +70.
    scenario_path, log = files
    spec = load_scenario(scenario_path)
    result = forecast_log(
        spec, log, read_log, slug, as_of=AS_OF.isoformat(), horizon="1wd", replications=400
    )
    by_id = {row["id"]: row for row in result["cases"]}
    low, high = by_id["c3"]["red"]["ci95"]
    assert low <= 0.25 <= high and 0.15 < by_id["c3"]["red"]["p"] < 0.35
    assert by_id["c2"]["red"]["p"] == 0
    assert result["snapshot"]["left_out"] == {} and result["snapshot"]["ignored_events"] == 1


def test_forecast_from_a_log_on_the_command_line(files, tmp_path):
    scenario_path, log = files
    args = ["forecast", scenario_path, "--log", log, "--as-of", AS_OF.isoformat(), "--reps", 5]
    ran = slasim(*args, "--json")
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["open_cases"] == 5 and result["snapshot"]["received"] == 8
    assert "1 event(s) of 1 activities the scenario does not have" in result["warnings"][0]
    text = slasim(*args)
    assert text.returncode == 0 and "Forecast of 5 open cases" in text.stdout
    missing = slasim("forecast", scenario_path, "--log", log)
    assert missing.returncode == 2 and "--as-of" in missing.stderr
    both = slasim("forecast", scenario_path)
    assert both.returncode == 2 and "--open" in both.stderr


def test_backtest_scores_by_hand(tmp_path):
    # Horizon 1wd = 1440 minutes (the log's last event, +1540, is after it). Red outcomes: o1
    # yes (+100), o2 no. The forecast's fixed durations give o1 1 and o2 0: Brier 0.
    # historic_share: 1 of the 4 decided cases went red: 0.25 each, Brier
    # ((0.25 - 1)² + 0.25²) / 2 = 0.3125. by_elapsed: o1 has used 200 of its 300 minutes (0.667);
    # of the decided cases only h2 (5.8) was open that late, and it went red: 1. o2 (0.167):
    # all four were open then: 0.25. Brier (0 + 0.25²) / 2 = 0.03125.
    args = backtest_args(tmp_path)
    ran = slasim(*args, "--horizon", "1wd", "--reps", 3, "--json")
    assert ran.returncode == 0, ran.stderr
    red = json.loads(ran.stdout)["levels"]["red"]
    assert red["cases"] == 2 and red["observed"] == 1
    assert red["brier"] == {"forecast": 0.0, "historic_share": 0.3125, "by_elapsed": 0.03125}
    assert red["ratio"] == {"historic_share": 0.0, "by_elapsed": 0.0}
    assert red["reliability"] == [
        {"bin": "0.0-0.1", "n": 1, "predicted": 0.0, "observed": 0.0},
        {"bin": "0.9-1.0", "n": 1, "predicted": 1.0, "observed": 1.0},
    ]
    text = slasim(*args, "--horizon", "1wd", "--reps", 3, "--out", tmp_path / "scores.json")
    assert text.returncode == 0 and "Brier score: forecast 0.0000" in text.stdout
    assert (tmp_path / "scores.json").read_text() == ran.stdout
    no_table = slasim(*args, "--horizon", "1wd", "--csv", tmp_path / "risk.csv")
    assert no_table.returncode == 2 and "--csv" in no_table.stderr
    late = slasim(*args, "--horizon", "2wd", "--reps", 3)
    assert late.returncode == 2 and "nothing to score against" in late.stderr


def test_out_writes_the_json_or_the_risk_table(files, tmp_path):
    scenario_path, log = files
    args = ["forecast", scenario_path, "--log", log, "--as-of", AS_OF.isoformat(), "--reps", 4]
    shown = slasim(*args, "--json")
    ran = slasim(*args, "--out", tmp_path / "risk.json", "--csv", tmp_path / "a.csv")
    assert ran.returncode == 0, ran.stderr
    assert (tmp_path / "risk.json").read_text() == shown.stdout  # the --json document, whole
    ran = slasim(*args, "--out", tmp_path / "risk.csv")
    assert ran.returncode == 0, ran.stderr
    assert (tmp_path / "risk.csv").read_text() == (tmp_path / "a.csv").read_text()
    header, *rows = (tmp_path / "risk.csv").read_text().splitlines()
    assert header.startswith("id,service,step,state,card_now,p_yellow") and len(rows) == 5
    wrong = slasim(*args, "--out", tmp_path / "risk.txt")
    assert wrong.returncode == 2 and "--out" in wrong.stderr and "Traceback" not in wrong.stderr
    onto_input = slasim(*args, "--out", log)
    assert onto_input.returncode == 2 and log.read_text().startswith("case_id,")


def test_no_open_case_is_one_line(files):
    scenario_path, log = files
    before = slasim("forecast", scenario_path, "--log", log, "--as-of", "2025-01-09T08:00")
    assert before.returncode == 0
    assert before.stdout.strip() == (
        "No open cases at 2025-01-09T08:00: the log has no case received by then."
    )
    # After the past log's last event (+1540) every case of it ended with `decide`: decided.
    past = write_log(log.parent / "past.csv", PERMIT_HISTORY)
    after = slasim("forecast", scenario_path, "--log", past, "--as-of", "2025-01-11T12:00")
    assert after.returncode == 0
    assert after.stdout.strip() == (
        "No open cases at 2025-01-11T12:00: the log's 6 cases received by then are decided."
    )


def test_a_log_of_another_process_is_one_located_line(files, tmp_path):
    scenario_path, _ = files
    other = write_log(tmp_path / "other.csv", [("x1", "Pay", -50, 10), ("x2", "Ship", -40, 20)])
    ran = slasim("forecast", scenario_path, "--log", other, "--as-of", AS_OF.isoformat())
    assert ran.returncode == 2 and "Traceback" not in ran.stderr
    assert ran.stderr.startswith(f"error: {other}: activity: no activity of the log is a step")
