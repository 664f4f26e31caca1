"""Open cases read from a case log as of one instant, so a centre needs no hand-made open-cases file.

The log is read by `fit`'s reader, handed in by the caller (`forecast` sits beside `fit`, not above
it), with `fit`'s naming rule for a step's name from an activity's. At the instant T:

- a case is received at its first event's start; one received after T is not there yet;
- when the log goes on past T (a past log, as in a backtest), a case is open at T if it has an
  event ending after T, else decided (its last event was its last); when the log ends by T (an
  export of today), a case is decided when its route may end after its last step, else open,
  waiting for its next step (the only rule such a log allows);
- an open case with an event under way at T is at that step: `in_service` (a desk) or `delay` (an
  elapsed step) since the event's start; otherwise it waits, since its last event's end, for the
  step after its last one — where the route branches there, each replication draws the branch by
  the route's shares, among the branches that go on (the case is known to be open);
- it is accepted at receipt, or when its first accepting step ended; earlier visits to its current
  step count as supplement rounds; cases beyond a desk's staff in service wait at its head.

- in (or about to enter) a parallel group or a Markov route, a case is placed at the last route
  item it has touched (`_fronts`): in each branch of a parallel group, at its step under way or
  after its step done (a branch with no event yet runs from its start); in a Markov route, at the
  step it began last, the route's visits so far counted; about to enter one, after its last step
  (the route drawn on from there by its shares); when the log goes on past T and the Markov
  route may end after its step, its next step is drawn without the way out.

Events of activities that are no step of the scenario (rare ones `fit` left out) place no case and
are counted. A log none of whose activities is a step of the scenario (another process's
log) is refused. A case the engines cannot place is left out, and the result says how many and
why. The log holds no pauses, extensions or cards: those of a log's cases are taken as none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from slasim.io.errors import SlasimError
from slasim.io.i18n import N_, Text
from slasim.scenario.names import Verbatim
from slasim.scenario.plan import (
    ChoicePlan,
    MarkovPlan,
    ParallelPlan,
    Plan,
    ServicePlan,
    StepPlan,
    step_names,
)
from slasim.sim.warm import Front, OpenCase, find_place, find_step

UNPLACEABLE = "unplaceable"
FRONT_ORDER = ("in_service", "waiting", "delay", "after")  # a case's own place: the busiest


@dataclass
class LogSnapshot:
    """The open cases of a log at T, in seating order; `choices[i]`: for case i, the places it may
    wait at, as (cumulative share, step name, state); `left_out`: reason → case ids;
    `received`: the log's cases received by T."""

    cases: list[OpenCase]
    choices: dict[int, list[tuple[float, str, str]]] = field(default_factory=dict)
    left_out: dict[str, list[str]] = field(default_factory=dict)
    received: int = 0
    ignored: dict[str, int] = field(default_factory=dict)  # activity → events not modelled


def _next_places(route: list) -> list[tuple[float, StepPlan | str | None]]:
    """Where a case goes next along `route`: (share, the step | None when the route ends |
    UNPLACEABLE when it enters a parallel group or a Markov route)."""
    if not route:
        return [(1.0, None)]
    item, rest = route[0], route[1:]
    if isinstance(item, StepPlan):
        return [(1.0, item)]
    if isinstance(item, ChoicePlan):
        out, before = [], 0.0
        for cumulative, branch in zip(item.cumulative, item.routes):
            share, before = cumulative - before, cumulative
            out += [(share * p, place) for p, place in _next_places(branch + rest) if share > 0]
        return out
    return [(1.0, UNPLACEABLE)]


def _fronts(route: list, steps: list[tuple], as_of: float) -> list[Front]:
    """A case's places along `route` from its step events ((name, start, end), wall minutes):
    at the last route item it has touched — a step under way (in service or in a delay since its
    start) or done (`after`, since its end); in the branch of a branch point it took; in each
    branch of a parallel group (none: the branch has not begun); in a Markov route, at its step
    last begun, with the route's visits so far. Instants stay wall minutes."""
    seen = {name for name, _, _ in steps}
    touched = [i for i, item in enumerate(route) if seen & set(step_names([item]))]
    if not touched:
        return []
    item = route[touched[-1]]
    if isinstance(item, StepPlan):
        return [_front(item.name, [s for s in steps if s[0] == item.name], as_of)]
    if isinstance(item, ChoicePlan):
        latest = max((s for s in steps if s[0] in set(step_names([item]))), key=lambda s: s[1:])
        branch = next(b for b in item.routes if latest[0] in step_names(b))
        return _fronts(branch, steps, as_of)
    if isinstance(item, ParallelPlan):
        return [front for branch in item.branches for front in _fronts(branch, steps, as_of)]
    names = {st.name for st in item.steps}  # a Markov route: where it went last
    visits = [s for s in steps if s[0] in names]
    latest = max(visits, key=lambda s: (s[1], s[2]))
    front = _front(latest[0], [latest], as_of)
    front.visits = len(visits)
    return [front]


