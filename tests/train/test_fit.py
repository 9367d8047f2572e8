"""fit(config, on_epoch): learning, metrics, pruning, divergence, checkpoints and resuming."""

import json
import math

import pytest
import torch

from sweeper.train import fit
from sweeper.train.config import TrainConfig
from sweeper.train.device import set_threads
from sweeper.train.loop import diverged

METRIC_KEYS = {
    "epoch",
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "val_top5",
    "lr",
    "seconds",
    "images_per_s",
    "peak_mem_mb",
}
RESULT_KEYS = {
    "best_val_acc",
    "best_epoch",
    "final_val_acc",
    "epochs_run",
    "stop",
    "stop_detail",
    "params",
    "model_size_mb",
    "seconds",
    "images_per_s",
    "peak_mem_mb",
    "device",
    "summary_size_mb",
    "environment",
}
TIMING = {"seconds", "images_per_s", "peak_mem_mb"}


def run(checkpoint_dir=None, on_epoch=None, **values):
    epochs = []

    def record(metrics):
        epochs.append(metrics)
        return on_epoch(metrics) if on_epoch else None

    result = fit(TrainConfig.from_dict(values), record, checkpoint_dir=checkpoint_dir)
    return epochs, result


def test_reaches_95_percent_on_digits():
    # Its time is bench/trial.py's to measure: a timed target in a test fails on a busy machine.
    epochs, result = run(dataset="digits", model="cnn", optimizer="sgd", lr=0.05, epochs=15)
    assert result["best_val_acc"] >= 95 and result["stop"] == "completed"
    assert [m["epoch"] for m in epochs] == list(range(1, 16))
    assert set(epochs[0]) == METRIC_KEYS and set(result) == RESULT_KEYS
    assert all(0 <= m["val_acc"] <= 100 and 0 <= m["train_acc"] <= 100 for m in epochs)
    assert result["params"] > 0 and result["model_size_mb"] > 0 and result["device"] == "cpu"
    assert result["summary_size_mb"] > result["model_size_mb"]  # weights plus activations
    assert result["environment"]["seed"] == 0 and result["environment"]["cuda"] is None
    assert json.loads(json.dumps(result)) == result  # the orchestrator stores it as JSON


@pytest.fixture
def restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_a_rerun_with_the_recorded_thread_count_gives_the_same_curve(restore_threads):
    config = TrainConfig(dataset="digits", epochs=3, flip=True, dropout=0.2, seed=5)
    curves, results = [], []
    for _ in range(2):
        epochs = []
        set_threads(1)  # what the executor does for a rerun, before it calls the trainer
        results.append(fit(config, epochs.append))
        curves.append(without_timing(epochs))
    assert curves[0] == curves[1] and torch.get_num_threads() == 1
    assert results[0]["environment"]["threads"] == 1 and results[0]["environment"]["seed"] == 5


def test_peak_memory_is_the_trials_own_not_the_processs():
    from sweeper.train import data

    data.load(TrainConfig(dataset="digits"))  # what both trials share is loaded before either
    small = dict(dataset="synthetic", image_size=64, synthetic_images=160, batch_size=128)
    _, first = run(**small, epochs=1)
    _, second = run(dataset="digits", epochs=1)
    assert second["peak_mem_mb"] < first["peak_mem_mb"] - 200


SMALL = dict(dataset="synthetic", image_size=16, synthetic_images=192, batch_size=32, model="cnn")


def test_few_classes_have_no_top5_and_eval_every_skips_evaluations():
    epochs, result = run(**SMALL, synthetic_classes=5, epochs=3, eval_every=2)
    assert [m["val_acc"] is None for m in epochs] == [
        True,
        False,
        False,
    ]  # the last epoch always evaluates
    assert all(m["val_top5"] is None for m in epochs)
    assert result["best_epoch"] in (2, 3)


def test_on_epoch_returning_true_prunes_at_once():
    epochs, result = run(**SMALL, epochs=5, on_epoch=lambda m: m["epoch"] == 2)
    assert len(epochs) == 2 and result["stop"] == "pruned" and result["epochs_run"] == 2


def test_a_numpy_true_from_should_prune_prunes_too():
    import numpy as np

    # Optuna's median pruner answers numpy.bool_: passed straight through, it must still stop.
    epochs, result = run(**SMALL, epochs=5, on_epoch=lambda m: np.bool_(m["epoch"] == 2))
    assert len(epochs) == 2 and result["stop"] == "pruned"


