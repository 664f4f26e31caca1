"""The `--lang` option every command takes, and the command line's help in the chosen language.

The language is chosen once, in `cli.main`, from `--lang zh|en` (anywhere on the line, as
`--debug`), else `SLASIM_LANG`, else the locale (`slasim.io.i18n.choose`). Help texts are written
in English in the code and translated where they are shown: each command's help, its options'
help and the headings of Typer's help panels. Click's own few words (`Usage:`, its usage-error
texts) stay English: Click translates them only through a process-wide gettext domain of its own.
"""

from __future__ import annotations

import os

from slasim.io.errors import SlasimError
from slasim.io.i18n import N_, _, choose, current, localized, use

LANG_HELP = N_(
    "Language of the output: zh (Chinese) or en (English); default: SLASIM_LANG or the locale."
)
PANELS = {
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "DEFAULT_STRING": N_("[default: {}]"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "ERRORS_PANEL_TITLE": N_("Error"),
    "ABORTED_TEXT": N_("Aborted."),
}


def take_language(args: list[str]) -> list[str]:
    """Choose the language from `--lang X` / `--lang=X` in `args` (or the environment) and
    return the other arguments. An unknown language is bad input."""
    flag, rest, i = None, [], 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg == "--lang":
            if i + 1 >= len(args):
                raise SlasimError("--lang needs a value: zh or en")
            flag = args[i + 1]
            i += 2
            continue
        if arg.startswith("--lang="):
            flag = arg.split("=", 1)[1]
        else:
            rest.append(arg)
        i += 1
    try:
        use(choose(flag))
    except ValueError:
        source = "--lang" if flag else "SLASIM_LANG"
        raise SlasimError(
            "unknown language {value} (choose zh or en)",
            source=source,
            value=repr(flag or os.environ.get("SLASIM_LANG", "")),
        ) from None
    if current() != "en" or _panels_translated:
        _translate_panels()
    return rest


_panels_translated = False  # whether Typer's panel headings were set in another language


def _translate_panels() -> None:
    """Typer's help panel headings in the chosen language (English again after a Chinese run
    in the same process: a test, the workbench)."""
    global _panels_translated
    try:
        import typer.rich_utils as panels
    except ImportError:  # Typer without rich: Click's plain help
        return
    for name, text in PANELS.items():
        if hasattr(panels, name):
            setattr(panels, name, _(text))
    _panels_translated = current() != "en"
    _fold_help_text(panels)


def _fold_help_text(panels) -> None:
    """Let an option's help wrap anywhere: Rich wraps only at spaces and cuts a longer run with
    "…", which is every Chinese sentence (it has no spaces). Typer builds each option's help
    column in `_get_parameter_help`; its texts are given overflow="fold" (Typer's own choice
    for the type column). A Typer without that function keeps its layout."""
    build = getattr(panels, "_get_parameter_help", None)
    if build is None or getattr(build, "_folds", False):
        return

    def folded(*args, **kwargs):
        column = build(*args, **kwargs)
        for item in getattr(column, "renderables", ()):
            if hasattr(item, "overflow"):
                item.overflow = "fold"
        return column

    folded._folds = True
    panels._get_parameter_help = folded


HELP_OPTION = N_("Show this message and exit.")  # Click's text for --help, shown translated


def localize_help(command, ctx=None) -> None:
    """Show a command's help and its parameters' help (its --help option's too, given the
    context) in the chosen language (once; the English is kept on the object, so a later
    language choice starts from it)."""
    if current() == "en" and not hasattr(command, "_english_help"):
        return  # never shown in another language: its help is the English
    helper = command.get_help_option(ctx) if ctx is not None else None
    for item in (command, *getattr(command, "params", ()), *([helper] if helper else [])):
        english = getattr(item, "_english_help", None)
        if english is None:
            english = (getattr(item, "help", None), getattr(item, "short_help", None))
            item._english_help = english
        text, short = english
        if text:
            item.help = localized(text)
        if short:
            item.short_help = localized(short)
