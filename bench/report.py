"""Time `sweeper report` against Optuna's own readers on big synthetic studies.

Writes a study of N trials x E epochs straight into a SQLite storage (bulk inserts into Optuna's
tables and sweeper_epochs, as the supervisor would have left them), then times:
  report      build_report(): every frame and table, importance included (what the CLI computes),
              once cold (first call in the process, imports included) and once warm
  +files      the same plus writing the CSVs and the HTML page
  optuna      optuna.load_study(...).trials_dataframe()
  optuna viz  (with --visualization) plot_parallel_coordinate + plot_param_importances

  .venv/bin/python bench/report.py                    # 1,000 and 10,000 trials x 20 epochs
  .venv/bin/python bench/report.py --trials 500 --epochs 10 --visualization
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import runpy
import tempfile
import time
from pathlib import Path

import numpy as np
import optuna
import sqlalchemy as sa
from optuna.distributions import CategoricalDistribution, FloatDistribution, distribution_to_json

from sweeper.report import export
from sweeper.report.build import build_report
from sweeper.store.engines import open_reader, open_storage
from sweeper.store.schema import EPOCH_METRICS, SPEC_ATTR

BATCHES = [32, 64, 96, 128, 192, 256]
OPTIMIZERS = ["sgd", "adam", "ranger"]
DISTS = {
    "batch_size": CategoricalDistribution(BATCHES),
    "optimizer": CategoricalDistribution(OPTIMIZERS),
    "lr": FloatDistribution(1e-4, 1e-1, log=True),
    "dropout": FloatDistribution(0.0, 0.5),
}
SPEC = {
    "name": "bench",
    "train": {"dataset": "synthetic", "model": "resnet18"},
    "metric": "val_acc",
    "direction": "maximize",
    "sampler": "tpe",
    "pruner": "median",
    "space": {
        "batch_size": {"kind": "choice", "values": BATCHES},
        "optimizer": {"kind": "choice", "values": OPTIMIZERS},
        "lr": {"kind": "loguniform", "low": 1e-4, "high": 1e-1},
        "dropout": {"kind": "uniform", "low": 0.0, "high": 0.5},
    },
    "reference": {"batch_size": {"32": 93.53, "64": 94.11}},
}


def build_study(url: str, n_trials: int, n_epochs: int, seed: int = 0) -> None:
    """A finished study: 80% complete, 15% pruned halfway, 5% failed, with per-epoch rows."""
    storage = open_storage(url)
    optuna.create_study(storage=storage, study_name="bench", direction="maximize")
    study_id = storage.get_study_id_from_name("bench")
    storage.set_study_system_attr(study_id, SPEC_ATTR, {**SPEC, "n_trials": n_trials})
    rng = np.random.default_rng(seed)
    tables = sa.MetaData()
    tables.reflect(storage.engine)
    rows = {
        name: []
        for name in (
            "trials",
            "trial_params",
            "trial_values",
            "trial_user_attributes",
            "trial_intermediate_values",
            "sweeper_epochs",
        )
    }
    start = dt.datetime(2026, 1, 1)
    for number in range(n_trials):
        trial_id = number + 1
        state = rng.choice(["COMPLETE", "PRUNED", "FAIL"], p=[0.8, 0.15, 0.05])
        epochs = {"COMPLETE": n_epochs, "PRUNED": n_epochs // 2, "FAIL": 0}[state]
        params = {
            "batch_size": int(rng.integers(len(BATCHES))),
            "optimizer": int(rng.integers(len(OPTIMIZERS))),
            "lr": float(10 ** rng.uniform(-4, -1)),
            "dropout": float(rng.uniform(0, 0.5)),
        }
        began = start + dt.timedelta(minutes=number)
        rows["trials"].append(
            dict(
                trial_id=trial_id,
                number=number,
                study_id=study_id,
                state=state,
                datetime_start=began,
                datetime_complete=began + dt.timedelta(seconds=30 * epochs),
            )
        )
        rows["trial_params"] += [
            dict(
                trial_id=trial_id,
                param_name=name,
                param_value=value,
                distribution_json=distribution_to_json(DISTS[name]),
            )
            for name, value in params.items()
        ]
        peak = (
            90 - 20 * abs(np.log10(params["lr"]) + 2.5) - 10 * params["dropout"] + rng.normal(0, 1)
        )
        accs = peak * (1 - np.exp(-np.arange(1, epochs + 1) / 4)) + rng.normal(0, 0.5, epochs)
        for epoch, acc in enumerate(accs, 1):
            metrics = dict(
                zip(
                    EPOCH_METRICS,
                    (
                        2 - acc / 50,
                        acc + 3,
                        2.1 - acc / 50,
                        acc,
                        min(acc + 5, 100),
                        0.01 / epoch,
                        30.0,
                        2000.0,
                        3000.0,
                    ),
                )
            )
            rows["sweeper_epochs"].append(
                dict(trial_id=trial_id, epoch=epoch, recorded_at=0.0, **metrics)
            )
            rows["trial_intermediate_values"].append(
                dict(
                    trial_id=trial_id,
                    step=epoch,
                    intermediate_value=acc,
                    intermediate_value_type="FINITE",
                )
            )
        if epochs:
            rows["trial_values"].append(
                dict(trial_id=trial_id, objective=0, value=float(accs.max()), value_type="FINITE")
            )
        attrs = {
            "stop_reason": {
                "COMPLETE": "completed",
                "PRUNED": "pruned",
                "FAIL": "failed: synthetic",
            }[state],
            "best_epoch": int(accs.argmax()) + 1 if epochs else None,
            "epochs_run": epochs,
            "seconds": 30.0 * epochs,
            "images_per_s": 2000.0,
            "params": 11_689_512,
            "model_size_mb": 44.6,
            "peak_mem_mb": 3000.0,
            "host": "bench",
            "device": "cuda:0",
        }
        rows["trial_user_attributes"] += [
            dict(trial_id=trial_id, key=key, value_json=json.dumps(value))
            for key, value in attrs.items()
        ]
    with storage.engine.begin() as conn:
        for name, batch in rows.items():
            conn.execute(tables.tables[name].insert(), batch)
    storage.engine.dispose()


def timed(fn):
    began = time.perf_counter()
    result = fn()
    return time.perf_counter() - began, result


def bench(n_trials: int, n_epochs: int, folder: Path, visualization: bool) -> dict:
    url = f"sqlite:///{folder / f'bench_{n_trials}x{n_epochs}.db'}"
    seconds_build, _ = timed(lambda: build_study(url, n_trials, n_epochs))
    engine = open_reader(url)
    # The first build also pays for imports (scipy, Optuna's importance code): timed apart.
    seconds_cold, _ = timed(lambda: build_report(engine, "bench"))
    seconds_report, report = timed(lambda: build_report(engine, "bench"))
    seconds_files, _ = timed(
        lambda: export.write(build_report(engine, "bench"), folder / f"report_{n_trials}")
    )
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    seconds_optuna, frame = timed(
        lambda: optuna.load_study(study_name="bench", storage=url).trials_dataframe()
    )
    assert len(frame) == len(report.trials) == n_trials
    result = {
        "trials": n_trials,
        "epochs": n_epochs,
        "write_s": seconds_build,
        "report_s": seconds_report,
        "cold_s": seconds_cold,
        "report_files_s": seconds_files,
        "trials_dataframe_s": seconds_optuna,
    }
    if visualization:
        study = optuna.load_study(study_name="bench", storage=url)
        result["optuna_viz_s"], _ = timed(
            lambda: (
                optuna.visualization.plot_parallel_coordinate(study),
                optuna.visualization.plot_param_importances(study),
            )
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--trials",
        type=int,
        nargs="+",
        default=[1000, 10000],
        help="study sizes (default: 1000 10000)",
    )
    parser.add_argument(
        "--epochs", type=int, default=20, help="epochs per complete trial (default: 20)"
    )
    parser.add_argument(
        "--dir", type=Path, help="where the databases and reports go (default: a temporary folder)"
    )
    parser.add_argument(
        "--visualization", action="store_true", help="also time optuna.visualization's figures"
    )
    parser.add_argument(
        "--json", metavar="PATH", help="also write the figures there (bench/tables.py)"
    )
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for n in args.trials:
            r = bench(n, args.epochs, folder, args.visualization)
            viz = f"  optuna.visualization {r['optuna_viz_s']:.2f} s" if "optuna_viz_s" in r else ""
            print(
                f"{n:>6} trials x {args.epochs} epochs (written in {r['write_s']:.1f} s): "
                f"report {r['report_s']:.2f} s (first call {r['cold_s']:.2f} s), with CSV+HTML {r['report_files_s']:.2f} s; "
                f"trials_dataframe {r['trials_dataframe_s']:.2f} s -> {r['trials_dataframe_s'] / r['report_s']:.1f}x faster{viz}",
                flush=True,
            )
            rows.append({**r, "ratio": r["trials_dataframe_s"] / r["report_s"]})
    save = runpy.run_path(str(Path(__file__).with_name("tables.py")))["save"]
    save(args.json, __file__, rows)


if __name__ == "__main__":
    main()
