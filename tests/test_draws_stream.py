"""`sim.draws.stream` makes numpy's own generator: the state it works out equals numpy's
`SeedSequence` hashing for every seed, replication and name list (the reference is numpy itself)."""

from __future__ import annotations

import zlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from slasim.sim.draws import stream


def numpy_stream(seed: int, replication: int, *names: str) -> np.random.Generator:
    key = (replication, *(zlib.crc32(n.encode("utf-8")) for n in names))
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


NAMES = st.lists(
    st.sampled_from(["permit", "window", "work", "arrivals", "supplement", "0", "17", "办件"])
    | st.text(max_size=6),
    max_size=5,
)


@settings(max_examples=400, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1) | st.integers(0, 2**140),
    replication=st.integers(0, 2**32 - 1) | st.integers(0, 40),
    names=NAMES,
)
def test_stream_draws_what_numpy_seeded_from_the_same_key_draws(seed, replication, names):
    ours, numpys = stream(seed, replication, *names), numpy_stream(seed, replication, *names)
    assert ours.bit_generator.state == numpys.bit_generator.state
    assert np.array_equal(ours.random(3), numpys.random(3))


def test_streams_sharing_a_prefix_are_still_numpys_in_any_order():
    # Prefixes are remembered: make the streams in a scrambled order, then again.
    keys = [
        (2025, r, "svc", step, "work", str(b)) for r in range(3) for step in "ab" for b in range(4)
    ]
    for key in keys[::-1] + keys[::3] + keys:
        seed, replication, *names = key
        expected = numpy_stream(seed, replication, *names).integers(0, 2**62, 4)
        assert np.array_equal(stream(seed, replication, *names).integers(0, 2**62, 4), expected)


def test_a_replication_beyond_32_bits_is_numpys_too():
    assert np.array_equal(stream(7, 2**40, "x").random(2), numpy_stream(7, 2**40, "x").random(2))
