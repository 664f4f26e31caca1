"""`slasim scenarios|validate|schema`: the shipped scenarios, checking scenario files, their schema."""

from __future__ import annotations

from typing import Annotated

import typer

from slasim.cli.common import emit_json, warn
from slasim.cli.options import Strict, json_flag
from slasim.io.errors import SlasimError
from slasim.io.i18n import Text, _, current

commands = typer.Typer()


@commands.command()
def scenarios(as_json: json_flag() = False):
    """List the shipped scenarios, each with its description.

    Give a name to run, compare, sweep or staff it, or copy its file (slasim's scenarios/ folder)
    to start your own."""
    from textwrap import wrap

    from tabulate import tabulate

    from slasim.scenario.shipped import shipped_rows

    if as_json:  # the English description: JSON is the same in every language
        emit_json([{"name": name, "description": text} for name, text, _zh in shipped_rows()])
    else:
        chinese = current() == "zh"
        rows = [(name, zh if chinese else text) for name, text, zh in shipped_rows()]
        width = 120 - 2 - max((len(name) for name, _ in rows), default=0)  # within 120 columns
        wrapped = [(n, "\n".join(wrap(text, width, break_on_hyphens=False))) for n, text in rows]
        typer.echo(tabulate(wrapped, headers=[_("name"), _("description")]))


@commands.command()
def validate(
    files: Annotated[
        list[str], typer.Argument(help="The scenario files (or shipped names) to validate.")
    ],
    strict: Strict = False,
):
    """Check scenario files without running them, with the warnings run would give.

    Exit 0 if every file is valid, 2 with file and field for each one that is not (or, with
    --strict, whose period passes the calendar's published years)."""
    from slasim.scenario.loader import check_scenario, load_scenario_data
    from slasim.scenario.reforms import reform_names

    failed = 0
    for name in files:  # every file is checked, the bad ones each reported in one line
        try:
            data, source = load_scenario_data(name)  # read once: the baseline, then each reform
            plan = check_scenario(data, source)
            if plan.provisional and strict:
                raise SlasimError(
                    "the period passes the years calendar {name} has published (provisional) "
                    "(--strict)",
                    source=source,
                    field="start",
                    name=repr(plan.calendar.name),
                )
        except SlasimError as exc:
            typer.echo(_("error: {message}").format(message=exc), err=True)
            failed += 1
            continue
        reforms = reform_names(data)
        notes = [_("reforms: {names}").format(names=", ".join(reforms))] if reforms else []
        warn(Text("{where}: {line}", where=source, line=line) for line in plan.period_warnings())
        from slasim.staffing.load import overloaded  # the same warnings as `run` gives

        warn(Text("{where}: {line}", where=source, line=line) for line in overloaded(plan))
        if plan.provisional:
            notes.append(
                _("provisional: the period passes calendar {name}'s published years").format(
                    name=plan.calendar.name
                )
            )
        valid = _("{source}: valid").format(source=source)
        typer.echo(valid + (_(" ({notes})").format(notes="; ".join(notes)) if notes else ""))
    if failed:
        raise typer.Exit(2)


@commands.command()
def schema(
    open_cases: Annotated[
        bool,
        typer.Option(
            "--open-cases", help="The schema of open-cases files (slasim forecast --open)."
        ),
    ] = False,
):
    """Print the JSON Schema of scenario files (for editor completion and validation)."""
    if open_cases:
        from slasim.forecast.snapshot import json_schema
    else:
        from slasim.scenario.schema import json_schema

    typer.echo(json_schema())
