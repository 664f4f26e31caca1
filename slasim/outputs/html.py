"""`slasim report`: one self-contained HTML file from a results directory (`run --out`, `compare --out`).

Charts are embedded as inline SVG, tables are plain HTML; the page carries the scenario (and reform)
definitions, the seed, the calendar's provenance for the simulated years and any provisional-date
warning, so it can be mailed or archived on its own.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from slasim.calendar.workcalendar import load_calendar
from slasim.io.errors import SlasimError
from slasim.io.files import read_text_file
from slasim.outputs.results import HEADLINE, cell, change_cell, department_rows, headline_rows

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC",sans-serif;
margin:2rem auto;max-width:72rem;color:#222;padding:0 1rem}h1{font-size:1.6rem}
h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
td,th{border:1px solid #ddd;padding:.25rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}
.warn{background:#fff3cd;border:1px solid #e5b800;padding:.6rem 1rem}
.better{color:#2a7d2a}.worse{color:#c44e52}
figure{margin:1rem 0}pre{background:#f6f6f6;padding:1rem;overflow:auto;font-size:.8rem}
.muted{color:#666;font-size:.85rem}
"""


def _e(value) -> str:
    """Any value from a file, as HTML text: every interpolation in this page goes through here
    or `_p`/`_table` (a `<script>` in summary.json stays text)."""
    return html.escape(str(value))


