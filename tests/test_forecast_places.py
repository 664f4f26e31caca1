"""Warm starts inside parallel groups and Markov routes: a hand-made log's cases placed there and
their decisions worked out by hand (one clerk per desk, fixed work), the same on SimPy; random
snapshots with places in parallel branches and Markov routes give the event engine's results on
SimPy to the last bit; the shipped LoanApp sample leaves no case out."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from slasim.calendar.workcalendar import load_calendar
from slasim.clock.deadline import instant_minutes
from slasim.fit.build import slug
from slasim.fit.log import read_log
from slasim.forecast.from_log import forecast_log, snapshot_from_log
from slasim.forecast.risk import forecast_plan, run_warm
from slasim.scenario.loader import load_scenario
from slasim.scenario.plan import MarkovPlan, ParallelPlan, StepPlan
from slasim.sim.warm import Front, OpenCase

from .helpers import AS_OF, at, log_snapshot, write_log, write_snapshot

SCENARIO = """
name: groups
calendar: always
start: 2025-01-01
working_days: 30
seed: 5
cards: warn-before
departments: {desk: {staff: 1}, a: {staff: 1}, b: {staff: 1}, m: {staff: 1}}
services:
  permit:
    limits: {promised: 5wh, legal: 1wd}
    acceptance: receipt
    arrivals: {per_day: 0}
    steps:
      - {step: intake, department: desk, work: {fixed: 10}}
      - parallel:
          - [{step: pa1, department: a, work: {fixed: 60}}, {step: pa2, department: a, work: {fixed: 30}}]
          - [{step: pb, department: b, work: {fixed: 40}}]
      - {step: decide, department: desk, work: {fixed: 10}}
  loop:
    limits: {promised: 5wh, legal: 1wd}
    acceptance: receipt
    arrivals: {per_day: 0}
    steps:
      - markov:
          steps:
            - {step: x, department: m, work: {fixed: 20}}
            - {step: y, delay: {fixed: 60, unit: min}}
          start: {x: 1}
          next: {x: {y: 1}, y: {x: 0.5, end: 0.5}}
          max_visits: 2
