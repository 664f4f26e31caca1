"""The manifest of a results folder: which sets of files slasim published there, whole or not.

A command that writes a folder of results (`run --out`, `compare --out`, `staff --out`,
`fidelity --out` and `--sim-logs`) publishes its files as one *set*. The folder's
`slasim-manifest.json` lists each set: the command that wrote it, its files with their size and
SHA-256, and whether it is complete. Publishing (`OutputSet.commit`) goes

1. the manifest rewritten first: the new set listed as *incomplete*, and every older set it
   replaces (one sharing a file name with it, or written by the same command) left out;
2. each new file renamed over its target; the files of the replaced sets that the new set does
   not write removed (no stale CSV of a `run` beside a `compare`'s summary, and the reverse);
3. the manifest rewritten last: the new set complete, with its files' hashes.

Each rewrite is itself a rename. A process killed at any point (even SIGKILL) therefore leaves
either the old sets as they were, or a manifest saying the new set is incomplete, or the new set
whole; `slasim report` reads the manifest first (`check_sets`) and refuses a file of an
incomplete set, one no set lists, or one changed since it was published. A folder without a
manifest (written by hand or by an older slasim) is read as it is, and its files, which no
manifest lists, are never removed: a stale file there is only replaced by a set that writes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path

from slasim.io.errors import SlasimError
from slasim.io.i18n import os_reason

NAME = "slasim-manifest.json"
MAX_BYTES = 1 << 20  # a manifest lists a few files: larger is not one slasim wrote


def digest(path: Path) -> dict:
    """{"bytes": size, "sha256": hex} of a file."""
    sha = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            sha.update(chunk)
            size += len(chunk)
    return {"bytes": size, "sha256": sha.hexdigest()}


def _plain(name) -> bool:
    """A file name inside the folder: never a path out of it (a hostile manifest could otherwise
    have a stale file removed anywhere)."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and "/" not in name
        and "\0" not in name
        and name != NAME
    )


def read(folder: Path) -> list[dict] | None:
    """The sets listed in `folder`'s manifest; None when there is none. A manifest that is not a
    regular file or not one slasim wrote is one located error."""
    path = Path(folder) / NAME
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SlasimError("cannot read ({why})", source=str(path), why=os_reason(exc)) from None
    with os.fdopen(fd, "rb") as handle:  # a regular file only: a FIFO would never answer
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SlasimError("not a regular file", source=str(path))
        text = handle.read(MAX_BYTES + 1)
    try:
        sets = json.loads(text)["sets"]
        for entry in sets:
            if not (
                isinstance(entry["command"], str)
                and isinstance(entry["complete"], bool)
                and isinstance(entry["files"], dict)
                and all(map(_plain, entry["files"]))
            ):
                raise TypeError
        if len(text) > MAX_BYTES:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise SlasimError(
            "not a manifest slasim wrote (delete it and run the command again)", source=str(path)
        ) from None
    return sets


def write(folder: Path, sets: list[dict]) -> None:
    """Replace `folder`'s manifest with one listing `sets` (a temporary file renamed over it)."""
    text = json.dumps({"slasim_manifest": 1, "sets": sets}, ensure_ascii=False, indent=2) + "\n"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{NAME}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, Path(folder) / NAME)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def replaced(sets: list[dict], command: str, names: set[str]) -> tuple[list[dict], set[str]]:
    """(the sets that stay, the files of those the new set replaces that it does not write)."""
    keep, stale = [], set()
    for entry in sets:
        if entry["command"] == command or names & set(entry["files"]):
            stale |= set(entry["files"]) - names
        else:
            keep.append(entry)
    return keep, stale


def owner(folder: Path, name: str) -> str | None:
    """The command whose published set in `folder` holds the file `name`, if any."""
    for entry in read(folder) or []:
        if name in entry["files"]:
            return entry["command"]
    return None


def check_sets(folder: Path, names) -> None:
    """Before reading the files `names` of a results folder: with a manifest, each one present
    must belong to a complete set and be as it was published; otherwise one located error."""
    folder = Path(folder)
    sets = read(folder)
    if sets is None:
        return
    listed = {name: entry for entry in sets for name in entry["files"]}
    for name in names:
        path = folder / name
        if not path.exists():
            continue
        entry = listed.get(name)
        if entry is None:
            raise SlasimError(
                "not part of any set slasim published here (see {manifest}): not read",
                source=str(path),
                manifest=NAME,
            )
        if not entry["complete"]:
            raise SlasimError(
                "the files of `{command}` here are incomplete (the command was stopped "
                "while publishing them): run it again",
                source=str(path),
                command=entry["command"],
            )
        for member, expected in entry["files"].items():
            member_path = folder / member
            if not member_path.is_file() or digest(member_path) != expected:
                raise SlasimError(
                    "changed or removed since `{command}` published it "
                    "(see {manifest}): run the command again",
                    source=str(member_path),
                    command=entry["command"],
                    manifest=NAME,
                )
