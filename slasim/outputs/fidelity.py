"""Text of a fidelity comparison (`slasim fidelity`): for the field's protocol, each measure as
"model mean ± sd, replay, bootstrap, floor, verdict" and a one-line summary; for the window view,
real against simulated (slasim's measures) and the distances beside the real-halves floor. Every
text taken from the files (names, paths, the split) is printed on one line, escaped
(`slasim.io.errors.one_line`), and no line of the report is a CI workflow command. The text is
built in the chosen language (`slasim.io.i18n`): labels and headings through `_`, messages the
result carries (split, summary, verdicts, view) through `localized`; the result itself stays
English."""

from __future__ import annotations

from tabulate import tabulate

from slasim.io.errors import one_line, terminal_text
from slasim.io.i18n import N_, _, localized

SHARES = ("past_promised", "past_legal", "ever_yellow", "ever_red")
# the window view's measures, labelled as `slasim run` labels them (`outputs.results.HEADLINE`;
# a test holds the two to the same words), and those run does not show
LABELS = {
    "arrived": N_("arrived"),
    "past_promised": N_("past promised limit"),
    "past_legal": N_("past legal limit"),
    "ever_yellow": N_("yellow card"),
    "ever_red": N_("red card"),
    "lead_time_wd_mean": N_("lead time wd (mean)"),
    "lead_time_wd_p90": N_("lead time wd (p90)"),
    "open_at_end": N_("open at end"),
    "wip_mean": N_("open cases (mean at day's close)"),
}
# the measures' names as shown: the field's keep their key in English (and their published short
# name beside it); in Chinese each gets its name
MEASURES = {
    "cycle_time": N_("cycle_time"),
    "ngram3": N_("ngram3"),
    "circadian_events": N_("circadian_events"),
    "absolute_events": N_("absolute_events"),
    "relative_events": N_("relative_events"),
    "case_arrivals": N_("case_arrivals"),
    "lead_time_wd": N_("lead_time_wd"),
    "wip_cases": N_("wip_cases"),
}
UNITS = {"h": N_("h"), "wd": N_("wd"), "cases": N_("cases")}


def _measure(name: str) -> str:
    return _(MEASURES[name]) if name in MEASURES else name


def _value(value, share: bool = False) -> str:
    if value is None or value != value:
        return _("n/a")
    return f"{100 * value:.1f}%" if share else f"{value:.3g}"


def _stat(stat: dict | None, share: bool = False) -> str:
    if not stat:
        return _("n/a")
    text = _value(stat.get("mean"), share)
    if stat.get("ci95"):
        text += " [" + ", ".join(_value(v, share) for v in stat["ci95"]) + "]"
    return text


def first_n_rows(result: dict) -> list[list[str]]:
    """One row per measure: name, unit, model mean ± sd, replay, bootstrap, floor, verdict with
    the number of test cases it rests on; when the simulated logs were also scored cut at the
    test log's end (`evaluation.fidelity.after_end`), the model's and the bootstrap's means so."""
    cut = (result.get("after_end") or {}).get("cut", False)
    rows = []
    for name, m in result["measures"].items():
        label = _measure(name)
        if m.get("short"):
            label = _("{measure} ({short})").format(measure=label, short=m["short"])
        model = m["model"]
        verdict = localized(m["verdict"])
        unit = m["unit"]
        rows.append(
            [
                one_line(label),
                _(UNITS[unit]) if unit in UNITS else unit,
                f"{_value(model['mean'])} ± {_value(model['sd'])}",
                _value((m["replay"] or {}).get("mean")),
                _value((m["bootstrap"] or {}).get("mean")),
                _value((m["floor"] or {}).get("mean")),
                _("{verdict} (N={cases})").format(verdict=verdict, cases=m["cases"])
                if "cases" in m
                else verdict,
            ]
        )
        if cut:  # before the verdict, which stays the last cell
            both = m.get("cut") or {}
            rows[-1][-1:-1] = [_value((both.get(k) or {}).get("mean")) for k in CUT_KEYS]
    return rows


FIRST_N_HEADERS = [
    N_("measure"),
    N_("unit"),
    N_("model (mean ± sd)"),
    N_("replay"),
    N_("bootstrap"),
    N_("floor"),
    N_("verdict"),
]
CUT_KEYS = ("model", "bootstrap")
CUT_HEADERS = [N_("model, cut at log end"), N_("bootstrap, cut at log end")]


def first_n_headers(result: dict) -> list[str]:
    """`FIRST_N_HEADERS`, with `CUT_HEADERS` before the verdict when the result has them."""
    cut = (result.get("after_end") or {}).get("cut", False)
    return FIRST_N_HEADERS[:-1] + (CUT_HEADERS if cut else []) + FIRST_N_HEADERS[-1:]


def window_rows(result: dict) -> tuple[list[list[str]], list[list[str]]]:
    """(slasim's measures: real and simulated; distances: model and real halves)."""
    measures = [
        [
            one_line(_(LABELS[m]) if m in LABELS else m),
            _value(v["real"], m in SHARES),
            _stat(v["simulated"], m in SHARES),
        ]
        for m, v in result["measures"].items()
    ]
    reference = result.get("reference") or {}
    distances = [
        [one_line(_measure(k)), _stat(v), _value(reference.get(k))]
        for k, v in result["distances"].items()
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
            _(
                "{scenario} against {log} ({split}): the field's protocol, {cases} cases from "
                "{first_start}, run to completion; {replications} replications (seed {seed})"
            ).format(
                scenario=t(result["scenario"]),
                log=t(result["test_log"]),
                split=t(localized(s["split"])),
                cases=s["cases"],
                first_start=s["first_start"],
                replications=s["replications"],
                seed=s["seed"],
            ),
            "",
            tabulate(
                first_n_rows(result),
                headers=[_(h) for h in first_n_headers(result)],
            ),
            "",
            t(localized(result["summary"])),
        ]
        if result.get("unfinished_cases"):
            lines.append(
                _(
                    "({count} simulated cases still open after {days} working days: scored as "
                    "they stood)"
                ).format(count=result["unfinished_cases"], days=s["horizon_working_days"])
            )
        return "\n".join(lines)
    measures, distances = window_rows(result)
    return "\n".join(
        [
            _(
                "{scenario} against {log}: {cases} real cases received {first} .. {last} "
                "(opening at {opens}); {replications} replications (seed {seed})"
            ).format(
                scenario=t(result["scenario"]),
                log=t(result["log"]),
                cases=result["real_cases"],
                first=result["window"][0],
                last=result["window"][1],
                opens=localized(result["window_opens_at"]),
                replications=result["replications"],
                seed=result["seed"],
            ),
            _("view: {view}").format(view=t(localized(result["view"]))),
            "",
            tabulate(measures, headers=[_("measure"), _("real"), _("simulated [95% CI]")]),
            "",
            tabulate(
                distances,
                headers=[_("distance (0 = identical)"), _("model [95% CI]"), _("real halves")],
            ),
            _("(an interval is clipped at 0, a share's also at 100%)"),
        ]
    )
