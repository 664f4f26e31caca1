"""Hostile paths and edge inputs: writers never replace anything but a regular file, and a zero
natural-day wait (round-off in the calendar conversion) never runs time backwards."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slasim.scenario.schema import Scenario
from slasim.sim.runner import run_scenario

from .helpers import HAND_WORKED, SHIPPED_CHECKS, slasim


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_writers_refuse_special_targets_before_running(tmp_path, kind):
    target = tmp_path / "target"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.mkdir()
    for args in (
        ["check", *SHIPPED_CHECKS, "--junit-xml", target],
        ["run", "mmc-always", "--reps", "2", "--event-log", target],
        ["sweep", "mmc-always", "--vary", "departments.desk.staff=3,4", "--csv", target],
    ):
        code, out, err = slasim(*args)
        assert code == 2 and err.count("\n") == 1 and str(target) in err, (args, err)
        assert out == ""  # refused before any work
    assert target.is_dir() if kind == "directory" else target.is_fifo()
    assert not list(tmp_path.glob(".*.tmp"))


def test_dev_null_is_never_replaced():
    code, _, err = slasim("check", *SHIPPED_CHECKS, "--junit-xml", "/dev/null")
    assert code == 2 and "not a regular file" in err
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")


@pytest.mark.parametrize("calendar", ["cn", "always"])
@pytest.mark.parametrize("unit", ["d", "wd"])
def test_zero_waits_run_on_every_calendar_kind(calendar, unit):
    data = copy.deepcopy(HAND_WORKED)
    data["calendar"] = calendar
    data["engine"] = "simpy"
    data["working_days"] = 20
    data["services"]["licence"]["arrivals"] = {"per_day": 20}  # Poisson: fractional instants
    data["departments"]["desk"]["staff"] = 3
    data["services"]["licence"]["steps"][0]["work"] = {"exponential": 15}
    data["services"]["licence"]["steps"][0]["supplement"] = {
        "probability": 0.5,
        "response": {"fixed": 0, "unit": unit},
    }
    data["services"]["licence"]["steps"].append(
        {"step": "wait", "delay": {"fixed": 0, "unit": unit}}
    )
    result = run_scenario(Scenario.model_validate(data), replications=3, workers=1)
    assert result["services"]["licence"]["decided"]["mean"] > 0


def test_a_fifo_or_device_as_input_is_refused_not_read(tmp_path):
    fifo = tmp_path / "scenario.yaml"
    os.mkfifo(fifo)
    for args in (["validate", fifo], ["run", fifo], ["check", fifo], ["run", "/dev/zero"]):
        code, _, err = slasim(*args)
        assert code == 2 and "not a regular file" in err, (args, err)


def test_a_bug_is_one_line_and_exit_70_with_the_traceback_on_debug(monkeypatch):
    import slasim.clock.deadline as deadline

    def broken(*args, **kwargs):
        raise ZeroDivisionError("planted")

    monkeypatch.setattr(deadline, "compute_deadline", broken)
    code, _, err = slasim("deadline", "2025-09-26", "20wd")
    assert code == 70 and err.count("\n") == 1 and "unexpected ZeroDivisionError: planted" in err
    with pytest.raises(ZeroDivisionError):
        slasim("deadline", "2025-09-26", "20wd", "--debug")


def test_run_compare_sweep_refuse_what_validate_refuses(tmp_path):
    import yaml

    from .helpers import ROOT

    data = yaml.safe_load((ROOT / "scenarios/mmc-always.yaml").read_text(encoding="utf-8"))
    data["reforms"] = {"broken": [{"staff": {"department": "nope", "staff": 2}}]}
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "results"
    for args in (
        ["validate", path],
        ["run", path, "--reps", "2", "--out", out],
        ["compare", path, "--reps", "2", "-r", "broken"],
        ["sweep", path, "--vary", "departments.desk.staff=3,4", "--reps", "2"],
        ["staff", path, "-t", "past_promised<=10%"],
    ):
        code, _, err = slasim(*args)
        assert code == 2 and "reforms.broken" in err and "nope" in err, (args, err)
    assert not out.exists()


@pytest.mark.parametrize(
    "name, text, where",
    [
        ("dup.yaml", "name: x\nseed: 1\nseed: 99\n", "line 3: invalid YAML: duplicate key 'seed'"),
        ("dup.json", '{"name": "x", "seed": 1, "seed": 99}', "invalid JSON: duplicate key 'seed'"),
        ("deep.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_duplicate_keys_and_deep_nesting_are_refused(tmp_path, name, text, where):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    code, _, err = slasim("validate", path)
    assert code == 2 and err.count("\n") == 1 and where in err, err


@pytest.mark.parametrize(
    "accepted", ["2025-09-26T10:00:00Z", "2025-09-25T22:00:00-12:00", "2025-09-26T18:00:00+08:00"]
)
def test_utc_offsets_mean_the_same_instant_in_check_files_and_deadline(tmp_path, accepted):
    # All three are 18:00 in Shanghai on Fri 26 Sep 2025: after the 17:30 close, so deemed at the
    # next opening, and 20 working days then end on 31 Oct (not 30 Oct, as 10:00 local would).
    code, out, _ = slasim("deadline", accepted, "20wd", "--json")
    assert code == 0 and json.loads(out)["due_date"] == "2025-10-31"
    path = tmp_path / "check.yaml"
    path.write_text(
        f"cases:\n  - name: c\n    accepted: {accepted}\n    limit: 20wd\n"
        "    expect: {due: 2025-10-31}\n",
        encoding="utf-8",
    )
    code, out, _ = slasim("check", path)
    assert code == 0, out


def test_the_event_log_is_the_same_byte_for_byte_run_after_run(tmp_path):
    """Cases open at the end that were received at the same instant (online receipts released at
    the opening) are written in case order, not in the order of a set of objects."""
    from .helpers import slasim_process

    logs = []
    for k in range(2):
        path = tmp_path / f"events-{k}.csv"
        out = slasim_process(
            "run",
            "district-centre",
            "--reps",
            "1",
            "-q",
            "--set",
            "working_days=40",
            "--event-log",
            path,
        )
        assert out.returncode == 0, out.stderr
        logs.append(path.read_bytes())
    assert logs[0] == logs[1]


def _deadline_on(tmp_path, calendar_text: str) -> list:
    """`deadline` arguments on a calendar file written from text."""
    path = tmp_path / "cal.toml"
    path.write_text(calendar_text, encoding="utf-8")
    return ["deadline", "2025-09-26", "20wd", "-c", path]


@pytest.mark.parametrize(
    "args, words",
    [
        (lambda p: ["calendar", "show", "cn", "--year", "99999"], "--year: not a year: 99999"),
        (lambda p: ["calendar", "show", "cn", "--year", "-1"], "--year: not a year: -1"),
        (
            lambda p: ["run", "mmc-always", "--set", "seed=!!python/object:os.system ls"],
            "--set seed: not a plain YAML value",
        ),
        (
            lambda p: ["sweep", "mmc-always", "--vary", "departments.desk.staff=1..5:1e-9"],
            "4,000,000,001 values, over 10,000",
        ),
        (
            lambda p: [
                "sweep",
                "mmc-always",
                "--vary",
                "departments.desk.staff=1..200:1",
                "--vary",
                "seed=1..100:1",
            ],
            "the grid has 20,000 points, over 10,000",
        ),
        (
            lambda p: _deadline_on(
                p, 'name = "e"\ntimezone = "UTC"\nfirst_year = 2020\n[office_hours]\ndefault = []\n'
            ),
            "office_hours.default: office hours need at least one",
        ),
        (
            lambda p: _deadline_on(
                p,
                'name = "r"\ntimezone = "UTC"\nfirst_year = 2020\nweekend = ["mon", "tue", "wed",'
                ' "thu", "fri", "sat", "sun"]\n[office_hours]\ndefault = [["09:00", "17:00"]]\n',
            ),
            "weekend: no working day from 2020",
        ),
    ],
)
def test_hostile_arguments_and_calendars_are_one_located_line(tmp_path, args, words):
    code, _, err = slasim(*args(tmp_path))
    assert code == 2 and err.count("\n") == 1 and words in err, err


def test_an_integer_of_thousands_of_digits_is_located(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(f"seed: {'9' * 5001}\n", encoding="utf-8")
    code, _, err = slasim("validate", path)
    assert code == 2 and str(path) in err and "4300 digits" in err


BASE_SCENARIO = (
    "name: s\ncalendar: cn\nstart: 2025-03-03\nworking_days: 10\nreplications: 2\n"
    "departments: {desk: {staff: 1}}\nservices:\n  svc:\n    limits: {promised: 5wd, legal: 20wd}\n"
    "    arrivals: {per_day: 2}\n    steps: [{step: a, department: desk, work: {fixed: 10}}]\n"
)
BASE_CASE = "cases:\n  - name: c\n    accepted: 2025-03-03\n    limit: 20wd\n    expect: {}\n"


@pytest.mark.parametrize(
    "kind, before, after, words",
    [
        ("scenario", "replications: 2", "replications: true", "replications"),
        ("scenario", "staff: 1", 'staff: "2"', "staff"),
        ("scenario", "promised: 5wd", "promised: 30wd", "exceeds the legal one"),
        ("scenario", "legal: 20wd", "legal: ２０wd", "not a time limit"),
        ("scenario", "svc:", '"sv\\0c":', "control or invisible character"),
        ("scenario", "name: s", 'name: "s\\u202e"', "control or invisible character (U+202E)"),
        ("check", "cases:", "rules: {notice_within: -5}\ncases:", "notice_within"),
        ("check", "expect: {}", "decided: 2025-03-01\n    expect: {}", "`decided` is before"),
        (
            "check",
            "expect: {}",
            "steps: {x: {start: 2025-03-05, end: 2025-03-04, limit: 2wd}}\n    expect: {}",
            "the step ends before it starts",
        ),
    ],
)
def test_strict_loading_refuses_what_was_silently_accepted(tmp_path, kind, before, after, words):
    text = (BASE_SCENARIO if kind == "scenario" else BASE_CASE).replace(before, after, 1)
    path = tmp_path / f"{kind}.yaml"
    path.write_text(text, encoding="utf-8")
    code, _, err = slasim("validate" if kind == "scenario" else "check", path)
    assert code == 2 and err.count("\n") == 1 and words in err, err


def test_the_pool_survives_a_killed_worker_with_the_same_results(tmp_path, monkeypatch):
    """A pool worker killed in the middle of a replication (SIGKILL: no clean-up) breaks the pool;
    its replications run again and the results equal an undisturbed run's. The kill is made
    certain, not timed: the worker that takes replication 3 first removes a marker file (only
    one can) and kills itself, so the test does not depend on how fast the machine is."""
    import signal

    from slasim.scenario.loader import load_scenario
    from slasim.sim import runner

    scenario = load_scenario("district-centre", ["working_days=30", "warmup_days=2"])
    undisturbed = run_scenario(scenario, replications=6, workers=1)
    marker = tmp_path / "kill-once"
    marker.touch()
    original = runner.replication_task

    def killing_task(payload, replication, seed):
        if replication == 3:
            try:
                os.remove(marker)
            except FileNotFoundError:
                pass  # the run after the kill
            else:
                os.kill(os.getpid(), signal.SIGKILL)
        return original(payload, replication, seed)

    # Submitted to the pool by reference: the forked workers find it under the original's name.
    killing_task.__module__, killing_task.__qualname__ = "slasim.sim.runner", "replication_task"
    monkeypatch.setattr(runner, "replication_task", killing_task)
    disturbed = run_scenario(scenario, replications=6, workers=2)
    assert not marker.exists(), "no worker took replication 3 and killed itself"
    assert json.dumps(disturbed, sort_keys=True) == json.dumps(undisturbed, sort_keys=True)


@pytest.mark.parametrize("content", ["[1, 2]", '{"x": 1}', "not json"])
def test_report_refuses_what_is_not_a_result_file(tmp_path, content):
    (tmp_path / "summary.json").write_text(content, encoding="utf-8")
    code, _, err = slasim("report", tmp_path)
    assert code == 2 and err.count("\n") == 1 and str(tmp_path / "summary.json") in err, err


def test_an_extends_loop_through_files_and_a_limit_past_the_table_are_located(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(f'name = "a"\nextends = "{b}"\n', encoding="utf-8")
    b.write_text(f'name = "b"\nextends = "{a}"\n', encoding="utf-8")
    code, _, err = slasim("deadline", "2025-09-26", "20wd", "-c", a)
    assert code == 2 and "extends itself through a -> b" in err
    code, _, err = slasim("deadline", "2025-09-26", "1000000000wd")
    assert code == 2 and err.startswith("error: limit: ") and "1000000000wd" in err
    assert err.count("\n") == 1


def test_a_failed_run_leaves_the_previous_result_set_untouched(tmp_path):
    """--out's files and the event log are renamed together after the run: a run refused at the
    end (--strict on a provisional period) changes nothing and leaves no temporary file."""
    import yaml

    scenario = tmp_path / "hand.yaml"
    scenario.write_text(yaml.safe_dump(HAND_WORKED), encoding="utf-8")
    out, log = tmp_path / "results", tmp_path / "results" / "events.csv"
    args = ["run", scenario, "-q", "--reps", "2", "--out", out, "--event-log", log]
    assert slasim(*args).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(before) == sorted(
        ["summary.json", "services.csv", "steps.csv", "departments.csv", "events.csv", "events.xes"]
        + ["slasim-manifest.json"]  # the set, with the event log, as published (last)
    )
    code, _, err = slasim(*args, "--seed", "7", "--set", "start=2027-03-01", "--strict")
    assert code == 2 and "provisional" in err and err.count("\n") == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.parametrize(
    "signame, code, word", [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "terminated")]
)
def test_a_signal_mid_run_exits_with_one_line_and_no_partial_output(tmp_path, signame, code, word):
    """Interrupted or terminated while replications run (the event log already staged), the
    process exits 130/143 with one line and nothing in the result directory. The signal goes to
    the whole process group, as Ctrl-C in a terminal does: pool workers print nothing."""
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "results"
    proc = subprocess.Popen(
        [sys.executable, "-m", "slasim", "run", "district-centre", "--reps", "40", "-w", "2"]
        + ["--out", out, "--event-log", out / "events.csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # as from a terminal: its own process group, SIGINT not ignored (a background job of a
        # script would inherit it ignored)
        preexec_fn=lambda: (os.setpgrp(), signal.signal(signal.SIGINT, signal.SIG_DFL)),
    )
    deadline = time.monotonic() + 120
    while not any(out.glob(".events.csv.*.tmp")) and time.monotonic() < deadline:
        time.sleep(0.05)  # the event log is staged: replication 0 is running
    assert proc.poll() is None, proc.communicate()
    time.sleep(1.0)  # into the pool's replications
    os.killpg(proc.pid, getattr(signal, signame))  # as a terminal does: the whole group
    _, err = proc.communicate(timeout=60)
    lines = [line for line in err.splitlines() if not line.startswith("warning: ")]
    assert (proc.returncode, lines) == (code, [word]), err  # warnings before the run aside
    assert not out.exists() or list(out.iterdir()) == []  # the folder made for the run: removed


def test_expected_cases_per_replication_by_hand():
    """One receipt a day over five working days (Mon..Fri); Monday doubled adds one more, and a
    second service at 2.5 a day adds 12.5."""
    from slasim.scenario.plan import compile_plan
    from slasim.sim.workload import cases_per_replication

    data = copy.deepcopy(HAND_WORKED)
    assert cases_per_replication(compile_plan(Scenario.model_validate(data))) == 5.0
    data["services"]["licence"]["arrivals"]["weekday"] = {"mon": 2}
    other = copy.deepcopy(data["services"]["licence"])
    other["arrivals"] = {"per_day": 2.5}
    data["services"]["permit"] = other
    assert cases_per_replication(compile_plan(Scenario.model_validate(data))) == 6.0 + 12.5


HUGE = ["--set", "services.real-estate.arrivals.per_day=100000"]  # 120 wd × 1e5 = 12 M a run


@pytest.mark.parametrize(
    "args",
    [
        ["run", "district-centre", "--reps", "10000000"],
        ["run", "district-centre", "--reps", "2", *HUGE],
        ["compare", "district-centre", "--reps", "2", *HUGE],
        ["sweep", "district-centre", "--vary", "services.real-estate.arrivals.per_day=20,100000"],
        ["staff", "district-centre", "--target", "red<=5%", *HUGE],
    ],
)
def test_huge_work_is_refused_up_front_with_the_estimate(args):
    """Refused before any simulation (these would run for hours), one error line naming the
    estimate and the flag that lifts the bound (after any warning about the overloaded desks
    such an arrival rate makes)."""
    code, out, err = slasim(*args)
    lines = err.splitlines()
    assert code == 2 and out == "" and lines[-1].startswith("error: --max-cases: about "), err
    assert all(line.startswith("warning: ") for line in lines[:-1]), err
    assert "simulated cases" in lines[-1]


def test_the_command_line_bound_is_the_library_bound():
    from slasim.cli import MAX_CASES
    from slasim.sim import workload

    assert MAX_CASES == workload.MAX_CASES


def test_a_scenario_calendar_is_a_name_or_a_toml_file_beside_it(tmp_path):
    """`calendar:` naming a file that is not a .toml calendar is refused unread, located to the
    scenario's field; a relative .toml path is read from the scenario's folder, whatever the
    working folder."""
    import yaml

    data = copy.deepcopy(HAND_WORKED)
    folder = tmp_path / "centre"
    (folder / "cal").mkdir(parents=True)
    (folder / "cal" / "mine.toml").write_text(
        'name = "mine"\nextends = "../base.toml"\n', encoding="utf-8"
    )
    (folder / "base.toml").write_text('name = "base"\nextends = "cn"\n', encoding="utf-8")
    for calendar, words in [
        ("/etc/passwd", "calendar: a calendar is a name or a path to a .toml file"),
        ("../../x", "calendar: a calendar is a name or a path to a .toml file"),
        ("missing.toml", "calendar: calendar file not found"),
    ]:
        path = folder / "bad.yaml"
        path.write_text(yaml.safe_dump({**data, "calendar": calendar}), encoding="utf-8")
        code, _, err = slasim("validate", path, cwd=tmp_path)
        assert code == 2 and err.startswith(f"error: {path}: {words}"), err
    path = folder / "good.yaml"
    path.write_text(yaml.safe_dump({**data, "calendar": "cal/mine.toml"}), encoding="utf-8")
    code, out, err = slasim("run", path, "--json", "-q", cwd=tmp_path)
    assert code == 0, err
    assert json.loads(out)["calendar"] == "mine"


def test_an_output_folder_that_cannot_be_written_is_refused_before_running(tmp_path, monkeypatch):
    """A read-only folder (simulated: tests run as root, which may write anywhere) is refused up
    front, located to the target, instead of failing after the simulation."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if str(p) == str(folder) else real_access(p, mode)
    )
    code, out, err = slasim("run", "company-setup", "--reps", "2", "--out", folder / "sub" / "x")
    assert code == 2 and out == ""
    assert err.strip() == (
        f"error: {folder}/sub/x/summary.json: cannot write in {folder} (permission denied)"
    )


