"""A service's route discovered from its cases: step order, XOR branches, parallel groups, loops.

Each activity has the set of cases it occurs in and a mean position (first occurrence, relative
to the case's length). Over a set of cases, an activity present in at least 95% of them is a step
of the route; the others are grouped by the cases they occur in: an activity whose cases lie
mostly (80%) inside a group's cases joins that group, and groups whose cases barely overlap (under
20% of the smaller) are alternatives of one `branch` whose shares are their case shares (the rest
skips); a group or a branch holds only activities between the same two steps (by mean position),
so that an optional early activity (present in 94 % of the cases, before a step every case does)
does not take the later ones into its group and move the step after them all. Each group's own
route is discovered again on its cases. Consecutive steps whose
occurrences overlap in time in at least 30% of the cases that have both run in `parallel`.
Repeats of an activity inside a case become a supplement-style loop on its step (see `build`), or,
with the activities done between its visits, a rework loop (`fit.markov.rework_loops`).
Items are ordered by mean position.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from functools import reduce
from operator import add

import numpy as np

MANDATORY = 0.95
JOIN = 0.8
EXCLUSIVE = 0.2
OVERLAP = 0.3


@dataclass
class Trace:
    """One case: its activities in order of start, with start and end instants."""

    case: str
    activities: list[str]
    starts: list[float]
    ends: list[float]


@dataclass
class Traces:
    """Cases' events one case after another, as flat columns (one row per event, in each case's
    order) and where each case begins: what `activity_stats` and `build` work on at once."""

    cases: list[str]  # per case
    activity: np.ndarray  # per event: the activity's code, an index into `names`
    names: list[str]
    starts: np.ndarray  # per event
    ends: np.ndarray  # per event
    bounds: np.ndarray  # case k's events are rows bounds[k] to bounds[k + 1]

    def __len__(self) -> int:
        return len(self.cases)

    def as_list(self) -> list[Trace]:
        """One `Trace` per case."""
        acts = [self.names[k] for k in self.activity.tolist()]
        starts, ends, bounds = self.starts.tolist(), self.ends.tolist(), self.bounds.tolist()
        return [
            Trace(case, acts[a:b], starts[a:b], ends[a:b])
            for case, a, b in zip(self.cases, bounds[:-1], bounds[1:])
        ]


@dataclass
class Stats:
    """Per activity: the cases it occurs in and its mean relative position."""

    cases: dict[str, set[str]] = field(default_factory=dict)
    position: dict[str, float] = field(default_factory=dict)
    # per activity: the traces it occurs in (their indices, ascending), its first start and end
    spans: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)


def activity_stats(traces: Traces) -> Stats:
    """Case sets, mean first-occurrence positions and first spans of every activity. Worked out
    over all traces at once: the activities in order of first occurrence, each one's cases,
    positions and spans in the order of the traces, its positions summed one after another."""
    stats = Stats()
    lengths = np.diff(traces.bounds)
    code = traces.activity
    trace = np.repeat(np.arange(len(traces)), lengths)
    first = np.sort(np.unique(trace * max(1, len(traces.names)) + code, return_index=True)[1])
    if not len(first):
        return stats
    # rank among the case's distinct activities (repeats left out: a repeated activity's first
    # visit is not early in its case because of its own later visits)
    distinct = np.bincount(trace[first], minlength=len(traces))
    rank = np.arange(len(first)) - np.repeat(np.cumsum(distinct) - distinct, distinct)
    n = distinct[trace[first]]
    share = np.divide(rank, n - 1, out=np.zeros(len(first)), where=n > 1)
    starts, ends = traces.starts, traces.ends
    cases = np.array(traces.cases, dtype=object)[trace[first]]
    order = np.argsort(code[first], kind="stable")
    cuts = np.flatnonzero(np.diff(code[first][order])) + 1
    for part in sorted(np.split(order, cuts), key=lambda p: p[0]):
        rows = first[part]
        act = traces.names[int(code[rows[0]])]
        stats.cases[act] = set(cases[part].tolist())
        stats.spans[act] = (trace[rows], starts[rows], ends[rows])
        stats.position[act] = reduce(add, share[part].tolist(), 0.0) / len(part)
    return stats


def discover(cases: set[str], activities: list[str], stats: Stats) -> list:
    """Route items over `cases`: step names (str), ("parallel", [names]) and
    ("branch", [(share, route), ...]) tuples, in order of mean position."""
    if not cases:
        return []
    present = {a: stats.cases[a] & cases for a in activities}
    present = {a: c for a, c in present.items() if c}
    steps = [a for a, c in present.items() if len(c) >= MANDATORY * len(cases)]
    optional = sorted(
        (a for a in present if a not in steps), key=lambda a: (-len(present[a]), stats.position[a])
    )
    # the stretch between two steps an optional activity lies in (by mean position): a group or
    # a branch never spans a step, or the step would be taken out of its place
    marks = sorted(stats.position[s] for s in steps)
    stretch = {a: bisect.bisect_right(marks, stats.position[a]) for a in optional}
    groups: list[tuple[set[str], list[str]]] = []
    for act in optional:
        home = next(
            (
                g
                for g in groups
                if stretch[g[1][0]] == stretch[act]
                and len(present[act] & g[0]) >= JOIN * len(present[act])
            ),
            None,
        )
        if home is None:
            groups.append((set(present[act]), [act]))
        else:
            home[1].append(act)
    blocks: list[list[tuple[set[str], list[str]]]] = []  # alternatives that exclude each other
    for group in groups:
        target = next(
            (
                b
                for b in blocks
                if stretch[b[0][1][0]] == stretch[group[1][0]]
                and all(len(group[0] & g[0]) < EXCLUSIVE * min(len(group[0]), len(g[0])) for g in b)
            ),
            None,
        )
        if target is None:
            blocks.append([group])
        else:
            target.append(group)
    # each step at its place among the steps, each branch in its stretch between two of them: a
    # branch's case-weighted position can round just below a step it ties with
    place = {s: 2 * k + 1 for k, s in enumerate(sorted(steps, key=lambda s: stats.position[s]))}
    items: list[tuple[int, float, object]] = [(place[s], stats.position[s], s) for s in steps]
    for block in blocks:
        branches = []
        for group_cases, acts in block:
            route = discover(group_cases, acts, stats)
            if route:
                branches.append((len(group_cases) / len(cases), route))
        if branches:
            # each alternative at its earliest activity, weighted by its cases
            where = sum(len(c) * min(stats.position[a] for a in acts) for c, acts in block) / sum(
                len(c) for c, _ in block
            )
            items.append((2 * stretch[block[0][1][0]], where, ("branch", branches)))
    items.sort(key=lambda item: item[:2])
    return _parallel([item for *_, item in items], stats)


def _overlaps(a: str, b: str, stats: Stats) -> bool:
    (cases_a, starts_a, ends_a), (cases_b, starts_b, ends_b) = stats.spans[a], stats.spans[b]
    both, at_a, at_b = np.intersect1d(cases_a, cases_b, assume_unique=True, return_indices=True)
    if not len(both):
        return False
    hits = int(np.sum((starts_a[at_a] < ends_b[at_b]) & (starts_b[at_b] < ends_a[at_a])))
    return hits >= OVERLAP * len(both)


def _parallel(items: list, stats: Stats) -> list:
    """Runs of consecutive steps that overlap in time, as parallel groups."""
    out: list = []
    for item in items:
        previous = out[-1] if out else None
        if isinstance(item, str) and previous is not None:
            group = (
                previous[1] if isinstance(previous, tuple) and previous[0] == "parallel" else None
            )
            members = (
                group if group is not None else [previous] if isinstance(previous, str) else []
            )
            if members and all(_overlaps(item, m, stats) for m in members):
                out[-1] = ("parallel", [*members, item])
                continue
        out.append(item)
    return out


def step_names(route: list) -> list[str]:
    """Every activity a discovered route uses, depth first."""
    names = []
    for item in route:
        if isinstance(item, str):
            names.append(item)
        elif item[0] in ("parallel", "loop"):  # a loop: `fit.markov.rework_loops`
            names.extend(item[1])
        else:
            for _, branch in item[1]:
                names.extend(step_names(branch))
    return names
