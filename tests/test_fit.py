"""`slasim fit`: a known scenario's event log fitted back (round trip), distributions by their
criterion, bad logs exit 2 naming file and column (`fidelity` is in tests/test_fidelity.py)."""

from __future__ import annotations

import gzip
import json
import math

import numpy as np
import pytest
import yaml

from slasim.calendar.workcalendar import load_calendar
from slasim.fit.families import choose
from slasim.io.errors import SlasimError
from slasim.scenario.schema import Scenario
from slasim.sim.runner import run_scenario

from .helpers import ROOT, slasim

FITTED = sorted((ROOT / "scenarios" / "fitted").glob("*.yaml"))

PER_DAY, BRANCH, DAYS = 24, 0.3, 60
KNOWN = {
    "name": "known",
    "calendar": "weekdays",
    "start": "2024-01-08",
    "working_days": DAYS,
    "warmup_days": 1,
    "seed": 7,
    "departments": {"intake": {"staff": 2}, "review": {"staff": 2}},
    "services": {
        "permit": {
            "limits": "10wd",
            "acceptance": "receipt",
            "arrivals": {"per_day": PER_DAY},
            "steps": [
                {"step": "intake", "department": "intake", "work": {"exponential": 20}},
                {
                    "branch": [
                        {
                            "probability": BRANCH,
                            "steps": [
                                {
                                    "step": "review",
                                    "department": "review",
                                    "work": {"lognormal": {"mean": 60, "sd": 30}},
                                }
                            ],
                        },
                        {"probability": 1 - BRANCH, "steps": []},
                    ]
                },
                {"step": "decide", "department": "intake", "work": {"fixed": 10}},
            ],
        }
    },
}


@pytest.fixture(scope="module")
def known_log(tmp_path_factory):
    path = tmp_path_factory.mktemp("known") / "events.csv"
    run_scenario(Scenario.model_validate(KNOWN), replications=1, event_log=path, workers=1)
    return path


@pytest.fixture(scope="module")
def fitted(known_log, tmp_path_factory):
    out = tmp_path_factory.mktemp("fitted") / "fitted.yaml"
    code, stdout, err = slasim("fit", known_log, "-c", "weekdays", "--out", out, "--limit", "10wd")
    assert code == 0, err
    return out, yaml.safe_load(out.read_text(encoding="utf-8"))


def test_round_trip_recovers_the_known_parameters(fitted):
    _, data = fitted
    service = data["services"]["service"]
    n_fit = 0.7 * PER_DAY * (DAYS - 1)  # about 70% of the cases received
    # Arrivals: a Poisson count over ~42 working days has sd sqrt(per_day / days) per day.
    assert service["arrivals"]["per_day"] == pytest.approx(PER_DAY, abs=4 * math.sqrt(PER_DAY / 42))
    steps = service["steps"]
    assert [s.get("step") for s in steps if "step" in s] == ["intake", "decide"]
    branch = next(s["branch"] for s in steps if "branch" in s)
    share = branch[0]["probability"]
    assert share == pytest.approx(BRANCH, abs=4 * math.sqrt(BRANCH * (1 - BRANCH) / n_fit))
    review = branch[0]["steps"][0]
    assert review["step"] == "review" and review["department"] == "review"
    mean = lambda work: (  # noqa: E731 - the fitted distribution's mean
        work.get("exponential")
        or work.get("fixed")
        or (work["lognormal"]["mean"] if "lognormal" in work else None)
        or (sum(work["triangular"]) / 3 if "triangular" in work else None)
        or (sum(work["uniform"]) / 2 if "uniform" in work else np.mean(work["empirical"]))
    )
    # Work means within 4 standard errors: exponential sd = mean, lognormal sd 30, fixed exact.
    assert mean(steps[0]["work"]) == pytest.approx(20, abs=4 * 20 / math.sqrt(n_fit))
    assert mean(review["work"]) == pytest.approx(60, abs=4 * 30 / math.sqrt(BRANCH * n_fit))
    assert mean(steps[-1]["work"]) == pytest.approx(10, abs=1e-6)
    assert steps[-1]["work"].get("fixed") == pytest.approx(10)
    # Staff: the handlers at work on a day (both of each desk's two, on busy days).
    assert data["departments"] == {"intake": {"staff": 2}, "review": {"staff": 2}}


def test_the_fitted_file_validates_runs_and_carries_its_evidence(fitted, known_log):
    path, data = fitted
    text = path.read_text(encoding="utf-8")
    assert "# 'intake' work in office minutes: n=" in text and "Wasserstein" in text
    assert "given (--limit), not fitted" in text
    assert slasim("validate", path).returncode == 0


