"""The language core (slasim.io.i18n): which language is chosen, messages kept as English ids with
their parameters, translated where shown, and errors that stay one located line in each language."""

from __future__ import annotations

import datetime as dt
import json
import pickle

import pytest

from slasim.io import i18n
from slasim.io.errors import SlasimError
from slasim.io.i18n import Text, choose, date_text, language, localized, placeholders


@pytest.mark.parametrize(
    ("flag", "environ", "expected"),
    [
        (None, {}, "en"),
        (None, {"LANG": "zh_CN.UTF-8"}, "zh"),
        (None, {"LANG": "en_GB.UTF-8"}, "en"),
        (None, {"LANG": "fr_FR.UTF-8"}, "en"),  # no French catalog: English
        (None, {"LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),  # LC_ALL decides first
        (None, {"LC_MESSAGES": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
        (None, {"SLASIM_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),  # SLASIM_LANG over the locale
        ("zh", {"SLASIM_LANG": "en"}, "zh"),  # --lang over everything
        ("zh_CN", {}, "zh"),
        ("en", {"LANG": "zh_CN.UTF-8"}, "en"),
    ],
)
def test_the_language_is_the_flag_then_slasim_lang_then_the_locale(flag, environ, expected):
    assert choose(flag, environ) == expected


def test_an_unknown_language_is_refused_naming_the_choices():
    with pytest.raises(ValueError, match="en, zh"):
        choose("fr", {})
    with pytest.raises(ValueError):
        choose(None, {"SLASIM_LANG": "klingon"})
    with pytest.raises(ValueError):
        choose("cat", {})  # not the C locale


def test_an_unknown_lang_is_one_line_and_exit_2(cli, monkeypatch):
    code, out, err = cli("--lang", "xx", "deadline", "2025-09-28", "20wd")
    assert code == 2 and out == ""
    assert err.strip() == "error: --lang: unknown language 'xx' (choose zh or en)"
    monkeypatch.setenv("SLASIM_LANG", "fr")
    code, _out, err = cli("deadline", "2025-09-28", "20wd")
    assert code == 2 and err.strip().startswith("error: SLASIM_LANG: unknown language 'fr'")


def test_text_is_its_english_and_keeps_its_id_and_parameters():
    text = Text("desk {desk} needs {n} more staff", desk="registry", n=2)
    assert text == "desk registry needs 2 more staff"
    assert text.msgid == "desk {desk} needs {n} more staff"
    assert json.dumps({"w": text}) == '{"w": "desk registry needs 2 more staff"}'
    again = pickle.loads(pickle.dumps(text))  # across processes and to Dask workers
    assert isinstance(again, Text) and again.msgid == text.msgid and again.params == text.params


def test_a_translation_is_found_by_id_and_filled_with_translated_parameters(monkeypatch):
    monkeypatch.setattr(i18n, "catalog", lambda lang: CATALOG if lang == "zh" else {})
    inner = Text("red card")
    outer = Text("{share:.1%} of cases got a {card}", share=0.125, card=inner)
    assert outer == "12.5% of cases got a red card"
    with language("zh"):
        assert outer.localized() == "12.5% 的办件亮红牌（红牌）"
        assert localized("red card") == "红牌"
        assert localized("a name from a file") == "a name from a file"  # not a message: as is
    assert outer.localized() == str(outer)  # English again outside the block


CATALOG = {
    "red card": "红牌",
    "{share:.1%} of cases got a {card}": "{share:.1%} 的办件亮红牌（{card}）",
}


def test_a_broken_translation_falls_back_to_the_english(monkeypatch):
    monkeypatch.setattr(i18n, "catalog", lambda lang: {"{n} cases": "{count} 件"})
    with language("zh"):
        assert Text("{n} cases", n=3).localized() == "3 cases"


def test_an_error_keeps_its_location_and_english_and_shows_the_chosen_language(monkeypatch):
    monkeypatch.setattr(
        i18n, "catalog", lambda lang: {"unknown calendar {name}": "未知的日历 {name}"}
    )
    err = SlasimError(
        "unknown calendar {name}", source="centre.yaml", field="calendar", name="'mars'"
    )
    assert err.args[0] == "centre.yaml: calendar: unknown calendar 'mars'"
    with language("zh"):
        assert str(err) == "centre.yaml: calendar: 未知的日历 'mars'"
        assert str(err.located(field_prefix="services[0]")) == (
            "centre.yaml: services[0].calendar: 未知的日历 'mars'"
        )
        again = pickle.loads(pickle.dumps(err))
        assert str(again) == "centre.yaml: calendar: 未知的日历 'mars'"
    assert str(err) == err.args[0]


def test_an_error_stays_one_line_in_any_language(monkeypatch):
    monkeypatch.setattr(i18n, "catalog", lambda lang: {"bad value {value}": "错误的值\n{value}"})
    err = SlasimError("bad value {value}", field="a\nb", value="x\ny")
    with language("zh"):
        assert "\n" not in str(err)


def test_placeholders_are_the_named_fields():
    assert placeholders("{share:.1%} of {n} cases in {where!r}") == {"share", "n", "where"}
    assert placeholders("no fields, {{literal}}") == set()


def test_dates_in_chinese_text_keep_iso_beside():
    day = dt.date(2025, 10, 30)
    assert date_text(day) == "2025-10-30"
    with language("zh"):
        assert date_text(day) == "2025年10月30日 (2025-10-30)"
    assert date_text(dt.date(2026, 1, 5), "zh") == "2026年1月5日 (2026-01-05)"


def test_the_shipped_catalogs_load_and_translate_the_command_lines_frame():
    zh = i18n.catalog("zh")
    assert zh, "no compiled zh_CN catalog shipped"
    assert i18n.catalog("en") == {}
    with language("zh"):
        assert "{message}" in i18n._("error: {message}")
        assert i18n._("error: {message}") != "error: {message}"


def test_a_field_slasim_words_is_translated_one_from_the_file_is_not(monkeypatch):
    monkeypatch.setattr(i18n, "catalog", lambda lang: {"line {n}": "第 {n} 行", "staff": "人员"})
    err = SlasimError("bad", source="cases.csv", field=Text("line {n}", n=5))
    assert err.args[0] == "cases.csv: line 5: bad"
    with language("zh"):
        assert str(err) == "cases.csv: 第 5 行: bad"
        assert str(SlasimError("bad", field="staff")) == "staff: bad"  # a key of the file


def test_a_source_slasim_words_is_translated(monkeypatch):
    monkeypatch.setattr(
        i18n, "catalog", lambda lang: {"{file} (reform {names})": "{file}（改革措施 {names}）"}
    )
    err = SlasimError("bad", source=Text("{file} (reform {names})", file="a.yaml", names="x"))
    assert err.args[0] == "a.yaml (reform x): bad"
    with language("zh"):
        assert str(err) == "a.yaml（改革措施 x）: bad"
