"""Replications give identical results in-process, on a process pool and on a real Dask cluster
(scheduler and worker processes on loopback), even when a worker is killed mid-run."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest

from slasim.scenario.loader import load_scenario
from slasim.sim.runner import run_scenario

distributed = pytest.importorskip("distributed")


def same(a: dict, b: dict) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


@pytest.fixture(
    scope="module", params=["district-centre", "company-setup"]
)  # SimPy engine, queue path
def scenario(request):
    return load_scenario(request.param, ["working_days=60", "warmup_days=5"])


@pytest.fixture(scope="module")
def serial(scenario):
    return run_scenario(scenario, replications=6, workers=1)


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=50,
    ) as local:
        yield local


def test_a_process_pool_gives_the_in_process_result(scenario, serial):
    assert serial["engine"] == ("events" if scenario.name == "district-centre" else "fcfs")
    assert same(run_scenario(scenario, replications=6, workers=2), serial)


def test_a_dask_cluster_gives_the_in_process_result(scenario, serial, cluster):
    assert same(run_scenario(scenario, replications=6, scheduler=cluster.scheduler_address), serial)


def test_a_worker_killed_mid_run_loses_and_doubles_nothing(cluster):
    # The kill waits until the victim holds a replication (SimPy: a tenth of a second or more
    # each), so it lands mid-run however fast the machine is.
    longer = load_scenario("district-centre", ["engine=simpy"])
    expected = run_scenario(longer, replications=8, workers=1)
    with distributed.Client(cluster) as client:
        address, victim = sorted(client.run(os.getpid).items())[0]
        held_at_kill = []
        killed_at = []

        def kill_when_working():
            give_up = time.monotonic() + 120
            while time.monotonic() < give_up:
                held = client.processing([address]).get(address, ())
                held = [key for key in held if "replication_task" in str(key)]
                if held:
                    os.kill(victim, signal.SIGKILL)
                    killed_at.append(time.monotonic())
                    held_at_kill.extend(held)
                    return
                time.sleep(0.005)

        killer = threading.Thread(target=kill_when_working)
        killer.start()
        result = run_scenario(longer, replications=8, scheduler=cluster.scheduler_address)
        finished_at = time.monotonic()
        killer.join()
        client.wait_for_workers(1)
    assert held_at_kill and killed_at[0] < finished_at
    with pytest.raises(ProcessLookupError):
        os.kill(victim, 0)  # that worker process is gone
    assert result["overall"]["arrived"]["n"] == 8
    assert same(result, expected)


@pytest.fixture
def quick_faults(monkeypatch):
    """Fault waits shortened so each case ends in seconds (the rules are the same)."""
    from slasim.sim import cluster

    monkeypatch.setattr(cluster, "CONNECT_WAIT", 2.0)
    monkeypatch.setattr(cluster, "NO_WORKER_WAIT", 3.0)
    monkeypatch.setattr(cluster, "POLL", 0.5)


def _listener(reply: bytes | None):
    """A TCP listener on loopback that never answers (None) or answers every connection with
    `reply` (a web server's bytes): neither is a Dask scheduler."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    kept = []

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            kept.append(conn)
            if reply is not None:
                conn.sendall(reply)

    threading.Thread(target=serve, daemon=True).start()
    return server


@pytest.mark.parametrize(
    "kind, words",
    [
        ("garbage", "not a scheduler address"),
        ("closed", "a Dask scheduler at"),
        ("silent", "no answer from a Dask scheduler"),
        ("web", "cannot talk to a Dask scheduler"),
    ],
)
def test_a_wrong_scheduler_is_one_located_line_in_bounded_time(quick_faults, kind, words):
    from .helpers import slasim

    server = None
    if kind == "garbage":
        address = "garbage!!"
    elif kind == "closed":
        server = _listener(None)
        address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
        server.close()
    else:
        reply = None if kind == "silent" else b"HTTP/1.0 200 OK\r\n\r\n" + b"\xff" * 64
        server = _listener(reply)
        address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    try:
        code, out, err = slasim("run", "company-setup", "--reps", "2", "--scheduler", address)
    finally:
        if server is not None:
            server.close()
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert err.startswith("error: --scheduler: ") and words in err


def test_a_cluster_whose_workers_all_die_fails_clearly_instead_of_hanging(quick_faults, tmp_path):
    """A worker without a nanny (nothing restarts it) is killed after the first result: the run
    stops with a located error once no worker has been seen for NO_WORKER_WAIT."""
    import subprocess
    import sys

    from slasim.io.errors import SlasimError

    with distributed.LocalCluster(
        n_workers=0, processes=True, host="127.0.0.1", dashboard_address=None, silence_logs=50
    ) as local:
        worker = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", local.scheduler_address]
            + ["--no-nanny", "--nthreads", "1", "--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            with distributed.Client(local) as client:
                client.wait_for_workers(1, timeout=60)
            scenario = load_scenario("company-setup", ["working_days=20", "warmup_days=0"])
            with pytest.raises(
                SlasimError,
                match="no Dask worker for 3 s after 1 of the 6 replications sent to it: 5 rep",
            ):
                run_scenario(
                    scenario,
                    replications=6,
                    scheduler=local.scheduler_address,
                    progress=lambda done: worker.kill() if done == 1 else None,
                )
        finally:
            worker.kill()
            worker.wait()


def _freeze_count(payload, replication, seed) -> dict:
    """A pool task: how many of the parent's objects the worker's collector leaves alone."""
    import gc

    return {"frozen": gc.get_freeze_count(), "replication": replication}


def test_pool_workers_fork_with_the_parents_heap_frozen_and_the_parent_unfreezes():
    """Workers' collections skip what they inherited (so they do not copy the parent's pages);
    the parent's own heap is back under its collector once the pool has forked."""
    import gc

    from slasim.sim.parallel import run_parallel

    assert gc.get_freeze_count() == 0
    kept = [object() for _ in range(1000)]  # in the parent's heap when the pool forks
    out = run_parallel(_freeze_count, None, [0, 1, 2], 7, workers=2, scheduler=None)
    assert [o["replication"] for o in out] == [0, 1, 2]
    assert all(o["frozen"] >= len(kept) for o in out)
    assert gc.get_freeze_count() == 0


@pytest.fixture(scope="module")
def compared_in_process():
    from slasim.scenario.loader import load_scenario_data
    from slasim.sim.compare import compare

    data, source = load_scenario_data("district-centre", ["working_days=40", "warmup_days=5"])
    steps = []
    result = compare(
        data, source, [["fewer-materials"]], replications=3, workers=1, progress=steps.append
    )
    return data, source, result, steps


def test_a_comparison_on_one_pool_or_on_dask_gives_the_in_process_result(
    compared_in_process, cluster
):
    """The baseline's and the reform's replications share one pool (and one Dask run); paired
    with the in-process run number by number, so every change is the same."""
    from slasim.sim.compare import compare

    data, source, serial, steps = compared_in_process
    assert steps == [1, 2, 3, 4, 5, 6]  # baseline's 3, then the reform's 3
    pooled_steps = []
    pooled = compare(
        data, source, [["fewer-materials"]], replications=3, workers=2, progress=pooled_steps.append
    )
    assert same(pooled, serial)
    assert pooled_steps == [1, 2, 3, 4, 5, 6]  # one count over both plans' replications
    on_dask = compare(
        data, source, [["fewer-materials"]], replications=3, scheduler=cluster.scheduler_address
    )
    assert same(on_dask, serial)


def test_a_sweep_on_one_pool_equals_each_point_run_on_its_own():
    """Points with their own seed and replication count, all run in one pool: each row is the
    row of that point's scenario run alone in this process."""
    from slasim.scenario.loader import load_scenario, load_scenario_data
    from slasim.sim.sweep import SWEEP_METRICS, sweep

    data, source = load_scenario_data("company-setup", ["working_days=30", "warmup_days=2"])
    done = []
    varies = ["seed=3,4", "replications=2,3"]
    result = sweep(data, source, varies, workers=2, progress=done.append)
    assert done == [1, 2, 3, 4]
    for row in result["rows"]:
        seed, n = row["values"]["seed"], row["values"]["replications"]
        alone = run_scenario(
            load_scenario(
                "company-setup",
                ["working_days=30", "warmup_days=2", f"seed={seed}", f"replications={n}"],
            ),
            workers=1,
        )
        assert alone["overall"]["arrived"]["n"] == n
        expected = {m: alone["overall"][m] for m in SWEEP_METRICS if m in alone["overall"]}
        assert same(row["overall"], expected)


def test_a_sweep_on_dask_is_summarised_point_by_point_and_equals_the_pool(cluster):
    """On Dask each replication is handed on as it comes in (in order), so a point is summarised
    when its last replication is in: progress counts points, and the rows equal one pool's."""
    from slasim.scenario.loader import load_scenario_data
    from slasim.sim.sweep import sweep

    data, source = load_scenario_data("company-setup", ["working_days=30", "warmup_days=2"])
    varies = ["seed=3,4", "replications=2,3"]
    done = []
    on_dask = sweep(data, source, varies, scheduler=cluster.scheduler_address, progress=done.append)
    assert done == [1, 2, 3, 4]
    assert on_dask == sweep(data, source, varies, workers=2)


def _touch(folder, replication, seed) -> dict:
    """A pool task leaving a file named after its replication."""
    from pathlib import Path

    (Path(folder) / str(replication)).touch()
    return {"replication": replication}


def test_the_parents_own_work_runs_while_the_workers_run_theirs(tmp_path):
    """`meanwhile` (replication 0 writing the event log, in `run_scenario`) starts after the
    workers have their replications: a worker's file appears while it is still running."""
    from slasim.sim.parallel import run_parallel

    seen = []

    def meanwhile():
        deadline = time.monotonic() + 60
        while not any(tmp_path.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append(sorted(p.name for p in tmp_path.iterdir()))

    out = run_parallel(
        _touch, str(tmp_path), [0, 1, 2, 3], 0, workers=2, scheduler=None, meanwhile=meanwhile
    )
    assert out == [{"replication": r} for r in range(4)]
    assert len(seen) == 1 and seen[0]  # once, and a worker had finished one by then


def test_an_event_log_and_timeline_written_beside_the_pool_are_those_of_a_serial_run(tmp_path):
    """Replication 0 writes the log and the daily timeline in this process while the pool runs
    the others: the result, the log and its XES are byte for byte the serial run's."""
    scenario = load_scenario("district-centre", ["working_days=30", "warmup_days=2"])
    got = {}
    for workers in (1, 2):
        log = tmp_path / f"w{workers}" / "events.csv"
        log.parent.mkdir()
        result = run_scenario(
            scenario, replications=4, workers=workers, event_log=log, timeline=True
        )
        got[workers] = (result, log.read_bytes(), log.with_suffix(".xes").read_bytes())
    assert got[1][0]["timeline"] and got[1][1].count(b"\n") > 100
    assert same(got[2][0], got[1][0])
    assert got[2][1:] == got[1][1:]


def test_each_job_of_a_one_pool_run_carries_its_own_plan_only(monkeypatch):
    """A job sent to a worker (pickled per job on the pool, per task on Dask) holds one plan's
    scenario, whatever the number of plans in the run: its size does not grow with the plans."""
    import pickle

    from slasim.scenario.plan import compile_plan
    from slasim.sim import compare

    plan = compile_plan(load_scenario("district-centre", ["working_days=30"]), "scenario")
    sizes = {}

    def sent(task, payload, jobs, seed, **options):  # what run_parallel would hand the workers
        sizes[len(jobs)] = max(len(pickle.dumps((payload, job))) for job in jobs)
        return [{} for _ in jobs]

    monkeypatch.setattr(compare, "run_parallel", sent)
    for plans in (1, 10):
        compare.replicate_plans([(plan, 2, 7)] * plans, workers=2)
    scenario_json = plan.scenario.model_dump_json(by_alias=True)
    assert sizes[2] > len(scenario_json)  # the plan itself travels, for a spawned or Dask worker
    assert sizes[20] < sizes[2] + 100  # ten plans: each job still carries one


def test_an_event_log_run_beside_the_pool_counts_replication_0_and_ends_at_n(tmp_path):
    """The progress of `run --event-log` with a pool counts replication 0 once written (first),
    then the pool's: 1..n, as the in-process run counts."""
    scenario = load_scenario("company-setup", ["working_days=20", "warmup_days=2"])
    for workers in (1, 2):
        steps = []
        log = tmp_path / f"w{workers}" / "events.csv"
        log.parent.mkdir()
        run_scenario(
            scenario, replications=4, workers=workers, event_log=log, progress=steps.append
        )
        assert steps == [1, 2, 3, 4], workers


def test_an_event_log_whose_close_fails_leaves_no_staged_files(tmp_path, monkeypatch):
    """Writing the XES fails at close: the error is raised and the log's temporary files are
    removed (nothing half-written stays beside the target)."""
    from slasim.io.errors import SlasimError
    from slasim.outputs import eventlog

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(eventlog, "write_xes", full_disk)
    scenario = load_scenario("company-setup", ["working_days=20", "warmup_days=2"])
    with pytest.raises(SlasimError, match="cannot write the event log"):
        run_scenario(scenario, replications=2, event_log=tmp_path / "events.csv")
    assert list(tmp_path.iterdir()) == []


def test_workers_freeze_what_they_inherit_even_when_the_parent_froze_something():
    """A parent that froze its heap once (`io.files.gc_paused` after a large load) still forks
    workers that freeze everything they inherited, made after that too."""
    import gc

    from slasim.sim.parallel import run_parallel

    gc.freeze()
    try:
        before = gc.get_freeze_count()
        kept = [[] for _ in range(1000)]  # made after the parent's freeze, tracked by the collector
        out = run_parallel(_freeze_count, None, [0, 1], 7, workers=2, scheduler=None)
        assert all(o["frozen"] >= before + len(kept) for o in out)
    finally:
        gc.unfreeze()
