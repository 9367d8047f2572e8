"""Published numbers beside their own runs, and trial counts after a killed trial is retried."""

from __future__ import annotations

import os
import signal

from sweeper.report.build import build_report
from sweeper.report.sql import open_reader
from sweeper.spec import Study, published
from tests.report.conftest import write_known_study
from tests.report.test_report import NA, rows
from tests.sweep.recovery_helpers import running, start, wait_for

# The known study (conftest): batch 32 → trials 0, 1, 6 (running); 64 → 2, 3, 4; 128 → 5.
REFERENCE = [
    published(93.53, {"batch_size": 32}),
    published(94.42, {"batch_size": 64, "lr": 0.01}, metric="val_acc", at="final"),
    published(97.9, {"batch_size": 64}, metric="train_acc", source="ResNet50"),
    published(1.45, {"batch_size": 32}, metric="train_loss"),
    published(1.96, {"batch_size": 32}, metric="train_loss", at="final"),
    published(22_000_000, {"batch_size": 64, "lr": 0.01}, metric="params"),
    published(40.63, {"batch_size": 64, "lr": 0.01}, metric="summary_size_mb"),
    published(84.0, {"batch_size": 64, "lr": 0.01}, at=3),
    published(55.0, {"batch_size": 64, "lr": 0.01}, within=1),
    published(70.0, {"batch_size": 256}),
    published(94.0, {"batch_size": 64, "model": "cnn_3"}),
]


def test_each_published_number_stands_beside_its_own_run_measured_its_way(tmp_path):
    url = f"sqlite:///{tmp_path / 'known.db'}"
    spec = Study(name="batch", train={"model": "cnn_2"}, reference=REFERENCE).to_spec()
    write_known_study(url, reference=spec["reference"])
    report = build_report(open_reader(url), "batch")
    columns = ["run", "source", "measure", "published", "measured", "trial", "outcome", "runs"]
    assert list(report.published.columns) == columns
    assert rows(report.published) == [
        ["batch_size=32", "", "val_acc, best epoch", 93.53, 80.0, 0, "finished", 3],
        ["batch_size=64, lr=0.01", "", "val_acc, final epoch", 94.42, 83.0, 2, "finished", 1],
        ["batch_size=64", "ResNet50", "train_acc, best epoch", 97.9, 90.0, 2, "finished", 3],
        ["batch_size=32", "", "train_loss, lowest", 1.45, 1.1, 0, "finished", 3],
        ["batch_size=32", "", "train_loss, final epoch", 1.96, 1.12, 0, "finished", 3],
        ["batch_size=64, lr=0.01", "", "params", 22_000_000, 22_000_000, 2, "finished", 1],
        # Trials from before the trainer measured torchsummary's size: blank, not zero.
        ["batch_size=64, lr=0.01", "", "summary_size_mb", 40.63, NA, 2, "finished", 1],
        ["batch_size=64, lr=0.01", "", "val_acc, epoch 3", 84.0, 84.0, 2, "finished", 1],
        [
            "batch_size=64, lr=0.01",
            "",
            "val_acc, best epoch of the first 1",
            55.0,
            55.0,
            2,
            "finished",
            1,
        ],
    ]
    # Not shown beside another run: batch 256 never ran, and no trial had model cnn_3.
    assert rows(report.not_run) == [
        ["batch_size=256", "", "val_acc, best epoch", 70.0],
        ["batch_size=64, model=cnn_3", "", "val_acc, best epoch", 94.0],
    ]
    # The parameter table shows only what its `best` column measures: val_acc at the best epoch.
    assert rows(report.param_tables["batch_size"][["reference"]]) == [[93.53], [NA], [NA]]


STUDY = """
from sweeper import Study, choice
study = Study(name="resumed", train=dict(epochs=6), space=dict(lr=choice([0.1])),
              n_trials=1, trainer="tests.fake_trainer:fit", sampler="grid", pruner="none")
"""


def test_a_trial_killed_and_retried_counts_once(write_study, storage_url, tmp_path):
    study = write_study(STUDY)
    sweep = start(
        "run", study, "--storage", storage_url, "--artifacts", tmp_path / "runs", tmp_path=tmp_path
    )
    victim = wait_for(
        lambda: [r for r in running(storage_url) if r["epoch"] >= 1 and r["pid"]],
        what="a trial at epoch 1",
    )[0]
    os.kill(victim["pid"], signal.SIGKILL)
    _, err = sweep.communicate(timeout=120)
    assert sweep.returncode == 0, err
    report = build_report(open_reader(storage_url), "resumed")
    assert report.trials["state"].tolist() == ["FAIL", "COMPLETE"]  # the kill, then its retry
    assert {k: report.summary[k] for k in ("trials", "finished", "failed")} == {
        "trials": 1,
        "finished": 1,
        "failed": 0,
    }
    assert rows(report.param_tables["lr"][["lr", "trials", "finished", "failed"]]) == [
        [0.1, 1, 1, 0]
    ]
    assert report.cost["trials"].tolist() == [1]
