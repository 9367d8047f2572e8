"""The two base frames of a report: one row per trial, and one row per trial and epoch.

Everything else (parameter tables, cost, curves, importance) is computed from these two.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from optuna.distributions import CategoricalDistribution, IntDistribution, json_to_distribution

from sweeper.outcomes import NOT_TRIALS, WAITING, Attempt, Kind, Outcome, statuses
from sweeper.report.sql import RawTrials

# Columns of the trials frame besides the params, in display order. Units: seconds of wall
# time for the whole trial, images per second of training, megabytes.
TRIAL_COLUMNS = [
    "trial",
    "state",
    "outcome",
    "stop_reason",
    "best",
    "final",
    "best_epoch",
    "epochs",
    "pruned_at",
    "seconds",
    "images_per_s",
    "n_params",
    "model_size_mb",
    "summary_size_mb",
    "peak_mem_mb",
    "host",
    "device",
    "retry_of",
    "attempt",
    "started",
    "completed",
    "trial_id",
]
# Supervisor attribute → trials-frame column, where the names differ.
_RENAMED = {"final_value": "final", "epochs_run": "epochs", "params": "n_params"}


def param_column(name: str) -> str:
    """The trials-frame column of a parameter: its own name, unless that clashes with ours."""
    return f"param_{name}" if name in TRIAL_COLUMNS else name


def trials_frame(
    raw: RawTrials, metric: str, direction: str, param_names: list[str]
) -> pd.DataFrame:
    """One row per trial: params (decoded), state, best/final metric, epoch of best, cost, host.

    Args:
        metric: the per-epoch column the study optimizes ("value" for plain Optuna studies).
        param_names: parameter order for the columns (the spec's), others are appended sorted.
    """
    frame = raw.trials.rename(
        columns={"number": "trial", "datetime_start": "started", "datetime_complete": "completed"}
    )
    frame = frame.set_index("trial_id", drop=False)
    per_epoch = epoch_summary(raw.epochs, metric, direction).reindex(frame.index)
    # Optuna's value where the trial has one; pruned, failed and running trials (no value, or
    # the last epoch's for pruned ones) get their best epoch so far.
    value = raw.values.set_index("trial_id")["value"].reindex(frame.index)
    frame["best"] = value.where(frame["state"] == "COMPLETE", per_epoch["best"]).fillna(
        per_epoch["best"]
    )
    params = decode_params(raw.params)
    names = [n for n in param_names if n in params] + sorted(set(params) - set(param_names))
    for name in names:
        frame[param_column(name)] = params[name].reindex(frame.index)
    attrs = (
        raw.attrs.pivot(index="trial_id", columns="key", values="value")
        if len(raw.attrs)
        else pd.DataFrame()
    )
    attrs = attrs.reindex(frame.index).rename(columns=_RENAMED)

    for column in ("best_epoch", "final", "epochs"):
        frame[column] = _first_present(attrs, column, per_epoch[column])
    pruned_last_epoch = per_epoch["epochs"].where(frame["state"] == "PRUNED")
    frame["pruned_at"] = _first_present(attrs, "pruned_at", pruned_last_epoch)
    # Trials without a recorded duration (plain Optuna) get their wall time from the timestamps.
    wall = (frame["completed"] - frame["started"]).dt.total_seconds()
    frame["seconds"] = _first_present(attrs, "seconds", wall)
    for column in (
        "images_per_s",
        "n_params",
        "model_size_mb",
        "summary_size_mb",  # absent on trials run before the trainer measured it: blank
        "peak_mem_mb",
        "host",
        "device",
    ):
        frame[column] = attrs[column] if column in attrs else None
    records = _records(raw, frame.index)
    frame["retry_of"] = [a.first_attempt if a.kind is not Kind.FIRST else None for a in records]
    frame["attempt"] = [a.kind.value for a in records]
    frame["outcome"] = statuses(zip(frame["state"], records))
    frame["stop_reason"] = [
        a.stop_reason() or state.lower() for a, state in zip(records, frame["state"])
    ]
    for column in ("best_epoch", "epochs", "pruned_at", "n_params", "retry_of"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    for column in (
        "final",
        "seconds",
        "images_per_s",
        "model_size_mb",
        "summary_size_mb",
        "peak_mem_mb",
    ):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    ordered = TRIAL_COLUMNS[:4] + [param_column(n) for n in names] + TRIAL_COLUMNS[4:]
    return frame[ordered].reset_index(drop=True)


def epochs_frame(epochs: pd.DataFrame) -> pd.DataFrame:
    """One row per trial and epoch, `trial` (the trial number) first; `recorded_at` dropped."""
    return epochs.drop(columns=["recorded_at"], errors="ignore")


def epoch_summary(epochs: pd.DataFrame, metric: str, direction: str) -> pd.DataFrame:
    """Per trial_id: the best metric and its epoch, the last epoch's metric, epochs run."""
    if not len(epochs) or metric not in epochs:
        return pd.DataFrame(columns=["best", "best_epoch", "final", "epochs"], dtype=float)
    ordered = epochs.dropna(subset=[metric]).sort_values(["trial_id", "epoch"])
    groups = ordered.groupby("trial_id")
    best_row = groups[metric].idxmax() if direction == "maximize" else groups[metric].idxmin()
    return pd.DataFrame(
        {
            "best": ordered.loc[best_row.values, metric].set_axis(best_row.index),
            "best_epoch": ordered.loc[best_row.values, "epoch"].set_axis(best_row.index),
            "final": groups[metric].last(),
            "epochs": epochs.groupby("trial_id")["epoch"].max(),
        }
    )


def decode_params(params: pd.DataFrame) -> dict[str, pd.Series]:
    """Parameter name → its values by trial_id, with categorical indices turned back into choices."""
    parts: dict[str, list] = {}
    for (name, dist_json), group in params.groupby(["param_name", "distribution_json"], sort=False):
        dist = _distribution(dist_json)
        parts.setdefault(name, []).append(
            _external(dist, group["param_value"]).set_axis(group["trial_id"].values)
        )
    return {name: pd.concat(series) for name, series in parts.items()}


def distributions(params: pd.DataFrame) -> dict:
    """Parameter name → its Optuna distribution (the latest one seen, if the space changed)."""
    last = params.drop_duplicates("param_name", keep="last")
    return {row.param_name: _distribution(row.distribution_json) for row in last.itertuples()}


def _external(dist, internal: pd.Series) -> pd.Series:
    if isinstance(dist, CategoricalDistribution):
        # Object dtype keeps the choices as they were written (32, "sgd", None, True).
        choices = np.empty(len(dist.choices), dtype=object)
        choices[:] = dist.choices
        return pd.Series(choices[internal.astype(int).values], dtype=object)
    if isinstance(dist, IntDistribution):
        return pd.Series(
            internal.round().values, dtype="Int64"
        )  # Int64: conditional params leave gaps
    return pd.Series(internal.astype(float).values)


@lru_cache(maxsize=256)
def _distribution(dist_json: str):
    return json_to_distribution(dist_json)


def _first_present(attrs: pd.DataFrame, column: str, fallback) -> pd.Series:
    """The supervisor's attribute where it wrote one, else the value computed from the epochs."""
    fallback = (
        pd.Series(fallback, index=attrs.index, dtype=object) if fallback is None else fallback
    )
    if column not in attrs:
        return fallback
    return attrs[column].where(attrs[column].notna(), fallback)


def _records(raw: RawTrials, trial_ids: pd.Index) -> list[Attempt]:
    """Each trial's record, in the order of `trial_ids` (a first attempt where none was read)."""
    by_id = raw.attempts.set_index("trial_id")["attempt"] if len(raw.attempts) else {}
    numbers = raw.trials.set_index("trial_id")["number"]
    return [by_id.get(t) or Attempt.first(int(numbers[t])) for t in trial_ids]


# Attempts that are not trials of their own, and queued trials not begun (the tables count
# the trials that ran; the summary counts waiting ones too).
NOT_COUNTED = (WAITING, *NOT_TRIALS)


def outcomes(frame: pd.DataFrame) -> pd.Series:
    """Each attempt's status (sweeper/outcomes.py): a trial's latest attempt has its trial's
    (running, waiting, completed, paused, pruned, diverged, failed, gave up, lost); the
    attempts a later one took over are retried or resumed; over budget ones are that. So a
    table's counts add up to its trials, each counted once."""
    return frame["outcome"]


def counted(frame: pd.DataFrame) -> pd.Series:
    """Attempts that stand for a trial that ran (see NOT_COUNTED)."""
    return ~frame["outcome"].isin(NOT_COUNTED)


def finished(frame: pd.DataFrame) -> pd.Series:
    """Trials that ran to their end (completed): their values are comparable."""
    return frame["outcome"] == Outcome.COMPLETED.value
