"""Charts of run / compare / sweep / forecast results (matplotlib, an optional extra:
pip install 'slasim[plots]').

Every chart is drawn from the result JSON alone, as a matplotlib figure to embed (SVG) or save
(PNG/SVG): card rates with 95 % intervals per service or per reform, lead time against the
promised and legal limits, utilisation by department, a heat map for two-way sweeps, and a
forecast's cards per working day. Titles, axes and legends are in the chosen language; Chinese
text (labels, or names from files) is drawn with a CJK font found on the system (`cjk_font`), and
one warning says so when there is none.
"""

from __future__ import annotations

import io
import re
import sys
import warnings
from contextlib import contextmanager, nullcontext
from functools import cache

from slasim.io.errors import SlasimError, one_line
from slasim.io.files import OutputSet
from slasim.io.i18n import N_, Text, _, current, localized
from slasim.io.xmltext import xml_text

LEVEL_COLOURS = {"blue": "#4c72b0", "yellow": "#e5b800", "orange": "#dd8452", "red": "#c44e52"}
# Each card level's legend label (a message id, translated where drawn); green is no card.
LEVEL_LABELS = {
    "green": N_("no card"),
    "blue": N_("blue card"),
    "yellow": N_("yellow card"),
    "orange": N_("orange card"),
    "red": N_("red card"),
}
# CJK fonts by preference (family names as fontconfig and matplotlib give them); any other font
# whose name says CJK, or that covers Chinese text, comes after these.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Noto Serif CJK SC",
)
CJK_FILES = re.compile(r"cjk|wqy|wenquanyi|sourcehan|source-han|hansans|droidsansfallback", re.I)
CJK_SAMPLE = "中文办理时长"  # a font covering these draws the Chinese of the charts
LATIN_FAMILY = "DejaVu Sans"  # matplotlib's own font: always there
NO_CJK_FONT = N_(
    "no CJK font found: Chinese text in the charts is drawn as empty boxes; install fonts-noto-cjk"
)
_warned: list[bool] = []  # the missing-font warning is given once per process


def has_cjk(text: str) -> bool:
    """Whether `text` holds CJK characters (ideographs, kana, hangul, full-width punctuation)."""
    return any(
        "\u2e80" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" or "\uff00" <= ch <= "\uffef"
        for ch in text
    )


def _covers(path: str) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        charmap = FT2Font(path).get_charmap()
    except (OSError, RuntimeError, ValueError):
        return False
    return all(ord(ch) in charmap for ch in CJK_SAMPLE)


@cache
def cjk_font() -> str | None:
    """The family name of a CJK font matplotlib can draw with, else None: a preferred family
    already known to matplotlib, else one from the system's font files (matplotlib's font cache
    may predate the font's installation: such files are added to it), by name first, then any
    font that covers Chinese text."""
    from matplotlib import font_manager

    manager = font_manager.fontManager

    def known() -> str | None:
        names = {entry.name for entry in manager.ttflist}
        for family in CJK_FAMILIES:
            if family in names:
                return family
        cjk = sorted(n for n in names if "CJK" in n or "WenQuanYi" in n or "Han Sans" in n)
        return cjk[0] if cjk else None

    found = known()
    if found:
        return found
    known_files = {entry.fname for entry in manager.ttflist}
    files = [f for f in font_manager.findSystemFonts() if f not in known_files]
    named = [f for f in files if CJK_FILES.search(f)]
    for path in named:  # every face of a family (regular and bold) before choosing one
        _add(manager, path)
    found = known()
    if found:
        return found
    for path in files:  # a font of another name that covers Chinese
        if path not in named and _covers(path) and _add(manager, path):
            return next(e.name for e in manager.ttflist if e.fname == path)
    return None


def _add(manager, path: str) -> bool:
    try:
        manager.addfont(path)
    except (OSError, RuntimeError, ValueError):
        return False
    return True


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SlasimError("plots need the optional extra: pip install 'slasim[plots]'") from None
    # Labels are names from files, drawn as they are: `$…$` in a service name is text, not
    # mathtext (which fails on unbalanced `$` or unknown commands), and never LaTeX.
    matplotlib.rcParams["text.parse_math"] = False
    matplotlib.rcParams["text.usetex"] = False
    # Chinese with a CJK font (its Latin too, in a Chinese chart), English with matplotlib's
    # own font falling back to the CJK one glyph by glyph (a Chinese name from a file).
    cjk = cjk_font()
    families = [LATIN_FAMILY] if cjk is None else [LATIN_FAMILY, cjk]
    matplotlib.rcParams["font.family"] = families[::-1] if current() == "zh" else families
    return plt


