"""A case's legal clock, vectorized over cases: counting start, typed pauses, extensions, stop.

All instants are wall minutes (see `timeconv`). A batch holds n cases whose limit has one unit;
pauses are an (n, m, 2) array of half-open wall intervals `[from, to)` (NaN rows = no pause,
`to = inf` = still open). Intervals may overlap: excluded time is their union, counted once.

The due instant is the moment counted (unpaused) time reaches the limit: a pause beginning at or
after that moment does not move it (行政许可法 Art. 45 excludes special-procedure time; Art. 42
extensions add to the limit). Scalar use is a batch of one (`Clock`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from slasim.clock.limits import Limit, counting_start, end_instant, position, wall_at


def merge_intervals(
    starts: np.ndarray, ends: np.ndarray, floor: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Union of per-row intervals as disjoint, sorted pieces (start, length), clipped below at `floor`.

    Rows are cases; NaN starts are padding. Uses the sorted-by-start running-maximum trick."""
    starts = np.where(np.isnan(starts), np.inf, starts)
    order = np.argsort(starts, axis=1, kind="stable")
    a = np.take_along_axis(starts, order, axis=1)
    b = np.take_along_axis(np.where(np.isnan(ends), -np.inf, ends), order, axis=1)
    reach = np.maximum.accumulate(np.maximum(b, floor[:, None]), axis=1)
    previous = np.concatenate([floor[:, None], reach[:, :-1]], axis=1)
    piece_start = np.maximum(a, previous)
    with np.errstate(invalid="ignore"):  # inf - inf in padding and open pauses: NaN, zeroed below
        length = np.where(np.isfinite(a), np.maximum(b - piece_start, 0.0), 0.0)
    length = np.where(np.isnan(length), 0.0, length)
    return np.where(np.isfinite(a), piece_start, np.inf), length


def reach_position(
    start: np.ndarray, counted: np.ndarray, piece_start: np.ndarray, piece_len: np.ndarray
) -> np.ndarray:
    """Axis position at which counted time (from `start`, skipping pieces) reaches `counted`."""
    target = start + np.maximum(counted, 0.0)
    for j in range(piece_start.shape[1]):
        target = target + np.where(piece_start[:, j] < target, piece_len[:, j], 0.0)
    return target


def counted_until(
    start: np.ndarray, pos: np.ndarray, piece_start: np.ndarray, piece_len: np.ndarray
) -> np.ndarray:
    """Counted time from `start` to `pos`, less the pieces' overlap with that span."""
    span = np.maximum(pos - start, 0.0)
    lo = np.maximum(piece_start, start[:, None])
    hi = np.minimum(piece_start + piece_len, pos[:, None])
    overlap = np.where(np.isfinite(piece_start), np.clip(hi - lo, 0.0, None), 0.0)
    return span - overlap.sum(axis=1)


