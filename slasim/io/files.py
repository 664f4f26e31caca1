"""Files in and out: reading YAML/JSON inputs safely, writing results atomically, shipped data.

Inputs: YAML through a safe loader that leaves dates as text (slasim parses them with located
errors), JSON through the standard parser; either is refused if its aliases expand to a huge
structure. Outputs: written to a temporary file beside the target and renamed, so a reader never
sees a half-written file; files that belong together (a result directory, an event log and its
XES) are staged first and renamed together (`OutputSet`), so a failed run leaves the old set.
Loading many small acyclic objects runs with the cyclic garbage collector paused (`gc_paused`):
each full collection would walk all of them.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import tempfile
from contextlib import contextmanager
from pathlib import Path

from slasim.io.errors import SlasimError
from slasim.io.interrupts import check_interrupted

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def shipped_dir(kind: str) -> Path:
    """Data shipped in the wheel (`slasim/_shipped_<kind>`), else the checkout's `<kind>/` folder."""
    packaged = PACKAGE_DIR / f"_shipped_{kind}"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / kind


def did_you_mean(name: str, known) -> str:
    """`" (did you mean 'x'?)"` for the known names closest to a mistyped one, else ""."""
    import difflib

    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


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
        raise ValueError(f"duplicate key {next(k for k in keys if keys.count(k) > 1)!r}")
    return out


MAX_INPUT_MB = 256  # scenario and check files; larger ones are refused, not read


def read_text_file(path: Path, max_mb: float = MAX_INPUT_MB) -> str:
    """A regular file's UTF-8 text; a FIFO or device (which could block or never end), a missing
    file, one over `max_mb`, or bytes that are not UTF-8 are one located error."""
    try:
        if not path.is_file():
            raise SlasimError(
                "not a regular file" if path.exists() else "file not found", source=str(path)
            )
        if path.stat().st_size > max_mb * 2**20:
            raise SlasimError(f"over {max_mb:g} MB: not read", source=str(path))
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SlasimError(f"cannot read file ({exc.strerror})", source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise SlasimError(f"not UTF-8 text (byte {exc.start})", source=str(path)) from None


def yaml_value(text: str, what: str):
    """A command-line value read as YAML (safely); a tag or syntax error is one located error."""
    import yaml

    try:
        return yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as exc:
        problem = getattr(exc, "problem", None) or str(exc).split(";")[0]
        raise SlasimError(f"not a plain YAML value ({problem}): {text!r}", field=what) from None


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
                f"invalid JSON: {exc.msg}", source=str(path), field=f"line {exc.lineno}"
            ) from None
        except ValueError as exc:  # a duplicate key
            raise SlasimError(f"invalid JSON: {exc}", source=str(path)) from None
        except RecursionError:
            raise SlasimError("the document is nested too deeply", source=str(path)) from None
    import yaml

    from slasim.io.yaml_loader import TextDatesLoader

    try:
        with gc_paused():
            data = yaml.load(text, Loader=TextDatesLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else None
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise SlasimError(f"invalid YAML: {problem}", source=str(path), field=where) from None
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise SlasimError(f"invalid value: {exc}".split(";")[0], source=str(path)) from None
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
                f"the document expands to over {MAX_NODES:,} values (YAML aliases?)", source=source
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
    if (path.is_symlink() or path.exists()) and not path.is_file():
        kind = "a directory" if path.is_dir() else "not a regular file"
        raise SlasimError(f"{kind}: results are only written over regular files", source=str(path))
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if parent.exists() and not parent.is_dir():
        raise SlasimError(f"{parent} is not a directory", source=str(path))
    if parent.is_dir() and not os.access(parent, os.W_OK | os.X_OK):
        raise SlasimError(f"cannot write in {parent} (permission denied)", source=str(path))


def temp_beside(path: Path) -> Path:
    """A new empty private file `.NAME.XXXX.tmp` in the target's folder (created if missing), for
    writers that stream into it before `publish` renames it over the target (`check_target`
    first: only a regular file is ever replaced)."""
    check_target(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise SlasimError(f"cannot write here ({exc.strerror})", source=str(path)) from None
    os.close(fd)
    return Path(tmp)


class OutputSet:
    """Files that appear together or not at all: each is staged as a temporary file beside its
    target (`stage`, `write`); `commit` renames them all at once with interrupts held back, and a
    set left without committing removes its temporary files. `with OutputSet() as out: ...`
    commits when the block ends normally."""

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []

    def stage(self, path: Path) -> Path:
        """A new temporary file to write `path`'s content into (renamed over it on commit)."""
        tmp = temp_beside(Path(path))
        self._staged.append((tmp, Path(path)))
        return tmp

    def write(self, path: Path, text: str) -> None:
        """Stage `text` as the content of `path`."""
        self.stage(path).write_text(text, encoding="utf-8")

    def commit(self) -> None:
        """Rename every staged file over its target; SIGINT/SIGTERM wait until all are renamed,
        and a run interrupted earlier (its exception swallowed somewhere) publishes nothing."""
        check_interrupted()
        held = {signal.SIGINT, signal.SIGTERM}
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
        try:
            for tmp, path in self._staged:
                publish(tmp, path)
            self._staged = []
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)

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
