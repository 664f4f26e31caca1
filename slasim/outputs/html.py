"""`slasim report`: one self-contained HTML file from a results directory (`run`, `compare`,
`staff`, `fidelity`, `forecast` with `--out`).

Charts are embedded as inline SVG, tables are plain HTML; the page carries the scenario (and reform)
definitions, the seed, the calendar's provenance for the simulated years and any provisional-date
warning, so it can be mailed or archived on its own. Every heading, label and note is in the chosen
language (`<html lang="zh-CN">` in Chinese, dates as `date_text`); the English a result file holds
(warnings, notes, verdicts) is shown translated when it is a catalog message (`_shown`).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import string
import unicodedata
from functools import cache
from pathlib import Path

from slasim.calendar.workcalendar import load_calendar
from slasim.io.errors import SlasimError
from slasim.io.files import read_text_file
from slasim.io.i18n import N_, Text, _, catalog, current, date_text, localized
from slasim.outputs.results import HEADLINE, cell, change_cell, department_rows, headline_rows

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Noto Sans SC",
"Source Han Sans SC","PingFang SC","Hiragino Sans GB","Microsoft YaHei","WenQuanYi Micro Hei",
sans-serif;margin:2rem auto;max-width:72rem;color:#222;padding:0 1rem}h1{font-size:1.6rem}
h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
td,th{border:1px solid #ddd;padding:.25rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}
.warn{background:#fff3cd;border:1px solid #e5b800;padding:.6rem 1rem}
.better{color:#2a7d2a}.worse{color:#c44e52}
figure{margin:1rem 0}pre{background:#f6f6f6;padding:1rem;overflow:auto;font-size:.8rem;
font-family:ui-monospace,"DejaVu Sans Mono","Noto Sans Mono CJK SC",monospace}
.muted{color:#666;font-size:.85rem}
"""


class _Html(str):
    """Markup built here, already escaped: `_fill` puts it in as it is."""


def _e(value) -> str:
    """Any value from a file, as HTML text: every interpolation in this page goes through here
    or `_p`/`_table`/`_fill` (a `<script>` in summary.json stays text)."""
    return html.escape(str(value))


def _fill(template: str, **params) -> _Html:
    """A translated message as HTML: the template escaped, every parameter escaped (markup
    built here as it is; numbers formatted by the template's own spec)."""
    values = {
        key: value if isinstance(value, (_Html, int, float)) else _e(value)
        for key, value in params.items()
    }
    return _Html(_e(template).format(**values))


def _code(value) -> _Html:
    return _Html(f"<code>{_e(value)}</code>")


