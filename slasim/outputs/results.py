"""Formats for `slasim run` results: the headline table, JSON, and CSV files for `--out`.

Every figure is a mean over replications with its 95 % confidence interval (`metrics.confidence`).
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

from tabulate import tabulate

from slasim.io.files import OutputSet

HEADLINE = (  # (metric, label, kind): the figures shown in tables
    ("arrived", "arrived", "count"),
    ("decided", "decided", "count"),
    ("on_time_promised", "on time (promised)", "share"),
    ("ever_yellow", "yellow card", "share"),
    ("ever_red", "red card", "share"),
    ("past_legal", "past legal limit", "share"),
    ("lead_time_wd_mean", "lead time wd (mean)", "number"),
    ("lead_time_wd_p90", "lead time wd (p90)", "number"),
    ("open_at_end", "open at end", "count"),
)


def clean(value):
    """NaN → None, recursively, so the JSON is standard."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def to_json(result: dict) -> str:
    """A result document as indented JSON text."""
    return json.dumps(clean(result), ensure_ascii=False, indent=2)


def cell(stat: dict | None, kind: str) -> str:
    """A metric as table text: mean ± half-width, as a percentage for shares."""
    if not stat or stat.get("mean") is None:
        return "—"
    mean, ci = stat["mean"], stat.get("ci95")
    if kind == "share":
        text = f"{mean:.1%}"
        return text + (f" ± {(ci[1] - ci[0]) / 2:.1%}" if ci else "")
    fmt = "{:.1f}" if kind == "count" else "{:.2f}"
    return fmt.format(mean) + (f" ± {fmt.format((ci[1] - ci[0]) / 2)}" if ci else "")


def headline_rows(result: dict) -> tuple[list[str], list[list[str]]]:
    """Services as columns (then all services), headline metrics as rows: mean ± CI half-width."""
    columns = list(result["services"].items())
    if len(columns) > 1:
        columns.append(("all services", result["overall"]))
    rows = [
        [label] + [cell(stats.get(key), kind) for _, stats in columns]
        for key, label, kind in HEADLINE
        if any(key in stats for _, stats in columns)
    ]
    return ["metric"] + [name for name, _ in columns], rows


