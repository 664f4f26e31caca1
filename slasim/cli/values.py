"""Command-line values read without pydantic, for the plain text, path and choice parameters slasim's
commands use.

Typer (since 0.2x) turns every parameter's text into its Python value through a pydantic
`TypeAdapter`, built on first use; importing pydantic and building the adapters is most of what a
short command such as `slasim deadline` costs above `import numpy, typer`. A text parameter
(`str`, or a repeatable `list[str]`) needs no conversion at all, so it is read here as Typer's own
adapter reads it (`str(value)`, bytes decoded as the file system does), and a flag that Click
already gave as a bool (or not at all) is kept as it is. A `Path` (or `list[Path]`) is made a
`Path` here and then handed to Typer's own path checks (`exists`, `readable`, …), which import
pydantic only for a value that is not a `Path` yet; an `Enum` choice is matched by Typer's own
matcher, its error worded as Typer's adapter words it. Any other type or value (numbers with
bounds, a `path_type`, a flag's text from an environment variable) still goes through Typer.
"""

from __future__ import annotations

import os
from abc import abstractmethod
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import get_args, get_origin

try:  # Typer's runtime coercion contract (Typer ≥ 0.2x); older Typers coerce through Click
    from typer._click.exceptions import BadParameter
    from typer._coercion import RuntimeParam, build_runtime_param
    from typer._param_types import coerce_cli_choice, coerce_cli_path
except ImportError:  # pragma: no cover - an older Typer: nothing to replace
    RuntimeParam = None


def _text(value) -> str:
    return os.fsdecode(value) if isinstance(value, bytes) else str(value)


def leaf(annotation):
    """The type of one value: `X` for `X` and `list[X]`."""
    if get_origin(annotation) is list:
        args = get_args(annotation)
        return args[0] if len(args) == 1 else None
    return annotation


def is_choice(annotation) -> bool:
    """Whether a parameter's values are an `Enum`'s members (one, or a repeatable list)."""
    kind = leaf(annotation)
    return isinstance(kind, type) and issubclass(kind, Enum)


if RuntimeParam is not None:

    @dataclass(frozen=True)
    class EachValue(RuntimeParam):
        """A parameter read one value at a time: `one` of the value, or of each of a repeatable
        parameter's values (a list)."""

        @abstractmethod
        def one(self, item, param, ctx):
            """One value read."""

        def _coerce_value(self, value, param, ctx):
            if isinstance(value, (list, tuple)):
                return [self.one(item, param, ctx) for item in value]
            return self.one(value, param, ctx)

    @dataclass(frozen=True)
    class TextParam(EachValue):
        """A text parameter's value as given on the command line."""

        def one(self, item, param, ctx):
            return _text(item)

    @dataclass(frozen=True)
    class PathParam(EachValue):
        """A `Path` parameter: `Path(text)`, then Typer's own checks of the parameter's flags."""

        def one(self, item, param, ctx):
            text = item if isinstance(item, Path) else _text(item)
            if "\x00" in str(text):  # no file has one: refused as Typer's adapter refuses it
                raise BadParameter("Value error, embedded null byte", ctx=ctx, param=param)
            return coerce_cli_path(
                Path(text), self.parameter_info, path_type=Path, param=param, ctx=ctx
            )

    @dataclass(frozen=True)
    class ChoiceParam(EachValue):
        """An `Enum` parameter: the member whose value is the text, else Typer's error."""

        def one(self, item, param, ctx):
            try:
                return coerce_cli_choice(
                    item,
                    choices=list(leaf(self.annotation)),
                    case_sensitive=self.parameter_info.case_sensitive,
                    ctx=ctx,
                )
            except ValueError as exc:  # worded as pydantic words a validator's ValueError
                raise BadParameter(f"Value error, {exc}", ctx=ctx, param=param) from None

    @dataclass(frozen=True)
    class FlagParam(RuntimeParam):
        """A boolean flag: Click's bool kept; anything else read by Typer's own adapter."""

        descriptor: object = None

        def _coerce_value(self, value, param, ctx):
            if isinstance(value, bool):
                return value
            typer_own = build_runtime_param(self.descriptor)
            return typer_own._coerce_value(value, param=param, ctx=ctx)


def plain_runtime_param(param):
    """The light reader of a Typer parameter when it is plain text, else None (Typer's own)."""
    descriptor = getattr(param, "type_descriptor", None)
    if RuntimeParam is None or descriptor is None:
        return None
    info = descriptor.parameter_info
    if descriptor.file_annotation is not None or getattr(info, "parser", None) is not None:
        return None
    if descriptor.annotation is bool:
        return FlagParam(parameter_info=info, annotation=bool, descriptor=descriptor)
    annotation = descriptor.annotation
    if leaf(annotation) is str:  # `str` or `list[str]`
        return TextParam(parameter_info=info, annotation=annotation)
    if leaf(annotation) is Path and info.path_type is None:
        return PathParam(parameter_info=info, annotation=annotation)
    if is_choice(annotation):
        return ChoiceParam(parameter_info=info, annotation=annotation)
    return None
