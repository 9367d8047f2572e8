"""Every published number a study carries is the write-up's own, tied to the run and the metric
it was measured on: the write-ups' tables, typed here from the originals, against the studies.

Each row: (what identifies the run, metric, at, source, number). `at` is "best", "final", an
epoch number, ("within", N) for "best of the first N epochs", None for trial measures, or
("batch", N) for torchsummary's size at batch_size N.
"""

from __future__ import annotations

import pytest

from sweeper.references import matches
from sweeper.spec import load_study_file
from tests.conftest import ROOT


def pct(fraction: float) -> float:
    """A logged accuracy fraction (write-up 002 prints 0.9417638...) as the percent carried."""
    return round(fraction * 100, 2)


# Write-up 000: "Epoch" table (accuracy when training ends) and the runs' best epochs quoted
# in its text; "Batch Size" table (best during training); "Model Depth" table.
EPOCHS = [
    ({"epochs": n}, "val_acc", "final", None, acc)
    for n, acc in [(150, 93.32), (200, 93.63), (250, 94.06), (300, 94.42), (400, 94.19)]
]
EPOCHS += [({"epochs": 300}, "val_acc", "best", None, 94.75)]  # "Epoch=292 ... 94.75%"
EPOCHS += [({"epochs": 200}, "val_acc", "best", None, 94.11)]  # "Epoch=173 ... 94.11%"
BATCH = [
    ({"batch_size": b}, "val_acc", "best", None, acc)
    for b, acc in [(32, 93.53), (40, 94.29), (48, 93.91), (56, 93.53), (64, 94.11), (72, 94.24)]
]
DEPTH = [
    ({"depth": d}, "val_acc", "best", None, acc)
    for d, acc in [(18, 93.58), (34, 93.94), (50, 94.22), (101, 94.11)]
]

# Write-up 001, table 1: best top-1 within N epochs of the Ranger run (lr 8e-3, eps 1e-6).
RANGER_RUN = {"optimizer": "ranger", "lr": 8e-3, "eps": 1e-6}
RANGER_RUN |= {"beta2": 0.99, "weight_decay": 1e-2}  # the ImageNette page's sqr_mom and wd
RANGER = [
    (RANGER_RUN, "val_acc", ("within", n), None, acc)
    for n, acc in [
        (143, 92.6624),
        (203, 93.1720),
        (242, 93.6306),
        (344, 93.7580),
        (385, 93.8089),
        (467, 94.1656),
        (526, 94.5223),
    ]
]

# Write-up 002, sections 3 and 4 (training accuracy unless it says val).
FIRST = {"schedule": "constant", "epochs": 50}
STEP = {"schedule": "step", "step_size": 25, "gamma": 0.1}
MULTISTEP = {"optimizer": "sgd", "schedule": "multistep", "milestones": [30, 80], "gamma": 0.1}
ADAM = {"optimizer": "adam", "lr": 1e-3, "milestones": [5, 80, 100], "gamma": 0.5}
ABS = {"lr": 5e-4, "plateau_patience": 5, "plateau_threshold_mode": "abs"}
REL = {"lr": 5e-4, "plateau_patience": 20, "plateau_threshold_mode": "rel", "epochs": 500}
SCHEDULES = [
    (FIRST, "train_acc", "final", None, 89.0),  # "训练集准确率89%"
    (FIRST, "val_acc", "final", None, 75.0),  # "测试集准确率75%"
    (FIRST, "train_loss", "final", None, 1.57),
    (STEP, "train_acc", "final", None, 93.0),  # said once of StepLR and MultiStepLR
    (STEP, "train_loss", "final", None, 1.52),
    (MULTISTEP, "train_acc", "final", None, 93.0),
    (MULTISTEP, "train_loss", "final", None, 1.52),
    (ADAM, "train_acc", "final", None, 92.0),
    (ADAM, "train_loss", "final", None, 1.53),
    (ABS, "train_acc", "final", None, 94.8),
    (REL, "train_acc", "final", None, 95.3),
]
BN = {"dropout1": 0.0, "fc_dropout": 0.0, "crop_padding": 0, "epochs": 300}
HALF = {"dropout1": 0.5, "dropout2": 0.5, "dropout3": 0.5, "fc_dropout": 0.5}
LIGHT = {"dropout1": 0.3, "dropout2": 0.3, "dropout3": 0.1, "fc_dropout": 0.0, "crop_padding": 0}
AUGMENTED = {"dropout3": 0.1, "crop_padding": 4, "flip": True, "color_jitter_hue": 0.5}
DROPOUT = [
    (BN, "train_acc", 60, None, pct(0.9417638297032828)),
    (BN, "val_acc", 60, None, pct(0.7876)),
    (BN, "train_acc", 100, None, pct(0.9581631747159091)),
    (BN, "val_acc", 100, None, pct(0.7844)),
    (BN, "train_acc", 300, None, pct(0.9790359651199495)),
    (BN, "val_acc", 300, None, pct(0.7896)),
    ({**HALF, "dropout_position": "after_pool"}, "train_acc", "final", None, 70.0),
    ({**HALF, "dropout_position": "after_pool"}, "val_acc", "final", None, 70.0),
    ({**HALF, "dropout_position": "before_pool"}, "train_acc", "final", None, 70.0),
    (LIGHT, "train_acc", 210, None, pct(0.9481065538194445)),
    (LIGHT, "val_acc", 210, None, pct(0.823)),
    (LIGHT, "train_acc", 294, None, pct(0.9705132378472222)),
    (LIGHT, "val_acc", 294, None, pct(0.8276)),
    (LIGHT, "train_acc", "final", None, 98.0),  # "最终训练准确率达到了98%"
    (LIGHT, "val_acc", "final", None, 83.0),  # "验证准确率达到了83%"
    (AUGMENTED, "train_acc", "final", None, 80.0),  # "训练、验证、测试都是80%"
    (AUGMENTED, "val_acc", "final", None, 80.0),
]

