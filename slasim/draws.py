"""Random draws of one replication, made up front and indexed by the case's arrival number.

Each (service, step, purpose) has its own stream (`stream`), and the k-th case of a service always
takes the k-th draw of it. So a baseline and a reform see the same case with the same work times,
supplement outcomes and branch choices wherever the reform does not change them (common random
numbers, DESIGN §6) — whatever order cases reach a desk in. A draw that moves with a reform's own
parameter is coupled monotonically (a case sent back at probability p is sent back at any p' > p).
Memory is a few floats per case and step, like the arrival times themselves.
"""

from __future__ import annotations

import zlib

import numpy as np

from .distributions import Sampler
from .model import ChoicePlan, ServicePlan, StepPlan


def stream(seed: int, replication: int, *names: str) -> np.random.Generator:
    """An independent generator for (replication, names...), stable across runs and reforms."""
    key = (replication, *(zlib.crc32(n.encode("utf-8")) for n in names))
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


class StepDraws:
    """One step's draws for the n cases of its service (rounds: supplement loops)."""

    __slots__ = ("work", "again", "delay", "sent_back", "give_up", "response", "special", "special_duration")

    def __init__(self, step: StepPlan, n: int, seed: int, replication: int):
        def rng(purpose: str) -> np.random.Generator:
            return stream(seed, replication, step.service, step.name, purpose)

        if step.work is not None:
            self.work = (step.work.draw(rng("work"), n) * step.work_scale).tolist()
            self.again = Sampler(step.work, rng("work-again"), step.work_scale)   # re-checks after a supplement
        else:
            self.delay = step.delay.draw(rng("delay"), n)
        if step.supplement is not None:
            rounds = step.supplement.max_rounds
            self.sent_back = rng("supplement").random((n, rounds))
            self.give_up = rng("give-up").random((n, rounds))
            self.response = step.supplement.response.draw(rng("response"), n * rounds).reshape(n, rounds)
        if step.special is not None:
            self.special = rng("special").random(n)
            self.special_duration = step.special.duration.draw(rng("special-duration"), n)


class ServiceDraws:
    """All draws of one service's cases: per step, and a uniform per case for each branch point."""

    def __init__(self, service: ServicePlan, n: int, seed: int, replication: int):
        self.steps = {st.id: StepDraws(st, n, seed, replication) for st in service.steps}
        self.choices = {id(choice): stream(seed, replication, service.name, "branch", choice.key).random(n)
                        for choice in choice_points(service.route)}


def choice_points(route: list) -> list[ChoicePlan]:
    out = []
    for item in route:
        if isinstance(item, ChoicePlan):
            out.append(item)
            for branch in item.routes:
                out.extend(choice_points(branch))
        elif not isinstance(item, StepPlan):
            for branch in item.branches:
                out.extend(choice_points(branch))
    return out
