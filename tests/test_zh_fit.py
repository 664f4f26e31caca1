"""`slasim fit` and `slasim fidelity` in Chinese: the fit's summary (cases fitted and held out,
each step's family with its sample size and distance, each department's staff), fidelity's tables
of measures, baselines and verdicts in both protocols, their warnings, bad logs and help. Every text
a person reads is Chinese (no run of English words left but names from the log, quoted); the
scenario file `fit` writes and every `--json` are byte-identical in both languages."""

from __future__ import annotations

import csv
import json
import re

import pytest

from slasim.io.i18n import language, localized

from .english import english_left
from .helpers import ROOT

LOG = ROOT / "scenarios" / "logs" / "loanapp-sample.csv"


def both(cli, *args):
    """The same command in English and in Chinese: ((code, out, err) en, (…) zh)."""
    return cli("--lang", "en", *args), cli("--lang", "zh", *args)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """The shipped sample log fitted in each language: {lang: (code, out, err, folder)}."""
    from .helpers import slasim

    runs = {}
    for lang in ("en", "zh"):
        folder = tmp_path_factory.mktemp(f"fit-{lang}")
        code, out, err = slasim("--lang", lang, "fit", LOG, "--out", folder / "loanapp.yaml")
        runs[lang] = (code, out, err, folder)
    return runs


def test_the_fit_summary_is_chinese_with_hand_checked_lines(fitted):
    code, out, err, folder = fitted["zh"]
    assert code == 0, err
    # By hand from the CSV: 150 distinct case ids; the first 70 % by receipt (int(0.7 * 150) = 105,
    # receipts every 30 minutes, so no tie at the split) are fitted, 45 held out. They were
    # received from Thu 2023-02-09 to Fri 2023-02-17 12:00: 7 working days (9, 10, 13-17 Feb; no
    # holiday or make-up day then), 105 / 7 = 15.0 receipts a working day.
    with open(LOG, newline="", encoding="utf-8") as handle:
        cases = {row["case:concept:name"] for row in csv.DictReader(handle)}
    assert len(cases) == 150
    lines = out.splitlines()
    assert lines[0] == f"已写入 {folder / 'loanapp.yaml'}（1 个事项，6 个部门）"
    assert "150 件中拟合 105 件；留存 45 件供 `slasim fidelity` 评估保真度" in lines
    assert "事项 'service'：拟合 105 件，每个工作日到件 15.0 件" in lines
    # each step with its family, sample size and distance; each department with its staff
    steps = [line for line in lines if line.startswith("  环节 ")]
    assert len(steps) == 10
    assert all(re.search(r"：n=\d+，", line) and "W1=" in line for line in steps)
    assert any("指数分布" in line and "分钟" in line for line in steps)
    assert sum(line.startswith("部门 ") for line in lines) == 6
    assert "办公时间取自日志：07:00–15:00；休息日：周六、周日" in lines
    assert english_left(out) == [] and english_left(err) == []
    # the English summary has as many lines
    assert len(fitted["en"][1].splitlines()) == len(lines)


def test_the_written_scenario_and_json_are_the_same_in_both_languages(cli, fitted):
    (en_folder, zh_folder) = (fitted["en"][3], fitted["zh"][3])
    for name in ("loanapp.yaml", "loanapp-office.toml"):
        assert (en_folder / name).read_bytes() == (zh_folder / name).read_bytes()
    (code_en, out_en, _), (code, out, _) = both(cli, "fit", LOG, "--json")
    assert code == code_en == 0 and out == out_en
    evidence = json.loads(out)
    assert evidence["train_cases"] == 105 and evidence["test_cases"] == 45
    step = evidence["services"]["service"]["steps"]["Check application form completeness"]
    assert step.startswith("n=105, exponential by smallest Wasserstein distance W1=")


def test_a_fit_warning_is_chinese_on_stderr(cli):
    """The calendar's own hours (09:00-17:00 on `weekdays`) against a log kept 07:00-15:00: the
    office-hours warning, carried English in the result, shown in Chinese."""
    code, out, err = cli("--lang", "zh", "fit", LOG, "-c", "weekdays", "--office-hours", "calendar")
    assert code == 0, err
    warning = err.strip()
    assert warning.count("\n") == 0 and "loanapp-sample.csv" in warning
    assert "落在日历 weekdays 的办公时间（09:00–17:00）之外" in warning
    assert "其中 95% 落在 07:00–15:00" in warning
    assert english_left(err) == []


