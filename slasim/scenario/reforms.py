"""Reforms: named, composable patches on a baseline scenario (the file's `reforms:` section).

A reform is a list of operations, each a one-key mapping (their fields: `reform_schema`; an
example of each: docs/REFORMS.md), applied in order to the scenario's data and then validated
again as a whole scenario. Every name an operation uses (service, step,
department) must exist in the scenario it patches, or the reform is refused with its field path.
A step inside a `markov` route item is found like any other: `remove` hands its shares on to the
steps after it (`markov_edit`), `merge` joins chain steps only where each is always followed by
the next and reached from nowhere else, `parallelize` refuses them (a chain has no fixed order),
and a bundle prefixes their names in the chain's shares too.

    parallelize   {service, steps: [a, b, ...]}      serial → parallel with an AND-join (并联审批)
    merge         {service, steps: [a, b], into, work?, department?}   joint inspection / review
    remove        {service, step}                    a step or level hop removed (权限下放)
    staff         {department, staff | delta, from?, to?}             absolute or delta, maybe dated
    work          {service, step, scale | work}      work (or delay) time scaled or replaced
    limits        {service?, promised}               `5wd`, or a share of the legal limit (`60%`)
    cards         {service?, ladder}                 another card ladder
    materials     {service, step, cut}               a share of the materials cut: fewer supplements
    online        {service, share}                   share of online receipts
    arrivals      {service?, scale}                  more or fewer applications
    bundle        {services, into, accept, limits, arrivals?}   一件事: one acceptance, children in parallel
    tolerate_missing {service, step}                 容缺受理: accept with materials missing, clock runs
    commitment    {service}                          告知承诺: decided at acceptance, checks run after
"""

from __future__ import annotations

import copy
from typing import NamedTuple

from slasim.clock.limits import Limit, parse_share
from slasim.io.errors import SlasimError
from slasim.io.i18n import Text
from slasim.io.schema import validate
from slasim.scenario.distributions import Distribution
from slasim.scenario.markov_edit import remove_state, rename_state
from slasim.scenario.reform_schema import (
    OPERATION_ERROR,
    OPERATIONS,
    ArrivalsScale,
    Bundle,
    Cards,
    Commitment,
    Limits,
    Materials,
    Merge,
    Online,
    Parallelize,
    Remove,
    Staff,
    TolerateMissing,
    Work,
)
from slasim.scenario.schema import Scenario


def reform_names(data: dict) -> list[str]:
    """The names of a scenario's reforms, in file order."""
    return list((data.get("reforms") or {}).keys())


def apply_reforms(data: dict, names: list[str], source: str) -> dict:
    """The scenario data with the named reforms applied in order (the `reforms` section dropped)."""
    reforms = data.get("reforms") or {}
    out = copy.deepcopy({k: v for k, v in data.items() if k != "reforms"})
    for name in names:
        if name not in reforms:
            known = ", ".join(reforms) or Text("none defined")
            raise SlasimError(
                "unknown reform {name} (reforms: {known})",
                source=source,
                field="reforms",
                name=repr(name),
                known=known,
            )
        operations = reforms[name]
        if not isinstance(operations, list) or not operations:
            raise SlasimError(
                "a reform is a non-empty list of operations", source=source, field=f"reforms.{name}"
            )
        for i, operation in enumerate(operations):
            where = f"reforms.{name}[{i}]"
            if (
                not isinstance(operation, dict)
                or len(operation) != 1
                or next(iter(operation)) not in OPERATIONS
            ):
                raise SlasimError(OPERATION_ERROR, source=source, field=where)
            ((kind, body),) = operation.items()
            if not isinstance(body, dict):
                raise SlasimError(
                    "{kind} takes a mapping of fields",
                    source=source,
                    field=where,
                    kind=kind,
                )
            try:
                op = validate(OPERATIONS[kind], body, source)
            except SlasimError as exc:
                raise exc.located(source, f"{where}.{kind}") from None
            try:
                APPLY[kind](out, op)
                _check_depth(out)
            except SlasimError as exc:
                raise SlasimError(
                    exc.message,
                    source=source,
                    field=f"{where}.{kind}" + (f".{exc.field}" if exc.field else ""),
                ) from None
    return out


