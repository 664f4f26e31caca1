"""A warm start: the open cases of a snapshot as the engines place them at the snapshot instant.

An `OpenCase` is one case already in the centre, on the business-minute axis: where it is (its
current step and state: waiting in the desk's queue, in service, parked in a supplement or a special
procedure, or in a delay step) since when, and its legal history (received, accepted, pauses so
far). `CaseFlow` starts one process per open case before any arrival, in the order given: the
cases in service first, then each desk's queue in its order, so both event engines seat them alike.
What remains of a duration under way is drawn from the residual of its distribution
(`Distribution.residual`), on a stream of the case's own (its id), as are all its later draws.

A case may stand at several steps at once (`others`: the branches of a parallel group) and in a
Markov route (the chain goes on from the step it is at). State `after`: its step is done and the
route goes on from the item after it (with step "": nothing done yet, the route from its start).
In a parallel group, a branch with a step named among the case's places goes on from there; one
with none runs from its start. A case whose place is inside a parallel group or a Markov route is
seated with every open case before it fully seated first (`needs_seating_in_turn`), so the cases
in service take their desks before the queues form.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from slasim.calendar.units import MINUTES_PER_DAY
from slasim.scenario.plan import (
    ChoicePlan,
    MarkovPlan,
    ParallelPlan,
    Plan,
    ServicePlan,
    StepPlan,
    step_names,
)
from slasim.sim.draws import Block, StepDraws, choice_points, stream

STATES = ("waiting", "in_service", "supplement", "special", "delay", "after")


@dataclass
class Front:
    """One place of a case: a step, its state there since when, supplement rounds there, and, in
    a Markov route, the route's visits so far (this one included)."""

    step: str
    state: str
    since: float
    rounds: int = 0
    visits: int = 1


@dataclass
class OpenCase:
    """One open case at the snapshot instant (business minutes; `accepted` NaN if not yet)."""

    key: str
    service: int
    received: float
    accepted: float
    step: str
    state: str
    since: float  # when the current state began (queue joined, service or pause started)
    rounds: int = 0  # supplement notices so far at the current step (the one parked in included)
    pauses: list = field(default_factory=list)  # closed (from, to) pauses before the snapshot
    number: int = -1  # negative: apart from the arrivals' numbers
    visits: int = 1  # in a Markov route: its visits so far, the current one included
    others: list = field(default_factory=list)  # its other places (`Front`s: parallel branches)

    @property
    def fronts(self) -> list[Front]:
        """Every place of the case, its own first."""
        return [Front(self.step, self.state, self.since, self.rounds, self.visits), *self.others]


def case_block(plan: Plan, service: ServicePlan, case: OpenCase, seed: int, rep: int) -> Block:
    """The draws of one open case: a block of one, from streams keyed by its id."""
    key = f"open:{case.key}"
    block = Block()
    block.steps = {st.id: StepDraws(st, 1, seed, rep, key) for st in service.steps}
    block.choices = {
        id(c): stream(seed, rep, service.name, "branch", c.key, key).random(1)
        for c in choice_points(service.route)
    }
    return block


def residual_rng(
    seed: int, rep: int, service: ServicePlan, case: OpenCase, step: str | None = None
) -> np.random.Generator:
    """The stream of the remaining part of the duration under way (at `step`: the case's own)."""
    return stream(seed, rep, service.name, step or case.step, "residual", f"open:{case.key}")


def elapsed(plan: Plan, since: float, now: float, unit: str) -> float:
    """Time between two business instants in a distribution's unit (min, h, wd, d)."""
    cal = plan.calendar
    if unit == "min":
        return now - since
    if unit == "h":
        return (now - since) / 60.0
    if unit == "wd":
        pos = cal.delay_position(np.array([since, now]))
        return float(pos[1] - pos[0])
    wall = cal.to_wall_array(np.array([since, now]), side="left")
    return float(wall[1] - wall[0]) / MINUTES_PER_DAY


def find_step(route: list, name: str) -> tuple[StepPlan | None, list | None]:
    """The step named `name` and the route items after it (the rest of its branch, then of the
    routes around it); (None, None) if it is not on the route outside parallel groups and Markov
    routes (where a case is placed by `find_place`). Step names are unique in a service (the
    schema refuses one used twice), so the first place found is the only one."""
    item, rest = find_place(route, name)
    return (item, rest) if isinstance(item, StepPlan) else (None, None)


def find_place(route: list, name: str) -> tuple[object | None, list | None]:
    """The route item a case at step `name` is in — the step itself, or the outermost parallel
    group or Markov route holding it — and the items after it (the rest of its branch, then of the
    routes around it); (None, None) if no step of the route is named so."""
    for i, item in enumerate(route):
        if isinstance(item, StepPlan):
            if item.name == name:
                return item, route[i + 1 :]
        elif isinstance(item, ChoicePlan):
            for branch in item.routes:
                found, rest = find_place(branch, name)
                if found is not None:
                    return found, rest + route[i + 1 :]
        elif isinstance(item, (ParallelPlan, MarkovPlan)) and name in step_names([item]):
            return item, route[i + 1 :]
    return None, None


def needs_seating_in_turn(plan: Plan, cases: list[OpenCase]) -> bool:
    """Whether a case stands inside a parallel group or a Markov route, or is yet to enter its
    route (its branches are processes of their own: each case is seated before the next)."""
    for case in cases:
        if not case.step or case.others:
            return True
        item, _ = find_place(plan.services[case.service].route, case.step)
        if not isinstance(item, StepPlan):
            return True
    return False
