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
    assert serial["engine"] == ("simpy" if scenario.name == "district-centre" else "fcfs")
    assert same(run_scenario(scenario, replications=6, workers=2), serial)


def test_a_dask_cluster_gives_the_in_process_result(scenario, serial, cluster):
    assert same(run_scenario(scenario, replications=6, scheduler=cluster.scheduler_address), serial)


def test_a_worker_killed_mid_run_loses_and_doubles_nothing(cluster):
    longer = load_scenario("district-centre")  # ~0.4 s a replication: the kill lands mid-run
    expected = run_scenario(longer, replications=8, workers=1)
    with distributed.Client(cluster) as client:
        victim = sorted(client.run(os.getpid).values())[0]
        killed_at = []

        def kill_soon():
            time.sleep(0.8)
            os.kill(victim, signal.SIGKILL)
            killed_at.append(time.monotonic())

        killer = threading.Thread(target=kill_soon)
        killer.start()
        result = run_scenario(longer, replications=8, scheduler=cluster.scheduler_address)
        finished_at = time.monotonic()
        killer.join()
        client.wait_for_workers(1)
    assert killed_at and killed_at[0] < finished_at
    with pytest.raises(ProcessLookupError):
        os.kill(victim, 0)  # that worker process is gone
    assert result["overall"]["arrived"]["n"] == 8
    assert same(result, expected)
