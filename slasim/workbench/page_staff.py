"""The How-many-staff page: targets (e.g. red<=1%) → `slasim staff`'s cheapest staffing with its
evidence, and the cost against the first target for every candidate simulated (the frontier)."""

from __future__ import annotations

import json

import streamlit as st

from slasim.io.errors import SlasimError
from slasim.io.i18n import _
from slasim.outputs.results import to_json
from slasim.workbench import tasks, widgets


def page() -> None:
    st.header(_("How many staff"))
    picked = widgets.pick_scenario()
    if picked is None:
        return
    data, source, name = picked
    text = st.text_area(
        _("Targets, one a line: METRIC<=VALUE or METRIC>=VALUE (e.g. red<=1%)"),
        "red<=1%",
        key=f"staff_targets:{name}",
    )
    targets = [line.strip() for line in text.splitlines() if line.strip()]
    # labels made now, in the page's language (a format function runs where Streamlit calls it)
    services = {"": _("all services"), **{name: name for name in data.get("services") or {}}}
    service = st.selectbox(
        _("Judge on the service"),
        list(services),
        format_func=services.get,
        key=f"staff_service:{name}",
    )
    named = list(data.get("reforms") or {})
    reforms = st.multiselect(
        _("Also search with these reforms"),
        named,
        key=f"staff_ref:{name}",
        # Streamlit's own placeholder is English ("No options to select")
        placeholder=_("Choose reforms") if named else _("The scenario has no reforms"),
    )
    left, middle, right = st.columns(3)
    confidence = left.slider(_("Confidence"), 0.5, 0.99, 0.95, 0.01, key=f"staff_conf:{name}")
    budget = middle.number_input(
        _("Replications the search may use"), 10, 100_000, 400, key=f"staff_budget:{name}"
    )
    seed = right.number_input(
        _("Random seed"), 0, value=int(data.get("seed", 0)), key=f"staff_seed:{name}"
    )
    state = json.dumps(
        [data, source, targets, service, reforms, float(confidence), int(budget), int(seed)],
        sort_keys=True,
        default=str,
    )
    if st.button(_("Search"), type="primary", key="staff_run"):
        bar = st.progress(0.0)

        def advance(done: int, total: int) -> None:
            bar.progress(min(done / max(total, 1), 1.0))

        try:
            st.session_state["staff_result"] = tasks.staffing(
                data,
                source,
                targets,
                service=service or None,
                reforms=reforms,
                confidence=float(confidence),
                budget=int(budget),
                seed=int(seed),
                progress=advance,
            )
        except SlasimError as exc:
            bar.empty()
            widgets.show_error(exc)
            return
        bar.empty()
        st.session_state["staff_inputs"] = state
    result = st.session_state.get("staff_result")
    if result is None:
        return
    if st.session_state.get("staff_inputs") != state:  # kept by its inputs, as What-if's
        st.info(_("The inputs changed since the last search: press Search to see their results."))
        return
    show(result)
    widgets.command_line(
        tasks.staffing_args(
            name, targets, service, reforms, float(confidence), int(budget), int(seed)
        )
    )
    st.download_button(
        _("Download the results (JSON)"),
        to_json(result),
        file_name="staffing.json",
        mime="application/json",
        key="staff_download",
    )


def show(result: dict) -> None:
    from slasim.outputs.staffing import staffing_report

    for each in result["results"]:
        if each.get("staff"):
            label = "+".join(each["reforms"]) or _("baseline")
            st.subheader(_("Answer ({label})").format(label=label))
            columns = st.columns(min(len(each["staff"]), 6))
            for i, (dept, n) in enumerate(each["staff"].items()):
                columns[i % len(columns)].metric(dept, n)
        frontier_chart(each, result["targets"][0] if result["targets"] else "")
    st.subheader(_("Evidence"))
    st.code(staffing_report(result, frontier=True), language=None)


def frontier_chart(each: dict, target: str) -> None:
    """Cost against the first target's estimate, per candidate simulated (a share in percent)."""
    import altair as alt
    import pandas as pd

    from slasim.staffing.targets import parse_target

    key = next((k for k in (each.get("frontier") or [{}])[0] if k not in _FIXED), None)
    if key is None:
        return
    cost, meets = _("Cost"), _("Meets the targets")
    estimate = _("{target}: estimate (mean over replications)").format(target=key)
    rows = [  # plain field names: a target such as red<=0.5% holds a dot Vega-Lite would split
        {
            "cost": candidate["cost"],
            "estimate": (candidate.get(key) or {}).get("mean"),
            "meets": _("yes") if candidate["accepted"] else _("no"),
        }
        for candidate in each.get("frontier") or []
    ]
    share = parse_target(key, None).is_share
    axis = alt.Axis(format=".1%", tickMinStep=0.001) if share else alt.Axis()
    st.caption(_("Cost against {target}, per candidate simulated").format(target=key))
    points = (
        alt.Chart(pd.DataFrame(rows))
        .mark_circle(size=80)
        .encode(
            x=alt.X(field="cost", type="quantitative", title=cost),
            y=alt.Y(field="estimate", type="quantitative", title=estimate, axis=axis),
            color=alt.Color(field="meets", type="nominal", title=meets),
        )
    )
    st.altair_chart(points, width="stretch")


_FIXED = {"staff", "cost", "accepted", "replications"}
