"""Route discovery keeps a step in its place: an optional activity early in the cases (in 94 of
100, before a step every case does) must not take the later optional activities into its group,
which would move the step after them all (seen on AcademicCredentials' route window, where
`Traer informacion` was in 94 % of the cases and `Radicar Solicitud` came after everything)."""

from __future__ import annotations

import numpy as np

from slasim.fit.discover import Traces, activity_stats, discover


def traces(sequences: list[list[str]]) -> Traces:
    names = sorted({a for s in sequences for a in s})
    codes = [names.index(a) for s in sequences for a in s]
    starts = np.concatenate([np.arange(len(s)) * 10.0 for s in sequences])
    bounds = np.concatenate([[0], np.cumsum([len(s) for s in sequences])])
    return Traces(
        [f"c{k}" for k in range(len(sequences))],
        np.array(codes, dtype=np.int64),
        names,
        starts,
        starts + 5.0,  # one after another: no parallel steps
        bounds.astype(np.int64),
    )


def test_an_optional_early_activity_keeps_the_later_ones_out_of_its_group():
    # 94 cases do a then b, 6 do b only; after b, 60 do c and 40 do d (c and d exclusive), all
    # worked out: b is a step (100 %), a optional (94 %), c and d optional. c's cases lie in a's
    # (56 of its 60 at least, over the 80 % JOIN) but c comes after b
    sequences = []
    for k in range(100):
        first = ["a", "b"] if k < 94 else ["b"]
        sequences.append(first + (["c"] if k % 10 < 6 else ["d"]))
    t = traces(sequences)
    route = discover(set(t.cases), ["a", "b", "c", "d"], activity_stats(t))
    assert route == [
        ("branch", [(0.94, ["a"])]),
        "b",
        ("branch", [(0.6, ["c"]), (0.4, ["d"])]),
    ]


def test_a_branch_tied_with_a_step_stays_after_it():
    # s1 (position 0) and s2 (1/3) in all 100 cases; x, optional in 25, at exactly 1/3: after s2
    # by its stretch (a tie goes after the step). Its branch's case-weighted position,
    # 25 x (1/3) / 25 = 0.33333333333333326, rounds just below s2's: sorted by position alone it
    # came before s2
    from slasim.fit.discover import Stats

    cases = {f"c{k}" for k in range(100)}
    stats = Stats()
    for act, where, members in [
        ("s1", 0.0, cases),
        ("s2", 1 / 3, cases),
        ("x", 1 / 3, {f"c{k}" for k in range(25)}),
    ]:
        stats.cases[act], stats.position[act] = set(members), where
        at = np.arange(len(members))
        stats.spans[act] = (at, np.full(len(at), 10.0 * where), np.full(len(at), 10.0 * where + 1))
    assert 25 * (1 / 3) / 25 < 1 / 3
    assert discover(cases, ["s1", "s2", "x"], stats) == ["s1", "s2", ("branch", [(0.25, ["x"])])]
