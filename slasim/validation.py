"""Validate loaded data (TOML/YAML) into pydantic models; errors become one-line `SlasimError`s.

The first problem is reported as `file: dotted.field.path: what is wrong`, which is what a user
needs to fix a file; pydantic's multi-line report is not shown.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from .bulk import gc_paused
from .errors import SlasimError

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """Base for file models: unknown keys are errors (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


def field_parser(parse):
    """A pydantic `before` validator from a slasim parser: None passes, a SlasimError becomes the
    ValueError pydantic reports at the field (so the message lands on the right path)."""

    def check(value):
        if value is None:
            return None
        try:
            return parse(value)
        except SlasimError as exc:
            raise ValueError(exc.message) from None

    return check


def field_path(loc: tuple) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif not re.fullmatch(r"[\w\-/]+", str(item)):
            parts.append(f"[{str(item)!r}]")   # a key with spaces, dots or line breaks, quoted
        elif parts:
            parts.append(f".{item}")
        else:
            parts.append(str(item))
    return "".join(parts)


def validate(model: type[M], data, source: str | None) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        # A typo'd key also makes the real key "missing": report the unknown key, the root cause.
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith(("function-", "tag-"))))
        msg = first["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if first["type"] == "extra_forbidden":
            msg = "unknown field"
        raise SlasimError(msg, source=source, field=field_path(loc) or None) from None


class _TextDatesLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe loader (libyaml's C parser when PyYAML has it, ~10x faster on large check files) that
    leaves dates as text: slasim parses them itself, with located errors (PyYAML's own timestamp
    parsing raises bare ValueErrors for dates like 2025-02-30)."""


_TextDatesLoader.yaml_implicit_resolvers = {
    key: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(path: Path):
    """Safely load a YAML file (or a `.json` one: JSON is YAML, and its parser is far faster for
    large generated files); a missing file or a syntax error is a `SlasimError`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SlasimError(f"cannot read file ({exc.strerror})", source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise SlasimError(f"not UTF-8 text (byte {exc.start})", source=str(path)) from None
    if Path(path).suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise SlasimError(f"invalid JSON: {exc.msg}", source=str(path), field=f"line {exc.lineno}") from None
    try:
        with gc_paused():
            data = yaml.load(text, Loader=_TextDatesLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else None
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise SlasimError(f"invalid YAML: {problem}", source=str(path), field=where) from None
    check_expanded_size(data, str(path))
    return data


MAX_NODES = 5_000_000


def check_expanded_size(data, source: str) -> None:
    """Refuse documents whose aliases expand to a huge or endless structure (a 'billion laughs'
    document loads small but would take forever to validate), counting each node as expanded."""
    total = 0
    on_path: set[int] = set()
    sizes: dict[int, int] = {}

    def size(node) -> int:
        nonlocal total
        if not isinstance(node, (dict, list)):
            return 1
        key = id(node)
        if key in on_path:
            raise SlasimError("a YAML alias refers to itself (an endless structure)", source=source)
        if key in sizes:
            return sizes[key]
        on_path.add(key)
        children = node.values() if isinstance(node, dict) else node
        n = 1 + sum(size(child) for child in children)
        on_path.discard(key)
        sizes[key] = n
        if n > MAX_NODES:
            raise SlasimError(f"the document expands to over {MAX_NODES:,} values (YAML aliases?)", source=source)
        return n

    try:
        size(data)
    except RecursionError:
        raise SlasimError("the document is nested too deeply", source=source) from None
