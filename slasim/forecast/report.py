"""A forecast for people (a ranked table and the cards per day) and as a CSV (one row per case)."""

from __future__ import annotations

import csv
import io

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
    return f"{cell['p']:4.0%} [{low:.0%}-{high:.0%}]"


def forecast_text(result: dict, top: int = 20) -> str:
    """The forecast as text: what was run, the cases at risk ranked, the cards per day."""
    lines = [
        f"Forecast of {result['open_cases']} open cases of {result['scenario']} "
        f"({result['calendar']} calendar) from {result['as_of']} to {result['horizon_end']} "
        f"({result['horizon']})",
        f"engine {result['engine']} ({result.get('engine_note', '')}); "
        f"{result['replications']} replications, seed {result['seed']}"
        + ("; PROVISIONAL calendar years" if result["provisional"] else ""),
        f"expected among them: {result['expected']['yellow']:.1f} yellow or worse, "
        f"{result['expected']['red']:.1f} red, of which new within the horizon "
        f"{result['expected_new']['yellow']:.1f} and {result['expected_new']['red']:.1f} "
        "(95% intervals: exact binomial over replications)",
        "",
        f"{'case':<14} {'service':<16} {'now':<7} {'P(yellow)':<17} {'P(red)':<17} "
        f"{'red by':<11} decision p50",
    ]
    at_risk = [r for r in result["cases"] if r["yellow"]["p"] > 0 or r["red"]["p"] > 0]
    for row in at_risk[:top]:
        lines.append(
            f"{row['id'][:14]:<14} {row['service'][:16]:<16} {row['card_now']:<7} "
            f"{_share(row['yellow']):<17} {_share(row['red']):<17} {row['red_by'] or '-':<11} "
            f"{row['decision_p50'] or 'after ' + result['run_until']}"
        )
    left = len(at_risk) - min(top, len(at_risk))
    quiet = len(result["cases"]) - len(at_risk)
    if left or quiet:
        lines.append(f"({left} more at risk, {quiet} with no card in any replication)")
    lines += ["", "cards fired per working day (all cases, new ones too): mean [95% CI]"]
    for day in result["cards_per_day"]:
        cells = []
        for level in ("yellow", "red"):
            c = day[level]
            ci = c["ci95"] or [c["mean"], c["mean"]]
            cells.append(f"{level} {c['mean']:.2f} [{ci[0]:.2f}, {ci[1]:.2f}]")
        lines.append(f"  {day['day']}  " + "   ".join(cells))
    lines += [f"warning: {w}" for w in result["warnings"]]
    return "\n".join(lines)


def _score(value) -> str:
    return "-" if value is None else f"{value:.4f}"


def backtest_text(result: dict) -> str:
    """A backtest for people: what was run, then per level the Brier scores and reliability."""
    lines = [
        f"Backtest of {result['scenario']} on {result['log']}: {len(result['as_of'])} as-of "
        f"instants, horizon {result['horizon']}, {result['replications']} replications, "
        f"seed {result['seed']}"
        + ("; PROVISIONAL calendar years" if result["provisional"] else ""),
    ]
    for point in result["as_of"]:
        scored = ", ".join(f"{lv} {n}" for lv, n in point["scored"].items()) or "none"
        lines.append(f"  {point['as_of']}: {point['open_cases']} open cases; scored: {scored}")
    for level, score in result["levels"].items():
        brier, ratio = score["brier"], score["ratio"]
        lines += [
            "",
            f"{level} within the horizon (cases not at it yet): {score['cases']} scored, "
            f"{score['observed']} reached it",
            f"  Brier score: forecast {_score(brier['forecast'])}, historic share "
            f"{_score(brier['historic_share'])}, by elapsed fraction {_score(brier['by_elapsed'])}",
            f"  forecast / baseline: {_score(ratio['historic_share'])} and "
            f"{_score(ratio['by_elapsed'])} (below 1: the forecast is better)",
        ]
        for row in score["reliability"]:
            lines.append(
                f"  predicted {row['bin']}: {row['n']} cases, mean {row['predicted']:.3f}, "
                f"observed {row['observed']:.3f}"
            )
    lines += [f"warning: {w}" for w in result["warnings"]]
    return "\n".join(lines)
