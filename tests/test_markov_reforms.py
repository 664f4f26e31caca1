"""Reforms on the steps of a Markov route (`markov:` items): shares worked out by hand after a
step is removed or merged, offered load by hand after a work scale, chains kept whole under a
bundle's prefixed names, refusals as one located line, and paired comparisons on such a route."""

from __future__ import annotations

import copy

import pytest
import yaml

from slasim.io.errors import SlasimError
from slasim.scenario.plan import compile_plan
from slasim.scenario.reforms import apply_reforms
from slasim.scenario.schema import Scenario
from slasim.sim.compare import compare
from slasim.staffing.load import offered_load

from .test_markov_routes import CHAIN, centre


def reformed(data: dict, *operations) -> dict:
    return apply_reforms({**copy.deepcopy(data), "reforms": {"r": list(operations)}}, ["r"], "t")


def chain_of(data: dict, service: str = "permit", at: int = 0) -> dict:
    return data["services"][service]["steps"][at]["markov"]


def visits(data: dict, service: int = 0, at: int = 0) -> list[float]:
    plan = compile_plan(Scenario.model_validate(data))
    return plan.services[service].route[at].visits().tolist()


# a first; then b 60 %, c 40 %; after b: c or d half and half; c and d end the route.
# Reach: c = 0.4 + 0.6 × 0.5 = 0.7, d = 0.6 × 0.5 = 0.3.
FORK = {
    "steps": [
        {"step": s, "department": "desk", "work": {"exponential": w}}
        for s, w in (("a", 10), ("b", 20), ("c", 30), ("d", 40))
    ],
    "start": {"a": 1.0},
    "next": {
        "a": {"b": 0.6, "c": 0.4},
        "b": {"c": 0.5, "d": 0.5},
        "c": {"end": 1.0},
        "d": {"end": 1.0},
    },
}


def test_removing_a_chain_step_sends_its_predecessors_on_to_its_successors():
    before = centre(FORK)
    assert visits(before) == pytest.approx([1.0, 0.6, 0.7, 0.3])
    after = reformed(before, {"remove": {"service": "permit", "step": "b"}})
    chain = chain_of(after)
    assert [s["step"] for s in chain["steps"]] == ["a", "c", "d"]
    # a's 0.6 to b goes half to c, half to d: c 0.4 + 0.3, d 0.3.
    assert chain["next"]["a"] == pytest.approx({"c": 0.7, "d": 0.3})
    assert "b" not in chain["next"] and chain["start"] == {"a": 1.0}
    assert visits(after) == pytest.approx([1.0, 0.7, 0.3])  # c and d reached as often as before


def test_removing_a_chain_step_from_every_service_that_has_it():
    data = centre(CHAIN)
    data["services"]["other"] = copy.deepcopy(data["services"]["permit"])
    after = reformed(data, {"remove": {"step": "y"}})
    for name in ("permit", "other"):  # y's 0.4 back to x: x repeats 0.5 × 0.4 = 0.2
        assert chain_of(after, name)["next"] == {"x": pytest.approx({"end": 0.8, "x": 0.2})}


def test_removing_the_last_step_of_a_chain_removes_the_route_item():
    one = {"steps": [CHAIN["steps"][0]], "start": {"x": 1.0}, "next": {"x": {"end": 1.0}}}
    data = centre(one)
    data["services"]["permit"]["steps"].insert(
        0, {"step": "intake", "department": "desk", "work": {"fixed": 5}}
    )
    after = reformed(data, {"remove": {"service": "permit", "step": "x"}})
    assert after["services"]["permit"]["steps"] == [
        {"step": "intake", "department": "desk", "work": {"fixed": 5}}
    ]
    Scenario.model_validate(after)


def test_a_work_scale_on_a_chain_step_scales_its_offered_load():
    # x: 20 cases a day × 1.25 visits × 20 min over 1,440 minutes; halved: 10 min a visit.
    after = reformed(centre(CHAIN), {"work": {"service": "permit", "step": "x", "scale": 0.5}})
    assert chain_of(after)["steps"][0]["work"] == {"exponential": 10, "unit": "min"}
    plan = compile_plan(Scenario.model_validate(after))
    assert offered_load(plan)["desk"] == pytest.approx(20 * 1.25 * 10 / 1440)
    # The delay step y is replaced, for every service that has it (none named).
    after = reformed(centre(CHAIN), {"work": {"step": "y", "work": {"fixed": 30}}})
    assert chain_of(after)["steps"][1]["delay"] == {"fixed": 30, "unit": "min"}


