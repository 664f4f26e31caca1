"""The event engine: `case_flow`'s processes on a lean event loop, for the centres the queue path
cannot compute (shared desks, priorities, supplement loops, special procedures, 告知承诺, dated
staff changes with any of these).

It keeps SimPy's semantics and its order of simultaneous events, so it gives the SimPy engine's
results on the same draws (tests/test_event_engine.py), while paying for only the events that
change something. The heap holds (instant, priority, sequence, kind, target) as SimPy's holds
(instant, priority, event id, event): a process started now comes first at its instant (URGENT),
everything else in the order it was scheduled. A desk follows `simpy.Resource` (or
`PriorityResource`, keyed by priority then request time) step for step: a request is granted at once
if a server is free and it heads the queue; a release frees the server at once but hands it to the
queue's head only when the release event is processed, and that head resumes when its grant is
processed. Left out are the events nobody waits for: a request granted at once, the end of a
case's process. Staff absences (a lower staffing period) are requests ahead of every case, as in
the SimPy engine. It writes no event log or timeline: the runner gives those to SimPy.
"""

from __future__ import annotations

import heapq
from collections import deque
from itertools import count

from slasim.scenario.plan import DepartmentPlan, Plan, ServicePlan, StepPlan
from slasim.sim.case_flow import CaseFlow
from slasim.sim.grading import CaseRecord
from slasim.sim.metrics import DeskTally

URGENT, NORMAL = 0, 1  # SimPy's priorities: a process's start before anything else at its instant
RESUME, CALL = 0, 1  # what an entry does: resume a process (generator), or call a function
ABSENCE_PRIORITY = -1  # staff absent take their slot before any case


class Request:
    """A request for one server of a desk (a case's, or a staff absence's when `process` is None)."""

    __slots__ = ("key", "process", "granted", "cancelled", "waiting", "joined", "until")

    def __init__(self, key: tuple, process):
        self.key, self.process = key, process
        self.granted = self.cancelled = self.waiting = False
        self.joined = self.until = None


class Desk(DeskTally):
    """A department as SimPy's resource would run it, kept as counts and a queue of `Request`s.

    The queue is first come first served, or on a prioritised desk a heap on (priority, request
    time, order of request) — SimPy's stable sort on (priority, time). Staffing changes are absences
    as in the SimPy engine's `Station`, scheduled in the same order."""

    def __init__(self, loop: EventReplication, dept: DepartmentPlan, prioritised: bool, end: float):
        super().__init__(dept.name, loop.now, dept.staff)
        self.loop, self.dept, self.end = loop, dept, end
        self.prioritised = prioritised or dept.max_staff > dept.staff or bool(dept.changes)
        self.capacity = dept.max_staff
        self.users = 0  # servers taken (cases at work and absences)
        self.queue: deque | list = [] if self.prioritised else deque()
        self.order = count()  # order of requests, for equal keys on a prioritised desk
        self.queued = 0  # cases (not absences) waiting
        self.at_work: set[Request] = set()  # case requests with their `until`, for the warm-up
        self.absences: list[Request] = []
        self._staff_to(dept.staff)
        for at, staff in dept.timeline():
            if at <= loop.now:
                self._staff_to(staff)
            else:
                loop.call_at(at, lambda staff=staff: self._staff_to(staff))

    # ------------------------------------------------------------------ SimPy's resource
    def request(self, priority: int, process) -> Request:
        """Join the queue; granted at once if it heads the queue and a server is free."""
        if self.prioritised:
            request = Request((priority, self.loop.now, next(self.order)), process)
            heapq.heappush(self.queue, (request.key, request))
        else:
            request = Request(None, process)
            self.queue.append(request)
        if process is not None:
            self.queued += 1
        self.trigger()
        if not request.granted:
            request.waiting = True
        return request

    def _head(self) -> Request | None:
        queue = self.queue
        if self.prioritised:
            while queue and queue[0][1].cancelled:
                heapq.heappop(queue)
            return queue[0][1] if queue else None
        return queue[0] if queue else None

    def trigger(self) -> None:
        """SimPy's `_trigger_put`: the queue's head takes a free server (one at a time)."""
        if self.users < self.capacity:
            head = self._head()
            if head is not None:
                if self.prioritised:
                    heapq.heappop(self.queue)
                else:
                    self.queue.popleft()
                self.users += 1
                head.granted = True
                if head.process is not None:
                    self.queued -= 1
                    if head.waiting:
                        self.loop.resume_now(head.process)

    def release(self, request: Request) -> None:
        """Free the server now; the head of the queue takes it when the release is processed."""
        self.users -= 1
        self.at_work.discard(request)
        self.loop.call_at(self.loop.now, self.trigger)

    # ------------------------------------------------------------------ staffing
    def _staff_to(self, staff: int) -> None:
        absent = self.dept.max_staff - staff
        while len(self.absences) > absent:
            request = self.absences.pop()
            if request.granted:
                self.release(request)
            else:
                request.cancelled = True  # left in the heap, skipped when it comes up
        while len(self.absences) < absent:
            self.absences.append(self.request(ABSENCE_PRIORITY, None))
        self.staff.change(self.loop.now, staff - self.staff.level)

    # ------------------------------------------------------------------ measures
    def worked(self, started: float, work: float) -> None:
        """Record work started at `started` lasting `work` business minutes."""
        busy = min(started + work, self.end) - max(started, self.since)
        if busy > 0:
            self.busy_area += busy

    def reset(self, now: float) -> None:
        """Start measuring at `now`: the work under way counts from here on."""
        self.since, self.wait_area = now, 0.0
        self.busy_area = sum(max(min(r.until, self.end) - now, 0.0) for r in self.at_work)
        self.peak = self.queued
        self.staff.reset(now)

    def _waiting(self):
        requests = (entry[1] for entry in self.queue) if self.prioritised else self.queue
        return [r for r in requests if r.process is not None and not r.cancelled]

    def waiting_now(self, end: float) -> float:
        """Minutes cases are still waiting at `end` (added to the wait area)."""
        return sum(end - max(r.joined, self.since) for r in self._waiting())


