"""Validate loaded data (TOML/YAML/JSON) into pydantic models; errors become one-line `SlasimError`s.

The first problem is reported as `file: dotted.field.path: what is wrong`, which is what a user
needs to fix a file; pydantic's multi-line report is not shown. The problem is pydantic's own
English (what `err.args[0]` holds, as before), kept as a `Text` of its error type's message and
context values (`error_text`), so it is shown translated.
"""

from __future__ import annotations

import re
from typing import Annotated, TypeVar

import pydantic
from pydantic import BaseModel, ConfigDict, ValidationError

from slasim.io.errors import SlasimError, shown
from slasim.io.i18n import N_, Text

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
    no output encoding can write). `what` is slasim's word for the name (a `Text`: translated
    where shown)."""
    if str(name).isprintable():  # the common case, in C: no control or format character
        return name
    import unicodedata

    bad = next((c for c in str(name) if unicodedata.category(c) in ("Cc", "Cf", "Cs")), None)
    if bad is not None:
        raise ValueError(
            Text(
                "{what} {name} has a control or invisible character (U+{code:04X})",
                what=what,
                name=shown(name),
                code=ord(bad),
            )
        )
    return name


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


# Pydantic's message of each error type a file commonly meets, as its template (pydantic-core's
# `list_all_errors`); the context values fill it. A message the template does not reproduce
# exactly (another pydantic wording) is shown as pydantic wrote it.
MESSAGES = {
    "missing": N_("Field required"),
    "model_type": N_("Input should be a valid dictionary or instance of {class_name}"),
    "model_attributes_type": N_(
        "Input should be a valid dictionary or object to extract fields from"
    ),
    "none_required": N_("Input should be None"),
    "greater_than": N_("Input should be greater than {gt}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "multiple_of": N_("Input should be a multiple of {multiple_of}"),
    "finite_number": N_("Input should be a finite number"),
    "string_type": N_("Input should be a valid string"),
    "string_pattern_mismatch": N_("String should match pattern '{pattern}'"),
    "enum": N_("Input should be {expected}"),
    "literal_error": N_("Input should be {expected}"),
    "dict_type": N_("Input should be a valid dictionary"),
    "list_type": N_("Input should be a valid list"),
    "tuple_type": N_("Input should be a valid tuple"),
    "set_type": N_("Input should be a valid set"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "float_type": N_("Input should be a valid number"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "date_type": N_("Input should be a valid date"),
    "date_parsing": N_("Input should be a valid date in the format YYYY-MM-DD, {error}"),
    "date_from_datetime_parsing": N_("Input should be a valid date or datetime, {error}"),
    "datetime_type": N_("Input should be a valid datetime"),
    "datetime_parsing": N_("Input should be a valid datetime, {error}"),
    "union_tag_invalid": N_(
        "Input tag '{tag}' found using {discriminator} does not match any of the expected "
        "tags: {expected_tags}"
    ),
    "union_tag_not_found": N_("Unable to extract tag using discriminator {discriminator}"),
}
# Types whose message says item or items: (the template for one, for more).
COUNTED = {
    "too_short": (
        N_(
            "{field_type} should have at least {min_length} item after validation, not {actual_length}"
        ),
        N_(
            "{field_type} should have at least {min_length} items after validation, not {actual_length}"
        ),
        "min_length",
    ),
    "too_long": (
        N_(
            "{field_type} should have at most {max_length} item after validation, not {actual_length}"
        ),
        N_(
            "{field_type} should have at most {max_length} items after validation, not {actual_length}"
        ),
        "max_length",
    ),
    "string_too_short": (
        N_("String should have at least {min_length} character"),
        N_("String should have at least {min_length} characters"),
        "min_length",
    ),
    "string_too_long": (
        N_("String should have at most {max_length} character"),
        N_("String should have at most {max_length} characters"),
        "max_length",
    ),
}
FIELD_TYPES = (N_("List"), N_("Dictionary"), N_("Tuple"), N_("Set"), N_("Value"))
# What a file of each kind is called in "not a …" (from its model's name).
KINDS = (N_("calendar file"), N_("check file"), N_("scenario"))
# Context values that are slasim's (or pydantic's) own words, translated where shown: a model's
# name (`Department`) and a container's kind (`List`). Every other value (an expected literal,
# a pattern, a value from the file) is shown as written.
WORDS = ("class_name", "field_type")
# Bounds pydantic gives as floats (`0.0`) but writes in its message as it writes the number
# (`0`): a whole number without its `.0`.
BOUNDS = ("gt", "ge", "lt", "le", "multiple_of")


def _context(ctx: dict) -> dict:
    """An error's context values as its message shows them (see WORDS and BOUNDS)."""
    shown_ctx = {}
    for key, value in ctx.items():
        if key in WORDS and isinstance(value, str):
            value = Text(value)
        elif key in BOUNDS and isinstance(value, float) and value.is_integer():
            value = int(value)
        shown_ctx[key] = value
    return shown_ctx


def error_text(error: dict) -> str:
    """The problem of one pydantic error as shown after its location: pydantic's English message
    (without `Value error, `), as a `Text` of its type's template and context when it has one;
    a validator's own `Text` (or message id) when the error came from one."""
    kind, msg = error["type"], error["msg"]
    ctx = _context(error.get("ctx") or {})
    if kind == "value_error":
        text = msg[len("Value error, ") :] if msg.startswith("Value error, ") else msg
        cause = ctx.get("error")
        first = cause.args[0] if isinstance(cause, Exception) and cause.args else None
        return first if isinstance(first, Text) and first == text else text
    expected = ctx.get("expected")
    if isinstance(expected, str) and " or " in expected:  # "'a', 'b' or 'c'": its "or" translated
        head, _, last = expected.rpartition(" or ")
        ctx["expected"] = Text("{head} or {last}", head=head, last=last)
    if kind in COUNTED:
        one, many, key = COUNTED[kind]
        template = one if ctx.get(key) == 1 else many
    else:
        template = MESSAGES.get(kind)
    if template is None:
        return msg
    try:
        text = Text(template, **ctx)
    except (KeyError, IndexError, ValueError):
        return msg
    return text if text == msg else msg


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
        msg = error_text(first)
        if first["type"] == "extra_forbidden":
            if len(loc) == 1 and _foreign(model, data):
                # Not a file of this kind at all (a private file, say): its keys are not echoed.
                what = re.sub(r"(?<!^)(?=[A-Z])", " ", model.__name__).lower()
                raise SlasimError(
                    "not a {what}: none of its {n} top-level keys is a field of one",
                    source=source,
                    what=Text(what),
                    n=len(data),
                ) from None
            msg = "unknown field"
        raise SlasimError(msg, source=source, field=field_path(loc) or None) from None
