"""Finishing trials in the storage: their outcome, attributes, retries and inherited epochs."""

from __future__ import annotations

import math
import socket

import optuna
import sqlalchemy as sa
from optuna.trial import TrialState

from sweeper.sweep.storage import TrialLog, epochs_table

MAX_RETRIES = 3
HOST = socket.gethostname()


def best_value(values, direction: str) -> float | None:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return None
    return max(finite) if direction == "maximize" else min(finite)


def finish(
    log: TrialLog,
    study: optuna.Study,
    trial: optuna.trial.Trial,
    epochs: list[dict],
    result: dict,
    metric: str,
) -> optuna.trial.FrozenTrial:
    """Tells Optuna how a trial ended; the value is the best epoch's metric.

    Diverged trials (NaN loss, chance accuracy) are PRUNED: stopped early as hopeless, like
    pruned ones, with their reason kept in `stop_reason`.
    """
    direction = (
        "maximize" if study.direction == optuna.study.StudyDirection.MAXIMIZE else "minimize"
    )
    values = [e.get(metric) for e in epochs]
    best = best_value(values, direction)
    stop = result.get("stop_reason", "completed")
    attrs = {
        "stop_reason": stop,
        "epochs_run": result.get("epochs_run", len(epochs)),
        "final_value": values[-1] if values else None,
        "best_value": best,
        "best_epoch": next((e["epoch"] for e in epochs if e.get(metric) == best), None),
        **{
            k: result.get(k)
            for k in ("seconds", "images_per_s", "params", "model_size_mb", "peak_mem_mb")
        },
    }
    if stop != "completed":
        attrs["pruned_at"] = epochs[-1]["epoch"] if epochs else 0
    state = TrialState.COMPLETE if stop == "completed" and best is not None else TrialState.PRUNED
    if stop == "completed" and best is None:
        attrs["stop_reason"] = f"failed: no finite {metric} in any epoch"
        state = TrialState.FAIL
    _write_outcome(log, trial, attrs)
    return study.tell(
        trial, best if state == TrialState.COMPLETE else None, state=state, skip_if_finished=True
    )


def fail(
    log: TrialLog, study: optuna.Study, trial: optuna.trial.Trial, reason: str, *, retry: bool
) -> optuna.trial.FrozenTrial:
    """Fails a trial; with `retry`, a WAITING copy takes its place in the budget and resumes it."""
    _write_outcome(log, trial, {"stop_reason": reason})
    frozen = study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
    if retry:
        retry_trial(study, frozen)
    return frozen


def retry_trial(study: optuna.Study, frozen: optuna.trial.FrozenTrial) -> None:
    """A WAITING copy of a failed trial, linked to the original; also Optuna's stale-trial callback.

    Unlike optuna's RetryFailedTrialCallback it does not copy the failed attempt's outcome
    attributes; `retry_of` names the first attempt, whose checkpoints the copy resumes from.
    """
    root = frozen.user_attrs.get("retry_of", frozen.number)
    history = list(frozen.system_attrs.get("retry_history", [])) + [frozen.number]
    if len(history) > MAX_RETRIES:
        return
    study.add_trial(
        optuna.create_trial(
            state=TrialState.WAITING,
            params=frozen.params,
            distributions=frozen.distributions,
            user_attrs={"retry_of": root},
            system_attrs={"failed_trial": root, "retry_history": history},
        )
    )


def _write_outcome(log: TrialLog, trial: optuna.trial.Trial, attrs: dict) -> None:
    """The outcome attributes and everything still buffered, in one transaction, before Optuna's tell."""
    log.set_attrs(trial._trial_id, attrs)
    log.flush()


def inherit_epochs(
    engine: sa.Engine, study_id: int, trial: optuna.trial.Trial, root: int
) -> list[dict]:
    """Copies the epochs of the retried attempt into the retry, which resumes after them."""
    previous = sa.text(
        "SELECT t.trial_id FROM trials t WHERE t.study_id = :study_id AND t.number < :number"
        " AND t.state = 'FAIL' AND (t.number = :root OR EXISTS (SELECT 1 FROM trial_user_attributes u"
        " WHERE u.trial_id = t.trial_id AND u.key = 'retry_of' AND u.value_json = :root_json))"
        " ORDER BY t.number DESC LIMIT 1"
    )
    with engine.begin() as connection:
        found = connection.execute(
            previous,
            {"study_id": study_id, "number": trial.number, "root": root, "root_json": str(root)},
        ).scalar()
        if found is None:
            return []
        rows = (
            connection.execute(
                sa.select(epochs_table)
                .where(epochs_table.c.trial_id == found)
                .order_by(epochs_table.c.epoch)
            )
            .mappings()
            .all()
        )
        copies = [{**row, "trial_id": trial._trial_id} for row in rows]
        if copies:
            connection.execute(
                epochs_table.delete().where(epochs_table.c.trial_id == trial._trial_id)
            )
            connection.execute(epochs_table.insert(), copies)
    return [dict(row) for row in copies]
