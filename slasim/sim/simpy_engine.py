"""The SimPy processes of one replication of a service centre, on the business-minute axis.

`env.now` is the calendar's business minutes (office time only, docs/ARCHITECTURE.md property 3):
staff are simply available whenever the clock runs, and nights, weekends and holidays cost no
events. Natural-day waits (an applicant answering a supplement notice) are converted through the
calendar. Processes only record; `grading` and `metrics` summarise. Every random draw comes from a
stream of its own (service or step × purpose), so a reform that changes one step leaves the others'
draws alone (common random numbers, docs/ARCHITECTURE.md property 6)."""

from __future__ import annotations

import heapq

import simpy

from slasim.scenario.plan import (
    ChoicePlan,
    DepartmentPlan,
    ParallelPlan,
    Plan,
    ServicePlan,
    StepPlan,
)
from slasim.sim.arrivals import receipts
from slasim.sim.draws import Block, ServiceDraws
from slasim.sim.grading import CaseRecord, Grader
from slasim.sim.metrics import DeskTally, StepTally, TimeAverage

ABSENCE_PRIORITY = -1  # staff absent (a lower staffing period) take their slot before any case


class Station(DeskTally):
    """A department: its staff as a SimPy resource, with waiting and busy time kept as areas.

    The resource has the most staff the department ever has; slots above the current level are held
    by absence requests, which go ahead of waiting cases. At each staffing change (a timeout made at
    the start, so it fires before any case arriving at that instant) the most recent absences are
    released, or cancelled if not yet granted, or more are requested.
    Areas are accumulated once per visit instead of at every change: a wait when it ends, a visit's
    work when it starts (clipped to the window); waits still under way are added at the end.
    """

    def __init__(self, env: simpy.Environment, dept: DepartmentPlan, prioritised: bool, end: float):
        super().__init__(dept.name, env.now, dept.staff)
        self.env, self.dept = env, dept
        self.end = end  # end of the simulated period
        changing = dept.max_staff > dept.staff or bool(dept.changes)
        self.prioritised = prioritised or changing
        kind = simpy.PriorityResource if self.prioritised else simpy.Resource  # plain is faster
        self.resource = kind(env, capacity=dept.max_staff)
        self.absences: list = []
        self.free_slots = list(range(dept.max_staff))  # handler numbers, for the event log
        self._staff_to(dept.staff)  # the desk is empty: granted at once
        for at, staff in dept.timeline():
            if at <= env.now:
                self._staff_to(staff)
            else:
                env.timeout(at - env.now).callbacks.append(
                    lambda _event, staff=staff: self._staff_to(staff)
                )

    def _staff_to(self, staff: int) -> None:
        absent = self.dept.max_staff - staff
        while len(self.absences) > absent:
            request = self.absences.pop()
            if request.triggered:
                self.resource.release(request)
            else:
                request.cancel()
        while len(self.absences) < absent:
            self.absences.append(self.resource.request(priority=ABSENCE_PRIORITY))
        self.staff.change(self.env.now, staff - self.staff.level)

    def worked(self, started: float, work: float) -> None:
        """Record work started at `started` lasting `work` business minutes."""
        busy = min(started + work, self.end) - max(started, self.since)
        if busy > 0:
            self.busy_area += busy

    def abandon_queue(self) -> None:
        """After the run: mark the requests still waiting as granted (the environment never runs
        again, so no case resumes) and empty the queue. Closing a suspended case then finds its
        request settled instead of searching the queue for it, which took minutes (quadratic in
        the backlog) when the interpreter closed a million waiting cases at exit."""
        for request in self.resource.put_queue:
            request.succeed()
        self.resource.put_queue.clear()

    def reset(self, now: float) -> None:
        """Start measuring at `now`: the work under way counts from here on."""
        self.since, self.wait_area = now, 0.0
        self.busy_area = sum(
            max(min(r.until, self.end) - now, 0.0)
            for r in self.resource.users
            if hasattr(r, "until")
        )
        self.peak = self.cases_queued()
        self.staff.reset(now)

    def cases_queued(self) -> int:
        """Cases in the queue: staff absences not yet granted queue too, on a changing desk (counted
        from the few absences, not by walking a long queue)."""
        return len(self.resource.queue) - sum(1 for r in self.absences if not r.triggered)

    def waiting_now(self, end: float) -> float:
        """Minutes cases are still waiting at `end` (added to the wait area)."""
        return sum(
            end - max(r.joined, self.since) for r in self.resource.queue if hasattr(r, "joined")
        )


