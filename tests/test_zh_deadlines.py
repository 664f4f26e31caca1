"""`slasim deadline` (plain, --explain, --from, --json), `calendar show` and `calendar list`, a bad
input, the command line's frame and `--help`, in Chinese: no run of English words left but names
from the calendar files, the law's articles cited as the law writes them, dates in Chinese beside
ISO, `--json` byte-identical in both languages, and the English unchanged."""

from __future__ import annotations

import json

import pytest

from slasim.io.i18n import language

from .english import english_left

# 20 working days from Sun 2025-09-28, worked out by hand from the State Council's 2025 notice:
# 09-28 (a make-up Sunday) is the acceptance day and not counted (民法典 201); 09-29, 09-30 are
# days 1-2; 10-01..10-08 are the National Day / Mid-Autumn holiday; 10-09, 10-10 days 3-4; Sat
# 10-11 (made up) day 5; 10-13..17 days 6-10, 10-20..24 days 11-15, 10-27..31 days 16-20: due
# Fri 2025-10-31 at the close of office hours, 17:30 on `cn` (民法典 203). With 5 more working
# days (行政许可法 42): 11-03..11-07, due Fri 2025-11-07 17:30.
DUE_LINE = (
    "到期：2025年10月31日 17:30 (2025-10-31T17:30)（20wd，自 2025年9月28日 (2025-09-28) 起算，"
    "受理于 2025年9月28日 09:00 (2025-09-28T09:00)，日历 cn）"
)
DUE_LINE_EN = "due 2025-10-31T17:30  (20wd from 2025-09-28, accepted 2025-09-28T09:00, calendar cn)"


def both(cli, *args):
    """The same command in English and in Chinese: ((code, out, err) en, (…) zh)."""
    return cli("--lang", "en", *args), cli("--lang", "zh", *args)


def titles() -> list[str]:
    """The shipped calendars' titles: data written in English in the calendar files (names, as
    a scenario's service names are), shown as written in every language."""
    from slasim.calendar.files import find_calendar, list_calendars, resolve_spec

    return [resolve_spec(find_calendar(name)).title for name in list_calendars()]


def test_a_deadline_in_chinese_is_the_hand_worked_line(cli):
    (code_en, out_en, _), (code, out, err) = both(cli, "deadline", "2025-09-28", "20wd")
    assert code == code_en == 0 and err == ""
    assert out_en.strip() == DUE_LINE_EN
    assert out.strip() == DUE_LINE
    assert english_left(out) == []


def test_explain_in_chinese_cites_the_articles_and_names_the_days(cli):
    args = ("deadline", "2025-09-28", "20wd", "--extension", "5wd", "--explain")
    (code_en, out_en, _), (code, out, err) = both(cli, *args)
    assert code == code_en == 0 and err == ""
    assert english_left(out) == [], out
    lines = out.splitlines()
    # Hand-checked lines: the extension with its article, the acceptance day, a holiday by its
    # Chinese name (from the `holidays` package's zh_CN table), the made-up Saturday, the due.
    assert "- 经批准延长5个工作日（《中华人民共和国行政许可法》第四十二条）" in lines
    assert (
        "- 受理当日不计入，自其后第一个工作日起算为第1个工作日（《中华人民共和国民法典》"
        "第二百零一条，《中华人民共和国行政许可法》第八十二条）"
    ) in lines
    assert (
        "  2025年9月28日 (2025-09-28) 周日  受理当日：不计入（《中华人民共和国民法典》"
        "第二百零一条）"
    ) in lines
    assert "  2025年10月1日 (2025-10-01) 周三  不计入：国庆节" in lines
    assert "  2025年10月6日 (2025-10-06) 周一  不计入：中秋节" in lines
    assert "  2025年10月11日 (2025-10-11) 周六  计入（5）：调休上班日" in lines
    assert "  2025年10月13日 (2025-10-13) 至 2025年10月17日 (2025-10-17)  计入（第6–10日）" in lines
    assert lines[-1] == "  2025年11月7日 (2025-11-07) 周五  计入（25）  ← 到期"
    # The English is as before, line for line.
    en = out_en.splitlines()
    assert "  2025-10-11 Sat  counted (5) — Make-up workday (调休)" in en
    assert "  2025-10-01 Wed  skipped — National Day" in en
    assert "- extended by 5 working days (行政许可法 Art. 42)" in en
    assert en[-1] == "  2025-11-07 Fri  counted (25)  ← due"
    assert len(en) == len(lines)


