"""`slasim check` in Chinese: the text report, JUnit XML, GitHub annotations with the job summary,
SARIF, an invalid file and the command's help, for a passing and a failing check file. Every text a
person reads is Chinese (no run of English words left but names from the file); the structure
(XML elements, test names, annotation commands and locations, SARIF rule ids and locations) is the
English run's, message texts aside; `--json` is byte-identical in both languages."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET

import pytest

from .english import english_left
from .helpers import ROOT

SHIPPED = ROOT / "scenarios" / "checks"

# The shipped national file with its first expectation moved one working day on: 20 working days
# from acceptance on Fri 2025-09-26 end on Thu 2025-10-30 (make-up Sundays 09-28 and 10-11 count,
# 10-01..10-08 do not); the file now expects Fri 10-31, the next working day, so the computed due
# is 1 working day early. Its case name is English: a name from the file, shown as written.
NAME = "20 working days over National Day 2025"
# Cases with Chinese names for the other failures: a card level, a first card, a state at an
# instant (5wd from Mon 2025-03-03: due Mon 03-10 17:30; warn-before is yellow at 90% used, so
# 17:00 that day is yellow, not red), and a case in 2027, past cn's published years (provisional).
EXTRA = """
  - name: 亮牌
    accepted: 2025-03-03
    limit: 5wd
    expect: {card_at: {"2025-03-10T17:00": red}, cards: {yellow: null}}
  - name: 办结后
    accepted: 2025-03-03
    decided: 2025-03-05T10:00
    limit: 5wd
    expect: {state_at: {"2025-03-06T10:00": running}}
  - name: 明年
    accepted: 2027-03-01
    limit: 1wd
    expect: {due: 2027-03-02}