"""

# (case, service, activity, start, end) in minutes from AS_OF (`always`: every minute counts).
EVENTS = [
    ("c1", "permit", "Intake", -100, -90),  # pa2 under way since -20, pb done: in the group
    ("c1", "permit", "Pa1", -90, -30),
    ("c1", "permit", "Pb", -90, -50),
    ("c1", "permit", "Pa2", -20, 10),
    ("c2", "permit", "Intake", -15, -5),  # intake done: about to enter the group
    ("c2", "permit", "Pb", 20, 60),
    ("c3", "permit", "Intake", -60, -50),  # pb done, its other branch not begun
    ("c3", "permit", "Pb", -50, -10),
    ("c3", "permit", "Pa1", 20, 80),
    ("m1", "loop", "X", -30, -10),  # x done (visit 1): y next, the second and last visit
    ("m1", "loop", "Y", 5, 65),
    ("m2", "loop", "X", -100, -80),  # y under way since -20 (visit 2 of 2): ends when y ends
    ("m2", "loop", "Y", -20, 40),
]


def read_services(path, cal):
    return read_log(path, cal, service="service")


@pytest.fixture
def files(tmp_path):
    scenario = tmp_path / "groups.yaml"
    scenario.write_text(SCENARIO)
    return scenario, write_log(tmp_path / "log.csv", EVENTS, ("case_id", "service", "activity"))


def test_places_in_a_parallel_group_and_a_markov_route(files):
    scenario, log = files
    snap, start = log_snapshot(load_scenario(scenario), log, read_services)
    assert snap.left_out == {}
    places = {
        c.key: [(f.step, f.state, f.since - start, f.visits) for f in c.fronts] for c in snap.cases
    }
    assert places == {
        "c1": [("pa2", "in_service", -20, 1), ("pb", "after", -50, 1)],
        "c2": [("intake", "after", -5, 1)],
        "c3": [("pb", "after", -10, 1)],
        "m1": [("x", "after", -10, 1)],
        "m2": [("y", "delay", -20, 2)],
    }
    # Seating order: in service first, then by since (the delay last).
    assert [c.key for c in snap.cases] == ["c1", "c3", "m1", "c2", "m2"]


@pytest.mark.parametrize("engine", ["events", "simpy"])
def test_decisions_inside_groups_by_hand(files, engine):
    # One clerk per desk, fixed work. From T:
    #   c1: pa2 has 30 - 20 = 10 minutes left (a busy to +10); pb done: joined at +10, decided at
    #       the desk +10..+20.
    #   c3: its a-branch from the start: pa1 queues at a, first: +10..+70; c2's pa1, queued next,
    #       takes a at +70 before c3's pa2 asks: c2 pa1 +70..+130, c3 pa2 +130..+160, c2 pa2
    #       +160..+190; c2's pb at b 0..40. c3 decided +160..+170, c2 +190..+200.
    #   m1: y (visit 2 of 2) from T: +60, the route ends (max_visits). m2: y has 60 - 20 = 40
    #       left: +40, and ends there (its second visit), not at x again.
    scenario, log = files
    spec = load_scenario(scenario)
    if engine == "simpy":
        spec = spec.model_copy(update={"engine": "simpy"})
    result = forecast_log(spec, log, read_services, slug, as_of=AS_OF.isoformat(), replications=2)
    assert result["engine"] == engine
    decided = {row["id"]: row["decision_p50"] for row in result["cases"]}
    hand = {"c1": 20, "c2": 200, "c3": 170, "m1": 60, "m2": 40}
    assert decided == {case: at(m)[:16] for case, m in hand.items()}
    assert result["snapshot"]["left_out"] == {}


def test_a_log_cut_at_t_decides_a_markov_case_whose_route_may_end(tmp_path):
    # A log that ends by T: after y the route may end (y → end 0.5), so m3, whose last step is y,
    # is decided; after x it goes to y (share 1), so m4 is open, after x.
    scenario = tmp_path / "g.yaml"
    scenario.write_text(SCENARIO)
    events = [("m3", "loop", "X", -90, -70), ("m3", "loop", "Y", -60, -10)]
    events.append(("m4", "loop", "X", -30, -5))
    log = write_log(tmp_path / "cut.csv", events, ("case_id", "service", "activity"))
    snap, _ = log_snapshot(load_scenario(scenario), log, read_services)
    assert [(c.key, c.step, c.state) for c in snap.cases] == [("m4", "x", "after")]


def test_the_loanapp_sample_leaves_no_case_out():
    spec = load_scenario("scenarios/fitted/loanapp.yaml")
    cal = load_calendar(spec.calendar)
    events = read_log("scenarios/logs/loanapp-sample.csv", cal)
    inside = 0
    for when in ("2023-02-15T10:00", "2023-02-20T11:00", "2023-02-08T09:15", "2023-02-22T15:00"):
        as_of = instant_minutes(cal, dt.datetime.fromisoformat(when))
        plan, _, _ = forecast_plan(spec, as_of, "2wd")
        snap = snapshot_from_log(plan, events, as_of, slug)
        assert snap.left_out == {}, when
        inside += sum(len(c.fronts) > 1 or c.state == "after" for c in snap.cases)
    assert inside > 0  # cases in (or about to enter) the parallel group are among them


# ---------------------------------------------------------------- both engines, random places

RANDOM = """
name: mixed
calendar: always
start: 2025-01-01
working_days: 20
seed: 2
cards: warn-before
departments: {desk: {staff: 2}, a: {staff: 1}, b: {staff: 2}}
services:
  permit:
    limits: {promised: 8wh, legal: 2wd}
    arrivals: {per_day: 30}
    priority: 1
    steps:
      - step: intake
        department: desk
        work: {exponential: 15}
        accepts: true
        supplement: {probability: 0.3, response: {exponential: 0.2, unit: wd}, clock: resume}
      - parallel:
          - - {step: pa1, department: a, work: {exponential: 20}}
            - branch:
                - {probability: 0.5, steps: [{step: pa2, department: b, work: {exponential: 25}}]}
                - {probability: 0.5, steps: [{step: wait, delay: {exponential: 40, unit: min}}]}
          - - {step: pb, department: b, work: {exponential: 30}}
            - {step: pc, department: desk, work: {exponential: 10}}
      - {step: decide, department: a, work: {exponential: 10}}
  loop:
    limits: {promised: 8wh, legal: 2wd}
    arrivals: {per_day: 15}
    steps:
      - {step: open, department: desk, work: {exponential: 5}, accepts: true}
      - markov:
          steps:
            - {step: x, department: b, work: {exponential: 20}}
            - {step: y, delay: {exponential: 30, unit: min}}
            - {step: z, department: a, work: {exponential: 15}}
          start: {x: 0.7, z: 0.3}
          next: {x: {y: 0.5, z: 0.3, end: 0.2}, y: {x: 0.6, end: 0.4}, z: {x: 0.2, end: 0.8}}
          max_visits: 6
      - {step: close, department: desk, work: {exponential: 5}}
