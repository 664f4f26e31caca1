"""Files in and out: reading YAML/JSON inputs safely, writing results atomically, shipped data.

Inputs: only regular files are read, and no further than a size cap (`open_regular`: a FIFO, a
device or `/dev/zero` behind a symlink is refused, never waited on or read without end); YAML
through a safe loader that leaves dates as text (slasim parses them with located errors), JSON
through the standard parser; either is refused if its aliases expand to a huge structure.
Outputs: written to a temporary file beside the target and renamed, so a reader never sees a
half-written file; files that belong together (a result directory, an event log and its XES) are
staged first and renamed together (`OutputSet`), so a failed run leaves the old set, and a result
folder's sets are published through its manifest (`slasim.io.manifest`). Which paths a command
may write at all is decided before it starts (`slasim.io.guard`).
Loading many small acyclic objects runs with the cyclic garbage collector paused (`gc_paused`):
each full collection would walk all of them.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

from slasim.io import manifest
from slasim.io.errors import SlasimError
from slasim.io.i18n import N_, Text, os_reason
from slasim.io.interrupts import check_interrupted, held

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def shown(path) -> str:
    """A path as a message names it: its start and end when it is very long (a 5,000-byte path
    stays one readable line)."""
    name = str(path)
    return name if len(name) <= 200 else f"{name[:100]}…{name[-100:]}"


def shipped_dir(kind: str) -> Path:
    """Data shipped in the wheel (`slasim/_shipped_<kind>`), else the checkout's `<kind>/` folder."""
    packaged = PACKAGE_DIR / f"_shipped_{kind}"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / kind


def at_line(number: int) -> Text:
    """The location `line N` of an error in a file, shown in the chosen language."""
    return Text("line {n}", n=number)


