"""Formats for `slasim check` outcomes: readable text, JSON, JUnit XML, GitHub annotations with a
job summary, and SARIF — each naming the file and line of every failing or provisional case, its
inputs, what was computed, and the `slasim deadline … --explain` command that reproduces it.

An invalid file (exit 2) has a form too: `invalid_junit` and `invalid_annotation`, so a CI
dashboard shows why nothing was checked.

Every text a person reads is in the chosen language (`slasim.io.i18n`): failures are `Text`,
shown with `localized`; the rest is translated here, at render time. JSON stays English, and the
structure of JUnit, annotations and SARIF (element and test names, rule ids, locations) is the
same in every language.
"""

from __future__ import annotations

import json
import re
from itertools import compress
from operator import attrgetter, or_
from pathlib import Path
from typing import TYPE_CHECKING

from slasim.checks.engine import Outcome, word
from slasim.clock.explain import listed
from slasim.io.errors import one_line, terminal_text
from slasim.io.files import item_lines
from slasim.io.i18n import Text, _, localized

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

Results = list[tuple[str, list[Outcome]]]
TOOL = "slasim check"


def _shown(outcomes: list[Outcome]) -> tuple[int, list[Outcome]]:
    """(how many cases failed, the cases a report shows: failing or provisional, in order), each
    outcome's fields read once, by `attrgetter` (no `passed` call per case)."""
    failing = list(map(bool, map(attrgetter("failures"), outcomes)))
    shown = compress(outcomes, map(or_, failing, map(attrgetter("provisional"), outcomes)))
    return sum(failing), list(shown)


def _lines(source: str, shown: list[Outcome]) -> list[int] | None:
    """Each case's line in its file, looked up only when some case is to be shown."""
    if not shown:
        return None
    return item_lines(Path(source), "cases")


def _line(lines: list[int] | None, o: Outcome) -> int | None:
    return lines[o.index] if lines and o.index < len(lines) else None


def details(o: Outcome) -> list[str]:
    """A shown case's inputs, computed results and reproducing command, as lines."""
    got = o.got
    if not got:
        return []
    # `limit "20wd", accepted "…"`: fields and values as written, listed as the language lists
    parts = [f"{k} {json.dumps(v, ensure_ascii=False)}" for k, v in got["inputs"].items()]
    inputs = listed(parts) if parts else ""
    due = got["due"]
    lines = [
        Text("inputs: {inputs}", inputs=inputs),
        Text(
            "computed: accepted {accepted}, due promised {promised}, legal {legal}",
            accepted=word(got["accepted"] or "pending"),  # `pending`, `never`: translated too
            promised=word(due["promised"]),
            legal=word(due["legal"]),
        ),
    ]
    if got.get("explain"):
        lines.append(Text("explain: {command}", command=got["explain"]))
    return [line.localized() for line in lines]


def provisional_note(o: Outcome) -> str:
    """Why a case is provisional, in one line."""
    return Text(
        "provisional: accepted {accepted}, legal due {due}: past the calendar's published years "
        "(holidays not yet announced); add `expect: {{provisional: true}}` to pin it, or --strict "
        "to refuse it",
        accepted=word(o.got.get("accepted") or "pending"),
        due=word(o.got["due"]["legal"]),
    ).localized()


def provisional_count(results: Results) -> int:
    """Cases past the published years that do not declare it."""
    return sum(o.provisional for _, outcomes in results for o in outcomes)


def text_report(results: Results) -> list[str]:
    """Lines for the terminal: failing cases with their differences and details, provisional
    cases with a warning, then a count."""
    lines = []
    total = failed_all = 0
    for source, outcomes in results:
        failed, shown = _shown(outcomes)
        rows = _lines(source, shown)
        total, failed_all = total + len(outcomes), failed_all + failed
        lines.append(
            _("{file}: {passed} passed, {failed} failed").format(
                file=source, passed=len(outcomes) - failed, failed=failed
            )
        )
        for o in shown:
            line = _line(rows, o)
            where = f"{source}:{line}" if line else f"cases[{o.index}]"
            article = f" [{o.article}]" if o.article else ""
            head = (
                _("FAIL {name} ({where}){article}")
                if not o.passed
                else _("WARN {name} ({where}){article}")
            )
            lines.append("  " + head.format(name=o.name, where=where, article=article))
            lines.extend(f"    - {localized(f)}" for f in o.failures)
            if o.provisional:
                lines.append(f"    - {provisional_note(o)}")
            lines.extend(f"      {d}" for d in details(o))
    count = provisional_count(results)
    counts = {"passed": total - failed_all, "failed": failed_all, "provisional": count}
    lines.append(
        _(
            "{passed} passed, {failed} failed, {provisional} provisional (past the published years)"
        ).format(**counts)
        if count
        else _("{passed} passed, {failed} failed").format(**counts)
    )
    return [terminal_text(one_line(line)) for line in lines]  # names and articles from the file