"""


def _states(step: StepPlan) -> list[str]:
    return (["waiting", "in_service"] if step.department is not None else ["delay"]) + ["after"]


def _places(route: list, rng) -> list[Front]:
    """Random places along a route: at one item, in each branch of a parallel group."""
    i = int(rng.integers(len(route)))
    item = route[i]
    if isinstance(item, StepPlan):
        return [Front(item.name, str(rng.choice(_states(item))), 0.0, int(rng.integers(2)))]
    if isinstance(item, MarkovPlan):
        step = item.steps[int(rng.integers(len(item.steps)))]
        visits = int(rng.integers(1, item.max_visits + 1))
        return [Front(step.name, str(rng.choice(_states(step))), 0.0, 0, visits)]
    if isinstance(item, ParallelPlan):
        out = []
        for branch in item.branches:
            if rng.random() < 0.7:
                out += _places(branch, rng)
        return out
    return _places(item.routes[int(rng.integers(len(item.routes)))], rng)


def _random_cases(plan, rng, n: int) -> list[OpenCase]:
    out, start, at_desk = [], plan.start, {}
    for i in range(n):
        service = plan.services[int(rng.integers(len(plan.services)))]
        fronts = _places(service.route, rng) or [Front("", "after", 0.0)]
        for f in fronts:
            f.since = max(start - float(rng.integers(0, 300)), start - 2000)
            step = next((s for s in service.steps if s.name == f.step), None)
            if f.state == "in_service":
                seated = at_desk.get(step.department, 0)
                if seated >= plan.departments[step.department].staff:
                    f.state = "waiting"
                at_desk[step.department] = seated + 1
        main = fronts[0]
        received = start - float(rng.integers(300, 3000))
        accepted = received if rng.random() < 0.7 else float("nan")
        case = OpenCase(
            f"r{i}", service.index, received, accepted, main.step, main.state, main.since
        )
        case.rounds, case.visits, case.number = main.rounds, main.visits, -i - 1
        case.others = fronts[1:]
        out.append(case)
    return out


def test_event_engine_equals_simpy_with_places_in_groups_and_chains(tmp_path):
    (tmp_path / "mixed.yaml").write_text(RANDOM)
    spec = load_scenario(tmp_path / "mixed.yaml")
    cal = load_calendar(spec.calendar)
    as_of_wall = instant_minutes(cal, dt.datetime(2025, 1, 8, 10, 17))
    plan, _, _ = forecast_plan(spec, as_of_wall, "2wd")
    rng = np.random.default_rng(11)
    kinds = set()
    for rep in range(3):
        cases = _random_cases(plan, rng, 40)
        kinds |= {(len(c.fronts) > 1, c.state) for c in cases}
        waits = {"events": [], "simpy": []}
        (warm_e, all_e), (warm_s, all_s) = (
            run_warm(plan, cases, rep, 3, engine, waits=waits[engine], waits_until=plan.end - 600)
            for engine in ("events", "simpy")
        )
        assert waits["events"] == waits["simpy"] and any(waits["events"])
        assert [(r.decided, r.accepted, r.pauses) for r in warm_e] == [
            (r.decided, r.accepted, r.pauses) for r in warm_s
        ]
        key = lambda r: (r.service, r.number, r.received)  # noqa: E731
        assert sorted((key(r), r.decided) for r in all_e) == sorted(
            (key(r), r.decided) for r in all_s
        )
        assert sum(np.isfinite(r.decided) for r in warm_e) > 20
    assert (True, "in_service") in kinds and ("after" in {s for _, s in kinds})


# ---------------------------------------------------------------- the desk that holds a case back

DESKS = """
name: desks
calendar: always
start: 2025-01-01
working_days: 30
cards: warn-before
departments: {A: {staff: 1}, B: {staff: 1}, C: {staff: 1}}
services:
  one: {limits: {promised: 2wh, legal: 1wd}, acceptance: receipt, arrivals: {per_day: 0},
        steps: [{step: s1, department: A, work: {fixed: 60}}]}
  two: {limits: {promised: 2wh, legal: 1wd}, acceptance: receipt, arrivals: {per_day: 0},
        steps: [{step: s2, department: B, work: {fixed: 45}}]}
  three: {limits: {promised: 2wh, legal: 1wd}, acceptance: receipt, arrivals: {per_day: 0},
          steps: [{step: t1, department: A, work: {fixed: 10}},
                  {step: t2, department: B, work: {fixed: 45}}]}
  four: {limits: {promised: 2wh, legal: 1wd}, acceptance: receipt, arrivals: {per_day: 0},
         steps: [{step: u1, department: C, work: {fixed: 100}}]}
