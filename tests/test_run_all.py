"""benchmarks/run_all.py flags each missed target (the benchmarks themselves are not run here)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run_all():
    spec = importlib.util.spec_from_file_location("run_all", ROOT / "benchmarks/run_all.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _results(**changes) -> dict:
    results = {
        "mmc": {"slasim_vs_simpy": 4.8, "ciw_per_s": 1.0, "slasim_vs_ciw": 9.0},
        "city_year": [
            {"engine": "fcfs", "target": 100_000, "seconds": 0.5, "peak_mib": 100.0},
            {"engine": "fcfs", "target": 1_000_000, "seconds": 4.6, "peak_mib": 108.0},
        ],
        "engines": [{"scenario": "district-centre", "speedup": 5.5}],
        "parallel": [{"scenario": "district-centre", "workers": 2, "speed_up": 1.9}],
        "staff": {"share_of_exhaustive": 0.03},
    }
    results.update(changes)
    return results


def test_a_run_meeting_every_target_flags_nothing():
    assert _run_all().missed_targets(_results()) == []


def test_each_missed_target_is_named_with_its_value_and_bound():
    missed = _run_all().missed_targets(
        _results(
            mmc={"slasim_vs_simpy": 0.5},
            city_year=[
                {"engine": "fcfs", "target": 100_000, "seconds": 0.5, "peak_mib": 100.0},
                # 130 / 100 = 1.30 > 1.2; 75 s > 60 s
                {"engine": "fcfs", "target": 1_000_000, "seconds": 75.0, "peak_mib": 130.0},
            ],
            staff={"share_of_exhaustive": 0.30},
        )
    )
    assert missed == [
        "M/M/c vs raw SimPy: 0.50×, target >= 0.7×",
        "city-year 1M cases: 75.00 s, target <= 60 s",
        "city-year peak memory 1M / 100k: 1.30×, target <= 1.2×",
        "staffing search, share of exhaustive: 30.00 %, target <= 25 %",
    ]
