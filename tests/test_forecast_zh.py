"""`slasim forecast` in Chinese: the text of a forecast, of a backtest and of a bad snapshot has no
English left (names from files and identifiers excepted), and `--json` is the same bytes in both
languages."""

from __future__ import annotations

import json

import pytest

from .english import english_left
from .helpers import AS_OF, ROOT, backtest_args, permit_files, slasim

OPEN = ROOT / "scenarios" / "open-cases" / "district-centre.yaml"


@pytest.fixture
def permits(tmp_path):
    return permit_files(tmp_path)


def both(*args):
    """The command in Chinese and in English."""
    return slasim("--lang", "zh", *args), slasim("--lang", "en", *args)


def test_a_forecast_in_chinese(permits):
    zh, en = both("forecast", "district-centre", "--open", OPEN, "--reps", 3, "--horizon", "3wd")
    assert zh.returncode == 0 and en.returncode == 0, zh.stderr
    assert "在办件" in zh.stdout and "红牌概率" in zh.stdout and "工作日" in zh.stdout
    assert english_left(zh.stdout) == [] and english_left(zh.stderr) == []
    assert "Forecast of 9 open cases" in en.stdout
    scenario, log = permits
    args = ["forecast", scenario, "--log", log, "--as-of", AS_OF.isoformat(), "--reps", 3]
    zh, en = both(*args)
    assert zh.returncode == 0, zh.stderr
    assert "情景中没有的 1 个活动共 1 条事件" in zh.stdout  # the Archive event: a warning line
    assert english_left(zh.stdout) == []
    zh_json, en_json = both(*args, "--json")
    assert zh_json.stdout == en_json.stdout and json.loads(zh_json.stdout)["open_cases"] == 5


def test_a_backtest_in_chinese(tmp_path):
    args = backtest_args(tmp_path)
    zh, _ = both(*args, "--horizon", "1wd", "--reps", 3)
    assert zh.returncode == 0, zh.stderr
    assert "Brier 分数：预测 0.0000" in zh.stdout and "黄牌 2 件、红牌 2 件" in zh.stdout
    # "Brier" is a name (the Brier score), kept as the field writes it.
    assert english_left(zh.stdout, allowed=["Brier"]) == []
    zh_json, en_json = both(*args, "--horizon", "1wd", "--reps", 3, "--json")
    assert zh_json.stdout == en_json.stdout
    late, _ = both(*args, "--horizon", "2wd", "--reps", 3)
    assert late.returncode == 2 and "无可比对的实际结果" in late.stderr
    assert english_left(late.stderr) == []


def test_bad_snapshots_and_options_in_chinese(permits, tmp_path):
    early, _ = both("forecast", "district-centre", "--open", OPEN, "--as-of", "2025-10-01")
    assert early.returncode == 2 and "晚于快照时点" in early.stderr
    assert english_left(early.stderr) == [] and "Traceback" not in early.stderr
    scenario, log = permits
    none, _ = both("forecast", scenario)
    assert none.returncode == 2 and "请给出在办件" in none.stderr
    assert english_left(none.stderr) == []
    wrong, _ = both(
        "forecast",
        scenario,
        "--log",
        log,
        "--as-of",
        AS_OF.isoformat(),
        "--out",
        tmp_path / "x.txt",
    )
    assert wrong.returncode == 2 and english_left(wrong.stderr) == []
