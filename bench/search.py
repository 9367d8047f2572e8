"""Search efficiency: the best accuracy a strategy reaches and the epochs it trains to get there.

Each strategy (a sampler and a pruner from sweeper's registry) searches the digits quickstart's
space with the same trial budget, trial after trial in this process: Optuna's ask, the study's
own sampling (Study.sample), sweeper's trainer `fit`, and per epoch Optuna's report and
should_prune, as a sweep decides. Every strategy runs over the same seeds; the table gives the
median and the spread (min..max) over seeds of:

- best: the best validation accuracy of any epoch of any trial (%);
- epochs: the epochs trained in all, pruned trials included;
- to_0.3: the epochs trained until the best so far came within 0.3 points of that run's best;
- 1st full: the epochs trained until a first trial had trained all its epochs (how long a
  user waits for a finished model);
- wall: seconds (the machine may be shared: noisy, unlike epochs),

and each median as a ratio of random search without pruning, measured in the same run.

Tasks: `digits` is the quickstart (75 % of the 1,797 images to train on); `digits-small` trains
on 20 % of them, where curves rise slower and separate later.

    .venv/bin/python bench/search.py                        # 5 seeds, both tasks, 1 thread
                                                            # (~30 min on 2 shared cores)
    .venv/bin/python bench/search.py --seeds 3 --tasks digits-small   # ~7 min
    .venv/bin/python bench/search.py --cache /tmp/search-cache  # each config trained once

Pruner "promoting" (sweeper/sweep/promotion.py) pauses trials at its rungs and resumes the
paused ones that later trials put in a rung's top third, from their checkpoints (kept in a
temporary folder, or in --cache), once their bracket of trials has started. `--experiments`
adds its other orderings: asynchronous (every trial its own bracket), synchronous (the whole
budget one bracket), brackets of 9, and eta 4. `--trials 54` gives the default two brackets.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import runpy
import statistics
import tempfile
import time
from pathlib import Path

import optuna
import torch

from sweeper import Study
from sweeper.sweep.promotion import Ladder
from sweeper.sweep.registry import make_pruner, make_sampler, promotion_ladder
from sweeper.train import fit

QUICKSTART = Path(__file__).resolve().parent.parent / "studies" / "digits.py"
TASKS = {"digits": 0.25, "digits-small": 0.8}  # task: val_split (the share held out)
_KEYS = ("best", "epochs", "to_best", "to_full", "wall")  # what each search measures
TOLERANCE = 0.3  # points of accuracy: "as good as the best" for epochs-to-best
_DEFAULT = Study(name="default").settled()  # a new study that names no sampler or pruner
STRATEGIES = {  # name: (sampler, pruner); the first is the reference of the ratios
    "random, no pruning": ("random", "none"),
    "tpe + median": ("tpe", "median"),
    "tpe + successive halving": ("tpe", "successive_halving"),
    "tpe + hyperband": ("tpe", "hyperband"),
    "tpe + promotion": ("tpe", "promoting"),
    "sweeper default": (_DEFAULT.sampler, _DEFAULT.pruner),
}


def experiments(n_trials: int, epochs: int) -> dict[str, tuple[str, Ladder]]:
    """Other promotion ladders, measured beside the strategies (README, Benchmarks)."""
    ladder = promotion_ladder(epochs, n_trials)
    return {
        "tpe + promotion, async": ("tpe", dataclasses.replace(ladder, bracket=1)),
        "tpe + promotion, sync": ("tpe", dataclasses.replace(ladder, bracket=n_trials)),
        "tpe + promotion, 9 a round": ("tpe", dataclasses.replace(ladder, bracket=9)),
        "tpe + promotion, eta 4": ("tpe", dataclasses.replace(ladder, eta=4)),
    }


def task_study(task: str, n_trials: int, epochs: int) -> Study:
    quickstart = runpy.run_path(str(QUICKSTART))["study"]
    train = {**quickstart.train, "val_split": TASKS[task], "epochs": epochs}
    return dataclasses.replace(quickstart, train=train, n_trials=n_trials)


def search(
    study: Study, sampler: str, pruner: str | Ladder, seed: int, cache: Path | None = None
) -> dict:
    """One search: `study.n_trials` trials; the best-so-far after every epoch trained.

    With a promotion ladder (pruner "promoting", or a Ladder), a trial stopped at a rung is
    paused with its checkpoint, and before each new trial the ladder may resume a paused one
    instead, as a WAITING copy with the same params (as sweeper queues it): its restored
    epochs are reported again to Optuna but not trained or counted again. `cache` keeps every
    config's checkpoints across searches (see main).
    """
    epochs = study.base_config().epochs
    ladder = pruner if isinstance(pruner, Ladder) else None
    if pruner == "promoting":
        ladder = promotion_ladder(epochs, study.n_trials)
    optuna_study = optuna.create_study(
        # Hyperband picks a trial's bracket from a hash of the study's name: a fixed name makes
        # its rows reproducible (Optuna's default name is random).
        study_name=f"search-{seed}",
        direction=study.direction,
        sampler=make_sampler(sampler, study.space, seed),
        pruner=optuna.pruners.NopPruner()
        if ladder
        else make_pruner(pruner, epochs, study.n_trials),
    )
    trace: list[float] = []  # best accuracy so far, after each epoch trained
    first_full = None  # epochs trained when a first trial had trained in full
    curves: dict[int, list[float]] = {}  # first attempt: metric after each epoch it trained
    params_of: dict[int, dict] = {}
    paused: set[int] = set()
    started = 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        while True:
            job = ladder.promotion(curves, paused) if ladder else None
            if job is None and started < study.n_trials:
                started += 1
                trial = optuna_study.ask()
                params = study.sample(trial)
                root, target = trial.number, None
                curves[root], params_of[root] = [], params
            else:
                job = job or next(iter(ladder.finals(curves, paused) if ladder else []), None)
                if job is None:
                    break
                root, target = job
                paused.discard(root)
                optuna_study.enqueue_trial(params_of[root])
                trial = optuna_study.ask()
                params = study.sample(trial)
            curve = curves[root]
            config = study.config_for(params)
            folder = None
            if cache is not None:
                key = json.dumps(config.to_dict(), sort_keys=True).encode()
                folder = cache / hashlib.sha1(key).hexdigest()
            elif ladder:
                folder = Path(scratch) / str(root)
            # A cached trial that diverged stops where it did (fit checks only new epochs).
            marker = folder / "diverged" if cache is not None else None
            diverged = marker.read_text() if marker and marker.exists() else None

            def on_epoch(
                metrics, trial=trial, curve=curve, root=root, target=target, diverged=diverged
            ):
                nonlocal first_full
                value = metrics[study.metric]
                trial.report(value, metrics["epoch"])
                if metrics["epoch"] <= len(curve):
                    return False  # restored from the checkpoint of this search's own epochs
                curve.append(value)
                trace.append(max(value, trace[-1]) if trace else value)
                if first_full is None and len(curve) == epochs:
                    first_full = len(trace)
                if diverged and metrics["epoch"] == int(diverged.split()[0]):
                    return True
                if ladder:
                    return not ladder.goes_on(root, curves, target)
                # Optuna's percentile pruners answer numpy.bool; fit stops only on True itself.
                return bool(trial.should_prune())

            result = fit(config, on_epoch, checkpoint_dir=folder)
            if marker and result["stop"] == "diverged":
                marker.write_text(f"{result['epochs_run']} {result['stop']}")
            elif diverged and len(curve) == int(diverged.split()[0]):
                result["stop"] = diverged.split(" ", 1)[1]
            if result["stop"] == "completed":
                optuna_study.tell(trial, max(curve))
            else:
                if ladder and result["stop"] == "pruned":
                    paused.add(root)
                optuna_study.tell(trial, state=optuna.trial.TrialState.PRUNED)
    return {
        "best": trace[-1],
        "epochs": len(trace),
        "to_best": epochs_to_within(trace, TOLERANCE),
        "to_full": first_full or len(trace),
        "wall": time.perf_counter() - start,
    }


def epochs_to_within(trace: list[float], tolerance: float) -> int:
    """Epochs trained until the best so far came within `tolerance` of the final best."""
    return next(i + 1 for i, best in enumerate(trace) if best >= trace[-1] - tolerance)


def summary(values: list[float]) -> tuple[float, float, float]:
    """Median, min and max."""
    return statistics.median(values), min(values), max(values)


def ratio(value: float, reference: float) -> float:
    return value / reference if reference else float("nan")


def table(runs: dict[str, list[dict]]) -> list[str]:
    """One line per strategy: median [min..max] of each measure, and medians / the first's."""
    reference = {key: summary([r[key] for r in next(iter(runs.values()))])[0] for key in _KEYS}
    lines = [
        f"{'strategy':<26}{'best %':>21}{'epochs':>17}{'to_0.3':>17}{'1st full':>17}"
        f"{'wall s':>17}   epochs  to_0.3 1stfull  wall  (x reference)"
    ]
    for name, results in runs.items():
        cells = []
        medians = {}
        for key in _KEYS:
            mid, low, high = summary([r[key] for r in results])
            medians[key] = mid
            digits = 2 if key == "best" else 0
            cells.append(f"{mid:>7.{digits}f} [{low:.{digits}f}..{high:.{digits}f}]")
        ratios = "  ".join(
            f"{ratio(medians[k], reference[k]):>6.2f}"
            for k in ("epochs", "to_best", "to_full", "wall")
        )
        lines.append(f"{name:<26}" + "".join(f"{c:>17}" for c in cells) + f"   {ratios}")
    return lines


