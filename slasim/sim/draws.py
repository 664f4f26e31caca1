"""Random draws of one replication, made up front and indexed by the case's arrival number.

Each (service, step, purpose) has its own stream (`stream`), and the k-th case of a service always
takes the k-th draw of it. So a baseline and a reform see the same case with the same work times,
supplement outcomes and branch choices wherever the reform does not change them (common random
numbers, docs/ARCHITECTURE.md property 6) — whatever order cases reach a desk in. A draw that moves
with a reform's own parameter is coupled monotonically (a case sent back at probability p is sent
back at any p' > p). Draws are made in blocks of consecutive cases, each block from streams keyed by
its number; a block lives while a case of it is open, so memory follows the cases in the centre, not
the cases simulated."""

from __future__ import annotations

import math
import weakref
import zlib

import numpy as np

from slasim.scenario.distributions import Sampler
from slasim.scenario.plan import ChoicePlan, Plan, ServicePlan, StepPlan

MAX_BLOCK = 4096


def stream(seed: int, replication: int, *names: str) -> np.random.Generator:
    """An independent generator for (replication, names...), stable across runs and reforms."""
    key = (replication, *(zlib.crc32(n.encode("utf-8")) for n in names))
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


class StepDraws:
    """One step's draws for the n cases of its service (rounds: supplement loops)."""

    __slots__ = (
        "work",
        "again",
        "delay",
        "sent_back",
        "give_up",
        "response",
        "special",
        "special_duration",
    )

    def __init__(self, step: StepPlan, n: int, seed: int, replication: int, block: int):
        def rng(purpose: str) -> np.random.Generator:
            return stream(seed, replication, step.service, step.name, purpose, str(block))

        if step.work is not None:
            self.work = (step.work.draw(rng("work"), n) * step.work_scale).tolist()
            # Re-checks after a supplement: the stream is seeded at the first re-check.
            self.again = Sampler(step.work, lambda: rng("work-again"), step.work_scale)
        else:
            self.delay = step.delay.draw(rng("delay"), n)
        if step.supplement is not None:
            rounds = step.supplement.max_rounds
            self.sent_back = rng("supplement").random((n, rounds))
            self.give_up = rng("give-up").random((n, rounds))
            self.response = step.supplement.response.draw(rng("response"), n * rounds).reshape(
                n, rounds
            )
        if step.special is not None:
            self.special = rng("special").random(n)
            self.special_duration = step.special.duration.draw(rng("special-duration"), n)


class Block:
    """Draws for one block of consecutive cases of a service (index: case number % block size)."""

    __slots__ = ("steps", "choices", "__weakref__")


class ServiceDraws:
    """A service's draws, made block by block on demand; a case holds its block while it is open."""

    @classmethod
    def of(cls, plan: Plan, service: ServicePlan, seed: int, replication: int) -> ServiceDraws:
        """The draws of `service` in one replication of `plan` (sized by its expected receipts)."""
        return cls(
            service,
            service.spec.arrivals.per_day * (plan.end_day - plan.start_day),
            seed,
            replication,
        )

    def __init__(self, service: ServicePlan, expected_cases: float, seed: int, replication: int):
        self.service, self.seed, self.replication = service, seed, replication
        # Block size follows the expected volume (not the drawn one), so it is the same in a reform
        # that leaves the arrivals alone; small services do not pay for 4096 draws.
        self.size = int(min(MAX_BLOCK, max(64, 2 ** math.ceil(math.log2(expected_cases + 1)))))
        self.points = choice_points(service.route)
        self._blocks: weakref.WeakValueDictionary[int, Block] = weakref.WeakValueDictionary()
        self._newest: Block | None = None  # kept alive while the arrivals are in it
        self._newest_number = -1

    def block(self, k: int) -> tuple[Block, int]:
        """The block holding case k, and k's index in it."""
        number, index = divmod(k, self.size)
        if number == self._newest_number:  # arrivals come in order: nearly always this one
            return self._newest, index
        block = self._blocks.get(number)
        if block is None:
            block = Block()
            block.steps = {
                st.id: StepDraws(st, self.size, self.seed, self.replication, number)
                for st in self.service.steps
            }
            block.choices = {
                id(c): stream(
                    self.seed, self.replication, self.service.name, "branch", c.key, str(number)
                ).random(self.size)
                for c in self.points
            }
            self._blocks[number] = block
            self._newest, self._newest_number = block, number
        return block, index


def choice_points(route: list) -> list[ChoicePlan]:
    """The branch points of a route, depth first (each draws from its own stream)."""
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
