"""Portfolios generated from a catalogue CSV: one service per item, and located errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


@pytest.mark.parametrize(
    "rows, line, what",
    [
        # the same row twice
        ("a,market,1,1,20wd,5wd,60,0\na,market,1,1,20wd,5wd,60,0\n", 3, "'a' is generated twice"),
        # a row named like another row's third item
        ("a,market,3,1,20wd,5wd,60,0\na-003,market,1,1,20wd,5wd,60,0\n", 3, "'a-003'"),
        # 10^8 items: bounded before anything is built
        ("a,market,100000000,1,20wd,5wd,60,0\n", 2, "over 10,000 services"),
        # a 200 KB field
        ("a" * 200_000 + ",market,1,1,20wd,5wd,60,0\n", 2, "field|characters"),
        ("a\x1b[2J,market,1,1,20wd,5wd,60,0\n", 2, "control or invisible"),
    ],
)
def test_catalogue_collisions_and_sizes_are_refused_located(tmp_path, rows, line, what):
    path = write(tmp_path, rows)
    with pytest.raises(SlasimError, match=what) as err:
        load_scenario_data(path)
    assert "items.csv" in str(err.value) and f"line {line}" in str(err.value)


def test_a_catalogue_name_colliding_with_a_scenario_service_is_refused(tmp_path):
    path = write(tmp_path, "a,market,1,1,20wd,5wd,60,0\n")
    path.write_text(
        SCENARIO.replace(
            "services: {}",
            "services:\n  a: {limits: 20wd, arrivals: {per_day: 1}, steps: [{step: s, "
            "department: market, work: {fixed: 5}}]}",
        ),
        encoding="utf-8",
    )
    with pytest.raises(SlasimError, match="scenario's services"):
        load_scenario_data(path)


def test_a_catalogue_that_is_not_utf8_is_one_line(tmp_path):
    path = write(tmp_path, "")
    (tmp_path / "items.csv").write_bytes(HEADER.encode() + b"caf\xe9,market,1,1,20wd,5wd,60,0\n")
    with pytest.raises(SlasimError, match="not UTF-8"):
        load_scenario_data(path)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "a-001", "a-002", "b-001", "c"]), st.integers(1, 3)),
        min_size=1,
        max_size=5,
    )
)
def test_random_catalogues_refuse_exactly_the_colliding_names(tmp_path_factory, rows):
    """A catalogue is expanded exactly when the names its rows generate (item, or item-001 …
    for a count over one) are all different; otherwise the first repeated one is named."""
    names = [
        item if count == 1 else f"{item}-{i:03d}"
        for item, count in rows
        for i in range(1, count + 1)
    ]
    repeated = next((n for k, n in enumerate(names) if n in names[:k]), None)
    text = "".join(f"{item},market,{count},1,20wd,5wd,60,0\n" for item, count in rows)
    path = write(tmp_path_factory.mktemp("cat"), text)
    if repeated is None:
        data, _ = load_scenario_data(path)
        assert list(data["services"]) == names
    else:
        with pytest.raises(SlasimError, match=f"service '{repeated}' is generated twice"):
            load_scenario_data(path)