def verdict(runs: dict[str, list[dict]]) -> str:
    """Does the default match unpruned search's best, on <= 30 % of its epochs and fewer than SH?"""
    reference = runs["random, no pruning"]
    default = runs["sweeper default"]
    halving = runs["tpe + successive halving"]
    best_ok = summary([r["best"] for r in default])[0] >= min(r["best"] for r in reference)
    share = ratio(
        summary([r["epochs"] for r in default])[0], summary([r["epochs"] for r in reference])[0]
    )
    fewer = summary([r["epochs"] for r in default])[0] < summary([r["epochs"] for r in halving])[0]
    return (
        f"sweeper default: best within unpruned spread {'yes' if best_ok else 'NO'}, "
        f"epochs {share:.1%} of unpruned ({'ok' if share <= 0.3 else 'over 30 %'}), "
        f"fewer than successive halving {'yes' if fewer else 'NO'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds per strategy (default 5)")
    parser.add_argument(
        "--first-seed",
        type=int,
        default=0,
        help="seeds run from here (default 0): confirm a setting on seeds it was not chosen on",
    )
    parser.add_argument("--trials", type=int, default=16, help="trial budget (default 16)")
    parser.add_argument("--epochs", type=int, default=12, help="epochs per trial (default 12)")
    parser.add_argument("--tasks", nargs="+", choices=list(TASKS), default=list(TASKS))
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument(
        "--cache",
        type=Path,
        help="keep every config's checkpoints here across strategies, seeds and runs: a config "
        "is trained once, as far as any search takes it (training is deterministic, so best, "
        "epochs and to_0.3 are those of a run without it; wall is not)",
    )
    parser.add_argument(
        "--experiments",
        action="store_true",
        help="also run other promotion ladders: asynchronous, synchronous, brackets of 9, eta 4",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    default = STRATEGIES["sweeper default"]
    same_as_default = [n for n, s in STRATEGIES.items() if s == default][0]
    print(f"sweeper default = {default[0]} + {default[1]} (also run as {same_as_default!r})")
    for task in args.tasks:
        study = task_study(task, args.trials, args.epochs)
        runs: dict[str, list[dict]] = {}
        strategies = dict(STRATEGIES)
        if args.experiments:
            strategies.update(experiments(args.trials, args.epochs))
        for name, (sampler, pruner) in strategies.items():
            if name == "sweeper default" and same_as_default != name:
                runs[name] = runs[same_as_default]
                continue
            runs[name] = [
                search(study, sampler, pruner, seed, args.cache)
                for seed in range(args.first_seed, args.first_seed + args.seeds)
            ]
        cached = ", trained through --cache: wall is not comparable" if args.cache else ""
        seeds = f"seeds {args.first_seed}..{args.first_seed + args.seeds - 1}"
        print(f"\n{task}: {args.trials} trials x {args.epochs} epochs, {seeds}{cached}")
        print("\n".join(table(runs)))
        print(verdict(runs))


if __name__ == "__main__":
    main()
