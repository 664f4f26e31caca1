"""The wheel holds every package of the source tree and every shipped data file: it is built from
a copy of the sources with pip, and its contents are compared with a walk of the tree (so a new
package or data folder that packaging would miss fails here, not on a user's machine)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .helpers import ROOT

SOURCES = ["pyproject.toml", "setup.py", "README.md", "slasim", "calendars", "scenarios"]
DATA_FOLDERS = {"calendars": "slasim/_shipped_calendars", "scenarios": "slasim/_shipped_scenarios"}


def visible_files(top: Path):
    """Files under `top`, leaving out caches and hidden files."""
    for path in sorted(top.rglob("*")):
        rel = path.relative_to(top)
        if path.is_file() and not any(p.startswith(".") or p == "__pycache__" for p in rel.parts):
            yield rel


@pytest.fixture(scope="module")
def src(tmp_path_factory) -> Path:
    """A copy of the sources: the tree the wheel is built from and compared with."""
    return tmp_path_factory.mktemp("src")


@pytest.fixture(scope="module")
def wheel(src, tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copy(path, src / name)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(out), str(src)],
        capture_output=True,
        text=True,
    )
    if done.returncode and "No matching distribution found for setuptools" in done.stderr:
        pytest.skip("pip cannot fetch setuptools to build the wheel (offline)")
    assert done.returncode == 0, done.stderr[-2000:]
    # A package missing from the configuration is still copied as data of its parent by today's
    # setuptools, with this warning, until setuptools removes that fallback: refuse it now.
    log = done.stdout + done.stderr
    assert "is absent from the `packages` configuration" not in log, log[-3000:]
    (built,) = out.glob("slasim-*.whl")
    with zipfile.ZipFile(built) as archive:
        yield archive


@pytest.fixture(scope="module")
def names(wheel) -> set[str]:
    return set(wheel.namelist())


def test_every_package_and_module_is_in_the_wheel(names, src):
    tree = src / "slasim"
    packages = sorted(p.parent for p in tree.rglob("__init__.py") if "__pycache__" not in p.parts)
    assert len(packages) > 10 and tree / "cli" in packages  # the walk itself found the tree
    assert list(tree.glob("locale/zh_CN/LC_MESSAGES/*.mo"))  # and the compiled catalogs
    missing = [  # modules, the data files a module reads (io/log_columns.toml), the catalogs
        f"slasim/{rel.as_posix()}"
        for rel in visible_files(tree)
        if rel.suffix in (".py", ".toml", ".json", ".mo")
        and f"slasim/{rel.as_posix()}" not in names
    ]
    assert not missing, f"source files missing from the wheel: {missing}"
    for package in packages:
        assert f"{package.relative_to(src).as_posix()}/__init__.py" in names


def test_every_shipped_data_file_is_in_the_wheel(names, src):
    expected = {
        f"{inside}/{rel.as_posix()}"
        for folder, inside in DATA_FOLDERS.items()
        for rel in visible_files(src / folder)
    }
    assert "slasim/_shipped_scenarios/checks/local-rules.yaml" in expected
    assert "slasim/_shipped_calendars/cn.toml" in expected
    missing = sorted(expected - names)
    assert not missing, f"data files missing from the wheel: {missing}"


def test_the_wheel_names_the_console_entry_point(wheel, names):
    (entry,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    lines = wheel.read(entry).decode().splitlines()
    assert "[console_scripts]" in lines and "slasim = slasim.cli:main" in lines
