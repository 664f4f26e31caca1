"""`slasim deadline --from`: many deadlines in one process, each exactly what `slasim deadline
--json` gives for its line, and a bad line is one located error with nothing printed."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slasim.calendar.units import parse_instant
from slasim.clock.deadline import compute_deadline
from slasim.clock.deadline_batch import compute_deadlines, deadline_lines
from slasim.io.errors import SlasimError

from .helpers import slasim as run

CALENDARS = [
    "cn",
    "nl",
    "always",
    "weekdays",
    "cn-example-city",
    "cn-example-saturday",
    "loanapp-example",
]


def scalar(start: str, limit: str, calendar: str, extensions: list[str], strict=False) -> dict:
    """What `slasim deadline START LIMIT -c CAL [--extension E]... --json` prints, as data."""
    return compute_deadline(
        limit,
        accepted=parse_instant(start, field="START"),
        calendar=calendar,
        extensions=extensions,
        strict=strict,
    ).to_json()


def starts():
    """Dates and local instants (some on the hour a DST zone skips or repeats, some with a UTC
    offset) from 2005 to 2026, when every shipped calendar has a table."""
    day = st.dates(min_value=dt.date(2005, 1, 1), max_value=dt.date(2026, 10, 31))
    minute = st.integers(0, 24 * 60 - 1).map(lambda m: f"T{m // 60:02d}:{m % 60:02d}")
    dst = st.sampled_from(
        ["2025-03-30T02:30", "2025-10-26T02:30", "2024-10-27T02:15", "2025-10-26T02:30+01:00"]
    )
    offset = st.sampled_from(["", "", "", "Z", "+08:00", "-05:00"])
    instant = st.builds(lambda d, m, o: f"{d.isoformat()}{m}{o}", day, minute, offset)
    return st.one_of(day.map(dt.date.isoformat), instant, dst)


def limits():
    days = st.builds(lambda n, u: f"{n}{u}", st.integers(0, 60), st.sampled_from(["wd", "d"]))
    hours = st.builds(lambda q: f"{q / 4:g}wh", st.integers(0, 400))
    return st.one_of(days, hours)


rows = st.tuples(
    starts(),
    limits(),
    st.sampled_from(CALENDARS),
    st.sampled_from([[], ["10wd"], ["5wd", "3wd"], ["12d"], ["2.5wh"], ["30d"]]),
)


def expected(row):
    start, limit, calendar, extensions = row
    try:
        return scalar(start, limit, calendar, extensions)
    except SlasimError:
        return None  # a row `deadline` refuses (a skipped hour, another unit's extension)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rows, min_size=1, max_size=25))
def test_each_row_is_what_deadline_json_gives(batch):
    """Rows of mixed calendars and units through one call equal the scalar path row by row."""
    good = [row for row in batch if expected(row) is not None]
    results = compute_deadlines(
        [r[0] for r in good],
        [r[1] for r in good],
        calendars=[r[2] for r in good],
        extensions=[r[3] for r in good],
    )
    assert results == [expected(row) for row in good]
    lines = deadline_lines(
        [r[0] for r in good],
        [r[1] for r in good],
        calendars=[r[2] for r in good],
        extensions=[r[3] for r in good],
    )
    assert lines == [json.dumps(result, ensure_ascii=False) for result in results]


@settings(max_examples=40, deadline=None)
@given(rows)
def test_a_refused_row_is_refused_alike(row):
    """A row `deadline` refuses is refused by the batch with the same message, located."""
    start, limit, calendar, extensions = row
    try:
        scalar(start, limit, calendar, extensions)
    except SlasimError as exc:
        with pytest.raises(SlasimError) as batch:
            compute_deadlines(
                ["2025-09-26", start],
                ["20wd", limit],
                calendars=["cn", calendar],
                extensions=[[], extensions],
                where=["line 2", "line 3"],
            )
        assert batch.value.message == exc.message and batch.value.field.startswith("line 3")
    else:
        compute_deadlines([start], [limit], calendars=[calendar], extensions=[extensions])


def test_csv_file_and_json_lines_on_stdin(tmp_path, monkeypatch):
    """The hand-worked rows of `slasim deadline`'s own tests, as a file and on stdin."""
    csv_file = tmp_path / "many.csv"
    csv_file.write_text(
        "start,limit,calendar,extension\n"
        "2025-09-26,20wd,,\n"  # 20 working days past National Day: Thu 2025-10-30 at the close
        "\n"
        "2025-09-26T10:00,4wh,cn,\n"  # 2 h before lunch, 2 h after: 15:30
        "2025-09-05,30d,,\n"  # 10-05 falls in the National Day break: rolls to 10-09
        '"2025-09-26",20wd,cn,10wd\n',
        encoding="utf-8",
    )
    out = run("deadline", "--from", csv_file)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [d["due"] for d in lines] == [
        "2025-10-30T17:30",
        "2025-09-26T15:30",
        "2025-10-09T17:30",
        "2025-11-13T17:30",  # ten more working days: 10-31, 11-03..07, 11-10..13
    ]
    assert lines[3]["extension"] == "10wd" and lines[0]["accepted"] == "2025-09-26T09:00"
    for data, (start, limit, ext) in zip(
        lines,
        [
            ("2025-09-26", "20wd", []),
            ("2025-09-26T10:00", "4wh", []),
            ("2025-09-05", "30d", []),
            ("2025-09-26", "20wd", ["10wd"]),
        ],
    ):
        args = ["deadline", start, limit, "--json", *(x for e in ext for x in ("--extension", e))]
        assert data == json.loads(run(*args).stdout)

    import io
    import sys

    text = (
        '{"start": "2025-09-26", "limit": "20wd"}\n'
        '{"start": "2025-09-26", "limit": "1wd", "extension": ["1wd"]}\n'
    )
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    out = run("deadline", "--from", "-", "-c", "cn")
    assert out.returncode == 0, out.stderr
    dues = [json.loads(line)["due"] for line in out.stdout.splitlines()]
    assert dues == ["2025-10-30T17:30", "2025-09-29T17:30"]  # day 1: Sun 09-28 (make-up), 2: Mon


