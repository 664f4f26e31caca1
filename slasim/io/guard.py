"""The output guard: every path a command will write, checked together before any work.

`claim_outputs` is called by each command with its inputs, its single output files and its
result folders (each with the names it writes there). Every path is resolved (symlinks and `..`
included; a hard link is matched by inode) and refused, as one located error, when

- its name or path is too long for the file system (with room for the temporary file beside it);
- it is not a regular file or nothing yet (`files.check_target`);
- it is an input of the same command (`fit LOG --out LOG`, `report --html summary.json`);
- it is written twice by the same command (`--event-log x.xes` and its XES sibling,
  `--event-log out/summary.json` with `--out out`, `sweep --csv p.png --plot p.png`);
- it is a file of a set another command published in that folder (`slasim-manifest.json`);
- its folder is being written by another live slasim command.

An input that exists must be a regular file (a FIFO would block its reader, a device never end).

The last is a lock file, `.slasim.lock`, in each folder written to, held with `flock` for the
command's life: a result folder is locked exclusively (one command publishes a set there at a
time), a folder receiving single files is shared (two commands writing different files beside each
other do not wait for each other). The kernel releases a lock when its process ends, however it
ends, so a lock left by a dead process is simply taken over; the file is removed by the last
holder. Folders created for the claim are removed again if they are left empty.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from pathlib import Path

from slasim.io import manifest
from slasim.io.errors import SlasimError
from slasim.io.files import shown
from slasim.io.i18n import N_, Text, os_reason

LOCK = ".slasim.lock"
NAME_MAX = 255  # bytes in one file name (ext4, xfs, btrfs, tmpfs)
PATH_MAX = 4096  # bytes in a path given to the kernel
TEMP_EXTRA = len(".") + len(".XXXXXXXX.tmp")  # a staged file is `.NAME.XXXXXXXX.tmp`


def _checked_name(path: Path) -> None:
    """Refuse a path whose name (with its temporary file's prefix and suffix) or whole length the
    file system cannot hold."""
    name = len(os.fsencode(path.name))
    if name + TEMP_EXTRA > NAME_MAX:
        raise SlasimError(
            "file name too long ({size} bytes; at most {most})",
            source=shown(path),
            size=name,
            most=NAME_MAX - TEMP_EXTRA,
        )
    whole = len(os.fsencode(os.path.abspath(path)))
    if whole + TEMP_EXTRA >= PATH_MAX:
        raise SlasimError(
            "path too long ({size} bytes; at most {most})",
            source=shown(path),
            size=whole,
            most=PATH_MAX - TEMP_EXTRA - 1,
        )


def _real(path: Path) -> str:
    try:
        return os.path.realpath(path)
    except OSError as exc:
        raise SlasimError(
            "cannot resolve ({why})", source=shown(path), why=os_reason(exc)
        ) from None


def _inode(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _regular_or_missing(path: Path) -> None:
    """An input that exists must be a regular file: a FIFO would block the reader, a device
    (`/dev/zero`) never end. A missing one is left to the command to report."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise SlasimError(
            "cannot read file ({why})", source=shown(path), why=os_reason(exc)
        ) from None
    if not stat.S_ISREG(info.st_mode):
        kind = N_("a directory") if stat.S_ISDIR(info.st_mode) else N_("not a regular file")
        raise SlasimError("{kind}: not read", source=shown(path), kind=Text(kind))


