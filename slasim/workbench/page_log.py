"""The From-our-log page: a centre's case log uploaded → `slasim fit` → `slasim fidelity`'s
verdict against the naive baselines → the fitted scenario used as the centre on the other pages."""

from __future__ import annotations

import streamlit as st

from slasim.io.errors import SlasimError
from slasim.io.i18n import _
from slasim.outputs.results import to_json
from slasim.workbench import inputs, tasks, widgets


def page() -> None:
    st.header(_("From our log"))
    upload = st.file_uploader(
        _("Case log (CSV, CSV.gz or XES; at most {mb} MB)").format(mb=inputs.MAX_UPLOAD_MB),
        type=["csv", "gz", "xes"],
        key="log_upload",
    )
    names = tasks.calendars()
    left, office_col, middle, right = st.columns(4)
    calendar = left.selectbox(
        _("Calendar"), names, index=names.index("cn") if "cn" in names else 0, key="log_cal"
    )
    offices = {
        "log": _("from the log (a calendar file beside the scenario)"),
        "calendar": _("the calendar's own"),
    }
    office = office_col.selectbox(
        _("Office hours"), list(tasks.OFFICE_CHOICES), format_func=offices.get, key="log_office"
    )
    share = middle.slider(
        _("Share of cases to fit on (the rest test the fit)"), 0.1, 0.95, 0.7, 0.05, key="log_share"
    )
    reps = right.number_input(_("Replications"), 2, 200, 5, key="log_reps")
    if upload is None:
        st.info(_("Upload a case log: one row per activity of a case, with start and end times."))
        return
    if not st.button(_("Fit and score"), type="primary", key="log_run"):
        shown(upload.name)
        return
    content, log_name = upload.getvalue(), inputs.safe_name(upload.name)

    def fit_and_score(path):
        data, text, office_text, warnings = tasks.fit(
            path, calendar, train_share=float(share), max_mb=inputs.MAX_UPLOAD_MB, office=office
        )
        verdict = None
        if tasks.fidelity_ready():
            bar = st.progress(0.0)
            verdict = tasks.fidelity(
                data,
                log_name,
                path,
                reps=int(reps),
                seed=int(data.get("seed", 0)),
                max_mb=inputs.MAX_UPLOAD_MB,
                progress=lambda done: bar.progress(min(done / int(reps), 1.0)),
            )
            bar.empty()
        return data, text, office_text, warnings, verdict

    try:
        with st.spinner(_("Fitting the log…")):
            data, text, office_text, warnings, verdict = inputs.read_upload(
                upload.name, content, fit_and_score
            )
    except SlasimError as exc:
        widgets.show_error(exc)
        return
    st.session_state["log_fit"] = {
        "log": log_name,
        "content": content,  # for This week's forecast from the same log
        "data": data,
        "text": text,
        "office_text": office_text,
        "warnings": warnings,
        "verdict": verdict,
        "args": (
            tasks.fit_args(log_name, calendar, float(share), office),
            int(reps),
            int(data.get("seed", 0)),
        ),
    }
    shown(upload.name)


def shown(upload_name: str) -> None:
    kept = st.session_state.get("log_fit")
    if not kept or kept["log"] != inputs.safe_name(upload_name):
        return
    from slasim.outputs.fidelity import fidelity_report

    data = kept["data"]
    widgets.warnings(kept["warnings"])
    st.subheader(_("The fitted centre"))
    st.write(
        _("{services} service(s), {departments} department(s)").format(
            services=len(data["services"]), departments=len(data["departments"])
        )
    )
    with st.expander(_("The scenario file, with the evidence for each number")):
        st.code(kept["text"], language="yaml")
    st.subheader(_("How faithful it is"))
    if kept["verdict"] is None:
        st.info(_("The fidelity check needs the fit extra: pip install 'slasim[fit]'"))
    else:
        widgets.warnings(kept["verdict"].get("warnings") or [])
        st.code(fidelity_report(kept["verdict"]), language=None)
    fit_args, reps, seed = kept["args"]
    scenario = f"{data['name']}.yaml"
    widgets.command_line([*fit_args, "--out", scenario])
    widgets.command_line(tasks.fidelity_args(scenario, kept["log"], reps, seed))
    left, middle, right = st.columns(3)
    left.download_button(
        _("Download the fitted scenario (YAML)"),
        kept["text"],
        file_name=scenario,
        mime="application/yaml",
        key="log_download_yaml",
    )
    if kept["office_text"] is not None:
        middle.download_button(
            _("Download its office calendar (TOML, beside the scenario)"),
            kept["office_text"],
            file_name=f"{data['name']}-office.toml",
            mime="application/toml",
            key="log_download_office",
        )
    if kept["verdict"] is not None:
        right.download_button(
            _("Download the fidelity results (JSON)"),
            to_json(kept["verdict"]),
            file_name="fidelity.json",
            mime="application/json",
            key="log_download_json",
        )
    if st.button(_("Use it as the centre on the other pages"), key="log_use"):
        st.session_state["fitted"] = (data, scenario)
        st.session_state["scenario"] = "fitted:"
        st.success(_("The fitted centre is chosen: open What if, Centre or How many staff."))
