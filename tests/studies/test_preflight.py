"""Every run a study can ask for is checked before its first trial: its points, its grid, its
space's choices. What is missing comes in one line, exit 2, nothing written.

The weights are looked for in an empty torch hub cache (TORCH_HOME), so nothing can be there.
"""

from __future__ import annotations

import pytest

from sweeper.errors import SetupError
from sweeper.spec import Study, choice
from sweeper.train import preflight
from sweeper.train.config import TrainConfig
from tests.conftest import ROOT, cli_env, run_cli
from tests.studies.test_studies_run import write_tree
from tests.sweep.test_hardening import one_line_error


def run_in_empty_hub(tmp_path, study, *settings):
    sets = [arg for s in settings for arg in ("--set", s)]
    env = cli_env(TORCH_HOME=tmp_path / "empty-hub", XDG_CACHE_HOME=tmp_path / "cache")
    done = run_cli("run", study, "--device", "cpu", "--workers", 1, *sets, cwd=tmp_path, env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert not (tmp_path / "sweeper.db").exists()  # nothing written, no trial trained
    assert not (tmp_path / "runs").exists()
    return one_line_error(done.stderr)


def test_write_up_004s_study_names_all_four_missing_weights_before_training_a_cnn(tmp_path):
    # Its first three points train from scratch; before, they trained and trial 3 failed.
    error = run_in_empty_hub(
        tmp_path,
        ROOT / "studies" / "cifar100_models.py",
        *("dataset=synthetic", "synthetic_images=16", "epochs=1"),
    )
    assert "not in the local cache" in error
    for arch in ("vgg19", "resnet101", "vit_b_32", "swin_b"):
        assert f"{arch} IMAGENET1K_V1" in error
    assert "cnn" not in error


def test_every_depth_of_a_searched_choice_is_checked(tmp_path):
    tree = write_tree(tmp_path / "pictures")
    error = run_in_empty_hub(
        tmp_path,
        ROOT / "studies" / "imagenette_depth.py",
        *(f"data_dir={tree}", "image_size=32", "epochs=1"),
    )
    assert all(f"resnet{d} IMAGENET1K_V1" in error for d in (18, 34, 50, 101)), error


def test_swin_weights_are_checked_too(write_study, tmp_path):
    study = write_study(
        """
        from sweeper import Study, choice
        study = Study(name="swin", train=dict(dataset="synthetic", model="swin_b", image_size=32,
                      pretrained=True, epochs=1), space=dict(lr=choice([0.1, 0.01])),
                      sampler="grid")
        """
    )
    assert "swin_b IMAGENET1K_V1 are not in the local cache" in run_in_empty_hub(tmp_path, study)


def test_a_data_set_only_one_choice_reads_is_checked(write_study, tmp_path):
    study = write_study(
        f"""
        from sweeper import Study, choice
        study = Study(name="two-sets", train=dict(model="cnn", epochs=1,
                      data_dir={str(tmp_path / "nothing")!r}),
                      space=dict(dataset=choice(["digits", "cifar10", "cifar100"])),
                      sampler="grid")
        """
    )
    error = run_in_empty_hub(tmp_path, study)
    assert "cifar10 is not in" in error and "cifar100 is not in" in error


def test_a_study_lists_each_file_choosing_combination_once():
    study = Study(
        name="combos",
        train=dict(dataset="synthetic", model="resnet", pretrained=True, image_size=32),
        space=dict(
            depth=choice([18, 34]),
            lr=choice([1e-3, 1e-1]),  # chooses no file: not varied
            batch_size=choice([16, 32, 64]),
        ),
        points=[{"model": "vgg19"}, {"model": "vgg19", "lr": 0.5}],
        sampler="grid",
    )
    listed = [(c["model"], c["depth"]) for c in study.possible_configs()]
    assert listed == [("vgg19", 18), ("resnet", 18), ("resnet", 34)]


def test_a_conditional_choice_is_listed_under_the_values_that_make_it_apply():
    study = Study(
        name="conditional",
        train=dict(dataset="synthetic", pretrained=True, image_size=32),
        space=dict(model=choice(["resnet", "vgg11"]), depth=choice([18, 50])),
        sampler="grid",
    )
    listed = [(c["model"], c["depth"]) for c in study.possible_configs()]
    assert listed == [("resnet", 18), ("resnet", 50), ("vgg11", 18)]


def test_each_weights_file_is_named_once_with_where_to_get_it(tmp_path, monkeypatch):
    import torch

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    configs = [
        TrainConfig(model=name, pretrained=True, image_size=32, lr=lr)
        for name in ("resnet18", "vit_b_32")
        for lr in (0.1, 0.01)
    ]
    with pytest.raises(SetupError) as caught:
        preflight.check(configs)
    assert caught.value.what.count("resnet18 IMAGENET1K_V1") == 1
    assert "https://download.pytorch.org/models/vit_b_32" in caught.value.fix
    (tmp_path / "checkpoints").mkdir()
    for name in ("resnet18-f37072fd.pth", "vit_b_32-d86f8d99.pth"):
        (tmp_path / "checkpoints" / name).touch()  # present: the preflight reads no file
    preflight.check(configs)


def test_the_imagenette_version_named_is_the_one_the_trainer_would_read(tmp_path):
    from sweeper.errors import ConfigError
    from sweeper.train import data

    config = TrainConfig(dataset="imagenette", data_dir=str(tmp_path), image_size=224)
    with pytest.raises(SetupError, match=r"imagenette \(320px\) is not in"):
        preflight.check([config])
    with pytest.raises(ConfigError, match=r"imagenette \(320px\) is not in"):
        data.load(config)
