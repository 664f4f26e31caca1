"""Extensions of a limit (行政许可法 Art. 42): how many may be granted, and the cap on their total.

Art. 42: a decision is due within 20 working days of acceptance; the agency head may approve one
extension of at most 10 working days (unified, joint or centralised processing: 45 days, +15).
Other laws may override, so the count and the cap are rules a check file can set. An extension
beyond the rule is capped and the cap explained, not refused: the clock shows what the law allows.
"""

from __future__ import annotations

from dataclasses import dataclass

from slasim.clock.articles import ART42
from slasim.clock.limits import Limit
from slasim.io.errors import SlasimError


@dataclass(frozen=True)
class ExtensionRule:
    """Art. 42: one extension of at most 10 working days (joint processing: 15)."""

    max_count: int = 1
    max_total: Limit = Limit(10, "wd")


def applied_extension(
    extensions: list[Limit], unit: str, rule: ExtensionRule, notes: list[str]
) -> float:
    """Total extension on the limit's axis, capped per rule (the cap is explained, not an error)."""
    for ext in extensions:
        if ext.unit != unit:
            raise SlasimError(
                f"extension {ext} is not in the limit's unit ({unit})", field="extensions"
            )
    used = extensions[: rule.max_count]
    if len(extensions) > rule.max_count:
        notes.append(
            f"{len(extensions)} extensions given; at most {rule.max_count} allowed ({ART42}): "
            f"only the first {rule.max_count} applied"
        )
    total = sum(e.axis_amount for e in used)
    as_limit = lambda axis_amount: Limit(axis_amount / 60 if unit == "wh" else axis_amount, unit)  # noqa: E731
    if rule.max_total.unit == unit and total > rule.max_total.axis_amount:
        notes.append(f"extension of {as_limit(total)} capped at {rule.max_total} ({ART42})")
        total = rule.max_total.axis_amount
    if total:
        notes.append(f"extended by {as_limit(total).describe()} ({ART42})")
    return total
