"""`sim.draws.stream` is numpy's own Philox generator under the documented key: the key is worked
out here again from its definition (BLAKE2b-128 of netstrings, little-endian) with `hashlib` and
numpy alone, and the draws compared with numpy's `Philox(key=...)` built by hand."""

from __future__ import annotations

import hashlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from slasim.sim.arrivals import receipts
from slasim.sim.draws import forget_streams, stream, stream_key


def netstring(text: str) -> bytes:
    data = text.encode("utf-8")
    return str(len(data)).encode() + b":" + data + b","


def key_by_hand(seed: int, replication: int, *names: str) -> int:
    message = b"".join(netstring(part) for part in (str(seed), str(replication), *names))
    return int.from_bytes(hashlib.blake2b(message, digest_size=16).digest(), "little")


def numpy_stream(seed: int, replication: int, *names: str) -> np.random.Generator:
    return np.random.Generator(np.random.Philox(key=key_by_hand(seed, replication, *names)))


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
def test_stream_draws_what_numpy_philox_under_the_documented_key_draws(seed, replication, names):
    ours, numpys = stream(seed, replication, *names), numpy_stream(seed, replication, *names)
    assert stream_key(seed, replication, *names) == key_by_hand(seed, replication, *names)
    a, b = ours.bit_generator.state["state"], numpys.bit_generator.state["state"]
    assert np.array_equal(a["key"], b["key"]) and np.array_equal(a["counter"], b["counter"])
    assert np.array_equal(ours.random(3), numpys.random(3))
    assert np.array_equal(ours.exponential(2.0, 5), numpys.exponential(2.0, 5))


def test_the_key_of_a_fixed_stream_written_out():
    # The netstrings of seed 2025, replication 0 and the names, hashed (value from hashlib alone).
    message = b"4:2025,1:0,6:permit,4:work,1:0,"
    expected = int.from_bytes(hashlib.blake2b(message, digest_size=16).digest(), "little")
    assert stream_key(2025, 0, "permit", "work", "0") == expected
    first = np.random.Generator(np.random.Philox(key=expected)).random()
    assert stream(2025, 0, "permit", "work", "0").random() == first
    # Philox under a key starts at counter 0 with an empty buffer, whatever came before.
    assert stream(2025, 0, "permit", "work", "0").bit_generator.state["state"]["counter"].sum() == 0


def test_names_are_not_run_together():
    # ("ab", "c") and ("a", "bc") and ("abc",) are three keys: each name is its own netstring.
    keys = {stream_key(1, 0, "ab", "c"), stream_key(1, 0, "a", "bc"), stream_key(1, 0, "abc")}
    assert len(keys) == 3
    assert stream_key(1, 23) != stream_key(12, 3)  # seed and replication are netstrings too


def test_streams_are_the_same_in_any_order_and_after_forgetting():
    keys = [
        (2025, r, "svc", step, "work", str(b)) for r in range(3) for step in "ab" for b in range(4)
    ]
    for key in keys[::-1] + keys[::3] + keys:
        seed, replication, *names = key
        expected = numpy_stream(seed, replication, *names).integers(0, 2**62, 4)
        assert np.array_equal(stream(seed, replication, *names).integers(0, 2**62, 4), expected)
        forget_streams()


def test_a_services_receipts_are_drawn_in_turn_from_its_one_arrivals_stream():
    from slasim.scenario.loader import load_scenario
    from slasim.scenario.plan import compile_plan

    plan = compile_plan(load_scenario("scenarios/mmc-always.yaml", ["working_days=60"]))
    service = plan.services[0]
    blocks = list(receipts(plan, service, 7, 2))
    assert len(blocks) == 3  # 60 working days, 20 a block
    # `always`: each day is 1440 minutes of Poisson receipts placed uniformly, so the receipts
    # are numpy's Poisson counts and uniforms from the one generator, block after block.
    rng = numpy_stream(7, 2, service.name, "arrivals")
    mean = service.spec.arrivals.per_day
    for b, (times, _online) in enumerate(blocks):
        days = np.arange(plan.start_day + 20 * b, plan.start_day + 20 * b + 20)
        counts = rng.poisson(np.full(20, mean))
        starts = np.repeat(plan.calendar.bm_start[days], counts)
        widths = np.repeat(plan.calendar.day_minutes[days], counts)
        expected = np.sort(starts + rng.random(counts.sum()) * widths)
        expected = expected[(expected >= plan.start) & (expected < plan.end)]
        assert len(times) > 1000 and np.array_equal(times, expected)
