"""A country's public holidays and make-up workdays from the `holidays` package, cached on disk.

Importing `holidays` and building one country's table costs a command most of its start-up (the
package registers ~280 countries). The table depends only on the country, subdivision, language,
years and the package's version, so it is kept as JSON in the user cache folder under a key made
of all five, and rebuilt when any changes. The folder is `$SLASIM_CACHE_DIR`, else
`$XDG_CACHE_HOME/slasim`, else `~/.cache/slasim`; a cache that cannot be read or written is
simply not used (the table is built as before), and a cache file is written whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

from slasim.io.errors import SlasimError
from slasim.io.files import read_text_file

FORMAT = 3  # bumped when the cached layout or names change (3: the languages the table has)


def cache_dir() -> Path | None:
    """Where cached tables live (not created until a table is written); None when the process
    has no home folder to put them in (then nothing is cached)."""
    explicit = os.environ.get("SLASIM_CACHE_DIR")
    if explicit:
        return Path(explicit)
    try:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    except RuntimeError:  # no $HOME and no password entry
        return None
    return Path(base) / "slasim"


def holidays_version() -> str:
    """The installed `holidays` version, without importing it: from the name of the one
    `holidays-VERSION.dist-info` folder beside the package (what an installer writes), else from
    its metadata (`importlib.metadata`, which costs a short command more than the lookup)."""
    import importlib.util

    spec = importlib.util.find_spec("holidays")
    if spec is not None and spec.origin:
        site = Path(spec.origin).parent.parent
        try:
            found = [
                entry.name[len("holidays-") : -len(".dist-info")]
                for entry in os.scandir(site)
                if entry.name.startswith("holidays-") and entry.name.endswith(".dist-info")
            ]
        except OSError:
            found = []
        if len(found) == 1:
            return found[0]
    from importlib import metadata

    try:
        return metadata.version("holidays")
    except metadata.PackageNotFoundError:  # pragma: no cover - a dependency
        return "unknown"


def country_table(
    country: str, subdivision: str | None, language: str | None, years: range, source: str
) -> dict:
    """{"holidays": [[iso date, name], ...], "makeup": [iso date, ...], "source": text} for the
    years, from the cache when it holds this exact table, else built from `holidays`."""
    version = holidays_version()
    key = json.dumps(
        [FORMAT, country, subdivision, language, years.start, years.stop, version]
    ).encode()
    folder = cache_dir()
    name = f"holidays-{country}-{hashlib.sha256(key).hexdigest()[:16]}.json"
    path = None if folder is None else folder / name
    try:
        cached = json.loads(read_text_file(path, max_mb=16)) if path and path.exists() else None
        if _valid(cached) and cached.get("key") == key.decode():
            return cached
    except (OSError, ValueError, RecursionError):
        pass  # no cache yet, or a damaged one (a FIFO, not JSON, wrong shape): build the table
    table = _build(country, subdivision, language, years, version, source)
    table["key"] = key.decode()
    if path is not None:
        _store(path, table)
    return table


def names_in(
    country: str, subdivision: str | None, language: str | None, years: range, source: str, target
) -> dict[str, str]:
    """{name in `language`: the same holiday's name in `target`} (paired by date), for showing
    a calendar's holiday names in another language (`zh_CN`); empty when `holidays` has no
    such language for the country (it would fall back to the country's own)."""
    ours = country_table(country, subdivision, language, years, source)
    theirs = country_table(country, subdivision, target, years, source)
    if target not in theirs.get("languages", ()):
        return {}
    by_day = dict(theirs["holidays"])
    return {name: by_day[day] for day, name in ours["holidays"] if day in by_day}


def _valid(table) -> bool:
    """Whether a cached table has the shape `_build` writes, every date an ISO date."""
    if not isinstance(table, dict) or not isinstance(table.get("source"), str):
        return False
    pairs, makeup = table.get("holidays"), table.get("makeup")
    if not isinstance(pairs, list) or not isinstance(makeup, list):
        return False
    try:
        for pair in pairs:
            day, name = pair
            dt.date.fromisoformat(day)
            if not isinstance(name, str):
                return False
        for day in makeup:
            dt.date.fromisoformat(day)
    except (TypeError, ValueError):
        return False
    return True


def _build(country, subdivision, language, years, version, source) -> dict:
    import holidays

    try:
        table = holidays.country_holidays(
            country, subdiv=subdivision, years=years, language=language
        )
    except NotImplementedError as exc:
        if f"Country {country} not available" in str(exc):  # holidays' own wording
            raise SlasimError(
                "Country {code} not available", source=source, field="country", code=country
            ) from None
        raise SlasimError(str(exc), source=source, field="country") from None
    local_format = getattr(table, "substituted_date_format", None)
    if local_format:  # the language's format of a date inside a name: en_US writes 09/28/2025
        local_format = table.tr(local_format)
    return {
        "holidays": sorted(
            [day.isoformat(), iso_dates(name, local_format)] for day, name in table.items()
        ),
        "makeup": sorted(day.isoformat() for day in getattr(table, "weekend_workdays", ())),
        "source": f"holidays {version} ({country})",
        "languages": list(getattr(table, "supported_languages", ())),
    }


def iso_dates(name: str, local_format: str | None) -> str:
    """A holiday name with the dates `holidays` wrote in it in the language's format ("Day off
    (substituted from 09/28/2025)") written as ISO dates ("… from 2025-09-28"), as slasim writes
    every date."""
    if not local_format or local_format == "%Y-%m-%d":
        return name

    def iso(match: re.Match) -> str:
        try:
            return dt.datetime.strptime(match.group(0), local_format).date().isoformat()
        except ValueError:
            return match.group(0)

    return re.sub(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}", iso, name)


def _store(path: Path, table: dict) -> None:
    """Write the table beside its final name and rename it in (concurrent writers are fine); a
    read-only home or a full disk means working without the cache."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(table, handle, ensure_ascii=False)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
