"""A resolved calendar is kept in the user cache folder and used while none of the files of its
`extends` chain changes: the same spec as read from the files, rebuilt when one changes or when
the cache is damaged, and a command on an unchanged calendar reads no TOML and builds no model."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from slasim.calendar import files
from slasim.calendar.files import find_calendar, resolve_spec, spec_from_json, spec_to_json

from .helpers import ROOT

SHIPPED = sorted(p.stem for p in (ROOT / "calendars").glob("*.toml"))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("SLASIM_CACHE_DIR", str(folder))
    return folder


@pytest.mark.parametrize("name", SHIPPED)
def test_the_cached_spec_is_the_spec_read_from_the_files(name, cache):
    path = find_calendar(name)
    fresh = files._resolve(path, (), [])
    assert spec_from_json(spec_to_json(fresh)) == fresh
    assert resolve_spec(path) == fresh  # read, then stored
    assert list(cache.glob("calendar-*.json")), "the spec was not cached"
    assert resolve_spec(path) == fresh  # from the cache
    assert files._cached(path) is not None


def test_an_edited_parent_or_a_damaged_entry_is_read_again(tmp_path, cache):
    parent = tmp_path / "base.toml"
    child = tmp_path / "child.toml"
    parent.write_text(
        'name = "base"\ntimezone = "UTC"\nfirst_year = 2020\nlast_year = 2030\n'
        '[office_hours]\ndefault = [["09:00", "17:00"]]\n',
        encoding="utf-8",
    )
    child.write_text('name = "child"\nextends = "base.toml"\n', encoding="utf-8")
    assert resolve_spec(child).default_hours == ((540, 1020),)
    time.sleep(0.01)
    parent.write_text(parent.read_text().replace("17:00", "16:00"), encoding="utf-8")
    assert resolve_spec(child).default_hours == ((540, 960),)  # the parent changed: read again
    for entry in cache.glob("calendar-child-*.json"):
        entry.write_text('{"format": 1, "chain": [[', encoding="utf-8")
    assert resolve_spec(child).default_hours == ((540, 960),)
    parent.write_text(parent.read_text().replace('"UTC"', '"Mars/Olympus"'), encoding="utf-8")
    with pytest.raises(Exception, match="unknown time zone"):
        resolve_spec(child)  # an invalid file is refused, never served from the cache


def test_deadline_on_a_cached_calendar_reads_no_toml_and_builds_no_model(tmp_path):
    code = (
        "import sys\n"
        "from slasim.cli import main\n"
        "try:\n"
        "    main(['deadline', '2025-09-26', '20wd', '--json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in ('tomllib', 'slasim.calendar.calendar_file') "
        "if m in sys.modules), file=sys.stderr)\n"
    )
    env = {**os.environ, "SLASIM_CACHE_DIR": str(tmp_path)}
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert "'tomllib'" in first.stderr  # the first run reads the files and caches the spec
    again = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert '"due": "2025-10-30T17:30"' in again.stdout
    assert again.stderr.strip().splitlines()[-1] == "[]", again.stderr
