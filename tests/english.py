"""What English is left in text shown in Chinese: the check behind "no untranslated user-facing
message remains". A run of two or more English words (letters only, 2+ letters each, one of them
3+) outside quotes, backticks, file names, option names and identifiers is a message nobody
translated; names from the user's files, units (wd, wh) and identifiers are not words here."""

from __future__ import annotations

import re

QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|`[^`\n]*`|“[^”\n]*”|「[^」\n]*」|《[^》\n]*》")
TOKENS = re.compile(
    r"(?:--|-)[\w-]+"  # options
    r"|\S*[/\\]\S*"  # paths, URLs
    r"|\S+\.(?:ya?ml|json|csv|toml|xes|gz|html|png|svg|xml|sarif|md|txt|py)\b"  # file names
    r"|\w*[_\d]\w*"  # identifiers, numbers, dates, keys like wait_wd_p95
    r"|[A-Z]{2,}\w*"  # acronyms (CI, JSON, SARIF, CTDD)
)
RUN = re.compile(r"[A-Za-z]{2,}(?:[ \t]+[A-Za-z]{2,})+")
NAMES = {"wd", "wh", "cn", "zh", "en", "slasim", "simpy", "dask", "python", "pip", "yaml"}


def english_left(text: str, allowed=()) -> list[str]:
    """The runs of English words left in `text` (each run once), except the `allowed` ones."""
    for name in allowed:
        text = text.replace(name, " ")
    text = QUOTED.sub(" ", text)
    text = TOKENS.sub(" ", text)
    found = []
    for match in RUN.finditer(text):
        words = [w for w in match.group().split() if w.lower() not in NAMES]
        if len(words) >= 2 and any(len(w) >= 3 for w in words) and match.group() not in found:
            found.append(match.group())
    return found