def did_you_mean(name: str, known) -> str:
    """`" (did you mean 'x'?)"` for the known names closest to a mistyped one, else ""."""
    import difflib

    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    if not close:
        return ""
    names = repr(close[-1])
    if len(close) > 1:
        names = Text("{head} or {last}", head=" or ".join(repr(c) for c in close[:-1]), last=names)
    return Text(" (did you mean {names}?)", names=names)


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while many acyclic objects are built (restored after).
    When the pause built a great many objects that live on (a check file's cases), they are moved
    to the collector's permanent generation (`gc.freeze`) first: the first collection after the
    pause would otherwise walk every one of them, about a second per million, to find no cycle.
    Frozen objects are still freed by reference counting when dropped (the data built here holds
    no cycles); only cyclic garbage among them would never be collected."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_count()[0] > FREEZE_AFTER:
            gc.freeze()
        if enabled:
            gc.enable()


FREEZE_AFTER = 100_000  # objects built during a pause, net


def _unique_pairs(pairs: list) -> dict:
    """A JSON object whose keys do not repeat (json's default keeps the last silently)."""
    out = dict(pairs)
    if len(out) != len(pairs):
        keys = [k for k, _ in pairs]
        key = next(k for k in keys if keys.count(k) > 1)
        raise ValueError(Text("duplicate key {key}", key=repr(key)))
    return out


# The operating system's reasons (`strerror`) a file operation fails with most, translated where
# an error quotes them.
OS_REASONS = (
    N_("No such file or directory"),
    N_("Permission denied"),
    N_("No space left on device"),
    N_("File name too long"),
    N_("Is a directory"),
    N_("Not a directory"),
    N_("Read-only file system"),
    N_("Disk quota exceeded"),
    N_("Too many levels of symbolic links"),
    N_("File exists"),
)

MAX_INPUT_MB = 256  # scenario and check files; larger ones are refused, not read


_read: set | None = None  # (device, inode) of each file read while a command runs


@contextmanager
def inputs_tracked():
    """Within the block (a command), remember every file read through `open_regular`: no
    `OutputSet` may then publish over one of them — the backstop behind the output guard, for
    inputs only known once read (a calendar or catalogue a scenario names)."""
    global _read
    previous, _read = _read, set()
    try:
        yield
    finally:
        _read = previous


def open_regular(path: Path, max_mb: float = MAX_INPUT_MB):
    """A binary handle on a regular file no larger than `max_mb`. The file is opened without
    blocking and checked on the open handle, so a FIFO (which would wait for a writer), a device
    (`/dev/zero` never ends) or a directory is refused whatever a symlink pointed at when the
    name was checked; a missing file, one over `max_mb` or one that cannot be opened is one
    located error."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise SlasimError("file not found", source=shown(path)) from None
    except OSError as exc:
        raise SlasimError(
            "cannot read file ({why})", source=shown(path), why=os_reason(exc)
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = N_("a directory") if stat.S_ISDIR(info.st_mode) else N_("not a regular file")
            raise SlasimError(kind, source=shown(path))
        if info.st_size > max_mb * 2**20:
            raise SlasimError("over {most:g} MB: not read", source=shown(path), most=max_mb)
        if _read is not None:
            _read.add((info.st_dev, info.st_ino))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes_file(path: Path, max_mb: float = MAX_INPUT_MB) -> bytes:
    """A regular file's bytes, read no further than `max_mb` (a file growing while it is read is
    refused too); see `open_regular`."""
    limit = int(max_mb * 2**20)
    try:
        with open_regular(path, max_mb) as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise SlasimError(
            "cannot read file ({why})", source=shown(path), why=os_reason(exc)
        ) from None
    if len(data) > limit:
        raise SlasimError("over {most:g} MB: not read", source=shown(path), most=max_mb)
    return data


def read_text_file(path: Path, max_mb: float = MAX_INPUT_MB) -> str:
    """A regular file's UTF-8 text; a FIFO or device (which could block or never end), a missing
    file, one over `max_mb`, or bytes that are not UTF-8 are one located error."""
    data = read_bytes_file(path, max_mb)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SlasimError("not UTF-8 text (byte {at})", source=shown(path), at=exc.start) from None


def read_json_file(path: Path, max_mb: float = MAX_INPUT_MB):
    """A JSON document from a regular file of at most `max_mb` (keys never repeated); an
    unreadable or invalid file is one located error that quotes none of its content."""
    text = read_text_file(path, max_mb)
    try:
        return json.loads(text, object_pairs_hook=_unique_pairs)
    except json.JSONDecodeError as exc:
        raise SlasimError(
            "invalid JSON: {why}", source=shown(path), field=at_line(exc.lineno), why=exc.msg
        ) from None
    except ValueError:
        raise SlasimError("invalid JSON: a key is repeated", source=shown(path)) from None
    except RecursionError:
        raise SlasimError("the document is nested too deeply", source=shown(path)) from None


def yaml_value(text: str, what: str):
    """A command-line value read as YAML (safely); a tag or syntax error is one located error."""
    import yaml

    try:
        return yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as exc:
        problem = getattr(exc, "problem", None) or str(exc).split(";")[0]
        raise SlasimError(
            "not a plain YAML value ({problem}): {value}",
            field=what,
            problem=problem,
            value=repr(text),
        ) from None


def read_yaml(path: Path):
    """Safely load a YAML file (or a `.json` one: JSON is YAML, and its parser is far faster for
    large generated files); a missing file or a syntax error is a `SlasimError`."""
    text = read_text_file(Path(path))
    if Path(path).suffix.lower() == ".json":
        try:
            with gc_paused():  # 100k cases: 0.6 s instead of 1.9 s with the collector running
                return json.loads(text, object_pairs_hook=_unique_pairs)
        except json.JSONDecodeError as exc:
            raise SlasimError(
                "invalid JSON: {why}", source=str(path), field=at_line(exc.lineno), why=exc.msg
            ) from None
        except ValueError as exc:  # a duplicate key
            why = exc.args[0] if exc.args and isinstance(exc.args[0], Text) else str(exc)
            raise SlasimError("invalid JSON: {why}", source=str(path), why=why) from None
        except RecursionError:
            raise SlasimError("the document is nested too deeply", source=str(path)) from None
    import yaml

    from slasim.io.yaml_loader import TextDatesLoader

    try:
        with gc_paused():
            data = yaml.load(text, Loader=TextDatesLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = at_line(mark.line + 1) if mark else None
        problem = getattr(exc, "problem", None) or Text("invalid YAML")
        raise SlasimError(
            "invalid YAML: {problem}", source=str(path), field=where, problem=problem
        ) from None
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise SlasimError(
            "invalid value: {why}", source=str(path), why=str(exc).split(";")[0]
        ) from None
    check_expanded_size(data, str(path))
    return data


def item_lines(path: Path, key: str) -> list[int] | None:
    """The 1-based line where each item of the top-level sequence `key` starts in a YAML (or JSON)
    file, for pointing at a case; None if the file does not have that shape. Composed again only
    when asked (a report with failures), so the load path pays nothing for it."""
    import yaml

    try:
        root = yaml.compose(
            read_text_file(Path(path)), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
    except (yaml.YAMLError, SlasimError):
        return None
    if not isinstance(root, yaml.MappingNode):
        return None
    for key_node, value in root.value:
        if getattr(key_node, "value", None) == key and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return None


MAX_NODES = 5_000_000


def check_expanded_size(data, source: str) -> None:
    """Refuse documents whose aliases expand to a huge or endless structure (a 'billion laughs'
    document loads small but would take forever to validate), counting each node as expanded."""
    total = 0
    on_path: set[int] = set()
    sizes: dict[int, int] = {}

    def size(node) -> int:
        nonlocal total
        if not isinstance(node, (dict, list)):
            return 1
        key = id(node)
        if key in on_path:
            raise SlasimError("a YAML alias refers to itself (an endless structure)", source=source)
        if key in sizes:
            return sizes[key]
        on_path.add(key)
        children = node.values() if isinstance(node, dict) else node
        n = 1 + sum(size(child) for child in children)
        on_path.discard(key)
        sizes[key] = n
        if n > MAX_NODES:
            raise SlasimError(
                "the document expands to over {most:,} values (YAML aliases?)",
                source=source,
                most=MAX_NODES,
            )
        return n

    try:
        size(data)
    except RecursionError:
        raise SlasimError("the document is nested too deeply", source=source) from None


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside the target and rename: never a half-written file (an
    `OutputSet` of one)."""
    with OutputSet() as outputs:
        outputs.write(path, text)


