"""Text that XML 1.0 can hold (JUnit reports, SVG charts): the characters its `Char` production
leaves out — C0 controls but tab and line breaks, lone surrogates, U+FFFE and U+FFFF — written as
their Python escapes (`\\x1b`), so a name from a file never makes a document ill-formed.
ElementTree and matplotlib escape `<`, `&` and quotes, but write these characters as they are.
"""

from __future__ import annotations

import re

NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escaped(match: re.Match) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def xml_text(text: str) -> str:
    """The text with each character XML 1.0 does not allow written as its escape."""
    return NOT_XML.sub(_escaped, text)
