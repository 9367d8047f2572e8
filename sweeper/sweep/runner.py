"""`sweeper run` / `sweeper worker`: a supervisor over the study, then a summary of the best trials."""

from __future__ import annotations

import shlex

from optuna.trial import TrialState

from sweeper.spec import Study
from sweeper.sweep.progress import Progress, make_console, summary_table
from sweeper.sweep.supervisor import DEFAULT_GRACE_PERIOD_S, Supervisor
from sweeper.urls import check_url, redact, resolve_url


def run_sweep(
    study: Study,
    storage: str | None,
    *,
    workers: int,
    device: str = "auto",
    artifacts: str = "runs",
    grace_period: int = DEFAULT_GRACE_PERIOD_S,
) -> int:
    """Runs the study to its budget; 0 when done, 130 when stopped by Ctrl-C / SIGTERM."""
    url = resolve_url(storage)
    check_url(url)
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
    )
    optuna_study = supervisor.run()
    finished = optuna_study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    pruned = optuna_study.get_trials(deepcopy=False, states=(TrialState.PRUNED,))
    reverse = study.direction == "maximize"
    finished.sort(key=lambda t: t.value, reverse=reverse)
    if finished:
        console.print(summary_table(finished, study.metric))
    console.print(
        f"study {study.name!r} in {redact(url)}: {len(finished)} complete, {len(pruned)} pruned; "
        f"`sweeper report {study.name}` builds the tables and curves"
    )
    elsewhere = optuna_study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    if elsewhere and not supervisor.stopping:
        console.print(
            f"{len(elsewhere)} trials of this study are running on other machines (or on one that stopped: "
            f"they are retried here once silent for --grace-period seconds; run this again then)"
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
