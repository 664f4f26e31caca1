"""Calendar files (`calendars/*.toml`): lookup, validation and `extends` resolution.

Lookup of a calendar NAME: an explicit path (anything ending in `.toml` or containing a path
separator), then `./calendars/NAME.toml`, then the calendars shipped inside the package. A calendar
may `extend` another: the child's office-hour periods, closed and working days are applied after
the parent's, and scalar settings it gives replace the parent's.

A file is validated by its schema (`calendar_file`, pydantic) when it is read; the resolved
calendar (`CalendarSpec`) is plain data, kept as JSON in the user cache folder (beside the
holidays tables) with the modification time and size of every file of its `extends` chain, and
used from there until one of them changes: a command on an unchanged calendar neither parses
TOML nor imports pydantic for it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from slasim.calendar.units import WEEKDAYS, parse_clock, parse_date
from slasim.io.errors import SlasimError
from slasim.io.files import did_you_mean, read_text_file, shipped_dir

YEARS = (1900, 2200)  # years a calendar's table may cover (a country's table starts 5 earlier)
MAX_EXTENDS = 32  # calendars in one `extends` chain
SPEC_FORMAT = 3  # bumped when the cached spec's layout changes


@dataclass(frozen=True)
class OfficePeriod:
    """Office hours for a date range: `start`/`end` inclusive, `YYYY-MM-DD` or yearly `MM-DD`."""

    start: str
    end: str
    hours: list
    source: str | None = None

    def covers(self, day: dt.date) -> bool:
        """Whether a date falls in this period (yearly `MM-DD` ranges may wrap past New Year)."""
        if len(self.start) == 5:
            key = day.strftime("%m-%d")
            if self.start <= self.end:
                return self.start <= key <= self.end
            return key >= self.start or key <= self.end  # wraps over New Year
        return self.start <= day.isoformat() <= self.end


@dataclass(frozen=True)
class LocalDay:
    """A local closed or working day, with its name and source."""

    date: dt.date
    name: str
    source: str
    name_zh: str | None = None


@dataclass(frozen=True)
class Counting:
    """How limits are counted on this calendar (defaults: 民法典 Art. 201/203)."""

    acceptance_day_counts: bool = False
    working_day_limit_ends: str = "close"
    calendar_day_limit_rolls: bool = True


@dataclass(frozen=True)
class Notice:
    """Provenance of one year: the notice it comes from and, optionally, its transcribed dates."""

    title: str
    reference: str | None = None
    issued: dt.date | None = None
    url: str | None = None
    amended_by: str | None = None
    rest: list = dataclasses.field(default_factory=list)
    work: list = dataclasses.field(default_factory=list)

    def dates(self, which: str) -> list[dt.date]:
        """The notice's rest days (`rest`) or make-up workdays (`work`) as dates."""
        out: list[dt.date] = []
        for item in getattr(self, which):
            first, _, last = item.partition("..")
            a = parse_date(first, field=which)
            b = parse_date(last, field=which) if last else a
            out.extend(a + dt.timedelta(days=i) for i in range((b - a).days + 1))
        return out

    def model_dump(self, mode: str = "json", exclude_none: bool = False, exclude=()) -> dict:
        """The fields as a mapping, as the file model's `model_dump(mode="json")` gave them."""
        return {
            f.name: _plain(getattr(self, f.name))
            for f in fields(self)
            if f.name not in exclude and not (exclude_none and getattr(self, f.name) is None)
        }


@dataclass(frozen=True)
class CalendarSpec:
    """A calendar with its `extends` chain resolved: what `WorkCalendar` is built from. Plain
    data: validated when its files were read, kept in the user cache folder as JSON, and used
    from there while none of its files changes (without importing pydantic)."""

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
    periods: tuple[OfficePeriod, ...]
    counting: Counting
    years: dict[int, Notice]
    closed: tuple[LocalDay, ...]
    working: tuple[LocalDay, ...]
    title_zh: str | None = None  # the title in Chinese (its own, or the parent's with its title)
    # office hours by weekday, ((weekday, ((open, close), ...)), ...), Monday 0, in weekday order
    weekday_hours: tuple = ()
    # hours the office opens on ordinary rest days of a weekend weekday, the same layout
    rest_day_hours: tuple = ()


def _plain(value):
    """A value as JSON holds it (dates as ISO text)."""
    return value.isoformat() if isinstance(value, dt.date) else value


def _date(text):
    return None if text is None else dt.date.fromisoformat(text)


def spec_to_json(spec: CalendarSpec) -> dict:
    """A resolved calendar as JSON data (`spec_from_json` reads it back equal)."""
    return json.loads(json.dumps(asdict(spec), default=_plain))


def _by_weekday(rows) -> tuple:
    """Hours by weekday as `CalendarSpec` holds them, from their JSON lists."""
    return tuple((int(w), tuple(tuple(pair) for pair in hours)) for w, hours in rows)


