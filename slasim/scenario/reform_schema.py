"""The operations a scenario's `reforms:` section may use: each one's fields, types and meaning.

A reform is a named, non-empty list of operations; an operation is a one-key mapping
`{kind: {fields}}`. `Operation` is their discriminated union (by the one key), so the scenario
schema types every reform (`slasim schema`), and an error names the reform, the operation's
index and kind, and the field: `reforms.joint-review[1].merge.into: Field required`. What each
operation does to a scenario lives in `reforms`; docs/REFORMS.md has an example of each.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Union

from pydantic import Discriminator, Field, Tag, create_model, field_validator, model_validator

from slasim.calendar.units import as_date
from slasim.io.errors import field_parser
from slasim.io.i18n import N_, Text
from slasim.io.schema import Int, Number, Strict
from slasim.scenario.distributions import Distribution


class Parallelize(Strict):
    """串联改并联: consecutive steps of a service run in parallel (AND-join)."""

    service: str
    steps: list[str] = Field(min_length=2)


class Merge(Strict):
    """Joint inspection / review: consecutive steps merged into one, with new work if given."""

    service: str
    steps: list[str] = Field(min_length=2)
    into: str
    work: Distribution | None = None
    department: str | None = None


class Remove(Strict):
    """Delegation (权限下放) or a level hop removed: a step leaves the route."""

    service: str | None = None  # None: from every service that has the step
    step: str


class Staff(Strict):
    """Staff of a department set (`staff`) or changed (`delta`), maybe only `from`–`to`."""

    department: str
    staff: Int | None = Field(default=None, ge=0)
    delta: Int | None = None
    start: dt.date | None = Field(default=None, alias="from")
    end: dt.date | None = Field(default=None, alias="to")

    _dates = field_validator("start", "end", mode="before")(field_parser(as_date))

    @model_validator(mode="after")
    def _one(self):
        if (self.staff is None) == (self.delta is None):
            raise ValueError(Text("give `staff` (absolute) or `delta`"))
        if (self.start is None) != (self.end is None):
            raise ValueError(Text("a dated staff change needs both `from` and `to`"))
        return self


class Work(Strict):
    """A step's work (or delay) scaled by a factor or replaced by a distribution."""

    service: str | None = None  # None: every service that has the step
    step: str
    scale: Number | None = Field(default=None, gt=0)
    work: Distribution | None = None

    @model_validator(mode="after")
    def _one(self):
        if (self.scale is None) == (self.work is None):
            raise ValueError(Text("give `scale` or a new `work` distribution"))
        return self


class Limits(Strict):
    """A new promised limit: a limit (`5wd`) or a share of the legal one (`60%`)."""

    service: str | None = None  # None: every service
    promised: str


class Cards(Strict):
    """Another card ladder for a service or all."""

    service: str | None = None
    ladder: Any


class Materials(Strict):
    """A share of materials cut: each material's chance of being missing falls, so fewer
    supplements."""

    service: str | None = None  # None: every service that has the step with a supplement loop
    step: str
    cut: Number = Field(ge=0, le=1)  # share of the materials no longer required (or pre-verified)


class Online(Strict):
    """The share of receipts made online."""

    service: str | None = None  # None: every service
    share: Number = Field(ge=0, le=1)


class ArrivalsScale(Strict):
    """Receipts per day scaled (more or fewer applications)."""

    service: str | None = None
    scale: Number = Field(ge=0)


class Bundle(Strict):
    """一件事一次办: services bundled into one with one acceptance, children in parallel, one limit."""

    services: list[str] = Field(min_length=2)
    into: str
    accept: dict  # the one joint acceptance step (a step mapping)
    limits: Any  # the bundle's one limit (or {promised, legal})
    arrivals: dict | None = None  # default: the first child's arrivals


class TolerateMissing(Strict):
    """容缺受理: accept with minor materials missing; the clock runs, the result waits."""

    service: str
    step: str


class Commitment(Strict):
    """告知承诺: decided at acceptance on the applicant's commitment; checks run after."""

    service: str


OPERATIONS: dict[str, type[Strict]] = {
    "parallelize": Parallelize,
    "merge": Merge,
    "remove": Remove,
    "staff": Staff,
    "work": Work,
    "limits": Limits,
    "cards": Cards,
    "materials": Materials,
    "online": Online,
    "arrivals": ArrivalsScale,
    "bundle": Bundle,
    "tolerate_missing": TolerateMissing,
    "commitment": Commitment,
}
# The error for a mapping that is no operation: one message id, so it is translated where shown
# (pydantic takes the discriminator's message as fixed text); it names every key of OPERATIONS
# (tests/test_zh_simulate.py checks).
OPERATION_ERROR = N_(
    "an operation is one of parallelize, merge, remove, staff, work, limits, cards, materials, "
    "online, arrivals, bundle, tolerate_missing, commitment with its fields"
)


def _kind(value) -> str | None:
    """The operation's tag (`tag-merge`): from the one key of a mapping, or from the field set on
    a parsed operation. Tags start with `tag-`, which error locations leave out."""
    if isinstance(value, dict):
        kind = next(iter(value)) if len(value) == 1 else None
    else:
        kind = next(iter(getattr(value, "model_fields_set", ())), None)
    return f"tag-{kind}" if kind in OPERATIONS else None


def _wrapper(kind: str, model: type[Strict]) -> type[Strict]:
    """The one-key mapping `{kind: model}` as a model (`MergeOperation` for `merge`)."""
    return create_model(
        f"{model.__name__}Operation",
        __base__=Strict,
        __doc__=model.__doc__,
        **{kind: (model, ...)},
    )


Operation = Annotated[
    Union[tuple(Annotated[_wrapper(k, m), Tag(f"tag-{k}")] for k, m in OPERATIONS.items())],  # noqa: UP007
    Discriminator(
        _kind,
        custom_error_type="reform_operation",
        custom_error_message=OPERATION_ERROR,
    ),
]
Reform = Annotated[list[Operation], Field(min_length=1)]  # a named reform: operations in order
