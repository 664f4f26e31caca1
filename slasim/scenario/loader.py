"""Loading a scenario: find the file, read it, expand its catalogue, apply `--set` overrides and
reforms, validate.

The schema (`schema`) knows nothing of files; reforms (`reforms`) patch raw data; this module
chains them: path → raw data → overrides → baseline validated → reforms applied → validated again.
"""

from __future__ import annotations

import copy
from pathlib import Path

from slasim.calendar.files import is_calendar_path
from slasim.io.errors import SlasimError
from slasim.io.files import read_yaml, yaml_value
from slasim.io.schema import validate
from slasim.scenario.catalogue import expand_catalogue
from slasim.scenario.plan import Plan, compile_plan
from slasim.scenario.reforms import reform_names, scenario_with_reforms
from slasim.scenario.schema import Scenario
from slasim.scenario.shipped import find_scenario


def apply_overrides(data: dict, overrides: list[str], source: str, option: str = "--set") -> dict:
    """`key.path=value` overrides (value read as YAML) applied to the raw scenario data; errors
    name the command-line `option` they came from."""
    data = copy.deepcopy(data)
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise SlasimError(
                "{option} expects key.path=value, got {item}",
                source=source,
                option=option,
                item=repr(item),
            )
        parts = key.split(".")
        node = data
        for depth, part in enumerate(parts[:-1]):
            node = _child(node, part, ".".join(parts[: depth + 1]), source, option)
        last = parts[-1]
        if isinstance(node, list):
            node[_list_index(node, last, key, source, option)] = yaml_value(text, f"{option} {key}")
        elif isinstance(node, dict):
            node[last] = yaml_value(text, f"{option} {key}")
        else:
            raise SlasimError(
                "{option} {key}: {parent} is not a mapping",
                source=source,
                option=option,
                key=key,
                parent=".".join(parts[:-1]),
            )
    return data


def _child(node, part: str, where: str, source: str, option: str):
    if isinstance(node, list):
        return node[_list_index(node, part, where, source, option)]
    if not isinstance(node, dict) or part not in node:
        raise SlasimError(
            "{option}: no field {where} in the scenario",
            source=source,
            option=option,
            where=repr(where),
        )
    return node[part]


def _list_index(node: list, part: str, where: str, source: str, option: str) -> int:
    if not part.isdigit() or int(part) >= len(node):
        raise SlasimError(
            "{option}: {where} is not an index of a list of {size}",
            source=source,
            option=option,
            where=repr(where),
            size=len(node),
        )
    return int(part)


def load_scenario_data(name: str | Path, overrides: list[str] = ()) -> tuple[dict, str]:
    """The raw data of a scenario file (with `--set` overrides) and its path as text."""
    path = find_scenario(str(name))
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise SlasimError("a scenario is a mapping with departments and services", source=str(path))
    data = expand_catalogue(data, path)
    calendar = data.get("calendar")
    if isinstance(calendar, str) and is_calendar_path(calendar) and calendar.endswith(".toml"):
        data["calendar"] = calendar_from(path, calendar)
    return apply_overrides(data, list(overrides), str(path)), str(path)


def calendar_from(scenario: Path, calendar: str) -> str:
    """A calendar path in a scenario file, resolved from the scenario's folder; a path that is
    only found from the working folder (as scenarios written before this rule had it) still
    works there."""
    beside = scenario.parent / calendar
    if not beside.is_file() and Path(calendar).is_file():
        return calendar
    return str(beside)


def load_scenario(name: str | Path, overrides: list[str] = (), reforms: list[str] = ()) -> Scenario:
    """A validated scenario, with the named reforms applied (in order) if any. The file is checked
    whole first, every reform included (`check_scenario`), as `slasim validate` checks it."""
    data, source = load_scenario_data(name, overrides)
    baseline = check_scenario(data, source).scenario
    return scenario_with_reforms(data, list(reforms), source) if reforms else baseline


def check_scenario(data: dict, source: str) -> Plan:
    """The baseline validated and compiled (its `Plan` is returned), and each of the file's reforms
    applied to it alone and compiled: a scenario whose reforms are broken is refused whichever
    command reads it."""
    plan = compile_plan(validate(Scenario, data, source), source)
    for reform in reform_names(data):
        compile_plan(scenario_with_reforms(data, [reform], source), source)
    return plan
