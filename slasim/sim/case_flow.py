"""What a case does in the centre, written once for both event engines: arrivals, the route with its
branch points, parallel groups and Markov routes (each next step drawn after the one done), desk
visits repeated after supplements, special procedures, 告知承诺 and 容缺受理, delays, batch
releases (a step's cases leave it together at set times), and the records grading reads.

`CaseFlow` holds a replication's state and its processes as generators on the business-minute axis
(docs/ARCHITECTURE.md property 3). It leaves four things to the engine that runs it: `now`,
`timeout(minutes)` (something a process yields to wait), `process(generator)` (start a process),
`_all_done(generators)` (run branches and wait for the last) and `_visit` (queue at a desk and work).
`simpy_engine` runs it on SimPy, the reference; `event_engine` on a lean event loop that keeps
SimPy's order of simultaneous events, so both give the same results on the same draws.
Every random draw comes from a stream of its own (service or step × purpose), so a reform that
changes one step leaves the others' draws alone (common random numbers, property 6)."""

from __future__ import annotations

from slasim.scenario.plan import ChoicePlan, MarkovPlan, Plan, ServicePlan, StepPlan, step_names
from slasim.sim.arrivals import receipts
from slasim.sim.draws import Block, ServiceDraws, stream
from slasim.sim.grading import CaseRecord, Grader
from slasim.sim.metrics import StepTally, TimeAverage
from slasim.sim.warm import (
    OpenCase,
    case_block,
    elapsed,
    find_place,
    needs_seating_in_turn,
    residual_rng,
)