def spec_from_json(data: dict) -> CalendarSpec:
    """The `CalendarSpec` that `spec_to_json` wrote (a damaged entry raises, and is rebuilt)."""
    return CalendarSpec(
        **{
            **data,
            "weekend": tuple(data["weekend"]),
            "default_hours": tuple(tuple(pair) for pair in data["default_hours"]),
            "periods": tuple(OfficePeriod(**p) for p in data["periods"]),
            "weekday_hours": _by_weekday(data.get("weekday_hours", ())),
            "rest_day_hours": _by_weekday(data.get("rest_day_hours", ())),
            "counting": Counting(**data["counting"]),
            "years": {
                int(year): Notice(**{**n, "issued": _date(n["issued"])})
                for year, n in data["years"].items()
            },
            "closed": tuple(LocalDay(**{**d, "date": _date(d["date"])}) for d in data["closed"]),
            "working": tuple(LocalDay(**{**d, "date": _date(d["date"])}) for d in data["working"]),
        }
    )


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
            raise SlasimError(
                "a calendar is a name or a path to a .toml file, not {value}", value=repr(text)
            )
        path = Path(text) if base is None else Path(base) / text
        if path.exists() and not path.is_file():  # a FIFO would block, a device never end
            raise SlasimError("calendar file is not a regular file: {value}", value=repr(text))
        if not path.is_file():
            raise SlasimError("calendar file not found: {value}", value=repr(text))
        return path.resolve()
    for folder in (Path.cwd() / "calendars", shipped_calendar_dir()):
        candidate = folder / f"{text}.toml"
        if candidate.is_file():
            return candidate.resolve()
    known = list_calendars()
    raise SlasimError(
        "unknown calendar {name}{hint} (known: {known})",
        field="calendar",
        name=repr(text),
        hint=did_you_mean(text, known),
        known=", ".join(known),
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


def read_calendar_file(path: Path):
    """Read and validate one calendar file (TOML) into its `CalendarFile` model; errors name the
    file and field."""
    import tomllib

    from slasim.calendar.calendar_file import CalendarFile
    from slasim.io.schema import validate

    text = read_text_file(path, max_mb=16)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SlasimError("invalid TOML: {why}", source=str(path), why=str(exc)) from None
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
                "{year} is outside the years a calendar may cover ({first}–{last})",
                source=str(path),
                field=field,
                year=year,
                first=YEARS[0],
                last=YEARS[1],
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
    from zoneinfo import ZoneInfo

    if name is None:
        raise SlasimError("missing timezone", source=str(path), field="timezone")
    try:
        ZoneInfo(name)
    except Exception:
        raise SlasimError(
            "unknown time zone {name}", source=str(path), field="timezone", name=repr(name)
        ) from None
    return name


def chain_versions(path: Path) -> tuple:
    """(file, modification time) of a calendar file and of each file it extends, in order (a
    cache key that changes when any of them is edited); read from the cached spec while none
    of the files changed, else from the files (a loop in `extends` stops the walk)."""
    cached = _cached(path)
    if cached is not None:
        return tuple((name, mtime) for name, mtime, _ in cached[0])
    return tuple((str(p), p.stat().st_mtime_ns) for p in _chain_files(path))


def _chain_files(path: Path) -> list[Path]:
    out: list[Path] = []
    while path is not None and path not in out and len(out) <= MAX_EXTENDS:
        out.append(path)
        try:
            parent = read_calendar_file(path).extends
            path = find_calendar(parent, path.parent) if parent else None
        except SlasimError:
            path = None  # resolve_spec reports it, located
    return out


def _stamp(path: Path) -> list:
    info = path.stat()
    return [str(path), info.st_mtime_ns, info.st_size]


def _cache_file(path: Path) -> Path | None:
    import hashlib

    from slasim.calendar.holiday_cache import cache_dir

    folder = cache_dir()
    if folder is None:
        return None
    key = hashlib.sha256(f"{SPEC_FORMAT} {path}".encode()).hexdigest()[:16]
    return folder / f"calendar-{Path(path).stem[:40]}-{key}.json"


def _cached(path: Path) -> tuple[list, CalendarSpec] | None:
    """(chain, spec) from the cache when every file of the chain is as it was, else None."""
    try:
        cache = _cache_file(path)
        if cache is None or not cache.is_file():
            return None
        entry = json.loads(read_text_file(cache, max_mb=16))
        chain = entry["chain"]
        if entry.get("format") != SPEC_FORMAT or chain[0][0] != str(path):
            return None
        if any(_stamp(Path(name)) != [name, mtime, size] for name, mtime, size in chain):
            return None
        return chain, spec_from_json(entry["spec"])
    except (OSError, ValueError, KeyError, TypeError, IndexError, SlasimError, RecursionError):
        return None  # no cache yet, or a damaged one: read the files


def _store(path: Path, chain: list, spec: CalendarSpec) -> None:
    """Keep a resolved spec beside the holidays tables (whole or not at all; a read-only home
    means working without it)."""
    import tempfile

    cache = _cache_file(path)
    if cache is None:
        return
    tmp = None
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache.parent, prefix=f".{cache.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            entry = {"format": SPEC_FORMAT, "chain": chain, "spec": spec_to_json(spec)}
            json.dump(entry, handle, ensure_ascii=False)
        os.replace(tmp, cache)
    except OSError:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def resolve_spec(path: Path) -> CalendarSpec:
    """A calendar file merged over the calendar it extends: from the cache while none of its
    files changed, else read, validated, and cached."""
    path = Path(path)
    cached = _cached(path)
    if cached is not None:
        return cached[1]
    files: list[Path] = []
    spec = _resolve(path, (), files)
    try:
        chain = [_stamp(p) for p in files]
    except OSError:
        return spec
    _store(path, chain, spec)
    return spec


def _resolve(path: Path, _chain: tuple[str, ...], files: list[Path]) -> CalendarSpec:
    """Read a calendar file and merge it over the calendar it extends (each file read is added
    to `files`)."""
    own = read_calendar_file(path)
    files.append(path)
    if len(_chain) >= MAX_EXTENDS:
        raise SlasimError(
            "the `extends` chain is over {most} calendars deep",
            source=str(path),
            field="extends",
            most=MAX_EXTENDS,
        )
    if own.name in _chain:
        raise SlasimError(
            "calendar extends itself through {chain}",
            source=str(path),
            field="extends",
            chain=" -> ".join(_chain),
        )
    parent: CalendarSpec | None = None
    if own.extends:
        try:
            parent_path = find_calendar(own.extends, path.parent)
        except SlasimError as exc:
            raise exc.located(str(path), "extends") from None
        parent = _resolve(parent_path, (*_chain, own.name), files)

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
    weekday_hours = _weekday_hours(own, parent, weekend, path)
    rest_day_hours = _rest_day_hours(own, parent, weekend, path)
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
        weekday_hours=weekday_hours,
        rest_day_hours=rest_day_hours,
        periods=(parent.periods if parent else ())
        + tuple(_as(OfficePeriod, p) for p in own.office_hours.periods),
        counting=_as(Counting, own.counting)
        if own.counting
        else (parent.counting if parent else Counting()),
        years={
            **(parent.years if parent else {}),
            **{year: _as(Notice, n) for year, n in own.years.items()},
        },
        closed=(parent.closed if parent else ()) + tuple(_as(LocalDay, d) for d in own.closed),
        working=(parent.working if parent else ()) + tuple(_as(LocalDay, d) for d in own.working),
        title_zh=own.title_zh
        if own.title
        else (own.title_zh or (parent.title_zh if parent else None)),
    )


