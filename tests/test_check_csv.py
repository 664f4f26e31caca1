"""The columnar CSV form of check files (docs/guide-checks.md): cases checked by hand-worked
dues, the same outcomes as the YAML form of the same cases, and malformed files refused in one
line naming the file and the line, or the case and field."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .helpers import slasim

# By hand, on `cn`: accepted Fri 2025-09-26 (counting from the next working day), National Day
# closed 10-01..10-08, make-up working days Sun 09-28 and Sat 10-11: the 20th working day is
# Thu 10-30. A pause over Mon 10-13..Fri 10-17 (5 working days, 10-13 00:00 to 10-18 00:00) moves
# it 5 working days on: Fri 10-31, Mon 11-03 .. Thu 11-06.
CSV = """name,accepted,limit,promised,pauses,extensions,due,due_promised,card_at
over National Day,2025-09-26,20wd,,,,2025-10-30,,
paused a week,2025-09-26,20wd,,2025-10-13/2025-10-18,,2025-11-06,,
"both limits, quoted name",2025-09-26,20wd,5wd,,,2025-10-30,2025-10-10,2025-09-26T10:00=green
"""
YAML = """calendar: cn
cases:
  - {name: over National Day, accepted: 2025-09-26, limit: 20wd, expect: {due: 2025-10-30}}
  - name: paused a week
    accepted: 2025-09-26
    limit: 20wd
    pauses: [{from: 2025-10-13, to: 2025-10-18}]
    expect: {due: 2025-11-06}
  - name: both limits, quoted name
    accepted: 2025-09-26
    limit: {promised: 5wd, legal: 20wd}
    expect: {due: {legal: 2025-10-30, promised: 2025-10-10}, card_at: {2025-09-26T10:00: green}}
"""


def test_csv_cases_pass_with_hand_worked_dues_as_their_yaml_form_does(tmp_path):
    csv_path, yaml_path = tmp_path / "cases.csv", tmp_path / "cases.yaml"
    csv_path.write_text(CSV, encoding="utf-8")
    yaml_path.write_text(YAML, encoding="utf-8")
    out = slasim("check", csv_path, "--format", "json")
    assert out.returncode == 0, out.stdout + out.stderr
    same = slasim("check", yaml_path, "--format", "json")
    assert out.stdout.replace("cases.csv", "cases.yaml") == same.stdout


def test_a_wrong_due_in_csv_fails_with_its_working_days_apart(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text(CSV.replace("2025-11-06", "2025-11-05"), encoding="utf-8")
    out = slasim("check", path)
    assert out.returncode == 1
    assert "FAIL paused a week" in out.stdout
    assert "expected 2025-11-05, got 2025-11-06 (1 working day late)" in out.stdout


def test_an_open_pause_and_a_kind_are_read_from_the_cell(tmp_path):
    # `FROM/` is a pause still open; `/KIND` names its kind (special_procedure when absent).
    path = tmp_path / "cases.csv"
    path.write_text(
        "name,accepted,limit,pauses,due\n"
        "open,2025-09-26,20wd,2025-10-13/,\n"
        "suspended,2025-09-26,20wd,2025-10-13/2025-10-18/suspension;2025-10-20/2025-10-21,"
        "2025-11-07\n",
        encoding="utf-8",
    )
    out = slasim("check", path, "--format", "json")
    assert out.returncode == 0, out.stdout + out.stderr
    from slasim.checks.load import load_check_file

    check = load_check_file(path)
    assert [p.kind for p in check.cases[1].pauses] == ["suspension", "special_procedure"]
    assert check.cases[0].pauses[0].end is None


@pytest.mark.parametrize(
    "body, where",
    [
        ("name,accepted,limit,dew\nx,2025-02-03,20wd,\n", "line 1: unknown column 'dew'"),
        ("name,accepted\nx,2025-02-03\n", "line 1: the column 'limit' is missing"),
        ("name,accepted,limit\nx,2025-02-03,20wd\ny,2025-02-03\n", "line 3: 2 cells"),
        ("name,accepted,limit,pauses\nx,2025-02-03,20wd,2025-02-05\n", "cases[0].pauses:"),
        ("name,accepted,limit\nx,2025-02-03,20wd\ny,2025-02-30,20wd\n", "cases[1].accepted:"),
        ("name,accepted,limit\nx,2025-02-03,20wd\ny,2025-02-03,20wq\n", "cases[1].limit.legal:"),
        ("name,accepted,limit,card_at\nx,2025-02-03,20wd,2025-02-04\n", "cases[0].card_at:"),
        (
            "name,accepted,limit,card_at\nx,2025-02-03,20wd,\ny,2025-02-03,20wd,2025-02-04=pink\n",
            "cases[1].expect.card_at: unknown card level 'pink'",
        ),
        ("", "empty CSV"),
    ],
)
def test_a_malformed_csv_exits_2_in_one_line_with_file_and_place(tmp_path, body, where):
    path = tmp_path / "bad.csv"
    path.write_text(body, encoding="utf-8")
    out = slasim("check", path)
    assert out.returncode == 2, out.stdout + out.stderr
    assert f"{path}: {where}" in out.stderr
    assert "Traceback" not in out.stderr and out.stderr.count("\n") == 1


# --- The bulk reader against the `csv` module (what a CSV file means is what `csv` reads) ---

PLAIN = "a1-:T ,;=/\n\x00\t\x85\u2028"  # \x85 and \u2028 end no row for the `csv` module
CELLS = st.text(alphabet=PLAIN, max_size=40) | st.text(alphabet=PLAIN + '\r"', max_size=40)


def read_both(text: str, monkeypatch) -> tuple:
    """What `_table` gives for the text (columns and count, or the error's line) by its bulk
    split and by the `csv` module's rows (its route for quoted cells)."""
    from slasim.checks import csv_cases
    from slasim.io.errors import SlasimError

    got = []
    for lines in (csv_cases._lines, lambda text: None):
        monkeypatch.setattr(csv_cases, "_lines", lines)
        try:
            cells, n = csv_cases._table(text, "f.csv")
            got.append(({name: list(column) for name, column in cells.items()}, n))
        except SlasimError as exc:
            got.append(str(exc))
    monkeypatch.undo()
    return tuple(got)


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(["name,accepted,limit", "limit, name ,accepted,due", "name,accepted", ""]),
    st.lists(CELLS, max_size=6),
    st.sampled_from(["\n", "\r\n", "\r", ""]),
    st.sampled_from(["", "\n", "\n\n", "\r\n\r\n"]),
)
def test_the_bulk_csv_split_reads_what_the_csv_module_reads(header, lines, end, tail):
    with pytest.MonkeyPatch.context() as monkeypatch:
        bulk, module = read_both(end.join([header, *lines]) + tail, monkeypatch)
    assert bulk == module


