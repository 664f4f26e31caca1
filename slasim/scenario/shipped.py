"""Scenarios by name: the scenarios shipped with slasim (`scenarios/` and its sub-folders, so
`fitted/loanapp` is a name too), each with the description its own file gives, and the lookup of
a name or path, which suggests the closest shipped names when a name matches nothing.

A YAML file is a scenario when it is a mapping with `services`: the card-ladder presets beside the
scenarios, and other YAML files in a folder (CI workflows, pre-commit hooks), are not.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from slasim.io.errors import SlasimError
from slasim.io.files import did_you_mean, read_yaml, shipped_dir

SUFFIXES = (".yaml", ".yml", ".json")


def scenario_data(path: Path) -> dict | None:
    """The file's data if it is a readable scenario file (a mapping with `services`), else None."""
    try:
        data = read_yaml(path)
    except SlasimError:
        return None
    return data if isinstance(data, dict) and "services" in data else None


@cache
def shipped_rows() -> tuple[tuple[str, str, str], ...]:
    """(name, description, Chinese description) of each shipped scenario, sorted by name; the
    description is the file's `description`, else its `name`; the Chinese one its
    `description_zh`, else the description."""
    root = shipped_dir("scenarios")
    found = []
    for path in sorted(root.rglob("*.yaml")):
        rel = path.relative_to(root).with_suffix("")
        if any(part.startswith((".", "_")) for part in rel.parts):
            continue
        data = scenario_data(path)
        if data is not None:
            text = " ".join(str(data.get("description") or data.get("name") or "").split())
            zh = " ".join(str(data.get("description_zh") or "").split()) or text
            found.append((rel.as_posix(), text, zh))
    return tuple(found)


def shipped_scenarios() -> tuple[tuple[str, str], ...]:
    """(name, description) of each shipped scenario, sorted by name (see `shipped_rows`)."""
    return tuple((name, text) for name, text, _zh in shipped_rows())


def find_scenario(name: str) -> Path:
    """A path; else a name: `./NAME.yaml` (or `.yml`, `.json`) here, then a shipped scenario. A
    name that is none of these is refused, with the closest shipped names."""
    path = Path(name)
    if path.exists() or path.suffix in SUFFIXES:
        return path
    for suffix in SUFFIXES:
        candidate = path.with_name(f"{path.name}{suffix}")
        if candidate.is_file():
            return candidate
    shipped = shipped_dir("scenarios") / f"{name}.yaml"
    if shipped.is_file():
        return shipped
    names = [n for n, _ in shipped_scenarios()]
    raise SlasimError(
        "unknown scenario {name}: no such file here, nor a shipped scenario{hint}; "
        "`slasim scenarios` lists the shipped ones",
        name=repr(name),
        hint=did_you_mean(name, names),
    )
