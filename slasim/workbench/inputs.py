"""What the workbench reads: the scenarios it was given and the shipped ones, and uploads.

An upload is held in memory, checked against `MAX_UPLOAD_MB`, and read by the command line's own
reader from a temporary folder that is removed at once; its errors name the upload, not the folder.
The page reads no other file: the scenarios given to `slasim app` (passed by `launch` in
`SCENARIOS_ENV`) and the shipped data.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from slasim.io.errors import SlasimError

MAX_UPLOAD_MB = 20  # each upload (Streamlit's server.maxUploadSize is set a little above it)
STREAMLIT_UPLOAD_MB = MAX_UPLOAD_MB + 1  # so slasim's own located refusal is the one shown
SCENARIOS_ENV = "SLASIM_WORKBENCH_SCENARIOS"  # the scenario files given, os.pathsep-separated
FILE_PREFIX = "file:"  # a choice that is a given file, not a shipped name


def given_scenarios() -> list[str]:
    """The scenario files `slasim app` was given (as given on its command line)."""
    text = os.environ.get(SCENARIOS_ENV, "")
    return [name for name in text.split(os.pathsep) if name]


def scenario_choices() -> list[str]:
    """The scenarios the page offers: the files given (as `file:PATH`), then the shipped names."""
    from slasim.scenario.shipped import shipped_scenarios

    return [FILE_PREFIX + name for name in given_scenarios()] + [
        name for name, _ in shipped_scenarios()
    ]


def cli_name(choice: str) -> str:
    """How the command line names a choice: the file's path, or the shipped name."""
    return choice.removeprefix(FILE_PREFIX)


def load_choice(choice: str, overrides: list[str] = ()) -> tuple[dict, str]:
    """The raw data and source of a chosen scenario, read as the command line reads it."""
    from slasim.scenario.loader import check_scenario, load_scenario_data

    if not choice.startswith(FILE_PREFIX):
        return load_scenario_data(cli_name(choice), list(overrides))
    if cli_name(choice) not in given_scenarios():
        raise SlasimError("not a scenario this page was given", source=cli_name(choice))
    data, source = load_scenario_data(cli_name(choice), list(overrides))
    check_scenario(data, source)  # a given file is checked as an upload is, before it is shown
    return data, source


def safe_name(name: str) -> str:
    """An upload's name reduced to a plain file name (no folder, no odd characters; spaces kept,
    so `our log.csv` is named as the planner knows it)."""
    base = re.sub(r"[^\w .\-]+", "_", Path(name.replace("\\", "/")).name).strip("._ ")
    return base[:100] or "upload"


def check_size(name: str, content: bytes, max_mb: float | None = None) -> None:
    """Refuse an upload over `max_mb` (default `MAX_UPLOAD_MB`) with the one-line error the
    readers give."""
    max_mb = MAX_UPLOAD_MB if max_mb is None else max_mb
    if len(content) > max_mb * 2**20:
        raise SlasimError("over {mb} MB: not read", source=safe_name(name), mb=format(max_mb, "g"))


def read_upload(name: str, content: bytes, reader, max_mb: float | None = None):
    """`reader(path)` on an upload written to a temporary folder removed afterwards; an error
    names the upload (`centre.yaml: services: …`), not the temporary folder."""
    check_size(name, content, max_mb)
    shown = safe_name(name)
    with tempfile.TemporaryDirectory(prefix="slasim-upload-") as folder:
        path = Path(folder) / shown
        path.write_bytes(content)
        try:
            return reader(path)
        except SlasimError as exc:
            source = exc.source.replace(str(path), shown) if exc.source else shown
            raise SlasimError(exc.message, source=source, field=exc.field) from None


def read_scenario_upload(name: str, content: bytes) -> tuple[dict, str]:
    """An uploaded scenario's raw data, read and checked as `slasim validate` checks a file
    (every reform too); its source is the upload's name."""
    from slasim.io.files import read_yaml
    from slasim.scenario.loader import check_scenario, load_scenario_data

    def read(path: Path) -> dict:
        raw = read_yaml(path)
        if isinstance(raw, dict):
            refuse_files(raw, str(path))
        data, source = load_scenario_data(path)
        check_scenario(data, source)
        return data

    return read_upload(name, content, read), safe_name(name)


def refuse_files(data: dict, source: str) -> None:
    """An upload may name no other file: its calendar is a name (a shipped calendar or one in
    `./calendars/`), and it has no catalogue (a CSV beside it). Refused before anything is
    opened, without echoing the path, so an upload cannot read or probe the server's files."""
    from slasim.calendar.files import is_calendar_path, list_calendars

    calendar = data.get("calendar")
    if isinstance(calendar, str) and is_calendar_path(calendar):
        raise SlasimError(
            "an uploaded scenario names its calendar, not a file (known: {known})",
            source=source,
            field="calendar",
            known=", ".join(list_calendars()),
        )
    if "catalogue" in data:
        raise SlasimError(
            "an uploaded scenario lists its services itself: a catalogue file is not read",
            source=source,
            field="catalogue",
        )
