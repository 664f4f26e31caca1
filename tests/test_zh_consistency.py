"""One translation per message: the zh_CN catalogs are merged into one table when shown
(`slasim.io.i18n.catalog`, the last file loaded wins), so a message id in several catalogs must
read the same in all of them — else which wording a reader sees depends on the files' order."""

from __future__ import annotations

from collections import defaultdict

from babel.messages.pofile import read_po

from slasim.io.i18n import LOCALE_DIR


def translations() -> dict[str, dict[str, str]]:
    """msgid → {catalog: msgstr} over every shipped catalog (translated messages only)."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for path in sorted((LOCALE_DIR / "zh_CN" / "LC_MESSAGES").glob("*.po")):
        with open(path, "rb") as handle:
            for message in read_po(handle):
                if message.id and message.string:
                    found[message.id][path.stem] = message.string
    return found


def test_a_message_in_several_catalogs_reads_the_same_in_all():
    differing = {
        msgid: by_catalog
        for msgid, by_catalog in translations().items()
        if len(set(by_catalog.values())) > 1
    }
    assert not differing, "\n".join(
        f"{msgid!r}: " + "; ".join(f"{name} {text!r}" for name, text in sorted(by.items()))
        for msgid, by in differing.items()
    )


def test_the_check_sees_shared_messages():
    """The premise: catalogs do share ids (help texts of options several commands take)."""
    shared = [msgid for msgid, by in translations().items() if len(by) > 1]
    assert "Print no progress bar and no warnings on stderr." in shared


def test_a_window_is_a_desk():
    """窗口 is a desk (the glossary's term); a stretch of time is 时间窗口; and a desk is 窗口,
    never 部门 (a department)."""
    wrong = []
    for msgid, by_catalog in translations().items():
        for name, text in by_catalog.items():
            desk_words = text.replace("时间窗口", "")
            if "窗口" in desk_words and "desk" not in msgid.lower():
                wrong.append(f"{name}: {msgid!r} → {text!r} (窗口 for no desk)")
            if msgid.lower() in ("desk", "desks") and "窗口" not in text:
                wrong.append(f"{name}: {msgid!r} → {text!r} (a desk is 窗口)")
    assert not wrong, "\n".join(wrong)


def test_the_shipped_scenarios_are_described_in_chinese(cli):
    """Every shipped scenario (the fitted ones aside: `slasim fit` writes them) has a
    `description_zh`, shown by `slasim --lang zh scenarios`; `--json` keeps the English one."""
    from slasim.scenario.shipped import shipped_rows

    from .english import english_left

    rows = [row for row in shipped_rows() if not row[0].startswith("fitted/")]
    assert len(rows) >= 10 and all(zh != text for _name, text, zh in rows)
    code, out, _err = cli("--lang", "zh", "scenarios")
    assert code == 0
    shown = "".join(line.strip() for line in out.splitlines())  # wrapped lines joined
    for _name, _text, zh in rows:
        assert zh in shown
    # the fitted ones' descriptions name their log file (`fitted by slasim fit from X.csv.gz`)
    left = [run for run in english_left(out) if not run.startswith("fitted by")]
    assert left == [] and "minimal" in out and "一个事项、一个窗口" in out
    assert cli("--lang", "zh", "scenarios", "--json") == cli("--lang", "en", "scenarios", "--json")


def test_a_lone_counted_day_is_named_with_its_weekday(cli):
    """30 natural days from Fri 2025-09-26: Sat 09-27 is day 1, alone on its line (Sun 09-28 is a
    make-up working day with a reason); it names its weekday as every other single day does."""
    _code, zh, _err = cli("--lang", "zh", "deadline", "2025-09-26", "30d", "--explain")
    _code, en, _err = cli("--lang", "en", "deadline", "2025-09-26", "30d", "--explain")
    assert "  2025年9月27日 (2025-09-27) 周六  计入（第1日）" in zh.splitlines()
    assert "  2025-09-27 Sat  counted (day 1)" in en.splitlines()
