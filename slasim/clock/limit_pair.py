"""The promised (承诺) and legal (法定) limits of a case or service as a validated pair, for the
check-file and scenario schemas. Kept apart from `limits` so that the clock itself, and so
`slasim deadline`, never imports pydantic."""

from __future__ import annotations

from pydantic import field_validator, model_validator

from slasim.clock.limits import _pair_problem, canonical_limit
from slasim.io.errors import field_parser
from slasim.io.schema import Strict


class LimitPair(Strict):
    """The promised (承诺) and legal (法定) limits of a case or service, as limit texts.
    A bare value (`20wd`) is the legal limit; the promised one defaults to it."""

    promised: str | None = None
    legal: str

    _texts = field_validator("promised", "legal", mode="before")(field_parser(canonical_limit))

    @model_validator(mode="before")
    @classmethod
    def _bare(cls, value):
        return value if isinstance(value, dict) else {"legal": value}

    @model_validator(mode="after")
    def _promised_within_legal(self):
        if self.promised is not None:
            problem = _pair_problem(self.promised, self.legal)
            if problem:
                raise ValueError(problem)
        return self
