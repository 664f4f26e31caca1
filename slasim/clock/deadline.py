"""One deadline, explained: acceptance → counting start → pauses and extensions → due.

This is the library function behind `slasim deadline` and each case of `slasim check`; the
simulation calls the same `ClockBatch` underneath. Times in results are local wall-clock ISO text
in the calendar's time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from slasim.calendar.units import MINUTES_PER_DAY, date_to_day, day_to_date, minutes_to_iso
from slasim.calendar.workcalendar import WorkCalendar, load_calendar
from slasim.clock.acceptance import Acceptance, AcceptanceRule, resolve_acceptance
from slasim.clock.articles import PAUSE_KINDS
from slasim.clock.case_clock import Clock, Pause
from slasim.clock.extensions import ExtensionRule, applied_extension, cap_across_units
from slasim.clock.limits import Limit, last_counted_day
from slasim.io.errors import SlasimError
from slasim.io.i18n import Text

DEFAULT_ACCEPTANCE = AcceptanceRule()  # Art. 32(4): notice within 5 working days; restart
DEFAULT_EXTENSION = ExtensionRule()  # Art. 42: one extension, at most 10 working days


@dataclass
class DeadlineResult:
    """A computed deadline: acceptance, due instant and date, provisional flag, notes."""

    calendar: str
    start: str
    accepted: str | None
    limit: str
    due: str | None
    due_date: str | None
    provisional: bool
    warnings: list[str] = field(default_factory=list)
    extension: str | None = None
    pauses: list[dict] = field(default_factory=list)
    explanation: dict | None = None
    clock: Clock | None = field(default=None, repr=False)

    def to_json(self) -> dict:
        """The result as `slasim deadline --json` prints it."""
        out = {k: v for k, v in self.__dict__.items() if k != "clock"}
        if out["explanation"] is None:
            del out["explanation"]
        return out


def instant_minutes(cal: WorkCalendar, t: dt.date | dt.datetime, field: str = "time") -> float:
    """Wall minutes of an input instant; a bare date on a day the office opens means that day's
    opening. A local time the calendar's zone skips, or cannot name, is refused
    (`WorkCalendar.input_minutes`)."""
    if not isinstance(t, dt.datetime) and cal.is_open_day_array(date_to_day(t)):
        return float(cal.opening_array(date_to_day(t)))
    return cal.input_minutes(t, field=field)


def due_fold(clock: Clock, due: float) -> int:
    """Which occurrence of a repeated local time a due instant is: the second (1) when the time
    counted at the first has not yet reached the limit (the due is the earliest instant it does)."""
    batch = clock.batch
    counted = batch.counted(batch.unit, np.array([due]), frozen=False)[0]
    return int(counted < batch.total[0] - 1e-9)


def check_pause(pause: Pause, index: int) -> None:
    """Refuse a pause of unknown kind or one that does not end after it starts."""
    if pause.kind not in PAUSE_KINDS:
        raise SlasimError(
            "unknown pause kind {kind} (use {kinds})",
            field=f"pauses[{index}].kind",
            kind=repr(pause.kind),
            kinds=", ".join(PAUSE_KINDS),
        )
    if not pause.end > pause.start:
        raise SlasimError("a pause must end after it starts", field=f"pauses[{index}]")


def compute_deadline(
    limit: str | Limit,
    *,
    accepted: dt.date | dt.datetime | None = None,
    received: dt.date | dt.datetime | None = None,
    notice: dt.date | dt.datetime | None = None,
    resubmitted: dt.date | dt.datetime | None = None,
    calendar: str | WorkCalendar = "cn",
    pauses: list[Pause] = (),
    extensions: list[str | Limit] = (),
    decided: dt.date | dt.datetime | None = None,
    acceptance_rule: AcceptanceRule = DEFAULT_ACCEPTANCE,
    extension_rule: ExtensionRule = DEFAULT_EXTENSION,
    strict: bool = False,
    explain: bool = False,
) -> DeadlineResult:
    """Due instant of a time limit on a calendar, with the derivation when `explain`."""
    cal = calendar if isinstance(calendar, WorkCalendar) else load_calendar(calendar)
    limit = Limit.parse(limit)
    walls: dict[str, float | None] = {}
    for name, value in (
        ("accepted", accepted),
        ("received", received),
        ("notice", notice),
        ("resubmitted", resubmitted),
        ("decided", decided),
    ):
        if value is not None:
            cal.check_range(int(cal.minutes(value) // MINUTES_PER_DAY), field=name)
        walls[name] = None if value is None else instant_minutes(cal, value, name)
    acceptance: Acceptance = resolve_acceptance(
        cal,
        accepted=walls["accepted"],
        received=walls["received"],
        notice=walls["notice"],
        resubmitted=walls["resubmitted"],
        rule=acceptance_rule,
    )
    for i, p in enumerate(pauses):
        check_pause(p, i)
    notes = list(acceptance.notes)
    ext_total = applied_extension(
        [Limit.parse(e, field="extensions") for e in extensions], limit.unit, extension_rule, notes
    )
    first, first_wall = (
        (received, walls["received"]) if received is not None else (accepted, walls["accepted"])
    )
    start_text = (
        first.isoformat()
        if first is not None and not isinstance(first, dt.datetime)
        else cal.instant_text(first_wall)
    )
    all_pauses = [*acceptance.pauses, *pauses]
    if acceptance.accepted is None:
        return DeadlineResult(
            cal.name,
            start_text,
            None,
            str(limit),
            None,
            None,
            False,
            explanation={"rules": notes, "days": []} if explain else None,
        )
    if ext_total and extension_rule.max_total.unit != limit.unit:
        base = Clock(cal, acceptance.accepted, limit, pauses=all_pauses)
        ext_total = cap_across_units(cal, limit.unit, base.due(), ext_total, extension_rule, notes)
    clock = Clock(
        cal,
        acceptance.accepted,
        limit,
        extensions=ext_total,
        pauses=all_pauses,
        stopped=walls["decided"] if decided is not None else np.inf,
    )
    try:
        due = clock.due()
    except SlasimError as exc:  # a limit so long that it ends past the calendar's table
        raise SlasimError(
            "{limit} from {start} ends past the table of calendar {name} ({why})",
            field="limit",
            limit=str(limit),
            start=minutes_to_iso(acceptance.accepted),
            name=repr(cal.name),
            why=exc.message if isinstance(exc.message, Text) else Text(exc.message),
        ) from None
    finite = np.isfinite(due)
    # Every instant the result depends on: acceptance, decision, pauses and the (extended) due.
    instants = [
        acceptance.accepted,
        walls["decided"],
        *(x for p in all_pauses for x in (p.start, p.end)),
    ]
    days = [int(t // MINUTES_PER_DAY) for t in instants if t is not None and np.isfinite(t)] + (
        [int(last_counted_day(due))] if finite else []
    )
    warning = cal.provisional_warning(days, strict=strict)
    due_day = day_to_date(int(last_counted_day(due))) if finite else None
    result = DeadlineResult(
        calendar=cal.name,
        start=start_text,
        accepted=cal.instant_text(acceptance.accepted),
        limit=str(limit),
        due=cal.instant_text(due, due_fold(clock, due)) if finite else None,
        due_date=due_day.isoformat() if due_day else None,
        provisional=warning is not None,
        warnings=[warning] if warning else [],
        extension=str(Limit(ext_total / 60 if limit.unit == "wh" else ext_total, limit.unit))
        if ext_total
        else None,
        pauses=[
            {
                "from": minutes_to_iso(p.start),
                "to": minutes_to_iso(p.end) if np.isfinite(p.end) else None,
                "kind": p.kind,
                **({"detail": p.detail} if p.detail else {}),
            }
            for p in all_pauses
        ],
        clock=clock,
    )
    if not finite:
        result.warnings.append(Text("an open pause holds the clock: no due date until it ends"))
    if explain:
        from slasim.clock.explain import explain_clock

        result.explanation = explain_clock(cal, clock, notes)
    return result
