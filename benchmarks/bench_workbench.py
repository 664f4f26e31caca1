"""The workbench's What-if page on `district-centre`: seconds from pressing Run to the first numbers
on the page (target: <= 2 s) and to the final table, for a typical what-if (one more registry
reviewer, the dedicated-inspectors reform switched on, the file's 10 paired replications).

Measured with Streamlit's own harness (`AppTest`), in the page's process as the server runs it:
the page is loaded and the controls set first; the clock starts at the click. *First numbers*:
the moment the interim table (the first 2 replications of each side, `page_whatif.show_interim`)
has been handed to Streamlit, which sends it to the browser at once; *final table*: the end of
the script run that draws the final comparison. The kept result is emptied before each press, so
every press simulates. The first press after the page loaded also reads the calendar and fills
the engines' caches; it waits for the imports the page starts in the background (SciPy, pandas,
Arrow, Altair), as they finish while a planner sets the controls, and is shown on its own with
that wait; the other presses' figures are medians. The replications after the first ones run as
on the server (as many processes as `slasim compare` takes by default), so the figures depend on
how busy the machine is: the load average is printed beside them, before and after. The same
inputs pressed again (the kept result) are timed too, and a direct call of the run function
(`whatif.run_what_if`, no drawing) to its first numbers and to its end.

    python benchmarks/bench_workbench.py [--presses 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from slasim.workbench import inputs, page_whatif, whatif

APP = str(Path(__file__).resolve().parent.parent / "slasim" / "workbench" / "app.py")
SCENARIO = "district-centre"
REPS = 10
TARGET_SECONDS = 2.0
SHOWN: list[float] = []  # when the interim table was handed to Streamlit (perf_counter)


def page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    at.sidebar.radio(key="lang").set_value("en").run()
    at.selectbox(key="scenario").set_value(SCENARIO).run()
    at.number_input(key=f"staff:{SCENARIO}:registry").set_value(4)
    at.toggle(key=f"reform:{SCENARIO}:dedicated-inspectors").set_value(True)
    at.number_input(key=f"reps:{SCENARIO}").set_value(REPS)
    return at.run()


def press(at: AppTest) -> tuple[float | None, float]:
    """Seconds from the click to the first numbers (None: none drawn) and to the final table."""
    SHOWN.clear()
    started = time.perf_counter()
    at.button(key="run").click().run()
    seconds = time.perf_counter() - started
    assert not at.exception and len(at.table) == 2, "no results drawn"
    return (SHOWN[0] - started if SHOWN else None), seconds


def timed_interim():
    drawn = page_whatif.show_interim

    def show_interim(result, reps):
        drawn(result, reps)
        SHOWN.append(time.perf_counter())

    return show_interim


def measure(presses: int) -> dict:
    load_before = os.getloadavg()[0]
    page_whatif.show_interim = timed_interim()
    at = page()
    ready = time.perf_counter()
    page_whatif.WARM_UP.join()  # as while a planner sets the controls
    warm_up = time.perf_counter() - ready
    whatif.RESULTS.results.clear()
    first_press = press(at)  # the first after the page loaded: calendar, engines, caches
    first, final = [], []
    for _ in range(presses):
        whatif.RESULTS.results.clear()
        early, seconds = press(at)
        first.append(early)
        final.append(seconds)
    kept = [press(at)[1] for _ in range(presses)]
    data, source = inputs.load_choice(SCENARIO)
    changes = whatif.Changes(staff=(("registry", 4),), reforms=("dedicated-inspectors",))
    direct_first, direct = [], []
    for _ in range(presses):
        started = time.perf_counter()
        SHOWN.clear()
        whatif.run_what_if(
            data, source, changes, REPS, 2025, interim=lambda _r: SHOWN.append(time.perf_counter())
        )
        direct.append(time.perf_counter() - started)
        direct_first.append(SHOWN[0] - started)
    return {
        "scenario": SCENARIO,
        "replications": REPS,
        "press_to_first_numbers_s": statistics.median(first),
        "press_to_first_numbers_all_s": first,
        "press_to_table_s": statistics.median(final),
        "press_to_table_all_s": final,
        "warm_up_after_page_s": warm_up,
        "first_press_first_numbers_s": first_press[0],
        "first_press_table_s": first_press[1],
        "kept_result_s": statistics.median(kept),
        "run_function_first_numbers_s": statistics.median(direct_first),
        "run_function_s": statistics.median(direct),
        "target_s": TARGET_SECONDS,
        "meets_target": statistics.median(first) <= TARGET_SECONDS,
        "load_average_1min_before": load_before,
        "load_average_1min": os.getloadavg()[0],
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    r = measure(args.presses)
    if args.json:
        print(json.dumps(r, indent=2))
        return
    n = len(r["press_to_table_all_s"])
    print(
        f"What-if on {r['scenario']} ({r['replications']} paired replications): Run to the first "
        f"numbers {r['press_to_first_numbers_s']:.2f} s (median of {n}; target <= "
        f"{r['target_s']:g} s: {'met' if r['meets_target'] else 'NOT met'})"
    )
    print(f"  Run to the final table: {r['press_to_table_s']:.2f} s (median of {n})")
    print(
        f"  the first press after the page loaded (not in the medians; its background imports "
        f"done {r['warm_up_after_page_s']:.2f} s after the controls were set): first numbers "
        f"{r['first_press_first_numbers_s']:.2f} s, final table {r['first_press_table_s']:.2f} s"
    )
    print(f"  the same inputs again (kept result): {r['kept_result_s']:.2f} s")
    print(
        f"  the run function alone (no drawing): first numbers "
        f"{r['run_function_first_numbers_s']:.2f} s, all {r['run_function_s']:.2f} s"
    )
    print(
        f"  machine: {r['cpus']} CPUs, load average (1 min) {r['load_average_1min_before']:.1f} "
        f"before, {r['load_average_1min']:.1f} after"
    )


if __name__ == "__main__":
    main()