# a always followed by b, and b reached only after a: one sequence every case walks whole.
# v_a = 0.7 + 0.5 v_c, v_c = 0.3 + 0.4 v_b, v_b = v_a: v_a = 0.85 / 0.8 = 1.0625, v_c = 0.725.
SEQUENCE = {
    "steps": [
        {"step": "a", "department": "desk", "work": {"exponential": 20}},
        {"step": "b", "department": "desk", "work": {"exponential": 30}},
        {"step": "c", "delay": {"fixed": 1, "unit": "wd"}},
    ],
    "start": {"a": 0.7, "c": 0.3},
    "next": {"a": {"b": 1.0}, "b": {"c": 0.4, "end": 0.6}, "c": {"a": 0.5, "end": 0.5}},
}


def test_merging_a_sequence_of_chain_steps_keeps_every_path():
    before = centre(SEQUENCE)
    assert visits(before) == pytest.approx([1.0625, 1.0625, 0.725])
    after = reformed(before, {"merge": {"service": "permit", "steps": ["a", "b"], "into": "ab"}})
    chain = chain_of(after)
    # The longest part's work (b's 30 min) under the new name, in a's place; b's shares onward.
    assert chain["steps"][0] == {"step": "ab", "department": "desk", "work": {"exponential": 30}}
    assert chain["start"] == {"ab": 0.7, "c": 0.3}
    assert chain["next"] == {"ab": {"c": 0.4, "end": 0.6}, "c": {"ab": 0.5, "end": 0.5}}
    assert visits(after) == pytest.approx([1.0625, 0.725])


@pytest.mark.parametrize(
    "operation, message",
    [
        (
            {"merge": {"service": "permit", "steps": ["b", "c"], "into": "bc"}},
            "merge.steps: step 'b' of the Markov route is not always followed by 'c'",
        ),
        (
            {"merge": {"service": "permit", "steps": ["c", "a"], "into": "ca"}},
            "merge.steps: step 'c' of the Markov route is not always followed by 'a'",
        ),
        (
            {"merge": {"service": "permit", "steps": ["a", "q"], "into": "aq"}},
            "merge.step: no step 'q' in service 'permit'",
        ),
        (
            {"merge": {"service": "permit", "steps": ["intake", "a"], "into": "ia"}},
            "merge.steps: steps intake, a are not consecutive in one sequence",
        ),
        (
            {"parallelize": {"service": "permit", "steps": ["a", "b"]}},
            "parallelize.steps: step 'a' is in a Markov route, whose steps have no fixed order",
        ),
        (
            {"parallelize": {"service": "permit", "steps": ["intake", "a"]}},
            "parallelize.steps: step 'a' is in a Markov route",
        ),
        (
            {"materials": {"service": "permit", "step": "a", "cut": 0.5}},
            "materials.step: step 'a' has no supplement loop to cut materials from",
        ),
    ],
)
def test_a_reform_that_cannot_mean_anything_on_a_chain_is_one_located_line(operation, message):
    data = centre(SEQUENCE)
    data["services"]["permit"]["steps"].insert(
        0, {"step": "intake", "department": "desk", "work": {"fixed": 5}}
    )
    with pytest.raises(SlasimError) as exc:
        reformed(data, operation)
    text = str(exc.value)
    assert text.startswith("t: reforms.r[0].") and message in text and "\n" not in text


def test_merging_chain_steps_reached_from_elsewhere_is_refused():
    sequence = copy.deepcopy(SEQUENCE)
    sequence["next"]["c"] = {"b": 0.5, "end": 0.5}  # b now also follows c
    with pytest.raises(SlasimError, match="step 'b' of the Markov route is reached other than"):
        reformed(
            centre(sequence), {"merge": {"service": "permit", "steps": ["a", "b"], "into": "m"}}
        )


