"""The What-if page: staff per desk, arrival volume, promised limits and reforms as controls; Run;
the baseline and the what-if side by side with paired 95% CIs (`slasim compare`'s result)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import streamlit as st

import slasim.sim.compare  # noqa: F401  (loaded with the page, not on the first Run)
from slasim.io.errors import SlasimError
from slasim.io.i18n import _, localized
from slasim.outputs.results import cell, change_cell, shown_verdict, to_json
from slasim.workbench import whatif, widgets

MAX_STAFF = 1000
# What the first Run would import before its first numbers: the run's, then the tables' and the
# chart's (Streamlit turns a table into Arrow through pandas; ~1.5 s together on a cold start).
WARM_UP = whatif.warm_up(*whatif.RUN_IMPORTS, "pyarrow", "pandas", "altair")


def controls(data: dict, key: str, source: str) -> tuple[whatif.Changes, int, int]:
    """The controls (keyed by the scenario, so another centre starts from its own values)."""
    st.subheader(_("Staff per desk"))
    desks = whatif.desks(data)
    reformed = reformed_desks(data, key, source)
    columns = st.columns(min(len(desks), 4) or 1)
    staff = []
    for i, (name, n) in enumerate(desks.items()):
        column = columns[i % len(columns)]
        value = column.number_input(
            name, min_value=1, max_value=MAX_STAFF, value=n, step=1, key=f"staff:{key}:{name}"
        )
        staff.append((name, int(value)))
        if int(value) == n and reformed.get(name, n) != n:  # left as it is: the reform's stands
            column.caption(_("with the reforms switched on: {n}").format(n=reformed[name]))
    staff = tuple(staff)
    volume = st.slider(_("Arrival volume (× today's)"), 0.5, 2.0, 1.0, 0.05, key=f"volume:{key}")
    limits = whatif.promised_limits(data)
    with st.expander(_("Promised limits")):
        promised = tuple(
            (name, st.text_input(name, value=text, key=f"promised:{key}:{name}").strip())
            for name, text in limits.items()
        )
    reforms = tuple(
        name
        for name in data.get("reforms") or {}
        if st.toggle(_("Reform: {name}").format(name=name), key=f"reform:{key}:{name}")
    )
    left, right = st.columns(2)
    reps = left.number_input(
        _("Replications"),
        min_value=2,
        max_value=1000,
        value=max(int(data.get("replications", 10)), 2),
        key=f"reps:{key}",
    )
    seed = right.number_input(
        _("Random seed"), min_value=0, value=int(data.get("seed", 0)), key=f"seed:{key}"
    )
    changes = whatif.Changes(staff=staff, volume=float(volume), promised=promised, reforms=reforms)
    return changes, int(reps), int(seed)


def reformed_desks(data: dict, key: str, source: str) -> dict[str, int]:
    """Each desk's staff after the reforms switched on (their toggles are drawn below the staff
    controls, so their state is read from the session)."""
    from slasim.scenario.reforms import apply_reforms

    on = [n for n in data.get("reforms") or {} if st.session_state.get(f"reform:{key}:{n}")]
    if not on:
        return {}
    try:
        return whatif.desks(apply_reforms(data, on, source))
    except SlasimError:  # shown when the what-if runs
        return {}


def page() -> None:
    st.header(_("What if"))
    picked = widgets.pick_scenario()
    if picked is None:
        return
    data, source, name = picked
    key = name
    changes, reps, seed = controls(data, key, source)
    inputs = json.dumps(
        {"data": data, "source": source, "changes": asdict(changes), "reps": reps, "seed": seed},
        sort_keys=True,
        default=str,
    )
    by_day = st.checkbox(
        _("Also draw the open cases day by day (replication 0, run again in SimPy: slower)"),
        key=f"by_day:{key}",
    )
    state = inputs + ("|by-day" if by_day else "")
    if st.button(_("Run"), type="primary", key="run"):
        if not whatif.variant(data, changes):
            st.info(_("Nothing to compare: change a control or switch a reform on."))
        else:
            try:
                result = run(data, source, changes, reps, seed, inputs)
                days = None
                if by_day:
                    with st.spinner(_("Replication 0 day by day…")):
                        days = whatif.RESULTS.get(
                            state, lambda: whatif.open_by_day(data, source, changes, seed)
                        )
                st.session_state["whatif"] = (state, result, days)
            except SlasimError as exc:
                widgets.show_error(exc)
                return
    kept = st.session_state.get("whatif")
    if kept is None:
        return
    if kept[0] != state:
        st.info(_("The controls changed since the last run: press Run to see their results."))
        return
    _state, result, days = kept
    show(result)
    if days is not None:
        day_chart(days)
    widgets.command_line(whatif.cli_args(name, data, changes, reps, seed))
    downloads(data, name, changes, result)
    if days is not None:
        stem = Path(name).stem or "scenario"
        st.caption(
            _(
                "The days drawn are replication 0 of `slasim run {baseline} --reps 1 --seed "
                "{seed} --out DIR` (summary.json's timeline), and of the same run of the what-if "
                "with its reforms applied:"
            ).format(baseline=name, seed=seed)
        )
        st.download_button(
            _("Download the what-if with its reforms applied (scenario YAML)"),
            whatif.applied_yaml(data, changes, source),
            file_name=f"{stem}-what-if-applied.yaml",
            mime="application/yaml",
            key="download_applied",
        )


def day_chart(days: dict) -> None:
    """Open cases at each day's end, baseline and what-if (replication 0)."""
    import altair as alt
    import pandas as pd

    day, option, open_cases = _("Day"), _("Option"), _("Open cases")
    sides = (("baseline", _("Baseline")), ("what_if", _("What-if")))
    rows = [
        {day: sample["day"], option: label, open_cases: sample["open"]}
        for side, label in sides
        for sample in days[side]
    ]
    st.subheader(_("Open cases day by day (replication 0)"))
    lines = (
        alt.Chart(pd.DataFrame(rows))
        .mark_line()
        .encode(
            x=alt.X(field=day, type="temporal", title=day),
            y=alt.Y(field=open_cases, type="quantitative", title=open_cases),
            color=alt.Color(field=option, type="nominal", title=option),
        )
    )
    st.altair_chart(lines, width="stretch")


