"""Reading a check file (YAML, JSON or CSV) into validated cases and their columns, by one of two
routes: flat cases (as large generated files have them) straight into columns, field by field
(`checks.flat`), or the pydantic models of `schema` — for anything else, and for every error,
which the models locate by file, case and field (tests/test_check_loading.py compares the two
routes on random files, record by record and column by column).

JSON is parsed by a C decoder without a per-object hook — msgspec's for a large file of flat
cases (`_decoded`, when msgspec is installed), else `json`'s; a key given twice is still refused
(`_json`). YAML is read event by event (`io.yaml_events`), never as one node tree. CSV is the
columnar form of `checks.csv_cases`.

A flat file whose own keys are only `calendar` (a text), `cards` and `cases` is read without
pydantic (`FlatFile`): its cases are checked field by field, and `calendar` is the only key of its
own the models would refuse. A file with `rules`, or with anything else, is read by the models
(which then import pydantic, about 0.1 s).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

from slasim.checks.columns import DEFAULT_RULES, FILE_DEFAULTS, CaseColumns, CaseZones
from slasim.checks.csv_cases import read_csv_cases
from slasim.checks.flat import FlatCases, NotFlat
from slasim.io.errors import SlasimError
from slasim.io.files import gc_paused, read_text_file, read_yaml

if TYPE_CHECKING:
    from slasim.checks.schema import CheckFile

FILE_KEYS = frozenset({"calendar", "cards", "rules", "cases"})
PLAIN_KEYS = frozenset({"calendar", "cards", "cases"})  # a flat file read without the models


class FlatFile(CaseZones):
    """A flat check file as the engine reads a `CheckFile`, without pydantic: the file's
    calendar and card ladder (as given, or the models' defaults), the models' default rules,
    the flat cases and their columns."""

    def __init__(self, data: dict, cases: FlatCases, build):
        self.calendar = data.get("calendar", FILE_DEFAULTS["calendar"])
        self.cards = data.get("cards", FILE_DEFAULTS["cards"])
        self.rules = SimpleNamespace(**DEFAULT_RULES)
        self.cases = cases
        self.columns: CaseColumns = build(self._zone_of)


def load_check_file(path: Path) -> CheckFile | FlatFile:
    """Read and validate a check file (YAML, JSON or CSV); errors name the file, case and field."""
    path = Path(path)
    suffix = path.suffix.lower()
    with gc_paused():
        data, fields, marks = None, None, None
        if suffix == ".csv":
            fields = read_csv_cases(path)
        elif suffix == ".json":
            text = read_text_file(path)
            check = _decoded(text)
            if check is not None:
                return check
            data, marks = _json(path, text)
        else:
            data, marks = _yaml(path), None
        if fields is None and not isinstance(data, dict):
            raise SlasimError("a check file is a mapping with `cases`", source=str(path))
        try:
            check = flat_check_file(data, fields)
            if marks is not None and marks != _keys(data, check):
                data = read_yaml(path)  # raises on a key given twice
                check = flat_check_file(data)
            if check is None:
                from slasim.checks.schema import CheckFile
                from slasim.io.schema import validate

                if data is None:
                    data = {"cases": [fields.as_dict(i) for i in range(len(fields))]}
                check = validate(CheckFile, data, str(path))
                check.columns  # noqa: B018 - build the columns as part of loading, once
        except (
            SlasimError
        ) as exc:  # an order the columns refuse (instants with and without offsets)
            raise exc.located(str(path)) from None
    return check


def _decoded(text: str, smallest: int = 1 << 20) -> CheckFile | FlatFile | None:
    """A JSON file of flat cases parsed by msgspec's decoder (in C, as `json`'s, and faster), or
    None: msgspec not installed, a text under `smallest` characters (importing msgspec would cost
    more than it saves), or any file this does not read to the end as a flat file with as many
    keys as its text marks — `_json` reads those from the start, as before, so every error is
    found and worded as before. Where msgspec reads a text at all, it reads the values `json`
    reads (tests/test_check_json_route.py); it refuses more (NaN, numbers out of range) and
    nests a few levels deeper before giving up, which `_shallow` leaves to `json`."""
    if len(text) < smallest or _SPACED_KEY.search(text) is not None:
        return None
    try:
        import msgspec.json
    except ImportError:
        return None
    try:
        data = msgspec.json.decode(text)
    except (msgspec.DecodeError, ValueError, RecursionError):
        return None
    if type(data) is not dict or not _shallow([v for k, v in data.items() if k != "cases"]):
        return None
    check = flat_check_file(data)
    if check is None or text.count('":') != _keys(data, check):
        return None
    return check


def _shallow(value, deepest: int = 64) -> bool:
    """Whether a parsed JSON value nests at most `deepest` levels."""
    level = [value]
    for _ in range(deepest):
        level = [
            v
            for item in level
            for v in (item.values() if type(item) is dict else item)
            if type(v) in (dict, list)
        ]
        if not level:
            return True
    return False


def _json(path: Path, text: str) -> tuple:
    """A JSON check file parsed by the C decoder alone, and how many keys its text has (None:
    already checked). A key given twice is found by counting: every key of the text ends in `"`
    then `:` (a string value can add matches, never hide one), so when the parsed objects hold as
    many keys as the text has such marks, none was dropped (`_keys`). Otherwise — and for any
    error — the file is read again by `read_yaml`, which names the problem."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return read_yaml(path), None
    if _SPACED_KEY.search(text) is not None:
        return read_yaml(path), None
    return data, text.count('":')


