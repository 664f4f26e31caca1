"""Calendar files (`calendars/*.toml`): lookup, validation and `extends` resolution.

Lookup of a calendar NAME: an explicit path (anything ending in `.toml` or containing a path
separator), then `./calendars/NAME.toml`, then the calendars shipped inside the package. A calendar
may `extend` another: the child's office-hour periods, closed and working days are applied after
the parent's, and scalar settings it gives replace the parent's.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator

from slasim.calendar.units import parse_clock, parse_date
from slasim.io.errors import SlasimError
from slasim.io.files import did_you_mean, read_text_file, shipped_dir
from slasim.io.schema import Strict, validate

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
YEARS = (1900, 2200)  # years a calendar's table may cover (a country's table starts 5 earlier)
MAX_EXTENDS = 32  # calendars in one `extends` chain


def _check_hours(hours: list[list[str]]) -> list[list[str]]:
    if not hours:
        raise ValueError("office hours need at least one [open, close) pair")
    previous_close = -1
    for pair in hours:
        if len(pair) != 2:
            raise ValueError("office hours are [open, close] pairs like ['09:00', '12:00']")
        open_m, close_m = (parse_clock(x, field="office_hours") for x in pair)
        if not previous_close <= open_m < close_m:
            raise ValueError(
                f"office hours must be increasing, non-overlapping [open, close) pairs: {pair}"
            )
        previous_close = close_m
    return hours


class HoursPeriod(Strict):
    """Office hours for a date range: `from`/`to` inclusive, `YYYY-MM-DD` or yearly `MM-DD`."""

    start: str = Field(alias="from")
    end: str = Field(alias="to")
    hours: list[list[str]]
    source: str | None = None

    _hours = field_validator("hours")(_check_hours)

    @field_validator("start", "end")
    @classmethod
    def _date_or_month_day(cls, v: str) -> str:
        text = str(v)
        try:
            if len(text) == 5:
                dt.date.fromisoformat(f"2000-{text}")
            else:
                dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"expected YYYY-MM-DD or a yearly MM-DD, got {text!r}") from None
        return text

    def covers(self, day: dt.date) -> bool:
        """Whether a date falls in this period (yearly `MM-DD` ranges may wrap past New Year)."""
        if len(self.start) == 5:
            key = day.strftime("%m-%d")
            if self.start <= self.end:
                return self.start <= key <= self.end
            return key >= self.start or key <= self.end  # wraps over New Year
        return self.start <= day.isoformat() <= self.end


class OfficeHours(Strict):
    """Office hours: `default` [open, close) pairs, and `periods` that override them by date."""

    default: list[list[str]] | None = None
    periods: list[HoursPeriod] = []

    _hours = field_validator("default")(lambda v: v if v is None else _check_hours(v))


class DayOverride(Strict):
    """A local closed or working day, with its name and source."""

    date: dt.date
    name: str
    source: str


class Counting(Strict):
    """How limits are counted on this calendar (defaults: 民法典 Art. 201/203)."""

    acceptance_day_counts: bool = False
    working_day_limit_ends: str = "close"
    calendar_day_limit_rolls: bool = True

    @field_validator("working_day_limit_ends")
    @classmethod
    def _ends(cls, v: str) -> str:
        if v not in ("close", "midnight"):
            raise ValueError("must be 'close' or 'midnight'")
        return v


class YearNotice(Strict):
    """Provenance of one year: the notice it comes from and, optionally, its transcribed dates."""

    title: str
    reference: str | None = None
    issued: dt.date | None = None
    url: str | None = None
    amended_by: str | None = None
    rest: list[str] = []
    work: list[str] = []

    def dates(self, which: str) -> list[dt.date]:
        """The notice's rest days (`rest`) or make-up workdays (`work`) as dates."""
        out: list[dt.date] = []
        for item in getattr(self, which):
            first, _, last = item.partition("..")
            a = parse_date(first, field=which)
            b = parse_date(last, field=which) if last else a
            out.extend(a + dt.timedelta(days=i) for i in range((b - a).days + 1))
        return out