MAX_DEPTH = 64  # mappings and lists nested in a scenario a reform makes (bundles of bundles …)


def _check_depth(data) -> None:
    """Refuse data nested deeper than MAX_DEPTH (counted without recursion): operations applied
    one after another can nest routes (a bundle of a bundle of …) past what a file may hold."""
    level = [data]
    for _ in range(MAX_DEPTH):
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, dict | list)
        ]
        if not level:
            return
    raise SlasimError("the reforms nest the scenario over {depth} levels deep", depth=MAX_DEPTH)


def scenario_with_reforms(data: dict, names: list[str], source: str) -> Scenario:
    """The scenario with the named reforms applied, validated, and named after them."""
    patched = apply_reforms(data, names, source)
    label = "+".join(names)
    where = Text("{source} (reform {names})", source=str(source), names=label)
    scenario = validate(Scenario, patched, where if names else source)
    return scenario.model_copy(
        update={"name": f"{scenario.name} + {label}" if names else scenario.name}
    )


# ------------------------------------------------------------------ operations on the raw data
def _service(data: dict, name: str) -> dict:
    services = data.get("services") or {}
    if name not in services:
        raise SlasimError(
            "no service {name} (have {known})",
            field="service",
            name=repr(name),
            known=", ".join(services),
        )
    return services[name]


def _services(data: dict, name: str | None) -> list[dict]:
    return list((data.get("services") or {}).values()) if name is None else [_service(data, name)]


class Found(NamedTuple):
    """Where a named step is: the list holding it (a route, or a Markov route's `steps`) and its
    index there, the step, the `markov` mapping holding it (or None), and the route item that
    holds it in its route (the step itself, or its `markov` item) as (route, index)."""

    holder: list
    index: int
    step: dict
    chain: dict | None
    route: list
    at: int


def _find(route: list, name: str) -> Found | None:
    """Where the named step is, anywhere in a route (inside parallel, branch and markov items)."""
    for i, item in enumerate(route):
        if not isinstance(item, dict):
            continue
        if item.get("step") == name:
            return Found(route, i, item, None, route, i)
        chain = item.get("markov")
        if isinstance(chain, dict):
            for j, step in enumerate(chain.get("steps", [])):
                if isinstance(step, dict) and step.get("step") == name:
                    return Found(chain["steps"], j, step, chain, route, i)
        for branch in item.get("parallel", []):
            found = _find(branch, name)
            if found:
                return found
        for branch in item.get("branch", []):
            found = _find(branch.get("steps", []), name)
            if found:
                return found
    return None


def _step(service: dict, name: str, service_name: str) -> Found:
    found = _find(service.get("steps", []), name)
    if found is None:
        raise SlasimError(
            "no step {name} in service {service}",
            field="step",
            name=repr(name),
            service=repr(service_name),
        )
    return found


def _consecutive(service: dict, names: list[str], service_name: str) -> tuple[list, int]:
    """The route holding the named steps one after another, and the index of the first."""
    holder, first, *_ = _step(service, names[0], service_name)
    for offset, name in enumerate(names):
        item = holder[first + offset] if first + offset < len(holder) else None
        if not isinstance(item, dict) or item.get("step") != name:
            _step(
                service, name, service_name
            )  # unknown name: say so; else they are not consecutive
            raise SlasimError(
                "steps {names} are not consecutive in one sequence",
                field="steps",
                names=", ".join(names),
            )
    return holder, first


def _in_chain(service: dict, names: list[str], service_name: str) -> dict | None:
    """The `markov` mapping holding the first named step, or None (every name must exist)."""
    found = [_step(service, name, service_name) for name in names]
    return found[0].chain


