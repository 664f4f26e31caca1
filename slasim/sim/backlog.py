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

from slasim.scenario.plan import Plan, ServicePlan

GROWTH_SHARE = 0.05  # of the receipts in the second half of the window


def desks_before_acceptance(service: ServicePlan, plan: Plan) -> list[str]:
    """`departments.NAME (step S)` for each step a case passes up to its acceptance."""
    out = []
    for step in service.steps:
        if step.department is not None:
            out.append(f"departments.{plan.departments[step.department].name} (step {step.name})")
        if step.accepts:
            return out
    return []  # accepted at receipt, or no step accepts: nothing waits before acceptance


def backlog_warnings(plan: Plan, services: dict) -> list[str]:
    """One line per service whose backlog before acceptance grew through the period (`services`:
    the summary's per-service metrics, {mean, ci95, n} leaves)."""
    out = []
    for service in plan.services:
        metrics = services.get(service.name, {})
        growth = (metrics.get("pending_growth") or {}).get("mean")
        arrived = (metrics.get("arrived") or {}).get("mean")
        desks = desks_before_acceptance(service, plan)
        if growth is None or not arrived or not desks:
            continue
        if growth >= max(1.0, GROWTH_SHARE * arrived / 2):
            pending = metrics["pending_at_end"]["mean"]
            wait = (metrics.get("accept_wait_wd_p90") or {}).get("mean")
            out.append(
                f"services.{service.name}: {pending:,.0f} cases await acceptance at the end, "
                f"{growth:,.0f} more than in the middle of the period, at "
                f"{', '.join(desks)}: the backlog before acceptance grows"
                + (f" (wait to acceptance p90 ≥ {wait:.1f} wd)" if wait is not None else "")
                + "; the legal clock starts at acceptance (Art. 32), so on-time shares and cards "
                "leave this wait out"
            )
    return out
