"""The queue path: a replication computed without SimPy when every desk is a plain first-come-first-
served queue serving one step (no supplement loop, special procedure or 告知承诺, no desk after an
elapsed wait inside a parallel branch).

A c-server FCFS desk needs no event list: taken in arrival order, each case starts at the later of its
arrival and the earliest instant a server is free (Kiefer–Wolfowitz; Lindley's recursion for one
server). Dated staff changes add servers to that heap or take them out, as the SimPy engine's absences
do. Cases travel a route as rows of one float array ("tokens": number, receipt, the instant they reach
the current item, acceptance, their draws and step spans), a batch of consecutive receipts at a time.
A desk serves the arrivals before the watermark — the next batch's first receipt, which no later
arrival anywhere on the route can precede — in order of instant (simultaneous ones in SimPy's order:
by when their events were scheduled, then case number), and holds the rest, so memory follows the
cases in the centre. Parallel branches join at the latest branch; a branch point takes the case's own
draw. Draws, grading and the window arithmetic are the SimPy engine's, so the two engines give the
same results (tests/test_fcfs.py; README: simultaneous events with whole-minute work times).
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, deque
from collections.abc import Sequence

import numpy as np

from slasim.io.i18n import Text
from slasim.scenario.plan import (
    ChoicePlan,
    DepartmentPlan,
    MarkovPlan,
    ParallelPlan,
    Plan,
    ServicePlan,
    StepPlan,
)
from slasim.sim.arrivals import receipts
from slasim.sim.draws import ServiceDraws
from slasim.sim.grading import Cases, Grader
from slasim.sim.metrics import DeskTally, StepTally, TimeAverage

BATCH = 8192  # receipts moved through the route at a time
# The fixed token columns. SCHEDULED: when the event that brought the case to TIME was scheduled
# (a desk's start, a delay's entry): SimPy fires simultaneous events in that order, and so do desks
# here.
NUMBER, RECEIVED, TIME, SCHEDULED, ACCEPTED, COUNT = range(6)


def unsupported(plan: Plan) -> str | None:
    """Why the queue path cannot compute this plan (None: it can)."""
    if plan.scenario.engine == "simpy":
        return Text("the scenario asks for engine: simpy")
    uses = Counter(st.department for st in plan.steps if st.department is not None)
    for st in plan.steps:
        if st.supplement is not None or st.special is not None:
            return Text(
                "step {step} has a supplement loop or special procedure",
                step=f"{st.service}/{st.name}",
            )
        if st.batch is not None:
            # Its cases leave together: their order at the next desk is SimPy's order of events
            # scheduled at different instants for one instant, which the queue path does not keep.
            return Text("step {step} releases its cases in batches", step=f"{st.service}/{st.name}")
    for dept in plan.departments:
        if uses[dept.index] > 1:
            return Text("department {name} serves more than one step", name=repr(dept.name))
    for service in plan.services:
        if service.spec.commitment:
            return Text("service {name} decides on commitment (告知承诺)", name=repr(service.name))
        if any(isinstance(item, MarkovPlan) for item in walk_items(service.route)):
            # A case's steps repeat in an order drawn as it goes: no fixed chain of desks to push
            # arrays of cases through.
            return Text(
                "service {name} has a Markov route (steps repeat, in any order)",
                name=repr(service.name),
            )
        waiting = _desk_after_wait_in_parallel(service.route)
        if waiting is not None:
            # Waits there end together at an opening, and the cases reach the desk in the order of
            # SimPy's process events (each branch a process), which the queue path's sort key does
            # not replay; the event engine does.
            return Text(
                "step {step} follows a wait inside a parallel branch",
                step=f"{service.name}/{waiting.name}",
            )
    return None


def walk_items(route: list):
    """Every item of a route, depth first (inside parallel groups and branch points)."""
    for item in route:
        yield item
        if isinstance(item, ParallelPlan):
            for branch in item.branches:
                yield from walk_items(branch)
        elif isinstance(item, ChoicePlan):
            for branch in item.routes:
                yield from walk_items(branch)


def _desk_after_wait_in_parallel(route: list, inside: bool = False) -> StepPlan | None:
    """The first desk step that follows an elapsed wait in the same parallel branch, if any."""
    waited = False
    for item in route:
        if isinstance(item, StepPlan):
            if inside and waited and item.delay is None:
                return item
            waited = waited or item.delay is not None
            continue
        parallel = isinstance(item, ParallelPlan)
        for branch in item.branches if parallel else item.routes:
            found = _desk_after_wait_in_parallel(branch, inside or parallel)
            if found is not None:
                return found
    return None


def serve(
    arrivals: Sequence[float],
    work: Sequence[float],
    free: list[float],
    changes: deque | None = None,
) -> list[float]:
    """Start instants of FCFS cases (arrivals sorted) at servers free from `free` (a heap, updated).
    `changes`: the desk's staffing changes not yet applied (see `staffing`), consumed as cases reach them."""
    starts = []
    append = starts.append
    if len(free) == 1 and not changes:  # Lindley
        f = free[0]
        for a, w in zip(arrivals, work):
            if a > f:
                f = a
            append(f)
            f += w
        free[0] = f
        return starts
    replace = heapq.heapreplace
    if not changes:  # the same staff throughout: the loop below without its checks
        if not free:
            return [math.inf] * len(arrivals)
        for a, w in zip(arrivals, work):
            f = free[0]
            s = a if a > f else f
            append(s)
            replace(free, s + w)
        return starts
    next_change = changes[0][0]
    for a, w in zip(arrivals, work):
        f = free[0] if free else math.inf  # no server: none on duty (yet)
        s = a if a > f else f
        while (
            s >= next_change
        ):  # a change at or before this start (changes come first at an instant)
            _apply(free, *changes.popleft())
            next_change = changes[0][0] if changes else math.inf
            f = free[0] if free else math.inf
            s = a if a > f else f
        append(s)
        if free:
            replace(free, s + w)
    return starts


