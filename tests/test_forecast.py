"""`slasim forecast`: warm starts from open cases, checked against values worked out apart from it —
queueing theory (an Erlang wait at an M/M/1 desk), hand calculations on a deterministic desk,
`slasim deadline` for a case parked in a supplement, the empty start once the snapshot has left,
and SimPy against the event engine on warm-started centres."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from scipy import stats

from slasim.calendar.workcalendar import load_calendar
from slasim.clock.case_clock import Pause
from slasim.clock.deadline import compute_deadline, instant_minutes
from slasim.forecast.risk import forecast_open_file, forecast_plan, run_warm
from slasim.io.schema import validate
from slasim.scenario.loader import load_scenario
from slasim.scenario.schema import Scenario
from slasim.sim.warm import OpenCase

from .helpers import AS_OF, at, slasim, two_desks_yaml, write_snapshot


def scenario(tmp_path, text: str) -> Scenario:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return load_scenario(path)


MM1 = """
name: mm1
calendar: always
start: 2025-01-01
working_days: 30
seed: 7
departments: {desk: {staff: 1}}
services:
  request:
    limits: {promised: 8wh, legal: 1wd}
    acceptance: receipt
    cards: warn-before
    arrivals: {per_day: 4}
    steps:
      - {step: serve, department: desk, work: {%s}}
"""


def test_queue_position_red_is_an_erlang_tail(tmp_path):
    # At an FCFS desk of one server with exponential work (mean m), a case with k cases ahead (the
    # one in service memoryless) is decided after k + 1 exponential works: Erlang(k + 1, 1/m). It
    # goes red (past its promised limit) iff that exceeds its remaining limit r. Later arrivals
    # queue behind it and change nothing.
    m = 60.0
    spec = scenario(tmp_path, MM1 % f"exponential: {m}")
    remaining = {0: 45.0, 1: 100.0, 2: 150.0, 3: 200.0, 4: 330.0}  # k → r (minutes)
    cases = []
    for k, r in remaining.items():
        received = at(r - 480.0)  # 8 working hours before the due instant
        state = {"state": "in_service", "since": at(0)} if k == 0 else {"position": k}
        cases.append({"id": f"k{k}", "service": "request", "received": received, "step": "serve"})
        cases[-1].update(state)
    result = forecast_open_file(
        spec, write_snapshot(tmp_path, cases), horizon="1wd", replications=600, seed=3
    )
    by_id = {row["id"]: row for row in result["cases"]}
    for k, r in remaining.items():
        expected = stats.gamma(k + 1, scale=m).sf(r)
        low, high = by_id[f"k{k}"]["red"]["ci95"]
        assert low <= expected <= high, (k, r, expected, by_id[f"k{k}"]["red"])
    assert result["engine"] == "events" and "warm start" in result["engine_note"]
    assert result["replications"] == 600 and result["provisional"] is False


def test_deterministic_snapshot_matches_a_hand_calculation(tmp_path):
    # Fixed work of 60 minutes, one clerk, no arrivals; promised limit 2 working hours (120 min),
    # yellow at 90 % (108 min counted), red past it. From AS_OF:
    #   a: in service since -20 → decided +40; received -100 → due +20: yellow and red.
    #   b: first in the queue → +100; received -15 → due +105, yellow at +93: yellow only.
    #   c: second in the queue → +160; received at AS_OF → due +120: yellow and red.
    #   d: another desk, in service since AS_OF with 10 minutes of work: decided +10, no card.
    spec = scenario(tmp_path, two_desks_yaml(60, 10, name="fixed"))
    base = {"service": "request", "step": "serve"}
    cases = [
        {**base, "id": "c", "received": at(0), "position": 2},
        {**base, "id": "b", "received": at(-15), "position": 1},
        {**base, "id": "a", "received": at(-100), "state": "in_service", "since": at(-20)},
        {"id": "d", "service": "quick", "step": "serve", "received": at(0)}
        | {"state": "in_service", "since": at(0)},
    ]
    result = forecast_open_file(
        spec, write_snapshot(tmp_path, cases), horizon="1wd", replications=3
    )
    rows = {row["id"]: row for row in result["cases"]}
    hand = {"a": (1, 1, 40), "b": (1, 0, 100), "c": (1, 1, 160), "d": (0, 0, 10)}
    for case, (yellow, red, decided) in hand.items():
        assert rows[case]["yellow"]["p"] == yellow, case
        assert rows[case]["red"]["p"] == red, case
        assert rows[case]["decision_p50"] == at(decided)[:16], case
    assert [row["id"] for row in result["cases"]][:2] == ["a", "c"]  # red first, earliest red day
    assert result["expected"] == {"yellow": 3.0, "red": 2.0}


SUPPLEMENT = """
name: parked
calendar: cn
start: 2025-03-03
working_days: 40
cards: escalate-after
departments: {window: {staff: 1}}
services:
  permit:
    limits: {promised: 5wd, legal: 20wd}
    arrivals: {per_day: 0}
    steps:
      - step: accept
        department: window
        work: {fixed: 30}
        supplement: {probability: 0, response: {fixed: 3, unit: wd}, clock: resume}
      - {step: review, department: window, work: {fixed: 60}}
