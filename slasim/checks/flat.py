"""Flat check-file cases as one list per field, checked by the models' rules and turned into
the columns the engine reads, field by field over all cases at once (no record per case).

Flat cases have only the common fields, as plain texts — `name`, `article`, `calendar`,
`accepted`, `decided`, `limit` (a text or `{promised, legal}`), `pauses` (`from`, `to`, `kind`,
`detail`), `extensions`, and `expect` with `due` and `card_at`. Every distinct text is parsed once
by the parsers the pydantic models of `schema` use. Anything else raises `NotFlat`: the models
read the file and say what is wrong and where. `FlatCases[i]` builds case i's record only when
asked (a failing case's details): every field of a validated `CaseSpec`, equal to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from itertools import chain, compress, repeat
from types import SimpleNamespace

import numpy as np

from slasim.calendar.units import instants_to_minutes
from slasim.checks.schema import LEVEL_INDEX, CaseColumns, _before, _instant
from slasim.clock.articles import PAUSE_KINDS
from slasim.clock.cards import REFERENCES
from slasim.clock.limits import _pair_problem, canonical_limit
from slasim.io.errors import SlasimError

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
NO_STEPS: dict = {}
NONE = type(None)
TEXT = {str}
TEXT_OR_NONE = {str, NONE}


class NotFlat(Exception):
    """The file (or one case) is not for this route: the pydantic route reads it."""


def _types(values, allowed: set) -> None:
    if not set(map(type, values)) <= allowed:
        raise NotFlat


class FlatCases(Sequence):
    """Flat cases as one list per field (row i = case i), the texts as the file gave them;
    `fields[i]` is case i's record, built when asked."""

    def __init__(self, **fields):
        self.__dict__.update(fields)  # name, article, calendar, accepted, decided, legal, promised,
        # pauses, extensions, due, card_at: lists; pauses hold (from, to, kind, detail) tuples
        self.n = len(self.name)
        self.keys = fields.get("keys", 0)  # how many keys the cases' objects hold (JSON's check)

    @classmethod
    def of_dicts(cls, cases: list) -> FlatCases:
        """The fields of cases parsed from JSON or YAML, each taken from all cases at once."""
        _types(cases, {dict})
        given = set().union(*cases)
        if not given <= CASE_KEYS:
            raise NotFlat

        def get(key, where=cases, given=given):
            if key not in given:  # in no case: no need to look
                return [None] * len(where)
            return list(map(dict.get, where, repeat(key)))

        expect = get("expect")
        _types(expect, {dict})
        expected = set().union(*expect)
        if not expected <= EXPECT_KEYS:
            raise NotFlat
        limit = get("limit")
        limit_types = set(map(type, limit))
        if limit_types == TEXT:
            legal, promised = limit, [None] * len(limit)
        elif limit_types == {dict} and set().union(*limit) <= LIMIT_KEYS:
            # a missing `legal` is None here, which `columns` refuses
            legal, promised = get("legal", limit, LIMIT_KEYS), get("promised", limit, LIMIT_KEYS)
        else:
            promised, legal = map(list, zip(*map(_pair, limit)))
        pauses = get("pauses")
        _types(pauses, {list, NONE})
        keys = sum(map(len, cases)) + sum(map(len, expect))
        for i, ps in enumerate(pauses):
            if ps:
                pauses[i] = [_pause(p) for p in ps]
                keys += sum(map(len, ps))
        due, card_at = get("due", expect, expected), get("card_at", expect, expected)
        for values in (limit, due, card_at):
            if set(map(type, values)) <= {dict, NONE}:
                keys += sum(map(len, filter(None, values)))
            else:
                keys += sum(len(v) for v in values if type(v) is dict)
        return cls(
            name=get("name"),
            article=get("article"),
            calendar=get("calendar"),
            accepted=get("accepted"),
            decided=get("decided"),
            legal=legal,
            promised=promised,
            pauses=pauses,
            extensions=get("extensions"),
            due=due,
            card_at=card_at,
            keys=keys,
        )

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self.n))]
        return self._record(range(self.n)[i])

    def take(self, index) -> Sequence:
        """The cases at `index`, their records still built when asked."""
        return _Rows(self, list(index))

    def columns(self):
        """Check every field by the models' rules (NotFlat if one refuses); returns a function
        of the file's `zone_of` that builds the `CaseColumns`."""
        n = self.n
        _types(self.name, TEXT)
        _types(self.article, TEXT_OR_NONE)
        _types(self.calendar, TEXT_OR_NONE)
        _types(self.accepted, TEXT)
        _types(self.decided, TEXT_OR_NONE)
        _types(self.legal, TEXT)
        _types(self.promised, TEXT_OR_NONE)
        _types(self.extensions, {list, NONE})
        _types(self.due, {str, dict, NONE})
        _types(self.card_at, {dict, NONE})
        if not all(map(str.isprintable, chain(self.name, filter(None, self.article)))):
            raise NotFlat  # `plain_name` may refuse it: let the models say
        extended = list(compress(range(n), self.extensions))
        _types(chain.from_iterable(self.extensions[i] for i in extended), TEXT)
        ext_texts = set(chain.from_iterable(self.extensions[i] for i in extended))
        limit_texts = set(self.legal) | set(self.promised) | ext_texts
        limit_texts.discard(None)
        try:
            self.limit = {t: canonical_limit(t) for t in limit_texts}
            pairs = set(zip(self.promised, self.legal))
            if any(_pair_problem(self.limit[p], self.limit[g]) for p, g in pairs if p is not None):
                raise NotFlat
        except (SlasimError, ValueError):
            raise NotFlat from None
        one_limit = [p is None for p in self.promised]
        due_kinds = set(map(type, self.due))
        dicts = [d for d in self.due if type(d) is dict] if due_kinds != {dict} else self.due
        refs = set().union(*dicts)
        _types(refs, TEXT)
        unknown_refs, due_values = [], set()
        if due_kinds == {dict} and refs <= set(REFERENCES):
            legal_due = list(map(dict.get, self.due, repeat("legal")))
            promised_due = list(map(dict.get, self.due, repeat("promised")))
            _types(legal_due, TEXT_OR_NONE)
            _types(promised_due, TEXT_OR_NONE)
        else:
            _types(chain.from_iterable(map(dict.values, dicts)), TEXT_OR_NONE)
            due_values = set(chain.from_iterable(map(dict.values, dicts)))
            legal_due, promised_due = [], []
            for i, (d, one) in enumerate(zip(self.due, one_limit)):
                if type(d) is dict:
                    legal_due.append(d.get("legal"))
                    promised_due.append(d.get("promised"))
                    unknown_refs.extend((i, ref) for ref in d if ref not in REFERENCES)
                elif d is not None and not one:
                    raise NotFlat  # a bare due with two limits: the models say which to write
                else:
                    legal_due.append(d)
                    promised_due.append(d if one else None)
        needs_cards = list(compress(range(n), self.card_at))
        card_dicts = list(filter(None, self.card_at))
        c_case = np.repeat(_index(needs_cards), list(map(len, card_dicts)))
        c_time = list(chain.from_iterable(card_dicts))
        c_level = list(chain.from_iterable(map(dict.values, card_dicts)))
        _types(c_time, TEXT)
        _types(c_level, TEXT)
        if not set(c_level) <= LEVEL_INDEX.keys():
            raise NotFlat
        at = set(c_time)  # two texts of one instant: the models keep one entry of a case's two
        rows = [(i, j, *p) for i, ps in enumerate(self.pauses) if ps for j, p in enumerate(ps)]
        p_case, p_slot, p_from, p_to, kinds, details = (
            map(list, zip(*rows)) if rows else ([], [], [], [], [], [])
        )
        _types(p_from, TEXT)
        _types(p_to, TEXT_OR_NONE)
        _types(kinds, TEXT)
        _types(details, TEXT)
        if not set(kinds) <= set(PAUSE_KINDS):
            raise NotFlat
        texts = set(self.accepted) | set(self.decided) | set(p_from) | set(p_to) | set(c_time)
        texts |= set(legal_due) | set(promised_due) | due_values
        texts.discard(None)
        try:
            self.when = {t: _instant(t) for t in texts}
        except ValueError:
            raise NotFlat from None
        if len({self.when[t] for t in at}) != len(at):
            raise NotFlat
        self.when[None] = None
        decided = []
        if self.decided.count(None) != n:
            decided = [i for i, d in enumerate(self.decided) if d is not None]
        if any(_before(self.when[self.decided[i]], self.when[self.accepted[i]]) for i in decided):
            raise NotFlat
        aware = any(type(v) is dt.datetime and v.tzinfo is not None for v in self.when.values())
        order = list(texts)
        minute_of = dict(zip(order, instants_to_minutes([self.when[t] for t in order]).tolist()))
        minute_of[None] = float("nan")
        timed = {t: type(v) is dt.datetime for t, v in self.when.items()}

        def build(zone_of) -> CaseColumns:
            zones = [zone_of(c) for c in self.calendar] if aware else None

            def minutes(values, rows=None) -> np.ndarray:
                if values.count(None) == len(values):
                    return np.full(len(values), np.nan)
                if not aware:
                    return np.fromiter(map(minute_of.__getitem__, values), np.float64, len(values))
                picked = zones if rows is None else [zones[i] for i in rows]
                return instants_to_minutes(list(map(self.when.__getitem__, values)), picked)

            legal = list(map(self.limit.__getitem__, self.legal))
            promised = [self.limit[p] if p is not None else g for p, g in zip(self.promised, legal)]
            code = {t: k for k, t in enumerate(dict.fromkeys(chain(legal, promised)))}
            accepted_m, decided_m = minutes(self.accepted), minutes(self.decided)
            if (decided_m < accepted_m).any():
                raise NotFlat  # an order only the zones show: the models' columns say where
            pause_to = minutes(p_to, p_case)
            pause_to[[k for k, t in enumerate(p_to) if t is None]] = np.inf
            return CaseColumns(
                name=self.name,
                article=self.article,
                calendar=self.calendar,
                accepted=accepted_m,
                art32=_index([]),
                decided=decided_m,
                limit_texts=list(code),
                legal=np.fromiter(map(code.__getitem__, legal), np.int64, n),
                promised=np.fromiter(map(code.__getitem__, promised), np.int64, n),
                pause_case=_index(p_case),
                pause_slot=_index(p_slot),
                pause_from=minutes(p_from, p_case),
                pause_to=pause_to,
                extended=_index(extended),
                extensions=[
                    tuple(map(self.limit.__getitem__, self.extensions[i])) for i in extended
                ],
                due={
                    ref: (minutes(values), np.fromiter(map(timed.__getitem__, values), bool, n))
                    for ref, values in (("legal", legal_due), ("promised", promised_due))
                },
                unknown_refs=unknown_refs,
                card_case=_index(c_case),
                card_time=minutes(c_time, c_case),
                card_level=_index(list(map(LEVEL_INDEX.__getitem__, c_level))),
                needs_cards=_index(needs_cards),
                rare=_index([]),
            )

        return build

    def _record(self, i: int) -> SimpleNamespace:
        """Case i as a record with the fields and values of its validated `CaseSpec`."""
        when, limit = self.when, self.limit
        promised = self.promised[i]
        due = self.due[i]
        due = {k: when[x] for k, x in due.items()} if type(due) is dict else when[due]
        return SimpleNamespace(
            name=self.name[i],
            article=self.article[i],
            calendar=self.calendar[i],
            accepted=when[self.accepted[i]],
            received=None,
            notice=None,
            resubmitted=None,
            decided=when[self.decided[i]],
            limit=SimpleNamespace(
                promised=None if promised is None else limit[promised], legal=limit[self.legal[i]]
            ),
            pauses=[
                SimpleNamespace(start=when[a], end=when[b], kind=kind, detail=detail)
                for a, b, kind, detail in self.pauses[i] or ()
            ],
            extensions=[limit[x] for x in self.extensions[i] or ()],
            steps=NO_STEPS,
            expect=SimpleNamespace(
                due=due,
                card_at={when[k]: level for k, level in (self.card_at[i] or {}).items()},
                accepted=None,
                cards={},
                provisional=None,
                state_at={},
            ),
        )

    def as_dict(self, i: int) -> dict:
        """Case i as a check file writes it (for the models)."""
        case = {"name": self.name[i], "accepted": self.accepted[i], "expect": {}}
        for key in ("article", "calendar", "decided"):
            if getattr(self, key)[i] is not None:
                case[key] = getattr(self, key)[i]
        promised, legal = self.promised[i], self.legal[i]
        case["limit"] = legal if promised is None else {"promised": promised, "legal": legal}
        if self.pauses[i]:
            case["pauses"] = [
                {"from": a, "to": b, "kind": kind, "detail": detail}
                for a, b, kind, detail in self.pauses[i]
            ]
        if self.extensions[i]:
            case["extensions"] = self.extensions[i]
        if self.due[i] is not None:
            case["expect"]["due"] = self.due[i]
        if self.card_at[i]:
            case["expect"]["card_at"] = self.card_at[i]
        return case


class _Rows(Sequence):
    """Some of a file's flat cases (the cases of one calendar), in the order given."""

    def __init__(self, cases: FlatCases, index: list[int]):
        self.cases, self.index = cases, index

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self.cases[k] for k in self.index[i]]
        return self.cases[self.index[i]]


def _index(values) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def _pair(value) -> tuple:
    """(promised, legal) texts of a `limit` field."""
    if type(value) is str:
        return None, value
    if type(value) is not dict or not value.keys() <= LIMIT_KEYS or "legal" not in value:
        raise NotFlat
    return value.get("promised"), value["legal"]


def _pause(value) -> tuple:
    """(from, to, kind, detail) of a pause given as a mapping."""
    if type(value) is not dict or not value.keys() <= PAUSE_KEYS or "from" not in value:
        raise NotFlat
    return (
        value["from"],
        value.get("to"),
        value.get("kind", "special_procedure"),
        value.get("detail", ""),
    )
