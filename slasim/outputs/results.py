"""Formats for `slasim run` results: the headline table, JSON, and CSV files for `--out`.

Every figure is a mean over replications with its 95 % confidence interval (`metrics.confidence`):
Student-t over replications, a share's clipped to [0, 1] (shown as [low, high] when clipped, else as
± half-width). Tables wider than `WIDTH` columns are cut into blocks of columns that fit.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import textwrap
import unicodedata
from pathlib import Path

from tabulate import tabulate

from slasim.io.errors import one_line, terminal_text
from slasim.io.files import OutputSet
from slasim.io.i18n import N_, _, date_text, localized

HEADLINE = (  # (metric, label, kind): the figures shown in tables (labels translated when shown)
    ("arrived", N_("arrived"), "count"),
    ("decided", N_("decided"), "count"),
    ("on_time_promised", N_("on time (promised)"), "share"),
    ("ever_yellow", N_("yellow card"), "share"),
    ("ever_red", N_("red card"), "share"),
    ("past_legal", N_("past legal limit"), "share"),
    ("lead_time_wd_mean", N_("lead time wd (mean)"), "number"),
    ("lead_time_wd_p90", N_("lead time wd (p90)"), "number"),
    ("open_at_end", N_("open at end"), "count"),
    ("pending_at_end", N_("awaiting acceptance at end"), "count"),
    ("accept_wait_wd_mean", N_("wait to acceptance wd (mean)"), "number"),
    ("accept_wait_wd_p90", N_("wait to acceptance wd (p90)"), "number"),
    ("applicant_wait_wd_mean", N_("applicant's wait wd (mean)"), "number"),
    ("applicant_wait_wd_p90", N_("applicant's wait wd (p90)"), "number"),
)
WIDTH = 120  # columns a text table may take before it is cut into blocks
INTERVAL_NOTE = N_(
    "figures: mean ± half-width of the 95% confidence interval across replications (Student-t);\n"
    "a share's interval is clipped to [0%, 100%] and shown as [low, high] when clipped"
)
WAIT_NOTE = N_(
    "waits run from receipt, in working days; a case still waiting at the end counts with its\n"
    "wait so far (a lower bound); acceptance (受理) starts the legal clock (行政许可法 Art. 32)"
)
CHANGE_NOTE = N_(
    "change: reform minus baseline, replication by replication; pp = percentage points;\n"
    "negligible: a clear change that rounds to zero at the precision shown"
)
# a change's verdicts (`sim.compare.verdict`), kept English in JSON and translated in tables
VERDICTS = (
    N_("better"),
    N_("worse"),
    N_("up"),
    N_("down"),
    N_("unchanged"),
    N_("no clear change"),
    N_("n/a"),
    N_("negligible"),
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
        if ci and not math.isclose(ci[1] - mean, mean - ci[0], abs_tol=1e-12):
            return text + f" [{ci[0]:.1%}, {ci[1]:.1%}]"  # clipped at 0 % or 100 %
        return text + (f" ± {(ci[1] - ci[0]) / 2:.1%}" if ci else "")
    fmt = "{:.1f}" if kind == "count" else "{:.2f}"
    return fmt.format(mean) + (f" ± {fmt.format((ci[1] - ci[0]) / 2)}" if ci else "")


def headline_rows(result: dict) -> tuple[list[str], list[list[str]]]:
    """Services as columns (then all services), headline metrics as rows: mean ± CI half-width
    (labels in the chosen language: the rows are for display)."""
    columns = list(result["services"].items())
    if len(columns) > 1:
        columns.append((_("all services"), result["overall"]))
    rows = [
        [_(label)] + [cell(stats.get(key), kind) for _name, stats in columns]
        for key, label, kind in HEADLINE
        if any(key in stats for _, stats in columns)
    ]
    return [_("metric")] + [name for name, _label in columns], rows


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
    return [_("department"), _("utilisation"), _("queue (mean)"), _("queue (max)")], rows


def columns(text: str) -> int:
    """The terminal columns a line takes: two for each wide (CJK) character, one for others."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


NO_LINE_START = set("，。；：、）》」』！？,.;:)]%")  # punctuation kept at the end of a line