def json_report(results: Results) -> dict:
    """The outcomes as one JSON document: per file, per case, passed, differences, details."""
    files = []
    passed = True
    for source, outcomes in results:
        failed, shown = _shown(outcomes)
        rows = _lines(source, shown)
        passed = passed and not failed
        cases = []
        for o in outcomes:
            case = {"name": o.name, "article": o.article, "passed": o.passed}
            case["failures"] = list(o.failures)
            case["provisional"] = o.provisional
            if o.got:
                case["line"] = _line(rows, o)
                case.update(o.got)
            cases.append(case)
        files.append({"file": source, "cases": cases})
    return {
        "passed": passed,
        "provisional": provisional_count(results),
        "files": files,
    }


def _unique(names: list[str]) -> list[str]:
    """Test names unique within a suite (GitLab merges repeats): `name (2)` for a repeat."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def junit_xml(results: Results) -> str:
    """The outcomes as JUnit XML: one suite per file, one uniquely named test case per case, the
    failure's details in the element body, provisional warnings in `<system-out>`."""
    import xml.etree.ElementTree as ET  # only for JUnit: not imported by every check run

    suites = ET.Element("testsuites")
    for source, outcomes in results:
        failed, shown = _shown(outcomes)
        rows = _lines(source, shown)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=source,
            tests=str(len(outcomes)),
            failures=str(failed),
            errors="0",
        )
        for o, name in zip(outcomes, _unique([o.name for o in outcomes])):
            attributes = {"classname": Path(source).stem, "name": name, "file": source}
            line = _line(rows, o)
            if line:
                attributes["line"] = str(line)
            case = ET.SubElement(suite, "testcase", attributes)
            if o.article:
                props = ET.SubElement(case, "properties")
                ET.SubElement(props, "property", name="article", value=o.article)
            if not o.passed:
                failures = [localized(f) for f in o.failures]
                failure = ET.SubElement(case, "failure", message=failures[0], type="deadline")
                failure.text = "\n".join([*failures, *details(o)])
            if o.provisional:
                ET.SubElement(case, "system-out").text = provisional_note(o)
    return _xml(suites)


def invalid_junit(source: str, message: str) -> str:
    """JUnit for a check file that could not be read: one test case in error (still exit 2)."""
    import xml.etree.ElementTree as ET

    suites = ET.Element("testsuites")
    suite = ET.SubElement(suites, "testsuite", name=source, tests="1", failures="0", errors="1")
    case = ET.SubElement(
        suite, "testcase", classname=Path(source).stem, name="the check file loads", file=source
    )
    ET.SubElement(case, "error", message=message, type="invalid").text = message
    return _xml(suites)


SURROGATE = re.compile("[\ud800-\udfff]")


