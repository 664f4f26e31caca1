"""Flat check-file cases as one list per field, checked by the models' rules and turned into
the columns the engine reads (no record per case). Parsed JSON or YAML cases are read in one pass
over the case objects (each fetched from memory once, not once per field); the lists are then
checked column by column, texts through their distinct values.

Flat cases have only the common fields, as plain texts — `name`, `article`, `calendar`,
`accepted`, `decided`, `limit` (a text or `{promised, legal}`), `pauses` (`from`, `to`, `kind`,
`detail`), `extensions`, and `expect` with `due` and `card_at`. Every distinct text is parsed once
by the parsers the pydantic models of `schema` use (instants by `calendar.units.parse_instants`,
`parse_instant`'s rule in bulk; no pydantic here). Anything
else raises `NotFlat`: the models read the file and say what is wrong and where. `FlatCases[i]`
builds case i's record only when asked (a failing case's details): every field of a validated
`CaseSpec`, equal to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from itertools import chain, compress, count, repeat
from types import SimpleNamespace

import numpy as np

from slasim.calendar.units import instants_to_minutes, parse_instants
from slasim.checks.columns import LEVEL_INDEX, CaseColumns, _before
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
NO_STEPS: dict = {}
CODED = ("accepted", "decided", "legal", "promised")  # the columns read once into codes
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
        # (legal due texts, promised due texts) when every due names only those; None: look
        self.due_refs = fields.get("due_refs")
        # cases with card checks, their counts, instants and levels, in order; None: look
        self.cards = fields.get("cards")
        # one row per pause (cases, slots, froms, tos, kinds, details); None: look
        self.pause_rows = fields.get("pause_rows")
        # (cases with extensions, their extension texts as tuples); None: look
        self.ext_rows = fields.get("ext_rows")
        # every field as its reader built it (texts or None; `due`, `card_at`, `pauses` and
        # `extensions` of the shapes they take): their types need no check
        self.typed = fields.get("typed", False)

    @classmethod
    def of_dicts(cls, cases: list) -> FlatCases:
        """The fields of cases parsed from JSON or YAML, in one pass over the cases (each case's
        object is visited once: a pass per field would fetch 100,000 objects from memory again
        for every field)."""
        n = len(cases)
        name, accepted, legal, promised, due, card_at = [], [], [], [], [], []
        article, calendar, decided = [None] * n, [None] * n, [None] * n
        pauses, extensions = [None] * n, [None] * n
        keys = 0  # the objects' keys, for JSON's check of keys given twice (`load._json`)
        due_legal, due_promised, odd_due = [], [], False
        c_rows, c_count, c_time, c_level = [], [], [], []
        extended = []
        try:
            for i, case in enumerate(cases):
                name.append(case["name"])
                accepted.append(case["accepted"])
                limit = case["limit"]
                if type(limit) is str:
                    legal.append(limit)
                    promised.append(None)
                else:
                    legal.append(limit["legal"])
                    p = limit.get("promised")
                    promised.append(p)
                    if len(limit) != 1 + (p is not None):
                        raise NotFlat  # another key, or one given as null: the models say
                    keys += len(limit)
                e = case["expect"]
                d, c = e.get("due"), e.get("card_at")
                due.append(d)
                card_at.append(c)
                if len(e) != (d is not None) + (c is not None):
                    raise NotFlat
                if type(d) is dict:
                    keys += len(d)
                    dl, dp = d.get("legal"), d.get("promised")
                    odd_due = odd_due or len(d) != (dl is not None) + (dp is not None)
                elif d is not None and promised[-1] is None:
                    dl = dp = d  # a bare due, one limit: both
                else:
                    dl = dp = None
                    odd_due = odd_due or d is not None  # two limits: the models say which
                due_legal.append(dl)
                due_promised.append(dp)
                if c:
                    size = len(c)
                    keys += size
                    c_time.extend(c)
                    c_level.extend(c.values())
                    c_rows.append(i)
                    c_count.append(size)
                elif c is not None and type(c) is not dict:
                    raise NotFlat
                size = len(case)
                keys += size + len(e)
                if size != 4:  # name, accepted, limit and expect, and others
                    if not case.keys() <= CASE_KEYS:
                        raise NotFlat
                    pauses[i] = case.get("pauses")
                    extensions[i] = x = case.get("extensions")
                    if x:
                        extended.append(i)
                    if x is not None and type(x) is not list:
                        raise NotFlat
                    article[i] = case.get("article")
                    calendar[i] = case.get("calendar")
                    decided[i] = case.get("decided")
        except (KeyError, TypeError, AttributeError):
            raise NotFlat from None
        _types(pauses, {list, NONE})
        p_case, p_slot, p_rows = [], [], []
        for i in compress(range(n), pauses):
            ps = pauses[i]
            pauses[i] = rows = [_pause(p) for p in ps]
            keys += sum(map(len, ps))
            p_case += repeat(i, len(rows))
            p_slot += range(len(rows))
            p_rows += rows
        ext_lists = [tuple(extensions[i]) for i in extended]
        _types(chain.from_iterable(ext_lists), TEXT)
        return cls(
            name=name,
            article=article,
            calendar=calendar,
            accepted=accepted,
            decided=decided,
            legal=legal,
            promised=promised,
            pauses=pauses,
            extensions=extensions,
            due=due,
            card_at=card_at,
            keys=keys,
            due_refs=None if odd_due else (due_legal, due_promised),
            cards=(c_rows, c_count, c_time, c_level),
            pause_rows=(p_case, p_slot, *_columns_of(p_rows, 4)),
            ext_rows=(extended, ext_lists),
            typed=True,  # `card_at` checked above; a `due` of another type fails with its texts
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
        # Texts are checked by their distinct values (which refuses lists and mappings: they
        # cannot be keys); names by `str.isprintable`, which refuses anything but a text.
        try:
            distinct = {key: set(getattr(self, key)) for key in ("article", "calendar")}
            coded = {key: _Texts(getattr(self, key)) for key in CODED}
            distinct.update((key, column.first.keys()) for key, column in coded.items())
            printable = all(map(str.isprintable, self.name))
            printable = printable and all(map(str.isprintable, distinct["article"] - {None}))
        except TypeError:
            raise NotFlat from None
        for key, values in distinct.items():
            _types(values, TEXT if key in ("accepted", "legal") else TEXT_OR_NONE)
        if not printable:
            raise NotFlat  # `plain_name` may refuse it: let the models say
        if self.ext_rows is not None:
            extended, ext_lists = self.ext_rows
        else:
            _types(self.extensions, {list, NONE})
            extended = list(compress(range(n), self.extensions))
            ext_lists = [self.extensions[i] for i in extended]
            _types(chain.from_iterable(ext_lists), TEXT)
        if not self.typed:
            _types(self.due, {str, dict, NONE})
            _types(self.card_at, {dict, NONE})
        ext_texts = set(chain.from_iterable(ext_lists))
        limit_texts = distinct["legal"] | distinct["promised"] | ext_texts
        limit_texts.discard(None)
        try:
            self.limit = {t: canonical_limit(t) for t in limit_texts}
            pairs = (
                {(p, g) for p in distinct["promised"] for g in distinct["legal"]}
                if len(distinct["legal"]) == 1
                else set(zip(self.promised, self.legal))
            )
            if any(_pair_problem(self.limit[p], self.limit[g]) for p, g in pairs if p is not None):
                raise NotFlat
        except (SlasimError, ValueError):
            raise NotFlat from None
        unknown_refs, due_values = [], set()
        if self.due_refs is not None:
            legal_due, promised_due = self.due_refs
        else:
            legal_due, promised_due, unknown_refs, due_values = self._dues()
        if self.cards is not None:
            needs_cards, counts, c_time, c_level = self.cards
        else:
            needs_cards = list(compress(range(n), self.card_at))
            card_dicts = list(filter(None, self.card_at))
            counts = list(map(len, card_dicts))
            c_time = list(chain.from_iterable(card_dicts))
            c_level = list(chain.from_iterable(map(dict.values, card_dicts)))
        needs = _index(needs_cards)
        c_case = needs if counts.count(1) == len(counts) else np.repeat(needs, counts)
        try:
            c_time = _Texts(c_time)
            at = (
                c_time.first.keys()
            )  # two texts of one instant: the models keep one of a case's two
            levels = set(c_level)
        except TypeError:
            raise NotFlat from None
        _types(at, TEXT)
        if not levels <= LEVEL_INDEX.keys():
            raise NotFlat
        if self.pause_rows is not None:
            p_case, p_slot, p_from, p_to, kinds, details = self.pause_rows
        else:
            rows = [(i, j, *p) for i, ps in enumerate(self.pauses) if ps for j, p in enumerate(ps)]
            p_case, p_slot, p_from, p_to, kinds, details = (
                map(list, zip(*rows)) if rows else ([], [], [], [], [], [])
            )
        try:
            p_from, p_to = _Texts(p_from), _Texts(p_to)
            legal_due, promised_due = _Texts(legal_due), _Texts(promised_due)
        except TypeError:
            raise NotFlat from None
        _types(p_from.first, TEXT)
        _types(p_to.first, TEXT_OR_NONE)
        _types(kinds, TEXT)
        _types(details, TEXT)
        if not set(kinds) <= set(PAUSE_KINDS):
            raise NotFlat
        texts = distinct["accepted"] | distinct["decided"] | p_from.first.keys() | at
        texts |= p_to.first.keys()
        due_texts = legal_due.first.keys() | promised_due.first.keys()
        _types(due_texts, TEXT_OR_NONE)
        texts |= due_texts | due_values
        texts.discard(None)
        try:
            self.when = parse_instants(texts)
        except ValueError:
            raise NotFlat from None
        if len({self.when[t] for t in at}) != len(at):
            raise NotFlat
        self.when[None] = None
        decided = []
        if not _all_none(self.decided):
            decided = [i for i, d in enumerate(self.decided) if d is not None]
        if any(_before(self.when[self.decided[i]], self.when[self.accepted[i]]) for i in decided):
            raise NotFlat
        aware = any(type(v) is dt.datetime and v.tzinfo is not None for v in self.when.values())
        # Each distinct text once: its slot in arrays of wall minutes and is-a-datetime (the
        # last slot is None's: NaN, False); a column is its distinct texts' slots, then takes.
        order = list(texts)
        slot = {t: k for k, t in enumerate(order)}
        slot[None] = len(order)
        minute_at = np.append(instants_to_minutes([self.when[t] for t in order]), np.nan)
        timed_at = np.array([type(self.when[t]) is dt.datetime for t in order] + [False])

        def build(zone_of) -> CaseColumns:
            zones = [zone_of(c) for c in self.calendar] if aware else None

            def minutes(column: _Texts, rows=None) -> np.ndarray:
                values = column.values
                if _all_none(values):
                    return np.full(len(values), np.nan)
                if not aware:
                    return minute_at[column.spread(slot)]
                picked = zones if rows is None else [zones[i] for i in rows]
                return instants_to_minutes(list(map(self.when.__getitem__, values)), picked)

            # Limits coded by their canonical texts in order of first use (legal, then promised),
            # each distinct text of the file looked up once.
            legal_texts, promised_texts = coded["legal"].first, dict(coded["promised"].first)
            promised_texts.pop(None, None)
            canonical = map(self.limit.__getitem__, chain(legal_texts, promised_texts))
            code = {t: k for k, t in enumerate(dict.fromkeys(canonical))}
            code_of = {t: code[self.limit[t]] for t in chain(legal_texts, promised_texts)}
            legal = coded["legal"].spread(code_of)
            code_of[None] = -1
            promised = coded["promised"].spread(code_of)
            promised = np.where(promised < 0, legal, promised)
            accepted_m, decided_m = minutes(coded["accepted"]), minutes(coded["decided"])
            if (decided_m < accepted_m).any():
                raise NotFlat  # an order only the zones show: the models' columns say where
            pause_to = minutes(p_to, p_case)
            if None in p_to.first:
                pause_to[[k for k, t in enumerate(p_to.values) if t is None]] = np.inf
            return CaseColumns(
                name=self.name,
                article=self.article,
                calendar=self.calendar,
                accepted=accepted_m,
                art32=_index([]),
                decided=decided_m,
                limit_texts=list(code),
                legal=legal,
                promised=promised,
                pause_case=_index(p_case),
                pause_slot=_index(p_slot),
                pause_from=minutes(p_from, p_case),
                pause_to=pause_to,
                extended=_index(extended),
                extensions=_canonical_lists(ext_lists, self.limit),
                due={
                    ref: _due_column(column, minutes, slot, minute_at, timed_at, aware)
                    for ref, column in (("legal", legal_due), ("promised", promised_due))
                },
                unknown_refs=unknown_refs,
                card_case=_index(c_case),
                card_time=minutes(c_time, c_case),
                card_level=_codes(c_level, LEVEL_INDEX, levels),
                needs_cards=needs,
                rare=_index([]),
            )

        return build

    def _dues(self) -> tuple:
        """(legal due texts, promised due texts, unknown references, all due texts) of cases
        whose dues are not only `legal` / `promised` mappings."""
        due_kinds = set(map(type, self.due))
        dicts = [d for d in self.due if type(d) is dict] if due_kinds != {dict} else self.due
        refs = set().union(*dicts)
        _types(refs, TEXT)
        _types(chain.from_iterable(map(dict.values, dicts)), TEXT_OR_NONE)
        due_values = set(chain.from_iterable(map(dict.values, dicts)))
        legal_due, promised_due, unknown_refs = [], [], []
        for i, (d, p) in enumerate(zip(self.due, self.promised)):
            if type(d) is dict:
                legal_due.append(d.get("legal"))
                promised_due.append(d.get("promised"))
                unknown_refs.extend((i, ref) for ref in d if ref not in REFERENCES)
            elif d is not None and p is not None:
                raise NotFlat  # a bare due with two limits: the models say which to write
            else:
                legal_due.append(d)
                promised_due.append(d if p is None else None)
        return legal_due, promised_due, unknown_refs, due_values

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


def _all_none(values: list) -> bool:
    """Whether a column holds only None (a column of texts is told by its first value, without
    comparing every text with None)."""
    return not values or (values[0] is None and values.count(None) == len(values))


def _all_one(values: list) -> bool:
    """Whether a column holds one text only (the last and middle ones are looked at first: most
    columns that do not are told without a pass)."""
    first = values[0]
    return (
        type(first) is str
        and values[-1] == first
        and values[len(values) // 2] == first
        and values.count(first) == len(values)
    )


def _codes(values: list, code: dict, distinct=()) -> np.ndarray:
    """Each value's code (`code[value]`) as an array; one lookup when the values are all one
    (`distinct`: the values' distinct ones, when known)."""
    if len(distinct) == 1:
        return np.full(len(values), code[next(iter(distinct))], np.int64)
    return np.fromiter(map(code.__getitem__, values), np.int64, len(values))


def _canonical_lists(lists: list, limit: dict) -> list[tuple[str, ...]]:
    """Each list of limit texts as the tuple of their canonical texts (worked out once per
    distinct list where the lists are tuples, as the CSV reader gives them)."""
    try:
        known = {x: tuple(map(limit.__getitem__, x)) for x in set(lists)}
    except TypeError:  # lists: one by one
        return [tuple(map(limit.__getitem__, x)) for x in lists]
    return list(map(known.__getitem__, lists))


def _due_column(column: _Texts, minutes, slot, minute_at, timed_at, aware) -> tuple:
    """(wall minutes, is-a-datetime) of a column of expected due texts (None: no expectation),
    each distinct text's slot looked up once."""
    n = len(column.values)
    if _all_none(column.values):
        return np.full(n, np.nan), np.zeros(n, bool)
    at = column.spread(slot)
    return (minutes(column) if aware else minute_at[at]), timed_at[at]


class _Texts:
    """A column of texts (or None) read in one pass over its cells: its distinct values in order
    of first use, each with its first row (`first`), and each row's first row (`rows`). A value
    per distinct text is then spread over the rows by numpy, not looked up row by row (a pass
    over 100,000 cells fetches each from memory again). Lists and mappings are refused
    (TypeError: they cannot be keys)."""

    def __init__(self, values: list):
        self.values = values
        if values and (_all_none(values) or _all_one(values)):  # a field no case gives, or one
            self.first, self.rows = {values[0]: 0}, np.zeros(len(values), np.int64)
            return
        self.first: dict = {}
        self.rows = np.fromiter(map(self.first.setdefault, values, count()), np.int64, len(values))

    def spread(self, code: dict) -> np.ndarray:
        """`code[value]` for every row, each distinct value looked up once."""
        k = len(self.first)
        at = np.empty(len(self.values), np.int64)
        at[np.fromiter(self.first.values(), np.int64, k)] = np.fromiter(
            map(code.__getitem__, self.first), np.int64, k
        )
        return at[self.rows]


class Lazy(Sequence):
    """A column whose values are built from its cells when asked: `parse(cell)`, None where the
    cell is None (a case's pauses, dues or cards, needed only when a report shows the case)."""

    def __init__(self, cells: Sequence, parse):
        self.cells, self.parse = cells, parse

    def __len__(self) -> int:
        return len(self.cells)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        cell = self.cells[i]
        return None if cell is None else self.parse(cell)


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


def _columns_of(rows: list[tuple], width: int) -> list[list]:
    """Rows of `width` values as `width` lists."""
    return list(map(list, zip(*rows))) if rows else [[] for _ in range(width)]


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
