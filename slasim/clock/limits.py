"""Time-limit values (`20wd`, `4wh`, `30d`, offsets `-1wd`, shares `90%`) and the axes they count on.

Counting conventions (defaults; each is a per-calendar setting under `[counting]`):
  - 行政许可法 Art. 82: periods in the Licensing Law are working days, statutory holidays excluded;
    a working day is Mon–Fri minus State Council holidays plus its make-up workdays (调休).
  - 民法典 Art. 201: the start day is not counted; day 1 is the first working day after acceptance.
  - 民法典 Art. 203: a period whose last day is a statutory rest day ends on the first day after it;
    the last day ends at 24:00, or when business hours apply, at their close.
  - A receipt outside office hours is deemed made at the next opening (business-time axis).
  - An hour limit (`4wh`) counts office minutes only, from the acceptance instant.
  - A rest day the office opens (`office_hours.rest_days`, a Saturday service) is office time but
    not a working day: no limit in `wd` or `wh` counts it, and an acceptance there is on a day
    not counted (Art. 201), so day 1 is the next working day.

Each unit counts on its own axis of positions, so a pause or extension adds in the limit's own unit:
  `wd` → working-day positions (k + fraction of day k's office minutes), `wh` → business minutes
  (less those of open rest days: `WorkCalendar.to_working_minutes`),
  `d` → natural days (wall minutes / 1440).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from slasim.calendar.units import MINUTES_PER_DAY
from slasim.io.errors import SlasimError, shown
from slasim.io.i18n import N_, Text

UNITS = {"wd": N_("working days"), "wh": N_("working hours"), "d": N_("natural days")}
MAX_AMOUNT = 1_000_000  # in any unit: far past every calendar's table, short of float trouble
_LIMIT = re.compile(r"^\s*([+-]?[0-9]+(?:\.[0-9]+)?)\s*(wd|wh|d)\s*$")  # ASCII digits only
_PARSED: dict = {}  # (text, allow_negative) → Limit: files repeat a few limit texts


@dataclass(frozen=True)
class Limit:
    """An amount of time in one unit: `wd`, `wh` or `d` (amount may be negative for offsets)."""

    amount: float
    unit: str

    @classmethod
    def parse(cls, text, *, field: str = "limit", allow_negative: bool = False) -> Limit:
        """A limit from text (`20wd`, `4wh`, `30d`); offsets may be negative when allowed."""
        if isinstance(text, Limit):
            return text
        known = _PARSED.get((text, allow_negative)) if isinstance(text, str) else None
        if known is not None:  # files repeat a few limit texts thousands of times
            return known
        match = _LIMIT.match(str(text).lower())  # "20 WD" as the documents write it
        if not match:
            raise SlasimError(
                "not a time limit (expected e.g. 20wd, 4wh, 30d): {value}",
                field=field,
                value=repr(text),
            )
        amount = float(match.group(1))
        if abs(amount) > MAX_AMOUNT:
            raise SlasimError(
                "a time limit of at most {most:,} {unit}: {value}",
                field=field,
                most=MAX_AMOUNT,
                unit=Text(UNITS[match.group(2)]),
                value=shown(text),
            )
        if amount < 0 and not allow_negative:
            raise SlasimError(
                "a time limit cannot be negative: {value}", field=field, value=repr(text)
            )
        if match.group(2) != "wh" and amount != int(amount) and not allow_negative:
            raise SlasimError("day limits are whole days: {value}", field=field, value=repr(text))
        limit = cls(amount, match.group(2))
        if isinstance(text, str) and len(_PARSED) < 4096:
            _PARSED[(text, allow_negative)] = limit
        return limit

    @property
    def axis_amount(self) -> float:
        """The amount in the unit's axis: working days, business minutes or natural days."""
        return self.amount * 60.0 if self.unit == "wh" else self.amount

    def __str__(self) -> str:
        amount = int(self.amount) if self.amount == int(self.amount) else self.amount
        return f"{amount}{self.unit}"

    def describe(self) -> str:
        """The amount in words, e.g. `20 working days`."""
        return Text("{amount} {unit}", amount=f"{abs(self.amount):g}", unit=Text(UNITS[self.unit]))


