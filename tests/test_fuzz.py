"""Fuzz of calendar files and command-line arguments: whatever comes in, the CLI ends with exit 0, 1
or 2 and at most one `error:` line — never a traceback, never exit 70 (a bug)."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import ROOT, mutated, slasim, tree_paths

BASE_CALENDAR = {
    "name": "fuzz",
    "title": "fuzzed",
    "country": "CN",
    "timezone": "Asia/Shanghai",
    "weekend": ["sat", "sun"],
    "first_year": 2024,
    "published_through": 2025,
    "office_hours": {"default": [["09:00", "12:00"], ["13:30", "17:30"]]},
    "counting": {
        "acceptance_day_counts": False,
        "working_day_limit_ends": "close",
        "calendar_day_limit_rolls": True,
    },
    "years": {"2025": {"rest": ["2025-10-01..2025-10-08"], "work": ["2025-09-28"]}},
}

JUNK = st.one_of(
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=12),
    st.sampled_from(["", "..", "25:00", "2025-02-30", "2025-13-01..2025-01-01", "mon", "xyz"]),
    st.lists(st.text(max_size=6), max_size=3),
    st.lists(st.lists(st.sampled_from(["09:00", "08:00", "24:00", "x"]), max_size=3), max_size=3),
    st.dates(min_value=dt.date(1, 1, 1)),
    st.dictionaries(st.sampled_from(["rest", "work", "title", "x"]), st.text(max_size=5)),
)


CALENDAR_PATHS = [p for p in tree_paths(BASE_CALENDAR) if p]


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, dt.date)):
        return str(value) if not isinstance(value, dt.date) else value.isoformat()
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string is JSON-compatible
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return (
        "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items()) + "}"
    )


def to_toml(data: dict) -> str:
    """A small TOML writer for the fuzzed calendar (top-level scalars, then one level of tables,
    with nested tables inline)."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for key, table in data.items():
        if isinstance(table, dict):
            lines.append(f"[{json.dumps(str(key))}]")
            lines += [f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def _ended_cleanly(ran, lines_per_error: bool = False) -> None:
    """Exit 0, 1 or 2; no traceback and no bug report (exit 70); on exit 2, `error:` lines only —
    one, or one per bad file for `validate`."""
    code, _, err = ran
    assert code in (0, 1, 2), err
    assert "Traceback" not in err and "a bug in slasim" not in err, err
    if code == 2:
        lines = err.splitlines()
        assert lines and all(line.startswith(("error: ", "warning: ")) for line in lines), err
        assert lines_per_error or sum(line.startswith("error: ") for line in lines) == 1, err


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.sampled_from(CALENDAR_PATHS), st.one_of(JUNK, st.just("<delete>"))),
        min_size=1,
        max_size=4,
    )
)
def test_fuzzed_calendar_files_end_cleanly(tmp_path, mutations):
    data = mutated(BASE_CALENDAR, mutations)
    file = tmp_path / "fuzz.toml"
    file.write_text(to_toml(data), encoding="utf-8")
    _ended_cleanly(slasim("deadline", "2025-09-26T10:00", "20wd", "-c", file, "--explain"))
    _ended_cleanly(slasim("deadline", "2025-09-26", "30d", "-c", file, "--extension", "5wd"))
    _ended_cleanly(slasim("calendar", "show", file, "--year", "2025"))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=200), st.integers(0, 400))
def test_calendar_bytes_spliced_into_a_real_calendar_end_cleanly(tmp_path, junk, at):
    text = (ROOT / "calendars" / "nl.toml").read_bytes()
    at = min(at, len(text))
    file = tmp_path / "spliced.toml"
    file.write_bytes(text[:at] + junk + text[at:])
    _ended_cleanly(slasim("deadline", "2025-09-26", "20wd", "-c", file))


SCRATCH = Path(tempfile.mkdtemp(prefix="slasim-fuzz-"))
TOKENS = st.one_of(
    st.sampled_from(
        [
            "deadline",
            "check",
            "validate",
            "calendar",
            "show",
            "list",
            "schema",
            "report",
            "--json",
            "--explain",
            "--strict",
            "--year",
            "-y",
            "--calendar",
            "-c",
            "--extension",
            "--junit-xml",
            "--html",
            "--set",
            "--reps",
            "--seed",
            "--workers",
            "--debug-not",
            "cn",
            "always",
            "nl",
            "weekdays",
            "20wd",
            "4wh",
            "30d",
            "２０wd",
            "1e9wd",
            "-5wd",
            "2025-09-26",
            "2025-09-26T10:00+08:00",
            "2025-02-30",
            "99999-01-01",
            "1900-01-01",
            "0",
            "-1",
            "99999",
            "1e400",
            "nan",
            "",
            " ",
            "\x00",
            "\u202e",
            "/dev/null",
            "/dev/zero",
            "/etc/passwd",
            str(ROOT / "scenarios" / "district-centre.yaml"),
            str(ROOT / "scenarios" / "checks" / "licence-national.yaml"),
            "no/such/file.yaml",
        ]
    ),
    st.text(max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["deadline", "check", "validate", "calendar", "report"]),
    st.lists(TOKENS, max_size=6),
)
def test_fuzzed_command_lines_end_cleanly(command, args):
    """Commands that do not simulate, with any arguments: a clean exit every time (run in a
    scratch folder: a fuzzed --junit-xml or --html may write a file there)."""
    _ended_cleanly(slasim(command, *args, cwd=SCRATCH), lines_per_error=command == "validate")
