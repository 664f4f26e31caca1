"""What English is left in text shown in Chinese: the check behind "no untranslated user-facing
message remains". A run of two or more English words (letters only, 2+ letters each, one of them
3+; joined by spaces, or by `,` `、` `;` as in a list) outside quotes, backticks, file names,
option names and identifiers is a message nobody translated; names from the user's files, units
(wd, wh), hyphenated names (cn-example-city) and identifiers are not words here (nor, in a list,
slasim's own field, column, command and calendar names: `identifiers`)."""

from __future__ import annotations

import re
from functools import cache

QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|`[^`\n]*`|“[^”\n]*”|「[^」\n]*」|《[^》\n]*》")
TOKENS = re.compile(
    r"(?:--|-)[\w-]+"  # options
    r"|\S*[/\\]\S*"  # paths, URLs
    r"|\S+\.(?:ya?ml|json|csv|toml|xes|gz|html|png|svg|xml|sarif|md|txt|py)\b"  # file names
    r"|\w*[_\d]\w*"  # identifiers, numbers, dates, keys like wait_wd_p95
    r"|[A-Z]{2,}\w*"  # acronyms (CI, JSON, SARIF, CTDD)
)
# Words joined by spaces, or by a comma, 、 or semicolon (a list: `sat, sun`), make one run.
RUN = re.compile(r"[A-Za-z]{2,}(?:(?:[ \t]+|[ \t]*[,、;][ \t]*)[A-Za-z]{2,})+")
WORD = re.compile(r"[A-Za-z]{2,}")
NAMES = {"wd", "wh", "cn", "zh", "en", "slasim", "simpy", "dask", "python", "pip", "yaml"}
LIST = re.compile(r"[,、;]")
HYPHENATED = re.compile(r"\b[a-z]+(?:-[a-z]+)+\b")  # names: cn-example-city, warn-before


@cache
def identifiers() -> frozenset[str]:
    """Words that are slasim's identifiers, shown as written in every language: the fields of its
    files (every model's field and alias), the columns of its CSV files, its commands and the
    shipped calendars' names. A list of them (`run、compare、staff`, `start、limit`) is not
    English left; a list of other words (`sat, sun`) is."""
    import typer

    import slasim.calendar.calendar_file  # noqa: F401  (the models, for their fields)
    import slasim.checks.schema  # noqa: F401
    import slasim.scenario.reform_schema  # noqa: F401
    import slasim.scenario.schema  # noqa: F401
    from slasim.calendar.files import list_calendars
    from slasim.checks.csv_cases import COLUMNS as CHECK_COLUMNS
    from slasim.cli import app
    from slasim.io.schema import Strict
    from slasim.scenario.catalogue import COLUMNS as CATALOGUE_COLUMNS

    words = {*list_calendars(), *CHECK_COLUMNS, *CATALOGUE_COLUMNS}
    words |= {"start", "limit"}  # the columns of `deadline --from-csv` (its help names them)
    models = [Strict]
    while models:
        model = models.pop()
        models += model.__subclasses__()
        for name, field in model.model_fields.items():
            words |= {name, field.alias or name}
    commands = [typer.main.get_command(app)]
    while commands:
        command = commands.pop()
        for name, sub in getattr(command, "commands", {}).items():
            words.add(name)
            commands.append(sub)
    return frozenset(words)


def english_left(text: str, allowed=()) -> list[str]:
    """The runs of English words left in `text` (each run once), except the `allowed` ones."""
    for name in allowed:
        text = text.replace(name, " ")
    text = QUOTED.sub(" ", text)
    text = TOKENS.sub(" ", HYPHENATED.sub(" ", text))
    found = []
    for match in RUN.finditer(text):
        words = [w for w in WORD.findall(match.group()) if w.lower() not in NAMES]
        if LIST.search(match.group()):  # a list: its identifiers are names, not English
            words = [w for w in words if w not in identifiers()]
        if len(words) >= 2 and any(len(w) >= 3 for w in words) and match.group() not in found:
            found.append(match.group())
    return found
