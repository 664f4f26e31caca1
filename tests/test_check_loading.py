"""The two routes that read a check file — the pydantic models, and flat cases straight into
columns — on random files, valid and not: the flat route takes only files the models accept, gives
each case the model's values and the same columns, and leaves every error to the models."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from slasim.checks.engine import run_checks
from slasim.checks.flat import CASE_KEYS
from slasim.checks.load import flat_check_file, load_check_file
from slasim.checks.schema import CaseSpec, CheckFile, Expect, PauseSpec
from slasim.io.errors import SlasimError
from slasim.io.schema import validate

DATES = ["2025-01-06", "2025-09-26", "2025-09-30T16:45", "2025-10-09 09:00:30", "2026-02-13T17:30"]
LIMITS = ["5wd", "10wd", "10 WD", "3d", "8wh"]
# One thing per file that the flat route must leave to the models (which refuse most of them).
TWISTS = [
    ("accepted", "2025-02-30"),  # no such day
    ("accepted", "2025/01/06"),
    ("accepted", 20250106),  # not a text
    ("legal", "20xx"),
    ("legal", "-3wd"),
    ("promised", "30wd"),  # over the legal limit
    ("decided", "2024-12-31"),  # before acceptance
    ("kind", "nap"),
    ("level", "purple"),
    ("bare due", "2025-10-09"),  # one due, two limits
    ("name", "line\nbreak"),
    ("name", "zero\u200bwidth"),
    ("name", "nbsp\u00a0name"),  # not printable, yet a plain name: the models accept it
    ("notice", "2025-01-06"),  # a field the flat route does not take
    ("typo", 1),
    ("extension", 10),
    # Shapes the one-pass reader of cases (`FlatCases.of_dicts`) leaves or takes the long way:
    ("due", None),  # a due given as null
    ("due", {"legal": None}),
    ("due", {"legal": "2025-10-09", "statutory": "2025-10-09"}),  # an unknown reference
    ("card_at", []),  # not a mapping
    ("limit", {"promised": None, "legal": "20wd"}),
    ("expect", {"accepted": "2025-01-06"}),  # an expectation the flat route does not take
]


@st.composite
def check_files(draw):
    """A check file of 2–4 flat cases, valid, or with one twist in one case. Returns (data, the
    twist or None)."""
    cases = []
    for i in range(draw(st.integers(2, 4))):
        accepted = draw(st.integers(0, len(DATES) - 2))
        case: dict = {"name": f"case {i}", "accepted": DATES[accepted]}
        legal = draw(st.sampled_from(LIMITS))
        if draw(st.booleans()):
            case["limit"] = {"promised": legal, "legal": "20wd"} if "wd" in legal.lower() else legal
        else:
            case["limit"] = legal
        if draw(st.booleans()):
            case["decided"] = DATES[draw(st.integers(accepted + 1, len(DATES) - 1))]
        if draw(st.booleans()):
            pause = {"from": draw(st.sampled_from(DATES))}
            if draw(st.booleans()):
                pause["to"] = draw(st.sampled_from(DATES))
            if draw(st.booleans()):
                pause["kind"] = draw(st.sampled_from(["special_procedure", "suspension"]))
            if draw(st.booleans()):
                pause["detail"] = "expert review"
            case["pauses"] = [pause]
        if draw(st.booleans()):
            case["extensions"] = [draw(st.sampled_from(LIMITS))]
        expect: dict = {}
        if draw(st.booleans()):
            expect["due"] = {"legal": draw(st.sampled_from(DATES))}
        elif isinstance(case["limit"], str) and draw(st.booleans()):
            expect["due"] = draw(st.sampled_from(DATES))
        if draw(st.booleans()):
            expect["card_at"] = {
                draw(st.sampled_from(DATES)): draw(st.sampled_from(["green", "red"]))
            }
        case["expect"] = expect
        cases.append(case)
    twist = draw(st.sampled_from([None, *TWISTS]))
    if twist is not None:  # in any case: no case is validated by the models on the flat route
        case = cases[draw(st.integers(0, len(cases) - 1))]
        what, value = twist
        if what in ("legal", "promised"):
            case["limit"] = (
                {"promised": "5wd", "legal": value}
                if what == "legal"
                else {
                    "promised": value,
                    "legal": "20wd",
                }
            )
        elif what == "kind":
            case["pauses"] = [{"from": DATES[0], "kind": value}]
        elif what == "level":
            case["expect"]["card_at"] = {DATES[1]: value}
        elif what == "bare due":
            case["limit"] = {"promised": "5wd", "legal": "20wd"}
            case["expect"]["due"] = value
        elif what == "extension":
            case["extensions"] = [value]
        elif what == "decided":
            case["accepted"], case["decided"] = DATES[1], value
        elif what in ("due", "card_at"):
            case["expect"][what] = value
        elif what in ("limit", "expect"):
            case[what] = value
        else:
            case[what] = value
    return {"calendar": "cn", "cases": cases}, twist


def models(data: dict) -> CheckFile | None:
    try:
        return validate(CheckFile, data, "file")
    except SlasimError:
        return None


def same_value(record, model) -> bool:
    """A record equals a model field by field (models and lists of models compared the same way)."""
    if isinstance(model, CaseSpec | Expect | PauseSpec) or type(model).__name__ == "LimitPair":
        return all(
            same_value(getattr(record, name), getattr(model, name))
            for name in type(model).model_fields
        )
    if isinstance(model, list):
        return len(record) == len(model) and all(map(same_value, record, model))
    if isinstance(model, dict):
        return record.keys() == model.keys() and all(same_value(record[k], model[k]) for k in model)
    return type(record) is type(model) and record == model


def same_columns(a, b) -> bool:
    for field in dataclasses.fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray):
            if not np.array_equal(x, y, equal_nan=x.dtype.kind == "f"):
                return False
        elif isinstance(x, dict):
            if x.keys() != y.keys() or not all(
                np.array_equal(x[k][0], y[k][0], equal_nan=True)
                and np.array_equal(x[k][1], y[k][1])
                for k in x
            ):
                return False
        elif x != y:
            return False
    return True


@settings(max_examples=300, deadline=None)
@given(check_files())
def test_the_flat_route_takes_only_what_the_models_accept_and_gives_their_values(drawn):
    data, twist = drawn
    flat, model = flat_check_file(json.loads(json.dumps(data))), models(data)
    if flat is None:
        assert twist is not None  # a plain valid file takes the flat route
        return
    assert model is not None  # never accepts what the models refuse
    assert len(flat.cases) == len(model.cases)
    for record, case in zip(flat.cases, model.cases):
        assert same_value(record, case)
    assert same_columns(flat.columns, model.columns)


def generated_cases(n: int) -> list[dict]:
    """Cases as a generator would write them: promised and legal limits, some pauses and
    extensions, an expected due and a card."""
    rng = np.random.default_rng(4)
    cases = []
    for i in range(n):
        day = np.datetime64("2024-01-02") + int(rng.integers(0, 700))
        case = {
            "name": f"case {i}",
            "accepted": f"{day}T{int(rng.integers(8, 18)):02d}:15",
            "limit": {"promised": f"{int(rng.integers(3, 15))}wd", "legal": "20wd"},
            "expect": {"due": {"legal": str(day + 30)}, "card_at": {f"{day + 3}T10:00": "green"}},
        }
        if i % 3 == 0:
            case["pauses"] = [{"from": str(day + 2), "to": str(day + 5), "kind": "suspension"}]
        if i % 5 == 0:
            case["extensions"] = ["10wd"]
        if i % 7 == 0:
            case["decided"] = f"{day + 20}T11:00"
        cases.append(case)
    return cases


def test_a_generated_file_takes_the_flat_route_and_checks_as_the_models_do(tmp_path):
    data = {"calendar": "cn", "cards": "warn-before", "cases": generated_cases(300)}
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    flat = load_check_file(path)
    assert not isinstance(flat.cases[0], CaseSpec)  # the records of the flat route
    model = validate(CheckFile, json.loads(path.read_text()), str(path))
    ours, theirs = run_checks(flat, str(path)), run_checks(model, str(path))
    assert ours == theirs
    # Most expected dues are wrong on purpose: failures carry their details on both routes.
    failing = [o for o in ours if o.failures]
    assert len(failing) > 100 and all(o.got.get("explain") or o.got["inputs"] for o in failing)


def test_errors_are_the_models_own(tmp_path):
    data = {
        "cases": [
            {"name": "a", "accepted": "2025-01-06", "limit": "20wd", "expect": {}},
            {"name": "b", "accepted": "2025-02-30", "limit": "20wd", "expect": {}},
        ]
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    try:
        load_check_file(path)
    except SlasimError as exc:
        assert str(exc).startswith(f"{path}: cases[1].accepted: ")
    else:
        raise AssertionError("a bad date was accepted")


# --- The CSV form, the YAML event reader and the JSON key count, against the models ---


class NotInCsv(Exception):
    """A case the CSV form cannot write (another field, a detail, a value that is not text)."""


def csv_text(data: dict) -> str:
    """A check file's cases in the columnar CSV form (written here from its description in
    docs/guide-checks.md, not by slasim's reader)."""
    import csv
    import io

    if set(data) - {"cases", "calendar"} or data.get("calendar", "cn") != "cn":
        raise NotInCsv
    header = ["name", "accepted", "decided", "limit", "promised", "extensions", "pauses"]
    header += ["due", "due_promised", "card_at"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for case in data["cases"]:
        if set(case) - {"name", "accepted", "decided", "limit", "pauses", "extensions", "expect"}:
            raise NotInCsv
        limit = case["limit"]
        legal, promised = (
            (limit, None) if isinstance(limit, str) else (limit.get("legal"), limit.get("promised"))
        )
        pauses = []
        for p in case.get("pauses", []):
            if "detail" in p:
                raise NotInCsv
            kind = f"/{p['kind']}" if "kind" in p else ""
            pauses.append(f"{p['from']}/{p.get('to') or ''}{kind}")
        if set(case["expect"]) - {"due", "card_at"}:
            raise NotInCsv
        if not isinstance(case["expect"].get("card_at", {}), dict):
            raise NotInCsv
        due = case["expect"].get("due")
        if isinstance(due, dict) and (set(due) - {"legal", "promised"} or None in due.values()):
            raise NotInCsv  # a mapping the CSV columns do not write
        if isinstance(due, dict):
            due, due_promised = due.get("legal"), due.get("promised")
            if promised is None and due_promised is None:
                raise NotInCsv  # a one-limit case writes its due bare
        elif due is not None and promised is not None:
            raise NotInCsv  # with two limits, the column `due` is the legal one
        else:
            due_promised = None
        cards = [f"{k}={v}" for k, v in case["expect"].get("card_at", {}).items()]
        if not all(isinstance(x, str) for x in case.get("extensions", [])):
            raise NotInCsv
        row = [case["name"], case["accepted"], case.get("decided"), legal, promised]
        row += [";".join(case.get("extensions", [])), ";".join(pauses), due, due_promised]
        row += [";".join(cards)]
        if not all(v is None or isinstance(v, str) for v in row):
            raise NotInCsv
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


@settings(max_examples=200, deadline=None)
@given(check_files())
def test_the_csv_form_reads_as_the_models_read_the_same_cases(tmp_path_factory, drawn):
    data, _ = drawn
    try:
        text = csv_text(data)
    except NotInCsv:
        return
    path = tmp_path_factory.mktemp("csv") / "cases.csv"
    path.write_text(text, encoding="utf-8")
    model = models(data)
    try:
        ours = load_check_file(path)
    except SlasimError as exc:
        assert model is None, exc  # refuses only what the models refuse
        return
    assert model is not None
    for record, case in zip(ours.cases, model.cases):
        assert same_value(record, case)
    assert same_columns(ours.columns, model.columns)


SCALARS = (
    st.sampled_from(
        ["yes", "No", "on", "~", "null", "", "1e5", "1.5e3", "0x1f", "0o17", "1:30", "1_000", "-3"]
        + ["2025-01-06", "2025-01-06T10:00", ".inf", ".NaN", "12wd", "a: b", "- x", "#", "'q'"]
    )
    | st.integers(-(10**20), 10**20)
    | st.booleans()
    | st.none()
    | st.text(max_size=8)
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(SCALARS, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS, st.sampled_from([None, True, False]))
def test_the_yaml_event_reader_gives_the_loaders_data(value, flow):
    import yaml

    from slasim.io.yaml_events import NotPlain, load_plain
    from slasim.io.yaml_loader import TextDatesLoader

    try:
        text = yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True)
    except yaml.YAMLError:
        return
    try:
        want = yaml.load(text, Loader=TextDatesLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError:  # a key given twice as the file has it (`null` and 'null')
        want = NotPlain
    try:
        got = load_plain(text)
    except NotPlain:  # only for what it leaves to the full loader
        assert want is NotPlain or "&" in text or "!!" in text or "<<" in text
        return
    assert repr(got) == repr(want)  # NaN, and True against 1, compared as written


def test_the_yaml_event_reader_leaves_anchors_tags_and_errors_to_the_loader():
    from slasim.io.yaml_events import NotPlain, load_plain

    for text in [
        "a: &x 1\nb: *x\n",  # anchor and alias
        "<<: {a: 1}\n",  # merge key
        "a: !!str 1\n",  # explicit tag
        "a: 1\na: 2\n",  # a key given twice
        "? [1]\n: 2\n",  # a sequence as a key
        "--- 1\n--- 2\n",  # two documents
        "a: [\n",  # syntax error
    ]:
        try:
            load_plain(text)
        except NotPlain:
            continue
        raise AssertionError(f"read {text!r}")


def test_yaml_json_and_csv_forms_of_a_generated_file_check_alike(tmp_path):
    import yaml

    from slasim.checks.flat import FlatCases

    data = {"calendar": "cn", "cards": "warn-before", "cases": generated_cases(300)}
    loaded = {}
    for suffix, text in (
        ("json", json.dumps(data)),
        ("yaml", yaml.safe_dump(data, sort_keys=False)),
        ("csv", csv_text({"cases": data["cases"]})),
    ):
        path = tmp_path / f"cases.{suffix}"
        path.write_text(text, encoding="utf-8")
        loaded[suffix] = load_check_file(path)
        assert isinstance(loaded[suffix].cases, FlatCases)  # the flat route, every form
    model = validate(CheckFile, data, "file")
    theirs = run_checks(model, "file")
    for check in loaded.values():
        assert same_columns(check.columns, model.columns)
        assert run_checks(check, "file") == theirs


def test_a_key_given_twice_in_json_is_refused_and_a_quote_colon_in_a_text_is_not(tmp_path):
    case = '{"name": "N", "accepted": "2025-01-06", "limit": "20wd", "expect": {}}'
    twice = case.replace('"limit": "20wd"', '"limit": "20wd", "limit": "5wd"')
    path = tmp_path / "twice.json"
    path.write_text(f'{{"cases": [{case.replace("N", "a")}, {twice}]}}', encoding="utf-8")
    try:
        load_check_file(path)
    except SlasimError as exc:
        assert str(exc).startswith(f"{path}: invalid JSON") and "limit" in str(exc)
    else:
        raise AssertionError("a key given twice was accepted")
    quoted = case.replace('"N"', '"say \\":\\" here"')
    path = tmp_path / "quoted.json"
    path.write_text(f'{{"cases": [{quoted}, {case.replace("N", "b")}]}}', encoding="utf-8")
    check = load_check_file(path)
    assert [c.name for c in check.cases] == ['say ":" here', "b"]


JUNK_CASES = st.lists(
    st.dictionaries(
        st.sampled_from(sorted(CASE_KEYS) + ["due", "from"]),
        DOCUMENTS | st.sampled_from(DATES + LIMITS),
        max_size=9,
    ),
    min_size=2,
    max_size=3,
)


@settings(max_examples=200, deadline=None)
@given(JUNK_CASES, st.sampled_from(["json", "yaml"]))
def test_any_file_loads_or_is_refused_in_one_located_error(tmp_path_factory, cases, form):
    import yaml

    data = {"cases": [{**case, "expect": case.get("expect", {})} for case in cases]}
    path = tmp_path_factory.mktemp("junk") / f"cases.{form}"
    text = json.dumps(data) if form == "json" else yaml.safe_dump(data)
    path.write_text(text, encoding="utf-8")
    try:
        check = load_check_file(path)
    except SlasimError as exc:
        assert str(exc).startswith(str(path))
        return
    model = validate(CheckFile, yaml.safe_load(text), str(path))  # the models agree
    assert same_columns(check.columns, model.columns)


# --- A flat file without pydantic: its own keys, its defaults, and what the command imports ---


def test_a_flat_file_gets_the_models_defaults_and_a_file_with_rules_is_read_by_them():
    plain = {"cases": generated_cases(3)}
    flat, model = flat_check_file(json.loads(json.dumps(plain))), models(plain)
    assert type(flat).__name__ == "FlatFile"  # no model
    assert (flat.calendar, flat.cards) == (model.calendar, model.cards) == ("cn", "warn-before")
    assert vars(flat.rules) == model.rules.model_dump()
    assert same_columns(flat.columns, model.columns)
    ruled = {"calendar": "cn", "rules": {"notice_within": 3}, "cases": generated_cases(3)}
    flat, model = flat_check_file(json.loads(json.dumps(ruled))), models(ruled)
    assert isinstance(flat, CheckFile) and flat.rules.notice_within == 3
    assert flat.rules == model.rules and same_columns(flat.columns, model.columns)
    for odd in ({"calendar": 5}, {"calendar": None}, {"rules": {"notice_within": "3"}}):
        assert flat_check_file({**plain, **odd}) is None  # the models say what is wrong


def run_check(path, *options) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "slasim", "check", *options, str(path)],
        capture_output=True,
        text=True,
    )


