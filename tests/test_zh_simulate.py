"""`run`, `compare`, `sweep`, `validate`, `scenarios`, `schema` and `staff` in Chinese: no English
sentence left in what they print, their JSON byte-identical to the English run's, and the warnings
the results carry still English in JSON.

Every run is scenarios/minimal.yaml (one desk of 2 clerks; 20 receipts a working day of 30
minutes' exponential work each) cut to a short period and few replications, to stay fast.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .english import english_left
from .helpers import slasim

MINIMAL = Path(__file__).resolve().parent.parent / "scenarios" / "minimal.yaml"
SHORT = ("--set", "working_days=20", "--quiet")

# One desk of 1 clerk for the minimal centre: 20 receipts a day x 30 minutes = 600 minutes of work
# a day against cn's office day of 420 minutes (09:00-12:00, 13:30-17:30): an offered load of
# 600 / 420 = 1.43 staff on 1 on duty. Its queue grows without bound, and its backlog before
# acceptance grows over the period (the reception is the only step).
ONE_CLERK = ("--set", "departments.window.staff=1")

REFORMED = """\
name: minimal-reform
description: the minimal centre, and one more clerk as a reform
calendar: cn
start: 2026-03-02
working_days: 20
warmup_days: 5
seed: 1
departments:
  window: {staff: 2}
services:
  permit:
    limits: {promised: 5wd, legal: 20wd}
    arrivals: {per_day: 20}
    steps:
      - {step: review, department: window, work: {exponential: 30}}
reforms:
  more_staff:
    - staff: {department: window, delta: 1}
"""


def both(*args) -> tuple[str, str]:
    """The command's standard output in Chinese and in English (each must succeed)."""
    outputs = []
    for lang in ("zh", "en"):
        code, out, err = slasim("--lang", lang, *args)
        assert code == 0, err
        outputs.append(out)
    return outputs[0], outputs[1]


def chinese(*args) -> tuple[str, str]:
    code, out, err = slasim("--lang", "zh", *args)
    assert code == 0, err
    return out, err


@pytest.fixture
def reformed(tmp_path) -> Path:
    path = tmp_path / "reformed.yaml"
    path.write_text(REFORMED, encoding="utf-8")
    return path


def test_run_in_chinese_has_no_english_left_and_shows_the_backlog_warning():
    out, err = chinese("run", MINIMAL, "--reps", "2", *SHORT, *ONE_CLERK)
    assert english_left(out) == [] and english_left(err) == [], out
    assert "利用率" in out and "办理时长（工作日，均值）" in out and "黄牌" in out and "红牌" in out
    assert "仿真期 2026年3月2日 (2026-03-02) 至" in out  # dates as a Chinese reader writes them
    # the growing backlog before acceptance, carried in the result, shown in Chinese
    warning = next(line for line in out.splitlines() if line.startswith("警告："))
    assert warning.startswith("警告：departments.window（permit 受理前）：期末有 ")
    assert "受理前积压在增长" in out and "《行政许可法》第三十二条" in out


def test_run_json_is_the_same_in_both_languages_and_its_warnings_stay_english():
    zh, en = both("run", MINIMAL, "--reps", "2", "--json", *SHORT, *ONE_CLERK)
    assert zh == en
    warnings = json.loads(zh)["warnings"]
    assert len(warnings) == 1
    assert warnings[0].startswith("departments.window (before acceptance of permit): ")
    assert "the backlog before acceptance grows" in warnings[0]
    assert all(ord(ch) < 0x3000 for ch in warnings[0])  # no Chinese in the JSON's warning


def test_compare_in_chinese(reformed):
    out, _err = chinese("compare", reformed, "--reps", "2", "--quiet")
    assert english_left(out) == [], out
    assert out.startswith(
        "minimal-reform：基准与 1 项改革措施，配对重复 2 次（共同随机数），随机种子 1\n"
    )
    assert "改革措施：more_staff" in out and "变化量 [95% 置信区间，配对]" in out
    zh, en = both("compare", reformed, "--reps", "2", "--quiet", "--json")
    assert zh == en


def test_sweep_in_chinese(tmp_path):
    grid = ("sweep", MINIMAL, "--reps", "2", *SHORT, "--vary", "departments.window.staff=1,2")
    out, _err = chinese(*grid)
    assert english_left(out) == [], out
    assert "警告：departments.window.staff=1：departments.window（permit 受理前）" in out
    zh, en = both(*grid, "--json")
    assert zh == en
    # the CSV is an interface: the same bytes in both languages
    csvs = []
    for lang in ("zh", "en"):
        path = tmp_path / f"grid-{lang}.csv"
        assert slasim("--lang", lang, *grid, "--csv", path).returncode == 0
        csvs.append(path.read_bytes())
    assert csvs[0] == csvs[1]