def run(data: dict, source: str, changes: whatif.Changes, reps: int, seed: int, key: str) -> dict:
    """Run with a progress bar over the replications, or take the result kept by its inputs
    (`key`: their JSON) in `whatif.RESULTS`: the same inputs again show it at once. The warnings
    the command line gives before running are shown first; the first replications' figures are
    drawn as soon as they are in, marked as such, and replaced by the final table. (Not
    `st.cache_data`: it cannot replay what is drawn outside the cached function.)"""
    prepared = whatif.prepare(data, source, changes)
    widgets.warnings(whatif.load_warnings(prepared))
    total = 2 * reps
    bar = st.progress(0.0, text=_("Replications: {done} of {total}").format(done=0, total=total))
    early = st.empty()

    def advance(done: int) -> None:
        text = _("Replications: {done} of {total}").format(done=done, total=total)
        bar.progress(min(done / total, 1.0), text=text)

    def interim(result: dict) -> None:
        with early.container():
            show_interim(result, reps)

    result = whatif.RESULTS.get(
        key,
        lambda: whatif.run_what_if(
            data, source, changes, reps, seed, advance, interim, prepared=prepared
        ),
    )
    early.empty()
    bar.empty()
    return result


def show_interim(result: dict, reps: int) -> None:
    """The first replications' comparison, marked as such (the final table replaces it)."""
    done = result["baseline"]["replications"]
    st.subheader(_("First numbers"))
    st.caption(
        _(
            "{done} of {reps} replications, intervals still wide: the table is replaced when "
            "all have run"
        ).format(done=done, reps=reps)
    )
    st.table(_table(whatif.side_by_side(result), "service", _("Service")), hide_index=True)


def _table(rows: list[dict], first: str, first_title: str) -> dict:
    return {
        first_title: [row[first] or _("all services") for row in rows],
        _("Metric"): [localized(row["metric"]) for row in rows],
        _("Baseline"): [cell(row["baseline"], row["kind"]) for row in rows],
        _("What-if"): [cell(row["what_if"], row["kind"]) for row in rows],
        _("Change [95% CI, paired]"): [change_cell(row["change"], row["kind"]) for row in rows],
        _("Verdict"): [localized(shown_verdict(row["change"], row["kind"])) for row in rows],
    }


def show(result: dict) -> None:
    """The comparison: cards and lead times per service, desks, a chart of card rates."""
    base = result["baseline"]
    ((label, reform),) = result["reforms"].items()
    st.subheader(_("Baseline and what-if"))
    st.caption(
        _(
            "{reps} paired replications (common random numbers), seed {seed}; change: what-if "
            "minus baseline, replication by replication, with its 95% confidence interval"
        ).format(reps=base["replications"], seed=base["seed"])
    )
    widgets.warnings([*base.get("warnings", []), *reform.get("warnings", [])])
    st.table(_table(whatif.side_by_side(result), "service", _("Service")), hide_index=True)
    chart(result)
    st.subheader(_("Desks"))
    st.table(_table(whatif.desk_rows(result), "department", _("Desk")), hide_index=True)


def chart(result: dict) -> None:
    """Red and yellow card rates per service, baseline beside what-if (shares as percentages)."""
    import altair as alt
    import pandas as pd

    base = result["baseline"]["services"]
    ((_label, reform),) = result["reforms"].items()
    after = reform["summary"]["services"]
    option, share = _("Option"), _("Share")
    rows = []
    for name in base:
        for metric, title in (("ever_red", _("red card")), ("ever_yellow", _("yellow card"))):
            for side, values in ((_("Baseline"), base), (_("What-if"), after)):
                mean = (values.get(name, {}).get(metric) or {}).get("mean")
                rows.append({"label": f"{name} · {title}", "option": side, "share": mean or 0.0})
    st.subheader(_("Card rates"))
    bars = (
        alt.Chart(pd.DataFrame(rows))
        .mark_bar()
        .encode(
            x=alt.X(
                field="share",
                type="quantitative",
                axis=alt.Axis(format=".1%", tickMinStep=0.001),  # no repeated ticks
                scale=alt.Scale(domain=[0, max([0.01, *(r["share"] for r in rows)])]),
                title=share,
            ),
            # whole labels (`enterprise-change · red card`), not cut at Vega's 180 px
            y=alt.Y(field="label", type="nominal", title=None, axis=alt.Axis(labelLimit=1000)),
            yOffset=alt.YOffset(field="option", type="nominal"),
            color=alt.Color(field="option", type="nominal", title=option),
        )
    )
    st.altair_chart(bars, width="stretch")


def downloads(data: dict, name: str, changes: whatif.Changes, result: dict) -> None:
    """The inputs (the scenario with the what-if reform) and the results (compare's JSON)."""
    stem = Path(name).stem or "scenario"
    text = whatif.inputs_yaml(data, changes)
    left, right = st.columns(2)
    left.download_button(
        _("Download the inputs (scenario YAML)"),
        text,
        file_name=f"{stem}-what-if.yaml",
        mime="application/yaml",
        key="download_inputs",
    )
    right.download_button(
        _("Download the results (JSON)"),
        to_json(result),
        file_name=f"{stem}-compare.json",
        mime="application/json",
        key="download_results",
    )