def _front(name: str, events: list[tuple], as_of: float) -> Front:
    """A step's place from its events: under way at T, or done."""
    name, start, end = max(events, key=lambda s: (s[1], s[2]))
    if end > as_of:
        done = sum(1 for s in events if s[2] <= as_of)
        return Front(name, "in_service", start, rounds=done)
    return Front(name, "after", end)


def _department(service: ServicePlan, name: str) -> int | None:
    return next(st.department for st in service.steps if st.name == name)


def _chain_may_end(route: list, fronts: list[Front]) -> bool:
    """Whether a case after its step in a Markov route (its only place) may end its route there."""
    if len(fronts) != 1 or fronts[0].state != "after":
        return False
    item, rest = find_place(route, fronts[0].step)
    if not isinstance(item, MarkovPlan):
        return False
    at = [st.name for st in item.steps].index(fronts[0].step)
    cumulative, targets = item.next[at]
    shares = np.diff(np.r_[0.0, cumulative])
    out = sum(p for p, t in zip(shares, targets) if t == len(item.steps))
    return out > 0 and any(place is None for _, place in _next_places(rest))


def _chain_moves(route: list, fronts: list[Front]) -> list[tuple[float, str, str]] | None:
    """For a case after its step in a Markov route (its only place) whose route may end there,
    known to go on: the route's next steps without its way out, as (cumulative share, step,
    state); None if it may not end there or has no visit left."""
    if not _chain_may_end(route, fronts):
        return None
    chain, _ = find_place(route, fronts[0].step)
    if fronts[0].visits >= chain.max_visits:
        return None
    cumulative, targets = chain.next[[st.name for st in chain.steps].index(fronts[0].step)]
    shares = np.diff(np.r_[0.0, cumulative])
    kept = [(p, t) for p, t in zip(shares, targets) if t < len(chain.steps) and p > 0]
    total, out, running = sum(p for p, _ in kept), [], 0.0
    for p, t in kept:
        running += p / total
        step = chain.steps[t]
        out.append((running, step.name, "delay" if step.department is None else "waiting"))
    return out or None


def accepted_at(service: ServicePlan, received: float, steps: list[tuple]) -> float:
    """When a case was accepted (受理): at receipt, or when its first accepting step of `steps`
    ((name, start, end), in order) ended; NaN if not yet."""
    if service.accepts_at_receipt:
        return received
    accepting = {st.name for st in service.steps if st.accepts}
    for name, _, end in steps:
        if name in accepting:
            return end
    return math.nan


def service_of(plan: Plan, value: str, slug) -> ServicePlan | None:
    if not value:
        return plan.services[0] if len(plan.services) == 1 else None
    names = {s.name: s for s in plan.services}
    return names.get(value) or names.get(slug(value))


def _grouped(events, as_of: float) -> dict[str, list[int]]:
    """Row numbers of each case received by T, in the order of start, then end."""
    first: dict[str, float] = {}
    rows: dict[str, list[int]] = {}
    for i, (case, start) in enumerate(zip(events.case.tolist(), events.start.tolist())):
        first[case] = min(start, first.get(case, math.inf))
        rows.setdefault(case, []).append(i)
    out = {}
    for case in sorted((c for c in rows if first[c] <= as_of), key=lambda c: (first[c], c)):
        out[case] = sorted(rows[case], key=lambda i: (events.start[i], events.end[i]))
    return out