def test_validate_prints_the_overload_warning_in_chinese(tmp_path):
    scenario = tmp_path / "one-clerk.yaml"
    text = MINIMAL.read_text(encoding="utf-8").replace("window: {staff: 2}", "window: {staff: 1}")
    scenario.write_text(text, encoding="utf-8")
    code, out, err = slasim("--lang", "zh", "validate", scenario, MINIMAL)
    assert code == 0, err
    assert out.splitlines() == [f"{scenario}：有效", f"{MINIMAL}：有效"]
    # worked out by hand above: offered load 600 / 420 = 1.43 on 1 clerk
    assert err.splitlines() == [
        f"警告：{scenario}：departments.window：工作负荷 1.43 人 ≥ 在岗 1 人："
        "排队会无限增长（利用率 ≥ 100%）"
    ]
    assert english_left(out + err) == []


def test_validate_names_reforms_and_bad_files_in_chinese(reformed, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        MINIMAL.read_text(encoding="utf-8").replace(
            "working_days: 60", "working_days: 60\nend: 2026-05-01"
        ),
        encoding="utf-8",
    )
    code, out, err = slasim("--lang", "zh", "validate", reformed, bad)
    assert code == 2
    assert out.strip() == f"{reformed}：有效（改革措施：more_staff）"
    assert err.strip() == f"错误：{bad}: 仿真期请用 `working_days` 或 `end` 给出（二者选一）"


def test_an_error_of_sweep_is_one_chinese_line():
    code, out, err = slasim("--lang", "zh", "sweep", MINIMAL, "--vary", "nothing")
    assert code == 2 and out == ""
    assert err.strip() == (
        f"错误：{MINIMAL}: --vary 的格式应为 key=v1,v2 或 key=lo..hi:step，实际为 'nothing'"
    )


def test_scenarios_and_schema_in_chinese():
    out, _err = chinese("scenarios")
    listed = json.loads(both("scenarios", "--json")[0])
    assert out.splitlines()[0].split() == ["名称", "说明"]
    # The names and descriptions are the shipped files' own text, shown as written: each is taken
    # out before looking for English (word by word: a description is wrapped over lines).
    words = {word for item in listed for word in (item["name"], *item["description"].split())}
    shown = " ".join(w for w in out.split() if w not in words)
    assert english_left(shown) == []
    zh, en = both("scenarios", "--json")
    assert zh == en
    zh, en = both("schema")
    assert zh == en and json.loads(zh)["title"]


def test_staff_in_chinese():
    args = ("staff", MINIMAL, "-t", "red<=1%", "--set", "working_days=20", "--budget", "60")
    out, _err = chinese(*args, "--frontier", "--quiet")
    assert english_left(out) == [], out
    assert "以 95% 的置信度满足 red<=1%（全部事项）的最低成本人员配置" in out
    assert "  人员：window=2  成本 2" in out
    # one clerk cannot keep up (offered load 1.43 on 1): rejected unsimulated, said in Chinese
    assert (
        "成本更低但未通过：window=1（成本 1）：window：不稳定（工作负荷 1.43 ≥ 人员 1 人）" in out
    )
    zh, en = both(*args, "--json", "--quiet")
    assert zh == en


def test_staff_infeasible_is_one_chinese_line():
    code, out, err = slasim(
        "--lang", "zh", "staff", MINIMAL, "-t", "lead_time_wd_p90<=0.01", "--max", "window=3",
        "--set", "working_days=20", "--budget", "60", "--quiet",
    )  # fmt: skip
    assert code == 2 and out == ""
    line = err.strip()
    assert "\n" not in line and english_left(line) == [], line
    assert line.startswith(
        f"错误：{MINIMAL}: --target: 在给定范围内没有满足目标的人员配置：按上限配置（window=3）："
        "lead_time_wd_p90<=0.01 为 "
    )
    # 3 clerks on an offered load of 1.43: 48 % busy, under half: more staff may not help
    assert "工作负荷：window 负荷 1.43，人员 3 人（利用率 48%）；可尝试 --max window=6" in line
    assert line.endswith("（没有部门的利用率达到一半：增加人员可能无助于实现该目标）")


