"""Every output format escapes what it embeds (property tests): names, articles, failures and file
names holding line breaks, ESC sequences, `::`, `%`, `<script>`, `$…$`, NEL, U+2028 or a lone
surrogate go through each writer, and the output is read back by the format's own rules — GitHub's
runner (re-implemented below from actions/runner `ActionCommand.cs`), an XML 1.0 parser, JSON,
Markdown table cells, an HTML parser, PyYAML, matplotlib — and holds the text, escaped."""

from __future__ import annotations

import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slasim.checks import report
from slasim.checks.engine import Outcome
from slasim.io.errors import MAX_MESSAGE, SlasimError
from slasim.io.yaml_loader import TextDatesLoader

from .helpers import slasim

PIECES = [
    "\n", "\r", "\r\n", "\t", "::", "::error file=x::injected", "::add-mask::x", "%", "%0A",
    "%25", "%3A", "<", ">", "&", "<script>alert(1)</script>", "$", "$x^$", "\\alpha", "\x1b[2J",
    "\x00", "\x07", "\x7f", "\x85", "\u2028", "\u2029", "\u202e", "\ufeff", "##[error]x", ",",
    ":", "|", "`", "#", "- ", "? ", "'", '"', "--", "]]>", "\ud800", "日本", " ",
]  # fmt: skip
HOSTILE = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), min_size=1, max_size=6
).map("".join)
QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- GitHub's runner, as actions/runner parses a line of a step's output -------------------------


def _lines(output: str) -> list[str]:
    """The runner reads output with .NET's ReadLine: lines end at CR, LF or CRLF."""
    return re.split(r"\r\n|\r|\n", output)


def _unescape(text: str, mapping: list[tuple[str, str]]) -> str:
    for token, replacement in mapping:
        text = text.replace(replacement, token)
    return text


DATA = [("\r", "%0D"), ("\n", "%0A"), ("%", "%25")]
PROPERTY = [("\r", "%0D"), ("\n", "%0A"), (":", "%3A"), (",", "%2C"), ("%", "%25")]


def _white(c: str) -> bool:
    """.NET's `char.IsWhiteSpace`, which `TrimStart` and `Trim` strip."""
    return c in "\t\n\x0b\x0c\r\x85" or unicodedata.category(c) in ("Zs", "Zl", "Zp")


def _trim(text: str, start: bool = True, end: bool = True, white=_white) -> str:
    while start and text and white(text[0]):
        text = text[1:]
    while end and text and white(text[-1]):
        text = text[:-1]
    return text


def runner_command(line: str):
    """`(command, properties, data)` when the runner takes the line for a workflow command
    (`::name k=v,…::data`, after trimming leading white space), else None."""
    message = _trim(line, end=False)
    if not message.startswith("::"):
        return None
    end = message.find("::", 2)
    if end < 0:
        return None
    name, _, props = message[2:end].partition(" ")
    properties = {}
    for item in _trim(props).split(","):
        key, sep, value = item.partition("=")
        if item and sep and key and value:
            properties[key] = _unescape(value, PROPERTY)
    return name, properties, _unescape(message[end + 2 :], DATA)


def _safe(line: str) -> bool:
    """No character a terminal acts on or hides: controls (ESC, BEL, NEL …), format characters
    (bidi overrides, zero-width marks), line or paragraph separators, lone surrogates."""
    return not any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in line)


