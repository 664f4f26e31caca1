"""`slasim deadline` and `slasim calendar list|show`: one due date, and the calendars it counts on."""

from __future__ import annotations

from typing import Annotated

import typer

from slasim.cli.common import claim_outputs, emit_json, input_path, warn
from slasim.cli.metavars import ClickStyleGroup
from slasim.cli.options import Strict, calendar_option, complete_calendar, json_flag

commands = typer.Typer()
calendar_app = typer.Typer(
    cls=ClickStyleGroup, no_args_is_help=True, help="List and inspect the working-day calendars."
)


@commands.command()
def deadline(
    start: Annotated[
        str, typer.Argument(help="The acceptance date (YYYY-MM-DD) or instant (YYYY-MM-DDTHH:MM).")
    ],
    limit: Annotated[
        str,
        typer.Argument(
            help="The time limit: 20wd (working days), 4wh (working hours) or 30d (natural days)."
        ),
    ],
    calendar: calendar_option(
        "The calendar: a name (see `slasim calendar list`) or a .toml file."
    ) = "cn",
    extension: Annotated[
        list[str] | None,
        typer.Option("--extension", help="An approved extension, e.g. 10wd (Art. 42); repeatable."),
    ] = None,
    strict: Strict = False,
    explain: Annotated[
        bool,
        typer.Option("--explain", help="Show the count day by day, with the articles it follows."),
    ] = False,
    as_json: json_flag() = False,
):
    """When is a time limit due, counted from START on a working-day calendar?"""
    claim_outputs([input_path(calendar)])  # a calendar file: a regular one (never a FIFO)
    from slasim.calendar.units import parse_instant
    from slasim.clock.deadline import compute_deadline
    from slasim.clock.explain import render_explanation

    result = compute_deadline(
        limit,
        accepted=parse_instant(start, field="START"),
        calendar=calendar,
        extensions=extension or [],
        strict=strict,
        explain=explain,
    )
    if as_json:
        emit_json(result.to_json())
    else:
        typer.echo(
            f"due {result.due}  ({result.limit} from {result.start}, accepted {result.accepted}, "
            f"calendar {result.calendar})"
        )
        if explain and result.explanation:
            typer.echo("\n".join(render_explanation(result.explanation)))
    warn(result.warnings)


@calendar_app.command("list")
def calendar_list():
    """List the calendars available by name (in ./calendars/ and shipped)."""
    from tabulate import tabulate

    from slasim.calendar.files import find_calendar, list_calendars, resolve_spec

    rows = []
    for name in list_calendars():
        spec = resolve_spec(find_calendar(name))
        rows.append(
            [name, spec.title, spec.first_year, spec.published_through or "—", spec.timezone]
        )
    typer.echo(
        tabulate(rows, headers=["name", "title", "first year", "published through", "time zone"])
    )


@calendar_app.command("show")
def calendar_show(
    name: Annotated[
        str,
        typer.Argument(
            help="The calendar: a name or a .toml file.", autocompletion=complete_calendar
        ),
    ] = "cn",
    year: Annotated[
        int | None,
        typer.Option("--year", "-y", help="The year to show (default: the last one published)."),
    ] = None,
    as_json: json_flag() = False,
):
    """Show one year of a calendar: holidays, make-up workdays and local overrides, with names and
    provenance."""
    from tabulate import tabulate

    from slasim.calendar.year import calendar_year

    report = calendar_year(name, year)
    if as_json:
        emit_json(report)
        return
    typer.echo(
        f"{report['calendar']} — {report['title']} — {report['year']}"
        f"{'  (PROVISIONAL: no official notice loaded)' if report['provisional'] else ''}"
    )
    if report.get("notice"):
        typer.echo("source: " + "; ".join(f"{k}: {v}" for k, v in report["notice"].items()))
    typer.echo(f"office hours: {report['office_hours']}")
    typer.echo(
        tabulate(
            [
                [d["date"], d["weekday"], "work" if d["working"] else "rest", d["kind"], d["name"]]
                for d in report["days"]
            ],
            headers=["date", "day", "status", "kind", "name"],
        )
    )
    typer.echo(f"working days in {report['year']}: {report['working_days']}")
