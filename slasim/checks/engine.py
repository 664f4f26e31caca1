"""The engine behind `slasim check`: evaluate a check file's cases and compare with expectations.

Cases are evaluated column-wise (see `check_file.CaseColumns`) by the same `ClockBatch`/cards code as
everything else: cases that give only `accepted` take the vectorized path; cases with Art. 32
receipt/notice dates are resolved one by one. Only failing cases get Python-level diff text.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from slasim.calendar.units import (
    MINUTES_PER_DAY,
    datetime_to_minutes,
    day_to_date,
    minutes_to_iso,
    minutes_to_iso_array,
    parse_instant,
)
from slasim.calendar.workcalendar import WorkCalendar, load_calendar
from slasim.checks.columns import CaseColumns, Instant
from slasim.checks.load import load_check_file
from slasim.clock.acceptance import AcceptanceRule, into_office, resolve_acceptance
from slasim.clock.cards import (
    LEVELS,
    REFERENCES,
    Ladder,
    crossings,
    first_reached,
    level_at,
    parse_ladder,
)
from slasim.clock.case_clock import ClockBatch
from slasim.clock.extensions import ExtensionRule, applied_extension, cap_across_units
from slasim.clock.limits import Limit, last_counted_day
from slasim.io.errors import SlasimError
from slasim.io.files import gc_paused
from slasim.io.i18n import N_, Text, When

if TYPE_CHECKING:
    from slasim.checks.load import FlatFile
    from slasim.checks.schema import CaseSpec, CheckFile, Expect, RulesSpec

__all__ = ["CheckFile", "Outcome", "check_files", "load_check_file", "run_checks"]


def __getattr__(name: str):
    """`CheckFile`, imported when asked (it needs pydantic, which a flat file does without)."""
    if name == "CheckFile":
        from slasim.checks.schema import CheckFile

        return CheckFile
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Failures are `Text`: English in JSON, shown translated. Their parameters that are clock states,
# `never` or card levels (marked in `clock.cards.LEVELS`) are catalog messages, passed as `Text`
# (`word`) so they are shown translated too; dates and values from the file are shown as written.
WORDS = (N_("pending"), N_("running"), N_("paused"), N_("overdue"), N_("stopped"), N_("never"))


def word(value: str) -> str:
    """A value of a failure as a `Text` parameter: a state, `never` or a card level translated
    where shown; a date or instant shown as the reader's language writes dates (`When`)."""
    return Text(value) if value in WORDS or value in LEVELS else When(value)


DUE_DIFFERS = {
    "legal": N_("due (legal): expected {expected}, got {got}{apart}"),
    "promised": N_("due (promised): expected {expected}, got {got}{apart}"),
}


class Outcome(NamedTuple):
    """One case's result: its file, name, what failed (empty when it passed) and what was computed."""

    name: str
    article: str | None
    failures: tuple[str, ...]  # each a `Text`: English (JSON), shown translated in reports
    # For a failing or provisional case: its inputs, what was computed, and the `slasim deadline`
    # command that shows the derivation (empty, and shared, otherwise: read-only).
    got: dict
    # Accepted or due past the calendar's published years, and the case does not say so
    # (`expect: {provisional: true}` is a deliberate, checked expectation instead).
    provisional: bool = False
    index: int = 0  # position in the file's `cases` (for `cases[i]` and its line)

    @property
    def passed(self) -> bool:
        """Whether every expectation of the case held."""
        return not self.failures


def wall(cal: WorkCalendar, t: Instant | None) -> float | None:
    """Wall minutes of a file instant (a bare date is 00:00; acceptance then moves into office hours)."""
    return None if t is None else datetime_to_minutes(t, cal.tz)


@lru_cache(maxsize=256)
def extension_total(extensions: tuple[str, ...], unit: str, rule: ExtensionRule) -> float:
    """Total extension on the limit's axis, capped per the file's Art. 42 rule."""
    return applied_extension([Limit.parse(e) for e in extensions], unit, rule, [])