def _printable(text: str) -> str:
    """What survives any output encoding: a lone surrogate as its escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _results(source: str, names: list[str], articles: list[str], why: str):
    outcomes = [
        Outcome(name, article, (f"due (legal): {why}",), {}, False, i)
        for i, (name, article) in enumerate(zip(names, articles))
    ]
    return [(source, outcomes)]


# A file name as a command line can give it: not empty, no NUL, no lone surrogate (argv's
# undecodable bytes come as U+DC80..U+DCFF, which encode back).
SOURCES = HOSTILE.map(lambda s: s.replace("\x00", "").replace("\ud800", "\udc80")).filter(bool)
CASES = st.tuples(
    SOURCES, st.lists(HOSTILE, min_size=1, max_size=3), st.lists(HOSTILE, min_size=3, max_size=3)
)


@QUICK
@given(CASES, HOSTILE)
def test_github_annotations_are_one_command_each_holding_the_text(case, why):
    source, names, articles = case
    results = _results(source, names, articles, why)
    out = "\n".join(report.github_annotations(results))
    lines = _lines(out)
    assert len(lines) == len(names)  # one command per failing case, none injected
    for line, name in zip(lines, names):
        command, properties, data = runner_command(line)
        assert command == "error"
        assert properties["file"] == _printable(source)
        # The runner trims the properties before unescaping them: the last one (the title)
        # loses the trailing white space that is not escaped (all but CR and LF).
        title = _trim(
            _printable(f"slasim check: {name}"),
            start=False,
            white=lambda c: _white(c) and c not in "\r\n",
        )
        assert properties["title"] == title
        assert data == _printable(f"due (legal): {why}")
    invalid = report.invalid_annotation(source, why)
    assert len(_lines(invalid)) == 1 and runner_command(invalid)[2] == _printable(why)


@QUICK
@given(CASES, HOSTILE)
def test_the_text_report_is_no_workflow_command_and_no_terminal_control(case, why):
    source, names, articles = case
    text = "\n".join(report.text_report(_results(source, names, articles, why)))
    text.encode("utf-8")  # printable by any UTF-8 terminal (no lone surrogate)
    lines = _lines(text)
    assert len(lines) == 2 + 2 * len(names)  # file line, FAIL + failure per case, the count
    for line in lines:
        assert runner_command(line) is None and "##[" not in line
        assert _safe(line), line  # no ESC, no bidi override


def _xml_char(c: str) -> bool:
    """XML 1.0's Char production."""
    n = ord(c)
    return c in "\t\n\r" or 0x20 <= n <= 0xD7FF or 0xE000 <= n <= 0xFFFD or n >= 0x10000


def _legal_xml(text: str) -> str:
    """The text with every character outside XML 1.0 written as a Python escape."""
    return "".join(c if _xml_char(c) else c.encode("unicode_escape").decode() for c in text)


@QUICK
@given(CASES, HOSTILE)
def test_junit_is_well_formed_and_holds_the_names(case, why):
    source, names, articles = case
    document = report.junit_xml(_results(source, names, articles, why))
    root = ET.fromstring(document.encode("utf-8"))  # well-formed XML 1.0, UTF-8
    suite = root.find("testsuite")
    assert suite.get("name") == _legal_xml(source)
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [_legal_xml(n) for n in report._unique(names)]
    for element, article in zip(cases, articles):
        found = element.find("properties/property")  # none for an empty article
        assert ("" if found is None else found.get("value")) == _legal_xml(article)
        assert element.find("failure").get("message") == _legal_xml(f"due (legal): {why}")
    invalid = ET.fromstring(report.invalid_junit(source, why).encode("utf-8"))
    assert invalid.find("testsuite/testcase/error").get("message") == _legal_xml(why)


@QUICK
@given(CASES, HOSTILE)
def test_sarif_is_json_holding_the_text(case, why):
    source, names, articles = case
    text = report.sarif(_results(source, names, articles, why))
    text.encode("utf-8")
    found = json.loads(text)["runs"][0]["results"]
    assert [r["message"]["text"] for r in found] == [f"{n}: due (legal): {why}" for n in names]


def _cells(row: str) -> list[str]:
    """A Markdown table row's cells: split at pipes not escaped by a backslash."""
    cells, current, escaped = [], "", False
    for c in row:
        if escaped:
            current, escaped = current + c, False
        elif c == "\\":
            current, escaped = current + c, True
        elif c == "|":
            cells.append(current)
            current = ""
        else:
            current += c
    return [*cells, current][1:-1]


@QUICK
@given(CASES, HOSTILE)
def test_the_job_summary_keeps_its_table_and_carries_no_markup(case, why):
    source, names, articles = case
    lines = report.job_summary(_results(source, names, articles, why)).rstrip("\n").split("\n")
    assert len(lines) == 5 + 3 + len(names)
    rows = [lines[4], *lines[8:]]
    assert len(_cells(rows[0])) == 5 and all(len(_cells(r)) == 2 for r in rows[1:])
    for row in rows:
        assert "<" not in row and ">" not in row  # HTML escaped (the summary renders HTML)
        assert _safe(row)
        assert re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", row) is None  # no Markdown link


