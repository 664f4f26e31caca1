"""`fidelity`'s log reader (`slasim.evaluation.frame`) is bounded as `fit`'s is: decompressed
bytes capped by `--max-log-mb` (a gzip bomb stops at the cap), the memory its rows take checked
while they are read, non-regular files refused, and a file that is not a log never quoted."""

from __future__ import annotations

import gzip
import os

import pytest

from slasim.evaluation.frame import file_line, read_frame
from slasim.fit.log import read_log
from slasim.io.errors import SlasimError
from slasim.io.logfile import MEMORY_FACTOR, open_log

from .helpers import ROOT, slasim

HEADER = b"case_id,activity,start_time,end_time\n"
ROW = b"1,intake,2024-01-08T10:00,2024-01-08T11:00\n"


def bomb(path, mb: float):
    """A gzip log whose header and rows decompress to `mb` MB (it compresses ~1000:1)."""
    with gzip.open(path, "wb") as f:
        f.write(HEADER)
        f.write(ROW * int(mb * 2**20 / len(ROW)))
    return path


def test_a_gzip_bomb_stops_at_the_decompressed_cap(tmp_path):
    path = bomb(tmp_path / "log.csv.gz", 3)
    assert path.stat().st_size < 2**20 / 10  # the file itself is far below the 1 MB cap
    with pytest.raises(SlasimError, match="over 1 MB once decompressed"):
        read_frame(path, max_mb=1)
    with pytest.raises(SlasimError, match="over 1 MB once decompressed"):
        file_line(path, 10**9, max_mb=1)  # the line finder reads through the same cap


def test_a_log_within_the_cap_reads_whole(tmp_path):
    """The same log under a cap above its size and its rows' memory (12,192 rows of 4 cells:
    0.5 MB + 12,192 x 300 bytes = 4.2 MB, within 2.5 x 2 MB): every row, each a line of the file."""
    path = bomb(tmp_path / "log.csv.gz", 0.5)
    frame = read_frame(path, max_mb=2)
    assert len(frame.events) == 2**19 // len(ROW) == 12_192
    assert file_line(path, 3, max_mb=2) == 5  # header on line 1, row 0 on line 2


def test_rows_over_the_memory_bound_are_refused(tmp_path):
    """Short rows take more memory than bytes: 0.9 MB of 8-byte rows (about 118,000 rows of 4
    cells) are estimated at 118,000 x (72 + 4 x 57) bytes = 35 MB, over 2.5 x the 1 MB cap."""
    path = tmp_path / "log.csv"
    path.write_bytes(b"a,b,c,d\n" + b"1,x,y,z\n" * int(0.9 * 2**20 / 8))
    with pytest.raises(SlasimError, match=f"over {MEMORY_FACTOR:g} MB in memory"):
        read_frame(path, max_mb=1)


def test_a_device_behind_a_log_name_is_refused_unread(tmp_path):
    path = tmp_path / "log.csv"
    os.symlink("/dev/zero", path)
    for read in (read_frame, lambda p: open_log(p, 1)):
        with pytest.raises(SlasimError, match="not a regular file"):
            read(path)


def test_a_file_that_is_no_log_is_not_quoted(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("password,hunter2\nsecret,value\n", encoding="utf-8")
    with pytest.raises(SlasimError) as err:
        read_frame(path)
    assert "not a case log" in str(err.value)
    assert "password" not in str(err.value) and "hunter2" not in str(err.value)


def test_a_logs_columns_are_named_capped(tmp_path):
    """A log of three columns or more may be told its columns, each cut to a few dozen
    characters (a 300-character header cell is not echoed whole)."""
    path = tmp_path / "log.csv"
    long = "x" * 300
    path.write_text(f"case_id,{long},end_time\n1,a,2024-01-08T10:00\n", encoding="utf-8")
    with pytest.raises(SlasimError, match="no activity column found") as err:
        read_frame(path)
    assert "'case_id'" in str(err.value) and "x" * 100 not in str(err.value)


@pytest.mark.parametrize("reader", ["frame", "fit"])
def test_a_bad_timestamp_is_quoted_capped_and_escaped(tmp_path, reader):
    path = tmp_path / "log.csv"
    stamp = "2024-01-08\x1b[31m" + "9" * 300
    path.write_text(
        "case_id,activity,start_time,end_time\n"
        f"1,intake,2024-01-08T10:00,2024-01-08T11:00\n2,intake,2024-01-08T10:00,{stamp}\n",
        encoding="utf-8",
    )
    with pytest.raises(SlasimError, match="not a(n ISO)? timestamp") as err:
        if reader == "frame":
            read_frame(path)
        else:
            from slasim.calendar.workcalendar import load_calendar

            read_log(path, load_calendar("weekdays"))
    message = str(err.value)
    assert "\x1b" not in message and "\\x1b" in message and "9" * 60 not in message


def test_fidelity_takes_max_log_mb(tmp_path):
    """From the command line: the bomb is one located line, exit 2, nothing simulated."""
    path = bomb(tmp_path / "log.csv.gz", 3)
    scenario = ROOT / "scenarios" / "district-centre.yaml"
    code, stdout, err = slasim("fidelity", scenario, path, "--max-log-mb", "1", "--reps", "2", "-q")
    assert code == 2 and stdout == ""
    assert len(err.strip().splitlines()) == 1 and "log.csv.gz" in err
    assert "over 1 MB once decompressed" in err
