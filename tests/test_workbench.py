"""The workbench's pages, headless (Streamlit's `AppTest`): each page's figures are the command
line's JSON for the same inputs, bad uploads are one line, and Chinese pages hold no English left."""

from __future__ import annotations

import functools
import json
import shlex
from pathlib import Path

import pytest

pytest.importorskip("streamlit")

from streamlit.testing.v1 import AppTest  # noqa: E402

from slasim.outputs.results import cell, change_cell, to_json  # noqa: E402
from slasim.workbench import inputs, whatif  # noqa: E402

from .english import english_left  # noqa: E402
from .helpers import ROOT, slasim, write_snapshot  # noqa: E402
from .helpers import at as at_minutes  # noqa: E402

APP = str(ROOT / "slasim" / "workbench" / "app.py")


def page(name: str = "whatif", lang: str = "en", scenario: str | None = None) -> AppTest:
    """The app on one page, in one language, with a scenario chosen (if given)."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.sidebar.radio(key="lang").set_value(lang).run()
    at.sidebar.radio(key="page").set_value(name).run()
    if scenario is not None:
        at.selectbox(key="scenario").set_value(scenario).run()
    assert not at.exception, at.exception
    return at


def cli_json(*args) -> dict:
    done = slasim(*args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def shown_texts(at: AppTest) -> str:
    """Every text the page shows: headings, captions, alerts, labels, table cells and headers."""
    parts = []
    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "warning", "error"):
        parts += [str(e.value) for e in getattr(at, kind)]
    widgets = ("button", "selectbox", "number_input", "slider", "toggle", "text_input", "radio")
    for kind in (*widgets, "checkbox", "text_area", "multiselect", "metric"):
        parts += [w.label for w in getattr(at, kind)]
    for kind in ("download_button", "expander", "file_uploader"):
        parts += [w.label for w in at.get(kind)]
    for frame in at.table:
        table = frame.value
        parts += [str(c) for c in table.columns]
        parts += [str(v) for row in table.itertuples(index=False) for v in row]
    return "\n".join(parts)


@pytest.fixture(scope="module", autouse=True)
def _components_scanned_once():
    """Streamlit scans every installed distribution for its v2 components at each new AppTest's
    first run (a quarter second of CPU on a machine with many packages, most of this module's page
    set-up); nothing is installed during the module, so the scan is made once and its answer
    handed to every page."""
    try:
        from streamlit.components.v2 import manifest_scanner
    except ImportError:  # a Streamlit without v2 components scans nothing
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        scan = functools.cache(manifest_scanner.scan_component_manifests)
        patch.setattr(manifest_scanner, "scan_component_manifests", scan)
        yield


@pytest.fixture(scope="module")
def shown_page():
    """`shown_page(name, lang, scenario)`: `page(...)` run once for the module, for the tests that
    only read what it shows. A test that sets a control, clicks, uploads or patches takes its own
    `page(...)`."""
    pages = {}

    def get(name: str = "whatif", lang: str = "en", scenario: str | None = None) -> AppTest:
        if (name, lang, scenario) not in pages:
            pages[name, lang, scenario] = page(name, lang, scenario)
        return pages[name, lang, scenario]

    return get


@pytest.fixture(autouse=True)
def _fresh_results():
    """Every test computes its results (the page's cache is shared by every session)."""
    whatif.RESULTS.results.clear()
    yield
    whatif.RESULTS.results.clear()


def run_what_if(at: AppTest) -> dict:
    at.button(key="run").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at.session_state["whatif"][1]


def test_a_desks_staff_gives_what_run_set_gives():
    at = page(scenario="minimal")
    at.number_input(key="staff:minimal:window").set_value(3)
    at.number_input(key="reps:minimal").set_value(3)
    result = run_what_if(at)
    ran = cli_json("run", "minimal", "--set", "departments.window.staff=3", "-n", "3", "--json")
    summary = json.loads(to_json(result))["reforms"]["what-if"]["summary"]
    for part in ("overall", "services", "steps", "departments", "little"):
        assert summary[part] == ran[part], part
    base = cli_json("run", "minimal", "-n", "3", "--json")
    table = at.table[0].value
    red = table[table["Metric"] == "red card"].iloc[0]
    assert red["Baseline"] == cell(base["overall"]["ever_red"], "share")
    lead = table[table["Metric"] == "lead time, working days (mean)"].iloc[0]
    assert lead["What-if"] == cell(ran["overall"]["lead_time_wd_mean"], "number")
    assert lead["Baseline"] == cell(base["overall"]["lead_time_wd_mean"], "number")
    # the staff of the desk moved: the desks' table says so
    desks = at.table[1].value
    staff = desks[desks["Metric"] == "staff"].iloc[0]
    assert (staff["Baseline"], staff["What-if"]) == ("2.00 ± 0.00", "3.00 ± 0.00")


def test_the_command_shown_prints_the_pages_json():
    at = page(scenario="minimal")
    at.number_input(key="staff:minimal:window").set_value(1)
    at.slider(key="volume:minimal").set_value(0.5)
    at.number_input(key="reps:minimal").set_value(2)
    result = run_what_if(at)
    command = shlex.split(at.code[0].value)
    assert command[:3] == ["slasim", "compare", "minimal"]
    done = slasim(*command[1:])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == to_json(result)
    assert [w.label for w in at.get("download_button")] == [
        "Download the inputs (scenario YAML)",
        "Download the results (JSON)",
    ]


def test_the_inputs_download_runs_as_the_page_ran(tmp_path):
    data, source = inputs.load_choice("minimal")
    changes = whatif.Changes(staff=(("window", 3),), volume=1.5)
    result = whatif.run_what_if(data, source, changes, 2, 1)
    path = tmp_path / "minimal-what-if.yaml"
    path.write_text(whatif.inputs_yaml(data, changes), encoding="utf-8")
    again = cli_json("compare", path, "-r", "what-if", "-n", "2", "--seed", "1", "--json")
    assert again == json.loads(to_json(result))


@pytest.fixture(scope="module")
def inspectors_run() -> tuple[AppTest, dict]:
    """What if on district-centre with dedicated-inspectors switched on, 2 replications: the page
    and its result, run once for the tests that read them (computed, not taken from the cache)."""
    whatif.RESULTS.results.clear()
    at = page(scenario="district-centre")
    at.toggle(key="reform:district-centre:dedicated-inspectors").set_value(True)
    at.number_input(key="reps:district-centre").set_value(2)
    result = run_what_if(at)
    whatif.RESULTS.results.clear()
    return at, result


def test_a_reform_toggle_shows_compares_paired_ci(inspectors_run):
    at, result = inspectors_run
    compared = cli_json(
        "compare", "district-centre", "-r", "dedicated-inspectors", "-n", "2", "--json"
    )
    assert json.loads(to_json(result)) == compared
    change = compared["reforms"]["dedicated-inspectors"]["change"]
    table = at.table[0].value
    rows = table[(table["Service"] == "food-licence") & (table["Metric"] == "red card")]
    shown = rows.iloc[0]["Change [95% CI, paired]"]
    assert shown == change_cell(change["services"]["food-licence"]["ever_red"], "share")
    assert "[" in shown  # the paired interval is shown with the change


def test_the_same_inputs_are_not_run_twice(monkeypatch):
    calls = []
    real = whatif.run_what_if

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(whatif, "run_what_if", counted)
    at = page(scenario="minimal")
    at.number_input(key="staff:minimal:window").set_value(3)
    at.number_input(key="reps:minimal").set_value(2)
    first = run_what_if(at)
    second = run_what_if(at)
    assert len(calls) == 1 and first is second
    at.number_input(key="seed:minimal").set_value(7)
    run_what_if(at)
    assert len(calls) == 2  # another seed is another result


def test_controls_moved_after_a_run_ask_for_another_run():
    at = page(scenario="minimal")
    at.number_input(key="staff:minimal:window").set_value(3)
    at.number_input(key="reps:minimal").set_value(2)
    run_what_if(at)
    assert len(at.table) == 2
    at.number_input(key="staff:minimal:window").set_value(4).run()
    assert not at.table  # the old figures are not shown under the new controls
    assert "press Run" in at.info[0].value


def test_nothing_changed_is_said_not_run():
    at = page(scenario="minimal")
    at.button(key="run").click().run()
    assert "Nothing to compare" in at.info[0].value
    assert not at.table


BAD = (
    "name: bad\nstart: 2026-03-02\nworking_days: 10\ndepartments: {window: {staff: 0}}\n"
    "services: {s: {limits: 5wd, arrivals: {per_day: 1}, steps: [{step: a, department: window}]}}\n"
)


def test_a_bad_upload_is_the_commands_one_line(tmp_path):
    path = tmp_path / "centre.yaml"
    path.write_text(BAD)
    done = slasim("validate", path)
    assert done.returncode == 2
    expected = done.stderr.strip().removeprefix("error: ").replace(str(path), "centre.yaml")
    at = page(scenario="upload:")
    at.file_uploader(key="scenario_upload").upload("centre.yaml", path.read_bytes()).run()
    assert not at.exception
    assert [e.value for e in at.error] == [expected]
    assert "\n" not in expected and "staff" in expected


def test_an_upload_that_is_not_yaml_is_one_line():
    at = page(scenario="upload:")
    at.file_uploader(key="scenario_upload").upload("centre.yaml", b"name: [unclosed\n").run()
    assert not at.exception
    (line,) = [e.value for e in at.error]
    assert line.startswith("centre.yaml: line ") and "invalid YAML" in line


def test_an_upload_over_the_cap_is_refused_unread(monkeypatch):
    monkeypatch.setattr(inputs, "MAX_UPLOAD_MB", 0.001)
    at = page(scenario="upload:")
    at.file_uploader(key="scenario_upload").upload("../../etc/big.yaml", b"#" * 2000).run()
    assert [e.value for e in at.error] == ["big.yaml: over 0.001 MB: not read"]


def test_an_uploaded_scenario_runs(tmp_path):
    text = (ROOT / "scenarios" / "minimal.yaml").read_bytes()
    at = page(scenario="upload:")
    at.file_uploader(key="scenario_upload").upload("mine.yaml", text).run()
    at.number_input(key="staff:mine.yaml:window").set_value(3)
    at.number_input(key="reps:mine.yaml").set_value(2)
    result = run_what_if(at)
    ran = cli_json("run", "minimal", "--set", "departments.window.staff=3", "-n", "2", "--json")
    assert json.loads(to_json(result))["reforms"]["what-if"]["summary"]["overall"] == ran["overall"]


def test_the_page_in_chinese_has_no_english_left_and_the_same_json():
    results = {}
    for lang in ("en", "zh"):
        whatif.RESULTS.results.clear()
        at = page(lang=lang, scenario="minimal")
        at.number_input(key="staff:minimal:window").set_value(3)
        at.number_input(key="reps:minimal").set_value(2)
        results[lang] = to_json(run_what_if(at))
        if lang == "zh":
            text = shown_texts(at)
            assert "红牌" in text and "工作日" in text
            # allowed: the names of the scenario's desk and service (from the file)
            assert english_left(text) == []
    assert results["zh"] == results["en"]


def test_the_language_follows_slasim_lang_by_default(monkeypatch):
    monkeypatch.setenv("SLASIM_LANG", "zh")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert at.sidebar.radio(key="lang").value == "zh"
    assert at.header[0].value == "假设分析"


def test_what_if_operations_are_the_reform_operations():
    data, _source = inputs.load_choice("district-centre")
    changes = whatif.Changes(
        staff=(("registry", 4), ("window", 3)),  # window unchanged: no operation
        volume=1.2,
        promised=(("real-estate", "3wd"), ("food-licence", "5wd")),
        reforms=("fewer-materials",),
    )
    assert whatif.operations(data, changes) == [
        {"staff": {"department": "registry", "staff": 4}},
        {"arrivals": {"scale": 1.2}},
        {"limits": {"service": "real-estate", "promised": "3wd"}},
    ]
    assert whatif.variant(data, changes) == ["fewer-materials", "what-if"]
    assert whatif.reform_name({"reforms": {"what-if": [], "what-if-2": []}}) == "what-if-3"


def test_the_server_binds_this_machine_unless_told(monkeypatch, capsys):
    from slasim.workbench import launch

    started = []

    class Server:
        def __init__(self, command, env):
            started.append((command, env))

        def wait(self, timeout=None):
            return 0

        def poll(self):
            return 0

    monkeypatch.setattr(launch.subprocess, "Popen", Server)
    done = slasim("app", ROOT / "scenarios" / "minimal.yaml")
    assert done.returncode == 0, done.stderr
    command, env = started[0]
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert command[command.index("--browser.gatherUsageStats") + 1] == "false"
    assert command[command.index("--server.maxUploadSize") + 1] == str(inputs.STREAMLIT_UPLOAD_MB)
    assert env[inputs.SCENARIOS_ENV] == str(ROOT / "scenarios" / "minimal.yaml")
    assert done.stderr == ""
    done = slasim("app", "--host", "0.0.0.0", "--port", "9000")
    assert done.returncode == 0
    assert done.stderr.startswith("warning: listening on 0.0.0.0: anyone")
    assert done.stderr.count("\n") == 1
    command, _env = started[1]
    assert command[command.index("--server.port") + 1] == "9000"


def test_a_missing_scenario_file_is_one_line():
    done = slasim("app", "no-such-centre.yaml")
    assert done.returncode == 2
    assert done.stderr.strip() == "error: no-such-centre.yaml: file not found"


# ---------------------------------------------------------------- the other pages
def test_the_deadline_page_is_the_commands_json_and_reasoning():
    at = page("deadline")
    expected = cli_json("deadline", "2025-09-26", "20wd", "--explain", "--json")
    assert at.session_state["deadline_result"] == expected
    assert [m.value for m in at.metric] == ["2025-10-30"]  # worked by hand in guide-deadlines.md
    assert "民法典 Art. 201" in at.code[0].value  # the day-by-day reasoning with its articles
    assert shlex.split(at.code[1].value) == [
        "slasim", "deadline", "2025-09-26", "20wd", "--calendar", "cn", "--explain"
    ]  # fmt: skip
    at.text_input(key="deadline_ext").set_value("10wd").run()
    longer = cli_json(
        "deadline", "2025-09-26", "20wd", "--extension", "10wd", "--explain", "--json"
    )
    assert at.session_state["deadline_result"] == longer


def test_a_bad_limit_on_the_deadline_page_is_the_commands_line():
    at = page("deadline")
    at.text_input(key="deadline_limit").set_value("20xx").run()
    done = slasim("deadline", "2025-09-26", "20xx")
    assert done.returncode == 2
    assert [e.value for e in at.error] == [done.stderr.strip().removeprefix("error: ")]


def test_the_deadline_page_in_chinese_shows_the_chinese_date(shown_page):
    at = shown_page("deadline", lang="zh")
    assert at.header[0].value == "到期日计算"
    assert [m.value for m in at.metric] == ["2025年10月30日 (2025-10-30)"]


def test_a_route_as_a_diagram_by_hand():
    from slasim.workbench.routes import route_dot

    service = {
        "steps": [
            {"step": "a", "department": "w", "supplement": {"probability": 0.2}},
            {"parallel": [[{"step": "b", "department": "x"}], [{"step": "c", "department": "y"}]]},
            {
                "branch": [
                    {"probability": 0.3, "steps": [{"step": "d", "delay": {}}]},
                    {"probability": 0.7},
                ]
            },
            {"step": "e", "department": "w", "special_procedure": {"probability": 0.25}},
        ]
    }
    lines = route_dot(service).splitlines()
    # nodes: n1 arrival, n2 a, n3 split, n4 b, n5 c, n6 join, n7 branch point, n8 d, n9 e, n10 end
    edges = {line.strip() for line in lines if "->" in line}
    assert edges == {
        "n1 -> n2;",
        'n2 -> n2 [label="supplement", style="dashed"];',
        "n2 -> n3;",
        "n3 -> n4;",
        "n3 -> n5;",
        "n4 -> n6;",
        "n5 -> n6;",
        "n6 -> n7;",
        'n7 -> n8 [label="30%"];',
        "n8 -> n9;",
        'n7 -> n9 [label="70%"];',  # the branch of no steps goes straight on with its share
        'n9 -> n9 [label="special procedure 25%", style="dotted"];',
        "n9 -> n10;",
    }
    assert 'n3 [label="+", shape="diamond"];' in {line.strip() for line in lines}


def test_the_centre_page_draws_each_services_route(shown_page):
    at = shown_page("centre", scenario="district-centre")
    charts = at.get("graphviz_chart")
    assert len(charts) == 3  # food-licence, enterprise-change, real-estate
    food = charts[0].proto.spec
    assert "supplement" in food and "special procedure 20%" in food
    assert "site-check\\n(inspection)" in food
    departments = at.table[0].value
    assert list(departments["Department"])[:3] == ["window", "market", "inspection"]
    assert list(departments["Staff"])[:3] == ["3", "3", "3"]


def test_the_staff_page_is_staffs_json():
    at = page("staff", scenario="minimal")
    at.number_input(key="staff_budget:minimal").set_value(200)
    at.button(key="staff_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    expected = cli_json("staff", "minimal", "--target", "red<=1%", "--budget", "200", "--json")
    assert json.loads(to_json(at.session_state["staff_result"])) == expected
    assert [(m.label, m.value) for m in at.metric] == [("window", "2")]
    command = shlex.split(at.code[-1].value)
    assert command[:5] == ["slasim", "staff", "minimal", "--target", "red<=1%"]


def test_the_week_page_is_forecasts_json():
    at = page("week", scenario="district-centre")
    at.number_input(key="week_reps").set_value(2)
    at.button(key="week_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    open_cases = ROOT / "scenarios" / "open-cases" / "district-centre.yaml"
    expected = cli_json("forecast", "district-centre", "--open", open_cases, "-n", "2", "--json")
    assert json.loads(json.dumps(at.session_state["week_result"])) == expected
    table = at.table[0].value
    assert list(table["Case"])[:2] == [c["id"] for c in expected["cases"][:2]]


def test_a_bad_open_cases_upload_is_one_line():
    at = page("week", scenario="district-centre")
    at.file_uploader(key="open_upload").upload("today.yaml", b"as_of: 2025-10-15T10:00\ncases: 3\n")
    at.button(key="week_run").click().run()
    assert not at.exception
    (line,) = [e.value for e in at.error]
    assert line.startswith("today.yaml: ") and "\n" not in line and "slasim-upload" not in line


LOG = ROOT / "scenarios" / "logs" / "loanapp-sample.csv"


def test_the_log_page_fits_scores_and_hands_the_centre_on(tmp_path):
    import yaml

    at = page("log")
    at.file_uploader(key="log_upload").upload("loanapp-sample.csv", LOG.read_bytes()).run()
    at.number_input(key="log_reps").set_value(2)
    at.button(key="log_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    kept = at.session_state["log_fit"]
    fitted = tmp_path / f"{kept['data']['name']}.yaml"
    done = slasim("fit", LOG, "--out", fitted)  # office hours from the log: fit's default
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(kept["text"]) == yaml.safe_load(fitted.read_text(encoding="utf-8"))
    office = fitted.with_name(f"{fitted.stem}-office.toml")
    assert kept["office_text"] == office.read_text(encoding="utf-8")
    fit_command = shlex.split(next(c.value for c in at.code if c.language == "bash"))
    assert fit_command[:3] == ["slasim", "fit", "loanapp-sample.csv"]
    assert "--office-hours" not in fit_command
    assert at.get("download_button")[1].proto.label.endswith("(TOML, beside the scenario)")
    if kept["verdict"] is not None:
        scored = cli_json("fidelity", fitted, LOG, "--reps", "2", "--json")
        page_verdict = json.loads(to_json(kept["verdict"]))
        assert page_verdict["measures"] == scored["measures"]
        assert "slasim-upload" not in to_json(kept["verdict"])
    at.button(key="log_use").click().run()
    at.sidebar.radio(key="page").set_value("centre").run()
    assert at.selectbox(key="scenario").value == "fitted:"
    assert len(at.get("graphviz_chart")) == len(kept["data"]["services"])
    # This week forecasts the same log's open cases on the fitted centre, as forecast --log does
    at.sidebar.radio(key="page").set_value("week").run()
    at.radio(key="week_from").set_value("log").run()
    assert any("loanapp-sample.csv" in c.value for c in at.main.caption)
    at.number_input(key="week_reps").set_value(2)
    at.text_input(key="week_horizon").set_value("2wd")
    at.text_input(key="week_as_of:log").set_value("2023-02-15T10:00")
    at.button(key="week_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    command = shlex.split(at.code[-1].value)
    assert command[3:5] == ["--log", "loanapp-sample.csv"]
    command[2], command[4] = str(fitted), str(LOG)
    expected = cli_json(*command[1:], "--json")
    expected["snapshot"]["log"] = "loanapp-sample.csv"
    assert json.loads(json.dumps(at.session_state["week_result"])) == expected


def test_a_log_that_is_not_a_log_is_one_line():
    at = page("log")
    at.file_uploader(key="log_upload").upload("notes.csv", b"a,b\n1,2\n").run()
    at.button(key="log_run").click().run()
    assert not at.exception
    (line,) = [e.value for e in at.error]
    assert line.startswith("notes.csv") and "\n" not in line and "slasim-upload" not in line


@pytest.mark.parametrize("name", ["whatif", "centre", "staff", "log", "week", "deadline"])
def test_every_page_in_chinese_leaves_no_english(name, shown_page):
    at = shown_page(name, lang="zh")
    assert not at.exception and not at.error
    data, _source = inputs.load_choice("district-centre")
    # allowed: the chosen scenario's own description, a text from its file (shown as written)
    reports = "\n".join(c.value for c in at.code if c.language == "plaintext")
    text = shown_texts(at) + "\n" + reports
    assert english_left(text, allowed=[data["description"]]) == []
    assert at.sidebar.radio(key="page").label == "页面"


def test_the_open_cases_by_day_are_runs_timelines(tmp_path):
    at = page(scenario="minimal")
    at.number_input(key="staff:minimal:window").set_value(3)
    at.number_input(key="reps:minimal").set_value(2)
    at.checkbox(key="by_day:minimal").set_value(True)
    run_what_if(at)
    days = at.session_state["whatif"][2]
    slasim("run", "minimal", "--reps", "1", "--out", tmp_path / "base", "-q")
    base = json.loads((tmp_path / "base" / "summary.json").read_text(encoding="utf-8"))
    assert days["baseline"] == base["timeline"]
    data, source = inputs.load_choice("minimal")
    applied = tmp_path / "minimal-what-if-applied.yaml"
    changes = whatif.Changes(staff=(("window", 3),))
    applied.write_text(whatif.applied_yaml(data, changes, source), encoding="utf-8")
    slasim("run", applied, "--reps", "1", "--out", tmp_path / "what-if", "-q")
    other = json.loads((tmp_path / "what-if" / "summary.json").read_text(encoding="utf-8"))
    assert days["what_if"] == other["timeline"]
    assert days["what_if"] != days["baseline"]
    out = tmp_path / "set"
    slasim("run", "minimal", "--set", "departments.window.staff=3", "-n", "1", "--out", out, "-q")
    ran = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (other["overall"], other["timeline"]) == (ran["overall"], ran["timeline"])


def test_what_would_prevent_it_is_the_forecast_with_the_staff_set():
    at = page("week", scenario="district-centre")
    at.number_input(key="week_reps").set_value(2)
    at.number_input(key="week_staff:district-centre:market").set_value(5)
    at.button(key="week_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    command = shlex.split(at.code[0].value)
    assert command[-3:] == ["--set", "departments.market.staff=5", "--json"]
    expected = cli_json(*command[1:])
    assert json.loads(json.dumps(at.session_state["week_other"])) == expected
    today = at.session_state["week_result"]
    shown = at.table[0].value
    assert list(shown["Today's staff"]) == [
        f"{today['expected'][k]:.1f}" for k in ("yellow", "red")
    ]
    assert list(shown["Staff set"]) == [f"{expected['expected'][k]:.1f}" for k in ("yellow", "red")]


def cheapest_change_page(snapshot, lang: str) -> AppTest:
    """This week on the shipped M/M/3 desk with `snapshot` uploaded, the search for red<=6 run
    (4 replications, seed 7, 2 working days)."""
    at = page("week", lang=lang, scenario="mmc-always")
    at.file_uploader(key="open_upload").upload("today.json", snapshot.read_bytes()).run()
    at.number_input(key="week_reps").set_value(4)
    at.number_input(key="week_seed").set_value(7)
    at.text_input(key="week_horizon").set_value("2wd")
    at.checkbox(key="week_prevent").check().run()
    at.number_input(key="week_prevent_bound").set_value(6)
    at.button(key="week_run").click().run()
    return at


def test_the_cheapest_change_is_forecast_prevents_json(tmp_path):
    # The shipped M/M/3 desk with 3 in service and 12 waiting, received an hour before the
    # snapshot (tests/test_forecast_prevent_target.py works out that reds come without a change):
    # the page's search equals `forecast --prevent red<=6`, and shows its lines.
    from slasim.forecast.report import prevent_lines

    base = {"service": "request", "step": "serve", "received": at_minutes(-60)}
    cases = [
        {"id": f"s{i}", **base, "state": "in_service", "since": at_minutes(-30)} for i in (1, 2, 3)
    ]
    cases += [{"id": f"w{i:02d}", **base, "position": i} for i in range(1, 13)]
    snapshot = write_snapshot(tmp_path, cases)
    at = cheapest_change_page(snapshot, "en")
    assert not at.exception and not at.error, [e.value for e in at.error]
    command = shlex.split(at.code[1].value)
    assert command[-2:] == ["--prevent", "red<=6"]
    expected = cli_json("forecast", "mmc-always", "--open", snapshot, *command[5:], "--json")
    assert json.loads(json.dumps(at.session_state["week_result"])) == expected
    assert expected["prevent"]["target"] == "red<=6" and expected["prevent"]["needed"]
    # shown as the command prints it: its lines are the text output's (same random numbers)
    printed = slasim("forecast", "mmc-always", "--open", snapshot, *command[5:])
    assert at.code[0].value in printed.stdout
    assert at.code[0].value == "\n".join(prevent_lines(expected["prevent"]))
    zh = cheapest_change_page(snapshot, "zh")
    assert not zh.exception and not zh.error
    assert english_left(shown_texts(zh) + "\n" + zh.code[0].value) == []


def test_the_staff_and_week_results_in_chinese_leave_no_english():
    at = page("staff", lang="zh", scenario="minimal")
    at.number_input(key="staff_budget:minimal").set_value(200)
    at.button(key="staff_run").click().run()
    week = page("week", lang="zh", scenario="district-centre")
    week.number_input(key="week_reps").set_value(2)
    week.number_input(key="week_staff:district-centre:market").set_value(5)
    week.button(key="week_run").click().run()
    for done in (at, week):
        assert not done.exception and not done.error
        # the reports the commands print (plain text), not the command lines (bash)
        reports = "\n".join(c.value for c in done.code if c.language == "plaintext")
        assert reports and english_left(shown_texts(done) + "\n" + reports) == []
    assert "红牌" in shown_texts(week)


def test_without_the_app_extra_slasim_app_says_how_to_install_it(monkeypatch):
    from slasim.workbench import launch

    monkeypatch.setattr(launch, "find_spec", lambda name: None)
    done = slasim("app")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: slasim app needs the optional extra (missing: streamlit): pip install 'slasim[app]'"
    )


def test_the_page_reads_only_the_files_it_was_given(monkeypatch, tmp_path):
    given = tmp_path / "mine.yaml"
    given.write_text((ROOT / "scenarios" / "minimal.yaml").read_text(encoding="utf-8"))
    monkeypatch.setenv(inputs.SCENARIOS_ENV, str(given))
    choices = inputs.scenario_choices()
    assert choices[0] == f"file:{given}" and "district-centre" in choices
    data, source = inputs.load_choice(f"file:{given}")
    assert (data["name"], source) == ("minimal", str(given))
    with pytest.raises(Exception, match="not a scenario this page was given"):
        inputs.load_choice("file:/etc/passwd")
    assert inputs.safe_name("../../etc/passwd") == "passwd"
    assert inputs.safe_name("C:\\Users\\me\\centre.yaml") == "centre.yaml"


# ---------------------------------------------------------------- review fixes (issue 31)
SECRET = 'name = "secret"\ntoken = "do-not-show-me"\n[hours]\nx = 1\n'


@pytest.mark.parametrize("how", ["absolute", "relative"])
def test_an_upload_cannot_open_or_probe_a_calendar_file(tmp_path, how, monkeypatch):
    secret = tmp_path / "x" / "creds.toml"
    secret.parent.mkdir()
    secret.write_text(SECRET)
    opened = []
    real = Path.read_text

    def watched(self, *args, **kwargs):
        opened.append(self.name)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", watched)
    name = str(secret) if how == "absolute" else "../../../../../../.." + str(secret)
    lines = []
    for calendar in (name, str(tmp_path / "x" / "missing.toml")):
        text = (ROOT / "scenarios" / "minimal.yaml").read_text(encoding="utf-8")
        text = f"calendar: {json.dumps(calendar)}\n" + text.replace("calendar:", "old_calendar:")
        at = page(scenario="upload:")
        at.file_uploader(key="scenario_upload").upload("centre.yaml", text.encode()).run()
        assert not at.exception
        (line,) = [e.value for e in at.error]
        lines.append(line)
    # the same line whether the file exists or not: nothing to probe, nothing echoed
    assert lines[0] == lines[1]
    assert lines[0].startswith("centre.yaml: calendar: an uploaded scenario names its calendar")
    assert "cn" in lines[0]
    for leak in ("creds", "secret", "do-not-show", str(tmp_path), "not found", "2 "):
        assert leak not in lines[0]
    assert "creds.toml" not in opened


def test_an_upload_naming_a_shipped_calendar_runs():
    text = (ROOT / "scenarios" / "minimal.yaml").read_text(encoding="utf-8")
    assert "\ncalendar: cn " in text  # a name: allowed
    at = page(scenario="upload:")
    at.file_uploader(key="scenario_upload").upload("mine.yaml", text.encode()).run()
    assert not at.exception and not at.error


MALFORMED = {
    "departments: {w: 3}": "departments.w",
    "arrivals: 1": "arrivals",
    "no step name": "step",
}


def malformed(kind: str) -> str:
    head = "name: bad\nstart: 2026-03-02\nworking_days: 10\n"
    step = "{department: w}" if kind == "no step name" else "{step: a, department: w}"
    departments = "{w: 3}" if kind.startswith("departments") else "{w: {staff: 1}}"
    arrivals = "1" if kind == "arrivals: 1" else "{per_day: 1}"
    return (
        f"{head}departments: {departments}\n"
        f"services: {{s: {{limits: 5wd, arrivals: {arrivals}, steps: [{step}]}}}}\n"
    )


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_a_malformed_given_file_is_its_one_line_on_every_page(tmp_path, monkeypatch, kind):
    path = tmp_path / "bad.yaml"
    path.write_text(malformed(kind))
    done = slasim("validate", path)
    assert done.returncode == 2
    expected = done.stderr.strip().removeprefix("error: ")
    assert MALFORMED[kind] in expected
    monkeypatch.setenv(inputs.SCENARIOS_ENV, str(path))
    for name in ("centre", "whatif", "staff", "week"):
        at = page(name)
        assert not at.exception, (name, at.exception)
        assert [e.value for e in at.error] == [expected], name


def test_a_bug_in_a_page_is_one_line_not_a_traceback(monkeypatch):
    from slasim.workbench import routes

    def broken(spec):
        raise KeyError("step")

    monkeypatch.setattr(routes, "route_dot", broken)
    at = page("centre", scenario="minimal")
    assert not at.exception
    assert [e.value for e in at.error] == ["slasim failed (KeyError): 'step'"]


def test_an_upload_over_the_real_cap_gets_slasims_line_not_streamlits():
    from slasim.workbench import launch

    command = launch.server_command("127.0.0.1", 8501)
    streamlit_mb = float(command[command.index("--server.maxUploadSize") + 1])
    assert streamlit_mb > inputs.MAX_UPLOAD_MB == 20
    size = inputs.MAX_UPLOAD_MB * 2**20 + 1  # one byte over slasim's cap, under Streamlit's
    assert size <= streamlit_mb * 2**20
    at = page(scenario="upload:")
    at.file_uploader(key="scenario_upload").upload("big.yaml", b"#" * size).run()
    assert [e.value for e in at.error] == ["big.yaml: over 20 MB: not read"]


def test_the_server_asks_nothing_of_other_machines_and_shows_no_traceback():
    from slasim.workbench import launch

    for host, shown in (("0.0.0.0", "localhost"), ("127.0.0.1", "127.0.0.1")):
        command = launch.server_command(host, 8501)
        assert command[command.index("--browser.serverAddress") + 1] == shown
        assert command[command.index("--client.showErrorDetails") + 1] == "none"
    # every option given is one Streamlit 1.x knows
    from streamlit import config

    options = command[command.index("--server.address") :: 2]
    assert all(o.removeprefix("--") in config._config_options for o in options), options


def test_a_host_that_does_not_resolve_is_one_line(monkeypatch):
    from slasim.workbench import launch

    monkeypatch.setattr(launch.subprocess, "Popen", lambda *a, **k: pytest.fail("started"))
    done = slasim("app", "--host", "nonsense.invalid")
    assert done.returncode == 2
    assert done.stderr.strip() == "error: --host: cannot resolve the address 'nonsense.invalid'"


def test_the_staff_result_is_kept_by_its_inputs():
    at = page("staff", scenario="minimal")
    at.number_input(key="staff_budget:minimal").set_value(200)
    at.button(key="staff_run").click().run()
    assert [(m.label, m.value) for m in at.metric] == [("window", "2")]
    at.text_area(key="staff_targets:minimal").set_value("red<=0.1%").run()
    assert not at.metric and not at.code  # no old answer under a command of new targets
    assert "press Search" in at.info[0].value
    at.text_area(key="staff_targets:minimal").set_value("red<=1%").run()
    assert [(m.label, m.value) for m in at.metric] == [("window", "2")]


def test_this_weeks_results_stay_on_the_next_interaction():
    at = page("week", scenario="district-centre")
    at.number_input(key="week_reps").set_value(2)
    at.button(key="week_run").click().run()
    cases = list(at.table[0].value["Case"])
    at.run()  # any other interaction (a download, a rerun) draws the kept result again
    assert list(at.table[0].value["Case"]) == cases
    at.sidebar.radio(key="lang").set_value("zh").run()
    assert len(at.table[0].value) == len(cases) and at.header[0].value == "本周预警"
    at.text_input(key="week_horizon").set_value("5wd").run()
    assert not at.table and at.info  # new inputs: the old result is not shown under them


FITTED_LOANAPP = ROOT / "scenarios" / "fitted" / "loanapp.yaml"


def test_this_week_from_a_case_log_is_forecast_logs_json(monkeypatch):
    monkeypatch.setenv(inputs.SCENARIOS_ENV, str(FITTED_LOANAPP))
    at = page("week")
    at.radio(key="week_from").set_value("log").run()
    assert "Upload a case log" in at.info[0].value  # none uploaded, none fitted yet
    at.file_uploader(key="week_log_upload").upload("our log.csv", LOG.read_bytes()).run()
    at.number_input(key="week_reps").set_value(2)
    at.text_input(key="week_horizon").set_value("2wd")
    at.button(key="week_run").click().run()
    assert [e.value for e in at.error] == ["--as-of: give the snapshot instant of the log: --as-of"]
    at.text_input(key="week_as_of:log").set_value("2023-02-15T10:00")
    at.button(key="week_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    command = shlex.split(at.code[-1].value)
    assert command[:6] == [
        "slasim",
        "forecast",
        str(FITTED_LOANAPP),
        "--log",
        "our log.csv",
        "--as-of",
    ]
    command[command.index("our log.csv")] = str(LOG)
    expected = cli_json(*command[1:], "--json")
    assert expected["snapshot"]["log"] == str(LOG)
    expected["snapshot"]["log"] = "our log.csv"  # the upload is named as the planner named it
    assert json.loads(json.dumps(at.session_state["week_result"])) == expected
    assert expected["cases"]  # the log has open cases at that instant


def test_the_log_page_fits_on_the_calendars_office_hours_when_chosen(tmp_path):
    import yaml

    at = page("log")
    at.file_uploader(key="log_upload").upload("loanapp-sample.csv", LOG.read_bytes()).run()
    at.selectbox(key="log_office").set_value("calendar")
    at.number_input(key="log_reps").set_value(2)
    at.button(key="log_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    kept = at.session_state["log_fit"]
    command = shlex.split(next(c.value for c in at.code if c.language == "bash"))
    assert command[-4:-2] == ["--office-hours", "calendar"]
    fitted = tmp_path / command[-1]
    command[2], command[-1] = str(LOG), str(fitted)
    done = slasim(*command[1:])
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(kept["text"]) == yaml.safe_load(fitted.read_text(encoding="utf-8"))
    assert kept["office_text"] is None and not list(tmp_path.glob("*.toml"))


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def test_the_charts_axes_are_readable(inspectors_run):
    at, _result = inspectors_run
    (cards,) = chart_specs(at)
    x, y = cards["encoding"]["x"], cards["encoding"]["y"]
    # percentages to a tenth (".0%" printed 0%, 0%, 1%, 1% on a 0–1% axis), ticks 0.1% apart at least
    assert x["axis"] == {"format": ".1%", "tickMinStep": 0.001}
    assert y["axis"]["labelLimit"] >= len("enterprise-change · yellow card") * 10  # whole labels
    staff = page("staff", scenario="minimal")
    staff.text_area(key="staff_targets:minimal").set_value("red<=0.5%")
    staff.number_input(key="staff_budget:minimal").set_value(200)
    staff.button(key="staff_run").click().run()
    assert not staff.exception and not staff.error, [e.value for e in staff.error]
    (frontier,) = chart_specs(staff)
    y = frontier["encoding"]["y"]
    assert y["axis"]["format"] == ".1%"  # a share, in percent, not a raw fraction
    assert y["title"] == "red<=0.5%: estimate (mean over replications)"
    assert y["field"] == "estimate"  # the dot of 0.5% is not read as a nested field


def test_the_reform_chooser_speaks_the_pages_language(shown_page):
    at = shown_page("staff", lang="zh", scenario="minimal")  # minimal has no reforms
    assert at.multiselect[0].proto.placeholder == "该情景未设改革措施"
    at = shown_page("staff", lang="zh")  # the page as it opens, on district-centre
    assert at.selectbox(key="scenario").value == "district-centre"
    assert at.multiselect[0].proto.placeholder == "选择改革措施"


def test_a_staff_control_says_what_a_switched_on_reform_makes_of_its_desk():
    at = page(scenario="district-centre")
    assert not [c for c in at.main.caption if "reforms switched on" in c.value]
    at.toggle(key="reform:district-centre:dedicated-inspectors").set_value(True).run()
    # the reform adds 2 inspectors to the file's 3 (scenarios/district-centre.yaml)
    shown = [c.value for c in at.main.caption if "reforms switched on" in c.value]
    assert shown == ["with the reforms switched on: 5"]
    assert at.number_input(key="staff:district-centre:inspection").value == 3
    at.number_input(key="staff:district-centre:inspection").set_value(4).run()
    assert not [c for c in at.main.caption if "reforms switched on" in c.value]  # set: it rules


def test_this_week_from_a_log_in_chinese_leaves_no_english(monkeypatch):
    monkeypatch.setenv(inputs.SCENARIOS_ENV, str(FITTED_LOANAPP))
    at = page("week", lang="zh")
    at.radio(key="week_from").set_value("log").run()
    assert "请上传案例日志" in at.info[0].value
    at.file_uploader(key="week_log_upload").upload("our log.csv", LOG.read_bytes()).run()
    at.button(key="week_run").click().run()
    assert [e.value for e in at.error] == ["--as-of: 请给出日志的快照时点：--as-of"]
    assert english_left(shown_texts(at)) == []


def test_the_first_numbers_are_compares_with_two_and_the_final_is_the_one_shot_run():
    # Replication r draws from the seed's children keyed by r alone, so the first chunk is
    # `compare` with 2 replications and the whole run is `compare` with 7, byte for byte (7:
    # the last 5 are enough work for a pool, so the chunk run on processes is covered too).
    data, source = inputs.load_choice("district-centre")
    changes = whatif.Changes(staff=(("registry", 4),), reforms=("dedicated-inspectors",))
    early, done = [], []
    result = whatif.run_what_if(data, source, changes, 7, 3, done.append, early.append)
    assert len(early) == 1 and done == list(range(1, 15))
    command = whatif.cli_args("district-centre", data, changes, 7, 3)
    assert command[:3] == ["slasim", "compare", "district-centre"]
    ran = slasim(*command[1:])
    assert ran.returncode == 0, ran.stderr
    assert to_json(result) == ran.stdout.strip()
    first = slasim(*whatif.cli_args("district-centre", data, changes, 2, 3)[1:])
    assert to_json(early[0]) == first.stdout.strip()
    assert early[0]["baseline"]["replications"] == 2


def test_the_first_numbers_are_drawn_marked_and_stopping_after_them_keeps_nothing(monkeypatch):
    import streamlit as st

    from slasim.workbench import page_whatif

    drawn = page_whatif.show_interim

    def stop_after(result, reps):  # the planner presses Stop once the first numbers are in
        drawn(result, reps)
        st.stop()

    monkeypatch.setattr(page_whatif, "show_interim", stop_after)
    at = page(scenario="minimal")
    at.number_input(key="staff:minimal:window").set_value(3)
    at.number_input(key="reps:minimal").set_value(5)
    at.button(key="run").click().run()
    assert not at.exception, at.exception
    marked = "2 of 5 replications, intervals still wide: the table is replaced when all have run"
    assert marked in [c.value for c in at.caption]
    data, _source = inputs.load_choice("minimal")
    changes = whatif.Changes(staff=(("window", 3),))
    early = cli_json(*whatif.cli_args("minimal", data, changes, 2, data["seed"])[1:])
    change = early["reforms"]["what-if"]["change"]["overall"]["lead_time_wd_mean"]
    (table,) = at.table
    row = table.value[table.value["Metric"] == "lead time, working days (mean)"].iloc[0]
    assert row["Change [95% CI, paired]"] == change_cell(change, "number")
    assert "whatif" not in at.session_state and not whatif.RESULTS.results  # nothing kept

    monkeypatch.setattr(page_whatif, "show_interim", drawn)
    result = run_what_if(at)  # pressed again: runs to the end, the first numbers replaced
    assert result["baseline"]["replications"] == 5
    assert len(at.table) == 2 and "intervals still wide" not in shown_texts(at)
    command = shlex.split(at.code[0].value)
    assert slasim(*command[1:]).stdout.strip() == to_json(result)


def test_the_first_numbers_in_chinese_leave_no_english(monkeypatch):
    import streamlit as st

    from slasim.workbench import page_whatif

    drawn = page_whatif.show_interim

    def stop_after(result, reps):
        drawn(result, reps)
        st.stop()

    monkeypatch.setattr(page_whatif, "show_interim", stop_after)
    at = page(lang="zh", scenario="minimal")
    at.number_input(key="staff:minimal:window").set_value(3)
    at.number_input(key="reps:minimal").set_value(3)
    at.button(key="run").click().run()
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption]
    assert "已完成 3 次重复中的 2 次，置信区间仍较宽；全部完成后以最终结果替换本表" in captions
    assert "初步结果" in [h.value for h in at.subheader]
    # allowed: the names of the scenario's desk and service (from the file)
    assert english_left(shown_texts(at)) == []


def test_the_warm_up_imports_each_module_named_past_one_that_fails(tmp_path, monkeypatch):
    import sys

    for name in ("warmed_a", "warmed_b"):
        (tmp_path / f"{name}.py").write_text("LOADED = True\n", encoding="utf-8")
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    whatif.warm_up("warmed_a", "warmed_missing", "warmed_b").join(timeout=60)
    assert sys.modules["warmed_a"].LOADED and sys.modules["warmed_b"].LOADED
    assert "warmed_missing" not in sys.modules
    monkeypatch.delitem(sys.modules, "warmed_a")
    monkeypatch.delitem(sys.modules, "warmed_b")


def test_a_stop_while_the_rest_runs_on_processes_keeps_the_first_numbers_only(monkeypatch):
    import multiprocessing

    import streamlit as st

    import slasim.sim.runner
    from slasim.sim.parallel import default_workers

    real = slasim.sim.runner.replicate
    pooled = []

    def replicate(plan, replications, seed, progress=None, *, workers=1, scheduler=None, first=0):
        if first == 0:
            return real(plan, replications, seed, progress, workers=workers, first=first)
        pooled.append(workers)

        def stop(done):  # Stop pressed once the pool's first replication is in
            progress(done)
            st.stop()

        return real(plan, replications, seed, stop, workers=workers, first=first)

    monkeypatch.setattr(slasim.sim.runner, "replicate", replicate)
    at = page(scenario="district-centre")
    at.number_input(key="staff:district-centre:registry").set_value(4)
    at.number_input(key="reps:district-centre").set_value(7)
    at.button(key="run").click().run()
    assert not at.exception, at.exception
    assert pooled and (pooled[0] > 1 or default_workers() == 1)  # the rest on processes
    assert len(at.table) == 1  # the first numbers, still marked as such
    assert "2 of 7 replications, intervals still wide" in shown_texts(at)
    assert "whatif" not in at.session_state and not whatif.RESULTS.results
    assert not multiprocessing.active_children()  # the pool's workers ended with the run


def test_the_what_if_page_warns_as_compare_of_receipts_on_open_saturdays(cli):
    """The what-if's warnings are the command line's: on the Saturday-service calendar, minimal's
    one service takes a working day's receipts on each open Saturday (no `sat` factor)."""
    data, source = inputs.load_choice("minimal")
    data = {**data, "calendar": "cn-example-saturday"}
    prepared = whatif.prepare(data, source, whatif.Changes(staff=(("window", 3),)))
    lines = [str(line) for line in whatif.load_warnings(prepared)]
    assert lines[0].startswith("services.permit.arrivals: calendar 'cn-example-saturday' opens")
    code, _, err = cli("run", "minimal", "--set", "calendar=cn-example-saturday", "-n", "1")
    assert code == 0 and lines[0] in err