def wrap(text: str, width: int, **options) -> list[str]:
    """`textwrap.wrap` by terminal columns: text with wide (CJK) characters, which has no spaces
    between words, may break between any two of them (never before closing punctuation); other
    text is wrapped by `textwrap` as given (`options`: its indents and flags)."""
    if columns(text) == len(text):
        return textwrap.wrap(text, width, **options)
    tokens, run = [], ""
    for ch in text:  # a wide character alone, a run of spaces, a run of other characters
        if unicodedata.east_asian_width(ch) in "WF" or ch.isspace() != run[-1:].isspace():
            tokens.append(run)
            run = ""
        run += ch
        if unicodedata.east_asian_width(ch) in "WF":
            tokens.append(run)
            run = ""
    tokens.append(run)
    lines, line = [], options.get("initial_indent", "")
    indent = options.get("subsequent_indent", "")
    for token in filter(None, tokens):
        if token.isspace():
            line += token.replace("\t", " ") if line.strip() else ""
            continue
        if (
            line.strip()
            and columns(line) + columns(token) > width
            and token[0] not in NO_LINE_START
        ):
            lines.append(line.rstrip())
            line = indent
        line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines


def table(headers: list[str], rows: list[list[str]], keep: int = 1, width: int = WIDTH) -> str:
    """A text table; wider than `width`, cut into blocks of columns (each repeating the first
    `keep`) that fit, one under the other."""
    # Names come from files: each cell one line, its control characters shown escaped.
    headers = [one_line(h) for h in headers]
    rows = [[one_line(c) if isinstance(c, str) else c for c in row] for row in rows]
    text = tabulate(rows, headers=headers, disable_numparse=True)
    if max(map(columns, text.splitlines()), default=0) <= width or len(headers) <= keep + 1:
        return text
    # tabulate's column: its widest cell, at least its header + 2; then 2 spaces to the next.
    widths = [
        max([columns(h) + 2, *(columns(str(r[i])) for r in rows)]) + 2
        for i, h in enumerate(headers)
    ]
    blocks, current, used = [], [], sum(widths[:keep])
    for i in range(keep, len(headers)):
        if current and used + widths[i] > width:
            blocks.append(current)
            current, used = [], sum(widths[:keep])
        current.append(i)
        used += widths[i]
    blocks.append(current)
    return "\n\n".join(
        tabulate(
            [[r[i] for i in [*range(keep), *block]] for r in rows],
            headers=[headers[i] for i in [*range(keep), *block]],
            disable_numparse=True,
        )
        for block in blocks
    )


def headline_table(result: dict) -> str:
    """The headline metrics per service as a text table (services as columns; with too many
    services to fit, services as rows)."""
    headers, rows = headline_rows(result)
    text = table(headers, rows)
    if len(text.split("\n\n")) <= 2:
        return text
    flipped = [[headers[j], *(row[j] for row in rows)] for j in range(1, len(headers))]
    return table([_("service"), *(row[0] for row in rows)], flipped)


def department_table(result: dict) -> str:
    """The per-department metrics as a text table."""
    headers, rows = department_rows(result)
    return table(headers, rows)


def warnings_text(result: dict, where: str | None = None) -> str | None:
    """The result's warnings (e.g. a backlog growing before acceptance), one per line, in the
    chosen language; each after `where` it comes from (a reform, a grid point: a name, shown as
    written) when given."""
    lines = [one_line(localized(line)) for line in result.get("warnings") or []]
    if where is not None:
        lines = [_("{where}: {line}").format(where=one_line(where), line=line) for line in lines]
    return (
        "\n".join(
            "\n".join(
                wrap(
                    _("warning: {message}").format(message=line),
                    WIDTH,
                    subsequent_indent="  ",
                    break_on_hyphens=False,
                )
            )
            for line in lines
        )
        or None
    )


def text_report(result: dict) -> str:
    """The text `slasim run` prints: what was run, headline table, departments."""
    period = result["period"]
    lines = [
        _("{scenario}: {replications} replications, seed {seed}, calendar {calendar}").format(
            scenario=one_line(result["scenario"]),
            replications=result["replications"],
            seed=result["seed"],
            calendar=one_line(result["calendar"]),
        ),
        _("period {first} .. {last} ({days} working days, warm-up {warmup})").format(
            first=date_text(dt.date.fromisoformat(period["first_day"])),
            last=date_text(dt.date.fromisoformat(period["last_day"])),
            days=period["working_days"],
            warmup=period["warmup_days"],
        ),
        (
            _("engine {engine} ({note})").format(
                engine=result["engine"], note=one_line(localized(result["engine_note"]))
            )
            if result.get("engine_note")
            else _("engine {engine}").format(engine=result["engine"])
        ),
    ]
    if result.get("provisional"):
        lines.append(
            _(
                "PROVISIONAL: the period passes the calendar's published years (holidays and "
                "make-up working days not yet announced)"
            )
        )
    head = "\n".join("\n".join(wrap(line, WIDTH)) for line in lines)
    parts = [head, headline_table(result), department_table(result), warnings_text(result)]
    notes = f"{_(INTERVAL_NOTE)}\n{_(WAIT_NOTE)}"
    return terminal_text("\n\n".join(filter(None, [*parts, notes])))


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


