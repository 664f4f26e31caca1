"""Small things the command line prints: `calendar show` gives every column a header and writes
the dates inside holiday names as ISO dates (the `holidays` package writes them in its language's
format, 09/28/2025 in en_US); `report --charts` lists every file it wrote."""

from __future__ import annotations

import json
import re

import pytest

from .helpers import slasim


def test_calendar_show_heads_every_column():
    lines = slasim("calendar", "show", "cn", "--year", "2025").stdout.splitlines()
    rule = next(i for i, line in enumerate(lines) if set(line) <= {"-", " "} and "-" in line)
    columns = re.findall(r"-+", lines[rule])
    headers = lines[rule - 1].split()
    assert len(headers) == len(columns) == 5, lines[rule - 1]


def test_dates_inside_holiday_names_are_iso():
    """cn 2025 (国办发明电〔2024〕12号): Spring Festival rest through Tue 4 February, made up on
    Sun 26 January and Sat 8 February; `holidays` names the days off after the Sundays/Saturdays
    they were swapped with."""
    days = {
        d["date"]: d
        for d in json.loads(slasim("calendar", "show", "cn", "--year", "2025", "--json").stdout)[
            "days"
        ]
    }
    assert days["2025-02-03"]["name"] == "Day off (substituted from 2025-01-26)"
    assert days["2025-02-04"]["name"] == "Day off (substituted from 2025-02-08)"
    assert days["2025-01-26"]["working"] and days["2025-02-08"]["working"]  # the make-up days
    for year in range(2020, 2027):
        report = json.loads(slasim("calendar", "show", "cn", "--year", str(year), "--json").stdout)
        us = [d["name"] for d in report["days"] if re.search(r"\d+/\d+/\d{4}", d["name"])]
        assert not us, (year, us)


def test_iso_dates_reads_the_language_format():
    from slasim.calendar.holiday_cache import iso_dates

    assert iso_dates("Day off (substituted from 09/28/2025)", "%m/%d/%Y") == (
        "Day off (substituted from 2025-09-28)"
    )
    assert iso_dates("Vrije dag (vervangen 28-09-2025)", "%d-%m-%Y") == (
        "Vrije dag (vervangen 2025-09-28)"
    )
    assert iso_dates("休息日（由 2025-01-26 调休）", "%Y-%m-%d") == "休息日（由 2025-01-26 调休）"
    assert iso_dates("Day 13/45/2025", "%m/%d/%Y") == "Day 13/45/2025"  # not a date: kept


def test_report_lists_the_charts_it_wrote(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "results"
    done = slasim("run", "mmc-always", "-n", "2", "-w", "1", "-q", "--out", out)
    assert done.returncode == 0, done.stderr
    done = slasim("report", out, "--charts")
    assert done.returncode == 0, done.stderr
    listed = [line.removeprefix("wrote ") for line in done.stdout.splitlines()]
    assert listed[0] == str(out / "report.html")
    charts = sorted(p for p in out.iterdir() if p.suffix in (".png", ".svg"))
    assert len(charts) >= 6 and sorted(listed[1:]) == sorted(str(p) for p in charts)


def test_schema_prints_the_open_cases_schema_too():
    code, out, err = slasim("schema", "--open-cases")
    assert code == 0, err
    schema = json.loads(out)
    assert "OpenCaseIn" in schema["$defs"]
    assert out == slasim("forecast", "--schema")[1]  # one schema, two ways to ask for it
