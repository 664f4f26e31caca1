"""Portfolios of services generated from a small catalogue CSV (a city's list of item types).

A scenario's `catalogue: {file, window, accept_minutes, response, handover}` section expands, before
validation, into one service per item: a row gives an item type, how many such items the city has
(`count`), and per item its department, receipts per working day, legal and promised limits, review
minutes and the chance of a supplement. Every generated service follows the same route: acceptance
at the window (with the supplement loop), an optional `handover` delay (paper files carried to the
back office), review and decision in the item's department.
"""

from __future__ import annotations

import csv
from pathlib import Path

from slasim.io.errors import SlasimError

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


def _number(row: dict, column: str, source: str, line: int, kind=float):
    try:
        value = kind(row[column])
    except (TypeError, ValueError):
        raise SlasimError(
            f"column {column!r} must be a number, got {row[column]!r}",
            source=source,
            field=f"line {line}",
        ) from None
    if value < 0:
        raise SlasimError(f"column {column!r} must be >= 0", source=source, field=f"line {line}")
    return value


def read_catalogue(path: Path) -> list[dict]:
    """The rows of a catalogue CSV, checked column by column; errors name file and row."""
    source = str(path)
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise SlasimError(f"cannot read catalogue ({exc.strerror})", source=source) from None
    if not rows or set(COLUMNS) - set(rows[0]):
        missing = ", ".join(sorted(set(COLUMNS) - set(rows[0] if rows else {})))
        raise SlasimError(
            f"a catalogue needs the columns {', '.join(COLUMNS)} (missing: {missing})",
            source=source,
        )
    for line, row in enumerate(rows, start=2):
        row["count"] = _number(row, "count", source, line, int)
        for column in ("per_day", "review_minutes", "supplement"):
            row[column] = _number(row, column, source, line)
        if row["supplement"] > 1:
            raise SlasimError(
                "column 'supplement' is a probability (0..1)", source=source, field=f"line {line}"
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
    rows = read_catalogue(Path(scenario_path).parent / spec["file"])
    window = spec.get("window", "window")
    response = spec.get("response", {"lognormal": {"mean": 3, "sd": 2}, "unit": "d"})
    services = dict(data.get("services") or {})
    for row in rows:
        for i in range(1, row["count"] + 1):
            name = f"{row['item']}-{i:03d}" if row["count"] > 1 else row["item"]
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