class CaseFlow:
    """One replication's state and its case processes; an engine supplies the kernel."""

    now: float
    stations: list
    # An engine whose loop takes a desk visit as what a process yields sets, by step id, what
    # it needs of the step's desk; the case then yields `(visit_of[id], work, record)` itself,
    # one call and one iterator fewer per visit than `yield from self._visit(...)`.
    visit_of: list | None = None

    def __init__(self, plan: Plan, replication: int, seed: int, log=None, open_cases=()):
        self.plan = plan
        self.open_cases: list[OpenCase] = list(open_cases)  # a warm start (`sim.warm`)
        self.warm_records: list[CaseRecord] = []  # their records, in the order given
        self.log = log  # an EventLog, or None (no per-event work at all)
        self.grader = Grader(plan, log=log)
        self.step_tallies = [StepTally() for _ in plan.steps]
        self.wip = TimeAverage(plan.start)
        self.open: set[CaseRecord] = set()
        self.seed, self.replication = seed, replication
        self.draws = [ServiceDraws.of(plan, s, seed, replication) for s in plan.services]
        self.prioritised = len({s.spec.priority for s in plan.services}) > 1
        # A warm start's open cases: minutes each waited at each desk (by department index), up
        # to `waits_until` (what holds a case back: `forecast`'s binding desk per case).
        self.desk_waits: dict | None = {} if self.open_cases else None
        self.waits_until = plan.end

    # ------------------------------------------------------------------ the engine's part
    def timeout(self, minutes: float):
        """What a process yields to wait `minutes` business minutes."""
        raise NotImplementedError

    def process(self, generator) -> None:
        """Start a process now (after the processes already started at this instant)."""
        raise NotImplementedError

    def _all_done(self, branches: list):
        """Run branch generators as processes; wait for the last; whether all ran to the end."""
        raise NotImplementedError

    def _visit(self, service: ServicePlan, step: StepPlan, record: CaseRecord, work: float):
        """Queue at the step's desk and work `work` minutes; the visit is tallied on its step when
        it completes (`_visited`)."""
        raise NotImplementedError

    def _run_until(self, end: float) -> None:
        """Process what happens before `end` (not at it), as SimPy's `run(until=end)` does."""
        raise NotImplementedError

    # ------------------------------------------------------------------ the replication
    def start(self) -> None:
        """Start the open cases of a warm start (in their order), the arrival processes and the end
        of the warm-up (after the stations exist)."""
        if needs_seating_in_turn(self.plan, self.open_cases):
            self.process(self._seat_in_turn())
        else:
            for case in self.open_cases:
                self.process(self._resume(case))
        for s in self.plan.services:
            self.process(self._arrive(s))
        if self.plan.warmup_end > self.plan.start:
            self.process(self._end_warmup())

    def run(self) -> None:
        """Run the replication to the period's end, then grade the cases still open."""
        self._run_until(self.plan.end)
        still_open = sorted(self.open, key=lambda r: (r.received, r.service, r.number))
        self.grader.flush(still_open)
        if self.log is not None:
            for record in still_open:
                self.log.case(record, self.plan.services[record.service].name)

    def release(self) -> None:
        """After the metrics are read: let go of what the engine still holds (nothing here)."""

    def _seat_in_turn(self):
        """Start each open case and let it take its places (its branches' too) before the next."""
        for case in self.open_cases:
            self.process(self._resume(case))
            yield self.timeout(0.0)

    def _waited(self, record: CaseRecord, department: int, arrived: float, started: float) -> None:
        """An open case's wait at a desk, up to `waits_until` (`desk_waits`)."""
        waits = self.desk_waits.get(record)
        if waits is not None:
            wait = min(started, self.waits_until) - arrived
            if wait > 0:
                waits[department] = waits.get(department, 0.0) + wait

    def queued(self):
        """(record, department, arrived) of each case waiting at a desk now (engine's part)."""
        raise NotImplementedError

    def end_waits(self) -> None:
        """After the run: the waits of the open cases still queued, counted to `waits_until`."""
        if self.desk_waits is not None:
            for record, department, arrived in self.queued():
                self._waited(record, department, arrived, self.waits_until)

    def _end_warmup(self):
        yield self.timeout(self.plan.warmup_end - self.now)
        now = self.now
        for station in self.stations:
            station.reset(now)
        self.wip.reset(now)
        self.step_tallies = [StepTally() for _ in self.plan.steps]

    def _arrive(self, service: ServicePlan):
        k = 0
        # A block of days at a time: memory does not grow with the period.
        for times, _online in receipts(self.plan, service, self.seed, self.replication):
            for t in times.tolist():
                if t > self.now:
                    yield self.timeout(t - self.now)
                self.process(self._case(service, t, k))
                k += 1

    # ------------------------------------------------------------------ a case
    def _case(self, service: ServicePlan, received: float, number: int):
        draws = self.draws[service.index]
        at, k = divmod(number, draws.size)
        # the case's block, held while it is open: nearly always the newest (`ServiceDraws.block`)
        block = draws.newest if at == draws.newest_number else draws.block(number)[0]
        record = CaseRecord(service.index, received, number=number)
        self.open.add(record)
        self.wip.change(received, 1)
        if service.accepts_at_receipt:
            record.accepted = received
        completed, decided_early, commitment = True, False, service.spec.commitment
        visits = self.visit_of
        for item in service.route:  # the top level walked here: one generator layer fewer
            if item.__class__ is StepPlan:
                if item.plain:  # one desk visit: two generator layers fewer
                    work = block.steps[item.id].work[k]
                    if visits is not None:  # the engine takes the visit as the process's yield
                        yield (visits[item.id], work, record)
                    else:
                        yield from self._visit(service, item, record, work)
                    if item.accepts and not record.is_accepted:
                        record.accepted = self.now
                elif item.delay is not None:  # an elapsed delay (never given up): one layer fewer
                    yield from self._delay(service, item, record, block, k)
                else:
                    completed = yield from self._step(service, item, record, block, k)
            else:
                completed = yield from self._route(service, [item], record, block, k)
            if not completed:
                break
            if commitment and not decided_early and record.is_accepted:
                # 告知承诺: decided on the applicant's commitment once accepted; the rest of the route
                # is verification afterwards — staff work, but not the applicant's wait.
                self._finish(record, True)
                record = CaseRecord(service.index, received, accepted=self.now, number=number)
                decided_early = True
        if decided_early:
            return
        if completed and record.materials_at is not None:  # 容缺受理: the decision waits
            if record.materials_at == float("inf"):
                completed = False  # never sent: the case is terminated
            elif record.materials_at > self.now:
                yield self.timeout(record.materials_at - self.now)
        self._finish(record, completed)

    def _resume(self, case: OpenCase):
        """An open case of a warm start, from where it is (`sim.warm`) to its decision."""
        plan, now = self.plan, self.now
        service = plan.services[case.service]
        if case.step:
            item, rest = find_place(service.route, case.step)
        else:  # nothing done yet: the route from its start
            item, rest = None, list(service.route)
        block = case_block(plan, service, case, self.seed, self.replication)
        record = CaseRecord(service.index, case.received, case.accepted, number=case.number)
        record.pauses = list(case.pauses) or None
        self.open.add(record)
        self.warm_records.append(record)
        if self.desk_waits is not None:
            self.desk_waits[record] = {}
        self.wip.change(now, 1)
        completed = True
        if item is not None:
            completed = yield from self._resume_item(
                service, item, case.fronts, record, block, case
            )
        commitment, decided_early = service.spec.commitment, False
        for item in rest if completed else ():
            completed = yield from self._route(service, [item], record, block, 0)
            if not completed:
                break
            if commitment and not decided_early and record.is_accepted:  # as in `_case`
                self._finish(record, True)
                record = CaseRecord(service.index, case.received, self.now, number=case.number)
                decided_early = True
        if decided_early:
            return
        if completed and record.materials_at is not None:  # 容缺受理: the decision waits
            if record.materials_at == float("inf"):
                completed = False
            elif record.materials_at > self.now:
                yield self.timeout(record.materials_at - self.now)
        self._finish(record, completed)

    def _resume_item(self, service, item, fronts: list, record: CaseRecord, block: Block, case):
        """Go on with a route item from the case's places in it (`sim.warm`): a step's state under
        way, a Markov route from its step, a parallel group branch by branch."""
        if item.__class__ is StepPlan:
            front = next(f for f in fronts if f.step == item.name)
            if front.state == "after":
                return True
            return (yield from self._seat(service, item, front, record, block, case))
        if isinstance(item, MarkovPlan):
            names = [st.name for st in item.steps]
            front = next(f for f in fronts if f.step in names)
            at = names.index(front.step)
            seat = (
                None
                if front.state == "after"
                else self._seat(service, item.steps[at], front, record, block, case)
            )
            return (
                yield from self._markov(
                    service, item, record, block, 0, f"open:{case.key}", (at, front.visits, seat)
                )
            )
        return (
            yield from self._all_done(
                [self._go_on(service, b, fronts, record, block, case) for b in item.branches]
            )
        )

    def _go_on(self, service, route: list, fronts: list, record: CaseRecord, block: Block, case):
        """A branch of a parallel group: from the case's place in it, or from its start."""
        names = set(step_names(route))
        mine = [f for f in fronts if f.step in names]
        if not mine:
            return (yield from self._route(service, route, record, block, 0))
        item, rest = find_place(route, mine[0].step)
        ok = yield from self._resume_item(service, item, mine, record, block, case)
        if ok and rest:
            ok = yield from self._route(service, rest, record, block, 0)
        return ok

    def _seat(self, service, step: StepPlan, front, record: CaseRecord, block: Block, case):
        """A case at `step` in the state `front` gives: what remains of it; False if the
        applicant gave up."""
        plan, now = self.plan, self.now
        draws = block.steps[step.id]
        rng = residual_rng(self.seed, self.replication, service, case, front.step)

        def rest_of(dist) -> float:  # what remains of a duration under way, in its unit
            return float(dist.residual(rng, 1, elapsed(plan, front.since, now, dist.unit))[0])

        completed = True
        if front.state == "delay":
            yield from self._delay(service, step, record, block, 0, rest_of(step.delay))
        elif front.state in ("waiting", "in_service"):
            if front.state == "in_service":
                done = (now - front.since) / step.work_scale
                work = float(step.work.residual(rng, 1, done)[0]) * step.work_scale
            else:
                work = draws.work[0] if front.rounds == 0 else draws.again()
            completed = yield from self._step(
                service, step, record, block, 0, work, front.rounds, front.since
            )
        else:  # parked: a supplement (then the desk again) or a special procedure
            dist = (  # parked after its `rounds`-th notice: that round's response
                step.supplement.round_response(max(front.rounds, 1) - 1)
                if front.state == "supplement"
                else step.special.duration
            )
            back = self._after(now, rest_of(dist), dist.unit)
            yield self.timeout(back - now)
            if record.is_accepted:  # the clock stops while parked (Art. 32, 45)
                record.pauses = (record.pauses or []) + [(front.since, back)]
            if front.state == "supplement":
                completed = yield from self._step(
                    service, step, record, block, 0, draws.again(), front.rounds, front.since
                )
            else:
                if step.batch is not None:
                    yield self.timeout(step.release_after(self.now) - self.now)
                self._span(step, record, front.since)
        return completed

    def _finish(self, record: CaseRecord, completed: bool) -> None:
        record.decided = self.now
        record.gave_up = not completed
        self.open.remove(record)
        self.wip.change(self.now, -1)
        self.grader.add(record)
        if self.log is not None:
            self.log.case(record, self.plan.services[record.service].name)

    def _route(self, service: ServicePlan, route: list, record: CaseRecord, block: Block, k: int):
        """Walk a route; False if the applicant gave up on the way."""
        for item in route:
            if isinstance(item, StepPlan):
                ok = yield from self._step(service, item, record, block, k)
            elif isinstance(item, ChoicePlan):
                u = block.choices[id(item)][k]
                chosen = next(
                    (r for c, r in zip(item.cumulative, item.routes) if u < c), item.routes[-1]
                )
                ok = yield from self._route(service, chosen, record, block, k)
            elif isinstance(item, MarkovPlan):
                ok = yield from self._markov(service, item, record, block, k)
            else:  # a parallel group
                ok = yield from self._all_done(
                    [self._route(service, b, record, block, k) for b in item.branches]
                )
            if not ok:
                return False
        return True

    def _markov(
        self,
        service: ServicePlan,
        chain: MarkovPlan,
        record: CaseRecord,
        block: Block,
        k: int,
        key: str | None = None,
        resume: tuple | None = None,
    ):
        """Walk a Markov route: each next step drawn from the shares after the one just done, until
        `end` or `max_visits` steps. The case's moves and the work of its repeated visits come from
        a stream of its own (case number × route; `key`: an open case's id), so they do not depend
        on the order of events. `resume`: an open case's (step index, visits so far, the rest of
        its visit there or None when it is done), the route going on after that step."""
        rng = stream(self.seed, self.replication, service.name, "markov", chain.key, key or str(k))
        moves = rng.random(chain.max_visits).tolist()
        cumulative, targets = chain.start
        seen = set()
        if resume is not None:
            at, visits, seat = resume
            if seat is not None:
                ok = yield from seat
                if not ok:
                    return False
            seen.add(chain.steps[at].id)
            cumulative, targets = chain.next[at]
            moves = moves[visits:]
        for u in moves:
            at = next((t for c, t in zip(cumulative, targets) if u < c), targets[-1])
            if at == len(chain.steps):
                break
            step = chain.steps[at]
            again = None
            if step.id in seen:  # a repeated visit: new work (or a new delay) of its own
                dist = step.work if step.delay is None else step.delay
                again = float(dist.draw(rng, 1)[0]) * step.work_scale
            seen.add(step.id)
            if step.delay is not None:
                yield from self._delay(service, step, record, block, k, again)
            else:
                ok = yield from self._step(service, step, record, block, k, again)
                if not ok:
                    return False
            cumulative, targets = chain.next[at]
        return True

    def _step(
        self,
        service: ServicePlan,
        step: StepPlan,
        record: CaseRecord,
        block: Block,
        k: int,
        work: float | None = None,
        rounds: int = 0,
        entered: float | None = None,
    ):
        """One step of a case: desk visits (again after each supplement round), then a special
        procedure if drawn; False if the applicant gave up. `work`: the first visit's work, when
        not the case's draw (a step visited again on a Markov route, an open case's). `rounds`
        and `entered`: supplement rounds already done and the step's entry, for an open case."""
        if step.delay is not None:
            yield from self._delay(service, step, record, block, k)
            return True
        draws = block.steps[step.id]
        if work is None:
            work = draws.work[k]
        if entered is None:
            entered = self.now
        visits = self.visit_of
        while True:
            if visits is not None:  # the engine takes the visit as the process's yield
                yield (visits[step.id], work, record)
            else:
                yield from self._visit(service, step, record, work)
            if step.plain:
                if step.accepts and not record.is_accepted:
                    record.accepted = self.now
                return True
            supplement = step.supplement
            at = (
                k * supplement.max_rounds + rounds if supplement is not None else 0
            )  # round's draws
            sent_back = (
                supplement is not None
                and rounds < supplement.max_rounds
                and draws.sent_back[at] < supplement.round_chance(rounds)
            )
            if sent_back and supplement.tolerate:  # 容缺受理: accepted now, the materials follow
                if not record.is_accepted:
                    record.accepted = self.now
                gives_up = draws.give_up[at] < supplement.give_up
                response = draws.response[at]
                record.materials_at = (
                    float("inf")
                    if gives_up
                    else self._after(self.now, response, supplement.round_unit(rounds))
                )
                break
            # Not yet accepted: restart mode accepts only the complete round (Art. 32)
            if (
                step.accepts
                and not record.is_accepted
                and (not sent_back or supplement.clock == "resume")
            ):
                record.accepted = self.now
            if not sent_back:
                break
            notice = self.now
            if draws.give_up[at] < supplement.give_up:
                self._span(step, record, entered)
                return False  # the applicant never comes back
            back = self._after(notice, draws.response[at], supplement.round_unit(rounds))
            rounds += 1
            work = draws.again()
            yield self.timeout(back - notice)
            if record.is_accepted:  # the clock stops while the applicant supplements
                record.pauses = (record.pauses or []) + [(notice, back)]
        special = step.special
        if special is not None and draws.special[k] < special.probability:
            start = self.now
            finish = self._after(start, draws.special_duration[k], special.duration.unit)
            yield self.timeout(finish - start)
            if record.is_accepted:  # Art. 45: not counted
                record.pauses = (record.pauses or []) + [(start, finish)]
        if step.batch is not None:  # released with the others at the step's next release
            yield self.timeout(step.release_after(self.now) - self.now)
        self._span(step, record, entered)
        return True

    def _visited(self, step: StepPlan, arrived: float, started: float, work: float) -> None:
        """A desk visit completed now: tallied on its step (looked up now: a visit counts where it
        completes, after the warm-up's reset)."""
        tally = self.step_tallies[step.id]
        tally.visits += 1
        tally.work += work
        if started > arrived:
            tally.wait += started - arrived
            tally.waited += 1

    def _delay(
        self,
        service: ServicePlan,
        step: StepPlan,
        record: CaseRecord,
        block: Block,
        k: int,
        amount: float | None = None,
    ):
        """An elapsed delay (no staff): counted on the clock. `amount`: when not the case's draw."""
        entered = self.now
        if amount is None:
            amount = block.steps[step.id].delay[k]
        finish = self._after(entered, amount, step.delay.unit)
        if self.log is not None:
            self._log_visit(service, step, record, "start")
        yield self.timeout(finish - entered)
        if self.log is not None:
            self._log_visit(service, step, record, "complete")
        tally = self.step_tallies[step.id]
        tally.visits += 1
        tally.work += finish - entered
        if step.batch is not None:  # released with the others at the step's next release
            yield self.timeout(step.release_after(self.now) - self.now)
        if step.accepts and not record.is_accepted:
            record.accepted = self.now
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
            self.now,
            f"{role}#{slot}" if slot is not None else "",
            role,
        )

    def _span(self, step: StepPlan, record: CaseRecord, entered: float) -> None:
        if step.limit is not None:
            if record.spans is None:
                record.spans = {}
            span = record.spans.setdefault(step.name, [entered, self.now])
            span[1] = self.now

    def _after(self, now: float, amount: float, unit: str) -> float:
        """Business instant `amount` of a unit after `now`."""
        return self.plan.calendar.business_after_one(now, amount, unit)