def _day(value) -> str:
    """A date from a result file as a reader of the chosen language expects it (ISO kept)."""
    try:
        return date_text(dt.date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


@cache
def _templates(lang: str) -> list[tuple[re.Pattern, str]]:
    """The catalog's messages with parameters, as patterns that match their English (the most
    specific first), each with its translation; a message with no words of its own between its
    parameters (`{where}: {line}`) is not one to recognise."""
    found = []
    for msgid, text in catalog(lang).items():
        parsed = list(string.Formatter().parse(msgid))
        fields = [field for _lit, field, _spec, _conv in parsed if field is not None]
        literal = "".join(lit for lit, *_rest in parsed)
        if not fields or not re.search(r"[A-Za-z]{3}", literal):
            continue
        if not all(field.isidentifier() for field in fields):
            continue
        pattern, seen = "", set()
        for lit, field, _spec, _conv in parsed:
            pattern += re.escape(lit)
            if field is None:
                continue
            pattern += f"(?P={field})" if field in seen else f"(?P<{field}>.+?)"
            seen.add(field)
        found.append((len(literal), re.compile(pattern, re.S), text))
    found.sort(key=lambda item: -item[0])
    return [(pattern, text) for _length, pattern, text in found]


def _shown(value, depth: int = 0) -> str:
    """A message read back from a result file, in the chosen language: a `Text` or a plain
    message id through `localized`; English written from a message with parameters is matched
    against the catalog's messages and shown translated with its parameters as written (each
    one itself shown translated when it is a message); notes joined by `; `, and a message
    after `where: `, each one so. Anything else, as it is."""
    text = localized(value)
    if not isinstance(value, str) or text != value or current() == "en" or depth > 3:
        return text
    for pattern, translation in _templates(current()):
        match = pattern.fullmatch(value)
        if match is None:
            continue
        params = {k: _shown(v, depth + 1) for k, v in match.groupdict().items()}
        try:
            return "".join(
                lit + ("" if field is None else params[field])
                for lit, field, _spec, _conv in string.Formatter().parse(translation)
            )
        except KeyError:  # a translation naming another parameter: keep the English
            return value
    if "; " in value:  # notes joined into one text (an engine's reasons)
        return _("; ").join(_shown(part, depth + 1) for part in value.split("; "))
    where, colon, line = value.partition(": ")
    if colon and _shown(line, depth + 1) != line:  # a message located: `window: unstable (…)`
        return _("{where}: {line}").format(where=where, line=_shown(line, depth + 1))
    return value


def _table(
    headers: list[str],
    rows: list[list[str]],
    classes: list[str] | None = None,
    name: str | None = None,
) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{_e(classes[i])}"' if classes and classes[i] else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>")
    named = f' id="{_e(name)}"' if name else ""
    return f"<table{named}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _figure(svg: str, caption: str) -> str:
    start = svg.find("<svg")
    return f"<figure>{svg[start:]}<figcaption class='muted'>{_e(caption)}</figcaption></figure>"


def _notice_text(notice) -> str:
    """Where a year's dates come from: the notice's title, number, date, link and amendment."""
    parts = [notice.title]
    if notice.reference:
        parts.append(_("document number {reference}").format(reference=notice.reference))
    if notice.issued:
        parts.append(_("issued {date}").format(date=date_text(notice.issued)))
    if notice.url:
        parts.append(notice.url)
    if notice.amended_by:
        parts.append(_("amended by {notice}").format(notice=notice.amended_by))
    return _("; ").join(parts)


def _provenance(result: dict) -> str:
    cal = load_calendar(result["calendar"])
    first, last = (int(result["period"][k][:4]) for k in ("first_day", "last_day"))
    rows = []
    for year in range(first, last + 1):
        notice = cal.spec.years.get(year)
        published = cal.spec.published_through is not None and year <= cal.spec.published_through
        rows.append(
            [
                str(year),
                _("published") if published else _("PROVISIONAL"),
                _notice_text(notice) if notice else _("holidays package data"),
            ]
        )
    about = _fill(
        _("{title} ({name}, time zone {timezone}, published through {year})"),
        title=cal.shown_title(),
        name=_code(cal.name),
        timezone=cal.spec.timezone,
        year=str(cal.spec.published_through),
    )
    return f"<p>{about}</p>" + _table([_("year"), _("status"), _("source")], rows)


def _services_first(headers: list[str], result: dict) -> list[str]:
    """A table's headers in the chosen language, the names of services (from the file) kept."""
    return [h if h in result["services"] else _shown(h) for h in headers]


def _labelled(rows: list[list[str]]) -> list[list[str]]:
    """Rows whose first cell is a label (a metric, a measure) shown in the chosen language."""
    return [[_shown(row[0]), *row[1:]] for row in rows]


def _warnings(result: dict) -> str:
    """The result's warnings (English in the file), each shown in the chosen language."""
    lines = result.get("warnings") or []
    if not lines:
        return ""
    items = "".join(f"<li>{_e(_shown(line))}</li>" for line in lines)
    title = _e(_("Warnings"))
    return f"<div class='warn'><strong>{title}</strong><ul>{items}</ul></div>"


