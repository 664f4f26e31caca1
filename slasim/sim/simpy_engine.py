"""The SimPy engine, the reference: `case_flow`'s processes on a SimPy environment, departments as
SimPy resources. It is the engine that writes the event log and the daily timeline.

`env.now` is the calendar's business minutes (office time only, docs/ARCHITECTURE.md property 3):
staff are simply available whenever the clock runs, and nights, weekends and holidays cost no
events. Processes only record; `grading` and `metrics` summarise."""

from __future__ import annotations

import heapq

import simpy

from slasim.scenario.plan import DepartmentPlan, Plan, ServicePlan, StepPlan
from slasim.sim.case_flow import CaseFlow
from slasim.sim.grading import CaseRecord
from slasim.sim.metrics import DeskTally

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
        self.prioritised = prioritised or dept.changes_staff
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


class Replication(CaseFlow):
    """One replication on SimPy: environment, stations, the case processes of `CaseFlow`."""

    def __init__(
        self,
        plan: Plan,
        replication: int,
        seed: int,
        log=None,
        timeline: bool = False,
        open_cases=(),
    ):
        super().__init__(plan, replication, seed, log, open_cases)
        self.timeline: list[dict] | None = [] if timeline else None  # one sample per working day
        self.env = simpy.Environment(initial_time=plan.start)
        self.stations = [Station(self.env, d, self.prioritised, plan.end) for d in plan.departments]
        self.timeout = self.env.timeout
        self.process = self.env.process
        self.start()
        if timeline:
            self.env.process(self._sample_daily())

    @property
    def now(self) -> float:
        return self.env.now

    def _run_until(self, end: float) -> None:
        self.env.run(until=end)

    def release(self) -> None:
        """After the metrics are read: settle the requests still queued (`abandon_queue`), so
        dropping the replication is linear in its backlog."""
        for station in self.stations:
            station.abandon_queue()

    def queued(self):
        for st in self.stations:
            for request in st.resource.queue:
                if hasattr(request, "joined"):
                    yield request.record, st.dept.index, request.joined

    def _all_done(self, branches: list):
        results = yield simpy.AllOf(self.env, [self.env.process(b) for b in branches])
        return all(results.values())

    def _sample_daily(self):
        """At each office day's close: queue lengths, open cases and their card levels right then."""
        cal, plan = self.plan.calendar, self.plan
        for k in range(plan.start_office, plan.end_office):
            close = float(cal.bm_start[k + 1])
            if close >= plan.end:
                break
            yield self.env.timeout(close - self.env.now)
            day = str(cal.open_days[k].astype("datetime64[D]"))
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
                request.record = record
                queued = station.cases_queued() if station.prioritised else len(resource.queue)
                if queued > station.peak:
                    station.peak = queued
                yield request
                started = env.now
                if self.desk_waits is not None and started > arrived:
                    self._waited(record, step.department, arrived, started)
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
        self._visited(step, arrived, started, work)
