"""Which packages the wheel holds, found rather than listed (everything else is in pyproject.toml).

`slasim` and every sub-package with an `__init__.py` are found by setuptools' `find_packages`. The
data folders `calendars/` and `scenarios/` ship inside the package as `slasim._shipped_calendars`
and `slasim._shipped_scenarios`, each sub-folder (`scenarios/checks`, `scenarios/logs`, …) as a
sub-package of its own, so a new folder is shipped without editing this file. A TOML or JSON file
beside a module of slasim (data it reads, never Python literals) ships with its package, and the
compiled translation catalogs (`slasim/locale/*/LC_MESSAGES/*.mo`) in `slasim.locale`'s folders,
each a package of data only.
"""

from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).resolve().parent
SHIPPED = {"calendars": "slasim._shipped_calendars", "scenarios": "slasim._shipped_scenarios"}
DATA = ["*.toml", "*.yaml", "*.csv", "*.csv.gz", "*.md"]
MODULE_DATA = [
    "*.toml",
    "*.json",
]  # data a module of slasim reads beside itself (io/log_columns.toml)
CATALOGS = ["*.mo"]  # compiled translations (docs/make_catalogs.py)


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


def locale_packages() -> list[str]:
    """slasim/locale and its folders (zh_CN/LC_MESSAGES …), each a package of data only."""
    top = ROOT / "slasim" / "locale"
    folders = [top, *(p for p in top.rglob("*") if p.is_dir() and not p.name.startswith("_"))]
    return [".".join(p.relative_to(ROOT).parts) for p in sorted(folders)]


DATA_PACKAGES = shipped_packages()
CODE_PACKAGES = find_packages(include=["slasim", "slasim.*"])
LOCALE_PACKAGES = locale_packages()
setup(
    packages=CODE_PACKAGES + LOCALE_PACKAGES + list(DATA_PACKAGES),
    package_dir=DATA_PACKAGES,
    package_data=dict.fromkeys(CODE_PACKAGES, MODULE_DATA)
    | dict.fromkeys(LOCALE_PACKAGES, CATALOGS)
    | dict.fromkeys(DATA_PACKAGES, DATA),
)