def _run_section(result: dict) -> str:
    from slasim.outputs import plots

    period = result["period"]
    engine = _e(result["engine"])
    if result.get("engine_note"):
        engine = _fill(
            _("{engine} ({note})"), engine=result["engine"], note=_shown(result["engine_note"])
        )
    summary = _fill(
        _(
            "{replications} replications, seed {seed}, calendar {calendar}, {first_day} to "
            "{last_day} ({working_days} working days, warm-up {warmup_days}), engine {engine}. "
            "Figures: mean ± half-width of the 95% confidence interval across replications."
        ),
        replications=str(result["replications"]),
        seed=str(result["seed"]),
        calendar=_code(result["calendar"]),
        first_day=_day(period["first_day"]),
        last_day=_day(period["last_day"]),
        working_days=str(period["working_days"]),
        warmup_days=str(period["warmup_days"]),
        engine=_Html(engine),
    )
    parts = [f"<p>{summary}</p>"]
    if result.get("provisional"):
        parts.append(
            _p(
                _(
                    "The period passes the years this calendar has published: holidays and "
                    "make-up days there are provisional, and so are these results."
                ),
                "warn",
            )
        )
    parts.append(_warnings(result))
    headers, rows = headline_rows(result)
    parts.append(_table(_services_first(headers, result), _labelled(rows)))
    parts.append(
        _figure(
            plots.svg_text(plots.card_rates(result["services"], _("Cards by service"))),
            _("Share of accepted cases that ever reached a yellow or a red card (95% CI)."),
        )
    )
    parts.append(
        _figure(
            plots.svg_text(plots.lead_times(result)),
            _("Lead time from receipt to decision, against the promised and legal limits."),
        )
    )
    parts.append(
        _figure(
            plots.svg_text(plots.utilisation(result)),
            _("Staff utilisation by department (95% CI)."),
        )
    )
    if result.get("timeline"):
        parts.append(
            _figure(
                plots.svg_text(plots.timeline(result)),
                _(
                    "Replication 0 at each working day's close: open cases by card level (the "
                    "supervision screen) and queue length by department."
                ),
            )
        )
    headers, rows = department_rows(result)
    parts.append(_table([_shown(h) for h in headers], rows))
    return "".join(parts)


def _compare_section(result: dict) -> str:
    from slasim.outputs import plots

    base = result["baseline"]
    groups = {
        _("baseline"): base["overall"],
        **{name: r["summary"]["overall"] for name, r in result["reforms"].items()},
    }
    parts = [
        _figure(
            plots.svg_text(
                plots.card_rates(groups, _("Cards, all services: baseline and reforms"))
            ),
            _("Share of accepted cases that ever reached a yellow or a red card (95% CI)."),
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
                    _shown(label),
                    cell(base["overall"].get(key), kind),
                    cell(reform["summary"]["overall"].get(key), kind),
                    change_cell(change, kind),
                    _shown(change["verdict"]),
                ]
            )
            classes.append(change["verdict"] if change["verdict"] in ("better", "worse") else "")
        heading = _fill(_("Reform: {name}"), name=name)
        parts.append(f"<h3>{heading}</h3>")
        parts.append(
            _table(
                [
                    _("metric (all services)"),
                    _("baseline"),
                    _("reform"),
                    _("change [95% CI, paired]"),
                    _("verdict"),
                ],
                rows,
                classes,
            )
        )
    parts.append(
        _p(
            _(
                "Changes are reform minus baseline replication by replication, with common "
                "random numbers; pp = percentage points."
            ),
            "muted",
        )
    )
    return "".join(parts)