def _parallelize(data: dict, op: Parallelize) -> None:
    service = _service(data, op.service)
    for name in op.steps:
        if _step(service, name, op.service).chain is not None:
            raise SlasimError(
                "step {name} is in a Markov route, whose steps have no fixed order to run in "
                "parallel",
                field="steps",
                name=repr(name),
            )
    holder, first = _consecutive(service, op.steps, op.service)
    steps = holder[first : first + len(op.steps)]
    holder[first : first + len(op.steps)] = [{"parallel": [[s] for s in steps]}]


def _mean(step: dict) -> float:
    dist = step.get("work") or step.get("delay")
    return Distribution.model_validate(dist).mean if dist else 0.0


def _merge(data: dict, op: Merge) -> None:
    service = _service(data, op.service)
    chain = _in_chain(service, op.steps, op.service)
    if chain is not None:
        _merge_chain(chain, op)
        return
    holder, first = _consecutive(service, op.steps, op.service)
    steps = holder[first : first + len(op.steps)]
    holder[first : first + len(op.steps)] = [_merged(steps, op)]


def _merged(steps: list[dict], op: Merge) -> dict:
    """The one step replacing `steps`: by default the longest one's work, under the new name."""
    longest = max(steps, key=_mean)  # a joint review takes as long as its longest part, by default
    merged = {
        k: v for k, v in longest.items() if k in ("department", "work", "delay", "limit", "accepts")
    }
    merged["step"] = op.into
    if op.work is not None:
        merged.pop("delay", None)
        merged["work"] = op.work.model_dump(exclude_none=True)
    if op.department is not None:
        merged["department"] = op.department
    return merged


def _merge_chain(chain: dict, op: Merge) -> None:
    """Merge steps of a Markov route where they form one sequence every case walks whole: each
    step always followed by the next, which is reached from nowhere else. The merged step takes
    the first one's place and the last one's shares onward (exact: no case's path changes)."""
    names = [s.get("step") for s in chain["steps"]]
    if any(name not in names for name in op.steps):
        raise SlasimError(
            "steps {names} are not consecutive in one sequence",
            field="steps",
            names=", ".join(op.steps),
        )
    for before, after in zip(op.steps, op.steps[1:]):
        if any(share for target, share in chain["next"][before].items() if target != after):
            raise SlasimError(
                "step {before} of the Markov route is not always followed by {after}",
                field="steps",
                before=repr(before),
                after=repr(after),
            )
        if chain["start"].get(after) or any(
            shares.get(after) for source, shares in chain["next"].items() if source != before
        ):
            raise SlasimError(
                "step {after} of the Markov route is reached other than after {before}",
                field="steps",
                before=repr(before),
                after=repr(after),
            )
    steps = [chain["steps"][names.index(name)] for name in op.steps]
    chain["steps"][names.index(op.steps[0])] = _merged(steps, op)
    for name in op.steps[1:]:  # the first step's shares become those after the last
        remove_state(chain, name)
    rename_state(chain, op.steps[0], op.into)


def _named_steps(data: dict, service: str | None, name: str) -> list[Found]:
    """(route, index, step) of the named step in one service, or in every service that has it."""
    if service is not None:
        return [_step(_service(data, service), name, service)]
    hits = [
        found
        for s in (data.get("services") or {}).values()
        if (found := _find(s.get("steps", []), name))
    ]
    if not hits:
        raise SlasimError("no service has a step {name}", field="step", name=repr(name))
    return hits


def _remove(data: dict, op: Remove) -> None:
    for found in _named_steps(data, op.service, op.step):
        _drop(found)


def _drop(found: Found) -> None:
    """Remove a found step; from a Markov route, its shares handed on to the steps after it, and
    the route item gone with its last step."""
    if found.chain is None or len(found.chain["steps"]) == 1:
        del found.route[found.at]
    else:
        remove_state(found.chain, found.step["step"])