def test_checking_a_flat_json_file_imports_neither_pydantic_nor_yaml(tmp_path):
    # Worked out by hand on the 2025 calendar (counting starts the next day, 民法典第201条):
    # from 2025-09-26, 20 working days are Sep 28 (a swapped working day), 29, 30, Oct 9, 10,
    # 11 (swapped), 13-17, 20-24 and 27-30; from 2025-01-06, 5 are Jan 7-10 and 13.
    cases = [
        {"name": "a", "accepted": "2025-09-26", "limit": "20wd", "expect": {"due": "2025-10-30"}},
        {"name": "b", "accepted": "2025-01-06", "limit": "5wd", "expect": {"due": "2025-01-13"}},
    ]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps({"calendar": "cn", "cases": cases}), encoding="utf-8")
    assert run_check(path).returncode == 0  # the calendar's resolved spec is cached from here
    code = (
        "import sys\n"
        "from slasim.cli import main\n"
        "try:\n"
        f"    main(['check', '--json', {str(path)!r}])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        "heavy = ('pydantic', 'pydantic_core', 'yaml', 'slasim.checks.schema')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy),"
        " file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)["passed"] is True
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_a_malformed_flat_file_still_gives_the_models_one_located_line(tmp_path):
    good = {"name": "a", "accepted": "2025-01-06", "limit": "5wd", "expect": {}}
    wrong = [
        ({"cases": [good, {**good, "accepted": "2025-02-30"}]}, ": cases[1].accepted: "),
        ({"calendar": 5, "cases": [good, good]}, ": calendar: "),
        ({"rules": {"notice_within": "3"}, "cases": [good, good]}, ": rules.notice_within: "),
    ]
    for k, (data, where) in enumerate(wrong):
        path = tmp_path / f"bad{k}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        done = run_check(path, "--json")
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {path}{where}"), lines


