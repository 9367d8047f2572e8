"""What an export writes, read from the storage through the report's read functions.

One `ExportedTrial` per trial: its number, state, stop reason, parameters (only those it
sampled), per-epoch metrics and times; plain data, so the writers need no pandas or SQL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa

from sweeper.report import frames, sql, tables
from sweeper.store import reads
from sweeper.store.engines import open_reader, unreadable

# Per-epoch columns that are bookkeeping, not metrics.
NOT_METRICS = {"trial", "trial_id", "epoch", "recorded_at"}


@dataclass
class ExportedTrial:
    number: int
    state: str  # Optuna's: COMPLETE, PRUNED, FAIL, RUNNING, WAITING
    stop_reason: str
    params: dict  # name → value, only the parameters this trial sampled
    # What the trial came to, by name: best_<metric> (its best epoch, or Optuna's value), or
    # each objective's value in a study with several.
    results: dict
    started: float | None  # seconds since the epoch
    completed: float | None
    # metric name → [(epoch, value, seconds since the epoch or None)], epochs from 1.
    metrics: dict = field(default_factory=dict)


@dataclass
class ExportedStudy:
    name: str
    metric: str
    direction: str
    space: dict  # parameter → spec-style dimension ({"kind": "choice", "values": [...]}, ...)
    results: list[str]  # the names in every trial's `results`
    trials: list[ExportedTrial]


def read_study(url: str, name: str) -> ExportedStudy:
    """The study `name` in the storage at `url`, read in short read-only transactions.

    An unknown study is a SweeperError naming the studies there; a storage that cannot be
    read is a StorageError.
    """
    engine = open_reader(url)
    try:
        study = reads.find_study(engine, name, url)
        metric = study.definition.get("metric", "value")
        direction = study.definition.get("direction", study.direction)
        raw = sql.read_trials(engine, study.study_id, metric)
    except sa.exc.DBAPIError as error:
        raise unreadable(url, error) from None
    finally:
        engine.dispose()
    space = dict(study.definition.get("space", {}))
    for param, dist in frames.distributions(raw.params).items():
        space.setdefault(param, tables.dimension_of(dist))
    trials = frames.trials_frame(raw, metric, direction, list(space))
    if len(study.objectives) > 1:
        by_id = raw.objective_values.reindex(trials["trial_id"])
        results = pd.DataFrame(
            {name: by_id[i] if i in by_id else None for i, name in enumerate(study.objectives)}
        )
    else:
        results = pd.DataFrame({f"best_{metric}": trials["best"]})
    return ExportedStudy(
        name,
        metric,
        direction,
        space,
        list(results.columns),
        _trials(trials, results.reset_index(drop=True), raw.epochs, space),
    )


def _trials(
    trials: pd.DataFrame, results: pd.DataFrame, epochs: pd.DataFrame, space: dict
) -> list[ExportedTrial]:
    by_trial = dict(tuple(epochs.groupby("trial"))) if len(epochs) else {}
    exported = []
    for row, result in zip(trials.to_dict(orient="records"), results.to_dict(orient="records")):
        params = {
            name: _plain(row[frames.param_column(name)])
            for name in space
            if frames.param_column(name) in row and not _missing(row[frames.param_column(name)])
        }
        exported.append(
            ExportedTrial(
                number=int(row["trial"]),
                state=row["state"],
                stop_reason=str(row["stop_reason"]),
                params=params,
                results={k: float(v) for k, v in result.items() if not _missing(v)},
                started=_seconds(row["started"]),
                completed=_seconds(row["completed"]),
                metrics=_metrics(by_trial.get(row["trial"])),
            )
        )
    return exported


def _metrics(rows: pd.DataFrame | None) -> dict:
    if rows is None:
        return {}
    times = rows["recorded_at"] if "recorded_at" in rows else pd.Series(None, index=rows.index)
    metrics = {}
    for column in rows.columns.difference(sorted(NOT_METRICS), sort=False):
        points = [
            (int(epoch), float(value), None if _missing(at) else float(at))
            for epoch, value, at in zip(rows["epoch"], rows[column], times)
            if not _missing(value)
        ]
        if points:
            metrics[column] = points
    return metrics


def _plain(value):
    """numpy and pandas scalars → Python's, which every writer takes."""
    return value.item() if hasattr(value, "item") else value


def _seconds(timestamp) -> float | None:
    return None if pd.isna(timestamp) else pd.Timestamp(timestamp).timestamp()


def _missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)