class Replication:
    """One replication's state: environment, stations, random streams, grader."""

    def __init__(self, plan: Plan, replication: int, seed: int, log=None, timeline: bool = False):
        self.plan = plan
        self.log = log  # an EventLog, or None (no per-event work at all)
        self.timeline: list[dict] | None = [] if timeline else None  # one sample per working day
        self.env = simpy.Environment(initial_time=plan.start)
        prioritised = len({s.spec.priority for s in plan.services}) > 1
        self.stations = [Station(self.env, d, prioritised, plan.end) for d in plan.departments]
        self.grader = Grader(plan, log=log)
        self.step_tallies = [StepTally() for _ in plan.steps]
        self.wip = TimeAverage(plan.start)
        self.open: set[CaseRecord] = set()
        self.seed, self.replication = seed, replication
        self.draws = [ServiceDraws.of(plan, s, seed, replication) for s in plan.services]
        for s in plan.services:
            self.env.process(self._arrive(s))
        if plan.warmup_end > plan.start:
            self.env.process(self._end_warmup())
        if timeline:
            self.env.process(self._sample_daily())

    # ------------------------------------------------------------------ processes
    def run(self) -> None:
        """Run the replication to the period's end, then grade the cases still open."""
        self.env.run(until=self.plan.end)
        still_open = sorted(self.open, key=lambda r: (r.received, r.service, r.number))
        self.grader.flush(still_open)
        if self.log is not None:
            for record in still_open:
                self.log.case(record, self.plan.services[record.service].name)

    def release(self) -> None:
        """After the metrics are read: settle the requests still queued (`abandon_queue`), so
        dropping the replication is linear in its backlog."""
        for station in self.stations:
            station.abandon_queue()

    def _sample_daily(self):
        """At each working day's close: queue lengths, open cases and their card levels right then."""
        cal, plan = self.plan.calendar, self.plan
        for k in range(plan.start_day, plan.end_day):
            close = float(cal.bm_start[k + 1])
            if close >= plan.end:
                break
            yield self.env.timeout(close - self.env.now)
            day = str(cal.work_days[k].astype("datetime64[D]"))
            sample = {
                "day": day,
                "open": len(self.open),
                "queues": {
                    st.dept.name: sum(1 for r in st.resource.queue if hasattr(r, "joined"))
                    for st in self.stations
                },
            }
            sample["cards"] = self.grader.levels_now(list(self.open), self.env.now)
            self.timeline.append(sample)

    def _end_warmup(self):
        yield self.env.timeout(self.plan.warmup_end - self.env.now)
        now = self.env.now
        for station in self.stations:
            station.reset(now)
        self.wip.reset(now)
        self.step_tallies = [StepTally() for _ in self.plan.steps]

    def _arrive(self, service: ServicePlan):
        env = self.env
        k = 0
        # A block of days at a time: memory does not grow with the period.
        for times, _online in receipts(self.plan, service, self.seed, self.replication):
            for t in times.tolist():
                if t > env.now:
                    yield env.timeout(t - env.now)
                env.process(self._case(service, t, k))
                k += 1

    def _case(self, service: ServicePlan, received: float, number: int):
        env = self.env
        block, k = self.draws[service.index].block(
            number
        )  # this case's draws (held while it is open)
        record = CaseRecord(service.index, received, number=number)
        self.open.add(record)
        self.wip.change(received, 1)
        if service.accepts_at_receipt:
            record.accepted = received
        completed, decided_early, commitment = True, False, service.spec.commitment
        for (
            item
        ) in service.route:  # top level walked here: one generator layer fewer for plain steps
            if item.__class__ is StepPlan:
                completed = yield from self._step(service, item, record, block, k)
            else:
                completed = yield from self._route(service, [item], record, block, k)
            if not completed:
                break
            if commitment and not decided_early and record.is_accepted:
                # 告知承诺: decided on the applicant's commitment once accepted; the rest of the route
                # is verification afterwards — staff work, but not the applicant's wait.
                self._finish(record, True)
                record, decided_early = (
                    CaseRecord(service.index, received, accepted=env.now, number=number),
                    True,
                )
        if decided_early:
            return
        if (
            completed and record.materials_at is not None
        ):  # 容缺受理: the decision waits for the materials
            if record.materials_at == float("inf"):
                completed = False  # never sent: the case is terminated
            elif record.materials_at > env.now:
                yield env.timeout(record.materials_at - env.now)
        self._finish(record, completed)

    def _finish(self, record: CaseRecord, completed: bool) -> None:
        record.decided = self.env.now
        record.gave_up = not completed
        self.open.remove(record)
        self.wip.change(self.env.now, -1)
        self.grader.add(record)
        if self.log is not None:
            self.log.case(record, self.plan.services[record.service].name)

    def _route(self, service: ServicePlan, route: list, record: CaseRecord, block: Block, k: int):
        """Walk a route; False if the applicant gave up on the way."""
        env = self.env
        for item in route:
            if isinstance(item, StepPlan):
                ok = yield from self._step(service, item, record, block, k)
            elif isinstance(item, ParallelPlan):
                branches = [
                    env.process(self._route(service, b, record, block, k)) for b in item.branches
                ]
                results = yield simpy.AllOf(env, branches)
                ok = all(results.values())
            else:
                assert isinstance(item, ChoicePlan)
                u = block.choices[id(item)][k]
                chosen = next(
                    (r for c, r in zip(item.cumulative, item.routes) if u < c), item.routes[-1]
                )
                ok = yield from self._route(service, chosen, record, block, k)
            if not ok:
                return False
        return True

    def _step(self, service: ServicePlan, step: StepPlan, record: CaseRecord, block: Block, k: int):
        """One step of a case: desk visits (again after each supplement round), then a special
        procedure if drawn; False if the applicant gave up."""
        env = self.env
        if step.delay is not None:
            yield from self._delay(service, step, record, block, k)
            return True
        draws = block.steps[step.id]
        work = draws.work[k]
        entered = env.now
        rounds = 0
        while True:
            yield from self._visit(service, step, record, work)
            if step.plain:
                if step.accepts and not record.is_accepted:
                    record.accepted = env.now
                return True
            supplement = step.supplement
            sent_back = (
                supplement is not None
                and rounds < supplement.max_rounds
                and draws.sent_back[k, rounds] < supplement.chance
            )
            if sent_back and supplement.tolerate:  # 容缺受理: accepted now, the materials follow
                if not record.is_accepted:
                    record.accepted = env.now
                gives_up = draws.give_up[k, rounds] < supplement.give_up
                response = float(draws.response[k, rounds])
                record.materials_at = (
                    float("inf")
                    if gives_up
                    else self._after(env.now, response, supplement.response.unit)
                )
                break
            # Not yet accepted: restart mode accepts only the complete round (Art. 32)
            if (
                step.accepts
                and not record.is_accepted
                and (not sent_back or supplement.clock == "resume")
            ):
                record.accepted = env.now
            if not sent_back:
                break
            notice = env.now
            if draws.give_up[k, rounds] < supplement.give_up:
                self._span(step, record, entered)
                return False  # the applicant never comes back
            back = self._after(notice, float(draws.response[k, rounds]), supplement.response.unit)
            rounds += 1
            work = draws.again()
            yield env.timeout(back - notice)
            if record.is_accepted:  # the clock stops while the applicant supplements
                record.pauses = (record.pauses or []) + [(notice, back)]
        special = step.special
        if special is not None and draws.special[k] < special.probability:
            start = env.now
            finish = self._after(start, float(draws.special_duration[k]), special.duration.unit)
            yield env.timeout(finish - start)
            if record.is_accepted:  # Art. 45: not counted
                record.pauses = (record.pauses or []) + [(start, finish)]
        self._span(step, record, entered)
        return True

    def _visit(self, service: ServicePlan, step: StepPlan, record: CaseRecord, work: float):
        """Queue at the step's desk, work `work` minutes, and tally the visit where it completes."""
        env = self.env
        station = self.stations[step.department]
        resource = station.resource
        log = self.log
        arrived = env.now
        request = (
            resource.request(priority=service.spec.priority)
            if station.prioritised
            else resource.request()
        )
        with request:
            if not request.triggered:  # a free desk grants at once: no event round-trip then
                request.joined = arrived  # read at the end for waits still under way
                queued = station.cases_queued() if station.prioritised else len(resource.queue)
                if queued > station.peak:
                    station.peak = queued
                yield request
                started = env.now
                if started > station.since:
                    station.wait_area += started - (
                        arrived if arrived > station.since else station.since
                    )
            else:
                started = arrived
            request.until = started + work  # read at the end of the warm-up for work under way
            station.worked(started, work)
            if log is not None:  # the lowest free handler number takes the case
                slot = heapq.heappop(station.free_slots)
                self._log_visit(service, step, record, "start", slot)
            yield env.timeout(work)
        if log is not None:
            heapq.heappush(station.free_slots, slot)
            self._log_visit(service, step, record, "complete", slot)
        tally = self.step_tallies[step.id]  # looked up now: a visit counts where it completes
        tally.visits += 1
        tally.work += work
        if started > arrived:
            tally.wait += started - arrived
            tally.waited += 1

    def _delay(
        self, service: ServicePlan, step: StepPlan, record: CaseRecord, block: Block, k: int
    ):
        """An elapsed delay (no staff): counted on the clock."""
        env = self.env
        entered = env.now
        finish = self._after(entered, float(block.steps[step.id].delay[k]), step.delay.unit)
        if self.log is not None:
            self._log_visit(service, step, record, "start")
        yield env.timeout(finish - entered)
        if self.log is not None:
            self._log_visit(service, step, record, "complete")
        tally = self.step_tallies[step.id]
        tally.visits += 1
        tally.work += finish - entered
        if step.accepts and not record.is_accepted:
            record.accepted = env.now
        self._span(step, record, entered)

    def _log_visit(
        self,
        service: ServicePlan,
        step: StepPlan,
        record: CaseRecord,
        lifecycle: str,
        slot: int | None = None,
    ) -> None:
        """A step's start or completion in the event log; at a desk, the handler is the
        department's name and handler number (`registry#2`) and the role its department."""
        role = "" if step.department is None else self.plan.departments[step.department].name
        self.log.add(
            f"{service.name}-{record.number}",
            service.name,
            step.name,
            lifecycle,
            self.env.now,
            f"{role}#{slot}" if slot is not None else "",
            role,
        )

    def _span(self, step: StepPlan, record: CaseRecord, entered: float) -> None:
        if step.limit is not None:
            if record.spans is None:
                record.spans = {}
            span = record.spans.setdefault(step.name, [entered, self.env.now])
            span[1] = self.env.now

    def _after(self, now: float, amount: float, unit: str) -> float:
        """Business instant `amount` of a unit after `now`."""
        if unit == "min":
            return now + amount
        return float(self.plan.calendar.business_after(now, amount, unit))
