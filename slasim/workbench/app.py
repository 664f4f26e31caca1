"""The workbench's page script, run by Streamlit on every interaction: the language (a 中文/English
switch, by default `SLASIM_LANG` or the locale), the page chooser, and the chosen page."""

from __future__ import annotations

import streamlit as st

from slasim.io.i18n import _, choose, use

LANGUAGE_NAMES = {"zh": "中文", "en": "English"}


def pages() -> dict:
    """Page id → (title, draw function)."""
    from slasim.workbench import (
        page_centre,
        page_deadline,
        page_log,
        page_staff,
        page_week,
        page_whatif,
    )

    return {
        "whatif": (_("What if"), page_whatif.page),
        "centre": (_("Centre"), page_centre.page),
        "staff": (_("How many staff"), page_staff.page),
        "log": (_("From our log"), page_log.page),
        "week": (_("This week"), page_week.page),
        "deadline": (_("Deadline"), page_deadline.page),
    }


def main() -> None:
    st.set_page_config(page_title="slasim", layout="wide")
    default = choose()
    lang = st.sidebar.radio(
        "中文 / English",
        list(LANGUAGE_NAMES),
        index=list(LANGUAGE_NAMES).index(default),
        format_func=LANGUAGE_NAMES.get,
        horizontal=True,
        key="lang",
    )
    use(lang)
    shown = pages()
    page = st.sidebar.radio(_("Page"), list(shown), format_func=lambda k: shown[k][0], key="page")
    st.sidebar.caption(_("slasim's planner's workbench: runs on this machine only."))
    try:
        shown[page][1]()
    except Exception as exc:  # noqa: BLE001 (Streamlit's own stop and rerun are BaseException)
        from slasim.workbench.widgets import show_error

        show_error(exc)


main()
