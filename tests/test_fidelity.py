"""`slasim fidelity`: the field's protocol and the window view from the command line on a known
centre fitted back, slasim's own measures by hand, the window opening at the fit's split, both
sides cut alike at the window's end, a WIP distance defined at zero WIP, the report's tables, and
bad inputs in one located line (exit 2)."""

from __future__ import annotations

import datetime as dt
import json
import math
import types

import numpy as np
import pytest
import yaml

from slasim.calendar.workcalendar import load_calendar
from slasim.evaluation.window import CaseSet, distances, own_measures, real_side
from slasim.scenario.plan import compile_plan
from slasim.scenario.schema import Scenario
from slasim.sim.runner import run_scenario

from .helpers import slasim
from .test_fit import KNOWN


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    """The known centre's event log, and the scenario fitted from it (70 % of cases)."""
    folder = tmp_path_factory.mktemp("fidelity")
    log = folder / "events.csv"
    run_scenario(Scenario.model_validate(KNOWN), replications=1, event_log=log, workers=1)
    fitted = folder / "fitted.yaml"
    code, _, err = slasim("fit", log, "-c", "weekdays", "--out", fitted, "--limit", "10wd")
    assert code == 0, err
    return log, fitted


def test_first_n_from_the_command_line(known, tmp_path):
    log, fitted = known
    out, sims = tmp_path / "res", tmp_path / "sims"
    code, stdout, err = slasim(
        "fidelity", fitted, log, "--reps", "2", "--json", "--out", out, "--sim-logs", sims,
        "--workers", "1",
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(stdout)
    assert result["protocol"] == "first-n"
    n = result["settings"]["cases"]
    assert result["simulated_cases"] == [n, n] and result["unfinished_cases"] == 0
    held_out = yaml.safe_load(fitted.read_text(encoding="utf-8"))["provenance"]["held_out_cases"]
    assert n == held_out  # the test cases are those the fit held out
    for name in ("cycle_time", "ngram3", "lead_time_wd", "wip_cases"):
        row = result["measures"][name]
        assert row["verdict"] in {
            "at floor", "beats both", "worse than replay", "worse than bootstrap", "worse than both"
        }  # fmt: skip
        assert math.isfinite(row["model"]["mean"]) and math.isfinite(row["replay"])
    # a model fitted from the centre's own log is close to it on control flow
    assert result["measures"]["ngram3"]["model"]["mean"] < 0.2
    assert result["summary"].startswith("better than replay on ")
    header = (sims / "sim_0.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "case_id,activity,resource,start_time,end_time"
    assert slasim("report", out).returncode == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Fidelity to the real cases" in page and "<th>verdict</th>" in page
    assert "<pre>" not in page


def test_the_same_results_for_any_worker_count(known):
    log, fitted = known
    runs = [
        json.loads(slasim("fidelity", fitted, log, "--reps", "2", "--json", "--workers", w).stdout)
        for w in ("1", "2")
    ]
    assert runs[0]["measures"] == runs[1]["measures"]


def test_the_window_opens_at_the_fits_split(known):
    """The window view scores only cases the fit held out (it opened at the day's close before
    the split, taking in fitted cases), and names its view."""
    log, fitted = known
    code, stdout, err = slasim(
        "fidelity", fitted, log, "--protocol", "window", "--reps", "2", "--json", "--workers", "1"
    )
    assert code == 0, err
    result = json.loads(stdout)
    provenance = yaml.safe_load(fitted.read_text(encoding="utf-8"))["provenance"]
    assert result["window_opens_at"] == "the fit's split"
    assert result["window"][0] == dt.datetime.fromisoformat(provenance["split"]).isoformat(
        timespec="minutes"
    )
    assert 0 < result["real_cases"] <= provenance["held_out_cases"]
    assert "cut at window end" in result["view"]
    # named as `slasim run` names them
    assert {"arrived", "past_legal", "ever_yellow", "ever_red", "lead_time_wd_mean"} <= set(
        result["measures"]
    )
    text = slasim("fidelity", fitted, log, "--protocol", "window", "--reps", "2", "-w", "1").stdout
    assert "yellow card" in text and "past legal limit" in text


def test_own_measures_of_hand_worked_cases():
    plan = compile_plan(Scenario.model_validate(KNOWN))
    cal = load_calendar("weekdays")

    def t(d, h):
        return cal.minutes(dt.datetime(2024, 1, d, h))

    # Received Mon 8 Jan 10:00; decided Tue 10:00 (1 wd), Mon 22 Jan 10:00 (10 wd), Thu 25 Jan
    # 10:00 (13 wd: past the 10wd limit, which ends Mon 22 Jan 17:00).
    cases = CaseSet([t(8, 10)] * 3, [t(9, 10), t(22, 10), t(25, 10)])
    out = own_measures(cases, plan, (t(8, 0), t(31, 0)))
    assert out["arrived"] == 3 and out["lead_time_wd_mean"] == pytest.approx((1 + 10 + 13) / 3)
    assert out["past_legal"] == pytest.approx(1 / 3)


def test_a_real_case_open_at_the_window_end_is_open_as_a_simulated_one_is():
    """Real cases decided after the window's end are censored there (open), not kept whole."""
    cal = load_calendar("weekdays")

    def t(d, h):
        return cal.minutes(dt.datetime(2024, 1, d, h))

    events = types.SimpleNamespace(
        source="log.csv",
        case=np.array(["a", "a", "b"], dtype=object),
        activity=np.array(["x", "y", "x"], dtype=object),
        resource=np.array(["", "", ""], dtype=object),
        start=np.array([t(8, 10), t(9, 10), t(8, 11)]),
        end=np.array([t(8, 11), t(20, 10), t(8, 12)]),
        milestone=np.zeros(3, dtype=bool),
    )
    window = (t(8, 0), t(12, 0))
    cases, steps = real_side(events, window)
    assert list(cases.decided) == [math.inf, t(8, 12)]  # a: decided after the window: open
    assert list(steps.activity) == ["x", "x"]  # a's step y ends after the window: not scored


def test_the_wip_distance_is_defined_at_zero_wip():
    """The real centre never has a case open at a day's close: the distance is the simulated open
    cases themselves (the old relative figure divided by zero: 2e10 or null)."""
    cal = load_calendar("weekdays")

    def t(d, h):
        return cal.minutes(dt.datetime(2024, 1, d, h))

    window = (t(8, 0), t(13, 0))  # Mon 8 .. Fri 12 Jan: five closes
    real = CaseSet([t(8, 10), t(9, 10)], [t(8, 11), t(9, 11)])
    sim = CaseSet([t(8, 10), t(9, 10)], [t(10, 11), math.inf])  # open at 2 and 4 closes
    out = distances(real, sim, real_steps=[], sim_steps=[], cal=cal, window=window)
    assert out["wip_cases"] == pytest.approx((1 + 2 + 1 + 1 + 1) / 5)


@pytest.mark.parametrize(
    "body, words",
    [
        ("case_id,activity,start_time,end_time\n1,a,2024-01-08T10:00,soon\n", "not a timestamp"),
        (
            "case_id,activity,start_time,end_time\n"
            "1,zzz,2024-01-08T10:00,2024-01-08T11:00\n2,zzz,2024-01-08T12:00,2024-01-08T13:00\n",
            "no step of the scenario is an activity of the test log",
        ),
        (
            "case_id,activity,start_time,end_time\n"
            "1,intake,1890-01-08T10:00,1890-01-08T11:00\n2,intake,1890-01-09T10:00,1890-01-09T11:00\n",
            "outside the scenario's calendar",
        ),
    ],
)
def test_bad_test_logs_exit_2_in_one_located_line(known, tmp_path, body, words):
    log, fitted = known
    test = tmp_path / "test.csv"
    test.write_text(body, encoding="utf-8")
    code, stdout, err = slasim("fidelity", fitted, log, "--test-log", test, "--reps", "2")
    assert code == 2 and stdout == ""
    assert len(err.strip().splitlines()) == 1 and "test.csv" in err and words in err, err


def test_a_log_the_fit_never_saw_is_scored_whole(known, tmp_path):
    """A scenario fitted from one log, scored against another: every case of the other is a test
    case (no split), and without a training log the verdicts set the model beside the floor."""
    log, fitted = known
    other = tmp_path / "other.csv"
    other.write_bytes(log.read_bytes())
    code, stdout, err = slasim("fidelity", fitted, other, "--reps", "2", "--json", "-w", "1")
    assert code == 0, err
    result = json.loads(stdout)
    cases = {line.split(",")[0] for line in other.read_text(encoding="utf-8").splitlines()[1:]}
    assert result["settings"]["split"].startswith("a log the fit never saw")
    assert result["settings"]["cases"] == len(cases)
    assert {row["verdict"] for row in result["measures"].values()} <= {"at floor", "above floor"}