def test_nan_loss_stops_as_diverged():
    epochs, result = run(dataset="digits", model="cnn", lr=1e20, epochs=5)
    assert (result["stop"], result["stop_detail"]) == ("diverged", "train loss is nan at epoch 1")
    assert epochs == [] and result["best_val_acc"] == 0.0


def test_chance_accuracy_stops_as_diverged():
    # An lr this small leaves the network where it started: at chance.
    epochs, result = run(dataset="digits", model="cnn", lr=1e-9, epochs=10, chance_patience=3)
    assert (result["stop"], result["stop_detail"]) == (
        "diverged",
        "val accuracy at chance (10.0%) for 3 evaluations without a new best",
    )
    assert len(epochs) == 3


def test_softmax_before_the_loss_learns_but_its_loss_stays_above_its_floor():
    # Write-up 002's losses sat near 1.5: with softmax twice, a perfect prediction of one of
    # 10 classes still costs log(1 + 9 / e).
    floor = math.log(1 + 9 / math.e)
    epochs, result = run(dataset="digits", lr=0.5, epochs=6, softmax_before_loss=True)
    assert result["best_val_acc"] > 80
    assert all(m["train_loss"] > floor and m["val_loss"] > floor for m in epochs)
    assert epochs[-1]["val_loss"] < floor + 0.3


def curve(*accs):
    return [{"epoch": i + 1, "val_acc": acc} for i, acc in enumerate(accs)]


def test_only_a_curve_stuck_at_chance_without_a_new_best_is_diverged():
    assert diverged(curve(10.0, 10.0, 10.0), 10, 3)  # flat at chance
    assert diverged(curve(12.5, 12.3, 12.4), 10, 3)  # below its first evaluation
    assert not diverged(curve(10.0, 10.0), 10, 3)  # too few evaluations yet
    # A slow learner seen on digits: still inside the chance band, but improving.
    assert not diverged(curve(12.5, 12.3, 14.7), 10, 3)
    assert not diverged(curve(12.5, 12.3, 14.7, 13.0), 10, 3)  # 14.7 is a new best in the window
    assert diverged(curve(12.5, 12.3, 14.7, 13.0, 14.0, 14.5), 10, 3)  # 3 evaluations below 14.7
    assert not diverged(curve(10.0, 10.0, 30.0), 10, 3)  # above the band
    assert diverged(curve(50.0, 10.0), 10, 1)


class Killed(Exception):
    pass


def kill_at(epoch):
    def on_epoch(metrics):
        if metrics["epoch"] == epoch:
            raise Killed  # what a dead executor looks like to fit: nothing after this epoch

    return on_epoch


# Everything with state or randomness: ranger's slow weights, plateau, dropout, augmentation, mixup.
RESUMABLE = dict(
    **SMALL,
    epochs=4,
    optimizer="ranger",
    lr=3e-3,
    lookahead_steps=3,
    schedule="plateau",
    plateau_patience=0,
    plateau_factor=0.5,
    dropout=0.2,
    crop_scale=0.5,
    flip=True,
    crop_padding=2,
    color_jitter=0.2,
    cutout=0.25,
    mixup_alpha=0.2,
    cutmix_alpha=1.0,
    warmup_epochs=1,
    seed=3,
    chance_patience=5,
)


def without_timing(epochs):
    return [{k: v for k, v in m.items() if k not in TIMING} for m in epochs]


def test_resuming_from_last_pt_gives_the_uninterrupted_curve(tmp_path):
    whole, whole_result = run(**RESUMABLE)
    with pytest.raises(Killed):
        run(tmp_path, on_epoch=kill_at(2), **RESUMABLE)
    assert (tmp_path / "last.pt").exists() and (tmp_path / "best.pt").exists()
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]
    seen, result = run(tmp_path, **RESUMABLE)
    restored = [m for m in seen if m.pop("resumed", False)]
    resumed = seen[len(restored) :]
    assert [m["epoch"] for m in restored] == [1, 2]  # reported again, for a caller that lost them
    assert without_timing(restored) == without_timing(whole[:2])
    assert [m["epoch"] for m in resumed] == [3, 4]
    assert without_timing(resumed) == without_timing(whole[2:])
    for key in ("best_val_acc", "best_epoch", "final_val_acc", "epochs_run", "stop"):
        assert result[key] == whole_result[key]
    best = torch.load(tmp_path / "best.pt", weights_only=True)
    assert best["epoch"] == whole_result["best_epoch"]