# --- messages -------------------------------------------------------------------------------


@QUICK
@given(HOSTILE, HOSTILE, st.integers(0, 3000))
def test_an_error_is_one_bounded_line(text, field, repeat):
    message = str(SlasimError(text * repeat or text, source="f.yaml", field=field * repeat))
    assert len(_lines(message)) == 1 and "##[" not in message
    assert _safe(message)
    assert len(message) <= len("f.yaml: ") + 2 * MAX_MESSAGE + 2


@QUICK
@given(st.dictionaries(HOSTILE.map(lambda k: "secret-" + k), st.integers(), min_size=1))
def test_a_foreign_mapping_is_refused_without_its_keys(tmp_path_factory, data):
    from slasim.checks.schema import CheckFile
    from slasim.io.schema import validate

    with pytest.raises(SlasimError) as caught:
        validate(CheckFile, data, "shadow.yaml")
    message = str(caught.value)
    assert "secret-" not in message and len(_lines(message)) == 1
    if not any("\ud800" in k for k in data):  # (pydantic refuses a lone surrogate itself)
        assert message == (
            f"shadow.yaml: not a check file: none of its {len(data)} top-level keys is a field of one"
        )


def test_a_symlink_to_a_private_file_is_not_echoed(tmp_path):
    private = tmp_path / "shadow"
    private.write_text("admin:$6$hunter2:20228:0:99999:7:::\nbin:*:20228:0:99999:7:::\n")
    for name, command in (("rules.yaml", "check"), ("centre.yaml", "validate")):
        (tmp_path / name).symlink_to(private)
        code, out, err = slasim(command, tmp_path / name)
        assert code == 2 and "hunter2" not in out + err and "20228" not in out + err
        assert err.endswith("top-level keys is a field of one\n") and err.count("\n") == 1


def test_a_quoted_value_is_capped(tmp_path):
    path = tmp_path / "rules.yaml"
    name = "x" * 200_000 + "\\u001b"
    path.write_text(
        f'calendar: cn\ncases:\n  - {{name: "{name}", accepted: 2025-03-03, limit: 1wd,\n'
        "      expect: {due: 2025-03-04}}\n"
    )
    code, _, err = slasim("check", path)
    assert code == 2 and err.count("\n") == 1 and len(err) < len(str(path)) + 150
    assert err.startswith(f"error: {path}: cases[0]: name 'xxx")
    assert err.endswith("…' has a control or invisible character (U+001B)\n")


# --- YAML written by `fit` --------------------------------------------------------------------


# What a log can name: a CSV is strict UTF-8 and XML has no surrogate, so no lone surrogate
# (which YAML cannot write either).
LOGGED = HOSTILE.map(lambda s: s.replace("\ud800", ""))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(LOGGED, min_size=1, max_size=3),
    st.dictionaries(LOGGED, LOGGED, min_size=1, max_size=3),
    LOGGED,
    st.lists(LOGGED, max_size=2),
)
def test_fitted_yaml_reads_back_as_the_same_data(header, services, comment, steps):
    from slasim.fit.writer import scenario_yaml

    data = {
        "name": comment,
        "seed": 1,
        "services": {
            name: {
                "description": what,
                "steps": [{"step": s, "work": {"fixed": 1.5}} for s in steps],
            }
            for name, what in services.items()
        },
    }
    comments = {("seed",): comment, ("name",): comment}
    for name in services:
        comments[("services", name)] = comment
        comments[("services", name, "steps", 0)] = comment
    text = scenario_yaml(data, comments, header)
    text.encode("utf-8")
    assert yaml.load(text, Loader=TextDatesLoader) == data  # noqa: S506 - a safe loader


# --- terminal tables, HTML, charts --------------------------------------------------------------


@QUICK
@given(st.lists(HOSTILE, min_size=1, max_size=4))
def test_terminal_tables_show_names_on_one_line(names):
    from slasim.outputs.results import table, terminal_text

    text = terminal_text(table(["name", "value"], [[n, "1.0"] for n in names]))
    text.encode("utf-8")
    lines = _lines(text)
    assert len(lines) == 2 + len(names)
    assert all(_safe(line) for line in lines)
    assert all(runner_command(line) is None and "##[" not in line for line in lines)