def check_target(path: Path) -> None:
    """Refuse an output path that is anything but a regular file (or nothing yet): renaming over a
    device, FIFO or directory — `/dev/null` in CI as root — would replace it. One located error."""
    path = Path(path)
    try:
        if (path.is_symlink() or path.exists()) and not path.is_file():
            kind = "a directory" if path.is_dir() else "not a regular file"
            raise SlasimError(
                "{kind}: results are only written over regular files",
                source=shown(path),
                kind=Text(kind),
            )
        parent = path.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if parent.exists() and not parent.is_dir():
            raise SlasimError("{folder} is not a directory", source=shown(path), folder=str(parent))
        if parent.is_dir() and not os.access(parent, os.W_OK | os.X_OK):
            raise SlasimError(
                "cannot write in {folder} (permission denied)",
                source=shown(path),
                folder=str(parent),
            )
    except OSError as exc:  # a name too long, a loop of symlinks
        raise SlasimError(
            "cannot write here ({why})", source=shown(path), why=os_reason(exc)
        ) from None


def temp_beside(path: Path) -> Path:
    """A new empty private file `.NAME.XXXX.tmp` in the target's folder (created if missing), for
    writers that stream into it before `publish` renames it over the target (`check_target`
    first: only a regular file is ever replaced)."""
    check_target(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise SlasimError(
            "cannot write here ({why})", source=shown(path), why=os_reason(exc)
        ) from None
    os.close(fd)
    return Path(tmp)


class OutputSet:
    """Files that appear together or not at all: each is staged as a temporary file beside its
    target (`stage`, `write`); `commit` renames them all at once with ending signals held back,
    and a set left without committing removes its temporary files. `with OutputSet() as out:`
    commits when the block ends normally.

    `folders` are the command's result folders: the files staged in one of them are published
    as `command`'s set there, through the folder's manifest (`slasim.io.manifest`), so a process
    killed between two renames never leaves a mixed set that reads as whole, and the files of an
    older set the new one replaces are removed."""

    def __init__(self, command: str | None = None, folders=()) -> None:
        self._staged: list[tuple[Path, Path]] = []
        self.command = command
        self.folders = [Path(f) for f in folders if f is not None]

    def stage(self, path: Path) -> Path:
        """A new temporary file to write `path`'s content into (renamed over it on commit)."""
        tmp = temp_beside(Path(path))
        self._staged.append((tmp, Path(path)))
        return tmp

    def write(self, path: Path, text: str) -> None:
        """Stage `text` as the content of `path`."""
        tmp = self.stage(path)
        try:
            tmp.write_text(text, encoding="utf-8")
        except OSError as exc:  # a full disk
            raise SlasimError(
                "cannot write ({why})", source=shown(path), why=os_reason(exc)
            ) from None

    def commit(self) -> None:
        """Publish every staged file (see the class); ending signals wait until all are renamed,
        and a run interrupted earlier (its exception swallowed somewhere) publishes nothing."""
        check_interrupted()
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held())
        try:
            self._refuse_inputs()
            sets = self._sets()
            for folder, (keep, _, names) in sets.items():
                pending = dict.fromkeys(sorted(names))
                manifest.write(folder, [*keep, self._entry(pending, complete=False)])
            for tmp, path in self._staged:
                publish(tmp, path)
            for folder, (keep, stale, names) in sets.items():
                for name in stale:
                    (folder / name).unlink(missing_ok=True)
                files = {name: manifest.digest(folder / name) for name in sorted(names)}
                manifest.write(folder, [*keep, self._entry(files, complete=True)])
            self._staged = []
        except OSError as exc:
            raise SlasimError(
                "cannot publish the results ({why})", source=exc.filename, why=os_reason(exc)
            ) from None
        finally:
            self.discard()  # what could not be renamed
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def _refuse_inputs(self) -> None:
        """Refuse to publish over a file this command read (see `inputs_tracked`)."""
        for _, path in self._staged if _read else ():
            try:
                info = os.stat(path)
            except OSError:
                continue
            if (info.st_dev, info.st_ino) in _read:
                raise SlasimError(
                    "an input this command read: not overwritten (write elsewhere)",
                    source=shown(path),
                )

    def _entry(self, files: dict, complete: bool) -> dict:
        return {"command": self.command or "slasim", "complete": complete, "files": files}

    def _sets(self) -> dict:
        """Per result folder: (the sets that stay, the stale files to remove, the new names)."""
        out = {}
        for folder in self.folders:
            real = Path(os.path.realpath(folder))
            names = {p.name for _, p in self._staged if Path(os.path.realpath(p.parent)) == real}
            if names:
                old = manifest.read(folder) or []
                keep, stale = manifest.replaced(old, self._entry({}, True)["command"], names)
                out[folder] = (keep, stale, names)
        return out

    def discard(self) -> None:
        """Remove every staged temporary file; the targets stay as they were."""
        for tmp, _ in self._staged:
            tmp.unlink(missing_ok=True)
        self._staged = []

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


def publish(tmp: str | Path, path: Path) -> None:
    """Give a finished temporary file the usual permissions (mkstemp makes it private), rename it."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)
