"""`slasim check`: the shipped national check files pass; wrong expectations fail with a diff;
malformed files exit 2 naming file and field; JUnit XML is written."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from .helpers import ROOT, SHIPPED_CHECKS, slasim

CHECKS = SHIPPED_CHECKS


def run(*args):
    return slasim("check", *args)


def test_shipped_check_files_pass_and_write_junit(tmp_path):
    assert len(CHECKS) >= 2
    report = tmp_path / "out.xml"
    out = run(*CHECKS, "--junit-xml", report)
    assert out.returncode == 0, out.stdout + out.stderr
    suites = ET.parse(report).getroot()
    cases = suites.findall(".//testcase")
    assert len(cases) >= 20 and not suites.findall(".//failure")
    articles = {p.get("value") for p in suites.iter("property")}
    assert any("Art. 32" in a for a in articles) and any("Art. 45" in a for a in articles)


def test_wrong_expectation_fails_with_a_diff(tmp_path):
    text = (ROOT / "scenarios/checks/licence-national.yaml").read_text(encoding="utf-8")
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(text.replace("due: 2025-11-04 ", "due: 2025-11-05 "), encoding="utf-8")
    report = tmp_path / "out.xml"
    out = run(wrong, "--junit-xml", report)
    assert out.returncode == 1
    assert "FAIL expert review time is not counted" in out.stdout
    assert "expected 2025-11-05, got 2025-11-04" in out.stdout
    assert len(ET.parse(report).getroot().findall(".//failure")) == 1


@pytest.mark.parametrize(
    "body, where",
    [
        (
            "cases:\n  - name: x\n    accepted: 2025-02-30\n    limit: 20wd\n    expect: {}\n",
            "cases[0].accepted",
        ),
        (
            "cases:\n  - name: x\n    accepted: 2025-02-03\n    limit: 20wq\n    expect: {}\n",
            "cases[0].limit.legal",
        ),
        (
            "cases:\n  - name: x\n    accepted: 2025-02-03\n    limit: 20wd\n    expct: {}\n",
            "cases[0].expct",
        ),
        (
            "cases:\n  - name: x\n    accepted: 2025-02-03\n    limit: 20wd\n"
            "    pauses: [{from: 2025-02-05, kind: nap}]\n"
            "    expect: {}\n",
            "cases[0].pauses[0].kind",
        ),
        (
            "cards: nope\ncases:\n  - name: x\n    accepted: 2025-02-03\n    limit: 20wd\n    expect: {}\n",
            "cards",
        ),
        (
            "calendar: mars\ncases:\n  - name: x\n    accepted: 2025-02-03\n    limit: 20wd\n"
            "    expect: {}\n",
            "calendar",
        ),
        ("cases: []\n", "cases"),
        ("cases: [\n", "invalid YAML"),
    ],
)
def test_malformed_file_exits_2_with_file_and_field(tmp_path, body, where):
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    report = tmp_path / "out.xml"
    out = run(path, "--junit-xml", report)
    assert out.returncode == 2, out.stdout + out.stderr
    assert str(path) in out.stderr and where in out.stderr
    assert "Traceback" not in out.stderr and out.stderr.count("\n") == 1
    # CI dashboards show why nothing was checked: one test case in error, the same line
    suite = ET.parse(report).getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("errors"), suite.get("failures")) == ("1", "1", "0")
    error = suite.find("testcase/error")
    assert error.text == out.stderr.strip().removeprefix("error: ")


MIXED_CALENDARS = """
calendar: cn
cases:
  - {name: national one day, accepted: 2026-03-02, limit: 1wd, expect: {due: 2026-03-03}}
  - {name: city closed on 03-03, calendar: cn-example-city, accepted: 2026-03-02, limit: 1wd,
     expect: {due: 2026-03-04}}
  - {name: national paused, accepted: 2026-03-02, limit: 2wd,
     pauses: [{from: 2026-03-03, to: 2026-03-04}], expect: {due: 2026-03-05}}
  - {name: city closed then paused, calendar: cn-example-city, accepted: 2026-03-02, limit: 2wd,
     pauses: [{from: 2026-03-04, to: 2026-03-05}], expect: {due: 2026-03-06}}