def _escaped(match: re.Match) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def _xml(root: ET.Element) -> str:
    """The document, every text and attribute made fit for XML 1.0 first (ElementTree escapes
    `<`, `&` and quotes; it does not refuse or replace control characters)."""
    import xml.etree.ElementTree as ET

    from slasim.io.xmltext import xml_text

    for element in root.iter():
        element.text = xml_text(element.text) if element.text else element.text
        for key, value in element.attrib.items():
            element.attrib[key] = xml_text(value)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _escape(text: str, property_value: bool = False) -> str:
    """GitHub workflow-command escaping, as the runner unescapes it (actions/runner
    `ActionCommand`, actions/toolkit `escapeData`/`escapeProperty`): `%`, CR and LF in the data;
    `:` and `,` too in a property value. One command stays one line whatever the text holds."""
    text = SURROGATE.sub(_escaped, text)  # no encoding can print a lone surrogate
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def github_annotations(results: Results) -> list[str]:
    """`::error file=…,line=…::` for each failing case and `::warning` for each provisional one,
    as GitHub Actions shows them on the pull request's lines."""
    out = []
    for source, outcomes in results:
        rows = _lines(source, shown := _shown(outcomes)[1])
        for o in shown:
            where = f"file={_escape(source, True)}"
            line = _line(rows, o)
            if line:
                where += f",line={line}"
            title = _escape(f"{TOOL}: {o.name}", True)
            if not o.passed:
                body = "\n".join([*map(localized, o.failures), *details(o)])
                out.append(f"::error {where},title={title}::{_escape(body)}")
            if o.provisional:
                out.append(f"::warning {where},title={title}::{_escape(provisional_note(o))}")
    return out


def invalid_annotation(source: str, message: str) -> str:
    """The annotation of a check file that could not be read."""
    return f"::error file={_escape(source, True)},title={TOOL}::{_escape(message)}"


def job_summary(results: Results) -> str:
    """A Markdown table for the job summary page: per file, passed / failed / provisional, then
    the failing cases."""
    lines = [
        _("### Deadline checks"),
        "",
        _("| file | cases | passed | failed | provisional |"),
        "|---|---:|---:|---:|---:|",
    ]
    failing = []
    for source, outcomes in results:
        failed, shown = _shown(outcomes)
        provisional = sum(o.provisional for o in shown)
        lines.append(
            f"| {_md_file(source)} | {len(outcomes)} | {len(outcomes) - failed} | {failed} "
            f"| {provisional} |"
        )
        failing += [(source, o) for o in shown if o.failures]
    if failing:
        lines += ["", _("| failing case | what differs |"), "|---|---|"]
        for source, o in failing:
            what = _md(_("; ").join(map(localized, o.failures)))
            lines.append(f"| {_md_file(source)}: {_md(o.name.replace('|', '/'))} | {what} |")
    return "\n".join(lines) + "\n"


MARKDOWN = re.compile(r"([\\`*_\[\]|#!~])")


def _md(text: str) -> str:
    """Text for a Markdown table cell of the job summary: on one line, HTML escaped (the summary
    renders HTML), and Markdown's punctuation backslashed (no link, image or column from a name)."""
    import html

    return MARKDOWN.sub(r"\\\1", html.escape(one_line(text), quote=False))


def _md_file(source: str) -> str:
    """A file's name in the summary: as code when it can be, else as escaped text."""
    plain = source.isprintable() and not any(c in source for c in "`|<>&")
    return f"`{source}`" if plain else _md(source)


def sarif(results: Results) -> str:
    """SARIF 2.1.0 for code-scanning dashboards: one result per failing (error) or provisional
    (warning) case, located at the case's line."""
    findings = []
    for source, outcomes in results:
        rows = _lines(source, shown := _shown(outcomes)[1])
        for o in shown:
            for level, rule, text in (
                (
                    "error",
                    "deadline-mismatch",
                    "\n".join([*map(localized, o.failures), *details(o)]),
                ),
                ("warning", "provisional-date", provisional_note(o) if o.provisional else ""),
            ):
                if (level == "error" and o.passed) or not text:
                    continue
                region = {"startLine": _line(rows, o) or 1}
                findings.append(
                    {
                        "ruleId": rule,
                        "level": level,
                        "message": {"text": f"{o.name}: {text}"},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": Path(source).as_posix()},
                                    "region": region,
                                }
                            }
                        ],
                    }
                )
    rules = [
        {
            "id": "deadline-mismatch",
            "shortDescription": {"text": _("Computed due date or card differs")},
        },
        {
            "id": "provisional-date",
            "shortDescription": {"text": _("Date past the published years")},
        },
    ]
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "slasim", "rules": rules}}, "results": findings}],
    }
    text = json.dumps(document, ensure_ascii=False, indent=2)
    if SURROGATE.search(text):  # a lone surrogate from a JSON file: written as a JSON escape
        text = json.dumps(document, indent=2)
    return text