def test_materials_and_tolerate_missing_reach_a_chain_steps_supplement_loop():
    chain = copy.deepcopy(CHAIN)
    chain["steps"][0]["supplement"] = {"probability": 0.4, "response": {"fixed": 2, "unit": "d"}}
    after = reformed(
        centre(chain),
        {"materials": {"service": "permit", "step": "x", "cut": 0.25}},
        {"tolerate_missing": {"service": "permit", "step": "x"}},
    )
    supplement = chain_of(after)["steps"][0]["supplement"]
    assert supplement["probability"] == pytest.approx(0.4 * 0.75) and supplement["tolerate"]
    Scenario.model_validate(after)


def test_a_bundle_of_services_with_chains_keeps_each_chains_shares_under_prefixed_names():
    data = centre(CHAIN)
    other = copy.deepcopy(FORK)
    other["steps"][1]["accepts"] = True  # q accepts at b: the bundle's acceptance replaces it
    data["services"]["q"] = {
        **copy.deepcopy(data["services"]["permit"]),
        "steps": [{"markov": other}],
    }
    del data["services"]["q"]["acceptance"]
    after = reformed(
        data,
        {
            "bundle": {
                "services": ["permit", "q"],
                "into": "both",
                "accept": {"step": "accept", "department": "desk", "work": {"fixed": 10}},
                "limits": "20wd",
            }
        },
    )
    route = after["services"]["both"]["steps"]
    assert route[0]["accepts"] and list(after["services"]) == ["both"]
    mine, theirs = (branch[0]["markov"] for branch in route[1]["parallel"])
    assert [s["step"] for s in mine["steps"]] == ["permit/x", "permit/y"]
    assert mine["start"] == {"permit/x": 1.0}
    assert mine["next"] == {
        "permit/x": {"permit/y": 0.5, "end": 0.5},
        "permit/y": {"permit/x": 0.4, "end": 0.6},
    }
    # q's accepting step b left its chain as `remove` takes it out: a's 0.6 split to c and d.
    assert [s["step"] for s in theirs["steps"]] == ["q/a", "q/c", "q/d"]
    assert theirs["next"]["q/a"] == pytest.approx({"q/c": 0.7, "q/d": 0.3})
    plan = compile_plan(Scenario.model_validate(after))
    (both,) = plan.services
    assert [st.name for st in both.steps if st.accepts] == ["accept"]
    first, second = (branch[0] for branch in both.route[1].branches)
    assert first.visits().tolist() == pytest.approx([1.25, 0.625])
    assert second.visits().tolist() == pytest.approx([1.0, 0.7, 0.3])


def test_compare_on_a_markov_route_pairs_the_replications():
    # Quicker work at x with common random numbers: the same cases take the same moves and
    # draw the same (scaled) work, so the paired interval is far tighter than the unpaired one.
    data = centre(CHAIN, days=40)
    # No receipts on the last two days (of 2025-01-01 … 02-09): every case has left before the end
    # in both, so the same visits are counted in both and their work is exactly half.
    data["services"]["permit"]["arrivals"]["until"] = "2025-02-08"
    data["replications"] = 6
    data["reforms"] = {"quicker-x": [{"work": {"service": "permit", "step": "x", "scale": 0.5}}]}
    data = yaml.safe_load(yaml.safe_dump(data))  # as read from a file
    result = compare(data, "t.yaml", [["quicker-x"]])
    change = result["reforms"]["quicker-x"]["change"]["services"]["permit"]
    lead = change["lead_time_wd_mean"]
    assert lead["verdict"] == "better"
    # By hand: 1.25 visits a case save 10 minutes each, of a 1,440-minute working day ("always"),
    # plus a little queueing at a desk busy 17 % of the time.
    assert lead["change"] == pytest.approx(-1.25 * 10 / 1440, rel=0.15)
    assert (
        lead["ci95"][1] - lead["ci95"][0]
        < (lead["unpaired_ci95"][1] - lead["unpaired_ci95"][0]) / 3
    )
    assert change["arrived"]["verdict"] == "unchanged"  # arrivals do not depend on the work
    # Work at x per visit halves: 20 → 10 minutes, on the very same draws (exactly half).
    steps = result["reforms"]["quicker-x"]["summary"]["steps"]["permit/x"]
    base = result["baseline"]["steps"]["permit/x"]
    assert steps["work_hours_mean"]["mean"] == pytest.approx(base["work_hours_mean"]["mean"] / 2)
