"""`slasim fidelity`: the field's protocol and the window view from the command line on a known
centre fitted back, slasim's own measures by hand, the window opening at the fit's split, both
sides cut alike at the window's end, a WIP distance defined at zero WIP, the report's tables, and
bad inputs in one located line (exit 2)."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
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

from .helpers import ROOT, slasim
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
    # The known centre does not change over time, so fit's drift check (on by default) finds no
    # drift and every case before the split is fitted: these tests are about the split.
    with log.open(encoding="utf-8", newline="") as rows:
        cases = {row["case_id"] for row in csv.DictReader(rows)}
    provenance = yaml.safe_load(fitted.read_text(encoding="utf-8"))["provenance"]
    assert provenance["fitted_cases"] + provenance["held_out_cases"] == len(cases)
    return log, fitted


@pytest.fixture(scope="module")
def first_n(known, tmp_path_factory):
    """`fidelity` on the known centre, first-N, 2 replications on one worker, with its result
    folder and simulated logs: run once for the tests that read it."""
    log, fitted = known
    folder = tmp_path_factory.mktemp("first-n")
    out, sims = folder / "res", folder / "sims"
    code, stdout, err = slasim(
        "fidelity", fitted, log, "--reps", "2", "--json", "--out", out, "--sim-logs", sims,
        "--workers", "1",
    )  # fmt: skip
    assert code == 0, err
    return json.loads(stdout), out, sims


@pytest.fixture(scope="module")
def window_json(known):
    """`fidelity --protocol window --json` on the known centre, 2 replications on one worker:
    run once for the tests that read it."""
    log, fitted = known
    code, stdout, err = slasim(
        "fidelity", fitted, log, "--protocol", "window", "--reps", "2", "--json", "--workers", "1"
    )
    assert code == 0, err
    return json.loads(stdout)


def test_first_n_from_the_command_line(known, first_n):
    _log, fitted = known
    result, out, sims = first_n
    assert result["protocol"] == "first-n"
    n = result["settings"]["cases"]
    assert result["simulated_cases"] == [n, n] and result["unfinished_cases"] == 0
    held_out = yaml.safe_load(fitted.read_text(encoding="utf-8"))["provenance"]["held_out_cases"]
    assert n == held_out  # the test cases are those the fit held out
    for name in ("cycle_time", "ngram3", "lead_time_wd", "wip_cases"):
        row = result["measures"][name]
        assert row["cases"] == n  # N beside each verdict
        for side in ("model", "replay", "bootstrap", "floor"):  # one shape: {"mean": ...}
            assert math.isfinite(row[side]["mean"])
    assert result["vocabulary"]["test_only"] == [] and "warnings" in result
    # a model fitted from the centre's own log is close to it on control flow
    assert result["measures"]["ngram3"]["model"]["mean"] < 0.2
    assert result["summary"].startswith("better than replay on ")
    header = (sims / "sim_0.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "case_id,activity,resource,start_time,end_time"
    assert slasim("report", out).returncode == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Fidelity to the real cases" in page and "<th>verdict</th>" in page
    assert "<pre>" not in page


def test_the_same_results_for_any_worker_count(known, first_n):
    log, fitted = known
    two = slasim("fidelity", fitted, log, "--reps", "2", "--json", "--workers", "2")
    assert two.returncode == 0, two.stderr
    one = first_n[0]  # the same run on one worker (its result files asked for too)
    assert one["measures"] == json.loads(two.stdout)["measures"]


def test_the_window_opens_at_the_fits_split(known, window_json):
    """The window view scores only cases the fit held out (it opened at the day's close before
    the split, taking in fitted cases), and names its view."""
    log, fitted = known
    result = window_json
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
            "no activity of the test log (zzz) is one the model produces",
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


def _cases_in(path) -> int:
    return len({line.split(",")[0] for line in path.read_text(encoding="utf-8").splitlines()[1:]})


def test_a_copy_of_the_training_log_scores_only_the_cases_the_fit_never_saw(known, tmp_path):
    """The fitted cases are told by their receipts (the provenance's fitted period), not by the
    file's name: a renamed copy of the training log scores the held-out cases only (it was scored
    whole, fitted cases included)."""
    log, fitted = known
    other = tmp_path / "other.csv"
    other.write_bytes(log.read_bytes())
    code, stdout, err = slasim("fidelity", fitted, other, "--reps", "2", "--json", "-w", "1")
    assert code == 0, err
    result = json.loads(stdout)
    provenance = yaml.safe_load(fitted.read_text(encoding="utf-8"))["provenance"]
    assert result["settings"]["cases"] == provenance["held_out_cases"]
    set_aside = _cases_in(other) - provenance["held_out_cases"]
    assert set_aside == provenance["fitted_cases"]
    assert f"{set_aside} earlier cases set aside" in result["settings"]["split"]


def test_a_log_wholly_fitted_is_refused_whatever_its_name(known, tmp_path):
    log, _ = known
    fitted = tmp_path / "all.yaml"
    code, _, err = slasim(
        "fit", log, "-c", "weekdays", "--out", fitted, "--limit", "10wd", "--train-share", "1.0"
    )
    assert code == 0, err
    other = tmp_path / "renamed.csv"
    other.write_bytes(log.read_bytes())
    code, stdout, err = slasim("fidelity", fitted, other, "--reps", "2", "-w", "1")
    assert code == 2 and stdout == ""
    assert len(err.strip().splitlines()) == 1 and "none is left to test" in err, err


def test_an_older_fitted_file_falls_back_to_the_log_name_with_a_caveat(known, tmp_path):
    """A file fitted before its fitted period was recorded: a log of another name is taken as one
    the fit never saw (scored whole) and the output says the rule rests on the name."""
    log, fitted = known
    data = yaml.safe_load(fitted.read_text(encoding="utf-8"))
    del data["provenance"]["fitted_from"], data["provenance"]["fitted_until"]
    old = tmp_path / "old.yaml"
    old.write_text(yaml.safe_dump(data), encoding="utf-8")
    other = tmp_path / "other.csv"
    other.write_bytes(log.read_bytes())
    code, stdout, err = slasim("fidelity", old, other, "--reps", "2", "--json", "-w", "1")
    assert code == 0, err
    result = json.loads(stdout)
    assert result["settings"]["split"].startswith("a log the fit never saw")
    assert "file name only" in result["settings"]["split"]
    assert result["settings"]["cases"] == _cases_in(other)
    assert {row["verdict"] for row in result["measures"].values()} <= {"at floor", "above floor"}
    assert result["measures"]["cycle_time"]["replay"] is None  # no training log: no baselines


def _plain_log(path, cases: int, activities: list[str]) -> None:
    """`cases` cases a working day apart from Mon 15 Jan 2024 (weekdays), each doing
    `activities` one after another, 20 minutes each from 10:00."""
    rows = ["case_id,activity,start_time,end_time"]
    day = dt.date(2024, 1, 15)
    for k in range(cases):
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        for j, a in enumerate(activities):
            begin = dt.datetime.combine(day, dt.time(10)) + dt.timedelta(minutes=20 * j)
            end = begin + dt.timedelta(minutes=20)
            rows.append(f"t{k},{a},{begin:%Y-%m-%dT%H:%M},{end:%Y-%m-%dT%H:%M}")
        day += dt.timedelta(days=1)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_a_partly_foreign_vocabulary_is_warned_about_or_refused(known, tmp_path):
    """Half the test log's events of an activity the model never produces: one warning line
    naming it and its share (stderr and JSON); two thirds: refused in one located line."""
    log, fitted = known
    test = tmp_path / "test.csv"
    _plain_log(test, 10, ["intake", "stamp"])  # 10 of 20 events: stamp
    code, stdout, err = slasim(
        "fidelity", fitted, log, "--test-log", test, "--reps", "2", "--json", "-w", "1"
    )
    assert code == 0, err
    result = json.loads(stdout)
    assert result["vocabulary"]["test_only"] == ["stamp"]
    assert result["vocabulary"]["test_only_event_share"] == 0.5
    assert set(result["vocabulary"]["model_only"]) == {"decide", "review"}
    warned = [line for line in err.splitlines() if "only in the test log" in line]
    assert warned == ["warning: activities only in the test log: stamp (50.0% of its events); "
                      "only in the model: decide, review (" + warned[0].split("(")[2]]  # fmt: skip
    # 10 test cases, under the minimum of 30: said, and N beside the verdicts
    assert any("only 10 test cases (under 30)" in w for w in result["warnings"])
    text = slasim("fidelity", fitted, log, "--test-log", test, "--reps", "2", "-w", "1", "-q")
    assert "(N=10)" in text.stdout and "(N = 10 test cases)" in text.stdout
    _plain_log(test, 10, ["intake", "stamp", "file"])  # 20 of 30 events unknown
    code, stdout, err = slasim("fidelity", fitted, log, "--test-log", test, "--reps", "2")
    assert code == 2 and stdout == ""
    assert len(err.strip().splitlines()) == 1 and "test.csv" in err, err
    assert "67% of the test log's events are of activities the model never produces" in err
    assert "stamp" in err and "file" in err


def test_a_model_worse_than_replaying_history_is_told_so(known, tmp_path):
    """A constructed case: the test log is the training log's last 30 cases, so replaying the last
    30 training cases reproduces it exactly (every distance 0). A model, however close, can only
    be worse than replay on every measure, and the verdict says so (never "at floor")."""
    log, fitted = known
    lines = log.read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], [r.split(",") for r in lines[1:]]
    columns = header.split(",")
    case, activity, lifecycle, stamp = (
        columns.index(c) for c in ("case_id", "activity", "lifecycle", "timestamp")
    )
    decided = {r[case] for r in rows if r[activity] == "decided"}
    kept = [r for r in rows if r[case] in decided]  # whole cases only
    first = {}
    for r in kept:
        if r[lifecycle] == "start":
            first[r[case]] = min(first.get(r[case], r[stamp]), r[stamp])
    last = set(sorted(first, key=first.get)[-30:])
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    train.write_text("\n".join([header] + [",".join(r) for r in kept]) + "\n", encoding="utf-8")
    test.write_text(
        "\n".join([header] + [",".join(r) for r in kept if r[case] in last]) + "\n",
        encoding="utf-8",
    )
    code, stdout, err = slasim(
        "fidelity", fitted, train, "--test-log", test, "--reps", "3", "--json", "-w", "1"
    )
    assert code == 0, err
    result = json.loads(stdout)
    assert result["settings"]["cases"] == 30
    for name, row in result["measures"].items():
        assert row["replay"]["mean"] == 0.0, name
        assert row["model"]["mean"] > 0.0, name
        assert row["verdict"] == (
            "worse than both"
            if row["model"]["mean"] >= row["bootstrap"]["mean"]
            else "worse than replay"
        ), name
    assert result["summary"].startswith("better than replay on 0 of 8 measures")


def test_the_window_view_refuses_sim_logs_and_clips_its_intervals(known, window_json, tmp_path):
    log, fitted = known
    sims = tmp_path / "sims"
    code, stdout, err = slasim(
        "fidelity", fitted, log, "--protocol", "window", "--sim-logs", sims, "--reps", "2"
    )
    assert code == 2 and stdout == "" and not sims.exists()
    assert len(err.strip().splitlines()) == 1 and "--sim-logs" in err, err
    result = window_json
    for value in [
        *result["distances"].values(),
        *(m["simulated"] for m in result["measures"].values()),
    ]:
        assert value["ci95"] is None or value["ci95"][0] >= 0.0


def test_protocol_is_a_choice_and_the_overload_warning_is_given(known, tmp_path):
    log, fitted = known
    assert "[first-n|window]" in slasim("fidelity", "--help").stdout
    assert slasim("fidelity", fitted, log, "--protocol", "windows").returncode == 2
    # an overloaded model: the same pre-run warning as `slasim run`, then the bad test log stops it
    test = tmp_path / "test.csv"
    test.write_text("case_id,activity,start_time,end_time\n1,a,2024-01-08T10:00,soon\n")
    heavy = ["--set", "services.service.arrivals.per_day=200"]
    code, _, err = slasim("fidelity", fitted, log, "--test-log", test, *heavy)
    assert code == 2
    run_err = slasim("run", fitted, *heavy, "--reps", "2", "-w", "1").stderr
    expected = [line for line in run_err.splitlines() if "offered load" in line]
    assert expected and [line for line in err.splitlines() if "offered load" in line] == expected


def test_a_separate_test_log_holding_fitted_cases_is_warned_about(known):
    """A separate test log is scored whole (the field's protocol), but its cases received by the
    fit's last fitted receipt are counted and said: here the training log itself."""
    log, fitted = known
    code, stdout, err = slasim(
        "fidelity", fitted, log, "--test-log", log, "--reps", "2", "--json", "-w", "1"
    )
    assert code == 0, err
    result = json.loads(stdout)
    provenance = yaml.safe_load(fitted.read_text(encoding="utf-8"))["provenance"]
    total = _cases_in(log)
    assert result["settings"]["cases"] == total
    line = f"{provenance['fitted_cases']} of the test log's {total} cases were received by"
    assert any(line in w for w in result["warnings"]) and line in err


def test_the_report_of_a_log_with_hostile_names_stays_one_line_each(known, tmp_path):
    """An activity and the log's file name holding ESC, a line break and `::error::`: the report's
    lines are the report's (none a workflow command, no ESC), the names shown escaped."""
    import csv

    log, fitted = known
    hostile = "\x1b[31m\n::error::x"
    with log.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    renamed = tmp_path / f"log{hostile}.csv"
    with renamed.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(
            [rows[0]] + [r[:2] + [f"review{hostile}" if r[2] == "review" else r[2]] + r[3:]
                         for r in rows[1:]]
        )  # fmt: skip
    code, stdout, err = slasim("fidelity", fitted, renamed, "--reps", "2", "-w", "1")
    assert code == 0, err
    assert "\x1b" not in stdout and "log\\x1b[31m\\n::error::x.csv" in stdout
    assert not [line for line in stdout.splitlines() if line.lstrip().startswith("::")]


def test_without_the_fit_extra_fidelity_says_how_to_install_it(monkeypatch):
    import importlib.util

    import pytest

    from slasim.cli.fidelity import require_fit_extra
    from slasim.io.errors import SlasimError

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "log_distance_measures" else real(name, *a),
    )
    with pytest.raises(SlasimError, match=r"missing: log_distance_measures.*slasim\[fit\]"):
        require_fit_extra()


