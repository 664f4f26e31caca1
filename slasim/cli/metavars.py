"""Help that names value types the way Click and most command lines do: `INTEGER`, `TEXT`, `PATH`,
`INTEGER RANGE`, choices as `[a|b]`, and nothing after a flag.

Typer (since its "Update metavar printing" change, which it made on purpose and which its own
vendored Click carries) prints Python type names instead: `<int>`, `<str>`, `<list[str]>` for a
repeatable option, and `<bool>` after every flag, as if a flag took a value. The app's groups are
`ClickStyleGroup`s: every command they hand out, and the group itself, shows its parameters' types
through `click_metavar` (an explicit `metavar=` still wins), and arguments in the usage line in
capitals, as Click does (`SCENARIO`, not `{scenario}`).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import get_args, get_origin

from typer.core import TyperArgument, TyperGroup, TyperOption

from slasim.cli.language import localize_help
from slasim.cli.values import plain_runtime_param

NAMES = {str: "TEXT", int: "INTEGER", float: "FLOAT", bool: "BOOLEAN", Path: "PATH"}


def click_metavar(param) -> str:
    """The type of a parameter as Click names it ("" for a flag, which takes no value)."""
    if getattr(param, "is_flag", False):
        return ""
    annotation = param.type_descriptor.annotation
    if get_origin(annotation) is list:  # a repeatable option: each occurrence is one value
        (annotation,) = get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "[" + "|".join(str(member.value) for member in annotation) + "]"
    name = NAMES.get(annotation) or getattr(annotation, "__name__", str(annotation)).upper()
    if getattr(param, "min", None) is not None or getattr(param, "max", None) is not None:
        name += " RANGE"  # the bounds follow, as Typer prints them: [x>=1]
    return name


def _runtime_param(param, typer_class):
    """Text parameters are read without Typer's pydantic adapters (`slasim.cli.values`)."""
    if getattr(param, "_runtime_param", None) is None:
        plain = plain_runtime_param(param)
        if plain is not None:
            param._runtime_param = plain
    return typer_class.get_runtime_param(param)


class ClickStyleOption(TyperOption):
    def get_runtime_param(self):
        return _runtime_param(self, TyperOption)

    def display_type_rich(self, ctx) -> str | None:
        return self.metavar if self.metavar is not None else click_metavar(self)


class ClickStyleArgument(TyperArgument):
    def get_runtime_param(self):
        return _runtime_param(self, TyperArgument)

    def display_type_rich(self, ctx) -> str | None:
        return click_metavar(self)

    def get_usage_pieces(self, ctx) -> list[str]:
        """The usage line as Click writes it: `SCENARIO`, `[LOG]`, `FILES...` (Typer writes a
        required argument as `{scenario}`, which reads like a placeholder to fill with braces).
        An explicit metavar is shown as given (`deadline`'s START LIMIT, which `--from` replaces)."""
        if self.metavar:
            return [self.metavar]
        name = self.name.upper()
        name = name if self.required else f"[{name}]"
        return [name + ("..." if self.nargs != 1 else "")]


def restyle(params) -> None:
    """Show these parameters' types Click's way (their parsing is untouched: the classes differ
    only in how help displays the type)."""
    for param in params:
        if not hasattr(param, "type_descriptor"):  # a Typer from before the change: Click's names
            continue
        if type(param) is TyperOption:
            param.__class__ = ClickStyleOption
        elif type(param) is TyperArgument:
            param.__class__ = ClickStyleArgument


class ClickStyleGroup(TyperGroup):
    """A Typer group whose commands (and its own options) show Click-style types in their help."""

    def get_command(self, ctx, cmd_name):
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            restyle([*command.params, command.get_help_option(ctx)])
            localize_help(command, ctx)
        return command

    def parse_args(self, ctx, args):
        restyle(self.get_params(ctx))  # the group's own options (--version, --help) read lightly
        return super().parse_args(ctx, args)

    def format_help(self, ctx, formatter) -> None:
        restyle(self.get_params(ctx))
        localize_help(self, ctx)
        return super().format_help(ctx, formatter)
