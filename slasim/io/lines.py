"""Records of a CSV or JSON-lines input, each with its line number, for commands that take many
small requests in one file (`slasim deadline --from`).

A CSV file has a header row naming its columns; a JSON-lines file holds one JSON object per line.
The format is told by the file's first character that is not blank (`{` for JSON lines), so
standard input needs no flag. Blank lines are skipped. Every problem is one located error:
the file, the line, and what is wrong (an unknown column or key is refused, not ignored).
"""

from __future__ import annotations

import csv
import io
import json
import sys

from slasim.io.errors import SlasimError, shown
from slasim.io.files import _unique_pairs, at_line, read_text_file


def read_input(name: str) -> str:
    """The text of a file, or of standard input for `-` (UTF-8; one located error otherwise)."""
    if name != "-":
        return read_text_file(name)
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SlasimError("not UTF-8 text (byte {at})", source="stdin", at=exc.start) from None


def read_records(
    text: str, source: str, fields: tuple[str, ...], required: tuple[str, ...], lists=()
) -> tuple[dict[str, list], list[int]]:
    """(columns, line numbers): one list per field of `fields`, a record's text (in JSON lines a
    field of `lists` may also be a list of texts) or None where the record does not give it. A
    record lacking a `required` field, or giving one not in `fields`, is a located error."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{"):
        records, lines = _json_lines(text, source, fields, lists)
        columns = {name: [r.get(name) for r in records] for name in fields}
    else:
        columns, lines = _csv_columns(text.lstrip("\ufeff"), source, fields)
    for name in required:
        column = columns[name]
        if not all(column):
            at = next(i for i, value in enumerate(column) if not value)
            raise SlasimError("{name}: missing", source=source, field=at_line(lines[at]), name=name)
    return columns, lines


def _json_lines(text: str, source: str, fields, lists) -> tuple[list[dict], list[int]]:
    records, lines = [], []
    known = set(fields)
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = at_line(number)
        try:
            record = json.loads(line, object_pairs_hook=_unique_pairs)
        except json.JSONDecodeError as exc:
            raise SlasimError(
                "invalid JSON: {why}", source=source, field=where, why=exc.msg
            ) from None
        except ValueError:
            raise SlasimError(
                "invalid JSON: a key is repeated", source=source, field=where
            ) from None
        except RecursionError:
            raise SlasimError("nested too deeply", source=source, field=where) from None
        if not isinstance(record, dict):
            raise SlasimError("not a JSON object", source=source, field=where)
        for key, value in record.items():
            if key not in known:
                raise SlasimError(
                    "unknown key {key} (use {known})",
                    source=source,
                    field=where,
                    key=shown(key),
                    known=", ".join(fields),
                )
            plain = isinstance(value, str) or value is None
            listed = key in lists and isinstance(value, list)
            if listed and all(isinstance(item, str) for item in value):
                continue
            if not plain:
                raise SlasimError("{key}: not a text", source=source, field=where, key=key)
        records.append(record)
        lines.append(number)
    return records, lines


def _csv_columns(text: str, source: str, fields) -> tuple[dict[str, list], list[int]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = None
    rows, lines = [], []
    try:
        for row in reader:
            number = reader.line_num  # the row's last line (a quoted cell may hold line breaks)
            if header is None:
                if not any(cell.strip() for cell in row):
                    continue
                header = [cell.strip() for cell in row]
                _check_header(header, source, fields, number)
                width = len(header)
                continue
            if len(row) != width:
                if not any(cell.strip() for cell in row):
                    continue  # a blank line
                raise SlasimError(
                    "{cells} cells for {width} columns",
                    source=source,
                    field=at_line(number),
                    cells=len(row),
                    width=width,
                )
            rows.append(row)
            lines.append(number)
    except csv.Error as exc:
        where = at_line(reader.line_num)
        raise SlasimError("invalid CSV: {why}", source=source, field=where, why=str(exc)) from None
    columns = {name: [None] * len(rows) for name in fields}
    for name, column in zip(header or (), zip(*rows)):
        columns[name] = [value or None for value in column]  # an empty cell: not given
    return columns, lines


def _check_header(header: list[str], source: str, fields, number: int) -> None:
    for name in header:
        if name not in fields:
            raise SlasimError(
                "unknown column {name} (use {known})",
                source=source,
                field=at_line(number),
                name=shown(name),
                known=", ".join(fields),
            )
    if len(set(header)) != len(header):
        raise SlasimError("a column is repeated", source=source, field=at_line(number))
