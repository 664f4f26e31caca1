"""Text of a fidelity comparison (`slasim fidelity`): real against simulated, and distances."""

from __future__ import annotations

from tabulate import tabulate

SHARES = ("past_promised", "past_legal", "ever_yellow", "ever_red")


def _value(value, share: bool) -> str:
    if value is None or value != value:
        return "n/a"
    return f"{100 * value:.1f}%" if share else f"{value:.3g}"


def _stat(stat: dict, share: bool = False) -> str:
    text = _value(stat.get("mean"), share)
    if stat.get("ci95"):
        text += " [" + ", ".join(_value(v, share) for v in stat["ci95"]) + "]"
    return text


def fidelity_report(result: dict) -> str:
    """The text `slasim fidelity` prints."""
    lines = [
        f"{result['scenario']} against {result['log']}: {result['real_cases']} real cases received "
        f"{result['window'][0]} .. {result['window'][1]}; {result['replications']} replications "
        f"(seed {result['seed']}, engine {result['engine']})",
        "",
    ]
    rows = [
        [m, _value(v["real"], m in SHARES), _stat(v["simulated"], m in SHARES)]
        for m, v in result["measures"].items()
    ]
    lines.append(tabulate(rows, headers=["measure", "real", "simulated [95% CI]"]))
    lines.append("")
    reference = result.get("reference") or {}
    rows = [[k, _stat(v), _value(reference.get(k), False)] for k, v in result["distances"].items()]
    for k, v in (result.get("log_distance_measures") or {}).items():
        rows.append([f"{k} (log-distance-measures)", _stat(v), ""])
    lines.append(
        tabulate(rows, headers=["distance (0 = identical)", "model [95% CI]", "real halves"])
    )
    if result.get("log_distance_measures") is None:
        lines.append(
            "(log-distance-measures not installed: pip install 'slasim[fit]' adds its distances)"
        )
    return "\n".join(lines)