class CalendarFile(Strict):
    """One calendar file as written (`calendars/NAME.toml`), before `extends` is resolved."""

    name: str
    title: str = ""
    extends: str | None = None
    country: str | None = None
    subdivision: str | None = None
    language: str | None = None
    timezone: str | None = None
    weekend: list[str] | None = None
    first_year: int | None = None
    published_through: int | None = None
    last_year: int | None = None
    office_hours: OfficeHours = OfficeHours()
    counting: Counting | None = None
    years: dict[int, YearNotice] = {}
    closed: list[DayOverride] = []
    working: list[DayOverride] = []

    @field_validator("weekend")
    @classmethod
    def _weekend(cls, v):
        if v is not None:
            bad = [d for d in v if d not in WEEKDAYS]
            if bad:
                raise ValueError(f"unknown weekday {bad[0]!r} (use {', '.join(WEEKDAYS)})")
        return v


class CalendarSpec(Strict):
    """A calendar with its `extends` chain resolved: what `WorkCalendar` is built from."""

    name: str
    title: str
    path: str
    country: str | None
    subdivision: str | None
    language: str | None
    timezone: str
    weekend: tuple[int, ...]
    first_year: int
    published_through: int | None
    last_year: int
    default_hours: tuple[tuple[int, int], ...]
    periods: tuple[HoursPeriod, ...]
    counting: Counting
    years: dict[int, YearNotice]
    closed: tuple[DayOverride, ...]
    working: tuple[DayOverride, ...]


def shipped_calendar_dir() -> Path:
    """The folder of the calendars shipped with slasim."""
    return shipped_dir("calendars")


def find_calendar(name_or_path: str, base: Path | None = None) -> Path:
    """The file of a calendar: a path to a `.toml` file (relative ones from `base`, the folder of
    the file that names it, else the working folder), `./calendars/NAME.toml`, or a shipped one.
    Any other path is refused unread: a calendar file is TOML (`/etc/passwd` is not opened)."""
    text = str(name_or_path)
    if is_calendar_path(text):
        if not text.lower().endswith(".toml"):
            raise SlasimError(f"a calendar is a name or a path to a .toml file, not {text!r}")
        path = Path(text) if base is None else Path(base) / text
        if path.exists() and not path.is_file():  # a FIFO would block, a device never end
            raise SlasimError(f"calendar file is not a regular file: {text!r}")
        if not path.is_file():
            raise SlasimError(f"calendar file not found: {text!r}")
        return path.resolve()
    for folder in (Path.cwd() / "calendars", shipped_calendar_dir()):
        candidate = folder / f"{text}.toml"
        if candidate.is_file():
            return candidate.resolve()
    known = list_calendars()
    raise SlasimError(
        f"unknown calendar {text!r}{did_you_mean(text, known)} (known: {', '.join(known)})",
        field="calendar",
    )


def is_calendar_path(text: str) -> bool:
    """Whether a calendar is named by a path (it has a folder or a suffix) rather than a name."""
    return "/" in text or "\\" in text or "." in text


def list_calendars() -> list[str]:
    """Names of the calendars found locally (`./calendars/`) and shipped."""
    names = {p.stem for p in shipped_calendar_dir().glob("*.toml")}
    local = Path.cwd() / "calendars"
    if local.is_dir():
        names |= {p.stem for p in local.glob("*.toml")}
    return sorted(names)


def read_calendar_file(path: Path) -> CalendarFile:
    """Read and validate one calendar file (TOML); errors name the file and field."""
    text = read_text_file(path, max_mb=16)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SlasimError(f"invalid TOML: {exc}", source=str(path)) from None
    except RecursionError:
        raise SlasimError("invalid TOML: nested too deeply", source=str(path)) from None
    try:
        return validate(CalendarFile, data, str(path))
    except RecursionError:
        raise SlasimError("nested too deeply", source=str(path)) from None


def _hours_minutes(hours: list[list[str]]) -> tuple[tuple[int, int], ...]:
    return tuple(
        (parse_clock(a, field="office_hours"), parse_clock(b, field="office_hours"))
        for a, b in hours
    )


