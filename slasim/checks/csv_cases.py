"""The columnar CSV form of a check file, for large generated cases: one row per case, one
column per field (`docs/guide-checks.md` documents it).

Columns, in any order after a header row (`name`, `accepted` and `limit` required):
`name`, `article`, `calendar`, `accepted`, `decided`, `limit` (the legal limit), `promised`,
`extensions` (`10wd;5wd`), `pauses` (`FROM/TO`, `FROM/` when still open, `FROM/TO/KIND`; several
separated by `;`), `due` (the legal due, or the only one), `due_promised`, and `card_at`
(`INSTANT=level;…`). An empty cell is an absent field. The file takes the default card ladder and
rules; cases with steps, Art. 32 dates or other expectations are written as YAML or JSON.

The cells become the fields of `flat.FlatCases` column by column, in bulk: a file without a quote
is split into lines and cells by `str.split` (what the `csv` module reads from such a text, checked
line by line for its count of cells), a column is a slice of the cells, and the `;`-separated
lists are split over the whole column at once. No record is built per case: a case's pauses,
extensions, dues and cards as mappings are built only when a report shows the case. Values are
then checked as in any check file (by the models, which name the case and field of an error:
`cases[i]` is the row on line i + 2).
"""

from __future__ import annotations

import csv
import io
from itertools import accumulate, compress, repeat
from pathlib import Path

from slasim.checks.flat import FlatCases, Lazy, _all_none
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
OPEN_KIND = "special_procedure"  # a pause's kind when its cell names none


def read_csv_cases(path: Path) -> FlatCases:
    """The cases of a CSV check file as fields; a malformed file is one located error."""
    source = str(path)
    cells, n = _table(read_text_file(path).removeprefix("\ufeff"), source)

    def column(name: str) -> list:
        values = cells.get(name)
        if values is None:
            return [None] * n
        if "" in values:
            return [v or None for v in values]
        return values if type(values) is list else list(values)

    promised = column("promised")
    due, due_promised = column("due"), column("due_promised")
    pauses = column("pauses")
    pause_rows = _pause_rows(pauses, source)
    extensions = column("extensions")
    extended = list(compress(range(n), extensions))
    items = {cell: _items(cell) for cell in set(compress(extensions, extensions))}
    cards = column("card_at")
    return FlatCases(
        name=list(cells["name"]),
        article=column("article"),
        calendar=column("calendar"),
        accepted=column("accepted"),
        decided=column("decided"),
        legal=list(cells["limit"]),
        promised=promised,
        pauses=Lazy(pauses, _pauses),
        extensions=Lazy(extensions, lambda cell: list(items[cell])),
        due=Lazy(range(n), lambda i: _due(due[i], promised[i], due_promised[i])),
        card_at=Lazy(cards, _card_map),
        due_refs=(due, _promised_dues(due, promised, due_promised)),
        cards=_card_rows(cards, source),
        pause_rows=pause_rows,
        ext_rows=(extended, [items[extensions[i]] for i in extended]),
        typed=True,
    )


def _table(text: str, source: str) -> tuple[dict, int]:
    """The file's columns (header name → its n cells, in row order) and n; the header and every
    row's count of cells checked, in the order of the `csv` module's rows."""
    lines = _lines(text)
    if lines is None:  # quoted cells, lone carriage returns: the `csv` module reads it
        rows = list(csv.reader(io.StringIO(text, newline="")))
        while rows and not rows[-1]:
            rows.pop()  # blank lines at the end
        head = rows[0] if rows else None
    else:
        head = (lines[0].split(",") if lines[0] else []) if lines else None
    if head is None:
        raise SlasimError(
            "empty CSV: a header row comes first (name,accepted,limit,…)", source=source
        )
    header = [h.strip() for h in head]
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
    width = len(header)  # at least the three required columns
    if lines is None:
        counts = list(map(len, rows))
    else:  # commas per line, a blank line being a row of no cell
        counts = list(map(str.count, lines, repeat(",")))
        if counts.count(width - 1) != len(counts):
            counts = [c + 1 if line else 0 for c, line in zip(counts, lines)]
        else:
            counts = None
    if counts is not None and counts.count(width) != len(counts):
        k = next(k for k, cells in enumerate(counts) if cells != width)
        raise SlasimError(
            "{cells} cells, the header has {width}",
            source=source,
            field=at_line(k + 1),
            cells=counts[k],
            width=width,
        )
    if lines is None:
        n = len(rows) - 1
        return (dict(zip(header, zip(*rows[1:]))) if n else dict.fromkeys(header, ())), n
    n = len(lines) - 1
    if not n:
        return dict.fromkeys(header, ()), 0
    flat = ",".join(lines[1:]).split(",")
    return {name: flat[j::width] for j, name in enumerate(header)}, n


def _lines(text: str) -> list[str] | None:
    """The lines of a text the `csv` module would read as plain cells between commas (no quote,
    lines ending in `\\n` or `\\r\\n`, no line over its field size limit); blank lines at the end
    dropped. None: the `csv` module reads it."""
    if '"' in text:
        return None
    end = "\n"
    if "\r" in text:
        crlf = text.count("\r\n")
        if text.count("\r") != crlf:
            return None  # a lone carriage return ends a row for the `csv` module
        if text.count("\n") == crlf:
            end = "\r\n"  # every line ends so (as `csv.writer` writes them)
        else:
            text = text.replace("\r\n", "\n")
    lines = text.split(end)
    if not lines[-1]:
        lines.pop()  # the last line's end (or an empty text)
    if lines and max(map(len, lines)) > csv.field_size_limit():
        return None  # the `csv` module refuses such a cell itself
    while lines and not lines[-1]:
        lines.pop()  # blank lines at the end
    return lines