@settings(max_examples=8, deadline=None)
@given(st.lists(HOSTILE, min_size=1, max_size=3, unique=True))
def test_chart_labels_are_text_not_mathtext(names):
    pytest.importorskip("matplotlib")
    from slasim.outputs import plots

    stat = {"mean": 0.2, "ci95": [0.1, 0.3]}
    groups = {n: {"ever_yellow": stat, "ever_red": stat} for n in names}
    svg = plots.svg_text(plots.card_rates(groups, names[0]))
    ET.fromstring(svg.encode("utf-8", "backslashreplace"))  # a well-formed SVG document


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text, self.handlers = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.handlers += [k for k, _ in attrs if k.startswith("on")]

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    pytest.importorskip("matplotlib")
    out = tmp_path_factory.mktemp("run")
    code, _, err = slasim(
        "run", "minimal", "--reps", "2", "--workers", "1", "--quiet", "--out", out,
        "--set", "working_days=8", "--set", "warmup_days=2",
    )  # fmt: skip
    assert code == 0, err
    return out


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(HOSTILE.filter(lambda s: s.strip() != ""))
def test_the_html_report_keeps_file_text_as_text(run_dir, tmp_path_factory, name):
    from slasim.outputs.html import build_report

    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    summary["scenario"] = name
    summary["services"] = {name: summary["services"]["permit"]}
    summary["departments"] = {f"<script>{name}": summary["departments"]["window"]}
    summary["seed"] = "<script>alert(1)</script>"
    summary["engine_note"] = f"<img src=x onerror=alert(1)>{name}"
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    page = build_report(folder)
    parsed = _Page()
    parsed.feed(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags and not parsed.handlers
    text = "".join(parsed.text)
    assert f"slasim — {name}" in text.replace("\r\n", "\n").replace("\r", "\n") or "\r" in name
    assert "<script>alert(1)</script>" in text  # shown as text


def _fidelity_results(name: str) -> list[dict]:
    """A field's-protocol and a window result whose every text read from files (scenario, log
    file, the split naming the fitted log, a measure) holds `name`."""
    stat = {"mean": 0.5, "sd": 0.1, "ci95": [0.4, 0.6]}
    first_n = {
        "protocol": "first-n",
        "scenario": name,
        "test_log": f"{name}.csv",
        "summary": f"better than replay on {name}",
        "settings": {
            "split": f"a log the fit never saw; it fitted {name}",
            "cases": 3,
            "first_start": "2024-01-08T10:00",
            "replications": 2,
            "seed": 1,
        },
        "measures": {
            name: {
                "short": name,
                "unit": "h",
                "model": stat,
                "replay": stat,
                "bootstrap": stat,
                "floor": stat,
                "verdict": "at floor",
                "cases": 3,
            }
        },
    }
    window = {
        "protocol": "window",
        "scenario": name,
        "log": f"{name}.csv",
        "real_cases": 3,
        "window": ["2024-01-08", "2024-01-12"],
        "window_opens_at": "the fit's split",
        "replications": 2,
        "seed": 1,
        "view": name,
        "measures": {name: {"real": 0.5, "simulated": stat}},
        "distances": {name: stat},
        "reference": {name: 0.1},
    }
    return [first_n, window]


@QUICK
@given(HOSTILE)
def test_the_fidelity_report_prints_file_text_on_its_own_lines(name):
    """Each line of the report stays one line, holds nothing a terminal acts on, and none is a
    workflow command, whatever a log's names or its file's name hold (ESC, line breaks, `::`)."""
    from slasim.outputs.fidelity import fidelity_report

    for result, lines in zip(_fidelity_results(name), (7, 11), strict=True):
        text = fidelity_report(result)
        text.encode("utf-8")
        assert len(_lines(text)) == lines
        assert all(_safe(line) for line in _lines(text))
        assert all(runner_command(line) is None and "##[" not in line for line in _lines(text))


def test_a_warning_shows_a_name_from_a_file_on_one_line_with_control_characters_escaped(capsys):
    from slasim.cli.common import warn

    warn(["activity 'a\nb\x1b[31m::error::x' is not in the model"])
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\x1b" not in err and err.startswith("warning: ")