class CaseBatch:
    """Clocks (promised, legal) of the cases sharing one calendar, built from their columns.

    `cases` and `cols` are aligned; `where[i]` is case i's position in the file (for error fields)."""

    def __init__(
        self,
        cal: WorkCalendar,
        cases: list[CaseSpec],
        cols: CaseColumns,
        rules: RulesSpec,
        source: str,
        where: np.ndarray,
    ):
        self.cal = cal
        self.where = where
        n = len(cases)
        acc_rule = AcceptanceRule(rules.notice_within, rules.supplement_mode)
        ext_rule = ExtensionRule(rules.extension_max_count, Limit.parse(rules.extension_max_total))
        self._no_skipped_times(cols, source)
        self._no_second_occurrences(cases, cols, source)
        raw = cols.accepted
        simple = np.flatnonzero(~np.isnan(raw))
        self._range(raw[simple], source, where[simple])
        accepted = np.full(n, np.nan)
        accepted[simple] = cal.to_wall_array(cal.to_business_array(raw[simple]), side="right")
        rows = [(cols.pause_case, cols.pause_slot, cols.pause_from, cols.pause_to)]
        for i in cols.art32.tolist():  # Art. 32 receipt/notice dates: resolved one by one
            c = cases[i]
            try:
                a = resolve_acceptance(
                    cal,
                    accepted=wall(cal, c.accepted),
                    received=wall(cal, c.received),
                    notice=wall(cal, c.notice),
                    resubmitted=wall(cal, c.resubmitted),
                    rule=acc_rule,
                )
            except SlasimError as exc:
                raise exc.located(source, f"cases[{where[i]}]") from None
            accepted[i] = np.nan if a.accepted is None else a.accepted
            k = len(a.pauses)
            rows.append(
                (
                    np.full(k, i),
                    len(c.pauses) + np.arange(k),
                    np.array([p.start for p in a.pauses]),
                    np.array([p.end for p in a.pauses]),
                )
            )
        self.accepted = accepted
        self.pause_rows = self._pause_rows(
            *(np.concatenate(col) for col in zip(*rows)), source, where
        )
        stopped = np.nan_to_num(cols.decided, nan=np.inf)
        self.clocks: dict[str, list] = {}
        all_limits = [Limit.parse(t) for t in cols.limit_texts]  # parsed once per text
        for ref, codes in (("promised", cols.promised), ("legal", cols.legal)):
            if ref == "legal" and np.array_equal(codes, cols.promised):
                self.clocks[ref] = self.clocks["promised"]  # one limit per case: the same clocks
                continue
            ext = self._extensions(cols, codes, all_limits, ext_rule, source)
            self.clocks[ref] = self._by_unit(codes, all_limits, ext, stopped)

    def _extensions(
        self, cols: CaseColumns, codes, limits: list[Limit], rule, source
    ) -> np.ndarray:
        """Each case's total extension on its limit's axis (0 without one), worked out once per
        distinct list of extensions and unit (files repeat them), then capped case by case only
        where the cap is in another unit; the first case (in file order) whose extensions are
        refused is the located error."""
        ext = np.zeros(len(self.accepted))
        if not len(cols.extended):
            return ext
        rows = cols.extended.tolist()
        units = [limits[c].unit for c in codes[cols.extended].tolist()]
        pairs = list(zip(cols.extensions, units))
        totals, refused = {}, None
        for k, pair in enumerate(pairs):
            if pair not in totals:
                try:
                    totals[pair] = extension_total(*pair, rule)
                except SlasimError as exc:
                    refused = (k, exc)
                    break
        rows = rows if refused is None else rows[: refused[0]]
        totals_of = list(map(totals.__getitem__, pairs[: len(rows)]))
        ext[rows] = totals_of
        for k, total in enumerate(totals_of):
            if total and units[k] != rule.max_total.unit:
                i = rows[k]
                ext[i] = self._cap_across_units(i, limits[codes[i]], total, rule)
        if refused is not None:
            raise refused[1].located(source, f"cases[{self.where[cols.extended[refused[0]]]}]")
        return ext

    def _no_skipped_times(self, cols: CaseColumns, source: str) -> None:
        """Refuse a naive local time the calendar's zone skips (a spring-forward hour), located."""
        for field, rows, values in (
            ("accepted", None, cols.accepted),
            ("decided", None, cols.decided),
            ("pauses", cols.pause_case, cols.pause_from),
            ("pauses", cols.pause_case, cols.pause_to),
            ("expect.card_at", cols.card_case, cols.card_time),
            *(("expect.due", None, want) for want, _ in cols.due.values()),
        ):
            bad = np.flatnonzero(self.cal.skipped(values))
            if len(bad):
                case = bad[0] if rows is None else rows[bad[0]]
                raise SlasimError(
                    "{time} does not exist in {zone} (the clocks skip it that day): give a time "
                    "outside the skipped hour, or with its UTC offset",
                    source=source,
                    field=f"cases[{self.where[case]}].{field}",
                    time=minutes_to_iso(values[bad[0]]),
                    zone=self.cal.tz.key,
                )

    def _no_second_occurrences(self, cases, cols: CaseColumns, source: str) -> None:
        """Refuse, as `deadline` does, an acceptance or decision given with the offset of the
        second occurrence of a repeated local time while the office is open then: wall minutes
        name the first (`WorkCalendar.input_minutes`)."""
        for field, values in (("accepted", cols.accepted), ("decided", cols.decided)):
            for i in np.flatnonzero(self.cal.repeated(values)).tolist():
                try:
                    self.cal.input_minutes(getattr(cases[i], field), field=field)
                except SlasimError as exc:
                    raise exc.located(source, f"cases[{self.where[i]}]") from None

    def _cap_across_units(self, i, limit, total, rule) -> float:
        """Case i's extension capped by a cap in another unit (`cap_across_units`)."""
        if np.isnan(self.accepted[i]):
            return total
        idx = np.array([i])
        width = int((self.pause_rows[0] == i).sum())
        base = ClockBatch(
            self.cal,
            limit.unit,
            self.accepted[idx],
            np.array([limit.axis_amount]),
            None,
            self._pauses(idx, width),
            np.array([np.inf]),
        ).due()[0]
        return cap_across_units(self.cal, limit.unit, base, total, rule, [])

    @staticmethod
    def _pause_rows(case, slot, starts, ends, source: str, where) -> tuple:
        """Per-pause rows (case, slot, from, to) in wall minutes, each pause ending after it starts."""
        bad = np.flatnonzero(~(ends > starts))
        if len(bad):
            raise SlasimError(
                "a pause must end after it starts",
                source=source,
                field=f"cases[{where[case[bad[0]]]}].pauses[{slot[bad[0]]}]",
            )
        return case.astype(np.int64), slot.astype(np.int64), starts, ends

    def _pauses(self, idx: np.ndarray, width: int) -> np.ndarray:
        """(len(idx), width, 2) pauses of the cases at idx (NaN rows: no pause)."""
        case, slot, starts, ends = self.pause_rows
        row = np.full(len(self.accepted), -1)
        row[idx] = np.arange(len(idx))
        mine = row[case] >= 0
        pauses = np.full((len(idx), width, 2), np.nan)
        pauses[row[case[mine]], slot[mine], 0] = starts[mine]
        pauses[row[case[mine]], slot[mine], 1] = ends[mine]
        return pauses

    def _range(self, raw, source, index):
        days = (raw // MINUTES_PER_DAY).astype(np.int64)
        outside = np.flatnonzero((days < self.cal.first_day) | (days > self.cal.last_day))
        if len(outside):
            try:
                self.cal.check_range(days[outside[:1]], field="accepted")
            except SlasimError as exc:
                raise exc.located(source, f"cases[{index[outside[0]]}]") from None

    def _by_unit(self, codes, limits, ext, stopped):
        """ClockBatches per limit unit, with the case indices each covers (pending cases left out).
        Cases are grouped by their count of pauses rounded up to a power of two, so a case with
        many pauses never pads every other case to its width: the pause arrays hold at most about
        twice the file's pauses plus one row per case."""
        groups = []
        names = sorted({lim.unit for lim in limits})
        units = np.array([names.index(lim.unit) for lim in limits])[codes]
        amounts = np.array([lim.axis_amount for lim in limits])[codes]
        started = ~np.isnan(self.accepted)
        count = np.zeros(len(self.accepted), np.int64)
        case, slot = self.pause_rows[:2]
        if len(case) and (np.diff(case) > 0).all():  # at most one pause per case
            count[case] = slot + 1
        else:
            np.maximum.at(count, case, slot + 1)
        width = np.where(count > 0, 1 << np.ceil(np.log2(np.maximum(count, 1))).astype(int), 0)
        width = np.maximum(width, count)
        widths = np.flatnonzero(np.bincount(width)).tolist()  # ascending
        for u, unit in enumerate(names):
            mine = (units == u) & started
            for w in widths:
                idx = (
                    np.flatnonzero(mine & (width == w)) if len(widths) > 1 else np.flatnonzero(mine)
                )
                if len(idx):
                    batch = ClockBatch(
                        self.cal,
                        unit,
                        self.accepted[idx],
                        amounts[idx],
                        ext[idx],
                        self._pauses(idx, w),
                        stopped[idx],
                    )
                    groups.append((idx, batch))
        return groups

    def column(self, ref: str, fn) -> np.ndarray:
        """Apply fn(batch) → per-case array over unit groups; NaN for pending cases."""
        out = np.full(len(self.accepted), np.nan)
        for idx, batch in self.clocks[ref]:
            out[idx] = fn(batch)
        return out


def run_checks(check: CheckFile | FlatFile, source: str) -> list[Outcome]:
    """Evaluate every case of a check file; outcomes in file order."""
    with gc_paused():
        return _run_checks(check, source)


def _run_checks(check: CheckFile | FlatFile, source: str) -> list[Outcome]:
    outcomes: list[Outcome | None] = [None] * len(check.cases)
    cols = check.columns
    n = len(cols.calendar)
    if cols.calendar.count(None) == n:  # no case names its own calendar: the file's for all
        names = [check.calendar] * n
    else:
        names = [name or check.calendar for name in cols.calendar]
    by_calendar: dict[str, list[int] | range] = {}
    if len(set(names)) == 1:
        by_calendar[names[0]] = range(n)
    else:
        for i, name in enumerate(names):
            by_calendar.setdefault(name, []).append(i)
    try:
        ladder = parse_ladder(check.cards)
    except SlasimError as exc:
        raise exc.located(source) from None
    for cal_name, index in by_calendar.items():
        try:
            cal = load_calendar(cal_name)
        except SlasimError as exc:
            raise exc.located(source, "calendar") from None
        if len(index) == len(check.cases):  # every case (in order)
            where = np.arange(len(index))
            batch = CaseBatch(cal, check.cases, cols, check.rules, source, where)
            return judge(cal, batch, check.cases, cols, ladder, source)
        where = np.array(index)
        group = cols.take(where)
        cases = check.cases
        cases = cases.take(index) if hasattr(cases, "take") else [cases[i] for i in index]
        batch = CaseBatch(cal, cases, group, check.rules, source, where)
        for pos, outcome in zip(index, judge(cal, batch, cases, group, ladder, source)):
            outcomes[pos] = outcome
    return outcomes  # type: ignore[return-value]


def due_text(minutes: float, exact: bool) -> str:
    """A due instant as text: a date when the expectation gave a date, else date and time."""
    if not np.isfinite(minutes):
        return "never"
    return (
        minutes_to_iso(minutes)
        if exact
        else day_to_date(int(last_counted_day(minutes))).isoformat()
    )


def due_texts(minutes: np.ndarray, exact: np.ndarray, *, expiry: bool = True) -> list[str]:
    """`due_text` over arrays: a datetime where the expectation was one, else the date — of the
    last counted day for a computed expiry (24:00 belongs to the day before), of the instant
    itself for an expected date (its 00:00)."""
    days = last_counted_day(minutes) if expiry else np.floor(minutes / MINUTES_PER_DAY)
    finite = np.isfinite(days)
    stamps = np.where(finite, days, 0).astype(np.int64).astype("datetime64[D]")
    as_dates = [d if f else "never" for d, f in zip(np.datetime_as_string(stamps).tolist(), finite)]
    return [
        t if e else d for t, d, e in zip(minutes_to_iso_array(minutes), as_dates, exact.tolist())
    ]


def judge(
    cal, batch: CaseBatch, cases: list[CaseSpec], expect: CaseColumns, ladder: Ladder, source: str
) -> list[Outcome]:
    """Compare expectations with results column-wise; only failing cases get Python-level diffs."""
    failures: dict[int, list[Text]] = {}
    for i, ref in expect.unknown_refs:
        failures.setdefault(i, []).append(
            Text("expect.due: unknown reference {reference}", reference=repr(ref))
        )
    due = {ref: batch.column(ref, lambda b: b.due()) for ref in REFERENCES}
    for ref in ("legal", "promised"):
        want, exact = expect.due[ref]
        got = due[ref]
        got_day = last_counted_day(got)
        want_day = np.floor(want / MINUTES_PER_DAY)
        same = np.where(exact, got == want, got_day == want_day)
        folds = _folds_apart(cal, batch, cases, ref, np.flatnonzero(same & exact), got)
        same[list(folds)] = False
        wrong = np.flatnonzero(~np.isnan(want) & ~same)
        if ref == "promised":  # with one limit the promised clock is the legal one: said once
            wrong = wrong[expect.promised[wrong] != expect.legal[wrong]]
        for i, w, g, off in zip(
            wrong,
            due_texts(want[wrong], exact[wrong], expiry=False),
            due_texts(got[wrong], exact[wrong]),
            working_days_apart(cal, want_day[wrong], got_day[wrong]),
        ):
            if i in folds:  # the same local time, the other of its two occurrences
                w, g, off = (*(cal.instant_text(got[i], fold) for fold in folds[i]), "")
            failures.setdefault(i, []).append(
                Text(DUE_DIFFERS[ref], expected=word(w), got=word(g), apart=off)
            )
    cross = np.full((len(cases), len(ladder.rungs)), np.inf)
    if len(expect.needs_cards):
        try:
            cross[expect.needs_cards] = case_crossings(
                cal, batch, cases, ladder, expect.needs_cards
            )
        except SlasimError as exc:
            raise exc.located(source) from None
    if len(expect.card_case):
        got_levels = level_at(ladder, cross[expect.card_case], expect.card_time)
        for r in np.flatnonzero(got_levels != expect.card_level):
            failures.setdefault(expect.card_case[r], []).append(
                Text(
                    "card at {time}: expected {expected}, got {got}",
                    time=When(minutes_to_iso(expect.card_time[r])),
                    expected=word(LEVELS[expect.card_level[r]]),
                    got=word(LEVELS[got_levels[r]]),
                )
            )
    past = past_published(cal, batch, due, expect)
    for i in expect.rare.tolist():
        found = rare_failures(
            cal, batch, cases[i].expect, i, ladder, cross[i : i + 1], due, bool(past[i])
        )
        if found:
            failures.setdefault(i, []).extend(found)
    # Provisional cases that do not say so (`expect.provisional` set is a checked expectation).
    provisional = past.copy()
    for i in np.flatnonzero(past).tolist():
        provisional[i] = cases[i].expect.provisional is None
    shown = sorted(set(failures) | set(np.flatnonzero(provisional).tolist()))
    accepted_text = minutes_to_iso_array(batch.accepted[shown])
    got_due = {ref: minutes_to_iso_array(due[ref][shown]) for ref in due}
    fails = [()] * len(cases)
    gots = [{}] * len(cases)
    for k, i in enumerate(shown):
        accepted = None if accepted_text[k] == "never" else accepted_text[k]
        gots[i] = {
            "accepted": accepted,
            "due": {ref: got_due[ref][k] for ref in due},
            "inputs": case_inputs(cases[i]),
            "explain": explain_command(cases[i], accepted, cal.name),
        }
        fails[i] = tuple(failures.get(i, ()))
    rows = zip(expect.name, expect.article, fails, gots, provisional.tolist(), batch.where.tolist())
    return list(map(tuple.__new__, repeat(Outcome), rows))  # `Outcome._make`, without a call each


def _folds_apart(cal, batch, cases, ref: str, rows: np.ndarray, got: np.ndarray) -> dict:
    """Case → (expected fold, computed fold) where an exact expected due names the computed local
    time but the other of its two occurrences (the hour clocks go back). The expected one is the
    second when written with that occurrence's offset; the computed one is the second when the
    time counted at the first has not yet reached the limit (`clock.deadline.due_fold`)."""
    out = {}
    rows = rows[cal.repeated(got[rows])] if len(rows) else rows
    for i in rows.tolist():
        want = cases[i].expect.due
        want = want.get(ref) if isinstance(want, dict) else want
        want_fold = (
            want.astimezone(cal.tz).fold
            if isinstance(want, dt.datetime) and want.tzinfo is not None
            else 0
        )
        for idx, clock in batch.clocks[ref]:
            hit = np.flatnonzero(idx == i)
            if len(hit):
                one = clock.take(hit[:1])
                counted = one.counted(one.unit, got[i : i + 1], frozen=False)[0]
                got_fold = int(counted < one.total[0] - 1e-9)
                if got_fold != want_fold:
                    out[i] = (want_fold, got_fold)
    return out


def working_days_apart(cal, want_day: np.ndarray, got_day: np.ndarray) -> list:
    """How far each computed due day is from the expected one, in working days, as text."""
    finite = np.isfinite(want_day) & np.isfinite(got_day)
    want = np.where(finite, want_day, cal.first_day).astype(np.int64)
    got = np.where(finite, got_day, cal.first_day).astype(np.int64)
    inside = (np.minimum(want, got) >= cal.first_day) & (np.maximum(want, got) <= cal.last_day)
    apart = np.zeros(len(want), np.int64)
    if inside.any():
        apart[inside] = cal.working_days_before(got[inside]) - cal.working_days_before(want[inside])
    texts = []
    for n, ok in zip(apart.tolist(), (finite & inside).tolist()):
        if not ok:
            texts.append("")
        elif n == 0:
            texts.append(Text(" (same count of working days: a rest day apart)"))
        elif n > 0:
            texts.append(
                Text(" ({days} working day late)", days=n)
                if n == 1
                else Text(" ({days} working days late)", days=n)
            )
        else:
            texts.append(
                Text(" ({days} working day early)", days=-n)
                if n == -1
                else Text(" ({days} working days early)", days=-n)
            )
    return texts


def past_published(cal, batch, due: dict, expect: CaseColumns) -> np.ndarray:
    """Per case: any instant its result depends on — acceptance, decision, pauses, the dues with
    extensions, the instants its cards are checked at — past (or before) the calendar's published
    years."""

    def outside(values) -> np.ndarray:
        finite = np.isfinite(values)
        days = np.floor(np.where(finite, values, 0.0) / MINUTES_PER_DAY).astype(np.int64)
        return finite & np.asarray(cal.is_provisional(days), bool)

    out = np.zeros(len(batch.accepted), bool)
    for values in (batch.accepted, expect.decided, *due.values()):
        out |= outside(values)
    case, _, starts, ends = batch.pause_rows
    for rows, values in ((case, starts), (case, ends), (expect.card_case, expect.card_time)):
        out[rows[outside(values)]] = True
    return out


def _text(t) -> str:
    return t.isoformat(timespec="minutes") if isinstance(t, dt.datetime) else t.isoformat()


def case_inputs(case: CaseSpec) -> dict:
    """A case's inputs as the file gave them (for a failure's details)."""
    limit = case.limit
    out: dict = {
        "limit": limit.legal
        if limit.promised is None
        else {"promised": limit.promised, "legal": limit.legal}
    }
    for key in ("accepted", "received", "notice", "resubmitted", "decided"):
        value = getattr(case, key)
        if value is not None:
            out[key] = _text(value)
    if case.pauses:
        out["pauses"] = [
            [_text(p.start), None if p.end is None else _text(p.end)] for p in case.pauses
        ]
    if case.extensions:
        out["extensions"] = list(case.extensions)
    return out


def explain_command(case: CaseSpec, accepted: str | None, calendar: str) -> str | None:
    """`slasim deadline … --explain` for the case's legal limit from its acceptance, or None when
    it cannot say the same thing (pending case, pauses: `deadline` takes no pauses)."""
    if accepted is None or case.pauses:
        return None
    import shlex  # only for the cases a report shows

    words = ["slasim", "deadline", accepted, case.limit.legal, "-c", case.calendar or calendar]
    for extension in case.extensions:
        words += ["--extension", extension]
    return " ".join(shlex.quote(w) for w in [*words, "--explain"])


def rare_failures(
    cal,
    batch: CaseBatch,
    e: Expect,
    i: int,
    ladder: Ladder,
    cross: np.ndarray,
    due,
    past: bool,
) -> list[Text]:
    """The less common expectations of case i (acceptance, first cards, provisional — `past`:
    the case lies past the published years —, states)."""
    found = []
    if e.accepted is not None:
        want = (
            e.accepted.isoformat(timespec="minutes")
            if isinstance(e.accepted, dt.datetime)
            else e.accepted.isoformat()
        )
        got = "pending" if np.isnan(batch.accepted[i]) else minutes_to_iso(batch.accepted[i])
        if want != (got if isinstance(e.accepted, dt.datetime) else got[:10]):
            found.append(
                Text("accepted: expected {expected}, got {got}", expected=word(want), got=word(got))
            )
    if e.cards:
        firsts = first_reached(ladder, cross)
        for level, when in e.cards.items():
            got = due_text(firsts.get(level, np.array([np.inf]))[0], True)
            want = (
                "never"
                if when is None
                else (
                    when.isoformat(timespec="minutes")
                    if isinstance(when, dt.datetime)
                    else when.isoformat()
                )
            )
            if (got if (when is None or isinstance(when, dt.datetime)) else got[:10]) != want:
                found.append(
                    Text(
                        "first {level} card: expected {expected}, got {got}",
                        level=word(level),
                        expected=word(want),
                        got=word(got),
                    )
                )
    if e.provisional is not None:
        got = past
        if got != e.provisional:
            found.append(
                Text("provisional: expected true, got false")
                if e.provisional
                else Text("provisional: expected false, got true")
            )
    for when, state in e.state_at.items():
        at = datetime_to_minutes(parse_instant(when), cal.tz)
        got = case_state(batch, i, at, due["legal"][i])
        if got != state:
            found.append(
                Text(
                    "state at {time}: expected {expected}, got {got}",
                    time=When(when),
                    expected=word(state),
                    got=word(got),
                )
            )
    return found


def case_state(batch: CaseBatch, i: int, t: float, due: float) -> str:
    """The legal clock's state of case i at wall instant t (see `ClockBatch.state`)."""
    if np.isnan(batch.accepted[i]) or t < batch.accepted[i]:
        return "pending"
    for idx, clock in batch.clocks["legal"]:
        hit = np.flatnonzero(idx == i)
        if len(hit):
            return clock.state(hit[0], t)
    return "overdue" if t > due else "running"


def case_crossings(cal, batch: CaseBatch, cases, ladder: Ladder, rows: np.ndarray) -> np.ndarray:
    """Rung crossings for the given cases: case rungs from the batch clocks, step rungs per case."""
    out = np.full((len(rows), len(ladder.rungs)), np.inf)
    case_rungs = [j for j, r in enumerate(ladder.rungs) if r.scope == "case"]
    if case_rungs:
        sub = Ladder(ladder.name, tuple(ladder.rungs[j] for j in case_rungs))
        full = np.full((len(cases), len(case_rungs)), np.inf)
        for k, rung in enumerate(sub.rungs):
            for idx, clock in batch.clocks[rung.reference]:
                full[idx, k] = crossings(Ladder("", (rung,)), {rung.reference: clock})[:, 0]
        out[:, case_rungs] = full[rows]
    for j, rung in enumerate(ladder.rungs):
        if rung.scope == "case":
            continue
        for r, i in enumerate(rows.tolist()):
            step = cases[i].steps.get(rung.scope)
            if step is None:  # a step rung applies only to cases that have the step
                continue
            lim = Limit.parse(step.limit)
            start = into_office(cal, wall(cal, step.start))
            end = np.inf if step.end is None else wall(cal, step.end)
            clock = ClockBatch(
                cal,
                lim.unit,
                np.array([start]),
                np.array([lim.axis_amount]),
                stopped=np.array([end]),
            )
            out[r, j] = crossings(Ladder("", (rung,)), {rung.scope: clock})[0, 0]
    return out


def check_files(paths: list[Path]) -> list[tuple[str, list[Outcome]]]:
    """Load and run several files; the first invalid file raises (exit 2 at the CLI)."""
    loaded = [(str(p), load_check_file(p)) for p in paths]
    return [(source, run_checks(check, source)) for source, check in loaded]
