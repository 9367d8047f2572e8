"""Published numbers beside their own runs, and trial counts after a killed trial is retried."""

from __future__ import annotations

import math
import os
import signal

from sweeper.report.build import build_report
from sweeper.spec import Study, published
from sweeper.store.engines import open_reader
from tests.conftest import run_cli
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
    published(40.63, {"batch_size": 32}, metric="summary_size_mb"),
    published(99.0, {"batch_size": 64, "lr": 0.01}, metric="summary_size_mb"),
    published(1112.0, {"batch_size": 64, "lr": 0.01}, metric="summary_size_mb", batch=64),
    published(84.0, {"batch_size": 64, "lr": 0.01}, at=3),
    published(55.0, {"batch_size": 64, "lr": 0.01}, within=1),
    published(70.0, {"batch_size": 256}),
    published(94.0, {"batch_size": 64, "model": "cnn_3"}),
]


def test_each_published_number_stands_beside_its_own_run_measured_its_way(tmp_path):
    url = f"sqlite:///{tmp_path / 'known.db'}"
    # The known study's setup: 4 epochs, as every number here was measured.
    spec = Study(name="batch", train={"model": "cnn_2", "epochs": 4}, reference=REFERENCE)
    write_known_study(url, reference=spec.to_dict()["reference"])
    report = build_report(open_reader(url), "batch")
    columns = ["run", "source", "measure", "published", "measured", "trial", "outcome", "runs"]
    assert list(report.published.columns) == [*columns, "warning"]
    assert set(report.published["warning"]) == {""}
    assert rows(report.published[columns]) == [
        ["batch_size=32", "", "val_acc, best epoch", 93.53, 80.0, 0, "completed", 3],
        ["batch_size=64, lr=0.01", "", "val_acc, final epoch", 94.42, 83.0, 2, "completed", 1],
        ["batch_size=64", "ResNet50", "train_acc, best epoch", 97.9, 90.0, 2, "completed", 3],
        ["batch_size=32", "", "train_loss, lowest", 1.45, 1.1, 0, "completed", 3],
        ["batch_size=32", "", "train_loss, final epoch", 1.96, 1.12, 0, "completed", 3],
        ["batch_size=64, lr=0.01", "", "params", 22_000_000, 22_000_000, 2, "completed", 1],
        # Trials from before the trainer measured torchsummary's size: blank, not zero.
        ["batch_size=32", "", "summary_size_mb", 40.63, NA, 0, "completed", 3],
        ["batch_size=64, lr=0.01", "", "summary_size_mb", 99.0, 100.0, 2, "completed", 1],
        # 64 images: the weights (22,000,000 params, 83.92 MB) once, the rest 64 times.
        ["batch_size=64, lr=0.01", "", "summary_size_mb, batch 64", 1112.0, 1112.8296]
        + [2, "completed", 1],
        ["batch_size=64, lr=0.01", "", "val_acc, epoch 3", 84.0, 84.0, 2, "completed", 1],
        [
            "batch_size=64, lr=0.01",
            "",
            "val_acc, best epoch of the first 1",
            55.0,
            55.0,
            2,
            "completed",
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


def measured_sizes(tmp_path, **train) -> list:
    url = f"sqlite:///{tmp_path / 'sizes.db'}"
    run = {"batch_size": 64, "lr": 0.01}  # trial 2: 22,000,000 params, 100.0 MB recorded
    reference = [
        published(1.0, run, metric="summary_size_mb", batch=64),
        published(1.0, run, metric="summary_size_mb"),
    ]
    spec = Study(name="batch", train={"model": "cnn_2", **train}, reference=reference).to_dict()
    write_known_study(url, train=spec["train"], reference=spec["reference"])
    return [row[4] for row in rows(build_report(open_reader(url), "batch").published)]


def test_a_size_measured_at_the_published_batch_is_read_as_it_is(tmp_path):
    # Recorded at batch 64: shown as recorded there; at one image, the weights (83.9233 MB)
    # once and the rest a 64th.
    assert measured_sizes(tmp_path, summary_batch=64) == [100.0, 84.1745]


def test_torchinfos_size_is_not_scaled_to_another_batch(tmp_path):
    # Its weights are the called leaves' parameters, which the parameter count does not give.
    assert measured_sizes(tmp_path, summary_tool="torchinfo") == [NA, 100.0]


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
    assert {k: report.summary[k] for k in ("trials", "completed", "failed")} == {
        "trials": 1,
        "completed": 1,
        "failed": 0,
    }
    assert rows(report.param_tables["lr"][["lr", "trials", "completed", "failed"]]) == [
        [0.1, 1, 1, 0]
    ]
    assert report.cost["trials"].tolist() == [1]


POINTS_STUDY = """
from sweeper import Study, published
SLOW = {"lr": 0.01, "schedule": "constant"}
FAST = {"lr": 0.1, "schedule": "step", "milestones": (2, 3)}
study = Study(name="points", train=dict(epochs=3), points=[SLOW, FAST], sampler="grid",
              pruner="none", trainer="tests.fake_trainer:fit",
              reference=[published(75.0, SLOW, at="final"), published(95.0, FAST),
                         published(1.0, {**FAST, "epochs": 300}, metric="train_loss")])
"""


def test_a_sweep_of_points_reports_each_published_run_beside_its_own(write_study, tmp_path):
    url = f"sqlite:///{tmp_path / 'points.db'}"
    sweep = run_cli("run", write_study(POINTS_STUDY), "--storage", url, cwd=tmp_path)
    assert sweep.returncode == 0, sweep.stderr
    report = build_report(open_reader(url), "points")
    assert report.trials["point"].tolist() == [
        "lr=0.01, schedule=constant",
        "lr=0.1, schedule=step, milestones=[2, 3]",
    ]
    # The fake trainer's curve: ceiling 95 - 20 * |log10(lr) + 1|, times 1 - exp(-epoch / 2).
    final_slow = 75 * (1 - math.exp(-3 / 2))
    assert rows(report.published) == [
        ["lr=0.01, schedule=constant", "", "val_acc, final epoch", 75.0, round(final_slow, 4)]
        + [0, "completed", 1, ""],
        ["lr=0.1, schedule=step, milestones=[2, 3]", "", "val_acc, best epoch", 95.0]
        + [round(95 * (1 - math.exp(-3 / 2)), 4), 1, "completed", 1, ""],
    ]
    assert rows(report.not_run) == [
        ["lr=0.1, schedule=step, milestones=[2, 3], epochs=300", "", "train_loss, lowest", 1.0]
    ]
    printed = run_cli("report", "points", "--storage", url, "--format", "none", cwd=tmp_path)
    assert "Published beside measured" in printed.stdout and "Published, not run" in printed.stdout


def test_a_number_beside_a_trial_trained_shorter_than_its_run_is_flagged(write_study, tmp_path):
    # A quick try of the study: its points trained one epoch, its numbers measured after three
    # (or at epoch 2); the report says so beside each, and prints it.
    url = f"sqlite:///{tmp_path / 'points.db'}"
    study = write_study(
        POINTS_STUDY.replace("published(95.0, FAST)", "published(95.0, FAST, at=2)")
    )
    sweep = run_cli("run", study, "--storage", url, "--set", "epochs=1", cwd=tmp_path)
    assert sweep.returncode == 0, sweep.stderr
    report = build_report(open_reader(url), "points")
    assert report.published["warning"].tolist() == [
        "trained 1 of the 3 epochs this number was measured at",
        "trained 1 of the 2 epochs this number was measured at",
    ]
    printed = run_cli("report", "points", "--storage", url, "--format", "none", cwd=tmp_path)
    assert "trained 1 of" in printed.stdout
