"""Consistent validation: instants compared as instants whatever their offsets, provisional flags on
every date a result depends on, Art. 42's cap on every limit unit, bounded staff and names refused
when they collide. Expected values are worked out by hand (dates from the 2025 notice)."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slasim.checks.engine import check_files
from slasim.checks.load import load_check_file
from slasim.clock.deadline import compute_deadline
from slasim.io.errors import SlasimError
from slasim.scenario.loader import load_scenario
from slasim.scenario.plan import compile_plan
from slasim.scenario.schema import Scenario
from slasim.sim.metrics import DeskTally
from slasim.sim.runner import replication_metrics

from .helpers import ROOT


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@settings(max_examples=40, deadline=None)
@given(
    hours=st.integers(-24 * 4, 24 * 4).map(lambda q: q / 4),
    offset=st.integers(-12 * 4, 14 * 4),
    naive_first=st.booleans(),
)
def test_decided_before_accepted_is_refused_whatever_the_offsets(
    tmp_path_factory, hours, offset, naive_first
):
    """`decided` written with a random offset, `accepted` naive (Asia/Shanghai, +08:00), or the
    reverse: refused exactly when the decision is, as an instant, before the acceptance."""
    accepted = dt.datetime(2025, 3, 4, 10, 0)  # naive: 02:00 UTC
    decided_utc = dt.datetime(2025, 3, 4, 2, 0, tzinfo=dt.UTC) + dt.timedelta(hours=hours)
    decided = decided_utc.astimezone(dt.timezone(dt.timedelta(minutes=15 * offset)))
    texts = {"accepted": accepted.isoformat(), "decided": decided.isoformat()}
    if not naive_first:  # accepted with the offset, decided naive
        texts = {
            "accepted": dt.datetime(2025, 3, 4, 2, 0, tzinfo=dt.UTC)
            .astimezone(decided.tzinfo)
            .isoformat(),
            "decided": (accepted + dt.timedelta(hours=hours)).isoformat(),
        }
    tmp = tmp_path_factory.mktemp("order")
    path = write(
        tmp,
        "c.yaml",
        f"""\
        calendar: cn
        cases:
          - name: a
            accepted: "{texts["accepted"]}"
            decided: "{texts["decided"]}"
            limit: 20wd
            expect: {{due: 2025-04-01}}
          - name: b
            accepted: 2025-03-04
            limit: 20wd
            expect: {{due: 2025-04-01}}
        """,
    )
    if hours < 0:
        with pytest.raises(SlasimError, match=r"cases\[0\]: `decided` is before"):
            load_check_file(path)
    else:
        load_check_file(path)


def test_a_step_ending_before_it_starts_is_refused_across_offsets(tmp_path):
    path = write(
        tmp_path,
        "s.yaml",
        """\
        calendar: cn
        cards: warn-before
        cases:
          - name: a
            accepted: 2025-03-04T10:00
            limit: 20wd
            steps:
              review: {start: "2025-03-05T10:00", end: "2025-03-05T09:30+08:00", limit: 2wd}
            expect: {due: 2025-04-01}
        """,
    )
    with pytest.raises(SlasimError, match=r"cases\[0\]\.steps\.review: the step ends before"):
        load_check_file(path)


def test_a_card_instant_past_the_published_years_makes_the_case_provisional(tmp_path):
    # Due 2026-11-30 lies in the published years (cn: through 2026); the card is checked in 2027.
    path = write(
        tmp_path,
        "p.yaml",
        """\
        calendar: cn
        cases:
          - name: a
            accepted: 2026-11-02T10:00
            limit: 20wd
            expect:
              due: 2026-11-30
              card_at: {"2027-01-05T10:00": red}
          - name: b
            accepted: 2026-03-02T10:00
            limit: 20wd
            expect: {due: 2026-03-30}
        """,
    )
    ((_, outcomes),) = check_files([path])
    assert [o.provisional for o in outcomes] == [True, False]


def test_an_extension_cap_in_working_days_holds_on_a_natural_day_limit():
    # 30d from Mon 2025-03-03: day 30 is Wed 2025-04-02. The cap, 10 working days from there, is
    # Thu 2025-04-17 (Qingming 04-04 is off): 15 natural days. 1000d is capped there; 5d is not.
    capped = compute_deadline("30d", accepted=dt.date(2025, 3, 3), extensions=["1000d"])
    assert capped.due_date == "2025-04-17" and capped.extension == "15d"
    assert compute_deadline("30d", accepted=dt.date(2025, 3, 3), extensions=["5d"]).due_date == (
        "2025-04-07"
    )
    # Working hours on a working-day cap: 4wh + 1000wh moves the due at most 10 working days.
    base = compute_deadline("4wh", accepted=dt.datetime(2025, 3, 3, 9, 0))
    hours = compute_deadline("4wh", accepted=dt.datetime(2025, 3, 3, 9, 0), extensions=["1000wh"])
    assert base.due == "2025-03-03T14:30"  # 09:00-12:00, then 13:30-14:30 (cn's office hours)
    assert hours.due == "2025-03-17T14:30"  # ten working days later, same time (no holiday)


def test_check_files_cap_extensions_as_deadline_does(tmp_path):
    path = write(
        tmp_path,
        "e.yaml",
        """\
        calendar: cn
        cases:
          - name: a
            accepted: 2025-03-03
            limit: 30d
            extensions: [1000d]
            expect: {due: 2025-04-17}
          - name: b
            accepted: 2025-03-03
            limit: 30d
            extensions: [5d]
            expect: {due: 2025-04-07}
        """,
    )
    ((_, outcomes),) = check_files([path])
    assert all(o.passed for o in outcomes), [o.failures for o in outcomes]


def test_staff_cut_to_zero_keeps_utilisation_a_share():
    """One clerk on duty over [0, 100); staff 0 from 50. The case in service from 0 to 60 is
    finished by the clerk staying 10 minutes past the schedule: 60 busy minutes over 60 on duty."""
    desk = DeskTally("clerk", 0.0, 1)
    desk.staff.change(50.0, -1)
    desk.busy_area = 60.0
    summary = desk.summary(100.0)
    assert summary["utilisation"] == 1.0 and summary["staff_mean"] == 0.5
    desk.busy_area = 30.0  # no overtime: 30 busy minutes over 50 on duty
    assert desk.summary(100.0)["utilisation"] == pytest.approx(0.6)


def test_an_overloaded_desk_cut_to_zero_staff_is_at_most_fully_used():
    scenario = load_scenario(ROOT / "scenarios" / "minimal.yaml")
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["departments"]["window"]["staff_changes"] = [
        {"from": "2026-04-01", "to": "2026-04-30", "staff": 0}
    ]
    data["services"]["permit"]["arrivals"]["per_day"] = 40
    plan = compile_plan(Scenario.model_validate(data))
    shares = [
        replication_metrics(plan, rep, 1, engine=engine)["departments"]["window"]["utilisation"]
        for rep in range(2)
        for engine in ("fcfs", "events")
    ]
    assert all(0.99 < u <= 1.0 for u in shares), shares


def test_one_fcfs_replication_is_bounded_on_its_own():
    """`per_day: 1e5` for 60 working days is 6,000,000 cases in one replication: refused at once
    on the queue path too (a replication runs on one core), however few replications."""
    from slasim.sim.workload import MAX_CASES, check_workload

    scenario = load_scenario(ROOT / "scenarios" / "minimal.yaml")
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["services"]["permit"]["arrivals"]["per_day"] = 1e5
    plan = compile_plan(Scenario.model_validate(data))
    with pytest.raises(SlasimError, match="6,000,000 simulated cases in one replication"):
        check_workload([(plan, 1)], MAX_CASES)
    assert check_workload([(plan, 1)], 4 * 6_000_000) == pytest.approx(6_000_000)


def test_reforms_bundling_a_service_twice_or_nesting_without_end_are_refused(tmp_path):
    from slasim.scenario.reforms import MAX_DEPTH, apply_reforms

    base = load_scenario(ROOT / "scenarios" / "minimal.yaml")
    data = base.model_dump(mode="json", by_alias=True, exclude_none=True)
    accept = {"step": "acc", "department": "window", "work": {"fixed": 1}}
    twice = {"bundle": {"services": ["permit", "permit"], "into": "b", "accept": accept}}
    twice["bundle"]["limits"] = "20wd"
    with pytest.raises(SlasimError, match=r"reforms\.r\[0\]\.bundle\.services: .*listed twice"):
        apply_reforms({**data, "reforms": {"r": [twice]}}, ["r"], "s.yaml")
    # A bundle of a bundle of … nests the route one level deeper each time.
    service = data["services"]["permit"]
    service["steps"] = service["steps"] + [{**service["steps"][0], "step": "decide"}]
    data["services"] = {f"s{k}": service for k in range(200)}
    chain = [
        {
            "bundle": {
                "services": [f"b{k - 1}" if k > 1 else "s0", f"s{k}"],
                "into": f"b{k}",
                "accept": accept,
                "limits": "20wd",
            }
        }
        for k in range(1, 200)
    ]
    with pytest.raises(SlasimError, match=f"over {MAX_DEPTH} levels deep"):
        apply_reforms({**data, "reforms": {"r": chain}}, ["r"], "s.yaml")
    assert apply_reforms({**data, "reforms": {"r": chain[:3]}}, ["r"], "s.yaml")["services"]["b3"]
