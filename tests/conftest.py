"""Shared fixtures and Hypothesis strategies."""

from __future__ import annotations

import os
import tempfile

import pytest
from hypothesis import settings

from slasim.calendar.workcalendar import load_calendar

from .helpers import slasim

# The holidays tables slasim caches go to a folder of this run, not the user's ~/.cache.
os.environ.setdefault("SLASIM_CACHE_DIR", tempfile.mkdtemp(prefix="slasim-test-cache-"))

# English unless a test asks for another language: the tests read English messages whatever the
# machine's locale (LANG=zh_CN.UTF-8 would otherwise choose Chinese); subprocesses inherit this.
os.environ["SLASIM_LANG"] = "en"

# CI draws the same examples every run (a red build must not hang on which ones were drawn);
# local runs explore new ones and keep failures in .hypothesis/.
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A test that ran a command in Chinese leaves the next one in English."""
    yield
    from slasim.io.i18n import use

    use("en")


@pytest.fixture(scope="session")
def cn():
    return load_calendar("cn")


@pytest.fixture(scope="session")
def city():
    return load_calendar("cn-example-city")


@pytest.fixture
def cli():
    """The console entry point in this process: `cli(*args)` gives (exit code, stdout, stderr)."""
    return slasim