def snapshot_from_log(plan: Plan, events, as_of: float, slug) -> LogSnapshot:
    """The open cases of `events` (fit's `Events`, wall minutes) at `as_of` (wall minutes) on the
    plan's business axis (module docstring). `slug`: fit's step name for an activity name."""
    cal = plan.calendar
    snap = LogSnapshot([])
    goes_on = bool(len(events)) and float(events.end.max()) > as_of
    placed: list[tuple[tuple, OpenCase, list | None]] = []
    at_desk: dict[int, int] = {}

    def business(wall: float) -> float:
        return wall if math.isnan(wall) else float(cal.to_business_array(np.array([wall]))[0])

    def leave(reason: str, case: str) -> None:
        snap.left_out.setdefault(reason, []).append(case)

    every_step = {name for service in plan.services for name in step_names(service.route)}
    activities = set(events.activity[~events.milestone].tolist())
    if activities and not any(a in every_step or slug(a) in every_step for a in activities):
        raise SlasimError(
            "no activity of the log is a step of the scenario (e.g. {example}): is the scenario "
            "the one fitted from this log?",
            source=events.source,
            field="activity",
            example=Verbatim(sorted(activities)[0]),
        )
    for number, (case, rows) in enumerate(_grouped(events, as_of).items()):
        snap.received += 1
        service = service_of(plan, str(events.service[rows[0]]), slug)
        if service is None:
            leave(N_("its service is not in the scenario"), case)
            continue
        names = set(step_names(service.route))
        steps = []
        for i in rows:
            if events.milestone[i] or events.start[i] > as_of:
                continue
            activity = str(events.activity[i])
            name = activity if activity in names else slug(activity)
            if name not in names:  # not modelled (a rare activity `fit` left out): not a place
                snap.ignored[activity] = snap.ignored.get(activity, 0) + 1
                continue
            steps.append((name, float(events.start[i]), float(events.end[i])))
        ends_later = bool((events.end[rows] > as_of).any())
        if goes_on and not ends_later:
            continue  # the log goes on past T and this case has no event after it: decided
        if not steps:  # only a receipt so far: waits for its first step
            steps_done, running, last = [], [], None
        else:
            running = [s for s in steps if s[2] > as_of]
            steps_done = [s for s in steps if s[2] <= as_of]
            last = max(steps_done, key=lambda s: (s[2], s[1])) if steps_done else None
        received = float(events.start[rows].min())
        accepted = business(accepted_at(service, received, steps_done))
        rounds = {}
        for name, _, _ in steps_done:
            rounds[name] = rounds.get(name, 0) + 1
        choices = None
        general = None  # the case's places inside a parallel group or a Markov route
        if running:
            name, start, _ = max(running, key=lambda s: s[1])
            step, _ = find_step(service.route, name)
            if step is None or len({s[0] for s in running}) > 1:
                general = _fronts(service.route, steps, as_of)
        if general is not None:
            pass
        elif running:
            state, since = ("delay" if step.department is None else "in_service"), start
            if state == "in_service":
                seated = at_desk.get(step.department, 0)
                if seated >= plan.departments[step.department].staff:
                    state = "waiting"  # more in service than the scenario's staff: first in line
                else:
                    at_desk[step.department] = seated + 1
            where = [(1.0, step)]
        else:
            if last is None:
                places = _next_places(service.route)
                since = received
            else:
                step, rest = find_step(service.route, last[0])
                if step is None:
                    general = _fronts(service.route, steps, as_of)
                    places = [(1.0, UNPLACEABLE)]
                    if _chain_may_end(service.route, general):
                        places.append((1.0, None))
                else:
                    places = _next_places(rest)
                since = last[2]
            may_end = sum(p for p, place in places if place is None)
            if last is not None and not goes_on and may_end > 0:
                continue  # decided by T: its last step may end its route
            if any(place == UNPLACEABLE for _, place in places):
                # The route goes on into (or inside) a parallel group or a Markov route: the case
                # is seated at its places there, or after its last step, the route drawn on.
                if general is None:
                    general = [Front(last[0] if last else "", "after", since)]
                places = []
            else:
                places = [(p, place) for p, place in places if place is not None and p > 0]
                if not places:
                    leave(N_("its route has ended but the log goes on"), case)
                    continue
            where = places
        if general is not None:
            fronts = []
            for front in general:
                department = _department(service, front.step) if front.step else None
                if front.state == "in_service" and department is None:
                    front.state = "delay"  # an elapsed step under way
                if front.state == "in_service":
                    seated = at_desk.get(department, 0)
                    if seated >= plan.departments[department].staff:
                        front.state = "waiting"  # beyond the scenario's staff: first in line
                    else:
                        at_desk[department] = seated + 1
                fronts.append(front)
            fronts.sort(key=lambda f: FRONT_ORDER.index(f.state))
            main = fronts[0]
            moves = _chain_moves(service.route, fronts) if goes_on and not running else None
            if moves:  # the log goes on: the route's next step, not its way out
                choices = moves
                main = Front(moves[0][1], moves[0][2], main.since, 0, main.visits + 1)
            item = OpenCase(
                case,
                service.index,
                business(received),
                accepted,
                main.step,
                main.state,
                business(main.since),
            )
            item.rounds, item.visits, item.number = main.rounds, main.visits, -(number + 1)
            item.others = [replace(f, since=business(f.since)) for f in fronts[1:]]
            rank = (
                {"in_service": 0, "waiting": 1, "after": 1}.get(main.state, 2),
                main.since,
                number,
            )
            placed.append((rank, item, choices))
            continue
        total, cumulative, options = sum(p for p, _ in where), 0.0, []
        for p, step in where:
            cumulative += p / total
            if not running:
                state = "delay" if step.department is None else "waiting"
            options.append((cumulative, step.name, state))
        step_name, state = options[0][1], options[0][2]
        if len(options) > 1:
            choices = options
        item = OpenCase(
            case,
            service.index,
            business(received),
            accepted,
            step_name,
            state,
            business(since),
        )
        item.rounds = rounds.get(step_name, 0)
        item.number = -(number + 1)
        states = {o[2] for o in options}
        rank = (0 if "in_service" in states else 1 if "waiting" in states else 2, since, number)
        placed.append((rank, item, choices))
    placed.sort(key=lambda x: x[0])
    for i, (_, item, choices) in enumerate(placed):
        snap.cases.append(item)
        if choices is not None:
            snap.choices[i] = choices
    return snap


