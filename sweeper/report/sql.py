"""A study's rows as the report's frames: the list of studies and a study's trials.

The SQL is sweeper.store.reads' (store owns every statement on Optuna's tables); this module
shapes what it reads into the frames the report computes with.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa

from sweeper.outcomes import STATUSES
from sweeper.store import reads


@dataclass
class RawTrials:
    """The study's rows, one frame per Optuna table, read in one transaction."""

    trials: pd.DataFrame  # trial_id, number, state, datetime_start, datetime_complete
    values: pd.DataFrame  # trial_id, value (of objective 0)
    params: pd.DataFrame  # trial_id, param_name, param_value, distribution_json
    attrs: pd.DataFrame  # trial_id, key, value (decoded JSON); user and system attributes
    epochs: pd.DataFrame  # sweeper_epochs rows, or intermediate values as the metric column
    # trial_id, number, state, attempt (its outcomes.Attempt): what became of each attempt.
    attempts: pd.DataFrame = field(default_factory=pd.DataFrame)
    # trial_id → one column per objective (±inf kept), for studies with several objectives.
    objective_values: pd.DataFrame = field(default_factory=pd.DataFrame)


def list_studies(engine: sa.Engine) -> pd.DataFrame:
    """One row per study: name, its trials by status (one column per outcomes.STATUSES, and
    `trials`, `done`, `attempts`: the count of sweeper/outcomes.py), best value, metric, budget."""
    with engine.connect() as conn:
        rows = reads.study_rows(conn)
        if rows is None:
            return pd.DataFrame(columns=["study_id", "name"])
        frame = rows["studies"].set_index("study_id")
        spec = rows["specs"].set_index("study_id")["spec"].reindex(frame.index)
        pruners = [s.get("pruner") if isinstance(s, dict) else None for s in spec]
        counts = [
            reads.outcome_counts(conn, study_id, pausing=pruner == "promoting")
            for study_id, pruner in zip(frame.index, pruners)
        ]
    frame = frame.join(rows["best"].set_index("study_id"))
    for status in STATUSES:
        frame[status] = [c[status] for c in counts]
    frame["trials"] = [c.trials for c in counts]
    frame["done"] = [c.done for c in counts]
    frame["attempts"] = [c.attempts for c in counts]
    frame["direction"] = frame["direction"].fillna("MAXIMIZE").str.lower()
    frame["best"] = frame["max_value"].where(frame["direction"] == "maximize", frame["min_value"])
    frame["metric"] = [s.get("metric", "value") if isinstance(s, dict) else "value" for s in spec]
    frame["n_trials"] = [s.get("n_trials") if isinstance(s, dict) else None for s in spec]
    frame["pruner"] = pruners
    frame["description"] = [s.get("description", "") if isinstance(s, dict) else "" for s in spec]
    # A single best means nothing with several objectives: the study page shows their front.
    objectives = rows["objectives"].set_index("study_id")["n"]
    frame["objectives"] = objectives.reindex(frame.index).fillna(1).astype(int)
    frame["best"] = frame["best"].where(frame["objectives"] == 1)
    return frame.drop(columns=["max_value", "min_value"]).reset_index()


def read_trials(
    engine: sa.Engine, study_id: int, metric: str = "value", *, pausing: bool = False
) -> RawTrials:
    """Everything a report needs about a study's trials; `pausing`: its pruner paused trials
    (promoting), for studies written before sweeper recorded each attempt's outcome."""
    rows = reads.trial_rows(engine, study_id, metric, pausing=pausing)
    trials, values = rows["trials"], rows["values"]
    for column in ("datetime_start", "datetime_complete"):
        trials[column] = pd.to_datetime(trials[column])
    by_objective = values.pivot(index="trial_id", columns="objective", values="value")
    first = values[values["objective"] == 0][["trial_id", "value"]].reset_index(drop=True)
    return RawTrials(
        trials, first, rows["params"], rows["attrs"], rows["epochs"], rows["attempts"], by_objective
    )
