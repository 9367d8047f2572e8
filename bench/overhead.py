"""sweeper's per-trial orchestration cost against raw Optuna, on the same storage and objective.

The objective is instant (the fake trainer: 10 epochs, no work), so what is timed is the
orchestration: raw Optuna does ask, report x10 (+ should_prune), tell in one process; sweeper
does the same through its supervisor and a real executor process, plus its epoch rows, trial
attributes and budget checks. Per-trial cost is the slope between two study sizes, so process
start-up is not counted. Then the per-epoch report+prune cost with 1,000 trials already stored.

    python bench/overhead.py [--trials 60] [--storage URL]
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
import tempfile
import time
from pathlib import Path

import optuna

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["FAKE_EPOCH_SECONDS"] = "0"
optuna.logging.set_verbosity(optuna.logging.ERROR)

from sweeper.spec import Study, loguniform  # noqa: E402
from sweeper.store.engines import open_storage  # noqa: E402
from sweeper.store.optuna_private import trial_id  # noqa: E402
from sweeper.store.writes import TrialWriteBuffer  # noqa: E402
from sweeper.sweep import pruning  # noqa: E402
from sweeper.sweep.progress import Progress  # noqa: E402
from sweeper.sweep.supervisor import SYNC_INTERVAL_S, Supervisor  # noqa: E402

EPOCHS = 10


def raw_optuna(url: str, name: str, trials: int, storage=None) -> float:
    study = optuna.create_study(
        study_name=name,
        storage=storage or url,
        direction="maximize",
        sampler=optuna.samplers.RandomSampler(seed=0),
        pruner=optuna.pruners.MedianPruner(),
    )
    started = time.perf_counter()
    for _ in range(trials):
        trial = study.ask()
        lr = trial.suggest_float("lr", 1e-3, 1.0, log=True)
        for step in range(1, EPOCHS + 1):
            trial.report(lr * step, step)
            trial.should_prune()
        study.tell(trial, lr * EPOCHS)
    return time.perf_counter() - started


def sweeper_run(url: str, name: str, trials: int, artifacts: str) -> float:
    study = Study(
        name=name,
        train=dict(epochs=EPOCHS),
        space=dict(lr=loguniform(1e-3, 1.0)),
        n_trials=trials,
        trainer="tests.fake_trainer:fit",
        sampler="random",
        pruner="median",
    )
    progress = Progress(name, trials, "val_acc")
    progress.note = progress.finished = lambda *a, **k: None  # time the sweep, not the printing
    started = time.perf_counter()
    Supervisor(study, url, workers=1, artifacts=artifacts, progress=progress).run()
    return time.perf_counter() - started


def per_trial(run, url: str, label: str, small: int, large: int, *extra) -> float:
    t_small = run(url, f"{label}-small", small, *extra)
    t_large = run(url, f"{label}-large", large, *extra)
    return (t_large - t_small) / (large - small)


def epoch_cost(url: str, existing: int, repeats: int = 200) -> tuple[float, float]:
    """Seconds per epoch at `existing` trials: raw report + should_prune, and sweeper's supervisor
    path (epoch row and intermediate value into its TrialWriteBuffer, pruning on a StudySnapshot)."""
    storage = open_storage(url)
    study = optuna.create_study(
        study_name=f"full-{existing}",
        storage=storage,
        direction="maximize",
        pruner=optuna.pruners.MedianPruner(),
    )
    distributions = {"lr": optuna.distributions.FloatDistribution(1e-3, 1.0, log=True)}
    for i in range(existing):
        study.add_trial(
            optuna.trial.create_trial(
                params={"lr": 0.01 + i * 1e-4},
                distributions=distributions,
                value=50.0,
                intermediate_values={s: 5.0 * s for s in range(1, EPOCHS + 1)},
            )
        )
    log = TrialWriteBuffer(storage.engine, flush_every_s=SYNC_INTERVAL_S)
    snapshot = pruning.StudySnapshot(study, SYNC_INTERVAL_S)
    timings = []
    for sweepers_path in (False, True):
        trial = study.ask()
        trial.suggest_float("lr", 1e-3, 1.0, log=True)
        values = {}
        started = time.perf_counter()
        for step in range(1, repeats + 1):
            if sweepers_path:
                values[step] = 1.0
                log.epoch(trial_id(trial), step, {"val_acc": 1.0, "train_loss": 0.5})
                log.pruning_value(trial_id(trial), step, 1.0)
                pruning.should_prune(snapshot, trial, values)
            else:
                trial.report(1.0, step)
                trial.should_prune()
        log.flush()
        timings.append((time.perf_counter() - started) / repeats)
        study.tell(trial, 1.0)
    return timings[0], timings[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--trials", type=int, default=60, help="trials in the larger study (default 60)"
    )
    parser.add_argument(
        "--existing", type=int, default=1000, help="trials already stored for the per-epoch figure"
    )
    parser.add_argument("--storage", help="database URL (default: a fresh SQLite file)")
    parser.add_argument(
        "--json", metavar="PATH", help="also write the figures there (bench/tables.py)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.storage or f"sqlite:///{folder}/bench.db"
        small = max(5, args.trials // 4)
        raw = per_trial(raw_optuna, url, "raw", small, args.trials)
        # The same, on the storage as sweeper tunes it (SQLite: WAL, no fsync per commit), to
        # separate the orchestration's own cost from the tuning's gain.
        tuned = per_trial(raw_optuna, url, "tuned", small, args.trials, open_storage(url))
        ours = per_trial(sweeper_run, url, "sweeper", small, args.trials, folder)
        print(
            f"per trial (ask, {EPOCHS} x report+prune, tell): raw Optuna {raw * 1e3:.1f} ms, "
            f"raw Optuna on sweeper's storage settings {tuned * 1e3:.1f} ms, sweeper {ours * 1e3:.1f} ms"
        )
        print(
            f"ratio sweeper / raw Optuna: {ours / raw:.2f}x (target <= 1.2x); "
            f"against raw Optuna on the same tuned storage: {ours / tuned:.2f}x"
        )
        raw_epoch, our_epoch = epoch_cost(url, args.existing)
        print(
            f"per epoch with {args.existing} trials stored: raw report+should_prune {raw_epoch * 1e3:.2f} ms, "
            f"sweeper (with its epoch row, batched; pruning on a snapshot) {our_epoch * 1e3:.2f} ms, ratio {our_epoch / raw_epoch:.2f}x"
        )
    rows = [
        {
            "measure": f"per trial (ask, {EPOCHS} x report + prune, tell)",
            "raw_s": raw,
            "tuned_s": tuned,
            "sweeper_s": ours,
            "ratio": ours / raw,
        },
        {
            "measure": f"per epoch, {args.existing:,} trials stored",
            "raw_s": raw_epoch,
            "sweeper_s": our_epoch,
            "ratio": our_epoch / raw_epoch,
        },
    ]
    setup = f"per trial: the slope between studies of {small} and {args.trials} trials"
    save = runpy.run_path(str(Path(__file__).with_name("tables.py")))["save"]
    save(args.json, __file__, rows, setup)


if __name__ == "__main__":
    main()
