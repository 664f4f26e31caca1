"""Every command's help in Chinese: `slasim --lang zh CMD --help` leaves no English sentence
(Click's own `Usage:` is the stated exception), wraps at 80 columns without cutting a sentence or
an identifier, and the English help is untouched by a Chinese run before it in the same process;
`fit`'s summary names weekdays in Chinese."""

from __future__ import annotations

import re

import pytest
import typer

from slasim.cli import app

from .english import english_left
from .helpers import ROOT, slasim


def command_paths() -> list[tuple[str, ...]]:
    paths = []

    def walk(command, path):
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return paths


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "slasim")
def test_help_in_chinese_has_no_english_left(path):
    code, out, err = slasim("--lang", "zh", *path, "--help")
    assert code == 0, err
    # Click writes the usage line itself: `Usage:` and the command's own name stay as typed
    # (docs/translating.md states the limit).
    shown = re.sub(r"Usage: .*", " ", out)
    assert english_left(shown) == [], out


def test_help_in_english_after_a_chinese_run_is_english():
    slasim("--lang", "zh", "run", "--help")
    code, out, _err = slasim("--lang", "en", "run", "--help")
    assert code == 0
    assert "Simulate a service centre" in out and "仿真" not in out


# Full-width punctuation that never starts a line of Chinese (GB/T 15834 and the usual
# typesetting rule: closing and pausing marks stay with the character before them).
NO_LINE_START = "，。、；：！？）」』》】”"


def help_texts(path: tuple[str, ...]) -> list[str]:
    """The help texts `slasim --lang zh PATH --help` shows (the command's, its parameters', its
    sub-commands'), in Chinese, as Rich shows them (markup taken out)."""
    from rich.text import Text

    from slasim.cli.language import join_lines
    from slasim.io.i18n import language, localized

    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    texts = [command.help, *(param.help for param in command.params)]
    rows = [sub.short_help or sub.help for sub in getattr(command, "commands", {}).values()]
    with language("zh"):
        texts = [localized(text) for text in texts if text]
        texts += [localized(text).split("\n\n")[0] for text in rows if text]  # a row: the first
    return [Text.from_markup(join_lines(text)).plain for text in texts]


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "slasim")
def test_help_in_chinese_wraps_whole_at_80_columns(path, monkeypatch):
    """Every help line fits without "…", no line starts with a closing mark, and every word
    written in ASCII (option names, identifiers such as `window`) stays whole on one line."""
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = slasim("--lang", "zh", *path, "--help")
    assert code == 0, err
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80  # the width was taken (each CJK cell counts 1)
    for line in lines:
        assert not line.rstrip(" │").endswith("…"), out
        # a line of a column starts after the panel's border, or after the gap between columns
        starts = re.findall(r"(?:^|│|\s{2})\s*(\S)", line)
        assert not set(starts) & set(NO_LINE_START), line
    words = {w for text in help_texts(path) for w in re.findall(r"[!-~]+", text)}
    for word in words:
        assert word in out, (word, out)


def test_fidelity_help_keeps_window_whole(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    _code, out, _err = slasim("--lang", "zh", "fidelity", "--help")
    assert "window：" in out and "first-n：" in out


def test_line_breaks_by_hand():
    from rich._wrap import divide_line

    from slasim.cli.language import line_breaks

    assert line_breaks("甲乙丙丁", 4) == [2]  # two cells a character: two to a line
    # `window` stays whole and keeps its colon; the line may end after the colon
    assert line_breaks("甲window，乙", 10) == [8]
    assert line_breaks("甲window，乙", 12) == []
    # the opening mark stays with what follows it, the closing mark with what precedes it
    assert line_breaks("乙（甲）丙", 6) == [1, 4]
    # English wraps at its spaces only, as Rich does
    assert line_breaks("an option name", 8) == [3, 10]
    for text in ("an option name", "--max-cases a b", "x " * 30):
        for width in (3, 8, 13):
            assert line_breaks(text, width) == divide_line(text, width)


def test_fit_names_the_weekend_in_chinese(tmp_path):
    """`fit`'s office-time line names the fitted weekend as a Chinese reader does (the sample log
    has events from Thu 9 to Wed 22 Feb 2023 and none on 11-12 or 18-19 Feb, the Saturdays and
    Sundays), not by the file's codes."""
    from slasim.cli.fit import weekdays_text
    from slasim.io.i18n import language

    with language("zh"):
        assert weekdays_text(["sat", "sun"]) == "周六、周日"
        assert weekdays_text(["fri"]) == "周五"
    assert weekdays_text(["sat", "sun"]) == "Sat, Sun"
    log = ROOT / "scenarios" / "logs" / "loanapp-sample.csv"
    args = ("fit", log, "-c", "loanapp-example", "--limit", "1wd", "--promised", "3wh")
    code, out, err = slasim("--lang", "zh", *args, "--out", tmp_path / "x.yaml")
    assert code == 0, err
    assert "办公时间取自日志：07:00–15:00；休息日：周六、周日" in out.splitlines()
    assert english_left(out) == []
