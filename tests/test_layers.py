"""The package's floors hold: no module imports a higher floor or a sibling on its floor, and the
module import graph has no cycle (imports inside functions included), read with `ast`."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "slasim"
# Floors, bottom up (docs/ARCHITECTURE.md). Modules of the package root sit on top.
FLOORS = {
    "io": 0,
    "calendar": 1,
    "clock": 2,
    "checks": 3,
    "scenario": 3,
    "outputs": 4,
    "sim": 5,
    "staffing": 6,
    "forecast": 6,
    "fit": 6,
    "evaluation": 6,
}
TOP = 7
# Packages on the top floor with the package root's own modules: they may import every floor
# (the workbench page not the command line: both call the library, neither the other's code).
TOP_PACKAGES = {"cli", "workbench"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, modules: set[str]) -> set[str]:
    """slasim modules a file imports, anywhere in it (`from slasim.x import y` counts y if y is a
    module, else slasim.x)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("slasim")}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import (use absolute slasim.… imports)"
            if node.module and node.module.startswith("slasim"):
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    found.add(sub if sub in modules else node.module)
    return found


def floor(module: str) -> tuple[int, str]:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in FLOORS:
        return FLOORS[parts[1]], parts[1]
    return TOP, "slasim"


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: imported_modules(path, set(files)) - {name} for name, path in files.items()}


def test_every_module_has_a_floor(graph):
    top = {"slasim", "slasim.__main__"}
    unknown = [
        m for m in graph if m not in top and m.split(".")[1] not in FLOORS.keys() | TOP_PACKAGES
    ]
    assert not unknown, (
        f"modules outside the floors (add to FLOORS and docs/ARCHITECTURE.md): {unknown}"
    )


def test_no_upward_or_sideways_import(graph):
    bad = []
    for module, targets in graph.items():
        level, package = floor(module)
        for target in targets:
            t_level, t_package = floor(target)
            if t_package == package:
                continue
            if t_level >= level:
                bad.append(f"{module} (floor {level}) imports {target} (floor {t_level})")
    assert not bad, "\n".join(sorted(bad))


def test_no_import_cycle(graph):
    seen: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        seen[module] = 1
        for target in sorted(graph.get(module, ())):
            if target not in graph:
                continue
            if seen.get(target) == 1:
                cycle = path[path.index(target) :] + [target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in seen:
                visit(target, [*path, target])
        seen[module] = 2

    for module in sorted(graph):
        if module not in seen and module != "slasim":
            visit(module, [module])


def test_the_workbench_does_not_import_the_command_line(graph):
    bad = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if module.startswith("slasim.workbench")
        for target in targets
        if target.startswith("slasim.cli")
    )
    assert not bad, f"the workbench calls the library, not the command line: {bad}"


def loaded_after(code: str, prefixes: tuple[str, ...]) -> tuple[str, list[str]]:
    """Run `code` in a fresh interpreter: what it printed, and the modules it has loaded that are
    one of `prefixes` or inside one (`slasim.sim` and `slasim.sim.runner`, not `slasim.simple`)."""
    check = (
        "import sys\n"
        f"wanted = {prefixes!r}\n"
        "print(sorted(m for m in sys.modules if any(m == p or m.startswith(p + '.') "
        "for p in wanted)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code + check], capture_output=True, text=True, check=True
    )
    return done.stdout, ast.literal_eval(done.stderr.strip().splitlines()[-1])


def test_the_command_line_and_the_package_do_not_import_the_web_library():
    """Streamlit (the `app` extra) loads only when `slasim app` runs: `import slasim`, the command
    line's start-up and a command's help never import it."""
    code = (
        "import slasim, slasim.cli\n"
        "from typer.testing import CliRunner\n"
        "from slasim.cli import app\n"
        "assert CliRunner().invoke(app, ['app', '--help']).exit_code == 0\n"
    )
    assert loaded_after(code, ("streamlit", "tornado"))[1] == []


def test_the_checker_sees_a_planted_violation(tmp_path):
    """The walk finds imports inside functions (a checker that saw none would pass vacuously)."""
    planted = tmp_path / "planted.py"
    planted.write_text("def f():\n    from slasim.sim.runner import run_scenario\n")
    assert imported_modules(planted, {"slasim.sim.runner"}) == {"slasim.sim.runner"}


def test_the_deadline_command_stays_light():
    """`slasim deadline` imports neither SimPy, plotting, the scenario models nor the simulation."""
    code = (
        "from typer.testing import CliRunner\n"
        "from slasim.cli import app\n"
        "assert CliRunner().invoke(app, ['deadline', '2025-09-26', '20wd', '--json']).exit_code == 0\n"
    )
    heavy = ("simpy", "matplotlib", "slasim.scenario", "slasim.sim", "slasim.outputs", "dask")
    assert loaded_after(code, heavy)[1] == []


def test_the_deadline_command_does_not_import_pydantic():
    """The clock never imports pydantic (the validated limit pair lives in `clock.limit_pair`, for
    the schemas), so `slasim deadline` stays near the `import numpy, typer` floor once the
    calendar's resolved spec is cached (the first run validates the calendar file with pydantic)."""
    warm = [sys.executable, "-m", "slasim", "deadline", "2025-09-26", "20wd"]
    subprocess.run(warm, capture_output=True, text=True, check=True)
    code = (
        "from slasim.cli import main\n"
        "try:\n"
        "    main(['deadline', '2025-09-26', '20wd', '--json'])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
    )
    out, pydantic = loaded_after(code, ("pydantic",))
    assert '"due": "2025-10-30T17:30"' in out
    assert pydantic == [], pydantic