"""


def test_a_case_parked_in_a_supplement_has_its_clock_stopped_as_deadline_computes(tmp_path):
    # Accepted Mon 3 March; an earlier pause Tue 4 09:30 → Wed 5 09:30; parked in a supplement since
    # Mon 10 March 10:00 with a fixed 3-working-day response: at the snapshot (Tue 11 10:00) 1 wd has
    # passed, 2 remain, so the applicant is back Thu 13 10:00 — the pause the clock must skip.
    spec = scenario(tmp_path, SUPPLEMENT)
    as_of = dt.datetime(2025, 3, 11, 10, 0)
    case = {
        "id": "p1",
        "service": "permit",
        "received": "2025-03-03T09:00",
        "accepted": "2025-03-03T09:30",
        "step": "accept",
        "state": "supplement",
        "since": "2025-03-10T10:00",
        "rounds": 1,
        "pauses": [{"from": "2025-03-04T09:30", "to": "2025-03-05T09:30"}],
        "extension": "10wd",
    }
    result = forecast_open_file(
        spec, write_snapshot(tmp_path, [case], as_of=as_of), horizon="10wd", replications=2
    )
    (row,) = result["cases"]
    cal = load_calendar("cn")

    def wall(text):
        return instant_minutes(cal, dt.datetime.fromisoformat(text))

    pauses = [
        Pause(wall("2025-03-04T09:30"), wall("2025-03-05T09:30"), "supplement"),
        Pause(wall("2025-03-10T10:00"), wall("2025-03-13T10:00"), "supplement"),
    ]
    accepted = dt.datetime(2025, 3, 3, 9, 30)
    legal = compute_deadline("20wd", accepted=accepted, pauses=pauses, extensions=["10wd"])
    promised = compute_deadline("5wd", accepted=accepted, pauses=pauses)
    assert row["legal_due_p50"] == legal.due[:16]
    assert row["promised_due_p50"] == promised.due[:16]
    # Back Thu 13 10:00, then 30 + 60 minutes at a free window: decided 11:30 the same day.
    assert row["decision_p50"] == "2025-03-13T11:30"


def _records(spec: Scenario, cases: list[OpenCase], engine: str, rep: int = 0):
    as_of_wall = instant_minutes(
        load_calendar(spec.calendar),
        AS_OF,
    )
    plan, _, _ = forecast_plan(spec, as_of_wall, "10wd")
    return plan, run_warm(plan, cases, rep, 11, engine)


def test_warm_and_empty_runs_agree_once_the_snapshot_has_left(tmp_path):
    # Same arrivals and work draws (open cases draw from streams of their own): once the warm
    # centre has emptied after the last open case left, every later case is served as in a run
    # that started empty (one FCFS server: the warm queue is never shorter than the empty one).
    spec = scenario(tmp_path, (MM1 % "exponential: 60").replace("per_day: 4", "per_day: 18"))
    plan, (warm_cases, warm_all) = _records(spec, [], "events")
    start = plan.start
    cases = [
        OpenCase(
            f"o{i}", 0, start - 30.0 * i, start - 30.0 * i, "serve", "waiting", start, number=-i - 1
        )
        for i in range(8)
    ]
    _, (warm, warm_all) = _records(spec, cases, "events")
    _, (_, cold_all) = _records(spec, [], "events")
    assert len(warm) == 8
    cold = {r.number: r.decided for r in cold_all}
    new = sorted((r for r in warm_all if r.number >= 0), key=lambda r: r.number)
    busy_until = max(r.decided for r in warm)
    emptied = None
    for r in new:
        if r.received >= busy_until:
            emptied = r.received
            break
        busy_until = max(busy_until, r.decided)
    assert emptied is not None
    later = [r for r in new if r.received >= emptied]
    earlier = [r for r in new if r.received < emptied]
    assert len(later) > 50
    assert all(r.decided == cold[r.number] for r in later)
    assert any(r.decided != cold[r.number] for r in earlier)  # the snapshot mattered before


def _random_snapshot(plan, rng, n: int) -> list[OpenCase]:
    """Open cases on random steps and states of a compiled plan, all valid."""
    from slasim.scenario.plan import StepPlan
    from slasim.sim.warm import find_step

    out, start = [], plan.start
    for i in range(n):
        service = plan.services[int(rng.integers(len(plan.services)))]
        steps = [
            st
            for st in service.steps
            if isinstance(st, StepPlan) and find_step(service.route, st.name)[0] is st
        ]
        step = steps[int(rng.integers(len(steps)))]
        states = ["waiting"] if step.department is not None else ["delay"]
        states += ["supplement"] * (step.supplement is not None)
        states += ["special"] * (step.special is not None)
        states += ["after"]  # its step done: the route goes on from the next item
        state = states[int(rng.integers(len(states)))]
        received = start - float(rng.integers(0, 3000))
        accepted = received if rng.random() < 0.7 else float("nan")
        since = max(received, start - float(rng.integers(0, 600)))
        out.append(
            OpenCase(
                f"r{i}", service.index, received, accepted, step.name, state, since, number=-i - 1
            )
        )
    return out


@pytest.mark.parametrize("name", ["district-centre", "food-licence-inspection"])
def test_event_engine_equals_simpy_on_warm_started_centres(name):
    spec = load_scenario(name)
    cal = load_calendar(spec.calendar)
    as_of_wall = instant_minutes(cal, dt.datetime(2025, 10, 15, 10, 17))
    plan, _, _ = forecast_plan(spec, as_of_wall, "5wd")
    rng = np.random.default_rng(5)
    for rep in range(2):
        cases = _random_snapshot(plan, rng, 40)
        runs = [run_warm(plan, cases, rep, 3, engine) for engine in ("events", "simpy")]
        (warm_e, all_e), (warm_s, all_s) = runs
        key = lambda r: (r.service, r.number, r.received)  # noqa: E731
        assert [(r.decided, r.accepted, r.pauses) for r in warm_e] == [
            (r.decided, r.accepted, r.pauses) for r in warm_s
        ]
        assert sorted((key(r), r.decided) for r in all_e) == sorted(
            (key(r), r.decided) for r in all_s
        )
        assert sum(np.isfinite(r.decided) for r in warm_e) > 10  # the snapshot moved


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"service": "permits"}, "cases[0].service", "unknown service"),
        ({"step": "inspect"}, "cases[0].step", "not a step of service"),
        ({"received": "2025-03-12T09:00"}, "cases[0].received", "after the snapshot"),
        ({"pauses": [{"from": "2025-03-04T09:30"}]}, "cases[0].pauses[0]", "never ends"),
        ({"state": "special", "since": "2025-03-10T10:00"}, "cases[0].state", "no special"),
        ({"card": "purple"}, "cases.0.card", ""),
    ],
)
def test_bad_snapshots_are_one_located_line(tmp_path, change, field, message):
    (tmp_path / "s.yaml").write_text(SUPPLEMENT)
    case = {"id": "x", "service": "permit", "received": "2025-03-03T09:00", "step": "review"}
    path = write_snapshot(tmp_path, [case | change], as_of=dt.datetime(2025, 3, 11, 10))
    ran = slasim("forecast", tmp_path / "s.yaml", "--open", path, "-n", "2")
    assert ran.returncode == 2, ran
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in ran.stderr
    assert str(path) in lines[0] and message in lines[0]
    assert field.replace(".0.", "[0].") in lines[0]


def test_schema_validates_the_shipped_example():
    from slasim.forecast.snapshot import OpenCases, json_schema
    from slasim.io.files import read_yaml, shipped_dir

    data = read_yaml(shipped_dir("scenarios") / "open-cases" / "district-centre.yaml")
    assert validate(OpenCases, data, "example").cases
    assert "as_of" in json.loads(json_schema())["properties"]


def test_a_csv_snapshot_reads_as_its_json(tmp_path):
    # The same cases as a CSV (lists `;`-separated, pauses `from/to`) give the same forecast.
    spec = scenario(tmp_path, SUPPLEMENT)
    as_of = dt.datetime(2025, 3, 11, 10, 0)
    cases = [
        {
            "id": "p1",
            "service": "permit",
            "received": "2025-03-03T09:00",
            "accepted": "2025-03-03T09:30",
            "step": "review",
            "position": 2,
            "steps_done": ["accept"],
            "pauses": [
                {"from": "2025-03-04T09:30", "to": "2025-03-05T09:30"},
                {"from": "2025-03-06T09:30", "to": "2025-03-06T11:30"},
            ],
        },
        {"id": "p2", "service": "permit", "received": "2025-03-11T09:00", "step": "accept"},
    ]
    csv_path = tmp_path / "open.csv"
    csv_path.write_text(
        "id,service,received,accepted,step,state,position,steps_done,pauses\n"
        "p1,permit,2025-03-03T09:00,2025-03-03T09:30,review,,2,accept,"
        "2025-03-04T09:30/2025-03-05T09:30;2025-03-06T09:30/2025-03-06T11:30\n"
        "p2,permit,2025-03-11T09:00,,accept,,,,\n"
    )
    from_json = forecast_open_file(
        spec, write_snapshot(tmp_path, cases, as_of=as_of), horizon="10wd", replications=2
    )
    from_csv = forecast_open_file(
        spec, csv_path, as_of="2025-03-11T10:00", horizon="10wd", replications=2
    )
    assert from_csv["cases"] == from_json["cases"]
    # One window serves both steps; p1 (a position given) is seated before p2: p1 reviewed
    # 10:00-11:00; p2 accepted 11:00-11:30, reviewed 11:30-12:00 and, after cn's lunch break
    # (12:00-13:30), 13:30-14:00.
    rows = {row["id"]: row for row in from_csv["cases"]}
    assert rows["p1"]["decision_p50"] == "2025-03-11T11:00"
    assert rows["p2"]["decision_p50"] == "2025-03-11T14:00"
