"""`slasim forecast --out DIR` and `slasim report DIR` on its folder: the folder holds exactly what
`--json` and `--csv` print and write, published as one set; the page's risk table and cards per
day are the JSON's, escaped; `--charts` draws the cards-per-day chart; in Chinese no English is
left on the page; an `--out` that is an input is refused before any work."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest

from .english import english_left
from .helpers import ROOT, slasim

pytest.importorskip("matplotlib")

OPEN = ROOT / "scenarios/open-cases/district-centre.yaml"
FORECAST = ("forecast", "district-centre", "--open", OPEN, "--horizon", "5wd", "--reps", "5")
MANIFEST = "slasim-manifest.json"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A forecast's folder (`--out DIR`), its English page with charts and its Chinese page."""
    out = tmp_path_factory.mktemp("forecast") / "week"
    ran = slasim(*FORECAST, "--out", out)
    assert ran.returncode == 0, ran.stderr
    made = slasim("report", out, "--charts")
    assert made.returncode == 0, made.stderr
    made = slasim("--lang", "zh", "report", out, "--html", out.parent / "zh.html")
    assert made.returncode == 0, made.stderr
    return out


class _Page(HTMLParser):
    """The visible text (no style, chart or title) and each table's rows of cell texts, by id."""

    HIDDEN = ("style", "script", "svg", "title")

    def __init__(self, text: str) -> None:
        super().__init__()
        self.hidden, self.text, self.tables = 0, [], {}
        self.table = self.row = self.cell = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag == "table":
            self.table = self.tables.setdefault(dict(attrs).get("id"), [])
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden -= 1
        elif tag in ("td", "th"):
            self.row.append("".join(self.cell))
            self.cell = None
        elif tag == "tr":
            self.table.append(self.row)

    def handle_data(self, data):
        if not self.hidden:
            self.text.append(data)
            if self.cell is not None:
                self.cell.append(data)


def _numbers(text: str) -> list[float]:
    """`40% [12%-77%]` as [40, 12, 77]; `1.00 [0.50, 1.50]` as [1.0, 0.5, 1.5]."""
    return [float(n) for n in re.findall(r"\d+(?:\.\d+)?", text)]


def test_the_folder_holds_what_json_and_csv_give_as_one_set(folder, tmp_path):
    printed = slasim(*FORECAST, "--json", "--csv", tmp_path / "risk.csv")
    assert printed.returncode == 0, printed.stderr
    assert (folder / "forecast.json").read_bytes() == printed.stdout.encode("utf-8")
    assert (folder / "risk.csv").read_bytes() == (tmp_path / "risk.csv").read_bytes()
    sets = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["sets"]
    assert [(s["command"], s["complete"], sorted(s["files"])) for s in sets] == [
        ("forecast", True, ["forecast.json", "risk.csv"])
    ]
    # --out FILE keeps writing one file: .json the document, .csv the risk table
    for name, same in (("one.json", folder / "forecast.json"), ("one.csv", folder / "risk.csv")):
        assert slasim(*FORECAST, "-q", "--out", tmp_path / name).returncode == 0
        assert (tmp_path / name).read_bytes() == same.read_bytes()


def test_the_pages_risk_table_is_the_jsons_cases_riskiest_first(folder):
    result = json.loads((folder / "forecast.json").read_text(encoding="utf-8"))
    page = _Page((folder / "report.html").read_text(encoding="utf-8"))
    header, *rows = page.tables["risk"]
    assert header[:3] == ["open case", "service", "step"]
    assert len(rows) == len(result["cases"]) == result["open_cases"] == 9
    red = [case["red"]["p"] for case in result["cases"]]
    assert red == sorted(red, reverse=True)  # riskiest first, as the JSON ranks them
    for row, case in zip(rows, result["cases"]):
        assert row[:4] == [case["id"], case["service"], case["step"], case["card_now"]]
        for cell, level in ((row[4], "yellow"), (row[6], "red")):
            p, low, high = _numbers(cell)
            want = [100 * case[level]["p"], *(100 * x for x in case[level]["ci95"])]
            assert [p, low, high] == pytest.approx(want, abs=0.5)
        assert row[5] == (case["yellow_by"] or "-")  # English dates are ISO
        assert row[7] == (case["red_by"] or "-")
        assert row[8] == case["decision_p50"]
        assert row[9] == (case["binding_desk"] or "-")
    _, *days = page.tables["cards-per-day"]
    assert [d[0] for d in days] == [d["day"] for d in result["cards_per_day"]]
    for row, day in zip(days, result["cards_per_day"]):
        for cell, level in ((row[1], "yellow"), (row[2], "red")):
            assert _numbers(cell) == pytest.approx(
                [day[level]["mean"], *day[level]["ci95"]], abs=0.005
            )
    # the trust line: engine, replications, seed, years, horizon, where the open cases came from
    text = " ".join(" ".join(page.text).split())
    for said in (
        "engine events",
        "5 replications, seed 2025",
        "published years",
        "horizon 5wd",
        f"to {result['horizon_end']}",
        "from an open-cases file",
    ):
        assert said in text


