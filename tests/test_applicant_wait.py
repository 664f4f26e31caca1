"""The applicant's wait is always visible (issue 24, items 2, 3 and 7's edges): the backlog before
acceptance against hand arithmetic and queueing theory, its warning, shares kept in [0, 1], tables
within 120 columns, the worker count chosen from the work, and what `fit` says it could not fit."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import shutil

import pytest
import yaml

from slasim.outputs.results import change_cell, shown_verdict, table, text_report
from slasim.scenario.loader import load_scenario
from slasim.scenario.plan import compile_plan
from slasim.scenario.schema import Scenario
from slasim.sim.metrics import confidence
from slasim.sim.runner import run_scenario
from slasim.sim.workload import choose_workers

from .helpers import ROOT, slasim

DAY = 24 * 60  # office minutes of a working day on the `always` calendar
PER_DAY, WORK, DAYS, REPS = 96, 30.0, 60, 5  # one clerk at twice its capacity of 48 a day


def clerk(per_day: float = PER_DAY, **service) -> dict:
    """One clerk on the `always` calendar; acceptance left at its default unless given."""
    return {
        "name": "one-clerk",
        "calendar": "always",
        "start": "2025-01-01",
        "working_days": DAYS,
        "replications": REPS,
        "seed": 3,
        "departments": {"clerk": {"staff": 1}},
        "services": {
            "permit": {
                "limits": {"promised": "10wd", "legal": "20wd"},
                "arrivals": {"per_day": per_day},
                "steps": [
                    {"step": "receive", "department": "clerk", "work": {"exponential": WORK}}
                ],
                **service,
            }
        },
    }


@pytest.fixture(scope="module")
def overloaded(tmp_path_factory):
    path = tmp_path_factory.mktemp("over") / "one-clerk.yaml"
    path.write_text(yaml.safe_dump(clerk()), encoding="utf-8")
    return path


def test_an_overloaded_clerk_shows_its_unaccepted_backlog_and_a_warning(overloaded):
    code, out, err = slasim("run", overloaded, "--workers", "1", "--json")
    assert code == 0, err
    metrics = json.loads(out)["services"]["permit"]
    # Fluid arithmetic: 96 receipts a day against 48 served (1440 / 30): at the end of 60 days
    # 5760 - 2880 = 2880 wait unaccepted (less the one in service), 1440 more than at day 30.
    # Per replication the receipts are Poisson (sd 76) and the services a renewal count (sd 54),
    # so the backlog has sd ~93 and the mean of 5 replications ~42: 4 sd is 170.
    backlog = PER_DAY * DAYS - DAY / WORK * DAYS
    assert metrics["pending_at_end"]["mean"] == pytest.approx(backlog, abs=170)
    assert metrics["pending_growth"]["mean"] == pytest.approx(backlog / 2, abs=170)
    # A case received on day t is accepted on day 2t (FCFS at half the receipt rate): it waits t.
    # Accepted cases (t <= 30) wait t; those still waiting (t > 30) have waited 60 - t so far:
    # both uniform on [0, 30] working days, so mean 15 and p90 27 (a lower bound: censored).
    assert metrics["accept_wait_wd_mean"]["mean"] == pytest.approx(15, abs=1.5)
    assert metrics["accept_wait_wd_p90"]["mean"] == pytest.approx(27, abs=2)
    # One step that accepts and decides: the applicant's wait is the wait to acceptance.
    assert metrics["applicant_wait_wd_mean"]["mean"] == metrics["accept_wait_wd_mean"]["mean"]
    # The law's clock starts at acceptance: the on-time share alone says nothing is wrong.
    assert metrics["on_time_promised"]["mean"] == 1.0
    assert "departments.clerk" in err and "backlog before acceptance grows" in err
    code, text, _ = slasim("run", overloaded, "--workers", "1")
    assert code == 0
    row = next(line for line in text.splitlines() if line.startswith("awaiting acceptance at end"))
    assert float(row.split()[4]) == pytest.approx(metrics["pending_at_end"]["mean"], abs=0.05)
    assert "warning: departments.clerk (before acceptance of permit)" in text
    assert max(map(len, text.splitlines())) <= 120


def test_a_stable_desk_waits_as_an_mm1_queue_and_warns_nothing():
    # M/M/1 at utilisation 0.5 (24 receipts a day of 30-minute work on 1440-minute days): the
    # time in system is exponential with rate mu - lambda = 1/60 per minute: mean 60 minutes,
    # p90 60 ln 10 minutes. With first-step acceptance both waits are that time in system.
    scenario = Scenario.model_validate({**clerk(per_day=24), "working_days": 200, "warmup_days": 5})
    result = run_scenario(scenario, replications=8, workers=1)
    metrics = result["services"]["permit"]
    for name, minutes in (("mean", 60.0), ("p90", 60.0 * math.log(10))):
        for wait in ("accept_wait_wd", "applicant_wait_wd"):
            stat = metrics[f"{wait}_{name}"]
            # the CI, widened by the histogram's 0.5 % bin error for a quantile
            low, high = stat["ci95"]
            assert low * 0.99 <= minutes / DAY <= high * 1.01, (wait, name, stat)
    assert result["warnings"] == []
    assert abs(metrics["pending_growth"]["mean"]) < 5


def test_accepted_at_receipt_nothing_waits_for_acceptance():
    result = run_scenario(
        Scenario.model_validate(clerk(acceptance="receipt")), replications=2, workers=1
    )
    metrics = result["services"]["permit"]
    assert metrics["pending_at_end"]["mean"] == 0 and metrics["accept_wait_wd_mean"]["mean"] == 0
    assert metrics["applicant_wait_wd_mean"]["mean"] > 10  # the queue is all after acceptance
    assert result["warnings"] == []  # no desk before acceptance: `run`'s load warning says it


def test_validate_gives_runs_overload_warning(overloaded):
    code, out, err = slasim("validate", overloaded)
    assert code == 0 and "valid" in out
    assert "departments.clerk: offered load 2.00 staff ≥ 1 on duty" in err


def test_the_new_metrics_are_staffing_targets_and_sweep_columns(overloaded, tmp_path):
    code, out, err = slasim(
        "sweep", overloaded, "--vary", "departments.clerk.staff=1,3", "--reps", "2", "--json",
        "-w", "1",
    )  # fmt: skip
    assert code == 0, err
    rows = json.loads(out)["rows"]
    assert {"accept_wait_wd_p90", "applicant_wait_wd_mean"} <= set(rows[0]["overall"])
    assert rows[0]["warnings"] and not rows[1]["warnings"]  # 1 clerk grows a backlog, 3 do not
    code, text, _ = slasim(
        "sweep", overloaded, "--vary", "departments.clerk.staff=1,3", "--reps", "2", "-w", "1",
    )  # fmt: skip
    assert code == 0 and "warning: departments.clerk.staff=1: departments.clerk" in text
    assert "departments.clerk.staff=3" not in text
    assert "wait to acceptance wd (p90)" in text and max(map(len, text.splitlines())) <= 120
    from slasim.sim.runner import replication_metrics
    from slasim.staffing.targets import check_targets, parse_target

    plan = compile_plan(load_scenario(overloaded))
    check_targets([parse_target("applicant_wait_wd_p90<=5")], replication_metrics(plan, 0, 1))


def test_share_intervals_stay_inside_0_and_1():
    # mean 0.0025, sd 0.005, t(3, 0.975) = 3.1824: half-width 0.007956, clipped below at 0
    stat = confidence([0.0, 0.0, 0.0, 0.01], share=True)
    assert stat["ci95"][0] == 0.0 and stat["ci95"][1] == pytest.approx(0.0025 + 0.007956, abs=1e-6)
    assert confidence([1.0, 1.0, 0.99], share=True)["ci95"][1] == 1.0
    assert confidence([0.0, 0.0, 0.0, 0.01])["ci95"][0] < 0  # a difference is not clipped


def test_compare_shows_no_negative_zero_and_no_better_for_a_change_that_rounds_to_zero():
    change = {"change": -0.001, "ci95": [-0.006, -0.0004], "verdict": "better"}
    assert change_cell(change, "number") == "+0.00 [-0.01, +0.00]"
    assert shown_verdict(change, "number") == "negligible"
    big = {"change": -0.02, "ci95": [-0.03, -0.01], "verdict": "better"}
    assert shown_verdict(big, "number") == "better"
    share = {"change": -0.0004, "ci95": [-0.0008, -0.0001], "verdict": "better"}
    assert change_cell(share, "share") == "+0.0 pp [-0.1 pp, +0.0 pp]"
    assert shown_verdict(share, "share") == "negligible"


def test_wide_tables_are_cut_into_blocks_that_keep_their_first_columns():
    headers = ["metric", *(f"service-{i:02d}" for i in range(20))]
    rows = [["arrived", *(f"{i}.0 ± 1.0" for i in range(20))]]
    text = table(headers, rows)
    blocks = text.split("\n\n")
    assert len(blocks) > 1 and max(map(len, text.splitlines())) <= 120
    assert all(block.startswith("metric") for block in blocks)
    assert sum(block.count("service-") for block in blocks) == 20  # each column once


def test_shipped_run_reports_fit_in_120_columns():
    result = run_scenario(load_scenario("district-centre"), replications=2, workers=1)
    assert max(map(len, text_report(result).splitlines())) <= 120


def test_the_worker_count_follows_the_work():
    # measured on 2 cores: mmc-always's 10 replications (~35,000 cases on the queue path) run
    # faster alone; district-centre's 10 (~46,000 on the event loop) faster on a pool
    mmc = compile_plan(load_scenario("mmc-always"))
    district = compile_plan(load_scenario("district-centre"))
    assert choose_workers([(mmc, 10)], 2) == 1
    assert choose_workers([(mmc, 100)], 2) == 2
    assert choose_workers([(district, 10)], 2) == 2
    assert choose_workers([(district, 10)], 8) == 8
    assert choose_workers([(district, 1)], 8) == 1
    # compare and sweep run every plan in one pool: the work that pays for it is the sum. mmc's
    # 10 replications are 10 x 3,456 expected cases (57.6 a day over 60 days); five such plans
    # (172,800) stay under the 200,000 a pool needs, six (207,360) pass it
    assert choose_workers([(mmc, 10)] * 5, 2) == 1
    assert choose_workers([(mmc, 10)] * 6, 2) == 2


def test_the_default_acceptance_is_described_with_its_law():
    code, out, _ = slasim("schema")
    text = json.loads(out)["$defs"]["Service"]["properties"]["acceptance"]["description"]
    assert "Art. 32" in text and "first-step" in text and "accept_wait_wd_" in text


# ---------------------------------------------------------------- fit: what it could not fit well

SAMPLE = ROOT / "scenarios" / "logs" / "loanapp-sample.csv"


def outside_cn_hours(text: str) -> bool:
    """Whether an instant of Feb 2023 lies outside cn's office hours, worked out apart from the
    calendar code: weekends are closed (no holiday or make-up day in February 2023), weekdays open
    09:00-12:00 and 13:30-17:30 (a close counts as inside)."""
    t = dt.datetime.fromisoformat(text)
    assert t.month == 2 and t.year == 2023
    minute = t.hour * 60 + t.minute + t.second / 60
    return t.weekday() >= 5 or not (540 <= minute <= 720 or 810 <= minute <= 1050)


def test_fit_warns_of_events_outside_office_hours_and_names_their_hours(tmp_path):
    with SAMPLE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    instants = [r["start_timestamp"] for r in rows] + [r["time:timestamp"] for r in rows]
    share = sum(map(outside_cn_hours, instants)) / len(instants)
    code, out, err = slasim(
        "fit", SAMPLE, "-c", "cn", "--office-hours", "calendar", "--limit", "20wd", "--json"
    )
    assert code == 0, err
    hours = json.loads(out)["office_hours"]
    assert hours["outside_share"] == pytest.approx(share, abs=1e-4)
    assert f"{share:.1%} of the log's event starts and ends fall outside calendar cn" in err
    # the sample's work lies in 07:00-15:30 (its calendar's hours)
    assert hours["events_fall"] in ("07:00–15:00", "07:00–15:30") and hours["events_fall"] in err
    code, out, err = slasim(
        "fit", SAMPLE, "-c", "loanapp-example", "--office-hours", "calendar", "--limit", "20wd",
        "--json",
    )  # fmt: skip
    assert code == 0 and json.loads(out)["office_hours"]["outside_share"] == 0.0
    assert "outside calendar" not in err


def test_fit_warns_when_a_fitted_desk_cannot_keep_up(tmp_path):
    # One handler logs 30 one-hour jobs a day on the 24-hour `always` calendar (overlapping: a
    # log can show more work than one person does): offered load 30 h / 24 h = 1.25 >= 1 staff.
    lines = ["case,activity,start,end,resource"]
    for c in range(300):
        day, k = divmod(c, 30)
        start = dt.datetime(2024, 1, 1) + dt.timedelta(days=day, minutes=48 * k)
        for a, (activity, offset) in enumerate((("intake", 0), ("decide", 70))):
            begin = start + dt.timedelta(minutes=offset)
            lines.append(
                f"{c},{activity},{begin:%Y-%m-%dT%H:%M},"
                f"{begin + dt.timedelta(minutes=60 if a == 0 else 1):%Y-%m-%dT%H:%M},ann"
            )
    path = tmp_path / "log.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = slasim("fit", path, "-c", "always", "--out", tmp_path / "fitted.yaml")
    assert code == 0, err
    assert "offered load" in err and "staff ≥ 1 on duty" in err


def test_a_fitted_calendar_path_resolves_from_the_scenarios_folder(tmp_path):
    work = tmp_path / "work"
    (work / "calendars").mkdir(parents=True)
    shutil.copy(ROOT / "calendars" / "loanapp-example.toml", work / "calendars" / "x.toml")
    code, _, err = slasim(
        "fit", SAMPLE, "-c", "calendars/x.toml", "--office-hours", "calendar", "--limit", "20wd",
        "--out", "fitted/y.yaml", cwd=work,
    )  # fmt: skip
    assert code == 0, err
    data = yaml.safe_load((work / "fitted" / "y.yaml").read_text(encoding="utf-8"))
    assert data["calendar"] == "../calendars/x.toml"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code, out, err = slasim(
        "run", work / "fitted" / "y.yaml", "--reps", "2", "-w", "1", "-q", cwd=elsewhere
    )
    assert code == 0, err
    assert "calendar loanapp-example" in out


def test_a_calendar_path_from_the_working_folder_still_loads(tmp_path):
    # scenarios written before paths were relative to their folder: found from the working folder
    (tmp_path / "calendars").mkdir()
    shutil.copy(ROOT / "calendars" / "weekdays.toml", tmp_path / "calendars" / "mine.toml")
    (tmp_path / "scenarios").mkdir()
    data = {**clerk(per_day=10), "calendar": "calendars/mine.toml", "replications": 2}
    (tmp_path / "scenarios" / "old.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    code, _, err = slasim("validate", "scenarios/old.yaml", cwd=tmp_path)
    assert code == 0, err
