"""The verdict on one measure: the model's mean set beside the naive baselines and the floor.

Words, in order of precedence: `at floor` (the model's mean within two standard errors of the
real-halves floor, or below it), `beats both` (below replay and bootstrap), `worse than replay`,
`worse than bootstrap`, `worse than both`; without a training log only `at floor` or `above
floor`. The summary counts, over the measures, where the model beats each baseline.
"""

from __future__ import annotations

import math


def verdict(model: float, model_se: float, replay: float, bootstrap: float, floor: float) -> str:
    """One word (or three) for a measure where lower is better; `model_se` is the standard error
    of the model's mean over its replications."""
    if math.isnan(model):
        return "n/a"
    if not math.isnan(floor) and model <= floor + 2 * max(model_se, 0.0):
        return "at floor"
    if math.isnan(replay) or math.isnan(bootstrap):  # no training log: the floor alone
        return "above floor"
    beats_replay, beats_bootstrap = model < replay, model < bootstrap
    if beats_replay and beats_bootstrap:
        return "beats both"
    if beats_bootstrap:
        return "worse than replay"
    if beats_replay:
        return "worse than bootstrap"
    return "worse than both"


def summary(rows: dict[str, dict]) -> str:
    """One line: on how many measures the model beats replay, bootstrap, and sits at the floor."""
    valid = [r for r in rows.values() if r["verdict"] not in ("n/a", "above floor")]
    total = len(valid)
    replay = sum(r["model"]["mean"] < r["replay"] for r in valid)
    boot = sum(r["model"]["mean"] < r["bootstrap"]["mean"] for r in valid)
    floor = sum(r["verdict"] == "at floor" for r in valid)
    return (
        f"better than replay on {replay} of {total} measures, than bootstrap on {boot} of "
        f"{total}; at the real-halves floor on {floor}"
    )