def department_rows(result: dict) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the per-department table (utilisation, queues)."""
    rows = [
        [
            name,
            cell(d["utilisation"], "share"),
            cell(d["queue_mean"], "number"),
            cell(d["queue_max"], "count"),
        ]
        for name, d in result["departments"].items()
    ]
    return ["department", "utilisation", "queue (mean)", "queue (max)"], rows


def headline_table(result: dict) -> str:
    """The headline metrics per service as a text table."""
    headers, rows = headline_rows(result)
    return tabulate(rows, headers=headers, disable_numparse=True)


def department_table(result: dict) -> str:
    """The per-department metrics as a text table."""
    headers, rows = department_rows(result)
    return tabulate(rows, headers=headers, disable_numparse=True)


def text_report(result: dict) -> str:
    """The text `slasim run` prints: what was run, headline table, departments."""
    period = result["period"]
    head = (
        f"{result['scenario']}: {result['replications']} replications, seed {result['seed']}, "
        f"calendar {result['calendar']}, {period['first_day']} .. {period['last_day']} "
        f"({period['working_days']} working days, warm-up {period['warmup_days']}), engine {result['engine']}"
        + (f" ({result['engine_note']})" if result.get("engine_note") else "")
        + (
            "\nPROVISIONAL: the period passes the calendar's published years (holidays and "
            "make-up working days not yet announced)"
            if result.get("provisional")
            else ""
        )
    )
    return "\n\n".join(
        [
            head,
            headline_table(result),
            department_table(result),
            "figures: mean ± half-width of the 95% confidence interval across replications",
        ]
    )


def _csv(rows: list[list], header: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _flat_rows(groups: dict) -> list[list]:
    rows = []
    for name, metrics in groups.items():
        for metric, stat in metrics.items():
            ci = stat.get("ci95") or [None, None]
            row = [name, metric, stat.get("mean"), ci[0], ci[1], stat.get("n")]
            rows.append(["" if v is None else v for v in clean(row)])
    return rows


def write_outputs(result: dict, out_dir: Path, outputs: OutputSet) -> list[Path]:
    """Stage summary.json, services.csv, steps.csv and departments.csv (long format: one metric
    per row) in `outputs`, which renames them together."""
    out_dir = Path(out_dir)
    header = ["name", "metric", "mean", "ci95_low", "ci95_high", "replications"]
    files = {
        "summary.json": to_json(result),
        "services.csv": _csv(
            _flat_rows({**result["services"], "all services": result["overall"]}), header
        ),
        "steps.csv": _csv(_flat_rows(result["steps"]), header),
        "departments.csv": _csv(_flat_rows(result["departments"]), header),
    }
    written = []
    for name, text in files.items():
        outputs.write(out_dir / name, text)
        written.append(out_dir / name)
    return written


def change_cell(change: dict | None, kind: str) -> str:
    """A paired change as table text, with its CI and verdict."""
    if not change or change.get("change") is None:
        return "—"
    fmt = (lambda v: f"{v * 100:+.1f} pp") if kind == "share" else (lambda v: f"{v:+.2f}")
    ci = change.get("ci95")
    return fmt(change["change"]) + (f" [{fmt(ci[0])}, {fmt(ci[1])}]" if ci else "")


def compare_report(result: dict) -> str:
    """Per reform: the headline metrics of each service and overall, baseline → reform, paired change."""
    base = result["baseline"]
    parts = [
        f"{base['scenario']}: baseline and {len(result['reforms'])} reform(s), {base['replications']} "
        f"paired replications (common random numbers), seed {base['seed']}"
    ]
    for name, reform in result["reforms"].items():
        rows = []
        scopes = [(s, ("services", s)) for s in base["services"]]
        if len(scopes) > 1:
            scopes.append(("all services", ("overall",)))
        for label, path in scopes:
            before, after, change = base, reform["summary"], reform["change"]
            for key in path:
                before, after, change = before.get(key, {}), after.get(key, {}), change.get(key, {})
            for metric, title, kind in HEADLINE:
                if metric in before or metric in after:
                    rows.append(
                        [
                            label,
                            title,
                            cell(before.get(metric), kind),
                            cell(after.get(metric), kind),
                            change_cell(change.get(metric), kind),
                            (change.get(metric) or {}).get("verdict", "—"),
                        ]
                    )
        parts.append(
            f"reform: {name}\n"
            + tabulate(
                rows,
                headers=[
                    "service",
                    "metric",
                    "baseline",
                    "reform",
                    "change [95% CI, paired]",
                    "verdict",
                ],
                disable_numparse=True,
            )
        )
    parts.append(
        "change: reform minus baseline, replication by replication; pp = percentage points"
    )
    return "\n\n".join(parts)


def sweep_table(result: dict) -> str:
    """A sweep's grid as a text table (one row per point)."""
    kinds = {metric: kind for metric, _, kind in HEADLINE}
    titles = {metric: title for metric, title, _ in HEADLINE}
    metrics = list(result["rows"][0]["overall"])
    rows = [
        [
            *(row["values"][k] for k in result["vary"]),
            *(cell(row["overall"][m], kinds[m]) for m in metrics),
        ]
        for row in result["rows"]
    ]
    return tabulate(
        rows, headers=[*result["vary"], *(titles[m] for m in metrics)], disable_numparse=True
    )


def sweep_csv(result: dict) -> str:
    """A sweep's grid as CSV (one row per point, mean and CI per metric)."""
    header = [*result["vary"]]
    metrics = list(result["rows"][0]["overall"])
    kinds = {metric: kind for metric, _, kind in HEADLINE}
    for m in metrics:
        header += [f"{m}_mean", f"{m}_ci95_low", f"{m}_ci95_high"]
    rows = []
    for row in result["rows"]:
        line = [row["values"][k] for k in result["vary"]]
        for m in metrics:
            stat = clean(row["overall"][m])
            ci = list(stat.get("ci95") or [None, None])
            if kinds.get(m) == "share" and ci[0] is not None:  # a share's interval stays in [0, 1]
                ci = [max(0.0, ci[0]), min(1.0, ci[1])]
            line += ["" if v is None else v for v in (stat.get("mean"), ci[0], ci[1])]
        rows.append(line)
    return _csv(rows, header)
