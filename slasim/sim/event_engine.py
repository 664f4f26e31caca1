"""The event engine: `case_flow`'s processes on a lean event loop, for the centres the queue path
cannot compute (shared desks, priorities, supplement loops, special procedures, 告知承诺, dated
staff changes with any of these).

It keeps SimPy's semantics and its order of simultaneous events, so it gives the SimPy engine's
results on the same draws (tests/test_event_engine.py), while paying for only the events that
change something. The heap holds (instant, sequence, kind, target) as SimPy's holds (instant,
priority, event id, event): every entry has SimPy's NORMAL priority, so it is left out; a process
started now runs before the next entry, as SimPy's URGENT start does, and everything else comes in
the order it was scheduled. Entries for the
current instant (a release handed on, a grant) wait in a queue rather than the heap, taken in
sequence order with the heap's entries for that instant (no heap work for them). A desk follows
`simpy.Resource` (or `PriorityResource`, keyed by priority then request time) step for step: a
request is granted at once if a server is free and it heads the queue; a release frees the server
at once but hands it to the queue's head only when the release event is processed, and that head
starts when its grant is processed. A desk visit is one job of the loop, not a process of its own:
the case's process is resumed once, when the work is done. Left out are the events that change
nothing: a request granted at once, the end of a case's process, and a release with nobody queued
(its sequence number kept aside and the entry pushed only if a request queues before it would have
come up; dropping an event never reorders the others: sequence numbers only grow). The loop handles
the commonest jobs itself, without calls: a visit granted at once, a grant, a visit's end. Staff
absences (a lower staffing period) are requests ahead of every case, as in the SimPy engine. It
writes no event log or timeline: the runner gives those to SimPy.
"""

from __future__ import annotations

import heapq
from collections import deque
from itertools import count

from slasim.scenario.plan import DepartmentPlan, Plan, ServicePlan, StepPlan
from slasim.sim.arrivals import receipts
from slasim.sim.case_flow import CaseFlow
from slasim.sim.grading import CaseRecord
from slasim.sim.metrics import DeskTally

RESUME, CALL, GRANT, DONE, TRIGGER, ARRIVE = range(6)  # what a heap entry does with its target
ABSENCE_PRIORITY = -1  # staff absent take their slot before any case
ENDED = object()  # what the loop gets from a process that has ended


class Absence:
    """A staff absence: a request for one server of a desk, ahead of every case. A case's request
    that has to queue is a plain tuple, `(process, desk, priority, step id, work, arrived,
    record)` (`_run_until`; a tuple is several times cheaper to make than an object); a visit
    granted at once needs neither."""

    __slots__ = ("priority", "granted", "cancelled")

    def __init__(self):
        self.priority = ABSENCE_PRIORITY
        self.granted = self.cancelled = False