class Claim:
    """The locks a command holds on the folders it writes; `release()` when it ends."""

    def __init__(self) -> None:
        self._held: list[tuple[int, Path, bool]] = []  # (fd, lock file, exclusive)
        self._created: list[Path] = []

    def lock(self, folder: Path, exclusive: bool) -> None:
        """Take `folder`'s lock (creating the folder if needed), or raise naming the holder."""
        missing = []
        parent = folder
        while not parent.exists() and parent != parent.parent:
            missing.append(parent)
            parent = parent.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SlasimError(
                "cannot create the folder ({why})", source=shown(folder), why=os_reason(exc)
            ) from None
        self._created += reversed(missing)
        path = folder / LOCK
        while True:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
            except OSError as exc:
                raise SlasimError(
                    "cannot lock ({why})", source=shown(path), why=os_reason(exc)
                ) from None
            try:
                fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 32).decode("ascii", "replace").strip()
                os.close(fd)
                who = Text(" (pid {pid})", pid=holder) if holder.isdigit() else ""
                raise SlasimError(
                    "another slasim command{who} is writing in this folder: wait for it to end",
                    source=shown(folder),
                    who=who,
                ) from None
            # The last holder of a lock removes its file: if ours was removed meanwhile, retry.
            if _inode(str(path)) == (os.fstat(fd).st_dev, os.fstat(fd).st_ino):
                break
            os.close(fd)
        if exclusive:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._held.append((fd, path, exclusive))

    def release(self) -> None:
        """Give every lock back (the lock file removed by its last holder) and remove the folders
        created for the claim that are still empty."""
        for fd, path, _ in reversed(self._held):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # no one else holds it
                path.unlink(missing_ok=True)
            except OSError:
                pass
            os.close(fd)
        self._held = []
        for folder in reversed(self._created):
            with contextlib.suppress(OSError):  # not empty: results were written
                folder.rmdir()
        self._created = []


def claim_outputs(inputs=(), files=(), folders=None, *, appended=()) -> Claim:
    """Check every output of a command against its inputs and each other and lock the folders
    written to; see the module docstring. `files` are single output files (None entries ignored),
    `folders` maps each result folder to the names the command writes there (a dict, or pairs
    when two options may name one folder), `appended` files
    are written in place (appended to: GitHub's step summary). Returns the `Claim` to release."""
    from slasim.io.files import check_target

    pairs = folders.items() if isinstance(folders, dict) else folders or ()
    folders = {}
    for folder, names in pairs:  # one folder given twice (fidelity's --out and --sim-logs): merged
        if folder is not None:
            folders.setdefault(Path(folder), []).extend(names)
    singles = [Path(p) for p in files if p is not None]
    appended = [Path(p) for p in appended if p is not None]
    outputs = singles + appended
    outputs += [folder / name for folder, names in folders.items() for name in names]
    for path in outputs:
        _checked_name(path)
        check_target(path)
    for folder in folders:
        _checked_name(folder / "x")
        if folder.exists() and not folder.is_dir():
            raise SlasimError("not a folder: results are written in a folder", source=shown(folder))
    sources = {}
    for path in inputs:
        if path is None:
            continue
        _regular_or_missing(Path(path))
        real = _real(Path(path))
        sources[real] = str(path)
        if (inode := _inode(real)) is not None:
            sources[inode] = str(path)
    written: dict = {}
    for path in outputs:
        real = _real(path)
        inode = _inode(real)
        for key in (real, inode):
            if key is not None and key in sources:
                alias = "" if sources[key] == str(path) else f" ({sources[key]})"
                raise SlasimError(
                    "an input of this command{alias}: writing here would overwrite it",
                    source=shown(path),
                    alias=alias,
                )
        for key in (real, inode):
            if key is not None and key in written:
                alias = "" if written[key] == str(path) else Text(" (as {name})", name=written[key])
                raise SlasimError(
                    "two outputs of this command are this one file{alias}: one would be lost",
                    source=shown(path),
                    alias=alias,
                )
        written[real] = str(path)
        if inode is not None:
            written[inode] = str(path)
        parent = Path(real).parent
        ours = any(parent == Path(_real(f)) for f in folders)
        if not ours and (command := manifest.owner(parent, Path(real).name)):
            raise SlasimError(
                "a file of the `{command}` results published in this folder: it would be "
                "overwritten (write elsewhere)",
                source=shown(path),
                command=command,
            )
    locks = {_real(folder): True for folder in folders}
    for path in singles + appended:
        locks.setdefault(str(Path(_real(path)).parent), False)
    claim = Claim()
    try:
        for folder in sorted(locks):
            claim.lock(Path(folder), locks[folder])
    except BaseException:
        claim.release()
        raise
    _live.append(claim)
    return claim


_live: list[Claim] = []  # claims held until the command ends


def release_all() -> None:
    """Release every claim still held (the command line calls this when a command ends)."""
    while _live:
        _live.pop().release()
