"""The write-ups' tables, computed from the trials frame: metric by parameter value, and cost.

A parameter table has the shape of the write-ups' "Batch → Test accuracy" tables: one row per
value (choices, and numeric parameters with few values) or per bin (quantile bins, or log-spaced
bins for log ranges), with trial counts by outcome, the best and mean ± std of the metric over
finished trials, the epoch where the best was reached and, where the study carries the
published numbers, the reference beside the measured best.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from sweeper.outcomes import STATUSES, count_statuses
from sweeper.report.frames import counted, finished, outcomes, param_column

# An integer parameter with at most this many values gets one row per value, not bins.
MAX_VALUE_ROWS = 8
BINS = 5
# Trials by status (sweeper/outcomes.py); a row's `trials` counts each trial that ran once.
COUNT_COLUMNS = ["trials", "running", "completed", "paused", "pruned", "diverged", "failed"]
# `final`: the last epoch's metric of the row's best trial (write-up 000 published final ones).
STAT_COLUMNS = ["best", "reference", "final", "mean", "std", "best_trial", "best_epoch"]


def dimension_of(distribution) -> dict:
    """A spec-style dimension for a parameter of a study that has no spec (plain Optuna)."""
    if isinstance(distribution, CategoricalDistribution):
        return {"kind": "choice", "values": list(distribution.choices)}
    if isinstance(distribution, IntDistribution):
        return {
            "kind": "intrange",
            "low": distribution.low,
            "high": distribution.high,
            "step": distribution.step,
            "log": distribution.log,
        }
    if isinstance(distribution, FloatDistribution) and distribution.log:
        return {"kind": "loguniform", "low": distribution.low, "high": distribution.high}
    return {"kind": "uniform", "low": distribution.low, "high": distribution.high}


def param_table(
    trials: pd.DataFrame, name: str, dim: dict, direction: str, reference: dict | None = None
) -> pd.DataFrame:
    """Metric by value (or bin) of one parameter. Trials where it was not sampled are left out.

    Args:
        dim: the spec's dimension, e.g. {"kind": "choice", "values": [32, 64]}.
        reference: published numbers by str(value), measured as `best` is (the study's metric
            at the best epoch), see sweeper.references.for_param.
    """
    column = param_column(name)
    present = trials[trials[column].notna()] if column in trials else trials.iloc[:0]
    values = present[column] if column in present else pd.Series(dtype=float)
    rows = _value_rows(values, dim)
    if rows is not None:
        keys = values.map(_key)
        groups = [(value, present[keys == _key(value)]) for value in rows]
    else:
        codes, labels = _bins(values.astype(float), dim)
        groups = [(label, present[codes == code]) for code, label in enumerate(labels)]
    table = pd.DataFrame(
        [_row(group, direction) for _, group in groups], columns=COUNT_COLUMNS + STAT_COLUMNS
    )
    table.insert(0, name, pd.Series([label for label, _ in groups], dtype=object))
    if reference and rows is not None:
        table["reference"] = [_lookup(reference, value) for value in rows]
    else:
        table = table.drop(columns="reference")
    for column in COUNT_COLUMNS + ["best_trial", "best_epoch"]:
        table[column] = table[column].astype("Int64")
    return table


def cost_table(trials: pd.DataFrame, group_by: list[str], direction: str) -> pd.DataFrame:
    """Write-up 004's table: model size, time and memory beside the metric, per configuration.

    Args:
        group_by: parameter columns to group by (those with few values); none → one row.
    """
    ran = trials[counted(trials)].copy()
    ran["seconds_per_epoch"] = ran["seconds"] / ran["epochs"].astype(float)
    ran["_finished_best"] = ran["best"].where(finished(ran))
    keys = group_by or (lambda _: "all trials")
    table = ran.groupby(keys, dropna=False, sort=False).agg(
        trials=("trial", "size"),
        n_params=("n_params", "median"),
        model_size_mb=("model_size_mb", "median"),
        summary_size_mb=("summary_size_mb", "median"),
        seconds=("seconds", "mean"),
        seconds_per_epoch=("seconds_per_epoch", "mean"),
        images_per_s=("images_per_s", "mean"),
        peak_mem_mb=("peak_mem_mb", "max"),
        best=("_finished_best", "max" if direction == "maximize" else "min"),
    )
    table["n_params"] = table["n_params"].round().astype("Int64")
    # Weights alone vs torchsummary's estimate (input, activations and weights at the trial's
    # input size, as write-up 004 measured): named apart so neither passes for the other.
    table = table.rename(
        columns={
            "model_size_mb": "weights_mb",
            "summary_size_mb": "torchsummary_total_mb_batch_1",
        }
    )
    try:
        table = table.sort_index()
    except TypeError:  # choices of mixed types (None and 0.35): keep the order they appear in
        pass
    table = table.reset_index()
    return table.rename(columns={"index": "config"}) if not group_by else table


def few_valued(trials: pd.DataFrame, space: dict) -> list[str]:
    """Columns of the parameters shown value by value (choices, small integer grids): cost groups."""
    columns = [param_column(name) for name in space]
    return [
        column
        for column, dim in zip(columns, space.values())
        if column in trials and _value_rows(trials[column].dropna(), dim) is not None
    ]


def curve_trials(
    trials: pd.DataFrame, direction: str, top: int, by_table: pd.DataFrame | None, extra=()
) -> list[int]:
    """Trials whose learning curves a report draws: asked-for ones, the best of each value of the
    main parameter (the write-ups judged stability per value), then the overall top."""
    done = trials[finished(trials) & trials["best"].notna()]
    best_first = done.sort_values("best", ascending=direction != "maximize")["trial"].tolist()
    per_value = by_table["best_trial"].dropna().astype(int).tolist() if by_table is not None else []
    return list(dict.fromkeys([int(n) for n in extra] + per_value + best_first[:top]))


def summary(trials: pd.DataFrame, direction: str) -> dict:
    """Counts by status (the one count of sweeper/outcomes.py: waiting trials are in the
    budget too; a retried or resumed attempt's trial counts once) and the best finished trial,
    for the report's header."""
    counts = count_statuses(outcomes(trials))
    done = trials[finished(trials) & trials["best"].notna()]
    best = (
        done.loc[done["best"].idxmax() if direction == "maximize" else done["best"].idxmin()]
        if len(done)
        else None
    )
    return {
        "trials": counts.trials,
        **{name: counts[name] for name in STATUSES},
        "best_trial": None if best is None else int(best["trial"]),
        "best": None if best is None else float(best["best"]),
        "best_epoch": None
        if best is None or pd.isna(best["best_epoch"])
        else int(best["best_epoch"]),
    }


def describe_counts(summary: dict) -> str:
    """The summary's counts in words, as the terminal and the HTML report say them:
    "12 completed, 3 paused, 1 failed, 2 running" (statuses no trial has left out)."""
    shown = [f"{summary[name]} {name}" for name in STATUSES if summary[name]]
    return ", ".join(shown) or "none yet"


def _value_rows(values: pd.Series, dim: dict) -> list | None:
    """The values that get a row each, in order; None when the parameter is binned instead."""
    if dim.get("kind") == "choice":
        return list(dim["values"])
    if dim.get("kind") in ("uniform", "loguniform"):
        return None  # continuous: values rarely repeat
    if dim.get("kind") == "intrange" and not dim.get("log"):
        grid = range(int(dim["low"]), int(dim["high"]) + 1, int(dim.get("step", 1)))
        if len(grid) <= MAX_VALUE_ROWS:
            return list(grid)
    distinct = sorted(values.unique())
    return distinct if len(distinct) <= MAX_VALUE_ROWS else None


def _bins(values: pd.Series, dim: dict) -> tuple[pd.Series, list[str]]:
    """Bin number of each value (-1 for none) and the bins' labels, lowest first."""
    if not len(values):
        return pd.Series(dtype=int), []
    if dim.get("log") or dim.get("kind") == "loguniform":
        # Log-spaced edges over the searched range: lr 1e-4..1e-1 reads as decades, not quintiles.
        low = min(dim.get("low", values.min()), values.min())
        high = max(dim.get("high", values.max()), values.max())
        edges = np.geomspace(low, high, BINS + 1)
    else:
        edges = np.unique(np.quantile(values, np.linspace(0, 1, BINS + 1)))
    # Right-closed bins, the first one closed on both sides so the lowest value counts.
    codes = np.clip(
        np.searchsorted(edges, values.values, side="left") - 1, 0, max(len(edges) - 2, 0)
    )
    labels = [f"{a:.3g}–{b:.3g}" for a, b in zip(edges[:-1], edges[1:])] or [f"{edges[0]:.3g}"]
    return pd.Series(codes, index=values.index), labels


def _row(group: pd.DataFrame, direction: str) -> list:
    outcome = outcomes(group)
    scores = group.loc[finished(group), "best"].dropna()
    counts = [int(counted(group).sum())] + [
        int((outcome == name).sum()) for name in COUNT_COLUMNS[1:]
    ]
    if not len(scores):
        return counts + [math.nan, math.nan, math.nan, math.nan, math.nan, None, None]
    best_index = scores.idxmax() if direction == "maximize" else scores.idxmin()
    # Undefined with an infinite score (plain Optuna studies may hold ±inf): NaN, as pandas
    # would give, without its "invalid value encountered in subtract" warning.
    std = scores.std() if len(scores) > 1 and np.isfinite(scores).all() else math.nan
    return counts + [
        scores[best_index],
        math.nan,
        group.at[best_index, "final"] if "final" in group else math.nan,
        scores.mean(),
        std,
        group.at[best_index, "trial"],
        group.at[best_index, "best_epoch"],
    ]


def _key(value) -> str:
    # Choices may mix types (None, True, 32); str keys keep 1 and True apart.
    return (
        f"{type(value).__name__}:{value}"
        if isinstance(value, (bool, type(None), str))
        else f"num:{float(value)!r}"
    )


def _lookup(reference: dict, value) -> float:
    """The published number for `value`: keys are str(value) after JSON; floats compare numerically."""
    if str(value) in reference:
        return float(reference[str(value)])
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        for key, number in reference.items():
            try:
                if math.isclose(float(key), float(value), rel_tol=1e-9):
                    return float(number)
            except ValueError:
                continue
    return math.nan