"""


def test_cases_on_several_calendars_keep_their_own_rows(tmp_path):
    # By hand: cn-example-city is closed on Tue 2026-03-03 (a local closure), cn is not.
    from slasim.checks.engine import run_checks
    from slasim.checks.load import load_check_file

    path = tmp_path / "mixed.yaml"
    path.write_text(MIXED_CALENDARS, encoding="utf-8")
    outcomes = run_checks(load_check_file(path), str(path))
    assert [o.failures for o in outcomes] == [(), (), (), ()]
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        MIXED_CALENDARS.replace(
            "{from: 2026-03-04, to: 2026-03-05}", "{from: 2026-03-05, to: 2026-03-04}"
        ),
        encoding="utf-8",
    )
    out = run(bad)
    assert out.returncode == 2 and "cases[3].pauses[0]" in out.stderr


def test_a_json_check_file_is_read_like_yaml(tmp_path):
    # Large generated check files are faster to load as JSON; same model, same results.
    import json

    case = {
        "name": "20 WD over National Day",
        "accepted": "2025-09-26",
        "limit": "20wd",
        "expect": {"due": "2025-10-30"},
    }  # docs/DOMAIN.md §4 worked example
    good = tmp_path / "cases.json"
    good.write_text(json.dumps({"calendar": "cn", "cases": [case]}), encoding="utf-8")
    assert run(good).returncode == 0
    wrong = tmp_path / "wrong.json"
    wrong.write_text(
        json.dumps({"cases": [{**case, "expect": {"due": "2025-11-03"}}]}), encoding="utf-8"
    )
    out = run(wrong)
    assert out.returncode == 1 and "expected 2025-11-03, got 2025-10-30" in out.stdout
    broken = tmp_path / "broken.json"
    broken.write_text('{"cases": [', encoding="utf-8")
    out = run(broken)
    assert out.returncode == 2 and "broken.json" in out.stderr and "invalid JSON" in out.stderr


def test_a_case_with_many_pauses_does_not_pad_the_others(tmp_path):
    """3,000 cases, one with 5,000 pauses: the clocks hold about twice the file's pauses plus a
    row per case (a dense array would hold 3,000 × 5,000), and every due is still right."""
    import datetime as dt
    import json

    import numpy as np

    from slasim.calendar.workcalendar import load_calendar
    from slasim.checks.engine import CaseBatch, check_files
    from slasim.checks.load import load_check_file

    cases = [
        {"name": f"c{i}", "accepted": "2025-03-03T10:00", "limit": "20wd"} for i in range(3000)
    ]
    for case in cases:
        case["expect"] = {"due": "2025-03-31"}  # Mar 4 is day 1 (Art. 201), Mar 31 day 20
    # 5,000 one-minute pauses tiling 2025-03-04 10:00 .. 03-07 21:20: counting stops after one
    # office hour on Mar 4 (1/7 of its 420 minutes) and resumes Mon Mar 10. The other 19 6/7
    # days run Mar 10 .. Apr 3 (19 days) and 360 minutes of Apr 7 (Apr 4 is Qingming): 16:30.
    start = dt.datetime(2025, 3, 4, 10, 0)
    minute = dt.timedelta(minutes=1)
    cases[0]["pauses"] = [
        {"from": (start + k * minute).isoformat(), "to": (start + (k + 1) * minute).isoformat()}
        for k in range(5000)
    ]
    cases[0]["expect"] = {"due": "2025-04-07T16:30"}
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"calendar": "cn", "cases": cases}), encoding="utf-8")
    check = load_check_file(path)
    batch = CaseBatch(
        load_calendar("cn"), check.cases, check.columns, check.rules, str(path), np.arange(3000)
    )
    cells = sum(clock.pauses.shape[0] * clock.pauses.shape[1] for _, clock in batch.clocks["legal"])
    assert cells <= 2 * 5000 + 3000
    ((_, outcomes),) = check_files([path])
    assert all(o.passed for o in outcomes), outcomes[0].failures


@pytest.mark.parametrize(
    "at, what",
    [
        ("99999999999999999999999999%", r"cards\.rungs\[0\]\.at: a share of at most 10000%"),
        ("+99999999999wd", r"cards\.rungs\[0\]\.at: a time limit of at most 1,000,000"),
        ("+999999wd", r"cards: rung yellow at 999999wd from the legal limit fires past the table"),
    ],
)
def test_rungs_far_past_the_limit_are_one_located_line(tmp_path, at, what):
    from slasim.checks.engine import check_files
    from slasim.io.errors import SlasimError

    path = tmp_path / "r.yaml"
    path.write_text(
        "calendar: cn\ncards:\n  rungs:\n"
        f'    - {{level: yellow, reference: legal, at: "{at}"}}\n'
        "cases:\n  - name: a\n    accepted: 2025-03-03T10:00\n    limit: 20wd\n"
        '    expect: {due: 2025-03-31, card_at: {"2025-03-20T10:00": green}}\n',
        encoding="utf-8",
    )
    with pytest.raises(SlasimError, match=what) as err:
        check_files([path])
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)


def test_cases_sharing_an_extension_each_get_their_own_due(tmp_path):
    """The batched engine works out an extension list once per unit (files repeat them): each
    case still gets the due of its own start and limit, and the same list on a limit of another
    unit is refused at that case."""
    import datetime as dt
    import json

    from slasim.checks.engine import check_files
    from slasim.clock.deadline import compute_deadline
    from slasim.io.errors import SlasimError

    starts = ["2025-03-03", "2025-09-26", "2025-12-22"]
    cases = [
        {"name": f"c{i}", "accepted": day, "limit": limit, "extensions": [ext], "expect": {}}
        for i, (day, limit, ext) in enumerate(
            [(starts[0], "20wd", "10wd"), (starts[1], "20wd", "10wd"), (starts[2], "30d", "10d")]
        )
    ]
    for case in cases:  # wrong on purpose: a failing case shows what was computed
        case["expect"]["due"] = "2000-01-01"
    path = tmp_path / "ext.json"
    path.write_text(json.dumps({"calendar": "cn", "cases": cases}), encoding="utf-8")
    ((_, outcomes),) = check_files([path])
    got = [o.got["due"]["legal"] for o in outcomes]
    one_by_one = [
        compute_deadline(
            c["limit"], accepted=dt.date.fromisoformat(c["accepted"]), extensions=c["extensions"]
        ).due
        for c in cases
    ]
    assert got == one_by_one
    assert got[0] == "2025-04-15T17:30"  # 30 working days from Monday 3 March (Qingming 4 April)
    cases[2]["extensions"] = ["10wd"]  # working days on a limit of calendar days
    path.write_text(json.dumps({"calendar": "cn", "cases": cases}), encoding="utf-8")
    with pytest.raises(SlasimError, match="not in the limit's unit") as err:
        check_files([path])
    assert str(err.value).startswith(f"{path}: cases[2].extensions")


def test_a_check_run_imports_no_report_format_it_does_not_print(tmp_path):
    """`slasim check --json` on a flat file loads neither the XML nor the HTML modules (JUnit
    and the job summary import them when asked) nor numpy's masked arrays."""
    import json
    import os
    import subprocess
    import sys

    # 20 working days from 26 September 2025 over the National Day week: 30 October.
    case = {"accepted": "2025-09-26", "limit": "20wd", "expect": {"due": "2025-10-30"}}
    path = tmp_path / "two.json"
    path.write_text(
        json.dumps({"cases": [{"name": "a", **case}, {"name": "b", **case}]}), encoding="utf-8"
    )
    code = (
        "import sys\n"
        "from slasim.cli import main\n"
        "try:\n"
        f"    main(['check', {str(path)!r}, '--json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print([m for m in ('xml.etree', 'html', 'numpy.ma') if m in sys.modules], file=sys.stderr)\n"
    )
    env = {**os.environ, "SLASIM_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert json.loads(done.stdout)["passed"] is True, done.stdout + done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr
