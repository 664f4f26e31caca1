"""The one error type users see: a message naming where (file, field) and what is wrong.

The CLI turns a `SlasimError` into one line on stderr and exit code 2; the library raises it for
any bad input (unknown calendar, malformed limit, invalid check or scenario file).
"""

from __future__ import annotations

import unicodedata


def one_line(text: str) -> str:
    """Text safe to print on one terminal line: control and format characters (line breaks,
    U+001E, U+202E …) written as escapes (`\\n`, `\\x1e`, `\\u202e`)."""
    if text.isprintable():
        return text
    return "".join(
        ch
        if ch.isprintable() or ch == " " or unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")
        else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


class SlasimError(ValueError):
    """Bad input. `str(err)` is the single line shown to the user: `file: field: what is wrong`."""

    def __init__(self, message: str, *, source: str | None = None, field: str | None = None):
        self.message = message
        self.source = source
        self.field = field
        parts = [p for p in (source, field) if p]
        # One line whatever the input held: line breaks, other control characters and bidi
        # overrides in a key, value or file name are shown escaped, never sent to the terminal.
        super().__init__(one_line(": ".join([*parts, message])))

    def located(self, source: str | None = None, field_prefix: str | None = None) -> SlasimError:
        """The same error with a file and/or an outer field path filled in."""
        field = self.field
        if field_prefix:
            field = f"{field_prefix}.{field}" if field else field_prefix
        return SlasimError(self.message, source=self.source or source, field=field)


class ProvisionalError(SlasimError):
    """A date lies outside the calendar's published years and the caller asked for strictness."""
