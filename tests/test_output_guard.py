"""The output guard and result sets: no output ever lands on an input or on another output of the
same command, one folder is written by one slasim command at a time, and a result folder's sets
are published whole (manifest first and last) — even when the process is SIGKILLed between two
renames."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slasim.cli.simulate import COMPARE_FILES, RUN_FILES
from slasim.io.errors import SlasimError
from slasim.io.files import OutputSet
from slasim.io.guard import LOCK, Claim, claim_outputs
from slasim.io.manifest import NAME as MANIFEST
from slasim.io.manifest import check_sets

from .helpers import HAND_WORKED, ROOT, SHIPPED_CHECKS, slasim

LOG = ROOT / "scenarios" / "logs" / "loanapp-sample.csv"
REFORMED = {
    **copy.deepcopy(HAND_WORKED),
    "reforms": {"two": [{"staff": {"department": "desk", "staff": 2}}]},
}


def scenario_file(folder: Path, data=REFORMED) -> Path:
    path = folder / "hand.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def refused(args, *, word: str, keep: Path) -> str:
    """Run slasim; it must exit 2 with one line containing `word`, print nothing on stdout and
    leave `keep` (an input) byte for byte as it was."""
    before = keep.read_bytes()
    code, out, err = slasim(*args)
    assert code == 2 and err.count("\n") == 1 and word in err, (args, err)
    assert out == ""
    assert keep.read_bytes() == before
    return err


def test_an_output_on_an_input_is_refused_for_every_command(tmp_path):
    """The issue's cases, each refused before any work with the input untouched."""
    sc = scenario_file(tmp_path)
    check = tmp_path / "check.yaml"
    check.write_bytes(SHIPPED_CHECKS[0].read_bytes())
    log = tmp_path / "log.csv"
    log.write_bytes(LOG.read_bytes())
    results = tmp_path / "results"
    results.mkdir()
    (results / "summary.json").write_text("{}", encoding="utf-8")
    word = "an input of this command"
    refused(["fit", log, "--out", log], word=word, keep=log)
    refused(["run", sc, "--event-log", sc], word=word, keep=sc)
    refused(["check", check, "--junit-xml", check], word=word, keep=check)
    refused(["sweep", sc, "--vary", "departments.desk.staff=1,2", "--csv", sc], word=word, keep=sc)
    refused(
        ["report", results, "--html", results / "summary.json"],
        word=word,
        keep=results / "summary.json",
    )
    # through a symlink and through a hard link: the same file under another name
    (tmp_path / "alias.csv").symlink_to(log)
    os.link(sc, tmp_path / "hard.yaml")
    err = refused(["fit", log, "--out", tmp_path / "alias.csv"], word=word, keep=log)
    assert f"({log})" in err  # the input it would overwrite is named
    refused(["run", sc, "--event-log", tmp_path / "hard.yaml"], word=word, keep=sc)
    # a shipped calendar given as a path to fit is an input too
    cal = tmp_path / "cal.toml"
    cal.write_text('name = "mine"\nextends = "cn"\n', encoding="utf-8")
    refused(["fit", log, "-c", cal, "--out", cal], word=word, keep=cal)


def test_two_outputs_of_one_command_on_one_file_are_refused(tmp_path):
    sc = scenario_file(tmp_path)
    word = "two outputs of this command are this one file"
    refused(["run", sc, "--event-log", tmp_path / "x.xes"], word=word, keep=sc)  # CSV and XES
    out = tmp_path / "out"
    refused(["run", sc, "--out", out, "--event-log", out / "summary.json"], word=word, keep=sc)
    p = tmp_path / "p.png"
    vary = [
        "--vary",
        "departments.desk.staff=1,2",
        "--vary",
        "services.licence.arrivals.per_day=1,2",
    ]
    refused(["sweep", sc, *vary, "--csv", p, "--plot", p], word=word, keep=sc)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["hand.yaml"]  # nothing created


def test_a_file_of_a_published_set_is_not_overwritten_by_another_command(tmp_path):
    sc = scenario_file(tmp_path)
    out = tmp_path / "out"
    assert slasim("run", sc, "-q", "--out", out).returncode == 0
    before = (out / "services.csv").read_bytes()
    refused(["run", sc, "-q", "--event-log", out / "services.csv"], word="`run` results", keep=sc)
    assert (out / "services.csv").read_bytes() == before