"""


def test_the_binding_desk_of_each_case_by_hand(tmp_path):
    # One clerk per desk, fixed work, no arrivals; promised limit 120 minutes from receipt, yellow
    # at 108 counted (warn-before), red past 120. From T (minutes):
    #   A: a1 in service 0..60 (received -100: red, waited nowhere); a2 60..120 (received -30:
    #      red, waited 60 at A); c (t1) 120..130, waited 120 at A, then 5 at B (e is served
    #      until 135), 135..180: red (received -200), binding A.
    #   B: b1 in service 0..45 (received 0: no card); d (t2) 45..90 waited 45 (received -50:
    #      due +70, red); e 90..135 waited 90 (received 0: red at +120).
    #   C: x in service since -90, 10 left: 0..10 (received -100: 110 counted, yellow only,
    #      waited nowhere); y 10..110 waited 10 (received 0: yellow only), binding C from its
    #      yellow replications.
    from slasim.forecast.risk import forecast_open_file

    spec_path = tmp_path / "desks.yaml"
    spec_path.write_text(DESKS)
    spec = load_scenario(spec_path)

    def case(key, service, step, received, **more):
        return {"id": key, "service": service, "step": step, "received": at(received)} | more

    cases = [
        case("a1", "one", "s1", -100, state="in_service", since=at(0)),
        case("a2", "one", "s1", -30, position=1),
        case("c", "three", "t1", -200, position=2),
        case("b1", "two", "s2", 0, state="in_service", since=at(0)),
        case("d", "three", "t2", -50, position=1, steps_done=["t1"]),
        case("e", "two", "s2", 0, position=2),
        case("x", "four", "u1", -100, state="in_service", since=at(-90)),
        case("y", "four", "u1", 0, position=1),
    ]
    path = write_snapshot(tmp_path, cases)
    result = forecast_open_file(spec, path, horizon="1wd", replications=2)
    rows = {row["id"]: row for row in result["cases"]}
    hand = {
        "a1": (1, 60, None),
        "a2": (1, 120, "A"),
        "c": (1, 180, "A"),
        "b1": (0, 45, None),
        "d": (1, 90, "B"),
        "e": (1, 135, "B"),
        "x": (0, 10, None),
        "y": (0, 110, "C"),
    }
    for key, (red, decided, desk) in hand.items():
        assert (rows[key]["red"]["p"], rows[key]["decision_p50"], rows[key]["binding_desk"]) == (
            red,
            at(decided)[:16],
            desk,
        ), key
    assert rows["x"]["yellow"]["p"] == rows["y"]["yellow"]["p"] == 1
    assert rows["b1"]["yellow"]["p"] == 0


def test_an_open_cases_file_places_cases_inside_groups(tmp_path):
    # As the log's c1 and m2, plus f, after intake (about to enter the group). From T: f1's pa2
    # has 10 minutes left (a to +10), pb done: decided at the desk +10..+20. f2: pa1 at a
    # +10..+70, pa2 +70..+100, pb at b 0..40: joined +100, decided +100..+110. f3: y (visit 2
    # of 2, its x in steps_done) 40 minutes left: +40.

    from slasim.forecast.risk import forecast_open_file

    (tmp_path / "groups.yaml").write_text(SCENARIO)
    spec = load_scenario(tmp_path / "groups.yaml")
    cases = [
        {"id": "f1", "service": "permit", "received": at(-100), "step": "pa2"}
        | {"state": "in_service", "since": at(-20), "steps_done": ["intake", "pa1", "pb"]},
        {"id": "f2", "service": "permit", "received": at(-15), "step": "intake"}
        | {"state": "after", "since": at(-5)},
        {"id": "f3", "service": "loop", "received": at(-100), "step": "y"}
        | {"state": "delay", "since": at(-20), "steps_done": ["x"]},
    ]
    path = write_snapshot(tmp_path, cases)
    result = forecast_open_file(spec, path, horizon="1wd", replications=2)
    decided = {row["id"]: row["decision_p50"] for row in result["cases"]}
    assert decided == {"f1": at(20)[:16], "f2": at(110)[:16], "f3": at(40)[:16]}


def test_a_log_forecast_inside_groups_in_chinese():
    # The LoanApp sample at an instant with cases inside its parallel group, with a horizon long
    # enough for cards: the text shows no English (the desks' names are the scenario's
    # identifiers), and --json is the same bytes in both languages.
    from .english import english_left
    from .helpers import ROOT, slasim

    args = [
        "forecast",
        ROOT / "scenarios" / "fitted" / "loanapp.yaml",
        "--log",
        ROOT / "scenarios" / "logs" / "loanapp-sample.csv",
        "--as-of",
        "2023-02-15T10:00",
        "--horizon",
        "3wd",
        "--reps",
        2,
    ]
    zh, en = (slasim("--lang", lang, *args, "--json") for lang in ("zh", "en"))
    assert zh.returncode == 0 and zh.stdout == en.stdout, zh.stderr
    result = json.loads(en.stdout)
    assert result["snapshot"]["left_out"] == {} and result["open_cases"] == 5
    assert all("binding_desk" in row for row in result["cases"])
    shown = slasim("--lang", "zh", *args)
    assert shown.returncode == 0 and "在办件" in shown.stdout
    assert english_left(shown.stdout) == [] and english_left(shown.stderr) == []


def test_a_log_that_goes_on_draws_a_markov_cases_next_step_without_the_way_out(tmp_path):
    # After y the route may end (y → end 0.5), but the log shows m5 again after T: it is open,
    # and waits for x (the only other move), its third visit.
    scenario = tmp_path / "g.yaml"
    scenario.write_text(SCENARIO.replace("max_visits: 2", "max_visits: 5"))
    events = [("m5", "loop", a, start, end) for a, start, end in [("X", -90, -70), ("Y", -60, -10)]]
    events += [("m5", "loop", "X", 30, 50), ("other", "loop", "X", -500, -480)]
    log = write_log(tmp_path / "on.csv", events, ("case_id", "service", "activity"))
    spec = load_scenario(scenario)
    snap, _ = log_snapshot(spec, log, read_services)
    assert [(c.key, c.step, c.state, c.visits) for c in snap.cases] == [("m5", "x", "waiting", 3)]
    assert snap.choices == {0: [(1.0, "x", "waiting")]}
    # From T: x 0..20 at the free desk m (visit 3), y 20..80 (visit 4), then y ends the route
    # (+80) or sends it to x 80..100, the fifth and last visit (+100).
    result = forecast_log(spec, log, read_services, slug, as_of=AS_OF.isoformat(), replications=6)
    row = result["cases"][0]
    assert {row["decision_p50"], row["decision_p90"]} <= {at(80)[:16], at(100)[:16]}
