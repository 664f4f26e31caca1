"""Open-cases files: the cases in a centre at one instant, read (YAML, JSON or CSV), validated
against a compiled scenario and turned into `sim.warm.OpenCase`s on the business axis.

A file is `{as_of: ..., cases: [...]}` (or just the list of cases). Each case names its service,
its current step and state (`waiting` in the step's queue — before acceptance too —, `in_service`,
`supplement` or `special` for a pause under way, `delay`), since when, and its history: received,
accepted (none: not yet), closed pauses, an extension granted on the legal limit, the card the
supervision screen shows. A case at a step inside a parallel group is, in the group's other
branches, after the last of its `steps_done` there (a branch with none: from its start); in a
Markov route, its visits so far are its `steps_done` there and this one. State `after`: the step
is done, the route goes on from what follows it. In a CSV, lists are `;`-separated and a pause
is `from/to`. Every error names the file, the case (`cases[3].step`) and what is wrong, in one
line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BeforeValidator, Field

from slasim.calendar.units import parse_instant
from slasim.clock.cards import LEVELS
from slasim.clock.deadline import instant_minutes
from slasim.clock.limits import Limit
from slasim.io.errors import SlasimError, field_parser, shown
from slasim.io.files import did_you_mean, read_text_file, read_yaml
from slasim.io.i18n import N_, Text
from slasim.io.schema import Int, Strict, validate
from slasim.scenario.names import Verbatim
from slasim.scenario.plan import MarkovPlan, Plan, step_names
from slasim.sim.warm import STATES, Front, OpenCase, find_place, find_step

# The states in words, for messages (translated where shown).
STATE_WORDS = (N_("waiting"), N_("in service"), N_("supplement"), N_("special"), N_("delay"))

Instant = Annotated[dt.datetime | dt.date, BeforeValidator(field_parser(parse_instant))]


class PauseIn(Strict):
    """A closed clock stop before the snapshot (Art. 32 supplement, Art. 45 special procedure)."""

    start: Instant = Field(alias="from")
    end: Instant | None = Field(default=None, alias="to")
    kind: str = "supplement"


class OpenCaseIn(Strict):
    """One open case as a centre's system lists it."""

    id: str = Field(min_length=1)
    service: str
    received: Instant
    accepted: Instant | None = None
    step: str
    state: Literal[STATES] = "waiting"  # type: ignore[valid-type]
    since: Instant | None = None  # when the state began (default: received)
    position: Int | None = Field(default=None, ge=1)  # place in the desk's queue
    rounds: Int = Field(default=0, ge=0)  # supplement notices so far at this step
    steps_done: list[str] = []
    pauses: list[PauseIn] = []
    extension: str | None = None  # granted on the legal limit (Art. 42), e.g. `10wd`
    card: Literal[LEVELS] | None = None  # type: ignore[valid-type]


class OpenCases(Strict):
    """An open-cases file: the snapshot instant and its cases."""

    as_of: Instant | None = None
    cases: list[OpenCaseIn]


def json_schema() -> str:
    """The open-cases file's JSON schema (`slasim schema --open-cases`)."""
    import json

    return json.dumps(OpenCases.model_json_schema(by_alias=True), indent=2, ensure_ascii=False)


def _csv_rows(path: Path) -> dict:
    """A CSV of cases as the file's mapping: empty cells left out, lists split on `;`."""
    rows = list(csv.DictReader(io.StringIO(read_text_file(path))))
    cases = []
    for row in rows:
        case = {k.strip(): v.strip() for k, v in row.items() if k and v and v.strip()}
        for key in ("steps_done", "pauses"):
            if key in case:
                case[key] = [p.strip() for p in case[key].split(";") if p.strip()]
        if "pauses" in case:
            case["pauses"] = [dict(zip(("from", "to"), p.split("/", 1))) for p in case["pauses"]]
        for key in ("position", "rounds"):
            if key in case and case[key].isdigit():
                case[key] = int(case[key])
        cases.append(case)
    return {"cases": cases}


def read_open_cases(path: Path) -> OpenCases:
    """The file validated by the schema (one located error)."""
    path = Path(path)
    data = _csv_rows(path) if path.suffix.lower() == ".csv" else read_yaml(path)
    if isinstance(data, list):
        data = {"cases": data}
    return validate(OpenCases, data, str(path))


def as_of_minutes(plan: Plan, value, source: str, field: str = "as_of") -> float:
    """Wall minutes of the snapshot instant."""
    try:
        return instant_minutes(plan.calendar, parse_instant(value, field=field), field)
    except SlasimError as exc:
        raise exc.located(source) from None


