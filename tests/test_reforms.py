"""Reforms: operators patch the baseline as stated, seed scenarios reproduce the reported figures,
paired comparisons are tighter than unpaired ones, and bad reforms are refused with a located line."""

from __future__ import annotations

import copy
import json

import pytest

from slasim.io.files import read_yaml
from slasim.scenario.loader import load_scenario_data
from slasim.scenario.reforms import apply_reforms
from slasim.scenario.schema import Scenario
from slasim.sim.compare import compare

from .helpers import ROOT, SHIPPED_SCENARIOS


def lead(summary: dict, service: str) -> float:
    return summary["services"][service]["lead_time_wd_mean"]["mean"]


def test_travel_agency_delegation_reproduces_15_to_5_working_days(cli):
    code, out, err = cli(
        "compare",
        ROOT / "scenarios/travel-agency-delegation.yaml",
        "--reform",
        "delegation",
        "--json",
    )
    assert code == 0, err
    result = json.loads(out)
    assert lead(result["baseline"], "travel-agency") == pytest.approx(
        15, rel=0.15
    )  # reported ~15 WD
    assert lead(result["reforms"]["delegation"]["summary"], "travel-agency") == pytest.approx(
        5, rel=0.15
    )  # ~5 WD


def test_construction_project_lands_in_the_reported_ranges(cli):
    code, out, err = cli("compare", ROOT / "scenarios/construction-project.yaml", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert 110 <= lead(result["baseline"], "construction-project") <= 170  # reported 110–170 WD
    assert (
        60 <= lead(result["reforms"]["parallel-review"]["summary"], "construction-project") <= 75
    )  # 60–75 WD


def test_paired_comparison_is_tighter_than_unpaired():
    # Extra inspectors change one department; with common random numbers the same cases arrive and
    # draw the same work, so the replication-to-replication noise cancels in the differences.
    data, source = load_scenario_data(
        ROOT / "scenarios/district-centre.yaml", ["working_days=80", "replications=6"]
    )
    result = compare(data, source, [["dedicated-inspectors"]])
    change = result["reforms"]["dedicated-inspectors"]["change"]["services"]["food-licence"][
        "lead_time_wd_mean"
    ]
    paired = change["ci95"][1] - change["ci95"][0]
    unpaired = change["unpaired_ci95"][1] - change["unpaired_ci95"][0]
    assert change["verdict"] == "better"  # lead time fell: the whole interval below 0
    assert paired < unpaired / 3
    # Arrivals do not depend on staffing: identical case by case.
    arrived = result["reforms"]["dedicated-inspectors"]["change"]["services"]["food-licence"][
        "arrived"
    ]
    assert arrived["change"] == 0 and arrived["verdict"] == "unchanged"


BASE = {
    "name": "r",
    "calendar": "cn",
    "start": "2025-03-03",
    "working_days": 20,
    "departments": {"a": {"staff": 2}, "b": {"staff": 1}},
    "services": {
        "s": {
            "limits": "20wd",
            "arrivals": {"per_day": 3},
            "steps": [
                {
                    "step": "accept",
                    "department": "a",
                    "work": {"exponential": 20},
                    "supplement": {
                        "materials": 10,
                        "missing_each": 0.05,
                        "response": {"fixed": 2, "unit": "d"},
                    },
                },
                {"step": "x", "department": "b", "work": {"triangular": [10, 20, 60]}},
                {"step": "y", "department": "b", "work": {"fixed": 30}},
                {"step": "z", "delay": {"fixed": 2, "unit": "wd"}},
            ],
        }
    },
}


def reformed(*operations) -> dict:
    return apply_reforms(
        {**copy.deepcopy(BASE), "reforms": {"r": list(operations)}}, ["r"], "test.yaml"
    )


def test_operators_patch_the_route_and_resources():
    steps = reformed({"parallelize": {"service": "s", "steps": ["x", "y"]}})["services"]["s"][
        "steps"
    ]
    assert [list(branch[0].values())[0] for branch in steps[1]["parallel"]] == ["x", "y"]
    merged = reformed({"merge": {"service": "s", "steps": ["x", "y"], "into": "xy"}})["services"][
        "s"
    ]["steps"]
    assert merged[1] == {
        "step": "xy",
        "department": "b",
        "work": {"triangular": [10, 20, 60]},
    }  # the longest
    removed = reformed({"remove": {"service": "s", "step": "z"}})["services"]["s"]["steps"]
    assert [s["step"] for s in removed] == ["accept", "x", "y"]
    staffed = reformed(
        {"staff": {"department": "b", "delta": 2}},
        {"staff": {"department": "a", "staff": 4, "from": "2025-03-10", "to": "2025-03-14"}},
    )
    assert staffed["departments"]["b"]["staff"] == 3
    assert staffed["departments"]["a"]["staff_changes"] == [
        {"from": "2025-03-10", "to": "2025-03-14", "staff": 4}
    ]
    scaled = reformed({"work": {"service": "s", "step": "x", "scale": 0.5}})["services"]["s"][
        "steps"
    ][1]
    assert scaled["work"]["triangular"] == [5, 10, 30]
    limits = reformed({"limits": {"promised": "60%"}})["services"]["s"]["limits"]
    assert limits == {"promised": "12wd", "legal": "20wd"}
    more = reformed({"arrivals": {"scale": 1.3}}, {"online": {"service": "s", "share": 0.8}})[
        "services"
    ]["s"]
    assert more["arrivals"] == {"per_day": pytest.approx(3.9), "online": 0.8}


def test_cutting_materials_lowers_the_supplement_chance_per_material():
    # 10 materials each missing 5 %: P(supplement) = 1 - 0.95**10; cut 36 %: 6.4 materials.
    base = Scenario.model_validate(BASE).services["s"].steps[0].supplement
    cut = Scenario.model_validate(
        reformed({"materials": {"service": "s", "step": "accept", "cut": 0.36}})
    )
    assert base.chance == pytest.approx(1 - 0.95**10)
    assert cut.services["s"].steps[0].supplement.chance == pytest.approx(1 - 0.95**6.4)


@pytest.mark.parametrize(
    "operation, what, where",
    [
        (
            {"remove": {"service": "s", "step": "nope"}},
            "no step 'nope'",
            "reforms.r[0].remove.step",
        ),
        ({"staff": {"department": "b", "delta": -1}}, "would be 0", "reforms.r[0].staff.delta"),
        (
            {"staff": {"department": "b", "staff": -2}},
            "greater than or equal to 0",
            "reforms.r[0].staff.staff:",
        ),
        (
            {"merge": {"service": "s", "steps": ["x", "y"]}},
            "Field required",
            "reforms.r[0].merge.into:",
        ),
        ({"work": {"step": "x", "scale": 0}}, "greater than 0", "reforms.r[0].work.scale:"),
        ({"limits": {"promised": "120%"}}, "at most 100%", "reforms.r[0].limits.promised"),
        (
            {"materials": {"service": "s", "step": "accept", "cut": 1.5}},
            "less than or equal to 1",
            "reforms.r[0].materials.cut:",
        ),
        (
            {"parallelize": {"service": "s", "steps": ["x", "z"]}},
            "not consecutive",
            "reforms.r[0].parallelize",
        ),
        (
            {"online": {"service": "t", "share": 0.5}},
            "no service 't'",
            "reforms.r[0].online.service",
        ),
        ({"speedup": {"service": "s"}}, "an operation is one of", "reforms.r[0]"),
    ],
)
def test_bad_reforms_exit_2_with_a_clear_line(cli, tmp_path, operation, what, where):
    import yaml

    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump({**BASE, "reforms": {"r": [operation]}}), encoding="utf-8")
    for command in (["compare", path, "--reps", "2"], ["validate", path]):
        code, _, err = cli(*command)
        assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert str(path) in err and what in err and where in err