# Write-up 003: PaddleClas's tables, each number with the model it was measured on.
R18 = {"model": "resnet18", "weight_decay": 1e-4, "label_smoothing": 0.0, "crop_scale": 0.08}
R50 = {"model": "resnet50", "label_smoothing": 0.0, "mixup_alpha": 0.0, "cutmix_alpha": 0.0}
R50 |= {"cutout": 0.0, "auto_augment": False, "rand_augment": None, "random_erasing": 0.0}
R50 |= {"grid_mask": 0.0, "hide_and_seek": 0.0}
RAND = {**R50, "rand_augment": [2, 5]}
V1, V2 = "MobileNetV1_x0_25", "MobileNetV2_x0_25"
TRICKS = [
    (R18, "val_acc", "best", V1, 50.41),
    (R18, "val_top5", "best", V1, 74.70),
    (R18, "train_acc", "final", V1, 43.79),
    ({**R18, "weight_decay": 3e-5}, "val_acc", "best", V1, 51.45),
    ({**R18, "weight_decay": 3e-5}, "val_top5", "best", V1, 75.45),
    ({**R18, "weight_decay": 3e-5}, "train_acc", "final", V1, 47.38),
    (R18, "val_acc", "best", "ResNet18", 70.98),
    (R18, "val_top5", "best", "ResNet18", 89.92),
    (R18, "train_acc", "final", "ResNet18", 69.81),
    ({**R18, "label_smoothing": 0.1}, "val_acc", "best", "ResNet18", 70.81),
    ({**R18, "label_smoothing": 0.1}, "val_top5", "best", "ResNet18", 89.89),
    ({**R18, "label_smoothing": 0.1}, "train_acc", "final", "ResNet18", 68.00),
    (R50, "val_acc", "best", "ResNet50_vd", 77.9),
    ({**R50, "label_smoothing": 0.1}, "val_acc", "best", "ResNet50_vd", 78.4),
    (R18, "val_acc", "best", V2, 52.35),
    (R18, "val_top5", "best", V2, 75.65),
    (R18, "train_acc", "final", V2, 50.36),
    ({**R18, "crop_scale": 0.2}, "val_acc", "best", V2, 53.18),
    ({**R18, "crop_scale": 0.2}, "val_top5", "best", V2, 76.14),
    ({**R18, "crop_scale": 0.2}, "train_acc", "final", V2, 54.39),
    (R50, "val_acc", "best", "ResNet50", 77.31),  # standard augmentation
    ({**R50, "mixup_alpha": 0.2}, "val_acc", "best", "ResNet50", 78.28),
    ({**R50, "cutmix_alpha": 0.2}, "val_acc", "best", "ResNet50", 78.39),
    ({**R50, "cutout": 0.5}, "val_acc", "best", "ResNet50", 78.01),
    ({**R50, "auto_augment": True}, "val_acc", "best", "ResNet50", 77.95),
    ({**R50, "grid_mask": 1.0}, "val_acc", "best", "ResNet50", 77.85),
    ({**RAND, "seed": 0}, "val_acc", "best", "ResNet50", 77.70),
    ({**R50, "random_erasing": 0.25}, "val_acc", "best", "ResNet50", 77.91),
    ({**R50, "hide_and_seek": 0.5}, "val_acc", "best", "ResNet50", 77.43),
    # The l2 decay table on ResNet50 + RandAugment, a training apart from the row above.
    ({**RAND, "seed": 1, "weight_decay": 1e-4}, "val_acc", "best", "ResNet50", 77.65),
    ({**RAND, "seed": 1, "weight_decay": 1e-4}, "val_top5", "best", "ResNet50", 93.79),
    ({**RAND, "seed": 1, "weight_decay": 1e-4}, "train_acc", "final", "ResNet50", 75.13),
    ({**RAND, "seed": 1, "weight_decay": 7e-5}, "val_acc", "best", "ResNet50", 78.04),
    ({**RAND, "seed": 1, "weight_decay": 7e-5}, "val_top5", "best", "ResNet50", 93.74),
    ({**RAND, "seed": 1, "weight_decay": 7e-5}, "train_acc", "final", "ResNet50", 75.56),
]