@contextmanager
def _drawing(fig):
    """Around drawing `fig`: when it holds Chinese text and no CJK font was found, the one
    warning on stderr (matplotlib's own warning per missing glyph is not repeated)."""
    from matplotlib.text import Text as Label

    with warnings.catch_warnings():
        if cjk_font() is None and any(has_cjk(label.get_text()) for label in fig.findobj(Label)):
            if not _warned:
                _warned.append(True)
                message = Text("warning: {message}", message=Text(NO_CJK_FONT))
                print(localized(message), file=sys.stderr)
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        yield


def _half(stat: dict | None) -> float:
    if not stat or not stat.get("ci95") or stat.get("mean") is None:
        return 0.0
    return (stat["ci95"][1] - stat["ci95"][0]) / 2


def _mean(stat: dict | None) -> float:
    return 0.0 if not stat or stat.get("mean") is None else stat["mean"]


def _labels(value):
    """A result with every text in it (keys too) as `one_line` writes it: a label drawn from a
    file's name shows a line break or control character as an escape, and a lone surrogate (which
    the font code cannot take) as `\\ud800`."""
    if isinstance(value, dict):
        return {_labels(k): _labels(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_labels(v) for v in value]
    return one_line(value) if isinstance(value, str) else value


def svg_text(fig) -> str:
    """The chart as SVG text (for embedding in the HTML report); the figure is closed."""
    buffer = io.StringIO()
    with _drawing(fig):
        fig.savefig(buffer, format="svg", bbox_inches="tight")
    _pyplot().close(fig)
    # matplotlib copies each label into a comment as it is: a control character from a name
    # would make the SVG ill-formed XML.
    return xml_text(buffer.getvalue())


def _yellow_red_bars(ax, stats, labels, scale: float = 1) -> None:
    """Yellow and red bars side by side at x = 0, 1, …: `stats(level)` gives the level's statistic
    (mean and ci95) at each x, drawn times `scale` with its 95 % interval, which stops at 0 (a share
    or a count is never negative); `labels` are the legend's for yellow and for red."""
    width = 0.38
    for j, (level, label) in enumerate(zip(("yellow", "red"), labels)):
        values = stats(level)
        xs = [i + (j - 0.5) * width for i in range(len(values))]
        means = [scale * _mean(stat) for stat in values]
        halves = [scale * _half(stat) for stat in values]
        ax.bar(
            xs,
            means,
            width,
            yerr=[[min(h, m) for h, m in zip(halves, means)], halves],
            capsize=3,
            color=LEVEL_COLOURS[level],
            label=label,
        )


def card_rates(groups: dict[str, dict], title: str) -> str:
    """Bars: share of accepted cases that ever reached yellow / red, per group (service or reform)."""
    plt = _pyplot()
    groups, title = _labels(groups), _labels(title)
    names = list(groups)
    fig, ax = plt.subplots(figsize=(max(5, 1.4 * len(names) + 2), 3.6))
    _yellow_red_bars(
        ax,
        lambda level: [groups[n].get(f"ever_{level}") for n in names],
        (_("ever yellow"), _("ever red")),
        scale=100,
    )
    ax.set_xticks(range(len(names)), names, rotation=20, ha="right")
    ax.set_ylabel(_("% of accepted cases"))
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    ax.legend(frameon=False)
    return fig


def _wd(limit: str) -> float | None:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)wd", limit)
    return float(match.group(1)) if match else None


def lead_times(result: dict) -> str:
    """Per service: mean, median, p90 and p95 lead time (working days) against its limits."""
    plt = _pyplot()
    result = _labels(result)
    services = list(result["services"])
    fig, ax = plt.subplots(figsize=(7, 0.7 * len(services) + 1.6))
    for i, name in enumerate(services):
        stats = result["services"][name]
        points = {q: _mean(stats.get(f"lead_time_wd_{q}")) for q in ("p50", "p90", "p95")}
        ax.plot([points["p50"], points["p95"]], [i, i], color="#555", lw=2)
        ax.plot(points["p90"], i, "|", color="#555", ms=12)
        ax.plot(
            _mean(stats.get("lead_time_wd_mean")),
            i,
            "o",
            color="#4c72b0",
            label=_("mean") if i == 0 else None,
        )
        info = result.get("service_info", {}).get(name, {})
        for ref, colour, label in (
            ("promised", "#e5b800", _("promised limit")),
            ("legal", "#c44e52", _("legal limit")),
        ):
            limit = _wd(info.get(ref, ""))
            if limit is not None:
                ax.plot(
                    [limit, limit],
                    [i - 0.35, i + 0.35],
                    color=colour,
                    lw=2,
                    label=label if i == 0 else None,
                )
    ax.set_yticks(range(len(services)), services)
    ax.set_xlabel(_("lead time, working days (line: median to p95, tick: p90)"))
    ax.legend(frameon=False, loc="lower right")
    return fig


