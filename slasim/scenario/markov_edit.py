"""Editing a Markov route item in raw scenario data (what reforms that remove, merge or rename a
step need).

Removing a step from a stochastic directly-follows route must not strand the cases that went
through it: each share that led to the removed step x is handed on to x's successors in
proportion to x's own shares, its loop back to itself left out (a case at x leaves for y with
chance next[x][y] / (1 − next[x][x])). The start and every other step's shares keep summing to 1,
and the chance of reaching each remaining step is what it was (state elimination).
"""

from __future__ import annotations

END = "end"


def find_markov_step(route: list, name: str) -> dict | None:
    """The `markov` mapping of a route (at any depth) that holds step `name`, or None."""
    for item in route:
        if not isinstance(item, dict):
            continue
        chain = item.get("markov")
        if isinstance(chain, dict) and any(s.get("step") == name for s in chain.get("steps", [])):
            return chain
        for branch in item.get("parallel", []):
            found = find_markov_step(branch, name)
            if found is not None:
                return found
        for branch in item.get("branch", []):
            found = find_markov_step(branch.get("steps", []), name)
            if found is not None:
                return found
    return None


def remove_state(chain: dict, name: str) -> None:
    """Remove step `name` from a raw `markov` mapping, its shares handed on to its successors. A
    delay step that leads only into it (the wait before it, the gap before its repeat: what `fit`
    writes as `NAME-wait` and `NAME-gap`) goes with it: left alone, it would lead into `name`'s
    successors, or loop on itself with `name`'s repeat share."""
    for feeder in [
        s["step"]
        for s in chain["steps"]
        if "delay" in s and chain["next"].get(s["step"]) == {name: 1.0}
    ]:
        remove_state(chain, feeder)  # what led into it now leads into `name`, handed on below
    after = dict(chain["next"].pop(name, {}))
    loop = after.pop(name, 0.0)
    onward = {k: v / (1.0 - loop) for k, v in after.items()} if loop < 1.0 else {END: 1.0}
    chain["steps"] = [s for s in chain["steps"] if s.get("step") != name]
    for shares in [chain["start"], *chain["next"].values()]:
        into = shares.pop(name, 0.0)
        for target, share in onward.items() if into else ():  # no share of 0 is added
            shares[target] = shares.get(target, 0.0) + into * share


def rename_state(chain: dict, old: str, new: str) -> None:
    """Rename step `old` of a raw `markov` mapping: the step, its `next` key and every share that
    names it (the shares' order kept, so a case's draws pick the same steps)."""

    def renamed(shares: dict) -> dict:
        return {new if k == old else k: v for k, v in shares.items()}

    for step in chain["steps"]:
        if step.get("step") == old:
            step["step"] = new
    chain["start"] = renamed(chain["start"])
    chain["next"] = {new if k == old else k: renamed(v) for k, v in chain["next"].items()}
