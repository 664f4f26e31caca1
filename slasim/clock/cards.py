"""Red/yellow-card ladders (电子监察) and their evaluation, vectorized over cases.

A ladder is a list of rungs: level (green < blue < yellow < orange < red), reference limit
(promised | legal), trigger `at` — a share of the limit (`90%`) or an offset from the due instant
(`-1wd`, `+2wd`, `-4wh`) — and scope (`case` or a step name). Shares and offsets are *counted* time:
pauses stretch them like the limit itself. A rung at or past the limit (share ≥ 100 %, offset ≥ 0)
means "past", so it fires strictly after its instant; earlier rungs fire at it. A case's level at
time t is the highest rung fired by min(t, decision); a decided case's cards freeze.
Named ladders are data: `scenarios/card-ladders.yaml`. Its parsed content is kept as JSON in the
user cache folder (the holiday tables' folder), keyed by the file's path, modification time and
size, so a command that only needs a preset does not import PyYAML; an edited file is read again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from slasim.clock.case_clock import ClockBatch
from slasim.clock.limits import Limit, parse_share
from slasim.io.errors import SlasimError, shown
from slasim.io.files import read_text_file, read_yaml
from slasim.io.i18n import N_, Text

LEVELS = (N_("green"), N_("blue"), N_("yellow"), N_("orange"), N_("red"))
REFERENCES = (N_("promised"), N_("legal"))
MAX_SHARE = 100.0  # a rung at most 100 times its limit (10,000%): far past any table


@dataclass(frozen=True)
class Rung:
    """One rung of a card ladder: level, reference limit, offset (share or amount) and scope."""

    level: str
    reference: str = "promised"
    share: float | None = None
    offset: Limit | None = None
    scope: str = "case"

    @property
    def past(self) -> bool:
        """At or beyond the limit: fires strictly after its instant."""
        return (self.share is not None and self.share >= 1.0) or (
            self.offset is not None and self.offset.amount >= 0
        )

    @property
    def rank(self) -> int:
        """The level's rank (green lowest, red highest)."""
        return LEVELS.index(self.level)

    def describe(self) -> str:
        """The rung in words, e.g. `yellow at 90% of promised`."""
        if self.share is not None:
            text = Text(
                "{level} at {share:.0%} of the {reference} limit",
                level=Text(self.level),
                share=self.share,
                reference=Text(self.reference),
            )
        else:
            text = Text(
                "{level} at {offset} from the {reference} limit",
                level=Text(self.level),
                offset=str(self.offset),
                reference=Text(self.reference),
            )
        if self.scope == "case":
            return text
        return Text("{rung} (step {step})", rung=text, step=self.scope)


@dataclass(frozen=True)
class Ladder:
    """A named ladder of rungs, fired in order of their instants."""

    name: str
    rungs: tuple[Rung, ...]
    description: str = ""

    def references(self, scope: str = "case") -> set[str]:
        """The limits (promised, legal or a step name) the rungs of a scope refer to."""
        return {r.reference for r in self.rungs if r.scope == scope}


def parse_rung(data: dict, field: str) -> Rung:
    """One rung from its mapping; errors name the field."""
    if not isinstance(data, dict):
        raise SlasimError("a rung is a mapping with level, reference, at", field=field)
    unknown = set(data) - {"level", "reference", "at", "scope"}
    if unknown:
        raise SlasimError("unknown field", field=f"{field}.{sorted(unknown)[0]}")
    level = data.get("level")
    if level not in LEVELS:
        raise SlasimError(
            "level must be one of {levels}, got {value}",
            field=f"{field}.level",
            levels=", ".join(LEVELS),
            value=repr(level),
        )
    reference = data.get("reference", "promised")
    if reference not in REFERENCES:
        raise SlasimError(
            "reference must be promised or legal, got {value}",
            field=f"{field}.reference",
            value=repr(reference),
        )
    at = data.get("at")
    share = parse_share(at)
    offset = None
    if share is not None and share > MAX_SHARE:
        raise SlasimError(
            "a share of at most {most:.0%}: {value}",
            field=f"{field}.at",
            most=MAX_SHARE,
            value=shown(at),
        )
    if share is None:
        offset = Limit.parse(at, field=f"{field}.at", allow_negative=True)
    return Rung(level, reference, share, offset, str(data.get("scope", "case")))


def parse_ladder(data, *, name: str = "inline", field: str = "cards") -> Ladder:
    """A ladder from data: a preset name, a list of rungs, or a mapping with `rungs`."""
    if isinstance(data, str):
        return preset(data, field=field)
    description = ""
    if isinstance(data, dict):
        description = str(data.get("description", ""))
        data = data.get("rungs")
    if not isinstance(data, list) or not data:
        raise SlasimError(
            "a card ladder is a preset name or a non-empty list of rungs", field=field
        )
    return Ladder(
        name, tuple(parse_rung(r, f"{field}.rungs[{i}]") for i, r in enumerate(data)), description
    )


