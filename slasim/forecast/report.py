"""A forecast for people (a ranked table and the cards per day) and as a CSV (one row per case)."""

from __future__ import annotations

import csv
import datetime as dt
import io

from slasim.io.i18n import _, date_text, localized
from slasim.outputs.results import table

CSV_COLUMNS = (
    "id",
    "service",
    "step",
    "state",
    "card_now",
    "p_yellow",
    "p_yellow_low",
    "p_yellow_high",
    "yellow_by",
    "p_red",
    "p_red_low",
    "p_red_high",
    "red_by",
    "decision_p50",
    "decision_p90",
    "legal_due_p50",
    "promised_due_p50",
    "binding_desk",
)


def _flat(row: dict) -> dict:
    out = {k: row.get(k) for k in CSV_COLUMNS}
    for level in ("yellow", "red"):
        out[f"p_{level}"] = row[level]["p"]
        out[f"p_{level}_low"], out[f"p_{level}_high"] = row[level]["ci95"]
    return out


def forecast_csv(result: dict) -> str:
    """One row per open case, riskiest first (empty cells: beyond the run, or never)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in result["cases"]:
        writer.writerow({k: ("" if v is None else v) for k, v in _flat(row).items()})
    return buffer.getvalue()


def _share(cell: dict) -> str:
    low, high = cell["ci95"]
    return f"{cell['p']:.0%} [{low:.0%}-{high:.0%}]"


def _day(iso: str | None) -> str:
    return "-" if iso is None else date_text(dt.date.fromisoformat(iso))


def forecast_text(result: dict, top: int = 20) -> str:
    """The forecast as text, in the chosen language: what was run and how far to trust it, the
    cases at risk ranked, the cards per day."""
    if result["open_cases"] == 0:
        received = (result.get("snapshot") or {}).get("received")
        if received is None:
            line = _("No open cases at {as_of}: nothing to forecast.")
        elif received:
            line = _("No open cases at {as_of}: the log's {n} cases received by then are decided.")
        else:
            line = _("No open cases at {as_of}: the log has no case received by then.")
        line = line.format(as_of=result["as_of"], n=received)
        return "\n".join([line] + [localized(w) for w in result["warnings"]])
    lines = [
        _(
            "Forecast of {n} open cases of {scenario} ({calendar} calendar) from {as_of} to "
            "{end} ({horizon})"
        ).format(
            n=result["open_cases"],
            scenario=result["scenario"],
            calendar=result["calendar"],
            as_of=result["as_of"],
            end=result["horizon_end"],
            horizon=result["horizon"],
        ),
        _("engine {engine} ({note}); {reps} replications, seed {seed}").format(
            engine=result["engine"],
            note=localized(result.get("engine_note", "")),
            reps=result["replications"],
            seed=result["seed"],
        )
        + (_("; PROVISIONAL calendar years") if result["provisional"] else ""),
        _(
            "expected among them: {yellow:.1f} yellow or worse, {red:.1f} red, of which new "
            "within the horizon {new_yellow:.1f} and {new_red:.1f} (95% intervals: exact "
            "binomial over replications)"
        ).format(
            yellow=result["expected"]["yellow"],
            red=result["expected"]["red"],
            new_yellow=result["expected_new"]["yellow"],
            new_red=result["expected_new"]["red"],
        ),
        "",
    ]
    at_risk = [r for r in result["cases"] if r["yellow"]["p"] > 0 or r["red"]["p"] > 0]
    first = (result.get("first_possible") or {}).get("yellow")
    if result["expected_new"]["yellow"] == 0 and (first is None or first > result["horizon_end"]):
        lines.append(
            _(
                "No open case can reach a new yellow card within the horizon: the first could "
                "come at {first}, were it still open then. The horizon is too short to judge; "
                "lengthen --horizon."
            ).format(first=first or "-")
        )
    rows = [
        [
            row["id"][:14],
            row["service"][:16],
            localized(row["card_now"]),
            _share(row["yellow"]),
            _share(row["red"]),
            _day(row["red_by"]),
            row.get("binding_desk") or "-",
            row["decision_p50"] or _("after {instant}").format(instant=result["run_until"]),
        ]
        for row in at_risk[:top]
    ]
    headings = [
        _("open case"),
        _("service"),
        _("card now"),
        _("P(yellow)"),
        _("P(red)"),
        _("red by"),
        _("binding desk"),
    ]
    if rows:
        lines.append(table(headings + [_("decision p50")], rows))
    left = len(at_risk) - min(top, len(at_risk))
    quiet = len(result["cases"]) - len(at_risk)
    if left or quiet:
        lines.append(
            _("({left} more at risk, {quiet} with no card in any replication)").format(
                left=left, quiet=quiet
            )
        )
    fired = any(day[lv]["mean"] for day in result["cards_per_day"] for lv in ("yellow", "red"))
    if fired:
        lines += ["", _("cards fired per working day (all cases, new ones too): mean [95% CI]")]
        day_rows = []
        for day in result["cards_per_day"]:
            cells = [date_text(dt.date.fromisoformat(day["day"]))]
            for level in ("yellow", "red"):
                c = day[level]
                ci = c["ci95"] or [c["mean"], c["mean"]]
                cells.append(f"{c['mean']:.2f} [{ci[0]:.2f}, {ci[1]:.2f}]")
            day_rows.append(cells)
        lines.append(table([_("working day"), localized("yellow"), localized("red")], day_rows))
    else:
        lines += ["", _("No card fires on any working day of the horizon in any replication.")]
    if "prevent" in result:
        lines += ["", *prevent_lines(result["prevent"])]
    lines += [_("warning: {message}").format(message=localized(w)) for w in result["warnings"]]
    return "\n".join(lines)


def _mean_ci(stat: dict) -> str:
    ci = stat["ci95"] or [stat["mean"], stat["mean"]]
    return f"{stat['mean']:.2f} [{ci[0]:.2f}, {ci[1]:.2f}]"


def prevent_lines(prevent: dict) -> list[str]:
    """The desks ranked by the reds one more staff there would prevent (or, with a target, the
    cheapest change that meets it)."""
    if "target" in prevent:
        return target_lines(prevent)
    if not prevent["open_red"]["mean"] and not prevent["all_red"]["mean"]:
        return [_("No red card within the horizon in any replication: nothing to prevent.")]
    lines = [
        _(
            "One more staff at a desk for {days} working days from the snapshot (same random "
            "numbers): red cards prevented, mean [95% CI]; without a change {open} of the open "
            "cases are red at the horizon's end, and {all} red cards fire within it"
        ).format(
            days=prevent["days"],
            open=_mean_ci(prevent["open_red"]),
            all=_mean_ci(prevent["all_red"]),
        )
    ]
    rows = [
        [
            row["department"],
            str(row["staff"]),
            _mean_ci(row["prevented"]),
            _mean_ci(row["prevented_all"]),
        ]
        for row in prevent["candidates"]
    ]
    headings = [_("desk"), _("staff"), _("reds prevented (open cases)"), _("reds prevented (all)")]
    lines.append(table(headings, rows))
    return lines


def _score(value) -> str:
    return "-" if value is None else f"{value:.4f}"


def backtest_text(result: dict) -> str:
    """A backtest as text, in the chosen language: what was run, then per level the Brier scores
    beside the baselines and the reliability by decile."""
    lines = [
        _("Backtest of {scenario} on {log}: {n} as-of instants, horizon {horizon}").format(
            scenario=result["scenario"],
            log=result["log"],
            n=len(result["as_of"]),
            horizon=result["horizon"],
        ),
        _("engine {engine} ({note}); {reps} replications, seed {seed}").format(
            engine=result.get("engine", "-"),
            note=localized(result.get("engine_note", "-")),
            reps=result["replications"],
            seed=result["seed"],
        )
        + (_("; PROVISIONAL calendar years") if result["provisional"] else ""),
    ]
    for point in result["as_of"]:
        counts = point["scored"]
        scored = _("yellow {yellow}, red {red}").format(**counts) if counts else "-"
        lines.append(
            "  "
            + _("{as_of}: {n} open cases; scored: {scored}").format(
                as_of=point["as_of"], n=point["open_cases"], scored=scored
            )
        )
    for level, score in result["levels"].items():
        brier, ratio = score["brier"], score["ratio"]
        lines += [
            "",
            _(
                "{level} within the horizon (cases not at it yet): {cases} scored, "
                "{observed} reached it"
            ).format(level=localized(level), cases=score["cases"], observed=score["observed"]),
            "  "
            + _(
                "Brier score: forecast {forecast}, historic share {share}, by elapsed fraction "
                "{elapsed}"
            ).format(
                forecast=_score(brier["forecast"]),
                share=_score(brier["historic_share"]),
                elapsed=_score(brier["by_elapsed"]),
            ),
            "  "
            + _(
                "forecast / baseline: {share} and {elapsed} (below 1: the forecast is better)"
            ).format(share=_score(ratio["historic_share"]), elapsed=_score(ratio["by_elapsed"])),
        ]
        for row in score["reliability"]:
            lines.append(
                "  "
                + _(
                    "predicted {bin}: {n} cases, mean {predicted:.3f}, observed {observed:.3f}"
                ).format(**row)
            )
    lines += [_("warning: {message}").format(message=localized(w)) for w in result["warnings"]]
    return "\n".join(lines)


def _change_text(change: dict) -> str:
    moved = change["moved_staff_days"] > 0
    parts = []
    for desk in change["desks"]:
        if moved and desk["staff"] < 0:
            continue
        line = _("{staff} more at {desk} for {days} working days (until {until})")
        if moved:
            line = _(
                "{staff} moved from {origin} to {desk} for {days} working days (until {until})"
            )
        parts.append(
            line.format(
                staff=abs(desk["staff"]),
                desk=desk["department"],
                days=desk["days"],
                until=desk["until"],
                origin=next((d["department"] for d in change["desks"] if d["staff"] < 0), "-"),
            )
        )
    return _("; ").join(parts)


def target_lines(prevent: dict) -> list[str]:
    """`--prevent red<=N`: the cheapest change found, or why none, with its evidence."""
    scope = (
        _("new cards of today's open cases")
        if prevent["scope"] == "open"
        else _("cards fired within the horizon, new cases too")
    )
    key = "open_new" if prevent["scope"] == "open" else "all"
    before = prevent["before"]
    head = _(
        "Target {target} ({level}: {scope}); {reps} replications on the forecast's random "
        "numbers, judged by the one-sided {confidence:.0%} upper bound"
    ).format(
        target=prevent["target"],
        level=localized(prevent["level"]),
        scope=scope,
        reps=prevent["replications"],
        confidence=prevent["confidence"],
    )
    lines = [head]
    without = _("without a change: {mean} expected, upper bound {upper:.2f}").format(
        mean=_mean_ci(before[key]), upper=before["upper_bound"]
    )
    if not prevent["needed"]:
        return lines + [without + _("; the target holds already: no change needed.")]
    lines.append(without)
    change = prevent["change"]
    if change is None:
        best = prevent["best"]
        if best is None:
            return lines + [
                _(
                    "No change within the bounds could be tried: each would leave a desk with no "
                    "staff."
                )
            ]
        line = _(
            "No change within the bounds meets {target}: the best found, {change}, leaves "
            "{after} (upper bound {upper:.2f}); try a larger --prevent-max, a longer --horizon "
            "or a looser target."
        )
        if (
            best["upper_bound"] >= before["upper_bound"]
            and best[key]["mean"] >= before[key]["mean"]
        ):
            line = _(
                "No change within the bounds meets {target}: none lowers the cards counted (the "
                "best found, {change}, leaves {after}); they are beyond the staff's reach (a case "
                "already late at its desk, say): try a looser target."
            )
        elif prevent["budget_spent"]:
            line = _(
                "No change meeting {target} among the {tried} candidates tried (the search stops "
                "there): the best found, {change}, leaves {after} (upper bound {upper:.2f}); try "
                "a shorter --horizon or fewer desks in --movable."
            )
        return lines + [
            line.format(
                target=prevent["target"],
                change=_change_text(best),
                after=_mean_ci(best[key]),
                upper=best["upper_bound"],
                tried=prevent["candidates_tried"],
            )
        ]
    cost = (
        _("{n} extra staff-days").format(n=change["staff_days"])
        if not change["moved_staff_days"]
        else _("no extra staff-days ({n} staff-days moved)").format(n=change["moved_staff_days"])
    )
    lines.append(
        _("Cheapest change that meets it: {cost}: {change}").format(
            cost=cost, change=_change_text(change)
        )
    )
    lines.append(
        _(
            "with it: {after} expected, upper bound {upper:.2f}; prevented {prevented} (paired, "
            "mean [95% CI]); {tried} candidates tried"
        ).format(
            after=_mean_ci(change[key]),
            upper=change["upper_bound"],
            prevented=_mean_ci(change["prevented_" + prevent["scope"]]),
            tried=prevent["candidates_tried"],
        )
    )
    return lines