def _running(template: str, **phrases: str) -> str:
    """The template with the space it leaves beside each `{name}` of `phrases` (phrases of
    slasim's own, translated, put in as running text) taken out where the phrase and the text
    beside it are both Chinese: Chinese has no space between words (（开始于拟合时的划分点）, not
    （开始于 拟合时的划分点）). A name from a file is not a phrase: it keeps its spaces."""
    for name, phrase in phrases.items():
        head, field, tail = template.partition("{" + name + "}")
        if not field or not phrase:
            continue
        if head[-2:-1] and head.endswith(" ") and _wide(head[-2]) and _wide(phrase[0]):
            head = head[:-1]
        if tail[1:2] and tail.startswith(" ") and _wide(tail[1]) and _wide(phrase[-1]):
            tail = tail[1:]
        template = head + field + tail
    return template


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"  # a CJK character or full-width mark


def _p(text: str, cls: str = "") -> str:
    return f"<p{f' class={cls!r}' if cls else ''}>{_e(text)}</p>"


def _estimate(row: dict, share: bool) -> str:
    """A target's estimate with its interval, as the staffing search stored them."""
    if row.get("mean") is None:
        return _("n/a")
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
    caption = _("Every staffing the search evaluated: its cost and first target (95% CI).")
    answer = (
        _(
            "Cheapest staffing meeting {targets} with {confidence}% confidence (calendar "
            "{calendar}, seed {seed}, PROVISIONAL calendar years)."
        )
        if result["provisional"]
        else _(
            "Cheapest staffing meeting {targets} with {confidence}% confidence (calendar "
            "{calendar}, seed {seed})."
        )
    )
    parts = [
        _figure(plots.svg_text(plots.staffing_frontier(result)), caption),
        _p(
            answer.format(
                targets=_(", ").join(_shown(target) for target in result["targets"]),
                confidence=confidence,
                calendar=result["calendar"],
                seed=result["seed"],
            )
        ),
        _p(_("Method: {method}").format(method=_shown(result["method"])), "muted"),
    ]
    for res in result["results"]:
        label = " + ".join(res["reforms"]) or _("baseline")
        parts.append(f"<h3>{_e(label)}</h3>")
        parts.append(
            _p(
                _(
                    "{candidates} candidates simulated, {replications} replications ({grid} "
                    "staffings in the bounds)."
                ).format(
                    candidates=res["candidates_evaluated"],
                    replications=res["replications_used"],
                    grid=res["grid_size"],
                )
            )
        )
        if res["staff"] is not None:
            status = _shown(res["status"])
            if res.get("saving"):
                text = _("Cost {cost:g}; saves {saving:g} against the baseline ({status}).")
            else:
                text = _("Cost {cost:g} ({status}).")
            parts.append(_p(text.format(cost=res["cost"], saving=res.get("saving"), status=status)))
            parts.append(
                _table([_("department"), _("staff")], [[d, n] for d, n in res["staff"].items()])
            )
            rows = [
                [t["target"], _estimate(t, _share(t, t["target"])), _shown(t["verdict"]), t["n"]]
                for t in res["evidence"]["by_target"]
            ]
            estimate = _("estimate [{confidence}% CI]").format(confidence=confidence)
            parts.append(_table([_("target"), estimate, _("verdict"), _("reps")], rows))
        elif res["status"] == "infeasible":
            parts.append(
                _p(
                    _("No staffing within the bounds meets the targets: {why}").format(
                        why=_shown(at_maximum_text(res))
                    )
                )
            )
        else:
            parts.append(_p(_("Budget exhausted before any staffing was accepted.")))
        rejected = []
        for failed in res["failed_cheaper"]:
            if failed["verdict"] == "unstable":
                why = _shown(failed["why"])
            else:
                share = _share(failed, failed["binding"])
                why = _("{target} {verdict}, {estimate}").format(
                    target=failed["binding"],
                    verdict=_shown(failed["verdict"]),
                    estimate=_estimate(failed, share),
                )
            staff = ", ".join(f"{d}={n}" for d, n in failed["staff"].items())
            rejected.append([staff, f"{failed['cost']:g}", why])
        if rejected:
            headers = [_("cheaper staffing rejected"), _("cost"), _("why")]
            parts.append(_table(headers, rejected))
    return "".join(parts)