@pytest.mark.parametrize(
    "text, where, what",
    [
        ("start,limit\n2025-09-26,20wd\n\n2025-09-26,20x\n", "line 4", "not a time limit"),
        ("start,limit\n2025-02-30,20wd\n", "line 2", "not a date"),
        ("start,limit,due\n2025-09-26,20wd,x\n", "line 1", "unknown column 'due'"),
        ("start,limit\n2025-09-26\n", "line 2", "1 cells for 2 columns"),
        ("start,limit\n2025-09-26,\n", "line 2", "limit: missing"),
        ("start,limit\n1990-01-01,20wd\n", "line 2", "outside the table of calendar 'cn'"),
        ("start,limit,calendar\n2025-09-26,20wd,nope\n", "line 2", "unknown calendar 'nope'"),
        ('{"start": "2025-09-26", "limit": "20wd"}\n{"start": 5}\n', "line 2", "not a text"),
        ('{"start": "2025-09-26", "limit": "20wd"}\n[1]\n', "line 2", "not a JSON object"),
        ('{"start": "2025-09-26", "limit": "20wd"}\n{"start"\n', "line 2", "invalid JSON"),
        ("start,limit,extension\n2025-09-26,20wd,10d\n", "line 2", "not in the limit's unit"),
    ],
)
def test_a_bad_line_is_one_located_error_and_nothing_printed(tmp_path, text, where, what):
    path = tmp_path / ("in.jsonl" if text.startswith("{") else "in.csv")
    path.write_text(text, encoding="utf-8")
    out = run("deadline", "--from", path)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert f"in.{path.suffix[1:]}: {where}" in out.stderr and what in out.stderr


def test_the_first_bad_line_is_the_one_reported():
    """Rows are computed by calendar and unit, but the error named is the earliest line's."""
    starts = ["2025-09-26", "2025-09-26", "1990-01-01", "2025-13-01"]
    limits = ["20wd", "4wh", "30d", "20wd"]
    with pytest.raises(SlasimError) as caught:
        compute_deadlines(starts, limits, calendars=[None, "nope", "cn", None], where=list("abcd"))
    assert caught.value.field == "b: calendar" and "unknown calendar 'nope'" in caught.value.message
    with pytest.raises(SlasimError) as caught:
        compute_deadlines(starts[2:], limits[2:], where=["c", "d"])
    assert caught.value.field == "c: accepted" and "outside the table" in caught.value.message


def test_strict_refuses_a_provisional_line_and_warnings_are_counted(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("start,limit\n2025-09-26,20wd\n2026-12-20,20wd\n2026-12-21,20wd\n")
    out = run("deadline", "--from", path)
    assert out.returncode == 0
    flags = [json.loads(line)["provisional"] for line in out.stdout.splitlines()]
    assert flags == [False, True, True]  # the 2027 notice is not published
    # Sun 12-20 is accepted on Mon 12-21: both lines have the same due, so one warning for two
    assert out.stderr.count("warning:") == 1 and "(2 of 3 deadlines)" in out.stderr
    strict = run("deadline", "--from", path, "--strict")
    assert strict.returncode == 2 and strict.stdout == ""
    assert "line 3" in strict.stderr and "published years" in strict.stderr


def test_from_takes_no_start_and_deadline_still_needs_both():
    assert run("deadline", "2025-09-26", "--from", "x.csv").returncode == 2
    out = run("deadline", "2025-09-26")
    assert out.returncode == 2 and "Missing argument 'LIMIT'" in out.stderr
