"""Reading a check file (YAML or JSON) into validated cases and their columns, by one of two
routes: the pydantic models of `schema`, or — for files whose cases are flat, as large generated
ones are — straight into columns.

A file takes the flat route when every case has only the common fields, as plain texts — `name`,
`article`, `calendar`, `accepted`, `decided`, `limit` (a text or `{promised, legal}`),
`pauses` (`from`, `to`, `kind`, `detail`), `extensions`, and `expect` with `due` and `card_at`.
Each case is checked by the rules of the pydantic models in `schema` (values parsed once per
distinct text) and held as a light record with every field of a validated `CaseSpec`, equal to
it, for the engine and the reports to read as they read a model. This route never reports an
error: a file with anything else — another field, another type, a value a rule refuses — is read
by the pydantic route, which says what is wrong and where (tests/test_check_loading.py compares
the two routes on random files, record by record).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from slasim.checks.schema import _INSTANTS, CheckFile, _before, _instant
from slasim.clock.articles import PAUSE_KINDS
from slasim.clock.cards import LEVELS
from slasim.clock.limits import _pair_problem, canonical_limit
from slasim.io.errors import SlasimError
from slasim.io.files import gc_paused, read_yaml
from slasim.io.schema import validate

CASE_KEYS = frozenset(
    {
        "name",
        "article",
        "calendar",
        "accepted",
        "decided",
        "limit",
        "pauses",
        "extensions",
        "expect",
    }
)
PAUSE_KEYS = frozenset({"from", "to", "kind", "detail"})
EXPECT_KEYS = frozenset({"due", "card_at"})
LIMIT_KEYS = frozenset({"promised", "legal"})
FILE_KEYS = frozenset({"calendar", "cards", "rules", "cases"})
NO_STEPS: dict = {}


class NotFlat(Exception):
    """The file (or one case) is not for this route: the pydantic route reads it."""


def load_check_file(path: Path) -> CheckFile:
    """Read and validate a check file (YAML or JSON); errors name the file, case and field."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise SlasimError("a check file is a mapping with `cases`", source=str(path))
    with gc_paused():
        try:
            check = flat_check_file(data)
            if check is None:
                check = validate(CheckFile, data, str(path))
                check.columns  # noqa: B018 - build the columns as part of loading, once
        except (
            SlasimError
        ) as exc:  # an order the columns refuse (instants with and without offsets)
            raise exc.located(str(path)) from None
    return check


def flat_check_file(data: dict) -> CheckFile | None:
    """The check file with its columns built from flat cases, or None if the file is not flat."""
    cases = data.get("cases")
    if not set(data) <= FILE_KEYS or not isinstance(cases, list) or len(cases) < 2:
        return None
    try:
        records = [_record(case) for case in cases]
        # The file's own fields, and one case, through the models (a small file's worth of work).
        head = CheckFile.model_validate({**data, "cases": cases[:1]})
    except (NotFlat, SlasimError, ValueError):
        return None
    check = head.model_copy(update={"cases": records})
    check.build_columns(records)
    return check


def _text(value, optional: bool = False) -> str | None:
    if type(value) is str or (optional and value is None):
        return value
    raise NotFlat


def _when(value, optional: bool = False):
    """An instant field as the models parse it (a refused one sends the file to pydantic)."""
    if type(value) is str:
        known = _INSTANTS.get(value)  # the models' own cache of instant texts
        return known if known is not None else _instant(value)
    if optional and value is None:
        return None
    raise NotFlat


def _record(case) -> SimpleNamespace:
    """One flat case as a record with the fields and values of its validated `CaseSpec`."""
    if type(case) is not dict or not case.keys() <= CASE_KEYS:
        raise NotFlat
    get = case.get
    name = _text(get("name"))
    article = _text(get("article"), optional=True)
    if not name.isprintable() or (article is not None and not article.isprintable()):
        raise NotFlat  # `plain_name` may refuse it: let the models say
    accepted = _when(get("accepted"))
    decided = _when(get("decided"), optional=True)
    if decided is not None and _before(decided, accepted):
        raise NotFlat
    limit = _limit_pair(get("limit"))
    return SimpleNamespace(
        name=name,
        article=article,
        calendar=_text(get("calendar"), optional=True),
        accepted=accepted,
        received=None,
        notice=None,
        resubmitted=None,
        decided=decided,
        limit=limit,
        pauses=[_pause(p) for p in _list(get("pauses"))],
        extensions=[canonical_limit(_text(x)) for x in _list(get("extensions"))],
        steps=NO_STEPS,
        expect=_expect(get("expect"), one_limit=limit.promised is None),
    )


def _list(value) -> list:
    if value is None:
        return []
    if type(value) is not list:
        raise NotFlat
    return value


def _limit_pair(value) -> SimpleNamespace:
    if type(value) is str:
        value = {"legal": value}
    if type(value) is not dict or not value.keys() <= LIMIT_KEYS or "legal" not in value:
        raise NotFlat
    legal = canonical_limit(_text(value["legal"]))
    promised = value.get("promised")
    promised = None if promised is None else canonical_limit(_text(promised))
    if promised is not None and _pair_problem(promised, legal):
        raise NotFlat
    return SimpleNamespace(promised=promised, legal=legal)


def _pause(value) -> SimpleNamespace:
    if type(value) is not dict or not value.keys() <= PAUSE_KEYS or "from" not in value:
        raise NotFlat
    kind = _text(value.get("kind", "special_procedure"))
    if kind not in PAUSE_KINDS:
        raise NotFlat
    return SimpleNamespace(
        start=_when(value["from"]),
        end=_when(value.get("to"), optional=True),
        kind=kind,
        detail=_text(value.get("detail", "")),
    )


def _expect(value, one_limit: bool) -> SimpleNamespace:
    if type(value) is not dict or not value.keys() <= EXPECT_KEYS:
        raise NotFlat
    due = value.get("due")
    if type(due) is dict:
        due = {_text(k): _when(x, optional=True) for k, x in due.items()}
    else:
        due = _when(due, optional=True)
        if due is not None and not one_limit:
            raise NotFlat  # a bare due with two limits: the models say which to write
    card_at = value.get("card_at", {})
    if type(card_at) is not dict:
        raise NotFlat
    card_at = {_when(k): _text(level) for k, level in card_at.items()}
    if not all(level in LEVELS for level in card_at.values()):
        raise NotFlat
    return SimpleNamespace(
        due=due, card_at=card_at, accepted=None, cards={}, provisional=None, state_at={}
    )
