"""A service's route discovered from its cases: step order, XOR branches, parallel groups, loops.

Each activity has the set of cases it occurs in and a mean position (first occurrence, relative
to the case's length). Over a set of cases, an activity present in at least 95% of them is a step
of the route; the others are grouped by the cases they occur in: an activity whose cases lie
mostly (80%) inside a group's cases joins that group, and groups whose cases barely overlap (under
20% of the smaller) are alternatives of one `branch` whose shares are their case shares (the rest
skips). Each group's own route is discovered again on its cases. Consecutive steps whose
occurrences overlap in time in at least 30% of the cases that have both run in `parallel`.
Repeats of an activity inside a case become a supplement-style loop on its step (see `build`).
Items are ordered by mean position.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
class Stats:
    """Per activity: the cases it occurs in and its mean relative position."""

    cases: dict[str, set[str]] = field(default_factory=dict)
    position: dict[str, float] = field(default_factory=dict)
    spans: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)


def activity_stats(traces: list[Trace]) -> Stats:
    """Case sets, mean first-occurrence positions and first spans of every activity."""
    stats = Stats()
    sums: dict[str, float] = {}
    for trace in traces:
        n = len(trace.activities)
        seen: set[str] = set()
        for k, act in enumerate(trace.activities):
            if act in seen:
                continue
            seen.add(act)
            stats.cases.setdefault(act, set()).add(trace.case)
            sums[act] = sums.get(act, 0.0) + (k / (n - 1) if n > 1 else 0.0)
            stats.spans.setdefault(act, {})[trace.case] = (trace.starts[k], trace.ends[k])
    stats.position = {a: sums[a] / len(stats.cases[a]) for a in stats.cases}
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
    groups: list[tuple[set[str], list[str]]] = []
    for act in optional:
        home = next(
            (g for g in groups if len(present[act] & g[0]) >= JOIN * len(present[act])), None
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
                if all(len(group[0] & g[0]) < EXCLUSIVE * min(len(group[0]), len(g[0])) for g in b)
            ),
            None,
        )
        if target is None:
            blocks.append([group])
        else:
            target.append(group)
    items: list[tuple[float, object]] = [(stats.position[s], s) for s in steps]
    for block in blocks:
        branches = []
        for group_cases, acts in block:
            route = discover(group_cases, acts, stats)
            if route:
                branches.append((len(group_cases) / len(cases), route))
        if branches:
            where = min(stats.position[a] for _, acts in block for a in acts)
            items.append((where, ("branch", branches)))
    items.sort(key=lambda item: item[0])
    return _parallel([item for _, item in items], stats)


def _overlaps(a: str, b: str, stats: Stats) -> bool:
    both = set(stats.spans[a]) & set(stats.spans[b])
    if not both:
        return False
    hits = sum(
        1
        for c in both
        if stats.spans[a][c][0] < stats.spans[b][c][1]
        and stats.spans[b][c][0] < stats.spans[a][c][1]
    )
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
        elif item[0] == "parallel":
            names.extend(item[1])
        else:
            for _, branch in item[1]:
                names.extend(step_names(branch))
    return names
