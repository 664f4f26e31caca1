"""Reading an XES event log (IEEE 1849) into a header and rows of text, safely and as a stream.

The standard library's expat parser is fed the file a chunk at a time (decompressed size capped
by `io.logfile`), and no tree is built. What XML attacks need is refused at once: a DOCTYPE
(entity declarations, billion laughs, external entities), external entity references, and
nesting deeper than any XES log has. Trace attributes become `case:`-prefixed columns, event
attributes columns by their key, as pm4py names them; values are kept as the file's text.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from xml.parsers import expat

from slasim.io.errors import SlasimError
from slasim.io.i18n import Text
from slasim.io.logfile import bytes_read, check_rows, open_log

ATTRIBUTES = {"string", "date", "int", "float", "boolean", "id"}
MAX_DEPTH = 32  # log > trace > event > attribute > nested attributes: real logs stay under 10
MAX_KEYS = 1_000  # distinct attribute keys (columns)
CHUNK = 1 << 20


class _Reader:
    """Expat handlers that collect one row per event (trace attributes repeated on each)."""

    def __init__(self, source: str):
        self.source = source
        self.stack: list[str] = []
        self.columns: dict[str, int] = {}
        self.rows: list[dict[str, str]] = []
        self.trace: dict[str, str] = {}
        self.events: list[dict[str, str]] = []
        self.event: dict[str, str] | None = None

    def fail(self, problem: Text) -> None:
        raise SlasimError("not a readable XES log ({problem})", source=self.source, problem=problem)

    def refuse_doctype(self, *_) -> None:
        self.fail(Text("a DOCTYPE declaration: refused, an XES log needs none"))

    def refuse_entity(self, *_) -> None:
        self.fail(Text("an entity declaration or external entity: refused"))

    def start(self, tag: str, attrs: dict) -> None:
        name = tag.rpartition(":")[2]
        parent = self.stack[-1] if self.stack else None
        if len(self.stack) >= MAX_DEPTH:
            self.fail(Text("elements nested over {depth} deep", depth=MAX_DEPTH))
        if parent is None and name != "log":
            self.fail(Text("the root element is not <log>"))
        self.stack.append(name)
        if name == "trace" and parent == "log":
            self.trace, self.events = {}, []
        elif name == "event" and parent == "trace":
            self.event = {}
        elif name in ATTRIBUTES and "key" in attrs:
            if parent == "trace":
                self._set(self.trace, "case:" + attrs["key"], attrs.get("value", ""))
            elif parent == "event" and self.event is not None:
                self._set(self.event, attrs["key"], attrs.get("value", ""))

    def _set(self, into: dict, key: str, value: str) -> None:
        if key not in self.columns:
            if len(self.columns) >= MAX_KEYS:
                self.fail(Text("over {count:,} distinct attribute keys", count=MAX_KEYS))
            self.columns[key] = len(self.columns)
        into[key] = value

    def end(self, tag: str) -> None:
        name = self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        if name == "event" and parent == "trace" and self.event is not None:
            self.events.append(self.event)
            self.event = None
        elif name == "trace" and parent == "log":
            self.rows.extend({**self.trace, **event} for event in self.events)
            self.trace, self.events = {}, []


def xes_rows(path: Path, max_mb: float) -> tuple[list[str], list[list[str]]]:
    """The log's columns and one row of texts per event ("" where an event lacks an attribute)."""
    source = str(path)
    reader = _Reader(source)
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = reader.refuse_doctype
    parser.EntityDeclHandler = reader.refuse_entity
    parser.ExternalEntityRefHandler = reader.refuse_entity
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.buffer_text = True
    try:
        with open_log(path, max_mb) as stream:
            while chunk := stream.read(CHUNK):
                parser.Parse(chunk, False)
                count = bytes_read(stream)
                events = len(reader.rows) + len(reader.events)  # the open trace's too
                check_rows(events, len(reader.columns), count, max_mb, source, True)
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        reader.fail(
            Text("line {line}: {problem}", line=exc.lineno, problem=expat.ErrorString(exc.code))
        )
    except (OSError, EOFError, zlib.error) as exc:  # a damaged gzip stream
        reader.fail(Text("cannot read it: {problem}", problem=exc.strerror or type(exc).__name__))
    header, rows = list(reader.columns), reader.rows
    for i, row in enumerate(rows):  # in place: each dict freed as its list replaces it
        rows[i] = [row.get(key, "") for key in header]
    return header, rows