def receipts() -> list:
    """Each case's receipt (its first start) in the sample log, in order, read with `csv`."""
    import datetime as dt

    first: dict = {}
    with open(LOG, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            t = dt.datetime.fromisoformat(row["start_timestamp"])
            case = row["case:concept:name"]
            first[case] = min(first.get(case, t), t)
    return sorted(first.values())


def test_the_window_given_by_hand_is_warned_in_chinese(cli, tmp_path):
    """`--since` narrows the fitted cases: the drift warning says how many, in Chinese. Of the
    105 fitted cases (the first 70 % by receipt), those received from 2023-02-13 are counted here
    from the CSV."""
    import datetime as dt

    kept = sum(t >= dt.datetime(2023, 2, 13) for t in receipts()[:105])
    code, out, err = cli(
        "--lang", "zh", "fit", LOG, "--since", "2023-02-13", "--out", tmp_path / "s.yaml"
    )
    assert code == 0, err
    assert err.splitlines()[0].endswith(
        "loanapp-sample.csv：漂移：未检验（拟合范围已指定）；"
        f"拟合所用办件：按指定范围（--since 2023-02-13）：105 件中的 {kept} 件"
    )
    assert f"150 件中拟合 {kept} 件；留存 45 件供 `slasim fidelity` 评估保真度" in out.splitlines()
    assert english_left(out) == [] and english_left(err) == []


def test_few_test_cases_are_warned_in_chinese(cli, tmp_path):
    """Fitted on 90 % of the 150 cases (135), 15 are left to test: under 30, the verdicts are
    flagged as weak."""
    scenario = tmp_path / "s.yaml"
    assert cli("fit", LOG, "--train-share", "0.9", "--out", scenario).returncode == 0
    code, out, err = cli("--lang", "zh", "fidelity", scenario, LOG, "--reps", "2", "-w", "1")
    assert code == 0, err
    assert (
        "警告：测试办件只有 15 件（不足 30 件）：在此样本量下，各项距离主要反映抽样噪声，结论仅供参考"
        in err.splitlines()
    )
    assert "（N = 15 件测试办件）" in out.splitlines()[-1]
    assert english_left(out) == [] and english_left(err) == []


@pytest.mark.parametrize("protocol", ["first-n", "window"])
def test_fidelity_in_chinese_and_json_alike(cli, fitted, protocol):
    scenario = fitted["zh"][3] / "loanapp.yaml"
    run = ("fidelity", scenario, LOG, "--protocol", protocol, "--reps", "2", "-w", "1")
    (code_en, out_en, _), (code, out, err) = both(cli, *run)
    assert code == code_en == 0, err
    assert english_left(out) == [] and english_left(err) == []
    assert len(out.splitlines()) == len(out_en.splitlines())
    if protocol == "first-n":
        rows = [line for line in out.splitlines() if "（N=45）" in line]
        assert len(rows) == 8  # each measure's verdict on the 45 held-out cases
        assert any(re.match(r"办理周期分布距离（CTDD） +小时 ", line) for line in rows)
        assert "；重复 2 次（随机种子 1）" in out.splitlines()[0]
        assert re.fullmatch(
            r"8 项指标中 \d 项优于历史回放基准，8 项中 \d 项优于自助重抽样基准；"
            r"\d 项达到噪声下限（N = 45 件测试办件）",
            out.splitlines()[-1],
        )
    else:
        assert "（时间窗口起点：拟合时的划分点）" in out.splitlines()[0]
        assert "黄牌" in out and "超过法定时限" in out
    (code_en, json_en, _), (code, json_zh, _) = both(cli, *run, "--json")
    assert code == code_en == 0 and json_zh == json_en
    result = json.loads(json_zh)
    if protocol == "first-n":  # the verdicts and summary stay English in the file
        assert result["summary"].startswith("better than replay on ")
        assert {m["verdict"] for m in result["measures"].values()} <= {
            "at floor", "beats both", "worse than both", "worse than replay",
            "worse than bootstrap", "above floor", "n/a",
        }  # fmt: skip


def test_the_window_labels_are_runs_labels():
    """The window view labels slasim's measures as `slasim run` does (its HEADLINE)."""
    from slasim.outputs.fidelity import LABELS
    from slasim.outputs.results import HEADLINE

    shared = {metric: label for metric, label, _kind in HEADLINE if metric in LABELS}
    assert len(shared) == 7 and all(LABELS[m] == label for m, label in shared.items())


def test_the_fits_evidence_is_english_and_shown_in_chinese():
    """A family's evidence is English text (what the YAML comment and JSON hold) that shows in
    Chinese with its numbers: three durations of 3 working days have one family, fixed 3, at
    distance 0 from them."""
    import numpy as np

    from slasim.fit.families import choose

    spec, why = choose(np.array([3.0, 3.0, 3.0]), "wd")
    assert spec == {"fixed": 3.0, "unit": "wd"}
    assert why == "n=3, fixed by smallest Wasserstein distance W1=0 wd"
    with language("zh"):
        assert localized(why) == "n=3，按 Wasserstein 距离最小选定固定值，W1=0 个工作日"


def test_a_bad_log_is_one_chinese_line_naming_file_and_column(cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "case,activity,start,time:timestamp\n"
        "1,a,2024-01-02T09:00,2024-01-02T10:00\n"
        "2,b,2024-01-02T09:00,yesterday\n",
        encoding="utf-8",
    )
    code, out, err = cli("--lang", "zh", "fit", bad)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.strip().endswith(
        f"{bad}: time:timestamp: 第 3 行：不是 ISO 格式的时间戳：'yesterday'"
    )
    assert english_left(err) == []
    scenario = tmp_path / "s.yaml"  # fidelity reads the log the field's way: its file line
    assert cli("fit", LOG, "--out", scenario).returncode == 0
    code, out, err = cli("--lang", "zh", "fidelity", scenario, bad, "--reps", "2", "-w", "1")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.strip().endswith(f"{bad}: time:timestamp: 第 3 行：不是时间戳：'yesterday'")
    assert english_left(err) == []
    code, _out, err = cli("--lang", "zh", "fit", bad, "--case", "nope")
    assert code == 2 and err.strip().endswith(
        f"{bad}: case: 没有 'nope' 列（现有列：case, activity, start, time:timestamp）"
    )


@pytest.mark.parametrize(
    ("command", "line"),
    [
        ("fit", "从中心的案例日志拟合出情景；每个拟合出的数值都注明其依据。"),
        ("fidelity", "评估情景再现真实日志的保真度"),
    ],
)
def test_help_in_chinese(cli, command, line):
    code, out, err = cli("--lang", "zh", command, "--help")
    assert code == 0, err
    assert line in out


def test_a_refused_xes_log_is_one_chinese_line(cli, tmp_path):
    log = tmp_path / "log.xes"
    log.write_text('<?xml version="1.0"?><!DOCTYPE log []><log></log>', encoding="utf-8")
    code, out, err = cli("--lang", "zh", "fit", log)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.strip().endswith(
        f"{log}: 无法读取的 XES 日志（含有 DOCTYPE 声明：拒绝读取，XES 日志不需要 DOCTYPE）"
    )
    assert english_left(err) == []


def test_a_separate_test_log_the_fit_saw_is_warned_in_chinese(cli, tmp_path):
    """Every case fitted (`--train-share 1.0`), then the same log given as the test log: all 150
    cases were received by the last fitted receipt (the log's last receipt, read from the CSV)."""
    last = receipts()[-1].isoformat(timespec="minutes")
    scenario = tmp_path / "all.yaml"
    assert cli("fit", LOG, "--train-share", "1.0", "--out", scenario).returncode == 0
    code, out, err = cli(
        "--lang", "zh", "fidelity", scenario, LOG, "--test-log", LOG, "--reps", "2", "-w", "1"
    )
    assert code == 0, err
    assert err.strip().endswith(
        f"测试日志的 150 件中有 150 件的到件时间不晚于拟合所用最后一件到件（{last}）："
        "其中可能有模型拟合时用过的办件"
    )
    assert "（单独的测试日志）" in out.splitlines()[0]
    assert english_left(out) == [] and english_left(err) == []


def test_names_from_the_log_are_shown_as_written():
    """An activity named like a translated word (`service` is 事项 in the catalogs) stays as the
    log writes it; the message around it is Chinese, its share 1 in 10 events."""
    from slasim.evaluation.vocabulary import warning

    line = warning(
        {
            "test_only": ["service"],
            "test_only_event_share": 0.1,
            "model_only": [],
            "model_only_event_share": None,
        }
    )
    assert line == "activities only in the test log: service (10.0% of its events)"
    with language("zh"):
        assert localized(line) == "仅见于测试日志的活动：service（占其事件的 10.0%）"