INSTANT_TEXTS = st.sampled_from(
    ["2025-01-06", "20250106", "2025-01-06T09:30", "2025-01-06 09:30", " 2025-01-06", "2025-02-30"]
    + ["2025-01-06T09:30+08:00", "2025-01-06T09:30Z", "2025-01-06T09:30 +08:00", "2025-W02-1"]
    + ["2025-01-06T09:30:15.5", "2025-01-06\t", "x", "", "2025-01-06T24:00"]
) | st.text(alphabet="0123456789-:T Z+.", max_size=22)


@settings(max_examples=300, deadline=None)
@given(st.sets(INSTANT_TEXTS, max_size=6))
def test_instants_in_bulk_are_read_as_one_at_a_time(texts):
    from slasim.calendar.units import parse_instant, parse_instants

    want = {}
    for t in texts:  # the one parser of instants, text by text
        try:
            want[t] = parse_instant(t)
        except SlasimError:
            want = ValueError
            break
    try:
        got = parse_instants(texts)
    except ValueError:
        got = ValueError
    assert (
        got == want
        if want is ValueError
        else got == want
        and all(
            type(got[t]) is type(want[t])
            and getattr(got[t], "tzinfo", None) == getattr(want[t], "tzinfo", None)
            for t in texts
        )
    )
