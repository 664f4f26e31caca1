"""The scenario file's schema (pydantic models) and its JSON Schema; loading is in `loader`.

A scenario describes one service centre: its calendar and simulated period, departments and staff,
services (事项) with arrivals, limits, card ladder and a route of steps (sequence, parallel groups with
an AND-join, probabilistic branches), supplement loops (补正) and special procedures (Art. 45).
Durations are distributions (see `distributions`); dates are local dates of the calendar.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from slasim.calendar.units import WEEKDAYS, as_date, known_weekday, parse_clock
from slasim.clock.limit_pair import LimitPair
from slasim.clock.limits import Limit
from slasim.io.errors import field_parser
from slasim.io.i18n import Text
from slasim.io.schema import Int, Number, Strict, plain_name
from slasim.scenario.distributions import Distribution
from slasim.scenario.reform_schema import Reform

_date = field_parser(as_date)
_limit = field_parser(lambda v: str(Limit.parse(v)))


def _units(dist: Distribution | None, allowed: tuple[str, ...], what: str):
    if dist is not None and dist.unit not in allowed:
        raise ValueError(
            Text(
                "{what} unit must be one of {allowed}, got {unit}",
                what=what,  # a key of the file: never translated
                allowed=", ".join(allowed),
                unit=repr(dist.unit),
            )
        )
    return dist


class StaffChange(Strict):
    """Staff on duty from one date to another (`to` excluded), replacing the base staff."""

    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")
    staff: Int = Field(ge=0, le=100_000)

    _dates = field_validator("start", "end", mode="before")(_date)

    @model_validator(mode="after")
    def _order(self):
        if self.end <= self.start:
            raise ValueError(Text("`to` must be after `from` (the range is [from, to))"))
        return self


def _days(value):
    """Weekdays as a list (`[mon, tue]`) or a range text (`mon-fri`)."""
    if isinstance(value, str):
        first, _, last = value.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ValueError(
                Text(
                    "weekdays are {weekdays} or a range such as mon-fri",
                    weekdays=", ".join(WEEKDAYS),
                )
            )
        i, j = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        if j < i:
            raise ValueError(Text("weekday range {value} runs backwards", value=repr(value)))
        return list(WEEKDAYS[i : j + 1])
    return value


def _clock_text(value):
    """An `HH:MM` text, checked."""
    parse_clock(value, field="")
    return value


class Shift(Strict):
    """A roster line: staff on duty in an hour band of some weekdays, in place of `staff`."""

    days: list[Literal[WEEKDAYS]] = Field(
        default=list(WEEKDAYS),
        min_length=1,
        description="Weekdays of the band (`[mon, tue]`, or a range text `mon-fri`); default "
        "every day. A working day takes the band of its own weekday (a make-up Saturday "
        "(调休) takes the `sat` bands).",
    )
    start: str = Field(alias="from", description="Start of the band, `HH:MM` wall time.")
    end: str = Field(
        alias="to", description="End of the band (excluded), `HH:MM`; `24:00` allowed."
    )
    staff: Int = Field(ge=0, le=100_000)

    _day_list = field_validator("days", mode="before")(_days)

    _clock = field_validator("start", "end")(field_parser(_clock_text))

    @model_validator(mode="after")
    def _order(self):
        if len(set(self.days)) != len(self.days):
            raise ValueError(Text("a weekday is listed twice"))
        if self.minutes[1] <= self.minutes[0]:
            raise ValueError(Text("`to` must be after `from` (the band is [from, to) of one day)"))
        return self

    @property
    def minutes(self) -> tuple[int, int]:
        """The band as minutes after midnight, [from, to)."""
        return parse_clock(self.start, field="from"), parse_clock(self.end, field="to")


class Department(Strict):
    """A department: staff on duty, a weekly roster, and dated changes."""

    staff: Int = Field(
        ge=1,
        le=100_000,
        description="Staff on duty (outside the `roster`'s bands when it has any).",
    )
    roster: list[Shift] = Field(
        default=[],
        description=(
            "Staff by weekday and hour band (shifts, a lunch rota): each band's `staff` replaces "
            "`staff` over the band's office minutes; bands of one weekday must not overlap. "
            "When staff go down, each one leaving finishes the case in hand first (no work is "
            "interrupted), and cases waiting are not served until the staff level allows it."
        ),
    )
    staff_changes: list[StaffChange] = Field(
        default=[],
        description=(
            "Date ranges with other staffing (must not overlap); within one, its `staff` is on "
            "duty at all hours and the `roster` does not apply."
        ),
    )
    description: str = ""

    @model_validator(mode="after")
    def _no_overlap(self):
        ranges = sorted((c.start, c.end) for c in self.staff_changes)
        for (_, end), (start, _) in zip(ranges, ranges[1:]):
            if start < end:
                raise ValueError(Text("staff_changes ranges overlap"))
        for day in WEEKDAYS:
            bands = sorted(b.minutes for b in self.roster if day in b.days)
            for (_, end), (start, _) in zip(bands, bands[1:]):
                if start < end:
                    raise ValueError(Text("roster bands overlap on {day}", day=day))
        return self


class FirstRound(Strict):
    """A supplement loop's first round, when it differs from the later ones (a call-back repeated
    more often and later after the first call than after the next ones)."""

    probability: Number = Field(ge=0, le=1)
    response: Distribution

    _unit = field_validator("response")(lambda v: _units(v, ("d", "wd"), "response"))


class Supplement(Strict):
    """补正: after the step, the case goes back to the applicant with this probability — given
    directly, or as `materials` required, each missing with probability `missing_each`
    (so cutting materials is a parameter: 1 - (1 - missing_each) ** materials)."""

    probability: Number | None = Field(default=None, ge=0, le=1)
    materials: Number | None = Field(default=None, ge=0, le=10_000)
    missing_each: Number | None = Field(default=None, ge=0, le=1)
    response: Distribution  # applicant's response time (d or wd)
    give_up: Number = Field(default=0.0, ge=0, le=1)
    clock: Literal["restart", "resume"] = (
        "restart"  # before acceptance (Art. 32); after it, always a pause
    )
    max_rounds: Int = Field(default=3, ge=1, le=100)
    first: FirstRound | None = Field(
        default=None,
        description="The first round's own chance and response; `probability` (or the "
        "materials) and `response` then hold for the later rounds.",
    )
    tolerate: bool = (
        False  # 容缺受理: accept at once, clock running; decision waits for the materials,
    )
    # an applicant who never sends them has the case terminated

    _unit = field_validator("response")(lambda v: _units(v, ("d", "wd"), "response"))

    @model_validator(mode="after")
    def _chance(self):
        by_materials = self.materials is not None and self.missing_each is not None
        if (self.probability is None) == (not by_materials):
            raise ValueError(Text("give `probability`, or `materials` and `missing_each`"))
        return self

    @property
    def chance(self) -> float:
        """Probability that a file is sent back for supplements."""
        if self.probability is not None:
            return self.probability
        return 1.0 - (1.0 - self.missing_each) ** self.materials

    def round_chance(self, rounds: int) -> float:
        """Probability of sending back after `rounds` rounds already done."""
        return self.first.probability if rounds == 0 and self.first else self.chance

    def round_response(self, rounds: int) -> Distribution:
        """The response that follows `rounds` rounds already done (the first round's own)."""
        return (self.first if rounds == 0 and self.first else self).response

    def round_unit(self, rounds: int) -> str:
        """The unit of the response that follows `rounds` rounds already done."""
        return self.round_response(rounds).unit


class SpecialProcedure(Strict):
    """Art. 45 time (inspection, expert review, hearing...): not counted, needs no staff here."""

    probability: Number = Field(default=1.0, ge=0, le=1)
    duration: Distribution
    kind: str = "inspection"

    _unit = field_validator("duration")(lambda v: _units(v, ("d", "wd", "h", "min"), "duration"))


class Batch(Strict):
    """Cases done with a step wait for its next release — a committee's meeting (集体审议), a
    signing round — and leave it together."""

    days: list[Literal[WEEKDAYS]] = Field(
        default=list(WEEKDAYS),
        min_length=1,
        description="Weekdays of the releases (`[tue]`, or a range text `mon-fri`); default "
        "every day. Only office days hold one: working days, and rest days the calendar opens "
        "the office on (`office_hours.rest_days`).",
    )
    at: str = Field(
        description="Time of the release, `HH:MM` wall time; one outside office hours is at the "
        "next opening."
    )

    _day_list = field_validator("days", mode="before")(_days)
    _clock = field_validator("at")(field_parser(_clock_text))

    @model_validator(mode="after")
    def _once(self):
        if len(set(self.days)) != len(self.days):
            raise ValueError(Text("a weekday is listed twice"))
        return self


class Step(Strict):
    """Either work by a department's staff, or an elapsed `delay` with no staff modelled (e.g. a
    file transferred to another level, or a review whose duration is known only as elapsed days);
    a delay is counted on the clock, unlike a special procedure."""

    step: str
    department: str | None = None
    work: Distribution | None = None  # office time of one staff member (min or h)
    delay: Distribution | None = None  # elapsed time (wd, d, h or min)
    limit: str | None = None  # a step limit, for step-scope card rungs
    accepts: bool = False  # acceptance (受理) happens when this step ends
    supplement: Supplement | None = None
    special_procedure: SpecialProcedure | None = None
    batch: Batch | None = Field(
        default=None,
        description="Release the step's cases together at set times: a case done with the step "
        "(its work, loops and procedures) waits for the next release, counted on the clock.",
    )

    _unit = field_validator("work")(lambda v: _units(v, ("min", "h"), "work"))
    _delay_unit = field_validator("delay")(lambda v: _units(v, ("d", "wd", "h", "min"), "delay"))
    _lim = field_validator("limit", mode="before")(_limit)

    @model_validator(mode="after")
    def _kind(self):
        if (self.delay is None) == (self.work is None):
            raise ValueError(Text("a step has either `department` + `work`, or a `delay`"))
        if (self.work is None) != (self.department is None):
            raise ValueError(Text("`work` needs a `department` (and a department needs `work`)"))
        if self.delay is not None and (self.supplement or self.special_procedure):
            raise ValueError(Text("a delay step has no supplement loop or special procedure"))
        return self


class Parallel(Strict):
    """A parallel group of routes (AND-join)."""

    parallel: list[list[RouteItem]] = Field(min_length=2)  # branches run at once; AND-join


class Branch(Strict):
    """One route of a branch point, with its probability."""

    probability: Number = Field(ge=0, le=1)
    steps: list[RouteItem] = []


class Choice(Strict):
    """A probabilistic branch point: one of its routes per case."""

    branch: list[Branch] = Field(min_length=1)

    @model_validator(mode="after")
    def _sum(self):
        total = sum(b.probability for b in self.branch)
        if abs(total - 1.0) > 1e-9:
            raise ValueError(
                Text("branch probabilities must sum to 1 (got {total:g})", total=total)
            )
        return self


END = "end"  # a Markov route's way out


def _shares(shares: dict[str, float], names: set[str], what: str) -> None:
    for name, share in shares.items():
        if name not in names:
            raise ValueError(
                Text(
                    "{what}: {name} is not a step of this route (nor `{end}`)",
                    what=what,
                    name=repr(name),
                    end=END,
                )
            )
        if not 0 <= share <= 1:
            raise ValueError(Text("{what}: shares are between 0 and 1", what=what))
    total = sum(shares.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(
            Text("{what}: shares must sum to 1 (got {total:g})", what=what, total=total)
        )


class MarkovRoute(Strict):
    """A route as a stochastic directly-follows graph: the first step drawn from `start`, each
    next one (or `end`) from the `next` shares of the step just done, so steps may repeat and come
    in any order the shares allow (as a log shows them)."""

    steps: list[Step] = Field(
        min_length=1,
        description="The steps, each an ordinary step (desk work or a delay, with its own "
        "supplement loop, special procedure or limit); a step visited again draws new work.",
    )
    start: dict[str, Number] = Field(description="Share of cases starting at each step (or `end`).")
    next: dict[str, dict[str, Number]] = Field(
        description="For each step, the shares of the step that follows it, or `end` to leave."
    )
    max_visits: Int = Field(
        default=100,
        ge=1,
        le=100_000,
        description="A case leaves the route after this many steps, wherever it is.",
    )

    @model_validator(mode="after")
    def _graph(self):
        names = {s.step for s in self.steps}
        if END in names:
            raise ValueError(
                Text("`{end}` names a Markov route's way out: rename that step", end=END)
            )
        _shares(self.start, names | {END}, "start")
        for name in names:
            if name not in self.next:
                raise ValueError(Text("next: no shares after step {name}", name=repr(name)))
        for name, shares in self.next.items():
            if name not in names:
                raise ValueError(Text("next: {name} is not a step of this route", name=repr(name)))
            _shares(shares, names | {END}, f"next.{name}")
        reach = {END}  # steps from which `end` can be reached
        while True:
            more = {n for n, shares in self.next.items() if any(shares.get(r) for r in reach)}
            if more <= reach:
                break
            reach |= more
        stuck = sorted(names - reach)
        if stuck:
            raise ValueError(
                Text("next: no way to `{end}` from step {name}", end=END, name=repr(stuck[0]))
            )
        return self


class Markov(Strict):
    """A Markov route item (`markov:`): see `MarkovRoute`."""

    markov: MarkovRoute


def _route_kind(v) -> str:
    """Which route item a mapping is, by its key (tags are dropped from error paths)."""
    if isinstance(v, dict):
        for key in ("parallel", "branch", "markov"):
            if key in v:
                return f"tag-{key}"
        return "tag-step"
    return {Parallel: "tag-parallel", Choice: "tag-branch", Markov: "tag-markov"}.get(
        type(v), "tag-step"
    )


RouteItem = Annotated[
    Annotated[Step, Tag("tag-step")]
    | Annotated[Parallel, Tag("tag-parallel")]
    | Annotated[Choice, Tag("tag-branch")]
    | Annotated[Markov, Tag("tag-markov")],
    Discriminator(_route_kind),
]
Parallel.model_rebuild()
Branch.model_rebuild()
Choice.model_rebuild()


class Arrivals(Strict):
    """Receipts: per office day (a working day, or a rest day the calendar opens the office on),
    weekday and month factors, online share, pattern."""

    per_day: Number = Field(ge=0, le=100_000)  # mean receipts per office day
    weekday: dict[str, float] = {}  # factor by weekday (mon..sun), default 1
    month: dict[int, float] = {}  # factor by month (1..12), default 1
    online: Number = Field(
        default=0.0, ge=0, le=1
    )  # share submitted online, at any hour of any day
    pattern: Literal["poisson", "even"] = "poisson"  # even: equally spaced, a fixed count per day
    until: dt.date | None = None  # no receipts from this date on (let the last cases finish)
    by_hour: dict[str, list[Number]] = Field(
        default={},
        description=(
            "When applicants submit, apart from when staff work: for each weekday (`mon`..`sun`; "
            "one left out receives nothing) 24 relative weights, one per hour from 00:00. When "
            "given, the receipts that are not `online` come at these hours of any natural day "
            "(one outside office hours is received at the next opening) instead of spread over "
            "the office hours of office days; the volume stays `per_day` per office day on "
            "average over the period, and the weights give its shape over the week (so "
            "`weekday` factors are not given with it). `slasim fit` writes the mean receipts of "
            "each weekday's hours in the log."
        ),
    )

    _until = field_validator("until", mode="before")(_date)

    @field_validator("by_hour")
    @classmethod
    def _by_hour(cls, v):
        for key, weights in v.items():
            known_weekday(key)
            if len(weights) != 24 or not all(0 <= w <= 1e6 for w in weights):
                raise ValueError(
                    Text("{key}: 24 weights (one per hour from 00:00), each 0 or more", key=key)
                )
        if v and not sum(sum(w) for w in v.values()) > 0:
            raise ValueError(Text("by_hour: at least one weight above 0"))
        return v

    @model_validator(mode="after")
    def _shape_once(self):
        if self.by_hour and self.weekday:
            raise ValueError(
                Text(
                    "give the week's shape once: `by_hour` holds it, so leave out `weekday` factors"
                )
            )
        return self

    @field_validator("weekday")
    @classmethod
    def _weekdays(cls, v):
        for key, factor in v.items():
            known_weekday(key)
            if not 0 <= factor <= 1000:
                raise ValueError(Text("factors must be between 0 and 1000"))
        return v

    @field_validator("month")
    @classmethod
    def _months(cls, v):
        for key, factor in v.items():
            if not 1 <= key <= 12 or not 0 <= factor <= 1000:
                raise ValueError(Text("month factors are {1..12: factor between 0 and 1000}"))
        return v


class Service(Strict):
    """A service (事项): limits, kind, priority, cards, arrivals and its route of steps."""

    kind: Literal["promised", "instant"] = "promised"  # 承诺件 | 即办件
    description: str = ""
    limits: LimitPair
    cards: Any = None  # ladder for this service (default: scenario's)
    priority: Int = Field(default=0, ge=0)  # lower is served first
    acceptance: Literal["first-step", "receipt"] = Field(
        default="first-step",
        description=(
            "When the application is accepted (受理), unless a step says `accepts: true`. "
            "`first-step` (the default): when the first step (the reception's check of the "
            "materials) is done, since the decision limit counts from acceptance "
            "(行政许可法 Art. 32, 42); a case waiting for that step is on no clock, and the "
            "results show that wait apart (`awaiting acceptance at end`, `accept_wait_wd_*`, "
            "`applicant_wait_wd_*`). `receipt`: accepted on receipt, as when the agency does not "
            "ask for missing materials within 5 working days (Art. 32(4))."
        ),
    )
    commitment: bool = (
        False  # 告知承诺: decided when accepted; the remaining steps check afterwards
    )
    arrivals: Arrivals
    steps: list[RouteItem] = Field(min_length=1)


class Provenance(Strict):
    """Where a fitted scenario comes from, written by `slasim fit` for `slasim fidelity`: the log,
    the instant that split fitted from held-out cases (wall time in the calendar's zone; none when
    every case was fitted) and the number of cases on each side."""

    log: str
    split: str | None = None  # ISO 8601 instant: cases received from here on were not fitted
    fitted_cases: Int = Field(ge=0)
    held_out_cases: Int = Field(default=0, ge=0)
    # the first and last fitted receipts (same clock): a log's cases received after the last are
    # ones the fit never saw, whatever the file is called (absent in files fitted before them)
    fitted_from: str | None = None
    fitted_until: str | None = None

    @field_validator("split", "fitted_from", "fitted_until")
    @classmethod
    def _instant(cls, value: str | None) -> str | None:
        if value is not None:
            dt.datetime.fromisoformat(value)  # a ValueError names the field
        return value


class Scenario(Strict):
    """A service centre: calendar and period, departments, services, cards, replications, seed."""

    name: str
    description: str = ""
    # Text shown to a reader, not a result: left out of every dump (the `definition` a run's JSON
    # echoes stays the same in every language and as before the field existed).
    description_zh: str = Field(
        default="",
        exclude=True,
        description="The description in Chinese, shown instead of `description` when slasim "
        "speaks Chinese (`slasim --lang zh scenarios`).",
    )
    sources: list[str] = []  # where the numbers come from
    calendar: str = "cn"
    start: dt.date
    working_days: Int | None = Field(default=None, ge=1)
    end: dt.date | None = None  # exclusive; instead of working_days
    warmup_days: Int = Field(default=0, ge=0)  # working days whose arrivals are not measured
    replications: Int = Field(default=10, ge=1, le=100_000)
    seed: Int = Field(default=0, ge=0)
    # auto: plain FCFS desks are computed as queues (`fcfs`), anything else in SimPy; simpy: always
    # SimPy
    engine: Literal["auto", "simpy"] = "auto"
    cards: Any = "warn-before"
    departments: dict[str, Department] = Field(min_length=1)
    services: dict[str, Service] = Field(min_length=1)  # may be generated from a `catalogue` CSV
    reforms: dict[str, Reform] = {}  # named patches (`reform_schema`), applied by `reforms`
    provenance: Provenance | None = None  # written by `slasim fit`

    _dates = field_validator("start", "end", mode="before")(_date)

    @model_validator(mode="after")
    def _consistent(self):
        if (self.working_days is None) == (self.end is None):
            raise ValueError(Text("give the period as `working_days` or `end` (one of them)"))
        if self.end is not None and self.end <= self.start:
            raise ValueError(Text("`end` must be after `start`"))
        plain_name(self.name, Text("scenario name"))
        for name in (*self.departments, *self.services):
            plain_name(name, Text("name"))
        for name, service in self.services.items():
            seen = set()
            for path, step in walk_steps(service.steps, f"services.{name}.steps"):
                if step.step in seen:
                    raise ValueError(
                        Text(
                            "{path}: step name {step} used twice in service {name}",
                            path=path,
                            step=repr(step.step),
                            name=repr(name),
                        )
                    )
                seen.add(step.step)
                plain_name(step.step, Text("{path}: step name", path=path))
                if step.department is not None and step.department not in self.departments:
                    raise ValueError(
                        Text(
                            "{path}: unknown department {name} (have {known})",
                            path=path,
                            name=repr(step.department),
                            known=", ".join(self.departments),
                        )
                    )
        return self


def walk_steps(items: list, path: str):
    """(field path, Step) for every step of a route, depth first."""
    for i, item in enumerate(items):
        here = f"{path}[{i}]"
        if isinstance(item, Step):
            yield here, item
        elif isinstance(item, Parallel):
            for b, branch in enumerate(item.parallel):
                yield from walk_steps(branch, f"{here}.parallel[{b}]")
        elif isinstance(item, Markov):
            yield from walk_steps(item.markov.steps, f"{here}.markov.steps")
        else:
            for b, branch in enumerate(item.branch):
                yield from walk_steps(branch.steps, f"{here}.branch[{b}].steps")


def json_schema() -> str:
    """The JSON Schema of scenario files (for editors and validators)."""
    schema = Scenario.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "slasim scenario"
    return json.dumps(schema, indent=2, ensure_ascii=False)
