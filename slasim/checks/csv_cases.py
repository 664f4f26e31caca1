"""The columnar CSV form of a check file, for large generated cases: one row per case, one
column per field (`docs/guide-checks.md` documents it).

Columns, in any order after a header row (`name`, `accepted` and `limit` required):
`name`, `article`, `calendar`, `accepted`, `decided`, `limit` (the legal limit), `promised`,
`extensions` (`10wd;5wd`), `pauses` (`FROM/TO`, `FROM/` when still open, `FROM/TO/KIND`; several
separated by `;`), `due` (the legal due, or the only one), `due_promised`, and `card_at`
(`INSTANT=level;…`). An empty cell is an absent field. The file takes the default card ladder and
rules; cases with steps, Art. 32 dates or other expectations are written as YAML or JSON.

The cells become the fields of `flat.FlatCases` column by column; values are then checked as in
any check file (by the models, which name the case and field of an error: `cases[i]` is the row
on line i + 2).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from slasim.checks.flat import FlatCases
from slasim.io.errors import SlasimError
from slasim.io.files import at_line, read_text_file
from slasim.io.i18n import Text

COLUMNS = (
    "name",
    "article",
    "calendar",
    "accepted",
    "decided",
    "limit",
    "promised",
    "extensions",
    "pauses",
    "due",
    "due_promised",
    "card_at",
)
REQUIRED = ("name", "accepted", "limit")


def read_csv_cases(path: Path) -> FlatCases:
    """The cases of a CSV check file as fields; a malformed file is one located error."""
    source = str(path)
    rows = list(csv.reader(io.StringIO(read_text_file(path).removeprefix("\ufeff"), newline="")))
    while rows and not rows[-1]:
        rows.pop()  # blank lines at the end
    if not rows:
        raise SlasimError(
            "empty CSV: a header row comes first (name,accepted,limit,…)", source=source
        )
    header = [h.strip() for h in rows[0]]
    for column in header:
        if column not in COLUMNS:
            raise SlasimError(
                "unknown column {column} (use {choices})",
                source=source,
                field=at_line(1),
                column=repr(column),
                choices=", ".join(COLUMNS),
            )
    for column in REQUIRED:
        if column not in header:
            raise SlasimError(
                "the column {column} is missing",
                source=source,
                field=at_line(1),
                column=repr(column),
            )
    if len(set(header)) != len(header):
        raise SlasimError("a column is given twice", source=source, field=at_line(1))
    width = len(header)
    for k, row in enumerate(rows):
        if len(row) != width:
            raise SlasimError(
                "{cells} cells, the header has {width}",
                source=source,
                field=at_line(k + 1),
                cells=len(row),
                width=width,
            )
    n = len(rows) - 1
    cells = dict(zip(header, zip(*rows[1:]))) if n else dict.fromkeys(header, ())

    def column(name: str) -> list:
        values = cells.get(name)
        return [None] * n if values is None else [v or None for v in values]

    promised = column("promised")
    due, due_promised = column("due"), column("due_promised")
    cards = [], [], [], []
    return FlatCases(
        name=list(cells["name"]),
        article=column("article"),
        calendar=column("calendar"),
        accepted=column("accepted"),
        decided=column("decided"),
        legal=list(cells["limit"]),
        promised=promised,
        pauses=_lists(column("pauses"), _pause, source, "pauses"),
        extensions=_lists(column("extensions"), str, source, "extensions"),
        due=[
            d if p is None and q is None else _dues(d, q) if d or q else None
            for d, p, q in zip(due, promised, due_promised)
        ],
        card_at=_cards(column("card_at"), source, cards),
        due_refs=(
            due,
            [d if p is None and q is None else q for d, p, q in zip(due, promised, due_promised)],
        ),
        cards=cards,
    )


def _lists(values: list, item, source: str, field: str) -> list:
    """Cells of `;`-separated items as lists (None where empty)."""
    out = values
    for i, cell in enumerate(values):
        if cell is not None:
            try:
                out[i] = [item(x.strip()) for x in cell.split(";")]
            except ValueError as exc:
                raise SlasimError(exc.args[0], source=source, field=f"cases[{i}].{field}") from None
    return out


def _pause(text: str) -> tuple:
    """`FROM/TO[/KIND]` (TO empty: still open) as (from, to, kind, detail)."""
    parts = text.split("/")
    if len(parts) not in (2, 3) or not parts[0]:
        raise ValueError(
            Text("a pause is FROM/TO or FROM/TO/KIND (TO empty: open): {pause}", pause=repr(text))
        )
    kind = parts[2] if len(parts) == 3 and parts[2] else "special_procedure"
    return parts[0], parts[1] or None, kind, ""


def _dues(legal, promised) -> dict:
    return {k: v for k, v in (("promised", promised), ("legal", legal)) if v is not None}


def _cards(cells: list, source: str, flat: tuple) -> list:
    """`INSTANT=level;…` cells as mappings instant → level (None where empty); `flat` gets the
    cases with cards, their counts, instants and levels (as `FlatCases.cards`)."""
    rows, counts, times, levels = flat
    for i, cell in enumerate(cells):
        if cell is not None:
            entries = {}
            for item in cell.split(";"):
                when, sep, level = item.partition("=")
                if not sep:
                    raise SlasimError(
                        "a card check is INSTANT=level: {entry}",
                        source=source,
                        field=f"cases[{i}].card_at",
                        entry=repr(item.strip()),
                    )
                entries[when.strip()] = level.strip()
            cells[i] = entries
            rows.append(i)
            counts.append(len(entries))
            times.extend(entries)
            levels.extend(entries.values())
    return cells