class EventReplication(CaseFlow):
    """One replication on the event loop, with the SimPy `Replication`'s results interface."""

    def __init__(self, plan: Plan, replication: int, seed: int):
        super().__init__(plan, replication, seed)
        self.now = plan.start
        self.heap: list = []
        self.sequence = count()
        self.active = None  # the process running now (a request resumes it when granted)
        self.stations = [Desk(self, d, self.prioritised, plan.end) for d in plan.departments]
        self.start()

    # ------------------------------------------------------------------ the kernel
    def timeout(self, minutes: float) -> float:
        return minutes  # the loop schedules what a process yields

    def process(self, generator) -> None:
        heapq.heappush(self.heap, (self.now, URGENT, next(self.sequence), RESUME, generator))

    def resume_now(self, generator) -> None:
        heapq.heappush(self.heap, (self.now, NORMAL, next(self.sequence), RESUME, generator))

    def call_at(self, at: float, function) -> None:
        # SimPy schedules a timeout at now + (at - now): the same sum, to the last bit.
        at = self.now + (at - self.now)
        heapq.heappush(self.heap, (at, NORMAL, next(self.sequence), CALL, function))

    def _run_until(self, end: float) -> None:
        heap, pop, push, sequence = self.heap, heapq.heappop, heapq.heappush, self.sequence
        while heap and heap[0][0] < end:
            now, _, _, kind, target = pop(heap)
            self.now = now
            if kind is CALL:
                target()
                continue
            self.active = target
            try:
                wait = target.send(None)
            except StopIteration:
                continue
            if wait is not None:  # a timeout; None: resumed by a grant or a join
                push(heap, (now + wait, NORMAL, next(sequence), RESUME, target))
        self.now = end

    def _all_done(self, branches: list):
        join = Join(self, len(branches), self.active)
        for branch in branches:
            self.process(join.branch(branch))
        yield None
        return join.ok

    def _visit(self, service: ServicePlan, step: StepPlan, record: CaseRecord, work: float):
        desk = self.stations[step.department]
        arrived = self.now
        request = desk.request(service.spec.priority, self.active)
        if not request.granted:
            request.joined = arrived  # read at the end for waits still under way
            if desk.queued > desk.peak:
                desk.peak = desk.queued
            yield None
            started = self.now
            if started > desk.since:
                desk.wait_area += started - (arrived if arrived > desk.since else desk.since)
        else:
            started = arrived
        request.until = started + work  # read at the end of the warm-up for work under way
        desk.at_work.add(request)
        desk.worked(started, work)
        yield work
        desk.release(request)
        self._visited(step, arrived, started, work)


class Join:
    """A parallel group's AND-join: SimPy's process-end events and `AllOf` condition, in order."""

    def __init__(self, loop: EventReplication, branches: int, parent):
        self.loop, self.left, self.parent, self.ok = loop, branches, parent, True

    def branch(self, route):
        ok = yield from route
        self.loop.call_at(self.loop.now, lambda: self._ended(ok))  # the branch's end event

    def _ended(self, ok: bool) -> None:
        self.ok = self.ok and ok
        self.left -= 1
        if not self.left:  # the condition's event: the parent resumes when it is processed
            self.loop.resume_now(self.parent)
