"""`slasim deadline` and `slasim calendar` as a user runs them: JSON contract, warnings, exit codes."""

from __future__ import annotations

import json

import pytest

from .helpers import slasim as run


def test_deadline_json_contract():
    out = run("deadline", "2025-09-26", "20wd", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["due_date"] == "2025-10-30"
    assert data["due"] == "2025-10-30T17:30"
    assert data["accepted"] == "2025-09-26T09:00"
    assert (
        data["start"] == "2025-09-26" and data["limit"] == "20wd" and data["provisional"] is False
    )


@pytest.mark.parametrize(
    "start, limit, due",
    [
        (
            "2025-09-26T18:00",
            "1wd",
            "2025-09-29T17:30",
        ),  # after hours: deemed Sun 09-28 (make-up) 09:00, day 1 = Mon
        ("2025-09-26T10:00", "4wh", "2025-09-26T15:30"),  # 2 h before lunch, 2 h after
        ("2025-09-26", "30d", "2025-10-27T17:30"),  # 10-26 is a Sunday: rolls to Monday
        (
            "2025-09-05",
            "30d",
            "2025-10-09T17:30",
        ),  # 10-05 falls in the National Day break: rolls to 10-09
    ],
)
def test_deadline_units(start, limit, due):
    data = json.loads(run("deadline", start, limit, "--json").stdout)
    assert data["due"] == due


def test_provisional_warning_and_strict():
    out = run("deadline", "2026-12-20", "20wd", "--json")
    assert out.returncode == 0
    assert json.loads(out.stdout)["provisional"] is True
    assert "provisional" in out.stderr and "2027" in out.stderr
    strict = run("deadline", "2026-12-20", "20wd", "--strict", "--json")
    assert strict.returncode == 2 and strict.stdout == ""
    assert strict.stderr.count("\n") == 1 and "published years" in strict.stderr


def test_explain_names_holidays_and_makeup_days():
    out = run("deadline", "2025-09-26", "20wd", "--explain")
    assert out.returncode == 0
    assert "Make-up workday" in out.stdout and "National Day" in out.stdout
    assert "Art. 201" in out.stdout and "← due" in out.stdout
    data = json.loads(run("deadline", "2025-09-26", "20wd", "--explain", "--json").stdout)
    days = {d["date"]: d for d in data["explanation"]["days"]}
    assert days["2025-09-28"]["status"] == "counted" and days["2025-09-28"]["count"] == 1
    assert days["2025-10-01"]["status"] == "skipped"


@pytest.mark.parametrize(
    "args, field",
    [
        (("deadline", "2025-13-01", "20wd"), "START"),
        (("deadline", "2025-09-26", "20x"), "limit"),
        (("deadline", "--", "2025-09-26", "-3wd"), "limit"),
        (("deadline", "2025-09-26", "20wd", "--calendar", "nope"), "unknown calendar"),
        (("deadline", "2025-09-26", "20wd", "--calendar", "missing/file.toml"), "not found"),
        (("deadline", "2025-09-26", "20wd", "--calendar", "cnn"), "(did you mean 'cn'?)"),
        (("deadline", "1990-01-01", "20wd"), "outside the table of calendar 'cn'"),
        (("calendar", "show", "cn", "--year", "2090"), "outside the table of calendar 'cn'"),
        (("deadline", "2025-09-26"), "Missing argument"),
    ],
)
def test_bad_input_is_one_line_exit_2(args, field):
    out = run(*args)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and field in out.stderr
    assert out.stdout == ""


def test_calendar_show_and_list(tmp_path):
    out = run("calendar", "show", "cn", "--year", "2026", "--json", cwd=tmp_path)
    assert out.returncode == 0
    data = json.loads(out.stdout)
    assert data["provisional"] is False and "2026" in data["notice"]["title"]
    work = [d["date"] for d in data["days"] if d["working"]]
    assert work == [
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ]
    assert (
        json.loads(run("calendar", "show", "cn", "--year", "2027", "--json").stdout)["provisional"]
        is True
    )
    listing = run("calendar", "list", cwd=tmp_path).stdout
    assert "cn-example-city" in listing and "always" in listing


def test_explain_shows_a_natural_day_roll():
    data = json.loads(run("deadline", "2025-09-05", "30d", "--explain", "--json").stdout)
    days = {d["date"]: d for d in data["explanation"]["days"]}
    assert days["2025-10-05"]["status"] == "counted" and days["2025-10-05"]["count"] == 30
    assert days["2025-10-06"]["status"] == "rolled" and days["2025-10-09"].get("due")
    assert "Art. 203" in days["2025-10-09"]["reason"]


def test_text_options_and_flags_are_read_without_typer_adapters(tmp_path):
    """`deadline` reads START, LIMIT, --calendar, --extension and its flags as Click gives them
    (`slasim.cli.values`): Typer's pydantic adapters are never built, and the other command
    groups' options are never made (`cli.app_for`). A bounded number still goes through Typer."""
    import os
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from slasim.cli import main\n"
        "try:\n"
        "    main(['deadline', '2025-09-26', '20wd', '--extension', '5wd', '--json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print([m for m in ('typer._adapters',) if m in sys.modules], file=sys.stderr)\n"
    )
    env = {**os.environ, "SLASIM_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert json.loads(done.stdout)["due"] == "2025-11-06T17:30"  # 25 working days from 09-26
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr
    bounded = run("run", "minimal", "--reps", "0")
    assert bounded.returncode == 2 and "greater than or equal to 1" in bounded.stderr


def test_a_command_runs_in_an_app_of_its_own_group():
    from slasim.cli import app, app_for

    def names(made):
        return {
            info.name or info.callback.__name__
            for group in made.registered_groups
            for info in group.typer_instance.registered_commands
        } | {group.name for group in made.registered_groups if group.name}

    assert names(app_for(["deadline", "2025-09-26", "20wd"])) == {"deadline"}
    assert names(app_for(["calendar", "list"])) == {"calendar", "list", "show"}
    assert names(app_for(["run", "minimal"])) == {"run", "compare", "sweep"}
    for args in ([], ["--help"], ["deadlin"], ["--version"]):
        assert app_for(args) is app  # help, a typo, the version: the whole command line


def test_the_reader_of_each_parameter():
    from enum import Enum
    from pathlib import Path

    from typer.models import OptionInfo

    from slasim.cli.values import leaf, plain_runtime_param

    assert leaf(str) is str and leaf(list[str]) is str and leaf(list[int]) is int
    assert leaf(dict[str, int]) == dict[str, int] and leaf(list[str, int]) is None

    class Param:
        def __init__(self, annotation):
            self.type_descriptor = type(
                "D",
                (),
                {"annotation": annotation, "parameter_info": OptionInfo(), "file_annotation": None},
            )()

    assert type(plain_runtime_param(Param(str))).__name__ == "TextParam"
    assert type(plain_runtime_param(Param(list[str]))).__name__ == "TextParam"
    assert type(plain_runtime_param(Param(bool))).__name__ == "FlagParam"
    assert plain_runtime_param(Param(int)) is None  # bounds and conversion: Typer's own
    assert plain_runtime_param(Param(list[int])) is None
    text = plain_runtime_param(Param(list[str]))
    assert text._coerce_value(("10wd", b"5wd"), None, None) == ["10wd", "5wd"]
    assert text._coerce_value(b"5wd", None, None) == "5wd"
    # a path or a choice: one value, or each of a list
    path = plain_runtime_param(Param(list[Path]))
    assert type(path).__name__ == "PathParam"
    assert path._coerce_value(["a.yaml", Path("b")], None, None) == [Path("a.yaml"), Path("b")]
    assert path._coerce_value(b"c.csv", None, None) == Path("c.csv")

    class Colour(Enum):
        RED = "red"
        BLUE = "blue"

    choice = plain_runtime_param(Param(list[Colour]))
    assert type(choice).__name__ == "ChoiceParam"
    assert choice._coerce_value(("blue", "red"), None, None) == [Colour.BLUE, Colour.RED]
    assert choice._coerce_value("red", None, None) is Colour.RED
