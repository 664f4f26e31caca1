"""What the workbench's pages share on screen: the scenario picker (given, shipped, uploaded or
fitted from a log), an error shown as its one line, and the command line equivalent."""

from __future__ import annotations

import shlex

import streamlit as st

from slasim.io.errors import SlasimError
from slasim.io.i18n import _, localized
from slasim.workbench import inputs

UPLOAD = "upload:"  # the picker's choice of an uploaded scenario
FITTED = "fitted:"  # … of the scenario fitted on the From-our-log page
DEFAULT = "district-centre"


def show_error(exc: Exception) -> None:
    """A bad input as its one located line (in the chosen language), never a traceback."""
    if isinstance(exc, SlasimError):
        st.error(str(exc))
    else:  # a bug: one line too, as the command line's exit 70
        what = " ".join(str(exc).split())
        st.error(_("slasim failed ({kind}): {what}").format(kind=type(exc).__name__, what=what))


def pick_scenario() -> tuple[dict, str, str] | None:
    """The centre chosen (raw data, source, how the command line names it), or None while an
    upload is missing or bad (its error shown)."""
    options = inputs.scenario_choices()
    if "fitted" in st.session_state:
        options.append(FITTED)
    options.append(UPLOAD)
    default = DEFAULT if DEFAULT in options else options[0]
    if inputs.given_scenarios():
        default = options[0]
    names = {UPLOAD: _("Upload a scenario file…"), FITTED: _("Fitted from our log")}
    choice = st.selectbox(
        _("Centre (scenario)"),
        options,
        index=options.index(default),
        format_func=lambda c: names.get(c, inputs.cli_name(c)),
        key="scenario",
    )
    try:
        if choice == FITTED:
            data, source = st.session_state["fitted"]
            return data, source, source
        if choice == UPLOAD:
            upload = st.file_uploader(
                _("Scenario file (YAML or JSON, at most {mb} MB)").format(mb=inputs.MAX_UPLOAD_MB),
                type=["yaml", "yml", "json"],
                key="scenario_upload",
            )
            if upload is None:
                return None
            data, source = inputs.read_scenario_upload(upload.name, upload.getvalue())
            return data, source, source
        data, source = inputs.load_choice(choice)
        return data, source, inputs.cli_name(choice)
    except SlasimError as exc:
        show_error(exc)
        return None


def command_line(args: list[str]) -> None:
    """The same run on the command line."""
    st.caption(_("The same on the command line:"))
    st.code(shlex.join(args), language="bash")


def warnings(lines) -> None:
    """Warnings carried in a result, each translated."""
    for line in lines:
        st.warning(localized(line))
