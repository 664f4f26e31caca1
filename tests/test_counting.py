"""The `[counting]` options of a calendar through `deadline`, `check` and `--explain` alike, the
last counted day of a limit ending at 24:00, and calendar files reloaded when edited."""

from __future__ import annotations

import json
import os

import pytest

from slasim.calendar.workcalendar import load_calendar

from .helpers import slasim

CASE = (
    "cases:\n  - name: c\n    accepted: 2025-02-26T10:00\n    limit: 5wd\n    expect: {due: %s}\n"
)


def calendar(tmp_path, counting: str):
    path = tmp_path / "local.toml"
    path.write_text(f'name = "local"\nextends = "cn"\n[counting]\n{counting}\n', encoding="utf-8")
    return path


def due_everywhere(tmp_path, cal, expected: str):
    """deadline --json, check of a case expecting `expected`, and --explain, on one calendar."""
    code, out, err = slasim("deadline", "2025-02-26T10:00", "5wd", "-c", cal, "--json", "--explain")
    assert code == 0, err
    result = json.loads(out)
    check = tmp_path / "check.yaml"
    check.write_text(f"calendar: {cal}\n" + CASE % expected, encoding="utf-8")
    checked = slasim("check", check)
    return result, checked


def test_midnight_ends_on_the_last_day_in_every_command(tmp_path):
    # Accepted Wed 26 Feb 2025: day 1 is Thu 27, then Fri 28, Mon 3, Tue 4, Wed 5 Mar; the limit
    # ends at 24:00 of Wed 5 Mar, which is the instant 2025-03-06T00:00 but the day 5 Mar.
    cal = calendar(tmp_path, 'working_day_limit_ends = "midnight"')
    result, checked = due_everywhere(tmp_path, cal, "2025-03-05")
    assert (result["due"], result["due_date"]) == ("2025-03-06T00:00", "2025-03-05")
    assert checked.returncode == 0, checked.stdout
    assert any("24:00" in rule for rule in result["explanation"]["rules"])
    assert result["explanation"]["days"][-1]["date"] == "2025-03-05"


def test_acceptance_day_counts_in_every_command(tmp_path):
    # Counting from the acceptance day: Wed 26, Thu 27, Fri 28, Mon 3, Tue 4 Mar (close 17:30).
    cal = calendar(tmp_path, "acceptance_day_counts = true")
    result, checked = due_everywhere(tmp_path, cal, "2025-03-04")
    assert (result["due"], result["due_date"]) == ("2025-03-04T17:30", "2025-03-04")
    assert checked.returncode == 0, checked.stdout
    rules = result["explanation"]["rules"]
    assert any("counts as day 1" in r for r in rules)
    assert not any("is not counted; day 1" in r for r in rules)
    first = result["explanation"]["days"][0]
    assert first["date"] == "2025-02-26" and first["status"] == "counted"


def test_natural_days_that_do_not_roll_say_so(tmp_path):
    cal = calendar(tmp_path, "calendar_day_limit_rolls = false")
    # 30 natural days from Fri 5 Sep 2025 end on Sun 5 Oct, a holiday: no roll, 24:00 of 5 Oct.
    code, out, _ = slasim("deadline", "2025-09-05", "30d", "-c", cal, "--json", "--explain")
    result = json.loads(out)
    assert code == 0 and result["due_date"] == "2025-10-05"
    assert any("even a rest day" in r for r in result["explanation"]["rules"])


def test_a_24_hour_close_gives_the_last_counted_day():
    # 1wd on the 24/7 calendar from Tue 5 Mar 2030 13:00: day 1 is 6 Mar, ending at 24:00.
    code, out, _ = slasim("deadline", "2030-03-05T13:00", "1wd", "-c", "always", "--json")
    result = json.loads(out)
    assert code == 0 and (result["due"], result["due_date"]) == ("2030-03-07T00:00", "2030-03-06")


@pytest.mark.parametrize("edited", ["child", "parent"])
def test_an_edited_calendar_file_is_reloaded(tmp_path, edited):
    parent = tmp_path / "parent.toml"
    parent.write_text('name = "parent"\nextends = "cn"\n', encoding="utf-8")
    child = tmp_path / "child.toml"
    child.write_text(f'name = "child"\nextends = "{parent}"\n', encoding="utf-8")
    import datetime as dt

    day = dt.date(2026, 3, 4)
    assert load_calendar(child).is_working_day(day)
    target = child if edited == "child" else parent
    text = target.read_text(encoding="utf-8")
    target.write_text(
        text + '[[closed]]\ndate = 2026-03-04\nname = "closure"\nsource = "test"\n',
        encoding="utf-8",
    )
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert not load_calendar(child).is_working_day(day)