def _years(first: int | None, published: int | None, last: int | None, path: Path) -> tuple:
    """(first_year, published_through, last_year) checked: the table runs 10 years past the
    published ones unless `last_year` says otherwise."""
    if first is None:
        raise SlasimError("missing first_year", source=str(path), field="first_year")
    last = last or (published or first) + 10
    for field, year in (("first_year", first), ("last_year", last)):
        if not YEARS[0] <= year <= YEARS[1]:
            raise SlasimError(
                f"{year} is outside the years a calendar may cover ({YEARS[0]}–{YEARS[1]})",
                source=str(path),
                field=field,
            )
    if last < first:
        raise SlasimError("last_year is before first_year", source=str(path), field="last_year")
    if published is not None and not first <= published <= last:
        raise SlasimError(
            "published_through must lie between first_year and last_year",
            source=str(path),
            field="published_through",
        )
    return first, published, last


def _timezone(name: str | None, path: Path) -> str:
    """An IANA time zone name that zoneinfo knows."""
    if name is None:
        raise SlasimError("missing timezone", source=str(path), field="timezone")
    try:
        ZoneInfo(name)
    except Exception:
        raise SlasimError(
            f"unknown time zone {name!r}", source=str(path), field="timezone"
        ) from None
    return name


def chain_versions(path: Path) -> tuple:
    """(file, modification time) of a calendar file and of each file it extends, in order (a
    cache key that changes when any of them is edited); a loop in `extends` stops the walk."""
    out: list = []
    seen: set = set()
    while path is not None and path not in seen and len(out) <= MAX_EXTENDS:
        seen.add(path)
        out.append((str(path), path.stat().st_mtime_ns))
        try:
            parent = read_calendar_file(path).extends
            path = find_calendar(parent) if parent else None
        except SlasimError:
            path = None  # resolve_spec reports it, located
    return tuple(out)


def resolve_spec(path: Path, _chain: tuple[str, ...] = ()) -> CalendarSpec:
    """Read a calendar file and merge it over the calendar it extends."""
    own = read_calendar_file(path)
    if len(_chain) >= MAX_EXTENDS:
        raise SlasimError(
            f"the `extends` chain is over {MAX_EXTENDS} calendars deep",
            source=str(path),
            field="extends",
        )
    if own.name in _chain:
        raise SlasimError(
            f"calendar extends itself through {' -> '.join(_chain)}",
            source=str(path),
            field="extends",
        )
    parent: CalendarSpec | None = None
    if own.extends:
        try:
            parent_path = find_calendar(own.extends, path.parent)
        except SlasimError as exc:
            raise exc.located(str(path), "extends") from None
        parent = resolve_spec(parent_path, (*_chain, own.name))

    def pick(field: str, default=None):
        value = getattr(own, field)
        if value is not None:
            return value
        return getattr(parent, field) if parent is not None else default

    weekend_names = own.weekend if own.weekend is not None else None
    weekend = (
        tuple(WEEKDAYS.index(d) for d in weekend_names)
        if weekend_names is not None
        else (parent.weekend if parent else (5, 6))
    )
    if own.office_hours.default is not None:
        default_hours = _hours_minutes(own.office_hours.default)
    elif parent is not None:
        default_hours = parent.default_hours
    else:
        raise SlasimError(
            "missing office_hours.default", source=str(path), field="office_hours.default"
        )
    first_year, published, last_year = _years(
        pick("first_year"),
        pick("published_through"),
        own.last_year or (parent.last_year if parent else None),
        path,
    )
    timezone = _timezone(pick("timezone"), path)
    return CalendarSpec(
        name=own.name,
        title=own.title or (parent.title if parent else own.name),
        path=str(path),
        country=pick("country"),
        subdivision=pick("subdivision"),
        language=pick("language"),
        timezone=timezone,
        weekend=weekend,
        first_year=first_year,
        published_through=published,
        last_year=last_year,
        default_hours=default_hours,
        periods=(parent.periods if parent else ()) + tuple(own.office_hours.periods),
        counting=own.counting or (parent.counting if parent else Counting()),
        years={**(parent.years if parent else {}), **own.years},
        closed=(parent.closed if parent else ()) + tuple(own.closed),
        working=(parent.working if parent else ()) + tuple(own.working),
    )