class Desk(DeskTally):
    """A department as SimPy's resource would run it, kept as counts and a queue of requests.

    The queue is first come first served, or on a prioritised desk a heap on (priority, request
    time, order of request) — SimPy's stable sort on (priority, time). Staffing changes are absences
    as in the SimPy engine's `Station`, scheduled in the same order."""

    def __init__(self, loop: EventReplication, dept: DepartmentPlan, prioritised: bool, end: float):
        super().__init__(dept.name, loop.now, dept.staff)
        self.loop, self.dept, self.end = loop, dept, end
        self.prioritised = prioritised or dept.changes_staff
        self.capacity = dept.max_staff
        self.users = 0  # servers taken (cases at work and absences)
        self.queue: deque | list = [] if self.prioritised else deque()
        self.order = count()  # order of requests, for equal keys on a prioritised desk
        self.live = 0  # requests queued (cancelled absences left in the heap not counted)
        self.queued = 0  # cases queued
        self.absences: list[Absence] = []
        # Releases made while nobody was queued: their entries' sequence numbers, at `pending_at`,
        # pushed only if a request queues before they would have come up (`request`).
        self.pending: list[int] = []
        self.pending_at = None
        self._staff_to(dept.staff)
        for at, staff in dept.timeline():
            if at <= loop.now:
                self._staff_to(staff)
            else:
                loop.call_at(at, lambda staff=staff: self._staff_to(staff))

    # ------------------------------------------------------------------ SimPy's resource
    def request(self, job: tuple | Absence) -> bool:
        """Queue a case's request (a tuple) or an absence; True if it takes a server at once (it
        heads the queue and one is free)."""
        case = job.__class__ is tuple
        if not self.live and self.users < self.capacity:
            self.users += 1
            if not case:
                job.granted = True
            return True
        if self.prioritised:
            priority = job[2] if case else job.priority
            heapq.heappush(self.queue, ((priority, self.loop.now, next(self.order)), job))
        else:
            self.queue.append(job)
        self.live += 1
        if case:
            self.queued += 1
        if self.pending:
            self._push_pending()
        if self.users < self.capacity:  # a server freed, not yet handed on: the head takes it
            head = self.trigger()
            if head is job:
                return True
            if head is not None and head.__class__ is tuple:
                self.loop.schedule(GRANT, head)  # an earlier request than this one
        return False

    def trigger(self) -> tuple | Absence | None:
        """SimPy's `_trigger_put`: the queue's head takes a free server (one at a time)."""
        if self.users >= self.capacity or not self.live:
            return None
        if self.prioritised:
            head = heapq.heappop(self.queue)[1]
            while head.__class__ is Absence and head.cancelled:
                head = heapq.heappop(self.queue)[1]
        else:
            head = self.queue.popleft()
        self.live -= 1
        self.users += 1
        if head.__class__ is tuple:
            self.queued -= 1
        else:
            head.granted = True
        return head

    def release(self) -> None:
        """Free a server now; the head of the queue takes it when the release is processed.

        With nobody queued, that entry would do nothing unless a request queued before it came up:
        it is kept aside with its sequence number and pushed only then (`_push_pending`), so the
        heap's order is the same as if it had been pushed now."""
        self.users -= 1
        loop = self.loop
        if self.live:
            loop.current.append((next(loop.sequence), TRIGGER, self))
        else:
            if self.pending_at != loop.now:
                self.pending.clear()
                self.pending_at = loop.now
            self.pending.append(next(loop.sequence))

    def _push_pending(self) -> None:
        """A request queues: the releases kept aside that have not yet come up go on the heap."""
        loop = self.loop
        if self.pending_at == loop.now:
            for sequence in self.pending:
                if sequence > loop.popped:  # still ahead of the entry being processed
                    heapq.heappush(loop.heap, (loop.now, sequence, TRIGGER, self))
        self.pending.clear()

    # ------------------------------------------------------------------ staffing
    def _staff_to(self, staff: int) -> None:
        absent = self.dept.max_staff - staff
        while len(self.absences) > absent:
            absence = self.absences.pop()
            if absence.granted:
                self.release()
            else:
                absence.cancelled = True  # left in the heap, skipped when it comes up
                self.live -= 1
        while len(self.absences) < absent:
            absence = Absence()
            self.request(absence)
            self.absences.append(absence)
        self.staff.change(self.loop.now, staff - self.staff.level)

    # ------------------------------------------------------------------ measures
    def reset(self, now: float) -> None:
        """Start measuring at `now`: the work under way counts from here on."""
        self.since, self.wait_area = now, 0.0
        # The work under way: the visits whose end is scheduled (a case granted a server but not
        # yet started has no end yet, as in SimPy), each until its entry's instant.
        self.busy_area = sum(
            max(min(entry[0], self.end) - now, 0.0)
            for entry in self.loop.heap
            if entry[2] is DONE and entry[3][1] is self
        )
        self.peak = self.queued
        self.staff.reset(now)

    def waiting_now(self, end: float) -> float:
        """Minutes cases are still waiting at `end` (added to the wait area)."""
        jobs = (entry[1] for entry in self.queue) if self.prioritised else self.queue
        return sum(end - max(j[5], self.since) for j in jobs if j.__class__ is tuple)


