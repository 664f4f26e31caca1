"""The one error type users see: a message naming where (file, field) and what is wrong.

The CLI turns a `SlasimError` into one line on stderr and exit code 2; the library raises it for
any bad input (unknown calendar, malformed limit, invalid check or scenario file).
"""

from __future__ import annotations


class SlasimError(ValueError):
    """Bad input. `str(err)` is the single line shown to the user: `file: field: what is wrong`."""

    def __init__(self, message: str, *, source: str | None = None, field: str | None = None):
        self.message = message
        self.source = source
        self.field = field
        parts = [p for p in (source, field) if p]
        # One line whatever the input held (a key or value with a line break is shown escaped).
        super().__init__(": ".join([*parts, message]).replace("\r", "\\r").replace("\n", "\\n"))

    def located(self, source: str | None = None, field_prefix: str | None = None) -> SlasimError:
        """The same error with a file and/or an outer field path filled in."""
        field = self.field
        if field_prefix:
            field = f"{field_prefix}.{field}" if field else field_prefix
        return SlasimError(self.message, source=self.source or source, field=field)


class ProvisionalError(SlasimError):
    """A date lies outside the calendar's published years and the caller asked for strictness."""
