"""The verdict on one measure: the model's mean set beside the naive baselines and the floor.

Words, in order of precedence: `worse than both`, `worse than replay`, `worse than bootstrap` (the
model's mean above that baseline's), then `at floor` (the model's mean within two standard errors of
the difference from the floor's mean, or below it), else `beats both`; without a training log only
`at floor` or `above floor`. A model worse than a naive baseline is said to be so even when it also
sits near the floor: the floor is sampling noise, and a baseline that does better than the model
within that noise still does better. The summary counts, over the measures, where the model beats
each baseline, and says on how many test cases (N) the verdicts rest.

`MIN_TEST_CASES`: below 30 test cases the verdicts are flagged as weak. Every distance here is
between two samples of cases, and its noise shrinks as 1/sqrt(N); by the Dvoretzky-Kiefer-
Wolfowitz bound an empirical distribution of 30 cases can stray from the true one by up to
sqrt(ln(2/0.05) / (2 * 30)) = 0.25 of its range (95 %), so below 30 cases a model, the baselines
and the floor all differ mostly by chance.
"""

from __future__ import annotations

import math

from slasim.io.i18n import N_, Text

MIN_TEST_CASES = 30


def verdict(
    model: float,
    model_se: float,
    replay: float,
    bootstrap: float,
    floor: float,
    floor_se: float = 0.0,
) -> str:
    """One word (or three) for a measure where lower is better; `model_se` and `floor_se` are the
    standard errors of the model's and the floor's means (over replications, over pairs)."""
    if math.isnan(model):
        return N_("n/a")
    noise = 2 * math.hypot(max(model_se, 0.0), max(floor_se, 0.0))
    at_floor = not math.isnan(floor) and model <= floor + noise
    if math.isnan(replay) or math.isnan(bootstrap):  # no training log: the floor alone
        return N_("at floor") if at_floor else N_("above floor")
    beats_replay, beats_bootstrap = model < replay, model < bootstrap
    if not beats_replay and not beats_bootstrap:
        return N_("worse than both")
    if not beats_replay:
        return N_("worse than replay")
    if not beats_bootstrap:
        return N_("worse than bootstrap")
    return N_("at floor") if at_floor else N_("beats both")


def few_cases(n: int) -> str | None:
    """The caveat for a test log under `MIN_TEST_CASES` cases, else None."""
    if n >= MIN_TEST_CASES:
        return None
    return Text(
        "only {cases} test cases (under {least}): the distances are mostly sampling noise "
        "at this size; read the verdicts as weak",
        cases=n,
        least=MIN_TEST_CASES,
    )


def summary(rows: dict[str, dict], cases: int) -> str:
    """One line: on how many measures the model beats replay, bootstrap, and sits at the floor,
    on how many test cases."""
    valid = [r for r in rows.values() if r["verdict"] not in ("n/a", "above floor")]
    total = len(valid)
    replay = sum(r["model"]["mean"] < r["replay"]["mean"] for r in valid)
    boot = sum(r["model"]["mean"] < r["bootstrap"]["mean"] for r in valid)
    floor = sum(r["verdict"] == "at floor" for r in valid)
    return Text(
        "better than replay on {replay} of {total} measures, than bootstrap on {bootstrap} of "
        "{total}; at the floor on {floor} (N = {cases} test cases)",
        replay=replay,
        bootstrap=boot,
        total=total,
        floor=floor,
        cases=cases,
    )
