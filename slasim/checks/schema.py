"""Check files for `slasim check`: the pydantic models (the columns they build are `columns`').

Validation parses every instant and limit text once; `CaseColumns` then holds what the engine needs
as arrays (wall minutes, NaN where absent), so checking 100,000 cases does no per-case Python work
beyond this load. Instants in files are naive local times; a bare date means 00:00.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, PrivateAttr, field_validator, model_validator

from slasim.checks.columns import (
    DEFAULT_RULES,
    FILE_DEFAULTS,
    CaseColumns,
    CaseZones,
    Instant,
    _before,
    _instant,
)
from slasim.clock.articles import PAUSE_KINDS
from slasim.clock.cards import LEVELS
from slasim.clock.limit_pair import LimitPair
from slasim.clock.limits import Limit
from slasim.io.errors import field_parser
from slasim.io.files import gc_paused
from slasim.io.i18n import Text
from slasim.io.schema import Int, Strict, plain_name

__all__ = ["CaseColumns", "CaseSpec", "CheckFile", "Expect", "Instant", "PauseSpec"]

_limit = field_parser(lambda v: str(Limit.parse(v)))


class PauseSpec(Strict):
    """A clock stop in a check file: `from`, `to` (open if absent), `kind`, `detail`."""

    start: Instant = Field(alias="from")
    end: Instant | None = Field(default=None, alias="to")
    kind: str = "special_procedure"
    detail: str = ""

    _times = field_validator("start", "end", mode="before")(_instant)

    @field_validator("kind")
    @classmethod
    def _kind(cls, v):
        if v not in PAUSE_KINDS:
            raise ValueError(
                Text(
                    "unknown pause kind {kind} (use {choices})",
                    kind=repr(v),
                    choices=", ".join(PAUSE_KINDS),
                )
            )
        return v


class StepSpec(Strict):
    """A step of a case with its own limit (for step-scope cards): name, entered, left, limit."""

    start: Instant
    limit: str
    end: Instant | None = None

    _times = field_validator("start", "end", mode="before")(_instant)
    _limits = field_validator("limit", mode="before")(_limit)

    @model_validator(mode="after")
    def _order(self):
        if self.end is not None and _before(self.end, self.start):
            raise ValueError(Text("the step ends before it starts"))
        return self


class Expect(Strict):
    """What a case must give: due dates, acceptance, card levels and states at instants."""

    due: Any = None  # date | datetime | {promised, legal}
    accepted: Instant | None = None
    # Mutable defaults as factories: pydantic deep-copies a literal default for every case.
    card_at: dict[Instant, str] = Field(default_factory=dict)
    cards: dict[str, Instant | None] = Field(
        default_factory=dict
    )  # level → first instant (null: never)
    state_at: dict[str, str] = Field(default_factory=dict)
    provisional: bool | None = None

    _acc = field_validator("accepted", mode="before")(_instant)

    @field_validator("due", mode="before")
    @classmethod
    def _due(cls, v):
        if isinstance(v, dict):
            return {str(k): _instant(x) for k, x in v.items()}
        return _instant(v)

    @field_validator("card_at", mode="before")
    @classmethod
    def _card_keys(cls, v):
        if not isinstance(v, dict):
            raise ValueError(Text("card_at is a mapping instant → level"))
        return {_instant(k): level for k, level in v.items()}

    @field_validator("card_at")
    @classmethod
    def _levels(cls, v):
        for level in v.values():
            if level not in LEVELS:
                raise ValueError(
                    Text(
                        "unknown card level {level} (use {choices})",
                        level=repr(level),
                        choices=", ".join(LEVELS),
                    )
                )
        return v

    @field_validator("cards", mode="before")
    @classmethod
    def _firsts(cls, v):
        if not isinstance(v, dict):
            raise ValueError(Text("cards is a mapping level → first instant"))
        for level in v:
            if level not in LEVELS:
                raise ValueError(Text("unknown card level {level}", level=repr(level)))
        return {k: _instant(x) for k, x in v.items()}


class CaseSpec(Strict):
    """One case of a check file: its start, limit, pauses, extensions, decision and expectations."""

    name: str
    article: str | None = None
    calendar: str | None = None
    accepted: Instant | None = None
    received: Instant | None = None
    notice: Instant | None = None
    resubmitted: Instant | None = None
    decided: Instant | None = None
    limit: LimitPair
    pauses: list[PauseSpec] = Field(default_factory=list)
    extensions: list[str] = Field(default_factory=list)
    steps: dict[str, StepSpec] = Field(default_factory=dict)
    expect: Expect

    _times = field_validator(
        "accepted", "received", "notice", "resubmitted", "decided", mode="before"
    )(_instant)

    @field_validator("extensions", mode="before")
    @classmethod
    def _ext(cls, v):
        if v is not None and not isinstance(v, list):
            raise ValueError(Text("extensions is a list of limits (`[10wd]`)"))
        return [_limit(x) for x in (v or [])]

    @model_validator(mode="after")
    def _start(self):
        if self.accepted is None and self.received is None:
            raise ValueError(Text("a case needs `accepted` or `received`"))
        first = self.accepted if self.accepted is not None else self.received
        if self.decided is not None and _before(self.decided, first):
            raise ValueError(Text("`decided` is before the case was accepted or received"))
        plain_name(self.name, Text("name"))
        if self.article is not None:
            plain_name(self.article, Text("article"))
        due = self.expect.due
        if self.limit.promised is not None and due is not None and not isinstance(due, dict):
            raise ValueError(
                Text(  # no parameters: the braces are shown as written
                    "expect.due: the case has a promised and a legal limit; say which due is "
                    "meant: due: {promised: …, legal: …} (either or both)"
                )
            )
        return self


class RulesSpec(Strict):
    """Local rules of a check file: supplement mode, notice period (Art. 32), extension caps (Art.
    42)."""

    supplement_mode: str = DEFAULT_RULES["supplement_mode"]
    notice_within: Int = Field(default=DEFAULT_RULES["notice_within"], ge=0, le=10_000)
    extension_max_count: Int = Field(default=DEFAULT_RULES["extension_max_count"], ge=0, le=100)
    extension_max_total: str = DEFAULT_RULES["extension_max_total"]

    _lim = field_validator("extension_max_total", mode="before")(_limit)

    @field_validator("supplement_mode")
    @classmethod
    def _mode(cls, value: str) -> str:
        """Checked here, so the error names the file and `rules.supplement_mode`."""
        if value not in ("restart", "resume"):
            raise ValueError(Text("must be 'restart' or 'resume'"))
        return value


class CheckFile(Strict, CaseZones):
    """A check file: calendar, card ladder, rules and cases."""

    calendar: str = FILE_DEFAULTS["calendar"]
    cards: Any = FILE_DEFAULTS["cards"]
    rules: RulesSpec = RulesSpec()
    cases: list[CaseSpec] = Field(min_length=1)
    _columns: CaseColumns | None = PrivateAttr(default=None)

    @property
    def columns(self) -> CaseColumns:
        """The cases as columns, built on first use (validation already parsed every value)."""
        if self._columns is None:
            self.build_columns(self.cases)
        return self._columns

    def build_columns(self, cases) -> None:
        """Build the columns from validated cases."""
        with gc_paused():
            self._columns = CaseColumns.of(cases, self._zone_of)

    def set_columns(self, columns: CaseColumns) -> None:
        """Columns built by the loader straight from the file's fields (`load`)."""
        self._columns = columns