@settings(max_examples=200, deadline=None)
@given(
    calendar=st.sampled_from(["cn", "always", "weekdays", "nl", "cn-example-saturday"]),
    unit=st.sampled_from(["wd", "d", "h", "min"]),
    position=st.floats(0.0, 1.0),
    amounts=st.lists(
        st.one_of(st.just(0.0), st.floats(0.0, 1e-6), st.floats(0.0, 3.0)), min_size=2, max_size=6
    ),
)
def test_business_time_never_runs_backwards(calendar, unit, position, amounts):
    """From any instant of 2025, a wait of zero, near zero or more never ends before it starts,
    and a longer wait never ends sooner (SimPy's "Negative delay" came from round-off here)."""
    import datetime as dt

    import numpy as np

    from slasim.calendar.units import date_to_day
    from slasim.calendar.workcalendar import load_calendar

    cal = load_calendar(calendar)
    k0 = int(cal.working_days_before(np.array([date_to_day(dt.date(2025, 1, 2))]))[0])
    start = float(cal.bm_start[k0] + position * (cal.bm_start[k0 + 240] - cal.bm_start[k0]))
    amounts = np.sort(np.array(amounts))
    after = cal.business_after(np.full(len(amounts), start), amounts, unit)
    assert np.all(after >= start)
    assert np.all(np.diff(after) >= 0)