_SPACED_KEY = re.compile(r'"\s+:')


def _keys(data, check: CheckFile | FlatFile | None) -> int:
    """How many keys the objects of a parsed JSON document hold, all levels; the flat route
    counted those of its cases."""
    if check is None or not isinstance(check.cases, FlatCases):
        return _all_keys(data)
    return len(data) + _all_keys([v for k, v in data.items() if k != "cases"]) + check.cases.keys


def _all_keys(value) -> int:
    """How many keys the objects in a parsed JSON value hold, all levels."""
    count, stack = 0, [value]
    while stack:
        item = stack.pop()
        if type(item) is dict:
            count += len(item)
            stack.extend(v for v in item.values() if type(v) in (dict, list))
        elif type(item) is list:
            stack.extend(v for v in item if type(v) in (dict, list))
    return count


def _yaml(path: Path):
    """A YAML check file, read event by event (peak memory follows the data, not PyYAML's node
    tree); files the event reader leaves (anchors, tags, errors) are read by `read_yaml`."""
    from slasim.io.yaml_events import NotPlain, load_plain

    text = read_text_file(path)
    try:
        return load_plain(text)
    except NotPlain:
        return read_yaml(path)


def flat_check_file(
    data: dict | None, fields: FlatCases | None = None
) -> CheckFile | FlatFile | None:
    """The check file with its columns built from flat cases, or None if the file is not flat.
    The cases come from `data` (parsed JSON or YAML) or, already as fields, from a CSV file."""
    try:
        if fields is None:
            cases = data.get("cases")
            if not set(data) <= FILE_KEYS or not isinstance(cases, list) or len(cases) < 2:
                return None
            fields = FlatCases.of_dicts(cases)
        else:
            data = {}
        if len(fields) < 2:
            return None
        columns = fields.columns()
        if data.keys() <= PLAIN_KEYS and type(data.get("calendar", "")) is str:
            return FlatFile(data, fields, columns)
        # Other keys of the file's own (`rules`) through the models, with one case.
        from slasim.checks.schema import CheckFile

        head = CheckFile.model_validate({**data, "cases": [fields.as_dict(0)]})
        check = head.model_copy(update={"cases": fields})
        check.set_columns(columns(check._zone_of))
    except (NotFlat, SlasimError, ValueError, TypeError):
        return None
    return check
