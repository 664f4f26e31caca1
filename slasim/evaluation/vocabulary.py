"""Whether a model and a test log speak of the same activities, before they are compared.

The model's activities are its steps that are activities of the logs (matched by name, as `slasim
fit` named them). A comparison is refused when no activity is shared, or when more than half of
the test log's events are of activities the model never produces: its distances would then
measure the naming, not the centre. Otherwise the activities found on one side only are named,
with the share of that side's events they hold, as a warning (stderr and JSON).
"""

from __future__ import annotations

import pandas as pd

from slasim.io.errors import SlasimError
from slasim.io.i18n import Text
from slasim.scenario.names import Verbatim

MAX_UNKNOWN_SHARE = 0.5  # of the test log's events, of activities the model never produces
SHOWN = 3  # activities named in a message


def _few(names: list[str]):
    """Up to SHOWN names as written (never looked up in the catalogs), and how many more; "" for
    none."""
    more = len(names) - SHOWN
    if more > 0:
        return Text("{names} and {more} more", names=Verbatim(", ".join(names[:SHOWN])), more=more)
    return Verbatim(", ".join(names)) if names else ""


def check(model: set[str], test: pd.Series, source: str) -> dict:
    """The vocabulary of `model` (its activities) against the test log's event activities `test`;
    raises `SlasimError` by the module's rule, else returns what is on one side only."""
    counts = test.astype(str).value_counts()
    logged = set(counts.index)
    shared = logged & model
    test_only = sorted(logged - model, key=lambda a: (-counts[a], a))
    share = float(counts[test_only].sum() / counts.sum()) if len(counts) else 0.0
    if not shared:
        raise SlasimError(
            "no activity of the test log ({test}) is one the model produces ({model})",
            source=source,
            field="activity",
            test=_few(test_only),
            model=_few(sorted(model)) or Text("none"),
        )
    if share > MAX_UNKNOWN_SHARE:
        raise SlasimError(
            "{share:.0%} of the test log's events are of activities the model never produces "
            "({names}): more than half",
            source=source,
            field="activity",
            share=share,
            names=_few(test_only),
        )
    return {
        "test_only": test_only,
        "test_only_event_share": share,
        "model_only": sorted(model - logged),
        "model_only_event_share": None,
    }


def simulated_share(info: dict, logs: list[pd.DataFrame]) -> dict:
    """`info` with the share of the simulated events (mean over the logs) of model-only ones."""
    shares = [float(log["activity"].isin(info["model_only"]).mean()) for log in logs if len(log)]
    if shares:
        info["model_only_event_share"] = sum(shares) / len(shares)
    return info


def warning(info: dict) -> Text | None:
    """One line naming the activities found on one side only, or None when both sides agree."""
    parts = []
    if info["test_only"]:
        parts.append(
            Text(
                "activities only in the test log: {names} ({share:.1%} of its events)",
                names=_few(info["test_only"]),
                share=info["test_only_event_share"],
            )
        )
    if info["model_only"]:
        held = info["model_only_event_share"]
        names = _few(info["model_only"])
        parts.append(
            Text("only in the model: {names}", names=names)
            if held is None
            else Text(
                "only in the model: {names} ({share:.1%} of the simulated events)",
                names=names,
                share=held,
            )
        )
    if len(parts) == 2:
        return Text("{first}; {second}", first=parts[0], second=parts[1])
    return parts[0] if parts else None