def timeline(result: dict):
    """Replication 0 day by day: open cases stacked by card level, and queue length per department."""
    plt = _pyplot()
    result = _labels(result)
    samples = result["timeline"]
    days = list(range(len(samples)))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True)
    colours = {"green": "#55a868", **LEVEL_COLOURS}
    levels = [lv for lv in colours if any(s["cards"].get(lv) for s in samples)] or ["green"]
    top.stackplot(
        days,
        [[s["cards"].get(lv, 0) for s in samples] for lv in levels],
        labels=[localized(LEVEL_LABELS.get(lv, lv)) for lv in levels],
        colors=[colours[lv] for lv in levels],
    )
    top.set_ylabel(_("open cases by card"))
    top.legend(frameon=False, loc="upper left", fontsize=8)
    for name in samples[0]["queues"] if samples else []:
        bottom.plot(days, [s["queues"][name] for s in samples], label=name, lw=1.2)
    bottom.set_ylabel(_("queue at close"))
    bottom.legend(frameon=False, loc="upper left", fontsize=8, ncol=3)
    ticks = days[:: max(1, len(days) // 8)]
    bottom.set_xticks(ticks, [samples[i]["day"] for i in ticks], rotation=20, ha="right")
    return fig


def utilisation(result: dict):
    """Bars: each department's utilisation with its 95% CI."""
    plt = _pyplot()
    result = _labels(result)
    names = list(result["departments"])
    fig, ax = plt.subplots(figsize=(max(5, 0.9 * len(names) + 2), 3.2))
    values = [100 * _mean(result["departments"][n]["utilisation"]) for n in names]
    errors = [100 * _half(result["departments"][n]["utilisation"]) for n in names]
    ax.bar(range(len(names)), values, yerr=errors, capsize=3, color="#4c72b0")
    ax.axhline(85, color="#c44e52", lw=1, ls="--")
    ax.set_xticks(range(len(names)), names, rotation=20, ha="right")
    ax.set_ylabel(_("utilisation, % (dashed: 85 %)"))
    return fig


def cards_per_day(result: dict):
    """A forecast's cards first fired on each working day of the horizon (every case, open and
    new): yellow and red side by side, the mean over replications with its 95% CI."""
    plt = _pyplot()
    days = _labels(result["cards_per_day"])
    fig, ax = plt.subplots(figsize=(max(6, 0.55 * len(days) + 2), 3.4))
    _yellow_red_bars(
        ax, lambda level: [day[level] for day in days], (_("yellow cards"), _("red cards"))
    )
    ax.set_xticks(range(len(days)), [day["day"][5:] for day in days], rotation=30, ha="right")
    ax.set_xlabel(_("working day (month-day)"))
    ax.set_ylabel(_("cards fired (all cases)"))
    ax.set_ylim(bottom=0)
    ax.set_title(_("Cards fired per working day (95% CI)"))
    ax.legend(frameon=False)
    return fig


def sweep_heatmap(result: dict, metric: str = "ever_red") -> str:
    """Two varied keys: a grid coloured by a metric's mean (values written in the cells)."""
    plt = _pyplot()
    result, metric = _labels(result), _labels(metric)
    if len(result["vary"]) != 2:
        raise SlasimError("a heat map needs exactly two --vary keys")
    a, b = result["vary"]
    xs = sorted({r["values"][a] for r in result["rows"]}, key=str)
    ys = sorted({r["values"][b] for r in result["rows"]}, key=str)
    grid = [
        [
            next(
                _mean(r["overall"].get(metric))
                for r in result["rows"]
                if r["values"][a] == x and r["values"][b] == y
            )
            for x in xs
        ]
        for y in ys
    ]
    fig, ax = plt.subplots(figsize=(1.2 * len(xs) + 2.5, 0.8 * len(ys) + 1.8))
    image = ax.imshow(grid, cmap="Reds", origin="lower", aspect="auto")
    for j, row in enumerate(grid):
        for i, value in enumerate(row):
            ax.text(
                i,
                j,
                f"{value:.1%}" if value <= 1 else f"{value:.1f}",
                ha="center",
                va="center",
                fontsize=8,
            )
    ax.set_xticks(range(len(xs)), xs)
    ax.set_yticks(range(len(ys)), ys)
    ax.set_xlabel(a)
    ax.set_ylabel(b)
    fig.colorbar(image, ax=ax, label=metric)
    return fig


def staffing_frontier(result: dict):
    """Cost against the first target's estimate (95% CI) for every staffing evaluated, per reform
    set: filled markers accepted, hollow rejected; the dashed line is the target's bound."""
    plt = _pyplot()
    result = _labels(result)
    spec = result["target_specs"][0]
    scale = 100.0 if spec.get("share") else 1.0
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for k, res in enumerate(result["results"]):
        label = " + ".join(res["reforms"]) or _("baseline")
        colour = f"C{k}"
        for accepted in (True, False):
            rows = [c for c in res["frontier"] if c["accepted"] is accepted]
            stats = [c[spec["text"]] for c in rows]
            means = [scale * (s["mean"] or 0.0) for s in stats]
            # A share's interval is clipped to [0, 1], so it need not be symmetric.
            below = [m - scale * s["ci"][0] if s["ci"] else 0.0 for m, s in zip(means, stats)]
            above = [scale * s["ci"][1] - m if s["ci"] else 0.0 for m, s in zip(means, stats)]
            ax.errorbar(
                [c["cost"] for c in rows],
                means,
                yerr=[below, above],
                fmt="o",
                color=colour,
                markerfacecolor=colour if accepted else "none",
                capsize=3,
                label=(_("{reforms}, accepted") if accepted else _("{reforms}, rejected")).format(
                    reforms=label
                )
                if rows
                else None,
            )
    ax.axhline(scale * spec["value"], color="#555", linestyle="--", linewidth=1)
    ax.set_xlabel(_("staffing cost"))
    ax.set_ylabel(spec["text"].split("<=")[0].split(">=")[0] + (" (%)" if scale == 100 else ""))
    ax.set_title(_("Staffings evaluated: cost against the first target"))
    ax.legend(frameon=False, fontsize=8)
    return fig


def fidelity_profiles(result: dict):
    """Real against simulated: lead-time distribution (quantiles), receipts per weekday and hour."""
    plt = _pyplot()
    result = _labels(result)
    prof = result["profiles"]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    levels = [100 * q for q in prof["quantile_levels"]]
    names = {"real": _("real"), "simulated": _("simulated")}
    for key, style in (("real", "-"), ("simulated", "--")):
        quantiles = prof[key]["lead_time_wd_quantiles"]
        if quantiles:
            axes[0].plot(quantiles, levels, style, label=names[key])
    axes[0].set_xlabel(_("lead time (working days)"))
    axes[0].set_ylabel(_("% of decided cases"))
    axes[0].set_title(_("Lead times (cumulative)"))
    axes[0].legend(frameon=False)
    width = 0.4
    for k, (key, colour) in enumerate((("real", "#4c72b0"), ("simulated", "#dd8452"))):
        week = [100 * v for v in prof[key]["weekday_share"]]
        axes[1].bar(
            [i + (k - 0.5) * width for i in range(7)], week, width, color=colour, label=names[key]
        )
        hours = [100 * v for v in prof[key]["hour_share"]]
        axes[2].bar([i + (k - 0.5) * width for i in range(24)], hours, width, color=colour)
    weekdays = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    axes[1].set_xticks(range(7), weekdays)
    axes[1].set_title(_("Receipts per weekday (%)"))
    axes[1].legend(frameon=False)
    axes[2].set_title(_("Receipts per hour of day (%)"))
    axes[2].set_xlabel(_("hour"))
    fig.tight_layout()
    return fig


def save(fig, path, outputs: OutputSet | None = None) -> None:
    """Write a chart as .png or .svg (by the suffix), atomically, or staged in `outputs` to appear
    with the other files of a set; the figure is closed."""
    from pathlib import Path

    path = Path(path)
    kind = path.suffix.lower().lstrip(".")
    if kind not in ("png", "svg"):
        raise SlasimError("a chart is written as .png or .svg", field=str(path))
    try:
        with OutputSet() if outputs is None else nullcontext(outputs) as target:
            if kind == "svg":
                target.stage(path).write_text(svg_text(fig), encoding="utf-8")
            else:
                with _drawing(fig):
                    fig.savefig(target.stage(path), format=kind, bbox_inches="tight", dpi=120)
    finally:
        _pyplot().close(fig)
