"""Random draws of one replication, made up front and indexed by the case's arrival number.

Each (service, step, purpose) has its own stream (`stream`), and the k-th case of a service always
takes the k-th draw of it. So a baseline and a reform see the same case with the same work times,
supplement outcomes and branch choices wherever the reform does not change them (common random
numbers, docs/ARCHITECTURE.md property 6) — whatever order cases reach a desk in. A draw that moves
with a reform's own parameter is coupled monotonically (a case sent back at probability p is sent
back at any p' > p). Draws are made in blocks of consecutive cases, each block from streams keyed by
its number; a block lives while a case of it is open, so memory follows the cases in the centre, not
the cases simulated.

Streams are numpy's Philox4x64-10 counter-based generator, one key per stream: the key is a
128-bit BLAKE2b digest of (seed, replication, names...) (`stream_key`), the counter starts at 0.
Philox is a keyed bijection of its 256-bit counter (Salmon et al., "Parallel random numbers: as
easy as 1, 2, 3", SC 2011): each key gives its own sequence of 2**256 four-word blocks, and
sequences under distinct keys are as independent as the cipher's outputs under distinct keys,
which is what Philox is built and tested for (BigCrush on interleaved keys); there is no state to
overlap, unlike generators seeded at random points of one cycle. Distinct names give distinct keys
unless BLAKE2b collides on 128 bits (for a million streams, about 1e-27). The key is a pure function
of its inputs, so a replication draws the same numbers in any process, worker count or order. Making
one is a hash and a Philox construction: about 3 times cheaper than the layout before 0.2.0 (PCG64
seeded through numpy's `SeedSequence` hashing; benchmarks/README.md)."""

from __future__ import annotations

import math
import weakref
from hashlib import blake2b

import numpy as np
from numpy.random.bit_generator import ISeedSequence

from slasim.scenario.distributions import Sampler
from slasim.scenario.plan import ChoicePlan, Plan, ServicePlan, StepPlan

MAX_BLOCK = 4096


def stream(seed: int, replication: int, *names: str) -> np.random.Generator:
    """An independent generator for (replication, names...), stable across runs and reforms:
    `Generator(Philox(key=stream_key(seed, replication, *names)))`, counter 0."""
    return np.random.Generator(
        np.random.Philox(_Key(_digest(seed, replication, names)), counter=_ZERO)
    )


def stream_key(seed: int, replication: int, *names: str) -> int:
    """The 128-bit Philox key of a stream: the BLAKE2b digest (16 bytes) of the netstrings of the
    seed and the replication in decimal and of each name in UTF-8 (`7:2025,1:0,6:permit,`), read
    as a little-endian integer."""
    return int.from_bytes(_digest(seed, replication, names), "little")


_ZERO = np.zeros(4, dtype=np.uint64)  # Philox copies its counter: never written
_names: dict[tuple, bytes] = {}  # names -> their netstrings


def forget_streams() -> None:
    """Drop the encoded names kept between streams (benchmarks: each run then pays for its own)."""
    _names.clear()


def _netstring(data: bytes) -> bytes:
    return b"%d:%b," % (len(data), data)


def _digest(seed: int, replication: int, names: tuple) -> bytes:
    """The 16-byte digest `stream_key` reads (names encoded once and kept)."""
    tail = _names.get(names)
    if tail is None:
        if len(_names) > 100_000:  # bounded memory over many cases' own streams
            _names.clear()
        tail = _names[names] = b"".join([_netstring(n.encode("utf-8")) for n in names])
    head = b"%d:%d,%d:%d," % (len(b"%d" % seed), seed, len(b"%d" % replication), replication)
    return blake2b(head + tail, digest_size=16).digest()


class _Key(ISeedSequence):
    """Gives Philox its key words (Philox seeded by a seed sequence takes `generate_state(2,
    uint64)` as its key); a subclass, not a registered one, as numpy's check of a registered
    class is slower."""

    __slots__ = ("digest",)

    def __init__(self, digest: bytes):
        self.digest = digest

    def generate_state(self, n_words: int, dtype=np.uint32) -> np.ndarray:
        return np.frombuffer(self.digest, dtype="<u8")


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

        # Lists, not arrays: a case reads its own draws one at a time, and a list's item is a
        # plain float (an array's is a numpy scalar, several times dearer to make and compare).
        if step.work is not None:
            self.work = (step.work.draw(rng("work"), n) * step.work_scale).tolist()
            # Re-checks after a supplement: the stream is seeded at the first re-check.
            self.again = Sampler(step.work, lambda: rng("work-again"), step.work_scale)
        else:
            self.delay = step.delay.draw(rng("delay"), n).tolist()
        if step.supplement is not None:  # flat: case k's round r at k * max_rounds + r
            rounds = step.supplement.max_rounds
            self.sent_back = rng("supplement").random(n * rounds).tolist()
            self.give_up = rng("give-up").random(n * rounds).tolist()
            self.response = step.supplement.response.draw(rng("response"), n * rounds).tolist()
            first = step.supplement.first
            if first is not None:  # each case's first round: its own stream
                self.response[::rounds] = first.response.draw(rng("first-response"), n).tolist()
        if step.special is not None:
            self.special = rng("special").random(n).tolist()
            self.special_duration = step.special.duration.draw(rng("special-duration"), n).tolist()


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
            service.spec.arrivals.per_day * (plan.end_office - plan.start_office),
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
        # The block arrivals are in (kept alive while they are) and its number: a case's block is
        # nearly always this one (`block`, and `CaseFlow._case` reads them without a call).
        self.newest: Block | None = None
        self.newest_number = -1

    def block(self, k: int) -> tuple[Block, int]:
        """The block holding case k, and k's index in it."""
        number, index = divmod(k, self.size)
        if number == self.newest_number:  # arrivals come in order: nearly always this one
            return self.newest, index
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
            self.newest, self.newest_number = block, number
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