def left_out_warnings(snap: LogSnapshot) -> list[Text]:
    """One line per reason a case of the log was left out of the forecast."""
    return [
        Text(
            "{n} open case(s) of the log left out: {reason} (e.g. {example})",
            n=len(ids),
            reason=Text(reason),
            example=Verbatim(ids[0]),
        )
        for reason, ids in sorted(snap.left_out.items())
    ] + (
        [
            Text(
                "{n} event(s) of {k} activities the scenario does not have placed no case "
                "(e.g. {example})",
                n=sum(snap.ignored.values()),
                k=len(snap.ignored),
                example=Verbatim(max(snap.ignored, key=snap.ignored.get)),
            )
        ]
        if snap.ignored
        else []
    )


def forecast_log(
    scenario,
    log,
    read_log,
    slug,
    *,
    as_of: str,
    horizon: str = "10wd",
    replications: int | None = None,
    seed: int | None = None,
    source: str = "scenario",
    prevent_days: int | None = None,
    prevent_target: dict | None = None,
) -> dict:
    """`slasim forecast SCENARIO --log LOG --as-of T`: the log read by `read_log` (fit's reader,
    handed in) on the scenario's calendar, its open cases at T placed, replicated, summarised."""
    from slasim.calendar.units import parse_instant
    from slasim.calendar.workcalendar import load_calendar
    from slasim.clock.deadline import instant_minutes
    from slasim.forecast.risk import forecast, forecast_plan

    cal = load_calendar(scenario.calendar)
    as_of_wall = instant_minutes(cal, parse_instant(as_of, field="--as-of"), "--as-of")
    events = read_log(log, cal)
    plan, horizon_end, _ = forecast_plan(scenario, as_of_wall, horizon, source)
    snap = snapshot_from_log(plan, events, as_of_wall, slug)
    result = forecast(
        plan,
        snap.cases,
        horizon_end,
        replications=replications or scenario.replications,
        seed=scenario.seed if seed is None else seed,
        keys=[c.key for c in snap.cases],
        choices=snap.choices,
        prevent_days=prevent_days,
        prevent_target=prevent_target,
    )
    result["snapshot"] = {
        "log": str(log),
        "received": snap.received,
        "left_out": {reason: len(ids) for reason, ids in sorted(snap.left_out.items())},
        "ignored_events": sum(snap.ignored.values()),
    }
    result["warnings"] = left_out_warnings(snap) + result["warnings"]
    return result | {"horizon": horizon}