def test_families_by_their_criterion():
    rng = np.random.default_rng(1)
    dist, why = choose(rng.exponential(30, 4000), "min")
    assert "exponential" in dist and dist["exponential"] == pytest.approx(30, rel=0.06)
    dist, _ = choose(np.full(50, 12.0), "min")
    assert dist == {"fixed": 12.0, "unit": "min"}
    dist, _ = choose(rng.lognormal(3, 0.4, 4000), "min")
    assert "lognormal" in dist
    dist, why = choose(np.r_[np.zeros(500), np.full(500, 100.0)], "min")  # two spikes
    assert "empirical" in dist and "n=1000" in why


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "the log is empty"),
        ("case,activity,end\n", "the log is empty"),
        ("case,task_x,end\n1,a,2024-01-08T10:00\n", "no activity column found"),
        ("case,activity,end\n1,a,yesterday\n2,a,2024-01-08T10:00\n", "not an ISO timestamp"),
        (
            "case,activity,start,end\n1,a,2024-01-08T11:00,2024-01-08T10:00\n",
            "ends before it starts",
        ),
        (
            "case,activity,end\n1,a,2024-01-08T10:00+08:00\n2,a,2024-01-08T10:00\n",
            "time zones mixed",
        ),
        ("case,activity,end\n1,a,2024-01-08T10:00\n1,b,2024-01-08T11:00\n", "fewer than two cases"),
    ],
)
def test_bad_logs_exit_2_naming_file_and_column(tmp_path, text, words):
    path = tmp_path / "log.csv"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out.yaml"
    code, _, err = slasim("fit", path, "-c", "weekdays", "--out", out)
    assert code == 2 and err.count("\n") == 1 and words in err and str(path) in err, err
    assert not out.exists()


def test_gzip_logs_and_offsets_are_read(tmp_path):
    rows = ["case:concept:name,concept:name,time:timestamp"]
    for c in range(40):
        day = 8 + c % 5
        rows.append(f"{c},intake,2024-01-{day:02d}T0{1 + c % 7}:00:00+00:00")
        rows.append(f"{c},decide,2024-01-{day:02d}T0{2 + c % 7}:30:00+00:00")
    path = tmp_path / "log.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(rows) + "\n")
    code, out, err = slasim("fit", path, "-c", "weekdays", "--json")
    assert code == 0, err
    evidence = json.loads(out)
    assert evidence["cases"] == 40 and evidence["starts_estimated"] == 80


@pytest.mark.parametrize("path", FITTED, ids=lambda p: p.stem)
def test_shipped_fitted_scenarios_validate_and_run(path):
    assert len(FITTED) == 3
    assert slasim("validate", path).returncode == 0
    code, out, err = slasim("run", path, "--reps", "2", "--workers", "1", "--json", "-q")
    assert code == 0, err
    assert json.loads(out)["overall"]["arrived"]["mean"] > 0


def test_an_xes_log_fits_to_the_same_route_as_its_csv(known_log, tmp_path):
    """The XES that the event log writes beside its CSV, read by slasim's own streaming reader
    (`slasim.fit.xes`, no pm4py), fits to the route the CSV gives: intake, then decide."""
    out = tmp_path / "from-xes.yaml"
    xes = known_log.with_suffix(".xes")
    code, _, err = slasim("fit", xes, "-c", "weekdays", "--out", out)
    assert code == 0, err
    steps = yaml.safe_load(out.read_text(encoding="utf-8"))["services"]["service"]["steps"]
    assert [s.get("step") for s in steps if "step" in s] == ["intake", "decide"]


def test_the_limit_comes_from_a_deadline_column(tmp_path):
    # Received Mon 8 Jan 2024 10:00, due Fri 19 Jan 17:00 on the weekdays calendar (09:00-17:00):
    # 7/8 of Monday, then 9 whole working days = 9.875 working days, so 10wd.
    import datetime as dt

    rows = ["case,activity,start,end,case:deadline"]
    for c in range(12):  # one case a week, each received on a Monday and due on the next Friday
        monday = dt.date(2024, 1, 8) + dt.timedelta(weeks=c)
        due = f"{monday + dt.timedelta(days=11)}T17:00"
        rows.append(f"{c},intake,{monday}T10:00,{monday}T10:30,{due}")
        rows.append(f"{c},decide,{monday}T11:00,{monday}T11:10,{due}")
    path = tmp_path / "log.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out, err = slasim("fit", path, "-c", "weekdays")
    assert code == 0, err
    assert "limits: {legal: 10wd}  # from the deadline column: median 9.88 working days" in out


def test_a_log_over_the_size_cap_is_refused_before_reading(tmp_path):
    from slasim.fit.log import read_log

    path = tmp_path / "big.csv"
    path.write_text("case,activity,end\n" + "1,a,2024-01-08T10:00\n" * 60_000, encoding="utf-8")
    with pytest.raises(SlasimError, match="over the 1 MB read into memory"):
        read_log(path, load_calendar("weekdays"), max_mb=1)