def _sigint_default() -> None:
    """In the child: SIGINT as a terminal gives it (a background job inherits it ignored)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_an_interrupt_swallowed_by_a_finalizer_is_raised_again():
    """Python drops an exception raised inside a finalizer ("Exception ignored"): the handlers
    record the signal, so the run still stops at the next safe point, and the dropped exception is
    not printed (the command's one line says it all). Other exceptions in finalizers still are."""
    import subprocess
    import sys

    probe = (
        "import os, signal\n"
        "from slasim.io.interrupts import install, check_interrupted\n"
        "install()\n"
        "class Finalized:\n"
        "    def __del__(self):\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "        sum(range(1000))\n"
        "Finalized()\n"
        "class Broken:\n"
        "    def __del__(self):\n"
        "        raise ValueError('a bug in a finalizer')\n"
        "Broken()\n"
        "print('carried on')\n"
        "try:\n"
        "    check_interrupted()\n"
        "except KeyboardInterrupt:\n"
        "    print('raised again')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        preexec_fn=_sigint_default,
    )
    assert done.stdout.split("\n")[:2] == ["carried on", "raised again"], done.stderr
    assert "KeyboardInterrupt" not in done.stderr  # Python would print "Exception ignored" …
    assert "ValueError: a bug in a finalizer" in done.stderr  # … as it still does for the bug


def test_one_event_engine_replication_is_bounded_on_its_own(tmp_path):
    """The event loop and SimPy hold every open case: one replication on either is bounded at a
    tenth of --max-cases, whether the scenario needs one (a supplement loop) or the run writes a
    timeline (--out, on SimPy), while the queue path may take the same replication."""
    code, _, err = slasim("run", "district-centre", "--reps", "1", *HUGE)
    assert code == 2 and "in one replication on the event engine (step food-licence/accept" in err
    busy = ["--set", "services.company-setup.arrivals.per_day=20000"]  # 2.4 M cases a replication
    args = ["run", "company-setup", "--reps", "1", *busy, "--out", tmp_path / "out"]
    code, _, err = slasim(*args)
    assert code == 2 and "on the SimPy engine (it writes the event log or timeline)" in err
    assert "give --max-cases 24000000" in err and not (tmp_path / "out").exists()


# --- the environment failing under a command: each one line, a non-zero exit, no traceback --


def _closed_pipe_run(*args, preexec=None):
    """`python -m slasim ARGS` writing into a pipe whose reader has gone (`slasim … | head -0`
    after head exited): the read end is closed before the command starts."""
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-m", "slasim", *map(str, args)],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=preexec,
        )
    finally:
        os.close(write)