@dataclass
class ClockBatch:
    """n cases whose limit has one unit. Arrays are aligned per case."""

    calendar: object
    unit: str
    accepted: np.ndarray  # wall minutes, already inside office hours
    limit: np.ndarray  # amount on the unit's axis (working days, business minutes, days)
    extension: np.ndarray | None = None  # total extension on the same axis
    pauses: np.ndarray | None = None  # (n, m, 2) wall minutes
    stopped: np.ndarray | None = None  # wall minutes of the decision, inf while open
    _pieces: dict = field(default_factory=dict, repr=False)
    _due: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self):
        n = len(self.accepted)
        self.accepted = np.asarray(self.accepted, dtype=np.float64)
        self.limit = np.asarray(self.limit, dtype=np.float64)
        self.extension = (
            np.zeros(n) if self.extension is None else np.asarray(self.extension, dtype=np.float64)
        )
        self.pauses = (
            np.full((n, 0, 2), np.nan)
            if self.pauses is None
            else np.asarray(self.pauses, dtype=np.float64)
        )
        self.stopped = (
            np.full(n, np.inf)
            if self.stopped is None
            else np.asarray(self.stopped, dtype=np.float64)
        )
        self.start = counting_start(self.calendar, self.unit, self.accepted)
        self.total = self.limit + self.extension

    def pieces(self, unit: str) -> tuple[np.ndarray, np.ndarray]:
        """Pauses on a unit's axis, merged (cached per unit)."""
        if unit not in self._pieces and not self.pauses.shape[1]:  # no pause: no piece
            empty = np.zeros((len(self.accepted), 0))
            self._pieces[unit] = empty, empty
        if unit not in self._pieces:
            a, b = self.pauses[..., 0], self.pauses[..., 1]
            filler = np.broadcast_to(
                self.accepted[:, None], a.shape
            )  # any in-table instant for padding
            pa = np.where(np.isnan(a), np.nan, self._pos(unit, np.where(np.isnan(a), filler, a)))
            pb = np.where(np.isinf(b), np.inf, self._pos(unit, np.where(np.isfinite(b), b, filler)))
            pb = np.where(np.isnan(a), np.nan, pb)
            self._pieces[unit] = merge_intervals(pa, pb, self._start(unit))
        return self._pieces[unit]

    def _pos(self, unit: str, wall: np.ndarray) -> np.ndarray:
        return position(self.calendar, unit, wall)

    def _start(self, unit: str) -> np.ndarray:
        return self.start if unit == self.unit else self._pos(unit, self.accepted)

    def due(self) -> np.ndarray:
        """Wall minutes at which the (extended) limit expires; inf while an open pause holds it.
        Computed once per batch (cards and checks ask for it repeatedly); callers must not mutate it."""
        if self._due is None:
            end = reach_position(self.start, self.total, *self.pieces(self.unit))
            out = np.full(len(end), np.inf)
            finite = np.isfinite(end)
            out[finite] = end_instant(self.calendar, self.unit, end[finite])
            self._due = out
        return self._due

    def counted(self, unit: str, wall: np.ndarray, *, frozen: bool = True) -> np.ndarray:
        """Counted time on a unit's axis from the start to wall instants (frozen at the stop)."""
        wall = np.broadcast_to(np.asarray(wall, dtype=np.float64), self.accepted.shape)
        if frozen:
            wall = np.minimum(wall, self.stopped)
        start = self._start(unit)
        pos = self._pos(unit, np.maximum(wall, self.accepted))
        return np.maximum(counted_until(start, pos, *self.pieces(unit)), 0.0)

    def elapsed(self, wall) -> np.ndarray:
        """Counted time on the limit's axis from the start to wall instants."""
        return self.counted(self.unit, wall)

    def remaining(self, wall) -> np.ndarray:
        """Limit (with extension) less counted time at wall instants."""
        return self.total - self.elapsed(wall)

    def instant_when_counted(self, unit: str, counted: np.ndarray) -> np.ndarray:
        """Earliest wall instant at which counted time on a unit's axis reaches `counted`."""
        end = reach_position(self._start(unit), counted, *self.pieces(unit))
        out = np.full(len(end), np.inf)
        finite = np.isfinite(end)
        out[finite] = wall_at(self.calendar, unit, end[finite])
        return np.maximum(out, self.accepted)

    def take(self, index) -> ClockBatch:
        """The cases at `index` (repeats allowed), e.g. one case evaluated at many instants."""
        return ClockBatch(
            self.calendar,
            self.unit,
            self.accepted[index],
            self.limit[index],
            self.extension[index],
            self.pauses[index],
            self.stopped[index],
        )

    def state(self, i: int, wall: float) -> str:
        """Case i at a wall instant: pending, stopped, paused, overdue or running."""
        if not wall >= self.accepted[i]:  # NaN: not accepted
            return "pending"
        if wall >= self.stopped[i]:
            return "stopped"
        if self.take(np.array([i])).paused_at(np.array([wall]))[0]:
            return "paused"
        return "overdue" if wall > self.due()[i] else "running"

    def paused_at(self, wall) -> np.ndarray:
        """Whether each case's clock is paused at a wall instant."""
        wall = np.asarray(wall, dtype=np.float64)
        wall = (
            wall[..., None] if wall.ndim else wall
        )  # one instant per case, against each pause slot
        a, b = self.pauses[..., 0], self.pauses[..., 1]
        with np.errstate(invalid="ignore"):
            return ((a <= wall) & (wall < b)).any(axis=-1)


@dataclass(frozen=True)
class Pause:
    """A clock stop `[start, end)` in wall minutes (end = inf while open)."""

    start: float
    end: float
    kind: str = "special_procedure"
    detail: str = ""


class Clock:
    """One case's clock: the scalar face of `ClockBatch`."""

    def __init__(
        self,
        calendar,
        accepted: float,
        limit: Limit,
        *,
        extensions: float = 0.0,
        pauses: list[Pause] = (),
        stopped: float = np.inf,
    ):
        self.calendar = calendar
        self.limit = limit
        self.pause_list = list(pauses)
        rows = np.array([[(p.start, p.end) for p in self.pause_list]], dtype=np.float64).reshape(
            1, -1, 2
        )
        self.batch = ClockBatch(
            calendar,
            limit.unit,
            np.array([accepted]),
            np.array([limit.axis_amount]),
            np.array([extensions]),
            rows,
            np.array([stopped]),
        )

    @property
    def start_position(self) -> float:
        """Axis position at which counting starts."""
        return float(self.batch.start[0])

    def due(self) -> float:
        """Wall minutes at which the limit expires (inf while an open pause holds it)."""
        return float(self.batch.due()[0])

    def elapsed(self, wall: float) -> float:
        """Counted time on the limit's axis at a wall instant."""
        return float(self.batch.elapsed(np.array([wall]))[0])

    def remaining(self, wall: float) -> float:
        """Time left on the limit's axis at a wall instant."""
        return float(self.batch.remaining(np.array([wall]))[0])

    def counted_at(self, unit: str, walls) -> np.ndarray:
        """Counted time on a unit's axis at many instants of this one case."""
        walls = np.asarray(walls, dtype=np.float64)
        return self.batch.take(np.zeros(len(walls), dtype=np.int64)).counted(unit, walls)

    def state(self, wall: float) -> str:
        """pending, stopped, `paused (kind)`, overdue or running at a wall instant."""
        state = self.batch.state(0, wall)
        if state == "paused":
            kind = next(p.kind for p in self.pause_list if p.start <= wall < p.end)
            return f"paused ({kind})"
        return state
