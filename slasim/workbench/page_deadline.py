"""The Deadline page: when a time limit is due, with `slasim deadline --explain`'s day-by-day
reasoning and the articles it follows."""

from __future__ import annotations

import datetime as dt
import json

import streamlit as st

from slasim.io.errors import SlasimError
from slasim.io.i18n import _, current, date_text, localized
from slasim.workbench import tasks, widgets


def page() -> None:
    st.header(_("Deadline"))
    left, middle, right = st.columns(3)
    start = left.text_input(
        _("Acceptance (YYYY-MM-DD or YYYY-MM-DDTHH:MM)"), "2025-09-26", key="deadline_start"
    )
    limit = middle.text_input(_("Time limit (20wd, 4wh or 30d)"), "20wd", key="deadline_limit")
    names = tasks.calendars()
    calendar = right.selectbox(
        _("Calendar"), names, index=names.index("cn") if "cn" in names else 0, key="deadline_cal"
    )
    text = st.text_input(
        _("Approved extensions, comma-separated (e.g. 10wd; Art. 42)"), "", key="deadline_ext"
    )
    extensions = [part.strip() for part in text.split(",") if part.strip()]
    try:
        result = tasks.deadline(start.strip(), limit.strip(), calendar, extensions)
    except SlasimError as exc:
        widgets.show_error(exc)
        return
    if result.due_date:
        st.metric(_("Due"), date_text(dt.date.fromisoformat(result.due_date)))
    st.write(
        _("due {due} ({limit} from {start}, accepted {accepted}, calendar {calendar})").format(
            due=instant_text(result.due),
            limit=result.limit,
            start=instant_text(result.start),
            accepted=instant_text(result.accepted),
            calendar=result.calendar,
        )
    )
    widgets.warnings(result.warnings)
    if result.explanation:
        from slasim.clock.explain import render_explanation

        st.subheader(_("Day by day"))
        name = result.clock.calendar.shown_name if result.clock else localized
        st.code("\n".join(render_explanation(result.explanation, name)), language=None)
    widgets.command_line(tasks.deadline_args(start.strip(), limit.strip(), calendar, extensions))
    st.download_button(
        _("Download the result (JSON)"),
        json.dumps(result.to_json(), ensure_ascii=False, indent=2),
        file_name="deadline.json",
        mime="application/json",
        key="deadline_download",
    )
    st.session_state["deadline_result"] = result.to_json()


def instant_text(text: str | None) -> str:
    """An ISO date or instant as the command line's text shows it: as is in English,
    `2025年10月30日 17:30 (2025-10-30T17:30)` in Chinese."""
    if not text or current() != "zh":
        return text or "—"
    day, _sep, clock = text.partition("T")
    shown = date_text(dt.date.fromisoformat(day)).split(" (")[0]
    return f"{shown} {clock} ({text})" if clock else f"{shown} ({text})"
