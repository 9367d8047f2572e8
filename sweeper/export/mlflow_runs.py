"""A study as MLflow runs: one experiment named after the study, one run per trial with its
parameters, its metrics per epoch (step = epoch), its stop reason and outcome.

Exporting again adds only the trials not exported yet and rewrites those that were still
running, so a study can be exported while it runs and again when it is done.
"""

from __future__ import annotations

from sweeper.errors import UsageError
from sweeper.export.source import ExportedStudy, ExportedTrial

# MLflow run status of each Optuna state.
_STATUS = {"COMPLETE": "FINISHED", "PRUNED": "KILLED", "FAIL": "FAILED", "RUNNING": "RUNNING"}
TRIAL_TAG = "sweeper.trial"  # the trial number, how a later export finds the trial's run
MAX_BATCH = 1000  # MLflow's limit on metrics per log_batch call
MAX_PARAM = 6000  # MLflow's limit on a parameter value's length


def log_runs(study: ExportedStudy, uri: str) -> tuple[int, int]:
    """Logs the study's trials to the tracking store at `uri`; returns (runs written, runs
    that were there already)."""
    try:
        from mlflow.exceptions import MlflowException
        from mlflow.tracking import MlflowClient
    except ModuleNotFoundError:
        raise UsageError(
            "the MLflow export needs the mlflow package", "pip install 'sweeper[mlflow]'"
        ) from None
    try:
        client = MlflowClient(tracking_uri=uri)
        experiment = client.get_experiment_by_name(study.name)
        experiment_id = (
            experiment.experiment_id if experiment else client.create_experiment(study.name)
        )
        done = {}
        for run in client.search_runs([experiment_id], max_results=50_000):
            if TRIAL_TAG in run.data.tags:
                done[int(run.data.tags[TRIAL_TAG])] = run
        written = 0
        for trial in study.trials:
            previous = done.get(trial.number)
            if trial.state == "WAITING" or (previous and previous.info.status != "RUNNING"):
                continue
            if previous:  # was running at the last export: its run is replaced
                client.delete_run(previous.info.run_id)
            _log_trial(client, experiment_id, study, trial)
            written += 1
    except MlflowException as error:
        first_line = str(error.message).split(". ")[0]
        raise UsageError(
            f"MLflow cannot use {uri}: {first_line}",
            "give --mlflow a tracking store MLflow accepts, e.g. sqlite:///mlflow.db "
            "or http://host:5000",
        ) from None
    return written, len(done)


def _log_trial(client, experiment_id: str, study: ExportedStudy, trial: ExportedTrial) -> None:
    from mlflow.entities import Metric, Param

    start = _ms(trial.started)
    run = client.create_run(
        experiment_id,
        start_time=start,
        run_name=f"trial {trial.number}",
        tags={
            TRIAL_TAG: str(trial.number),
            "stop_reason": trial.stop_reason,
            "state": trial.state,
            "study": study.name,
        },
    )
    metrics = [
        Metric(name, value, _ms(at) or start or 0, epoch)
        for name, points in trial.metrics.items()
        for epoch, value, at in points
    ]
    end = _ms(trial.completed) or start or 0
    metrics += [Metric(name, value, end, 0) for name, value in trial.results.items()]
    params = [Param(name, str(value)[:MAX_PARAM]) for name, value in trial.params.items()]
    client.log_batch(run.info.run_id, params=params)
    for first in range(0, len(metrics), MAX_BATCH):
        client.log_batch(run.info.run_id, metrics=metrics[first : first + MAX_BATCH])
    if trial.state != "RUNNING":
        client.set_terminated(
            run.info.run_id,
            status=_STATUS.get(trial.state, "FINISHED"),
            end_time=_ms(trial.completed),
        )


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)
