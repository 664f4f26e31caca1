"""Broken input never shows a traceback: a corpus of bad scenario, check and calendar files, and a
Hypothesis fuzz of the scenario loader. Every case ends in exit 2 with one line naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slasim.io.errors import SlasimError
from slasim.io.schema import validate
from slasim.scenario.plan import compile_plan
from slasim.scenario.schema import Scenario

from .helpers import BAD_INPUT, mutated, tree_paths

EXPECTED = {  # file → a phrase its one-line message must contain
    "billion-laughs.yaml": "expands to over",
    "binary.yaml": "not UTF-8",
    "empty.yaml": "a scenario is a mapping",
    "huge-factor.yaml": "between 0 and 1000",
    "huge-period.yaml": "past the table of calendar",
    "huge-volume.yaml": "less than or equal to 100000",
    "huge-work.yaml": "finite and at most",
    "inf.yaml": "finite number",
    "missing-services.yaml": "services: Field required",
    "nan.yaml": "finite number",
    "negative.yaml": "greater than or equal to 0",
    "not-a-mapping.yaml": "a scenario is a mapping",
    "out-of-coverage.yaml": "outside the table of calendar",
    "python-tag.yaml": "could not determine a constructor",
    "routing-cycle.yaml": "refers to itself",
    "wrong-type.yaml": "valid integer",
}


def one_clear_line(code: int, err: str, path: Path) -> bool:
    return (
        code == 2
        and len(err.strip().splitlines()) == 1
        and str(path) in err
        and "Traceback" not in err
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_scenarios(cli, tmp_path, name):
    path = BAD_INPUT / name
    for command in (["validate", path], ["run", path, "--reps", "2", "--out", tmp_path / "out"]):
        code, _, err = cli(*command)
        assert one_clear_line(code, err, path), err
        assert EXPECTED[name] in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "name, phrase", [("check-bomb.yaml", "expands to over"), ("check-nan.yaml", "pauses[0].from")]
)
def test_bad_check_files(cli, tmp_path, name, phrase):
    path = BAD_INPUT / name
    code, _, err = cli("check", path, "--junit-xml", tmp_path / "out.xml")
    assert one_clear_line(code, err, path) and phrase in err
    report = (tmp_path / "out.xml").read_text(encoding="utf-8")  # the error, for CI dashboards
    assert 'errors="1"' in report and phrase in report


@pytest.mark.parametrize(
    "name, phrase",
    [
        ("calendar-syntax.toml", "invalid TOML"),
        ("calendar-unknown-key.toml", "bogus: unknown field"),
    ],
)
def test_bad_calendar_files(cli, name, phrase):
    code, _, err = cli("calendar", "show", BAD_INPUT / name)
    assert code == 2 and phrase in err and name in err and "Traceback" not in err


BASE = yaml.safe_load((BAD_INPUT / "base.yaml").read_text(encoding="utf-8"))
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


ALL_PATHS = [p for p in tree_paths(BASE) if p]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(ALL_PATHS), st.one_of(JUNK, st.just("<delete>"))),
        min_size=1,
        max_size=4,
    )
)
def test_fuzzed_scenarios_fail_cleanly_or_load(mutations):
    data = mutated(BASE, mutations)
    try:
        scenario = validate(Scenario, data, "fuzz.yaml")
        compile_plan(scenario, "fuzz.yaml")
    except SlasimError as exc:
        assert str(exc).startswith("fuzz.yaml") and "\n" not in str(exc)