def _fidelity_section(result: dict) -> str:
    """The comparison as tables: on the field's protocol each measure with the baselines and its
    verdict, then the summary; in the window view slasim's measures and the distances."""
    from slasim.outputs.fidelity import first_n_headers, first_n_rows, window_rows

    warned = _warnings(result)
    if result.get("protocol") == "first-n":
        s = result["settings"]
        rows = [[*row[:-1], _shown(row[-1])] for row in _labelled(first_n_rows(result))]
        return warned + "".join(
            [
                _p(
                    _(
                        "Against {test_log} ({split}): the field's protocol, {cases} cases from "
                        "{first_start}, each run to completion; {replications} replications "
                        "(seed {seed})."
                    ).format(
                        test_log=result["test_log"],
                        split=_shown(s["split"]),
                        cases=s["cases"],
                        first_start=s["first_start"],
                        replications=s["replications"],
                        seed=s["seed"],
                    )
                ),
                _table([_shown(h) for h in first_n_headers(result)], rows),
                _p(_shown(result["summary"])),
                _p(
                    _(
                        "Distances: lower is closer. Replay: the last N training cases shifted to "
                        "the test's start; bootstrap: N training cases with resampled "
                        "inter-arrivals; floor: the test cases dealt into two halves, one against "
                        "the other."
                    ),
                    "muted",
                ),
            ]
        )
    measures, distances = window_rows(result)
    opens = _shown(result["window_opens_at"])  # a phrase of slasim's own: "the fit's split"
    return warned + "".join(
        [
            _p(
                _running(
                    _(
                        "{cases} real cases received {first} .. {last} (opening at {opens}); "
                        "{replications} replications (seed {seed}). View: {view}."
                    ),
                    opens=opens,
                ).format(
                    cases=result["real_cases"],
                    first=_day(result["window"][0]),
                    last=_day(result["window"][1]),
                    opens=opens,
                    replications=result["replications"],
                    seed=result["seed"],
                    view=_shown(result["view"]),
                )
            ),
            _table([_("measure"), _("real"), _("simulated [95% CI]")], _labelled(measures)),
            _table(
                [_("distance (0 = identical)"), _("model [95% CI]"), _("real halves")],
                _labelled(distances),
            ),
        ]
    )


def _chance(cell: dict) -> str:
    """A card's chance with its exact binomial 95% interval, in percent."""
    low, high = cell["ci95"]
    return f"{cell['p']:.0%} [{low:.0%}-{high:.0%}]"


def _count(stat: dict) -> str:
    """A mean count with its Student-t 95% interval (the mean alone as interval when none)."""
    low, high = stat.get("ci95") or [stat["mean"], stat["mean"]]
    return f"{stat['mean']:.2f} [{low:.2f}, {high:.2f}]"


def _maybe_day(value) -> str:
    return "-" if value is None else _day(value)


