"""Batch releases (`batch: {days, at}` on a step): cases done with the step leave it together at
the next release, on the event engine and SimPy alike; lead times worked out by hand."""

from __future__ import annotations

import pytest

from slasim.io.errors import SlasimError
from slasim.io.schema import validate
from slasim.scenario.plan import compile_plan
from slasim.scenario.schema import Scenario
from slasim.sim.queue_engine import unsupported
from slasim.sim.runner import replication_metrics

from .test_queue_engine import assert_same_metrics


def committee(batch: dict, step: dict | None = None) -> dict:
    """Four receipts a day, evenly spaced (10:00, 12:00, 14:00, 16:00 on `weekdays`, 09:00-17:00),
    accepted on receipt; one step of 10 minutes' work whose cases wait for a release."""
    return {
        "name": "committee",
        "calendar": "weekdays",
        "start": "2025-03-03",  # a Monday
        "working_days": 5,
        "departments": {"clerk": {"staff": 1}},
        "services": {
            "permit": {
                "limits": "5wd",
                "acceptance": "receipt",
                "arrivals": {"per_day": 4, "pattern": "even"},
                "steps": [
                    step
                    or {
                        "step": "review",
                        "department": "clerk",
                        "work": {"fixed": 10},
                        "batch": batch,
                    }
                ],
            }
        },
    }


def both(data: dict) -> dict:
    plan = compile_plan(Scenario.model_validate(data))
    assert unsupported(plan) == "step permit/review releases its cases in batches"
    ours = replication_metrics(plan, 0, 0, engine="events")
    assert_same_metrics(ours, replication_metrics(plan, 0, 0, engine="simpy"))
    return ours["services"]["permit"]


def test_a_twice_weekly_committee_decides_its_cases_together():
    # Releases Tue and Thu 14:00. Monday's cases (done 10:10 … 16:10) leave Tue 14:00 after 12,
    # 10, 8 and 6 office hours; Tue 10:00 and 12:00 after 4 and 2; Tue 14:00 (done 14:10, past
    # the release) and 16:00 wait for Thu: 3 + 8 + 5 = 16 and 14; Wednesday's as Monday's; Thu
    # 10:00 and 12:00 after 4 and 2. Thu 14:00, 16:00 and Friday's wait for next Tuesday: open.
    out = both(committee({"days": ["tue", "thu"], "at": "14:00"}))
    assert out["decided"] == 14 and out["open_at_end"] == 6
    hours = (12 + 10 + 8 + 6) * 2 + (4 + 2) * 2 + 16 + 14
    assert out["lead_time_hours_mean"] == pytest.approx(hours / 14)


def test_a_release_after_the_close_is_at_the_next_opening():
    # A daily signing round at 18:00 is the next opening on the business axis: a case received at
    # 10:00 leaves at 09:00 the next day (7 office hours), at 12:00 after 5, 14:00 after 3, 16:00
    # after 1. Friday's cases leave on Monday, after the period: 16 decided.
    out = both(committee({"at": "18:00"}))
    assert out["decided"] == 16 and out["lead_time_hours_mean"] == pytest.approx(4.0)


def test_a_delay_step_can_wait_for_a_release_too():
    # A 1-hour transfer, then the 16:30 post: every case received by 15:30 leaves at 16:30 the
    # same day (6.5, 4.5, 2.5 hours); the 16:00 one (transferred at 17:00 = 09:00) the next day at
    # 16:30 (1 + 7.5 = 8.5). Decided: 4 + 4 + 4 + 4 + 3 (Friday's last after the period) = 19.
    step = {"step": "review", "delay": {"fixed": 1, "unit": "h"}, "batch": {"at": "16:30"}}
    out = both(committee({}, step))
    assert out["decided"] == 19
    assert out["lead_time_hours_mean"] == pytest.approx((5 * (6.5 + 4.5 + 2.5) + 4 * 8.5) / 19)


@pytest.mark.parametrize(
    "batch, message",
    [
        ({"at": "14h"}, "batch.at: not a time of day"),
        ({"days": "fri-tue", "at": "14:00"}, "runs backwards"),
        ({"days": ["tue", "tue"], "at": "14:00"}, "listed twice"),
        ({"days": ["tue"]}, "batch.at: Field required"),
    ],
)
def test_a_bad_batch_is_one_located_error(batch, message):
    with pytest.raises(SlasimError) as exc:
        validate(Scenario, committee(batch), "centre.yaml")
    assert "services.permit.steps[0].batch" in str(exc.value) and message in str(exc.value)
