"""The backlog before acceptance (受理): whether it grew through the period, and at which desks.

The legal clock starts at acceptance (行政许可法 Art. 32), so a case waiting to be accepted is on
no clock: a reception desk that cannot keep up leaves on-time shares and cards untouched while the
applicants' wait grows. Grading counts the cases received and neither accepted nor closed at the
middle of the measured window and at its end (`pending_growth` is the difference); a growth of at
least `GROWTH_SHARE` of the second half's receipts is warned about, naming the desks a case passes
before it is accepted. In a centre that keeps up the backlog at both instants is the reception's
queue, of the same size on average, so its growth stays near zero.
"""

from __future__ import annotations

from slasim.io.i18n import Text
from slasim.scenario.names import Verbatim
from slasim.scenario.plan import Plan, ServicePlan

GROWTH_SHARE = 0.05  # of the receipts in the second half of the window
MIN_GROWTH = 5.0  # cases: below this a growth is a reception queue's ordinary swing


def desks_before_acceptance(service: ServicePlan, plan: Plan) -> tuple[str, ...]:
    """The departments of the steps a case passes up to its acceptance (none when it is accepted
    at receipt)."""
    out: list[str] = []
    for step in service.steps:
        if step.department is not None:
            name = plan.departments[step.department].name
            if name not in out:
                out.append(name)
        if step.accepts:
            return tuple(out)
    return ()


def backlog_warnings(plan: Plan, services: dict) -> list[str]:
    """One line per group of desks before acceptance whose services' backlog before acceptance
    grew through the period (`services`: the summary's per-service metrics, {mean, ...} leaves)."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for service in plan.services:
        desks = desks_before_acceptance(service, plan)
        if desks and service.name in services:
            groups.setdefault(desks, []).append(service.name)
    out = []
    for desks, names in groups.items():
        growth = _total(services, names, "pending_growth")
        pending = _total(services, names, "pending_at_end")
        if growth < max(MIN_GROWTH, GROWTH_SHARE * _total(services, names, "arrived") / 2):
            continue
        waits = [(services[n].get("accept_wait_wd_p90") or {}).get("mean") for n in names]
        waits = [w for w in waits if w is not None]
        shown = Verbatim(", ".join(names[:3]))  # names from the file, shown as written
        if len(names) > 3:
            shown = Text("{names} and {more} more", names=shown, more=len(names) - 3)
        wait = (
            Text(" (wait to acceptance p90 up to {wait:.1f} wd)", wait=max(waits)) if waits else ""
        )
        out.append(
            Text(
                "{desks} (before acceptance of {services}): {pending:,.0f} cases await acceptance "
                "at the end, {growth:,.0f} more than in the middle of the period: the backlog "
                "before acceptance grows{wait}; the legal clock starts at acceptance (Art. 32), so "
                "on-time shares and cards leave this wait out",
                desks=Verbatim(", ".join(f"departments.{d}" for d in desks)),
                services=shown,
                pending=pending,
                growth=growth,
                wait=wait,
            )
        )
    return out


def _total(services: dict, names: list[str], metric: str) -> float:
    """The sum of a metric's means over the named services."""
    return sum((services[n].get(metric) or {}).get("mean") or 0.0 for n in names)
