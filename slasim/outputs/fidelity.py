"""Text of a fidelity comparison (`slasim fidelity`): for the field's protocol, each measure as
"model mean ± sd, replay, bootstrap, floor, verdict" and a one-line summary; for the window view,
real against simulated (slasim's measures) and the distances beside the real-halves floor. Every
text taken from the files (names, paths, the split) is printed on one line, escaped
(`slasim.io.errors.one_line`), and no line of the report is a CI workflow command."""

from __future__ import annotations

from tabulate import tabulate

from slasim.io.errors import one_line, terminal_text
from slasim.outputs.results import HEADLINE

SHARES = ("past_promised", "past_legal", "ever_yellow", "ever_red")
# `slasim run`'s labels, and those of the measures run does not show
LABELS = {m: label for m, label, _ in HEADLINE} | {
    "past_promised": "past promised limit",
    "wip_mean": "open cases (mean at day's close)",
}


def _value(value, share: bool = False) -> str:
    if value is None or value != value:
        return "n/a"
    return f"{100 * value:.1f}%" if share else f"{value:.3g}"


def _stat(stat: dict | None, share: bool = False) -> str:
    if not stat:
        return "n/a"
    text = _value(stat.get("mean"), share)
    if stat.get("ci95"):
        text += " [" + ", ".join(_value(v, share) for v in stat["ci95"]) + "]"
    return text


def first_n_rows(result: dict) -> list[list[str]]:
    """One row per measure: name, unit, model mean ± sd, replay, bootstrap, floor, verdict with
    the number of test cases it rests on."""
    rows = []
    for name, m in result["measures"].items():
        label = one_line(f"{name} ({m['short']})" if m.get("short") else name)
        model = m["model"]
        rows.append(
            [
                label,
                m["unit"],
                f"{_value(model['mean'])} ± {_value(model['sd'])}",
                _value((m["replay"] or {}).get("mean")),
                _value((m["bootstrap"] or {}).get("mean")),
                _value((m["floor"] or {}).get("mean")),
                f"{m['verdict']} (N={m['cases']})" if "cases" in m else m["verdict"],
            ]
        )
    return rows


FIRST_N_HEADERS = [
    "measure",
    "unit",
    "model (mean ± sd)",
    "replay",
    "bootstrap",
    "floor",
    "verdict",
]


def window_rows(result: dict) -> tuple[list[list[str]], list[list[str]]]:
    """(slasim's measures: real and simulated; distances: model and real halves)."""
    measures = [
        [
            one_line(LABELS.get(m, m)),
            _value(v["real"], m in SHARES),
            _stat(v["simulated"], m in SHARES),
        ]
        for m, v in result["measures"].items()
    ]
    reference = result.get("reference") or {}
    distances = [
        [one_line(k), _stat(v), _value(reference.get(k))] for k, v in result["distances"].items()
    ]
    return measures, distances


def fidelity_report(result: dict) -> str:
    """The text `slasim fidelity` prints, safe for a terminal or a CI log (`terminal_text`)."""
    return terminal_text(_report(result))


def _report(result: dict) -> str:
    t = one_line
    if result["protocol"] == "first-n":
        s = result["settings"]
        lines = [
            f"{t(result['scenario'])} against {t(result['test_log'])} ({t(s['split'])}): the field's "
            f"protocol, {s['cases']} cases from {s['first_start']}, run to completion; "
            f"{s['replications']} replications (seed {s['seed']})",
            "",
            tabulate(first_n_rows(result), headers=FIRST_N_HEADERS),
            "",
            t(result["summary"]),
        ]
        if result.get("unfinished_cases"):
            lines.append(
                f"({result['unfinished_cases']} simulated cases still open after "
                f"{s['horizon_working_days']} working days: scored as they stood)"
            )
        return "\n".join(lines)
    measures, distances = window_rows(result)
    return "\n".join(
        [
            f"{t(result['scenario'])} against {t(result['log'])}: {result['real_cases']} real cases "
            f"received {result['window'][0]} .. {result['window'][1]} (opening at "
            f"{result['window_opens_at']}); {result['replications']} replications "
            f"(seed {result['seed']})",
            f"view: {t(result['view'])}",
            "",
            tabulate(measures, headers=["measure", "real", "simulated [95% CI]"]),
            "",
            tabulate(
                distances, headers=["distance (0 = identical)", "model [95% CI]", "real halves"]
            ),
            "(an interval is clipped at 0, a share's also at 100%)",
        ]
    )
