"""Grading decides on the business axis what the clocks decide on the wall axis.

`Grader` counts, for each accepted case, whether it closed on time and past each limit and which
card rungs fired. It decides most cases on the business axis (no round trip through wall time) and
hands the rest to the clocks (`ClockBatch` and `crossings` on wall instants): ties and near-ties,
pauses, acceptances just off a day's start. The oracle here is the clocks alone deciding every case
(`Grader._wall_verdicts`), and for the tallies the grading code as it was, kept in this file
(`today_grade`). Every shipped calendar (lunch breaks, dated hour profiles, 24/7 `always`, the
clock changes of `nl`, decided by the clocks alone there) and the `[counting]` variants are checked,
with the preset ladders and one with offsets in both units and shares past the limit, on random
cases and on cases placed on every threshold, a few units in the last place off it, and near it.
"""

from __future__ import annotations

import dataclasses
import glob

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slasim.clock.cards import LEVELS, first_reached, level_at, parse_ladder, presets
from slasim.clock.limits import Limit
from slasim.scenario.loader import load_scenario
from slasim.scenario.plan import compile_plan
from slasim.sim.grading import Cases, Grader, ServiceTally
from slasim.sim.metrics import HIST_BINS, LogHistogram

SHIPPED = sorted(glob.glob("calendars/*.toml"))
VARIANTS = {
    "day-counts": "acceptance_day_counts = true",
    "midnight": 'working_day_limit_ends = "midnight"',
}
LIMITS = [("4wh", "1wd"), ("3wd", "20wh"), ("2wd", "7.25wh"), ("0wh", "0wd")]
MIXED = [
    {"level": "blue", "reference": "promised", "at": "-3.5wh"},
    {"level": "yellow", "reference": "legal", "at": "-1wd"},
    {"level": "orange", "reference": "promised", "at": "150%"},
    {"level": "red", "reference": "legal", "at": "+1wd"},
    {"level": "yellow", "reference": "legal", "at": "45%"},
]


class ByClocks(Grader):
    """The oracle: the clocks on the wall axis decide every case."""

    def _business_verdicts(self, *args):
        return None


def histogram(values, service, size):
    return np.bincount(
        service * HIST_BINS + LogHistogram.bins(values), minlength=size * HIST_BINS
    ).reshape(size, HIST_BINS)


def today_grade(grader: Grader, cases: Cases) -> None:
    """`Grader._grade` as it was before grading decided on the business axis (the oracle)."""
    cal, end, services = grader.plan.calendar, grader.plan.end, grader.plan.services
    n, size = len(cases), len(services)
    ladder = services[int(cases.service[0])].ladder
    svc, received, accepted, decided = cases.service, cases.received, cases.accepted, cases.decided
    gave_up = cases.gave_up
    closed, started = np.isfinite(decided), ~np.isnan(accepted)
    done = closed & ~gave_up
    counts: dict = {}

    def count(name, mask, where=svc):
        counts[name] = np.bincount(where[mask], minlength=size)

    def total(name, values, where=svc):
        counts[name] = np.bincount(where, weights=values, minlength=size)

    count("arrived", np.ones(n, bool))
    total("in_system_sum", np.minimum(decided, end) - received)
    count("gave_up", gave_up)
    count("pending_at_end", ~started & ~closed)
    count("decided", done)
    mid = (grader.plan.warmup_end + end) / 2.0
    count("pending_at_mid", (received <= mid) & ~(accepted <= mid) & ~(decided <= mid))
    day_received = cal.business_to_day_position(received)
    lead_wd = cal.business_to_day_position(decided[done]) - day_received[done]
    pending = ~started & ~closed
    waits = {}
    for name, stop, rows in (
        ("accept_wait_wd", accepted, started | pending),
        ("applicant_wait_wd", decided, done | ~closed),
    ):
        stopped = np.where(np.isfinite(stop[rows]), stop[rows], end)
        wait = cal.business_to_day_position(np.minimum(stopped, end)) - day_received[rows]
        total(f"{name}_sum", wait, svc[rows])
        waits[name] = histogram(wait, svc[rows], size)
    total("lead_wd_sum", lead_wd, svc[done])
    total("lead_hours_sum", (decided[done] - received[done]) / 60.0, svc[done])
    hist = histogram(lead_wd, svc[done], size)
    idx = np.flatnonzero(started)
    reached, open_levels = {}, {}
    if len(idx):
        s_idx = svc[idx]
        accepted_cases = cases.take(idx)
        count("accepted", np.ones(len(idx), bool), s_idx)
        stop_wall = cal.to_wall_array(np.minimum(decided[idx], end), side="left")
        clocks = grader._clocks(accepted_cases, stop_wall)
        due = {ref: clock.due() for ref, clock in clocks.items()}
        finished = done[idx]
        count("on_time_promised", finished & (stop_wall <= due["promised"]), s_idx)
        count("on_time_legal", finished & (stop_wall <= due["legal"]), s_idx)
        count("past_promised", due["promised"] < stop_wall, s_idx)
        count("past_legal", due["legal"] < stop_wall, s_idx)
        cross = grader._crossings(ladder, clocks, accepted_cases)
        for level, firsts in first_reached(ladder, cross).items():
            if level != "green":
                reached[level] = np.bincount(s_idx[np.isfinite(firsts)], minlength=size)
        still_open = ~closed[idx]
        count("open_at_end", still_open, s_idx)
        if still_open.any():
            end_wall = cal.to_wall_array(np.array([end]), side="left")[0]
            levels = level_at(ladder, cross[still_open], np.full(int(still_open.sum()), end_wall))
            for k, level in enumerate(LEVELS):
                open_levels[level] = np.bincount(s_idx[still_open][levels == k], minlength=size)
    for s in np.flatnonzero(counts["arrived"]).tolist():
        grader._add(grader.tallies[s], s, counts, hist, reached, open_levels)
        for name, values in waits.items():
            getattr(grader.tallies[s], name).counts += values[s]


