"""Update the translation catalogs (slasim/locale/zh_CN/LC_MESSAGES/*.po and their compiled .mo)
from the code, with Babel.

Messages are collected from two places:
- the code: the first argument of `_()`, `N_()`, `Text()` and `SlasimError()` when it is a plain
  string (an f-string cannot be translated: write `Text("… {name}", name=…)` instead);
- the command line's help: every command's and option's help text, from the Click tree the
  `slasim` command builds (help is translated where it is shown, in `slasim.cli.metavars`).

Each part of the package has its own catalog (`clock.po`, `cli.check.po`, …), named by
`catalog_name`, so translators of different parts never edit the same file. A message id new to
a catalog is added untranslated; one no longer in the code is dropped; translations are kept.
`tests/test_catalogs.py` fails when a message has no translation, a translation drops or adds a
placeholder, or a committed catalog differs from this script's output.

Run: python docs/make_catalogs.py            (rewrites the .po and .mo files)
     python docs/make_catalogs.py --check    (exit 1 if any is stale or incomplete)
     python docs/make_catalogs.py --todo     (print the untranslated messages, by catalog)
     python docs/make_catalogs.py --only clock cli.check   (only these catalogs)
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "slasim"
FOLDER = PACKAGE / "locale" / "zh_CN" / "LC_MESSAGES"
KEYWORDS = {"_": (1,), "N_": (1,), "Text": (1,), "SlasimError": (1,)}


def catalog_name(module: str) -> str:
    """The catalog a module's messages go to: its sub-package (`slasim.clock.cards` → `clock`),
    and for the command line its module (`slasim.cli.check` → `cli.check`)."""
    parts = module.split(".")[1:]
    if not parts or parts[0] in ("__init__", "__main__"):
        return "cli"
    if parts[0] in ("cli", "outputs"):  # one catalog per module: written by different hands
        if len(parts) == 1 or parts[1] == "__init__":
            return parts[0]
        return f"{parts[0]}.{parts[1]}"
    return parts[0]


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def code_messages() -> dict[str, dict[str, list[str]]]:
    """catalog → msgid → where it is used (file:line), from the marked calls in the code."""
    found: dict[str, dict[str, list[str]]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        with open(path, "rb") as handle:
            for lineno, message, _comments, _context in extract(
                "python", handle, keywords=KEYWORDS
            ):
                if isinstance(message, tuple):
                    message = message[0]
                if not message:
                    continue
                where = f"{path.relative_to(ROOT).as_posix()}:{lineno}"
                found.setdefault(catalog_name(_module(path)), {}).setdefault(message, [])
                found[catalog_name(_module(path))][message].append(where)
    return found


def help_messages() -> dict[str, dict[str, list[str]]]:
    """catalog → help text → command, from the whole `slasim` command tree."""
    import typer

    from slasim.cli import app

    found: dict[str, dict[str, list[str]]] = {}

    def add(module: str, text: str | None, where: str) -> None:
        if text and text.strip():
            found.setdefault(catalog_name(module), {}).setdefault(text, []).append(where)

    def walk(command, path: str, module: str) -> None:
        callback = getattr(command, "callback", None)
        if callback is not None and callback.__module__.startswith("slasim"):
            module = callback.__module__
        add(module, command.help, path)
        add(module, command.short_help, path)
        for param in command.params:
            add(module, getattr(param, "help", None), f"{path} {param.name}")
        if hasattr(command, "commands"):  # a group (Typer's own Click classes)
            for name, sub in command.commands.items():
                walk(sub, f"{path} {name}", module)

    walk(typer.main.get_command(app), "slasim", "slasim.cli")
    return found


def all_messages() -> dict[str, dict[str, list[str]]]:
    merged = code_messages()
    for name, messages in help_messages().items():
        for msgid, where in messages.items():
            merged.setdefault(name, {}).setdefault(msgid, []).extend(where)
    return merged


def updated(name: str, messages: dict[str, list[str]]) -> Catalog:
    """The catalog `name` for these messages, keeping the committed translations."""
    old: dict[str, str] = {}
    path = FOLDER / f"{name}.po"
    if path.exists():
        with open(path, "rb") as handle:
            for message in read_po(handle):
                if message.id and message.string:
                    old[message.id] = message.string
    catalog = Catalog(
        locale="zh_CN",
        domain=name,
        project="slasim",
        header_comment=f"# Chinese (simplified) messages of slasim: {name}.\n"
        "# Updated by docs/make_catalogs.py; terms from docs/glossary.md.",
        charset="utf-8",
        fuzzy=False,
    )
    for msgid in sorted(messages):
        catalog.add(msgid, old.get(msgid, ""), locations=[])
    return catalog


def rendered(catalog: Catalog) -> tuple[bytes, bytes]:
    """The .po and .mo bytes of a catalog (no dates, so unchanged catalogs compare equal)."""
    # A fixed date: Babel writes the current time into the .mo header when none is set.
    catalog.creation_date = catalog.revision_date = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    po, mo = io.BytesIO(), io.BytesIO()
    write_po(po, catalog, width=100, omit_header=False, no_location=True, sort_output=True)
    write_mo(mo, catalog)
    lines = [
        line
        for line in po.getvalue().split(b"\n")
        if not line.startswith((b'"POT-Creation-Date', b'"PO-Revision-Date', b'"Generated-By'))
    ]
    return b"\n".join(lines), mo.getvalue()


def untranslated(catalog: Catalog) -> list[str]:
    return [m.id for m in catalog if m.id and not m.string]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if any catalog is stale")
    parser.add_argument("--todo", action="store_true", help="print untranslated messages")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these catalogs")
    args = parser.parse_args()
    FOLDER.mkdir(parents=True, exist_ok=True)
    stale = []
    messages = all_messages()
    for name in sorted(messages):
        if args.only and name not in args.only:
            continue
        catalog = updated(name, messages[name])
        po, mo = rendered(catalog)
        po_path, mo_path = FOLDER / f"{name}.po", FOLDER / f"{name}.mo"
        if args.todo:
            for msgid in untranslated(catalog):
                print(f"{name}: {msgid!r}")
            continue
        current = (
            po_path.read_bytes() if po_path.exists() else None,
            mo_path.read_bytes() if mo_path.exists() else None,
        )
        if current != (po, mo):
            stale.append(name)
            if not args.check:
                po_path.write_bytes(po)
                mo_path.write_bytes(mo)
    for path in FOLDER.glob("*.po"):
        if path.stem not in messages and not args.only:
            stale.append(path.stem)
            if not args.check:
                path.unlink()
                path.with_suffix(".mo").unlink(missing_ok=True)
    if args.check and stale:
        print(f"stale catalogs: {', '.join(sorted(stale))} (run python docs/make_catalogs.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
