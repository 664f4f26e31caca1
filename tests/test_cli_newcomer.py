"""What a newcomer meets first: `-h` and `-V`, help whose value types read as Click's (`INTEGER`,
`TEXT`, `PATH`, nothing after a flag), `slasim scenarios`, a did-you-mean for a mistyped scenario
name, and shell completion that offers scenarios only where one is expected and calendars after
`calendar show`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from .helpers import ROOT, slasim, slasim_process

COMMANDS = [
    [],
    ["deadline"],
    ["check"],
    ["scenarios"],
    ["run"],
    ["compare"],
    ["sweep"],
    ["report"],
    ["validate"],
    ["schema"],
    ["staff"],
    ["fit"],
    ["fidelity"],
    ["calendar"],
    ["calendar", "list"],
    ["calendar", "show"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "slasim")
def test_dash_h_is_help_and_no_type_is_a_python_name(command):
    long, short = slasim(*command, "--help"), slasim(*command, "-h")
    assert long.returncode == short.returncode == 0
    assert short.stdout == long.stdout and "Usage: slasim" in long.stdout
    # Typer's own names (`<int>`, `<str>`, `<bool>` after a flag, `<list[str]>`) never show.
    assert not re.search(r"<(bool|int|str|float|path|list)\b", long.stdout), long.stdout
    assert not re.search(r"\{[a-z_]+\}", long.stdout), long.stdout  # Typer's `{scenario}`


def test_the_usage_line_names_arguments_in_capitals_as_click_does():
    usage = {
        cmd: next(line for line in slasim(*cmd, "-h").stdout.splitlines() if "Usage:" in line)
        for cmd in (("run",), ("validate",), ("deadline",), ("calendar", "show"))
    }
    assert "slasim run [OPTIONS] SCENARIO" in usage[("run",)]
    assert "slasim validate [OPTIONS] FILES..." in usage[("validate",)]  # one or more
    assert "slasim deadline [OPTIONS] START LIMIT" in usage[("deadline",)]
    assert "slasim calendar show [OPTIONS] [NAME]" in usage[("calendar", "show")]  # optional


def option_line(help_text: str, flag: str) -> str:
    return next(line for line in help_text.splitlines() if re.search(rf"{flag}\b", line))


def test_types_read_as_click_names_them():
    text = slasim("run", "--help").stdout
    assert re.search(r"--reps\s+-n\s+INTEGER RANGE \[x>=1\]", option_line(text, "--reps"))
    assert re.search(r"--scheduler\s+TEXT\s", option_line(text, "--scheduler"))
    assert re.search(r"--out\s+PATH\s", option_line(text, "--out"))
    assert re.search(r"--set\s+TEXT\s", option_line(text, "--set"))  # repeatable: one TEXT each
    assert re.search(r"\*\s+scenario\s+TEXT\s+Scenario file", text)
    # A flag takes no value: its help follows its name directly.
    assert re.search(r"--json\s+Print the full metrics", option_line(text, "--json"))
    assert re.search(r"--quiet\s+-q\s+Print no progress", option_line(text, "--quiet"))
    check = slasim("check", "--help").stdout
    assert "[text|json|github|sarif]" in option_line(check, "--format")
    assert re.search(r"\*\s+files\.\.\.\s+PATH\s+Check files", check)


def test_dash_capital_v_prints_the_version():
    short, long = slasim("-V"), slasim("--version")
    assert short == long and short.returncode == 0
    assert re.fullmatch(r"slasim (\d+\.\d+\.\d+\S*|\(not installed\))\n", short.stdout)


def shipped_scenario_files() -> dict[str, dict]:
    """Shipped scenarios read here independently: YAML mappings with `services` under scenarios/."""
    found = {}
    for path in sorted((ROOT / "scenarios").rglob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "services" in data:
            found[path.relative_to(ROOT / "scenarios").with_suffix("").as_posix()] = data
    return found


def test_scenarios_lists_each_shipped_scenario_with_its_own_description():
    files = shipped_scenario_files()
    assert {"district-centre", "minimal", "fitted/loanapp"} <= set(files)
    done = slasim("scenarios", "--json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert [row["name"] for row in listed] == sorted(files)
    for row in listed:
        assert row["description"] == " ".join(files[row["name"]]["description"].split())
    text = slasim("scenarios").stdout
    assert "card-ladders" not in text
    assert max(len(line) for line in text.splitlines()) <= 120
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("district-centre "))
    row = [lines[first].split(None, 1)[1]]
    for line in lines[first + 1 :]:  # a long description wraps onto indented lines
        if not line.startswith(" "):
            break
        row.append(line.strip())
    assert " ".join(row) == files["district-centre"]["description"]


def test_every_listed_scenario_runs_by_its_name():
    """A listed name is a name `validate` (and so `run`) finds."""
    names = [row["name"] for row in json.loads(slasim("scenarios", "--json").stdout)]
    done = slasim("validate", *names)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(": valid") == len(names)


@pytest.mark.parametrize(
    ("typed", "meant", "run"),
    [
        ("district-centr", "district-centre", slasim_process),  # as a user runs it, once
        ("minimall", "minimal", slasim),
        ("fitted/loanap", "fitted/loanapp", slasim),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_a_mistyped_scenario_name_suggests_the_closest(typed, meant, run):
    done = run("run", typed)
    assert done.returncode == 2 and done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"error: unknown scenario {typed!r}")
    assert f"did you mean {meant!r}" in line and "slasim scenarios" in line


def test_a_missing_scenario_file_is_still_file_not_found(tmp_path):
    done = slasim("run", tmp_path / "absent.yaml")
    assert done.returncode == 2 and "file not found" in done.stderr


def complete(*words: str, cwd=ROOT, process: bool = False) -> list[str]:
    """What bash completion offers after `slasim WORDS` (the last word is the one being typed):
    bash sets these variables and runs `slasim`; here the console entry point runs in this
    process, or in a fresh one with `process`."""
    env = {
        "_SLASIM_COMPLETE": "complete_bash",
        "COMP_WORDS": " ".join(["slasim", *words]),
        "COMP_CWORD": str(len(words)),
    }
    if process:
        done = subprocess.run(
            [sys.executable, "-m", "slasim"],
            env={**os.environ, **env},
            cwd=cwd,
            capture_output=True,
            text=True,
        )
    else:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            done = slasim(cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_completion_offers_scenarios_only_where_one_is_expected(tmp_path):
    # The repository's root holds action.yml and .pre-commit-hooks.yaml, which are not scenarios.
    assert (ROOT / "action.yml").is_file() and (ROOT / ".pre-commit-hooks.yaml").is_file()
    offered = complete("run", "", process=True)
    assert set(shipped_scenario_files()) <= set(offered)
    assert complete("run", "") == offered  # the same in this process as in a fresh one
    assert not {"action.yml", ".pre-commit-hooks.yaml", "card-ladders"} & set(offered)
    assert complete("compare", "dis") == ["district-centre"]
    assert complete("staff", "fitted/l") == ["fitted/loanapp"]
    # A scenario file of one's own is offered; another YAML file beside it is not.
    (tmp_path / "mine.yaml").write_text((ROOT / "scenarios" / "minimal.yaml").read_text())
    (tmp_path / "workflow.yml").write_text("on: push\njobs: {}\n")
    assert complete("run", "m", cwd=tmp_path) == ["mine.yaml", "minimal", "mmc-always"]
    assert complete("run", "w", cwd=tmp_path) == []


def test_completion_offers_calendars_after_calendar_show():
    offered = complete("calendar", "show", "")
    assert {"cn", "nl", "weekdays", "always"} <= set(offered)
    assert complete("calendar", "show", "cn-") == ["cn-example-city", "cn-example-saturday"]
    assert complete("deadline", "2025-01-02", "1wd", "--calendar", "we") == ["weekdays"]