def test_a_finished_checkpoint_returns_without_training(tmp_path):
    run(tmp_path, **SMALL, epochs=2)
    epochs, result = run(tmp_path, **SMALL, epochs=2)
    assert [m["epoch"] for m in epochs if m["resumed"]] == [1, 2] and len(epochs) == 2
    assert result["epochs_run"] == 2 and result["stop"] == "completed"


@pytest.mark.parametrize(
    "values",
    [
        dict(crop_scale=0.35, crop_ratio=(0.5, 2.0), flip=True, label_smoothing=0.1),
        dict(crop_padding=4, flip=True, color_jitter=0.4, cutout=0.5),
        dict(mixup_alpha=0.4, schedule="onecycle", optimizer="adamw", lr=1e-3),
        dict(cutmix_alpha=1.0, schedule="multistep", milestones=(1,), optimizer="rmsprop", lr=1e-3),
        dict(
            image_size=24,
            model="cifar_alexnet",
            dropout1=0.3,
            dropout2=0.3,
            dropout3=0.1,
            schedule="step",
            step_size=1,
            linear_scaling=True,
            weight_decay=5e-4,
            decay_bn_bias=False,
        ),
        dict(
            model="cifar_alexnet",
            batchnorm=False,
            dropout1=0.5,
            dropout2=0.5,
            dropout_position="before_pool",
            fc_dropout=0.5,
            softmax_before_loss=True,
            color_jitter_hue=0.5,
            optimizer="adam",
            lr=5e-4,
        ),
    ],
)
def test_every_knob_trains(values):
    config = {**SMALL, "epochs": 2, **values}
    if config["model"] == "cifar_alexnet":
        config["image_size"] = 32
    epochs, result = run(**config)
    assert result["stop"] == "completed" and len(epochs) == 2
    assert all(m["train_loss"] == m["train_loss"] for m in epochs)  # finite, not NaN


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_with_bf16_and_channels_last_trains_and_resumes(tmp_path):
    values = dict(
        **SMALL, epochs=3, bf16=True, channels_last=True, crop_scale=0.5, flip=True, mixup_alpha=0.2
    )
    epochs = []
    with pytest.raises(Killed):
        fit(TrainConfig.from_dict(values), kill_at(1), device="cuda", checkpoint_dir=tmp_path)
    result = fit(
        TrainConfig.from_dict(values), epochs.append, device="cuda", checkpoint_dir=tmp_path
    )
    assert [m["epoch"] for m in epochs if not m.get("resumed")] == [2, 3] and result[
        "stop"
    ] == "completed"
    assert result["device"].startswith("cuda") and result["peak_mem_mb"] > 0


@pytest.mark.parametrize(
    "schedule", ["constant", "step", "multistep", "cosine", "flat_cos", "onecycle", "plateau"]
)
def test_every_schedule_drives_the_lr_fit_reports(schedule):
    from sweeper.train import schedules

    epochs, result = run(
        **SMALL,
        epochs=3,
        lr=0.1,
        schedule=schedule,
        step_size=1,
        milestones=(2,),
        gamma=0.5,
        plateau_patience=0,
    )
    config = TrainConfig.from_dict(
        {
            **SMALL,
            "epochs": 3,
            "lr": 0.1,
            "schedule": schedule,
            "step_size": 1,
            "milestones": (2,),
            "gamma": 0.5,
        }
    )
    steps = (192 - round(192 * 0.2)) // 32  # training images // batch
    first_step = [0.1 * schedules.factor(config, e + 1 / steps) for e in range(3)]
    if schedule != "plateau":  # plateau's reductions depend on the accuracies
        assert [m["lr"] for m in epochs] == pytest.approx(first_step)
    assert result["stop"] in ("completed", "diverged")


@pytest.mark.slow
def test_compiled_model_trains(tmp_path):
    # torch.compile needs a C++ compiler on the CPU and 10-30 s (less with a warm compile cache).
    epochs, result = run(tmp_path, **SMALL, epochs=2, compile=True)
    assert result["stop"] == "completed" and len(epochs) == 2
    assert "model" in torch.load(
        tmp_path / "last.pt", weights_only=True
    )  # the plain module's weights
