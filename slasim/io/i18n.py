"""The language of what slasim shows: which one is chosen, the shipped gettext catalogs, and the
markers that keep a message's id and parameters until it is shown.

English is the source language: every message is written in English in the code, and that English
is what JSON, CSV and logs hold (they are interfaces, the same in every language). Text shown to a
person is translated where it is shown, through the `zh_CN` catalogs compiled into the wheel
(`slasim/locale/zh_CN/LC_MESSAGES/*.mo`, one per part of the package; see docs/translating.md).

- `_(msgid)` translates now, into the chosen language (text built for display: a table heading).
- `N_(msgid)` only marks a message for the catalog (help texts, tables of messages).
- `Text(msgid, **params)` is English text (its `str`, what JSON holds) that remembers its message
  id and parameters, so a warning carried in a result can be shown translated later;
  `localized(value)` shows a `Text` (or a plain catalog message) in the chosen language. Of a
  `Text`'s parameters only those that are `Text` are translated: a plain string (a name from the
  user's file, a path, a value) is shown as written, even when it spells a message id (`desk`).
- `language(lang)` chooses, for the current thread or task (a context variable: the command line
  sets it once; each page of the workbench sets its own).
"""

from __future__ import annotations

import datetime as dt
import gettext
import os
import string
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "zh")
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
_LOCALES = {"zh": "zh_CN"}
_chosen: ContextVar[str] = ContextVar("slasim_language", default="en")


def choose(flag: str | None = None, environ=None) -> str:
    """The language asked for: `--lang` (zh or en), else `SLASIM_LANG`, else the locale
    (`LC_ALL`, `LC_MESSAGES`, `LANG`: zh_CN.UTF-8 → zh), else English. An unknown value of the
    flag is refused by the caller; an unknown locale is English."""
    environ = os.environ if environ is None else environ
    for value in (flag, environ.get("SLASIM_LANG")):
        if value:
            return normal(value)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:  # the first one set decides, as for gettext
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def normal(value: str) -> str:
    """`zh`, `zh_CN`, `zh-CN.UTF-8`, `cn` → `zh`; `en`, `en_US` … → `en`; anything else is
    refused with a ValueError naming the choices."""
    lowered = value.strip().lower()
    if lowered.startswith(("zh", "cn")):
        return "zh"
    if lowered.startswith("en") or lowered.split(".")[0] in ("c", "posix"):
        return "en"
    raise ValueError(f"unknown language {value!r} (choose one of: {', '.join(LANGUAGES)})")


def current() -> str:
    """The language text is shown in now."""
    return _chosen.get()


def use(lang: str) -> None:
    """Choose the language for the rest of this thread or task (the command line, once)."""
    _chosen.set(normal(lang))


@contextmanager
def language(lang: str):
    """Show text in `lang` inside the block."""
    token = _chosen.set(normal(lang))
    try:
        yield
    finally:
        _chosen.reset(token)


@cache
def catalog(lang: str) -> dict[str, str]:
    """Every translated message of `lang` (msgid → text) from the shipped `.mo` files; English
    has none (its messages are the ids)."""
    merged: dict[str, str] = {}
    if lang not in _LOCALES:
        return merged
    folder = LOCALE_DIR / _LOCALES[lang] / "LC_MESSAGES"
    for path in sorted(folder.glob("*.mo")):
        with open(path, "rb") as handle:
            translations = gettext.GNUTranslations(handle)
        merged.update(
            (key, value)
            for key, value in translations._catalog.items()
            if isinstance(key, str) and key and value
        )
    return merged


def translate(msgid: str, lang: str | None = None) -> str:
    """`msgid` in `lang` (default: the chosen language); the id itself when not translated."""
    lang = lang or _chosen.get()
    if lang == "en":
        return msgid
    return catalog(lang).get(msgid, msgid)


def _(msgid: str) -> str:
    """Translate now, into the chosen language (and mark for the catalog)."""
    return translate(msgid)


def N_(msgid: str) -> str:
    """Mark `msgid` for the catalog without translating it (it is translated where shown)."""
    return msgid


class Text(str):
    """English text that remembers its message id and parameters: `str(Text(...))` is the
    English (what JSON, CSV and logs hold); `localized` shows it in the chosen language, its
    parameters too when they are `Text` (a plain-string parameter is shown as written: a word of
    slasim's own given as a parameter is passed as `Text(word)`)."""

    msgid: str
    params: dict

    def __new__(cls, msgid: str, /, **params) -> Text:
        self = super().__new__(cls, msgid.format(**params) if params else msgid)
        self.msgid = msgid
        self.params = params
        return self

    def __reduce__(self):  # pickled across processes and to Dask workers with its id
        return (_remade, (self.msgid, self.params))

    def localized(self, lang: str | None = None) -> str:
        """The text in `lang` (default: the chosen language)."""
        template = translate(self.msgid, lang)
        if not self.params:
            return template
        params = {
            key: value.localized(lang) if isinstance(value, Text) else value
            for key, value in self.params.items()
        }
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):  # a broken translation: the English is right
            return str(self)


class When(Text):
    """An ISO date or local instant (`2025-10-30`, `2025-10-30T17:30`, with or without its UTC
    offset) as a `Text` parameter: its `str` is the ISO text (what JSON holds); shown in Chinese
    as `date_text` shows a date, with the time beside it (`2025年10月30日 17:30
    (2025-10-30T17:30)`). Text that is not ISO is shown as written."""

    def __new__(cls, iso: str) -> When:
        return super().__new__(cls, "{iso}", iso=str(iso))

    def __reduce__(self):
        return (When, (self.params["iso"],))

    def localized(self, lang: str | None = None) -> str:
        iso = self.params["iso"]
        if (lang or _chosen.get()) != "zh":
            return iso
        try:
            when = dt.datetime.fromisoformat(iso)
        except ValueError:
            return iso
        clock = f" {when:%H:%M}" if "T" in iso else ""
        return f"{when.year}年{when.month}月{when.day}日{clock} ({iso})"


def os_reason(exc: OSError) -> Text:
    """The operating system's reason a file operation failed (`strerror`), as a `Text`: a
    message parameter, shown translated where a catalog has it (`slasim.io.files.OS_REASONS`)."""
    return Text(exc.strerror or type(exc).__name__)


def _remade(msgid: str, params: dict) -> Text:
    return Text(msgid, **params)


def localized(value, lang: str | None = None):
    """A value as shown in `lang`: a `Text` translated with its parameters, a plain string looked
    up as a message id (unchanged when it is not one: a name, a file), anything else as is."""
    if isinstance(value, Text):
        return value.localized(lang)
    if isinstance(value, str):
        return translate(value, lang)
    return value


def placeholders(template: str) -> set[str]:
    """The named fields of a message (`{name}`, `{share:.1%}` → name, share): a translation must
    keep exactly these."""
    return {
        field.split(".")[0].split("[")[0]
        for _text, field, _spec, _conv in string.Formatter().parse(template)
        if field is not None
    }


def date_text(day: dt.date, lang: str | None = None) -> str:
    """A date as a reader of `lang` expects it in text: ISO in English; `2025年10月30日
    (2025-10-30)` in Chinese (ISO kept beside it, to copy into a file)."""
    iso = day.isoformat()
    if (lang or _chosen.get()) == "zh":
        return f"{day.year}年{day.month}月{day.day}日 ({iso})"
    return iso