def test_the_declared_names_are_what_the_writers_write(tmp_path):
    """The guard checks the names each command declares: they must be the files it writes."""
    sc = scenario_file(tmp_path)
    for command, names in (("run", RUN_FILES), ("compare", COMPARE_FILES)):
        out = tmp_path / command
        assert slasim(command, sc, "-q", "--out", out).returncode == 0
        assert sorted(p.name for p in out.iterdir()) == sorted([*names, MANIFEST])
        sets = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["sets"]
        assert [(s["command"], s["complete"], sorted(s["files"])) for s in sets] == [
            (command, True, sorted(names))
        ]


def test_a_new_set_removes_the_stale_files_of_the_set_it_replaces(tmp_path):
    """compare --out into a run's folder: the run's CSVs go (they would describe another
    summary); run --out into a compare's folder: compare.json goes. A set sharing no file (a
    staffing search's) stays, and so does a file no set lists (the user's)."""
    sc = scenario_file(tmp_path)
    out = tmp_path / "out"
    (tmp_path / "out").mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    assert slasim("run", sc, "-q", "--out", out).returncode == 0
    with OutputSet("staff", folders=[out]) as staffing:  # as `staff --out` publishes
        staffing.write(out / "staffing.json", "{}")
    assert slasim("compare", sc, "-q", "--out", out).returncode == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["compare.json", MANIFEST, "notes.txt", "staffing.json", "summary.json"]
    )
    compared = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert json.loads((out / "summary.json").read_text(encoding="utf-8")) == compared["baseline"]
    assert slasim("run", sc, "-q", "--out", out).returncode == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [MANIFEST, "notes.txt", "staffing.json", *RUN_FILES]
    )
    check_sets(out, ["summary.json", "compare.json", "staffing.json"])  # whole: report reads it


def test_another_live_command_writing_the_folder_is_refused_and_a_dead_ones_lock_taken_over(
    tmp_path,
):
    sc = scenario_file(tmp_path)
    out = tmp_path / "out"
    holder = Claim()
    holder.lock(out, exclusive=True)
    try:
        err = refused(["run", sc, "-q", "--out", out], word="another slasim command", keep=sc)
        assert f"(pid {os.getpid()})" in err
        # a single file written beside it waits for no one but is refused while a set is written
        refused(
            ["sweep", sc, "--vary", "departments.desk.staff=1,2", "--csv", out / "g.csv"],
            word="another slasim command",
            keep=sc,
        )
    finally:
        holder.release()
    assert not (out / LOCK).exists() and not out.exists()  # created for the lock, left empty
    # a process that holds the lock and dies (SIGKILL): the kernel drops its lock
    probe = (
        "import os, signal, sys\nfrom pathlib import Path\nfrom slasim.io.guard import Claim\n"
        "Claim().lock(Path(sys.argv[1]), exclusive=True)\nos.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(out)], capture_output=True)
    assert done.returncode == -signal.SIGKILL and (out / LOCK).exists()
    assert slasim("run", sc, "-q", "--out", out).returncode == 0
    assert not (out / LOCK).exists() and (out / "summary.json").exists()


def test_two_commands_writing_single_files_in_one_folder_do_not_block_each_other(tmp_path):
    first, second = Claim(), Claim()
    first.lock(tmp_path, exclusive=False)
    second.lock(tmp_path, exclusive=False)  # shared: no error
    with pytest.raises(SlasimError, match="another slasim command"):
        Claim().lock(tmp_path, exclusive=True)
    first.release()
    assert (tmp_path / LOCK).exists()  # still held by `second`
    second.release()
    assert not (tmp_path / LOCK).exists()


def test_eight_concurrent_runs_into_one_folder_never_leave_a_mixed_set(tmp_path):
    """Each run asks for a different number of replications: whatever wins, the folder holds
    one run's files (the CSVs' replication column is the summary's), as its manifest says, and
    every other run was refused with one line."""
    sc = scenario_file(tmp_path, HAND_WORKED)
    out = tmp_path / "out"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "slasim",
                "run",
                str(sc),
                "-q",
                "--reps",
                str(n),
                "--out",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2, 10)
    ]
    ended = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    won = [n for n, (code, _) in zip(range(2, 10), ended) if code == 0]
    assert won, ended
    for code, err in ended:
        assert code == 0 or (
            code == 2 and "another slasim command" in err and err.count("\n") == 1
        ), err
    check_sets(out, ["summary.json"])
    reps = json.loads((out / "summary.json").read_text(encoding="utf-8"))["replications"]
    assert reps in won
    for name in ("services.csv", "steps.csv", "departments.csv"):
        rows = (out / name).read_text(encoding="utf-8").splitlines()[1:]
        assert rows and {r.rsplit(",", 1)[1] for r in rows} == {str(reps)}, name
    assert not (out / LOCK).exists()


