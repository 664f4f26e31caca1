"""The zh_CN catalogs are complete and current: every message the code marks and every help text of
the command line has a Chinese translation keeping exactly its placeholders, and the committed .po
and compiled .mo files are what docs/make_catalogs.py writes from today's code."""

from __future__ import annotations

import importlib.util
import warnings

import pytest
from babel.messages.pofile import read_po

from slasim.io.i18n import LOCALE_DIR, placeholders

from .helpers import ROOT


@pytest.fixture(scope="module")
def maker():
    spec = importlib.util.spec_from_file_location("make_catalogs", ROOT / "docs/make_catalogs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def messages(maker):
    with warnings.catch_warnings():  # Babel warns of each f-string it skips
        warnings.simplefilter("ignore")
        return maker.all_messages()


def test_the_code_marks_messages_and_the_walk_finds_them(messages):
    assert "error: {message}" in messages["cli"]  # cli/__init__.py's frame
    assert any("deadline" in text.lower() for text in messages["cli.deadline"])  # help texts
    assert sum(len(m) for m in messages.values()) > 200


def test_every_message_has_a_translation_keeping_its_placeholders(maker, messages):
    missing, broken = [], []
    for name, found in sorted(messages.items()):
        catalog = maker.updated(name, found)
        for message in catalog:
            if not message.id:
                continue
            if not message.string:
                missing.append(f"{name}: {message.id!r}")
            elif placeholders(message.id) != placeholders(message.string):
                broken.append(f"{name}: {message.id!r} -> {message.string!r}")
    assert not broken, "translations that drop or add a placeholder:\n" + "\n".join(broken)
    assert not missing, (
        f"{len(missing)} messages without a Chinese translation (python docs/make_catalogs.py "
        "--todo):\n" + "\n".join(missing[:40])
    )


def test_the_committed_catalogs_are_current(maker, messages):
    stale = []
    for name, found in sorted(messages.items()):
        po, mo = maker.rendered(maker.updated(name, found))
        folder = LOCALE_DIR / "zh_CN" / "LC_MESSAGES"
        committed = [folder / f"{name}.po", folder / f"{name}.mo"]
        if [p.read_bytes() if p.exists() else None for p in committed] != [po, mo]:
            stale.append(name)
    extra = sorted(
        {p.stem for p in (LOCALE_DIR / "zh_CN/LC_MESSAGES").glob("*.po")} - set(messages)
    )
    assert not stale and not extra, (
        f"stale catalogs {stale}, catalogs of no code {extra}: run python docs/make_catalogs.py"
    )


def test_no_committed_translation_is_marked_fuzzy():
    for path in sorted((LOCALE_DIR / "zh_CN/LC_MESSAGES").glob("*.po")):
        with open(path, "rb") as handle:
            fuzzy = [m.id for m in read_po(handle) if m.id and m.fuzzy]
        assert not fuzzy, f"{path.name}: fuzzy (unchecked) translations {fuzzy[:5]}"