def _items(cell: str) -> tuple[str, ...]:
    """A cell's `;`-separated items, stripped."""
    return tuple(map(str.strip, cell.split(";")))


def _split_cells(cells: list) -> tuple[list[int], list[int], list[str]]:
    """The cases whose cell is not empty, their counts of `;`-separated items, and the items of
    all of them in order (unstripped)."""
    rows = list(compress(range(len(cells)), cells))
    texts = list(compress(cells, cells))
    counts = [c + 1 for c in map(str.count, texts, repeat(";"))]
    return rows, counts, ";".join(texts).split(";")


def _pause(text: str) -> tuple:
    """`FROM/TO[/KIND]` (TO empty: still open) as (from, to, kind, detail)."""
    parts = text.split("/")
    if len(parts) not in (2, 3) or not parts[0]:
        raise ValueError(
            Text("a pause is FROM/TO or FROM/TO/KIND (TO empty: open): {pause}", pause=repr(text))
        )
    kind = parts[2] if len(parts) == 3 and parts[2] else OPEN_KIND
    return parts[0], parts[1] or None, kind, ""


def _pauses(cell: str) -> list[tuple]:
    """A pauses cell (already checked) as its list of (from, to, kind, detail)."""
    return [_pause(x.strip()) for x in cell.split(";")]


def _pause_rows(cells: list, source: str) -> tuple:
    """One row per pause of the column: (cases, slots, froms, tos, kinds, details), each a list;
    the first malformed pause (in file order) is a located error."""
    rows, counts, items = _split_cells(cells)
    if not rows:
        return [], [], [], [], [], []
    items = list(map(str.strip, items))
    case = [i for i, c in zip(rows, counts) for _ in range(c)] if len(items) != len(rows) else rows
    slashes = set(map(str.count, items, repeat("/")))
    parts = "/".join(items).split("/")
    if slashes == {2}:
        froms, tos, kinds = parts[0::3], parts[1::3], parts[2::3]
    elif slashes == {1}:
        froms, tos, kinds = parts[0::2], parts[1::2], [""] * len(items)
    else:
        froms = []  # mixed forms (or malformed): one at a time below
    if "" in froms or len(froms) != len(items):
        for k, text in enumerate(items):  # the first malformed pause, in file order
            try:
                _pause(text)
            except ValueError as exc:
                raise SlasimError(
                    exc.args[0], source=source, field=f"cases[{case[k]}].pauses"
                ) from None
        froms, tos, kinds, _ = map(list, zip(*map(_pause, items)))
    if "" in tos:
        tos = [t or None for t in tos]
    if "" in kinds:
        kinds = [k or OPEN_KIND for k in kinds]
    if len(items) == len(rows):
        slots = [0] * len(items)
    else:
        firsts = [0, *accumulate(counts)][:-1]
        slots = [k - s for s, c in zip(firsts, counts) for k in range(s, s + c)]
    return case, slots, froms, tos, kinds, [""] * len(items)


def _promised_dues(due: list, promised: list, due_promised: list) -> list:
    """The promised due of each case: `due_promised`, else `due` when the case has one limit."""
    if _all_none(due_promised):
        if _all_none(promised):
            return due
        if None not in promised:
            return due_promised
    return [d if p is None and q is None else q for d, p, q in zip(due, promised, due_promised)]


def _due(legal, promised, due_promised):
    """A case's expectation `due` as a check file writes it (None: none)."""
    if promised is None and due_promised is None:
        return legal
    if legal is None and due_promised is None:
        return None
    return {k: v for k, v in (("promised", due_promised), ("legal", legal)) if v is not None}


def _card_map(cell: str) -> dict:
    """A card_at cell (already checked) as its mapping instant → level."""
    entries = {}
    for item in cell.split(";"):
        when, _, level = item.partition("=")
        entries[when.strip()] = level.strip()
    return entries


def _card_rows(cells: list, source: str) -> tuple:
    """(cases with cards, their counts, instants, levels) of a card_at column, as
    `FlatCases.cards`; an entry without `=` is a located error (the first, in file order)."""
    rows = list(compress(range(len(cells)), cells))
    texts = list(compress(cells, cells))
    time_of, level_of = {}, {}  # each distinct cell once (files repeat them): its one entry
    for cell in set(texts):
        if ";" in cell or cell.count("=") != 1:
            return _card_rows_one_by_one(cells, source)
        when, _, level = cell.partition("=")
        time_of[cell], level_of[cell] = when.strip(), level.strip()
    times = list(map(time_of.__getitem__, texts))
    return rows, [1] * len(rows), times, list(map(level_of.__getitem__, texts))


def _card_rows_one_by_one(cells: list, source: str) -> tuple:
    """`_card_rows` case by case: several entries in a cell (an instant given twice keeps its
    last level), an entry with no `=` or more than one."""
    rows, counts, times, levels = [], [], [], []
    for i, cell in enumerate(cells):
        if cell is not None:
            for item in cell.split(";"):
                if "=" not in item:
                    raise SlasimError(
                        "a card check is INSTANT=level: {entry}",
                        source=source,
                        field=f"cases[{i}].card_at",
                        entry=repr(item.strip()),
                    )
            entries = _card_map(cell)
            rows.append(i)
            counts.append(len(entries))
            times.extend(entries)
            levels.extend(entries.values())
    return rows, counts, times, levels