@pytest.mark.parametrize(
    "args", [["calendar", "list"], ["schema"], ["deadline", "2025-09-26", "20wd", "--json"]]
)
def test_a_closed_stdout_is_one_line_and_exit_141(args):
    """As a process killed by SIGPIPE reports to the shell (so `set -o pipefail` sees it), with
    one line saying why; Typer alone would exit 1 silently."""
    done = _closed_pipe_run(*args)
    assert done.returncode == 141, done.stderr
    assert done.stderr == "error: standard output was closed before everything was printed\n"


def test_no_stdout_at_all_and_a_full_disk_behind_it_are_one_line():
    import subprocess
    import sys

    closed = subprocess.run(
        [sys.executable, "-m", "slasim", "calendar", "list"],
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.close(1),  # `slasim calendar list >&-`
    )
    assert closed.returncode == 2
    assert closed.stderr == "error: standard output is closed (nothing could be printed)\n"
    with open("/dev/full", "w") as full:  # `slasim schema > /dev/full`
        done = subprocess.run(
            [sys.executable, "-m", "slasim", "schema"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert (done.returncode, done.stderr) == (
        2,
        "error: standard output: No space left on device\n",
    )


@pytest.mark.parametrize("kind", ["directory", "/dev/full", "fifo"])
def test_a_step_summary_that_is_not_a_regular_file_is_refused(tmp_path, monkeypatch, kind):
    """GitHub's job summary is appended to: a directory, a device (`/dev/full`) or a FIFO (which
    would block) is refused before the check runs, in one line naming the variable."""
    target = {"directory": tmp_path, "/dev/full": "/dev/full", "fifo": tmp_path / "fifo"}[kind]
    if kind == "fifo":
        os.mkfifo(target)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(target))
    code, out, err = slasim("check", SHIPPED_CHECKS[0], "--format", "github")
    assert code == 2 and out == "" and err.count("\n") == 1 and str(target) in err, err
    assert "not a regular file" in err or "a directory" in err


def test_names_and_paths_too_long_are_one_short_line(tmp_path):
    """A 300-byte file name or a 5,000-byte path, as an output or as an input: one line, and the
    name shortened in it."""
    long_name = tmp_path / ("a" * 300)
    long_path = Path(*["d"] * 2500) / "x.csv"
    for args, word in (
        (["run", "mmc-always", "--event-log", long_name], "file name too long (300 bytes"),
        (["run", "mmc-always", "--event-log", long_path], "path too long ("),
        (["fit", tmp_path / "log.csv", "--out", long_name], "file name too long"),
        (["validate", long_name], "File name too long"),
        (["validate", long_path], "File name too long"),
        (["check", long_path], "File name too long"),
    ):
        code, out, err = slasim(*args, cwd=tmp_path)
        assert code == 2 and out == "" and err.count("\n") == 1 and word in err, (args[0], err)
        assert len(err) < 400, err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_full_disk_while_writing_leaves_no_partial_output(tmp_path):
    """A file-size limit (as a full disk or a quota gives): writing the event log or --out's files
    fails with one line, exit 2, and nothing is published (no temporary file left either)."""
    import resource
    import signal
    import subprocess
    import sys

    def limited():
        resource.setrlimit(resource.RLIMIT_FSIZE, (10_000, 10_000))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails (EFBIG) instead

    out = tmp_path / "results"
    for extra, word in (
        (
            ["--event-log", out / "events.csv"],
            f"error: {out / 'events.csv'}: cannot write the event log: File too large",
        ),
        (["--out", out], f"error: {out / 'summary.json'}: cannot write (File too large)"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "slasim", "run", "mmc-always", "--reps", "2", "-q", *extra],
            capture_output=True,
            text=True,
            preexec_fn=limited,
        )
        assert (done.returncode, done.stderr.strip()) == (2, word), done.stderr
        assert not out.exists()


def test_a_fifo_or_device_is_refused_for_every_file_argument(tmp_path):
    """Logs, test logs, calendars, check files, scenarios: a FIFO (which would block) or a
    device (which never ends) is refused before anything opens it, one line each."""
    fifo, cal = tmp_path / "log.csv", tmp_path / "cal.toml"
    os.mkfifo(fifo)
    os.mkfifo(cal)
    fitted = Path(__file__).resolve().parent.parent / "scenarios/fitted/loanapp.yaml"
    for args in (
        ["fit", fifo],
        ["fit", "/dev/zero"],
        ["fidelity", fitted, fifo],
        ["fidelity", fitted, SHIPPED_CHECKS[0], "--test-log", fifo],
        ["check", SHIPPED_CHECKS[0], "/dev/zero"],
        ["validate", fifo],
        ["deadline", "2025-09-26", "20wd", "-c", cal],
    ):
        code, out, err = slasim(*args)
        assert code == 2 and out == "" and err.count("\n") == 1, (args, err)
        assert "not a regular file" in err, (args, err)
