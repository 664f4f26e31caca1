"""The one error type users see: a message naming where (file, field) and what is wrong.

The CLI turns a `SlasimError` into one line on stderr and exit code 2; the library raises it for
any bad input (unknown calendar, malformed limit, invalid check or scenario file). A slasim parser
becomes a field's parser (`field_parser`) whose errors a model or a column reader reports at the
field.
"""

from __future__ import annotations

import unicodedata

from slasim.io.i18n import Text, localized


def one_line(text: str) -> str:
    """Text safe to print on one terminal line: control and format characters (line breaks,
    U+001E, U+202E, a lone surrogate …) written as escapes (`\\n`, `\\x1e`, `\\u202e`)."""
    if text.isprintable():
        return text
    return "".join(
        ch
        if ch.isprintable()
        or ch == " "
        or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp")
        else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


def terminal_text(text: str) -> str:
    """Text for a terminal or a CI log, line by line: each line as `one_line` writes it (no ESC
    sequence or stray line break from a name), and none a GitHub workflow command (a line
    starting `::` once trimmed, or holding the runner's legacy `##[`), so a name or article
    from a file cannot add an annotation or mask to the log."""
    lines = []
    for line in str(text).split("\n"):
        line = one_line(line)
        if line.lstrip().startswith("::"):
            line = line.replace("::", ":\\:", 1)
        lines.append(line.replace("##[", "#\\#["))
    return "\n".join(lines)


def shown(value, limit: int = 60) -> str:
    """A value read from a file, for a message: quoted and escaped by `repr` (line breaks,
    control and invisible characters), cut to `limit` characters (a 200 KB field or a private
    file's line is not echoed whole)."""
    text = repr(str(value))
    return text if len(text) <= limit else text[: limit - 2] + "…" + text[0]


MAX_MESSAGE = 400  # characters of a message (and of a field path) shown; the rest is cut


def _capped(text: str, limit: int = MAX_MESSAGE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SlasimError(ValueError):
    """Bad input. `str(err)` is the single line shown to the user: `file: field: what is wrong`,
    in the chosen language (`slasim.io.i18n`); `err.args[0]` is the same line in English.

    The message is an English message id with its parameters (`SlasimError("unknown calendar
    {name}", field="calendar", name=...)`), kept apart so it is translated where it is shown;
    file and field names are shown as written in the file, in every language."""

    def __init__(
        self, message: str, *, source: str | None = None, field: str | None = None, **params
    ):
        self.message = Text(message, **params) if params else message
        self.source = source
        self.field = field
        super().__init__(self.line("en"))

    def line(self, lang: str | None = None) -> str:
        """The one line shown, in `lang` (default: the chosen language)."""
        # One line whatever the input held: line breaks, other control characters and bidi
        # overrides in a key, value or file name are shown escaped, never sent to the terminal.
        # Messages quote values from files: each part is capped, so no input is echoed whole.
        source = self.source.localized(lang) if isinstance(self.source, Text) else self.source
        parts = [terminal_text(one_line(source))] if source else []
        shown_message = localized(self.message, lang)
        # A field is shown as written in the file; one slasim words (a `Text`: "line 5") is
        # translated.
        field = self.field.localized(lang) if isinstance(self.field, Text) else self.field
        parts += [_capped(terminal_text(one_line(p))) for p in (field, shown_message) if p]
        return ": ".join(parts)

    def __str__(self) -> str:
        return self.line()

    def located(self, source: str | None = None, field_prefix: str | None = None) -> SlasimError:
        """The same error with a file and/or an outer field path filled in."""
        field = self.field
        if field_prefix:
            field = f"{field_prefix}.{field}" if field else field_prefix
        return SlasimError(self.message, source=self.source or source, field=field)


class ProvisionalError(SlasimError):
    """A date lies outside the calendar's published years and the caller asked for strictness."""


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