def _bench_fidelity():
    spec = importlib.util.spec_from_file_location(
        "bench_fidelity", ROOT / "benchmarks" / "bench_fidelity.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_states_issue_26s_goal_part_by_part():
    """AcademicCredentials' means of the session's last run, the verdict worked out by hand:
    NGD 0.263 is not under Simod's 0.239 (the other four are); CTDD 49.467 <= 1.2 x 41.577 =
    49.892; against the bootstrap 5 of the 6 field measures are better and AEDD (172.9) is within
    its mean + 2 sd when sd = 20 (176.0), beyond it when sd = 10 (156.0)."""
    bench = _bench_fidelity()
    published = json.loads((ROOT / "benchmarks" / "published_fidelity.json").read_text())
    tools = published["logs"]["AcademicCredentials"]
    model = {
        "cycle_time": 49.467,
        "ngram3": 0.263,
        "circadian_events": 2.041,
        "absolute_events": 172.919,
        "relative_events": 10.827,
        "case_arrivals": 160.066,
    }
    boot = {
        "cycle_time": 132.3,
        "ngram3": 0.281,
        "circadian_events": 4.743,
        "absolute_events": 135.964,
        "relative_events": 64.768,
        "case_arrivals": 168.716,
    }

    def lines(aedd_sd: float) -> list[str]:
        m = {
            k: {"model": {"mean": v}, "bootstrap": {"mean": boot[k], "sd": 1.0}}
            for k, v in model.items()
        }
        m["absolute_events"]["bootstrap"]["sd"] = aedd_sd
        return bench.goal(m, tools, published["measures"])

    simod, ctdd, bootstrap, overall = lines(20.0)
    assert simod.endswith("FAIL (not on NGD)")
    assert ctdd.endswith("49.892: PASS")
    assert "better on 5 (CTDD NGD CEDD REDD CADD): PASS" in bootstrap
    assert overall.endswith("FAIL")
    assert lines(10.0)[2].endswith("beyond mean + 2 sd on AEDD: FAIL")
