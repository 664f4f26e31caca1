"""Text of a staffing search result (`slasim staff`): the horizon it was judged on, the answer per
reform set with its evidence, the cheaper candidates that failed and why (unstable ones unrun), what
to try when nothing within the bounds meets the targets, and optionally the cost frontier.

Shares print as percentages, their intervals as the search stored them (two-sided Student-t over
replications, clipped to [0 %, 100 %]); a shortfall on a share is in percentage points."""

from __future__ import annotations

import textwrap

from tabulate import tabulate

from slasim.io.errors import one_line, terminal_text


def _number(value: float | None, share: bool) -> str:
    if value is None:
        return "n/a"
    return f"{100 * value:.2f}%" if share else f"{value:.3g}"


def _shortfall(margin: float, share: bool) -> str:
    return f"{100 * -margin:.2f} percentage points" if share else f"{-margin:.3g}"


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


def at_maximum_text(res: dict) -> str:
    """Why the maximum staffing of an infeasible search fails and what to try: each failing target
    with its shortfall (or the department that cannot keep up), the busiest departments' offered
    load and utilisation, and the `--max DEPT=N` worth trying."""
    top = res["at_maximum"]
    if top.get("unstable"):
        failing = [top["unstable"]]
    else:
        failing = [
            f"{t['target']} is {_estimate(t, _is_share(t, t['target']))} ({t['verdict']}, short "
            f"by {_shortfall(t['margin'], _is_share(t, t['target']))}{_unit(t)})"
            for t in top["by_target"]
            if t["verdict"] != "holds"
        ]
    text = f"at the maximum ({_staff(top['staff'])}) " + "; ".join(failing)
    advice = res.get("advice")
    if not advice or not advice["busiest"]:
        return text
    loads = ", ".join(
        f"{one_line(b['department'])} {b['offered_load']:.2f} on {b['staff']:g} staff "
        f"({100 * b['utilisation']:.0f}% busy)"
        for b in advice["busiest"]
    )
    tries = " ".join(
        ("" if b["searched"] else f"--dept {one_line(b['department'])} ")
        + f"--max {one_line(b['department'])}={b['try_max']}"
        for b in advice["busiest"]
    )
    text += f"; offered load: {loads}; try {tries}"
    if advice["peak_utilisation"] < 0.5:
        text += " (no department is half busy: more staff may not help this target)"
    return text


def _wrap(text: str) -> list[str]:
    """A report line indented under its reform set, wrapped to 110 columns."""
    return textwrap.wrap(
        text, 110, initial_indent="  ", subsequent_indent="    ", break_on_hyphens=False
    )


def _horizon(h: dict) -> str:
    text = (
        f"judged on {h['first_day']}..{h['last_day']}: {h['warmup_days']} warm-up + "
        f"{h['measured_days']} measured working days"
    )
    if h["lengthened"]:
        text += (
            f", lengthened from the scenario's {h['scenario_measured_days']} measured days to 5 x "
            f"the longest legal limit ({h['longest_legal_limit_wd']}wd)"
        )
    return text + (" (PROVISIONAL calendar years)" if h["provisional"] else "")


def staffing_report(result: dict, *, frontier: bool = False) -> str:
    """The text `slasim staff` prints."""
    confidence = round(100 * result["confidence"])
    lines = [
        f"{one_line(result['scenario'])}: cheapest staffing meeting {', '.join(result['targets'])} "
        f"with {confidence}% confidence (calendar {result['calendar']}, seed {result['seed']}"
        f"{', PROVISIONAL calendar years' if result['provisional'] else ''})",
        *textwrap.wrap(f"method: {result['method']}", 100, subsequent_indent="  "),
    ]
    for res in result["results"]:
        label = one_line(" + ".join(res["reforms"])) or "baseline"
        lines.append("")
        lines.append(
            f"{label}: {res['candidates_evaluated']} candidates simulated, "
            f"{res['replications_used']} replications ({res['grid_size']} staffings in the bounds)"
        )
        if "horizon" in res:
            lines.extend(
                textwrap.wrap(
                    _horizon(res["horizon"]), 100, initial_indent="  ", subsequent_indent="    "
                )
            )
        if res.get("offered_load"):
            loads = ", ".join(f"{one_line(d)} {x:.2f}" for d, x in res["offered_load"].items())
            text = f"offered load (staff): {loads}"
            lines.extend(textwrap.wrap(text, 100, initial_indent="  ", subsequent_indent="    "))
        if res["staff"] is not None:
            saving = res.get("saving")
            note = f"; saves {saving:g} against the baseline" if saving else ""
            if res["status"] == "budget exhausted":
                note += " (budget exhausted: cheapest accepted so far, not proven least)"
            lines.extend(_wrap(f"staff: {_staff(res['staff'])}  cost {res['cost']:g}{note}"))
            rows = [
                [t["target"], _estimate(t, _is_share(t, t["target"])), t["verdict"], t["n"]]
                for t in res["evidence"]["by_target"]
            ]
            headers = ["target", f"estimate [{confidence}% CI]", "verdict", "reps"]
            lines.extend("  " + line for line in tabulate(rows, headers=headers).splitlines())
        elif res["status"] == "infeasible":
            lines.append("  no staffing within the bounds meets the targets:")
            lines.extend(_wrap(at_maximum_text(res)))
        else:
            lines.append("  budget exhausted before any staffing was accepted")
        for failed in res["failed_cheaper"]:
            if failed["verdict"] == "unstable":
                why = failed["why"]
            else:
                share = _is_share(failed, failed["binding"])
                why = f"{failed['binding']} {failed['verdict']}, {_estimate(failed, share)}"
            text = f"cheaper, rejected: {_staff(failed['staff'])} (cost {failed['cost']:g}): {why}"
            lines.extend(_wrap(text))
        if frontier:
            main = result["target_specs"][0]
            share = main.get("share", main["text"].endswith("%"))
            rows = [
                [
                    c["cost"],
                    textwrap.fill(_staff(c["staff"]), 48, break_on_hyphens=False),
                    _estimate(c[main["text"]], share),
                    "accepted" if c["accepted"] else "rejected",
                    c["replications"],
                ]
                for c in res["frontier"]
            ]
            headers = ["cost", "staff", main["text"], "verdict", "reps"]
            lines.extend("  " + line for line in tabulate(rows, headers=headers).splitlines())
            for c in res.get("unstable", []):
                lines.extend(
                    _wrap(f"not simulated: {_staff(c['staff'])} (cost {c['cost']:g}): {c['why']}")
                )
    return terminal_text("\n".join(lines))  # names one line each (above), no workflow command
