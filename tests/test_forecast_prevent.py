"""`slasim forecast --prevent DAYS`: one more staff at each desk in turn, on the same random
numbers, checked against a queue worked out by hand and against every single change tried."""

from __future__ import annotations

import json

from slasim.forecast.prevent import with_extra
from slasim.forecast.risk import forecast_open_file, forecast_plan
from slasim.scenario.loader import load_scenario

from .english import english_left
from .helpers import at, desk_queue, slasim, two_desks_yaml, write_snapshot

SCENARIO = two_desks_yaml(50, 10)


def files(tmp_path):
    # Fixed work of 50 minutes, promised limit 120 minutes from receipt. `a` is in service since
    # -20 (received -100, due +20); q1, q2, q3 wait, received at T (due +120).
    # One clerk: a ends +30 (red), q1 +80, q2 +130 (red), q3 +180 (red): 3 reds.
    # Two clerks: a +30 (red), q1 +50, q2 +80, q3 +100: 1 red, so the desk prevents 2.
    # One more at `other` changes nothing: 0.
    scenario = tmp_path / "queue.yaml"
    scenario.write_text(SCENARIO)
    return scenario, write_snapshot(tmp_path, desk_queue(3))


def test_one_more_clerk_at_the_binding_desk_prevents_two_reds(tmp_path):
    scenario, snapshot = files(tmp_path)
    result = forecast_open_file(
        load_scenario(scenario), snapshot, horizon="1wd", replications=3, seed=1, prevent_days=1
    )
    prevent = result["prevent"]
    assert prevent["open_red"]["mean"] == 3.0 and prevent["all_red"]["mean"] == 3.0
    first, second = prevent["candidates"]
    assert (first["department"], first["staff"]) == ("desk", 2)
    assert first["prevented"]["mean"] == 2.0 and first["prevented"]["ci95"] == [2.0, 2.0]
    assert first["open_red"]["mean"] == 1.0
    assert second["department"] == "other" and second["prevented"]["mean"] == 0.0
    # every single change tried: the ranking is the exhaustive search over one extra staff
    assert {row["department"] for row in prevent["candidates"]} == {"desk", "other"}


def test_the_extra_staff_keeps_the_staffing_outside_its_window(tmp_path):
    # desk: base 2, dated 4 over [100, 300); one more over [200, 400): [100, 200) keeps 4,
    # [200, 300) has 5, [300, 400) has 3 (the base plus one).
    scenario, _ = files(tmp_path)
    plan, _, _ = forecast_plan(load_scenario(scenario), 0.0 + 10 * 1440 + 20 * 1440, "1wd")
    plan.departments[0].staff = 2
    plan.departments[0].changes = [(100.0, 300.0, 4)]
    changed = with_extra(plan, 0, 200.0, 400.0)
    assert changed.departments[0].changes == [
        (100.0, 200.0, 4),
        (200.0, 300.0, 5),
        (300.0, 400.0, 3),
    ]
    assert plan.departments[0].changes == [(100.0, 300.0, 4)]  # the forecast's own plan untouched


def test_prevent_on_the_command_line(tmp_path):
    scenario, snapshot = files(tmp_path)
    args = ["forecast", scenario, "--open", snapshot, "--horizon", "1wd", "--reps", 2]
    ran = slasim(*args, "--prevent", 1)
    assert ran.returncode == 0, ran.stderr
    assert "One more staff at a desk for 1 working days" in ran.stdout
    rows = [line for line in ran.stdout.splitlines() if line.startswith("desk ") and "[" in line]
    desk_row = rows[0]
    assert "2.00 [2.00, 2.00]" in desk_row
    zh, en = (
        slasim("--lang", lang, *args, "--prevent", 1, "--json").stdout for lang in ("zh", "en")
    )
    assert zh == en and json.loads(en)["prevent"]["candidates"][0]["department"] == "desk"
    shown = slasim("--lang", "zh", *args, "--prevent", 1)
    assert "可避免红牌" in shown.stdout and english_left(shown.stdout) == []
    bad = slasim(*args, "--prevent", 0)
    assert bad.returncode == 2


def test_a_horizon_too_short_to_judge_says_so(tmp_path):
    # Limits of 5 and 10 working days, the case received at T: no card can fire within 1wd. The
    # first possible is the yellow rung of `warn-before`, whatever its share, after the horizon.
    scenario, snapshot = files(tmp_path)
    scenario.write_text(SCENARIO.replace("promised: 2wh, legal: 1wd", "promised: 5wd, legal: 10wd"))
    cases = json.loads(snapshot.read_text())
    cases["cases"] = [{"id": "q", "service": "request", "step": "serve", "received": at(0)}]
    snapshot.write_text(json.dumps(cases))
    args = ["forecast", scenario, "--open", snapshot, "--horizon", "1wd", "--reps", 2]
    result = json.loads(slasim(*args, "--json").stdout)
    assert result["cases"][0]["yellow"]["p"] == 0
    assert result["first_possible"]["yellow"] > result["horizon_end"]
    ran = slasim(*args)
    assert "The horizon is too short to judge" in ran.stdout
    zh = slasim("--lang", "zh", *args)
    assert zh.returncode == 0 and english_left(zh.stdout) == []
    longer = slasim("forecast", scenario, "--open", snapshot, "--horizon", "10wd", "--reps", 2)
    assert "too short" not in longer.stdout
    quiet = slasim(*args, "--prevent", 1)
    assert "nothing to prevent" in quiet.stdout and "reds prevented" not in quiet.stdout
