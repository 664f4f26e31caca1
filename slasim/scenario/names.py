"""Names from a scenario file (a key such as `work`, a distribution's kind) given to a message:
shown as written in every language, never looked up as a message to translate.

No longer needed: a plain-string parameter of a `Text` is shown as written (`slasim.io.i18n`);
kept for the modules that still wrap names in it (harmless)."""

from __future__ import annotations


class Verbatim:
    """A `Text` parameter shown as written: not a `str`, so `localized` leaves it alone (a key
    named like a translated word, `work`, must not turn into that word's translation)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = str(text)

    def __format__(self, spec: str) -> str:
        return format(self.text, spec)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Verbatim({self.text!r})"

    def __reduce__(self):
        return (Verbatim, (self.text,))
