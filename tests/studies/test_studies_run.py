"""Every study file runs for real through the CLI on tiny data, so none of them can rot.

One trial of one epoch each on 32 synthetic images at 32px (or a generated ImageFolder tree),
ImageNet weights switched off (no downloads in tests); the models stay the studies' own.
"""

from pathlib import Path

import numpy as np
import optuna
import pytest
from PIL import Image

from sweeper.spec import load_study_file
from tests.conftest import ROOT, run_cli

STUDIES = sorted(p.name for p in (ROOT / "studies").glob("*.py") if p.name != "digits.py")
TINY = ["epochs=1", "image_size=32", "pretrained=false"]


def write_tree(root: Path) -> Path:
    """An ImageFolder tree: train/ and val/ with a few PNGs of 3 classes."""
    rng = np.random.default_rng(0)
    for split, count in (("train", 8), ("val", 3)):
        for label in range(3):
            folder = root / split / f"class{label}"
            folder.mkdir(parents=True)
            for i in range(count):
                Image.fromarray(rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)).save(
                    folder / f"{i}.png"
                )
    return root


def run_one(study_file: str, tmp_path: Path, settings: list[str]):
    storage = f"sqlite:///{tmp_path / 's.db'}"
    sets = [arg for s in settings for arg in ("--set", s)]
    done = run_cli(
        "run",
        ROOT / "studies" / study_file,
        "--storage",
        storage,
        "--n-trials",
        1,
        "--workers",
        1,
        "--device",
        "cpu",
        *sets,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    study = load_study_file(ROOT / "studies" / study_file)
    trials = optuna.load_study(study_name=study.name, storage=storage).trials
    assert [t.state for t in trials] == [optuna.trial.TrialState.COMPLETE], done.stdout
    return trials[0]


@pytest.mark.parametrize("study_file", STUDIES)
def test_study_runs_one_trial_on_synthetic_data(study_file, tmp_path):
    run_one(study_file, tmp_path, [*TINY, "dataset=synthetic", "synthetic_images=32"])


def test_an_imagenette_study_runs_on_an_imagefolder_tree(tmp_path):
    tree = write_tree(tmp_path / "pictures")
    trial = run_one(
        "tricks_regularization.py", tmp_path, [*TINY, f"data_dir={tree}", "batch_size=8"]
    )
    assert (tree / ".sweeper-cache" / "folder-32px.pt").exists()
    # The first of the study's points: the write-up's baseline run, its settings spelled out.
    assert trial.params["point"].startswith(
        "weight_decay=0.0001, label_smoothing=0.0, crop_scale=0.08"
    )
    assert trial.system_attrs["config"]["crop_scale"] == 0.08


def test_every_study_says_which_write_up_it_re_runs():
    for name in STUDIES:
        description = load_study_file(ROOT / "studies" / name).description
        assert "Write-up" in description and ("Re-runs" in description), name


def test_every_re_run_states_the_trainers_own_departures():
    # bf16 autocast and channels-last on CUDA (the write-ups trained in fp32), and the
    # normalisation by the training set's own mean and std.
    for name in STUDIES:
        if name == "imagenette_search.py":  # a search: it re-runs no write-up's setup
            continue
        description = " ".join(load_study_file(ROOT / "studies" / name).description.split())
        assert "bf16" in description and "channels-last" in description, name
        assert "normalised with the training set's own" in description, name
