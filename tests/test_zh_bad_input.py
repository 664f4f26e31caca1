"""Bad input in Chinese: every file of the bad-input corpus (tests/bad_input, as test_bad_input
runs it) gives one Chinese line naming the file and the field, exit 2; and names from the user's
files that spell one of slasim's own words (`desk`, `staff`, `work`, `green`) are shown as written,
never as that word's translation."""

from __future__ import annotations

from pathlib import Path

import pytest

from slasim.io.i18n import Text, language, translate

from .english import english_left
from .helpers import BAD_INPUT

BASE = (BAD_INPUT / "base.yaml").read_text(encoding="utf-8")

# Each file → (command, the field its line names: None for a file-level problem, the Chinese
# phrase it must hold). The fields and phrases are read from the files (and the catalogs' terms).
SCENARIOS = {
    "billion-laughs.yaml": (None, "文档展开后超过 5,000,000 个值"),
    "binary.yaml": (None, "不是 UTF-8 文本"),
    "empty.yaml": (None, "情景应为包含 departments 和 services 的映射"),
    "huge-factor.yaml": ("services.p.arrivals.weekday", "0 到 1000"),
    "huge-period.yaml": ("working_days", "超出日历 'cn' 的日期表"),
    # per_day: le=100000 (a float bound: pydantic says 100000, not 100000.0)
    "huge-volume.yaml": ("services.p.arrivals.per_day", "应小于或等于 100000"),
    "huge-work.yaml": ("services.p.steps[0].work", "有限数"),
    "inf.yaml": ("services.p.arrivals.per_day", "应为有限数值"),
    "missing-services.yaml": ("services", "缺少必填字段"),
    "nan.yaml": ("services.p.arrivals.per_day", "应为有限数值"),
    # per_day: ge=0 (a float bound: pydantic says 0, not 0.0)
    "negative.yaml": ("services.p.arrivals.per_day", "应大于或等于 0"),
    "not-a-mapping.yaml": (None, "情景应为包含 departments 和 services 的映射"),
    "out-of-coverage.yaml": ("start", "超出日历 'cn' 的范围"),
    "python-tag.yaml": ("第 1 行", "YAML 格式错误"),
    "routing-cycle.yaml": (None, "YAML 别名引用了自身"),
    "wrong-type.yaml": ("departments.desk.staff", "应为整数"),
}
CHECKS = {
    "check-bomb.yaml": (None, "文档展开后超过 5,000,000 个值"),
    "check-nan.yaml": ("cases[0].pauses[0].from", "不是有效的日期或时刻"),
}
CALENDARS = {
    "calendar-syntax.toml": (None, "TOML 格式错误"),
    "calendar-unknown-key.toml": ("bogus", "未知字段"),
}
# Library messages quoted after slasim's own words stay as the library wrote them (PyYAML's and
# tomllib's parser messages: docs/translating.md, Limits).
LIBRARY = (
    "could not determine a constructor for the tag",
    "Expected ']' at the end of a table declaration (at line 3, column 14)",
)


def runs():
    for name, (field, phrase) in SCENARIOS.items():
        yield name, ("validate",), field, phrase
        yield name, ("run", "--reps", "2", "-q"), field, phrase
    for name, (field, phrase) in CHECKS.items():
        yield name, ("check",), field, phrase
    for name, (field, phrase) in CALENDARS.items():
        yield name, ("calendar", "show"), field, phrase


def test_the_corpus_is_covered():
    """Every file of the corpus but the valid base is run here."""
    covered = {*SCENARIOS, *CHECKS, *CALENDARS, "base.yaml"}
    assert covered == {p.name for p in BAD_INPUT.iterdir() if p.suffix in (".yaml", ".toml")}


@pytest.mark.parametrize("name, command, field, phrase", list(runs()))
def test_every_bad_file_is_one_chinese_line(cli, tmp_path, name, command, field, phrase):
    path = BAD_INPUT / name
    args = [*command, path]
    if command[0] == "run":
        args += ["--out", tmp_path / "out"]
    code, out, err = cli("--lang", "zh", *args)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    line = lines[0]
    assert line.startswith("错误：") and name in line and phrase in line, line
    if field is not None:
        assert f": {field}: " in line, line
    assert english_left(line, allowed=LIBRARY) == [], line
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ names shown as written