def test_the_bulk_csv_split_takes_crlf_and_mixed_line_ends_and_blank_lines(monkeypatch):
    # Worked by hand: three rows of three cells, however the lines end; a blank line inside is a
    # row of no cell (line 3), blank lines at the end are dropped.
    for end in ("\n", "\r\n"):
        text = end.join(["name,accepted,limit", "a,2025-01-06,5wd", "b, 2025-01-07 ,"]) + end * 3
        bulk, module = read_both(text, monkeypatch)
        assert (
            bulk
            == module
            == (
                {
                    "name": ["a", "b"],
                    "accepted": ["2025-01-06", " 2025-01-07 "],
                    "limit": ["5wd", ""],
                },
                2,
            )
        )
    mixed = "name,accepted,limit\r\na,2025-01-06,5wd\nb,2025-01-07,5wd\r\n"
    assert read_both(mixed, monkeypatch)[0][1] == 2
    blank = "name,accepted,limit\na,2025-01-06,5wd\n\nb,2025-01-07,5wd\n"
    assert read_both(blank, monkeypatch) == ("f.csv: line 3: 0 cells, the header has 3",) * 2


def test_the_first_malformed_pause_or_card_in_file_order_is_the_one_named(tmp_path):
    # Pauses read over the whole column: the first malformed one (case 2's second) is named,
    # not case 3's, whatever the forms around it.
    body = (
        "name,accepted,limit,pauses,card_at\n"
        "a,2025-02-03,20wd,2025-02-05/2025-02-06,2025-02-04=green\n"
        "b,2025-02-03,20wd,2025-02-05/2025-02-06/suspension;2025-02-10/,\n"
        "c,2025-02-03,20wd,2025-02-05/2025-02-06;2025-02-07,2025-02-04\n"
        "d,2025-02-03,20wd,/2025-02-06,\n"
    )
    path = tmp_path / "bad.csv"
    path.write_text(body, encoding="utf-8")
    out = slasim("check", path)
    assert out.returncode == 2
    assert out.stderr == (
        f"error: {path}: cases[2].pauses: a pause is FROM/TO or FROM/TO/KIND (TO empty: open): "
        "'2025-02-07'\n"
    )
    path.write_text("\n".join(body.split("\n")[:3]) + "\nc,2025-02-03,20wd,,2025-02-04\n", "utf-8")
    out = slasim("check", path)  # the pauses now read, the card cell of case 2 is named
    assert out.returncode == 2
    assert (
        out.stderr
        == f"error: {path}: cases[2].card_at: a card check is INSTANT=level: '2025-02-04'\n"
    )


def test_a_card_cell_with_an_instant_twice_keeps_its_last_level(tmp_path):
    # By hand on `cn`: accepted Mon 2025-02-03, 20wd; on 2025-02-04 the case is green, so the
    # cell `…=red;…=green` (the same instant twice) checks green, and `…=green;…=red` fails.
    path = tmp_path / "cards.csv"
    path.write_text(
        "name,accepted,limit,card_at\n"
        "kept,2025-02-03,20wd,2025-02-04T10:00=red;2025-02-04T10:00=green\n"
        "other,2025-02-03,20wd,2025-02-04T10:00=green;2025-02-04T10:00=red\n",
        encoding="utf-8",
    )
    out = slasim("check", path, "--format", "json")
    assert out.returncode == 1
    cases = json.loads(out.stdout)["files"][0]["cases"]
    assert [c["passed"] for c in cases] == [True, False]
    assert cases[1]["failures"] == ["card at 2025-02-04T10:00: expected red, got green"]
