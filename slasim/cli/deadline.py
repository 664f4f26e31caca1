"""`slasim deadline` and `slasim calendar list|show`: one due date, and the calendars it counts on."""

from __future__ import annotations

from typing import Annotated

import typer

from slasim.cli.common import claim_outputs, emit_json, input_path, warn
from slasim.cli.metavars import ClickStyleGroup
from slasim.cli.options import Strict, calendar_option, complete_calendar, json_flag
from slasim.io.errors import SlasimError
from slasim.io.i18n import N_, Text, _, current, date_text, localized

commands = typer.Typer()
calendar_app = typer.Typer(
    cls=ClickStyleGroup, no_args_is_help=True, help="List and inspect the working-day calendars."
)


@commands.command()
def deadline(
    start: Annotated[
        str | None,
        typer.Argument(
            metavar="START",
            help="The acceptance date (YYYY-MM-DD) or instant (YYYY-MM-DDTHH:MM).",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        str | None,
        typer.Argument(
            metavar="LIMIT",
            help="The time limit: 20wd (working days), 4wh (working hours) or 30d (natural days).",
            show_default=False,
        ),
    ] = None,
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
    many: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="FILE",
            help="Many deadlines: a CSV or JSON-lines file (- for standard input) of start, limit "
            "and optional calendar and extension; one JSON object per line out (no START, LIMIT).",
        ),
    ] = None,
):
    """When is a time limit due, counted from START on a working-day calendar?"""
    if many is not None:
        if start is not None or limit is not None or explain:
            raise SlasimError("--from reads START and LIMIT from the file (and has no --explain)")
        claim_outputs([p for p in (input_path(calendar), input_path(many)) if p])
        return deadlines_from(many, calendar, extension or [], strict)
    for value, name in ((start, "START"), (limit, "LIMIT")):
        if value is None:
            raise SlasimError("Missing argument {name} (or give --from FILE)", name=repr(name))
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
        line = _("due {due}  ({limit} from {start}, accepted {accepted}, calendar {calendar})")
        typer.echo(
            line.format(
                due=instant_text(result.due),
                limit=result.limit,
                start=instant_text(result.start),
                accepted=instant_text(result.accepted),
                calendar=result.calendar,
            )
        )
        if explain and result.explanation:
            name = result.clock.calendar.shown_name if result.clock else localized
            typer.echo("\n".join(render_explanation(result.explanation, name)))
    warn(result.warnings)


def instant_text(text: str | None) -> str:
    """An ISO date or local instant as a reader of the chosen language expects it in text: as
    is in English; `2025年11月7日 17:30 (2025-11-07T17:30)` in Chinese (`date_text`'s way)."""
    import datetime as dt

    if text is None:
        return _("None")  # an open pause: no due date yet
    if current() == "en":
        return text
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    day = date_text(when.date()).split(" (")[0]
    clock = f" {when:%H:%M}" if "T" in text else ""
    return f"{day}{clock} ({text})"


FIELDS = ("start", "limit", "calendar", "extension")


def deadlines_from(name: str, calendar: str, extension: list[str], strict: bool) -> None:
    """`deadline --from`: every line's deadline, one JSON object per line, printed only when
    every line is good (a bad one is one located error and nothing is printed)."""
    import sys

    from slasim.clock.deadline_batch import deadline_lines
    from slasim.io.files import shown
    from slasim.io.lines import read_input, read_records

    source = "stdin" if name == "-" else shown(name)
    columns, lines = read_records(
        read_input(name), source, FIELDS, required=("start", "limit"), lists=("extension",)
    )
    warned: dict = {}
    text = deadline_lines(
        columns["start"],
        columns["limit"],
        calendars=columns["calendar"],
        extensions=[_extensions(value, extension) for value in columns["extension"]],
        calendar=calendar,
        strict=strict,
        where=_Where(source, lines),
        warned=warned,
    )
    sys.stdout.write("".join(line + "\n" for line in text))
    warn(
        Text("{warning} ({count} of {total} deadlines)", warning=line, count=count, total=len(text))
        for line, count in warned.items()
    )


