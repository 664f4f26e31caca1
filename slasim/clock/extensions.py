"""Extensions of a limit (行政许可法 Art. 42): how many may be granted, and the cap on their total.

Art. 42: a decision is due within 20 working days of acceptance; the agency head may approve one
extension of at most 10 working days (unified, joint or centralised processing: 45 days, +15).
Other laws may override, so the count and the cap are rules a check file can set. An extension
beyond the rule is capped and the cap explained, not refused: the clock shows what the law allows.
A cap in another unit than the limit's (10wd on a `30d` limit) holds too: the extension may not
move the due past the cap counted from the unextended due (`cap_across_units`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from slasim.clock.articles import ART42
from slasim.clock.limits import Limit, position, wall_at
from slasim.io.errors import SlasimError
from slasim.io.i18n import Text


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
                "extension {ext} is not in the limit's unit ({unit})",
                field="extensions",
                ext=str(ext),
                unit=unit,
            )
    used = extensions[: rule.max_count]
    if len(extensions) > rule.max_count:
        notes.append(
            Text(
                "{n} extensions given; at most {most} allowed ({art}): only the first {most} applied",
                n=len(extensions),
                most=rule.max_count,
                art=ART42,
            )
        )
    total = sum(e.axis_amount for e in used)
    as_limit = lambda axis_amount: Limit(axis_amount / 60 if unit == "wh" else axis_amount, unit)  # noqa: E731
    if rule.max_total.unit == unit and total > rule.max_total.axis_amount:
        notes.append(
            Text(
                "extension of {asked} capped at {cap} ({art})",
                asked=str(as_limit(total)),
                cap=str(rule.max_total),
                art=ART42,
            )
        )
        total = rule.max_total.axis_amount
    if total:
        notes.append(
            Text("extended by {amount} ({art})", amount=as_limit(total).describe(), art=ART42)
        )
    return total


def cap_across_units(
    calendar, unit: str, base_due: float, total: float, rule: ExtensionRule, notes: list[str]
) -> float:
    """`total` (on the limit's axis) capped where the rule's cap is in another unit: at most what
    moves the due from `base_due` (the due without extension) to the cap counted on the cap's own
    axis from there; whole days for a day limit."""
    cap = rule.max_total
    if cap.unit == unit or not total or not math.isfinite(base_due):
        return total
    reach = wall_at(calendar, cap.unit, position(calendar, cap.unit, base_due) + cap.axis_amount)
    room = float(position(calendar, unit, reach) - position(calendar, unit, base_due))
    room = math.floor(room + 1e-9) if unit != "wh" else room
    if total <= room:
        return total
    shown = lambda amount: Limit(amount / 60 if unit == "wh" else amount, unit)  # noqa: E731
    notes[:] = [n for n in notes if not n.startswith("extended by ")]
    notes.append(
        Text(
            "extension of {asked} capped at {room}: the due may move at most {cap} ({art})",
            asked=str(shown(total)),
            room=str(shown(room)),
            cap=str(cap),
            art=ART42,
        )
    )
    if room:
        notes.append(Text("extended by {amount} ({art})", amount=shown(room).describe(), art=ART42))
    return float(room)
