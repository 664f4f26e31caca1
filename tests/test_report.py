"""`slasim report`: a self-contained HTML page, rendered by a real headless browser (Debian's chromium),
with a screenshot taken in the test run; charts also as PNG and SVG."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .helpers import slasim

pytest.importorskip("matplotlib")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    from slasim.cli import main

    out = tmp_path_factory.mktemp("results")
    with pytest.raises(SystemExit) as done:
        main(
            [
                "compare",
                "district-centre",
                "--reps",
                "3",
                "--set",
                "working_days=30",
                "--set",
                "warmup_days=3",
                "-r",
                "dedicated-inspectors",
                "--out",
                str(out),
                "--quiet",
                "--workers",
                "1",
            ]
        )
    assert done.value.code == 0
    return out


def test_the_report_is_one_self_contained_page(results):
    from slasim.outputs.html import build_report, write_charts

    page = build_report(results)
    assert (
        page.startswith("<!DOCTYPE html>") and page.count("<svg") == 4
    )  # 1 compare + 3 run charts
    for section in (
        "Reforms against the baseline",
        "dedicated-inspectors",
        "Calendar",
        "Scenario definition",
        "seed 2025",
        "2025",
        "engine events (not the queue path: step food-licence/accept has a supplement loop",
    ):
        assert section in page
    assert re.search(r'(src|href)="(?!#)', page) is None  # nothing fetched from outside the page
    written = write_charts(results, results / "charts")
    assert sorted(p.name for p in written) == sorted(
        f"{n}.{s}" for n in ("cards", "lead-times", "utilisation") for s in ("png", "svg")
    )
    assert all(p.stat().st_size > 5000 for p in written)


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (installed by .ci/run)")
def test_a_headless_browser_renders_it(results, tmp_path):
    import matplotlib.image as mpimg

    from slasim.cli import main

    with pytest.raises(SystemExit):
        main(["report", str(results)])
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--screenshot={shot}",
            "--window-size=1200,1600",
            (results / "report.html").as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    image = mpimg.imread(shot)
    assert image.shape[0] == 1600 and image.shape[1] == 1200
    # Rendered, not blank: the charts' yellow bars are on the page.
    yellow = (image[..., 0] > 0.8) & (image[..., 1] > 0.6) & (image[..., 2] < 0.3)
    assert yellow.sum() > 500
    print(f"screenshot: {shot}")


def test_a_run_report_has_the_daily_timeline_and_a_sweep_heat_map(tmp_path):
    from slasim.cli import main
    from slasim.outputs.html import build_report

    out = tmp_path / "run"
    with pytest.raises(SystemExit) as done:
        main(
            [
                "run",
                "district-centre",
                "--reps",
                "2",
                "--set",
                "working_days=25",
                "--out",
                str(out),
                "-q",
                "-w",
                "1",
            ]
        )
    assert done.value.code == 0
    import json

    timeline = json.loads((out / "summary.json").read_text(encoding="utf-8"))["timeline"]
    assert len(timeline) == 24 and {"day", "open", "queues", "cards"} <= set(timeline[0])
    # Open cases = pending + cases by card at every close.
    assert all(sum(s["cards"].values()) <= s["open"] for s in timeline)
    page = build_report(out)
    assert page.count("<svg") == 4 and "supervision screen" in page
    heat = tmp_path / "heat.svg"
    with pytest.raises(SystemExit) as done:
        main(
            [
                "sweep",
                "district-centre",
                "--vary",
                "departments.registry.staff=2,3",
                "--vary",
                "services.real-estate.arrivals.per_day=18,22",
                "--reps",
                "1",
                "--set",
                "working_days=15",
                "--plot",
                str(heat),
                "-q",
                "-w",
                "1",
            ]
        )
    assert done.value.code == 0 and heat.read_text(encoding="utf-8").count("<svg") == 1


def test_the_staffing_page_is_tables_not_preformatted_text(tmp_path):
    """The staff search's answer reads as tables: staff by department, the evidence per target
    and the cheaper staffings rejected (here: one clerk is below the offered load of 1.43)."""
    from tests.helpers import slasim

    out = tmp_path / "staff"
    code, _, err = slasim("staff", "minimal", "-t", "past_promised<=1%", "--out", out, "-q")
    assert code == 0, err
    assert slasim("report", out).returncode == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<pre>" not in page
    for header in ("department", "staff", "target", "verdict", "cheaper staffing rejected"):
        assert f"<th>{header}</th>" in page
    assert re.search(r"<td>window=1</td><td>1</td><td>window: unstable", page)


def test_a_result_file_that_is_a_device_is_refused_not_read(tmp_path):
    # summary.json symlinked to /dev/zero was read without bound.
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "summary.json").symlink_to("/dev/zero")
    code, out, err = slasim("report", folder)
    assert code == 2 and out == ""
    assert err == f"error: {folder / 'summary.json'}: not a regular file: not read\n"


@pytest.mark.parametrize("wrong", [5, "text", [], {"mean": None}])
def test_result_fields_of_the_wrong_type_are_one_line(tmp_path, wrong):
    folder = tmp_path / "out"
    folder.mkdir()
    summary = dict.fromkeys(("period", "services", "overall", "departments"), wrong)
    (folder / "summary.json").write_text(json.dumps({"scenario": "x", **summary}))
    code, _, err = slasim("report", folder)
    assert (
        code == 2
        and err.count("\n") == 1
        and err.startswith(
            f"error: {folder}: not a slasim result file: a field is missing or of the wrong type ("
        )
    )
