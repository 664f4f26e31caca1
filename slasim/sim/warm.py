"""A warm start: the open cases of a snapshot as the engines place them at the snapshot instant.

An `OpenCase` is one case already in the centre, on the business-minute axis: where it is (its
current step and state: waiting in the desk's queue, in service, parked in a supplement or a special
procedure, or in a delay step) since when, and its legal history (received, accepted, pauses so
far). `CaseFlow` starts one process per open case before any arrival, in the order given: the
cases in service first, then each desk's queue in its order, so both event engines seat them alike.
What remains of a duration under way is drawn from the residual of its distribution
(`Distribution.residual`), on a stream of the case's own (its id), as are all its later draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from slasim.calendar.units import MINUTES_PER_DAY
from slasim.scenario.plan import ChoicePlan, Plan, ServicePlan, StepPlan
from slasim.sim.draws import Block, StepDraws, choice_points, stream

STATES = ("waiting", "in_service", "supplement", "special", "delay")


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


def residual_rng(seed: int, rep: int, service: ServicePlan, case: OpenCase) -> np.random.Generator:
    """The stream of the remaining part of the duration under way."""
    return stream(seed, rep, service.name, case.step, "residual", f"open:{case.key}")


def elapsed(plan: Plan, since: float, now: float, unit: str) -> float:
    """Time between two business instants in a distribution's unit (min, h, wd, d)."""
    cal = plan.calendar
    if unit == "min":
        return now - since
    if unit == "h":
        return (now - since) / 60.0
    if unit == "wd":
        pos = cal.business_to_day_position(np.array([since, now]))
        return float(pos[1] - pos[0])
    wall = cal.to_wall_array(np.array([since, now]), side="left")
    return float(wall[1] - wall[0]) / MINUTES_PER_DAY


def find_step(route: list, name: str) -> tuple[StepPlan | None, list | None]:
    """The step named `name` and the route items after it (the rest of its branch, then of the
    routes around it); (None, None) if it is not on the route outside parallel groups and Markov
    routes (where a snapshot cannot place a case)."""
    for i, item in enumerate(route):
        if isinstance(item, StepPlan):
            if item.name == name:
                return item, route[i + 1 :]
        elif isinstance(item, ChoicePlan):
            for branch in item.routes:
                step, rest = find_step(branch, name)
                if step is not None:
                    return step, rest + route[i + 1 :]
    return None, None