class EventReplication(CaseFlow):
    """One replication on the event loop, with the SimPy `Replication`'s results interface."""

    def __init__(self, plan: Plan, replication: int, seed: int, open_cases=()):
        super().__init__(plan, replication, seed, open_cases=open_cases)
        self.now = plan.start
        self.heap: list = []
        # Entries scheduled for the current instant, (sequence, kind, target) in order: a queue,
        # not the heap (`_run_until` takes a heap entry for now first if its sequence is lower).
        self.current: deque = deque()
        self.sequence = count()
        self.popped = -1  # sequence number of the entry being processed
        self.active = None  # the process running now
        self.starting: deque = deque()  # processes started now, not yet run
        self.stations = [Desk(self, d, self.prioritised, plan.end) for d in plan.departments]
        # Each desk step's (desk, its service's priority, step id), by step id, made once (`_visit`)
        self.visit_of = [None] * len(plan.steps)
        for s in plan.services:
            for st in s.steps:
                if st.department is not None:
                    self.visit_of[st.id] = (self.stations[st.department], s.spec.priority, st.id)
        self.start()

    # ------------------------------------------------------------------ scheduling
    def timeout(self, minutes: float) -> float:
        return minutes  # the loop schedules what a process yields

    def process(self, generator) -> None:
        self.starting.append(generator)  # SimPy's URGENT start: before the next entry, in order

    def schedule(self, kind: int, target) -> None:
        """An entry now, after those already scheduled."""
        self.current.append((next(self.sequence), kind, target))

    def call_at(self, at: float, function) -> None:
        # SimPy schedules a timeout at now + (at - now): the same sum, to the last bit.
        at = self.now + (at - self.now)
        heapq.heappush(self.heap, (at, next(self.sequence), CALL, function))

    # ------------------------------------------------------------------ the loop
    def _run_until(self, end: float) -> None:
        # The commonest jobs are written out here rather than called: a visit granted a server at
        # once (`Desk.request` and `_work`), a visit queued at a busy first-come desk
        # (`Desk.request`), a queued visit's grant (`Desk.trigger`, first come) and start
        # (`_work`), and a visit's end (`Desk.release` and `_visited`).
        heap, pop, push, sequence = self.heap, heapq.heappop, heapq.heappush, self.sequence
        starting, current, now = self.starting, self.current, self.now
        while True:
            if starting:
                process = starting.popleft()
            elif not (current or heap and heap[0][0] < end):
                break
            else:
                if not current:
                    now, popped, kind, target = pop(heap)
                    self.now = now
                elif heap and heap[0][0] == now and heap[0][1] < current[0][0]:
                    _, popped, kind, target = pop(heap)  # scheduled for now, and earlier
                else:
                    popped, kind, target = current.popleft()
                self.popped = popped
                if kind is RESUME:
                    process = target
                elif kind is DONE:  # the work of a visit is done: release, tally, resume the case
                    process, desk, step, work, arrived, started = target
                    desk.users -= 1
                    if desk.live:
                        current.append((next(sequence), TRIGGER, desk))
                    elif desk.pending_at == now:  # kept aside (`Desk.release`)
                        desk.pending.append(next(sequence))
                    else:
                        desk.pending = [next(sequence)]
                        desk.pending_at = now
                    tally = self.step_tallies[step]  # looked up now: after a reset too
                    tally.visits += 1
                    tally.work += work
                    if started > arrived:
                        tally.wait += started - arrived
                        tally.waited += 1
                elif kind is ARRIVE:  # a receipt: its case starts, the next one is scheduled
                    starting.append(self._case(target.service, target.t, target.k))
                    target.k += 1
                    self._next_receipt(target)
                    continue
                elif kind is GRANT:  # a queued request starts its work (`_work`, written out)
                    process, desk, _, step, work, arrived, record = target
                    since = desk.since
                    if now > arrived and now > since:
                        desk.wait_area += now - (arrived if arrived > since else since)
                    until = now + work
                    busy = (until if until < desk.end else desk.end) - (
                        now if now > since else since
                    )
                    if busy > 0:
                        desk.busy_area += busy
                    push(
                        heap,
                        (until, next(sequence), DONE, (process, desk, step, work, arrived, now)),
                    )
                    if self.desk_waits is not None and now > arrived:
                        self._waited(record, desk.dept.index, arrived, now)
                    continue
                elif kind is TRIGGER:  # a release processed: the head takes the server
                    desk = target
                    if desk.prioritised:
                        head = desk.trigger()
                        if head is not None and head.__class__ is tuple:
                            current.append((next(sequence), GRANT, head))
                    elif desk.live and desk.users < desk.capacity:  # `Desk.trigger`, first come
                        desk.live -= 1
                        desk.users += 1
                        desk.queued -= 1  # a first-come desk queues cases only (no absences)
                        current.append((next(sequence), GRANT, desk.queue.popleft()))
                    continue
                else:
                    target()
                    continue
            self.active = process
            # `next` with a default: a process's end raises no StopIteration (cheaper than `send`)
            wait = next(process, ENDED)
            if wait.__class__ is tuple:  # a desk visit: ((desk, priority, step id), work, record)
                where, work, record = wait
                desk = where[0]
                if not desk.live and desk.users < desk.capacity:  # a server at once, no wait
                    desk.users += 1
                    until = now + work
                    since = desk.since
                    busy = (until if until < desk.end else desk.end) - (
                        now if now > since else since
                    )
                    if busy > 0:
                        desk.busy_area += busy
                    visit = (process, desk, where[2], work, now, now)
                    push(heap, (until, next(sequence), DONE, visit))
                    continue
                job = (process, desk, where[1], where[2], work, now, record)
                if desk.users >= desk.capacity and not desk.prioritised and not desk.pending:
                    # every server busy at a first-come desk: the request waits (`Desk.request`)
                    desk.queue.append(job)
                    desk.live += 1
                    desk.queued += 1
                    if desk.queued > desk.peak:
                        desk.peak = desk.queued
                    continue
                if desk.request(job):
                    self._work(desk, job)
                elif desk.queued > desk.peak:
                    desk.peak = desk.queued
                continue
            if wait is None or wait is ENDED:  # resumed by a grant or a join; or ended
                continue
            push(heap, (now + wait, next(sequence), RESUME, process))
        self.now = end

    def _work(self, desk: Desk, job: tuple) -> None:
        """A case's queued request takes its server now: waits and work tallied, its end
        scheduled. The end's entry holds (process, desk, step id, work, arrived, started); its
        instant is the end."""
        started = self.now
        process, _, _, step, work, arrived, record = job
        since = desk.since
        if started > arrived and started > since:
            desk.wait_area += started - (arrived if arrived > since else since)
        until = started + work
        busy = (until if until < desk.end else desk.end) - (started if started > since else since)
        if busy > 0:
            desk.busy_area += busy
        visit = (process, desk, step, work, arrived, started)
        heapq.heappush(self.heap, (until, next(self.sequence), DONE, visit))
        if self.desk_waits is not None and started > arrived:
            self._waited(record, desk.dept.index, arrived, started)

    def _arrive(self, service: ServicePlan):
        """`CaseFlow._arrive` without a process to resume at each receipt: run once in its turn at
        the start, it starts the cases received by then and leaves the rest to `ARRIVE` entries,
        scheduled as the process's timeouts would be (`_next_receipt`)."""
        blocks = receipts(self.plan, service, self.seed, self.replication)
        self._next_receipt(Receipts(service, blocks))
        return
        yield  # a generator: started as a process, in its turn

    def _next_receipt(self, pending: Receipts) -> None:
        """Start the cases received by now, then schedule the next receipt."""
        times, i, now = pending.times, pending.i, self.now
        while True:
            if i == len(times):  # the next block of receipts, drawn when it is reached
                block = next(pending.blocks, None)
                if block is None:
                    return
                times = pending.times = block[0].tolist()
                i = 0
                continue
            t = times[i]
            i += 1
            if t > now:
                pending.t, pending.i = t, i
                heapq.heappush(self.heap, (now + (t - now), next(self.sequence), ARRIVE, pending))
                return
            self.starting.append(self._case(pending.service, t, pending.k))
            pending.k += 1

    def _all_done(self, branches: list):
        # The frame keeps the join's outcome, not the join, as a SimPy process's generator does not
        # hold the condition it waits for (see `Join`).
        outcome = Join(self, self.active).start(branches)
        yield None
        return outcome[0]

    def _visit(self, service: ServicePlan, step: StepPlan, record: CaseRecord, work: float):
        # `CaseFlow`'s cases yield the visit themselves, as `visit_of` is set; this is the same
        # visit for a caller going through `_visit`: a one-item tuple that `yield from` hands to
        # the loop, going on when the loop resumes the case.
        return ((self.visit_of[step.id], work, record),)

    def queued(self):
        for desk in self.stations:
            jobs = (entry[1] for entry in desk.queue) if desk.prioritised else desk.queue
            for job in jobs:
                if job.__class__ is tuple:
                    yield job[6], desk.dept.index, job[5]