def test_unknown_reform_name(cli):
    code, _, err = cli(
        "compare", ROOT / "scenarios/construction-project.yaml", "--reform", "teleport"
    )
    assert code == 2 and "unknown reform 'teleport'" in err and "parallel-review" in err


def test_shipped_reforms_name_only_existing_things():
    checked = []
    for path in SHIPPED_SCENARIOS:
        if "reforms" not in (read_yaml(path) or {}):
            continue
        data, source = load_scenario_data(path)
        for name in data["reforms"]:
            patched = Scenario.model_validate(apply_reforms(data, [name], source))
            assert (
                patched.model_dump()
                != Scenario.model_validate(
                    {k: v for k, v in data.items() if k != "reforms"}
                ).model_dump()
            ), f"{path.name}: reform {name} changes nothing"
            checked.append((path.name, name))
    # Eight shipped scenarios carry reforms (all but mmc-always); each has at least one.
    assert len({file for file, _ in checked}) == 8 and len(checked) >= 8


def test_bundle_makes_one_service_with_one_acceptance_and_parallel_children():
    data = copy.deepcopy(BASE)
    data["services"]["t"] = {
        "limits": "10wd",
        "arrivals": {"per_day": 2},
        "steps": [
            {"step": "accept", "department": "a", "work": {"fixed": 10}},
            {"step": "check", "department": "b", "work": {"fixed": 30}},
        ],
    }
    data["reforms"] = {
        "one-thing": [
            {
                "bundle": {
                    "services": ["s", "t"],
                    "into": "st",
                    "limits": {"promised": "3wd", "legal": "10wd"},
                    "accept": {
                        "step": "joint-accept",
                        "department": "a",
                        "work": {"exponential": 15},
                    },
                }
            }
        ]
    }
    bundled = apply_reforms(data, ["one-thing"], "test.yaml")
    assert list(bundled["services"]) == ["st"]
    route = bundled["services"]["st"]["steps"]
    assert route[0]["step"] == "joint-accept" and route[0]["accepts"]
    branches = route[1]["parallel"]
    assert [[s["step"] for s in b] for b in branches] == [["s/x", "s/y", "s/z"], ["t/check"]]
    assert bundled["services"]["st"]["arrivals"] == {"per_day": 3}
    scenario = Scenario.model_validate(bundled)
    from slasim.sim.runner import run_scenario

    result = run_scenario(scenario.model_copy(update={"replications": 2}))
    assert result["services"]["st"]["decided"]["mean"] > 0


