"""Shared fixtures and Hypothesis strategies."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from hypothesis import settings
from hypothesis import strategies as st

from slasim.calendar.workcalendar import load_calendar

settings.register_profile("ci", max_examples=60, deadline=None)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

PUBLISHED = (dt.date(2004, 1, 1), dt.date(2026, 12, 31))


@pytest.fixture(scope="session")
def cn():
    return load_calendar("cn")


@pytest.fixture(scope="session")
def city():
    return load_calendar("cn-example-city")


def published_dates():
    return st.dates(min_value=PUBLISHED[0], max_value=dt.date(2026, 6, 30))


def office_datetimes():
    return st.datetimes(min_value=dt.datetime(2004, 1, 1), max_value=dt.datetime(2026, 6, 30))


@pytest.fixture
def cli(capsys):
    """The console entry point (`slasim.cli.main`) in this process: (exit code, stdout, stderr)."""
    from slasim.cli import main

    def invoke(*args):
        with pytest.raises(SystemExit) as done:
            main([str(a) for a in args])
        captured = capsys.readouterr()
        return done.value.code, captured.out, captured.err

    return invoke
