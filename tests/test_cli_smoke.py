"""Each command once as a user runs it: `python -m slasim …` in a fresh process (the other CLI tests
run the same entry point in this process, which is faster and shows the same behaviour)."""

from __future__ import annotations

import json

import pytest

from .helpers import ROOT, SHIPPED_CHECKS, slasim_process

SMALL = ["--reps", "2", "--set", "working_days=15", "--set", "warmup_days=1", "--workers", "1"]


def test_deadline():
    out = slasim_process("deadline", "2025-09-26", "20wd", "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["due_date"] == "2025-10-30"


def test_check_passes_and_a_bad_file_exits_2(tmp_path):
    assert slasim_process("check", *SHIPPED_CHECKS).returncode == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("cases: []\n", encoding="utf-8")
    out = slasim_process("check", bad)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and str(bad) in out.stderr


def test_calendar_list_and_show():
    assert "cn" in slasim_process("calendar", "list").stdout
    shown = json.loads(slasim_process("calendar", "show", "cn", "--year", "2026", "--json").stdout)
    # 2026 notice, by hand: 261 weekdays, 19 of them rest days (Jan 1-2, Feb 16-20 and 23, Apr 6,
    # May 1, 4, 5, Jun 19, Sep 25, Oct 1, 2, 5-7), plus 6 make-up workdays.
    assert shown["working_days"] == 261 - 19 + 6


@pytest.mark.parametrize("command", ["run", "compare"])
def test_simulation_commands(command, tmp_path):
    out = slasim_process(command, "district-centre", *SMALL, "--json", "--out", tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["replications" if command == "run" else "baseline"]


def test_sweep_validate_schema_report(tmp_path):
    swept = slasim_process(
        "sweep", "mmc-always", "--vary", "departments.desk.staff=3,4", *SMALL, "--json"
    )
    assert swept.returncode == 0, swept.stderr
    assert len(json.loads(swept.stdout)["rows"]) == 2
    assert slasim_process("validate", ROOT / "scenarios/district-centre.yaml").returncode == 0
    assert json.loads(slasim_process("schema").stdout)["title"] == "slasim scenario"
    assert slasim_process("run", "mmc-always", *SMALL, "--out", tmp_path).returncode == 0
    assert slasim_process("report", tmp_path).returncode == 0
    assert (tmp_path / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_usage_error_is_one_line_exit_2():
    out = slasim_process("deadline", "2025-09-26")
    assert out.returncode == 2 and out.stderr.count("\n") == 1