def _weekday_hours(own, parent: CalendarSpec | None, weekend: tuple, path: Path) -> tuple:
    """The office hours by weekday: the parent's on the days still worked (a file that rests a
    day drops its inherited hours), each weekday the file names replaced by its own; a weekday
    the file gives hours must be a working weekday (not in `weekend`)."""
    inherited = parent.weekday_hours if parent is not None else ()
    hours = {day: pairs for day, pairs in inherited if day not in weekend}
    for name, pairs in own.office_hours.weekdays.items():
        hours[WEEKDAYS.index(name)] = _hours_minutes(pairs)
    for day in sorted(hours):
        if day in weekend:
            where = f"office_hours.weekdays.{WEEKDAYS[day]}"
            raise SlasimError(
                "{day} has office hours but is in the weekend: a weekday with its own hours is "
                "a working weekday (a make-up working day on a weekend day keeps the default "
                "hours)",
                source=str(path),
                field=where,
                day=WEEKDAYS[day],
            )
    return tuple(sorted(hours.items()))


def _rest_day_hours(own, parent: CalendarSpec | None, weekend: tuple, path: Path) -> tuple:
    """The hours the office opens on ordinary rest days by weekday: the parent's on the days
    still rested (a file that works a day drops them), each weekday the file names replaced by
    its own (`[]`: closed again); a weekday the file gives rest-day hours must be in
    `weekend`."""
    inherited = parent.rest_day_hours if parent is not None else ()
    hours = {day: pairs for day, pairs in inherited if day in weekend}
    for name, pairs in own.office_hours.rest_days.items():
        day = WEEKDAYS.index(name)
        if day not in weekend:
            raise SlasimError(
                "{day} is a working weekday, not in the weekend: its own hours go in "
                "office_hours.weekdays (office_hours.rest_days opens the office on rest days)",
                source=str(path),
                field=f"office_hours.rest_days.{name}",
                day=name,
            )
        if pairs:
            hours[day] = _hours_minutes(pairs)
        else:
            hours.pop(day, None)
    return tuple(sorted(hours.items()))


def _as(cls, model):
    """A file model's values as the plain class of the resolved spec (the same field names)."""
    return cls(**{f.name: getattr(model, f.name) for f in fields(cls)})