def _staff(data: dict, op: Staff) -> None:
    departments = data.get("departments") or {}
    if op.department not in departments:
        raise SlasimError(
            "no department {name} (have {known})",
            field="department",
            name=repr(op.department),
            known=", ".join(departments),
        )
    dept = departments[op.department]
    new = op.staff if op.staff is not None else dept.get("staff", 0) + op.delta
    if new < (0 if op.start else 1):
        raise SlasimError(
            "staff of {name} would be {new}",
            field="delta" if op.delta is not None else "staff",
            name=repr(op.department),
            new=new,
        )
    if op.start is None:
        dept["staff"] = new
        return
    # A dated change supersedes the parts of earlier ones it overlaps (ISO dates compare as text).
    start, end = str(op.start), str(op.end)
    kept = []
    for change in dept.get("staff_changes", []):
        a, b = str(change["from"]), str(change["to"])
        if b <= start or a >= end:
            kept.append(change)
            continue
        if a < start:
            kept.append({**change, "from": a, "to": start})
        if end < b:
            kept.append({**change, "from": end, "to": b})
    dept["staff_changes"] = kept + [{"from": start, "to": end, "staff": new}]


def _work(data: dict, op: Work) -> None:
    for found in _named_steps(data, op.service, op.step):
        _change_work(found.step, op)


def _change_work(step: dict, op: Work) -> None:
    key = "work" if "work" in step else "delay"
    if op.work is not None:
        step[key] = op.work.model_dump(exclude_none=True)
        return
    dist = Distribution.model_validate(step[key]).model_dump(exclude_none=True)
    step[key] = scale_distribution(dist, op.scale)


def scale_distribution(dist: dict, factor: float) -> dict:
    """The same shape with every time parameter multiplied (means and sds alike)."""
    out = dict(dist)
    for kind in ("exponential", "fixed"):
        if kind in out:
            out[kind] = out[kind] * factor
    if "lognormal" in out:
        out["lognormal"] = {k: v * factor for k, v in out["lognormal"].items()}
    for kind in ("triangular", "uniform", "empirical"):
        if kind in out:
            out[kind] = [v * factor for v in out[kind]]
    return out


def _limits(data: dict, op: Limits) -> None:
    for service in _services(data, op.service):
        limits = service.get("limits")
        legal = limits.get("legal") if isinstance(limits, dict) else limits
        share = parse_share(op.promised)
        if share is not None:
            if not 0 < share <= 1:
                raise SlasimError(
                    "a promised limit is at most 100% of the legal one, got {promised}",
                    field="promised",
                    promised=op.promised,
                )
            legal_limit = Limit.parse(legal)
            promised = f"{legal_limit.amount * share:g}{legal_limit.unit}"
        else:
            promised = str(Limit.parse(op.promised, field="promised"))
        service["limits"] = {"promised": promised, "legal": legal}


def _cards(data: dict, op: Cards) -> None:
    if op.service is None:
        data["cards"] = op.ladder
    else:
        _service(data, op.service)["cards"] = op.ladder


def _materials(data: dict, op: Materials) -> None:
    if op.service is None:  # every service with such a step: each loses the same share of materials
        for service in (data.get("services") or {}).values():
            found = _find(service.get("steps", []), op.step)
            if found and found.step.get("supplement"):
                _cut(found.step, op)
        return
    step = _step(_service(data, op.service), op.step, op.service).step
    if not step.get("supplement"):
        raise SlasimError(
            "step {name} has no supplement loop to cut materials from",
            field="step",
            name=repr(op.step),
        )
    _cut(step, op)


def _cut(step: dict, op: Materials) -> None:
    """Fewer materials: with per-material chances, fewer draws; with a plain probability, the
    same share of files that would have needed a supplement no longer does."""
    supplement = step["supplement"]
    if "materials" in supplement:
        supplement["materials"] = supplement["materials"] * (1 - op.cut)
    else:
        supplement["probability"] = supplement["probability"] * (1 - op.cut)
    if supplement.get("first"):  # the first round's own chance, cut alike
        supplement["first"]["probability"] = supplement["first"]["probability"] * (1 - op.cut)


