"""Command-line values read without pydantic, for the plain text parameters slasim's commands use.

Typer (since 0.2x) turns every parameter's text into its Python value through a pydantic
`TypeAdapter`, built on first use; importing pydantic and building the adapters is most of what a
short command such as `slasim deadline` costs above `import numpy, typer`. A text parameter
(`str`, or a repeatable `list[str]`) needs no conversion at all, so it is read here as Typer's own
adapter reads it (`str(value)`, bytes decoded as the file system does), and a flag that Click
already gave as a bool (or not at all) is kept as it is; any other type or value (numbers with
bounds, paths, choices, a flag's text from an environment variable) still goes through Typer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import get_args, get_origin

try:  # Typer's runtime coercion contract (Typer ≥ 0.2x); older Typers coerce through Click
    from typer._coercion import RuntimeParam, build_runtime_param
except ImportError:  # pragma: no cover - an older Typer: nothing to replace
    RuntimeParam = None


def _text(value) -> str:
    return os.fsdecode(value) if isinstance(value, bytes) else str(value)


def is_text(annotation) -> bool:
    """Whether a parameter's annotation is `str` or `list[str]` (Optional already removed)."""
    if get_origin(annotation) is list:
        return get_args(annotation) == (str,)
    return annotation is str


if RuntimeParam is not None:

    @dataclass(frozen=True)
    class TextParam(RuntimeParam):
        """A text parameter's value as given on the command line."""

        def _coerce_value(self, value, param, ctx):
            if isinstance(value, (list, tuple)):
                return [_text(item) for item in value]
            return _text(value)

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
    if not is_text(descriptor.annotation):
        return None
    return TextParam(parameter_info=info, annotation=descriptor.annotation)
