"""Options and arguments shared by the commands, each declared once, and their shell completion.

A shared option whose help or bound differs between commands (`--reps`, `--json`, `--out`) is a
small function returning the annotated type, so its flag names and type live here only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

MAX_CASES = 20_000_000  # the default of --max-cases (slasim.sim.workload.MAX_CASES, kept in step)


def complete_calendar(incomplete: str) -> list[str]:
    """Shell completion: calendar names (./calendars/ and shipped)."""
    from slasim.calendar.files import list_calendars

    return [name for name in list_calendars() if name.startswith(incomplete)]


def complete_scenario(incomplete: str) -> list[str]:
    """Shell completion: shipped scenario names, and scenario files (YAML mappings with
    `services`) in the folder typed so far, never other YAML files such as CI workflows."""
    from slasim.scenario.shipped import scenario_data, shipped_scenarios

    folder = Path(incomplete).parent if "/" in incomplete else Path()
    names = {name for name, _ in shipped_scenarios()}
    if folder.is_dir():
        for path in folder.glob("*.y*ml"):
            if path.is_file() and path.stat().st_size < 1_000_000 and scenario_data(path):
                names.add(path.as_posix() if "/" in incomplete else path.name)
    return sorted(n for n in names if n.startswith(incomplete))


def scenario_argument(help: str) -> type:
    """The SCENARIO argument: a scenario file or a shipped scenario's name."""
    return Annotated[str, typer.Argument(help=help, autocompletion=complete_scenario)]


def calendar_option(help: str) -> type:
    """`--calendar/-c`: a calendar name or a .toml path."""
    return Annotated[
        str, typer.Option("--calendar", "-c", help=help, autocompletion=complete_calendar)
    ]


def reps_option(
    minimum: int = 1, help: str = "How many replications to run (default: the scenario file's)."
) -> type:
    """`--reps/-n`: replications; `minimum` 2 where a confidence interval needs a pair."""
    return Annotated[int | None, typer.Option("--reps", "-n", min=minimum, help=help)]


def json_flag(help: str = "Print one JSON object.") -> type:
    """`--json`: print the result as JSON instead of text."""
    return Annotated[bool, typer.Option("--json", help=help)]


def out_option(help: str) -> type:
    """`--out`: where the command writes its result file(s)."""
    return Annotated[Path | None, typer.Option("--out", help=help)]


Reps = reps_option()
Seed = Annotated[
    int | None,
    typer.Option("--seed", min=0, help="The random seed (default: the scenario file's)."),
]
Workers = Annotated[
    int | None,
    typer.Option(
        "--workers",
        "-w",
        min=1,
        help="How many processes run the replications (default: up to all cores).",
    ),
]
Scheduler = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Run on the Dask cluster at this scheduler address (or $SLASIM_SCHEDULER).",
    ),
]
MaxCases = Annotated[
    int,
    typer.Option(
        "--max-cases",
        min=1,
        help="Refuse to start above this many expected simulated cases (all runs together).",
    ),
]
Strict = Annotated[
    bool,
    typer.Option(
        "--strict", help="Fail (exit 2) on dates past the calendar's published years (provisional)."
    ),
]
Quiet = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print no progress bar and no warnings on stderr.")
]
Overrides = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a field of the scenario: key.path=value, the value read as YAML (repeatable).",
    ),
]
# Columns of a case log (fit, fidelity); by default found by their pm4py or common CSV names.
CaseColumn = Annotated[
    str | None,
    typer.Option("--case", help="The column of case ids (default: found by its usual names)."),
]
ActivityColumn = Annotated[
    str | None,
    typer.Option(
        "--activity", help="The column of activity names (default: found by its usual names)."
    ),
]
StartColumn = Annotated[
    str | None,
    typer.Option("--start", help="The column of start times (default: found by its usual names)."),
]
EndColumn = Annotated[
    str | None,
    typer.Option("--end", help="The column of end times (default: found by its usual names)."),
]
ResourceColumn = Annotated[
    str | None,
    typer.Option("--resource", help="The column of handlers (default: found by its usual names)."),
]
