"""`slasim --lang zh report --charts` in Chinese, and Chinese that renders: no English left on the
page, the page's Chinese drawn by headless chromium with a CJK font (no tofu: each ideograph its
own glyph, one em wide, none the box a missing glyph is drawn as), the charts drawn by matplotlib
with a CJK font (no missing-glyph warning), and one clear warning when no CJK font is found."""

from __future__ import annotations

import os
import re
import shutil
import warnings
from html.parser import HTMLParser
from pathlib import Path

import pytest

from .english import english_left
from .helpers import ROOT, slasim

pytest.importorskip("matplotlib")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def _missing_glyphs(caught) -> list[str]:
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A short run of scenarios/minimal.yaml and its report in Chinese, charts too; with the
    warnings matplotlib gave while drawing."""
    out = tmp_path_factory.mktemp("zh-report")
    ran = slasim(
        "run",
        ROOT / "scenarios/minimal.yaml",
        "--reps",
        "2",
        "--set",
        "working_days=20",
        "--out",
        out,
        "-q",
        "-w",
        "1",
    )
    assert ran.returncode == 0, ran.stderr
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        made = slasim("--lang", "zh", "report", out, "--charts")
    assert made.returncode == 0, made.stderr
    return out, made, _missing_glyphs(caught)


class _Visible(HTMLParser):
    """The text a reader sees: no style, no chart drawing (its glyphs are paths), no scenario
    definition (the user's file, shown as written)."""

    HIDDEN = ("style", "script", "svg", "pre", "title")

    def __init__(self):
        super().__init__()
        self.hidden = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in self.HIDDEN

    def handle_endtag(self, tag):
        self.hidden -= tag in self.HIDDEN

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(page: str) -> str:
    parser = _Visible()
    parser.feed(page)
    return "\n".join(parser.parts)


def test_the_page_is_chinese_with_chinese_dates(report):
    out, made, _ = report
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html><html lang='zh-CN'>")
    assert made.stdout.splitlines()[0] == f"已写出 {out / 'report.html'}"
    text = visible_text(page)
    assert english_left(text) == []
    # the calendar's title in Chinese (calendars/cn.toml's title_zh)
    assert "中国（全国）— 国务院节假日安排（" in text and "State Council" not in text
    # 20 working days from Mon 2 March 2026 (no holiday in March): four weeks, to Fri 27 March.
    assert (
        "2026年3月2日 (2026-03-02) 至 2026年3月27日 (2026-03-27)（20 个工作日，预热 5 个工作日）"
        in text
    )
    for heading in ("<h2>结果</h2>", "<h2>日历</h2>", "<h2>情景定义</h2>"):
        assert heading in page
    # cn's 2026 notice, issued on 4 November 2025 (calendars/cn.toml).
    assert "国务院办公厅关于2026年部分节假日安排的通知；发布于 2025年11月4日 (2025-11-04)" in text


def test_the_english_page_is_unchanged_in_english(report):
    from slasim.outputs.html import build_report

    out, _, _ = report
    page = build_report(out)
    assert page.startswith("<!DOCTYPE html><html lang='en'>")
    assert "<h2>Results</h2>" in page and "<h2>Calendar</h2>" in page
    assert "2026-03-02 to 2026-03-27 (20 working days, warm-up 5)" in page
    assert "China (national) — State Council holiday arrangements (<code>cn</code>" in page


def test_the_staffing_page_in_chinese_shows_the_search_read_back_from_its_file(tmp_path):
    """minimal: 20 receipts a working day of 30 minutes each on a 420-minute office day are an
    offered load of 600 / 420 = 1.43 staff, so one clerk is unstable and two, at a cost of 1
    each, are the cheapest staffing; the file holds English, the page shows Chinese."""
    out = tmp_path / "staff"
    ran = slasim("staff", "minimal", "-t", "past_promised<=1%", "--out", out, "-q")
    assert ran.returncode == 0, ran.stderr
    assert slasim("--lang", "zh", "report", out).returncode == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert english_left(visible_text(page)) == []
    assert "<p>成本 2（已找到）。</p>" in page
    assert "<th>被否决的更低成本配置</th><th>成本</th><th>原因</th>" in page
    assert re.search(r"<td>window=1</td><td>1</td><td>window：[^<]*1\.43[^<]*</td>", page)


def test_help_and_errors_of_report_in_chinese(tmp_path):
    shown = slasim("--lang", "zh", "report", "--help")
    assert shown.returncode == 0 and "结果文件夹" in shown.stdout
    assert english_left(shown.stdout) == []
    failed = slasim("--lang", "zh", "report", tmp_path)
    assert failed.returncode == 2 and failed.stdout == ""
    assert failed.stderr == (
        f"错误：{tmp_path}: 此处没有 summary.json（run --out）、compare.json（compare --out）、"
        "staffing.json（staff --out）、fidelity.json（fidelity --out）或 forecast.json（forecast --out）\n"
    )


def test_the_page_names_cjk_fonts_for_the_browser(report):
    out, _, _ = report
    page = (out / "report.html").read_text(encoding="utf-8")
    style = page[page.index("<style>") : page.index("</style>")]
    for family in ('"Noto Sans CJK SC"', '"Source Han Sans SC"', '"Microsoft YaHei"', "sans-serif"):
        assert family in style


def test_text_from_the_result_file_stays_text_in_chinese(report, tmp_path):
    """Warnings, notes and names are escaped whatever message they are shown through."""
    import json

    from slasim.io.i18n import language
    from slasim.outputs.html import build_report

    out, _, _ = report
    result = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    result["warnings"] = ["<script>x()</script>", "Method: <img src=x>"]
    result["engine_note"] = "not the queue path: <b>step</b>"
    result["replications"] = "<i>2</i>"
    (tmp_path / "summary.json").write_text(json.dumps(result), encoding="utf-8")
    with language("zh"):
        page = build_report(tmp_path)
    assert "<script>" not in page and "<img" not in page and "<b>" not in page
    assert "<i>" not in page
    assert "<li>方法：&lt;img src=x&gt;</li>" in page  # translated, its parameter escaped


def test_a_runs_warnings_are_shown_in_chinese_with_their_figures(tmp_path):
    """One clerk for an offered load of 1.43 (minimal): the backlog before acceptance grows and
    the run warns; summary.json holds the English, the page shows it in Chinese with the same
    figures."""
    import json

    out = tmp_path / "over"
    ran = slasim(
        "run", "minimal", "--reps", "2", "--set", "working_days=20",
        "--set", "departments.window.staff=1", "--out", out, "-q", "-w", "1",
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    (warning,) = json.loads((out / "summary.json").read_text(encoding="utf-8"))["warnings"]
    assert "the backlog before acceptance grows" in warning  # English in the file
    assert slasim("--lang", "zh", "report", out).returncode == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    (shown,) = re.findall(r"<div class='warn'><strong>警告</strong><ul><li>([^<]*)</li>", page)
    assert english_left(shown) == [] and "积压" in shown
    found = re.search(r"(\d+) cases await .*?, (\d+) more .*? up to ([\d.]+) wd", warning)
    assert found and all(figure in shown for figure in found.groups())


def test_messages_read_back_from_a_result_file_are_shown_in_chinese():
    """English written from a message with parameters (a result file holds only the English) is
    recognised and shown translated, its parameters as written; a nested message too; a name
    that is no message stays as it is."""
    from slasim.io.i18n import language
    from slasim.outputs.html import _shown

    with language("zh"):
        assert _shown("Method: exhaustive") == "方法：exhaustive"
        assert _shown("Cost 4; saves 1.5 against the baseline (optimal).") == (
            "成本 4；比基准节省 1.5（optimal）。"
        )
        assert _shown(
            "No staffing within the bounds meets the targets: Budget exhausted before any "
            "staffing was accepted."
        ) == (
            "在给定范围内没有能满足目标的人员配置：在找到满足要求的人员配置之前，仿真预算已用完。"
        )
        assert _shown("permit") == "permit"
        joined = "Budget exhausted before any staffing was accepted.; PROVISIONAL"
        assert _shown(joined) == "在找到满足要求的人员配置之前，仿真预算已用完。；暂定"
    assert _shown("Method: exhaustive") == "Method: exhaustive"  # English stays English


def test_the_charts_are_drawn_with_a_cjk_font(report):
    out, _, missing = report
    assert missing == []  # matplotlib drew every Chinese glyph
    for name in ("cards", "lead-times", "utilisation", "timeline"):
        assert (out / f"{name}.png").stat().st_size > 5000
        assert (out / f"{name}.svg").read_text(encoding="utf-8").count("<svg") == 1
    from matplotlib import font_manager

    from slasim.io.i18n import language
    from slasim.outputs import plots

    with language("zh"):
        fig = plots.utilisation({"departments": {"窗口": {"utilisation": None}}})
        label = fig.axes[0].yaxis.label
        assert label.get_text() == "利用率，%（虚线：85%）"
        first = font_manager.fontManager._find_fonts_by_props(label.get_fontproperties())[0]
        face = font_manager.get_font(first)
        assert (face.family_name, face.style_name) == (plots.cjk_font(), "Regular")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            plots.save(fig, out / "check.png")
    assert _missing_glyphs(caught) == []
    assert "CJK" in plots.cjk_font()  # fonts-noto-cjk on this machine and in CI


def _chart_texts(fig) -> str:
    from matplotlib.text import Text

    return "\n".join(t.get_text() for t in fig.findobj(Text) if t.get_text())


def test_every_chart_has_its_titles_axes_and_legends_in_chinese(report):
    import json

    from slasim.io.i18n import language
    from slasim.outputs import plots

    out, _, _ = report
    result = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    frontier = [{"cost": 2, "accepted": True, "red<=5%": {"mean": 0.01, "ci": [0.0, 0.03]}}]
    staffing = {
        "target_specs": [{"text": "red<=5%", "value": 0.05, "share": True}],
        "results": [{"reforms": [], "frontier": frontier}],
    }
    side = {"lead_time_wd_quantiles": [1, 2, 3], "weekday_share": [0.2] * 5 + [0] * 2}
    side["hour_share"] = [1 / 24] * 24
    fidelity = {"profiles": {"quantile_levels": [0.1, 0.5, 0.9], "real": side, "simulated": side}}
    with language("zh"):
        figures = {
            "cards": plots.card_rates(result["services"], "各事项亮牌情况"),
            "lead times": plots.lead_times(result),
            "utilisation": plots.utilisation(result),
            "timeline": plots.timeline(result),
            "staffing": plots.staffing_frontier(staffing),
            "fidelity": plots.fidelity_profiles(fidelity),
        }
        texts = {name: _chart_texts(fig) for name, fig in figures.items()}
    import matplotlib.pyplot as plt

    for fig in figures.values():
        plt.close(fig)
    for name, text in texts.items():
        assert english_left(text) == [], name
    assert "曾亮黄牌" in texts["cards"] and "承诺时限" in texts["lead times"]
    assert "未亮牌" in texts["timeline"] and "周一" in texts["fidelity"]
    assert "基准，通过" in texts["staffing"]  # no reform: the baseline's staffing, accepted


def test_a_cjk_font_installed_after_matplotlibs_font_list_was_made_is_found(monkeypatch):
    """matplotlib's cached font list may predate fonts-noto-cjk (so it was on this machine):
    the font files are found on the system and added, every face of the family, so a label of
    normal weight is drawn with the regular face (not the bold one)."""
    from matplotlib import font_manager

    from slasim.outputs import plots

    if not [f for f in font_manager.findSystemFonts() if plots.CJK_FILES.search(f)]:
        pytest.skip("no CJK font file on this machine (fonts-noto-cjk is installed by .ci/run)")
    manager = font_manager.fontManager
    others = [e for e in manager.ttflist if not plots.CJK_FILES.search(e.fname)]
    monkeypatch.setattr(manager, "ttflist", others)
    found = plots.cjk_font.__wrapped__()  # the search itself, not the process's cached answer
    assert found in plots.CJK_FAMILIES
    assert {400, 700} <= {e.weight for e in manager.ttflist if e.name == found}


def test_without_a_cjk_font_one_warning_and_the_charts_are_still_written(
    tmp_path, monkeypatch, capsys
):
    from slasim.io.i18n import language
    from slasim.outputs import plots

    monkeypatch.setattr(plots, "cjk_font", lambda: None)
    monkeypatch.setattr(plots, "_warned", [])
    with language("zh"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name in ("a.png", "b.svg"):
            fig = plots.utilisation({"departments": {"窗口": {"utilisation": None}}})
            plots.save(fig, tmp_path / name)
    err = capsys.readouterr().err
    assert err == ("警告：未找到中文（CJK）字体：图表中的中文将显示为方框；请安装 fonts-noto-cjk\n")
    assert _missing_glyphs(caught) == []  # not one matplotlib warning per glyph
    assert (tmp_path / "a.png").stat().st_size > 1000
    assert (tmp_path / "b.svg").read_text(encoding="utf-8").count("<svg") == 1
    # English labels need no CJK font: no warning.
    monkeypatch.setattr(plots, "_warned", [])
    plots.save(
        plots.utilisation({"departments": {"window": {"utilisation": None}}}), tmp_path / "c.png"
    )
    assert capsys.readouterr().err == ""


# Draws each distinct Han character of an element's text alone on a canvas in the element's
# font (as the page draws it) and measures it; and three code points no font has (two private
# use, one unassigned), which every browser draws as the same missing-glyph box: the tofu.
GLYPHS_JS = r"""
const el = document.querySelector(arguments[0]);
const style = getComputedStyle(el);
const font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
const canvas = document.createElement('canvas');
canvas.width = 64; canvas.height = 64;
const ctx = canvas.getContext('2d');
function draw(ch) {
  ctx.clearRect(0, 0, 64, 64);
  ctx.font = font; ctx.textBaseline = 'top'; ctx.fillStyle = '#000';
  ctx.fillText(ch, 4, 4);
  const data = ctx.getImageData(0, 0, 64, 64).data;
  let hash = 0, ink = 0;
  for (let i = 3; i < data.length; i += 4) { hash = (hash * 31 + data[i]) >>> 0; ink += data[i] > 0; }
  return {ch: ch, width: ctx.measureText(ch).width, pixels: hash, ink: ink};
}
const han = [...new Set([...el.textContent].filter(c => /\p{Script=Han}/u.test(c)))];
return {size: parseFloat(style.fontSize), glyphs: han.map(draw),
        tofu: ['\uE000', '\uF8FE', '\u{10FFFD}'].map(draw)};
"""


@pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs Debian's chromium and chromium-driver (installed by .ci/run)",
)
def test_chromium_draws_the_chinese_with_a_cjk_font_not_tofu(report, tmp_path):
    pytest.importorskip("selenium")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    out, _, _ = report
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"):
        options.add_argument(flag)
    options.add_argument("--window-size=1200,1600")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.get((out / "report.html").as_uri())
        assert driver.execute_script("return document.documentElement.lang") == "zh-CN"
        # The fonts chromium drew the first heading (结果) with: CJK fonts only.
        driver.execute_cdp_cmd("DOM.enable", {})
        driver.execute_cdp_cmd("CSS.enable", {})
        root = driver.execute_cdp_cmd("DOM.getDocument", {})["root"]["nodeId"]
        node = driver.execute_cdp_cmd("DOM.querySelector", {"nodeId": root, "selector": "h2"})
        used = driver.execute_cdp_cmd("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})
        families = [font["familyName"] for font in used["fonts"]]
        assert families and all("CJK" in name for name in families), families
        for selector in ("h2", "figcaption", "th"):
            drawn = driver.execute_script(GLYPHS_JS, selector)
            tofu = {g["pixels"] for g in drawn["tofu"]}
            assert len(tofu) == 1  # the check sees tofu when there is some
            glyphs = drawn["glyphs"]
            assert glyphs, selector
            assert all(g["pixels"] not in tofu and g["ink"] > 0 for g in glyphs), selector
            assert len({g["pixels"] for g in glyphs}) == len(glyphs)  # each its own glyph
            # An ideograph is one em wide; the missing-glyph box is narrower.
            assert all(abs(g["width"] - drawn["size"]) < 0.5 for g in glyphs), selector
            assert all(abs(g["width"] - drawn["size"]) > 1 for g in drawn["tofu"])
        driver.set_window_size(1200, 1600)
        shot = tmp_path / "report-zh.png"
        assert driver.save_screenshot(str(shot))
    finally:
        driver.quit()
    import matplotlib.image as mpimg

    image = mpimg.imread(shot)
    assert image.shape[1] >= 1000 and image.shape[0] >= 1000
    artifacts = os.environ.get("SLASIM_ARTIFACTS")
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(artifacts) / shot.name)
    print(f"screenshot: {shot}")


def test_the_window_line_puts_the_opening_in_running_chinese(tmp_path):
    """A fidelity window result (built by hand, as `fidelity --protocol window --out` writes it):
    the phrase naming where the window opens is running text, with no space between it and the
    Chinese before it; the English page reads as before."""
    import json

    from slasim.io.i18n import language, localized
    from slasim.outputs.html import build_report

    stat = {"mean": 0.5, "sd": 0.1, "ci95": [0.4, 0.6]}
    result = {
        "protocol": "window",
        "scenario": "loanapp",
        "log": "loanapp.csv",
        "real_cases": 3,
        "window": ["2024-01-08T09:00", "2024-01-12T17:00"],
        "window_opens_at": "the fit's split",
        "replications": 2,
        "seed": 1,
        "view": "window",
        "measures": {"lead_time_wd": {"real": 0.5, "simulated": stat}},
        "distances": {"cycle_time": stat},
        "reference": {"cycle_time": 0.1},
    }
    (tmp_path / "fidelity.json").write_text(json.dumps(result), encoding="utf-8")
    with language("zh"):
        page = build_report(tmp_path)
        phrase = localized("the fit's split")
    line = re.search(r"<p>[^<]*实际办件 3 件[^<]*</p>", page).group(0)
    assert re.search(r"[\u4e00-\u9fff]" + phrase + "）", line), line
    assert " " + phrase not in line
    assert "(opening at the fit&#x27;s split)" in build_report(tmp_path)  # ' escaped


def test_running_takes_out_the_space_between_chinese_only():
    from slasim.outputs.html import _running

    assert _running("（开始于 {opens}）", opens="拟合时的划分点") == "（开始于{opens}）"
    assert _running("于 {x} 之后", x="预热期结束") == "于{x}之后"
    # English, an ASCII value, or no space: as written
    assert _running("(opening at {opens})", opens="the fit's split") == "(opening at {opens})"
    assert _running("开始于 {opens} 后", opens="2024-01-08") == "开始于 {opens} 后"
    assert _running("开始于{opens}", opens="拟合时") == "开始于{opens}"
