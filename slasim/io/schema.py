"""Validate loaded data (TOML/YAML/JSON) into pydantic models; errors become one-line `SlasimError`s.

The first problem is reported as `file: dotted.field.path: what is wrong`, which is what a user
needs to fix a file; pydantic's multi-line report is not shown.
"""

from __future__ import annotations

import re
from typing import Annotated, TypeVar

import pydantic
from pydantic import BaseModel, ConfigDict, ValidationError

from slasim.io.errors import SlasimError, shown

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """Base for file models: unknown keys are errors (a typo must not be silently ignored)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )


# Numbers in files are numbers: `replications: true` or `staff: "2"` is an error, not 1 or 2.
# (A strict float still takes an integer.)
Int = Annotated[int, pydantic.Strict()]
Number = Annotated[float, pydantic.Strict()]


def plain_name(name: str, what: str) -> str:
    """A name users will see in tables and files: no control or invisible format characters
    (line breaks, NUL, right-to-left overrides, zero-width marks) and no lone surrogate (which
    no output encoding can write)."""
    if str(name).isprintable():  # the common case, in C: no control or format character
        return name
    import unicodedata

    bad = next((c for c in str(name) if unicodedata.category(c) in ("Cc", "Cf", "Cs")), None)
    if bad is not None:
        raise ValueError(
            f"{what} {shown(name)} has a control or invisible character (U+{ord(bad):04X})"
        )
    return name


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
    """A pydantic error location as a dotted field path (`services.a.steps[0].work`)."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif not re.fullmatch(r"[\w\-/]+", str(item)):
            parts.append(f"[{shown(item)}]")  # a key with spaces, dots or line breaks, quoted
        elif parts:
            parts.append(f".{item}")
        else:
            parts.append(str(item))
    return "".join(parts)


def _foreign(model: type[BaseModel], data) -> bool:
    """Whether a mapping shares no key with the model's fields (their names and aliases)."""
    if not isinstance(data, dict):
        return False
    known = set(model.model_fields)
    known |= {f.alias for f in model.model_fields.values() if f.alias}
    return not known.intersection(k for k in data if isinstance(k, str))


def validate(model: type[M], data, source: str | None) -> M:
    """Validate data into a model; the first error becomes one located `SlasimError`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        # A typo'd key also makes the real key "missing": report the unknown key, the root cause.
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        loc = tuple(
            p
            for p in first["loc"]
            if not (isinstance(p, str) and p.startswith(("function-", "tag-")))
        )
        msg = first["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if first["type"] == "extra_forbidden":
            if len(loc) == 1 and _foreign(model, data):
                # Not a file of this kind at all (a private file, say): its keys are not echoed.
                what = re.sub(r"(?<!^)(?=[A-Z])", " ", model.__name__).lower()
                raise SlasimError(
                    f"not a {what}: none of its {len(data)} top-level keys is a field of one",
                    source=source,
                ) from None
            msg = "unknown field"
        raise SlasimError(msg, source=source, field=field_path(loc) or None) from None