def named(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "names.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# base.yaml with a service named `staff` (人员 in the catalogs), its step named `work` (上班) and a
# second one `green` (绿牌), all at a department named `desk` (窗口).
NAMES = (
    BASE.replace("  permit:", "  staff:")
    .replace("step: handle", "step: work")
    .replace(
        "work: {exponential: 30}}",
        "work: {exponential: 30}}\n      - {step: review, department: desk, work: {fixed: 5}}"
        "\n      - {step: green, department: desk, work: {fixed: 5}}",
    )
)


def test_the_names_spell_translated_words():
    """The premise: each name is a message id the catalogs translate (desk 窗口, staff 人员,
    work 上班, green 绿牌)."""
    with language("zh"):
        assert all(translate(w) != w for w in ("desk", "staff", "work", "green"))


def test_a_plain_string_parameter_is_shown_as_written():
    with language("zh"):
        assert Text("{name}", name="desk").localized() == "desk"
        assert Text("{name}", name=Text("desk")).localized() == "窗口"
        assert Text("desk").localized() == "窗口"  # slasim's own word, alone: translated


def test_a_department_named_desk_in_an_unknown_department_error(cli, tmp_path):
    path = named(
        tmp_path,
        NAMES.replace("step: review, department: desk", "step: review, department: nodesk"),
    )
    code, _, err = cli("--lang", "zh", "validate", path)
    assert code == 2
    assert err.strip() == (
        f"错误：{path}: services.staff.steps[1]：未知部门 'nodesk'（现有：desk）"
    )


def test_a_department_named_desk_in_staffs_error(cli, tmp_path):
    path = named(tmp_path, NAMES)
    code, _, err = cli("--lang", "zh", "staff", path, "-t", "red<=1%", "--max", "nodesk=3", "-q")
    assert code == 2 and "窗口" not in err
    assert "'nodesk'" in err and "desk）" in err, err


def test_a_service_named_staff_in_a_reforms_error(cli, tmp_path):
    reform = "reforms:\n  r:\n    - {parallelize: {service: nosvc, steps: [work, green]}}\n"
    path = named(tmp_path, NAMES + reform)
    code, _, err = cli("--lang", "zh", "validate", path)
    assert code == 2 and "人员" not in err
    assert "'nosvc'" in err and "staff）" in err, err


def test_steps_named_work_and_green_in_a_reforms_error(cli, tmp_path):
    reform = "reforms:\n  r:\n    - {parallelize: {service: staff, steps: [work, green]}}\n"
    path = named(tmp_path, NAMES + reform)
    code, _, err = cli("--lang", "zh", "validate", path)
    assert code == 2 and "上班" not in err and "绿牌" not in err
    assert err.strip() == (
        f"错误：{path}: reforms.r[0].parallelize.steps: 环节 work, green 在同一序列中并不相邻"
    )


# ------------------------------------------------------------------ check files


@pytest.mark.parametrize(
    "text, line, problem",
    [
        # an unknown column: the header, line 1
        (
            "name,accepted,limit,expect_due\nx,2025-09-26,20wd,2025-10-30\n",
            1,
            "未知的列 'expect_due'",
        ),
        # a row of 2 cells under a header of 3: line 2
        ("name,accepted,limit\nx,2025-09-26\n", 2, "本行有 2 个单元格，表头有 3 个"),
    ],
)
def test_a_csv_check_files_line_is_named_in_each_language(cli, tmp_path, text, line, problem):
    path = tmp_path / "cases.csv"
    path.write_text(text, encoding="utf-8")
    code, _, err = cli("--lang", "zh", "check", path)
    assert code == 2 and err.startswith(f"错误：{path}: 第 {line} 行: {problem}"), err
    code, _, err = cli("--lang", "en", "check", path)
    assert code == 2 and err.startswith(f"error: {path}: line {line}: "), err


def test_a_bad_supplement_mode_names_the_file_and_the_field(cli, tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(
        "calendar: cn\nrules: {supplement_mode: sometimes}\ncases:\n"
        "  - {name: x, accepted: 2025-09-26, limit: 20wd, expect: {due: 2025-10-30}}\n",
        encoding="utf-8",
    )
    code, _, err = cli("--lang", "zh", "check", path)
    assert code == 2 and err.strip() == (
        f"错误：{path}: rules.supplement_mode: 须为 'restart'（重新计算）或 'resume'（接续计算）"
    )
    code, _, err = cli("--lang", "en", "check", path)
    assert code == 2 and err.strip() == (
        f"error: {path}: rules.supplement_mode: must be 'restart' or 'resume'"
    )


def test_a_probability_above_one_is_a_chinese_line(cli, tmp_path):
    """`probability` is a float with le=1: pydantic writes the bound 1 (not 1.0)."""
    text = BASE.replace(
        "work: {exponential: 30}}",
        "work: {exponential: 30}, supplement: {probability: 1.5, response: {fixed: 1, unit: d}}}",
    )
    path = named(tmp_path, text)
    code, _, err = cli("--lang", "zh", "validate", path)
    assert code == 2 and err.strip() == (
        f"错误：{path}: services.permit.steps[0].supplement.probability: 应小于或等于 1"
    )
    code, _, err = cli("--lang", "en", "validate", path)
    assert err.strip().endswith("probability: Input should be less than or equal to 1")


@pytest.mark.parametrize(
    "target, zh, en",
    [
        # written in %: nothing to suggest
        ("red<=150%", "比例的界限不能超过 100 %", "a share's bound is at most 100 %"),
        # a plain 1.5 for a share: meant in %, red<=1.5%
        (
            "red<=1.5",
            "比例的界限不能超过 100 %（请用 % 表示，如 red<=1.5%）",
            "a share's bound is at most 100 % (write it in %, e.g. red<=1.5%)",
        ),
    ],
)
def test_a_share_target_over_100_percent(cli, target, zh, en):
    base = BAD_INPUT / "base.yaml"
    code, _, err = cli("--lang", "zh", "staff", base, "-t", target, "-q")
    assert code == 2 and err.strip() == f"错误：--target: '{target}'：{zh}"
    code, _, err = cli("--lang", "en", "staff", base, "-t", target, "-q")
    assert code == 2 and err.strip() == f"error: --target: '{target}': {en}"
