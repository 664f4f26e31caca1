"""Rough edges a new user hits at the command line: no arguments, --version, units in capitals,
a scenario found by name in the working directory, every file validated, option names in errors,
share intervals kept within [0, 1]."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from .helpers import ROOT, slasim


def test_no_arguments_prints_help_and_no_error():
    code, out, err = slasim()
    assert code == 0 and "Usage" in out and err == ""


def test_version():
    code, out, _ = slasim("--version")
    assert code == 0 and out.startswith("slasim ")


def test_units_as_documents_write_them():
    for text in ("20 WD", "20WD", "20Wd"):
        code, out, _ = slasim("deadline", "2025-09-26", text, "--json")
        assert code == 0 and json.loads(out)["due_date"] == "2025-10-30"


def test_a_scenario_name_finds_the_file_here(tmp_path):
    shutil.copy(ROOT / "scenarios" / "mmc-always.yaml", tmp_path / "my-centre.yaml")
    code, out, _ = slasim("validate", "my-centre", cwd=tmp_path)
    assert code == 0 and out.strip() == "my-centre.yaml: valid"


def test_validate_reports_every_bad_file_and_checks_the_rest(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n", encoding="utf-8")
    good = ROOT / "scenarios" / "mmc-always.yaml"
    code, out, err = slasim("validate", bad, tmp_path / "missing.yaml", good)
    assert code == 2 and out.strip() == f"{good}: valid"
    assert err.count("\n") == 2 and str(bad) in err and "missing.yaml" in err


def test_vary_errors_name_vary():
    code, _, err = slasim(
        "sweep", "mmc-always", "--vary", "departments.nope.staff=1,2", "--reps", "2"
    )
    assert code == 2 and "--vary: no field 'departments.nope'" in err


def test_share_intervals_in_sweep_csv_stay_within_0_and_1(tmp_path):
    path = tmp_path / "grid.csv"
    code, _, err = slasim(
        "sweep",
        "district-centre",
        "--vary",
        "departments.registry.staff=2,3",
        "--reps",
        "2",
        "--set",
        "working_days=20",
        "--csv",
        path,
        "-q",
    )
    assert code == 0, err
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    for row in rows:
        for metric in ("on_time_promised", "ever_yellow", "ever_red", "past_legal"):
            low, high = row[f"{metric}_ci95_low"], row[f"{metric}_ci95_high"]
            if low:
                assert 0.0 <= float(low) <= float(high) <= 1.0


NEXT_YEAR = ["--set", "start=2027-03-01"]  # cn has published through 2026: provisional


@pytest.mark.parametrize(
    "args",
    [
        ["run", "district-centre", "--reps", "2"],
        ["compare", "district-centre", "--reps", "2", "-r", "fewer-materials"],
        ["sweep", "district-centre", "--reps", "2", "--vary", "departments.window.staff=3"],
        ["staff", "district-centre", "--target", "red<=50%", "--budget", "20"],
    ],
)
def test_strict_refuses_a_provisional_period_before_simulating(args):
    code, out, err = slasim(*args, *NEXT_YEAR, "--strict")
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert code == 2 and out == "" and len(errors) == 1  # (and a warning: the registry's
    assert "start: the period passes the years calendar 'cn' has published" in errors[0]
    # 2026 leave no longer falls in the moved period)


def test_a_provisional_run_says_so_in_its_report_even_when_quiet():
    code, out, err = slasim("run", "company-setup", "--reps", "2", "-q", *NEXT_YEAR)
    assert code == 0 and err == ""
    assert "PROVISIONAL: the period passes the calendar's published years" in out


def test_validate_reports_a_provisional_period_and_refuses_it_with_strict(tmp_path):
    import yaml

    from .helpers import HAND_WORKED

    path = tmp_path / "next-year.yaml"
    path.write_text(yaml.safe_dump({**HAND_WORKED, "start": "2027-03-01"}), encoding="utf-8")
    code, out, _ = slasim("validate", path)
    assert (
        code == 0 and "valid (provisional: the period passes calendar cn's published years)" in out
    )
    code, _, err = slasim("validate", path, "--strict")
    assert code == 2 and f"{path}: start:" in err


def test_shell_completion_offers_commands_scenarios_and_calendars():
    """The script installs from --show-completion; the completions come from the data."""
    import os
    import subprocess
    import sys

    # the shell named, not detected from the parent process (a test run detached from any shell,
    # under setsid or a scheduler, has none to detect: Typer then says "Shell  not supported")
    shown = subprocess.run(
        [sys.executable, "-m", "slasim", "--show-completion", "bash"],
        capture_output=True,
        text=True,
        env={**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
    )
    assert shown.returncode == 0 and "_SLASIM_COMPLETE=complete_bash" in shown.stdout, shown.stderr

    def complete(words: str, index: int) -> list[str]:
        env = {**os.environ, "_SLASIM_COMPLETE": "complete_bash", "COMP_WORDS": words}
        env["COMP_CWORD"] = str(index)
        done = subprocess.run(
            [sys.executable, "-m", "slasim"], env=env, capture_output=True, text=True
        )
        return done.stdout.split()

    assert complete("slasim ch", 1) == ["check"]
    assert complete("slasim run district", 2) == ["district-centre"]
    assert set(complete("slasim deadline 2025-01-02 1wd -c ", 5)) >= {"cn", "nl", "always"}


def test_a_staff_change_outside_the_period_is_not_silent(tmp_path):
    """A staff change typed in the wrong year (2027 for a 2025 period) changes nothing: validate
    and run say so, naming the field."""
    import yaml

    from .helpers import HAND_WORKED

    data = {
        **HAND_WORKED,
        "departments": {
            "desk": {
                "staff": 1,
                "staff_changes": [{"from": "2027-03-03", "to": "2027-03-05", "staff": 2}],
            }
        },
    }
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    words = "departments.desk.staff_changes[0]: 2027-03-03..2027-03-05 lies outside the simulated"
    for command in (["validate", path], ["run", path, "--reps", "2"]):
        code, _, err = slasim(*command)
        assert code == 0 and words in err


def test_the_command_line_starts_light(tmp_path):
    """`import slasim.cli` pulls in no simulation, plotting or scenario model, and `deadline` on a
    calendar whose holidays table is cached does not import the `holidays` package (~280
    countries) — nor SimPy, matplotlib or the scenario schema."""
    import os
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "import slasim.cli\n"
        "heavy = ('simpy', 'matplotlib', 'slasim.scenario.schema', 'slasim.sim.runner', 'holidays',"
        " 'numpy', 'tabulate')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "try:\n"
        "    slasim.cli.main(['deadline', '2025-09-26', '20wd', '--json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in heavy[:5] if m in sys.modules))\n"
    )
    env = {**os.environ, "SLASIM_CACHE_DIR": str(tmp_path / "cache")}
    runs = [
        subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
        for _ in range(2)  # the first builds the cache, the second reads it
    ]
    assert runs[0].returncode == runs[1].returncode == 0, runs[1].stderr
    after_import, after_deadline = runs[1].stdout.splitlines()[0], runs[1].stdout.splitlines()[-1]
    assert after_import == "[]"
    assert after_deadline == "[]"
    assert list((tmp_path / "cache").glob("holidays-CN-*.json"))
    first = json.loads("\n".join(runs[0].stdout.splitlines()[1:-1]))
    second = json.loads("\n".join(runs[1].stdout.splitlines()[1:-1]))
    assert first == second and first["due_date"] == "2025-10-30"  # cache or not, the same answer


def test_a_desk_that_cannot_keep_up_is_warned_about_before_the_run(tmp_path):
    """The hand-worked centre: one case a day of 600 work minutes, 420 office minutes a day, so
    the offered load is 600/420 = 1.43 staff. One clerk cannot keep up; two can. A staffing
    search, which tries too few staff on purpose, does not warn."""
    import yaml

    from .helpers import HAND_WORKED

    path = tmp_path / "hand.yaml"
    path.write_text(yaml.safe_dump(HAND_WORKED), encoding="utf-8")
    code, _, err = slasim("run", path, "--reps", "2")
    assert code == 0
    assert "departments.desk: offered load 1.43 staff ≥ 1 on duty: its queue grows" in err
    _, _, err = slasim("run", path, "--reps", "2", "--set", "departments.desk.staff=2")
    assert "offered load" not in err
    _, _, err = slasim("staff", path, "-t", "red<=50%", "--budget", "5")
    assert "offered load" not in err


def _passing_check_file(tmp_path):
    """One case accepted Fri 2025-09-26 with 20 working days on cn: the National Day week
    (10-01..10-08 off, 09-28 and 10-11 swapped working days) puts the due date at 2025-10-30."""
    path = tmp_path / "golden.json"
    case = {
        "name": "a",
        "accepted": "2025-09-26",
        "limit": {"legal": "20wd"},
        "expect": {"due": {"legal": "2025-10-30"}},
    }
    path.write_text(json.dumps({"calendar": "cn", "cards": "warn-before", "cases": [case]}))
    return path


def test_check_reads_its_paths_format_and_ladders_without_pydantic_adapters_or_yaml(tmp_path):
    """`check`'s `Path` arguments and `--format` choice are read without Typer's pydantic
    adapters, and the `warn-before` ladder comes from the cache (no PyYAML) once cached."""
    import os
    import subprocess
    import sys

    path = _passing_check_file(tmp_path)
    junit = tmp_path / "out" / "junit.xml"
    probe = (
        "import sys\n"
        "import slasim.cli\n"
        "try:\n"
        f"    slasim.cli.main(['check', {str(path)!r}, '--format', 'json',"
        f" '--junit-xml', {str(junit)!r}])\n"
        "except SystemExit as done:\n"
        "    print('exit', done.code)\n"
        "print(sorted(m for m in ('yaml', 'typer._adapters') if m in sys.modules))\n"
    )
    junit.parent.mkdir()
    env = {**os.environ, "SLASIM_CACHE_DIR": str(tmp_path / "cache")}
    runs = [
        subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
        for _ in range(2)  # the first caches the ladders, the second reads them
    ]
    assert runs[1].returncode == 0, runs[1].stderr
    lines = runs[1].stdout.splitlines()
    assert lines[-1] == "[]" and lines[-2] in ("exit 0", "exit None")
    report = json.loads("\n".join(lines[:-2]))
    assert report["passed"] is True
    assert report["files"][0]["cases"][0]["failures"] == []  # due 2025-10-30 as expected
    assert junit.read_text(encoding="utf-8").startswith("<?xml")
    assert len(list((tmp_path / "cache").glob("card-ladders-*.json"))) == 1


@pytest.mark.parametrize("lang, prefix", [("en", "error: "), ("zh", "错误：")])
def test_check_format_must_be_one_of_the_choices(tmp_path, lang, prefix):
    """A bad --format is a usage error (exit 2) worded as Typer words it, in either language;
    choices are case-sensitive, as Typer reads them."""
    path = _passing_check_file(tmp_path)
    wording = "Invalid value for '--format': Value error, {value} is not one of 'text', 'json', "
    for value in ("bogus", "JSON"):
        code, out, err = slasim("--lang", lang, "check", path, "--format", value)
        assert code == 2 and out == ""
        assert err.startswith(prefix + wording.format(value=repr(value)))
        assert "'github', 'sarif'." in err
    code, out, _ = slasim("--lang", lang, "check", path, "--format", "sarif")
    assert code == 0 and json.loads(out)["runs"][0]["results"] == []


def test_card_ladders_are_cached_and_an_edited_file_is_read_again(tmp_path, monkeypatch):
    from slasim.clock import cards

    monkeypatch.setenv("SLASIM_CACHE_DIR", str(tmp_path / "cache"))
    ladders = tmp_path / "ladders.yaml"
    ladders.write_text("a:\n  rungs:\n    - {level: red, reference: legal, at: '+0wd'}\n")
    first = cards.preset_data(ladders)
    assert first == {"a": {"rungs": [{"level": "red", "reference": "legal", "at": "+0wd"}]}}

    def no_yaml(path):
        raise AssertionError("read with PyYAML again")

    monkeypatch.setattr(cards, "read_yaml", no_yaml)
    assert cards.preset_data(ladders) == first  # from the cache
    ladders.write_text("b:\n  rungs:\n    - {level: yellow, at: '90%'}\n")
    monkeypatch.undo()
    monkeypatch.setenv("SLASIM_CACHE_DIR", str(tmp_path / "cache"))
    assert cards.preset_data(ladders) == {"b": {"rungs": [{"level": "yellow", "at": "90%"}]}}


@pytest.mark.parametrize(
    "args, name",
    [
        (["check", "a\x00b"], "files"),
        (["check", "x.yaml", "--junit-xml", "r\x00.xml"], "--junit-xml"),
    ],
)
def test_a_path_with_a_null_byte_is_one_line(args, name):
    # No file name holds a NUL: refused as Typer's pydantic adapter refused it before slasim read
    # paths itself (found by test_fuzz: a ValueError escaped as exit 70).
    ran = slasim(*args)
    assert ran.returncode == 2, ran.stderr
    assert (
        ran.stderr
        == f"error: Invalid value for '{name}': Value error, embedded null byte (see --help)\n"
    )
