"""Large JSON check files parsed by msgspec (`checks.load._decoded`): where msgspec reads a text,
it reads `json`'s values; a flat file gives the flat route's cases and columns; anything else —
and every error — is read by the `json` route from the start, worded as before."""

from __future__ import annotations

import gc
import json
import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slasim.checks.load import _decoded, flat_check_file, load_check_file
from slasim.io.errors import SlasimError

from .test_check_loading import check_files, same_columns, same_value

msgspec = pytest.importorskip("msgspec")


@pytest.fixture(autouse=True)
def _unfrozen():
    """A large file is read with the collector paused and its objects frozen (`io.files.gc_paused`,
    as the command does): give them back to the collector so later tests start from none."""
    yield
    gc.unfreeze()


# Pieces of JSON texts, valid and not, where decoders are known to differ: escapes, lone
# surrogates, control characters, NaN, numbers out of range or at the edge of rounding, a BOM.
PIECES = [
    *"{}[],:",
    '"a"',
    '"b"',
    '"\\u00e9"',
    '"\\ud800"',
    '"\\ud83d\\ude00"',
    '"\x01"',
    '"\n"',
    '"\\/"',
    '"\\x"',
    "1",
    "-0",
    "1.",
    ".5",
    "1e5",
    "1E+2",
    "01",
    "-",
    "1.5e-7",
    "true",
    "null",
    "NaN",
    "-Infinity",
    " ",
    "\t",
    "\r\n",
    "\x0b",
    "\u00a0",
    "\ufeff",
    "123456789012345678901234567890",
    "1.7976931348623157e309",
    "4.9e-325",
    "2.2250738585072011e-308",
    "0.1000000000000000055511151231257827",
    '"é"',
    "'a'",
    "1_0",
    "+1",
]


def same(a, b) -> bool:
    """Equal values of equal types, floats to the bit, keys in the same order."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return struct.pack("d", a) == struct.pack("d", b) or (math.isnan(a) and math.isnan(b))
    if type(a) is dict:
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if type(a) is list:
        return len(a) == len(b) and all(map(same, a, b))
    return a == b


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=8))
def test_what_msgspec_reads_json_reads_alike(pieces):
    text = "".join(pieces)
    try:
        ours = msgspec.json.decode(text)
    except (msgspec.DecodeError, ValueError, RecursionError):
        return  # the `json` route reads it, as before
    assert same(ours, json.loads(text))


@settings(max_examples=300, deadline=None)
@given(
    st.integers(-400, 400),
    st.text("0123456789", min_size=1, max_size=24),
    st.booleans(),
)
def test_numbers_are_read_to_the_bit(exponent, digits, negative):
    text = (
        f"{'-' if negative else ''}{digits[0]}{'.' + digits[1:] if digits[1:] else ''}e{exponent}"
    )
    try:
        ours = msgspec.json.decode(text)
    except (msgspec.DecodeError, ValueError):
        return
    assert same(ours, json.loads(text))


def test_deep_nesting_is_left_to_json():
    for depth in (10, 900, 996, 5000):
        text = '{"cards": ' + "[" * depth + "]" * depth + ', "cases": []}'
        assert _decoded(text, smallest=0) is None


@settings(max_examples=300, deadline=None)
@given(check_files(), st.sampled_from([None, 0, 2]))
def test_a_flat_file_decoded_by_msgspec_is_the_flat_route_s(drawn, indent):
    data, _ = drawn
    text = json.dumps(data, indent=indent)
    ours, theirs = _decoded(text, smallest=0), flat_check_file(json.loads(text))
    if ours is None:
        # left to the `json` route: not flat, or spaced keys (an indented text), nothing else
        assert theirs is None or indent is not None
        return
    assert theirs is not None and type(ours) is type(theirs)
    assert len(ours.cases) == len(theirs.cases)
    assert all(map(same_value, ours.cases, theirs.cases))
    assert same_columns(ours.columns, theirs.columns)
    assert (ours.calendar, ours.cards) == (theirs.calendar, theirs.cards)


def big_file(cases: int = 12_000) -> dict:
    """A flat file over the size at which msgspec reads it."""
    case = {"name": "", "accepted": "2025-01-06", "limit": "20wd", "expect": {"due": "2025-02-10"}}
    return {"calendar": "cn", "cases": [{**case, "name": f"case {i}"} for i in range(cases)]}


@pytest.mark.parametrize(
    "twist, route",
    [
        (lambda t: t, "FlatFile"),
        # A null the flat route leaves to the models (which accept it): read by `json`.
        (lambda t: t.replace('"due": "2025-02-10"', '"due": null', 1), "CheckFile"),
    ],
)
def test_a_large_file_loads_as_by_the_json_route(tmp_path, monkeypatch, twist, route):
    text = twist(json.dumps(big_file()))
    assert len(text) > 1 << 20
    path = tmp_path / "big.json"
    path.write_text(text, encoding="utf-8")
    assert (_decoded(text) is not None) == (route == "FlatFile")  # msgspec's route, or not
    ours = load_check_file(path)
    monkeypatch.setattr("slasim.checks.load._decoded", lambda text: None)
    theirs = load_check_file(path)  # the `json` route alone
    assert type(ours).__name__ == type(theirs).__name__ == route
    assert same_columns(ours.columns, theirs.columns)


def error_of(path) -> str:
    with pytest.raises(SlasimError) as caught:
        load_check_file(path)
    return str(caught.value)


@pytest.mark.parametrize(
    "twist, where",
    [
        # A key given twice: msgspec, like `json`, keeps one; the count of keys finds it.
        (lambda t: t.replace('"limit": "20wd"', '"limit": "20wd", "limit": "20wd"', 1), None),
        (lambda t: t.replace('"2025-01-06"', '"2025-02-30"', 1), "cases[0].accepted"),
        (lambda t: t.replace('"20wd"', "NaN", 1), "cases[0].limit"),
        (lambda t: t[:-2], None),  # cut short: invalid JSON
    ],
)
def test_errors_in_a_large_file_are_worded_as_by_the_json_route(
    tmp_path, monkeypatch, twist, where
):
    text = twist(json.dumps(big_file()))
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    assert _decoded(text) is None
    ours = error_of(path)
    assert ours.startswith(f"{path}: ") and (where is None or f": {where}" in ours)
    monkeypatch.setattr("slasim.checks.load._decoded", lambda text: None)
    assert error_of(path) == ours  # the `json` route alone