def _forecast_section(result: dict) -> str:
    """A forecast (`forecast --out DIR`): what was run and how far to trust it, the open cases
    riskiest first, the cards per working day (a chart and a table)."""
    from slasim.outputs import plots

    snapshot = result.get("snapshot") or {}
    source = (
        _fill(_("the case log {log}"), log=_code(snapshot["log"]))
        if snapshot.get("log")
        else _e(_("an open-cases file"))
    )
    engine = _fill(
        _("{engine} ({note})"), engine=result["engine"], note=_shown(result["engine_note"])
    )
    years = _("PROVISIONAL calendar years") if result["provisional"] else _("published years")
    trust = _fill(
        _(
            "{open} open cases at {as_of}, from {source}; horizon {horizon}, to {end}; "
            "calendar {calendar} ({years}); engine {engine}; {replications} replications, seed "
            "{seed}. Chances: the share of replications, with its exact binomial 95% interval."
        ),
        open=str(result["open_cases"]),
        as_of=result["as_of"],
        source=_Html(source),
        horizon=result["horizon"],
        end=result["horizon_end"],
        calendar=_code(result["calendar"]),
        years=years,
        engine=engine,
        replications=str(result["replications"]),
        seed=str(result["seed"]),
    )
    parts = [f"<p>{trust}</p>"]
    if result["provisional"]:
        parts.append(
            _p(
                _(
                    "The horizon passes the years this calendar has published: holidays and "
                    "make-up days there are provisional, and so is this forecast."
                ),
                "warn",
            )
        )
    parts.append(_warnings(result))
    expected, new = result["expected"], result["expected_new"]
    parts.append(
        _p(
            _(
                "Expected among the open cases by the horizon's end: {yellow:.1f} yellow or "
                "worse and {red:.1f} red; of these, new within the horizon: {new_yellow:.1f} "
                "and {new_red:.1f}."
            ).format(
                yellow=expected["yellow"],
                red=expected["red"],
                new_yellow=new["yellow"],
                new_red=new["red"],
            )
        )
    )
    after = _("after {instant}").format(instant=result["run_until"])
    rows = [
        [
            row["id"],
            row["service"],
            row["step"],
            _shown(row["card_now"]),
            _chance(row["yellow"]),
            _maybe_day(row["yellow_by"]),
            _chance(row["red"]),
            _maybe_day(row["red_by"]),
            row["decision_p50"] or after,
            row.get("binding_desk") or "-",
        ]
        for row in result["cases"]
    ]
    headers = [
        _("open case"),
        _("service"),
        _("step"),
        _("card now"),
        _("P(yellow) [95% CI]"),
        _("yellow by"),
        _("P(red) [95% CI]"),
        _("red by"),
        _("decision p50"),
        _("binding desk"),
    ]
    parts += [_h3(_("Open cases, riskiest first")), _table(headers, rows, None, "risk")]
    parts.append(
        _p(
            _(
                "By: the first working day by whose close the chance passes one half. Binding "
                "desk: where the case waited longest in the replications in which it turns red "
                "(else yellow)."
            ),
            "muted",
        )
    )
    days = [
        [_day(day["day"]), _count(day["yellow"]), _count(day["red"])]
        for day in result["cards_per_day"]
    ]
    parts += [
        _h3(_("Cards per working day")),
        _figure(
            plots.svg_text(plots.cards_per_day(result)),
            _(
                "Cards first fired on each working day of the horizon by every case, open and "
                "new: mean over replications with its 95% CI."
            ),
        ),
        _table(
            [_("working day"), _("yellow cards, mean [95% CI]"), _("red cards, mean [95% CI]")],
            days,
            None,
            "cards-per-day",
        ),
    ]
    return "".join(parts)


def _h3(text: str) -> str:
    return f"<h3>{_e(text)}</h3>"


# A staffing search's statuses (identifiers in staffing.json), shown translated.
STATUSES = (N_("found"), N_("budget exhausted"), N_("infeasible"))

# What each result file must hold for the report to read it.
RESULT_KEYS = {
    "summary.json": ("scenario", "period", "services", "overall", "departments"),
    "compare.json": ("baseline", "reforms"),
    "staffing.json": ("scenario", "results", "target_specs"),
    "fidelity.json": ("scenario", "protocol", "measures"),
    "forecast.json": ("scenario", "as_of", "cases", "cards_per_day"),
}


MAX_RESULT_MB = 256  # a result file is read whole: a FIFO, a device or a larger file is refused