def staffing(dept: DepartmentPlan, start: float) -> tuple[int, deque]:
    """Servers on duty at the start, and the desk's staffing changes as the SimPy engine's absences
    make them: (instant, servers, until) in time order. Servers > 0 come on duty at the instant; < 0:
    each is an absence that takes the next server to free from the instant on, ahead of waiting cases,
    and gives it back at `until` (inf: never) — or never takes one, if none frees before then."""
    held: list[list[float]] = [[start, math.inf] for _ in range(dept.max_staff - dept.staff)]
    absences = list(held)
    for (
        at,
        staff,
    ) in dept.timeline():  # the engine's stack of absence requests, released last-in first
        absent = dept.max_staff - staff
        while len(held) > absent:
            held.pop()[1] = at
        while len(held) < absent:
            held.append([at, math.inf])
            absences.append(held[-1])
    on_duty, events = dept.max_staff, []
    for taken, back in absences:
        if taken <= start:  # held from the start: a server comes on duty when it is given back
            on_duty -= 1
            if back < math.inf:
                events.append((back, 1, back))
        else:
            events.append((taken, -1, back))
    return on_duty, deque(sorted(events, key=lambda e: e[0]))


def _apply(free: list[float], at: float, servers: int, until: float) -> None:
    if servers > 0:
        for _ in range(servers):
            heapq.heappush(free, at)
        return
    for _ in range(-servers):
        back = max(
            heapq.heappop(free), until
        )  # held until `until`; one freeing later was never taken
        if back < math.inf:
            heapq.heappush(free, back)


class Layout:
    """Token columns of one service: the fixed ones, each step's draw and span, each branch point's
    draw."""

    def __init__(self, service: ServicePlan, points: list[ChoicePlan]):
        self.width = COUNT + 1
        self.draw: dict[int, int] = {}  # step id → column of its work or delay draw
        self.span: dict[int, int] = {}  # limited step id → column of [entered, left]
        self.choice: dict[int, int] = {}  # id(ChoicePlan) → column of its uniform draw
        for st in service.steps:
            self.draw[st.id] = self._add(1)
            if st.limit is not None:
                self.span[st.id] = self._add(2)
        for point in points:
            self.choice[id(point)] = self._add(1)

    def _add(self, n: int) -> int:
        self.width += n
        return self.width - n


