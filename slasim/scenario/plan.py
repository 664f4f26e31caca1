"""A scenario compiled for simulation: the period on the business-minute axis, departments, services
and their routes as plain objects the engine walks (no pydantic in the hot loop).

Business minutes are the calendar's axis (`WorkCalendar.bm_start`): office time only, so the engine
never schedules events for nights, weekends or holidays.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from slasim.calendar.units import MINUTES_PER_DAY, date_to_day, day_to_date, parse_clock
from slasim.calendar.workcalendar import WorkCalendar, load_calendar
from slasim.clock.cards import Ladder, parse_ladder
from slasim.clock.limits import Limit
from slasim.io.errors import SlasimError
from slasim.io.i18n import Text
from slasim.scenario.distributions import Distribution
from slasim.scenario.schema import (
    END,
    WEEKDAYS,
    Batch,
    Choice,
    Markov,
    Parallel,
    Scenario,
    Service,
    SpecialProcedure,
    Step,
    Supplement,
)

_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (mon = 0)

WORK_SCALE = {"min": 1.0, "h": 60.0}  # work distributions → office minutes


@dataclass
class StepPlan:
    """A step as engines see it: numbered, its department index, work, limit and loops."""

    id: int  # index over all steps of the scenario (for statistics)
    service: str
    name: str
    department: int | None  # None: a delay step (no staff)
    work: Distribution | None
    work_scale: float
    delay: Distribution | None
    limit: Limit | None
    accepts: bool
    supplement: Supplement | None
    special: SpecialProcedure | None
    batch: Batch | None = None
    releases: np.ndarray | None = None  # a batch's release instants (business minutes)
    plain: bool = False  # no loop, special procedure, limit or batch: the engine's short path

    def __post_init__(self):
        self.plain = (
            self.supplement is None
            and self.special is None
            and self.limit is None
            and self.delay is None
            and self.batch is None
        )

    def release_after(self, now: float) -> float:
        """The first release at or after `now` (inf: none left in the calendar's table)."""
        k = int(np.searchsorted(self.releases, now, side="left"))
        return float(self.releases[k]) if k < len(self.releases) else float("inf")


@dataclass
class ParallelPlan:
    """A parallel group: branches run at once, joined when the last ends."""

    branches: list[list]


@dataclass
class ChoicePlan:
    """A branch point: cumulative shares and one route per branch."""

    cumulative: list[float]
    routes: list[list]
    key: str = ""  # names the branch point's random stream: its steps' names


@dataclass
class MarkovPlan:
    """A Markov route: its steps, and for the start and after each step the cumulative shares of
    the step that comes next (its index in `steps`; `len(steps)` is the way out)."""

    steps: list[StepPlan]
    start: tuple[list[float], list[int]]
    next: list[tuple[list[float], list[int]]]
    max_visits: int
    key: str = ""  # names the route's random stream: its steps' names

    @property
    def branches(self) -> list[list]:
        """Each step as a route of its own (for walks that only collect steps)."""
        return [[st] for st in self.steps]

    def visits(self) -> np.ndarray:
        """Expected visits per case to each step (absorbing chain: start × (I − Q)⁻¹; the cap on
        visits left out)."""
        n = len(self.steps)

        def row(moves: tuple[list[float], list[int]]) -> np.ndarray:
            shares = np.diff(np.r_[0.0, moves[0]])
            out = np.zeros(n + 1)
            np.add.at(out, moves[1], shares)
            return out[:n]

        q = np.array([row(m) for m in self.next])
        return np.linalg.solve((np.eye(n) - q).T, row(self.start))


@dataclass
class ServicePlan:
    """A service as engines see it: limits, ladder, route and how it accepts."""

    index: int
    name: str
    spec: Service
    promised: Limit
    legal: Limit
    ladder: Ladder
    route: list
    accepts_at_receipt: bool  # no acceptance step: the clock starts at receipt
    steps: list[StepPlan] = field(default_factory=list)


@dataclass
class DepartmentPlan:
    """A department: base staff and the periods of other staffing within the period (business
    minutes) — its dated changes, and its roster's bands on the days no dated change covers."""

    index: int
    name: str
    staff: int
    changes: list[tuple[float, float, int]]  # (from, to) business minutes, staff in between

    @property
    def max_staff(self) -> int:
        """The most staff on duty at any time in the period."""
        return max([self.staff] + [c[2] for c in self.changes])

    @property
    def changes_staff(self) -> bool:
        """Whether the staff level changes within the period (engines then queue absences)."""
        return self.max_staff > self.staff or bool(self.changes)

    def timeline(self) -> list[tuple[float, int]]:
        """(instant, staff from then on) at each change of the staff level, in time order."""
        points: dict[float, int] = {}
        for start, end, staff in sorted(self.changes):
            points[end] = self.staff
            points[start] = staff  # a period starting where the previous one ends wins
        out, level = [], self.staff
        for at, staff in sorted(points.items()):
            if staff != level:  # a period meeting one with the same staff changes nothing
                out.append((at, staff))
                level = staff
        return out


@dataclass
class Plan:
    """A compiled scenario: calendar, period on the business axis, departments, services, steps."""

    scenario: Scenario
    calendar: WorkCalendar
    start: float  # business minutes
    end: float
    warmup_end: float
    start_day: int  # index of the first working day on the calendar axis
    end_day: int  # exclusive
    departments: list[DepartmentPlan]
    services: list[ServicePlan]
    steps: list[StepPlan]
    # the period's office days [start_office, end_office) (with rest days the office opens, more
    # than its working days: receipts, staff and releases run on them; the same indices without)
    start_office: int
    end_office: int

    @property
    def warmup_office(self) -> int:
        """The office day the measured part begins on: the period's first without a warm-up,
        else the working day `warmup_days` after its first working day."""
        warmup = self.scenario.warmup_days
        if warmup == 0:
            return self.start_office
        return int(self.calendar.office_of[self.start_day + warmup])

    @property
    def office_days(self) -> np.ndarray:
        """Epoch days of the period's office days."""
        return self.calendar.open_days[self.start_office : self.end_office]

    @property
    def provisional(self) -> bool:
        """Whether the period reaches past the calendar's published years."""
        days = self.calendar.open_days[[self.start_office, self.end_office - 1]]
        return bool(np.any(self.calendar.is_provisional(days)))

    def period_warnings(self) -> list[str]:
        """What to warn of before simulating the period: staff changes outside it, receipts on
        rest days the office opens taken whole."""
        return [*self.unused_staff_changes(), *self.rest_day_receipts()]

    def rest_day_receipts(self) -> list[str]:
        """Services receiving their whole `per_day` on rest days the calendar opens the office on
        (a short Saturday service takes a weekday's applications unless a weekday factor says
        otherwise), one located line each. None when the receipts follow `by_hour`."""
        cal = self.calendar
        if not cal.rest_days_open:
            return []
        days = self.office_days
        rested = days[~cal.is_working_day_array(days)]
        opened = sorted(
            {WEEKDAYS[int(w)] for w in (rested + _EPOCH_WEEKDAY) % 7}, key=WEEKDAYS.index
        )
        return [
            Text(
                "services.{name}.arrivals: calendar {calendar} opens the office on rest days "
                "({days}), and each takes the whole per_day of a working day: give "
                "weekday.{day} the share of a working day's applications they see",
                name=name,
                calendar=repr(cal.name),
                days=", ".join(opened),
                day=missing[0],
            )
            for name, spec in self.scenario.services.items()
            if not spec.arrivals.by_hour
            and (missing := [d for d in opened if d not in spec.arrivals.weekday])
        ]

    def unused_staff_changes(self) -> list[str]:
        """Dated staff changes wholly outside the simulated period (they change nothing), one
        located line each — a date typed in the wrong year should not pass in silence."""
        first, last = (day_to_date(int(d)) for d in self.office_days[[0, -1]])
        return [
            Text(
                "departments.{name}.staff_changes[{k}]: {start}..{end} lies outside the "
                "simulated period ({first}..{last}): no effect",
                name=name,
                k=k,
                start=c.start,
                end=c.end,
                first=first,
                last=last,
            )
            for name, spec in self.scenario.departments.items()
            for k, c in enumerate(spec.staff_changes)
            if c.end <= first or c.start > last
        ]


def step_names(route: list) -> list[str]:
    """Names of the steps of a route, depth first."""
    out = []
    for item in route:
        if isinstance(item, StepPlan):
            out.append(item.name)
        else:
            for branch in item.routes if isinstance(item, ChoicePlan) else item.branches:
                out.extend(step_names(branch))
    return out


def day_index(cal: WorkCalendar, day: dt.date) -> int:
    """Index on the working-day axis of the first working day on or after `day`."""
    return int(cal.working_days_before(np.array([date_to_day(day)]))[0])


def office_index(cal: WorkCalendar, day: dt.date) -> int:
    """Index on the office-day axis of the first office day on or after `day`."""
    return int(cal.office_days_before(np.array([date_to_day(day)]))[0])


def compile_plan(scenario: Scenario, source: str = "scenario") -> Plan:
    """The scenario indexed for an engine: period on the business axis, departments, services."""
    try:
        cal = load_calendar(scenario.calendar)
    except SlasimError as exc:
        raise exc.located(source, "calendar") from None
    try:
        start_day, end_day = period_days(cal, scenario)
    except SlasimError as exc:
        raise exc.located(source) from None
    bm = cal.bm_start
    # an open rest day at the start is the period's; at the end, up to the next working day
    start_office = office_index(cal, scenario.start)
    end_office = (
        office_index(cal, scenario.end) if scenario.end is not None else cal.office_of[end_day]
    )
    start, end = float(bm[start_office]), float(bm[end_office])
    departments = [
        DepartmentPlan(
            d,
            name,
            spec.staff,
            staff_changes_within(cal, spec, start, end)
            + roster_within(cal, spec, start_office, end_office),
        )
        for d, (name, spec) in enumerate(scenario.departments.items())
    ]
    dept_index = {d.name: d.index for d in departments}
    all_steps: list[StepPlan] = []
    services = []
    for s, (name, spec) in enumerate(scenario.services.items()):
        try:
            services.append(service_plan(s, name, spec, scenario, dept_index, all_steps))
        except SlasimError as exc:
            raise exc.located(source) from None
    for step in all_steps:
        if step.batch is not None:
            step.releases = release_instants(cal, step.batch, start_office)
    plan = Plan(
        scenario,
        cal,
        start,
        end,
        start,  # the warm-up's end, set below from the plan's office days
        start_day,
        end_day,
        departments,
        services,
        all_steps,
        start_office,
        int(end_office),
    )
    plan.warmup_end = float(bm[plan.warmup_office])
    return plan


def period_days(cal: WorkCalendar, scenario: Scenario) -> tuple[int, int]:
    """The simulated period as working-day indices [start, end) on the calendar's table."""
    cal.check_range(np.array([date_to_day(scenario.start)]), field="start")
    start_day = day_index(cal, scenario.start)
    if scenario.end is not None:
        cal.check_range(np.array([date_to_day(scenario.end)]), field="end")
        end_day = day_index(cal, scenario.end)
    else:
        end_day = start_day + scenario.working_days
    if end_day >= len(cal.work_days):
        raise SlasimError(
            "the period runs past the table of calendar {name}",
            field="working_days",
            name=repr(cal.name),
        )
    if end_day <= start_day:
        raise SlasimError("the period has no working day", field="end")
    if scenario.warmup_days >= end_day - start_day:
        raise SlasimError("the warm-up is as long as the period", field="warmup_days")
    return start_day, end_day


def staff_changes_within(cal: WorkCalendar, spec, start: float, end: float) -> list:
    """A department's dated staff changes clipped to the period, as (from, to, staff) in business
    minutes."""
    changes = []
    for c in spec.staff_changes:
        t0 = max(float(cal.bm_start[office_index(cal, c.start)]), start)
        t1 = min(float(cal.bm_start[office_index(cal, c.end)]), end)
        if t0 < t1:
            changes.append((t0, t1, c.staff))
    return changes


def roster_within(cal: WorkCalendar, spec, start_office: int, end_office: int) -> list:
    """A department's roster over the office days [start_office, end_office) that no dated change
    covers, as (from, to, staff) in business minutes: each band cut to the day's office hours,
    bands with the base staff left out, touching bands with equal staff joined."""
    if not spec.roster:
        return []
    k = np.arange(start_office, end_office)
    for c in spec.staff_changes:  # a dated change sets the staff at every hour of its days
        k = k[(k < office_index(cal, c.start)) | (k >= office_index(cal, c.end))]
    days = cal.open_days[k]
    weekday = (days + _EPOCH_WEEKDAY) % 7
    periods = []
    for shift in spec.roster:
        if shift.staff == spec.staff:
            continue
        on = days[np.isin(weekday, [WEEKDAYS.index(d) for d in shift.days])]
        a, b = shift.minutes
        t0 = cal.to_business_array(on * MINUTES_PER_DAY + a)
        t1 = cal.to_business_array(on * MINUTES_PER_DAY + b)
        keep = t1 > t0  # a band outside office hours holds no business minute
        periods += zip(t0[keep].tolist(), t1[keep].tolist(), [shift.staff] * int(keep.sum()))
    joined: list[tuple[float, float, int]] = []
    for t0, t1, staff in sorted(periods):
        if joined and joined[-1][1] == t0 and joined[-1][2] == staff:
            joined[-1] = (joined[-1][0], t1, staff)
        else:
            joined.append((t0, t1, staff))
    return joined


def release_instants(cal: WorkCalendar, batch, start_office: int) -> np.ndarray:
    """A batch's releases from the period's first office day to the end of the calendar's table,
    in business minutes: `at` on each office day of its weekdays."""
    days = cal.open_days[start_office:]
    days = days[np.isin((days + _EPOCH_WEEKDAY) % 7, [WEEKDAYS.index(d) for d in batch.days])]
    at = parse_clock(batch.at, field="at")
    return np.unique(cal.to_business_array(days * MINUTES_PER_DAY + at))


def service_plan(
    index: int,
    name: str,
    spec: Service,
    scenario: Scenario,
    dept_index: dict[str, int],
    all_steps: list[StepPlan],
) -> ServicePlan:
    """One service: limits, ladder, its route of steps (appended to `all_steps`), acceptance."""
    field_path = f"services.{name}"
    ladder = parse_ladder(
        spec.cards if spec.cards is not None else scenario.cards, field=f"{field_path}.cards"
    )
    plan = ServicePlan(
        index,
        name,
        spec,
        Limit.parse(spec.limits.promised or spec.limits.legal),
        Limit.parse(spec.limits.legal),
        ladder,
        [],
        accepts_at_receipt=False,
    )
    plan.route = build_route(spec.steps, plan, dept_index, all_steps)
    accepting = [st for st in plan.steps if st.accepts]
    if len(accepting) > 1:
        raise SlasimError("only one step can have `accepts: true`", field=f"{field_path}.steps")
    if not accepting:
        first = plan.route[0]
        if isinstance(first, StepPlan) and spec.acceptance == "first-step":
            first.accepts = True  # default: the first step is the reception that accepts (受理)
        else:
            plan.accepts_at_receipt = True
    for rung in ladder.rungs:
        if rung.scope != "case" and not any(
            st.name == rung.scope and st.limit for st in plan.steps
        ):
            raise SlasimError(
                "card rung scope {scope}: no step of that name with a `limit`",
                field=f"{field_path}.cards",
                scope=repr(rung.scope),
            )
    return plan


def build_route(
    items: list, plan: ServicePlan, dept_index: dict[str, int], all_steps: list[StepPlan]
) -> list:
    """A route's items compiled: steps numbered in `all_steps` (and the service's `steps`)."""
    route = []
    for item in items:
        if isinstance(item, Step):
            step = StepPlan(
                len(all_steps),
                plan.name,
                item.step,
                dept_index[item.department] if item.department else None,
                item.work,
                WORK_SCALE[item.work.unit] if item.work else 1.0,
                item.delay,
                Limit.parse(item.limit) if item.limit else None,
                item.accepts,
                item.supplement,
                item.special_procedure,
                item.batch,
            )
            all_steps.append(step)
            plan.steps.append(step)
            route.append(step)
        elif isinstance(item, Parallel):
            branches = [build_route(b, plan, dept_index, all_steps) for b in item.parallel]
            route.append(ParallelPlan(branches))
        elif isinstance(item, Markov):
            spec = item.markov
            steps = build_route(spec.steps, plan, dept_index, all_steps)
            index = {st.name: i for i, st in enumerate(steps)} | {END: len(steps)}

            def moves(shares: dict[str, float], index=index) -> tuple[list[float], list[int]]:
                return np.cumsum(list(shares.values())).tolist(), [index[n] for n in shares]

            route.append(
                MarkovPlan(
                    steps,
                    moves(spec.start),
                    [moves(spec.next[st.name]) for st in steps],
                    spec.max_visits,
                    ",".join(st.name for st in steps),
                )
            )
        else:
            assert isinstance(item, Choice)
            cumulative = np.cumsum([b.probability for b in item.branch]).tolist()
            routes = [build_route(b.steps, plan, dept_index, all_steps) for b in item.branch]
            key = "|".join(",".join(step_names(r)) or "-" for r in routes)
            route.append(ChoicePlan(cumulative, routes, key))
    return route
