"""`slasim check`: the shipped national check files pass; wrong expectations fail with a diff;
malformed files exit 2 naming file and field; JUnit XML is written."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKS = sorted((ROOT / "scenarios" / "checks").glob("*.yaml"))


def run(*args):
    return subprocess.run([sys.executable, "-m", "slasim", "check", *map(str, args)], capture_output=True, text=True)


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
        ("cases:\n  - name: x\n    accepted: 2025-02-30\n    limit: 20wd\n    expect: {}\n", "cases[0].accepted"),
        ("cases:\n  - name: x\n    accepted: 2025-02-03\n    limit: 20wq\n    expect: {}\n", "cases[0].limit.legal"),
        ("cases:\n  - name: x\n    accepted: 2025-02-03\n    limit: 20wd\n    expct: {}\n", "cases[0].expct"),
        ("cases:\n  - name: x\n    accepted: 2025-02-03\n    limit: 20wd\n    pauses: [{from: 2025-02-05, kind: nap}]\n"
         "    expect: {}\n", "cases[0].pauses[0].kind"),
        ("cards: nope\ncases:\n  - name: x\n    accepted: 2025-02-03\n    limit: 20wd\n    expect: {}\n", "cards"),
        ("calendar: mars\ncases:\n  - name: x\n    accepted: 2025-02-03\n    limit: 20wd\n    expect: {}\n", "calendar"),
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
    assert not report.exists()  # nothing half-written