KILLER = """
import os, signal, sys
from pathlib import Path
from slasim.io.files import OutputSet
folder, kill_at = Path(sys.argv[1]), int(sys.argv[2])
calls = [0]
real = os.replace
def replace(src, dst):
    if calls[0] == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    calls[0] += 1
    real(src, dst)
os.replace = replace
with OutputSet("compare", folders=[folder]) as out:
    out.write(folder / "compare.json", "new compare")
    out.write(folder / "summary.json", "new summary")
print(calls[0])
"""


def test_a_sigkill_between_any_two_renames_never_leaves_a_set_that_reads_as_whole(tmp_path):
    """A `run` set (four files) replaced by a `compare` set (two files, one shared), the process
    SIGKILLed before each rename in turn (the manifest's two rewrites and the files'): afterwards
    the folder is either the old set whole, or the new set whole, or refused as incomplete —
    never half of each read as one."""
    outcomes = set()
    for kill_at in range(8):
        folder = tmp_path / f"k{kill_at}"
        with OutputSet("run", folders=[folder]) as out:
            for name in ("summary.json", "services.csv", "steps.csv", "departments.csv"):
                out.write(folder / name, f"old {name}")
        done = subprocess.run(
            [sys.executable, "-c", KILLER, str(folder), str(kill_at)],
            capture_output=True,
            text=True,
        )
        names = ["summary.json", "compare.json", "services.csv", "steps.csv", "departments.csv"]
        try:
            check_sets(folder, names)
        except SlasimError as exc:
            assert "incomplete" in str(exc) and done.returncode == -signal.SIGKILL, exc
            outcomes.add("refused")
            continue
        present = {n: (folder / n).read_text() for n in names if (folder / n).exists()}
        if present == {n: f"old {n}" for n in names if n != "compare.json"}:
            assert done.returncode == -signal.SIGKILL
            outcomes.add("old")
        else:
            assert present == {"summary.json": "new summary", "compare.json": "new compare"}, (
                present
            )
            outcomes.add("new")
        assert not list(folder.glob(".*.tmp")) or done.returncode == -signal.SIGKILL
    assert outcomes == {"old", "refused", "new"}  # every kind of moment was hit


def test_report_refuses_an_incomplete_or_changed_set(tmp_path):
    sc = scenario_file(tmp_path)
    out = tmp_path / "out"
    assert slasim("run", sc, "-q", "--out", out).returncode == 0
    (out / "steps.csv").write_text("edited", encoding="utf-8")
    code, _, err = slasim("report", out)
    assert (
        code == 2 and "changed or removed since `run` published it" in err and err.count("\n") == 1
    )
    assert not (out / "report.html").exists()
    sets = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    sets["sets"][0]["complete"] = False
    (out / MANIFEST).write_text(json.dumps(sets), encoding="utf-8")
    code, _, err = slasim("report", out)
    assert code == 2 and "incomplete" in err


def test_a_hostile_manifest_never_has_a_file_outside_its_folder_removed(tmp_path):
    """A set's stale files are removed: a manifest naming `../victim` is not one slasim wrote."""
    victim = tmp_path / "victim"
    victim.write_text("keep", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    bad = {"sets": [{"command": "run", "complete": True, "files": {"../victim": None}}]}
    (out / MANIFEST).write_text(json.dumps(bad), encoding="utf-8")
    sc = scenario_file(tmp_path)
    code, _, err = slasim("run", sc, "-q", "--out", out)
    assert code == 2 and "not a manifest slasim wrote" in err and err.count("\n") == 1, err
    assert victim.read_text(encoding="utf-8") == "keep"
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST]  # nothing published


def test_report_reads_regular_files_only(tmp_path):
    """A FIFO as compare.json would hang the reader, /dev/zero behind summary.json never ends:
    both refused before reading (a folder without a manifest, as an older slasim wrote)."""
    for name, make in (
        ("compare.json", os.mkfifo),
        ("summary.json", lambda p: p.symlink_to("/dev/zero")),
    ):
        folder = tmp_path / name
        folder.mkdir()
        make(folder / name)
        code, _, err = slasim("report", folder)
        assert code == 2 and "not a regular file" in err and err.count("\n") == 1, err


# --- properties: random collisions between a command's inputs and outputs -----------------

