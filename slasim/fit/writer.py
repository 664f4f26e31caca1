"""A fitted scenario as YAML, with each fitted number's evidence as a comment beside it.

Block style for mappings and lists of mappings, flow style for small leaves (distributions,
factor tables, lists of numbers); keys and strings are quoted by PyYAML's safe dumper, and comments
are one line each (control characters escaped), so the file reads back as the same data whatever
the log's names hold (tested). A calendar named by a path is written relative to the written
file's folder, which is where the scenario loader looks for it first.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from slasim.calendar.files import is_calendar_path
from slasim.io.errors import one_line


class _Dumper(yaml.SafeDumper):
    """The safe dumper, writing a string that holds a line break or another control character
    double-quoted with escapes (`"a\\nb"`), never folded over lines."""


def _represent_str(dumper: yaml.SafeDumper, value: str):
    style = None if value.isprintable() else '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _flow(value) -> str:
    """One value (or key) as YAML on one line: quoted as the dumper decides, never folded."""
    text = yaml.dump(
        value, Dumper=_Dumper, default_flow_style=True, allow_unicode=True, width=float("inf")
    ).strip()
    return text.removesuffix("...").strip()  # PyYAML ends a lone scalar document with "..."


def _is_leaf(value) -> bool:
    if isinstance(value, dict):  # a mapping of several lists (receipts by hour): a line each
        return (
            all(not isinstance(v, (dict, list)) or _small(v) for v in value.values())
            and len(value) <= 13
            and sum(isinstance(v, list) for v in value.values()) <= 1
        )
    if isinstance(value, list):
        return all(not isinstance(v, (dict, list)) for v in value)
    return True


def _small(value) -> bool:
    return isinstance(value, (dict, list)) and all(
        not isinstance(v, (dict, list))
        for v in (value.values() if isinstance(value, dict) else value)
    )


def _comment(text: str) -> str:
    """A comment's text on one line: the evidence names files, services and activities from the
    log, and a line break there (or NEL, U+2028) would start a line YAML reads as data."""
    return one_line(str(text))


def _line(prefix: str, text: str, comment: str | None) -> str:
    return f"{prefix}{text}" + (f"  # {_comment(comment)}" if comment else "")


def emit(value, comments: dict[tuple, str], path: tuple = (), indent: int = 0) -> list[str]:
    """YAML lines of a mapping, comments looked up by field path (keys and list indices)."""
    pad = " " * indent
    lines = []
    for key, item in value.items():
        here = (*path, key)
        label = _flow(key)
        if isinstance(item, dict) and item and not (_is_leaf(item) and len(here) > 2):
            lines.append(_line(pad, f"{label}:", comments.get(here)))
            lines.extend(emit(item, comments, here, indent + 2))
        elif isinstance(item, list) and item and any(isinstance(v, dict) for v in item):
            lines.append(_line(pad, f"{label}:", comments.get(here)))
            for k, element in enumerate(item):
                lines.extend(_element(element, comments, (*here, k), indent + 2))
        else:
            lines.append(_line(pad, f"{label}: {_flow(item)}", comments.get(here)))
    return lines


def _element(element, comments, here: tuple, indent: int) -> list[str]:
    pad = " " * indent
    if not isinstance(element, dict):
        return [_line(pad, f"- {_flow(element)}", comments.get(here))]
    if _is_leaf(element) and "steps" not in element:
        return [_line(pad, f"- {_flow(element)}", comments.get(here))]
    inner = emit(element, comments, here, indent + 2)
    first = inner[0].lstrip()
    lines = [pad + "- " + first]
    if comments.get(here) and "#" not in first:
        lines[0] += f"  # {_comment(comments[here])}"
    return lines + inner[1:]


def scenario_yaml(data: dict, comments: dict[tuple, str], header: list[str]) -> str:
    """The whole file: header comment lines, then the scenario."""
    return "\n".join([*(f"# {_comment(h)}" for h in header), *emit(data, comments)]) + "\n"


def calendar_reference(calendar: str, out: Path | None) -> str:
    """The scenario's `calendar` field for a calendar given as `calendar` (a name, or a path from
    the working folder) in a scenario written to `out`: a name as it is, a path relative to
    `out`'s folder (absolute when printed rather than written, or on another drive)."""
    if not is_calendar_path(calendar):
        return calendar
    path = Path(calendar).resolve()
    if out is None:
        return str(path)
    try:
        return Path(os.path.relpath(path, Path(out).resolve().parent)).as_posix()
    except ValueError:  # another drive (Windows): no relative path
        return str(path)
