"""Text of a staffing search result (`slasim staff`): the horizon it was judged on, the answer per
reform set with its evidence, the cheaper candidates that failed and why (unstable ones unrun), what
to try when nothing within the bounds meets the targets, and optionally the cost frontier.

Shares print as percentages, their intervals as the search stored them (two-sided Student-t over
replications, clipped to [0 %, 100 %]); a shortfall on a share is in percentage points."""

from __future__ import annotations

import datetime as dt

from tabulate import tabulate

from slasim.clock.explain import listed
from slasim.io.errors import one_line, terminal_text
from slasim.io.i18n import N_, Text, _, date_text, localized
from slasim.outputs.results import wrap

# a target's and a candidate's verdicts (`staffing.targets`, `staffing.search`), kept English in
# JSON and translated where shown
VERDICTS = (N_("holds"), N_("fails"), N_("undecided"), N_("unstable"))


def joined(parts, comma: bool = False) -> str:
    """Parts joined by `; ` (by `, ` with `comma`) as one `Text`, each part translated where
    shown; "" for none."""
    parts = list(parts)
    if not parts:
        return ""
    text = parts[-1]
    for part in reversed(parts[:-1]):
        if comma:
            text = Text("{first}, {rest}", first=part, rest=text)
        else:
            text = Text("{first}; {rest}", first=part, rest=text)
    return text


def _number(value: float | None, share: bool) -> str:
    if value is None:
        return "n/a"
    return f"{100 * value:.2f}%" if share else f"{value:.3g}"


def _shortfall(margin: float, share: bool) -> str:
    if share:
        return Text("{points:.2f} percentage points", points=100 * -margin)
    return f"{-margin:.3g}"


def _unit(row: dict) -> str:
    """The metric's own unit after a number (" wd", " h"; nothing for shares and counts)."""
    return f" {row['unit']}" if row.get("unit") else ""


def _estimate(row: dict, share: bool) -> str:
    text = _number(row.get("mean"), share)
    if row.get("ci"):
        low, high = (_number(v, share) for v in row["ci"])
        text += f" [{low}, {high}]"
    return text


def _is_share(row: dict, target: str) -> bool:
    """Whether a row's target is a share (results before the flag: a target written with %)."""
    return row.get("share", target.strip().endswith("%"))


def _staff(staff: dict) -> str:
    return ", ".join(f"{one_line(name)}={n}" for name, n in staff.items())


def at_maximum_text(res: dict) -> Text:
    """Why the maximum staffing of an infeasible search fails and what to try: each failing target
    with its shortfall (or the department that cannot keep up), the busiest departments' offered
    load and utilisation, and the `--max DEPT=N` worth trying (English as a `Text`, shown in the
    chosen language)."""
    top = res["at_maximum"]
    if top.get("unstable"):
        failing = [top["unstable"]]
    else:
        failing = [
            Text(
                "{target} is {estimate} ({verdict}, short by {shortfall}{unit})",
                target=t["target"],
                estimate=_estimate(t, _is_share(t, t["target"])),
                verdict=Text(t["verdict"]),  # one of VERDICTS, translated where shown
                shortfall=_shortfall(t["margin"], _is_share(t, t["target"])),
                unit=_unit(t),
            )
            for t in top["by_target"]
            if t["verdict"] != "holds"
        ]
    text = Text(
        "at the maximum ({staff}) {failing}", staff=_staff(top["staff"]), failing=joined(failing)
    )
    advice = res.get("advice")
    if not advice or not advice["busiest"]:
        return text
    loads = joined(
        (
            Text(
                "{department} {load:.2f} on {staff:g} staff ({busy:.0f}% busy)",
                department=one_line(b["department"]),
                load=b["offered_load"],
                staff=b["staff"],
                busy=100 * b["utilisation"],
            )
            for b in advice["busiest"]
        ),
        comma=True,
    )
    tries = " ".join(
        ("" if b["searched"] else f"--dept {one_line(b['department'])} ")
        + f"--max {one_line(b['department'])}={b['try_max']}"
        for b in advice["busiest"]
    )
    text = Text("{text}; offered load: {loads}; try {tries}", text=text, loads=loads, tries=tries)
    if advice["peak_utilisation"] < 0.5:
        text = Text(
            "{text} (no department is half busy: more staff may not help this target)", text=text
        )
    return text


def _wrap(text: str) -> list[str]:
    """A report line indented under its reform set, wrapped to 110 columns."""
    return wrap(text, 110, initial_indent="  ", subsequent_indent="    ", break_on_hyphens=False)


