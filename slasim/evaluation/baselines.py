"""Naive models scored by the same code as a fitted one: what a model must beat.

- `replay`: the last N training cases (by first start), shifted so the first starts at the test
  log's first start;
- `bootstrap`: N training cases drawn with replacement, received one after another at inter-arrival
  times resampled from the training log's, from the test log's first start;
- `floor_pair`: the floor — two samples of N test cases each, drawn with replacement, one scored
  against the other: what an exact model would still show from sampling alone, at the model's own
  size. The model is N simulated cases against N real ones; the old floor dealt the test cases into
  two halves, N/2 against N/2, and a distance between two samples grows with 1/n1 + 1/n2 (twice as
  large at half size for a distribution distance, and the other way round for a count such as open
  cases), so it sat above naive baselines that a model could not beat. Resampling keeps both sides
  at N for every measure alike, with no per-measure scaling rule; the floor is the mean over as
  many pairs as the model has replications (the same footing as the model's mean).
- `halves`: the test cases alternately dealt into two halves (the window view's reference).
Each takes frames of the training and test logs, never a fitted scenario.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from slasim.evaluation.protocol import first_starts


def _shifted(train: pd.DataFrame, cases: list, new_starts: list, firsts: pd.Series) -> pd.DataFrame:
    """The events of `cases` (repeats allowed), case k moved to begin at new_starts[k]."""
    by_case = dict(tuple(train.groupby("case_id", sort=False)))
    parts = []
    for k, (case, start) in enumerate(zip(cases, new_starts)):
        part = by_case[case].copy()
        shift = start - firsts[case]
        part["start_time"] = part["start_time"] + shift
        part["end_time"] = part["end_time"] + shift
        part["case_id"] = f"{k}"
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def replay(train: pd.DataFrame, n: int, since: pd.Timestamp) -> pd.DataFrame:
    """The last `n` training cases, shifted as one block to begin at `since`."""
    firsts = first_starts(train)
    last = firsts.iloc[-n:]
    shift = since - last.iloc[0]
    return _shifted(train, list(last.index), list(last + shift), firsts)


def bootstrap(train: pd.DataFrame, n: int, since: pd.Timestamp, seed: int) -> pd.DataFrame:
    """`n` training cases drawn with replacement, arrivals from resampled inter-arrival times."""
    rng = np.random.default_rng(seed)
    firsts = first_starts(train)
    gaps = firsts.diff().dropna().to_numpy()
    picked = rng.integers(0, len(firsts), n)
    steps = rng.choice(gaps, n - 1) if len(gaps) else np.zeros(n - 1, dtype="timedelta64[ns]")
    offsets = np.concatenate([[pd.Timedelta(0)], np.cumsum(steps)])
    starts = [since + pd.Timedelta(o) for o in offsets]
    return _shifted(train, list(firsts.index[picked]), starts, firsts)


def halves(test: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The test cases dealt alternately (by first start) into two halves."""
    order = list(first_starts(test).index)
    first = set(order[0::2])
    mask = test["case_id"].isin(first)
    return test[mask], test[~mask]


def floor_pair(test: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two samples of N test cases (N = the test cases) drawn with replacement, each case drawn
    renumbered (a case drawn twice is two cases), times kept."""
    by_case = dict(tuple(test.groupby("case_id", sort=False)))
    ids = list(by_case)
    rng = np.random.default_rng(seed)

    def sample(picks) -> pd.DataFrame:
        parts = [by_case[ids[p]].assign(case_id=f"{k}") for k, p in enumerate(picks)]
        return pd.concat(parts, ignore_index=True)

    return sample(rng.integers(0, len(ids), len(ids))), sample(rng.integers(0, len(ids), len(ids)))