def _reference_examples() -> list[dict]:
    """The YAML examples of docs/REFORMS.md, each a mapping of reform name → operations."""
    import re

    import yaml

    text = (ROOT / "docs" / "REFORMS.md").read_text(encoding="utf-8")
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, re.S)]


def test_the_reform_reference_shows_every_operation_and_each_example_applies():
    """docs/REFORMS.md has an example of every operation kind, and each one applies to the
    shipped district-centre scenario and compiles."""
    from slasim.scenario.loader import check_scenario
    from slasim.scenario.reform_schema import OPERATIONS

    examples = _reference_examples()
    kinds = {next(iter(op)) for example in examples for ops in example.values() for op in ops}
    assert kinds == set(OPERATIONS)
    data, source = load_scenario_data("district-centre")
    for example in examples:
        check_scenario({**data, "reforms": example}, source)  # raises on any broken example


def test_the_schema_types_each_reform_operation():
    """`slasim schema` gives each operation's fields: a merge without `into` fails the schema."""
    from slasim.scenario.schema import json_schema

    schema = json.loads(json_schema())
    choices = schema["properties"]["reforms"]["additionalProperties"]["items"]["oneOf"]
    assert len(choices) == 13
    merge = schema["$defs"]["Merge"]
    assert set(merge["required"]) == {"service", "steps", "into"}
    assert merge["properties"]["steps"]["minItems"] == 2


def test_verdicts_say_better_or_worse_where_a_metric_has_a_better_side():
    from slasim.sim.compare import verdict

    assert verdict([-2.0, -1.0], "ever_red") == "better"  # fewer red cards
    assert verdict([1.0, 2.0], "ever_red") == "worse"
    assert verdict([0.01, 0.05], "on_time_promised") == "better"  # more on time
    assert verdict([-3.0, -0.5], "lead_time_wd_p90") == "better"
    assert verdict([1.0, 2.0], "arrived") == "up"  # volumes have no better side
    assert verdict([-1.0, 1.0], "ever_red") == "no clear change"
    assert verdict([0.0, 0.0], "ever_red") == "unchanged"
    assert verdict(None, "ever_red") == "n/a"