@pytest.mark.parametrize(
    "command", ["run", "compare", "sweep", "validate", "scenarios", "schema", "staff"]
)
def test_help_in_chinese(command):
    code, out, err = slasim("--lang", "zh", command, "--help")
    assert code == 0, err
    # Click writes `Usage:` itself; the --help option's own text is the command line frame's
    # (catalog cli, checked by test_zh_help), not these commands'.
    frame = ("Usage:", "Show this message and exit.", "Show this message and", "exit.")
    assert english_left(out, allowed=frame) == [], out


def test_the_operation_error_names_every_reform_operation(reformed, tmp_path):
    from slasim.scenario.reform_schema import OPERATION_ERROR, OPERATIONS

    named = OPERATION_ERROR.removeprefix("an operation is one of ").removesuffix(" with its fields")
    assert named.split(", ") == list(OPERATIONS)
    bad = tmp_path / "bad-operation.yaml"
    bad.write_text(reformed.read_text().replace("- staff:", "- stuff:"), encoding="utf-8")
    code, _out, err = slasim("--lang", "zh", "validate", bad)
    assert code == 2
    assert err.strip() == (
        f"错误：{bad}: reforms.more_staff[0]: 操作应为 parallelize、merge、remove、staff、work、"
        "limits、cards、materials、online、arrivals、bundle、tolerate_missing、commitment 之一，并带其字段"
    )


def test_a_scenario_error_with_parameters_is_chinese(tmp_path):
    bad = tmp_path / "unknown-desk.yaml"
    bad.write_text(
        MINIMAL.read_text(encoding="utf-8").replace("department: window,", "department: desk,"),
        encoding="utf-8",
    )
    code, _out, err = slasim("--lang", "zh", "validate", bad)
    assert code == 2
    assert err.strip() == f"错误：{bad}: services.permit.steps[0]：未知部门 'desk'（现有：window）"
    code, _out, err = slasim("--lang", "en", "validate", bad)
    assert err.strip() == (
        f"error: {bad}: services.permit.steps[0]: unknown department 'desk' (have window)"
    )


def test_chinese_lines_wrap_by_terminal_columns():
    import textwrap

    from slasim.outputs.results import columns, wrap

    assert columns("办结 ok") == 7  # two wide characters of 2 columns, a space, 2 letters
    # 4 wide characters fill 8 columns; the comma may not start a line, so it stays on the first
    assert wrap("甲乙丙丁，戊己", 8) == ["甲乙丙丁，", "戊己"]
    assert wrap("甲乙 丙丁戊", 6, subsequent_indent="  ") == ["甲乙", "  丙丁", "  戊"]
    english = "staff: window=2  cost 2; saves 1 against the baseline " * 3
    assert wrap(english, 40, initial_indent="  ") == textwrap.wrap(english, 40, initial_indent="  ")


def test_names_from_the_file_are_never_translated(tmp_path):
    # `staff` and `work` are words the catalogs translate (人员, 上班); as a department's name
    # and a scenario key they stay as written
    scenario = tmp_path / "staff-desk.yaml"
    text = MINIMAL.read_text(encoding="utf-8")
    text = text.replace("window: {staff: 2}", "staff: {staff: 1}")
    text = text.replace(
        "department: window, work: {exponential: 30}", "department: staff, work: {exponential: 30}"
    )
    scenario.write_text(text, encoding="utf-8")
    code, _out, err = slasim("--lang", "zh", "validate", scenario)
    assert code == 0
    assert err.strip() == (
        f"警告：{scenario}：departments.staff：工作负荷 1.43 人 ≥ 在岗 1 人：排队会无限增长（利用率 ≥ 100%）"
    )
    bad = tmp_path / "bad-unit.yaml"
    bad.write_text(
        text.replace("{exponential: 30}", "{exponential: 30, unit: d}"), encoding="utf-8"
    )
    code, _out, err = slasim("--lang", "zh", "validate", bad)
    assert code == 2
    assert err.strip() == (
        f"错误：{bad}: services.permit.steps[0].work: work 的单位必须是 min, h 之一，实际为 'd'"
    )


def test_run_out_files_are_the_same_in_both_languages(tmp_path):
    written = {}
    for lang in ("zh", "en"):
        out = tmp_path / lang
        code, _out, err = slasim(
            "--lang", lang, "run", MINIMAL, "--reps", "2", *SHORT, "--out", out
        )
        assert code == 0, err
        written[lang] = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    assert set(written["zh"]) >= {"summary.json", "services.csv", "steps.csv", "departments.csv"}
    assert written["zh"] == written["en"]
