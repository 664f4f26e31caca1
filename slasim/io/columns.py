"""The column names a case log's columns are found by: one list, kept as data in
`log_columns.toml` beside this module, read by `slasim fit` and `slasim fidelity` alike."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files


@cache
def column_names() -> dict[str, tuple[str, ...]]:
    """Role (`case`, `activity`, `start`, `end`, `resource`, …) → the names tried, in order."""
    text = files("slasim.io").joinpath("log_columns.toml").read_text(encoding="utf-8")
    return {role: tuple(names) for role, names in tomllib.loads(text).items()}


def find_column(header: list[str], role: str) -> str | None:
    """The header's column for `role`: the first of its names present (case-insensitive)."""
    lowered = {h.lower(): h for h in header}
    return next((lowered[name] for name in column_names()[role] if name in lowered), None)
