"""`slasim check` as CI sees it: failures that say why (inputs, computed due, working days off,
the line, a command that reproduces it), provisional dates surfaced in every format and refused
with --strict, JUnit with unique names, GitHub annotations with a job summary, and SARIF."""

from __future__ import annotations

import json
import shlex
import xml.etree.ElementTree as ET

from .helpers import slasim

# Early March 2025 on cn has no holiday: accepted Mon 03-03, 1 WD is due Tue 03-04 (the acceptance
# day is not counted). The first case expects Wed 03-05: one working day later than computed.
# The second repeats the first's name. The third is accepted in 2027, past cn's published years
# (2026), and does not say so; the fourth says so (`provisional: true`) and is not warned about.
CHECKS = """\
calendar: cn
cases:
  - name: one day
    accepted: 2025-03-03
    limit: 1wd
    expect: {due: 2025-03-05}
  - name: one day
    accepted: 2025-03-03
    limit: 1wd
    expect: {due: 2025-03-04}
  - name: next year
    accepted: 2027-03-01
    limit: 1wd
    expect: {due: 2027-03-02}
  - name: next year, pinned
    accepted: 2027-03-01
    limit: 1wd
    expect: {due: 2027-03-02, provisional: true}
"""


def _file(tmp_path, text=CHECKS):
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_failure_says_why_and_how_to_reproduce(tmp_path):
    path = _file(tmp_path)
    code, out, err = slasim("check", path)
    assert code == 1
    assert f"FAIL one day ({path}:3)" in out
    assert "due (legal): expected 2025-03-05, got 2025-03-04 (1 working day early)" in out
    assert 'inputs: limit "1wd", accepted "2025-03-03"' in out
    repro = next(line for line in out.splitlines() if "explain: " in line).split("explain: ")[1]
    assert repro == "slasim deadline 2025-03-03T09:00 1wd -c cn --explain"
    code, again, _ = slasim(*shlex.split(repro)[1:])
    assert code == 0 and again.startswith("due 2025-03-04")  # the computed due, reproduced


def test_provisional_cases_are_warned_in_every_format_and_refused_with_strict(tmp_path):
    path = _file(tmp_path)
    junit = tmp_path / "junit.xml"
    code, out, err = slasim("check", path, "--junit-xml", junit)
    assert code == 1  # the first case fails; the provisional one passes with a warning
    assert "WARN next year" in out and "next year, pinned" not in out
    assert err.startswith("warning: 1 case(s) accepted or due past") and "'next year'" in err
    assert "1 provisional" in out.splitlines()[-1]
    report = json.loads(slasim("check", path, "--json").stdout)
    flags = {c["name"]: c["provisional"] for c in report["files"][0]["cases"]}
    assert flags == {"one day": False, "next year": True, "next year, pinned": False}
    assert report["provisional"] == 1
    cases = ET.parse(junit).getroot().findall("testsuite/testcase")
    outs = {c.get("name"): c.findtext("system-out") for c in cases}
    assert "published years" in outs["next year"] and outs["next year, pinned"] is None
    code, _, err = slasim("check", path, "--strict")
    assert code == 2 and err.count("\n") == 1
    assert f"{path}: cases[2]:" in err and "(--strict)" in err


def test_junit_names_are_unique_and_failures_carry_details_in_the_body(tmp_path):
    junit = tmp_path / "junit.xml"
    slasim("check", _file(tmp_path), "--junit-xml", junit)
    cases = ET.parse(junit).getroot().findall("testsuite/testcase")
    names = [c.get("name") for c in cases]
    assert names == ["one day", "one day (2)", "next year", "next year, pinned"]
    body = cases[0].find("failure").text
    assert "expected 2025-03-05, got 2025-03-04" in body and "explain: slasim deadline" in body
    assert cases[0].get("line") == "3"


def test_github_annotations_and_job_summary(tmp_path, monkeypatch):
    path = _file(tmp_path)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, _ = slasim("check", path, "--format", "github")
    assert code == 1
    errors = [line for line in out.splitlines() if line.startswith("::error ")]
    warnings = [line for line in out.splitlines() if line.startswith("::warning ")]
    assert len(errors) == 1 and len(warnings) == 1
    assert errors[0].startswith(f"::error file={path},line=3,title=slasim check%3A one day::")
    assert "%0A" in errors[0] and "\n" not in errors[0]  # one line, the details escaped
    assert warnings[0].startswith(f"::warning file={path},line=11,")
    table = summary.read_text(encoding="utf-8")
    assert f"| `{path}` | 4 | 3 | 1 | 1 |" in table


def test_sarif_locates_each_finding(tmp_path):
    path = _file(tmp_path)
    code, out, _ = slasim("check", path, "--format", "sarif")
    assert code == 1
    results = json.loads(out)["runs"][0]["results"]
    found = {
        (r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
        for r in results
    }
    assert found == {("deadline-mismatch", "error", 3), ("provisional-date", "warning", 11)}


def test_an_invalid_file_is_an_annotation_too(tmp_path):
    path = _file(tmp_path, "cases: [\n")
    code, out, err = slasim("check", path, "--format", "github")
    assert code == 2 and out.startswith(f"::error file={path},title=slasim check::")
    assert "invalid YAML" in out and err.startswith("error: ")


def test_a_single_due_on_a_two_limit_case_must_say_which(tmp_path):
    path = _file(
        tmp_path,
        "cases:\n  - name: both\n    accepted: 2025-03-03\n    limit: {promised: 1wd, legal: 2wd}\n"
        "    expect: {due: 2025-03-05}\n",
    )
    code, _, err = slasim("check", path)
    assert code == 2 and "cases[0]" in err and "say which due is meant" in err


def test_provisional_expectations_are_spelled_as_in_the_file(tmp_path):
    path = _file(
        tmp_path,
        "cases:\n  - name: p\n    accepted: 2025-03-03\n    limit: 1wd\n"
        "    expect: {provisional: true}\n",
    )
    _, out, _ = slasim("check", path)
    assert "provisional: expected true, got false" in out


EVIL = """\
calendar: cn
cases:
  - name: "one day ##[warning]x"
    article: "Art. 42\\n::error file=evil::injected \\x1b[2J <b>&\\x01"
    accepted: 2025-03-03
    limit: 1wd
    expect: {due: 2025-03-05}
"""


def test_an_article_cannot_inject_a_workflow_command_or_terminal_control(tmp_path, monkeypatch):
    """The issue's example: a newline in an article printed a second `::error` line, and the ESC
    sequence reached the terminal. Whether the article is refused or shown, every line of
    `--format github` output is one of slasim's own annotations or text the runner ignores."""
    path = _file(tmp_path, EVIL)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    junit = tmp_path / "junit.xml"
    code, out, err = slasim("check", path, "--format", "github", "--junit-xml", junit)
    assert code in (1, 2)
    lines = out.split("\n")
    commands = [line for line in lines if line.lstrip().startswith("::") or "##[" in line]
    assert len(commands) == 1 and commands[0].startswith(f"::error file={path},")
    assert "\x1b" not in out + err and "\x01" not in out + err and err.count("\n") <= 1
    ET.parse(junit)  # well-formed whichever report it is (the invalid file's, or the outcomes)