def open_cases(plan: Plan, snapshot: OpenCases, as_of: float, source: str) -> list[OpenCase]:
    """The file's cases on the plan's business axis, in the order the engines seat them: cases in
    service first, then queues by `position` (given first), `since`, file order. `as_of` is wall
    minutes; no instant of a case may come after it."""
    cal = plan.calendar
    services = {s.name: s for s in plan.services}
    out, keys, at_desk = [], set(), {}

    def fail(message: str, where: str, **params) -> SlasimError:
        return SlasimError(message, source=source, field=where, **params)

    def business(value, where: str) -> float:
        try:
            wall = instant_minutes(cal, value, where)
        except SlasimError as exc:
            raise exc.located(source) from None
        if wall > as_of:
            raise fail(N_("{value} is after the snapshot instant (as_of)"), where, value=str(value))
        return float(cal.to_business_array(np.array([wall]))[0])

    for i, c in enumerate(snapshot.cases):
        at = f"cases[{i}]"
        if c.id in keys:
            raise fail(N_("case id {case} is listed twice"), f"{at}.id", case=shown(c.id))
        keys.add(c.id)
        service = services.get(c.service)
        if service is None:
            raise fail(
                N_("unknown service {name}{hint}"),
                f"{at}.service",
                name=shown(c.service),
                hint=did_you_mean(c.service, services),
            )
        names = step_names(service.route)
        for j, name in enumerate(c.steps_done):
            if name not in names:
                raise fail(
                    N_("service {service} has no step {step}"),
                    f"{at}.steps_done[{j}]",
                    service=repr(c.service),
                    step=shown(name),
                )
        step, _ = find_step(service.route, c.step)
        others, visits = [], 1
        if step is None and c.step in names:
            step, others, visits = _inside(service, c)
        if step is None:
            raise fail(
                N_("{step} is not a step of service {service}"),
                f"{at}.step",
                step=shown(c.step),
                service=repr(c.service),
            )
        needs = {
            "waiting": step.department is not None,
            "in_service": step.department is not None,
            "delay": step.delay is not None,
            "supplement": step.supplement is not None,
            "special": step.special is not None,
            "after": True,
        }
        if not needs[c.state]:
            raise fail(
                N_("step {step} has no {state}"),
                f"{at}.state",
                step=repr(c.step),
                state=Text(c.state.replace("_", " ")),
            )
        if c.state not in ("waiting", "after") and c.since is None:
            raise fail(
                N_("state {state} needs `since` (when it began)"),
                f"{at}.since",
                state=Verbatim(c.state),
            )
        received = business(c.received, f"{at}.received")
        accepted = math.nan if c.accepted is None else business(c.accepted, f"{at}.accepted")
        if accepted < received:
            raise fail(N_("accepted before received"), f"{at}.accepted")
        if service.accepts_at_receipt and math.isnan(accepted):
            accepted = received  # the clock starts at receipt
        since = received if c.since is None else business(c.since, f"{at}.since")
        pauses = []
        for j, p in enumerate(c.pauses):
            where = f"{at}.pauses[{j}]"
            if p.end is None:
                raise fail(
                    N_(
                        "a pause that never ends: give `to`, or give the pause under way as the "
                        "case's state (supplement or special) with `since`"
                    ),
                    where,
                )
            a, b = business(p.start, f"{where}.from"), business(p.end, f"{where}.to")
            if b < a:
                raise fail(N_("the pause ends before it starts"), where)
            pauses.append((a, b))
        if c.state == "in_service":
            desk = plan.departments[step.department]
            at_desk[desk.index] = at_desk.get(desk.index, 0) + 1
            if at_desk[desk.index] > desk.staff:
                raise fail(
                    N_("more cases in service at {desk} than its {staff} staff"),
                    f"{at}.state",
                    desk=repr(desk.name),
                    staff=desk.staff,
                )
        if c.extension is not None:
            try:
                ext = Limit.parse(c.extension, field=f"{at}.extension")
            except SlasimError as exc:
                raise exc.located(source) from None
            if ext.unit != service.legal.unit:
                raise fail(
                    N_("give the extension in the legal limit's unit ({unit})"),
                    f"{at}.extension",
                    unit=service.legal.unit,
                )
        case = OpenCase(c.id, service.index, received, accepted, c.step, c.state, since)
        case.rounds, case.pauses, case.number = c.rounds, pauses, -(i + 1)
        case.visits, case.others = visits, [replace(f, since=since) for f in others]
        out.append((_rank(c, since, i), case))
    out.sort(key=lambda pair: pair[0])
    return [case for _, case in out]


def _inside(service, c: OpenCaseIn) -> tuple:
    """A case at a step inside a parallel group or a Markov route: (the step, its places in the
    group's other branches — after the last of `steps_done` in each, a branch with none from its
    start —, its Markov route's visits so far, this one included)."""
    item, _ = find_place(service.route, c.step)
    step = next(st for st in service.steps if st.name == c.step)
    if isinstance(item, MarkovPlan):
        chain = {st.name for st in item.steps}
        return step, [], 1 + sum(1 for name in c.steps_done if name in chain)
    others = []
    for branch in item.branches:
        names = step_names(branch)
        done = [name for name in c.steps_done if name in names]
        if c.step not in names and done:
            others.append(Front(done[-1], "after", 0.0))
    return step, others, 1


def _rank(c: OpenCaseIn, since: float, i: int) -> tuple:
    """Seating order: in service, then queues (a given position first), then the parked."""
    state = {"in_service": 0, "waiting": 1}.get(c.state, 2)
    return (state, c.position if c.position is not None else math.inf, since, i)


def extensions(plan: Plan, snapshot: OpenCases) -> dict[str, float]:
    """Extensions granted, by case id, as amounts on the legal limit's axis (validated before)."""
    return {
        c.id: Limit.parse(c.extension).axis_amount
        for c in snapshot.cases
        if c.extension is not None
    }
