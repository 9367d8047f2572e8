"""`sweeper run` / `sweeper worker`: a supervisor over the study, then a summary of the best trials."""

from __future__ import annotations

import shlex

from optuna.trial import TrialState

from sweeper import outcomes
from sweeper.errors import SetupError, TrialsFailingError
from sweeper.spec import Study
from sweeper.store import reads
from sweeper.store.optuna_private import engine_of, study_id
from sweeper.sweep.progress import Progress, make_console, summary_table
from sweeper.sweep.supervisor import DEFAULT_GRACE_PERIOD_S, Supervisor
from sweeper.urls import check_url, check_writable, redact, resolve_url


def run_sweep(
    study: Study,
    storage: str | None,
    *,
    workers: int,
    device: str = "auto",
    artifacts: str = "runs",
    grace_period: int = DEFAULT_GRACE_PERIOD_S,
    replace_spec: bool = False,
) -> int:
    """Runs the study to its budget; 0 when done, 130 when stopped by Ctrl-C / SIGTERM."""
    url = resolve_url(storage)
    check_url(url)
    check_writable(url)
    console = make_console()
    progress = Progress(study.name, study.n_trials, study.metric, console)
    supervisor = Supervisor(
        study,
        url,
        workers=workers,
        device=device,
        artifacts=artifacts,
        progress=progress,
        grace_period=grace_period,
        replace_spec=replace_spec,
    )
    optuna_study = supervisor.run()
    if supervisor.setup_problem:
        # The trial that met it is queued again; nothing was counted against the budget.
        raise SetupError(supervisor.setup_problem)
    attempts = optuna_study.get_trials(deepcopy=False)
    finished = [t for t in attempts if t.state == TrialState.COMPLETE]
    reverse = study.direction == "maximize"
    finished.sort(key=lambda t: t.value, reverse=reverse)
    pausing = supervisor.definition.pruner == "promoting"
    with engine_of(optuna_study).connect() as connection:
        records = reads.attempts(connection, study_id(optuna_study), pausing=pausing)
    firsts = {a.number: a.first_attempt for a in records["attempt"]}
    if finished:
        console.print(summary_table(finished, study.metric))
        best = finished[0]
        weights = supervisor.checkpoints(firsts.get(best.number, best.number)) / "best.pt"
        console.print(f"trial {best.number}'s best weights: {weights}")
    counts = outcomes.count(zip(records["state"], records["attempt"]))
    shown = ", ".join(f"{counts[s]} {s}" for s in outcomes.STATUSES if counts[s])
    console.print(
        f"study {study.name!r} in {redact(url)}: {counts.trials} trials ({shown or 'none'}); "
        f"`sweeper report {study.name}` builds the tables and curves"
    )
    if supervisor.failing:
        raise TrialsFailingError(
            supervisor.failing,
            f"its traceback and epochs: `sweeper report {study.name}` or the dashboard's trial "
            "page; fix the trainer or the settings, then run again to go on",
        )
    if supervisor.stopping:
        again = (
            "sweeper worker "
            + shlex.quote(study.name)
            + (f" --storage {shlex.quote(redact(url))}" if storage else "")
        )
        console.print(
            f"stopped early; running trials resume from their checkpoints when you continue: {again}"
        )
        return 130
    return 0
