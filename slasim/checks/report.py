"""Formats for `slasim check` outcomes: a readable diff, JSON, and JUnit XML for CI systems."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from slasim.checks.engine import Outcome


def text_report(results: list[tuple[str, list[Outcome]]]) -> list[str]:
    """Lines for the terminal: one per failing case with its differences, then a count."""
    lines = []
    for source, outcomes in results:
        failed = [o for o in outcomes if not o.passed]
        lines.append(f"{source}: {len(outcomes) - len(failed)} passed, {len(failed)} failed")
        for o in failed:
            article = f" [{o.article}]" if o.article else ""
            lines.append(f"  FAIL {o.name}{article}")
            lines.extend(f"    - {f}" for f in o.failures)
    total = sum(len(o) for _, o in results)
    failed = sum(not x.passed for _, o in results for x in o)
    lines.append(f"{total - failed} passed, {failed} failed")
    return lines


def json_report(results: list[tuple[str, list[Outcome]]]) -> dict:
    """The outcomes as one JSON document: per file, per case, passed and differences."""
    return {
        "passed": all(x.passed for _, o in results for x in o),
        "files": [
            {
                "file": source,
                "cases": [
                    {
                        "name": o.name,
                        "article": o.article,
                        "passed": o.passed,
                        "failures": o.failures,
                        "got": o.got,
                    }
                    for o in outcomes
                ],
            }
            for source, outcomes in results
        ],
    }


def junit_xml(results: list[tuple[str, list[Outcome]]]) -> str:
    """The outcomes as JUnit XML (one suite per file, one test case per case) for CI."""
    suites = ET.Element("testsuites")
    for source, outcomes in results:
        failed = [o for o in outcomes if not o.passed]
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=source,
            tests=str(len(outcomes)),
            failures=str(len(failed)),
            errors="0",
        )
        for o in outcomes:
            case = ET.SubElement(suite, "testcase", classname=Path(source).stem, name=o.name)
            if o.article:
                props = ET.SubElement(case, "properties")
                ET.SubElement(props, "property", name="article", value=o.article)
            if not o.passed:
                failure = ET.SubElement(case, "failure", message=o.failures[0])
                failure.text = "\n".join(o.failures)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
