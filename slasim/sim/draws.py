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
from numpy.random.bit_generator import ISeedSequence

from slasim.scenario.distributions import Sampler
from slasim.scenario.plan import ChoicePlan, Plan, ServicePlan, StepPlan

MAX_BLOCK = 4096


def stream(seed: int, replication: int, *names: str) -> np.random.Generator:
    """An independent generator for (replication, names...), stable across runs and reforms: numpy's
    `default_rng(SeedSequence(seed, spawn_key=(replication, crc32 of each name...)))`, its state
    worked out by `_seed_words` (the same PCG64 state, a few times cheaper to make)."""
    crcs = _keys.get(names)
    if crcs is None:
        if len(_keys) > 100_000:
            _keys.clear()
        crcs = _keys[names] = tuple(zlib.crc32(n.encode("utf-8")) for n in names)
    key = (replication, *crcs)
    if not 0 <= replication <= _MASK or seed < 0:  # beyond the words worked out here
        return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))
    return np.random.Generator(np.random.PCG64(_Words(_seed_words(seed, key))))


# numpy's SeedSequence (numpy/random/bit_generator.pyx), on 32-bit words, pool of 4 words
_MASK = 0xFFFFFFFF
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_POOL = 4
_pools: dict[tuple, tuple] = {}  # entropy words so far -> (pool, hash constant) after them
_keys: dict[tuple, tuple] = {}  # names -> their crc32s


def forget_streams() -> None:
    """Drop the pools kept for key prefixes (benchmarks: each run then pays for its own)."""
    _pools.clear()
    _keys.clear()


def _words_of(value: int) -> list[int]:
    """A non-negative integer as SeedSequence reads it: 32-bit words, least significant first."""
    if value < 0:
        raise ValueError("a seed must be a non-negative integer")
    words = [value & _MASK]
    value >>= 32
    while value:
        words.append(value & _MASK)
        value >>= 32
    return words


def _mix_word(pool: list[int], word: int, const: int) -> int:
    """SeedSequence's `mix_entropy` for one entropy word past the pool's: each pool word mixed
    with the word's hash (unrolled: this is most of a stream's making)."""
    c1 = (const * _MULT_A) & _MASK
    c2 = (c1 * _MULT_A) & _MASK
    c3 = (c2 * _MULT_A) & _MASK
    c4 = (c3 * _MULT_A) & _MASK
    v = ((word ^ const) * c1) & _MASK
    x = (_MIX_L * pool[0] - _MIX_R * (v ^ (v >> 16))) & _MASK
    pool[0] = x ^ (x >> 16)
    v = ((word ^ c1) * c2) & _MASK
    x = (_MIX_L * pool[1] - _MIX_R * (v ^ (v >> 16))) & _MASK
    pool[1] = x ^ (x >> 16)
    v = ((word ^ c2) * c3) & _MASK
    x = (_MIX_L * pool[2] - _MIX_R * (v ^ (v >> 16))) & _MASK
    pool[2] = x ^ (x >> 16)
    v = ((word ^ c3) * c4) & _MASK
    x = (_MIX_L * pool[3] - _MIX_R * (v ^ (v >> 16))) & _MASK
    pool[3] = x ^ (x >> 16)
    return c4


def _start_pool(run: list[int]) -> tuple[list[int], int]:
    """`mix_entropy` over the first pool-size words (run entropy, padded with zeros)."""
    const = _INIT_A
    pool = []
    for i in range(_POOL):
        value = run[i] ^ const
        const = (const * _MULT_A) & _MASK
        value = (value * const) & _MASK
        pool.append(value ^ (value >> 16))
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                value = pool[src] ^ const
                const = (const * _MULT_A) & _MASK
                value = (value * const) & _MASK
                value ^= value >> 16
                x = (_MIX_L * pool[dst] - _MIX_R * value) & _MASK
                pool[dst] = x ^ (x >> 16)
    return pool, const


def _seed_words(seed: int, key: tuple) -> list[int]:
    """`SeedSequence(seed, spawn_key=key).generate_state(4, np.uint64)` as Python integers (key
    items in [0, 2**32), at least one). The pool after each prefix of the key is kept, so streams
    that share a replication, service and step pay only for the words they add."""
    last = len(key) - 1
    at, start = last, None
    while start is None and at > 0:
        start = _pools.get((seed, *key[:at]))
        at -= start is None
    if start is None:
        start = _pools.get((seed,))
        if start is None:
            run = _words_of(seed)
            run += [0] * (_POOL - len(run))  # padded when a spawn key follows
            pool, const = _start_pool(run)
            for word in run[_POOL:]:
                const = _mix_word(pool, word, const)
            start = _pools[(seed,)] = (tuple(pool), const)
    pool, const = list(start[0]), start[1]
    if len(_pools) > 100_000:  # bounded memory over many replications
        _pools.clear()
    for i in range(at, last):
        const = _mix_word(pool, key[i], const)
        _pools[(seed, *key[: i + 1])] = (tuple(pool), const)
    _mix_word(pool, key[last], const)
    return _state(*pool)


def _state_constants() -> list[tuple[int, int]]:
    """`generate_state`'s hash constants: (xor, multiplier) for each of the 8 words."""
    out, const = [], _INIT_B
    for _ in range(8):
        nxt = (const * _MULT_B) & _MASK
        out.append((const, nxt))
        const = nxt
    return out


def _state_function():
    """`generate_state(8 words)` from a pool, read as 4 little-endian 64-bit words: unrolled, with
    its constants bound (this and `_mix_word` are most of a stream's making)."""
    (x0, m0), (x1, m1), (x2, m2), (x3, m3), (x4, m4), (x5, m5), (x6, m6), (x7, m7) = (
        _state_constants()
    )
    mask = _MASK

    def state(p0: int, p1: int, p2: int, p3: int) -> list[int]:
        a = ((p0 ^ x0) * m0) & mask
        b = ((p1 ^ x1) * m1) & mask
        c = ((p2 ^ x2) * m2) & mask
        d = ((p3 ^ x3) * m3) & mask
        e = ((p0 ^ x4) * m4) & mask
        f = ((p1 ^ x5) * m5) & mask
        g = ((p2 ^ x6) * m6) & mask
        h = ((p3 ^ x7) * m7) & mask
        return [
            (a ^ (a >> 16)) | ((b ^ (b >> 16)) << 32),
            (c ^ (c >> 16)) | ((d ^ (d >> 16)) << 32),
            (e ^ (e >> 16)) | ((f ^ (f >> 16)) << 32),
            (g ^ (g >> 16)) | ((h ^ (h >> 16)) << 32),
        ]

    return state


_state = _state_function()


class _Words(ISeedSequence):
    """A seed sequence that gives the state words worked out already (what PCG64 asks for); a
    subclass, not a registered one, as numpy's check of a registered class is slower."""

    __slots__ = ("words",)

    def __init__(self, words: list[int]):
        self.words = words

    def generate_state(self, n_words: int, dtype=np.uint32) -> np.ndarray:
        return np.array(self.words, dtype=np.uint64)


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