NAMES = st.sampled_from(["a.yaml", "b.csv", "c.xes", "d", "sub/e.json"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    inputs=st.lists(NAMES, max_size=3),
    outputs=st.lists(NAMES, min_size=1, max_size=3),
    links=st.lists(st.tuples(st.sampled_from(["l1", "l2"]), NAMES), max_size=2),
    via_link=st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_property_a_claim_is_refused_exactly_when_paths_collide(
    tmp_path_factory, inputs, outputs, links, via_link
):
    """Files exist, some are inputs; outputs may be named directly or through a symlink. The
    claim succeeds iff no output is (after resolving) an input or another output, and it never
    writes a file."""
    root = tmp_path_factory.mktemp("claim")
    (root / "sub").mkdir()
    for name in ["a.yaml", "b.csv", "c.xes", "d", "sub/e.json"]:  # earlier results or inputs
        (root / name).write_text(name, encoding="utf-8")
    link_of = {}
    for link, target in links:
        if link not in link_of:
            (root / link).symlink_to(root / target)
            link_of[link] = target
    chosen = []
    for i, name in enumerate(outputs):
        alias = next((lk for lk, t in link_of.items() if t == name), None)
        chosen.append((root / alias) if via_link[i] and alias else (root / name))
    real = [os.path.realpath(p) for p in chosen]
    collide = len(set(real)) < len(real) or bool(
        set(real) & {os.path.realpath(root / n) for n in inputs}
    )
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    try:
        claim = claim_outputs([root / n for n in inputs], chosen)
    except SlasimError as exc:
        assert collide, exc
        assert "one would be lost" in str(exc) or "an input of this command" in str(exc)
    else:
        assert not collide
        claim.release()
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
    assert not list(root.rglob(LOCK))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    command=st.sampled_from(
        ["run-log", "run-xes", "sweep-csv", "sweep-plot", "fit", "check", "report"]
    ),
    through=st.sampled_from(["same", "symlink", "dotdot"]),
)
def test_property_every_command_refuses_an_output_on_its_input(tmp_path_factory, command, through):
    root = tmp_path_factory.mktemp("cmd")
    (root / "d").mkdir()
    sc = scenario_file(root)
    check = root / "check.yaml"
    check.write_bytes(SHIPPED_CHECKS[0].read_bytes())
    log = root / "log.csv"
    log.write_text("case,activity\n", encoding="utf-8")
    summary = root / "summary.json"
    summary.write_text("{}", encoding="utf-8")
    victim = {"fit": log, "check": check, "report": summary}.get(command, sc)
    if command == "run-xes":  # the scenario is hand.xes: the event log's XES sibling lands on it
        victim = root / "hand.xes"
        victim.write_bytes(sc.read_bytes())
    target = {
        "same": victim,
        "symlink": root / "d" / "alias",
        "dotdot": root / "d" / ".." / victim.name,
    }[through]
    if through == "symlink":
        target.symlink_to(victim)
    vary = ["--vary", "departments.desk.staff=1,2"]
    args = {
        "run-log": ["run", sc, "--event-log", target],
        "run-xes": ["run", victim, "--event-log", root / "d" / ".." / "hand.csv"],
        "sweep-csv": ["sweep", sc, *vary, "--csv", target],
        "sweep-plot": ["sweep", sc, *vary, "--plot", target],
        "fit": ["fit", log, "--out", target],
        "check": ["check", check, "--junit-xml", target],
        "report": ["report", root, "--html", target],
    }[command]
    refused(args, word="an input of this command", keep=victim)


def test_an_input_known_only_once_read_is_never_overwritten(tmp_path):
    """The calendar a scenario names is read while the command runs, after the guard: publishing
    over it is refused all the same (the backstop in `OutputSet.commit`), and nothing is left."""
    cal = tmp_path / "cal.toml"
    cal.write_text('name = "mine"\nextends = "cn"\n', encoding="utf-8")
    sc = scenario_file(tmp_path, {**HAND_WORKED, "calendar": "cal.toml"})
    err = refused(
        ["run", sc, "-q", "--event-log", cal], word="an input this command read", keep=cal
    )
    assert str(cal) in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cal.toml", "hand.yaml"]


def test_fidelity_refuses_a_simulated_log_over_its_test_log(tmp_path):
    """`--sim-logs d` writes d/sim_0.csv …: a test log at d/sim_1.csv is an input it would
    overwrite, refused before any replication runs."""
    sims = tmp_path / "sims"
    sims.mkdir()
    test_log = sims / "sim_1.csv"
    test_log.write_bytes(LOG.read_bytes())
    args = ["fidelity", ROOT / "scenarios/fitted/loanapp.yaml", LOG, "--test-log", test_log]
    refused(
        [*args, "--reps", "2", "--sim-logs", sims], word="an input of this command", keep=test_log
    )
    # --out and --sim-logs naming one folder: both lists of names are checked there
    test_log.rename(sims / "fidelity.json")
    args[-1] = sims / "fidelity.json"
    refused(
        [*args, "--reps", "2", "--out", sims, "--sim-logs", sims],
        word="an input of this command",
        keep=sims / "fidelity.json",
    )
