"""Text of a staffing search result (`slasim staff`): the answer per reform set with its evidence,
the cheaper candidates that failed and why, and optionally the cost frontier."""

from __future__ import annotations

import textwrap

from tabulate import tabulate


def _number(value: float | None, share: bool) -> str:
    if value is None:
        return "n/a"
    return f"{100 * value:.2f}%" if share else f"{value:.3g}"


def _estimate(row: dict, share: bool) -> str:
    text = _number(row.get("mean"), share)
    if row.get("ci"):
        low, high = (_number(v, share) for v in row["ci"])
        text += f" [{low}, {high}]"
    return text


def _is_share(target: str) -> bool:
    return target.strip().endswith("%")


def _staff(staff: dict) -> str:
    return ", ".join(f"{name}={n}" for name, n in staff.items())


def staffing_report(result: dict, *, frontier: bool = False) -> str:
    """The text `slasim staff` prints."""
    confidence = round(100 * result["confidence"])
    lines = [
        f"{result['scenario']}: cheapest staffing meeting {', '.join(result['targets'])} "
        f"with {confidence}% confidence (calendar {result['calendar']}, seed {result['seed']}"
        f"{', PROVISIONAL calendar years' if result['provisional'] else ''})",
        *textwrap.wrap(f"method: {result['method']}", 100, subsequent_indent="  "),
    ]
    for res in result["results"]:
        label = " + ".join(res["reforms"]) or "baseline"
        lines.append("")
        lines.append(
            f"{label}: {res['candidates_evaluated']} candidates, {res['replications_used']} "
            f"replications ({res['grid_size']} staffings in the bounds)"
        )
        if res["staff"] is not None:
            saving = res.get("saving")
            note = f"; saves {saving:g} against the baseline" if saving else ""
            if res["status"] == "budget exhausted":
                note += " (budget exhausted: cheapest accepted so far, not proven least)"
            lines.append(f"  staff: {_staff(res['staff'])}  cost {res['cost']:g}{note}")
            rows = [
                [t["target"], _estimate(t, _is_share(t["target"])), t["verdict"], t["n"]]
                for t in res["evidence"]["by_target"]
            ]
            table = tabulate(rows, headers=["target", f"estimate [{confidence}% CI]", "", "reps"])
            lines.extend("  " + line for line in table.splitlines())
        elif res["status"] == "infeasible":
            top = res["at_maximum"]
            lines.append(
                f"  no staffing within the bounds meets the targets; at the maximum ({_staff(top['staff'])}):"
            )
            for t in top["by_target"]:
                if t["verdict"] != "holds":
                    share = _is_share(t["target"])
                    lines.append(
                        f"  {t['target']}: {_estimate(t, share)} ({t['verdict']}, short by "
                        f"{_number(-t['margin'], share)})"
                    )
        else:
            lines.append("  budget exhausted before any staffing was accepted")
        for failed in res["failed_cheaper"]:
            share = _is_share(failed["binding"])
            lines.append(
                f"  cheaper, rejected: {_staff(failed['staff'])} (cost {failed['cost']:g}): "
                f"{failed['binding']} {failed['verdict']}, {_estimate(failed, share)}"
            )
        if frontier:
            main = result["targets"][0].rsplit(" (", 1)[0]
            rows = [
                [
                    c["cost"],
                    _staff(c["staff"]),
                    _estimate(c[main], _is_share(main)),
                    "accepted" if c["accepted"] else "rejected",
                    c["replications"],
                ]
                for c in res["frontier"]
            ]
            table = tabulate(rows, headers=["cost", "staff", main, "", "reps"])
            lines.extend("  " + line for line in table.splitlines())
    return "\n".join(lines)