def _online(data: dict, op: Online) -> None:
    for service in _services(data, op.service):
        service.setdefault("arrivals", {})["online"] = op.share


def _arrivals(data: dict, op: ArrivalsScale) -> None:
    for service in _services(data, op.service):
        service["arrivals"]["per_day"] = service["arrivals"]["per_day"] * op.scale


def _without_acceptance(service: dict) -> list:
    """A child's route less its own acceptance (the bundle accepts once for all)."""
    steps = copy.deepcopy(service.get("steps", []))
    accepting = _accepting(steps)
    if accepting is not None:
        _drop(accepting)
    elif service.get("acceptance", "first-step") == "first-step" and steps and "step" in steps[0]:
        del steps[0]
    return steps


def _accepting(route: list) -> Found | None:
    """The step with `accepts: true` on a route's top level, or in a Markov route item there."""
    for i, item in enumerate(route):
        if not isinstance(item, dict):
            continue
        if item.get("accepts"):
            return Found(route, i, item, None, route, i)
        chain = item.get("markov")
        for j, step in enumerate(chain.get("steps", []) if isinstance(chain, dict) else []):
            if isinstance(step, dict) and step.get("accepts"):
                return Found(chain["steps"], j, step, chain, route, i)
    return None


def _bundle(data: dict, op: Bundle) -> None:
    repeated = next((name for name in op.services if op.services.count(name) > 1), None)
    if repeated is not None:
        raise SlasimError("service {name} is listed twice", field="services", name=repr(repeated))
    children = [(name, _service(data, name)) for name in op.services]
    if op.into in data["services"] and op.into not in op.services:
        raise SlasimError("a service {name} exists already", field="into", name=repr(op.into))
    branches = []
    for name, child in children:
        route = _without_acceptance(child)
        for (
            item
        ) in route:  # step names stay unique in the bundle: prefix them with the child's name
            _prefix(item, name)
        if route:
            branches.append(route)
    accept = {**op.accept, "accepts": True}
    route = [accept] + (
        [{"parallel": branches}] if len(branches) > 1 else branches[0] if branches else []
    )
    first = children[0][1]
    bundle = {
        "description": f"一件事: {', '.join(op.services)}",
        "limits": op.limits,
        "arrivals": op.arrivals or copy.deepcopy(first["arrivals"]),
        "steps": route,
    }
    for name, _ in children:
        del data["services"][name]
    data["services"][op.into] = bundle


def _prefix(item: dict, prefix: str) -> None:
    if "step" in item:
        item["step"] = f"{prefix}/{item['step']}"
    chain = item.get("markov")
    if isinstance(chain, dict):
        for step in chain.get("steps", []):
            rename_state(chain, step["step"], f"{prefix}/{step['step']}")
    for branch in item.get("parallel", []):
        for sub in branch:
            _prefix(sub, prefix)
    for branch in item.get("branch", []):
        for sub in branch.get("steps", []):
            _prefix(sub, prefix)


def _tolerate_missing(data: dict, op: TolerateMissing) -> None:
    step = _step(_service(data, op.service), op.step, op.service).step
    if not step.get("supplement"):
        raise SlasimError("step {name} has no supplement loop", field="step", name=repr(op.step))
    step["supplement"]["tolerate"] = True


def _commitment(data: dict, op: Commitment) -> None:
    _service(data, op.service)["commitment"] = True


APPLY = {
    "parallelize": _parallelize,
    "merge": _merge,
    "remove": _remove,
    "staff": _staff,
    "work": _work,
    "limits": _limits,
    "cards": _cards,
    "materials": _materials,
    "online": _online,
    "arrivals": _arrivals,
    "bundle": _bundle,
    "tolerate_missing": _tolerate_missing,
    "commitment": _commitment,
}
