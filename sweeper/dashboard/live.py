"""Small, frequent reads for the live views: progress, running trials and their curves so far.

The dashboard polls these every ~2 s, so each is a few indexed SELECTs in one short read
transaction; the full report is only rebuilt when the study's `version` changes.
"""

from __future__ import annotations

import json
import math
import time

import pandas as pd
import sqlalchemy as sa

from sweeper.report import frames
from sweeper.report.sql import StudyInfo, read_epochs

RECENT = 8  # finished trials listed under the running ones
# Optuna stores an infinite value as a value type beside a placeholder value.
INFINITE = {"INF_POS": math.inf, "INF_NEG": -math.inf}


def version(conn, study_id: int) -> tuple:
    """Changes whenever a trial is added or finishes: the key of the cached full report."""
    row = conn.execute(
        sa.text(
            "SELECT COUNT(*), SUM(CASE WHEN state IN ('COMPLETE', 'PRUNED', 'FAIL') THEN 1 ELSE 0 END), "
            "MAX(datetime_complete) FROM trials WHERE study_id = :id"
        ),
        {"id": study_id},
    ).one()
    return (int(row[0]), int(row[1] or 0), str(row[2]))


def live_state(engine: sa.Engine, study: StudyInfo) -> dict:
    """Counts by state, best value, running trials with their epochs so far, recent finishes."""
    metric = study.spec.get("metric", "value")
    ids = {"id": study.study_id}
    with engine.connect() as conn:
        key = version(conn, study.study_id)
        counts = dict(
            conn.execute(
                sa.text("SELECT state, COUNT(*) FROM trials WHERE study_id = :id GROUP BY state"),
                ids,
            ).all()
        )
        running = pd.read_sql(
            sa.text(
                "SELECT trial_id, number, datetime_start FROM trials WHERE study_id = :id AND state = 'RUNNING' "
                "ORDER BY number"
            ),
            conn,
            params=ids,
            parse_dates=["datetime_start"],
        )
        params = pd.read_sql(
            sa.text(
                "SELECT p.trial_id, p.param_name, p.param_value, p.distribution_json FROM trial_params p "
                "JOIN trials t ON t.trial_id = p.trial_id WHERE t.study_id = :id AND t.state = 'RUNNING'"
            ),
            conn,
            params=ids,
        )
        epochs = read_epochs(conn, study.study_id, metric, trial_ids=running["trial_id"].tolist())
        recent = pd.read_sql(
            sa.text(
                "SELECT t.number, t.state, v.value, v.value_type, t.datetime_complete "
                "FROM trials t LEFT JOIN trial_values v "
                "ON v.trial_id = t.trial_id AND v.objective = 0 WHERE t.study_id = :id AND t.datetime_complete IS NOT NULL "
                "ORDER BY t.datetime_complete DESC LIMIT :n"
            ),
            conn,
            params={**ids, "n": RECENT},
        )
        best = conn.execute(
            sa.text(
                f"SELECT {'MAX' if study.direction == 'maximize' else 'MIN'}(v.value) FROM trial_values v "
                "JOIN trials t ON t.trial_id = v.trial_id WHERE t.study_id = :id AND t.state = 'COMPLETE' "
                "AND v.objective = 0 AND v.value_type = 'FINITE'"
            ),
            ids,
        ).scalar()
    if len(study.objectives) > 1:
        best = None  # no single best: the page shows the Pareto front
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
                state: int(counts.get(state, 0))
                for state in ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")
            },
            "n_trials": study.spec.get("n_trials"),
            "best": best,
            "running": trials,
            "recent": [
                {
                    "trial": int(r.number),
                    "state": r.state,
                    "value": INFINITE.get(r.value_type, r.value),
                }
                for r in recent.itertuples()
            ],
            "time": time.time(),
        }
    )


def trial_detail(engine: sa.Engine, study: StudyInfo, number: int) -> dict | None:
    """One trial: state, params, every user attribute (the resolved config too) and its epochs."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT trial_id, state, datetime_start, datetime_complete FROM trials "
                "WHERE study_id = :id AND number = :n"
            ),
            {"id": study.study_id, "n": number},
        ).first()
        if row is None:
            return None
        trial_id = row.trial_id
        params = pd.read_sql(
            sa.text(
                "SELECT trial_id, param_name, param_value, distribution_json FROM trial_params WHERE trial_id = :t"
            ),
            conn,
            params={"t": trial_id},
        )
        attrs = conn.execute(
            sa.text(
                "SELECT a.key, a.value_json FROM trial_user_attributes a WHERE a.trial_id = :t ORDER BY a.key"
            ),
            {"t": trial_id},
        ).all()
        values = conn.execute(
            sa.text(
                "SELECT objective, value, value_type FROM trial_values WHERE trial_id = :t "
                "ORDER BY objective"
            ),
            {"t": trial_id},
        ).all()
        epochs = read_epochs(
            conn, study.study_id, study.spec.get("metric", "value"), trial_ids=[trial_id]
        )
    decoded = frames.decode_params(params)
    names = study.objectives or [study.spec.get("metric", "value")]
    return {
        "trial": number,
        "state": row.state,
        # Objective name → value.
        "values": {
            names[objective] if objective < len(names) else f"value {objective}": INFINITE.get(
                kind, value
            )
            for objective, value, kind in values
        },
        "started": pd.to_datetime(row.datetime_start),
        "completed": pd.to_datetime(row.datetime_complete),
        "params": {name: values.iloc[0] for name, values in decoded.items()},
        "attrs": {key: json.loads(text) for key, text in attrs},
        "epochs": frames.epochs_frame(epochs),
    }


def curves(engine: sa.Engine, study: StudyInfo, numbers: list[int]) -> dict:
    """Trial number → its epochs so far as columns (epoch, losses, accuracies, lr), for the
    curves of trials picked in the table; metrics no epoch recorded are left out."""
    with engine.connect() as conn:
        ids = dict(
            conn.execute(
                sa.text("SELECT number, trial_id FROM trials WHERE study_id = :id"),
                {"id": study.study_id},
            ).all()
        )
        wanted = [ids[n] for n in numbers if n in ids]
        epochs = read_epochs(conn, study.study_id, study.spec.get("metric", "value"), wanted)
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