@pytest.fixture(scope="module")
def calendars(tmp_path_factory):
    """Calendar files: the shipped ones and the counting variants of `cn` and `always`."""
    folder = tmp_path_factory.mktemp("calendars")
    out = list(SHIPPED)
    for name, counting in VARIANTS.items():
        for parent in ("cn", "always"):
            path = folder / f"{parent}-{name}.toml"
            path.write_text(
                f'name = "{name}"\nextends = "{parent}"\n[counting]\n{counting}\n', encoding="utf-8"
            )
            out.append(str(path))
    return out


def plan_for(calendar: str, limits: tuple[str, str], ladder, services: int = 1):
    """The M/M/c scenario on a calendar, with these limits and ladder on each of its services
    (copies of its one service; the first `services // 2` with twice the limits)."""
    plan = compile_plan(load_scenario("scenarios/mmc-always.yaml", [f"calendar={calendar}"]))
    ladder = presets()[ladder] if isinstance(ladder, str) else parse_ladder(ladder)
    base = plan.services[0]
    out = []
    for i in range(services):
        promised, legal = (Limit.parse(text) for text in limits)
        if i < services // 2:
            promised, legal = (Limit(2 * x.amount, x.unit) for x in (promised, legal))
        out.append(
            dataclasses.replace(
                base, index=i, name=f"s{i}", promised=promised, legal=legal, ladder=ladder
            )
        )
    plan.services = out
    return plan