def test_charts_only_with_charts(folder, tmp_path):
    for suffix in ("png", "svg"):
        assert (folder / f"cards-per-day.{suffix}").is_file()
    assert (folder / "cards-per-day.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = ElementTree.parse(folder / "cards-per-day.svg").getroot()
    assert svg.tag.endswith("svg")
    plain = tmp_path / "plain"
    shutil.copytree(folder, plain)
    for suffix in ("png", "svg"):
        (plain / f"cards-per-day.{suffix}").unlink()
    assert slasim("report", plain).returncode == 0
    assert not (plain / "cards-per-day.png").exists()
    assert (plain / "report.html").is_file()


def test_the_page_in_chinese_has_no_english_left(folder):
    page = (folder.parent / "zh.html").read_text(encoding="utf-8")
    assert "<html lang='zh-CN'>" in page
    parsed = _Page(page)
    visible = "\n".join(parsed.text)
    # case ids, services, steps and desks are the file's names (hyphenated or one word)
    assert english_left(visible) == []
    assert "在办件亮牌预测" in visible and "卡点窗口" in visible
    header = parsed.tables["risk"][0]
    assert header[:3] == ["办件", "事项", "环节"]


def test_values_from_the_file_are_escaped(folder, tmp_path):
    """A forecast.json written by hand (no manifest): a name holding markup stays text."""
    result = json.loads((folder / "forecast.json").read_text(encoding="utf-8"))
    result["cases"][0]["id"] = "<script>alert(1)</script>"
    result["cases"][0]["binding_desk"] = "<b>desk</b>"
    result["cases"][1]["decision_p50"] = None  # not decided within the run
    hand = tmp_path / "hand"
    hand.mkdir()
    (hand / "forecast.json").write_text(json.dumps(result), encoding="utf-8")
    assert slasim("report", hand).returncode == 0
    page = (hand / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "<b>desk" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    rows = _Page(page).tables["risk"]
    assert rows[1][0] == "<script>alert(1)</script>" and rows[1][9] == "<b>desk</b>"
    assert rows[2][8] == f"after {result['run_until']}"


def test_the_trust_line_names_the_case_log(tmp_path):
    out = tmp_path / "from-log"
    log = "scenarios/logs/loanapp-sample.csv"
    args = ("forecast", "scenarios/fitted/loanapp.yaml", "--log", log, "--as-of")
    ran = slasim(*args, "2023-02-15T10:00", "--horizon", "2wd", "--reps", 3, "--out", out, cwd=ROOT)
    assert ran.returncode == 0, ran.stderr
    assert slasim("report", out).returncode == 0
    page = _Page((out / "report.html").read_text(encoding="utf-8"))
    text = " ".join("".join(page.text).split())
    assert f"at 2023-02-15T10:00, from the case log {log};" in text
    result = json.loads((out / "forecast.json").read_text(encoding="utf-8"))
    assert [row[0] for row in page.tables["risk"][1:]] == [c["id"] for c in result["cases"]]


def test_an_out_that_is_an_input_is_refused_before_any_work(tmp_path):
    """The open-cases file (YAML, named forecast.json) in the folder --out names: refused by the
    guard before it is read (read, its YAML would be bad JSON); nothing written."""
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "forecast.json").write_bytes(OPEN.read_bytes())
    ran = slasim("forecast", "district-centre", "--open", shared / "forecast.json", "--out", shared)
    assert ran.returncode == 2
    assert ran.stderr.strip().count("\n") == 0
    assert "an input of this command" in ran.stderr and "forecast.json" in ran.stderr
    assert sorted(p.name for p in shared.iterdir()) == ["forecast.json"]
    assert (shared / "forecast.json").read_bytes() == OPEN.read_bytes()
    single = tmp_path / "open.json"
    single.write_bytes(OPEN.read_bytes())
    ran = slasim("forecast", "district-centre", "--open", single, "--out", single)
    assert ran.returncode == 2 and "an input of this command" in ran.stderr
    assert single.read_bytes() == OPEN.read_bytes()


def test_an_out_with_another_suffix_is_refused_and_an_existing_folder_taken(folder, tmp_path):
    """`risk.txt` is a slip, not a folder: one line, exit 2, nothing made; a folder that exists
    is a folder whatever its name (`week.json/`)."""
    ran = slasim(*FORECAST, "--out", tmp_path / "risk.txt")
    assert ran.returncode == 2
    assert ran.stderr.strip() == (
        "error: --out: give --out a folder (a name without a suffix), or a .json or .csv file"
    )
    assert not (tmp_path / "risk.txt").exists()
    named = tmp_path / "week.json"
    named.mkdir()
    assert slasim(*FORECAST, "-q", "--out", named).returncode == 0
    for name in ("forecast.json", "risk.csv"):
        assert (named / name).read_bytes() == (folder / name).read_bytes()


def test_a_backtest_has_no_folder(tmp_path):
    ran = slasim(
        "forecast",
        "scenarios/fitted/loanapp.yaml",
        "--log",
        "scenarios/logs/loanapp-sample.csv",
        "--backtest",
        "--out",
        tmp_path / "bt",
        cwd=ROOT,
    )
    assert ran.returncode == 2
    assert ran.stderr.strip() == (
        "error: --out: give --out a .json file (a backtest has no per-case table)"
    )
    assert not (tmp_path / "bt").exists()
