"""Pareto fronts: the trials no other trial beats on every objective at once.

Used for studies with several objectives (Optuna's best_trials) and for cost beside accuracy
(accuracy against seconds, parameters or memory), where one "best" hides the trade-off.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# What a trial pays for its accuracy, and the words the figures use for it.
COSTS = {"seconds": "seconds", "n_params": "parameters", "peak_mem_mb": "peak memory (MB)"}


def front(frame: pd.DataFrame, columns: list[str], directions: list[str]) -> pd.Series:
    """Whether each row is on the front of `columns` (rows with a missing value never are).

    Args:
        directions: "maximize" or "minimize" per column.
    """
    values = frame[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    signs = np.array([1.0 if d == "minimize" else -1.0 for d in directions])
    scores = values * signs  # lower is better in every column from here on
    rows = np.flatnonzero(~np.isnan(scores).any(axis=1))
    on_front = np.zeros(len(frame), dtype=bool)
    if len(columns) == 2:
        on_front[rows[_front_2d(scores[rows])]] = True
    else:
        candidates = scores[rows]
        for i, row in zip(rows, candidates):
            dominated = (candidates <= row).all(axis=1) & (candidates < row).any(axis=1)
            on_front[i] = not dominated.any()
    return pd.Series(on_front, index=frame.index)


def _front_2d(scores: np.ndarray) -> np.ndarray:
    """Indices on the front of two minimized columns, in O(n log n): after sorting by the first
    column, a row is beaten only by an earlier row that is lower in the second (or equal there
    and lower in the first); equal rows beat neither."""
    order = np.lexsort((scores[:, 1], scores[:, 0]))
    kept, lowest, first_at_lowest = [], np.inf, np.inf
    for index in order:
        a, b = scores[index]
        if b < lowest or (b == lowest and a <= first_at_lowest):
            kept.append(index)
        if b < lowest:
            lowest, first_at_lowest = b, a
    return np.array(kept, dtype=int)


def cost_fronts(trials: pd.DataFrame, metric_column: str, direction: str) -> dict[str, pd.Series]:
    """Cost column → which of `trials` are on the front of that cost against the metric; only
    costs some of them recorded."""
    return {
        cost: front(trials, [metric_column, cost], [direction, "minimize"])
        for cost in COSTS
        if cost in trials and pd.to_numeric(trials[cost], errors="coerce").notna().any()
    }