def random_cases(plan, seed: int, n: int = 3000) -> Cases:
    """Cases of the plan's services: received in the window, accepted at receipt, later, at a
    day's start or a hair off it, or never; decided on the clocks' thresholds (due instants,
    shares of the limit, a working day off), a few units in the last place or a little off them,
    at random, at the end, or never; some gave up, some paused."""
    cal, rng = plan.calendar, np.random.default_rng(seed)
    bm, since, end = cal.bm_start, plan.warmup_end, plan.end
    received = rng.uniform(since, end, n)
    k = cal.day_of_business(received)
    accepted = received.copy()
    kind = rng.integers(0, 6, n)
    later = received + rng.uniform(0, 3 * cal.day_minutes.max(), n)
    accepted = np.where(kind == 1, later, accepted)
    opening = bm[k + 1 + rng.integers(0, 2, n)]
    accepted = np.where(kind == 2, opening, accepted)
    hair = rng.choice([1e-9, 5e-5, 2e-4, 1.0], n) * rng.choice([-1, 1], n)
    accepted = np.where(kind == 3, np.maximum(opening + hair, received), accepted)
    accepted = np.where(kind == 4, np.nan, accepted)
    accepted = np.where(kind == 5, np.floor(later), accepted)
    service = rng.integers(0, len(plan.services), n)
    ka = cal.day_of_business(np.where(np.isnan(accepted), received, accepted))
    thresholds = [received + rng.uniform(0, 40 * cal.day_minutes.max(), n)]
    for ref in ("promised", "legal"):
        amount = np.array([getattr(s, ref).axis_amount for s in plan.services])[service]
        if getattr(plan.services[0], ref).unit == "wh":
            thresholds += [accepted + amount, accepted + 0.9 * amount, accepted + amount - 210]
        else:
            day = (ka + 1 + np.floor(amount)).astype(np.int64)
            thresholds += [bm[np.minimum(day + j, len(bm) - 1)] for j in (-2, -1, 0, 1)]
            thresholds.append(cal.day_position_to_business(ka + 1 + 0.45 * amount))
    pick = rng.integers(0, len(thresholds), n)
    decided = np.choose(pick, thresholds)
    nudge = rng.choice([0.0, 0.0, 1e-9, -1e-9, 3e-5, -3e-5, 2e-4, -2e-4, 7.5], n)
    decided = decided + nudge
    decided = np.where(np.isnan(decided), received + 100.0, decided)
    decided = np.maximum(decided, np.where(np.isnan(accepted), received, accepted))
    decided = np.where((decided >= end) | (rng.random(n) < 0.1), np.inf, decided)
    decided[rng.random(n) < 0.01] = end
    gave_up = np.isfinite(decided) & (rng.random(n) < 0.05)
    pauses = np.full((n, 1, 2), np.nan)
    paused = rng.random(n) < 0.05
    pauses[paused, 0, 0] = received[paused] + 10.0
    pauses[paused, 0, 1] = np.where(rng.random(paused.sum()) < 0.3, np.inf, received[paused] + 99)
    return Cases(service, received, accepted, decided, gave_up, np.arange(n), pauses, {})


def tallies(grader: Grader) -> list[dict]:
    out = []
    for tally in grader.tallies:
        fields = {}
        for name in ServiceTally.__dataclass_fields__:
            value = getattr(tally, name)
            fields[name] = value.counts.tolist() if isinstance(value, LogHistogram) else value
        out.append(fields)
    return out


def verdicts_equal(plan, cases: Cases) -> tuple[int, int]:
    """Assert grading's verdicts are the clocks' for the accepted cases; (rows decided on the
    business axis, rows handed to the clocks), or (0, n) when the clocks decided all."""
    grader = Grader(plan)
    rows = np.flatnonzero(~np.isnan(cases.accepted))
    accepted = cases.take(rows)
    stop = np.minimum(accepted.decided, plan.end)
    ladder = plan.services[0].ladder
    got = grader._verdicts(ladder, accepted, stop)
    expected = grader._wall_verdicts(ladder, accepted, stop)
    for ref in ("promised", "legal"):
        assert np.array_equal(got[0][ref], expected[0][ref]), ref
        assert np.array_equal(got[1][ref], expected[1][ref]), ref
    assert np.array_equal(got[2], expected[2])
    quick = grader._business_verdicts(ladder, accepted, stop)
    if quick is None:
        return 0, len(rows)
    return int((~quick[3]).sum()), int(quick[3].sum())


@pytest.mark.parametrize("ladder", sorted(presets()) + ["mixed"])
@pytest.mark.parametrize("limits", LIMITS)
def test_verdicts_are_the_clocks_on_every_calendar(calendars, limits, ladder):
    for seed, calendar in enumerate(calendars):
        plan = plan_for(calendar, limits, MIXED if ladder == "mixed" else ladder, services=3)
        quick, clocks = verdicts_equal(plan, random_cases(plan, seed))
        steady = not calendar.endswith(("nl.toml", "midnight.toml"))
        steady = steady and not plan.calendar.rest_days_open
        if steady:  # the business axis decides, the clocks the cases on or near thresholds
            assert quick > 0 and clocks > 0, calendar
        else:  # clocks that change, limits ending at midnight, an office open on rest days
            assert quick == 0, calendar  # (business time is not working time): the clocks