def preset_file() -> Path:
    """The file of named ladders (`scenarios/card-ladders.yaml`)."""
    from slasim.io.files import shipped_dir

    return shipped_dir("scenarios") / "card-ladders.yaml"


@lru_cache(maxsize=1)
def presets() -> dict[str, Ladder]:
    """The named ladders of the preset file (read once)."""
    data = preset_data(preset_file()) or {}
    return {name: parse_ladder(body, name=name, field=name) for name, body in data.items()}


def preset_data(path: Path):
    """The preset file's parsed content: from the cache when it was made from this very file
    (same path, modification time and size), else read with PyYAML and cached."""
    from slasim.calendar.holiday_cache import _store, cache_dir

    folder = cache_dir()
    try:
        stat = path.stat()
        key = json.dumps([str(path.resolve()), stat.st_mtime_ns, stat.st_size])
    except OSError:  # no file: read_yaml says so, located
        return read_yaml(path)
    cached_path = None
    if folder is not None:
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        cached_path = folder / f"card-ladders-{digest}.json"
        try:
            text = read_text_file(cached_path, max_mb=16) if cached_path.exists() else "null"
            cached = json.loads(text)
            if isinstance(cached, dict) and cached.get("key") == key:
                return cached.get("data")
        except (OSError, ValueError, RecursionError):
            pass  # no cache yet, or a damaged one (a FIFO, not JSON): read the file
    data = read_yaml(path)
    if cached_path is not None:
        try:
            same = json.loads(json.dumps(data)) == data
        except (TypeError, ValueError):
            same = False
        if not same:  # a YAML date, a number as a key: not cached, read each time
            return data
        _store(cached_path, {"key": key, "data": data})
    return data


def preset(name: str, *, field: str = "cards") -> Ladder:
    """A named ladder; an unknown name is a located error listing the known ones."""
    known = presets()
    if name not in known:
        raise SlasimError(
            "unknown card ladder {name} (presets: {known})",
            field=field,
            name=repr(name),
            known=", ".join(known),
        )
    return known[name]


def rung_instants(rung: Rung, clock: ClockBatch) -> np.ndarray:
    """Wall instant of each case at which a rung's trigger is reached (inf: never, e.g. open pause)."""
    due = clock.due()
    finite = np.isfinite(due)
    if rung.offset is not None and rung.offset.amount == 0:
        return due.copy()  # "as soon as the limit is past": the due instant itself
    out = np.full(len(due), np.inf)
    if not finite.any():
        return out
    # Keep the batch (and its cached pause pieces) when every case has a due instant.
    c = clock if finite.all() else clock.take(np.flatnonzero(finite))
    d = due[finite]
    if rung.share is not None:
        target = rung.share * c.counted(c.unit, d, frozen=False)
        out[finite] = c.instant_when_counted(c.unit, target)
    else:
        unit = rung.offset.unit
        target = c.counted(unit, d, frozen=False) + rung.offset.axis_amount
        out[finite] = c.instant_when_counted(unit, target)
    return out


def crossings(ladder: Ladder, clocks: dict[str, ClockBatch]) -> np.ndarray:
    """(n, rungs) wall instants each rung first fires, inf if it never does (decided before)."""
    columns = []
    for rung in ladder.rungs:
        key = rung.reference if rung.scope == "case" else rung.scope
        if key not in clocks:
            message = (
                N_("no limit {key} for rung {rung}")
                if rung.scope == "case"
                else N_("no step {key} for rung {rung}")
            )
            raise SlasimError(message, field="cards", key=repr(key), rung=rung.describe())
        clock = clocks[key]
        try:
            instant = rung_instants(rung, clock)
        except SlasimError as exc:  # a rung so far past the limit that it leaves the table
            raise SlasimError(
                "rung {rung} fires past the table of calendar {name}: {why}",
                field="cards",
                rung=rung.describe(),
                name=repr(clock.calendar.name),
                why=exc.message if isinstance(exc.message, Text) else Text(exc.message),
            ) from None
        fired = instant < clock.stopped if rung.past else instant <= clock.stopped
        columns.append(np.where(fired, instant, np.inf))
    return np.stack(columns, axis=1)


def level_at(ladder: Ladder, cross: np.ndarray, wall) -> np.ndarray:
    """Level index (into LEVELS) of each case at wall instants; green where no rung fired."""
    wall = np.asarray(wall, dtype=np.float64)
    level = np.zeros(cross.shape[0], dtype=np.int64)
    for j, rung in enumerate(ladder.rungs):
        fired = cross[:, j] < wall if rung.past else cross[:, j] <= wall
        level = np.where(fired, np.maximum(level, rung.rank), level)
    return level


def first_reached(ladder: Ladder, cross: np.ndarray) -> dict[str, np.ndarray]:
    """Per level, the earliest instant any rung of that level fired (inf: never)."""
    out: dict[str, np.ndarray] = {}
    for j, rung in enumerate(ladder.rungs):
        current = out.get(rung.level, np.full(cross.shape[0], np.inf))
        out[rung.level] = np.minimum(current, cross[:, j])
    return out
