"""`sweeper rerun STUDY TRIAL`: train a stored trial again, hold its curve against the stored one.

Everything comes from the storage (the trial's config, the study's trainer, the thread count
the trial trained with), so no study file is needed; the storage is only read. The trial trains
in one executor process, as in a sweep, into a scratch folder, so no checkpoint of the stored
trial is resumed or touched. On the same kind of machine a CPU trial reproduces bit for bit:
its seed fixes weights, data order and augmentation, and its thread count fixes the order of
floating-point sums.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from sweeper.errors import ConfigError
from sweeper.store import reads
from sweeper.store.engines import open_reader
from sweeper.sweep.messages import Cause, Failed, Train
from sweeper.sweep.pool import ExecutorPool
from sweeper.sweep.progress import make_console
from sweeper.urls import resolve_url

# What a trial computes; wall time, throughput and memory differ on every run by nature.
COMPARED = ("train_loss", "train_acc", "val_loss", "val_acc", "val_top5", "lr")
SHOWN = ("train_loss", "val_acc", "lr")


@dataclass
class StoredTrial:
    number: int
    config: dict
    trainer: str | None
    threads: int | None
    epochs: pd.DataFrame  # the stored per-epoch metrics, one row per epoch


def rerun(
    study_name: str,
    number: int,
    storage: str | None,
    device: str = "auto",
    keep: str | None = None,
    console: Console | None = None,
) -> int:
    """Trains trial `number` again; 0 when every epoch matches the stored one, 1 when not."""
    console = console or make_console()
    stored = read_trial(resolve_url(storage), study_name, number)
    folder = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="sweeper-rerun-"))
    if keep and folder.exists() and any(folder.iterdir()):
        raise ConfigError(
            f"--keep folder {folder} is not empty", "give an empty or new folder for the rerun"
        )
    try:
        epochs, crash = _train(stored, device, folder)
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
    same = _compare(stored, epochs, console)
    if crash:
        console.print(f"the rerun failed after {len(epochs)} epochs: {crash}")
    return 0 if same and not crash else 1


def read_trial(url: str, study_name: str, number: int) -> StoredTrial:
    engine = open_reader(url)
    try:
        study = reads.find_study(engine, study_name, url)
        with engine.connect() as connection:
            trial_id = reads.trial_id_of(connection, study.study_id, number)
            if trial_id is None:
                raise ConfigError(
                    f"study {study_name!r} has no trial {number}",
                    "see the trial numbers with `sweeper report` or `sweeper status`",
                )
            attrs = reads.trial_attrs(connection, trial_id, ("config", "environment"))
            epochs = reads.read_epochs(connection, study.study_id, trial_ids=[trial_id])
    finally:
        engine.dispose()
    if "config" not in attrs:
        raise ConfigError(
            f"trial {number} of {study_name!r} has no stored training config",
            "only trials that sweeper ran can be rerun",
        )
    environment = attrs.get("environment") or {}
    return StoredTrial(
        number,
        attrs["config"],
        study.definition.get("trainer"),
        environment.get("threads"),
        epochs,
    )


def _train(stored: StoredTrial, device: str, folder: Path) -> tuple[list[dict], str | None]:
    """The trial's epochs trained again in one executor, stopping where the stored curve ends,
    and why the rerun crashed if it did."""
    last = int(stored.epochs["epoch"].max()) if len(stored.epochs) else None
    epochs: list[dict] = []

    def stop_after(metrics: dict) -> bool:
        epochs.append(metrics)
        # A pruned trial stopped early: so does its rerun, at the same epoch.
        return last is not None and metrics["epoch"] >= last

    task = Train(stored.config, stored.trainer, str(folder), stored.threads)
    pool = ExecutorPool(1, device)
    try:
        pool.start()
        outcome = pool.train(task, stop_after)
    finally:
        pool.stop()
    if not isinstance(outcome, Failed):
        return epochs, None
    if outcome.cause is not Cause.TRIAL:  # the user's or this machine's to fix
        raise ConfigError(outcome.error)
    return epochs, outcome.error


def _compare(stored: StoredTrial, epochs: list[dict], console: Console) -> bool:
    """Prints the stored and rerun curves side by side; whether every epoch is the same."""
    before = {int(row["epoch"]): row for row in stored.epochs.to_dict("records")}
    table = Table(title=f"trial {stored.number}: stored vs rerun")
    table.add_column("epoch", justify="right")
    for name in SHOWN:
        table.add_column(f"{name} stored", justify="right")
        table.add_column("rerun", justify="right")
    table.add_column("same")
    differing = []
    for metrics in epochs:
        old = before.get(metrics["epoch"], {})
        unequal = [name for name in COMPARED if not _same(old.get(name), metrics.get(name))]
        if unequal:
            differing.append((metrics["epoch"], unequal))
        cells = [(_fmt(old.get(name)), _fmt(metrics.get(name))) for name in SHOWN]
        table.add_row(
            str(metrics["epoch"]),
            *(cell for pair in cells for cell in pair),
            "yes" if not unequal else "no: " + ", ".join(unequal),
        )
    console.print(table)
    if len(epochs) != len(before):
        console.print(f"the rerun trained {len(epochs)} epochs, the stored trial {len(before)}")
        return False
    if differing:
        first, names = differing[0]
        console.print(
            f"differs in {len(differing)} of {len(epochs)} epochs, first at epoch {first} "
            f"({', '.join(names)}); thread count, device and library versions decide the last bits"
        )
        return False
    console.print(f"trial {stored.number} reproduced exactly: {len(epochs)} epochs, every metric")
    return True


def _same(a, b) -> bool:
    missing = (a is None or _nan(a), b is None or _nan(b))
    return all(missing) if any(missing) else float(a) == float(b)


def _nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _fmt(value) -> str:
    return "-" if value is None or _nan(value) else f"{value:.6g}"
