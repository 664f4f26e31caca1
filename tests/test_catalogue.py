"""Portfolios generated from a catalogue CSV: one service per item, and located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from slasim.io.errors import SlasimError
from slasim.scenario.loader import load_scenario_data
from slasim.scenario.schema import Scenario

HEADER = "item,department,count,per_day,legal,promised,review_minutes,supplement\n"
SCENARIO = """name: p
calendar: cn
start: 2025-03-03
working_days: 10
catalogue: {file: items.csv, handover: {fixed: 1, unit: wd}}
departments: {window: {staff: 1}, market: {staff: 1}}
services: {}
"""


def write(tmp_path: Path, rows: str) -> Path:
    (tmp_path / "items.csv").write_text(HEADER + rows, encoding="utf-8")
    path = tmp_path / "p.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def test_rows_expand_into_counted_services(tmp_path):
    path = write(
        tmp_path, "licence,market,3,0.5,20wd,5wd,60,0.2\nchange,market,1,2,10wd,3wd,20,0\n"
    )
    data, _ = load_scenario_data(path)
    scenario = Scenario.model_validate(data)
    assert list(scenario.services) == ["licence-001", "licence-002", "licence-003", "change"]
    licence = scenario.services["licence-002"]
    assert (licence.limits.promised, licence.limits.legal, licence.arrivals.per_day) == (
        "5wd",
        "20wd",
        0.5,
    )
    assert [s.step for s in licence.steps] == ["accept", "handover", "review", "decide"]
    assert (
        licence.steps[0].supplement.chance == 0.2
        and scenario.services["change"].steps[0].supplement is None
    )


@pytest.mark.parametrize(
    "rows, what",
    [
        ("licence,market,two,0.5,20wd,5wd,60,0.2\n", "'count' must be a number"),
        ("licence,market,1,0.5,20wd,5wd,60,1.5\n", "probability"),
        ("licence,market,1,-1,20wd,5wd,60,0.2\n", ">= 0"),
    ],
)
def test_bad_rows_name_the_file_and_line(tmp_path, rows, what):
    path = write(tmp_path, rows)
    with pytest.raises(SlasimError) as info:
        load_scenario_data(path)
    assert (
        "items.csv" in str(info.value) and "line 2" in str(info.value) and what in str(info.value)
    )


def test_a_missing_column_is_named(tmp_path):
    path = write(tmp_path, "")
    (tmp_path / "items.csv").write_text("item,department\nx,market\n", encoding="utf-8")
    with pytest.raises(SlasimError, match="missing: count"):
        load_scenario_data(path)
