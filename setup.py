"""Which packages the wheel holds, found rather than listed (everything else is in pyproject.toml).

`slasim` and every sub-package with an `__init__.py` are found by setuptools' `find_packages`. The
data folders `calendars/` and `scenarios/` ship inside the package as `slasim._shipped_calendars`
and `slasim._shipped_scenarios`, each sub-folder (`scenarios/checks`, `scenarios/logs`, …) as a
sub-package of its own, so a new folder is shipped without editing this file.
"""

from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).resolve().parent
SHIPPED = {"calendars": "slasim._shipped_calendars", "scenarios": "slasim._shipped_scenarios"}
DATA = ["*.toml", "*.yaml", "*.csv", "*.csv.gz", "*.md"]


def shipped_packages() -> dict[str, str]:
    """Package name -> folder, for each data folder and its sub-folders."""
    found = {}
    for folder, package in SHIPPED.items():
        top = ROOT / folder
        for path in sorted([top, *(p for p in top.rglob("*") if p.is_dir())]):
            rel = path.relative_to(top).parts
            if not any(part.startswith((".", "_")) for part in rel):  # not __pycache__
                found[".".join((package, *rel))] = path.relative_to(ROOT).as_posix()
    return found


DATA_PACKAGES = shipped_packages()
setup(
    packages=find_packages(include=["slasim", "slasim.*"]) + list(DATA_PACKAGES),
    package_dir=DATA_PACKAGES,
    package_data=dict.fromkeys(DATA_PACKAGES, DATA),
)