def parse_share(text) -> float | None:
    """`90%` → 0.9; anything else → None."""
    match = re.match(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$", str(text))
    return float(match.group(1)) / 100.0 if match else None


def position(calendar, unit: str, wall_minutes) -> np.ndarray:
    """Positions on a unit's axis of wall instants (outside office hours: the next opening)."""
    if unit == "d":
        return np.asarray(wall_minutes, dtype=np.float64) / MINUTES_PER_DAY
    business = calendar.to_business_array(wall_minutes)
    if unit == "wh":
        return calendar.to_working_minutes(business)
    return calendar.business_to_day_position(business)


def wall_at(calendar, unit: str, pos, *, side: str = "left") -> np.ndarray:
    """Wall instants at axis positions (`left`: the earliest, e.g. a close rather than the next opening)."""
    if unit == "d":
        return np.asarray(pos, dtype=np.float64) * MINUTES_PER_DAY
    if unit == "wh":
        business = calendar.from_working_minutes(pos, side=side)
    else:
        business = calendar.day_position_to_business(pos, side=side)
    return calendar.to_wall_array(business, side=side)


def counting_start(calendar, unit: str, accepted_minutes) -> np.ndarray:
    """Axis position where counting begins for an acceptance instant (already moved into office hours).

    Day limits start at the beginning of the day after acceptance (Art. 201); hour limits at once."""
    accepted_minutes = np.asarray(accepted_minutes, dtype=np.float64)
    if unit == "wh":
        return position(calendar, unit, accepted_minutes)
    counts_today = calendar.counting.acceptance_day_counts
    if unit == "d":
        return np.floor(accepted_minutes / MINUTES_PER_DAY) + (0 if counts_today else 1)
    # floor(position(...)), looked up from the calendar's table (`WorkCalendar.working_day_floor`).
    start = calendar.working_day_floor(accepted_minutes) + (0 if counts_today else 1)
    if calendar.rest_days_open and not counts_today:  # accepted on a rest day: the next one counts
        start = start - calendar.opens_on_rest_day(accepted_minutes)
    return start


def end_instant(calendar, unit: str, end_pos) -> np.ndarray:
    """Wall instant at which a limit ending at axis position `end_pos` expires.

    Working days: close of office hours of the last day (or midnight). Natural days: the last day
    rolls to the next working day if it is a rest day (Art. 203), and ends at its close."""
    end_pos = np.asarray(end_pos, dtype=np.float64)
    ends_at_midnight = calendar.counting.working_day_limit_ends == "midnight"
    if unit == "wh":
        return wall_at(calendar, unit, end_pos)
    if unit == "wd":
        close = calendar.close_of_position(end_pos)  # `wall_at`, a table lookup for whole days
        if not ends_at_midnight:
            return close
        whole = end_pos == np.floor(end_pos)
        return np.where(whole, (np.floor(close / MINUTES_PER_DAY) + 1) * MINUTES_PER_DAY, close)
    last_day = np.ceil(end_pos).astype(np.int64) - 1
    if calendar.counting.calendar_day_limit_rolls:
        last_day = calendar.next_working_day_array(last_day)
    if ends_at_midnight or not calendar.counting.calendar_day_limit_rolls:
        return (last_day + 1.0) * MINUTES_PER_DAY
    working = calendar.is_working_day_array(last_day)
    k = calendar.working_days_before(last_day)
    close = calendar.close_of_position(k + working)  # the close of the last day when it works
    return np.where(working, close, (last_day + 1.0) * MINUTES_PER_DAY)


def last_counted_day(due_minutes) -> np.ndarray:
    """Epoch day of the last counted day of limits expiring at wall instants. An expiry at 24:00
    (midnight, or the close of a 24-hour office) belongs to the day before: a limit ending at
    midnight on the 5th is due on the 5th, not the 6th. The one rule for `deadline`, `check` and
    `--explain`. Days as floats: an infinite or NaN instant stays so."""
    due = np.asarray(due_minutes, dtype=np.float64)
    day = np.floor(due / MINUTES_PER_DAY)
    return day - (np.isfinite(due) & (due == day * MINUTES_PER_DAY))


def canonical_limit(text) -> str:
    """A limit text in its one spelling (`20 WD` → `20wd`), computed once per distinct text."""
    known = _CANONICAL.get(text) if isinstance(text, str) else None
    if known is None:
        known = str(Limit.parse(text))
        if isinstance(text, str) and len(_CANONICAL) < 4096:
            _CANONICAL[text] = known
    return known


_CANONICAL: dict[str, str] = {}


@lru_cache(maxsize=4096)
def _pair_problem(promised_text: str, legal_text: str) -> str:
    """Why a promised limit cannot go with a legal one ('' if it can), once per pair of texts."""
    promised, legal = Limit.parse(promised_text), Limit.parse(legal_text)
    if promised.unit == legal.unit and promised.amount > legal.amount:
        return Text(
            "the promised limit ({promised}) exceeds the legal one ({legal})",
            promised=str(promised),
            legal=str(legal),
        )
    return ""