def _table(headers: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{_e(classes[i])}"' if classes and classes[i] else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _figure(svg: str, caption: str) -> str:
    start = svg.find("<svg")
    return f"<figure>{svg[start:]}<figcaption class='muted'>{_e(caption)}</figcaption></figure>"


def _provenance(result: dict) -> str:
    cal = load_calendar(result["calendar"])
    first, last = (int(result["period"][k][:4]) for k in ("first_day", "last_day"))
    rows = []
    for year in range(first, last + 1):
        notice = cal.spec.years.get(year)
        source = (
            "; ".join(
                f"{k}: {v}"
                for k, v in notice.model_dump(
                    mode="json", exclude_none=True, exclude={"rest", "work"}
                ).items()
            )
            if notice
            else ""
        )
        published = cal.spec.published_through is not None and year <= cal.spec.published_through
        rows.append(
            [
                str(year),
                "published" if published else "PROVISIONAL",
                source or "holidays package data",
            ]
        )
    return (
        f"<p>{_e(cal.spec.title)} (<code>{_e(cal.name)}</code>, time zone "
        f"{_e(cal.spec.timezone)}, published through {_e(cal.spec.published_through)})</p>"
        + _table(["year", "status", "source"], rows)
    )


def _run_section(result: dict) -> str:
    from slasim.outputs import plots

    period = result["period"]
    parts = [
        f"<p>{_e(result['replications'])} replications, seed {_e(result['seed'])}, calendar "
        f"<code>{_e(result['calendar'])}</code>, {_e(period['first_day'])} to "
        f"{_e(period['last_day'])} ({_e(period['working_days'])} working days, warm-up "
        f"{_e(period['warmup_days'])}), engine {_e(result['engine'])}"
        + (f" ({_e(result['engine_note'])})" if result.get("engine_note") else "")
        + ". Figures: mean ± half-width "
        "of the 95% confidence interval across replications.</p>"
    ]
    if result.get("provisional"):
        parts.append(
            "<p class='warn'>The period passes the years this calendar has published: holidays and "
            "make-up days there are provisional, and so are these results.</p>"
        )
    parts.append(_table(*headline_rows(result)))
    parts.append(
        _figure(
            plots.svg_text(plots.card_rates(result["services"], "Cards by service")),
            "Share of accepted cases that ever reached a yellow or a red card (95% CI).",
        )
    )
    parts.append(
        _figure(
            plots.svg_text(plots.lead_times(result)),
            "Lead time from receipt to decision, against the promised and legal limits.",
        )
    )
    parts.append(
        _figure(
            plots.svg_text(plots.utilisation(result)), "Staff utilisation by department (95% CI)."
        )
    )
    if result.get("timeline"):
        parts.append(
            _figure(
                plots.svg_text(plots.timeline(result)),
                "Replication 0 at each working day's close: open cases by card level (the "
                "supervision screen) and queue length by department.",
            )
        )
    parts.append(_table(*department_rows(result)))
    return "".join(parts)


def _compare_section(result: dict) -> str:
    from slasim.outputs import plots

    base = result["baseline"]
    groups = {
        "baseline": base["overall"],
        **{name: r["summary"]["overall"] for name, r in result["reforms"].items()},
    }
    parts = [
        _figure(
            plots.svg_text(plots.card_rates(groups, "Cards, all services: baseline and reforms")),
            "Share of accepted cases that ever reached a yellow or a red card (95% CI).",
        )
    ]
    for name, reform in result["reforms"].items():
        rows, classes = [], []
        for key, label, kind in HEADLINE:
            change = reform["change"]["overall"].get(key)
            if not change:
                continue
            rows.append(
                [
                    label,
                    cell(base["overall"].get(key), kind),
                    cell(reform["summary"]["overall"].get(key), kind),
                    change_cell(change, kind),
                    change["verdict"],
                ]
            )
            classes.append(change["verdict"] if change["verdict"] in ("better", "worse") else "")
        parts.append(f"<h3>Reform: {_e(name)}</h3>")
        parts.append(
            _table(
                [
                    "metric (all services)",
                    "baseline",
                    "reform",
                    "change [95% CI, paired]",
                    "verdict",
                ],
                rows,
                classes,
            )
        )
    parts.append(
        "<p class='muted'>Changes are reform minus baseline replication by replication, with common "
        "random numbers; pp = percentage points.</p>"
    )
    return "".join(parts)


def _p(text: str, cls: str = "") -> str:
    return f"<p{f' class={cls!r}' if cls else ''}>{_e(text)}</p>"


def _estimate(row: dict, share: bool) -> str:
    """A target's estimate with its interval, as the staffing search stored them."""
    if row.get("mean") is None:
        return "n/a"
    fmt = (lambda v: f"{100 * v:.2f}%") if share else (lambda v: f"{v:.3g}")
    text = fmt(row["mean"])
    if row.get("ci"):
        text += " [" + ", ".join(fmt(v) for v in row["ci"]) + "]"
    return text


def _share(row: dict, target: str) -> bool:
    return row.get("share", target.strip().endswith("%"))


def _staffing_section(result: dict) -> str:
    """The search's answer per reform set as tables: staff by department, the evidence per
    target, the cheaper staffings rejected and why; the frontier chart first."""
    from slasim.outputs import plots
    from slasim.outputs.staffing import at_maximum_text

    confidence = round(100 * result["confidence"])
    caption = "Every staffing the search evaluated: its cost and first target (95% CI)."
    parts = [
        _figure(plots.svg_text(plots.staffing_frontier(result)), caption),
        _p(
            f"Cheapest staffing meeting {', '.join(result['targets'])} with {confidence}% "
            f"confidence (calendar {result['calendar']}, seed {result['seed']}"
            f"{', PROVISIONAL calendar years' if result['provisional'] else ''})."
        ),
        _p(f"Method: {result['method']}", "muted"),
    ]
    for res in result["results"]:
        label = " + ".join(res["reforms"]) or "baseline"
        parts.append(f"<h3>{_e(label)}</h3>")
        parts.append(
            _p(
                f"{res['candidates_evaluated']} candidates simulated, {res['replications_used']} "
                f"replications ({res['grid_size']} staffings in the bounds)."
            )
        )
        if res["staff"] is not None:
            saving = f"; saves {res['saving']:g} against the baseline" if res.get("saving") else ""
            parts.append(_p(f"Cost {res['cost']:g}{saving} ({res['status']})."))
            parts.append(_table(["department", "staff"], [[d, n] for d, n in res["staff"].items()]))
            rows = [
                [t["target"], _estimate(t, _share(t, t["target"])), t["verdict"], t["n"]]
                for t in res["evidence"]["by_target"]
            ]
            parts.append(
                _table(["target", f"estimate [{confidence}% CI]", "verdict", "reps"], rows)
            )
        elif res["status"] == "infeasible":
            parts.append(
                _p("No staffing within the bounds meets the targets: " + at_maximum_text(res))
            )
        else:
            parts.append(_p("Budget exhausted before any staffing was accepted."))
        rejected = []
        for failed in res["failed_cheaper"]:
            if failed["verdict"] == "unstable":
                why = failed["why"]
            else:
                share = _share(failed, failed["binding"])
                why = f"{failed['binding']} {failed['verdict']}, {_estimate(failed, share)}"
            staff = ", ".join(f"{d}={n}" for d, n in failed["staff"].items())
            rejected.append([staff, f"{failed['cost']:g}", why])
        if rejected:
            parts.append(_table(["cheaper staffing rejected", "cost", "why"], rejected))
    return "".join(parts)


def _fidelity_section(result: dict) -> str:
    """The comparison as tables: on the field's protocol each measure with the baselines and its
    verdict, then the summary; in the window view slasim's measures and the distances."""
    from slasim.outputs.fidelity import FIRST_N_HEADERS, first_n_rows, window_rows

    if result.get("protocol") == "first-n":
        s = result["settings"]
        return "".join(
            [
                _p(
                    f"Against {result['test_log']} ({s['split']}): the field's protocol, "
                    f"{s['cases']} cases from {s['first_start']}, each run to completion; "
                    f"{s['replications']} replications (seed {s['seed']})."
                ),
                _table(FIRST_N_HEADERS, first_n_rows(result)),
                _p(result["summary"]),
                _p(
                    "Distances: lower is closer. Replay: the last N training cases shifted to the "
                    "test's start; bootstrap: N training cases with resampled inter-arrivals; "
                    "floor: the test cases dealt into two halves, one against the other.",
                    "muted",
                ),
            ]
        )
    measures, distances = window_rows(result)
    return "".join(
        [
            _p(
                f"{result['real_cases']} real cases received {result['window'][0]} .. "
                f"{result['window'][1]} (opening at {result['window_opens_at']}); "
                f"{result['replications']} replications (seed {result['seed']}). View: "
                f"{result['view']}."
            ),
            _table(["measure", "real", "simulated [95% CI]"], measures),
            _table(["distance (0 = identical)", "model [95% CI]", "real halves"], distances),
        ]
    )


# What each result file must hold for the report to read it.
RESULT_KEYS = {
    "summary.json": ("scenario", "period", "services", "overall", "departments"),
    "compare.json": ("baseline", "reforms"),
    "staffing.json": ("scenario", "results", "target_specs"),
    "fidelity.json": ("scenario", "protocol", "measures"),
}


MAX_RESULT_MB = 256  # a result file is read whole: a FIFO, a device or a larger file is refused


def _read(path: Path, results_dir: Path) -> dict | None:
    if not path.exists() and not path.is_symlink():
        return None
    text = read_text_file(path, max_mb=MAX_RESULT_MB)  # regular files only (not /dev/zero)
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        problem = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        raise SlasimError(f"cannot read the results ({problem})", source=str(path)) from None
    if data is None:
        return None
    missing = [k for k in RESULT_KEYS[path.name] if not isinstance(data, dict) or k not in data]
    if missing:
        raise SlasimError(f"not a slasim result file (no {', '.join(missing)})", source=str(path))
    return data


def build_report(results_dir: Path) -> str:
    """The HTML page of a results directory (`run --out`, `compare --out` or `staff --out`); a
    result file whose fields are not what slasim writes is one located error."""
    results_dir = Path(results_dir)
    try:
        return _build_report(results_dir)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        if isinstance(exc, SlasimError):
            raise
        raise SlasimError(
            f"not a slasim result file: a field is missing or of the wrong type ({type(exc).__name__})",
            source=str(results_dir),
        ) from None


def _build_report(results_dir: Path) -> str:
    run = _read(results_dir / "summary.json", results_dir)
    comp = _read(results_dir / "compare.json", results_dir)
    staffing = _read(results_dir / "staffing.json", results_dir)
    faithful = _read(results_dir / "fidelity.json", results_dir)
    if run is None and comp is None and staffing is None and faithful is None:
        raise SlasimError(
            "no summary.json (run --out), compare.json (compare --out), staffing.json "
            "(staff --out) or fidelity.json (fidelity --out) here",
            source=str(results_dir),
        )
    main = run or (comp["baseline"] if comp else None)
    title = (main or staffing or faithful)["scenario"]
    sections = [f"<h1>slasim — {_e(title)}</h1>"]
    if faithful:
        sections += ["<h2>Fidelity to the real cases</h2>", _fidelity_section(faithful)]
    if staffing:
        sections += ["<h2>Staffing</h2>", _staffing_section(staffing)]
    if comp:
        sections += ["<h2>Reforms against the baseline</h2>", _compare_section(comp)]
    if main is None:
        return _page(title, sections)
    sections += [
        "<h2>Results" + (" (baseline)" if not run else "") + "</h2>",
        _run_section(main),
        "<h2>Calendar</h2>",
        _provenance(main),
        "<h2>Scenario definition</h2>",
        f"<pre>{_e(json.dumps(main.get('definition', {}), ensure_ascii=False, indent=2))}</pre>",
    ]
    return _page(title, sections)


def _page(title: str, sections: list[str]) -> str:
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>slasim report — "
        f"{_e(title)}</title><style>{STYLE}</style></head><body>"
        + "".join(sections)
        + "</body></html>"
    )


def write_charts(results_dir: Path, out_dir: Path, outputs=None) -> list[Path]:
    """The run's charts as PNG and SVG files (for slides and documents), staged in `outputs` (an
    `OutputSet`) when given."""
    from slasim.outputs import plots

    result = _read(Path(results_dir) / "summary.json", Path(results_dir))
    if result is None:
        raise SlasimError(
            "no summary.json here (charts are drawn from a run)", source=str(results_dir)
        )
    written = []
    charts = [
        ("cards", lambda: plots.card_rates(result["services"], "Cards by service")),
        ("lead-times", lambda: plots.lead_times(result)),
        ("utilisation", lambda: plots.utilisation(result)),
    ]
    if result.get("timeline"):
        charts.append(("timeline", lambda: plots.timeline(result)))
    for name, make in charts:
        for suffix in ("png", "svg"):
            path = Path(out_dir) / f"{name}.{suffix}"
            plots.save(make(), path, outputs)
            written.append(path)
    return written
