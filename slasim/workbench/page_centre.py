"""The Centre page: a scenario's period, departments and staff, services with their limits and
arrivals, and each service's route as a diagram."""

from __future__ import annotations

import streamlit as st

from slasim.io.i18n import _
from slasim.workbench import routes, whatif, widgets


def page() -> None:
    st.header(_("Centre"))
    picked = widgets.pick_scenario()
    if picked is None:
        return
    data, _source, name = picked
    if data.get("description"):
        st.caption(str(data["description"]))
    st.write(
        _("Calendar {calendar}; from {start}, {days} working days ({warmup} of warm-up).").format(
            calendar=data.get("calendar", "cn"),
            start=data.get("start"),
            days=data.get("working_days") or "—",
            warmup=data.get("warmup_days", 0),
        )
    )
    st.subheader(_("Departments and staff"))
    departments = data.get("departments") or {}
    st.table(
        {
            _("Department"): list(departments),
            _("Staff"): [str(d.get("staff", "—")) for d in departments.values()],
            _("Dated changes"): [
                str(len(d.get("staff_changes") or [])) for d in departments.values()
            ],
            _("Weekly roster"): [
                _("yes") if d.get("roster") else "—" for d in departments.values()
            ],
        },
        hide_index=True,
    )
    services = data.get("services") or {}
    limits = whatif.promised_limits(data)
    st.subheader(_("Services"))
    st.table(
        {
            _("Service"): list(services),
            _("Promised limit"): [limits.get(s, "—") for s in services],
            _("Legal limit"): [_legal(v) for v in services.values()],
            _("Arrivals per working day"): [
                f"{(v.get('arrivals') or {}).get('per_day', 0):g}" for v in services.values()
            ],
        },
        hide_index=True,
    )
    for service, spec in services.items():
        st.markdown(f"**{service}**")
        st.graphviz_chart(routes.route_dot(spec))
    if data.get("reforms"):
        st.subheader(_("Reforms in the file"))
        st.write(", ".join(f"`{name}`" for name in data["reforms"]))  # names, as in the file
    widgets.command_line(["slasim", "validate", name])


def _legal(service: dict) -> str:
    limits = service.get("limits")
    if isinstance(limits, dict):
        return str(limits.get("legal", "—"))
    return str(limits) if limits else "—"
