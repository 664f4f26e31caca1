"""Opening a case log, plain or gzip-compressed, with its decompressed size counted and capped.

A 3 MB gzip file can expand to 3 GB; the cap on the file's size alone does not bound what is read.
The stream counts the bytes it hands out and stops with one located error past the cap.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

from slasim.io.errors import SlasimError


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
                f"the log holds over {self.max_mb:g} MB once decompressed: not read "
                "(--max-log-mb raises the cap; or fit a slice of the cases)",
                source=self.source,
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
    raised while reading. An unreadable file is one located error."""
    try:
        raw = gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise SlasimError(f"cannot read the log ({exc.strerror})", source=str(path)) from None
    return io.BufferedReader(_Capped(raw, int(max_mb * 2**20), str(path), max_mb))


def open_log_text(path: Path, max_mb: float) -> io.TextIOWrapper:
    """The log as UTF-8 text (for the CSV reader), capped as `open_log`."""
    return io.TextIOWrapper(open_log(path, max_mb), encoding="utf-8", newline="")
