"""When the legal clock starts: receipt, supplement notices (补正) and deemed acceptance.

行政许可法 Art. 32(4): an agency that finds materials incomplete must say everything to supplement
on the spot or within 5 working days; if it does not, the application is deemed accepted on the
day the materials were received. A timely notice holds the clock until complete materials arrive;
then counting *restarts* from that acceptance (licence default) or *resumes* (the time before the
notice counts, the wait is a `supplement` pause). A receipt outside office hours is deemed made at
the next opening.
"""

from __future__ import annotations

from dataclasses import dataclass

from slasim.calendar.units import MINUTES_PER_DAY, minutes_to_iso
from slasim.clock.articles import ART32
from slasim.clock.case_clock import Pause
from slasim.io.errors import SlasimError
from slasim.io.i18n import N_, Text

# What was received or accepted, as the notes name it (translated where shown).
WHAT = (N_("acceptance"), N_("receipt"), N_("complete materials"))


@dataclass(frozen=True)
class AcceptanceRule:
    """Art. 32(4) as configured: the notice period in working days and restart or resume."""

    notice_within_wd: int = 5  # Art. 32(4): notice within 5 working days of receipt
    mode: str = "restart"  # restart | resume

    def __post_init__(self):
        if self.mode not in ("restart", "resume"):
            raise SlasimError("must be 'restart' or 'resume'", field="supplement_mode")


@dataclass(frozen=True)
class Acceptance:
    """When the clock starts, the pauses acceptance adds, and how it was derived."""

    accepted: float | None  # wall minutes of (deemed) acceptance, None while pending
    pauses: tuple[Pause, ...]  # pauses the acceptance rules add (resume mode)
    notes: tuple[str, ...]  # how the start was derived, with articles


def into_office(calendar, wall: float) -> float:
    """An instant moved to office hours: itself if inside them, else the next opening."""
    return float(calendar.to_wall_array(calendar.to_business_array(wall), side="right"))


def describe_into_office(calendar, wall: float, what: str) -> tuple[float, str]:
    """A wall instant moved into office hours, with a note when it moved."""
    moved = into_office(calendar, wall)
    if moved == wall:
        return moved, Text("{what} {at} is within office hours", what=what, at=minutes_to_iso(wall))
    day = int(wall // MINUTES_PER_DAY)
    if wall == day * MINUTES_PER_DAY and not calendar.is_open_day_array(day):
        return (
            moved,
            Text(
                "{what} date {day} is not a working day: deemed at the next opening, {moved}",
                what=what,
                day=minutes_to_iso(wall)[:10],
                moved=minutes_to_iso(moved),
            ),
        )
    return moved, Text(
        "{what} {at} is outside office hours: deemed at the next opening, {moved}",
        what=what,
        at=minutes_to_iso(wall),
        moved=minutes_to_iso(moved),
    )


def resolve_acceptance(
    calendar,
    *,
    accepted: float | None = None,
    received: float | None = None,
    notice: float | None = None,
    resubmitted: float | None = None,
    rule: AcceptanceRule = AcceptanceRule(),
) -> Acceptance:
    """Apply Art. 32 to the dates of one case (wall minutes; None = not given)."""
    if received is None:
        if accepted is None:
            raise SlasimError("a case needs `accepted` or `received`", field="accepted")
        moved, note = describe_into_office(calendar, accepted, Text("acceptance"))
        return Acceptance(moved, (), (note,))
    received_in, note = describe_into_office(calendar, received, Text("receipt"))
    notes = [note]
    received_day = int(received_in // MINUTES_PER_DAY)

    def working_days_after_receipt(wall: float) -> int:
        day = int(into_office(calendar, wall) // MINUTES_PER_DAY)
        return int(calendar.count_working_days_array(received_day, day))

    if notice is not None:
        late_by = working_days_after_receipt(notice)
        if late_by <= rule.notice_within_wd:
            notes.append(
                Text(
                    "supplement notice {at} came {late} working day(s) after receipt (within "
                    "{within}): the clock waits for complete materials ({art})",
                    at=minutes_to_iso(notice),
                    late=late_by,
                    within=rule.notice_within_wd,
                    art=ART32,
                )
            )
            if resubmitted is None:
                notes.append(Text("complete materials not yet received: the clock has not started"))
                return Acceptance(None, (), tuple(notes))
            start, note = describe_into_office(calendar, resubmitted, Text("complete materials"))
            notes.append(note)
            if rule.mode == "restart":
                notes.append(
                    Text("counting restarts from the acceptance of the complete materials")
                )
                return Acceptance(start, (), tuple(notes))
            notes.append(
                Text("counting resumes: the time between notice and complete materials is excluded")
            )
            return Acceptance(
                received_in,
                (Pause(into_office(calendar, notice), start, "supplement", ART32),),
                tuple(notes),
            )
        notes.append(
            Text(
                "supplement notice {at} came {late} working days after receipt, later than "
                "{within}: deemed accepted on receipt ({art}); the late notice does not stop the "
                "clock",
                at=minutes_to_iso(notice),
                late=late_by,
                within=rule.notice_within_wd,
                art=ART32,
            )
        )
        return Acceptance(received_in, (), tuple(notes))
    if accepted is not None:
        late_by = working_days_after_receipt(accepted)
        if late_by > rule.notice_within_wd:
            notes.append(
                Text(
                    "accepted {late} working days after receipt with no supplement notice within "
                    "{within}: deemed accepted on receipt ({art})",
                    late=late_by,
                    within=rule.notice_within_wd,
                    art=ART32,
                )
            )
            return Acceptance(received_in, (), tuple(notes))
        moved, note = describe_into_office(calendar, accepted, Text("acceptance"))
        notes.append(note)
        return Acceptance(moved, (), tuple(notes))
    notes.append(Text("no supplement notice: accepted on receipt ({art})", art=ART32))
    return Acceptance(received_in, (), tuple(notes))