class Flow:
    """One service's route as nodes holding their queues; `push` moves a batch through it."""

    def __init__(self, rep: QueueReplication, service: ServicePlan):
        self.rep, self.service = rep, service
        self.draws = ServiceDraws.of(rep.plan, service, rep.seed, rep.replication)
        self.layout = Layout(service, self.draws.points)
        self.route = self._nodes(service.route)

    def _nodes(self, route: list) -> list:
        nodes = []
        for item in route:
            if isinstance(item, StepPlan):
                nodes.append(
                    DelayNode(self, item) if item.delay is not None else DeskNode(self, item)
                )
            elif isinstance(item, ParallelPlan):
                nodes.append(JoinNode(self, [self._nodes(b) for b in item.branches]))
            else:
                nodes.append(ChoiceNode(self, item, [self._nodes(r) for r in item.routes]))
        return nodes

    def tokens(self, first: int, times: np.ndarray) -> np.ndarray:
        """Rows for the cases numbered first, first+1, … received at `times`, with their draws."""
        n, layout, size = len(times), self.layout, self.draws.size
        rows = np.full((n, layout.width), np.nan)
        rows[:, NUMBER] = np.arange(first, first + n)
        rows[:, RECEIVED] = rows[:, TIME] = rows[:, SCHEDULED] = times
        if self.service.accepts_at_receipt:
            rows[:, ACCEPTED] = times
        rows[:, COUNT] = 1
        for b in range(first // size, (first + n - 1) // size + 1):
            block, _ = self.draws.block(b * size)
            lo, hi = max(first, b * size), min(first + n, (b + 1) * size)
            at, within = slice(lo - first, hi - first), slice(lo - b * size, hi - b * size)
            for st in self.service.steps:
                draws = block.steps[st.id]
                rows[at, layout.draw[st.id]] = (
                    draws.work[within] if st.delay is None else draws.delay[within]
                )
            for point in self.draws.points:
                rows[at, layout.choice[id(point)]] = block.choices[id(point)][within]
        return rows

    def push(self, tokens: np.ndarray, watermark: float) -> None:
        """Take in a batch of tokens and move everything that can move before `watermark`."""
        self.finish(run(self.route, tokens, watermark))

    def finish(self, done: np.ndarray) -> None:
        """Cases leaving the route: their decision (or open at the end), time in the centre, grading."""
        if not len(done):
            return
        rep, plan, end = self.rep, self.rep.plan, self.rep.plan.end
        received, left = done[:, RECEIVED], done[:, TIME]
        in_window = np.minimum(left, end) - np.maximum(received, plan.warmup_end)
        rep.wip.area += float(in_window[in_window > 0].sum())
        accepted = done[:, ACCEPTED]
        spans = {}
        for st in self.service.steps:
            if st.id in self.layout.span:
                j = self.layout.span[st.id]
                span = done[:, j : j + 2].copy()
                span[~(span[:, 1] < end)] = (
                    np.nan
                )  # a step still under way at the end has no span yet
                spans[st.name] = span
        n = len(done)
        rep.grader.grade(
            Cases(
                np.full(n, self.service.index),
                received,
                np.where(accepted < end, accepted, np.nan),
                np.where(left < end, left, np.inf),
                np.zeros(n, bool),
                done[:, NUMBER].astype(np.int64),
                np.empty((n, 0, 2)),
                spans,
            )
        )


def run(nodes: list, tokens: np.ndarray, watermark: float) -> np.ndarray:
    """Move tokens through a list of nodes in order; returns those that leave the last. A node
    may change the rows it is given."""
    for node in nodes:
        tokens = node(tokens, watermark)
    return tokens


class StepNode:
    """What desks and delays share: the window statistics of completions, acceptance, the step's span."""

    def __init__(self, flow: Flow, step: StepPlan):
        self.step, self.plan = step, flow.rep.plan
        self.tally: StepTally = flow.rep.step_tallies[step.id]
        self.column = flow.layout.draw[step.id]
        self.span = flow.layout.span.get(step.id)

    def leave(
        self,
        rows: np.ndarray,
        entered: np.ndarray,
        scheduled: np.ndarray,
        left: np.ndarray,
        work: np.ndarray,
    ) -> np.ndarray:
        """Tokens leaving the step: grading columns updated, the rest passed on."""
        done = (left >= self.plan.warmup_end) & (left < self.plan.end)
        self.tally.visits += int(done.sum())
        self.tally.work += float(work[done].sum())
        if self.step.accepts:
            accepted = rows[:, ACCEPTED]
            rows[:, ACCEPTED] = np.where(np.isnan(accepted), left, accepted)
        if self.span is not None:
            rows[:, self.span] = entered
            rows[:, self.span + 1] = left
        rows[:, TIME] = left
        rows[:, SCHEDULED] = scheduled
        return rows


class DeskNode(StepNode):
    """A step at its own department's desk: a c-server FCFS queue."""

    def __init__(self, flow: Flow, step: StepPlan):
        super().__init__(flow, step)
        self.desk: DeskTally = flow.rep.stations[step.department]
        on_duty, self.changes = staffing(self.plan.departments[step.department], self.plan.start)
        self.free = [self.plan.start] * on_duty
        self.held = np.empty((0, flow.layout.width))
        self.later_starts = np.empty(
            0
        )  # starts after the last watermark: still queued for later joins
        self.queued_at_since = 0  # cases waiting at the end of the warm-up

    def __call__(self, tokens: np.ndarray, watermark: float) -> np.ndarray:
        rows = np.concatenate([self.held, tokens]) if len(self.held) else tokens
        ready = rows[:, TIME] < watermark
        if ready.all():  # nothing to hold back (a route's first desk: the batch is all before)
            self.held = np.empty((0, rows.shape[1]))  # the rows given are the desk's to change
        else:
            self.held = rows[~ready]
            rows = rows[ready]
        if not len(rows):
            return rows
        time = rows[:, TIME]
        if not (time[1:] > time[:-1]).all():  # distinct instants in order need no sort
            rows = rows[np.lexsort((rows[:, NUMBER], rows[:, SCHEDULED], rows[:, TIME]))]
        arrived = rows[:, TIME].copy()
        work = rows[:, self.column]  # work draws are in office minutes
        # Read as Python floats straight from the arrays (no lists built).
        times = memoryview(arrived), memoryview(np.ascontiguousarray(work))
        starts = serve(*times, self.free, self.changes)
        started = np.fromiter(starts, np.float64, len(starts))
        left = started + work
        self._measure(arrived, started, left, watermark)
        return self.leave(rows, arrived, started, left, work)

    def _measure(
        self, arrived: np.ndarray, started: np.ndarray, left: np.ndarray, watermark: float
    ) -> None:
        since, end, desk, tally = self.plan.warmup_end, self.plan.end, self.desk, self.tally
        waited = started > arrived
        counted = waited & (left >= since) & (left < end)
        tally.wait += float((started - arrived)[counted].sum())
        tally.waited += int(counted.sum())
        wait = np.minimum(started, end) - np.maximum(arrived, since)
        desk.wait_area += float(wait[waited & (wait > 0)].sum())
        busy = np.minimum(left, end) - np.maximum(started, since)
        desk.busy_area += float(busy[busy > 0].sum())
        # Longest queue: at the end of the warm-up, and at every join inside the window. Starts are
        # in arrival order, so the queue a case joins is the earlier cases that start after its
        # arrival.
        starts = np.concatenate([self.later_starts, started])
        joins = np.flatnonzero(waited & (arrived >= since) & (arrived < end))
        if since > self.plan.start:
            # Still queued at the reset: a desk given back at that instant grants only after it.
            self.queued_at_since += int(np.sum((arrived < since) & (started >= since)))
            desk.peak = max(desk.peak, self.queued_at_since)
        if len(joins):
            before = len(self.later_starts) + joins + 1
            desk.peak = max(
                desk.peak,
                int((before - np.searchsorted(starts, arrived[joins], side="right")).max()),
            )
        self.later_starts = starts[starts > watermark]


class DelayNode(StepNode):
    """An elapsed delay (no staff): every case leaves `delay` after it enters."""

    def __call__(self, tokens: np.ndarray, watermark: float) -> np.ndarray:
        if not len(tokens):
            return tokens
        rows = tokens.copy()
        entered = rows[:, TIME].copy()
        left = self.plan.calendar.business_after(
            entered, rows[:, self.column], self.step.delay.unit
        )
        return self.leave(rows, entered, entered, left, left - entered)


class ChoiceNode:
    """A branch point: each case follows the route its own draw picks."""

    def __init__(self, flow: Flow, point: ChoicePlan, routes: list[list]):
        self.cumulative = np.array(point.cumulative)
        self.routes = routes
        self.column = flow.layout.choice[id(point)]

    def __call__(self, tokens: np.ndarray, watermark: float) -> np.ndarray:
        pick = np.minimum(
            np.searchsorted(self.cumulative, tokens[:, self.column], side="right"),
            len(self.routes) - 1,
        )
        return np.concatenate(
            [run(route, tokens[pick == i], watermark) for i, route in enumerate(self.routes)]
        )


class JoinNode:
    """Parallel branches and their AND-join: a case goes on when its last branch is done."""

    def __init__(self, flow: Flow, branches: list[list]):
        self.branches = branches
        self.spans = list(flow.layout.span.values())
        self.held = np.empty((0, flow.layout.width))  # cases with branches still under way

    def __call__(self, tokens: np.ndarray, watermark: float) -> np.ndarray:
        parts = [self.held]
        last = len(self.branches) - 1
        for i, branch in enumerate(self.branches):
            # Each branch its own rows: desks change the rows they are given (an empty branch
            # passes them through); the last takes these, which are not read again.
            out = run(branch, tokens if i == last else tokens.copy(), watermark)
            out[:, COUNT] = 1
            parts.append(out)
        rows = np.concatenate(parts)
        if not len(rows):
            return rows
        # By case, its last branch last: the case goes on at that branch's instant, in its event
        # order.
        rows = rows[np.lexsort((rows[:, SCHEDULED], rows[:, TIME], rows[:, NUMBER]))]
        firsts = np.flatnonzero(np.r_[True, rows[1:, NUMBER] != rows[:-1, NUMBER]])
        lasts = np.r_[firsts[1:], len(rows)] - 1
        merged = rows[firsts]
        merged[:, COUNT] = np.add.reduceat(rows[:, COUNT], firsts)
        merged[:, TIME] = rows[lasts, TIME]
        merged[:, SCHEDULED] = rows[lasts, SCHEDULED]
        merged[:, ACCEPTED] = np.fmin.reduceat(rows[:, ACCEPTED], firsts)
        for j in self.spans:
            merged[:, j : j + 2] = np.fmax.reduceat(rows[:, j : j + 2], firsts)
        done = merged[:, COUNT] == len(self.branches)
        self.held = merged[~done]
        return merged[done]


class QueueReplication:
    """One replication on the queue path, with the SimPy `Replication`'s results interface."""

    def __init__(self, plan: Plan, replication: int, seed: int):
        self.plan, self.replication, self.seed = plan, replication, seed
        self.grader = Grader(plan)
        self.step_tallies = [StepTally() for _ in plan.steps]
        self.stations = [self._desk(d) for d in plan.departments]
        self.wip = TimeAverage(plan.warmup_end)  # its area is added case by case as they leave

    def _desk(self, dept: DepartmentPlan) -> DeskTally:
        """A department's tally, its staff level followed through the changes inside the window."""
        since, end = self.plan.warmup_end, self.plan.end
        points = dept.timeline()
        desk = DeskTally(
            dept.name,
            since,
            next((staff for t, staff in reversed(points) if t <= since), dept.staff),
        )
        for t, staff in points:
            if since < t < end:
                desk.staff.change(t, staff - desk.staff.level)
        return desk

    def run(self) -> None:
        """Serve every receipt of the period, batch by batch, then grade the open cases."""
        for service in self.plan.services:  # no desk is shared: services are independent queues
            flow = Flow(self, service)
            waiting, first = None, 0
            for batch in self._batches(service):
                if waiting is not None:
                    flow.push(flow.tokens(first, waiting), float(batch[0]))
                    first += len(waiting)
                waiting = batch
            flow.push(
                flow.tokens(first, waiting)
                if waiting is not None
                else np.empty((0, flow.layout.width)),
                np.inf,
            )

    def _batches(self, service: ServicePlan):
        """Receipts in batches of BATCH (the last may be short), across the arrival blocks: a
        batch's grading costs the same few hundred calls however many cases it holds."""
        parts, held = [], 0
        for times, _online in receipts(self.plan, service, self.seed, self.replication):
            parts.append(times)
            held += len(times)
            if held >= BATCH:
                times = np.concatenate(parts)
                cut = len(times) - len(times) % BATCH
                for i in range(0, cut, BATCH):
                    yield times[i : i + BATCH]
                parts, held = [times[cut:]], len(times) - cut
        if held:
            yield np.concatenate(parts)