"""
FAILURE_LINE = (
    "    - 法定时限到期日：应为 2025年10月31日 (2025-10-31)，"
    "实为 2025年10月30日 (2025-10-30)（比预期早 1 个工作日）"
)
ALLOWED = (NAME,)  # the case's name, from the file


@pytest.fixture
def files(tmp_path):
    """(passing file, failing file)."""
    text = (SHIPPED / "licence-national.yaml").read_text(encoding="utf-8")
    failing = tmp_path / "licence-failing.yaml"
    failing.write_text(text.replace("due: 2025-10-30", "due: 2025-10-31", 1) + EXTRA, "utf-8")
    return SHIPPED / "local-rules.yaml", failing


def both(cli, *args):
    """The same command in English and in Chinese: ((code, out, err) en, (…) zh)."""
    return cli("--lang", "en", *args), cli("--lang", "zh", *args)


def test_the_text_report_is_chinese_with_the_hand_checked_failure_line(cli, files):
    passing, failing = files
    (code_en, out_en, err_en), (code, out, err) = both(cli, "check", passing, failing)
    assert code == code_en == 1
    assert FAILURE_LINE in out.splitlines()
    assert f"  未通过 {NAME}（{failing}:11） [行政许可法 Art. 42, 82; 民法典 Art. 201]" in out
    assert f"{passing}：通过 4 件，未通过 0 件" in out.splitlines()
    assert out.splitlines()[-1] == "通过 24 件，未通过 3 件，暂定 1 件（超出已公布的年份）"
    assert "      逐日说明：slasim deadline 2025-09-26T09:00 20wd -c cn --explain" in out
    assert english_left(out, ALLOWED) == [] and english_left(err) == []
    assert "暂定" in err and "'明年'" in err
    assert len(out.splitlines()) == len(out_en.splitlines())  # one line for one line
    assert "due (legal): expected 2025-10-31, got 2025-10-30 (1 working day early)" in out_en


def test_json_is_byte_identical_in_both_languages(cli, files):
    for path in files:
        (code_en, out_en, _), (code, out, _) = both(cli, "check", path, "--json")
        assert code == code_en and out == out_en
    report = json.loads(out)
    failures = {c["name"]: c["failures"] for c in report["files"][0]["cases"] if c["failures"]}
    assert failures[NAME] == [
        "due (legal): expected 2025-10-31, got 2025-10-30 (1 working day early)"
    ]


def _messages(root: ET.Element) -> list[str]:
    """The texts of a JUnit document a person reads: failure and error messages, their bodies
    and provisional notes; blanked in the tree, so what is left is its structure."""
    texts = []
    for element in root.iter():
        if element.tag in ("failure", "error", "system-out"):
            texts += [element.attrib.pop("message", ""), element.text or ""]
            element.text = None
    return texts


def test_junit_messages_are_chinese_and_the_xml_is_the_english_one(cli, files, tmp_path):
    trees = []
    for lang in ("en", "zh"):
        junit = tmp_path / f"{lang}.xml"
        code, _, _ = cli("--lang", lang, "check", *files, "--junit-xml", junit)
        assert code == 1
        trees.append(ET.parse(junit).getroot())
    english, chinese = trees
    texts = _messages(chinese)
    _messages(english)
    assert ET.tostring(english) == ET.tostring(chinese)  # elements, names, ids, lines
    assert english_left("\n".join(texts)) == []
    again = ET.parse(tmp_path / "zh.xml").getroot()  # messages blanked above: read it again
    failure = again.find(f"testsuite/testcase[@name='{NAME}']/failure")
    assert failure.get("message") == FAILURE_LINE.removeprefix("    - ")
    assert failure.get("type") == "deadline"


def _annotation(line: str) -> tuple[str, str]:
    """`::error file=…,line=…,title=…::MESSAGE` as (command with its properties, message)."""
    command, _, message = line[2:].partition("::")
    return command, message


def test_github_annotations_and_summary_are_chinese_with_the_same_commands(
    cli, files, tmp_path, monkeypatch
):
    runs = {}
    for lang in ("en", "zh"):
        summary = tmp_path / f"summary-{lang}.md"
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
        code, out, _ = cli("--lang", lang, "check", *files, "--format", "github")
        assert code == 1
        annotations = [_annotation(x) for x in out.splitlines() if x.startswith("::")]
        runs[lang] = annotations, out, summary.read_text(encoding="utf-8")
    (en_notes, _, en_summary), (zh_notes, zh_out, zh_summary) = runs["en"], runs["zh"]
    assert [c for c, _ in zh_notes] == [c for c, _ in en_notes]  # syntax, files, lines, titles
    assert len(zh_notes) == 4  # three failing cases, one provisional
    assert zh_notes[0][0].startswith(f"error file={files[1]},line=11,title=slasim check%3A ")
    assert english_left("\n".join(m.replace("%0A", "\n") for _, m in zh_notes), ALLOWED) == []
    assert FAILURE_LINE.removeprefix("    - ") in zh_notes[0][1].split("%0A")
    text = zh_out.split("\n", len(zh_notes))[-1]  # the text report after the annotations
    assert english_left(text, ALLOWED) == []
    assert zh_summary.startswith("### 到期日校验\n\n| 文件 | 办件 | 通过 | 未通过 | 暂定 |\n")
    assert f"| `{files[1]}` | 23 | 20 | 3 | 1 |" in zh_summary
    assert english_left(zh_summary, ALLOWED) == []
    assert len(zh_summary.splitlines()) == len(en_summary.splitlines())


def test_sarif_messages_are_chinese_and_the_rest_is_the_english_document(cli, files):
    documents = []
    for lang in ("en", "zh"):
        code, out, _ = cli("--lang", lang, "check", *files, "--format", "sarif")
        assert code == 1
        documents.append(json.loads(out))
    english, chinese = documents
    texts = []
    for document in (english, copy.deepcopy(chinese)):
        run = document["runs"][0]
        shown = [r["shortDescription"] for r in run["tool"]["driver"]["rules"]]
        shown += [r["message"] for r in run["results"]]
        if document is not english:
            texts = [x["text"] for x in shown]
        for holder in shown:
            holder["text"] = ""
        if document is not english:
            assert document == english  # rule ids, levels, locations, structure
    assert english_left("\n".join(texts), ALLOWED) == []
    assert f"{NAME}: {FAILURE_LINE.removeprefix('    - ')}" in texts[2].splitlines()[0]
    ids = [r["ruleId"] for r in chinese["runs"][0]["results"]]
    assert ids.count("deadline-mismatch") == 3 and ids.count("provisional-date") == 1


def test_a_passing_file_in_every_format(cli, files, tmp_path):
    passing = files[0]
    code, out, err = cli("--lang", "zh", "check", passing, "--junit-xml", tmp_path / "j.xml")
    assert code == 0 and err == ""
    assert out.splitlines() == [f"{passing}：通过 4 件，未通过 0 件", "通过 4 件，未通过 0 件"]
    (_, en, _), (_, zh, _) = both(cli, "check", passing, "--format", "sarif")
    en, zh = json.loads(en), json.loads(zh)
    assert zh["runs"][0]["results"] == [] == en["runs"][0]["results"]  # no finding
    rules = [r["shortDescription"].pop("text") for r in zh["runs"][0]["tool"]["driver"]["rules"]]
    assert rules == ["计算的到期日或亮牌与预期不符", "日期超出已公布节假日安排的年份（暂定）"]
    for rule in en["runs"][0]["tool"]["driver"]["rules"]:
        del rule["shortDescription"]["text"]
    assert zh == en


def test_an_invalid_file_is_one_chinese_line_and_a_junit_error(cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,accepted,limit,colour\nx,2025-03-03,1wd,red\n", encoding="utf-8")
    junit = tmp_path / "junit.xml"
    code, out, err = cli("--lang", "zh", "check", bad, "--junit-xml", junit, "--format", "github")
    assert code == 2 and err.count("\n") == 1
    assert f"{bad}: 第 1 行: 未知的列 'colour'（可用：name, article," in err
    assert english_left(err) == []
    assert out.startswith(f"::error file={bad},title=slasim check::") and "未知的列" in out
    case = ET.parse(junit).getroot().find("testsuite/testcase")
    assert case.get("name") == "the check file loads"  # a test name: the same in every language
    assert "未知的列 'colour'" in case.find("error").get("message")


def test_the_help_of_check_is_chinese(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one line per option: Rich cuts a long CJK line
    code, out, _ = cli("--lang", "zh", "check", "--help")
    assert code == 0
    assert "按校验文件核对到期日和亮牌，供持续集成（CI）使用。" in out
    assert "日期超出日历已公布的年份（暂定）时报错（退出码 2）。" in out
    # Click's own words (`Usage:`, the --help option's help) stay English: see cli/language.py.
    assert english_left(out, ("Show this message and exit.",)) == []


def test_strict_refuses_the_provisional_case_in_one_chinese_line(cli, files):
    code, _, err = cli("--lang", "zh", "check", files[1], "--strict")
    assert code == 2 and err.count("\n") == 1
    # Accepted Mon 2027-03-01, 1wd: due Tue 03-02 at close (17:30); 2027 is past cn's published
    # years. It is the file's case 22 (20 shipped cases, then 亮牌, 办结后, 明年).
    assert err.rstrip("\n").endswith(
        f"{files[1]}: cases[22]: 1 件办件的受理日或到期日超出日历已公布的年份（暂定），"
        "第一件为 '明年'，到期 2027年3月2日 17:30 (2027-03-02T17:30)（--strict）"
    )
    assert english_left(err) == []


def test_a_csv_check_file_fails_in_chinese_and_its_json_is_the_english_one(cli, tmp_path):
    path = tmp_path / "cases.csv"  # the flat route: cases read as columns, judged alike
    path.write_text("name,accepted,limit,due\n一天,2025-03-03,1wd,2025-03-05\n", "utf-8")
    code, out, _ = cli("--lang", "zh", "check", path)
    # Accepted Mon 2025-03-03 (no holiday that week), 1wd: due Tue 03-04; 03-05 is one later.
    assert code == 1
    assert (
        "    - 法定时限到期日：应为 2025年3月5日 (2025-03-05)，"
        "实为 2025年3月4日 (2025-03-04)（比预期早 1 个工作日）"
    ) in out
    assert english_left(out) == []
    (_, en, _), (_, zh, _) = both(cli, "check", path, "--json")
    assert en == zh
