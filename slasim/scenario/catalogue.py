"""Portfolios of services generated from a small catalogue CSV (a city's list of item types).

A scenario's `catalogue: {file, window, accept_minutes, response, handover}` section expands, before
validation, into one service per item: a row gives an item type, how many such items the city has
(`count`), and per item its department, receipts per working day, legal and promised limits, review
minutes and the chance of a supplement. Every generated service follows the same route: acceptance
at the window (with the supplement loop), an optional `handover` delay (paper files carried to the
back office), review and decision in the item's department.

Bounds: the file is read as `io.files.read_text_file` reads any input (a regular UTF-8 file of
bounded size); a field may hold at most `MAX_FIELD` characters and the catalogue may generate at
most `MAX_SERVICES` services; a generated name that repeats another (a row repeated, a row named
like another row's generated item, or a service of the scenario) is refused with its line.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from slasim.io.errors import SlasimError
from slasim.io.files import read_text_file
from slasim.io.i18n import Text
from slasim.io.schema import plain_name

MAX_FIELD = 1000  # characters in one catalogue field
MAX_SERVICES = 10_000  # services one catalogue may generate (the shipped one: 320)

COLUMNS = (
    "item",
    "department",
    "count",
    "per_day",
    "legal",
    "promised",
    "review_minutes",
    "supplement",
)


def _line(number: int) -> Text:
    """Where in the catalogue: `line N` (translated where shown)."""
    return Text("line {line}", line=number)


def _number(row: dict, column: str, source: str, line: int, kind=float):
    try:
        value = kind(row[column])
    except (TypeError, ValueError):
        raise SlasimError(
            "column {column} must be a number, got {value}",
            source=source,
            field=_line(line),
            column=repr(column),
            value=repr(row[column]),
        ) from None
    if value < 0:
        raise SlasimError(
            "column {column} must be >= 0", source=source, field=_line(line), column=repr(column)
        )
    return value


def read_catalogue(path: Path) -> list[dict]:
    """The rows of a catalogue CSV, checked column by column; errors name file and row."""
    source = str(path)
    reader = csv.DictReader(io.StringIO(read_text_file(path), newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise SlasimError(
            "not a readable CSV ({why})",
            source=source,
            field=_line(reader.line_num + 1),
            why=str(exc),
        ) from None
    if not rows or set(COLUMNS) - set(rows[0]):
        missing = ", ".join(sorted(set(COLUMNS) - set(rows[0] if rows else {})))
        raise SlasimError(
            "a catalogue needs the columns {columns} (missing: {missing})",
            source=source,
            columns=", ".join(COLUMNS),
            missing=missing,
        )
    total = 0
    for line, row in enumerate(rows, start=2):
        for column, value in row.items():
            if column is None or value is None:
                raise SlasimError(
                    "a row has more or fewer fields than the header",
                    source=source,
                    field=_line(line),
                )
            if len(value) > MAX_FIELD:
                raise SlasimError(
                    "column {column} holds {size:,} characters (at most {most:,})",
                    source=source,
                    field=_line(line),
                    column=repr(column),
                    size=len(value),
                    most=MAX_FIELD,
                )
        try:
            plain_name(row["item"], Text("item"))
        except ValueError as exc:
            raise SlasimError(exc.args[0], source=source, field=_line(line)) from None
        row["count"] = _number(row, "count", source, line, int)
        total += row["count"]
        if total > MAX_SERVICES:
            raise SlasimError(
                "the catalogue generates over {most:,} services (count {count:,} here): not "
                "expanded",
                source=source,
                field=_line(line),
                most=MAX_SERVICES,
                count=row["count"],
            )
        for column in ("per_day", "review_minutes", "supplement"):
            row[column] = _number(row, column, source, line)
        if row["supplement"] > 1:
            raise SlasimError(
                "column 'supplement' is a probability (0..1)", source=source, field=_line(line)
            )
    return rows


def expand_catalogue(data: dict, scenario_path: Path) -> dict:
    """The scenario data with its catalogue turned into services (and the catalogue section dropped)."""
    spec = data.get("catalogue")
    if spec is None:
        return data
    if not isinstance(spec, dict) or "file" not in spec:
        raise SlasimError(
            "catalogue needs `file` (a CSV beside the scenario)",
            source=str(scenario_path),
            field="catalogue",
        )
    csv_path = Path(scenario_path).parent / str(spec["file"])
    rows = read_catalogue(csv_path)
    window = spec.get("window", "window")
    response = spec.get("response", {"lognormal": {"mean": 3, "sd": 2}, "unit": "d"})
    services = data.get("services") or {}
    if not isinstance(services, dict):
        raise SlasimError("services is a mapping", source=str(scenario_path), field="services")
    services = dict(services)
    made: dict[str, int] = {}  # generated name → its catalogue line
    for line, row in enumerate(rows, start=2):
        for i in range(1, row["count"] + 1):
            name = f"{row['item']}-{i:03d}" if row["count"] > 1 else row["item"]
            if name in made or name in services:
                where = _line(made[name]) if name in made else Text("the scenario's services")
                raise SlasimError(
                    "service {name} is generated twice (also by {where}): rename an item",
                    source=str(csv_path),
                    field=_line(line),
                    name=repr(name),
                    where=where,
                )
            made[name] = line
            accept = {
                "step": "accept",
                "department": window,
                "work": {"exponential": spec.get("accept_minutes", 15)},
            }
            if row["supplement"] > 0:
                accept["supplement"] = {"probability": row["supplement"], "response": response}
            handover = (
                [{"step": "handover", "delay": spec["handover"]}] if spec.get("handover") else []
            )
            services[name] = {
                "description": f"{row['item']} (catalogue row)",
                "limits": {"promised": row["promised"], "legal": row["legal"]},
                "arrivals": {"per_day": row["per_day"]},
                "steps": [
                    accept,
                    *handover,
                    {
                        "step": "review",
                        "department": row["department"],
                        "work": {"exponential": row["review_minutes"]},
                    },
                    {
                        "step": "decide",
                        "department": row["department"],
                        "work": {"exponential": 15},
                    },
                ],
            }
    return {**{k: v for k, v in data.items() if k != "catalogue"}, "services": services}
