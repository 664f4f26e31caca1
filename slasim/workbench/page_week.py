"""The This-week page: today's open cases (uploaded, the shipped example, or a case log's open
cases at an instant) → `slasim forecast`'s risk per case and cards per day, and what staff set
over the horizon would prevent (the same forecast with `--set departments.D.staff=N`), or the
cheapest dated staff change that keeps the open cases' red cards at most N (`--prevent red<=N`)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import streamlit as st

from slasim.io.errors import SlasimError
from slasim.io.i18n import N_, _
from slasim.scenario.loader import apply_overrides
from slasim.workbench import inputs, tasks, whatif, widgets

CARDS = (N_("green"), N_("blue"), N_("yellow"), N_("orange"), N_("red"))  # a case's card now


def page() -> None:
    st.header(_("This week"))
    picked = widgets.pick_scenario()
    if picked is None:
        return
    data, source, name = picked
    kinds = {"open": _("An open-cases file"), "log": _("A case log, at an instant")}
    kind = st.radio(
        _("The open cases from"),
        list(kinds),
        format_func=kinds.get,
        horizontal=True,
        key="week_from",
    )
    given = open_cases(name) if kind == "open" else case_log()
    if given is None:
        return
    left, middle, right, far = st.columns(4)
    label = (
        _("As of (default: the file's)") if kind == "open" else _("As of (an instant of the log)")
    )
    as_of = left.text_input(label, "", key=f"week_as_of:{kind}").strip()
    horizon = middle.text_input(_("Horizon"), "10wd", key="week_horizon").strip()
    reps = right.number_input(
        _("Replications"), 2, 1000, max(int(data.get("replications", 10)), 2), key="week_reps"
    )
    seed = far.number_input(_("Random seed"), 0, value=int(data.get("seed", 0)), key="week_seed")
    with st.expander(_("What would prevent it: staff over the horizon")):
        overrides = [
            f"departments.{dept}.staff={n}"
            for dept, today in whatif.desks(data).items()
            if (n := int(st.number_input(dept, 1, 1000, today, key=f"week_staff:{name}:{dept}")))
            != today
        ]
        search = st.checkbox(
            _("Or find the cheapest staff change that meets a target for the open cases"),
            key="week_prevent",
        )
        bound = st.number_input(
            _("Target: red cards among the open cases, at most"),
            0,
            10_000,
            0,
            key="week_prevent_bound",
            disabled=not search,
        )
    prevent = f"red<={int(bound)}" if search else None
    shown_name, content, shipped = given
    if shipped is None:
        shown_name = inputs.safe_name(shown_name)
    options = {"as_of": as_of or None, "horizon": horizon, "reps": int(reps), "seed": int(seed)}
    state = json.dumps(
        [
            data,
            source,
            kind,
            shown_name,
            hashlib.sha256(content).hexdigest(),
            options,
            overrides,
            prevent,
        ],
        sort_keys=True,
        default=str,
    )
    if st.button(_("Forecast"), type="primary", key="week_run"):
        try:
            with st.spinner(_("Simulating the open cases…")):
                result, other = run(data, source, kind, given, options, overrides, prevent)
        except SlasimError as exc:
            widgets.show_error(exc)
            return
        st.session_state["week_result"] = result
        st.session_state["week_other"] = other
        st.session_state["week_inputs"] = state
    if "week_result" not in st.session_state:
        return
    if st.session_state.get("week_inputs") != state:
        st.info(
            _("The inputs changed since the last forecast: press Forecast to see their results.")
        )
        return
    result, other = st.session_state["week_result"], st.session_state["week_other"]
    if kind == "open":
        args = tasks.forecast_args(name, shown_name, as_of, horizon, int(reps), int(seed))
    else:
        args = tasks.forecast_log_args(name, shown_name, as_of, horizon, int(reps), int(seed))
    if "prevent" in result:
        cheapest(result["prevent"])
        widgets.command_line([*args, "--prevent", prevent])
    if other is not None:
        prevented(result, other)
        extra = [part for item in overrides for part in ("--set", item)]
        widgets.command_line([*args, *extra, "--json"])
    show(result)
    widgets.command_line(args)
    st.download_button(
        _("Download the results (JSON)"),
        json.dumps(result, ensure_ascii=False, indent=2),
        file_name="forecast.json",
        mime="application/json",
        key="week_download",
    )


def open_cases(name: str) -> tuple[str, bytes, Path | None] | None:
    """The open cases uploaded, else the shipped example for a shipped centre (name, content,
    and the shipped file's path)."""
    upload = st.file_uploader(
        _("Open cases (YAML, JSON or CSV; see slasim forecast --schema)"),
        type=["yaml", "yml", "json", "csv"],
        key="open_upload",
    )
    if upload is not None:
        return upload.name, upload.getvalue(), None
    example = tasks.shipped_open_cases(name)
    if example is None:
        st.info(_("Upload today's open cases to forecast their cards."))
        return None
    st.caption(_("The shipped example of open cases for this centre:") + f" {example.name}")
    return str(example), example.read_bytes(), example


def case_log() -> tuple[str, bytes, None] | None:
    """A case log uploaded here, else the one used on From our log (name, content)."""
    upload = st.file_uploader(
        _("Case log (CSV, CSV.gz or XES; at most {mb} MB)").format(mb=inputs.MAX_UPLOAD_MB),
        type=["csv", "gz", "xes"],
        key="week_log_upload",
    )
    if upload is not None:
        return upload.name, upload.getvalue(), None
    kept = st.session_state.get("log_fit")
    if kept is None or "content" not in kept:
        st.info(_("Upload a case log, or fit one on From our log: it is used here too."))
        return None
    st.caption(_("The case log used on From our log:") + f" {kept['log']}")
    return kept["log"], kept["content"], None


def run(data, source, kind, given, options, overrides, prevent) -> tuple[dict, dict | None]:
    """The forecast with today's staff (with the cheapest change's search when `prevent` is a
    target), and with the staff set (None when none is set)."""
    name, content, shipped = given
    if kind == "log" and not options["as_of"]:
        raise SlasimError("give the snapshot instant of the log: --as-of", field="--as-of")
    call = tasks.forecast if kind == "open" else tasks.forecast_from_log

    def both(path) -> tuple[dict, dict | None]:
        today = call(data, source, path, **options, prevent=prevent)
        if not overrides:
            return today, None
        changed = apply_overrides(data, overrides, source)
        return today, call(changed, source, path, **options)

    if shipped is not None:
        return both(shipped)  # the shipped example, read where it is
    return inputs.read_upload(name, content, both)


def cheapest(prevent: dict) -> None:
    """The cheapest dated staff change that meets the target, as `forecast --prevent red<=N`
    prints it (or why there is none)."""
    from slasim.forecast.report import prevent_lines

    st.subheader(_("The cheapest change"))
    st.code("\n".join(prevent_lines(prevent)), language=None)


def prevented(today: dict, changed: dict) -> None:
    """Expected cards among the open cases with today's staff and with the staff set, and each
    case's chance of a red card both ways."""
    st.subheader(_("With the staff set"))
    st.table(
        {
            "": [_("yellow or worse"), _("red")],
            _("Today's staff"): [f"{today['expected'][k]:.1f}" for k in ("yellow", "red")],
            _("Staff set"): [f"{changed['expected'][k]:.1f}" for k in ("yellow", "red")],
        },
        hide_index=True,
    )
    other = {c["id"]: c for c in changed["cases"]}
    rows = [c for c in today["cases"] if c["red"]["p"] > 0 or other[c["id"]]["red"]["p"] > 0]
    if rows:
        st.table(
            {
                _("Case"): [c["id"] for c in rows],
                _("Chance of a red card, today's staff"): [f"{c['red']['p']:.0%}" for c in rows],
                _("Chance of a red card, staff set"): [
                    f"{other[c['id']]['red']['p']:.0%}" for c in rows
                ],
            },
            hide_index=True,
        )


def show(result: dict) -> None:
    from slasim.forecast.report import forecast_text

    widgets.warnings(result.get("warnings") or [])
    st.subheader(_("Risk per open case"))
    rows = sorted(result["cases"], key=lambda c: (-c["red"]["p"], -c["yellow"]["p"]))
    st.table(
        {
            _("Case"): [c["id"] for c in rows],
            _("Service"): [c["service"] for c in rows],
            _("Step"): [c.get("step") or "—" for c in rows],
            _("Card now"): [_(c["card_now"]) for c in rows],
            _("Chance of a yellow card"): [f"{c['yellow']['p']:.0%}" for c in rows],
            _("Chance of a red card"): [f"{c['red']['p']:.0%}" for c in rows],
            _("Red by"): [c.get("red_by") or "—" for c in rows],
        },
        hide_index=True,
    )
    st.subheader(_("The forecast in full"))
    st.code(forecast_text(result), language=None)