def _horizon(h: dict) -> str:
    text = _(
        "judged on {first}..{last}: {warmup} warm-up + {measured} measured working days"
    ).format(
        first=_day(h["first_day"]),
        last=_day(h["last_day"]),
        warmup=h["warmup_days"],
        measured=h["measured_days"],
    )
    if h["lengthened"]:
        text += _(
            ", lengthened from the scenario's {measured} measured days to 5 x the longest legal "
            "limit ({limit}wd)"
        ).format(measured=h["scenario_measured_days"], limit=h["longest_legal_limit_wd"])
    return text + (_(" (PROVISIONAL calendar years)") if h["provisional"] else "")


def _day(iso: str) -> str:
    """An ISO day as a reader of the chosen language expects it."""
    return date_text(dt.date.fromisoformat(str(iso)))


def _table(rows: list[list], headers: list[str]) -> list[str]:
    return ["  " + line for line in tabulate(rows, headers=headers).splitlines()]


def staffing_report(result: dict, *, frontier: bool = False) -> str:
    """The text `slasim staff` prints (in the chosen language)."""
    confidence = round(100 * result["confidence"])
    head = _(
        "{scenario}: cheapest staffing meeting {targets} with {confidence}% confidence "
        "(calendar {calendar}, seed {seed}{provisional})"
    ).format(
        scenario=one_line(result["scenario"]),
        targets=localized(listed([localized(t) for t in result["targets"]])),
        confidence=confidence,
        calendar=result["calendar"],
        seed=result["seed"],
        provisional=_(", PROVISIONAL calendar years") if result["provisional"] else "",
    )
    method = _("method: {method}").format(method=localized(result["method"]))
    lines = [head, *wrap(method, 100, subsequent_indent="  ")]
    for res in result["results"]:
        label = one_line(" + ".join(res["reforms"])) or _("baseline")
        lines.append("")
        lines.append(
            _(
                "{label}: {candidates} candidates simulated, {replications} replications "
                "({grid} staffings in the bounds)"
            ).format(
                label=label,
                candidates=res["candidates_evaluated"],
                replications=res["replications_used"],
                grid=res["grid_size"],
            )
        )
        if "horizon" in res:
            lines.extend(
                wrap(_horizon(res["horizon"]), 100, initial_indent="  ", subsequent_indent="    ")
            )
        if res.get("offered_load"):
            loads = ", ".join(f"{one_line(d)} {x:.2f}" for d, x in res["offered_load"].items())
            text = _("offered load (staff): {loads}").format(loads=loads)
            lines.extend(wrap(text, 100, initial_indent="  ", subsequent_indent="    "))
        if res["staff"] is not None:
            saving = res.get("saving")
            note = (
                _("; saves {saving:g} against the baseline").format(saving=saving) if saving else ""
            )
            if res["status"] == "budget exhausted":
                note += _(" (budget exhausted: cheapest accepted so far, not proven least)")
            lines.extend(
                _wrap(
                    _("staff: {staff}  cost {cost:g}{note}").format(
                        staff=_staff(res["staff"]), cost=res["cost"], note=note
                    )
                )
            )
            rows = [
                [t["target"], _estimate(t, _is_share(t, t["target"])), _(t["verdict"]), t["n"]]
                for t in res["evidence"]["by_target"]
            ]
            headers = [
                _("target"),
                _("estimate [{confidence}% CI]").format(confidence=confidence),
                _("verdict"),
                _("reps"),
            ]
            lines.extend(_table(rows, headers))
        elif res["status"] == "infeasible":
            lines.append("  " + _("no staffing within the bounds meets the targets:"))
            lines.extend(_wrap(localized(at_maximum_text(res))))
        else:
            lines.append("  " + _("budget exhausted before any staffing was accepted"))
        for failed in res["failed_cheaper"]:
            if failed["verdict"] == "unstable":
                why = localized(failed["why"])
            else:
                share = _is_share(failed, failed["binding"])
                why = f"{failed['binding']} {_(failed['verdict'])}, {_estimate(failed, share)}"
            text = _("cheaper, rejected: {staff} (cost {cost:g}): {why}").format(
                staff=_staff(failed["staff"]), cost=failed["cost"], why=why
            )
            lines.extend(_wrap(text))
        if frontier:
            main = result["target_specs"][0]
            share = main.get("share", main["text"].endswith("%"))
            rows = [
                [
                    c["cost"],
                    "\n".join(wrap(_staff(c["staff"]), 48, break_on_hyphens=False)),
                    _estimate(c[main["text"]], share),
                    _("accepted") if c["accepted"] else _("rejected"),
                    c["replications"],
                ]
                for c in res["frontier"]
            ]
            headers = [_("cost"), _("staff"), main["text"], _("verdict"), _("reps")]
            lines.extend(_table(rows, headers))
            for c in res.get("unstable", []):
                text = _("not simulated: {staff} (cost {cost:g}): {why}").format(
                    staff=_staff(c["staff"]), cost=c["cost"], why=localized(c["why"])
                )
                lines.extend(_wrap(text))
    return terminal_text("\n".join(lines))  # names one line each (above), no workflow command