def test_explain_of_a_resumed_supplement_and_a_special_procedure_in_chinese(cli):
    """Acceptance notes and pause rules (Art. 32, Art. 45) through the library, shown in Chinese."""
    import datetime as dt

    from slasim.calendar.units import datetime_to_minutes
    from slasim.calendar.workcalendar import load_calendar
    from slasim.clock.acceptance import AcceptanceRule
    from slasim.clock.case_clock import Pause
    from slasim.clock.deadline import compute_deadline
    from slasim.clock.explain import render_explanation

    cal = load_calendar("cn")
    hearing = Pause(
        datetime_to_minutes(dt.datetime(2025, 3, 10, 9)),
        datetime_to_minutes(dt.datetime(2025, 3, 12, 9)),
        "special_procedure",
    )
    result = compute_deadline(
        "20wd",
        received=dt.date(2025, 3, 3),
        notice=dt.date(2025, 3, 4),
        resubmitted=dt.date(2025, 3, 6),
        acceptance_rule=AcceptanceRule(mode="resume"),
        pauses=[hearing],
        calendar=cal,
        explain=True,
    )
    english = render_explanation(result.explanation)
    with language("zh"):
        text = "\n".join(render_explanation(result.explanation, cal.shown_name))
    assert english_left(text) == [], text
    assert "- 未告知补正" not in text
    assert (
        "- 补正通知于 2025-03-04T09:00 发出，距收到申请材料 1 个工作日（未超过 5 个工作日）："
        "待申请人补正全部材料后开始计算时限（《中华人民共和国行政许可法》第三十二条第一款第（四）项）"
    ) in text.splitlines()
    assert "特别程序期间不计入时限：《中华人民共和国行政许可法》第四十五条" in text
    assert any(line.startswith("- pause (special_procedure) is not counted") for line in english)


def test_json_is_byte_identical_in_both_languages(cli):
    for args in (
        ("deadline", "2025-09-28", "20wd", "--extension", "5wd", "--explain", "--json"),
        ("deadline", "2030-01-02", "20wd", "--json"),
        ("calendar", "show", "cn", "--year", "2025", "--json"),
    ):
        (code_en, out_en, _), (code, out, _) = both(cli, *args)
        assert code == code_en == 0
        assert out == out_en
        json.loads(out)


def test_many_deadlines_from_a_file_in_chinese(cli, tmp_path):
    rows = tmp_path / "many.csv"
    rows.write_text("start,limit\n2030-01-02,20wd\n2025-09-28,20wd\n2030-03-01,5wd\n", "utf-8")
    (code_en, out_en, err_en), (code, out, err) = both(cli, "deadline", "--from", rows)
    assert code == code_en == 0
    assert out == out_en  # JSON lines: the same bytes
    assert json.loads(out.splitlines()[1])["due"] == "2025-10-31T17:30"
    assert english_left(err) == [], err
    assert err.splitlines()[0] == (
        "警告：暂定：2030-01-02 至 2030-01-30 不在日历 'cn' 已公布的年份（2004–2026）内，"
        "其中的法定节假日和调休并非依据官方通知（3 个时限中有 1 个）"
    )
    assert err_en.splitlines()[0].endswith("(1 of 3 deadlines)")


def test_a_bad_row_is_one_chinese_line_naming_file_and_line(cli, tmp_path):
    rows = tmp_path / "bad.csv"
    rows.write_text("start,limit\n2025-01-01,20wx\n", "utf-8")
    code, out, err = cli("--lang", "zh", "deadline", "--from", rows)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("错误：")
    assert (
        err
        == f"错误：{rows}: 第 2 行: limit: 不是有效的时限（应为 20wd、4wh、30d 这样的形式）：'20wx'\n"
    )
    _code, _out, err_en = cli("--lang", "en", "deadline", "--from", rows)
    assert err_en == (
        f"error: {rows}: line 2: limit: not a time limit (expected e.g. 20wd, 4wh, 30d): '20wx'\n"
    )