def _rounded(value: float, kind: str) -> float:
    """A change at the precision shown: percentage points to 1 decimal for shares, else 2
    decimals; never a negative zero."""
    return round(value * 100, 1) + 0.0 if kind == "share" else round(value, 2) + 0.0


def _signed(value: float, kind: str) -> str:
    """A change as shown, with its sign."""
    if kind == "share":
        return _("{points:+.1f} pp").format(points=_rounded(value, kind))
    return f"{_rounded(value, kind):+.2f}"


def change_cell(change: dict | None, kind: str) -> str:
    """A paired change as table text, with its CI."""
    if not change or change.get("change") is None:
        return "—"
    ci = change.get("ci95")
    text = _signed(change["change"], kind)
    return text + (f" [{_signed(ci[0], kind)}, {_signed(ci[1], kind)}]" if ci else "")


def shown_verdict(change: dict | None, kind: str) -> str:
    """The change's verdict, except that a change which rounds to zero in the table is not called
    better, worse, up or down: it is `negligible` (in the chosen language)."""
    if not change:
        return "—"
    verdict = change.get("verdict", "—")
    if verdict in ("better", "worse", "up", "down") and _rounded(change["change"], kind) == 0:
        return _("negligible")
    return localized(verdict)


def compared(base: dict, reform: dict, metrics, overall: str):
    """A comparison's figures side by side: per scope (each service, then all services, named
    `overall`, when there are several) and each of `metrics` (metric, label, kind) that either side
    has, (scope, label, kind, baseline's, reform's, paired change); a figure a side lacks is None."""
    scopes = [(name, ("services", name)) for name in base["services"]]
    if len(scopes) > 1:
        scopes.append((overall, ("overall",)))
    for scope, path in scopes:
        before, after, change = base, reform["summary"], reform["change"]
        for key in path:
            before, after, change = before.get(key, {}), after.get(key, {}), change.get(key, {})
        for metric, label, kind in metrics:
            if metric in before or metric in after:
                yield scope, label, kind, before.get(metric), after.get(metric), change.get(metric)


def compare_report(result: dict) -> str:
    """Per reform: the headline metrics of each service and overall, baseline → reform, paired change."""
    base = result["baseline"]
    parts = [
        _(
            "{scenario}: baseline and {reforms} reform(s), {replications} paired replications "
            "(common random numbers), seed {seed}"
        ).format(
            scenario=one_line(base["scenario"]),
            reforms=len(result["reforms"]),
            replications=base["replications"],
            seed=base["seed"],
        ),
        warnings_text(base, _("baseline")),
    ]
    for name, reform in result["reforms"].items():
        rows = [
            [
                scope,
                _(title),
                cell(before, kind),
                cell(after, kind),
                change_cell(change, kind),
                shown_verdict(change, kind),
            ]
            for scope, title, kind, before, after, change in compared(
                base, reform, HEADLINE, _("all services")
            )
        ]
        headers = [
            _("service"),
            _("metric"),
            _("baseline"),
            _("reform"),
            _("change [95% CI, paired]"),
            _("verdict"),
        ]
        title = _("reform: {name}").format(name=one_line(name))
        parts.append(title + "\n" + table(headers, rows, keep=2))
        parts.append(warnings_text(reform, name))
    parts.append(_(CHANGE_NOTE) + "\n" + _(WAIT_NOTE))
    return terminal_text("\n\n".join(filter(None, parts)))


def sweep_table(result: dict) -> str:
    """A sweep's grid as a text table (one row per point)."""
    kinds = {metric: kind for metric, _title, kind in HEADLINE}
    titles = {metric: title for metric, title, _kind in HEADLINE}
    metrics = list(result["rows"][0]["overall"])
    rows = [
        [
            *(row["values"][k] for k in result["vary"]),
            *(cell(row["overall"][m], kinds[m]) for m in metrics),
        ]
        for row in result["rows"]
    ]
    headers = [*result["vary"], *(_(titles[m]) for m in metrics)]
    text = table(headers, rows, keep=len(result["vary"]))
    warnings = "\n".join(
        filter(
            None,
            (
                warnings_text(row, ", ".join(f"{k}={v}" for k, v in row["values"].items()))
                for row in result["rows"]
            ),
        )
    )
    return terminal_text("\n\n".join(filter(None, [text, warnings, _(WAIT_NOTE)])))


def sweep_csv(result: dict) -> str:
    """A sweep's grid as CSV (one row per point, mean and CI per metric)."""
    header = [*result["vary"]]
    metrics = list(result["rows"][0]["overall"])
    kinds = {metric: kind for metric, _title, kind in HEADLINE}
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
