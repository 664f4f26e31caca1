"""`slasim sweep`: grid parsing, one row per combination, and the expected direction of staffing."""

from __future__ import annotations

import pytest

from slasim.io.errors import SlasimError
from slasim.scenario.loader import load_scenario_data
from slasim.sim.sweep import parse_varies, parse_vary, sweep

from .helpers import ROOT


def test_parse_vary_lists_and_ranges():
    assert parse_vary("departments.review.staff=2..6:1", "f") == (
        "departments.review.staff",
        [2, 3, 4, 5, 6],
    )
    assert parse_vary("x=40,50,60", "f") == ("x", [40, 50, 60])
    assert parse_vary("x=0.5..1.0:0.25", "f") == ("x", [0.5, 0.75, 1.0])
    assert parse_vary("x=warn-before,escalate-after", "f") == (
        "x",
        ["warn-before", "escalate-after"],
    )
    for bad in ("x", "x=", "x=5..1:1", "x=1..5:0", "x=a..b:1"):
        with pytest.raises(SlasimError):
            parse_vary(bad, "f")


def test_a_grid_has_one_row_per_combination_and_staff_lowers_red_cards(tmp_path):
    data, source = load_scenario_data(
        ROOT / "scenarios/district-centre.yaml", ["working_days=50", "replications=3"]
    )
    result = sweep(
        data,
        source,
        ["departments.registry.staff=2,4", "services.real-estate.arrivals.per_day=18,22"],
    )
    assert [tuple(r["values"].values()) for r in result["rows"]] == [
        (2, 18),
        (2, 22),
        (4, 18),
        (4, 22),
    ]
    red = {tuple(r["values"].values()): r["overall"]["ever_red"]["mean"] for r in result["rows"]}
    lead = {
        tuple(r["values"].values()): r["overall"]["lead_time_wd_mean"]["mean"]
        for r in result["rows"]
    }
    for volume in (18, 22):
        assert red[(4, volume)] <= red[(2, volume)]
        assert lead[(4, volume)] < lead[(2, volume)]
    assert lead[(2, 22)] > lead[(2, 18)]


def test_a_bad_grid_value_names_the_point(capsys):
    from slasim.cli import main

    with pytest.raises(SystemExit) as done:
        main(
            [
                "sweep",
                str(ROOT / "scenarios/district-centre.yaml"),
                "--vary",
                "departments.registry.staff=2,-1",
                "--reps",
                "1",
                "--set",
                "working_days=20",
            ]
        )
    err = capsys.readouterr().err
    assert done.value.code == 2 and "departments.registry.staff=-1" in err and "staff" in err


@pytest.mark.parametrize(
    "spec", ["x=1..nan:1", "x=nan..2:1", "x=1..inf:1", "x=1..3:inf", "x=1..3:nan", "x=-inf..1:1"]
)
def test_a_range_of_non_finite_numbers_is_one_line(spec):
    with pytest.raises(SlasimError, match="finite numbers"):
        parse_vary(spec, "f")


@pytest.mark.parametrize(
    "varies, what",
    [
        (["x=1,2", "x=3"], "x: the key is given twice"),
        (["x=1,2", " x=3"], "given twice"),
        (["x=1,1"], "x: a value is given twice"),
        (["x=1..2:1", "x=1,2"], "the key is given twice"),
    ],
)
def test_a_grid_never_runs_a_row_twice(varies, what):
    with pytest.raises(SlasimError, match=what):
        parse_varies(varies, "f")


@pytest.mark.parametrize("item", ["window=nan", "window=inf", "window=-inf", "window=1e999"])
def test_staff_costs_and_bounds_are_finite(item):
    from slasim.staffing.search import parse_assignments

    with pytest.raises(SlasimError, match="finite"):
        parse_assignments([item], "--cost", float)
    with pytest.raises(SlasimError, match="given twice"):
        parse_assignments(["window=1", "window=2"], "--cost", float)


def test_a_point_is_summarised_when_its_last_replication_arrives_in_any_order(monkeypatch):
    """Replications arriving out of order (as from a pool): progress counts finished points
    1..n, each point is summarised as soon as its own replications are in (not after the whole
    grid), and the rows are those of the in-order run."""
    from slasim.sim import sweep as sweeping

    data, source = load_scenario_data("company-setup", ["working_days=20", "warmup_days=2"])
    varies = ["seed=3,4", "replications=2,3"]
    in_order = sweep(data, source, varies)
    real = sweeping.replicate_plans
    arrived, summarised = [], []

    def reversed_arrival(runs, progress=None, *, on_result, **options):
        got = []
        real(runs, workers=1, on_result=lambda k, r, m: got.append((k, r, m)))
        for k, r, m in reversed(got):  # the last point's last replication first
            arrived.append(k)
            on_result(k, r, m)

    def summarize(runs):
        summarised.append(len(arrived))
        return real_summarize(runs)

    real_summarize = sweeping.summarize
    monkeypatch.setattr(sweeping, "replicate_plans", reversed_arrival)
    monkeypatch.setattr(sweeping, "summarize", summarize)
    done = []
    result = sweep(data, source, varies, progress=done.append)
    assert done == [1, 2, 3, 4]
    assert summarised == [3, 5, 8, 10]  # points of 3, 2, 3, 2 replications, last point first
    assert result == in_order