def test_bad_input_is_one_chinese_line_exit_2(cli):
    code, out, err = cli("--lang", "zh", "deadline", "2025-01-01", "20wx")
    assert (code, out) == (2, "")
    assert err == "错误：limit: 不是有效的时限（应为 20wd、4wh、30d 这样的形式）：'20wx'\n"
    code, _out, err = cli("--lang", "zh", "deadline", "2025-13-01", "20wd")
    assert code == 2 and english_left(err) == [], err
    assert err.startswith("错误：START: 不是有效的日期或时刻")
    code, _out, err = cli("--lang", "zh", "deadline", "2025-01-01", "20wd", "-c", "cnn")
    assert code == 2 and english_left(err) == [], err
    assert err.startswith("错误：calendar: 未知的日历 'cnn'（是否指 'cn'")


def test_a_calendar_file_error_from_its_schema_in_chinese(cli, tmp_path):
    """A pydantic error, rendered by its type with its context: Chinese in Chinese, pydantic's own
    English in English."""
    bad = tmp_path / "bad.toml"
    head = 'name = "bad"\ntitle = "x"\ntimezone = "UTC"\n'
    hours = '[office_hours]\ndefault = [["09:00", "17:00"]]\n'
    expected = [
        (
            "first_year = 2020.5\n",
            "first_year: Input should be a valid integer, got a number with a fractional part",
            "first_year: 应为整数，实际为带小数的数",
        ),
        (
            'first_year = 2020\nweekend = ["sat", "sno"]\n',
            "weekend: unknown weekday 'sno' (use mon, tue, wed, thu, fri, sat, sun)",
            "weekend: 未知的星期 'sno'（可用：mon, tue, wed, thu, fri, sat, sun）",
        ),
    ]
    for body, english, chinese in expected:
        bad.write_text(head + body + hours, "utf-8")
        args = ("deadline", "2025-01-02", "1wd", "-c", bad)
        (code_en, _, err_en), (code, _, err) = both(cli, *args)
        assert code == code_en == 2
        assert err_en == f"error: {bad}: {english}\n"
        assert err == f"错误：{bad}: {chinese}\n"


def test_pydantic_errors_keep_their_english_and_translate_by_type():
    from typing import Literal

    from pydantic import Field

    from slasim.io.errors import SlasimError
    from slasim.io.schema import Int, Strict, validate

    class Desk(Strict):
        staff: Int = Field(ge=1)
        rule: Literal["fcfs", "priority"] = "fcfs"

    cases = [
        (
            {"staff": 0},
            "staff: Input should be greater than or equal to 1",
            "staff: 应大于或等于 1",
        ),
        ({}, "staff: Field required", "staff: 缺少必填字段"),
        (
            {"staff": 1, "rule": "x"},
            "rule: Input should be 'fcfs' or 'priority'",
            "rule: 应为 'fcfs' 或 'priority'",
        ),
        ({"staff": 1, "desk": 2}, "desk: unknown field", "desk: 未知字段"),
    ]
    for data, english, chinese in cases:
        with pytest.raises(SlasimError) as caught:
            validate(Desk, data, "centre.yaml")
        assert caught.value.args[0] == f"centre.yaml: {english}"
        with language("zh"):
            assert str(caught.value) == f"centre.yaml: {chinese}"


def test_calendar_show_and_list_in_chinese(cli):
    (code_en, out_en, _), (code, out, err) = both(cli, "calendar", "show", "cn", "--year", "2025")
    assert code == code_en == 0 and err == ""
    assert english_left(out, allowed=titles()) == [], out
    lines = out.splitlines()
    assert lines[1] == "来源（标题：国务院办公厅关于2025年部分节假日安排的通知）"
    row = next(line for line in lines if "(2025-10-01)" in line).split()
    assert row == ["2025年10月1日", "(2025-10-01)", "周三", "休息", "法定节假日", "国庆节"]
    makeup = next(line for line in lines if "(2025-10-11)" in line).split()
    assert makeup == ["2025年10月11日", "(2025-10-11)", "周六", "上班", "调休上班", "调休上班日"]
    # 2025 has 261 weekdays; the notice rests 18 of them (01-01; 01-28..31, 02-03, 02-04; 04-04;
    # 05-01, 05-02, 05-05; 06-02; 10-01..03, 10-06..08) and makes up 5 weekend days (01-26,
    # 02-08, 04-27, 09-28, 10-11): 261 - 18 + 5 = 248.
    assert lines[-1] == "2025年工作日：248 天"
    assert out_en.splitlines()[-1] == "working days in 2025: 248"
    code, out, _ = cli("--lang", "zh", "calendar", "list")
    assert code == 0 and english_left(out, allowed=titles()) == [], out
    assert out.split()[:5] == ["名称", "标题", "起始年份", "已公布至", "时区"]