# Write-up 004: Total Params, Total Size (MB), Min loss, Final Loss, Accuracy.
# torchsummary ran with batch_size=64 on the CNNs, with its default (one image) on the rest.
MODELS = []
for model, numbers in {
    "cnn_2": (219_044, 40.63, 1.4500, 1.9618, 39.75),
    "cnn_3": (168_036, 46.94, 1.5404, 1.9817, 44.14),
    "cnn_5": (1_116_388, 55.43, 1.3080, 1.5872, 44.20),
    "vgg19": (139_979_940, 773.24, 0.3057, 0.7126, 71.61),
    "resnet101": (42_705_060, 593.20, 0.0667, 0.0942, 83.92),
    "vit_b_32": (87_532_132, 263.59, 0.1308, 0.1308, 84.34),
    "swin_b": (86_845_724, 425.33, 0.2692, 0.5661, 83.53),
}.items():
    size_at = ("batch", 64) if model.startswith("cnn") else None
    measures = [("params", None), ("summary_size_mb", size_at), ("train_loss", "best")]
    measures += [("train_loss", "final"), ("val_acc", "final")]
    MODELS += [({"model": model}, m, at, None, n) for (m, at), n in zip(measures, numbers)]

PUBLISHED = {
    "imagenette_epochs.py": EPOCHS,
    "imagenette_batch.py": BATCH,
    "imagenette_depth.py": DEPTH,
    "imagenette_ranger.py": RANGER,
    "imagenette_optimizers.py": [],  # its 20-epoch runs were published as curves only
    "imagenette_search.py": [],  # a search, not a re-run
    "digits.py": [],
    "cifar10_schedules.py": SCHEDULES,
    "cifar10_dropout.py": DROPOUT,
    "tricks_regularization.py": TRICKS,
    "cifar100_models.py": MODELS,
}
NOT_RUN: set = set()  # (study file, run) pairs carried but deliberately not run
# Published numbers a study does not carry, each with the reason, which the study's docstring
# and docs/studies.md give beside the numbers.
NOT_CARRIED = {
    # PaddleClas's train top-5 (Train acc1/acc5): the trainer records top-5 on the validation
    # set only, and sweeper's epochs table has no column for a training top-5.
    "tricks_regularization.py": [67.61, 70.83, 87.70, 86.56, 72.98, 77.08, 90.42, 90.55],
}


def test_every_study_is_held_against_its_write_up():
    assert sorted(PUBLISHED) == sorted(p.name for p in (ROOT / "studies").glob("*.py"))


def _at(entry):
    if entry.within is not None:
        return ("within", entry.within)
    return ("batch", entry.batch) if entry.batch is not None else entry.at


@pytest.mark.parametrize("study_file", sorted(PUBLISHED))
def test_each_reference_is_the_published_number_of_its_run_and_metric(study_file):
    study = load_study_file(ROOT / "studies" / study_file)
    carried = study.reference if isinstance(study.reference, list) else []
    assert len(carried) == len(PUBLISHED[study_file]), "a published number is missing or extra"
    for identity, metric, at, source, number in PUBLISHED[study_file]:
        found = [
            entry
            for entry in carried
            if matches(identity, entry.run)
            and (entry.metric or study.metric) == metric
            and _at(entry) == at
            and entry.source == source
        ]
        assert len(found) == 1, (identity, metric, at, source)
        assert found[0].value == pytest.approx(number, abs=1e-9), (identity, metric, at)


@pytest.mark.parametrize("study_file", sorted(PUBLISHED))
def test_each_reference_belongs_to_exactly_one_run_of_its_study(study_file):
    study = load_study_file(ROOT / "studies" / study_file)
    runs = (
        [study.settings_of(point) for point in study.grid_points()]
        if study.sampler == "grid"
        else []
    )
    for entry in study.reference if isinstance(study.reference, list) else []:
        owners = [settings for settings in runs if matches(entry.run, settings)]
        expected = 0 if (study_file, entry.run.get("model")) in NOT_RUN else 1
        assert len(owners) == expected, entry


@pytest.mark.parametrize("study_file", sorted(NOT_CARRIED))
def test_each_number_not_carried_is_named_with_why(study_file):
    description = load_study_file(ROOT / "studies" / study_file).description
    docs = (ROOT / "docs" / "studies.md").read_text()
    carried = [e.value for e in load_study_file(ROOT / "studies" / study_file).reference]
    for number in NOT_CARRIED[study_file]:
        assert number not in carried
        assert f"{number:.2f}" in description and f"{number:.2f}" in docs, number
    assert "Not carried" in description