class _Where:
    """`where[i]`: row i's file and line, written only for a row that is reported."""

    def __init__(self, source: str, lines: list[int]):
        self.source, self.lines = source, lines

    def __getitem__(self, i: int) -> str:
        return Text("{source}: line {n}", source=self.source, n=self.lines[i])


def _extensions(value, default: list[str]) -> list[str]:
    """A row's extensions: its own (one text, or a list in JSON lines), else --extension's."""
    if value is None or value == "":
        return default
    return [value] if isinstance(value, str) else value


@calendar_app.command("list")
def calendar_list():
    """List the calendars available by name (in ./calendars/ and shipped)."""
    from tabulate import tabulate

    from slasim.calendar.files import find_calendar, list_calendars, resolve_spec

    rows = []
    for name in list_calendars():
        spec = resolve_spec(find_calendar(name))
        rows.append(
            [name, title(spec), spec.first_year, spec.published_through or "—", spec.timezone]
        )
    headers = ["name", "title", "first year", "published through", "time zone"]
    typer.echo(tabulate(rows, headers=[_(h) for h in headers]))


def title(spec) -> str:
    """A calendar's title in the chosen language (its file's `title_zh` in Chinese)."""
    return spec.title_zh if current() == "zh" and spec.title_zh else spec.title


# The words of `calendar list` and `calendar show` (the JSON keeps its keys), translated where shown.
HEADINGS = (
    N_("name"),
    N_("title"),
    N_("first year"),
    N_("published through"),
    N_("time zone"),
    N_("date"),
    N_("day"),
    N_("status"),
    N_("kind"),
    N_("work"),
    N_("rest"),
)
NOTICE_KEYS = (N_("reference"), N_("issued"), N_("url"), N_("amended_by"))  # and title


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
    import datetime as dt

    from tabulate import tabulate

    from slasim.calendar.year import WEEKDAY, calendar_year

    report = calendar_year(name, year)
    if as_json:
        emit_json(report)
        return
    from slasim.calendar.workcalendar import load_calendar

    cal = load_calendar(name)
    shown_name = cal.shown_name
    head = f"{report['calendar']} — {cal.shown_title()} — {report['year']}"
    if report["provisional"]:
        head += "  " + _("(PROVISIONAL: no official notice loaded)")
    typer.echo(head)
    if report.get("notice"):
        items = [_("{key}: {value}").format(key=_(k), value=v) for k, v in report["notice"].items()]
        typer.echo(_("source: {items}").format(items=_("; ").join(items)))
    # a weekday's own hours are labelled with its short name ("Sat 09:00–12:00"), shown translated
    parts = [
        _(p[:3]) + p[3:] if p[:3] in WEEKDAY else p for p in report["office_hours"].split("; ")
    ]
    typer.echo(_("office hours: {hours}").format(hours=_("; ").join(parts)))
    if report["rest_day_hours"]:
        parts = [_(p[:3]) + p[3:] for p in report["rest_day_hours"].split("; ")]
        typer.echo(
            _(
                "open on {count} rest days: {hours} (office time; no limit in working days or "
                "working hours counts them)"
            ).format(count=report["open_rest_days"], hours=_("; ").join(parts))
        )
    rows = [
        [
            date_text(dt.date.fromisoformat(d["date"])),
            _(d["weekday"]),
            _("work") if d["working"] else _("rest"),
            _(d["kind"]),
            shown_name(d["name"]),
        ]
        for d in report["days"]
    ]
    headers = [_(h) for h in ("date", "day", "status", "kind", "name")]
    typer.echo(tabulate(rows, headers=headers))
    typer.echo(
        _("working days in {year}: {count}").format(
            year=report["year"], count=report["working_days"]
        )
    )