def test_help_in_chinese(cli):
    for path in (("deadline",), ("calendar",), ("calendar", "show")):
        code, out, _ = cli("--lang", "zh", *path, "--help")
        assert code == 0
        # Click writes `Usage:` and the command's own words itself (identifiers).
        usage = next(line for line in out.splitlines() if "Usage:" in line)
        assert english_left(out, allowed=(usage.strip(),)) == [], out
        assert "显示本帮助后退出。" in out
    code, out, _ = cli("--lang", "zh", "deadline", "--help")
    assert "逐日显示计算过程及所依据的法律条款。" in out
    # English again after the Chinese runs in this process: texts and Typer's panel headings.
    code, out, _ = cli("--lang", "en", "deadline", "--help")
    assert "Show the count day by day" in out and "Show this message and exit." in out
    assert "Arguments" in out and "Options" in out
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in out), out


def test_the_locale_chooses_chinese_without_slasim_lang(cli, monkeypatch):
    for name in ("SLASIM_LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    code, out, _ = cli("deadline", "2025-09-28", "20wd")
    assert code == 0 and out.strip() == DUE_LINE


@pytest.mark.parametrize(
    ("args", "environ", "line"),
    [
        (("--lang", "xx"), {}, "error: --lang: unknown language 'xx' (choose zh or en)"),
        ((), {"SLASIM_LANG": "xx"}, "error: SLASIM_LANG: unknown language 'xx' (choose zh or en)"),
    ],
)
def test_a_bad_language_is_one_line_exit_2(cli, monkeypatch, args, environ, line):
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    code, out, err = cli(*args, "deadline", "2025-09-28", "20wd")
    assert (code, out, err) == (2, "", line + "\n")


def test_the_frame_in_chinese():
    """The command line's own lines, as `cli.main` prints them in Chinese."""
    from slasim.io.i18n import _

    with language("zh"):
        assert _("error: {message}").format(message="x") == "错误：x"
        assert _("warning: {message}").format(message="x") == "警告：x"
        assert _("interrupted") == "已中断"
        assert _("terminated ({signal})").format(signal="SIGHUP") == "已终止（SIGHUP）"
        closed = _("error: standard output was closed before everything was printed")
        assert english_left(closed) == [] and closed.startswith("错误：")


def test_holiday_names_in_chinese_come_from_the_holidays_package_where_it_has_them():
    from slasim.calendar.workcalendar import load_calendar

    cn, nl = load_calendar("cn"), load_calendar("nl")
    with language("zh"):
        assert cn.shown_name("National Day") == "国庆节"
        assert (
            cn.shown_name("Day off (substituted from 2025-10-11)") == "休息日（由 2025-10-11 调休）"
        )
        assert cn.shown_name("weekend") == "周末"  # a kind: from slasim's catalog
        # `holidays` has no Chinese for the Netherlands: the calendar's own (English) name, not
        # the package's Dutch fallback.
        assert nl.shown_name("Christmas Day") == "Christmas Day"
    assert cn.shown_name("National Day") == "National Day"


def test_a_calendar_file_may_give_its_title_and_local_days_in_chinese(cli, tmp_path):
    city = tmp_path / "city.toml"
    city.write_text(
        'name = "city"\ntitle = "Example city"\ntitle_zh = "示例城市政务服务中心"\n'
        'extends = "cn"\n\n[[closed]]\ndate = 2026-03-03\n'
        'name = "Local closure (system migration)"\nname_zh = "系统迁移，暂停办公"\n'
        'source = "city notice"\n',
        "utf-8",
    )
    (code_en, out_en, _), (code, out, _) = both(cli, "calendar", "show", city)
    assert code == code_en == 0
    assert english_left(out) == [], out
    assert out.splitlines()[0] == "city — 示例城市政务服务中心 — 2026"
    assert "停止办公    系统迁移，暂停办公" in out
    assert out_en.splitlines()[0] == "city — Example city — 2026"
    assert "Local closure (system migration)" in out_en
    (_, json_en, _), (_, json_zh, _) = both(cli, "calendar", "show", city, "--json")
    assert json_en == json_zh and json.loads(json_en)["title"] == "Example city"
    code, out, _ = cli("--lang", "zh", "deadline", "2026-03-02", "2wd", "-c", city, "--explain")
    assert "  2026年3月3日 (2026-03-03) 周二  不计入：系统迁移，暂停办公" in out.splitlines()
