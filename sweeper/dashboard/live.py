"""Small, frequent reads for the live views: progress, running trials and their curves so far.

The dashboard polls these every ~2 s, so each is a few indexed SELECTs in one short read
transaction; the full report is only rebuilt when the study's `version` changes.
"""

from __future__ import annotations

import math
import time

import pandas as pd
import sqlalchemy as sa

from sweeper.outcomes import STATUSES
from sweeper.report import frames
from sweeper.store import reads
from sweeper.store.reads import StudyInfo, read_epochs

RECENT = 8  # finished trials listed under the running ones


def live_state(engine: sa.Engine, study: StudyInfo) -> dict:
    """Trials by status (sweeper/outcomes.py), best value, running trials with their epochs so far, recent finishes."""
    metric = study.definition.get("metric", "value")
    with engine.connect() as conn:
        key = reads.version(conn, study.study_id)
        counts = reads.outcome_counts(
            conn, study.study_id, pausing=study.definition.get("pruner") == "promoting"
        )
        running = reads.running_trials(conn, study.study_id)
        params = reads.running_params(conn, study.study_id)
        epochs = read_epochs(conn, study.study_id, metric, trial_ids=running["trial_id"].tolist())
        recent = reads.recent_finished(conn, study.study_id, RECENT)
        # Status's rule (infinities shown as such); several objectives: the page shows the front.
        best = None
        if len(study.objectives) <= 1:
            best = reads.best_complete(conn, study.study_id, study.direction)
    best = best[1] if best else None
    decoded = frames.decode_params(params)
    trials = []
    for row in running.itertuples():
        rows = epochs[epochs["trial_id"] == row.trial_id]
        last = rows.iloc[-1].to_dict() if len(rows) else {}
        trials.append(
            {
                "trial": int(row.number),
                "epoch": int(last["epoch"]) if last else 0,
                "params": {
                    name: values.get(row.trial_id)
                    for name, values in decoded.items()
                    if row.trial_id in values.index
                },
                "last": {
                    k: v
                    for k, v in last.items()
                    if k not in ("trial", "trial_id", "epoch", "recorded_at")
                },
                "curve": {
                    "epoch": rows["epoch"].tolist(),
                    metric: rows[metric].tolist() if metric in rows else [],
                },
                "started": row.datetime_start.isoformat() if pd.notna(row.datetime_start) else None,
            }
        )
    return clean(
        {
            "study": study.name,
            "metric": metric,
            "direction": study.direction,
            "version": list(key),
            "counts": {
                "trials": counts.trials,
                "done": counts.done,
                "by_status": {name: counts[name] for name in STATUSES},
            },
            "n_trials": study.definition.get("n_trials"),
            "best": best,
            "running": trials,
            "recent": recent,
            "time": time.time(),
        }
    )


def trial_detail(engine: sa.Engine, study: StudyInfo, number: int) -> dict | None:
    """One trial: state, params, every user attribute (the resolved config too) and its epochs."""
    with engine.connect() as conn:
        row = reads.trial_row(conn, study.study_id, number)
        if row is None:
            return None
        trial_id = row.trial_id
        params = reads.trial_params(conn, trial_id)
        attrs = reads.trial_attrs(conn, trial_id)
        values = reads.trial_values(conn, trial_id)
        epochs = read_epochs(
            conn, study.study_id, study.definition.get("metric", "value"), trial_ids=[trial_id]
        )
    decoded = frames.decode_params(params)
    names = study.objectives or [study.definition.get("metric", "value")]
    return {
        "trial": number,
        "state": row.state,
        # Objective name → value.
        "values": {
            names[objective] if objective < len(names) else f"value {objective}": value
            for objective, value in values
        },
        "started": pd.to_datetime(row.datetime_start),
        "completed": pd.to_datetime(row.datetime_complete),
        "params": {name: values.iloc[0] for name, values in decoded.items()},
        "attrs": attrs,
        "epochs": frames.epochs_frame(epochs),
    }


def curves(engine: sa.Engine, study: StudyInfo, numbers: list[int]) -> dict:
    """Trial number → its epochs so far as columns (epoch, losses, accuracies, lr), for the
    curves of trials picked in the table; metrics no epoch recorded are left out."""
    with engine.connect() as conn:
        ids = reads.trial_ids_by_number(conn, study.study_id)
        wanted = [ids[n] for n in numbers if n in ids]
        epochs = read_epochs(conn, study.study_id, study.definition.get("metric", "value"), wanted)
    epochs = frames.epochs_frame(epochs).drop(columns=["trial_id"])
    return clean(
        {
            str(number): {
                column: rows[column].tolist()
                for column in rows.columns.drop("trial")
                if rows[column].notna().any()
            }
            for number, rows in epochs.groupby("trial")
        }
    )


def clean(value):
    """JSON-safe, numpy → Python. JSON has no NaN or infinity (JSON.parse rejects them): NaN
    becomes null, and an infinite value the strings "inf" / "-inf", shown as such."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if hasattr(value, "item"):  # numpy and pandas scalars
        value = value.item()
    if value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value
