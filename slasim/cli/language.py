"""The `--lang` option every command takes, and the command line's help in the chosen language.

The language is chosen once, in `cli.main`, from `--lang zh|en` (anywhere on the line, as
`--debug`), else `SLASIM_LANG`, else the locale (`slasim.io.i18n.choose`). Help texts are written
in English in the code and translated where they are shown: each command's help, its options'
help and the headings of Typer's help panels. Click's own few words (`Usage:`, its usage-error
texts) stay English: Click translates them only through a process-wide gettext domain of its own.
"""

from __future__ import annotations

import os
import unicodedata
from functools import cache

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
    """Let help texts in Chinese wrap between characters: Rich wraps only at spaces and cuts a
    longer run with "…", which is every Chinese sentence (it has no spaces). Typer builds every
    help text (a command's, its options', the commands panel's rows) in `_make_rich_text`; its
    texts are made `CjkText`s. A Typer without that function keeps its layout."""
    build = getattr(panels, "_make_rich_text", None)
    if build is None or getattr(build, "_breaks_cjk", False):
        return
    text_class = cjk_text()

    def breaking(*args, **kwargs):
        made = build(*args, **kwargs)
        if type(made) is text_class.__base__:
            made.__class__ = text_class  # the same text and styles; only the wrapping differs
        return made

    breaking._breaks_cjk = True
    panels._make_rich_text = breaking


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"  # two cells on a terminal


def _may_break(before: str, after: str) -> bool:
    """Whether a line may end between these two characters: after a space, or next to a wide
    (CJK) character, but never inside a word of ASCII (an option name, an identifier), before
    closing or ending punctuation (，。）：…) nor after opening punctuation (（「)."""
    if after.isspace():
        return False
    if before.isspace():
        return True
    if not (_wide(before) or _wide(after)):
        return False
    closing = unicodedata.category(after) in ("Pe", "Pf", "Po")
    return not closing and unicodedata.category(before) not in ("Ps", "Pi")


def _pieces(text: str) -> list[tuple[int, str]]:
    """The text cut where a line may end: (start, piece), a piece keeping its trailing spaces."""
    starts = [0] + [i for i in range(1, len(text)) if _may_break(text[i - 1], text[i])]
    return [(a, text[a:b]) for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


def line_breaks(text: str, width: int, fold: bool = True) -> list[int]:
    """Where to break `text` into lines of at most `width` cells (Rich's `divide_line`, with the
    break opportunities of `_may_break`): a piece longer than a line is folded when `fold`,
    else left whole (and cut by the caller)."""
    from rich.cells import cell_len, chop_cells

    breaks: list[int] = []
    used = 0
    for start, piece in _pieces(text):
        length = cell_len(piece.rstrip())
        if used + length <= width:
            used += cell_len(piece)
            continue
        if start and used:
            breaks.append(start)
        used = cell_len(piece)
        if length > width and fold:
            parts = chop_cells(piece, width)
            for part in parts[:-1]:
                start += len(part)
                breaks.append(start)
            used = cell_len(parts[-1])
    return breaks


@cache
def cjk_text():
    """`CjkText`: Rich text that wraps Chinese between characters and ASCII at spaces only (text
    without wide characters wraps as Rich's own `Text`). Made on first use: the command line
    starts without Rich."""
    from rich.cells import cell_len
    from rich.containers import Lines
    from rich.measure import Measurement
    from rich.text import Text

    class CjkText(Text):
        __slots__ = ()  # Text's own layout, so a made Text can become one

        # Rich's `Text.wrap` with `line_breaks` for Rich's `divide_line` (tabs aside: help has none)
        def wrap(self, console, width, *, justify=None, overflow=None, tab_size=8, no_wrap=None):
            if not any(_wide(char) for char in self.plain):
                return super().wrap(
                    console,
                    width,
                    justify=justify,
                    overflow=overflow,
                    tab_size=tab_size,
                    no_wrap=no_wrap,
                )
            justify = justify or self.justify or "default"
            ignore = overflow == "ignore"
            overflow = overflow or self.overflow or "fold"
            no_wrap = (self.no_wrap if no_wrap is None else no_wrap) or ignore
            lines = Lines()
            for line in self.split(allow_blank=True):
                if no_wrap:
                    pieces = Lines([line])
                else:
                    # a piece wider than a line is folded (Rich would cut it with "…")
                    pieces = line.divide(line_breaks(line.plain, width))
                    for piece in pieces:
                        if cell_len(piece.plain) > width:  # Rich's rstrip_end counts characters
                            piece.rstrip()
                pieces.justify(console, width, justify=justify, overflow=overflow)
                for piece in pieces:
                    piece.truncate(width, overflow=overflow)
                lines.extend(pieces)
            return lines

        def __rich_measure__(self, console, options) -> Measurement:
            widest = max((cell_len(line) for line in self.plain.splitlines()), default=0)
            pieces = [
                piece.rstrip() for line in self.plain.splitlines() for _, piece in _pieces(line)
            ]
            return Measurement(max((cell_len(p) for p in pieces), default=widest), widest)

    return CjkText


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
            item.help = join_lines(localized(text))
        if short:
            item.short_help = join_lines(localized(short))


def join_lines(text: str) -> str:
    """Help text with its single line breaks between two Chinese characters taken out: the
    English source's lines are soft, and a translation keeping them would show a stray space
    (Typer turns a line break into one) or break a line there (in the commands panel)."""
    keep = [
        i
        for i, char in enumerate(text)
        if not (
            char == "\n" and 0 < i < len(text) - 1 and _wide(text[i - 1]) and _wide(text[i + 1])
        )
    ]
    return "".join(text[i] for i in keep)
