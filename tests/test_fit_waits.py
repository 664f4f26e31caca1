"""The wait before a step while its handler was idle (`fit.waits`, `fit.build._step`): modelled
when it adds to the lead time on average (mean of 30 office minutes or more), even when most cases
do not wait at all (a case parked now and then), and not when the handler was busy meanwhile. The
part of a wait its handler spent on other work is worked out by hand and against a per-event loop;
an instantaneous event holds nobody and is enabled by the completion before it, not by itself nor
by another instantaneous event at its instant; the gap before a repeat of a looped step is the
loop's, not the wait's.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from slasim.calendar.workcalendar import load_calendar
from slasim.fit.build import fit_log
from slasim.fit.log import read_log
from slasim.fit.waits import step_waits, unexplained_waits

CASES, PARKED, PARKED_MINUTES = 100, 0.3, 240


def parked_log(path, busy: bool = False):
    """Cases on weekdays at 09:00: `intake` for 10 minutes by a clerk, then `decide` for 10
    minutes by a director of its own (idle in between); 30 of 100 cases wait 240 minutes before
    `decide` (parked), the others none. With `busy`, the director works on a filing for the whole
    wait of each parked case (the wait is the handler's, not extraneous)."""
    lines = ["case,activity,resource,start_time,end_time"]
    day = dt.datetime(2024, 1, 8, 9)
    for k in range(CASES):
        at = day + dt.timedelta(days=7 * (k // 5) + k % 5)
        wait = PARKED_MINUTES if k % 10 < 3 else 0
        intake_end = at + dt.timedelta(minutes=10)
        decide = intake_end + dt.timedelta(minutes=wait)
        rows = [
            ("intake", "clerk", at, intake_end),
            ("decide", f"director-{k}", decide, decide + dt.timedelta(minutes=10)),
        ]
        if busy and wait:
            rows.append(("filing", f"director-{k}", intake_end, decide))
        for activity, who, start, end in rows:
            lines.append(f"c{k},{activity},{who},{start:%Y-%m-%dT%H:%M:%S},{end:%Y-%m-%dT%H:%M:%S}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return read_log(path, load_calendar("weekdays"))


def steps_of(fitted) -> dict:
    return {s["step"]: s for s in fitted.data["services"]["parked"]["steps"] if "step" in s}


def test_a_wait_most_cases_skip_is_modelled_by_its_mean(tmp_path):
    # the sample: 70 zeros and 30 waits of 240 office minutes (inside 09:00-17:00, weekdays);
    # its median is 0 (under 30 minutes), its mean 0.3 * 240 = 72 minutes
    events = parked_log(tmp_path / "parked.csv")
    fitted = fit_log(events, "weekdays", name="parked", train_share=1.0, office="calendar")
    wait = steps_of(fitted)["decide-wait"]["delay"]
    assert wait["unit"] == "min"
    # no family comes near a 0-or-240 sample: its quantiles, whose mean is the sample's within
    # the grid's coarseness (41 quantiles: one step of 1/40 of the range, 6 minutes, either way)
    draws = np.asarray(wait["empirical"])
    assert abs(draws.mean() - PARKED * PARKED_MINUTES) <= 6
    assert draws.min() == 0.0 and draws.max() == PARKED_MINUTES
    assert "mean 72 office min" in str(fitted.comments[("services", "parked", "steps", 1)])


def test_a_wait_while_the_handler_worked_is_not_modelled(tmp_path):
    events = parked_log(tmp_path / "busy.csv", busy=True)
    fitted = fit_log(events, "weekdays", name="parked", train_share=1.0, office="calendar")
    assert "decide-wait" not in steps_of(fitted)


def small_log(path, rows, calendar="always"):
    lines = ["case,activity,resource,start_time,end_time"]
    lines += [f"{c},{a},{r},2024-01-08T{s}:00,2024-01-08T{e}:00" for c, a, r, s, e in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return read_log(path, load_calendar(calendar))


def test_the_part_of_a_wait_the_handler_spent_on_other_work_is_left_out(tmp_path):
    # h2 works 09:30-10:30 (case e) and 11:00-12:00 and 11:30-12:30 (case b, one block of 90
    # minutes), and sends a notice at 13:00 (case c: start = end, nobody held).
    # a's decide waits 10:00-14:00 (240 min), h2 busy 10:00-10:30 and 11:00-12:30: 240 - 120 = 120.
    # c's notice waits from c's intake 09:10 (not from its own instant) to 13:00 (230 min), h2
    # busy 09:30-10:30 and 11:00-12:30: 230 - 150 = 80. A case's first events wait for nothing.
    events = small_log(
        tmp_path / "log.csv",
        [
            ("a", "intake", "h1", "08:00", "10:00"),
            ("a", "decide", "h2", "14:00", "14:30"),
            ("b", "file", "h2", "11:00", "12:00"),
            ("b", "file", "h2", "11:30", "12:30"),
            ("c", "intake", "h3", "09:00", "09:10"),
            ("c", "notice", "h2", "13:00", "13:00"),
            ("e", "work", "h2", "09:30", "10:30"),
        ],
    )
    waits = unexplained_waits(events, load_calendar("always"))
    # idle, at work, and idle in working minutes (no rest day opens: the idle part again)
    assert waits[1].tolist() == [120.0, 120.0, 120.0] and waits[5].tolist() == [80.0, 150.0, 80.0]
    assert np.isnan(waits[[0, 2, 3, 4, 6]]).all()


def test_instantaneous_events_at_one_instant_wait_from_the_completion_before(tmp_path):
    # Monday 2024-01-08 on `weekdays` (09:00-17:00, no break), each handler idle but for its event.
    # Case b: A 09:00-09:30, then B alone at 13:00: 09:30-13:00 = 3 h 30 = 210 office minutes.
    # Case c: the same A, then B and C both at 13:00: neither is known to come first, so neither
    # enabled the other: each waits 210 from A's end. Case d: the same with B, C and D at 13:00:
    # 210 each. Case e: A 09:00-09:30, P 10:00-11:00, then N at 11:00: P waits 30 (09:30-10:00),
    # N is enabled by P's completion at its instant (positive duration): 0. Case f: as e with N and
    # M at 11:00: 0 each; then Q 11:00-11:20 starts at their instant: enabled by them, 0.
    a, b = ("A", "h1", "09:00", "09:30"), ("P", "h2", "10:00", "11:00")
    rows = [("b", *a), ("b", "B", "h3", "13:00", "13:00")]
    rows += [("c", *a), ("c", "B", "h3", "13:00", "13:00"), ("c", "C", "h4", "13:00", "13:00")]
    rows += [("d", *a)] + [("d", x, "h5", "13:00", "13:00") for x in "BCD"]
    rows += [("e", *a), ("e", *b), ("e", "N", "h6", "11:00", "11:00")]
    rows += [("f", *a), ("f", *b), ("f", "N", "h6", "11:00", "11:00")]
    rows += [("f", "M", "h7", "11:00", "11:00"), ("f", "Q", "h8", "11:00", "11:20")]
    cal = load_calendar("weekdays")
    events = small_log(tmp_path / "log.csv", rows, "weekdays")
    waits = unexplained_waits(events, cal)
    idle, worked = waits[:, 0], waits[:, 1]
    assert idle[[1, 3, 4, 6, 7, 8]].tolist() == [210.0] * 6
    assert idle[[10, 11, 13, 14, 15, 16]].tolist() == [30.0, 0.0, 30.0, 0.0, 0.0, 0.0]
    assert np.isnan(idle[[0, 2, 5, 9, 12]]).all()  # each case's first event
    assert (worked[np.isfinite(idle)] == 0).all()  # nobody worked during these waits
    assert np.allclose(waits[:, :2], reference_waits(events, cal), equal_nan=True)


def reference_waits(events, cal) -> np.ndarray:
    """Per event, one at a time: the wait from the latest completion of another event of its case
    at or before its start (for an instantaneous event: before its instant, or at it by an event
    of positive duration), less the office minutes its handler's events of positive duration
    covered (their union) inside it; and those minutes."""
    out = np.full((len(events), 2), np.nan)
    start, end = cal.to_business_array(events.start), cal.to_business_array(events.end)
    for i in range(len(events)):
        mine = [j for j in range(len(events)) if events.case[j] == events.case[i] and j != i]
        instant = events.start[i] == events.end[i]
        before = [
            events.end[j]
            for j in mine
            if events.end[j] < events.start[i]
            or (
                events.end[j] == events.start[i]
                and not (instant and events.start[j] == events.end[j])
            )
        ]
        if not before or not events.resource[i]:
            continue
        opened = float(cal.to_business_array(np.array([max(before)]))[0])
        busy = sorted(
            (max(start[j], opened), min(end[j], start[i]))
            for j in range(len(events))
            if events.resource[j] == events.resource[i] and end[j] > start[j]
        )
        covered, reach = 0.0, opened
        for a, b in busy:
            covered += max(0.0, b - max(a, reach))
            reach = max(reach, b)
        out[i] = max(start[i] - opened - covered, 0.0), covered
    return out


def test_the_unexplained_waits_equal_a_loop_over_the_events(tmp_path):
    # 60 cases of 3-5 events by 4 handlers over two weeks of office hours (weekdays): some
    # instantaneous, some overlapping, some spanning the close
    rng = np.random.default_rng(7)
    lines = ["case,activity,resource,start_time,end_time"]
    for k in range(60):
        t = dt.datetime(2024, 1, 8, 9) + dt.timedelta(minutes=int(rng.integers(0, 9 * 24 * 60)))
        for step in range(int(rng.integers(3, 6))):
            t += dt.timedelta(minutes=int(rng.integers(0, 600)))
            end = t + dt.timedelta(minutes=int(rng.choice([0, 0, 15, 45, 200])))
            who = f"h{rng.integers(0, 4)}" if rng.random() > 0.1 else ""
            lines.append(f"c{k},s{step},{who},{t:%Y-%m-%dT%H:%M:%S},{end:%Y-%m-%dT%H:%M:%S}")
            t = end
    path = tmp_path / "random.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cal = load_calendar("weekdays")
    events = read_log(path, cal)
    waits = unexplained_waits(events, cal)
    assert np.allclose(waits[:, :2], reference_waits(events, cal), equal_nan=True, atol=1e-6)
    np.testing.assert_array_equal(waits[:, 2], waits[:, 0])  # no rest day the office opens
    idle, worked = waits[:, 0], waits[:, 1]
    assert np.isfinite(idle).sum() > 150 and (idle > 0).sum() > 50  # the check saw waits
    assert (worked > 0).sum() >= 20  # ... and handlers at work in some


def test_the_waits_equal_the_loop_where_many_events_share_an_instant(tmp_path):
    # 60 cases of 4-7 events, most instantaneous, many at the instant of the one before (gaps of 0)
    rng = np.random.default_rng(11)
    lines = ["case,activity,resource,start_time,end_time"]
    for k in range(60):
        t = dt.datetime(2024, 1, 8, 9) + dt.timedelta(minutes=int(rng.integers(0, 4 * 24 * 60)))
        for step in range(int(rng.integers(4, 8))):
            t += dt.timedelta(minutes=int(rng.choice([0, 0, 0, 30, 120])))
            end = t + dt.timedelta(minutes=int(rng.choice([0, 0, 0, 20, 90])))
            lines.append(
                f"c{k},s{step},h{rng.integers(0, 3)},{t:%Y-%m-%dT%H:%M},{end:%Y-%m-%dT%H:%M}"
            )
            t = end
    path = tmp_path / "instants.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cal = load_calendar("weekdays")
    events = read_log(path, cal)
    waits = unexplained_waits(events, cal)
    assert np.allclose(waits[:, :2], reference_waits(events, cal), equal_nan=True, atol=1e-6)
    # the check saw instantaneous events sharing their instant with another of their case
    instant = events.start == events.end
    pairs = {(events.case[i], events.start[i]) for i in np.flatnonzero(instant)}
    assert int(instant.sum()) - len(pairs) >= 20
    assert (waits[instant, 0] > 0).sum() >= 20


def test_the_gap_before_a_repeat_is_the_loop_s_not_the_wait_s(tmp_path):
    events = small_log(
        tmp_path / "log.csv",
        [
            ("a", "intake", "h1", "08:00", "08:10"),
            ("a", "review", "h2", "09:00", "09:30"),
            ("a", "review", "h2", "15:00", "15:30"),
            ("b", "intake", "h1", "08:20", "08:30"),
            ("b", "review", "h2", "10:00", "10:30"),
        ],
    )
    waits = unexplained_waits(events, load_calendar("always"))
    rows = np.array([1, 2, 4])
    # a's repeat waits 09:30-15:00, h2 on b's review 10:00-10:30: 330 - 30; b's review waits
    # 08:30-10:00, h2 on a's 09:00-09:30: 90 - 30
    assert waits[rows, :2].tolist() == [[50.0, 0.0], [300.0, 30.0], [60.0, 0.0 + 30.0]]
    assert step_waits(events, rows, None, waits, looped=True)[0].tolist() == [1, 4]
    assert step_waits(events, rows, None, waits, looped=False)[0].tolist() == [1, 2, 4]
    # with the route fitted on a window of cases: theirs when they hold enough waits, else all
    assert step_waits(events, rows, {"b"}, waits, looped=True)[0].tolist() == [1, 4]


def test_the_idle_part_counts_where_the_handler_also_worked(tmp_path):
    # the log above without a's repeat: a's review waits 50 minutes, h2 idle; b's 90 minutes,
    # h2 at work on a's review for 30 of them (09:00-09:30): 60 idle. Both idle parts are the
    # delay; the 30 minutes at work are left to the simulated queue
    events = small_log(
        tmp_path / "log.csv",
        [
            ("a", "intake", "h1", "08:00", "08:10"),
            ("a", "review", "h2", "09:00", "09:30"),
            ("b", "intake", "h1", "08:20", "08:30"),
            ("b", "review", "h2", "10:00", "10:30"),
        ],
    )
    waits = unexplained_waits(events, load_calendar("always"))
    rows, idle, note = step_waits(events, np.array([1, 3]), None, waits, looped=False)
    # idle in office minutes and in working minutes (the same: no rest day opens)
    assert rows.tolist() == [1, 3] and idle.tolist() == [[50.0, 50.0], [60.0, 60.0]]
    assert note == ""


def test_a_looped_step_s_wait_is_fitted_on_first_visits(tmp_path):
    # the parked log with each case's decide done twice, the second two working days after the
    # first (a supplement loop of share 1 answered in 2 working days): the wait stays the parked
    # cases' (mean 72 office minutes), the 2 days are the loop's response
    events = parked_log(tmp_path / "parked.csv")
    text = (tmp_path / "parked.csv").read_text(encoding="utf-8").splitlines()
    again = []
    for line in text[1:]:
        case, activity, who, start, end = line.split(",")
        if activity == "decide":
            day = dt.datetime.fromisoformat(end)
            later = day + dt.timedelta(days=2 if day.weekday() < 3 else 4)
            again.append(
                f"{case},decide,{who},{later:%Y-%m-%dT%H:%M:%S},"
                f"{later + dt.timedelta(minutes=10):%Y-%m-%dT%H:%M:%S}"
            )
    (tmp_path / "again.csv").write_text("\n".join(text + again) + "\n", encoding="utf-8")
    events = read_log(tmp_path / "again.csv", load_calendar("weekdays"))
    fitted = fit_log(events, "weekdays", name="parked", train_share=1.0, office="calendar")
    steps = steps_of(fitted)
    assert steps["decide"]["supplement"]["probability"] == 0.5  # 100 repeats of 200 visits
    draws = np.asarray(steps["decide-wait"]["delay"]["empirical"])
    assert abs(draws.mean() - PARKED * PARKED_MINUTES) <= 6


def test_a_loops_gap_comes_from_repeats_done_right_after_the_visit(tmp_path):
    # 100 weekday cases: `review` (10 min); 40 of them reviewed again 120 office minutes later;
    # 30 others `ask` right after it and are reviewed again a working day (480 minutes) after the
    # review. The 40 direct repeats (20 or more) alone give the gap: 120 / 480 = 0.25 working
    # days, fixed; the review → ask → review gaps hold the asking's time too
    lines = ["case,activity,resource,start_time,end_time"]
    day = dt.datetime(2024, 1, 8, 9)
    for k in range(CASES):
        at = day + dt.timedelta(days=7 * (k // 5) + k % 5)
        ends = at + dt.timedelta(minutes=10)
        rows = [("review", at)]
        if k < 40:
            rows.append(("review", ends + dt.timedelta(minutes=120)))
        elif k < 70:
            rows += [("ask", ends), ("review", ends + dt.timedelta(days=1))]
        for activity, start in rows:
            end = start + dt.timedelta(minutes=10)
            lines.append(f"c{k},{activity},clerk,{start:%Y-%m-%dT%H:%M},{end:%Y-%m-%dT%H:%M}")
    path = tmp_path / "gaps.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    events = read_log(path, load_calendar("weekdays"))
    fitted = fit_log(events, "weekdays", name="parked", train_share=1.0, office="calendar")

    def found(node):
        if isinstance(node, dict):
            if node.get("step") == "review-gap":
                yield node["delay"]
            if node.get("step") == "review" and "supplement" in node:
                yield node["supplement"]["response"]
            for value in node.values():
                yield from found(value)
        elif isinstance(node, list):
            for value in node:
                yield from found(value)

    gaps = list(found(fitted.data["services"]))
    assert gaps and all(g == {"fixed": 0.25, "unit": "wd"} for g in gaps)
