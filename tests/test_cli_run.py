"""`slasim run / validate / schema`: reproducible output, files, overrides, and one-line errors."""

from __future__ import annotations

import json

import pytest

from .helpers import ROOT, SHIPPED_SCENARIOS, slasim

SCENARIOS = SHIPPED_SCENARIOS
SMALL = ["--reps", "2", "--set", "working_days=25", "--set", "warmup_days=2"]


def test_same_seed_gives_identical_json_and_another_seed_does_not():
    first = slasim("run", ROOT / "scenarios/district-centre.yaml", *SMALL, "--json")
    second = slasim("run", ROOT / "scenarios/district-centre.yaml", *SMALL, "--json")
    other = slasim("run", ROOT / "scenarios/district-centre.yaml", *SMALL, "--json", "--seed", "99")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert (
        json.loads(other.stdout)["overall"]["arrived"]
        != json.loads(first.stdout)["overall"]["arrived"]
    )
    result = json.loads(first.stdout)
    assert result["replications"] == 2 and result["period"]["working_days"] == 25
    assert set(result["services"]) == {"food-licence", "enterprise-change", "real-estate"}


def test_table_and_out_dir(tmp_path):
    out = slasim("run", ROOT / "scenarios/district-centre.yaml", *SMALL, "--out", tmp_path / "res")
    assert out.returncode == 0, out.stderr
    assert "red card" in out.stdout and "utilisation" in out.stdout
    files = sorted(p.name for p in (tmp_path / "res").iterdir())
    assert files == [
        "departments.csv",
        "services.csv",
        "slasim-manifest.json",  # the set, published whole (io.manifest)
        "steps.csv",
        "summary.json",
    ]
    summary = json.loads((tmp_path / "res/summary.json").read_text(encoding="utf-8"))
    rows = (tmp_path / "res/services.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == "name,metric,mean,ci95_low,ci95_high,replications"
    arrived = next(r for r in rows if r.startswith("real-estate,arrived,"))
    assert float(arrived.split(",")[2]) == pytest.approx(
        summary["services"]["real-estate"]["arrived"]["mean"]
    )


def test_set_overrides_a_field(cli):
    base = json.loads(cli("run", ROOT / "scenarios/district-centre.yaml", *SMALL, "--json")[1])
    more = json.loads(
        cli(
            "run",
            ROOT / "scenarios/district-centre.yaml",
            *SMALL,
            "--json",
            "--set",
            "departments.registry.staff=6",
        )[1]
    )
    assert more["departments"]["registry"]["staff_mean"]["mean"] > 3
    assert (
        more["departments"]["registry"]["utilisation"]["mean"]
        < base["departments"]["registry"]["utilisation"]["mean"]
    )


def test_shipped_scenarios_validate_and_the_schema_describes_them(cli):
    code, out, err = cli("validate", *SCENARIOS)
    assert code == 0, err
    assert out.count(": valid") == len(SCENARIOS) >= 2
    schema = json.loads(cli("schema")[1])
    assert {"services", "departments", "calendar", "start"} <= set(schema["properties"])
    assert {"Step", "Parallel", "Choice", "Distribution"} <= set(schema["$defs"])


BASE = """name: x
calendar: cn
start: 2025-03-03
working_days: 10
departments:
  desk: {staff: 2}
services:
  permit:
    limits: 20wd
    arrivals: {per_day: 3}
    steps:
      - {step: handle, department: desk, work: {exponential: 30}}
"""


@pytest.mark.parametrize(
    "old, new, where, what",
    [
        ("department: desk,", "department: dsek,", "services", "unknown department 'dsek'"),
        (
            "{exponential: 30}",
            "{exponential: 30, fixed: 4}",
            "services.permit.steps[0].work",
            "exactly one",
        ),
        (
            "{exponential: 30}",
            "{exponential: 30, unit: d}",
            "services.permit.steps[0].work",
            "work unit",
        ),
        ("start: 2025-03-03", "start: 2025-02-30", "start", "not a date"),
        (
            "    arrivals: {per_day: 3}",
            "    arivals: {per_day: 3}",
            "services.permit.arivals",
            "unknown field",
        ),
        ("limits: 20wd", "limits: 20wq", "services.permit.limits.legal", "not a time limit"),
        (
            "      - {step: handle",
            "      - branch: [{probability: 0.5, steps: []}]\n      - {step: handle",
            "services.permit.steps[0]",
            "sum to 1",
        ),
        ("working_days: 10", "working_days: 10\nend: 2025-04-01", None, "one of them"),
        ("calendar: cn", "calendar: mars", "calendar", "mars"),
        ("desk: {staff: 2}", "desk: {staff: 2", None, "invalid YAML"),
    ],
)
def test_a_malformed_scenario_is_one_line_with_file_and_field(cli, tmp_path, old, new, where, what):
    path = tmp_path / "bad.yaml"
    assert old in BASE
    path.write_text(BASE.replace(old, new), encoding="utf-8")
    for command in ("run", "validate"):
        code, out, err = cli(command, path)
        assert code == 2, out
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
        assert str(path) in err and what in err
        if where:
            assert where in err


def test_bad_set_and_missing_file_exit_2(cli, tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(BASE, encoding="utf-8")
    code, _, err = cli("run", path, "--set", "departments.nope.staff=3")
    assert code == 2 and "departments.nope" in err
    code, _, err = cli("run", path, "--set", "departments.desk.staff=zero")
    assert code == 2 and "departments.desk.staff" in err
    code, _, err = cli("run", tmp_path / "missing.yaml")
    assert code == 2 and "missing.yaml" in err


def test_a_period_past_the_published_years_is_provisional(cli, tmp_path):
    # cn is published through 2026: ten working days from 2026-12-21 run into 2027.
    path = tmp_path / "future.yaml"
    path.write_text(BASE.replace("start: 2025-03-03", "start: 2026-12-21"), encoding="utf-8")
    code, _, err = cli("run", path, "--reps", "2")
    assert code == 0 and "provisional" in err
    code, _, err = cli("run", path, "--reps", "2", "--strict", "--out", tmp_path / "res")
    assert code == 2 and "provisional" in err
    assert not (tmp_path / "res").exists()  # nothing written on a refused run


def test_quiet_keeps_stderr_empty_and_json_is_all_of_stdout(cli, tmp_path):
    path = tmp_path / "future.yaml"
    path.write_text(BASE.replace("start: 2025-03-03", "start: 2026-12-21"), encoding="utf-8")
    code, out, err = cli("run", path, "--reps", "2", "--json", "--quiet")
    assert code == 0 and err == ""
    assert json.loads(out)["provisional"] is True