def test_cases_off_the_thresholds_are_decided_on_the_business_axis(calendars):
    """Decisions at random times before the end (no tie with a threshold): the clocks see only the
    cases accepted a hair off a day's start and the paused ones."""
    plan = plan_for("calendars/cn.toml", ("4wh", "3wd"), "remind-then-escalate")
    cases = random_cases(plan, 11)
    rng = np.random.default_rng(11)
    later = np.where(np.isnan(cases.accepted), cases.received, cases.accepted)
    cases.decided = np.minimum(later + rng.uniform(0, 10 * 480, len(later)), plan.end - 0.5)
    quick, clocks = verdicts_equal(plan, cases)
    accepted = cases.accepted[~np.isnan(cases.accepted)]
    paused = ~np.isnan(cases.pauses[~np.isnan(cases.accepted), 0, 0])
    bm = plan.calendar.bm_start
    k = plan.calendar.day_of_business(accepted)
    off = accepted - bm[k]
    hair = ((off < 1e-4) & (off != 0)) | (bm[k + 1] - accepted < 1e-4)
    assert hair.sum() > 100 and paused.sum() > 50
    assert clocks <= (paused | hair).sum() + 0.01 * quick


@pytest.mark.parametrize("limits", LIMITS)
def test_tallies_equal_grading_as_it_was(calendars, limits):
    for seed, calendar in enumerate(calendars):
        for ladder in ("warn-before", MIXED):
            plan = plan_for(calendar, limits, ladder, services=3)
            cases = random_cases(plan, 50 + seed)
            new, old, clocks = Grader(plan), Grader(plan), ByClocks(plan)
            decided = np.flatnonzero(np.isfinite(cases.decided) & ~cases.gave_up)
            at_receipt = dataclasses.replace(cases, accepted=cases.received.copy())
            chunks = [cases.take(part) for part in np.array_split(np.arange(len(cases)), 3)]
            for chunk in [*chunks, cases.take(decided), at_receipt]:  # all decided, at receipt
                new.grade(chunk)
                clocks.grade(chunk)
                today_grade(old, chunk.take(np.flatnonzero(chunk.received >= plan.warmup_end)))
            assert tallies(new) == tallies(old), calendar
            assert tallies(clocks) == tallies(old), calendar
            assert sum(t.accepted for t in new.tallies) > 0
            assert sum(t.reached["red"] for t in new.tallies) > 0


def test_histograms_fill_as_before(calendars):
    """The wait histograms count every wait (a guard that the tallies compared are not empty)."""
    plan = plan_for(calendars[0], LIMITS[0], "warn-before")
    cases = random_cases(plan, 3)
    grader = Grader(plan)
    grader.grade(cases)
    tally = grader.tallies[0]
    assert tally.applicant_wait_wd.counts.sum() == tally.decided + tally.open_at_end + (
        tally.pending_at_end
    )
    assert tally.applicant_wait_wd.counts.shape == (HIST_BINS,)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    which=st.integers(0, 20),
    limits=st.sampled_from(LIMITS),
    ladder=st.sampled_from(sorted(presets()) + ["mixed"]),
    minute=st.floats(0, 5000),
    work=st.one_of(st.floats(0, 20_000), st.integers(0, 40).map(lambda d: d * 60.0)),
    shift=st.sampled_from([0.0, 1e-12, -1e-12, 1e-9, -1e-9, 1e-4, -1e-4]),
)
def test_one_case_anywhere_equals_the_clocks(calendars, which, limits, ladder, minute, work, shift):
    """One case at a time, drawn by hypothesis: accepted at an opening or inside a day, decided
    after whole hours of office time or any time, nudged by a few units in the last place."""
    calendar = calendars[which % len(calendars)]
    plan = plan_for(calendar, limits, MIXED if ladder == "mixed" else ladder)
    cal = plan.calendar
    k = int(cal.day_of_business(np.array([plan.warmup_end]))[0]) + 1
    accepted = float(cal.bm_start[k]) + minute
    decided = accepted + work
    decided = decided + shift * max(abs(decided), 1.0)
    decided = np.inf if decided >= plan.end else max(decided, accepted)
    one = lambda x: np.array([x])  # noqa: E731
    cases = Cases(
        one(0), one(accepted), one(accepted), one(decided), one(False), one(0),
        np.full((1, 0, 2), np.nan), {},
    )  # fmt: skip
    verdicts_equal(plan, cases)
