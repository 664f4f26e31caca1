"""Opening a case log, plain or gzip-compressed, with its decompressed size counted and capped,
and the memory its rows take bounded while they are read (`fit`'s reader and `fidelity`'s both).

A 3 MB gzip file can expand to 3 GB; the cap on the file's size alone does not bound what is read.
The stream counts the bytes it hands out and stops with one located error past the cap. Rows are
held as Python texts, several times the bytes they came from (a 22-byte row of three cells takes
about 260 bytes): `check_rows` refuses a log whose rows would pass `MEMORY_FACTOR` times the cap.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

from slasim.io.errors import SlasimError

MAX_LOG_MB = 512  # a log is read whole into memory: larger files are refused, not half-read
MEMORY_FACTOR = 2.5  # rows in memory: at most 2.5 x --max-log-mb (1.25 GB at the default 512)
ROW_BYTES = 64 + 8  # a list per row, and its slot in the list of rows
CELL_BYTES = 49 + 8  # a short text's header, and its pointer
DICT_ROW_BYTES, DICT_CELL_BYTES = 104 + 8, 49 + 32  # a row held as a dict (XES): its entries too


class _Capped(io.RawIOBase):
    """A binary stream that refuses to hand out more than `limit` bytes."""

    def __init__(self, raw, limit: int, source: str, max_mb: float):
        self.raw, self.limit, self.source, self.max_mb, self.count = raw, limit, source, max_mb, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        self.count += n or 0
        if self.count > self.limit:
            raise SlasimError(
                "the log holds over {most:g} MB once decompressed: not read "
                "(--max-log-mb raises the cap; or fit a slice of the cases)",
                source=self.source,
                most=self.max_mb,
            )
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def is_gzip(path: Path) -> bool:
    """Whether the log is gzip-compressed, by its name (`.gz`)."""
    return Path(path).name.lower().endswith(".gz")


def open_log(path: Path, max_mb: float) -> io.BufferedReader:
    """The log's bytes (decompressed for `.gz`), at most `max_mb` MB of them; more is an error
    raised while reading. A missing or unreadable file, one that is not a regular file (a FIFO, a
    device) or one over `max_mb` on disk is one located error."""
    path = Path(path)
    if not path.is_file():
        raise SlasimError("log file not found (or not a regular file)", source=str(path))
    size_mb = path.stat().st_size / 2**20
    if size_mb > max_mb:
        raise SlasimError(
            "the log is {size:,.0f} MB, over the {most:g} MB read into memory "
            "(--max-log-mb raises it; or fit a slice of the cases)",
            source=str(path),
            size=size_mb,
            most=max_mb,
        )
    try:
        raw = gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise SlasimError(
            "cannot read the log ({why})", source=str(path), why=exc.strerror
        ) from None
    return io.BufferedReader(_Capped(raw, int(max_mb * 2**20), str(path), max_mb))


def bytes_read(stream) -> int:
    """Bytes handed out so far by a stream from `open_log` (or its text wrapper)."""
    stream = getattr(stream, "buffer", stream)
    return stream.raw.count


def check_rows(
    rows: int, width: int, text_bytes: int, max_mb: float, source: str, as_dicts: bool = False
) -> None:
    """Refuse a log whose rows read so far (`rows` of `width` cells, from `text_bytes` bytes,
    held as lists or as dicts) take, by estimate, over `MEMORY_FACTOR` x `max_mb` MB."""
    row, cell = (DICT_ROW_BYTES, DICT_CELL_BYTES) if as_dicts else (ROW_BYTES, CELL_BYTES)
    estimate = text_bytes + rows * (row + width * cell)
    if estimate > MEMORY_FACTOR * max_mb * 2**20:
        raise SlasimError(
            "the log's events take over {total:g} MB in memory ({factor} x the {most:g} MB cap; "
            "{rows:,} events read): not read (--max-log-mb raises the cap; or fit a slice of the "
            "cases)",
            source=source,
            total=MEMORY_FACTOR * max_mb,
            factor=MEMORY_FACTOR,
            most=max_mb,
            rows=rows,
        )


def open_log_text(path: Path, max_mb: float) -> io.TextIOWrapper:
    """The log as UTF-8 text (for the CSV reader), capped as `open_log`."""
    return io.TextIOWrapper(open_log(path, max_mb), encoding="utf-8", newline="")