def _read(path: Path, results_dir: Path) -> dict | None:
    if not path.exists() and not path.is_symlink():
        return None
    text = read_text_file(path, max_mb=MAX_RESULT_MB)  # regular files only (not /dev/zero)
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        problem = exc.msg if isinstance(exc, json.JSONDecodeError) else Text("nested too deeply")
        raise SlasimError(
            "cannot read the results ({problem})", source=str(path), problem=problem
        ) from None
    if data is None:
        return None
    missing = [k for k in RESULT_KEYS[path.name] if not isinstance(data, dict) or k not in data]
    if missing:
        raise SlasimError(
            "not a slasim result file (no {keys})", source=str(path), keys=", ".join(missing)
        )
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
            "not a slasim result file: a field is missing or of the wrong type ({kind})",
            source=str(results_dir),
            kind=type(exc).__name__,
        ) from None


def _build_report(results_dir: Path) -> str:
    run = _read(results_dir / "summary.json", results_dir)
    comp = _read(results_dir / "compare.json", results_dir)
    staffing = _read(results_dir / "staffing.json", results_dir)
    faithful = _read(results_dir / "fidelity.json", results_dir)
    forecast = _read(results_dir / "forecast.json", results_dir)
    if all(r is None for r in (run, comp, staffing, faithful, forecast)):
        raise SlasimError(
            "no summary.json (run --out), compare.json (compare --out), staffing.json "
            "(staff --out), fidelity.json (fidelity --out) or forecast.json (forecast --out) "
            "here",
            source=str(results_dir),
        )
    main = run or (comp["baseline"] if comp else None)
    title = (main or staffing or faithful or forecast)["scenario"]
    heading = _fill(_("slasim — {scenario}"), scenario=title)
    sections = [f"<h1>{heading}</h1>"]
    if forecast:
        sections += [_h2(_("Forecast of the open cases")), _forecast_section(forecast)]
    if faithful:
        sections += [_h2(_("Fidelity to the real cases")), _fidelity_section(faithful)]
    if staffing:
        sections += [_h2(_("Staffing")), _staffing_section(staffing)]
    if comp:
        sections += [_h2(_("Reforms against the baseline")), _compare_section(comp)]
    if main is None:
        return _page(title, sections)
    sections += [
        _h2(_("Results") if run else _("Results (baseline)")),
        _run_section(main),
        _h2(_("Calendar")),
        _provenance(main),
        _h2(_("Scenario definition")),
        f"<pre>{_e(json.dumps(main.get('definition', {}), ensure_ascii=False, indent=2))}</pre>",
    ]
    return _page(title, sections)


def _h2(text: str) -> str:
    return f"<h2>{_e(text)}</h2>"


def _page(title: str, sections: list[str]) -> str:
    lang = "zh-CN" if current() == "zh" else "en"
    heading = _fill(_("slasim report — {scenario}"), scenario=title)
    return (
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><title>{heading}"
        f"</title><style>{STYLE}</style></head><body>" + "".join(sections) + "</body></html>"
    )


def write_charts(results_dir: Path, out_dir: Path, outputs=None) -> list[Path]:
    """The run's charts as PNG and SVG files (for slides and documents), staged in `outputs` (an
    `OutputSet`) when given."""
    from slasim.outputs import plots

    result = _read(Path(results_dir) / "summary.json", Path(results_dir))
    forecast = _read(Path(results_dir) / "forecast.json", Path(results_dir))
    if result is None and forecast is None:
        raise SlasimError(
            "no summary.json or forecast.json here (charts are drawn from a run or a forecast)",
            source=str(results_dir),
        )
    written = []
    charts = []
    if forecast is not None:
        charts.append(("cards-per-day", lambda: plots.cards_per_day(forecast)))
    if result is not None:
        charts += [
            ("cards", lambda: plots.card_rates(result["services"], _("Cards by service"))),
            ("lead-times", lambda: plots.lead_times(result)),
            ("utilisation", lambda: plots.utilisation(result)),
        ]
    if result is not None and result.get("timeline"):
        charts.append(("timeline", lambda: plots.timeline(result)))
    for name, make in charts:
        for suffix in ("png", "svg"):
            path = Path(out_dir) / f"{name}.{suffix}"
            plots.save(make(), path, outputs)
            written.append(path)
    return written