class Receipts:
    """A service's receipts still to come (`EventReplication._arrive`): the blocks not yet drawn,
    the current block's instants and the index of the next one after `t`, the instant of the
    receipt scheduled, and the number of its case."""

    __slots__ = ("service", "blocks", "times", "i", "t", "k")

    def __init__(self, service: ServicePlan, blocks):
        self.service, self.blocks, self.times, self.i, self.t, self.k = (
            service,
            blocks,
            [],
            0,
            0.0,
            0,
        )


class Join:
    """A parallel group's AND-join: SimPy's process-end events and `AllOf` condition, in order.

    The join holds the process waiting for it (to resume it) and the branches hold the join; the
    waiting process holds only `outcome`. Were its suspended frames to hold the join, a process
    left waiting at the end of a run would be in a cycle through its own frames: the collector,
    closing its route first, would free the join and so the process in the middle of that close,
    and the process's finalizer would close the route, which was being closed ("generator already
    executing", reported as ignored; tests/test_event_engine.py)."""

    __slots__ = ("loop", "left", "parent", "outcome")

    def __init__(self, loop: EventReplication, parent):
        self.loop, self.left, self.parent = loop, 0, parent
        self.outcome = [True]  # whether every branch ran to its end

    def start(self, branches: list) -> list:
        """Start the branches as processes, in order; the outcome the parent reads on resuming."""
        self.left = len(branches)
        for branch in branches:
            self.loop.process(self.branch(branch))
        return self.outcome

    def branch(self, route):
        ok = yield from route
        self.loop.call_at(self.loop.now, lambda: self._ended(ok))  # the branch's end event

    def _ended(self, ok: bool) -> None:
        if not ok:
            self.outcome[0] = False
        self.left -= 1
        if not self.left:  # the condition's event: the parent resumes when it is processed
            self.loop.schedule(RESUME, self.parent)
